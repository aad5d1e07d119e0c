// Validity rules shared by the exporters, each citing where the framework enforces it.
//
//   Refusals r;
//   check_common(job, r);        // batch, world, divisibility: every framework
//   check_megatron(job, r);      // Megatron-LM validate_args (also NeMo / Megatron-Bridge)
//   if (!r.reasons.empty()) return ExportResult{.reasons = r.reasons};
#pragma once

#include <string>
#include <vector>

#include "model/spec/job.hpp"
#include "planner/export/export.hpp"

namespace trainplan::exporter {

struct Refusals {
  std::vector<std::string> reasons;
  std::vector<std::string> notes;
  void need(bool ok, const std::string& why) {
    if (!ok) reasons.push_back(why);
  }
};

// Placeholder length of a run when the job gives no token budget.
inline constexpr long long kDefaultTrainIters = 1000;

// Checks that hold for every framework: the plan fits the cluster, the global batch splits into
// micro-batches over DP, the pipeline split adds up. (docs/interfaces.md §1.3, §2.1, §3)
void check_common(const JobSpec& job, Refusals& r);
// Megatron-LM validate_args / TransformerConfig rules (docs/interfaces.md §1.3, §9).
void check_megatron(const JobSpec& job, Refusals& r);

// GPUs one node contributes to the plan and the number of nodes the plan occupies.
int gpus_per_node_used(const JobSpec& job);
int nodes_used(const JobSpec& job);
// Iterations for the token budget (rounded up), or kDefaultTrainIters.
long long train_iters(const JobSpec& job);
// Layers in each of the PP stages that are not the uneven first/last ones.
int middle_stage_layers(const JobSpec& job);
// The plan shards with an FSDP flavour in Megatron terms: torch FSDP2 (fsdp full shard) or
// Megatron-FSDP (zero 2/3), both of which refuse CUDA_DEVICE_MAX_CONNECTIONS=1.
bool uses_fsdp_flags(const PlanSpec& p);
// The framework release an export targets: the job's training.framework_version when the job names
// the framework the format launches, else the release framework-check holds
// (../shared/tools/framework-check/SOURCES.json), e.g. "Megatron-LM d98e8a64".
std::string target_version(const JobSpec& job, ExportFormat format);
// A number with no trailing zeros ("0.5", "1").
std::string format_number(double v);

}  // namespace trainplan::exporter
