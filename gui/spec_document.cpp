#include "gui/spec_document.hpp"

#include <filesystem>
#include <fstream>

#include "model/spec/hf_config.hpp"

namespace trainplan::gui {
namespace {

std::string sibling_dir(const std::string& path) {
  const auto parent = std::filesystem::path(path).parent_path();
  return parent.empty() ? std::string(".") : parent.string();
}

#ifdef TRAINPLAN_GUI_HAVE_PLANNER
// As planner::load_problem_file, on a document already in memory.
std::optional<planner::PlanProblem> read_problem(const SpecDocument& doc, const Catalog& catalog, Diagnostics& diag) {
  Node root{&doc.json, doc.path, "", &diag};
  ObjectReader r(root);
  if (!r.valid()) return std::nullopt;
  planner::PlanProblem p;
  p.file = doc.path;
  p.model = read_model(r.required_child("model"), catalog, sibling_dir(doc.path));
  p.cluster = read_cluster(r.required_child("cluster"), catalog);
  p.training = read_training(r.required_child("training"));
  if (auto s = r.child("search")) p.search = planner::read_search_settings(*s);
  r.child("description");
  r.finish();
  if (!diag.ok()) return std::nullopt;
  p.training.era = training_era(catalog, p.training, diag);
  if (p.search.min_gpus > p.max_gpus()) {
    root.at("search").at("min_gpus").error("expected min_gpus <= the " + std::to_string(p.max_gpus()) + " GPUs available");
    return std::nullopt;
  }
  return p;
}
#endif

}  // namespace

std::optional<SpecDocument> load_spec_document(const std::string& path, Diagnostics& diag) {
  auto json = load_json_file(path, diag);
  if (!json) return std::nullopt;
  if (!json->is_object()) {
    diag.add(path, "", "expected a JSON object (a job or a plan problem) (got " + describe(*json) + ")");
    return std::nullopt;
  }
  SpecDocument doc{path, std::move(*json), {}};
  std::ifstream in(path);
  doc.order = key_order(std::string(std::istreambuf_iterator<char>(in), {}));
  return doc;
}

nlohmann::ordered_json key_order(const std::string& text) {
  return nlohmann::ordered_json::parse(text, nullptr, /*allow_exceptions=*/false);
}

namespace {

// `j` with its objects' keys in the order of `order` where it has them, then the rest (sorted).
nlohmann::ordered_json in_order(const Json& j, const nlohmann::ordered_json* order) {
  if (j.is_object()) {
    nlohmann::ordered_json out = nlohmann::ordered_json::object();
    if (order && order->is_object())
      for (auto it = order->begin(); it != order->end(); ++it)
        if (j.contains(it.key())) out[it.key()] = in_order(j[it.key()], &it.value());
    for (auto it = j.begin(); it != j.end(); ++it)
      if (!out.contains(it.key())) out[it.key()] = in_order(it.value(), nullptr);
    return out;
  }
  if (j.is_array()) {
    nlohmann::ordered_json out = nlohmann::ordered_json::array();
    for (size_t i = 0; i < j.size(); ++i)
      out.push_back(in_order(j[i], order && order->is_array() && i < order->size() ? &(*order)[i] : nullptr));
    return out;
  }
  return nlohmann::ordered_json::parse(j.dump());
}

}  // namespace

std::string ordered_text(const SpecDocument& doc) { return in_order(doc.json, &doc.order).dump(2); }

ParsedSpec parse_spec(const SpecDocument& doc, const Catalog& catalog) {
  ParsedSpec out;
  if (doc.kind() == SpecKind::kJob) {
    out.job = read_job_document(doc.json, doc.path, catalog, out.diagnostics);
    return out;
  }
#ifdef TRAINPLAN_GUI_HAVE_PLANNER
  out.problem = read_problem(doc, catalog, out.diagnostics);
#else
  out.diagnostics.add(doc.path, "/plan",
                      "missing required key: this build has no planner (trainplan_planner), so only jobs with a fixed plan can be run");
#endif
  return out;
}

bool save_spec_document(const SpecDocument& doc, const std::string& path, std::string& error) {
  std::ofstream out(path);
  if (!out) {
    error = "cannot write " + path;
    return false;
  }
  out << ordered_text(doc) << "\n";
  if (!out) {
    error = "error while writing " + path;
    return false;
  }
  return true;
}

std::vector<std::string> spec_warnings(const SpecDocument& doc, const ParsedSpec& parsed) {
  std::vector<std::string> out;
  if (parsed.job) {
    const PlanSpec& p = parsed.job->plan;
    const int per_node = parsed.job->cluster.node.gpus_per_node;
    if (p.tp > 1 && per_node % p.tp != 0)
      out.push_back("plan/tp: TP " + std::to_string(p.tp) + " does not divide the " + std::to_string(per_node) +
                    " GPUs of a node: some TP groups span two nodes and run their collectives over the NICs");
  }
  const Json& model = doc.json.contains("model") ? doc.json["model"] : Json();
  std::optional<Json> hf;
  Diagnostics ignored;
  if (model.is_object() && model.contains("hf_config") && model["hf_config"].is_string()) {
    std::filesystem::path file = model["hf_config"].get<std::string>();
    if (file.is_relative()) file = std::filesystem::path(doc.path).parent_path() / file;
    hf = load_json_file(file.string(), ignored);
  } else if (model.is_object() && looks_like_hf_config(model)) {
    hf = model;
  }
  if (hf)
    for (const std::string& c : hf_config_caveats(*hf)) out.push_back("model: " + c);
  return out;
}

void SpecHistory::reset(const Json& state) {
  states_ = {state};
  at_ = 0;
}

void SpecHistory::record(const Json& state) {
  if (!states_.empty() && states_[at_] == state) return;
  states_.resize(states_.empty() ? 0 : at_ + 1);
  states_.push_back(state);
  if (states_.size() > kMax) states_.erase(states_.begin());
  at_ = states_.size() - 1;
}

std::optional<Json> SpecHistory::undo() {
  if (!can_undo()) return std::nullopt;
  return states_[--at_];
}

std::optional<Json> SpecHistory::redo() {
  if (!can_redo()) return std::nullopt;
  return states_[++at_];
}

std::string diagnostics_text(const Diagnostics& diag) {
  std::string text;
  for (const auto& d : diag.items()) text += d.to_string() + "\n";
  return text;
}

}  // namespace trainplan::gui
