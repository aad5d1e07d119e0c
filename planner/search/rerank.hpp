// Re-ranking the planner's best plans with a second evaluator (the SimGrid simulator, reached only
// through the Evaluator interface so that the planner never links SimGrid).
//
//   std::vector<Evaluation> sim = simulate_top(problem, cal, ctx, sim_evaluator, /*k=*/5, result);
// The first k plans of result.top are evaluated by `evaluator` and re-ordered among themselves by
// the objective under those predictions (infeasible ones last, ties by the analytic order); the
// returned evaluations are aligned with the new order. nullptr or k <= 0: nothing changes, {}.
#pragma once

#include <vector>

#include "model/evaluator.hpp"
#include "planner/search/objective.hpp"
#include "planner/search/search.hpp"

namespace trainplan::planner {

std::vector<Evaluation> simulate_top(const PlanProblem& problem, const Calibration& cal, const ObjectiveContext& ctx,
                                     const Evaluator* evaluator, int k, SearchResult& result);

}  // namespace trainplan::planner
