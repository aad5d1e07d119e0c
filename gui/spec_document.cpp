#include "gui/spec_document.hpp"

#include <filesystem>
#include <fstream>

namespace trainplan::gui {
namespace {

std::string sibling_dir(const std::string& path) {
  const auto parent = std::filesystem::path(path).parent_path();
  return parent.empty() ? std::string(".") : parent.string();
}

// As load_job_file (model/spec/catalog.cpp), on a document already in memory.
std::optional<JobSpec> read_job(const SpecDocument& doc, const Catalog& catalog, Diagnostics& diag) {
  Node root{&doc.json, doc.path, "", &diag};
  ObjectReader r(root);
  if (!r.valid()) return std::nullopt;
  JobSpec job;
  job.model = read_model(r.required_child("model"), catalog, sibling_dir(doc.path));
  job.cluster = read_cluster(r.required_child("cluster"), catalog);
  job.training = read_training(r.required_child("training"));
  job.plan = read_plan(r.required_child("plan"));
  r.child("description");
  r.finish();
  if (!diag.ok()) return std::nullopt;
  job.training.era = training_era(catalog, job.training, diag);
  if (job.plan.dp == 0) {
    const int mp = job.plan.tp * job.plan.pp * job.plan.cp;
    if (mp <= 0 || job.cluster.gpus() % mp != 0) {
      root.at("plan").at("dp").error("dp is not given and tp*pp*cp (" + std::to_string(mp) + ") does not divide the cluster's " +
                                     std::to_string(job.cluster.gpus()) + " GPUs");
      return std::nullopt;
    }
    job.plan.dp = job.cluster.gpus() / mp;
  }
  if (job.plan.tp == 1) job.plan.sequence_parallel = false;  // Megatron turns SP off at TP 1
  apply_framework_defaults(job, root);
  check_job(job, root);
  if (!diag.ok()) return std::nullopt;
  return job;
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
  return SpecDocument{path, std::move(*json)};
}

ParsedSpec parse_spec(const SpecDocument& doc, const Catalog& catalog) {
  ParsedSpec out;
  if (doc.kind() == SpecKind::kJob) {
    out.job = read_job(doc, catalog, out.diagnostics);
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
  out << doc.json.dump(2) << "\n";
  if (!out) {
    error = "error while writing " + path;
    return false;
  }
  return true;
}

std::string diagnostics_text(const Diagnostics& diag) {
  std::string text;
  for (const auto& d : diag.items()) text += d.to_string() + "\n";
  return text;
}

}  // namespace trainplan::gui
