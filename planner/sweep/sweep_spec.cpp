#include "planner/sweep/sweep_spec.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <set>

namespace trainplan::sweep {

std::string SweepSpec::label(const HardwarePoint& p) const {
  std::string out;
  for (size_t a = 0; a < axes.size(); ++a) {
    if (axes[a].values.size() < 2) continue;
    if (!out.empty()) out += " ";
    out += axes[a].name + "=" + axes[a].values[p.values[a]].label;
  }
  return out.empty() ? "base" : out;
}

namespace {

// The elements of an axis: one value or each element of an array.
std::vector<Node> axis_elements(const Node& n) {
  std::vector<Node> out;
  if (n.json->is_array()) {
    if (n.json->empty()) n.error("expected at least one value");
    for (size_t i = 0; i < n.json->size(); ++i) out.push_back(n.at(i));
  } else {
    out.push_back(n);
  }
  return out;
}

std::string text_of(const Json& j) { return j.is_string() ? j.get<std::string>() : j.dump(); }

// Reads "name" with `parse` (which reports its own errors and returns nullopt on failure).
void read_axis(ObjectReader& hw, std::string_view name, std::vector<Axis>& axes,
               const std::function<std::optional<AxisValue>(const Node&)>& parse) {
  auto c = hw.child(name);
  if (!c) return;
  Axis axis{std::string(name), c->pointer, {}};
  for (const Node& e : axis_elements(*c))
    if (auto v = parse(e)) axis.values.push_back(std::move(*v));
  if (!axis.values.empty()) axes.push_back(std::move(axis));
}

std::optional<int> positive_int(const Node& n, const char* what) {
  if (n.json->is_number_integer() && n.json->get<long long>() >= 1 && n.json->get<long long>() <= 1'000'000)
    return static_cast<int>(n.json->get<long long>());
  n.error(std::string("expected ") + what + ", an integer >= 1 (got " + describe(*n.json) + ")");
  return std::nullopt;
}

template <class T, class Parse>
std::optional<T> with_unit(const Node& n, Parse parse, const char* example) {
  std::optional<T> v;
  if (n.json->is_string()) v = parse(n.json->get<std::string>());
  if (!v) n.error(std::string("expected ") + example + " (got " + describe(*n.json) + ")");
  return v;
}

std::vector<Axis> read_axes(ObjectReader& hw, const Catalog& catalog, std::vector<Node>& budget_nodes) {
  std::vector<Axis> axes;
  // "cluster" is required: it names the GPU, the node and every default the other axes change.
  if (!hw.has("cluster"))
    hw.node().at("cluster").error("missing required key; expected a catalog key of configs/clusters, an object, or an array of them");
  read_axis(hw, "cluster", axes, [&](const Node& n) -> std::optional<AxisValue> {
    const size_t before = n.diag->items().size();
    ClusterSpec c = read_cluster(n, catalog);
    if (n.diag->items().size() != before) return std::nullopt;
    std::string label = n.json->is_string() ? n.json->get<std::string>() : c.key;
    if (n.json->is_object() && n.json->size() > 1 && n.json->contains("base")) {
      Json overrides = *n.json;
      overrides.erase("base");
      label += overrides.dump();
    }
    return AxisValue{label, [c](ClusterSpec& x) { x = c; }};
  });
  read_axis(hw, "gpu", axes, [&](const Node& n) -> std::optional<AxisValue> {
    const size_t before = n.diag->items().size();
    GpuSpec g = read_gpu(n, catalog);
    if (n.diag->items().size() != before) return std::nullopt;
    return AxisValue{n.json->is_string() ? n.json->get<std::string>() : g.key, [g](ClusterSpec& x) { x.node.gpu = g; }};
  });
  if (hw.has("nodes") && hw.has("hourly_budget"))
    hw.node().at("hourly_budget").error("give either \"nodes\" or \"hourly_budget\", not both");
  read_axis(hw, "nodes", axes, [&](const Node& n) -> std::optional<AxisValue> {
    auto v = positive_int(n, "a node count");
    if (!v) return std::nullopt;
    return AxisValue{std::to_string(*v), [k = *v](ClusterSpec& x) { x.nodes = k; }};
  });
  read_axis(hw, "hourly_budget", axes, [&](const Node& n) -> std::optional<AxisValue> {
    auto v = with_unit<double>(n, parse_usd_per_hour, "a price per hour with a unit such as \"640USD/h\"");
    if (!v) return std::nullopt;
    budget_nodes.push_back(n);
    // Nodes the budget buys; 0 when it buys none, -1 when more GPUs than a cluster may hold (both
    // checked when the points are built; 1e300 USD/h once overflowed the int into "less than one").
    return AxisValue{text_of(*n.json), [b = *v](ClusterSpec& x) {
                       const double per_node = x.node.gpu.price_usd_per_hour.value_or(0.0) * x.node.gpus_per_node;
                       const double nodes = per_node > 0 ? std::floor(b / per_node + 1e-9) : 0.0;
                       x.nodes = nodes * x.node.gpus_per_node > static_cast<double>(INT32_MAX) ? -1 : static_cast<int>(nodes);
                     }};
  });
  read_axis(hw, "nics_per_node", axes, [&](const Node& n) -> std::optional<AxisValue> {
    auto v = positive_int(n, "NICs per node");
    if (!v) return std::nullopt;
    return AxisValue{std::to_string(*v), [k = *v](ClusterSpec& x) { x.node.nics = k; }};
  });
  read_axis(hw, "nic_rate", axes, [&](const Node& n) -> std::optional<AxisValue> {
    auto v = with_unit<BytesPerSecond>(n, parse_rate, "a rate with a unit such as \"400Gbps\"");
    if (v && v->si() <= 0) {
      n.error("expected a positive rate (got " + describe(*n.json) + ")");
      v.reset();
    }
    if (!v) return std::nullopt;
    return AxisValue{text_of(*n.json), [r = *v](ClusterSpec& x) { x.node.nic.bandwidth = r; }};
  });
  read_axis(hw, "scale_up_domain", axes, [&](const Node& n) -> std::optional<AxisValue> {
    auto v = positive_int(n, "a scale-up domain size in GPUs");
    if (!v) return std::nullopt;
    return AxisValue{std::to_string(*v), [k = *v](ClusterSpec& x) { x.node.scale_up_domain = k; }};
  });
  read_axis(hw, "topology", axes, [&](const Node& n) -> std::optional<AxisValue> {
    const std::string t = n.json->is_string() ? n.json->get<std::string>() : "";
    if (t != "fat-tree" && t != "rail-optimized") {
      n.error("expected one of \"fat-tree\", \"rail-optimized\" (got " + describe(*n.json) + ")");
      return std::nullopt;
    }
    const TopologyKind k = t == "fat-tree" ? TopologyKind::kFatTree : TopologyKind::kRailOptimized;
    return AxisValue{t, [k](ClusterSpec& x) { x.topology.kind = k; }};
  });
  read_axis(hw, "oversubscription", axes, [&](const Node& n) -> std::optional<AxisValue> {
    if (!n.json->is_number() || n.json->get<double>() < 1.0 || n.json->get<double>() > 1000.0) {
      n.error("expected an oversubscription ratio, a number in [1, 1000] (got " + describe(*n.json) + ")");
      return std::nullopt;
    }
    return AxisValue{n.json->dump(), [r = n.json->get<double>()](ClusterSpec& x) { x.topology.oversubscription = r; }};
  });
  read_axis(hw, "host_memory", axes, [&](const Node& n) -> std::optional<AxisValue> {
    auto v = with_unit<Bytes>(n, parse_bytes, "a size with a unit such as \"2TiB\"");
    if (!v) return std::nullopt;
    return AxisValue{text_of(*n.json), [b = *v](ClusterSpec& x) { x.node.host_memory = b; }};
  });
  read_axis(hw, "nvme", axes, [&](const Node& n) -> std::optional<AxisValue> {
    if (n.json->is_string() && n.json->get<std::string>() == "none")
      return AxisValue{"none", [](ClusterSpec& x) { x.node.nvme_capacity.reset(); }};
    if (n.json->is_object()) {
      ObjectReader r(n);
      const Bytes cap = r.bytes("capacity");
      const BytesPerSecond bw = r.rate("bandwidth");
      r.finish();
      // value(): operator[] on a const json with a missing key is undefined behaviour.
      return AxisValue{text_of(n.json->value("capacity", Json())) + "@" + text_of(n.json->value("bandwidth", Json())),
                       [cap, bw](ClusterSpec& x) {
                         x.node.nvme_capacity = cap;
                         x.node.nvme_bandwidth = bw;
                       }};
    }
    auto v = with_unit<Bytes>(n, parse_bytes, "\"none\", a capacity such as \"30TB\" or {\"capacity\", \"bandwidth\"}");
    if (!v) return std::nullopt;
    return AxisValue{text_of(*n.json), [b = *v](ClusterSpec& x) { x.node.nvme_capacity = b; }};
  });
  read_axis(hw, "price_per_gpu_hour", axes, [&](const Node& n) -> std::optional<AxisValue> {
    auto v = with_unit<double>(n, parse_usd_per_hour, "a price with a unit such as \"2.50USD/h\"");
    if (!v) return std::nullopt;
    return AxisValue{text_of(*n.json), [p = *v](ClusterSpec& x) { x.node.gpu.price_usd_per_hour = p; }};
  });
  // Application order is the order above; move hourly_budget after the price so it sees it.
  std::stable_partition(axes.begin(), axes.end(), [](const Axis& a) { return a.name != "hourly_budget"; });
  return axes;
}

SweepJob read_job(const Node& n, const Catalog& catalog, const std::string& base_dir, const planner::SearchSettings& shared_search,
                  const Node& shared_search_node) {
  SweepJob j;
  ObjectReader r(n);
  if (!r.valid()) return j;
  j.model = read_model(r.required_child("model"), catalog, base_dir);
  const Node training = r.required_child("training");
  j.training = read_training(training);
  j.training.era = training_era(catalog, j.training, *n.diag);
  if (training.json && training.json->is_object() && !training.json->contains("token_budget"))
    training.at("token_budget")
        .error("missing required key; a sweep reports time-to-train, cost and energy, which need the tokens to train on");
  j.name = r.string("name", j.model.key.empty() ? j.model.name : j.model.key);
  if (auto s = r.child("search")) {
    j.search = planner::read_search_settings(*s);
    check_master_params(j.search.fixed.param_remainders, j.training, s->at("master_params"));
  } else {
    j.search = shared_search;
    check_master_params(j.search.fixed.param_remainders, j.training, shared_search_node.at("master_params"));
  }
  r.finish();
  return j;
}

}  // namespace

std::optional<SweepSpec> load_sweep_json(const Json& doc, const std::string& file, const Catalog& catalog, Diagnostics& diag,
                                         const std::string& base_dir) {
  Node root{&doc, file, "", &diag};
  ObjectReader r(root);
  if (!r.valid()) return std::nullopt;
  SweepSpec s;
  s.file = file;
  s.description = r.string("description", "");
  if (auto o = r.child("objective")) {
    auto parsed = o->json->is_string() ? planner::parse_objective(o->json->get<std::string>()) : std::nullopt;
    if (parsed)
      s.objective = *parsed;
    else
      o->error("expected one of \"throughput\", \"cost\", \"time-to-train\", \"fewest-gpus\" (got " + describe(*o->json) + ")");
  }
  s.whole_cluster = r.boolean("whole_cluster", false);
  planner::SearchSettings shared_search;
  if (auto c = r.child("search")) shared_search = planner::read_search_settings(*c);

  const Node jobs = r.required_child("jobs");
  if (jobs.json && (!jobs.json->is_array() || jobs.json->empty())) {
    jobs.error("expected an array of at least one job (got " + describe(*jobs.json) + ")");
  } else if (jobs.json) {
    std::set<std::string> names;
    for (size_t i = 0; i < jobs.json->size(); ++i) {
      s.jobs.push_back(read_job(jobs.at(i), catalog, base_dir, shared_search, root.at("search")));
      if (!names.insert(s.jobs.back().name).second)
        jobs.at(i).at("name").error("duplicate job name \"" + s.jobs.back().name + "\"; give each job a unique \"name\"");
    }
  }

  std::vector<Node> budget_nodes;
  const Node hardware = r.required_child("hardware");
  if (hardware.json) {
    ObjectReader hw(hardware);
    if (hw.valid()) {
      s.axes = read_axes(hw, catalog, budget_nodes);
      hw.finish();
    }
  }
  r.finish();
  if (!diag.ok()) return std::nullopt;

  long long count = 1;
  for (const auto& a : s.axes) count *= static_cast<long long>(a.values.size());
  if (count > kMaxPoints) {
    hardware.error("the axes give " + std::to_string(count) + " hardware points; expected at most " + std::to_string(kMaxPoints));
    return std::nullopt;
  }
  // Expand the product; the last axis varies fastest.
  for (long long i = 0; i < count; ++i) {
    HardwarePoint p;
    p.index = static_cast<int>(i);
    p.values.resize(s.axes.size());
    long long rest = i;
    for (size_t a = s.axes.size(); a-- > 0;) {
      p.values[a] = static_cast<int>(rest % static_cast<long long>(s.axes[a].values.size()));
      rest /= static_cast<long long>(s.axes[a].values.size());
    }
    for (size_t a = 0; a < s.axes.size(); ++a) s.axes[a].values[p.values[a]].apply(p.cluster);
    s.points.push_back(std::move(p));
  }
  // Checks that need the whole point.
  std::set<std::string> reported;
  for (const auto& p : s.points) {
    for (size_t a = 0; a < s.axes.size(); ++a) {
      std::string where = s.axes[a].pointer;
      if (s.axes[a].values.size() > 1) where.append("/").append(std::to_string(p.values[a]));
      if (s.axes[a].name == "hourly_budget" && p.cluster.nodes < 0 && reported.insert(where).second)
        diag.add(file, where,
                 "the budget buys more than " + std::to_string(INT32_MAX) + " GPUs of " + p.cluster.node.gpu.name +
                     ", the most a cluster may hold");
      if (s.axes[a].name == "hourly_budget" && p.cluster.nodes == 0 && reported.insert(where).second)
        diag.add(file, where,
                 "the budget buys less than one node of " + p.cluster.node.gpu.name + " (" + std::to_string(p.cluster.node.gpus_per_node) +
                     " GPUs at " + Json(p.cluster.node.gpu.price_usd_per_hour.value_or(0.0)).dump() + " USD/h each)");
    }
    if (s.objective == planner::Objective::kCost && !p.cluster.node.gpu.price_usd_per_hour &&
        reported.insert("price:" + p.cluster.node.gpu.key).second)
      diag.add(file, "/hardware",
               "the cost objective needs a price for " + p.cluster.node.gpu.name +
                   "; add a \"price_per_gpu_hour\" axis or a price_per_hour in the GPU spec");
  }
  for (const auto& p : s.points) {
    const GpuSpec& g = p.cluster.node.gpu;
    if (!s.calibrations.count(g.key)) s.calibrations.emplace(g.key, load_calibration(catalog, g, "", diag));
  }
  s.uncertainty = load_uncertainty(catalog, diag);
  if (!diag.ok()) return std::nullopt;
  return s;
}

std::optional<SweepSpec> load_sweep_file(const std::string& path, const Catalog& catalog, Diagnostics& diag) {
  auto doc = load_json_file(path, diag);
  if (!doc) return std::nullopt;
  const auto parent = std::filesystem::path(path).parent_path();
  return load_sweep_json(*doc, path, catalog, diag, parent.empty() ? std::string(".") : parent.string());
}

planner::PlanProblem make_problem(const SweepSpec& spec, const HardwarePoint& point, const SweepJob& job) {
  planner::PlanProblem p;
  p.file = spec.file;
  p.model = job.model;
  p.cluster = point.cluster;
  p.training = job.training;
  p.search = job.search;
  if (spec.whole_cluster) p.search.min_gpus = p.max_gpus();
  return p;
}

}  // namespace trainplan::sweep
