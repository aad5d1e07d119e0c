#include "model/analytic.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <string>

#include "model/cost/collectives.hpp"
#include "model/cost/compute.hpp"
#include "model/cost/layer.hpp"
#include "model/params.hpp"

namespace trainplan {

namespace {

// Forward model FLOPs of one layer for one sequence (Megatron counting).
double layer_fwd_flops(const ModelSpec& m, int layer, double s) {
  const double h = static_cast<double>(m.hidden);
  double q, kv, proj;
  if (m.mla) {
    const MlaSpec& a = *m.mla;
    const double qk = a.qk_nope_head_dim + a.qk_rope_head_dim;
    q = static_cast<double>(m.heads) * qk;
    kv = q;
    proj = (a.q_lora_rank > 0 ? h * a.q_lora_rank + static_cast<double>(a.q_lora_rank) * m.heads * qk : h * m.heads * qk) +
           h * (a.kv_lora_rank + a.qk_rope_head_dim) + static_cast<double>(a.kv_lora_rank) * m.heads * (a.qk_nope_head_dim + a.v_head_dim) +
           static_cast<double>(m.heads) * a.v_head_dim * h;
    const double core = 2.0 * s * s * m.heads * (qk + a.v_head_dim);
    (void)kv;
    double f = 2.0 * s * proj + core;
    const int mats = mlp_matrices(m.activation);
    if (m.is_moe_layer(layer)) {
      const MoeSpec& e = *m.moe;
      f += 2.0 * s * mats * h * (static_cast<double>(e.top_k) * e.expert_ffn_hidden + static_cast<double>(e.shared_experts) * e.shared_ffn_hidden);
      f += 2.0 * s * h * e.experts;
    } else {
      f += 2.0 * s * mats * h * static_cast<double>(m.ffn_hidden);
    }
    return f;
  }
  q = static_cast<double>(m.heads) * m.head_dim;
  kv = static_cast<double>(m.kv_heads) * m.head_dim;
  proj = h * (q + 2 * kv) + q * h;
  double f = 2.0 * s * proj + 4.0 * s * s * q;
  const int mats = mlp_matrices(m.activation);
  if (m.is_moe_layer(layer)) {
    const MoeSpec& e = *m.moe;
    f += 2.0 * s * mats * h * (static_cast<double>(e.top_k) * e.expert_ffn_hidden + static_cast<double>(e.shared_experts) * e.shared_ffn_hidden);
    f += 2.0 * s * h * e.experts;
  } else {
    f += 2.0 * s * mats * h * static_cast<double>(m.ffn_hidden);
  }
  return f;
}

// MoE layers among [first, first + count): the layers from moe->dense_layers on are MoE.
int moe_layers_in(const ModelSpec& m, int first, int count) {
  if (!m.moe) return 0;
  const int lo = std::max(first, m.moe->dense_layers), hi = first + count;
  return std::max(0, hi - lo);
}

// Forward FLOPs of all layers for one sequence: layers differ only in being dense or MoE.
double all_layers_fwd_flops(const ModelSpec& m, double s) {
  const int moe = moe_layers_in(m, 0, m.layers);
  const int dense = m.layers - moe;
  return (dense > 0 ? dense * layer_fwd_flops(m, 0, s) : 0.0) + (moe > 0 ? moe * layer_fwd_flops(m, m.layers - 1, s) : 0.0);
}

// "%.1f" without printf's cost (the planner formats a reason for every infeasible plan).
std::string fixed1(double v) {
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed, 1);
  return std::string(buf, r.ptr);
}

double attention_core_flops(const ModelSpec& m, double s) {
  const double qk = m.mla ? m.mla->qk_nope_head_dim + m.mla->qk_rope_head_dim : m.head_dim;
  const double v = m.mla ? m.mla->v_head_dim : m.head_dim;
  return 2.0 * s * s * m.heads * (qk + v);
}

struct StageKind {
  int count = 0;   // stages of this kind
  int layers = 0;  // layers per stage (all virtual chunks)
  int first_layer = 0;
  bool has_embedding = false;
  bool has_output = false;
  int index = 0;   // stage index of the first stage of this kind
};

struct StageTimes {
  Seconds fwd, bwd, recompute;              // compute per micro-batch
  Seconds tp, cp, ep;                       // exposed comm per micro-batch (fwd + bwd + recompute)
  Seconds offload;                          // exposed activation offload per micro-batch
  [[nodiscard]] Seconds total() const { return fwd + bwd + recompute + tp + cp + ep + offload; }
};

// Bytes per parameter held on the GPU before sharding, Megatron-LM's distributed-optimizer table
// (docs/source/api-guide/dist_optimizer.md): bf16 params + fp32 grads: 2 + 4 + 12 (fp32 main
// params, Adam m and v), i.e. 18, or 6 + 12/d sharded; fp16 params + fp16 grads: 2 + 2 + 16 (the
// optimizer also keeps fp32 main grads), 4 + 16/d; fp32: 4 + 4 + 8. ZeRO (Rajbhandari et al. 2020
// §3.1) counts the same states as 2 + 2 + 12 with fp16 gradients. fp8 (Transformer Engine) keeps
// bf16 weights plus a cached fp8 copy (1 byte).
struct BytesPerParam {
  double weights, grads, optimizer;
};

BytesPerParam bytes_per_param(const TrainingSpec& t, bool grad_bf16) {
  if (grad_bf16 && t.precision != Precision::kFp32 && t.precision != Precision::kTf32) {
    BytesPerParam b = bytes_per_param(t, false);
    b.grads = 2;
    return b;
  }
  const double moments = t.optimizer == Optimizer::kAdam ? 8 : 4;
  switch (t.precision) {
    case Precision::kFp32:
    case Precision::kTf32: return {4, 4, moments};
    case Precision::kFp16: return {2, 2, 4 + 4 + moments};
    case Precision::kBf16: return {2, 4, 4 + moments};
    case Precision::kFp8: return {3, 4, 4 + moments};
  }
  return {2, 4, 12};
}

}  // namespace

