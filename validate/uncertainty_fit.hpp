// The uncertainty data (model/uncertainty.hpp) from the fit's cross-validation, and the check
// that its 80 % band holds what it says.
//
//   FitResult f = fit_gemm_efficiency(doc, catalog, evaluator);
//   UncertaintyFit u = fit_uncertainty(f);
//   write u.model with uncertainty_to_json -> configs/calibration/uncertainty.json
//   u.coverage.fraction   // share of runs inside the band built without their source
//
// Built from:
//   * the bands: leave-one-source-out rows (log_residual), per GPU generation and precision class
//     and over all runs, the 10 % and 90 % quantiles (linear interpolation between order
//     statistics, Hyndman & Fan 1996 type 7);
//   * δ, the widening per extrapolation flag: the 80 % quantile of |r| over the
//     leave-one-framework-out rows;
//   * σ of ln η per class: the square root of the diagonal of the fit's covariance;
//   * the envelope: the fitted rows' predicted plans (features, degrees, GPUs, frameworks) and their
//     MFU at the measured time.
// Coverage is checked twice, so that neither the band nor its widening is judged on the runs that
// made it:
//   * inside the envelope (the contract's 80 %): every source's leave-one-source-out residuals
//     against the bands built from the other sources' residuals alone; its flags are counted
//     against the envelope of all runs, which holds its own runs;
//   * outside it: every framework's leave-one-framework-out residuals against a model built
//     without that framework (bands, δ and envelope), so that its runs carry the flags a new
//     framework, GPU or feature raises.
#pragma once

#include <string>
#include <vector>

#include "model/uncertainty.hpp"
#include "validate/fit.hpp"

namespace trainplan {

struct BandCoverage {
  int rows = 0;                 // runs checked
  int inside = 0;               // whose measured value lies inside their band
  double fraction = 0;          // inside / rows
  double median_width_pct = 0;  // median of 100·(hi − lo) / predicted step time
};

struct UncertaintyFit {
  UncertaintyModel model;
  BandCoverage coverage;  // inside the envelope: leave-one-source-out
  BandCoverage transfer;  // outside it: leave-one-framework-out, flags and all
};

// The quantile q ∈ [0, 1] of `values` (type 7, above); 0 for none.
double quantile(std::vector<double> values, double q);

UncertaintyFit fit_uncertainty(const FitResult& fit);
// The descriptive keys --fit writes beside the model: coverage and how it was obtained.
Json uncertainty_report_json(const UncertaintyFit& u);

}  // namespace trainplan
