// What an evaluator (analytic or simulated) says about one plan: feasibility with reasons, step
// time and its breakdown, throughput and FLOP rates, and the memory of every pipeline stage.
#pragma once

#include <array>
#include <string>
#include <vector>

#include "model/json_reader.hpp"
#include "model/units.hpp"

namespace trainplan {

enum class InfeasibleReason { kOutOfMemory, kHostMemory, kNvmeCapacity, kIndivisible, kTooManyGpus, kUnsupported };
const char* reason_key(InfeasibleReason r);

struct Infeasibility {
  InfeasibleReason reason = InfeasibleReason::kOutOfMemory;
  std::string detail;
};

struct TimeBreakdown {
  Seconds compute;  // forward + backward of the critical stage, all micro-batches
  Seconds recompute;
  Seconds tp_comm;  // exposed
  Seconds cp_comm;
  Seconds ep_comm;
  Seconds pp_comm;
  Seconds dp_comm;  // exposed gradient reduction / parameter gathers
  Seconds bubble;
  Seconds optimizer;
  Seconds offload;
};

struct StageMemory {
  Bytes weights, gradients, optimizer, activations, comm_buffers, framework, fragmentation;
  Bytes offloaded_cpu, offloaded_nvme;  // off the GPU, per GPU
  int layers = 0;
  [[nodiscard]] Bytes total() const { return weights + gradients + optimizer + activations + comm_buffers + framework + fragmentation; }
};

struct Evaluation {
  bool feasible = true;
  std::vector<Infeasibility> reasons;
  Seconds step_time;
  double tokens_per_s = 0;
  double tokens_per_s_per_gpu = 0;
  double model_tflops_per_gpu = 0;
  double hardware_tflops_per_gpu = 0;
  double mfu_pct = 0;
  double hfu_pct = 0;
  double model_flops_per_step = 0;
  double hardware_flops_per_step = 0;
  TimeBreakdown breakdown;
  // Memory of each stage kind (model/step.hpp StageKinds: runs of neighbouring stages with the
  // same work, in stage order); kind k starts at stage kind_first_stage[k].
  std::vector<StageMemory> stage_kinds = std::vector<StageMemory>(1);
  std::vector<int> kind_first_stage = {0};
  int pp = 1;
  int peak_stage = 0;
  Bytes peak_memory;
  int gpus = 1;
  long long micro_batches = 1;
  // The memory of stage `i` (its kind's).
  [[nodiscard]] const StageMemory& stage(int i) const {
    size_t k = 0;
    while (k + 1 < kind_first_stage.size() && kind_first_stage[k + 1] <= i) ++k;
    return stage_kinds[k];
  }
};

// The contract's `predict` keys.
Json evaluation_to_json(const Evaluation& e);

}  // namespace trainplan
