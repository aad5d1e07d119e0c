// Training job, parallel plan and the job that puts model, cluster, training and plan together.
//
// A job fixes every knob; a plan problem (planner/problem.hpp) leaves knobs free.
#pragma once

#include <optional>
#include <string>

#include "model/spec/framework.hpp"
#include "model/spec/hardware.hpp"
#include "model/spec/model_spec.hpp"

namespace trainplan {

enum class Optimizer { kAdam, kSgd };

// How the job checkpoints (model/goodput.hpp). Megatron-LM saves synchronously unless --async-save
// (megatron/training/arguments.py); the interval is the Young/Daly optimum unless given.
struct CheckpointSpec {
  bool async = false;             // snapshot to host memory, then drain to storage in the background
  std::optional<Seconds> interval;  // compute time between checkpoints; nullopt: the optimum
  friend bool operator==(const CheckpointSpec&, const CheckpointSpec&) = default;
};

struct TrainingSpec {
  long long global_batch = 1;       // sequences per optimizer step (exact)
  long long global_batch_max = 0;   // > global_batch when the problem gives a range
  int sequence_length = 2048;
  Precision precision = Precision::kBf16;
  Optimizer optimizer = Optimizer::kAdam;
  double token_budget = 0;          // tokens to train on (time-to-train); 0 = not given
  double deadline_days = 0;         // for the fewest-gpus objective; 0 = not given
  Framework framework = Framework::kUnstated;  // training.framework (framework.hpp)
  std::string framework_version;    // training.framework_version as the user names it; "" = not given
  std::string date;                 // the job's top-level "date" ("YYYY" or "YYYY-MM"); "" = not given
  CheckpointSpec checkpoint;        // training.checkpoint
  friend bool operator==(const TrainingSpec&, const TrainingSpec&) = default;
};

enum class Schedule { kGpipe, k1F1B, kInterleaved, kZeroBubble };
enum class Recompute { kNone, kSelective, kFull };
enum class OffloadDevice { kNone, kCpu, kNvme };
enum class Fsdp { kNone, kFullShard, kHybridShard };
// Megatron --attention-backend: fused flash attention or materialised scores; auto = the
// architecture's default in the calibration (flash on sm80+).
enum class AttentionBackend { kAuto, kFlash, kUnfused };
const char* schedule_name(Schedule s);
const char* recompute_name(Recompute r);
const char* offload_device_name(OffloadDevice d);
const char* fsdp_name(Fsdp f);
const char* attention_backend_name(AttentionBackend a);

struct Offload {
  OffloadDevice device = OffloadDevice::kNone;
  double fraction = 0.0;  // of the state moved off the GPU
  // The fraction actually moved: 0 when nothing is offloaded, whatever `fraction` says.
  [[nodiscard]] double moved() const { return device != OffloadDevice::kNone ? fraction : 0.0; }
  friend bool operator==(const Offload&, const Offload&) = default;
};

struct PlanSpec {
  int tp = 1;
  bool sequence_parallel = false;
  int pp = 1;
  Schedule schedule = Schedule::k1F1B;
  int virtual_stages = 1;
  int first_stage_layers = 0;  // 0: even split
  int last_stage_layers = 0;
  int dp = 1;
  int cp = 1;
  int ep = 1;
  int expert_tp = 1;
  int zero = 0;                // 0..3; Megatron's distributed optimizer is 1
  Fsdp fsdp = Fsdp::kNone;     // FSDP full shard = ZeRO-3; hybrid shards within a node
  Offload optimizer_offload;
  Offload param_offload;
  Offload activation_offload;
  Recompute recompute = Recompute::kNone;
  int recompute_layers = 0;    // with full recompute: layers per stage recomputed (0: all)
  int micro_batch = 1;
  // Overlap defaults follow today's stacks (Megatron-Core recipes, NeMo, FSDP): on.
  bool overlap_grad_reduce = true;
  bool overlap_param_gather = true;
  bool overlap_p2p = true;
  bool tp_comm_overlap = false;
  // The backward input-gradient TP all-reduce (SP: reduce-scatter) and the SP input re-gather run
  // under the weight- and data-gradient GEMMs (Megatron LinearWithGradAccumulationAndAsyncCommunication,
  // released with sequence parallelism in 2022 and on since); off = the synchronous collectives of
  // Megatron-LM 2020-2021.
  bool tp_grad_overlap = true;
  AttentionBackend attention = AttentionBackend::kAuto;
  // Main gradients and their data-parallel reduction in bf16 instead of fp32 (Megatron
  // --grad-reduce-in-bf16; Apex DistributedFusedAdam grad_sync_dtype as NeMo uses it).
  bool grad_reduce_bf16 = false;
  // The optimizer keeps only the low 16 bits of each fp32 master weight; the bf16 weight holds the
  // high 16, so together they are the fp32 value, bit for bit (Apex DistributedFusedAdam
  // store_param_remainders, apex PR #1463, NeMo's default with bf16 since NeMo PR #4796, both
  // August 2022; Transformer Engine FusedAdam, Megatron --use-precision-aware-optimizer, 2025).
  // Needs bf16 weights and Adam (remainders_possible). JSON: "master_params": "fp32" | "remainder".
  bool param_remainders = false;

  [[nodiscard]] int gpus() const { return tp * pp * cp * dp; }
  [[nodiscard]] int effective_zero() const { return fsdp == Fsdp::kNone ? zero : 3; }
  friend bool operator==(const PlanSpec&, const PlanSpec&) = default;
};

// Whether master-weight remainders (PlanSpec::param_remainders) can exist for this training: the
// weights must be bf16 (bf16 or fp8 training) and the optimizer Adam, the one with a remainder
// store (Apex DistributedFusedAdam, Transformer Engine FusedAdam).
[[nodiscard]] inline bool remainders_possible(const TrainingSpec& t) {
  return keeps_bf16_weights(t.precision) && t.optimizer == Optimizer::kAdam;
}

struct JobSpec {
  ModelSpec model;
  ClusterSpec cluster;
  TrainingSpec training;
  PlanSpec plan;
  [[nodiscard]] long long micro_batches() const {
    return training.global_batch / (static_cast<long long>(plan.micro_batch) * plan.dp);
  }
};

}  // namespace trainplan
