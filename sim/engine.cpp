// The SimGrid side of the simulator: the platform (sim/platform.hpp) built as a zone
// (sim/platform_zone.hpp), one actor per simulated pipeline rank (sim/stage_actor.cpp) replaying
// model/workload.hpp in the order of model/schedule.hpp, then the step's results.
#include <xbt/log.h>
#include <simgrid/s4u.hpp>

#include <sys/resource.h>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <set>

#include "model/workload.hpp"
#include "sim/engine_context.hpp"
#include "sim/platform.hpp"
#include "sim/platform_zone.hpp"
#include "sim/simulator.hpp"

namespace sg4 = simgrid::s4u;

namespace trainplan::sim {

using namespace engine;

namespace {

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

struct ActorSpec {
  int s, k, t;
};

// The simulated ranks: every rank in full detail, else TP rank 0 of replica 0 of each stage.
std::vector<ActorSpec> actor_specs(const Ctx& c) {
  std::vector<ActorSpec> actors;
  for (int s = 0; s < c.pp; ++s)
    for (int k = 0; k < (c.full ? c.group : 1); ++k)
      for (int t = 0; t < (c.full ? c.tp : 1); ++t) actors.push_back({s, k, t});
  return actors;
}

// Every pair of GPUs that exchange data, so that routes exist before sealing.
NeededRoutes needed_routes(const Ctx& c, const std::vector<ActorSpec>& actors, const PlanSpec& p, const StepWork& w) {
  NeededRoutes out;
  auto need = [&](int a, int b) {
    out.pairs.insert({a, b});
    out.host_ranks.insert(a);
    out.host_ranks.insert(b);
  };
  bool offload = false;
  for (const StageWork& sw : w.stages) offload = offload || sw.act_offload_bytes.si() >= 1;
  for (const ActorSpec& a : actors) {
    const int me = c.rank(a.s, a.k, a.t);
    out.host_ranks.insert(me);
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
    if (offload) out.offload_ranks.push_back(me);
  }
  return out;
}

void configure_engine(sg4::Engine& e) {
  e.set_config("network/model:CM02");
  e.set_config("network/crosstraffic:0");
  e.set_config("network/TCP-gamma:0");
  e.set_config("contexts/stack-size:256");
}

// The per-run buffers of the context: link accounting, per-stage results, mailboxes.
void init_buffers(Ctx& c, const std::vector<ActorSpec>& actors) {
  c.busy.assign(c.layout->links().size(), {});
  c.link_bytes.assign(c.layout->links().size(), 0.0);
  c.stage_end.assign(c.pp, 0.0);
  c.pipe_end.assign(c.pp, 0.0);
  c.acc.assign(c.pp, {});
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
}

// One actor per simulated rank, and the pipeline mailboxes with a permanent receiver: a send starts
// at once, as NCCL's posted receives let it.
void spawn_actors(Ctx& c, const std::vector<ActorSpec>& actors) {
  std::vector<sg4::ActorPtr> actor_ptrs;
  for (size_t i = 0; i < actors.size(); ++i) {
    const ActorSpec a = actors[i];
    Ctx* cp = &c;
    const int idx = static_cast<int>(i);
    actor_ptrs.push_back(sg4::Actor::create("stage" + std::to_string(a.s) + "." + std::to_string(a.k) + "." + std::to_string(a.t),
                                            c.host[c.rank(a.s, a.k, a.t)], [cp, a, idx] { run_stage(cp, a.s, a.k, a.t, idx); }));
  }
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
        c.fwd_box[ln][vs]->set_receiver(actor_of(vs % c.pp, k, t));
        c.bwd_box[ln][vs]->set_receiver(actor_of(vs % c.pp, k, t));
      }
      c.emb_box[ln][0] = sg4::Mailbox::by_name("e0." + std::to_string(ln));
      c.emb_box[ln][1] = sg4::Mailbox::by_name("e1." + std::to_string(ln));
      c.emb_box[ln][0]->set_receiver(actor_of(0, k, t));
      c.emb_box[ln][1]->set_receiver(actor_of(c.pp - 1, k, t));
    }
}

// The step's evaluation from the stages' accounting: step time, breakdown along the busiest stage,
// rates scaled from the analytic ones by the step-time ratio.
Evaluation simulated_evaluation(const Ctx& c, const StepWork& w, const JobSpec& job) {
  const PlanSpec& p = job.plan;
  double step = 0, pipe = 0;
  for (int s = 0; s < p.pp; ++s) {
    step = std::max(step, c.stage_end[s]);
    pipe = std::max(pipe, c.pipe_end[s]);
  }
  Evaluation ev = w.analytic;
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
  return ev;
}

// Link utilization, per class and the busiest links.
void link_utilization(Ctx& c, double step, SimResult& res) {
  const PlatformLayout& layout = *c.layout;
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

  const std::vector<ActorSpec> actors = actor_specs(c);
  const NeededRoutes routes = needed_routes(c, actors, p, w);
  for (const auto& [a, b] : routes.pairs) layout.route(a, b);
  for (int r : routes.offload_ranks) layout.route_to_host(r, true);

  // --- SimGrid engine, platform and actors.
  xbt_log_control_set("root.thres:critical");
  int argc = 1;
  char name[] = "trainplan-sim";
  char* argv[] = {name, nullptr};
  sg4::Engine e(&argc, argv);
  configure_engine(e);
  ZoneHosts zone = build_zone(layout, gpus, job.cluster.node.gpus_per_node, routes);
  c.host = std::move(zone.gpu);
  c.cpu = std::move(zone.cpu);
  init_buffers(c, actors);
  spawn_actors(c, actors);
  e.run();

  res.actors = static_cast<int>(actors.size());
  res.hosts = static_cast<int>(routes.host_ranks.size());
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
  res.evaluation = simulated_evaluation(c, w, job);
  res.analytic_step_time = w.analytic.step_time;
  link_utilization(c, res.evaluation.step_time.si(), res);
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
