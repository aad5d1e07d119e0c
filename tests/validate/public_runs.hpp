// The project's copy of the public validation runs, with the catalog's default calibration: the
// common ground of the tests that predict, plan or simulate them.
#pragma once

#include <string>

#include <gtest/gtest.h>

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
  // One run of the file by its id (a template that tests edit into made-up rows).
  [[nodiscard]] Json run(const std::string& id) const {
    for (const Json& r : doc["runs"])
      if (r["id"] == id) return r;
    ADD_FAILURE() << "run " << id << " not found";
    return Json();
  }
  // The row the row-level tests make variants of: Llama 3 70B on 64 H100 (NeMo 24.07), TP > 1.
  [[nodiscard]] Json template_run() const { return run("nemo2407_pre_LLAMA3-70B_64gpu"); }
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
