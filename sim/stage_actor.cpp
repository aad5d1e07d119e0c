// One simulated pipeline rank (stage s, replica k, TP rank t) as a SimGrid actor: it runs its
// schedule's ops (model/schedule.hpp) with the segments of the step description
// (model/workload.hpp), receiving and sending pipeline activations and gradients, launching the
// data-parallel ring flows (gradient buckets, ZeRO-3 gathers), then the end of the step (gradient
// reduction tail, tied-embedding all-reduce, optimizer, SMs lent to NCCL, ZeRO-1/2 parameter
// gather, offload). Under the symmetry reduction (sim/simulator.hpp) it also starts the pipeline
// and ring flows of the other replicas' TP-0 ranks.
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "model/cost/collectives.hpp"
#include "model/schedule.hpp"
#include "sim/engine_context.hpp"

namespace trainplan::sim::engine {
namespace {

// DP ring flows launched together, and when the last of them ended.
struct Launched {
  std::vector<sg4::CommPtr> comms;
  std::vector<const std::vector<int>*> routes;
  std::vector<double> bytes;
  double start = 0;
  double finish = 0;  // when its last flow ended (dp_wait)
};

class StageActor {
 public:
  StageActor(Ctx& c, int s, int k, int t, int actor_index);
  void run();

 private:
  void segments(const std::vector<Segment>& segs, const std::string& tag);
  Launched dp_launch(double per_rank);
  double dp_wait(Launched& l);
  void recv(sg4::Mailbox* box, int from_stage, const std::string& what);
  void send(sg4::Mailbox* box, int to_stage);
  void run_pending_w(sg4::Mailbox* box);
  [[nodiscard]] double chunk_share(const ChunkWork& ch) const;
  void zero3_latency(const Launched& l, const ChunkWork& ch, double calls);
  void forward(const ChunkWork& cw, int vs, const std::string& tag);
  void backward(size_t oi, const PipeOp& op, const ChunkWork& cw, int vs, const std::string& tag);
  void reduce_gradients();
  void sync_embeddings();
  void finish_step();

