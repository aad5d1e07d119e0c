// The search: objectives, determinism across threads, the exact memory floor, the explanation,
// the time limit, and a published plan that the planner must match or beat.
#include <gtest/gtest.h>

#include <sstream>

#include "model/analytic.hpp"
#include "model/calibration.hpp"
#include "planner/search/explain.hpp"
#include "planner/search/problem.hpp"
#include "planner/search/report.hpp"
#include "planner/search/search.hpp"
#include "planner/search/space.hpp"
#include "tests/planner/search/load.hpp"

namespace trainplan::planner {
namespace {

using test::load;
using test::Loaded;

Loaded small() { return load(TEST_DATA_DIR "/small-problem.json"); }

SearchResult search(const Loaded& l, Objective o, int threads = 2, int top = 10, bool prune = true) {
  SearchOptions so;
  so.objective = o;
  so.threads = threads;
  so.top = top;
  so.prune = prune;
  return run_search(l.problem, l.cal, so);
}

TEST(PlannerSearch, ThroughputRanksByTokensPerSecond) {
  const Loaded l = small();
  const SearchResult r = search(l, Objective::kThroughput);
  ASSERT_GE(r.top.size(), 2u);
  EXPECT_GT(r.feasible, 0);
  EXPECT_EQ(
      r.evaluated, r.feasible + [&] {
        long long n = 0;
        for (auto& [k, v] : r.infeasible_by_reason) n += v;
        return n;
      }());
  for (size_t i = 1; i < r.top.size(); ++i) EXPECT_GE(r.top[i - 1].tokens_per_s, r.top[i].tokens_per_s);
  // No plan on the Pareto front is faster than the winner.
  for (const Candidate& c : r.pareto) EXPECT_LE(c.tokens_per_s, r.top.front().tokens_per_s);
  EXPECT_TRUE(r.complete);
}

// SearchOptions::accept leaves out the plans it refuses: the best accepted plan is the best plan of
// the unfiltered search's full ranking that it accepts, and the refused ones are counted.
TEST(PlannerSearch, AcceptKeepsOnlyThePlansItAccepts) {
  const Loaded l = small();
  const SearchResult all = search(l, Objective::kThroughput, 2, 100000, false);
  auto no_pipeline = [](const JobSpec& job) { return job.plan.pp == 1; };
  SearchOptions so;
  so.threads = 2;
  so.top = 3;
  so.accept = no_pipeline;
  const SearchResult r = run_search(l.problem, l.cal, so);
  ASSERT_FALSE(r.top.empty());
  for (const Candidate& c : r.top) EXPECT_EQ(c.plan.pp, 1);
  const Candidate* best = nullptr;
  long long refused = 0;
  for (const Candidate& c : all.top) {
    if (c.plan.pp == 1 && !best) best = &c;
    if (c.plan.pp != 1) ++refused;
  }
  ASSERT_NE(best, nullptr);
  ASSERT_LT(all.top.size(), 100000u);  // the unfiltered ranking is complete
  EXPECT_EQ(r.top.front().plan, best->plan);
  EXPECT_DOUBLE_EQ(r.top.front().tokens_per_s, best->tokens_per_s);
  EXPECT_GT(refused, 0);
  if (!r.skipped.count("bound")) {
    EXPECT_EQ(r.infeasible_by_reason.at("not_accepted"), refused);
  }
}

TEST(PlannerSearch, CostRanksByDollarsPerMillionTokens) {
  const Loaded l = small();
  const SearchResult r = search(l, Objective::kCost);
  ASSERT_FALSE(r.top.empty());
  const ObjectiveContext ctx = make_objective_context(Objective::kCost, l.problem);
  // $/Mtok = gpus · price / 3600 / (tokens/s · goodput) · 10⁶, goodput for the plan's GPUs.
  const Candidate& w = r.top.front();
  const double g = goodput(ctx.goodput, w.gpus).fraction;
  EXPECT_DOUBLE_EQ(w.goodput, g);
  EXPECT_NEAR(w.primary, w.gpus * ctx.price_per_gpu_hour / 3600.0 / (w.tokens_per_s * g) * 1e6, 1e-12 * w.primary);
  for (const Candidate& c : r.pareto)
    EXPECT_GE(usd_per_million_tokens(ctx, c.gpus, c.tokens_per_s * goodput(ctx.goodput, c.gpus).fraction), w.primary * (1 - 1e-12));
}

TEST(PlannerSearch, TimeToTrainReportsDaysDollarsAndEnergy) {
  const Loaded l = small();
  const SearchResult r = search(l, Objective::kTimeToTrain);
  ASSERT_FALSE(r.top.empty());
  const ObjectiveContext ctx = make_objective_context(Objective::kTimeToTrain, l.problem);
  const Candidate& w = r.top.front();
  // Wall time counts the useful share only (model/goodput.hpp).
  const double g = goodput(ctx.goodput, w.gpus).fraction;
  EXPECT_GT(g, 0.9);
  EXPECT_LT(g, 1.0);
  const double days = 26e9 / (w.tokens_per_s * g) / 86400.0;
  EXPECT_NEAR(w.primary, days, 1e-9 * days);
  const Json j = objective_json(ctx, w);
  EXPECT_TRUE(j.contains("usd"));
  EXPECT_TRUE(j.contains("energy_mwh"));
  EXPECT_NEAR(j["goodput"]["fraction"].get<double>(), g, 1e-5);
  // The fastest plan also trains soonest.
  EXPECT_EQ(plan_key(w.plan, w.global_batch), plan_key(search(l, Objective::kThroughput).top.front().plan, w.global_batch));
}

TEST(PlannerSearch, TimeToTrainTradesThroughputForGoodput) {
  // GPUs failing every 2 hours each: a 16-GPU job fails every 7.5 minutes and spends most of its
  // wall time recovering (10 min detection + 5 min restart), so fewer GPUs train sooner.
  Loaded l = small();
  l.problem.cluster.reliability.gpu_mtbf = s(2 * 3600);
  l.problem.training.deadline_days = 0;
  const SearchResult fast = search(l, Objective::kThroughput);
  const SearchResult soon = search(l, Objective::kTimeToTrain);
  ASSERT_FALSE(fast.top.empty());
  ASSERT_FALSE(soon.top.empty());
  const Candidate& w = soon.top.front();
  EXPECT_LT(w.gpus, fast.top.front().gpus);
  const ObjectiveContext ctx = make_objective_context(Objective::kTimeToTrain, l.problem);
  const double g_w = goodput(ctx.goodput, w.gpus).fraction, g_f = goodput(ctx.goodput, fast.top.front().gpus).fraction;
  EXPECT_GT(g_w, g_f);
  // ... and it is right to: more useful tokens per second of wall time.
  EXPECT_GT(w.tokens_per_s * g_w, fast.top.front().tokens_per_s * g_f);
  EXPECT_LT(w.tokens_per_s, fast.top.front().tokens_per_s);
}

TEST(PlannerSearch, CancelStopsWhileTheGroupsAreMade) {
  // A 1T model on 100,000 GPUs with a batch range and micro-batches up to 64: making the groups
  // alone once ran past the time limit (issue 18, item 1). Cancelled before the start, the search
  // returns at once, incomplete.
  Loaded l = small();
  Diagnostics d;
  l.problem.model = *load_model_file(CONFIG_DIR "/models/megatron-gpt-1t.json", Catalog(CONFIG_DIR), d);
  l.problem.cluster.nodes = 12500;
  l.problem.training.global_batch = 1024;
  l.problem.training.global_batch_max = 65536;
  l.problem.training.deadline_days = 0;
  l.problem.search.max_micro_batch = 64;
  std::atomic<bool> cancel{true};
  SearchOptions so;
  so.threads = 2;
  so.cancel = &cancel;
  const SearchResult r = run_search(l.problem, l.cal, so);
  EXPECT_FALSE(r.complete);
  EXPECT_EQ(r.evaluated, 0);
}

TEST(PlannerSearch, MicroBatchesStopAtTheGlobalBatch) {
  // max_micro_batch is bounded on reading (kMaxMicroBatch) and the loop by the batch: dp 8 of a
  // global batch of 64 allows micro-batches up to 8 whatever max_micro_batch says.
  Loaded l = small();
  l.problem.search.max_micro_batch = kMaxMicroBatch;
  const std::vector<int> mbs = micro_batch_candidates(l.problem, 8);
  ASSERT_FALSE(mbs.empty());
  EXPECT_LE(mbs.back(), 8);
}

TEST(PlannerSearch, FewestGpusMeetingTheDeadline) {
  const Loaded l = small();
  const SearchResult r = search(l, Objective::kFewestGpus);
  ASSERT_FALSE(r.top.empty());
  const ObjectiveContext ctx = make_objective_context(Objective::kFewestGpus, l.problem);
  const Candidate& w = r.top.front();
  EXPECT_TRUE(meets_deadline(ctx, w.tokens_per_s, w.goodput));
  for (const Candidate& c : r.pareto) {
    if (meets_deadline(ctx, c.tokens_per_s, c.goodput)) {
      EXPECT_GE(c.gpus, w.gpus);
    }
  }
  // 26 B tokens in 7 days needs 43k tokens/s, 6 x 1.3e9 x 43e3 = 335 model TFLOP/s: more than one
  // A100 (312 peak) delivers, so plans of too few GPUs miss the deadline. The
  // exhaustive search counts those plans; the bounded one skips most of them unevaluated.
  const SearchResult all = search(l, Objective::kFewestGpus, 2, 10, /*prune=*/false);
  EXPECT_GT(all.infeasible_by_reason.count("misses_deadline"), 0u);
  EXPECT_GT(r.skipped.count("bound"), 0u);
  ASSERT_FALSE(all.top.empty());
  EXPECT_EQ(plan_key(all.top.front().plan, all.top.front().global_batch), plan_key(w.plan, w.global_batch));
}

TEST(PlannerSearch, ByteIdenticalJsonForAnyThreadCount) {
  const Loaded l = small();
  const ObjectiveContext ctx = make_objective_context(Objective::kThroughput, l.problem);
  AnalyticEvaluator analytic;
  std::string first;
  for (int threads : {1, 2, 3, 7}) {
    std::ostringstream csv;
    SearchOptions so;
    so.threads = threads;
    so.csv = &csv;
    const SearchResult r = run_search(l.problem, l.cal, so);
    const std::string doc = report_json(l.problem, l.cal, ctx, analytic, r, {}).dump(2) + csv.str();
    if (first.empty())
      first = doc;
    else
      EXPECT_EQ(doc, first) << "threads " << threads;
  }
}

TEST(PlannerSearch, CsvHasOneRowPerEvaluatedPlan) {
  const Loaded l = small();
  std::ostringstream csv;
  SearchOptions so;
  so.csv = &csv;
  const SearchResult r = run_search(l.problem, l.cal, so);
  const std::string text = csv.str();
  EXPECT_EQ(text.rfind(csv_header(), 0), 0u);
  EXPECT_EQ(static_cast<long long>(std::count(text.begin(), text.end(), '\n')), r.evaluated + 1);
}

// The exact memory floor assumes weights, gradients, optimizer state and buffers do not depend on
// micro-batch, recompute, schedule or sequence parallel (model/analytic.cpp). Pin that.
TEST(PlannerSearch, StaticMemoryIndependentOfActivationKnobs) {
  const Loaded l = small();
  AnalyticEvaluator ev;
  PlanSpec base;
  base.tp = 2;
  base.pp = 4;
  base.dp = 2;
  base.zero = 1;
  const Evaluation e0 = ev.evaluate(make_job(l.problem, base, 64), l.cal);
  for (int mb : {1, 2, 4})
    for (Recompute rc : {Recompute::kNone, Recompute::kSelective, Recompute::kFull})
      for (Schedule s : {Schedule::k1F1B, Schedule::kZeroBubble, Schedule::kInterleaved})
        for (bool sp : {false, true}) {
          PlanSpec p = base;
          p.micro_batch = mb;
          p.recompute = rc;
          p.schedule = s;
          p.virtual_stages = s == Schedule::kInterleaved ? 2 : 1;
          p.sequence_parallel = sp;
          const Evaluation e = ev.evaluate(make_job(l.problem, p, 64), l.cal);
          for (int i = 0; i < 4; ++i) {
            const StageMemory &a = e.stage(i), &b = e0.stage(i);
            EXPECT_EQ(a.weights + a.gradients + a.optimizer + a.comm_buffers + a.framework,
                      b.weights + b.gradients + b.optimizer + b.comm_buffers + b.framework);
          }
        }
}

TEST(PlannerSearch, ExplanationNamesTheBoundAndTheRunnerUpKnobs) {
  const Loaded l = small();
  const SearchResult r = search(l, Objective::kThroughput);
  AnalyticEvaluator ev;
  const Json why = explain_winner(l.problem, l.cal, make_objective_context(Objective::kThroughput, l.problem), ev, r.top);
  // The winner's bound is its largest breakdown term.
  const Evaluation e = ev.evaluate(make_job(l.problem, r.top[0].plan, r.top[0].global_batch), l.cal);
  std::string largest;
  double v = -1;
  for (const auto& [name, s] : breakdown_terms(e.breakdown))
    if (s > v) {
      v = s;
      largest = name;
    }
  EXPECT_EQ(why["bound_by"], largest);
  // A 1.3B model on A100s is compute bound.
  EXPECT_EQ(why["bound_by"], "compute");
  ASSERT_TRUE(why.contains("runner_up"));
  ASSERT_FALSE(why["runner_up"]["knobs"].empty());
  for (const auto& k : why["runner_up"]["knobs"]) {
    EXPECT_TRUE(k.contains("winner"));
    EXPECT_TRUE(k.contains("runner_up"));
    EXPECT_TRUE(k.contains("effect_alone"));
  }
  EXPECT_LE(why["runner_up"]["tokens_per_s_change_pct"].get<double>(), 0.0);
}

TEST(PlannerSearch, TimeLimitReturnsBestSoFarIncomplete) {
  const Loaded l = load(CONFIG_DIR "/examples/turing-530b-a100-5120-plan.json");
  SearchOptions so;
  so.threads = 2;
  so.time_limit_s = 0.2;
  so.prune = false;  // the bounded search of this problem ends before the limit (bound_test.cpp)
  const SearchResult r = run_search(l.problem, l.cal, so);
  EXPECT_FALSE(r.complete);
  EXPECT_LT(r.wall_s, 5.0);
  EXPECT_GT(r.evaluated, 0);
}

// GPT-3 175B on 1,024 A100 (Narayanan et al. 2021 / Korthikanti et al. 2022): TP 8 + SP, PP 8,
// DP 16, ZeRO-1, selective recompute, micro-batch 1, global batch 1536. With TP held at 8 the
// planner must find a plan predicted at least as fast.
TEST(PlannerSearch, MatchesOrBeatsThePublishedGpt3Plan) {
  const Loaded l = load(TEST_DATA_DIR "/gpt3-175b-tp8-problem.json");
  PlanSpec published;
  published.tp = 8;
  published.sequence_parallel = true;
  published.pp = 8;
  published.dp = 16;
  published.zero = 1;
  published.recompute = Recompute::kSelective;
  published.micro_batch = 1;
  const Evaluation pub = AnalyticEvaluator().evaluate(make_job(l.problem, published, 1536), l.cal);
  ASSERT_TRUE(pub.feasible);
  const SearchResult r = search(l, Objective::kThroughput, 2, 3);
  ASSERT_FALSE(r.top.empty());
  std::cout << "Expectation: >= " << pub.tokens_per_s << " tokens/s (published plan)\nActual: " << r.top.front().tokens_per_s
            << " tokens/s\n";
  EXPECT_GE(r.top.front().tokens_per_s, pub.tokens_per_s);
}

// TP communication overlap is searched where it can run: with SP at TP > 1 on a GPU with
// Transformer Engine's userbuffers, unless the problem fixes it.
TEST(PlannerSpace, TpCommOverlapSearchedOnlyWhereItCanRun) {
  Loaded l = small();  // A100
  EXPECT_EQ(tp_overlap_options(l.problem, 2, true), (std::vector<int>{1, 0}));
  EXPECT_EQ(tp_overlap_options(l.problem, 2, false), std::vector<int>{0});
  EXPECT_EQ(tp_overlap_options(l.problem, 1, false), std::vector<int>{0});
  l.problem.search.filter(Knob::kTpCommOverlap) = KnobFilter({0});
  EXPECT_EQ(tp_overlap_options(l.problem, 2, true), std::vector<int>{0});
  l.problem.search.filter(Knob::kTpCommOverlap) = KnobFilter();
  l.problem.cluster.node.gpu.architecture = "volta";
  EXPECT_EQ(tp_overlap_options(l.problem, 2, true), std::vector<int>{0});
}

}  // namespace
}  // namespace trainplan::planner
