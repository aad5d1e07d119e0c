// The catalog of shipped specs (configs/gpus, nodes, clusters, models) and the loaders that turn
// JSON (a catalog key or an inline object) into spec values, collecting every problem.
//
//   Catalog catalog = Catalog::from_default_dir();
//   Diagnostics diag;
//   std::optional<JobSpec> job = load_job_file("job.json", catalog, diag);
//   if (!diag.ok()) { print(diag); return 2; }
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "model/json_reader.hpp"
#include "model/spec/job.hpp"

namespace trainplan {

class Catalog {
 public:
  explicit Catalog(std::string config_dir) : dir_(std::move(config_dir)) {}
  // TRAINPLAN_CONFIG_DIR if set, else the configs/ folder of the source tree this was built from.
  static Catalog from_default_dir();

  [[nodiscard]] const std::string& dir() const { return dir_; }
  // configs/<kind>/<key>.json, or nullopt.
  [[nodiscard]] std::optional<std::string> find(const std::string& kind, const std::string& key) const;
  [[nodiscard]] std::vector<std::string> keys(const std::string& kind) const;

 private:
  std::string dir_;
};

GpuSpec read_gpu(const Node& node, const Catalog& catalog);
NodeSpec read_node(const Node& node, const Catalog& catalog);
ClusterSpec read_cluster(const Node& node, const Catalog& catalog);
// base_dir resolves a relative {"hf_config": "path"}.
ModelSpec read_model(const Node& node, const Catalog& catalog, const std::string& base_dir = ".");
TrainingSpec read_training(const Node& node);
// What the training's framework could do at its date (era.hpp), from the catalog's
// frameworks/frameworks.json; errors go to `diag` (a job cannot be read without the profiles).
SoftwareEra training_era(const Catalog& catalog, const TrainingSpec& t, Diagnostics& diag);
// A job's or problem's top-level "date" ("YYYY" or "YYYY-MM", contract); "" when absent.
std::string read_date(ObjectReader& r);
PlanSpec read_plan(const Node& node);
// One plan knob's value at `key` of the object `r` reads, by its declaration's type, range and names
// (plan_knobs.hpp); problems are reported at the key.
double read_knob(ObjectReader& r, std::string_view key, const KnobDecl& k);
Precision read_precision_value(const Node& node);

// Cross-checks of a whole job (plan against model and cluster). Adds diagnostics.
void check_job(const JobSpec& job, const Node& root);
// A knob the job does not state whose trainplan default uses a feature the job's framework lacks
// at its date (TrainingSpec::era) takes the framework's value instead, the feature off: sequence
// parallelism (on by default at TP > 1) for Megatron-DeepSpeed or DeepSpeed; the overlapped
// gradient reduction and parameter gather, and the backward TP collectives under the gradient
// GEMMs, where the framework's engine never overlapped them. `root` is the job document (its
// "plan" says what was stated).
void apply_framework_defaults(JobSpec& job, const Node& root);
// An error at `key` (a "master_params" key of a plan or of search settings) when it asks for
// remainders that the training cannot have (job.hpp remainders_possible).
void check_master_params(bool remainders, const TrainingSpec& t, const Node& key);

std::optional<JobSpec> load_job_file(const std::string& path, const Catalog& catalog, Diagnostics& diag);
// The same reader on a document already in memory (the GUI's edited spec); `path` names it in
// messages and is where relative references (hf_config) are resolved from.
std::optional<JobSpec> read_job_document(const Json& doc, const std::string& path, const Catalog& catalog, Diagnostics& diag);
std::optional<ModelSpec> load_model_file(const std::string& path, const Catalog& catalog, Diagnostics& diag);
std::optional<ClusterSpec> load_cluster_file(const std::string& path, const Catalog& catalog, Diagnostics& diag);
std::optional<GpuSpec> load_gpu_key(const std::string& key, const Catalog& catalog, Diagnostics& diag);

}  // namespace trainplan
