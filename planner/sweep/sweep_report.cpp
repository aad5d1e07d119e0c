#include "planner/sweep/sweep_report.hpp"

#include <algorithm>
#include <cstdio>
#include <set>
#include <string>

#include "planner/search/objective.hpp"
#include "planner/sweep/sweep_pareto.hpp"
#include "planner/sweep/sweep_run.hpp"

namespace trainplan::sweep {

namespace {

Json describe_sweep(const SweepSpec& spec) {
  Json s;
  s["file"] = spec.file;
  s["description"] = spec.description;
  s["objective"] = planner::objective_name(spec.objective);
  s["whole_cluster"] = spec.whole_cluster;
  Json jobs = Json::array();
  for (const auto& j : spec.jobs) {
    Json o{{"name", j.name},
           {"model", j.model.name},
           {"global_batch", j.training.global_batch},
           {"sequence_length", j.training.sequence_length},
           {"precision", precision_name(j.training.precision)},
           {"token_budget", j.training.token_budget}};
    o["deadline_days"] = j.training.deadline_days > 0 ? Json(round6(j.training.deadline_days)) : Json(nullptr);
    jobs.push_back(o);
  }
  s["jobs"] = jobs;
  Json axes = Json::array();
  for (const auto& a : spec.axes) {
    Json values = Json::array();
    for (const auto& v : a.values) values.push_back(v.label);
    axes.push_back({{"axis", a.name}, {"values", values}});
  }
  s["axes"] = axes;
  s["points"] = spec.points.size();
  return s;
}

Json axis_effects(const SweepSpec& spec, const std::vector<Json>& points) {
  Json out = Json::array();
  for (size_t a = 0; a < spec.axes.size(); ++a) {
    const Axis& axis = spec.axes[a];
    if (axis.values.size() < 2) continue;
    Json values = Json::array();
    for (size_t v = 0; v < axis.values.size(); ++v) {
      Json jobs = Json::array();
      for (size_t j = 0; j < spec.jobs.size(); ++j) {
        int n = 0, n_usd = 0;
        double days = 0, usd = 0, tps = 0;
        for (const Json& p : points) {
          if (spec.points.at(p["index"].get<size_t>()).values[a] != static_cast<int>(v)) continue;
          const Json& r = p["jobs"][j];
          if (!r["feasible"].get<bool>()) continue;
          ++n;
          days += r["days"].get<double>();
          tps += r["tokens_per_s"].get<double>();
          if (!r["usd"].is_null()) {
            ++n_usd;
            usd += r["usd"].get<double>();
          }
        }
        Json e{{"job", spec.jobs[j].name}, {"points", n}};
        e["mean_days"] = n > 0 ? Json(round6(days / n)) : Json(nullptr);
        e["mean_usd"] = n_usd > 0 ? Json(round6(usd / n_usd)) : Json(nullptr);
        e["mean_tokens_per_s"] = n > 0 ? Json(round6(tps / n)) : Json(nullptr);
        jobs.push_back(e);
      }
      values.push_back({{"value", axis.values[v].label}, {"jobs", jobs}});
    }
    out.push_back({{"axis", axis.name}, {"values", values}});
  }
  return out;
}

std::string plan_text(const Json& plan) {
  std::string s = "tp" + std::to_string(plan["tp"].get<int>()) + " pp" + std::to_string(plan["pp"].get<int>()) + " dp" +
                  std::to_string(plan["dp"].get<int>());
  if (plan["cp"].get<int>() > 1) s += " cp" + std::to_string(plan["cp"].get<int>());
  if (plan["ep"].get<int>() > 1) s += " ep" + std::to_string(plan["ep"].get<int>());
  if (plan["virtual_stages"].get<int>() > 1) s += " v" + std::to_string(plan["virtual_stages"].get<int>());
  s += " z" + plan["zero"].get<std::string>() + " mb" + std::to_string(plan["micro_batch"].get<int>());
  const std::string rc = plan["recompute"].get<std::string>();
  if (rc != "none") s += " rc-" + rc;
  return s;
}

std::string num(const Json& v, const char* fmt) {
  if (v.is_null()) return "-";
  char buf[64];
  std::snprintf(buf, sizeof buf, fmt, v.get<double>());
  return buf;
}

// CSV field: quoted when it holds a comma or a quote.
std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string q = "\"";
  for (char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
  return q + "\"";
}

}  // namespace

Json sweep_report(const SweepSpec& spec, std::vector<Json> points) {
  std::vector<ParetoInput> inputs;
  for (const Json& p : points)
    if (p["feasible"].get<bool>() && !p["total"]["usd"].is_null())
      inputs.push_back({p["index"].get<int>(), p["total"]["days"].get<double>(), p["total"]["usd"].get<double>()});
  Json pareto = Json::array();
  for (int i : pareto_front(inputs)) {
    const Json& p = points.at(static_cast<size_t>(i));
    pareto.push_back({{"index", i},
                      {"label", p["label"]},
                      {"days", p["total"]["days"]},
                      {"usd", p["total"]["usd"]},
                      {"energy_mwh", p["total"]["energy_mwh"]}});
  }
  Json r;
  r["sweep"] = describe_sweep(spec);
  r["axis_effects"] = axis_effects(spec, points);
  r["points"] = std::move(points);
  r["pareto"] = pareto;
  return r;
}

bool any_feasible(const Json& report) {
  for (const Json& p : report["points"])
    if (p["feasible"].get<bool>()) return true;
  return false;
}

void print_table(const Json& report, std::ostream& out) {
  const Json& s = report["sweep"];
  char line[1024];
  if (!s["description"].get<std::string>().empty()) out << s["description"].get<std::string>() << "\n";
  std::snprintf(line, sizeof line, "%zu hardware points x %zu jobs, best plan by %s%s\n", report["points"].size(), s["jobs"].size(),
                s["objective"].get<std::string>().c_str(), s["whole_cluster"].get<bool>() ? " on the whole cluster" : "");
  out << line;
  std::set<int> front;
  for (const Json& p : report["pareto"]) front.insert(p["index"].get<int>());
  int w = 8;  // the hardware column fits the longest label
  for (const Json& p : report["points"]) w = std::max(w, static_cast<int>(p["label"].get<std::string>().size()));
  w = std::min(w, 200);
  std::snprintf(line, sizeof line, "%-5s %-*s %-12s %6s %-26s %11s %6s %8s %9s %12s %9s\n", "point", w, "hardware", "job", "gpus", "plan",
                "tokens/s", "mfu%", "goodput%", "days", "USD", "MWh");
  out << line;
  for (const Json& p : report["points"]) {
    const std::string mark = front.count(p["index"].get<int>()) ? "*" : " ";
    bool first = true;
    for (const Json& j : p["jobs"]) {
      const std::string idx = first ? std::to_string(p["index"].get<int>()) + mark : "";
      const std::string hw = first ? p["label"].get<std::string>() : "";
      if (!j["feasible"].get<bool>()) {
        std::snprintf(line, sizeof line, "%-5s %-*s %-12s %6s %s\n", idx.c_str(), w, hw.c_str(), j["job"].get<std::string>().c_str(), "-",
                      j["reason"].get<std::string>().c_str());
      } else {
        std::snprintf(line, sizeof line, "%-5s %-*s %-12s %6d %-26s %11.0f %6.1f %8.1f %9.2f %12s %9s\n", idx.c_str(), w, hw.c_str(),
                      j["job"].get<std::string>().c_str(), j["gpus"].get<int>(), plan_text(j["plan"]).c_str(),
                      j["tokens_per_s"].get<double>(), j["mfu_pct"].get<double>(), 100 * j["goodput"]["fraction"].get<double>(),
                      j["days"].get<double>(), num(j["usd"], "%.0f").c_str(), num(j["energy_mwh"], "%.1f").c_str());
      }
      out << line;
      first = false;
    }
  }
  out << "pareto front (cost against time-to-train, * above), fastest first:\n";
  for (const Json& p : report["pareto"]) {
    std::snprintf(line, sizeof line, "  point %-4d %-*s %9.2f days %12s USD %9s MWh\n", p["index"].get<int>(), w,
                  p["label"].get<std::string>().c_str(), p["days"].get<double>(), num(p["usd"], "%.0f").c_str(),
                  num(p["energy_mwh"], "%.1f").c_str());
    out << line;
  }
  if (report["pareto"].empty()) out << "  (no point runs every job with a known cost)\n";
  if (!report["axis_effects"].empty()) out << "axis effects (mean over the points holding the value):\n";
  for (const Json& a : report["axis_effects"]) {
    for (const Json& v : a["values"]) {
      for (const Json& j : v["jobs"]) {
        std::snprintf(line, sizeof line, "  %-18s %-28s %-12s %9s days %12s USD %11s tokens/s\n", a["axis"].get<std::string>().c_str(),
                      v["value"].get<std::string>().c_str(), j["job"].get<std::string>().c_str(), num(j["mean_days"], "%.2f").c_str(),
                      num(j["mean_usd"], "%.0f").c_str(), num(j["mean_tokens_per_s"], "%.0f").c_str());
        out << line;
      }
    }
  }
}

void write_csv(const Json& report, std::ostream& out) {
  std::set<int> front;
  for (const Json& p : report["pareto"]) front.insert(p["index"].get<int>());
  out << "point,label,cluster,gpu,nodes,gpus,nics_per_node,nic_rate_gbps,scale_up_domain,topology,oversubscription,host_memory_gib,"
         "nvme_tb,price_usd_per_gpu_hour,job,feasible,reason,plan_gpus,tp,pp,dp,cp,ep,virtual_stages,zero,micro_batch,recompute,"
         "tokens_per_s,step_time_s,mfu_pct,goodput,days,usd,energy_mwh,on_pareto_front\n";
  auto v = [](const Json& j) { return j.is_null() ? std::string() : (j.is_string() ? j.get<std::string>() : j.dump()); };
  for (const Json& p : report["points"]) {
    const Json& h = p["hardware"];
    std::string head = std::to_string(p["index"].get<int>()) + "," + csv_field(p["label"].get<std::string>());
    for (const char* k : {"cluster", "gpu", "nodes", "gpus", "nics_per_node", "nic_rate_gbps", "scale_up_domain", "topology",
                          "oversubscription", "host_memory_gib", "nvme_tb", "price_usd_per_gpu_hour"})
      head.append(",").append(csv_field(v(h[k])));
    for (const Json& j : p["jobs"]) {
      out << head << "," << csv_field(j["job"].get<std::string>()) << "," << (j["feasible"].get<bool>() ? "true" : "false") << ","
          << csv_field(v(j["reason"]));
      if (j["feasible"].get<bool>()) {
        const Json& pl = j["plan"];
        out << "," << j["gpus"] << "," << pl["tp"] << "," << pl["pp"] << "," << pl["dp"] << "," << pl["cp"] << "," << pl["ep"] << ","
            << pl["virtual_stages"] << "," << v(pl["zero"]) << "," << pl["micro_batch"] << "," << v(pl["recompute"]) << ","
            << v(j["tokens_per_s"]) << "," << v(j["step_time_s"]) << "," << v(j["mfu_pct"]) << "," << v(j["goodput"]["fraction"]) << ","
            << v(j["days"]) << "," << v(j["usd"]) << "," << v(j["energy_mwh"]);
      } else {
        out << ",,,,,,,,,,,,,,,,,";
      }
      out << "," << (front.count(p["index"].get<int>()) ? "true" : "false") << "\n";
    }
  }
}

}  // namespace trainplan::sweep
