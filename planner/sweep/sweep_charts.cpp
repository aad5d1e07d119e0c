#include "planner/sweep/sweep_charts.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>

namespace trainplan::sweep {

namespace {

constexpr const char* kPalette[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f"};

std::string esc(const std::string& s) {
  std::string o;
  for (char c : s) {
    if (c == '<')
      o += "&lt;";
    else if (c == '>')
      o += "&gt;";
    else if (c == '&')
      o += "&amp;";
    else if (c == '"')
      o += "&quot;";
    else
      o += c;
  }
  return o;
}

std::string fmt(const char* f, double v) {
  char b[64];
  std::snprintf(b, sizeof b, f, v);
  return b;
}

// A "nice" tick step (1, 2 or 5 times a power of ten) giving about `n` ticks over [0, hi].
double tick_step(double hi, int n) {
  if (hi <= 0) return 1;
  const double raw = hi / n, mag = std::pow(10.0, std::floor(std::log10(raw)));
  for (double m : {1.0, 2.0, 5.0, 10.0})
    if (raw <= m * mag) return m * mag;
  return 10 * mag;
}

std::string tick_label(double v) {
  if (v >= 1e6) return fmt("%.3gM", v / 1e6);
  if (v >= 1e3) return fmt("%.3gk", v / 1e3);
  return fmt("%.3g", v);
}

// A plot frame: maps data to pixels inside [x0, x1] x [y0, y1] (y grows upwards in data).
struct Frame {
  double x0, y0, x1, y1;  // pixels: left, top, right, bottom
  double xmin, xmax, ymin, ymax;
  [[nodiscard]] double px(double x) const { return x0 + (x - xmin) / (xmax - xmin) * (x1 - x0); }
  [[nodiscard]] double py(double y) const { return y1 - (y - ymin) / (ymax - ymin) * (y1 - y0); }
};

// Axes, grid and tick labels; ticks on x only when x_ticks.
std::string draw_axes(const Frame& f, const std::string& xlabel, const std::string& ylabel, bool x_ticks) {
  std::string s;
  const double ys = tick_step(f.ymax, 5);
  for (double y = 0; y <= f.ymax * 1.0001; y += ys) {
    s += "<line x1=\"" + fmt("%.1f", f.x0) + "\" y1=\"" + fmt("%.1f", f.py(y)) + "\" x2=\"" + fmt("%.1f", f.x1) + "\" y2=\"" +
         fmt("%.1f", f.py(y)) + "\" stroke=\"#ddd\"/>\n";
    s += "<text x=\"" + fmt("%.1f", f.x0 - 6) + "\" y=\"" + fmt("%.1f", f.py(y) + 4) + "\" text-anchor=\"end\">" + tick_label(y) +
         "</text>\n";
  }
  if (x_ticks) {
    const double xs = tick_step(f.xmax, 6);
    for (double x = 0; x <= f.xmax * 1.0001; x += xs)
      s += "<text x=\"" + fmt("%.1f", f.px(x)) + "\" y=\"" + fmt("%.1f", f.y1 + 16) + "\" text-anchor=\"middle\">" + tick_label(x) +
           "</text>\n";
  }
  s += "<line x1=\"" + fmt("%.1f", f.x0) + "\" y1=\"" + fmt("%.1f", f.y1) + "\" x2=\"" + fmt("%.1f", f.x1) + "\" y2=\"" +
       fmt("%.1f", f.y1) + "\" stroke=\"#333\"/>\n";
  s += "<line x1=\"" + fmt("%.1f", f.x0) + "\" y1=\"" + fmt("%.1f", f.y0) + "\" x2=\"" + fmt("%.1f", f.x0) + "\" y2=\"" +
       fmt("%.1f", f.y1) + "\" stroke=\"#333\"/>\n";
  s += "<text x=\"" + fmt("%.1f", (f.x0 + f.x1) / 2) + "\" y=\"" + fmt("%.1f", f.y1 + 36) + "\" text-anchor=\"middle\">" + esc(xlabel) +
       "</text>\n";
  s += "<text transform=\"translate(" + fmt("%.1f", f.x0 - 58) + "," + fmt("%.1f", (f.y0 + f.y1) / 2) +
       ") rotate(-90)\" text-anchor=\"middle\">" + esc(ylabel) + "</text>\n";
  return s;
}

std::string svg_open(int w, int h, const std::string& title) {
  return "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + std::to_string(w) + "\" height=\"" + std::to_string(h) +
         "\" font-family=\"sans-serif\" font-size=\"11\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n<text x=\"" +
         std::to_string(w / 2) + "\" y=\"20\" text-anchor=\"middle\" font-size=\"14\">" + esc(title) + "</text>\n";
}

std::string pareto_svg(const Json& report) {
  std::set<int> front;
  for (const Json& p : report["pareto"]) front.insert(p["index"].get<int>());
  double xmax = 0, ymax = 0;
  for (const Json& p : report["points"])
    if (p["feasible"].get<bool>() && !p["total"]["usd"].is_null()) {
      xmax = std::max(xmax, p["total"]["days"].get<double>());
      ymax = std::max(ymax, p["total"]["usd"].get<double>());
    }
  const Frame f{80, 40, 620, 380, 0, xmax > 0 ? xmax * 1.1 : 1, 0, ymax > 0 ? ymax * 1.1 : 1};
  std::string s = svg_open(700, 480, "Hardware points: cost against time-to-train (all jobs)");
  s += draw_axes(f, "time-to-train, days (sum over jobs)", "cost, USD (sum over jobs)", true);
  std::string path;
  for (const Json& p : report["pareto"])
    path += (path.empty() ? "M" : " L") + fmt("%.1f", f.px(p["days"].get<double>())) + "," + fmt("%.1f", f.py(p["usd"].get<double>()));
  if (!path.empty()) s += "<path d=\"" + path + "\" fill=\"none\" stroke=\"#d62728\" stroke-width=\"1.5\"/>\n";
  for (const Json& p : report["points"]) {
    if (!p["feasible"].get<bool>() || p["total"]["usd"].is_null()) continue;
    const int i = p["index"].get<int>();
    const bool on = front.count(i) > 0;
    const double x = f.px(p["total"]["days"].get<double>()), y = f.py(p["total"]["usd"].get<double>());
    s += "<circle cx=\"" + fmt("%.1f", x) + "\" cy=\"" + fmt("%.1f", y) + "\" r=\"" + (on ? "5" : "3.5") + "\" fill=\"" +
         (on ? "#d62728" : "#1f77b4") + "\"><title>" + std::to_string(i) + ": " + esc(p["label"].get<std::string>()) +
         "</title></circle>\n";
    s += "<text x=\"" + fmt("%.1f", x + 6) + "\" y=\"" + fmt("%.1f", y - 4) + "\" font-size=\"9\">" + std::to_string(i) + "</text>\n";
  }
  // Legend: the front's labels.
  double ly = 420;
  s += "<text x=\"80\" y=\"" + fmt("%.0f", ly) + "\" fill=\"#d62728\">Pareto front:</text>\n";
  std::string names;
  for (const Json& p : report["pareto"])
    names += (names.empty() ? "" : "; ") + std::to_string(p["index"].get<int>()) + " " + p["label"].get<std::string>();
  s += "<text x=\"160\" y=\"" + fmt("%.0f", ly) + "\" font-size=\"9\">" + esc(names.substr(0, 160)) + "</text>\n";
  return s + "</svg>\n";
}

std::string axis_svg(const Json& effect, const std::vector<std::string>& jobs) {
  const Json& values = effect["values"];
  const std::string axis = effect["axis"].get<std::string>();
  std::string s = svg_open(900, 440, "Effect of " + axis + " (mean over the other axes)");
  const char* keys[2] = {"mean_days", "mean_usd"};
  const char* names[2] = {"time-to-train, days", "cost, USD"};
  for (int panel = 0; panel < 2; ++panel) {
    double ymax = 0;
    for (const Json& v : values)
      for (const Json& j : v["jobs"])
        if (!j[keys[panel]].is_null()) ymax = std::max(ymax, j[keys[panel]].get<double>());
    const double left = 80 + panel * 440.0;
    const Frame f{left, 50, left + 340, 350, 0, 1, 0, ymax > 0 ? ymax * 1.15 : 1};
    s += draw_axes(f, axis, names[panel], false);
    const double group = (f.x1 - f.x0) / static_cast<double>(values.size());
    const double bar = group * 0.8 / static_cast<double>(std::max<size_t>(1, jobs.size()));
    for (size_t v = 0; v < values.size(); ++v) {
      const double gx = f.x0 + group * static_cast<double>(v) + group * 0.1;
      for (size_t j = 0; j < values[v]["jobs"].size(); ++j) {
        const Json& val = values[v]["jobs"][j][keys[panel]];
        if (val.is_null()) continue;
        const double y = f.py(val.get<double>());
        s += "<rect x=\"" + fmt("%.1f", gx + bar * static_cast<double>(j)) + "\" y=\"" + fmt("%.1f", y) + "\" width=\"" +
             fmt("%.1f", bar * 0.92) + "\" height=\"" + fmt("%.1f", f.y1 - y) + "\" fill=\"" + kPalette[j % 8] + "\"><title>" +
             esc(jobs[j]) + ": " + tick_label(val.get<double>()) + "</title></rect>\n";
      }
      s += "<text x=\"" + fmt("%.1f", gx + group * 0.4) + "\" y=\"" + fmt("%.1f", f.y1 + 16) + "\" text-anchor=\"middle\">" +
           esc(values[v]["value"].get<std::string>()) + "</text>\n";
    }
  }
  for (size_t j = 0; j < jobs.size(); ++j) {
    const double x = 80 + 150.0 * static_cast<double>(j);
    s += "<rect x=\"" + fmt("%.0f", x) + "\" y=\"415\" width=\"10\" height=\"10\" fill=\"" + kPalette[j % 8] + "\"/>\n";
    s += "<text x=\"" + fmt("%.0f", x + 14) + "\" y=\"424\">" + esc(jobs[j]) + "</text>\n";
  }
  return s + "</svg>\n";
}

std::string file_safe(const std::string& s) {
  std::string o;
  for (char c : s) o += std::isalnum(static_cast<unsigned char>(c)) || c == '-' ? c : '_';
  return o;
}

}  // namespace

std::vector<std::pair<std::string, std::string>> chart_svgs(const Json& report) {
  std::vector<std::pair<std::string, std::string>> out;
  out.emplace_back("pareto.svg", pareto_svg(report));
  std::vector<std::string> jobs;
  for (const Json& j : report["sweep"]["jobs"]) jobs.push_back(j["name"].get<std::string>());
  for (const Json& e : report["axis_effects"])
    out.emplace_back("axis-" + file_safe(e["axis"].get<std::string>()) + ".svg", axis_svg(e, jobs));
  return out;
}

std::string write_charts(const Json& report, const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return dir + ": cannot create the folder (" + ec.message() + ")";
  for (const auto& [name, svg] : chart_svgs(report)) {
    const auto path = std::filesystem::path(dir) / name;
    std::ofstream out(path);
    out << svg;
    if (!out) return path.string() + ": cannot write";
  }
  return {};
}

}  // namespace trainplan::sweep
