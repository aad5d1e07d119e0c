// The SimGrid side of the simulator: platform from sim/platform.hpp, one actor per simulated pipeline
// rank replaying sim/workload.hpp in the order of sim/schedule.hpp, then the step's results.
#include <xbt/log.h>
#include <simgrid/s4u.hpp>

#include <sys/resource.h>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>
#include <set>

#include "model/cost/collectives.hpp"
#include "model/schedule.hpp"
#include "model/workload.hpp"
#include "sim/platform.hpp"
#include "sim/simulator.hpp"

namespace sg4 = simgrid::s4u;

namespace trainplan::sim {

namespace {

struct Interval {
  double a, b;
};

struct StageAcc {
  double compute = 0, recompute = 0, tp = 0, cp = 0, ep = 0, offload = 0;
  double p2p_time = 0;
  long long p2p_count = 0;
  double optimizer = 0, end_offload = 0;
  [[nodiscard]] double busy() const { return compute + recompute + tp + cp + ep + offload; }
};

struct DpRing {
  std::vector<std::pair<int, int>> pairs;  // src, dst rank: one flow per rank per phase
  double factor = 1;                       // 1 / members per node when the ring crosses nodes
  int size = 1;
};

int g_dummy = 0;

struct Ctx {
  const StepWork* w = nullptr;
  const ClusterSpec* cluster = nullptr;
  PlatformLayout* layout = nullptr;
  bool full = false, trace = false;
  int tp = 1, group = 1, pp = 1, V = 1;
  long long m = 1;
  std::vector<sg4::Host*> host;                              // by rank
  std::vector<sg4::Host*> cpu;                               // by node
  std::vector<std::vector<sg4::Mailbox*>> fwd_box, bwd_box;  // [lane][virtual stage] (into)
  std::vector<std::array<sg4::Mailbox*, 2>> emb_box;         // [lane]: into stage 0, into last
  std::vector<sg4::Mailbox*> dp_box;                         // full detail: DP ring flows into each rank
  std::vector<std::vector<Interval>> busy;                   // per link
  std::vector<double> link_bytes;                            // per link, real bytes
  std::vector<TraceEvent> events;
  long long n_events = 0, n_flows = 0;
  std::vector<double> stage_end, pipe_end;
  std::vector<StageAcc> acc;  // per stage, lane 0
  int finished = 0;
  std::vector<std::string> where;  // per actor
  [[nodiscard]] int rank(int s, int k, int t) const { return t + tp * (k + group * s); }
  [[nodiscard]] int lane(int k, int t) const { return full ? k * tp + t : 0; }
};

double now() { return sg4::Engine::get_clock(); }

void account(Ctx& c, const std::vector<int>& route, double a, double b, double bytes) {
  for (int i : route) {
    c.busy[i].push_back({a, b});
    c.link_bytes[i] += bytes / c.layout->links()[i].scale;
  }
}

DpRing dp_ring(const Ctx& c, int s, int t) {
  DpRing r;
  r.size = c.group;
  if (c.group <= 1) return r;
  std::vector<int> members(c.group);
  for (int k = 0; k < c.group; ++k) members[k] = c.rank(s, k, t);
  // Members grouped by node, in rank order.
  std::vector<std::vector<int>> by_node;
  int last = -1;
  for (int m : members) {
    const int n = c.layout->node_of(m);
    if (n != last) by_node.emplace_back();
    by_node.back().push_back(m);
    last = n;
  }
  if (by_node.size() == 1) {
    for (int k = 0; k < c.group; ++k) r.pairs.emplace_back(members[k], members[(k + 1) % c.group]);
    return r;
  }
  size_t per_node = 0;
  for (const auto& v : by_node) per_node = std::max(per_node, v.size());
  r.factor = 1.0 / static_cast<double>(per_node);
  for (size_t n = 0; n < by_node.size(); ++n) {
    const auto& next = by_node[(n + 1) % by_node.size()];
    for (size_t q = 0; q < by_node[n].size(); ++q) r.pairs.emplace_back(by_node[n][q], next[q % next.size()]);
  }
  return r;
}

void record(Ctx& c, int pid, Stream st, const std::string& name, double a, double b) {
  ++c.n_events;
  if (c.trace && b > a) c.events.push_back({name, pid, static_cast<int>(st), a * 1e6, (b - a) * 1e6});
}

void run_stage(Ctx* cp, int s, int k, int t, int actor_index) {
  Ctx& c = *cp;
  const StepWork& w = *c.w;
  const StageWork& sw = w.stages[s];
  const int me = c.rank(s, k, t);
  sg4::Host* h = c.host[me];
  const int lane = c.lane(k, t);
  const bool lane0 = (k == 0 && t == 0);
  const std::vector<PipeOp> ops = stage_ops(w.schedule, w.pp, w.v, static_cast<int>(c.m), s);
  const PipeOp::Kind last_kind = w.schedule == Schedule::kZeroBubble ? PipeOp::kWeightGrad : PipeOp::kBackward;
  // The last backward of each chunk: its gradients are final there, and Megatron's bucketed
  // reduction of that chunk's parameters starts (--overlap-grad-reduce, one buffer per chunk).
  std::vector<int> last_bwd_of_chunk(sw.chunks.size(), -1);
  for (size_t i = 0; i < ops.size(); ++i)
    if (ops[i].kind == last_kind && ops[i].chunk >= 0 && static_cast<size_t>(ops[i].chunk) < sw.chunks.size())
      last_bwd_of_chunk[ops[i].chunk] = static_cast<int>(i);
  StageAcc& acc = c.acc[s];
  const int tp_peer = c.tp > 1 ? c.rank(s, k, (t + 1) % c.tp) : -1;
  const std::vector<int>* tp_route = tp_peer >= 0 ? &c.layout->route(me, tp_peer) : nullptr;
  const double tp_lat = tp_route ? c.layout->route_latency(*tp_route) : 0;
  const DpRing ring = dp_ring(c, s, t);
  const GroupPlacement dpg = place_group(ring.size, c.tp, *c.cluster);
  const double dp_hop = hop_latency(dpg, *c.cluster).si();
  const double coll_lat = w.collective_latency.si();
  // Replicas whose pipeline traffic this actor carries besides its own (symmetry reduction).
  std::vector<int> replicas;
  if (!c.full)
    for (int kk = 1; kk < c.group; ++kk) replicas.push_back(kk);

  auto segments = [&](const std::vector<Segment>& segs, const std::string& tag) {
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
  };

  // Ring flows of the DP group: all members' (representative) or, in full detail, this rank's own
  // outgoing flow and a receive of its incoming one: a rank leaves a ring phase when both are done,
  // and a flow starts once its receiver has entered the phase, as in NCCL's ring (every step waits
  // for its neighbour's data).
  void* sink = nullptr;
  struct Launched {
    std::vector<sg4::CommPtr> comms;
    std::vector<const std::vector<int>*> routes;
    std::vector<double> bytes;
    double start = 0;
    double finish = 0;  // when its last flow ended (dp_wait)
  };
  auto dp_launch = [&](double per_rank) {
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
  };
  auto dp_wait = [&](Launched& l) {
    if (!l.comms.empty()) sg4::Comm::wait_all(l.comms);
    l.finish = l.start;
    for (size_t i = 0; i < l.comms.size(); ++i) {
      l.finish = std::max(l.finish, l.comms[i]->get_finish_time());
      if (l.routes[i]) account(c, *l.routes[i], l.comms[i]->get_start_time(), l.comms[i]->get_finish_time(), l.bytes[i]);
    }
    const double rl = ring.pairs.empty() ? 0 : c.layout->route_latency(c.layout->route(ring.pairs[0].first, ring.pairs[0].second));
    l.comms.clear();
    return rl;
  };
  const double frac = ring.size > 1 ? (ring.size - 1.0) / ring.size : 0.0;
  // Gradient reduction: ZeRO 0 all-reduce (reduce-scatter + all-gather), else reduce-scatter.
  const double red_bytes = w.zero >= 3 ? 0.0 : sw.grad_bytes.si() * frac * (w.zero == 0 ? 2.0 : 1.0);
  const double red_lat = ring.size <= 1 ? 0.0
                         : w.zero == 0  ? coll_lat + dp_hop * 2.0 * std::ceil(std::log2(static_cast<double>(ring.size)))
                                        : coll_lat + dp_hop * (ring.size - 1.0);
  const double red_waves = w.zero == 0 ? 2.0 : 1.0;
  const double bucket_tail = w.overlap_grad_reduce ? 0.05 : 1.0;  // the last bucket starts after backward
  std::vector<Launched> reduce_heads;

  auto recv = [&](sg4::Mailbox* box, int from_stage, int vs_from, const std::string& what) {
    void* data = nullptr;
    sg4::CommPtr comm = box->get_async<void>(&data);
    comm->wait();
    const double a = comm->get_start_time(), b = comm->get_finish_time();
    const double ready = b + w.p2p_latency.si();
    if (ready > now()) sg4::this_actor::sleep_for(ready - now());
    (void)vs_from;
    const double bytes = w.p2p_bytes.si();
    account(c, c.layout->route(c.rank(from_stage, k, t), me), a, b, bytes);
    for (int kk : replicas) account(c, c.layout->route(c.rank(from_stage, kk, t), c.rank(s, kk, t)), a, b, bytes);
    if (lane0) {
      acc.p2p_time += ready - a;
      ++acc.p2p_count;
    }
    ++c.n_flows;
    record(c, me, Stream::kPp, what, a, ready);
  };
  auto send = [&](sg4::Mailbox* box, int to_stage) {
    const auto bytes = static_cast<std::uint64_t>(std::llround(w.p2p_bytes.si()));
    if (w.overlap_p2p)
      box->put_init(&g_dummy, bytes)->detach();
    else
      box->put(&g_dummy, bytes);
    for (int kk : replicas) {
      sg4::Comm::sendto_init(c.host[c.rank(s, kk, t)], c.host[c.rank(to_stage, kk, t)])->set_payload_size(bytes)->detach();
      ++c.n_flows;
    }
  };

  const int V = c.V;
  auto vs_of = [&](const PipeOp& op) { return op.chunk * w.pp + s; };
  // Zero-bubble: deferred W ops run greedily while the next B waits for its gradient (ZB-H1 fills the
  // drain bubble with them).
  std::vector<char> w_done(ops.size(), 0);
  std::vector<char> b_done(static_cast<size_t>(c.m), 0);
  auto run_pending_w = [&](sg4::Mailbox* box) {
    for (size_t wi = 0; wi < ops.size() && !box->ready(); ++wi) {
      if (ops[wi].kind != PipeOp::kWeightGrad || w_done[wi] || !b_done[ops[wi].micro_batch]) continue;
      w_done[wi] = 1;
      segments(sw.chunks[ops[wi].chunk].wgrad, "mb" + std::to_string(ops[wi].micro_batch));
    }
  };
  // ZeRO-3 gathers (and reduces) the parameters of the chunk an op runs: its share of the stage's
  // layers (with interleaving each op runs one of v chunks).
  int stage_layers = 0;
  for (const ChunkWork& ch : sw.chunks) stage_layers += ch.layers;
  auto chunk_share = [&](const ChunkWork& ch) { return stage_layers > 0 ? static_cast<double>(ch.layers) / stage_layers : 1.0; };
  // Each FSDP unit (a block) is its own collective: `calls` of them per unit of the chunk pay one
  // call's latency each, after the bandwidth the flows took (model/step.hpp data_parallel_time).
  const double z3_call = ring.size > 1 ? coll_lat + dp_hop * (ring.size - 1.0) : 0.0;
  auto zero3_latency = [&](const Launched& l, const ChunkWork& ch, double calls) {
    const double done = l.finish + z3_call * calls * std::max(1.0, std::round(sw.zero3_units * chunk_share(ch)));
    if (done > now()) sg4::this_actor::sleep_until(done);
  };
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
    if (op.kind == PipeOp::kForward) {
      if (vs > 0) recv(c.fwd_box[lane][vs], (vs - 1) % w.pp, vs - 1, "recv act " + tag);
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
    } else {
      if (op.kind == PipeOp::kBackward && vs < V - 1) recv(c.bwd_box[lane][vs], (vs + 1) % w.pp, vs + 1, "recv grad " + tag);
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
  }
  c.where[actor_index] = "gradient reduction";
  const double pipe_end = now();
  c.pipe_end[s] = std::max(c.pipe_end[s], pipe_end);
  // Gradient reduction: the head (95%) started with the last backward; the tail bucket after it.
  if (red_bytes > 0) {
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
  if (w.emb_sync_bytes.si() >= 1 && w.pp > 1 && (s == 0 || s == w.pp - 1)) {
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
    const double extra = coll_lat + dp_hop * (ring.size - 1.0) - rl;
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
  c.where[actor_index] = "done";
  ++c.finished;
}

double merged_length(std::vector<Interval>& v) {
  std::sort(v.begin(), v.end(), [](const Interval& x, const Interval& y) { return x.a < y.a; });
  double total = 0, a = -1, b = -1;
  for (const Interval& i : v) {
    if (i.a > b) {
      total += b - a;
      a = i.a;
      b = i.b;
    } else {
      b = std::max(b, i.b);
    }
  }
  return total + (b - a);
}

}  // namespace

SimResult simulate_in_this_process(const JobSpec& job, const Calibration& cal, const SimOptions& options) {
  const auto wall0 = std::chrono::steady_clock::now();
  SimResult res;
  std::string err;
  std::optional<StepWork> work = build_step(job, cal, err);
  if (!work) {
    res.error = err;
    return res;
  }
  const StepWork& w = *work;
  const PlanSpec& p = job.plan;
  Ctx c;
  c.w = &w;
  c.cluster = &job.cluster;
  c.full = options.full_detail;
  c.trace = options.collect_trace;
  c.tp = p.tp;
  c.group = p.dp * p.cp;
  c.pp = p.pp;
  c.V = p.pp * w.v;
  c.m = w.micro_batches;
  const int gpus = p.gpus();
  auto simulated = [&](int r) { return c.full || r % c.tp == 0; };
  PlatformLayout layout(job.cluster, cal, gpus, simulated);
  c.layout = &layout;

  // Actors (lanes) and every pair of GPUs that exchange data, so that routes exist before sealing.
  struct ActorSpec {
    int s, k, t;
  };
  std::vector<ActorSpec> actors;
  for (int s = 0; s < p.pp; ++s)
    for (int k = 0; k < (c.full ? c.group : 1); ++k)
      for (int t = 0; t < (c.full ? c.tp : 1); ++t) actors.push_back({s, k, t});
  std::set<int> host_ranks;
  std::set<std::pair<int, int>> pairs;
  auto need = [&](int a, int b) {
    pairs.insert({a, b});
    host_ranks.insert(a);
    host_ranks.insert(b);
  };
  bool offload = false;
  for (const StageWork& sw : w.stages) offload = offload || sw.act_offload_bytes.si() >= 1;
  for (const ActorSpec& a : actors) {
    const int me = c.rank(a.s, a.k, a.t);
    host_ranks.insert(me);
    if (p.tp > 1) need(me, c.rank(a.s, a.k, (a.t + 1) % p.tp));
    std::vector<int> ks{a.k};
    if (!c.full)
      for (int kk = 1; kk < c.group; ++kk) ks.push_back(kk);
    for (int kk : ks) {
      if (c.V > 1) {
        const int next = (a.s + 1) % p.pp, prev = (a.s - 1 + p.pp) % p.pp;
        if (a.s < p.pp - 1 || w.v > 1) need(c.rank(a.s, kk, a.t), c.rank(next, kk, a.t));
        if (a.s > 0 || w.v > 1) need(c.rank(a.s, kk, a.t), c.rank(prev, kk, a.t));
      }
    }
    for (const auto& pr : dp_ring(c, a.s, a.t).pairs)
      if (!c.full || pr.first == me) need(pr.first, pr.second);
    if (w.emb_sync_bytes.si() >= 1 && p.pp > 1 && (a.s == 0 || a.s == p.pp - 1))
      for (int kk : ks) need(c.rank(a.s, kk, a.t), c.rank(a.s == 0 ? p.pp - 1 : 0, kk, a.t));
  }
  for (const auto& [a, b] : pairs) layout.route(a, b);
  if (offload)
    for (const ActorSpec& a : actors) layout.route_to_host(c.rank(a.s, a.k, a.t), true);

  // --- SimGrid engine and platform.
  xbt_log_control_set("root.thres:critical");
  int argc = 1;
  char name[] = "trainplan-sim";
  char* argv[] = {name, nullptr};
  sg4::Engine e(&argc, argv);
  e.set_config("network/model:CM02");
  e.set_config("network/crosstraffic:0");
  e.set_config("network/TCP-gamma:0");
  e.set_config("contexts/stack-size:256");
  auto* root = sg4::create_full_zone("root");
  c.host.assign(gpus, nullptr);
  for (int r : host_ranks) c.host[r] = root->create_host("r" + std::to_string(r), 1e12)->seal();
  const int nodes = (gpus + job.cluster.node.gpus_per_node - 1) / job.cluster.node.gpus_per_node;
  c.cpu.assign(nodes, nullptr);
  std::vector<sg4::Link*> links;
  for (const LinkInfo& li : layout.links()) links.push_back(root->create_link(li.name, li.bandwidth)->set_latency(li.latency)->seal());
  auto links_of = [&](const std::vector<int>& r) {
    std::vector<sg4::LinkInRoute> v;
    for (int i : r) v.emplace_back(links[i]);
    return v;
  };
  for (const auto& [a, b] : pairs)
    root->add_route(c.host[a]->get_netpoint(), c.host[b]->get_netpoint(), nullptr, nullptr, links_of(layout.route(a, b)), false);
  if (offload) {
    for (const ActorSpec& a : actors) {
      const int r = c.rank(a.s, a.k, a.t), n = layout.node_of(r);
      if (!c.cpu[n]) c.cpu[n] = root->create_host("cpu" + std::to_string(n), 1e12)->seal();
      root->add_route(c.host[r]->get_netpoint(), c.cpu[n]->get_netpoint(), nullptr, nullptr, links_of(layout.route_to_host(r, true)),
                      false);
    }
  }
  root->seal();

  c.busy.assign(layout.links().size(), {});
  c.link_bytes.assign(layout.links().size(), 0.0);
  c.stage_end.assign(p.pp, 0.0);
  c.pipe_end.assign(p.pp, 0.0);
  c.acc.assign(p.pp, {});
  c.where.assign(actors.size(), "not started");
  const int lanes = c.full ? c.group * c.tp : 1;
  c.fwd_box.assign(lanes, std::vector<sg4::Mailbox*>(c.V, nullptr));
  c.bwd_box.assign(lanes, std::vector<sg4::Mailbox*>(c.V, nullptr));
  c.emb_box.assign(lanes, {nullptr, nullptr});
  if (c.full) {
    c.dp_box.assign(c.host.size(), nullptr);
    for (const ActorSpec& a : actors) {
      const int r = c.rank(a.s, a.k, a.t);
      c.dp_box[r] = sg4::Mailbox::by_name("dp." + std::to_string(r));
    }
  }
  std::vector<sg4::ActorPtr> actor_ptrs;
  for (size_t i = 0; i < actors.size(); ++i) {
    const ActorSpec a = actors[i];
    Ctx* cp = &c;
    const int idx = static_cast<int>(i);
    actor_ptrs.push_back(sg4::Actor::create("stage" + std::to_string(a.s) + "." + std::to_string(a.k) + "." + std::to_string(a.t),
                                            c.host[c.rank(a.s, a.k, a.t)], [cp, a, idx] { run_stage(cp, a.s, a.k, a.t, idx); }));
  }
  // Mailboxes with a permanent receiver: a send starts at once, as NCCL's posted receives let it.
  auto actor_of = [&](int s, int k, int t) {
    return actor_ptrs[(static_cast<size_t>(s) * (c.full ? c.group : 1) + k) * (c.full ? c.tp : 1) + t];
  };
  for (int k = 0; k < (c.full ? c.group : 1); ++k)
    for (int t = 0; t < (c.full ? c.tp : 1); ++t) {
      const int ln = c.lane(k, t);
      for (int vs = 0; vs < c.V; ++vs) {
        const std::string suffix = std::to_string(ln) + "." + std::to_string(vs);
        c.fwd_box[ln][vs] = sg4::Mailbox::by_name("f" + suffix);
        c.bwd_box[ln][vs] = sg4::Mailbox::by_name("b" + suffix);
        c.fwd_box[ln][vs]->set_receiver(actor_of(vs % p.pp, k, t));
        c.bwd_box[ln][vs]->set_receiver(actor_of(vs % p.pp, k, t));
      }
      c.emb_box[ln][0] = sg4::Mailbox::by_name("e0." + std::to_string(ln));
      c.emb_box[ln][1] = sg4::Mailbox::by_name("e1." + std::to_string(ln));
      c.emb_box[ln][0]->set_receiver(actor_of(0, k, t));
      c.emb_box[ln][1]->set_receiver(actor_of(p.pp - 1, k, t));
    }
  actor_ptrs.clear();
  e.run();

  res.actors = static_cast<int>(actors.size());
  res.hosts = static_cast<int>(host_ranks.size());
  res.links = static_cast<int>(layout.links().size());
  if (c.finished != static_cast<int>(actors.size())) {
    for (size_t i = 0; i < actors.size(); ++i)
      if (c.where[i] != "done") {
        res.error = "deadlock: simulation stopped at t=" + std::to_string(now()) + " s with stage " + std::to_string(actors[i].s) +
                    " (rank " + std::to_string(c.rank(actors[i].s, actors[i].k, actors[i].t)) + ") waiting in " + c.where[i];
        break;
      }
    return res;
  }

  // --- Results.
  double step = 0, pipe = 0;
  for (int s = 0; s < p.pp; ++s) {
    step = std::max(step, c.stage_end[s]);
    pipe = std::max(pipe, c.pipe_end[s]);
  }
  Evaluation ev = w.analytic;
  res.analytic_step_time = ev.step_time;
  ev.step_time = Seconds::from_si(step);
  int crit = 0;
  for (int s = 1; s < p.pp; ++s)
    if (c.acc[s].busy() > c.acc[crit].busy()) crit = s;
  const StageAcc& a = c.acc[crit];
  TimeBreakdown& b = ev.breakdown;
  double p2p_mean = 0;
  long long p2p_n = 0;
  double opt = 0, end_off = 0;
  for (const StageAcc& x : c.acc) {
    p2p_mean += x.p2p_time;
    p2p_n += x.p2p_count;
    opt = std::max(opt, x.optimizer);
    end_off = std::max(end_off, x.end_offload);
  }
  p2p_mean = p2p_n > 0 ? p2p_mean / p2p_n : 0.0;
  const double pp_comm = p2p_mean * 2.0 * (p.pp - 1) + (p.overlap_p2p ? 0.0 : p2p_mean * 2.0 * static_cast<double>(c.m) * w.v);
  b.compute = Seconds::from_si(a.compute);
  b.recompute = Seconds::from_si(a.recompute);
  b.tp_comm = Seconds::from_si(a.tp);
  b.cp_comm = Seconds::from_si(a.cp);
  b.ep_comm = Seconds::from_si(a.ep);
  b.pp_comm = Seconds::from_si(pp_comm);
  b.optimizer = Seconds::from_si(opt);
  b.offload = Seconds::from_si(end_off + a.offload);
  b.dp_comm = Seconds::from_si(std::max(0.0, step - pipe - opt - end_off));
  b.bubble = Seconds::from_si(std::max(0.0, pipe - a.busy() - pp_comm));
  const double tokens = static_cast<double>(job.training.global_batch) * job.training.sequence_length;
  if (step > 0 && w.analytic.step_time.si() > 0) {
    const double k = w.analytic.step_time.si() / step;  // rates scale inversely with step time
    ev.tokens_per_s = tokens / step;
    ev.tokens_per_s_per_gpu = ev.tokens_per_s / ev.gpus;
    ev.model_tflops_per_gpu *= k;
    ev.hardware_tflops_per_gpu *= k;
    ev.mfu_pct *= k;
    ev.hfu_pct *= k;
  }
  res.evaluation = ev;

  // Link utilization, per class and the busiest links.
  std::array<LinkUse, kLinkClasses> cls{};
  std::array<int, kLinkClasses> count{};
  std::vector<LinkUse> per_link;
  for (size_t i = 0; i < layout.links().size(); ++i) {
    const LinkInfo& li = layout.links()[i];
    LinkUse u;
    u.name = li.name;
    u.cls = link_class_name(li.cls);
    u.bytes = c.link_bytes[i];
    u.busy_fraction = step > 0 ? merged_length(c.busy[i]) / step : 0.0;
    u.busy_fraction_max = u.busy_fraction;
    u.utilization = step > 0 && li.raw_bandwidth > 0 ? u.bytes / (li.raw_bandwidth * step) : 0.0;
    const int ci = static_cast<int>(li.cls);
    LinkUse& cu = cls[ci];
    cu.cls = cu.name = link_class_name(li.cls);
    cu.bytes += u.bytes;
    cu.busy_fraction += u.busy_fraction;
    cu.busy_fraction_max = std::max(cu.busy_fraction_max, u.busy_fraction);
    cu.utilization += u.utilization;
    ++count[ci];
    per_link.push_back(std::move(u));
  }
  for (int ci = 0; ci < kLinkClasses; ++ci) {
    if (count[ci] == 0) continue;
    LinkUse u = cls[ci];
    u.links = count[ci];
    u.busy_fraction /= count[ci];
    u.utilization /= count[ci];
    res.link_classes.push_back(u);
  }
  std::stable_sort(per_link.begin(), per_link.end(), [](const LinkUse& x, const LinkUse& y) {
    return x.busy_fraction != y.busy_fraction ? x.busy_fraction > y.busy_fraction : x.name < y.name;
  });
  if (per_link.size() > 8) per_link.resize(8);
  res.busiest_links = std::move(per_link);
  res.events = c.n_events;
  res.flows = c.n_flows;
  res.trace = std::move(c.events);
  for (const ActorSpec& x : actors) {
    const int r = c.rank(x.s, x.k, x.t);
    res.process_names.emplace_back(r, "rank " + std::to_string(r) + " (stage " + std::to_string(x.s) + ", dp " + std::to_string(x.k) +
                                          ", tp " + std::to_string(x.t) + ")");
  }
  res.ok = true;
  res.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count();
  struct rusage ru {};
  getrusage(RUSAGE_SELF, &ru);
  res.peak_rss_mib = static_cast<double>(ru.ru_maxrss) / 1024.0;
  return res;
}

}  // namespace trainplan::sim