  Ctx& c;
  const StepWork& w;
  const StageWork& sw;
  const int s, k, t, actor_index;
  const int me;
  sg4::Host* h;
  const int lane;
  const bool lane0;
  const std::vector<PipeOp> ops;
  std::vector<int> last_bwd_of_chunk;
  StageAcc& acc;
  int tp_peer = -1;
  const std::vector<int>* tp_route = nullptr;
  double tp_lat = 0;
  DpRing ring;
  double dp_hop = 0, coll_lat = 0;
  std::vector<int> replicas;  // replicas whose pipeline traffic this actor carries besides its own
  void* sink = nullptr;
  double frac = 0;  // (n − 1) / n of the DP ring
  double red_bytes = 0, red_lat = 0, red_waves = 1, bucket_tail = 1;
  std::vector<Launched> reduce_heads;
  std::vector<char> w_done, b_done;
  int stage_layers = 0;
  double z3_call = 0;
};

StageActor::StageActor(Ctx& ctx, int s_, int k_, int t_, int actor_index_)
    : c(ctx),
      w(*ctx.w),
      sw(w.stages[s_]),
      s(s_),
      k(k_),
      t(t_),
      actor_index(actor_index_),
      me(ctx.rank(s_, k_, t_)),
      h(ctx.host[me]),
      lane(ctx.lane(k_, t_)),
      lane0(k_ == 0 && t_ == 0),
      ops(stage_ops(w.schedule, w.pp, w.v, static_cast<int>(ctx.m), s_)),
      acc(ctx.acc[s_]) {
  const PipeOp::Kind last_kind = w.schedule == Schedule::kZeroBubble ? PipeOp::kWeightGrad : PipeOp::kBackward;
  // The last backward of each chunk: its gradients are final there, and Megatron's bucketed
  // reduction of that chunk's parameters starts (--overlap-grad-reduce, one buffer per chunk).
  last_bwd_of_chunk.assign(sw.chunks.size(), -1);
  for (size_t i = 0; i < ops.size(); ++i)
    if (ops[i].kind == last_kind && ops[i].chunk >= 0 && static_cast<size_t>(ops[i].chunk) < sw.chunks.size())
      last_bwd_of_chunk[ops[i].chunk] = static_cast<int>(i);
  tp_peer = c.tp > 1 ? c.rank(s, k, (t + 1) % c.tp) : -1;
  tp_route = tp_peer >= 0 ? &c.layout->route(me, tp_peer) : nullptr;
  tp_lat = tp_route ? c.layout->route_latency(*tp_route) : 0;
  ring = dp_ring(c, s, t);
  const GroupPlacement dpg = place_group(ring.size, c.tp, *c.cluster);
  dp_hop = hop_latency(dpg, *c.cluster).si();
  coll_lat = w.collective_latency.si();
  if (!c.full)
    for (int kk = 1; kk < c.group; ++kk) replicas.push_back(kk);
  frac = ring.size > 1 ? (ring.size - 1.0) / ring.size : 0.0;
  // Gradient reduction: ZeRO 0 all-reduce (reduce-scatter + all-gather), else reduce-scatter.
  red_bytes = w.zero >= 3 ? 0.0 : sw.grad_bytes.si() * frac * (w.zero == 0 ? 2.0 : 1.0);
  red_lat = ring.size <= 1
                ? 0.0
                : coll_lat + dp_hop * latency_steps(w.zero == 0 ? Collective::kAllReduce : Collective::kReduceScatter, ring.size);
  red_waves = w.zero == 0 ? 2.0 : 1.0;
  bucket_tail = w.overlap_grad_reduce ? 0.05 : 1.0;  // the last bucket starts after backward
  w_done.assign(ops.size(), 0);
  b_done.assign(static_cast<size_t>(c.m), 0);
  for (const ChunkWork& ch : sw.chunks) stage_layers += ch.layers;
  // Each FSDP unit (a block) is its own collective: `calls` of them per unit of the chunk pay one
  // call's latency each, after the bandwidth the flows took (model/step.hpp data_parallel_time).
  z3_call = ring.size > 1 ? coll_lat + dp_hop * latency_steps(Collective::kAllGather, ring.size) : 0.0;
}

void StageActor::segments(const std::vector<Segment>& segs, const std::string& tag) {
  for (const Segment& g : segs) {
    const double a = now();
    if (g.kind == Segment::kTpFlows) {
      const auto bytes = static_cast<std::uint64_t>(std::llround(g.bytes.si()));
      for (int ph = 0; ph < g.phases && bytes > 0 && tp_route; ++ph) {
        const double fa = now();
        sg4::Comm::sendto(h, c.host[tp_peer], bytes);
        account(c, *tp_route, fa, now(), static_cast<double>(bytes));
        ++c.n_flows;
        ++c.n_events;
      }
      const double extra = g.latency.si() - (bytes > 0 ? g.phases * tp_lat : 0.0);
      if (extra > 0) sg4::this_actor::sleep_for(extra);
    } else {
      sg4::this_actor::sleep_for(g.time.si());
    }
    const double d = now() - a;
    if (lane0) {
      if (g.kind == Segment::kCompute)
        (g.recompute ? acc.recompute : acc.compute) += d;
      else if (g.kind == Segment::kTpFlows)
        acc.tp += d;
      else if (g.stream == Stream::kTpCp)
        acc.cp += d;
      else if (g.stream == Stream::kEp)
        acc.ep += d;
      else
        acc.offload += d;
    }
    if (c.trace) {
      std::string name = std::string(g.what) + " " + tag;
      if (g.layer >= 0) name += " L" + std::to_string(g.layer);
      record(c, me, g.stream, name, a, now());
    } else {
      ++c.n_events;
    }
  }
}

// Ring flows of the DP group: all members' (representative) or, in full detail, this rank's own
// outgoing flow and a receive of its incoming one: a rank leaves a ring phase when both are done,
// and a flow starts once its receiver has entered the phase, as in NCCL's ring (every step waits
// for its neighbour's data).
Launched StageActor::dp_launch(double per_rank) {
  Launched l;
  l.start = now();
  const auto bytes = static_cast<std::uint64_t>(std::llround(per_rank * ring.factor));
  if (bytes == 0) return l;
  for (const auto& [src, dst] : ring.pairs) {
    if (c.full && dst == me && src != me) {
      l.comms.push_back(c.dp_box[me]->get_async<void>(&sink));
      l.routes.push_back(nullptr);
      l.bytes.push_back(0);
      continue;
    }
    if (c.full && src != me) continue;
    l.comms.push_back(c.full ? c.dp_box[dst]->put_async(&g_dummy, bytes) : sg4::Comm::sendto_async(c.host[src], c.host[dst], bytes));
    l.routes.push_back(&c.layout->route(src, dst));
    l.bytes.push_back(static_cast<double>(bytes));
    ++c.n_flows;
    ++c.n_events;
  }
  return l;
}

double StageActor::dp_wait(Launched& l) {
  if (!l.comms.empty()) sg4::Comm::wait_all(l.comms);
  l.finish = l.start;
  for (size_t i = 0; i < l.comms.size(); ++i) {
    l.finish = std::max(l.finish, l.comms[i]->get_finish_time());
    if (l.routes[i]) account(c, *l.routes[i], l.comms[i]->get_start_time(), l.comms[i]->get_finish_time(), l.bytes[i]);
  }
  const double rl = ring.pairs.empty() ? 0 : c.layout->route_latency(c.layout->route(ring.pairs[0].first, ring.pairs[0].second));
  l.comms.clear();
  return rl;
}

void StageActor::recv(sg4::Mailbox* box, int from_stage, const std::string& what) {
  void* data = nullptr;
  sg4::CommPtr comm = box->get_async<void>(&data);
  comm->wait();
  const double a = comm->get_start_time(), b = comm->get_finish_time();
  const double ready = b + w.p2p_latency.si();
  if (ready > now()) sg4::this_actor::sleep_for(ready - now());
  const double bytes = w.p2p_bytes.si();
  account(c, c.layout->route(c.rank(from_stage, k, t), me), a, b, bytes);
  for (int kk : replicas) account(c, c.layout->route(c.rank(from_stage, kk, t), c.rank(s, kk, t)), a, b, bytes);
  if (lane0) {
    acc.p2p_time += ready - a;
    ++acc.p2p_count;
  }
  ++c.n_flows;
  record(c, me, Stream::kPp, what, a, ready);
}

void StageActor::send(sg4::Mailbox* box, int to_stage) {
  const auto bytes = static_cast<std::uint64_t>(std::llround(w.p2p_bytes.si()));
  if (w.overlap_p2p)
    box->put_init(&g_dummy, bytes)->detach();
  else
    box->put(&g_dummy, bytes);
  for (int kk : replicas) {
    sg4::Comm::sendto_init(c.host[c.rank(s, kk, t)], c.host[c.rank(to_stage, kk, t)])->set_payload_size(bytes)->detach();
    ++c.n_flows;
  }
}

// Zero-bubble: deferred W ops run greedily while the next B waits for its gradient (ZB-H1 fills the
// drain bubble with them).
void StageActor::run_pending_w(sg4::Mailbox* box) {
  for (size_t wi = 0; wi < ops.size() && !box->ready(); ++wi) {
    if (ops[wi].kind != PipeOp::kWeightGrad || w_done[wi] || !b_done[ops[wi].micro_batch]) continue;
    w_done[wi] = 1;
    segments(sw.chunks[ops[wi].chunk].wgrad, "mb" + std::to_string(ops[wi].micro_batch));
  }
}

// ZeRO-3 gathers (and reduces) the parameters of the chunk an op runs: its share of the stage's
// layers (with interleaving each op runs one of v chunks).
double StageActor::chunk_share(const ChunkWork& ch) const { return stage_layers > 0 ? static_cast<double>(ch.layers) / stage_layers : 1.0; }

void StageActor::zero3_latency(const Launched& l, const ChunkWork& ch, double calls) {
  const double done = l.finish + z3_call * calls * std::max(1.0, std::round(sw.zero3_units * chunk_share(ch)));
  if (done > now()) sg4::this_actor::sleep_until(done);
}

void StageActor::forward(const ChunkWork& cw, int vs, const std::string& tag) {
  const int V = c.V;
  if (vs > 0) recv(c.fwd_box[lane][vs], (vs - 1) % w.pp, "recv act " + tag);
  Launched gather;
  if (w.zero >= 3) gather = dp_launch(sw.param_bytes.si() * frac * chunk_share(cw));
  sg4::CommPtr off;
  double off_a = 0;
  if (sw.act_offload_bytes.si() >= 1) {
    off_a = now();
    off = sg4::Comm::sendto_async(h, c.cpu[c.layout->node_of(me)], static_cast<std::uint64_t>(sw.act_offload_bytes.si()));
  }
  segments(cw.fwd, tag);
  if (off) {
    const double a = now();
    off->wait();
    account(c, c.layout->route_to_host(me, true), off_a, now(), sw.act_offload_bytes.si());
    if (lane0) acc.offload += now() - a;
    record(c, me, Stream::kOffload, "offload act " + tag, off_a, now());
  }
  if (w.zero >= 3) {
    const double a = now();
    dp_wait(gather);
    zero3_latency(gather, cw, 1.0);
    record(c, me, Stream::kDp, "zero3 gather " + tag, gather.start, std::max(a, now()));
  }
  if (vs < V - 1) send(c.fwd_box[lane][vs + 1], (vs + 1) % w.pp);
}

void StageActor::backward(size_t oi, const PipeOp& op, const ChunkWork& cw, int vs, const std::string& tag) {
  const int V = c.V;
  if (op.kind == PipeOp::kBackward && vs < V - 1) recv(c.bwd_box[lane][vs], (vs + 1) % w.pp, "recv grad " + tag);
  if (static_cast<int>(oi) == last_bwd_of_chunk[op.chunk] && w.overlap_grad_reduce && red_bytes > 0)
    reduce_heads.push_back(dp_launch(red_bytes * (1 - bucket_tail) * chunk_share(cw)));
  Launched z3;
  // Backward: the gather for backward, DeepSpeed's re-gather for a recomputed forward
  // (zero3_gathers − 2 of them) and the reduce-scatter.
  if (w.zero >= 3 && op.kind != PipeOp::kWeightGrad)
    z3 = dp_launch((sw.param_bytes.si() * (sw.zero3_gathers - 1.0) + sw.grad_bytes.si()) * frac * chunk_share(cw));
  segments(op.kind == PipeOp::kWeightGrad ? cw.wgrad : cw.bwd, tag);
  if (w.zero >= 3 && op.kind != PipeOp::kWeightGrad) {
    dp_wait(z3);
    zero3_latency(z3, cw, sw.zero3_gathers);
    record(c, me, Stream::kDp, "zero3 gather+reduce " + tag, z3.start, now());
  }
  if (op.kind == PipeOp::kBackward && vs > 0) send(c.bwd_box[lane][vs - 1], (vs - 1) % w.pp);
  if (op.kind == PipeOp::kBackward) b_done[op.micro_batch] = 1;
}

// Gradient reduction: the head (95%) started with the last backward; the tail bucket after it.
void StageActor::reduce_gradients() {
  if (red_bytes <= 0) return;
  const double a = reduce_heads.empty() ? now() : reduce_heads.front().start;
  double rl = 0;
  for (Launched& head : reduce_heads) rl = dp_wait(head);
  if (bucket_tail < 1.0) {
    const double extra = red_lat * (1 - bucket_tail) - red_waves * rl;
    if (extra > 0) sg4::this_actor::sleep_for(extra);
  }
  Launched tail = dp_launch(red_bytes * bucket_tail);
  const double rl2 = dp_wait(tail);
  const double extra = red_lat * bucket_tail - red_waves * rl2 * (bucket_tail < 1.0 ? 0.0 : 1.0);
  if (extra > 0) sg4::this_actor::sleep_for(extra);
  record(c, me, Stream::kDp, w.zero == 0 ? "all-reduce grads" : "reduce-scatter grads", a, now());
}

// Tied embeddings: gradient all-reduce between first and last stage.
void StageActor::sync_embeddings() {
  if (!(w.emb_sync_bytes.si() >= 1 && w.pp > 1 && (s == 0 || s == w.pp - 1))) return;
  c.where[actor_index] = "embedding all-reduce";
  const double a = now();
  const int other = s == 0 ? c.rank(w.pp - 1, k, t) : c.rank(0, k, t);
  c.emb_box[lane][s == 0 ? 1 : 0]->put_init(&g_dummy, static_cast<std::uint64_t>(w.emb_sync_bytes.si()))->detach();
  const int other_stage = s == 0 ? w.pp - 1 : 0;
  for (int kk : replicas) {
    sg4::Comm::sendto_init(c.host[c.rank(s, kk, t)], c.host[c.rank(other_stage, kk, t)])
        ->set_payload_size(static_cast<std::uint64_t>(w.emb_sync_bytes.si()))
        ->detach();
    ++c.n_flows;
  }
  void* data = nullptr;
  sg4::CommPtr comm = c.emb_box[lane][s == 0 ? 0 : 1]->get_async<void>(&data);
  comm->wait();
  account(c, c.layout->route(other, me), comm->get_start_time(), comm->get_finish_time(), w.emb_sync_bytes.si());
  for (int kk : replicas)
    account(c, c.layout->route(c.rank(other_stage, kk, t), c.rank(s, kk, t)), comm->get_start_time(), comm->get_finish_time(),
            w.emb_sync_bytes.si());
  const std::vector<int>& r = c.layout->route(other, me);
  const GroupPlacement g2 = place_group(2, c.tp * c.group * (w.pp - 1), *c.cluster);
  const double extra = coll_lat + hop_latency(g2, *c.cluster).si() * 2.0 - c.layout->route_latency(r);
  if (extra > 0) sg4::this_actor::sleep_for(extra);
  ++c.n_flows;
  record(c, me, Stream::kDp, "embedding all-reduce", a, now());
}

// Optimizer, the SMs lent to NCCL, the ZeRO-1/2 parameter gather and the offload.
void StageActor::finish_step() {
  c.where[actor_index] = "optimizer";
  {
    const double a = now();
    sg4::this_actor::sleep_for(sw.optimizer.si());
    record(c, me, Stream::kCompute, "optimizer", a, now());
    if (lane0) acc.optimizer = sw.optimizer.si();
  }
  if (sw.sm_slowdown.si() > 0) {  // the compute beside the hidden DP collectives, slowed (model/step.hpp)
    const double a = now();
    sg4::this_actor::sleep_for(sw.sm_slowdown.si());
    record(c, me, Stream::kCompute, "SMs lent to NCCL", a, now());
  }
  double end = now();
  // ZeRO 1/2: updated parameter shards all-gathered; with overlap, under the next step's first forward.
  if (w.zero >= 1 && w.zero < 3 && ring.size > 1 && sw.param_bytes.si() > 0) {
    c.where[actor_index] = "parameter all-gather";
    const double a = now();
    Launched l = dp_launch(sw.param_bytes.si() * frac);
    const double rl = dp_wait(l);
    const double extra = coll_lat + dp_hop * latency_steps(Collective::kAllGather, ring.size) - rl;
    if (extra > 0) sg4::this_actor::sleep_for(extra);
    const double g = now() - a;
    end = w.overlap_param_gather ? std::max(a + 0.05 * g, now() - sw.fwd_compute.si()) : now();
    record(c, me, Stream::kDp, "all-gather params", a, now());
  }
  if (sw.offload.si() > 0) {
    const double a = std::max(end, now());
    sg4::this_actor::sleep_until(a);
    sg4::this_actor::sleep_for(sw.offload.si());
    end = now();
    if (lane0) acc.end_offload = sw.offload.si();
    record(c, me, Stream::kOffload, "optimizer offload", a, end);
  }
  c.stage_end[s] = std::max(c.stage_end[s], end);
}

void StageActor::run() {
  const int V = c.V;
  auto vs_of = [&](const PipeOp& op) { return op.chunk * w.pp + s; };
  for (size_t oi = 0; oi < ops.size(); ++oi) {
    const PipeOp& op = ops[oi];
    if (op.kind == PipeOp::kWeightGrad && w_done[oi]) continue;
    if (op.kind == PipeOp::kWeightGrad) w_done[oi] = 1;
    if (op.kind == PipeOp::kBackward && w.schedule == Schedule::kZeroBubble && vs_of(op) < V - 1) run_pending_w(c.bwd_box[lane][vs_of(op)]);
    const int vs = op.chunk * w.pp + s;
    const ChunkWork& cw = sw.chunks[op.chunk];
    const std::string tag = "mb" + std::to_string(op.micro_batch) + (V > w.pp ? " c" + std::to_string(op.chunk) : "");
    c.where[actor_index] = std::string(op.kind == PipeOp::kForward    ? "forward"
                                       : op.kind == PipeOp::kBackward ? "backward"
                                                                      : "wgrad") +
                           " of micro-batch " + std::to_string(op.micro_batch) + " chunk " + std::to_string(op.chunk);
    if (op.kind == PipeOp::kForward)
      forward(cw, vs, tag);
    else
      backward(oi, op, cw, vs, tag);
  }
  c.where[actor_index] = "gradient reduction";
  const double pipe_end = now();
  c.pipe_end[s] = std::max(c.pipe_end[s], pipe_end);
  reduce_gradients();
  sync_embeddings();
  finish_step();
  c.where[actor_index] = "done";
  ++c.finished;
}

}  // namespace

void run_stage(Ctx* c, int s, int k, int t, int actor_index) { StageActor(*c, s, k, t, actor_index).run(); }

}  // namespace trainplan::sim::engine
