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
  // Memory of stage kinds: [0] first stage, [1] middle stages, [2] last stage (pp 1: all [0]).
  std::array<StageMemory, 3> stage_kinds;
  int pp = 1;
  int peak_stage = 0;
  Bytes peak_memory;
  int gpus = 1;
  long long micro_batches = 1;
  // Which stage kind a stage index uses.
  [[nodiscard]] const StageMemory& stage(int i) const {
    if (i == 0) return stage_kinds[0];
    return i == pp - 1 ? stage_kinds[2] : stage_kinds[1];
  }
};

// The contract's `predict` keys.
Json evaluation_to_json(const Evaluation& e);

}  // namespace trainplan
