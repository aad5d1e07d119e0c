// Branch and bound (planner/search/bound.hpp, search.hpp): the step-time bound never exceeds the
// analytic evaluator's step time, and the bounded search returns exactly the exhaustive search's
// top plans for every objective.
#include <gtest/gtest.h>

#include "model/analytic.hpp"
#include "model/calibration.hpp"
#include "planner/search/bound.hpp"
#include "planner/search/objective.hpp"
#include "planner/search/problem.hpp"
#include "planner/search/search.hpp"
#include "planner/search/space.hpp"
#include "tests/planner/search/load.hpp"

namespace trainplan::planner {
namespace {

using test::load;
using test::Loaded;

// Walks every plan of the space (with every offload variant) and compares the bound with the
// evaluated step time. Returns the number of plans checked.
long long check_every_plan(const Loaded& l) {
  const PlanProblem& p = l.problem;
  AnalyticEvaluator ev;
  StepBound bound(p, l.cal);
  long long checked = 0;
  for (const Task& t : make_tasks(p))
    for (int dp : dp_candidates(p, t))
      for (const ZeroOption& z : zero_options(p, t, dp))
        for (int sp : sequence_parallel_options(p, t.tp))
          for (int tpo : tp_overlap_options(p, t.tp, sp != 0))
            for (const ScheduleOption& so : schedule_options(p, t.layout))
              for (const auto& rc : recompute_options(p))
                for (int mb : micro_batch_candidates(p, dp)) {
                  const long long gb = pick_global_batch(p, static_cast<long long>(mb) * dp);
                  if (gb <= 0) continue;
                  const double m = static_cast<double>(gb / (static_cast<long long>(mb) * dp));
                  if (so.schedule == Schedule::kInterleaved && static_cast<long long>(m) % t.layout.pp != 0) continue;
                  const double lb = StepBound::step_lower_bound(t, bound.stage_sums(t, sp, tpo, mb, rc), so, m, bound.p2p(t, dp, sp, mb));
                  std::vector<const OffloadVariant*> variants{nullptr};
                  const auto offs = offload_variants(p, z.fsdp == Fsdp::kNone ? z.zero : 3);
                  for (const auto& o : offs) variants.push_back(&o);
                  for (const OffloadVariant* off : variants) {
                    const PlanSpec plan = make_plan(t, dp, z, sp, tpo, so, rc, mb, off);
                    const Evaluation e = ev.evaluate(make_job(p, plan, gb), l.cal);
                    EXPECT_LE(lb, e.step_time.si()) << "tp " << t.tp << " pp " << t.layout.pp << " dp " << dp << " mb " << mb;
                    ++checked;
                  }
                }
  return checked;
}

TEST(StepBound, NeverExceedsTheEvaluatedStepOfASmallDenseProblem) {
  EXPECT_GT(check_every_plan(load(TEST_DATA_DIR "/small-problem.json")), 1000);
}

TEST(StepBound, NeverExceedsTheEvaluatedStepOfAMoeProblem) { EXPECT_GT(check_every_plan(load(TEST_DATA_DIR "/moe-problem.json")), 1000); }

void expect_same_top(const Loaded& l, Objective o) {
  SearchOptions so;
  so.objective = o;
  so.threads = 2;
  so.top = 5;
  const SearchResult pruned = run_search(l.problem, l.cal, so);
  so.prune = false;
  const SearchResult all = run_search(l.problem, l.cal, so);
  ASSERT_EQ(pruned.top.size(), all.top.size());
  for (size_t i = 0; i < all.top.size(); ++i) {
    EXPECT_EQ(plan_key(pruned.top[i].plan, pruned.top[i].global_batch), plan_key(all.top[i].plan, all.top[i].global_batch)) << i;
    EXPECT_DOUBLE_EQ(pruned.top[i].tokens_per_s, all.top[i].tokens_per_s);
  }
  EXPECT_LT(pruned.evaluated, all.evaluated);
  EXPECT_FALSE(pruned.pareto_complete);
  EXPECT_TRUE(all.pareto_complete);
}

TEST(BoundedSearch, SameTopAsExhaustiveForEveryObjective) {
  const Loaded l = load(CONFIG_DIR "/examples/llama3-70b-h100-plan.json");
  for (Objective o : {Objective::kThroughput, Objective::kCost, Objective::kTimeToTrain, Objective::kFewestGpus}) expect_same_top(l, o);
}

TEST(BoundedSearch, SameTopAsExhaustiveOnAMoeProblem) { expect_same_top(load(TEST_DATA_DIR "/moe-problem.json"), Objective::kThroughput); }

}  // namespace
}  // namespace trainplan::planner