bool model_has_dropout(const ModelSpec& m) { return m.learned_positions && m.layernorm; }

double model_flops_per_step(const ModelSpec& m, long long global_batch, int seq, long long vocab) {
  double per_seq = 0;
  per_seq += all_layers_fwd_flops(m, seq);
  per_seq += 2.0 * seq * static_cast<double>(m.hidden) * static_cast<double>(vocab);
  return 3.0 * per_seq * static_cast<double>(global_batch);
}

double recompute_flops_per_step(const ModelSpec& m, long long global_batch, int seq, Recompute r, int recompute_layers, int pp) {
  if (r == Recompute::kNone) return 0;
  if (r == Recompute::kSelective) return attention_core_flops(m, seq) * m.layers * static_cast<double>(global_batch);
  const double per_seq = all_layers_fwd_flops(m, seq);
  double frac = 1.0;
  if (recompute_layers > 0) frac = std::min(1.0, static_cast<double>(recompute_layers) * pp / m.layers);
  return per_seq * frac * static_cast<double>(global_batch);
}

Evaluation AnalyticEvaluator::evaluate(const JobSpec& job, const Calibration& cal) const {
  Evaluation ev;
  const ModelSpec& m = job.model;
  const PlanSpec& p = job.plan;
  const TrainingSpec& tr = job.training;
  const ClusterSpec& cl = job.cluster;
  const GpuSpec& gpu = cl.node.gpu;
  ev.pp = p.pp;
  ev.gpus = p.gpus();
  const long long mb_count = job.micro_batches();
  ev.micro_batches = mb_count;
  const double m_mb = static_cast<double>(mb_count);

  // --- Stage kinds.
  const int v = p.virtual_stages;
  std::array<StageKind, 3> kinds{};
  int nkinds = 0;
  {
    const int uneven = (p.first_stage_layers > 0) + (p.last_stage_layers > 0);
    const int rest = p.pp - uneven;
    const int even = rest > 0 ? (m.layers - p.first_stage_layers - p.last_stage_layers) / rest : 0;
    const int first_layers = p.pp == 1 ? m.layers : (p.first_stage_layers > 0 ? p.first_stage_layers : even);
    const int last_layers = p.last_stage_layers > 0 ? p.last_stage_layers : even;
    kinds[0] = {1, first_layers, 0, true, p.pp == 1, 0};
    nkinds = 1;
    if (p.pp >= 3) kinds[nkinds++] = {p.pp - 2, even, first_layers, false, false, 1};
    if (p.pp >= 2) kinds[nkinds++] = {1, last_layers, m.layers - last_layers, false, true, p.pp - 1};
  }

  // --- Per-layer costs (dense and MoE layers).
  LayerContext ctx;
  ctx.model = &m;
  ctx.cluster = &cl;
  ctx.cal = &cal;
  ctx.micro_batch = p.micro_batch;
  ctx.seq = tr.sequence_length;
  ctx.tp = p.tp;
  ctx.sp = p.sequence_parallel && p.tp > 1;
  ctx.cp = p.cp;
  ctx.ep = p.ep;
  ctx.etp = p.expert_tp;
  ctx.precision = tr.precision;
  ctx.flash = p.attention == AttentionBackend::kAuto ? cal.arch.flash_attention : p.attention == AttentionBackend::kFlash;
  ctx.dropout = model_has_dropout(m);
  ctx.tp_comm_overlap = p.tp_comm_overlap;
  ctx.vocab = padded_vocab(m.vocab, p.tp);
  const LayerCost dense = layer_cost(ctx, false);
  const LayerCost moe = m.moe ? layer_cost(ctx, true) : dense;
  const LayerCost emb = embedding_cost(ctx);
  const LayerCost outl = output_cost(ctx);

  // PCIe bandwidth per GPU for offload traffic.
  const BytesPerSecond pcie = cl.node.pcie.bandwidth;

  // Layers differ only in being dense or MoE: their parameters once each.
  const LayerParams lp_dense = layer_params(m, m.moe ? std::max(0, m.moe->dense_layers - 1) : 0);
  const LayerParams lp_moe = layer_params(m, m.layers - 1);
  std::array<StageTimes, 3> times{};
  std::array<double, 3> stage_params{}, stage_expert_params{};
  for (int k = 0; k < nkinds; ++k) {
    const StageKind& sk = kinds[k];
    StageTimes& st = times[k];
    const int moe_layers = moe_layers_in(m, sk.first_layer, sk.layers);
    double dense_params = 0, expert_params = 0;
    auto add_params = [&](const LayerParams& lp, int n) {
      dense_params += ((lp.attention + lp.mlp + lp.shared_experts) / p.tp + lp.router + lp.norms) * n;
      expert_params += lp.routed_experts / (static_cast<double>(p.ep) * p.expert_tp) * n;
    };
    add_params(lp_dense, sk.layers - moe_layers);
    if (moe_layers > 0) add_params(lp_moe, moe_layers);
    const int dense_layers = sk.layers - moe_layers;
    auto acc = [&](const LayerCost& c, double n) {
      st.fwd += c.fwd * n;
      st.bwd += c.bwd * n;
      st.tp += (c.tp_comm_fwd + c.tp_comm_bwd) * n;
      st.cp += (c.cp_comm_fwd + c.cp_comm_bwd) * n;
      st.ep += (c.ep_comm_fwd + c.ep_comm_bwd) * n;
    };
    acc(dense, dense_layers);
    acc(moe, moe_layers);
    // Recomputation: full repeats the forward (and its TP/EP communication) of the recomputed layers.
    if (p.recompute == Recompute::kFull) {
      const double frac = p.recompute_layers > 0 ? std::min(1.0, static_cast<double>(p.recompute_layers) / std::max(1, sk.layers)) : 1.0;
      st.recompute = (dense.fwd * dense_layers + moe.fwd * moe_layers) * frac;
      st.tp += (dense.tp_comm_fwd * dense_layers + moe.tp_comm_fwd * moe_layers) * frac;
      st.ep += moe.ep_comm_fwd * (moe_layers * frac);
    } else if (p.recompute == Recompute::kSelective) {
      st.recompute = dense.attention_core_fwd * dense_layers + moe.attention_core_fwd * moe_layers;
    }
    if (sk.has_embedding) acc(emb, 1);
    if (sk.has_output) acc(outl, 1);
    if (sk.has_embedding) dense_params += embedding_params(m, ctx.vocab) / p.tp;
    if (sk.has_output) {
      dense_params += final_norm_params(m);
      // Tied embeddings: the last stage keeps its own copy when the pipeline splits them.
      dense_params += (m.tied_embeddings ? (p.pp > 1 ? static_cast<double>(ctx.vocab) * m.hidden : 0.0)
                                         : output_params(m, ctx.vocab)) / p.tp;
    }
    stage_params[k] = dense_params;
    stage_expert_params[k] = expert_params;
  }

  // --- Memory per stage kind.
  const BytesPerParam bpp = bytes_per_param(tr, p.grad_reduce_bf16);
  const int zero = p.effective_zero();
  const double dp_dense = static_cast<double>(p.dp) * p.cp;  // ranks holding the same dense weights
  double shard_dense = dp_dense;
  if (p.fsdp == Fsdp::kHybridShard) shard_dense = std::min(dp_dense, std::max(1.0, static_cast<double>(cl.node.gpus_per_node) / (p.tp * p.cp)));
  const double dp_expert = std::max(1.0, dp_dense * p.tp / (static_cast<double>(p.ep) * p.expert_tp));
  const double shard_expert = p.fsdp == Fsdp::kHybridShard ? std::min(dp_expert, shard_dense) : dp_expert;
  const double opt_gpu_frac = 1.0 - (p.optimizer_offload.device != OffloadDevice::kNone ? p.optimizer_offload.fraction : 0.0);
  const double param_gpu_frac = 1.0 - (p.param_offload.device != OffloadDevice::kNone ? p.param_offload.fraction : 0.0);
  const double act_gpu_frac = 1.0 - (p.activation_offload.device != OffloadDevice::kNone ? p.activation_offload.fraction : 0.0);
  Bytes host_per_gpu, nvme_per_gpu;
  for (int k = 0; k < nkinds; ++k) {
    const StageKind& sk = kinds[k];
    StageMemory& sm = ev.stage_kinds[k == 0 ? 0 : (sk.has_output ? 2 : 1)];
    sm.layers = sk.layers;
    const double pd = stage_params[k], pe = stage_expert_params[k];
    auto sharded = [&](double bytes_per, int min_stage) {
      return zero >= min_stage ? pd * bytes_per / shard_dense + pe * bytes_per / shard_expert : (pd + pe) * bytes_per;
    };
    const double weights = sharded(bpp.weights, 3);
    const double grads = sharded(bpp.grads, 2);
    const double opt = sharded(bpp.optimizer, 1);
    sm.weights = B(weights * param_gpu_frac);
    sm.gradients = B(grads);
    sm.optimizer = B(opt * opt_gpu_frac);
    const Bytes off_opt = B(opt * (1 - opt_gpu_frac));
    const Bytes off_par = B(weights * (1 - param_gpu_frac));
    (p.optimizer_offload.device == OffloadDevice::kNvme ? sm.offloaded_nvme : sm.offloaded_cpu) += off_opt;
    (p.param_offload.device == OffloadDevice::kNvme ? sm.offloaded_nvme : sm.offloaded_cpu) += off_par;
    // Activations of the micro-batches in flight on this stage.
    const int i = sk.index;
    double in_flight = 1;
    switch (p.schedule) {
      case Schedule::kGpipe: in_flight = m_mb; break;
      case Schedule::k1F1B:
      case Schedule::kZeroBubble: in_flight = std::min<double>(m_mb, p.pp - i); break;
      case Schedule::kInterleaved:
        // Korthikanti et al. 2022 §4.2.3: the first stage holds p·(1 + (p−1)/(p·v)) micro-batches' worth.
        in_flight = std::min<double>(m_mb * 1.0, (p.pp - i) * (1.0 + (p.pp - 1.0) / (static_cast<double>(p.pp) * v)));
        break;
    }
    const int moe_layers = moe_layers_in(m, sk.first_layer, sk.layers);
    const int dense_layers = sk.layers - moe_layers;
    Bytes per_mb;
    Bytes transient;
    if (p.recompute == Recompute::kFull) {
      const int rl = p.recompute_layers > 0 ? std::min(p.recompute_layers, sk.layers) : sk.layers;
      const double frac_moe = sk.layers > 0 ? static_cast<double>(moe_layers) / sk.layers : 0.0;
      const Bytes full_layer = dense.activations * (1 - frac_moe) + moe.activations * frac_moe;
      per_mb = (dense.layer_input * (1 - frac_moe) + moe.layer_input * frac_moe) * rl + full_layer * (sk.layers - rl);
      transient = full_layer;  // the layer being recomputed
    } else if (p.recompute == Recompute::kSelective) {
      per_mb = dense.activations_selective * dense_layers + moe.activations_selective * moe_layers;
    } else {
      per_mb = dense.activations * dense_layers + moe.activations * moe_layers;
    }
    if (sk.has_embedding) per_mb += emb.activations;
    Bytes act = per_mb * in_flight * act_gpu_frac + transient;
    if (sk.has_output) act += outl.activations;  // one micro-batch's logits at a time
    sm.activations = act;
    sm.offloaded_cpu += per_mb * in_flight * (1 - act_gpu_frac);
    // Buffers: ZeRO-3 prefetches about two layers of gathered parameters; ZeRO-2 keeps a
    // reduce bucket (DeepSpeed reduce_bucket_size 5e8 elements, capped by the stage's gradients).
    Bytes buffers;
    if (zero >= 3 && sk.layers > 0) buffers += B((pd + pe) / sk.layers * bpp.weights * 2);
    if (zero == 2) buffers += std::min(B(5e8 * 2), B(grads));
    sm.comm_buffers = buffers;
    sm.framework = cal.reserved_memory;
    sm.fragmentation = (sm.weights + sm.gradients + sm.optimizer + sm.activations + sm.comm_buffers) * cal.fragmentation;
    host_per_gpu = std::max(host_per_gpu, sm.offloaded_cpu);
    nvme_per_gpu = std::max(nvme_per_gpu, sm.offloaded_nvme);
  }
  if (p.pp == 2) ev.stage_kinds[1] = ev.stage_kinds[2];
  if (p.pp == 1) ev.stage_kinds[1] = ev.stage_kinds[2] = ev.stage_kinds[0];
  for (int i = 0; i < p.pp; i = (i == 0 ? 1 : (i < p.pp - 1 ? p.pp - 1 : p.pp))) {
    if (ev.stage(i).total() > ev.peak_memory) {
      ev.peak_memory = ev.stage(i).total();
      ev.peak_stage = i;
    }
  }

  // --- Feasibility.
  if (ev.peak_memory > gpu.memory) {
    ev.feasible = false;
    ev.reasons.push_back({InfeasibleReason::kOutOfMemory, "stage " + std::to_string(ev.peak_stage) + " needs " +
                                                              fixed1(ev.peak_memory / GiB(1)) + " GiB of " + fixed1(gpu.memory / GiB(1)) + " GiB"});
  }
  if (host_per_gpu * cl.node.gpus_per_node > cl.node.host_memory * 0.9) {
    ev.feasible = false;
    char buf[160];
    std::snprintf(buf, sizeof buf, "offload needs %.0f GiB of host memory per node of %.0f GiB (90%% usable)",
                  host_per_gpu * cl.node.gpus_per_node / GiB(1), cl.node.host_memory / GiB(1));
    ev.reasons.push_back({InfeasibleReason::kHostMemory, buf});
  }
  if (nvme_per_gpu.si() > 0 && (!cl.node.nvme_capacity || nvme_per_gpu * cl.node.gpus_per_node > *cl.node.nvme_capacity)) {
    ev.feasible = false;
    ev.reasons.push_back({InfeasibleReason::kNvmeCapacity, "NVMe offload exceeds the node's NVMe capacity"});
  }

  // --- Pipeline critical path.
  // Activation offload traffic runs over PCIe beside compute; only the excess shows.
  if (p.activation_offload.device != OffloadDevice::kNone) {
    for (int k = 0; k < nkinds; ++k) {
      const Bytes moved = ev.stage_kinds[k == 0 ? 0 : (kinds[k].has_output ? 2 : 1)].offloaded_cpu;
      const Seconds pcie_t = moved / std::max(1.0, std::min<double>(m_mb, p.pp)) * 2.0 / pcie;
      times[k].offload = std::max(Seconds{}, pcie_t - times[k].fwd);
    }
  }
  Seconds sum_t, max_t, max_f;
  for (int k = 0; k < nkinds; ++k) {
    sum_t += times[k].total() * kinds[k].count;
    max_t = std::max(max_t, times[k].total());
    max_f = std::max(max_f, times[k].fwd);
  }
  // P2P between stages: b·s·h activations (÷t with SP scatter/gather), forward and backward.
  Seconds p2p{};
  if (p.pp > 1) {
    const Bytes act = B(static_cast<double>(p.micro_batch) * tr.sequence_length / p.cp * m.hidden *
                        element_bytes(activation_precision(tr.precision)) / (ctx.sp ? p.tp : 1));
    p2p = p2p_time(act, p.tp * p.cp * p.dp, cl, cal);
  }
  Seconds pipeline;
  Seconds pp_comm;
  switch (p.schedule) {
    case Schedule::kGpipe:
    case Schedule::k1F1B:
      pipeline = sum_t + max_t * (m_mb - 1);
      pp_comm = p2p * 2.0 * (p.pp - 1) + (p.overlap_p2p ? Seconds{} : p2p * 2.0 * m_mb);
      break;
    case Schedule::kInterleaved:
      pipeline = max_t * m_mb + (sum_t - max_t) / v;
      pp_comm = p2p * 2.0 * (p.pp - 1) + (p.overlap_p2p ? Seconds{} : p2p * 2.0 * m_mb * v);
      break;
    case Schedule::kZeroBubble:
      pipeline = max_t * m_mb + max_f * (p.pp - 1);
      pp_comm = p2p * 2.0 * (p.pp - 1) + (p.overlap_p2p ? Seconds{} : p2p * 2.0 * m_mb);
      break;
  }
  if (p.pp == 1) pipeline = max_t * m_mb;

  // --- Data-parallel gradient reduction and parameter gathers (per stage; the worst counts).
  Seconds dp_exposed{};
  Seconds optimizer{};
  Seconds offload_t{};
  for (int k = 0; k < nkinds; ++k) {
    const double pd = stage_params[k], pe = stage_expert_params[k];
    const GroupPlacement gd = place_group(static_cast<int>(dp_dense), p.tp, cl);
    const GroupPlacement ge = place_group(static_cast<int>(dp_expert), p.tp * p.cp * p.ep, cl);
    const double grad_bytes = bpp.grads;
    const double w_bytes = element_bytes(activation_precision(tr.precision));
    Seconds reduce, gather;
    if (zero == 0) {
      reduce = collective_time(Collective::kAllReduce, B(pd * grad_bytes), gd, cl, cal) +
               collective_time(Collective::kAllReduce, B(pe * grad_bytes), ge, cl, cal);
    } else {
      reduce = collective_time(Collective::kReduceScatter, B(pd * grad_bytes), gd, cl, cal) +
               collective_time(Collective::kReduceScatter, B(pe * grad_bytes), ge, cl, cal);
      gather = collective_time(Collective::kAllGather, B(pd * w_bytes), gd, cl, cal) +
               collective_time(Collective::kAllGather, B(pe * w_bytes), ge, cl, cal);
    }
    const StageTimes& st = times[k];
    const Seconds bwd_last = st.bwd + st.recompute;
    Seconds exposed;
    if (zero >= 3) {
      // FSDP / ZeRO-3: parameters gathered for forward and again for backward, gradients
      // reduce-scattered, every micro-batch; prefetch hides them under that micro-batch's compute.
      const Seconds per_mb = gather * 2.0 + reduce;
      exposed = std::max(Seconds{}, per_mb - (st.fwd + st.bwd) * 0.9) * m_mb;
    } else {
      // Reduction overlaps the last micro-batch's backward (bucketed, Megatron --overlap-grad-reduce);
      // later stages finish their last backward earlier (drain), which hides more.
      const double earlier = p.pp > 1 ? static_cast<double>(kinds[k].index) : 0.0;
      Seconds window = p.overlap_grad_reduce ? bwd_last * (1.0 + earlier) : Seconds{};
      Seconds r_exposed = std::max(reduce * 0.05, reduce - window);  // the last bucket never hides
      if (!p.overlap_grad_reduce) r_exposed = reduce;
      Seconds g_exposed = gather;
      if (p.overlap_param_gather && zero >= 1) g_exposed = std::max(gather * 0.05, gather - st.fwd);
      exposed = r_exposed + g_exposed;
    }
    dp_exposed = std::max(dp_exposed, exposed);

    // Optimizer step: Adam reads/writes ~16 bytes of fp32 state and master weight per parameter plus
    // the gradient and the bf16 weight (≈ 34 B/param, memory-bound).
    const double shard = zero >= 1 ? 1.0 : 0.0;
    const double local = shard > 0 ? pd / shard_dense + pe / shard_expert : pd + pe;
    const double on_gpu = local * opt_gpu_frac;
    const double off = local - on_gpu;
    Seconds opt_t = memory_bound_time(B(on_gpu * 34), 4, gpu, cal);
    Seconds off_t{};
    if (off > 0) {
      // CPU Adam (DeepSpeed cpu_adam): host-memory bound over the node's GPUs sharing it; gradients
      // down and parameters up over PCIe (fp32 down, bf16 up); NVMe adds a read and write of the state.
      const BytesPerSecond host_share = cl.node.host_memory_bandwidth / cl.node.gpus_per_node;
      off_t = B(off * 34) / host_share + B(off * (grad_bytes + w_bytes)) / pcie;
      if (p.optimizer_offload.device == OffloadDevice::kNvme)
        off_t += B(off * 12 * 2) / (cl.node.nvme_bandwidth / cl.node.gpus_per_node);
    }
    if (p.param_offload.device != OffloadDevice::kNone && p.param_offload.fraction > 0) {
      // Offloaded parameters stream in for forward and backward of every micro-batch.
      const Bytes streamed = B(local * w_bytes * p.param_offload.fraction * 2 * m_mb);
      off_t += std::max(Seconds{}, streamed / pcie - (st.fwd + st.bwd) * m_mb);
    }
    optimizer = std::max(optimizer, opt_t);
    offload_t = std::max(offload_t, off_t);
  }
  // Tied embeddings split across the pipeline: their gradients are all-reduced between first and last stage.
  Seconds emb_sync{};
  if (m.tied_embeddings && p.pp > 1)
    emb_sync = collective_time(Collective::kAllReduce, B(static_cast<double>(ctx.vocab) * m.hidden / p.tp * bpp.grads),
                               place_group(2, p.tp * p.cp * p.dp * (p.pp - 1), cl), cl, cal);

  ev.step_time = pipeline + pp_comm + dp_exposed + emb_sync + optimizer + offload_t;

  // --- Breakdown along the critical stage.
  int crit = 0;
  for (int k = 1; k < nkinds; ++k)
    if (times[k].total() > times[crit].total()) crit = k;
  const StageTimes& c = times[crit];
  TimeBreakdown& b = ev.breakdown;
  b.compute = (c.fwd + c.bwd) * m_mb;
  b.recompute = c.recompute * m_mb;
  b.tp_comm = c.tp * m_mb;
  b.cp_comm = c.cp * m_mb;
  b.ep_comm = c.ep * m_mb;
  b.pp_comm = pp_comm;
  b.dp_comm = dp_exposed + emb_sync;
  b.bubble = std::max(Seconds{}, pipeline - c.total() * m_mb);
  b.optimizer = optimizer;
  b.offload = offload_t + c.offload * m_mb;

  // --- Throughput and FLOP rates.
  const double tokens = static_cast<double>(tr.global_batch) * tr.sequence_length;
  const double step = ev.step_time.si();
  ev.model_flops_per_step = model_flops_per_step(m, tr.global_batch, tr.sequence_length, ctx.vocab);
  ev.hardware_flops_per_step =
      ev.model_flops_per_step + recompute_flops_per_step(m, tr.global_batch, tr.sequence_length, p.recompute, p.recompute_layers, p.pp);
  if (step > 0) {
    ev.tokens_per_s = tokens / step;
    ev.tokens_per_s_per_gpu = ev.tokens_per_s / ev.gpus;
    ev.model_tflops_per_gpu = ev.model_flops_per_step / step / ev.gpus / 1e12;
    ev.hardware_tflops_per_gpu = ev.hardware_flops_per_step / step / ev.gpus / 1e12;
    const double peak = effective_peak(gpu, tr.precision).si() / 1e12;
    ev.mfu_pct = 100.0 * ev.model_tflops_per_gpu / peak;
    ev.hfu_pct = 100.0 * ev.hardware_tflops_per_gpu / peak;
  }
  return ev;
}

}  // namespace trainplan
