// The simulator behind the planner's evaluator interface (model/evaluator.hpp), so that the planner
// can re-rank its best plans without linking SimGrid. Each evaluate() forks one simulation (see
// sim/simulator.hpp); a plan the simulator cannot run comes back infeasible with reason
// "unsupported" and the simulator's message.
//
//   SimEvaluator sim;
//   Evaluation e = sim.evaluate(job, calibration);
#pragma once

#include "model/evaluator.hpp"

namespace trainplan {

class SimEvaluator final : public Evaluator {
 public:
  SimEvaluator() = default;
  [[nodiscard]] Evaluation evaluate(const JobSpec& job, const Calibration& cal) const override;
  [[nodiscard]] const char* name() const override { return "sim"; }
};

}  // namespace trainplan
