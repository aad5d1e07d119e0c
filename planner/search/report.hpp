// The `trainplan plan --json` document (contract.md): evaluated, feasible, infeasible_by_reason,
// plans [ {plan, the predict keys, objective, ...} ], pareto, explanation, complete. No wall-clock
// figures unless `timings` is set, so that the same input gives byte-identical output.
//
//   Json j = report_json(problem, cal, ctx, evaluator, result, {.top = 10});
#pragma once

#include <vector>

#include "model/evaluator.hpp"
#include "model/spec/spec_json.hpp"
#include "planner/search/objective.hpp"
#include "planner/search/search.hpp"

namespace trainplan::planner {

struct ReportOptions {
  int top = 10;
  bool timings = false;
  // Simulated predictions of the first plans (rerank.hpp), aligned with result.top; may be empty.
  const std::vector<Evaluation>* simulated = nullptr;
  const char* simulator_name = nullptr;
};

Json report_json(const PlanProblem& problem, const Calibration& cal, const ObjectiveContext& ctx, const Evaluator& evaluator,
                 const SearchResult& result, const ReportOptions& options);

}  // namespace trainplan::planner
