// The analytic evaluator: closed-form critical path of one training step from per-stage summaries.
//
// A step is described by stage kinds (first, middle ×(p-2), last), each with its layers; per
// micro-batch costs come from model/cost/layer.hpp, the pipeline's closed form per schedule from
// model/step.hpp, the memory of each stage kind from model/memory.hpp. To the pipeline it adds the
// data-parallel reduction that backward could not hide, the tied-embedding gradient sync, the
// optimizer step and offload traffic.
//
//   AnalyticEvaluator analytic;
//   Evaluation e = analytic.evaluate(job, calibration);
#pragma once

#include "model/evaluator.hpp"

namespace trainplan {

class LayerCostCache;
struct LayerCosts;

class AnalyticEvaluator final : public Evaluator {
 public:
  [[nodiscard]] Evaluation evaluate(const JobSpec& job, const Calibration& cal) const override;
  // The same, with layer costs memoized across the calls of one caller (one cache per thread;
  // the planner evaluates millions of plans that share few distinct layer costs).
  [[nodiscard]] Evaluation evaluate(const JobSpec& job, const Calibration& cal, LayerCostCache& cache) const;
  [[nodiscard]] const char* name() const override { return "analytic"; }

 private:
  static Evaluation evaluate_with(const JobSpec& job, const Calibration& cal, const LayerCosts& costs);
};

}  // namespace trainplan
