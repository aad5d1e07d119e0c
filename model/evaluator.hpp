// The seam between the planner and the two evaluators (design.md: "The planner reaches the
// simulator through an evaluator interface, so it never links SimGrid itself").
#pragma once

#include "model/calibration.hpp"
#include "model/evaluation.hpp"
#include "model/spec/job.hpp"

namespace trainplan {

class Evaluator {
 public:
  virtual ~Evaluator() = default;
  [[nodiscard]] virtual Evaluation evaluate(const JobSpec& job, const Calibration& cal) const = 0;
  [[nodiscard]] virtual const char* name() const = 0;
};

}  // namespace trainplan
