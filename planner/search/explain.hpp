// Why the planner chose its winner.
//   bound_by    the largest term of the winner's step-time breakdown (compute, recompute, exposed
//               TP/CP/EP/PP/DP communication, pipeline bubble, optimizer, offload), with every
//               term's share of the step; "memory" is flagged when the headroom is under 10%.
//   runner_up   the plan ranked second: its throughput difference, the breakdown terms that
//               differ, and knob by knob: the winner with that one knob set to the runner-up's
//               value, re-evaluated, and the predicted effect (or the rule / memory that forbids it).
//
//   Json why = explain_winner(problem, cal, ctx, evaluator, result.top);
#pragma once

#include <vector>

#include "model/evaluator.hpp"
#include "planner/search/objective.hpp"

namespace trainplan::planner {

// The breakdown's terms in a fixed order, with their names.
std::vector<std::pair<const char*, double>> breakdown_terms(const TimeBreakdown& b);

Json explain_winner(const PlanProblem& problem, const Calibration& cal, const ObjectiveContext& ctx, const Evaluator& evaluator,
                    const std::vector<Candidate>& ranked);

}  // namespace trainplan::planner
