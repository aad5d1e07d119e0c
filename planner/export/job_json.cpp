// A job file from an imported launch, in the keys `trainplan predict` reads.
#include "model/spec/spec_json.hpp"
#include "planner/export/import.hpp"

namespace trainplan::exporter {

Json job_to_json(const ImportedJob& job, const ImportOptions& options) {
  Json j;
  std::string from;
  for (const auto& s : job.sources) from += (from.empty() ? "" : ", ") + s;
  j["description"] = "Imported by trainplan import from " + from;
  if (options.model)
    j["model"] = *options.model;
  else if (job.model)
    j["model"] = model_to_json(*job.model);
  const int per_node = options.gpus_per_node > 0 ? options.gpus_per_node : 1;
  j["cluster"] = {{"base", options.cluster}, {"nodes", (job.world + per_node - 1) / per_node}};
  j["training"] = training_to_json(job.training);
  j["plan"] = plan_to_json(job.plan);
  return j;
}

}  // namespace trainplan::exporter
