// Memory of one GPU of a pipeline stage kind, broken down as Evaluation::StageMemory reports it:
//   weights, gradients, optimizer state   bytes per parameter (model/step.hpp bytes_per_param),
//                                         sharded over the data-parallel ranks from ZeRO stage 3, 2
//                                         and 1 on (Rajbhandari et al. 2020 §5: P_os, P_os+g,
//                                         P_os+g+p; FSDP hybrid shard within a node), less what is
//                                         offloaded to CPU memory or NVMe;
//   activations                           per micro-batch (model/cost/layer.hpp, Korthikanti et al.
//                                         2022 §4) times the micro-batches in flight on the stage:
//                                         1F1B / zero-bubble p − i on stage i, GPipe all m,
//                                         interleaved p·(1 + (p − 1)/(p·v)) on the first
//                                         (Korthikanti et al. 2022 §4.2.3); full recomputation keeps
//                                         each layer's input plus one layer being recomputed;
//                                         the last stage also holds one micro-batch's fp32 logits;
//   comm buffers                          ZeRO-3 prefetch of about two layers of gathered
//                                         parameters; ZeRO-2 reduce bucket (DeepSpeed
//                                         reduce_bucket_size 5e8 elements);
//   framework, fragmentation              calibration: CUDA context, NCCL and library workspaces,
//                                         and the caching allocator's fragmentation over the peak.
#pragma once

#include "model/calibration.hpp"
#include "model/evaluation.hpp"
#include "model/step.hpp"

namespace trainplan {

// Ranks that hold the same dense (resp. expert) parameters and shard them under ZeRO / FSDP.
struct ShardGroups {
  double dp_dense = 1, shard_dense = 1, dp_expert = 1, shard_expert = 1;
};
ShardGroups shard_groups(const PlanSpec& p, const ClusterSpec& cl);

// `bpp` and `groups`: bytes_per_param(job.training, plan) and shard_groups(plan,
// cluster), which every stage kind of a plan shares.
StageMemory stage_memory(const JobSpec& job, const Calibration& cal, const StageKind& sk, const StageParams& params, const LayerCosts& c,
                         const BytesPerParam& bpp, const ShardGroups& groups, double micro_batches);
// Parameters whose optimizer state one GPU updates (its shard under ZeRO ≥ 1).
double local_optimizer_params(const PlanSpec& p, const ShardGroups& g, const StageParams& params);

}  // namespace trainplan
