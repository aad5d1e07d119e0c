// Reading specs from JSON with every problem reported at its place.
//
// Every reader carries the file name and a JSON pointer; problems are collected in one pass
// (Diagnostics) and printed together by the CLI, which then exits with status 2:
//   cluster.json:/node/nics/rate: expected a rate with a unit such as "400Gbps" (got -1)
//
//   Diagnostics diag;
//   ObjectReader r(Node{json, "gpu.json", "", &diag});
//   Bytes hbm = r.bytes("memory");            // required
//   int n = r.integer("count", 1, /*min=*/1); // optional with its declared default
//   r.finish();                               // unknown keys are errors too
#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "model/units.hpp"

namespace trainplan {

using Json = nlohmann::json;

struct Diagnostic {
  std::string file;
  std::string pointer;
  std::string message;
  [[nodiscard]] std::string to_string() const { return file + ":" + (pointer.empty() ? "/" : pointer) + ": " + message; }
};

class Diagnostics {
 public:
  void add(std::string file, std::string pointer, std::string message) {
    items_.push_back({std::move(file), std::move(pointer), std::move(message)});
  }
  [[nodiscard]] bool ok() const { return items_.empty(); }
  [[nodiscard]] const std::vector<Diagnostic>& items() const { return items_; }
  void append(const Diagnostics& o) { items_.insert(items_.end(), o.items_.begin(), o.items_.end()); }

 private:
  std::vector<Diagnostic> items_;
};

// A place in a JSON document.
struct Node {
  const Json* json = nullptr;
  std::string file;
  std::string pointer;
  Diagnostics* diag = nullptr;
  // Set on the node ObjectReader::required_child returns for a missing key, once it has said so;
  // the child's own reader then does not report the same absence again.
  bool missing_reported = false;

  [[nodiscard]] Node at(std::string_view key) const;
  [[nodiscard]] Node at(size_t index) const;
  // The node at a '/'-separated path of keys below this one ("offload/params/fraction").
  [[nodiscard]] Node at_path(std::string_view path) const;
  void error(const std::string& message) const { diag->add(file, pointer, message); }
};

// Short text of a JSON value for "(got ...)" in messages.
std::string describe(const Json& j);

// Numbers for output JSON: rounded so that outputs are byte-identical across platforms and
// readable, and never NaN or infinity (those become 0).
double round_significant(double v, int digits);
double round_decimals(double v, int decimals);

// Unit parsing: "80GiB", "3.35TB/s", "400Gbps", "2us", "989TFLOPS", "700W", "2.5USD/h".
// Returns nullopt when the text is not a number followed by a unit of that kind.
std::optional<Bytes> parse_bytes(std::string_view text);
std::optional<BytesPerSecond> parse_rate(std::string_view text);
std::optional<Seconds> parse_time(std::string_view text);
std::optional<FlopsPerSecond> parse_flops_rate(std::string_view text);
std::optional<Watts> parse_power(std::string_view text);
std::optional<double> parse_usd_per_hour(std::string_view text);

// Reads one JSON object strictly: each key read is remembered, finish() reports the rest.
class ObjectReader {
 public:
  explicit ObjectReader(Node node);

  [[nodiscard]] bool valid() const { return valid_; }
  [[nodiscard]] bool has(std::string_view key) const;
  [[nodiscard]] Node node() const { return node_; }
  // The child node, marking the key as known (nullopt when absent).
  std::optional<Node> child(std::string_view key);
  Node required_child(std::string_view key);

  std::string string(std::string_view key);
  std::string string(std::string_view key, std::string fallback);
  int integer(std::string_view key, long long min = 1);
  int integer(std::string_view key, int fallback, long long min);
  std::optional<int> optional_integer(std::string_view key, long long min = 1);
  double number(std::string_view key, double min, double max);
  double number(std::string_view key, double fallback, double min, double max);
  bool boolean(std::string_view key);
  bool boolean(std::string_view key, bool fallback);
  Bytes bytes(std::string_view key);
  std::optional<Bytes> optional_bytes(std::string_view key);
  BytesPerSecond rate(std::string_view key);
  std::optional<BytesPerSecond> optional_rate(std::string_view key);
  Seconds time(std::string_view key);
  Seconds time(std::string_view key, Seconds fallback);
  FlopsPerSecond flops_rate(std::string_view key);
  std::optional<FlopsPerSecond> optional_flops_rate(std::string_view key);
  std::optional<Watts> optional_power(std::string_view key);
  std::optional<double> optional_price(std::string_view key);

  // One of a closed set of names; reports "expected one of ...".
  template <class Enum>
  Enum choice(std::string_view key, const std::vector<std::pair<std::string, Enum>>& names, std::optional<Enum> fallback = std::nullopt);

  // Reports every key that was not read.
  void finish();

 private:
  Node node_;
  bool valid_ = false;
  std::set<std::string, std::less<>> read_;
};

std::string join_names(const std::vector<std::string>& names);

template <class Enum>
Enum ObjectReader::choice(std::string_view key, const std::vector<std::pair<std::string, Enum>>& names, std::optional<Enum> fallback) {
  std::vector<std::string> all;
  for (const auto& [n, e] : names) all.push_back("\"" + n + "\"");
  auto c = child(key);
  const Enum first = names.front().second;
  if (!c) {
    if (fallback) return *fallback;
    node_.at(key).error("missing required key; expected one of " + join_names(all));
    return first;
  }
  const Json& j = *c->json;
  std::string text;
  if (j.is_string())
    text = j.get<std::string>();
  else if (j.is_number_integer())
    text = std::to_string(j.get<long long>());
  for (const auto& [n, e] : names)
    if (!text.empty() && n == text) return e;
  c->error("expected one of " + join_names(all) + " (got " + describe(j) + ")");
  return fallback.value_or(first);
}

// Loads a JSON file; on failure adds a diagnostic and returns nullopt. Refused with a message: a
// directory, more than 64 MiB, brackets nested deeper than 256, a key twice in one object.
std::optional<Json> load_json_file(const std::string& path, Diagnostics& diag);
// The same checks on a text already read (`path` names it in messages).
std::optional<Json> parse_json_text(const std::string& text, const std::string& path, Diagnostics& diag);

}  // namespace trainplan
