// Running a sweep: for each hardware point and each job, the planner's best plan by the sweep's
// objective (planner/search/search.hpp), then throughput, time-to-train, cost and energy.
//
// Figures per job at a point (the formulas of planner/search/objective.hpp):
//   days       = token_budget / (tokens_per_s · goodput) / 86400   (goodput: model/goodput.hpp)
//   gpu_hours  = days · 24 · GPUs the plan uses (a plan may use fewer than the point has)
//   usd        = gpu_hours · price per GPU-hour            (absent when the GPU has no price)
//   energy_mwh = gpu_hours · GPU board power / 10⁶         (GPU power only: no host, network or
//                                                            cooling overhead; absent without power)
// A point's "total" sums days, USD and energy over its jobs (the jobs trained one after the other
// on that cluster); it is null unless every job has a feasible plan.
//
// Work is shared out as (point, job) tasks over `threads` threads, each running a single-threaded
// search (more threads per search only when there are fewer tasks than threads). The planner's
// result does not depend on its thread count (search.hpp), so neither does a point's result: the
// same JSON comes back whichever process or thread computed it, which is what lets MPI ranks
// split the points (planner/sweep/mpi_session.hpp).
//
//   std::vector<Json> pts = run_points(spec, {0, 1, 2}, {.threads = 2});
#pragma once

#include <functional>
#include <vector>

#include "planner/sweep/sweep_spec.hpp"

namespace trainplan::sweep {

struct RunOptions {
  int threads = 0;  // 0: the hardware's
  // Called on the calling thread about ten times a second while the tasks run.
  std::function<void(int done_tasks, int total_tasks)> progress = {};
};

// The "hardware" object of a point: every property the axes can change, whatever was varied.
Json hardware_json(const HardwarePoint& p);

// One JSON object per point of `indices` (in that order): {"index", "label", "hardware",
// "jobs" [...], "feasible", "total"}.
std::vector<Json> run_points(const SweepSpec& spec, const std::vector<int>& indices, const RunOptions& options);

// Rounds to 6 significant digits, the precision of every figure in the sweep's output.
double round6(double v);

}  // namespace trainplan::sweep
