// The planner's search: every plan of the space (planner/search/space.hpp) through an evaluator,
// in threads, keeping the best `top` plans, the Pareto front, counts of infeasible plans by reason
// and, on request, a CSV row per plan.
//
// Pruning, each with its argument:
//   * memory floor (exact, counted as evaluated out_of_memory): a plan's weights, gradients,
//     optimizer state, communication buffers and framework memory depend only on tp, cp, ep,
//     expert_tp, the stage layout, dp, ZeRO/FSDP and the optimizer/parameter offload — not on the
//     micro-batch, recompute, schedule, sequence parallel or activation offload — and activations
//     only add to a stage's total (model/analytic.cpp). One evaluation per such group gives that
//     static floor; when it exceeds the usable memory every plan of the group is out of memory.
//   * offload (skipped, counted in "skipped"): offload only adds transfer or CPU time in the
//     analytic model, so offload variants are tried only for plans that do not fit without, and
//     only in groups (as for the floor) whose lightest plan without offload — smallest
//     micro-batch, full recompute — does not fit either: offload is how a plan fits at all, not a
//     trade of PCIe time for a larger micro-batch.
//   * larger micro-batches after out-of-memory (skipped): activation memory grows with the
//     micro-batch; once a micro-batch is out of memory with every offload variant, larger ones are
//     not tried for the same other knobs.
// Determinism: each plan is evaluated the same way whatever thread takes it, and the ranking and
// the Pareto front use a total order (objective.hpp), so the results do not depend on threads.
//
//   SearchOptions o;  o.objective = Objective::kThroughput;  o.top = 10;  o.threads = 2;
//   SearchResult r = run_search(problem, calibration, o);
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <ostream>
#include <string>
#include <vector>

#include "model/evaluator.hpp"
#include "planner/search/objective.hpp"
#include "planner/search/problem.hpp"

namespace trainplan::planner {

struct SearchOptions {
  Objective objective = Objective::kThroughput;
  int top = 10;             // plans kept and reported
  int threads = 0;          // 0: the hardware's
  double time_limit_s = 0;  // 0: none; otherwise stop after this and return the best so far
  const Evaluator* evaluator = nullptr;  // nullptr: the analytic evaluator
  std::ostream* csv = nullptr;          // every evaluated plan, one row each, in a fixed order
  // Called on the calling thread about ten times a second while the search runs.
  std::function<void(double done_fraction, long long evaluated)> progress;
};

struct SearchResult {
  long long evaluated = 0;        // plans decided: evaluated, or out of memory by the exact floor
  long long evaluator_calls = 0;  // evaluations actually run (floors included)
  long long feasible = 0;
  std::map<std::string, long long> infeasible_by_reason;
  std::map<std::string, long long> skipped;  // plans not evaluated by a dominance argument
  std::vector<Candidate> top;     // best first: max(top, 2) plans (the runner-up explains the winner)
  std::vector<Candidate> pareto;
  bool complete = true;
  long long tasks = 0;
  double wall_s = 0;
};

SearchResult run_search(const PlanProblem& problem, const Calibration& cal, const SearchOptions& options);

// The header line of the CSV that run_search writes.
std::string csv_header();

// A job for one plan of the problem.
JobSpec make_job(const PlanProblem& problem, const PlanSpec& plan, long long global_batch);

// Candidate of an evaluation (tokens/s, memory, score) for the objective.
Candidate make_candidate(const PlanProblem& problem, const ObjectiveContext& ctx, const PlanSpec& plan, long long global_batch,
                         const Evaluation& e);

}  // namespace trainplan::planner
