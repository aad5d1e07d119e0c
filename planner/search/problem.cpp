#include "planner/search/problem.hpp"

#include <algorithm>
#include <filesystem>
#include <utility>

namespace trainplan::planner {

bool KnobFilter::allows(int v) const { return allowed_.empty() || std::find(allowed_.begin(), allowed_.end(), v) != allowed_.end(); }

void apply_fixed_knobs(const SearchSettings& s, PlanSpec& plan) {
  for (const KnobDecl& k : kPlanKnobs)
    if (k.search == SearchRole::kFixed) k.set(plan, k.get(s.fixed));
}

int PlanProblem::max_gpus() const {
  const int cluster_gpus = cluster.gpus();
  return search.max_gpus > 0 ? std::min(search.max_gpus, cluster_gpus) : cluster_gpus;
}

namespace {

// One value or an array of values; each is an integer >= min, or (with names) one of the names.
KnobFilter read_filter(ObjectReader& r, std::string_view key, int min, NameTable names) {
  auto c = r.child(key);
  if (!c) return {};
  std::vector<int> out;
  auto one = [&](const Node& n) {
    const Json& j = *n.json;
    if (!names.empty()) {
      std::string text = j.is_string() ? j.get<std::string>() : (j.is_number_integer() ? std::to_string(j.get<long long>()) : "");
      if (j.is_boolean()) text = j.get<bool>() ? "true" : "false";
      if (auto v = parse_name(names, text)) {
        out.push_back(*v);
        return;
      }
      n.error("expected one of " + name_choices(names) + " (got " + describe(j) + ")");
      return;
    }
    if (!j.is_number_integer() || j.get<long long>() < min || j.get<long long>() > 1'000'000) {
      n.error("expected an integer from " + std::to_string(min) + " to 1000000 (got " + describe(j) + ")");
      return;
    }
    out.push_back(static_cast<int>(j.get<long long>()));
  };
  if (c->json->is_array()) {
    if (c->json->empty()) c->error("expected at least one allowed value");
    for (size_t i = 0; i < c->json->size(); ++i) one(c->at(i));
  } else {
    one(*c);
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return KnobFilter(std::move(out));
}

// The names a filter of knob `k` takes: booleans as true/false, choices by their names.
NameTable filter_names(const KnobDecl& k) {
  if (k.type == KnobType::kBool) return kBoolNames;
  return k.names;
}

}  // namespace

SearchSettings read_search_settings(const Node& node) {
  SearchSettings s;
  if (!node.json) return s;
  ObjectReader r(node);
  if (!r.valid()) return s;
  s.max_gpus = r.integer("max_gpus", 0, 1);
  s.min_gpus = r.integer("min_gpus", 1, 1);
  s.memory_headroom = r.number("memory_headroom", kDefaultMemoryHeadroom, 0.0, 0.9);
  s.allow_tp_across_nodes = r.boolean("allow_tp_across_nodes", false);
  s.max_micro_batch = r.integer("max_micro_batch", 8, 1);
  if (s.max_micro_batch > kMaxMicroBatch)
    node.at("max_micro_batch")
        .error("expected at most " + std::to_string(kMaxMicroBatch) + " sequences per micro-batch (got " +
               std::to_string(s.max_micro_batch) + ")");
  s.min_cp_sequence = r.integer("min_cp_sequence", 1024, 1);
  s.max_virtual_stages = r.integer("max_virtual_stages", 8, 1);
  s.offload = r.boolean("offload", true);
  for (const KnobDecl& k : kPlanKnobs) {
    if (k.search == SearchRole::kFilter) {
      s.filters[static_cast<size_t>(&k - kPlanKnobs.data())] = read_filter(r, k.name, static_cast<int>(k.min), filter_names(k));
    } else if (k.search == SearchRole::kFixed && r.has(k.name)) {
      k.set(s.fixed, read_knob(r, k.name, k));
    }
  }
  if (s.max_gpus > 0 && s.min_gpus > s.max_gpus)
    node.at("min_gpus").error("expected min_gpus <= max_gpus (" + std::to_string(s.max_gpus) + ")");
  r.finish();
  return s;
}

std::optional<PlanProblem> load_problem_file(const std::string& path, const Catalog& catalog, Diagnostics& diag) {
  auto doc = load_json_file(path, diag);
  if (!doc) return std::nullopt;
  Node root{&*doc, path, "", &diag};
  ObjectReader r(root);
  if (!r.valid()) return std::nullopt;
  PlanProblem p;
  p.file = path;
  const auto parent = std::filesystem::path(path).parent_path();
  p.model = read_model(r.required_child("model"), catalog, parent.empty() ? std::string(".") : parent.string());
  p.cluster = read_cluster(r.required_child("cluster"), catalog);
  p.training = read_training(r.required_child("training"));
  if (auto s = r.child("search")) p.search = read_search_settings(*s);
  r.child("description");
  p.training.date = read_date(r);
  if (r.has("plan"))
    root.at("plan").error("a plan problem leaves the plan free; use \"search\" to fix knobs (or run `trainplan predict` on a job)");
  r.child("plan");
  r.finish();
  if (!diag.ok()) return std::nullopt;
  p.training.era = training_era(catalog, p.training, diag);
  if (p.search.min_gpus > p.max_gpus())
    root.at("search").at("min_gpus").error("expected min_gpus <= the " + std::to_string(p.max_gpus()) + " GPUs available");
  check_master_params(p.search.fixed.param_remainders, p.training, root.at("search").at("master_params"));
  if (!diag.ok()) return std::nullopt;
  return p;
}

}  // namespace trainplan::planner
