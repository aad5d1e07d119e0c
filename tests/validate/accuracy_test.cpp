// Accuracy on the public validation runs (configs/validation/public-runs.json, copied from the
// published sources; see its README). Prints the per-row table and fails when accuracy regresses
// beyond the figures recorded in README.md ("Accuracy").
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>

#include "model/analytic.hpp"
#include "tests/validate/public_runs.hpp"
#include "validate/fit.hpp"
#include "validate/validation.hpp"

namespace trainplan {
namespace {

using test::PublicRuns;

TEST(Accuracy, PublicRunsDoNotRegress) {
  PublicRuns run;
  ValidationReport r = run.validate();
  double k_sum = 0, k_max = 0;
  int k_n = 0;
  for (const auto& row : r.rows) {
    if (row.status == RowStatus::kPredicted) {
      std::printf("%-36s %-18s measured %10.3f predicted %10.3f error %+7.2f%%\n", row.id.c_str(), row.metric.c_str(), row.measured,
                  row.predicted, row.error_pct);
      if (row.source_id == "korthikanti2022") {
        k_sum += std::fabs(row.error_pct);
        k_max = std::max(k_max, std::fabs(row.error_pct));
        ++k_n;
      }
    } else {
      std::printf("%-36s %s: %s\n", row.id.c_str(), row_status_name(row.status), row.reason.c_str());
    }
  }
  std::printf("Expectation: usable 52, predicted 52, MAPE <= 5.5%%, max |error| <= 27.0%%; Korthikanti rows mean <= 3.5%%, max <= 8%%\n");
  std::printf("Actual: usable %d, predicted %d, MAPE %.2f%%, max |error| %.2f%%; Korthikanti rows %d: mean %.2f%%, max %.2f%%\n", r.usable,
              r.predicted, r.mape_pct, r.max_abs_error_pct, k_n, k_n ? k_sum / k_n : 0.0, k_max);
  EXPECT_EQ(r.usable, 52);
  EXPECT_EQ(r.predicted, 52);
  // Unstated knobs are the framework's defaults and recipes (validate/fill.hpp), not the fastest
  // completion: MAPE 5.35 %, max 26.2 % at this commit (was 4.16 % and 16.5 % with the fastest
  // completion, which the contract forbids). The largest errors are runs whose stated plan
  // trainplan's memory model fits only with recomputation, and the smallest and the TP-8 pp-1
  // Megatron-Core 2024 runs (README, Accuracy).
  EXPECT_LE(r.mape_pct, 5.5);
  EXPECT_LE(r.max_abs_error_pct, 27.0);
  // Issue target for the fully stated Korthikanti et al. 2022 rows (mean <= 3.5 %, max <= 8 %).
  EXPECT_EQ(k_n, 8);
  EXPECT_LE(k_sum / std::max(1, k_n), 3.5);
  EXPECT_LE(k_max, 8.0);
}

// Issue 25: no trend of signed error with scale. The least-squares slope of 100 · ln(measured /
// predicted step time) (a rate's ratio inverted: the same step-time error) against log2(GPUs)
// over the predicted public rows is within ±2 points per doubling.
TEST(Accuracy, NoTrendOfSignedErrorWithGpuCount) {
  PublicRuns run;
  const ValidationReport r = run.validate();
  double n = 0, sx = 0, sy = 0, sxx = 0, sxy = 0;
  for (const auto& row : r.rows) {
    const auto res = log_residual(row);
    if (!res || !row.job) continue;
    const double x = std::log2(static_cast<double>(row.job->plan.gpus())), y = 100.0 * *res;
    n += 1, sx += x, sy += y, sxx += x * x, sxy += x * y;
  }
  ASSERT_GE(n, 50);
  const double slope = (n * sxy - sx * sy) / (n * sxx - sx * sx);
  std::printf("slope of the signed step-time error: %+.2f points per doubling of GPUs over %.0f rows\n", slope, n);
  EXPECT_LE(std::fabs(slope), 2.0);
}

TEST(Accuracy, PredictionNeverReadsTheMeasurement) {
  // Changing what was measured changes the error, never the prediction (or whether it is made).
  PublicRuns run;
  ValidationReport a = run.validate();
  for (auto& r : run.doc["runs"])
    for (const char* k : {"iteration_time_s", "tflops_per_gpu", "mfu_pct", "tokens_per_s_per_gpu"})
      if (r["measured"].contains(k) && !r["measured"][k].is_null())
        r["measured"][k] = r["measured"][k].get<double>() * 1.5;  // still a valid measurement (MFU <= 100)
  ValidationReport b = run.validate();
  ASSERT_EQ(a.rows.size(), b.rows.size());
  for (size_t i = 0; i < a.rows.size(); ++i) {
    EXPECT_EQ(a.rows[i].predicted, b.rows[i].predicted) << a.rows[i].id;
    EXPECT_EQ(a.rows[i].status, b.rows[i].status) << a.rows[i].id;
  }
}

TEST(Accuracy, LeaveOneSourceOutIsReported) {
  PublicRuns run;
  FitResult f = fit_gemm_efficiency(run.doc, run.catalog, AnalyticEvaluator());
  for (const auto& [k, v] : f.efficiency)
    std::printf("fitted gemm efficiency %s/%s = %.3f\n", k.architecture.c_str(), precision_name(k.precision), v);
  std::printf("fitted MAPE %.2f%%, leave-one-source-out MAPE %.2f%% (max %.2f%%)\n", f.fitted.mape_pct, f.leave_one_source_out.mape_pct,
              f.leave_one_source_out.max_abs_error_pct);
  // The shipped defaults are the fit: refitting must not find a much better optimum.
  EXPECT_LE(f.fitted.mape_pct, run.validate().mape_pct + 0.5);
  EXPECT_EQ(f.leave_one_source_out.predicted, 52);
}

}  // namespace
}  // namespace trainplan
