// One training step, described once (design.md, "model/step"): the stage kinds of the pipeline,
// their parameters, the per-micro-batch time of each stage kind, the pipeline's closed form per
// schedule, and the end-of-step work (optimizer, offload). The analytic evaluator
// (model/analytic.cpp), the simulator's workload (model/workload.cpp) and the planner's step-time
// bound (planner/search/bound.cpp) are all built from these functions, so they cannot drift apart.
//
//   const LayerContext ctx = layer_context(job, cal);
//   const LayerCosts costs = layer_costs(ctx);
//   const StageKinds kinds = stage_kinds(job.model, job.plan);
//   std::vector<StageTimes> t(kinds.count);
//   for (int k = 0; k < kinds.count; ++k) t[k] = stage_times(job.model, kinds.kind[k], costs, plan.recompute, plan.recompute_layers);
//   const PipelineTime pt = pipeline_time(plan, micro_batches, kinds, t, pipeline_p2p_time(job, cal));
#pragma once

#include <array>
#include <map>
#include <span>
#include <tuple>
#include <vector>

#include "model/calibration.hpp"
#include "model/cost/collectives.hpp"
#include "model/cost/layer.hpp"
#include "model/evaluation.hpp"
#include "model/spec/job.hpp"

namespace trainplan {

// A kind of pipeline stage: a run of neighbouring stages (pipeline ranks) that hold the same work,
// from the plan's layer placement (model/pipeline_layout.hpp: even, uneven first/last, the
// embedding and loss counted as layers, or an explicit layout). The first stage holds the
// embedding and the last the final norm and logits ("output"); at pp 1 one stage holds all.
struct StageKind {
  int count = 0;        // stages of this kind
  int layers = 0;       // decoder layers per stage (all virtual chunks together)
  int moe_layers = 0;   // MoE blocks among its decoder layers and MTP modules
  int mtp = 0;          // MTP modules per stage (each one transformer block and the shared output head)
  int first_layer = 0;  // id of the first decoder layer of the first stage of this kind
  bool has_embedding = false;
  bool has_output = false;
  int index = 0;  // stage index of the first stage of this kind
  // Transformer blocks a stage runs: its decoder layers and MTP modules (DeepSeek-V3, arXiv:2412.19437
  // §2.2: "The k-th MTP module consists of a shared embedding layer, a shared output head, a
  // Transformer block, and a projection matrix").
  [[nodiscard]] int blocks() const { return layers + mtp; }
  [[nodiscard]] int dense_blocks() const { return blocks() - moe_layers; }
};

struct StageKinds {
  std::vector<StageKind> kind;
  int count = 0;  // kind.size()
  // The kind of stage `i` (kinds are in stage order).
  [[nodiscard]] int kind_of_stage(int i) const {
    int k = 0;
    while (k + 1 < count && kind[k + 1].index <= i) ++k;
    return k;
  }
  [[nodiscard]] const StageKind& of_stage(int i) const { return kind[kind_of_stage(i)]; }
};

// The stage kinds of the plan's layer placement (layout_error(m, p) must be empty).
StageKinds stage_kinds(const ModelSpec& m, const PlanSpec& p);
// MoE layers among [first, first + count): layers from moe->dense_layers on are MoE.
int moe_layers_in(const ModelSpec& m, int first, int count);

// Whether a GPT-style model has dropout (GPT-2/3 and Megatron GPT use 0.1; Llama-style models 0).
bool model_has_dropout(const ModelSpec& m);
// The per-layer cost context of a plan (micro-batch, TP/SP/CP/EP, precision, attention backend).
LayerContext layer_context(const JobSpec& job, const Calibration& cal);

// Layer costs of one micro-batch that every stage shares: a dense layer, an MoE layer (the dense
// one for dense models), the embedding and the output layer.
struct LayerCosts {
  LayerCost dense, moe, emb, out;
};
LayerCosts layer_costs(const LayerContext& ctx);

// Memo of layer costs for the many plans of one problem (design.md: "memoize per-layer costs that
// many plans share"): plans with the same values of the knobs that plan_knobs.hpp marks
// layer_cost (tp, sequence parallel, cp, ep, expert_tp, micro-batch, TP comm overlap, TP gradient
// overlap, attention backend; a test checks that no other knob changes them) have the same layer
// costs. An entry is valid for one model,
// cluster, calibration, sequence length and precision; a context that differs in any of them
// clears the memo first.
class LayerCostCache {
 public:
  // The layer costs of the job's plan: computed once per key (layer_cost_key: the plan's knobs
  // that plan_knobs.hpp marks layer_cost).
  const LayerCosts& get(const JobSpec& job, const Calibration& cal);

