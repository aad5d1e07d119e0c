#include "model/workload.hpp"

#include <algorithm>
#include <cmath>

#include "model/analytic.hpp"
#include "model/cost/collectives.hpp"
#include "model/cost/compute.hpp"
#include "model/memory.hpp"
#include "model/pipeline_layout.hpp"
#include "model/step.hpp"

namespace trainplan {

namespace {

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

// What every chunk of a step is built from.
struct ChunkInputs {
  const JobSpec& job;
  const LayerContext& ctx;
  const LayerCosts& costs;
  const TpShape& tps;
  double rfrac;  // share of each layer recomputed under full recomputation (recompute_layers)
};

// One decoder layer (or MTP module, `is_mtp`) of a chunk: its forward segments, its recomputation
// and its backward segments (in forward order; the chunk reverses them).
void append_layer(const ChunkInputs& in, int l, bool is_mtp, ChunkWork& cw, std::vector<Segment>& recomp, std::vector<Segment>& bwd_all,
                  Seconds& fwd_compute) {
  const ModelSpec& m = in.job.model;
  const PlanSpec& p = in.job.plan;
  const LayerCost& outl = in.costs.out;
  const bool is_moe = m.is_moe_layer(is_mtp ? m.layers - 1 : l);
  const LayerCost& lc = is_moe ? in.costs.moe : in.costs.dense;
  if (is_mtp) {
    push_nonzero(cw.fwd, compute(outl.fwd, -1, "mtp output fwd"));
    fwd_compute += outl.fwd;
    bwd_all.push_back(compute(outl.bwd, -1, "mtp output bwd"));
  }
  const int ph = 2 * ((is_moe && p.expert_tp == 1) ? 1 : 2);
  push_nonzero(cw.fwd, compute(lc.fwd, l, "fwd"));
  fwd_compute += lc.fwd;
  push_nonzero(cw.fwd, tp_segment(lc.tp_comm_fwd, ph, in.tps, l, "tp fwd", false));
  push_nonzero(cw.fwd, delay(Stream::kTpCp, lc.cp_comm_fwd, l, "cp fwd"));
  push_nonzero(cw.fwd, delay(Stream::kEp, lc.ep_comm_fwd, l, "ep a2a fwd"));
  if (p.recompute == Recompute::kFull) {
    push_nonzero(recomp, compute(lc.fwd * in.rfrac, l, "recompute", true));
    push_nonzero(recomp, tp_segment(lc.tp_comm_fwd * in.rfrac, ph, in.tps, l, "tp recompute", true));
    if (is_moe) push_nonzero(recomp, delay(Stream::kEp, lc.ep_comm_fwd * in.rfrac, l, "ep a2a recompute"));
  } else if (p.recompute == Recompute::kSelective) {
    push_nonzero(recomp, compute(lc.attention_core_fwd, l, "recompute attention", true));
  }
  Segment b = compute(lc.bwd, l, "bwd");
  bwd_all.push_back(b);
  push_nonzero(bwd_all, tp_segment(lc.tp_comm_bwd, ph, in.tps, l, "tp bwd", false));
  push_nonzero(bwd_all, delay(Stream::kTpCp, lc.cp_comm_bwd, l, "cp bwd"));
  push_nonzero(bwd_all, delay(Stream::kEp, lc.ep_comm_bwd, l, "ep a2a bwd"));
}

// A chunk's backward: the recomputation first, then the layers in reverse; under zero-bubble B
// keeps the recomputation, half the backward compute and all its communication, W the other half.
void order_backward(const std::vector<Segment>& recomp, const std::vector<Segment>& bwd_all, Schedule schedule, ChunkWork& cw) {
  std::vector<Segment> ordered(recomp.rbegin(), recomp.rend());  // recompute of the chunk first (Megatron recomputes per layer; same sum)
  for (auto it = bwd_all.rbegin(); it != bwd_all.rend(); ++it) ordered.push_back(*it);
  if (schedule != Schedule::kZeroBubble) {
    cw.bwd = std::move(ordered);
    return;
  }
  for (Segment s : ordered) {
    if (s.kind == Segment::kCompute && !s.recompute) {
      s.time = s.time * 0.5;
      Segment wseg = s;
      wseg.what = "wgrad";
      cw.wgrad.push_back(wseg);
    }
    cw.bwd.push_back(s);
  }
}

// One virtual chunk as the plan's placement puts it (model/pipeline_layout.hpp): the embedding,
// its decoder layers, then MTP modules (each a block built like the last layer, id m.layers + j,
// and the shared output head: StageKind::blocks), and the output layer.
ChunkWork chunk_work(const ChunkInputs& in, const LayoutChunk& place, Seconds& fwd_compute) {
  const LayerCost& emb = in.costs.emb;
  const LayerCost& outl = in.costs.out;
  ChunkWork cw;
  cw.first_layer = place.first_layer;
  cw.layers = place.layers;
  std::vector<Segment> bwd_all, recomp;
  if (place.embedding) {
    push_nonzero(cw.fwd, compute(emb.fwd, -1, "embedding fwd"));
    fwd_compute += emb.fwd;
  }
  for (int l = cw.first_layer; l < cw.first_layer + cw.layers + place.mtp; ++l)
    append_layer(in, l, l >= cw.first_layer + cw.layers, cw, recomp, bwd_all, fwd_compute);
  if (place.loss) {
    push_nonzero(cw.fwd, compute(outl.fwd, -1, "output fwd"));
    fwd_compute += outl.fwd;
    push_nonzero(cw.fwd, tp_segment(outl.tp_comm_fwd, 1, in.tps, -1, "tp output fwd", false));
    std::vector<Segment> ob;
    push_nonzero(ob, compute(outl.bwd, -1, "output bwd"));
    push_nonzero(ob, tp_segment(outl.tp_comm_bwd, in.ctx.sp ? 1 : 2, in.tps, -1, "tp output bwd", false));
    bwd_all.insert(bwd_all.begin(), ob.begin(), ob.end());
  }
  if (place.embedding) push_nonzero(bwd_all, compute(emb.bwd, -1, "embedding bwd"));
  order_backward(recomp, bwd_all, in.job.plan.schedule, cw);
  return cw;
}

// TP phase shape: (t−1)/t of the full b·s·h tensor per phase at the group's bus bandwidth.
TpShape tp_shape(const JobSpec& job, const Calibration& cal, const LayerContext& ctx) {
  const PlanSpec& p = job.plan;
  const ClusterSpec& cl = job.cluster;
  TpShape tps;
  const GroupPlacement g = place_group(p.tp, 1, cl);
  const double elem = element_bytes(activation_precision(job.training.precision));
  const Bytes full = B(static_cast<double>(p.micro_batch) * job.training.sequence_length / p.cp * job.model.hidden * elem);
  tps.per_phase = full * ((p.tp - 1.0) / std::max(1, p.tp));
  tps.bus = group_bus_bandwidth(g, cl, cal);
  const Seconds hop = hop_latency(g, cl);
  // SP: an all-gather or reduce-scatter per phase (ring); without: an all-reduce over two phases (tree).
  tps.latency_per_phase = ctx.sp ? cal.collective_latency + hop * latency_steps(Collective::kReduceScatter, p.tp)
                                 : (cal.collective_latency + hop * latency_steps(Collective::kAllReduce, std::max(1, p.tp))) / 2.0;
  return tps;
}

// The step's scalars from the plan and the calibration.
StepWork step_header(const JobSpec& job, const Calibration& cal) {
  const PlanSpec& p = job.plan;
  StepWork w;
  w.analytic = AnalyticEvaluator().evaluate(job, cal);
  w.schedule = p.schedule;
  w.pp = p.pp;
  w.v = chunks_per_rank(p);
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
  return w;
}

// Why the step cannot be built ("" when it can).
std::string step_error(const JobSpec& job, const StepWork& w) {
  const PlanSpec& p = job.plan;
  if (p.tp < 1 || p.pp < 1 || p.dp < 1 || p.cp < 1 || w.micro_batches < 1)
    return "the plan has no micro-batch to run (global batch < micro-batch × dp) or a zero degree";
  if (p.gpus() > job.cluster.gpus())
    return "the plan needs " + std::to_string(p.gpus()) + " GPUs, the cluster has " + std::to_string(job.cluster.gpus());
  if (w.micro_batches > 100000) return "more than 100000 micro-batches per step";
  return layout_error(job.model, p);
}

// A stage's end of the step: activation offload traffic, ZeRO-3 units, the SMs lent to NCCL and the
// optimizer, as model/analytic.cpp computes them (model/step.hpp data_parallel_time, optimizer_time).
void end_of_stage(const JobSpec& job, const Calibration& cal, const StepWork& w, int i, const StageKind& k, const LayerCosts& costs,
                  const StageParams& params, StageWork& sw) {
  const PlanSpec& p = job.plan;
  const double m_mb = static_cast<double>(w.micro_batches);
  if (p.activation_offload.moved() > 0) sw.act_offload_bytes = activation_offload_bytes(w.analytic.stage(i), m_mb, p.pp);
  // The simulator replays the DP collectives; what their CTAs take from compute is the model's.
  sw.zero3_units = zero3_units(k);
  sw.zero3_gathers = zero3_gathers(job, k);
  const StageTimes st = stage_times(job.model, k, costs, p.recompute, p.recompute_layers);
  sw.sm_slowdown = data_parallel_time(job, cal, k, params, st, m_mb).sm_slowdown;
  const OptimizerTime opt = optimizer_time(job, cal, bytes_per_param(job.training, p), shard_groups(p, job.cluster), params, st, m_mb);
  sw.optimizer = opt.gpu;
  sw.offload = opt.offload;
}

}  // namespace

std::optional<StepWork> build_step(const JobSpec& job, const Calibration& cal, std::string& error) {
  const ModelSpec& m = job.model;
  const PlanSpec& p = job.plan;
  StepWork w = step_header(job, cal);
  error = step_error(job, w);
  if (!error.empty()) return std::nullopt;
  const LayerContext ctx = layer_context(job, cal);
  const LayerCosts costs = layer_costs(ctx);
  const TpShape tps = tp_shape(job, cal, ctx);
  const BytesPerParam bpp = bytes_per_param(job.training, p);
  const StageKinds kinds = stage_kinds(m, p);
  const PipelineLayout layout = plan_layout(m, p);
  w.stages.resize(p.pp);
  for (int i = 0; i < p.pp; ++i) {
    const StageKind& k = kinds.of_stage(i);
    StageWork& sw = w.stages[i];
    // Parameters of the stage (dense ÷ TP, experts ÷ EP·ETP), as the analytic evaluator counts them.
    const StageParams params = stage_params(m, p, ctx.vocab, k);
    sw.grad_bytes = B((params.dense + params.expert) * bpp.grads);
    sw.param_bytes = w.zero >= 1 ? B((params.dense + params.expert) * bpp.gathered) : Bytes{};
    const double rfrac = recomputed_share(k, p.recompute_layers);
    const ChunkInputs in{job, ctx, costs, tps, rfrac};
    for (int c = 0; c < w.v; ++c) sw.chunks.push_back(chunk_work(in, layout.at(i, c), sw.fwd_compute));
    end_of_stage(job, cal, w, i, k, costs, params, sw);
  }
  if (p.pp > 1) {
    w.p2p_bytes = pipeline_p2p_bytes(job);
    w.emb_sync_bytes = embedding_sync_bytes(job, ctx.vocab);
  }
  return w;
}

}  // namespace trainplan
