#include "sim/workload.hpp"

#include <algorithm>
#include <cmath>

#include "model/analytic.hpp"
#include "model/cost/collectives.hpp"
#include "model/cost/compute.hpp"
#include "model/cost/layer.hpp"
#include "model/params.hpp"

namespace trainplan::sim {

namespace {

// Stage kinds exactly as model/analytic.cpp builds them.
struct Kind {
  int layers = 0, first_layer = 0;
  bool embedding = false, output = false;
};

Kind stage_kind(const ModelSpec& m, const PlanSpec& p, int stage) {
  const int uneven = (p.first_stage_layers > 0) + (p.last_stage_layers > 0);
  const int rest = p.pp - uneven;
  const int even = rest > 0 ? (m.layers - p.first_stage_layers - p.last_stage_layers) / rest : 0;
  const int first_layers = p.pp == 1 ? m.layers : (p.first_stage_layers > 0 ? p.first_stage_layers : even);
  const int last_layers = p.last_stage_layers > 0 ? p.last_stage_layers : even;
  if (stage == 0) return {first_layers, 0, true, p.pp == 1};
  if (stage == p.pp - 1) return {last_layers, m.layers - last_layers, false, true};
  return {even, first_layers, false, false};
}

// Megatron's distributed-optimizer bytes per parameter (same table as model/analytic.cpp).
struct Bpp {
  double weights, grads, optimizer;
};
Bpp bytes_per_param(const TrainingSpec& t, bool grad_bf16) {
  const double moments = t.optimizer == Optimizer::kAdam ? 8 : 4;
  Bpp b{2, 4, 12};
  switch (t.precision) {
    case Precision::kFp32:
    case Precision::kTf32: b = {4, 4, moments}; break;
    case Precision::kFp16: b = {2, 2, 4 + 4 + moments}; break;
    case Precision::kBf16: b = {2, 4, 4 + moments}; break;
    case Precision::kFp8: b = {3, 4, 4 + moments}; break;
  }
  if (grad_bf16 && t.precision != Precision::kFp32 && t.precision != Precision::kTf32) b.grads = 2;
  return b;
}

// TP flows of one pass: `phases` collective phases moving (t−1)/t of the b·s·h tensor each, scaled so
// that uncontended they take exactly the exposed time the analytic model charges.
struct TpShape {
  Bytes per_phase;
  Seconds latency_per_phase;
  BytesPerSecond bus;
};

Segment tp_segment(Seconds exposed, int phases, const TpShape& s, int layer, const char* what, bool recompute) {
  Segment g;
  g.kind = Segment::kTpFlows;
  g.stream = Stream::kTpCp;
  g.time = exposed;
  g.phases = phases;
  g.layer = layer;
  g.what = what;
  g.recompute = recompute;
  const Seconds full = (s.per_phase / s.bus + s.latency_per_phase) * static_cast<double>(phases);
  const double f = full.si() > 0 ? exposed / full : 0.0;
  g.bytes = s.per_phase * f;
  g.latency = s.latency_per_phase * (f * phases);
  return g;
}

Segment compute(Seconds t, int layer, const char* what, bool recompute = false) {
  Segment g;
  g.kind = Segment::kCompute;
  g.time = t;
  g.layer = layer;
  g.what = what;
  g.recompute = recompute;
  return g;
}

Segment delay(Stream st, Seconds t, int layer, const char* what) {
  Segment g;
  g.kind = Segment::kDelay;
  g.stream = st;
  g.time = t;
  g.layer = layer;
  g.what = what;
  return g;
}

void push_nonzero(std::vector<Segment>& v, const Segment& s) {
  if (s.time.si() > 0) v.push_back(s);
}

}  // namespace

std::optional<StepWork> build_step(const JobSpec& job, const Calibration& cal, std::string& error) {
  const ModelSpec& m = job.model;
  const PlanSpec& p = job.plan;
  const TrainingSpec& tr = job.training;
  const ClusterSpec& cl = job.cluster;
  StepWork w;
  w.analytic = AnalyticEvaluator().evaluate(job, cal);
  w.schedule = p.schedule;
  w.pp = p.pp;
  w.v = p.schedule == Schedule::kInterleaved ? std::max(1, p.virtual_stages) : 1;
  w.tp = p.tp;
  w.cp = p.cp;
  w.dp = p.dp;
  w.micro_batches = job.micro_batches();
  w.zero = p.effective_zero();
  w.overlap_grad_reduce = p.overlap_grad_reduce;
  w.overlap_param_gather = p.overlap_param_gather;
  w.overlap_p2p = p.overlap_p2p;
  w.p2p_latency = cal.p2p_latency;
  w.collective_latency = cal.collective_latency;
  if (p.tp < 1 || p.pp < 1 || p.dp < 1 || p.cp < 1 || w.micro_batches < 1) {
    error = "the plan has no micro-batch to run (global batch < micro-batch × dp) or a zero degree";
    return std::nullopt;
  }
  if (p.gpus() > cl.gpus()) {
    error = "the plan needs " + std::to_string(p.gpus()) + " GPUs, the cluster has " + std::to_string(cl.gpus());
    return std::nullopt;
  }
  if (w.micro_batches > 100000) {
    error = "more than 100000 micro-batches per step";
    return std::nullopt;
  }

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

  // TP phase shape: (t−1)/t of the full b·s·h tensor per phase at the group's bus bandwidth.
  TpShape tps;
  {
    const GroupPlacement g = place_group(p.tp, 1, cl);
    const double elem = element_bytes(activation_precision(tr.precision));
    const Bytes full = B(static_cast<double>(p.micro_batch) * tr.sequence_length / p.cp * m.hidden * elem);
    tps.per_phase = full * ((p.tp - 1.0) / std::max(1, p.tp));
    tps.bus = group_bus_bandwidth(g, cl, cal);
    const Seconds hop = hop_latency(g, cl);
    tps.latency_per_phase = ctx.sp ? cal.collective_latency + hop * (p.tp - 1.0)
                                   : (cal.collective_latency + hop * (2.0 * std::ceil(std::log2(std::max(1, p.tp))))) / 2.0;
  }
  auto blocks = [&](bool is_moe) { return (is_moe && p.expert_tp == 1) ? 1 : 2; };

  const Bpp bpp = bytes_per_param(tr, p.grad_reduce_bf16);
  const double w_bytes = element_bytes(activation_precision(tr.precision));
  const double dp_dense = static_cast<double>(p.dp) * p.cp;
  double shard_dense = dp_dense;
  if (p.fsdp == Fsdp::kHybridShard) shard_dense = std::min(dp_dense, std::max(1.0, static_cast<double>(cl.node.gpus_per_node) / (p.tp * p.cp)));
  const double dp_expert = std::max(1.0, dp_dense * p.tp / (static_cast<double>(p.ep) * p.expert_tp));
  const double shard_expert = p.fsdp == Fsdp::kHybridShard ? std::min(dp_expert, shard_dense) : dp_expert;
  const double opt_gpu_frac = 1.0 - (p.optimizer_offload.device != OffloadDevice::kNone ? p.optimizer_offload.fraction : 0.0);
  const BytesPerSecond pcie = cl.node.pcie.bandwidth;
  const double m_mb = static_cast<double>(w.micro_batches);

  w.stages.resize(p.pp);
  for (int i = 0; i < p.pp; ++i) {
    const Kind k = stage_kind(m, p, i);
    StageWork& sw = w.stages[i];
    if (k.layers < w.v) {
      error = "stage " + std::to_string(i) + " has " + std::to_string(k.layers) + " layers for " + std::to_string(w.v) + " virtual chunks";
      return std::nullopt;
    }
    // Parameters of the stage (dense ÷ TP, experts ÷ EP·ETP), as the analytic evaluator counts them.
    double pd = 0, pe = 0;
    for (int l = k.first_layer; l < k.first_layer + k.layers; ++l) {
      LayerParams lp = layer_params(m, l);
      pd += (lp.attention + lp.mlp + lp.shared_experts) / p.tp + lp.router + lp.norms;
      pe += lp.routed_experts / (static_cast<double>(p.ep) * p.expert_tp);
    }
    if (k.embedding) pd += embedding_params(m, ctx.vocab) / p.tp;
    if (k.output) {
      pd += final_norm_params(m);
      pd += (m.tied_embeddings ? (p.pp > 1 ? static_cast<double>(ctx.vocab) * m.hidden : 0.0) : output_params(m, ctx.vocab)) / p.tp;
    }
    sw.grad_bytes = B((pd + pe) * bpp.grads);
    sw.param_bytes = w.zero >= 1 ? B((pd + pe) * w_bytes) : Bytes{};

    // Chunks: layers split evenly, the remainder on the first chunks.
    const double rfrac = p.recompute_layers > 0 ? std::min(1.0, static_cast<double>(p.recompute_layers) / std::max(1, k.layers)) : 1.0;
    int next = k.first_layer;
    for (int c = 0; c < w.v; ++c) {
      ChunkWork cw;
      cw.first_layer = next;
      cw.layers = k.layers / w.v + (c < k.layers % w.v ? 1 : 0);
      next += cw.layers;
      const bool with_emb = k.embedding && c == 0;
      const bool with_out = k.output && c == w.v - 1;
      std::vector<Segment> bwd_all, recomp;
      if (with_emb) {
        push_nonzero(cw.fwd, compute(emb.fwd, -1, "embedding fwd"));
        sw.fwd_compute += emb.fwd;
      }
      for (int l = cw.first_layer; l < cw.first_layer + cw.layers; ++l) {
        const bool is_moe = m.is_moe_layer(l);
        const LayerCost& lc = is_moe ? moe : dense;
        const int ph = 2 * blocks(is_moe);
        push_nonzero(cw.fwd, compute(lc.fwd, l, "fwd"));
        sw.fwd_compute += lc.fwd;
        push_nonzero(cw.fwd, tp_segment(lc.tp_comm_fwd, ph, tps, l, "tp fwd", false));
        push_nonzero(cw.fwd, delay(Stream::kTpCp, lc.cp_comm_fwd, l, "cp fwd"));
        push_nonzero(cw.fwd, delay(Stream::kEp, lc.ep_comm_fwd, l, "ep a2a fwd"));
        if (p.recompute == Recompute::kFull) {
          push_nonzero(recomp, compute(lc.fwd * rfrac, l, "recompute", true));
          push_nonzero(recomp, tp_segment(lc.tp_comm_fwd * rfrac, ph, tps, l, "tp recompute", true));
          if (is_moe) push_nonzero(recomp, delay(Stream::kEp, lc.ep_comm_fwd * rfrac, l, "ep a2a recompute"));
        } else if (p.recompute == Recompute::kSelective) {
          push_nonzero(recomp, compute(lc.attention_core_fwd, l, "recompute attention", true));
        }
        Segment b = compute(lc.bwd, l, "bwd");
        bwd_all.push_back(b);
        push_nonzero(bwd_all, tp_segment(lc.tp_comm_bwd, ph, tps, l, "tp bwd", false));
        push_nonzero(bwd_all, delay(Stream::kTpCp, lc.cp_comm_bwd, l, "cp bwd"));
        push_nonzero(bwd_all, delay(Stream::kEp, lc.ep_comm_bwd, l, "ep a2a bwd"));
      }
      if (with_out) {
        push_nonzero(cw.fwd, compute(outl.fwd, -1, "output fwd"));
        sw.fwd_compute += outl.fwd;
        push_nonzero(cw.fwd, tp_segment(outl.tp_comm_fwd, 1, tps, -1, "tp output fwd", false));
        std::vector<Segment> ob;
        push_nonzero(ob, compute(outl.bwd, -1, "output bwd"));
        push_nonzero(ob, tp_segment(outl.tp_comm_bwd, ctx.sp ? 1 : 2, tps, -1, "tp output bwd", false));
        bwd_all.insert(bwd_all.begin(), ob.begin(), ob.end());
      }
      if (with_emb) push_nonzero(bwd_all, compute(emb.bwd, -1, "embedding bwd"));
      // Backward order: layers in reverse, each recomputed right before its backward.
      std::reverse(recomp.begin(), recomp.end());
      std::vector<Segment> ordered;
      for (const Segment& s : recomp) ordered.push_back(s);  // recompute of the chunk first (Megatron recomputes per layer; same sum)
      for (auto it = bwd_all.rbegin(); it != bwd_all.rend(); ++it) ordered.push_back(*it);
      if (p.schedule == Schedule::kZeroBubble) {
        // B: recomputation, half the backward compute and all its communication; W: the other half.
        for (Segment s : ordered) {
          if (s.kind == Segment::kCompute && !s.recompute) {
            s.time = s.time * 0.5;
            Segment wseg = s;
            wseg.what = "wgrad";
            cw.wgrad.push_back(wseg);
          }
          cw.bwd.push_back(s);
        }
      } else {
        cw.bwd = std::move(ordered);
      }
      sw.chunks.push_back(std::move(cw));
    }

    // Offload and optimizer as model/analytic.cpp computes them.
    if (p.activation_offload.device != OffloadDevice::kNone)
      sw.act_offload_bytes = w.analytic.stage(i).offloaded_cpu / std::max(1.0, std::min<double>(m_mb, p.pp)) * 2.0;
    const double local = w.zero >= 1 ? pd / shard_dense + pe / shard_expert : pd + pe;
    const double on_gpu = local * opt_gpu_frac;
    const double off = local - on_gpu;
    sw.optimizer = memory_bound_time(B(on_gpu * 34), 4, cl.node.gpu, cal);
    if (off > 0) {
      const BytesPerSecond host_share = cl.node.host_memory_bandwidth / cl.node.gpus_per_node;
      sw.offload = B(off * 34) / host_share + B(off * (bpp.grads + w_bytes)) / pcie;
      if (p.optimizer_offload.device == OffloadDevice::kNvme) sw.offload += B(off * 12 * 2) / (cl.node.nvme_bandwidth / cl.node.gpus_per_node);
    }
    if (p.param_offload.device != OffloadDevice::kNone && p.param_offload.fraction > 0) {
      Seconds fb{};
      for (const ChunkWork& cw : sw.chunks)
        for (const auto* v : {&cw.fwd, &cw.bwd, &cw.wgrad})
          for (const Segment& s : *v)
            if (s.kind == Segment::kCompute && !s.recompute) fb += s.time;
      const Bytes streamed = B(local * w_bytes * p.param_offload.fraction * 2 * m_mb);
      sw.offload += std::max(Seconds{}, streamed / pcie - fb * m_mb);
    }
  }
  if (p.pp > 1) {
    w.p2p_bytes = B(static_cast<double>(p.micro_batch) * tr.sequence_length / p.cp * m.hidden * w_bytes / (ctx.sp ? p.tp : 1));
    if (m.tied_embeddings) w.emb_sync_bytes = B(static_cast<double>(ctx.vocab) * m.hidden / p.tp * bpp.grads);
  }
  return w;
}

}  // namespace trainplan::sim
