// The project's copy of the public validation runs, with the catalog's default calibration: the
// common ground of the tests that predict, plan or simulate them.
#pragma once

#include <string>

#include "model/analytic.hpp"
#include "model/calibration.hpp"
#include "validate/validation.hpp"

namespace trainplan::test {

struct PublicRuns {
  Catalog catalog{CONFIG_DIR};
  Json doc;
  PublicRuns() {
    Diagnostics d;
    doc = *load_json_file(std::string(CONFIG_DIR) + "/validation/public-runs.json", d);
  }
  [[nodiscard]] Calibration calibration(const GpuSpec& g) const {
    Diagnostics d;
    return load_calibration(catalog, g, "", d);
  }
  [[nodiscard]] CalibrationFor calibration_for() const {
    return [this](const GpuSpec& g) { return calibration(g); };
  }
  // Every run predicted by the analytic evaluator, the unstated knobs filled.
  [[nodiscard]] ValidationReport validate() const {
    Diagnostics d;
    return validate_runs(doc, "public-runs.json", catalog, AnalyticEvaluator(), calibration_for(), d);
  }
};

}  // namespace trainplan::test
