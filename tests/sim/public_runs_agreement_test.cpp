// Issue "simulator", agreement: on the public validation runs (rail-optimized, non-oversubscribed
// fabrics, so no contention the analytic model ignores), the simulated step of every run's plan, as
// the validator fills it, agrees with the analytic step within 2%.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>

#include "model/analytic.hpp"
#include "sim/sim_evaluator.hpp"
#include "tests/validate/public_runs.hpp"
#include "validate/validation.hpp"

namespace trainplan {
namespace {

TEST(AgreementPublicRuns, SimulatedStepWithinTwoPercentOfAnalyticOnEveryRun) {
  const test::PublicRuns runs;
  const ValidationReport analytic = runs.validate();
  const SimEvaluator sim;
  int compared = 0;
  double worst = 0;
  for (const ValidationRow& row : analytic.rows) {
    if (row.status != RowStatus::kPredicted) continue;
    const Evaluation s = sim.evaluate(*row.job, runs.calibration(row.job->cluster.node.gpu));
    ASSERT_TRUE(s.feasible) << row.id << ": " << (s.reasons.empty() ? "" : s.reasons.front().detail);
    const double a = row.evaluation->step_time.si();
    const double diff = 100.0 * (s.step_time.si() / a - 1.0);
    std::printf("%-36s analytic %10.4f s  simulated %10.4f s  %+6.2f%%\n", row.id.c_str(), a, s.step_time.si(), diff);
    EXPECT_LE(std::fabs(diff), 2.0) << row.id;
    worst = std::max(worst, std::fabs(diff));
    ++compared;
  }
  std::printf("%d runs compared, largest difference %.2f%%\n", compared, worst);
  EXPECT_EQ(compared, analytic.predicted);
}

}  // namespace
}  // namespace trainplan
