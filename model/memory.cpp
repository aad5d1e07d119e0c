#include "model/memory.hpp"

#include <algorithm>

namespace trainplan {

ShardGroups shard_groups(const PlanSpec& p, const ClusterSpec& cl) {
  ShardGroups g;
  g.dp_dense = static_cast<double>(p.dp) * p.cp;  // context-parallel ranks hold the same weights too
  g.shard_dense = g.dp_dense;
  if (p.fsdp == Fsdp::kHybridShard)
    g.shard_dense = std::min(g.dp_dense, std::max(1.0, static_cast<double>(cl.node.gpus_per_node) / (p.tp * p.cp)));
  // Experts are replicated over the dense DP·CP·TP ranks that EP·ETP does not split (Megatron-Core
  // expert data parallelism).
  g.dp_expert = std::max(1.0, g.dp_dense * p.tp / (static_cast<double>(p.ep) * p.expert_tp));
  g.shard_expert = p.fsdp == Fsdp::kHybridShard ? std::min(g.dp_expert, g.shard_dense) : g.dp_expert;
  return g;
}

double local_optimizer_params(const PlanSpec& p, const ShardGroups& g, const StageParams& s) {
  return p.effective_zero() >= 1 ? s.dense / g.shard_dense + s.expert / g.shard_expert : s.dense + s.expert;
}

StageMemory stage_memory(const JobSpec& job, const Calibration& cal, const StageKind& sk, const StageParams& params, const LayerCosts& c,
                         const BytesPerParam& bpp, const ShardGroups& g, double m_mb) {
  const PlanSpec& p = job.plan;
  StageMemory sm;
  sm.layers = sk.layers;
  const int zero = p.effective_zero();
  const double pd = params.dense, pe = params.expert;
  auto sharded = [&](double bytes_per, int min_stage) {
    return zero >= min_stage ? pd * bytes_per / g.shard_dense + pe * bytes_per / g.shard_expert : (pd + pe) * bytes_per;
  };
  const double weights = sharded(bpp.weights, 3);
  const double grads = sharded(bpp.grads, 2);
  const double opt = sharded(bpp.optimizer, 1);
  // A host optimizer keeps whole fp32 master weights (step.hpp offloaded_optimizer_time).
  const double opt_host = sharded(bpp.optimizer + bpp.remainder_saving, 1);
  const double opt_off = p.optimizer_offload.moved();
  const double par_off = p.param_offload.moved();
  const double act_off = p.activation_offload.moved();
  sm.weights = B(weights * (1 - par_off));
  sm.gradients = B(grads);
  sm.optimizer = B(opt * (1 - opt_off));
  (p.optimizer_offload.device == OffloadDevice::kNvme ? sm.offloaded_nvme : sm.offloaded_cpu) += B(opt_host * opt_off);
  (p.param_offload.device == OffloadDevice::kNvme ? sm.offloaded_nvme : sm.offloaded_cpu) += B(weights * par_off);

  // Micro-batches whose activations are in flight on this stage.
  const double v = std::max(1, p.virtual_stages);
  double in_flight = 1;
  switch (p.schedule) {
    case Schedule::kGpipe: in_flight = m_mb; break;
    case Schedule::k1F1B:
    case Schedule::kZeroBubble: in_flight = std::min<double>(m_mb, p.pp - sk.index); break;
    case Schedule::kInterleaved:
      in_flight = std::min<double>(m_mb, (p.pp - sk.index) * (1.0 + (p.pp - 1.0) / (static_cast<double>(p.pp) * v)));
      break;
  }
  const int moe_layers = sk.moe_layers;
  const int dense_layers = sk.dense_blocks();
  const int blocks = sk.blocks();
  Bytes per_mb, transient;
  if (p.recompute == Recompute::kFull) {
    const int rl = p.recompute_layers > 0 ? std::min(p.recompute_layers, blocks) : blocks;
    const double frac_moe = blocks > 0 ? static_cast<double>(moe_layers) / blocks : 0.0;
    const Bytes full_layer = c.dense.activations * (1 - frac_moe) + c.moe.activations * frac_moe;
    per_mb = (c.dense.layer_input * (1 - frac_moe) + c.moe.layer_input * frac_moe) * rl + full_layer * (blocks - rl);
    transient = full_layer;  // the layer being recomputed
  } else if (p.recompute == Recompute::kSelective) {
    per_mb = c.dense.activations_selective * dense_layers + c.moe.activations_selective * moe_layers;
  } else {
    per_mb = c.dense.activations * dense_layers + c.moe.activations * moe_layers;
  }
  if (sk.has_embedding) per_mb += c.emb.activations;
  Bytes act = per_mb * in_flight * (1 - act_off) + transient;
  if (sk.has_output) act += c.out.activations;  // one micro-batch's logits at a time
  sm.activations = act;
  sm.offloaded_cpu += per_mb * in_flight * act_off;

  Bytes buffers;
  if (zero >= 3 && sk.layers > 0) buffers += B((pd + pe) / sk.layers * bpp.weights * 2);
  if (zero == 2) buffers += std::min(B(5e8 * 2), B(grads));
  sm.comm_buffers = buffers;
  sm.framework = cal.reserved_memory;
  sm.fragmentation = (sm.weights + sm.gradients + sm.optimizer + sm.activations + sm.comm_buffers) * cal.fragmentation;
  return sm;
}

}  // namespace trainplan
