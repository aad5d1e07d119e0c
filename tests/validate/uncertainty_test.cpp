// The uncertainty data against the public runs: the 80 % band holds 70-90 % of the runs it did not
// see (leave-one-source-out), the shipped file is what a fresh fit writes, and every predicted
// validation row carries the band of its metric.
#include <gtest/gtest.h>

#include <cstdio>

#include "model/analytic.hpp"
#include "tests/validate/public_runs.hpp"
#include "validate/uncertainty_fit.hpp"

namespace trainplan {
namespace {

using test::PublicRuns;

class UncertaintyFitTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    runs_ = new PublicRuns();
    fit_ = new FitResult(fit_gemm_efficiency(runs_->doc, runs_->catalog, AnalyticEvaluator()));
    unc_ = new UncertaintyFit(fit_uncertainty(*fit_));
  }
  static void TearDownTestSuite() {
    delete unc_;
    delete fit_;
    delete runs_;
  }
  static PublicRuns* runs_;
  static FitResult* fit_;
  static UncertaintyFit* unc_;
};
PublicRuns* UncertaintyFitTest::runs_ = nullptr;
FitResult* UncertaintyFitTest::fit_ = nullptr;
UncertaintyFit* UncertaintyFitTest::unc_ = nullptr;

TEST(Quantile, Type7BetweenOrderStatistics) {
  // Hyndman & Fan type 7: h = (n - 1) q; {1, 2, 3, 4, 5} at q = 0.1 gives 1 + 0.4 * (2 - 1).
  EXPECT_DOUBLE_EQ(quantile({5, 1, 3, 2, 4}, 0.1), 1.4);
  EXPECT_DOUBLE_EQ(quantile({5, 1, 3, 2, 4}, 0.5), 3.0);
  EXPECT_DOUBLE_EQ(quantile({5, 1, 3, 2, 4}, 1.0), 5.0);
  EXPECT_DOUBLE_EQ(quantile({}, 0.5), 0.0);
}

TEST_F(UncertaintyFitTest, BandHoldsEightyPercentOfUnseenRuns) {
  const BandCoverage& c = unc_->coverage;
  std::printf("Expectation: the 80%% band holds 70-90%% of the runs, each source left out\n");
  std::printf("Actual: %d of %d (%.1f%%), median width %.1f%% of the predicted step time\n", c.inside, c.rows, 100 * c.fraction,
              c.median_width_pct);
  std::printf(
      "Leave-one-framework-out (flags counted against the envelope without the framework): %d of %d (%.1f%%), median width %.1f%%\n",
      unc_->transfer.inside, unc_->transfer.rows, 100 * unc_->transfer.fraction, unc_->transfer.median_width_pct);
  EXPECT_EQ(c.rows, 52);
  EXPECT_GE(c.fraction, 0.70);
  EXPECT_LE(c.fraction, 0.90);
  EXPECT_GT(c.median_width_pct, 0);
  EXPECT_EQ(fit_->leave_one_framework_out.predicted, 52);
}

TEST_F(UncertaintyFitTest, ShippedFileIsAFreshFit) {
  Diagnostics d;
  const UncertaintyModel shipped = load_uncertainty(runs_->catalog, d);
  ASSERT_TRUE(d.ok() && shipped.loaded) << "configs/calibration/uncertainty.json: run trainplan validate --fit --uncertainty-out";
  EXPECT_EQ(uncertainty_to_json(shipped), uncertainty_to_json(unc_->model))
      << "refresh it: ./build/bin/trainplan validate configs/validation/public-runs.json --fit --uncertainty-out "
         "configs/calibration/uncertainty.json";
}

TEST_F(UncertaintyFitTest, ParameterSpreadIsPositiveForEveryFittedClass) {
  for (const auto& [cls, s] : unc_->model.param_sigma) {
    EXPECT_GT(s, 0) << cls;
    EXPECT_LT(s, 0.2) << cls;  // a fitted η known to better than ±20 %
  }
  EXPECT_EQ(unc_->model.param_sigma.size(), fit_->efficiency.size());
}

TEST(ValidationIntervals, EveryPredictedRowCarriesItsMetricsBand) {
  PublicRuns run;
  Diagnostics d;
  const UncertaintyModel u = load_uncertainty(run.catalog, d);
  const Json report = report_to_json(run.validate(), &u);
  int inside = 0, n = 0;
  for (const Json& row : report["rows"]) {
    if (row["status"] != "predicted") continue;
    ASSERT_TRUE(row["interval"].is_array()) << row["id"];
    const double lo = row["interval"][0], hi = row["interval"][1], p = row["predicted"], m = row["measured"];
    EXPECT_LT(lo, p) << row["id"];
    EXPECT_GT(hi, p) << row["id"];
    ++n;
    inside += m >= lo && m <= hi;
  }
  std::printf("measured inside the row's band (in-sample): %d of %d\n", inside, n);
  EXPECT_EQ(n, 52);
}

}  // namespace
}  // namespace trainplan
