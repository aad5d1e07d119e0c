// Import: a Megatron-LM argument list or launch script, or a DeepSpeed config (with its launch line
// and hostfile), back into trainplan's job format.
//
//   ImportOptions opt;                       // cluster catalog key, its GPUs per node
//   ImportResult r = import_megatron({{"train.sh", text}}, opt);
//   if (!r.ok()) { for (auto& e : r.errors) std::cerr << e << "\n"; return 2; }
//   Json job = job_to_json(*r.job, opt);     // loads with load_job_file
//
// Export followed by import gives back the same PlanSpec (tests/planner/export/round_trip_test.cpp).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "model/json_reader.hpp"
#include "model/spec/job.hpp"

namespace trainplan::exporter {

struct InputFile {
  std::string name;
  std::string content;
};

struct ImportOptions {
  std::string cluster = "dgx-h100-superpod";  // catalog key written as the job's cluster base
  int gpus_per_node = 8;                      // of that cluster, to derive its node count
  std::optional<int> gpus;                    // world size; wins over the files' launcher counts (warned when they differ)
  std::optional<int> sequence_length;         // when the files do not give it (DeepSpeed)
  std::optional<Json> model;                  // catalog key or inline object; replaces the files' model
};

struct ImportedJob {
  std::optional<ModelSpec> model;  // from Megatron shape flags (absent when ImportOptions::model is used)
  TrainingSpec training;
  PlanSpec plan;
  int world = 1;
  std::vector<std::string> sources;  // file names, for the description
};

struct ImportResult {
  std::optional<ImportedJob> job;
  std::vector<std::string> errors;    // "file: message"; non-empty means no job
  std::vector<std::string> warnings;  // flags read but ignored, defaults assumed
  [[nodiscard]] bool ok() const { return errors.empty() && job.has_value(); }
};

ImportResult import_megatron(const std::vector<InputFile>& files, const ImportOptions& options);
ImportResult import_deepspeed(const std::vector<InputFile>& files, const ImportOptions& options);

// Our job JSON (model/spec/spec_json.hpp: every plan key written explicitly, so that reading it
// back gives the same PlanSpec).
Json job_to_json(const ImportedJob& job, const ImportOptions& options);

}  // namespace trainplan::exporter