 private:
  std::tuple<const void*, const void*, const void*, int, Precision> owner_{};
  std::map<LayerCostKey, LayerCosts> entries_;
};

// Per-micro-batch time of a stage kind on one GPU: compute of forward, backward and recomputation,
// and the TP / CP / EP communication they leave exposed; `offload` (activation offload beyond what
// the forward hides) is filled by the evaluator, which knows the stage's memory.
struct StageTimes {
  Seconds fwd, bwd, recompute;
  Seconds tp, cp, ep;
  Seconds offload;
  [[nodiscard]] Seconds total() const { return fwd + bwd + recompute + tp + cp + ep + offload; }
};
// Full recomputation repeats the forward (with its TP and EP communication) of the recomputed
// layers (all, or `recompute_layers` per stage); selective repeats the attention core.
StageTimes stage_times(const ModelSpec& m, const StageKind& sk, const LayerCosts& c, Recompute r, int recompute_layers);
// The share of a stage's blocks that full recomputation repeats: recompute_layers of them per stage
// (Megatron --recompute-num-layers), or all (0).
double recomputed_share(const StageKind& sk, int recompute_layers);
// Host traffic of activation offload beside each forward: the stage's offloaded activations over
// the micro-batches in flight (min(m, p)), out and back (×2).
Bytes activation_offload_bytes(const StageMemory& sm, double micro_batches, int pp);

// Parameters held by one GPU of a stage kind: dense ones (÷ TP) and routed experts (÷ EP·ETP).
struct StageParams {
  double dense = 0, expert = 0;
};
StageParams stage_params(const ModelSpec& m, const PlanSpec& p, long long padded_vocab, const StageKind& sk);

// Bytes one GPU sends per pipeline transfer of a micro-batch's activations: b·s/cp·h elements,
// ÷ t with sequence parallelism or Megatron-LM's scatter/gather (PlanSpec::p2p_scatter_gather,
// Narayanan et al. 2021 §4.1).
Bytes pipeline_p2p_bytes(const JobSpec& job);
// Time of one such transfer, across the node boundary when TP·CP·DP fill a node; with the
// scatter/gather (no SP) the receiver then all-gathers the t pieces over the TP group.
Seconds pipeline_p2p_time(const JobSpec& job, const Calibration& cal);
// Bytes of the tied-embedding gradient all-reduce between the first and the last stage (one GPU's
// shard of the padded vocabulary × hidden, in the gradients' precision); zero without tied
// embeddings or a pipeline.
Bytes embedding_sync_bytes(const JobSpec& job, long long padded_vocab);

// The pipeline's critical path for `m` micro-batches, from the per-micro-batch times t_k and
// forwards f_k of the stage kinds (p stages, v virtual chunks):
//   1F1B / GPipe:  Σ_i t_i + (m − 1) · max_i t_i                (fill + steady state + drain)
//   interleaved:   m · max_i t_i + (Σ_i t_i − max_i t_i) / v    (bubble ÷ v, Narayanan et al. 2021 §2.2.2)
//   zero-bubble:   m · max_i t_i + (p − 1) · max_i (t_i − b_i)  (ZB-H1, Qi et al. 2023 §2.1: bubble
//                  (p − 1)(t_F + t_B − t_W), with W half the backward compute b_i and B the rest of
//                  the backward, its recomputation and communication; t_F = t_B = t_W gives (p − 1)·t_F)
// and the pipeline transfers it exposes: the 2(p − 1) transfers of fill and drain; with P2P
// overlap on, the part of each steady-state transfer longer than the forward of a chunk
// (max_i f_i / v) it runs beside (2·m·v transfers: interleaving multiplies them by v, Narayanan
// et al. 2021 §2.2.2); without overlap, every steady-state transfer. With interleaving, each of the
// v − 1 wraps of a micro-batch group from the last stage back to the first, in warm-up and in
// cool-down, adds p transfers: 2·(v − 1)·p in all. The whole is monotone in every stage's time.
struct PipelineTime {
  Seconds pipeline, pp_comm;
};
PipelineTime pipeline_time(const PlanSpec& p, double m, const StageKinds& kinds, std::span<const StageTimes> t, Seconds p2p);

// Bytes per parameter on the GPU before sharding (Megatron-LM's distributed-optimizer table,
// docs/source/api-guide/dist_optimizer.md): bf16 params + fp32 grads 2 + 4 + 12 (fp32 main params,
// Adam m and v); fp16 params + fp16 grads 2 + 2 + 16 (the optimizer also keeps fp32 main grads);
// fp32 4 + 4 + 8. ZeRO (Rajbhandari et al. 2020 §3.1) counts the same states as 2 + 2 + 12.
// fp8 (Transformer Engine) keeps bf16 weights plus a cached fp8 copy (1 byte). Gradients reduced
// in bf16 (--grad-reduce-in-bf16) take 2 bytes. With master-weight remainders
// (PlanSpec::param_remainders) the fp32 master takes 2 bytes instead of 4: bf16 + fp32 grads
// 2 + 4 + 10 (apex PR #1463: "store 16-bit param remainders ... reconstruct FP32 params out of
// BF16 params"). With fp8 parameters (PlanSpec::fp8_param_gather) the weight is the fp8 one
// alone, 1 byte (Transformer Engine Float8Tensor holds uint8 data; the issue-17 reading "1 B a
// parameter, not 3"): fp8 + fp32 grads 1 + 4 + 12. `gathered` is what the data-parallel
// parameter all-gather (ZeRO >= 1, FSDP) and parameter offload move per parameter: the compute
// weights, bf16 (2) in bf16 and fp8 training, fp8 (1) with fp8_param_gather ("perform the param
// all-gather in fp8", Megatron arguments.py L2016 at d98e8a64), 4 in fp32.
struct BytesPerParam {
  double weights, grads, optimizer;
  double remainder_saving = 0;  // bytes `optimizer` saves by remainders (2 or 0)
  double gathered = 2;
};
BytesPerParam bytes_per_param(const TrainingSpec& t, const PlanSpec& p);

// Optimizer step on the GPU, memory-bound: Adam moves ≈ 34 bytes per local parameter: fp32
// master, m and v read and written (24), the fp32 gradient read (4), the bf16 weight written (2)
// (Apex/TE multi_tensor_adam), the gradient buffer zeroed for the next step (4; Megatron-Core
// param_and_grad_buffer.py reset() zeroes grad_data every iteration). With remainders the master
// is the bf16 weight and its 16-bit remainder, as TE's multi_tensor_adam_param_remainder kernel
// reads them: the remainder read and written (4) and the weight read (2) instead of 8 bytes of
// fp32 master, 2 bytes fewer (bpp.remainder_saving): 32.
Seconds gpu_optimizer_time(double local_params, const BytesPerParam& bpp, const GpuSpec& gpu, const Calibration& cal);
// Optimizer state offloaded to the host (DeepSpeed cpu_adam / Megatron hybrid optimizer): host-
// memory bound at the node's bandwidth shared by its GPUs, gradients down and parameters up over
// PCIe; NVMe adds a read and a write of the fp32 state (12 B/param). A host optimizer keeps whole
// fp32 master weights (Megatron's HybridDeviceOptimizer, megatron/core/optimizer/cpu_offloading/
// hybrid_optimizer.py, runs torch.optim.Adam on fp32 copies), so remainders change none of this.
Seconds offloaded_optimizer_time(double offloaded_params, const JobSpec& job);

// Data-parallel work of one stage kind per step (the analytic evaluator's; the simulator replays
// the collectives itself and takes `sm_slowdown` from here):
//   * ZeRO 0: gradients all-reduced; ZeRO 1/2: reduce-scattered, and the updated parameters
//     all-gathered; FSDP / ZeRO-3: parameters gathered for forward and again for backward and
//     gradients reduce-scattered, every micro-batch, prefetch hiding them under that micro-batch's
//     compute (90 % of it). Each transformer block is its own unit, with its own collectives
//     (FSDP wraps each block: torchtitan apply_fsdp fully_shard per TransformerBlock; DeepSpeed
//     fetches per sub-module), so the per-call latency (NCCL's launch and, for a ring of n, n − 1
//     hops) is paid zero3_units(...) times per pass: a cost that grows with the data-parallel size.
//     DeepSpeed ZeRO-3 gathers again for a recomputed forward (its pre-forward hook fetches a
//     sub-module's parameters on every forward, the checkpointed recomputation's too:
//     deepspeed/runtime/zero/parameter_offload.py L353-354, L525-537 at edaa7221); FSDP's
//     recomputation runs inside the unit's backward, whose parameters its pre-backward hook has
//     gathered, so it gathers nothing more.
//   * With --overlap-grad-reduce the reduction runs beside the last micro-batch's backward (later
//     pipeline stages finish earlier, in the drain, which hides more); the last bucket (5 %) never
//     hides. With --overlap-param-gather the gather runs under the next forward.
//   * SMs lent to NCCL: a collective's CTAs do not share an SM with compute kernels, and NCCL takes
//     about 2 SMs per NIC, 16 on a DGX with 8 NICs (NCCL maintainers, NVIDIA/nccl issue #689,
//     2023-08-11: "If you are on DGX with 8 NICs ... it would use 16 SMs"; "NCCL CTAs won't share
//     an SM with compute kernels"). The compute that runs beside the hidden part h of the
//     collectives loses those SMs: it takes h · SMs_nccl / SMs longer (memory-bandwidth contention,
//     nccl issue #1428, is not modeled).
struct DataParallelTime {
  Seconds reduce, gather;  // the collectives' whole times
  Seconds exposed;         // what the step waits for
  Seconds sm_slowdown;     // the compute beside the hidden part, slowed by the SMs NCCL takes
};
// `sk`'s stage index counts for the drain; `t` is its per-micro-batch time, `m` the micro-batches.
DataParallelTime data_parallel_time(const JobSpec& job, const Calibration& cal, const StageKind& sk, const StageParams& params,
                                    const StageTimes& t, double m);
// The optimizer end of a step for one stage kind, the evaluators' both (model/analytic.cpp,
// model/workload.cpp): the GPU's share of the local parameters stepped on the GPU
// (gpu_optimizer_time), the offloaded share on the host (offloaded_optimizer_time), and offloaded
// parameters streamed in over PCIe for the forward and the backward of every micro-batch, of which
// what the micro-batches' compute (t.fwd + t.bwd each) does not cover shows.
struct ShardGroups;  // model/memory.hpp
struct OptimizerTime {
  Seconds gpu;      // on-GPU Adam
  Seconds offload;  // host optimizer and parameter streaming
};
// `bpp` and `groups` are the plan's (bytes_per_param, memory.hpp shard_groups), computed once by the caller.
OptimizerTime optimizer_time(const JobSpec& job, const Calibration& cal, const BytesPerParam& bpp, const ShardGroups& groups,
                             const StageParams& params, const StageTimes& t, double m);

// SMs one NCCL collective of group `g` takes (above): 2 per NIC up to 16; 16 inside the scale-up domain.
int nccl_sms(const GroupPlacement& g, const NodeSpec& node);
// FSDP / ZeRO-3 units of a stage kind (its transformer blocks, at least 1), and the parameter
// gathers per micro-batch and unit: 2, plus the recomputed share under DeepSpeed (above).
int zero3_units(const StageKind& sk);
double zero3_gathers(const JobSpec& job, const StageKind& sk);

}  // namespace trainplan
