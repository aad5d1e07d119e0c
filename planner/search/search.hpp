// The planner's search: the plans of the space (planner/search/space.hpp) through an evaluator,
// in threads, by branch and bound, keeping the best `top` plans, the Pareto front, counts of infeasible plans by reason
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
//   * bound (skipped, counted in "skipped" as "bound"; throughput, time-to-train, cost and
//     fewest-gpus alike): planner/search/bound.hpp gives a lower bound of the step time of every
//     plan with given (tp, sp, tp overlap, cp, ep, expert tp, stage layout, dp, schedule,
//     recompute, micro-batch) — the analytic model's per-micro-batch stage times through the
//     schedule's pipeline formula plus the pipeline transfers, leaving out only terms that are
//     never negative (exposed DP reduction, embedding sync, optimizer step, offload) — hence an
//     upper bound of tokens/s and lower bounds of every objective's (primary, secondary): −tokens/s;
//     USD per Mtok (GPUs fixed); days (GPUs fixed); GPUs then −tokens/s. A plan whose bound is
//     lexicographically worse than the K-th best (top K) plan already evaluated cannot enter the top
//     K, since that K-th best can only improve; a plan whose upper bound of tokens/s misses the
//     deadline cannot be feasible. Neither is evaluated.
//     Groups (task, dp) are sorted by their best bound (recompute left out) and run in rounds of a
//     fixed number of plans; a round compares against the K-th best of the plans evaluated in the
//     earlier rounds, and once a group's bound cannot enter, neither can any later group's, so the
//     search ends there. The threshold of each round depends only on the plans of earlier rounds,
//     which are fixed by the problem, not by threads: the evaluated set, the counts and the CSV are
//     the same for any thread count, and the top K is exactly the exhaustive search's top K.
//     The Pareto front is the front of the evaluated plans (report JSON "pareto_scope":
//     "evaluated"): plans far from the best throughput are not all evaluated, so a cheaper or
//     roomier plan far below the top K may be missing from it; SearchOptions::prune = false
//     (trainplan plan --exhaustive) gives the front of every plan. Only the analytic evaluator is
//     bounded; another evaluator gets the exhaustive search.
// Determinism: each plan is evaluated the same way whatever thread takes it, the set of plans
// evaluated does not depend on threads (above), and the ranking and the Pareto front use a total
// order (objective.hpp), so the results do not depend on threads.
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
  // Branch and bound on the step time (analytic evaluator only; see above). false: every plan, and
  // a Pareto front over all of them.
  bool prune = true;
  const std::atomic<bool>* cancel = nullptr;  // when it turns true the search stops as at the time limit
  const Evaluator* evaluator = nullptr;       // nullptr: the analytic evaluator
  std::ostream* csv = nullptr;                // every evaluated plan, one row each, in a fixed order
  // Trust (model/uncertainty.hpp; objective.hpp): the validated envelope and bands, the ranking by
  // estimate or by the conservative end of the band, and whether to leave out every plan with an
  // extrapolation flag ("outside_envelope" in infeasible_by_reason). The conservative end only
  // lowers a plan's throughput, by a factor that shrinks with its flags, so the bound stays a bound
  // with the flag-free factor.
  const UncertaintyModel* uncertainty = nullptr;
  Ranking ranking = Ranking::kEstimate;
  bool within_envelope = false;
  // When set, a feasible plan it does not accept is left out ("not_accepted" in
  // infeasible_by_reason), e.g. plans a framework's export cannot write (cli/cmd_plan.cpp). Called
  // from the worker threads: it must be thread-safe (a pure function is).
  std::function<bool(const JobSpec&)> accept = {};
  // Called on the calling thread about ten times a second while the search runs.
  std::function<void(double done_fraction, long long evaluated)> progress = {};
};

struct SearchResult {
  long long evaluated = 0;        // plans decided: evaluated, or out of memory by the exact floor
  long long evaluator_calls = 0;  // evaluations actually run (floors included)
  long long feasible = 0;
  std::map<std::string, long long> infeasible_by_reason;
  std::map<std::string, long long> skipped;  // plans not evaluated by a dominance argument or the bound
  std::vector<Candidate> top;                // best first: max(top, 2) plans (the runner-up explains the winner)
  std::vector<Candidate> pareto;             // of the evaluated plans; pareto_complete: no plan skipped by the bound
  bool pareto_complete = true;
  bool complete = true;
  long long tasks = 0;
  double wall_s = 0;
  int threads = 0;  // worker threads the search ran on
};

SearchResult run_search(const PlanProblem& problem, const Calibration& cal, const SearchOptions& options);

// The header line of the CSV that run_search writes.
std::string csv_header();

// A job for one plan of the problem.
JobSpec make_job(const PlanProblem& problem, const PlanSpec& plan, long long global_batch);

// Candidate of an evaluation (tokens/s, memory, score) for the objective; `flags`: its extrapolation flags.
Candidate make_candidate(const PlanProblem& problem, const ObjectiveContext& ctx, const PlanSpec& plan, long long global_batch,
                         const Evaluation& e, int flags = 0);
// The objective context a search with these options ranks by (so that reports rank alike).
ObjectiveContext search_context(const PlanProblem& problem, const SearchOptions& options);

}  // namespace trainplan::planner
