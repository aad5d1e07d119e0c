// Fitting the few global calibration constants (GEMM efficiency per GPU architecture and precision
// class) to a validation file, and the leave-one-source-out check of that fit.
//
// The fit minimises the mean absolute percentage error of each (architecture, precision) group
// by golden-section search on η ∈ [0.3, 0.95]; groups are independent because a row's prediction
// depends only on its own GPU's constants. A group with at least three rows whose plan was fully
// stated (ValidationRow::fully_stated) is fitted on those rows alone: where the validator had to
// fill knobs, the framework's defaults stand in for the run's own values (validate/fill.hpp), and
// η would absorb the difference. Other groups use all rows.
// Leave-one-source-out: each source is predicted with constants fitted on the other sources; a
// group left with no row takes the same precision class on the nearest GPU generation, else the
// same architecture's other precision class (never the shipped default, which was fitted on the
// held-out rows).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "validate/validation.hpp"

namespace trainplan {

struct FitKey {
  std::string architecture;
  Precision precision;
  friend auto operator<=>(const FitKey&, const FitKey&) = default;
};

// What a cross-validation holds out at a time: every run of one source, or of one framework.
enum class CrossValidation { kSource, kFramework };

// How well one group's runs were predicted.
struct GroupError {
  int runs = 0;
  double mape_pct = 0;       // with the fitted constants
  double loso_mape_pct = 0;  // with constants fitted without the run's source
};

struct FitResult {
  std::map<FitKey, double> efficiency;       // fitted η per group
  ValidationReport fitted;                   // every row predicted with the fitted constants
  ValidationReport leave_one_source_out;     // each source predicted with constants fitted on the others
  ValidationReport leave_one_framework_out;  // each framework predicted with constants fitted on the others
  // Covariance of the fitted ln η, in the order of `efficiency` (fit.cpp, log_eta_covariance).
  std::vector<std::vector<double>> log_eta_covariance;
  std::map<FitKey, GroupError> groups;  // per group: runs, fitted MAPE, leave-one-source-out MAPE
};

// `exclude_source`: rows of that source are left out of the fit (empty: none).
FitResult fit_gemm_efficiency(const Json& doc, const Catalog& catalog, const Evaluator& evaluator);

}  // namespace trainplan
