#include "model/step.hpp"

#include <algorithm>

#include "model/cost/collectives.hpp"
#include "model/cost/compute.hpp"
#include "model/memory.hpp"
#include "model/params.hpp"
#include "model/pipeline_layout.hpp"

namespace trainplan {

StageKinds stage_kinds(const ModelSpec& m, const PlanSpec& p) {
  const PipelineLayout l = plan_layout(m, p);
  StageKinds s;
  const bool mtp_moe = m.moe && m.is_moe_layer(m.layers - 1);  // an MTP block is built like the last layer
  for (int r = 0; r < l.pp; ++r) {
    StageKind k;
    k.count = 1;
    k.index = r;
    k.first_layer = l.at(r, 0).first_layer;
    for (int j = 0; j < l.vpp; ++j) {
      const LayoutChunk& c = l.at(r, j);
      k.layers += c.layers;
      k.moe_layers += moe_layers_in(m, c.first_layer, c.layers) + (mtp_moe ? c.mtp : 0);
      k.mtp += c.mtp;
      k.has_embedding = k.has_embedding || c.embedding;
      k.has_output = k.has_output || c.loss;
    }
    // Neighbouring stages with the same work are one kind (the first and last differ from the
    // middle ones by the embedding and the output).
    if (!s.kind.empty()) {
      StageKind& prev = s.kind.back();
      if (prev.layers == k.layers && prev.moe_layers == k.moe_layers && prev.mtp == k.mtp && prev.has_embedding == k.has_embedding &&
          prev.has_output == k.has_output) {
        ++prev.count;
        continue;
      }
    }
    s.kind.push_back(k);
  }
  s.count = static_cast<int>(s.kind.size());
  return s;
}

int moe_layers_in(const ModelSpec& m, int first, int count) {
  if (!m.moe) return 0;
  const int lo = std::max(first, m.moe->dense_layers), hi = first + count;
  return std::max(0, hi - lo);
}

bool model_has_dropout(const ModelSpec& m) { return m.learned_positions && m.layernorm; }

LayerContext layer_context(const JobSpec& job, const Calibration& cal) {
  const PlanSpec& p = job.plan;
  LayerContext ctx;
  ctx.model = &job.model;
  ctx.cluster = &job.cluster;
  ctx.cal = &cal;
  ctx.micro_batch = p.micro_batch;
  ctx.seq = job.training.sequence_length;
  ctx.tp = p.tp;
  ctx.sp = p.sequence_parallel && p.tp > 1;
  ctx.cp = p.cp;
  ctx.ep = p.ep;
  ctx.etp = p.expert_tp;
  ctx.precision = job.training.precision;
  ctx.flash = p.attention == AttentionBackend::kAuto ? cal.arch.flash_attention : p.attention == AttentionBackend::kFlash;
  ctx.dropout = model_has_dropout(job.model);
  ctx.tp_comm_overlap = p.tp_comm_overlap;
  ctx.tp_grad_overlap = p.tp_grad_overlap;
  ctx.vocab = padded_vocab(job.model.vocab, p.tp);
  return ctx;
}

LayerCosts layer_costs(const LayerContext& ctx) {
  LayerCosts c;
  c.dense = layer_cost(ctx, false);
  c.moe = ctx.model->moe ? layer_cost(ctx, true) : c.dense;
  c.emb = embedding_cost(ctx);
  c.out = output_cost(ctx);
  return c;
}

const LayerCosts& LayerCostCache::get(const JobSpec& job, const Calibration& cal) {
  const auto owner = std::make_tuple(static_cast<const void*>(&job.model), static_cast<const void*>(&job.cluster),
                                     static_cast<const void*>(&cal), job.training.sequence_length, job.training.precision);
  if (owner != owner_) {
    entries_.clear();
    owner_ = owner;
  }
  const LayerCostKey key = layer_cost_key(job.plan);
  auto it = entries_.find(key);
  if (it == entries_.end()) it = entries_.emplace(key, layer_costs(layer_context(job, cal))).first;
  return it->second;
}

double recomputed_share(const StageKind& sk, int recompute_layers) {
  return recompute_layers > 0 ? std::min(1.0, static_cast<double>(recompute_layers) / std::max(1, sk.blocks())) : 1.0;
}

Bytes activation_offload_bytes(const StageMemory& sm, double micro_batches, int pp) {
  return sm.offloaded_cpu / std::max(1.0, std::min<double>(micro_batches, pp)) * 2.0;
}

StageTimes stage_times(const ModelSpec& m, const StageKind& sk, const LayerCosts& c, Recompute r, int recompute_layers) {
  StageTimes st;
  const int moe_layers = sk.moe_layers;
  const int dense_layers = sk.dense_blocks();
  auto acc = [&](const LayerCost& lc, double n) {
    st.fwd += lc.fwd * n;
    st.bwd += lc.bwd * n;
    st.tp += (lc.tp_comm_fwd + lc.tp_comm_bwd) * n;
    st.cp += (lc.cp_comm_fwd + lc.cp_comm_bwd) * n;
    st.ep += (lc.ep_comm_fwd + lc.ep_comm_bwd) * n;
  };
  acc(c.dense, dense_layers);
  acc(c.moe, moe_layers);
  if (r == Recompute::kFull) {
    const double frac = recomputed_share(sk, recompute_layers);
    st.recompute = (c.dense.fwd * dense_layers + c.moe.fwd * moe_layers) * frac;
    st.tp += (c.dense.tp_comm_fwd * dense_layers + c.moe.tp_comm_fwd * moe_layers) * frac;
    st.ep += c.moe.ep_comm_fwd * (moe_layers * frac);
  } else if (r == Recompute::kSelective) {
    st.recompute = c.dense.attention_core_fwd * dense_layers + c.moe.attention_core_fwd * moe_layers;
  }
  if (sk.has_embedding) acc(c.emb, 1);
  if (sk.has_output) acc(c.out, 1);
  acc(c.out, sk.mtp);  // each MTP module's logits through the shared output head
  return st;
}

StageParams stage_params(const ModelSpec& m, const PlanSpec& p, long long vocab, const StageKind& sk) {
  // Layers differ only in being dense or MoE: their parameters once each.
  StageParams s;
  const int moe_layers = sk.moe_layers;
  auto add = [&](const LayerParams& lp, int n) {
    s.dense += ((lp.attention + lp.mlp + lp.shared_experts) / p.tp + lp.router + lp.norms) * n;
    s.expert += lp.routed_experts / (static_cast<double>(p.ep) * p.expert_tp) * n;
  };
  if (sk.dense_blocks() > 0) add(layer_params(m, m.moe ? std::max(0, m.moe->dense_layers - 1) : 0), sk.dense_blocks());
  if (moe_layers > 0) add(layer_params(m, m.layers - 1), moe_layers);
  if (sk.has_embedding) s.dense += embedding_params(m, vocab) / p.tp;
  if (sk.has_output) {
    s.dense += final_norm_params(m);
    // Tied embeddings: the last stage keeps its own copy when the pipeline splits them.
    s.dense += (m.tied_embeddings ? (p.pp > 1 ? static_cast<double>(vocab) * m.hidden : 0.0) : output_params(m, vocab)) / p.tp;
  }
  return s;
}

Bytes pipeline_p2p_bytes(const JobSpec& job) {
  const PlanSpec& p = job.plan;
  const bool split = p.tp > 1 && (p.sequence_parallel || p.p2p_scatter_gather);
  return B(static_cast<double>(p.micro_batch) * job.training.sequence_length / p.cp * job.model.hidden *
           element_bytes(activation_precision(job.training.precision)) / (split ? p.tp : 1));
}

Bytes embedding_sync_bytes(const JobSpec& job, long long padded_vocab) {
  const PlanSpec& p = job.plan;
  if (!job.model.tied_embeddings || p.pp <= 1) return Bytes{};
  return B(static_cast<double>(padded_vocab) * job.model.hidden / p.tp * bytes_per_param(job.training, p).grads);
}

Seconds pipeline_p2p_time(const JobSpec& job, const Calibration& cal) {
  const PlanSpec& p = job.plan;
  if (p.pp <= 1) return Seconds{};
  const Bytes act = pipeline_p2p_bytes(job);
  Seconds t = p2p_time(act, p.tp * p.cp * p.dp, job.cluster, cal);
  if (p.p2p_scatter_gather && p.tp > 1 && !p.sequence_parallel)
    t += collective_time(Collective::kAllGather, act * static_cast<double>(p.tp), place_group(p.tp, 1, job.cluster), job.cluster, cal);
  return t;
}

PipelineTime pipeline_time(const PlanSpec& p, double m, const StageKinds& kinds, std::span<const StageTimes> t, Seconds p2p) {
  Seconds sum_t, max_t, max_f, max_zb;
  for (int k = 0; k < kinds.count; ++k) {
    sum_t += t[k].total() * kinds.kind[k].count;
    max_t = std::max(max_t, t[k].total());
    max_f = std::max(max_f, t[k].fwd);
    // ZB-H1's bubble per stage, t_F + t_B − t_W: with W half the backward compute and B the other
    // half, the recomputation and the backward's communication (model/workload.cpp), it is the
    // micro-batch's time less its backward compute.
    max_zb = std::max(max_zb, t[k].total() - t[k].bwd);
  }
  const double v = p.schedule == Schedule::kInterleaved ? std::max(1, p.virtual_stages) : 1.0;
  PipelineTime out;
  if (p.pp == 1) {
    out.pipeline = max_t * m;
    return out;
  }
  switch (p.schedule) {
    case Schedule::kGpipe:
    case Schedule::k1F1B: out.pipeline = sum_t + max_t * (m - 1); break;
    case Schedule::kInterleaved: out.pipeline = max_t * m + (sum_t - max_t) / v; break;
    case Schedule::kZeroBubble: out.pipeline = max_t * m + max_zb * (p.pp - 1); break;
  }
  // Fill and drain: 2(p − 1) transfers on the critical path whatever the overlap.
  out.pp_comm = p2p * 2.0 * (p.pp - 1);
  // Steady state: 2·m·v transfers (a forward and a backward one per micro-batch and chunk), each
  // beside the forward of a chunk of the slowest stage (its backward is longer still).
  const Seconds chunk_fwd = max_f / v;
  const Seconds per_transfer = p.overlap_p2p ? std::max(Seconds{}, p2p - chunk_fwd) : p2p;
  out.pp_comm += per_transfer * (2.0 * m * v);
  // Interleaving (Megatron's schedule runs micro-batches in groups of p): in warm-up and
  // cool-down a group's first micro-batch wraps from the last stage back to the first v − 1 times
  // in each direction, and the round trip takes p transfers more than the p chunk steps the
  // group's work covers; the steady state hides them behind the other direction's work. So the
  // interleaved schedule adds 2·(v − 1)·p transfers to the critical path (Narayanan et al. 2021
  // §2.2.2 take transfers as free; the simulator's op-by-op replay of the schedule shows this term).
  if (p.schedule == Schedule::kInterleaved && v > 1 && p.overlap_p2p) out.pp_comm += p2p * (2.0 * (v - 1) * p.pp);
  return out;
}

BytesPerParam bytes_per_param(const TrainingSpec& t, const PlanSpec& p) {
  const double moments = t.optimizer == Optimizer::kAdam ? 8 : 4;
  BytesPerParam b{2, 4, 12};
  switch (t.precision) {
    case Precision::kFp32:
    case Precision::kTf32: return {4, 4, moments, 0, element_bytes(activation_precision(t.precision))};
    case Precision::kFp16: b = {2, 2, 4 + 4 + moments}; break;
    case Precision::kBf16: b = {2, 4, 4 + moments}; break;
    case Precision::kFp8: b = {3, 4, 4 + moments}; break;
  }
  b.gathered = element_bytes(activation_precision(t.precision));
  if (p.fp8_param_gather && t.precision == Precision::kFp8) b.weights = b.gathered = 1;
  if (p.grad_reduce_bf16) b.grads = 2;
  if (p.param_remainders && remainders_possible(t)) b.remainder_saving = 2;
  b.optimizer -= b.remainder_saving;
  return b;
}

Seconds gpu_optimizer_time(double local_params, const BytesPerParam& bpp, const GpuSpec& gpu, const Calibration& cal) {
  return memory_bound_time(B(local_params * (34 - bpp.remainder_saving)), 4, gpu, cal);
}

Seconds offloaded_optimizer_time(double off, const JobSpec& job) {
  if (off <= 0) return Seconds{};
  const NodeSpec& n = job.cluster.node;
  const BytesPerParam bpp = bytes_per_param(job.training, job.plan);
  const BytesPerSecond host_share = n.host_memory_bandwidth / n.gpus_per_node;
  Seconds t = B(off * 34) / host_share + B(off * (bpp.grads + bpp.gathered)) / n.pcie.bandwidth;
  if (job.plan.optimizer_offload.device == OffloadDevice::kNvme) t += B(off * 12 * 2) / (n.nvme_bandwidth / n.gpus_per_node);
  return t;
}

int nccl_sms(const GroupPlacement& g, const NodeSpec& node) {
  constexpr int kMaxSms = 16;  // NVIDIA/nccl issue #689 (above)
  return g.in_scale_up ? kMaxSms : std::clamp(2 * node.nics, 2, kMaxSms);
}

int zero3_units(const StageKind& sk) { return std::max(1, sk.blocks()); }

double zero3_gathers(const JobSpec& job, const StageKind& sk) {
  const PlanSpec& p = job.plan;
  const Framework f = effective_framework(job.training.framework);
  const bool deepspeed = f == Framework::kDeepspeed || f == Framework::kMegatronDeepspeed;
  if (!deepspeed || p.recompute != Recompute::kFull) return 2.0;
  return 2.0 + recomputed_share(sk, p.recompute_layers);
}

OptimizerTime optimizer_time(const JobSpec& job, const Calibration& cal, const BytesPerParam& bpp, const ShardGroups& groups,
                             const StageParams& params, const StageTimes& t, double m) {
  const PlanSpec& p = job.plan;
  const double local = local_optimizer_params(p, groups, params);
  const double offloaded = p.optimizer_offload.moved();
  OptimizerTime out;
  out.gpu = gpu_optimizer_time(local * (1 - offloaded), bpp, job.cluster.node.gpu, cal);
  out.offload = offloaded_optimizer_time(local * offloaded, job);
  if (p.param_offload.moved() > 0) {
    const Bytes streamed = B(local * bpp.gathered * p.param_offload.fraction * 2 * m);
    out.offload += std::max(Seconds{}, streamed / job.cluster.node.pcie.bandwidth - (t.fwd + t.bwd) * m);
  }
  return out;
}

DataParallelTime data_parallel_time(const JobSpec& job, const Calibration& cal, const StageKind& sk, const StageParams& params,
                                    const StageTimes& t, double m) {
  const PlanSpec& p = job.plan;
  const ClusterSpec& cl = job.cluster;
  const BytesPerParam bpp = bytes_per_param(job.training, p);
  const ShardGroups sg = shard_groups(p, cl);
  const int zero = p.effective_zero();
  const GroupPlacement gd = place_group(static_cast<int>(sg.dp_dense), p.tp, cl);
  const GroupPlacement ge = place_group(static_cast<int>(sg.dp_expert), p.tp * p.cp * p.ep, cl);
  const double pd = params.dense, pe = params.expert;
  DataParallelTime d;
  const Collective red = zero == 0 ? Collective::kAllReduce : Collective::kReduceScatter;
  // One collective per FSDP / ZeRO-3 unit, each with its share of the bytes and one call's latency
  // (above); below ZeRO-3 one for the stage.
  const int units = zero >= 3 ? zero3_units(sk) : 1;
  const double u = 1.0 / units;
  d.reduce = (collective_time(red, B(pd * bpp.grads * u), gd, cl, cal) + collective_time(red, B(pe * bpp.grads * u), ge, cl, cal)) * units;
  if (zero >= 1)
    d.gather = (collective_time(Collective::kAllGather, B(pd * bpp.gathered * u), gd, cl, cal) +
                collective_time(Collective::kAllGather, B(pe * bpp.gathered * u), ge, cl, cal)) *
               units;
  Seconds hidden;
  if (zero >= 3) {
    const Seconds per_mb = d.gather * zero3_gathers(job, sk) + d.reduce;
    d.exposed = std::max(Seconds{}, per_mb - (t.fwd + t.bwd + t.recompute) * 0.9) * m;
    hidden = per_mb * m - d.exposed;
  } else {
    const double earlier = p.pp > 1 ? static_cast<double>(sk.index) : 0.0;
    const Seconds window = (t.bwd + t.recompute) * (1.0 + earlier);
    const Seconds r_exposed = p.overlap_grad_reduce ? std::max(d.reduce * 0.05, d.reduce - window) : d.reduce;
    Seconds g_exposed = d.gather;
    if (p.overlap_param_gather && zero >= 1) g_exposed = std::max(d.gather * 0.05, d.gather - t.fwd);
    d.exposed = r_exposed + g_exposed;
    // Beside compute only: a later stage's drain hides the reduction in idle time, where no
    // kernel loses SMs.
    hidden = std::min(d.reduce - r_exposed, t.bwd + t.recompute) + std::min(d.gather - g_exposed, t.fwd);
  }
  const int sms = cl.node.gpu.sm_count;
  if (sms > 0 && hidden.si() > 0) d.sm_slowdown = hidden * (static_cast<double>(nccl_sms(gd, cl.node)) / sms);
  return d;
}

}  // namespace trainplan
