// The op-by-op pipeline replay (model/pipeline_replay.hpp) against the closed forms it must reach:
// 1F1B and GPipe fill, steady state and drain (Narayanan et al. 2021 §2.2.1), the interleaved
// bubble ÷ v (§2.2.2), ZB-H1's bubble (Qi et al. 2023 §3), and the pipeline transfers the
// analytic evaluator's closed form (model/step.hpp pipeline_time) charges.
#include <gtest/gtest.h>

#include <filesystem>
#include <iostream>
#include <map>
#include <set>
#include <tuple>

#include "model/analytic.hpp"
#include "model/pipeline_layout.hpp"
#include "model/pipeline_replay.hpp"
#include "model/spec/catalog.hpp"
#include "model/step.hpp"

namespace trainplan {
namespace {

Segment timed(double seconds) {
  Segment g;
  g.time = s(seconds);
  return g;
}

// p stages of v chunks; a micro-batch's forward takes f, backward b (and W w under zero-bubble)
// per stage, split evenly over its chunks; stage `heavy` (if any) takes `factor` times longer.
StepWork uniform(Schedule sched, int p, int v, int m, double f, double b, double w = 0, int heavy = -1, double factor = 1) {
  StepWork work;
  work.schedule = sched;
  work.pp = p;
  work.v = v;
  work.micro_batches = m;
  work.stages.resize(p);
  for (int i = 0; i < p; ++i) {
    const double k = (i == heavy ? factor : 1.0) / v;
    for (int c = 0; c < v; ++c) {
      ChunkWork cw;
      cw.fwd = {timed(f * k)};
      cw.bwd = {timed(b * k)};
      if (w > 0) cw.wgrad = {timed(w * k)};
      work.stages[i].chunks.push_back(cw);
    }
  }
  return work;
}

PlanSpec plan_of(const StepWork& w) {
  PlanSpec p;
  p.pp = w.pp;
  p.schedule = w.schedule;
  p.virtual_stages = w.v;
  p.overlap_p2p = w.overlap_p2p;
  return p;
}

// The analytic closed form on the same per-stage times (one stage kind per stage).
double closed_form(const StepWork& w, double p2p) {
  StageKinds kinds;
  std::vector<StageTimes> t;
  for (int i = 0; i < w.pp; ++i) {
    double f = 0, b = 0;
    for (const ChunkWork& cw : w.stages[i].chunks) {
      for (const Segment& g : cw.fwd) f += g.time.si();
      for (const Segment& g : cw.bwd) b += g.time.si();
      for (const Segment& g : cw.wgrad) b += g.time.si();
    }
    StageTimes st;
    st.fwd = s(f);
    st.bwd = s(b);
    t.push_back(st);
    StageKind k;
    k.index = i;
    k.count = 1;
    kinds.kind.push_back(k);
    ++kinds.count;
  }
  const PipelineTime pt = pipeline_time(plan_of(w), static_cast<double>(w.micro_batches), kinds, t, s(p2p));
  return (pt.pipeline + pt.pp_comm).si();
}

TEST(PipelineReplay, OneFOneBTakesMPlusPMinusOneSlots) {
  const int p = 4, m = 8;
  const PipelineReplay r = replay_pipeline(uniform(Schedule::k1F1B, p, 1, m, 1, 2), Seconds{});
  ASSERT_TRUE(r.error.empty()) << r.error;
  EXPECT_DOUBLE_EQ(r.end.si(), (m + p - 1) * 3.0);
  EXPECT_EQ(r.ops.size(), static_cast<size_t>(2 * p * m));
}

TEST(PipelineReplay, GpipeHasTheSameCriticalPathAsOneFOneB) {
  const int p = 3, m = 5;
  EXPECT_DOUBLE_EQ(replay_pipeline(uniform(Schedule::kGpipe, p, 1, m, 1, 2), Seconds{}).end.si(), (m + p - 1) * 3.0);
}

// A slower stage sets the steady state: Σ t_i + (m − 1) · max t_i.
TEST(PipelineReplay, OneFOneBWithASlowStageMatchesTheClosedForm) {
  const int p = 4, m = 6;
  const StepWork w = uniform(Schedule::k1F1B, p, 1, m, 1, 2, 0, /*heavy=*/3, /*factor=*/1.5);
  EXPECT_DOUBLE_EQ(replay_pipeline(w, Seconds{}).end.si(), (3 * 3.0 + 4.5) + (m - 1) * 4.5);
  EXPECT_DOUBLE_EQ(replay_pipeline(w, Seconds{}).end.si(), closed_form(w, 0));
}

// Interleaving with m a multiple of p: the bubble is (p − 1)(t_f + t_b) / v.
TEST(PipelineReplay, InterleavingDividesTheBubbleByV) {
  const int p = 4, m = 8;
  for (int v : {2, 3, 4}) {
    const PipelineReplay r = replay_pipeline(uniform(Schedule::kInterleaved, p, v, m, 1, 2), Seconds{});
    ASSERT_TRUE(r.error.empty()) << r.error;
    EXPECT_NEAR(r.end.si(), m * 3.0 + (p - 1) * 3.0 / v, 1e-9) << "v " << v;
  }
}

// ZB-H1 with t_F = t_B = t_W: the bubble is (p − 1)(t_F + t_B − t_W) = (p − 1) · t_F.
TEST(PipelineReplay, ZeroBubbleH1LeavesOneForwardPerStageOfBubble) {
  const int p = 4, m = 8;
  const StepWork w = uniform(Schedule::kZeroBubble, p, 1, m, 1, 1, 1);
  const PipelineReplay r = replay_pipeline(w, Seconds{});
  ASSERT_TRUE(r.error.empty()) << r.error;
  EXPECT_DOUBLE_EQ(r.end.si(), m * 3.0 + (p - 1) * 1.0);
  EXPECT_DOUBLE_EQ(r.end.si(), closed_form(w, 0));
  EXPECT_EQ(r.ops.size(), static_cast<size_t>(3 * p * m));
}

TEST(PipelineReplay, InterleavingNeedsWholeGroupsOfMicroBatches) {
  const PipelineReplay r = replay_pipeline(uniform(Schedule::kInterleaved, 4, 2, 6, 1, 2), Seconds{});
  EXPECT_EQ(r.error, "interleaving needs the micro-batch count (6) divisible by pp 4");
}

// 1F1B with transfers of d: stage 0 holds p micro-batches in flight, and a micro-batch's round
// trip through the pipeline takes p(t_f + t_b) of compute plus 2(p − 1) transfers, so p more
// micro-batches take p(t_f + t_b) + 2(p − 1)d longer, even with every send overlapped.
TEST(PipelineReplay, OneFOneBRoundTripsExposeTheTransfers) {
  const int p = 4;
  const double d = 0.25;
  for (int m : {8, 12}) {
    const double a = replay_pipeline(uniform(Schedule::k1F1B, p, 1, m, 1, 2), s(d)).end.si();
    const double b = replay_pipeline(uniform(Schedule::k1F1B, p, 1, m + p, 1, 2), s(d)).end.si();
    EXPECT_DOUBLE_EQ(b - a, p * 3.0 + 2 * (p - 1) * d) << "m " << m;
  }
  // Fill and drain alone cost 2(p − 1)d: with p micro-batches or fewer nothing more is exposed.
  EXPECT_DOUBLE_EQ(replay_pipeline(uniform(Schedule::k1F1B, p, 1, 1, 1, 2), s(d)).end.si(), p * 3.0 + 2 * (p - 1) * d);
}

// The closed form's interleaving term: each of the v − 1 wraps of a micro-batch group from the last
// stage back to the first adds p transfers in warm-up and in cool-down, 2(v − 1)p in all.
TEST(PipelineReplay, InterleavedWrapsAddTheTransfersTheClosedFormCharges) {
  const int p = 4, m = 8, v = 2;
  const double d = 0.05;
  const StepWork w = uniform(Schedule::kInterleaved, p, v, m, 1, 2);
  const double replayed = replay_pipeline(w, s(d)).end.si();
  EXPECT_NEAR(replayed, m * 3.0 + (p - 1) * 3.0 / v + (2 * (p - 1) + 2 * (v - 1) * p) * d, 1e-9);
  EXPECT_NEAR(replayed, closed_form(w, d), 1e-9);
}

// Without overlap every send holds its stage for the transfer: a middle stage sends twice per
// micro-batch, so its steady state takes t_f + t_b + 2d per micro-batch.
TEST(PipelineReplay, BlockingSendsHoldTheSender) {
  const int p = 4;
  const double d = 0.25;
  auto end = [&](int m) {
    StepWork w = uniform(Schedule::k1F1B, p, 1, m, 1, 2);
    w.overlap_p2p = false;
    return replay_pipeline(w, s(d)).end.si();
  };
  EXPECT_DOUBLE_EQ(end(12) - end(8), p * (3.0 + 2 * d));
}

// Every schedule, on many shapes, runs each of its ops exactly once and never deadlocks; each
// forward starts after its upstream forward has arrived.
TEST(PipelineReplay, EveryOpRunsOnceInDependencyOrder) {
  for (Schedule sched : {Schedule::kGpipe, Schedule::k1F1B, Schedule::kInterleaved, Schedule::kZeroBubble})
    for (int p : {1, 2, 3, 5})
      for (int groups : {1, 2, 3}) {
        // Interleaving runs micro-batches in groups of p; the others take any count.
        const int v = sched == Schedule::kInterleaved && p > 1 ? 3 : 1;
        const int m = v > 1 ? groups * p : groups * 4 - 3;
        const double d = 0.1;
        const StepWork w = uniform(sched, p, v, m, 1, 2, sched == Schedule::kZeroBubble ? 1 : 0);
        const PipelineReplay r = replay_pipeline(w, s(d));
        ASSERT_TRUE(r.error.empty()) << r.error;
        std::set<std::tuple<int, int, int, int>> seen;
        std::map<std::pair<int, int>, double> fwd_sent;  // (virtual stage, micro-batch) -> arrival
        for (const ReplayedOp& o : r.ops) {
          EXPECT_TRUE(seen.insert({o.stage, o.op.kind, o.op.micro_batch, o.op.chunk}).second);
          const int vs = o.op.chunk * p + o.stage;
          if (o.op.kind == PipeOp::kForward) {
            if (vs > 0) {
              EXPECT_GE(o.start.si() + 1e-12, fwd_sent.at({vs - 1, o.op.micro_batch}));
            }
            fwd_sent[{vs, o.op.micro_batch}] = o.send_end.si();
          }
        }
        EXPECT_EQ(seen.size(), static_cast<size_t>(p * v * m * (sched == Schedule::kZeroBubble ? 3 : 2)));
      }
}

// Every shipped example job: the replayed pipeline plus the evaluation's end-of-step terms against
// the evaluation's step time (the closed form of model/step.hpp pipeline_time).
TEST(PipelineReplay, AgreesWithTheClosedFormOnEveryExampleJob) {
  Catalog catalog(CONFIG_DIR);
  int jobs = 0;
  for (const auto& entry : std::filesystem::directory_iterator(std::string(CONFIG_DIR) + "/examples")) {
    Diagnostics diag;
    const auto job = load_job_file(entry.path().string(), catalog, diag);
    if (!job) continue;  // plan problems and sweeps
    const Calibration cal = load_calibration(catalog, job->cluster.node.gpu, "", diag);
    std::string error;
    const auto work = build_step(*job, cal, error);
    ASSERT_TRUE(work.has_value()) << entry.path() << ": " << error;
    const Evaluation e = AnalyticEvaluator().evaluate(*job, cal);
    const PipelineReplay r = replay_pipeline(*work, pipeline_p2p_time(*job, cal));
    ASSERT_TRUE(r.error.empty()) << r.error;
    const TimeBreakdown& b = e.breakdown;
    const double replayed = (r.end + b.dp_comm + b.optimizer + b.offload).si();
    const double pct = 100.0 * (replayed / e.step_time.si() - 1.0);
    std::cout << entry.path().filename().string() << ": replayed " << replayed << " s, evaluated " << e.step_time.si() << " s, " << pct
              << " %\n";
    EXPECT_NEAR(pct, 0.0, 1.0) << entry.path();
    ++jobs;
  }
  EXPECT_GE(jobs, 10);
}

}  // namespace
}  // namespace trainplan
