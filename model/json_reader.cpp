#include "model/json_reader.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <vector>

namespace trainplan {

namespace {

// JSON pointer escaping (RFC 6901 §3).
std::string escape_pointer(std::string_view key) {
  std::string out;
  for (char c : key) {
    if (c == '~')
      out += "~0";
    else if (c == '/')
      out += "~1";
    else
      out += c;
  }
  return out;
}

// Splits "3.35TB/s" into 3.35 and "TB/s". Rejects negatives, NaN and missing units.
std::optional<std::pair<double, std::string>> split_number_unit(std::string_view text) {
  size_t i = 0;
  while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
  size_t start = i;
  while (i < text.size() && (std::isdigit(static_cast<unsigned char>(text[i])) || text[i] == '.' || text[i] == 'e' || text[i] == 'E' ||
                             text[i] == '+' || text[i] == '-')) {
    // An 'e' followed by a letter other than a digit/sign is the start of a unit (e.g. "eflops" is not used).
    if ((text[i] == 'e' || text[i] == 'E') &&
        (i + 1 >= text.size() || !(std::isdigit(static_cast<unsigned char>(text[i + 1])) || text[i + 1] == '-' || text[i + 1] == '+')))
      break;
    ++i;
  }
  if (i == start) return std::nullopt;
  double v = 0;
  std::string num(text.substr(start, i - start));
  try {
    size_t used = 0;
    v = std::stod(num, &used);
    if (used != num.size()) return std::nullopt;
  } catch (...) {
    return std::nullopt;
  }
  if (!std::isfinite(v)) return std::nullopt;
  while (i < text.size() && text[i] == ' ') ++i;
  std::string unit(text.substr(i));
  while (!unit.empty() && unit.back() == ' ') unit.pop_back();
  if (unit.empty()) return std::nullopt;
  return std::make_pair(v, unit);
}

double decimal_prefix(char c) {
  switch (c) {
    case 'k':
    case 'K': return 1e3;
    case 'M': return 1e6;
    case 'G': return 1e9;
    case 'T': return 1e12;
    case 'P': return 1e15;
    case 'E': return 1e18;
    default: return 0;
  }
}

double binary_prefix(char c) {
  switch (c) {
    case 'K': return 1024.0;
    case 'M': return 1048576.0;
    case 'G': return 1073741824.0;
    case 'T': return 1099511627776.0;
    case 'P': return 1125899906842624.0;
    default: return 0;
  }
}

// Scale of a byte unit: "B", "KB", "MiB", ... (decimal or binary prefixes).
std::optional<double> byte_scale(std::string_view u) {
  if (u == "B") return 1.0;
  if (u.size() == 2 && u[1] == 'B') {
    double p = decimal_prefix(u[0]);
    if (p > 0) return p;
  }
  if (u.size() == 3 && u[1] == 'i' && u[2] == 'B') {
    double p = binary_prefix(u[0]);
    if (p > 0) return p;
  }
  return std::nullopt;
}

// A value that overflowed to infinity while scaling by its unit ("1e305days") is not a quantity.
template <class Q>
std::optional<Q> finite(Q q) {
  if (!std::isfinite(q.si())) return std::nullopt;
  return q;
}

}  // namespace

Node Node::at(std::string_view key) const {
  const Json* child = nullptr;
  if (json && json->is_object()) {
    auto it = json->find(std::string(key));
    if (it != json->end()) child = &*it;
  }
  return Node{child, file, pointer + "/" + escape_pointer(key), diag};
}

Node Node::at_path(std::string_view path) const {
  Node n = *this;
  for (size_t from = 0; from <= path.size();) {
    const size_t slash = std::min(path.find('/', from), path.size());
    n = n.at(path.substr(from, slash - from));
    from = slash + 1;
  }
  return n;
}

Node Node::at(size_t index) const {
  const Json* child = (json && json->is_array() && index < json->size()) ? &(*json)[index] : nullptr;
  return Node{child, file, pointer + "/" + std::to_string(index), diag};
}

double round_significant(double v, int digits) {
  if (!std::isfinite(v) || v == 0) return 0.0;
  const double mag = std::pow(10.0, digits - static_cast<int>(std::ceil(std::log10(std::fabs(v)))));
  return std::round(v * mag) / mag;
}

double round_decimals(double v, int decimals) {
  if (!std::isfinite(v)) return 0.0;
  const double mag = std::pow(10.0, decimals);
  return std::round(v * mag) / mag;
}

std::string describe(const Json& j) {
  std::string s = j.dump();
  if (s.size() > 60) s = s.substr(0, 57) + "...";
  return s;
}

std::string join_names(const std::vector<std::string>& names) {
  std::string out;
  for (size_t i = 0; i < names.size(); ++i) out += (i ? ", " : "") + names[i];
  return out;
}

std::optional<Bytes> parse_bytes(std::string_view text) {
  auto nu = split_number_unit(text);
  if (!nu || nu->first < 0) return std::nullopt;
  auto scale = byte_scale(nu->second);
  if (!scale) return std::nullopt;
  return finite(Bytes::from_si(nu->first * *scale));
}

std::optional<BytesPerSecond> parse_rate(std::string_view text) {
  auto nu = split_number_unit(text);
  if (!nu || nu->first < 0) return std::nullopt;
  std::string u = nu->second;
  // Bytes per second: "GB/s", "GBps", "GiB/s", "GiBps", "B/s".
  for (std::string_view suffix : {"/s", "ps"}) {
    if (u.size() > suffix.size() && u.compare(u.size() - suffix.size(), suffix.size(), suffix) == 0) {
      std::string base = u.substr(0, u.size() - suffix.size());
      if (auto sc = byte_scale(base)) return finite(BytesPerSecond::from_si(nu->first * *sc));
    }
  }
  // Bits per second: "Gbps", "Gb/s", "bps".
  for (std::string_view suffix : {"bps", "b/s", "bit/s"}) {
    if (u.size() >= suffix.size() && u.compare(u.size() - suffix.size(), suffix.size(), suffix) == 0) {
      std::string prefix = u.substr(0, u.size() - suffix.size());
      double p = prefix.empty() ? 1.0 : (prefix.size() == 1 ? decimal_prefix(prefix[0]) : 0.0);
      if (p > 0) return finite(BytesPerSecond::from_si(nu->first * p / 8.0));
    }
  }
  return std::nullopt;
}

std::optional<Seconds> parse_time(std::string_view text) {
  auto nu = split_number_unit(text);
  if (!nu || nu->first < 0) return std::nullopt;
  const std::string& u = nu->second;
  double k = 0;
  if (u == "s")
    k = 1;
  else if (u == "ms")
    k = 1e-3;
  else if (u == "us" || u == "\xC2\xB5s")
    k = 1e-6;
  else if (u == "ns")
    k = 1e-9;
  else if (u == "ps")
    k = 1e-12;
  else if (u == "min")
    k = 60;
  else if (u == "h")
    k = 3600;
  else if (u == "d" || u == "days")
    k = 86400;
  else
    return std::nullopt;
  return finite(Seconds::from_si(nu->first * k));
}

std::optional<FlopsPerSecond> parse_flops_rate(std::string_view text) {
  auto nu = split_number_unit(text);
  if (!nu || nu->first < 0) return std::nullopt;
  std::string u = nu->second;
  for (std::string_view suffix : {"FLOPS", "FLOP/s", "flops", "flop/s", "Flops"}) {
    if (u.size() >= suffix.size() && u.compare(u.size() - suffix.size(), suffix.size(), suffix) == 0) {
      std::string prefix = u.substr(0, u.size() - suffix.size());
      double p = prefix.empty() ? 1.0 : (prefix.size() == 1 ? decimal_prefix(prefix[0]) : 0.0);
      if (p > 0) return finite(FlopsPerSecond::from_si(nu->first * p));
    }
  }
  return std::nullopt;
}

std::optional<Watts> parse_power(std::string_view text) {
  auto nu = split_number_unit(text);
  if (!nu || nu->first < 0) return std::nullopt;
  if (nu->second == "W") return W(nu->first);
  if (nu->second == "kW") return finite(W(nu->first * 1e3));
  return std::nullopt;
}

std::optional<double> parse_usd_per_hour(std::string_view text) {
  auto nu = split_number_unit(text);
  if (!nu || nu->first < 0) return std::nullopt;
  if (nu->second == "USD/h" || nu->second == "$/h") return nu->first;
  return std::nullopt;
}

ObjectReader::ObjectReader(Node node) : node_(std::move(node)) {
  if (!node_.json) {
    if (!node_.missing_reported) node_.error("missing required object");
  } else if (!node_.json->is_object()) {
    node_.error("expected an object (got " + describe(*node_.json) + ")");
  } else {
    valid_ = true;
  }
}

bool ObjectReader::has(std::string_view key) const {
  return valid_ && node_.json->contains(std::string(key)) && !(*node_.json)[std::string(key)].is_null();
}

std::optional<Node> ObjectReader::child(std::string_view key) {
  read_.insert(std::string(key));
  if (!has(key)) return std::nullopt;
  return node_.at(key);
}

Node ObjectReader::required_child(std::string_view key) {
  auto c = child(key);
  if (c) return *c;
  Node missing = node_.at(key);
  if (valid_) missing.error("missing required key");
  missing.missing_reported = true;
  return missing;
}

std::string ObjectReader::string(std::string_view key) {
  auto c = child(key);
  if (!c) {
    if (valid_) node_.at(key).error("missing required key; expected a string");
    return {};
  }
  if (!c->json->is_string() || c->json->get<std::string>().empty()) {
    c->error("expected a non-empty string (got " + describe(*c->json) + ")");
    return {};
  }
  return c->json->get<std::string>();
}

std::string ObjectReader::string(std::string_view key, std::string fallback) {
  if (!has(key)) {
    read_.insert(std::string(key));
    return fallback;
  }
  return string(key);
}

namespace {
std::optional<long long> as_integer(const Json& j) {
  if (j.is_number_integer()) return j.get<long long>();
  if (j.is_number_unsigned()) {
    auto u = j.get<unsigned long long>();
    if (u > static_cast<unsigned long long>(INT32_MAX)) return static_cast<long long>(INT32_MAX) + 1;
    return static_cast<long long>(u);
  }
  if (j.is_number_float()) {
    double d = j.get<double>();
    if (std::isfinite(d) && d == std::floor(d) && std::fabs(d) < 9e15) return static_cast<long long>(d);
  }
  return std::nullopt;
}
}  // namespace

int ObjectReader::integer(std::string_view key, long long min) {
  auto c = child(key);
  if (!c) {
    if (valid_) node_.at(key).error("missing required key; expected an integer >= " + std::to_string(min));
    return static_cast<int>(std::max<long long>(min, 1));
  }
  auto v = as_integer(*c->json);
  if (!v || *v < min || *v > INT32_MAX) {
    c->error("expected an integer >= " + std::to_string(min) + " and <= " + std::to_string(INT32_MAX) + " (got " + describe(*c->json) +
             ")");
    return static_cast<int>(std::max<long long>(min, 1));
  }
  return static_cast<int>(*v);
}

int ObjectReader::integer(std::string_view key, int fallback, long long min) {
  if (!has(key)) {
    read_.insert(std::string(key));
    return fallback;
  }
  return integer(key, min);
}

std::optional<int> ObjectReader::optional_integer(std::string_view key, long long min) {
  if (!has(key)) {
    read_.insert(std::string(key));
    return std::nullopt;
  }
  return integer(key, min);
}

double ObjectReader::number(std::string_view key, double min, double max) {
  auto c = child(key);
  auto expected = "expected a number in [" + Json(min).dump() + ", " + Json(max).dump() + "]";
  if (!c) {
    if (valid_) node_.at(key).error("missing required key; " + expected);
    return min;
  }
  if (!c->json->is_number() || !std::isfinite(c->json->get<double>()) || c->json->get<double>() < min || c->json->get<double>() > max) {
    c->error(expected + " (got " + describe(*c->json) + ")");
    return min;
  }
  return c->json->get<double>();
}

double ObjectReader::number(std::string_view key, double fallback, double min, double max) {
  if (!has(key)) {
    read_.insert(std::string(key));
    return fallback;
  }
  return number(key, min, max);
}

bool ObjectReader::boolean(std::string_view key) {
  auto c = child(key);
  if (!c) {
    if (valid_) node_.at(key).error("missing required key; expected true or false");
    return false;
  }
  if (!c->json->is_boolean()) {
    c->error("expected true or false (got " + describe(*c->json) + ")");
    return false;
  }
  return c->json->get<bool>();
}

bool ObjectReader::boolean(std::string_view key, bool fallback) {
  if (!has(key)) {
    read_.insert(std::string(key));
    return fallback;
  }
  return boolean(key);
}

namespace {

// The span a non-zero quantity of each kind must lie in: several orders of magnitude around any
// hardware or run (a GPU's 80 GiB and 3.35 TB/s, a 1 Gb/s NIC, 1 ns and 100-year spans,
// 1 MFLOP/s to 1 ZFLOP/s, 1 mW to 1 GW). Outside it a value is a typo, and the evaluated step
// times stop being finite (1e-300 TB/s gave a 1e300 s step, other values NaN).
struct Span {
  double lo, hi;     // SI
  const char* text;  // "between 1 KiB and 1 EiB"
};
constexpr Span kSizeSpan{1024.0, 1152921504606846976.0, "between 1 KiB and 1 EiB"};
constexpr Span kRateSpan{1e3, 1e18, "between 1 kB/s and 1 EB/s"};
constexpr Span kTimeSpan{1e-12, 1e10, "between 1 ps and 1e10 s (317 years)"};
constexpr Span kFlopsSpan{1e6, 1e21, "between 1 MFLOP/s and 1 ZFLOP/s"};
constexpr Span kPowerSpan{1e-3, 1e9, "between 1 mW and 1 GW"};

template <class Q, class Parse>
std::optional<Q> read_unit(ObjectReader& r, std::string_view key, bool required, const char* what, const char* example, Parse parse,
                           bool positive, const Span& span) {
  auto c = r.child(key);
  if (!c) {
    if (required && r.valid())
      r.node().at(key).error(std::string("missing required key; expected ") + what + " such as \"" + example + "\"");
    return std::nullopt;
  }
  std::optional<Q> v;
  if (c->json->is_string()) v = parse(c->json->template get<std::string>());
  if (!v || (positive && v->si() <= 0)) {
    c->error(std::string("expected ") + (positive ? "a positive " : "a ") + what + " with a unit such as \"" + example + "\" (got " +
             describe(*c->json) + ")");
    return std::nullopt;
  }
  if (v->si() != 0 && !(std::fabs(v->si()) >= span.lo && std::fabs(v->si()) <= span.hi)) {
    c->error(std::string("expected a ") + what + " " + span.text + " (got " + describe(*c->json) + "): no hardware or run is near it");
    return std::nullopt;
  }
  return v;
}
}  // namespace

Bytes ObjectReader::bytes(std::string_view key) {
  return read_unit<Bytes>(*this, key, true, "size", "80GiB", parse_bytes, true, kSizeSpan).value_or(GiB(1));
}
std::optional<Bytes> ObjectReader::optional_bytes(std::string_view key) {
  return read_unit<Bytes>(*this, key, false, "size", "80GiB", parse_bytes, false, kSizeSpan);
}
BytesPerSecond ObjectReader::rate(std::string_view key) {
  return read_unit<BytesPerSecond>(*this, key, true, "rate", "400Gbps", parse_rate, true, kRateSpan).value_or(GBps(1));
}
std::optional<BytesPerSecond> ObjectReader::optional_rate(std::string_view key) {
  return read_unit<BytesPerSecond>(*this, key, false, "rate", "400Gbps", parse_rate, true, kRateSpan);
}
Seconds ObjectReader::time(std::string_view key) {
  return read_unit<Seconds>(*this, key, true, "duration", "2us", parse_time, false, kTimeSpan).value_or(Seconds{});
}
Seconds ObjectReader::time(std::string_view key, Seconds fallback) {
  if (!has(key)) {
    child(key);
    return fallback;
  }
  return time(key);
}
FlopsPerSecond ObjectReader::flops_rate(std::string_view key) {
  return read_unit<FlopsPerSecond>(*this, key, true, "compute rate", "989TFLOPS", parse_flops_rate, true, kFlopsSpan).value_or(TFLOPS(1));
}
std::optional<FlopsPerSecond> ObjectReader::optional_flops_rate(std::string_view key) {
  return read_unit<FlopsPerSecond>(*this, key, false, "compute rate", "989TFLOPS", parse_flops_rate, true, kFlopsSpan);
}
std::optional<Watts> ObjectReader::optional_power(std::string_view key) {
  return read_unit<Watts>(*this, key, false, "power", "700W", parse_power, true, kPowerSpan);
}
std::optional<double> ObjectReader::optional_price(std::string_view key) {
  auto c = child(key);
  if (!c) return std::nullopt;
  std::optional<double> v;
  if (c->json->is_string()) v = parse_usd_per_hour(c->json->get<std::string>());
  if (!v) c->error("expected a price with a unit such as \"2.50USD/h\" (got " + describe(*c->json) + ")");
  return v;
}

void ObjectReader::finish() {
  if (!valid_) return;
  for (auto it = node_.json->begin(); it != node_.json->end(); ++it) {
    if (read_.count(it.key()) == 0 && it.key() != "source" && it.key() != "comment" && it.key() != "$schema")
      node_.at(it.key()).error("unknown key");
  }
}

namespace {

// Brackets nested deeper than this are refused before parsing: the parsed value's destructor and
// dump() recurse, and 100,000 levels overflowed the stack.
constexpr int kMaxJsonDepth = 256;
// Larger inputs are refused (a spec is kilobytes; /dev/zero would read forever).
constexpr std::streamsize kMaxJsonBytes = 64LL << 20;

// The deepest bracket nesting of a JSON text, outside strings.
int json_depth(const std::string& text) {
  int depth = 0, deepest = 0;
  bool in_string = false, escaped = false;
  for (char c : text) {
    if (in_string) {
      if (escaped)
        escaped = false;
      else if (c == '\\')
        escaped = true;
      else if (c == '"')
        in_string = false;
      continue;
    }
    if (c == '"')
      in_string = true;
    else if (c == '[' || c == '{')
      deepest = std::max(deepest, ++depth);
    else if (c == ']' || c == '}')
      --depth;
  }
  return deepest;
}

}  // namespace

std::optional<Json> parse_json_text(const std::string& text, const std::string& path, Diagnostics& diag) {
  if (json_depth(text) > kMaxJsonDepth) {
    diag.add(path, "", "nested deeper than " + std::to_string(kMaxJsonDepth) + " levels; expected a JSON spec");
    return std::nullopt;
  }
  // Duplicate keys are an error (nlohmann keeps the last one silently): one key set per open object.
  std::vector<std::set<std::string>> keys;
  std::vector<std::string> duplicates;
  auto callback = [&](int, Json::parse_event_t event, Json& parsed) {
    if (event == Json::parse_event_t::object_start)
      keys.emplace_back();
    else if (event == Json::parse_event_t::object_end && !keys.empty())
      keys.pop_back();
    else if (event == Json::parse_event_t::key && !keys.empty() && parsed.is_string() &&
             !keys.back().insert(parsed.get<std::string>()).second)
      duplicates.push_back(parsed.get<std::string>());
    return true;
  };
  try {
    Json doc = Json::parse(text, callback);
    for (const auto& k : duplicates) diag.add(path, "", "duplicate key \"" + k + "\"; expected each key once in an object");
    if (!duplicates.empty()) return std::nullopt;
    return doc;
  } catch (const Json::exception& e) {  // parse_error, and out_of_range for numbers such as 1e400
    diag.add(path, "", std::string("not valid JSON: ") + e.what());
    return std::nullopt;
  }
}

std::optional<Json> load_json_file(const std::string& path, Diagnostics& diag) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    diag.add(path, "", "is a directory; expected a JSON file");
    return std::nullopt;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    diag.add(path, "", "cannot open file");
    return std::nullopt;
  }
  std::string text;
  char chunk[1 << 16];
  while (static_cast<std::streamsize>(text.size()) <= kMaxJsonBytes && (in.read(chunk, sizeof chunk) || in.gcount() > 0))
    text.append(chunk, static_cast<size_t>(in.gcount()));
  if (static_cast<std::streamsize>(text.size()) > kMaxJsonBytes) {
    diag.add(path, "", "larger than " + std::to_string(kMaxJsonBytes >> 20) + " MiB; expected a JSON spec");
    return std::nullopt;
  }
  return parse_json_text(text, path, diag);
}

}  // namespace trainplan
