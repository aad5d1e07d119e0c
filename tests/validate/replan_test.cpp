// Planning every public run on its own hardware and batch (validate/replan.hpp): the planner finds a
// plan predicted at least as fast as the published plan, or names the framework rule the published
// plan breaks; gains over 10% come with their explanation.
#include <gtest/gtest.h>

#include <cstdio>

#include "model/analytic.hpp"
#include "tests/validate/public_runs.hpp"
#include "validate/replan.hpp"
#include "validate/validation.hpp"

namespace trainplan {
namespace {

TEST(Replan, PlannerMatchesOrBeatsEveryPublishedPlan) {
  const test::PublicRuns runs;
  const ValidationReport rep = runs.validate();
  const std::vector<ReplanRow> rows = replan_runs(rep, runs.calibration_for(), {.threads = 2});
  ASSERT_EQ(static_cast<int>(rows.size()), rep.predicted);
  int gains = 0;
  for (const ReplanRow& r : rows) {
    std::printf("%-36s published %12.0f tok/s, planned %12.0f tok/s, gain %+7.2f%%%s%s\n", r.id.c_str(), r.published_tokens_per_s,
                r.best_tokens_per_s, r.gain_pct, r.published_breaks.empty() ? "" : "; published plan breaks ", r.published_breaks.c_str());
    EXPECT_TRUE(r.complete) << r.id;
    if (r.published_breaks.empty()) {
      EXPECT_GE(r.best_tokens_per_s, r.published_tokens_per_s * (1 - 1e-9)) << r.id;
    }
    if (r.gain_pct > 10) {
      ++gains;
      ASSERT_TRUE(r.why.is_object()) << r.id;
      EXPECT_TRUE(r.why.contains("summary")) << r.id;
      ASSERT_TRUE(r.why.contains("published")) << r.id;
      EXPECT_FALSE(r.why["published"]["knobs"].empty()) << r.id;
    } else {
      EXPECT_TRUE(r.why.is_null()) << r.id;
    }
  }
  std::printf("%d of %zu runs with a predicted gain over 10%%\n", gains, rows.size());
}

}  // namespace
}  // namespace trainplan
