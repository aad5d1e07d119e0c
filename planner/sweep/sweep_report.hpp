// The sweep's report, built from the point results (sweep_run.hpp) alone, so that rank 0 of an MPI
// run builds the same document from gathered points as a single process does from its own:
//   {"sweep": {"file", "description", "objective", "whole_cluster", "jobs" [...], "axes" [...]},
//    "points": [ {"index", "label", "hardware" {...}, "jobs" [...], "feasible", "total"} ],
//    "pareto": [ {"index", "label", "days", "usd", "energy_mwh"} ],      fastest first
//    "axis_effects": [ {"axis", "values": [ {"value", "jobs": [ {"job", "points", "mean_days",
//                       "mean_usd", "mean_tokens_per_s"} ]} ]} ]}
// An axis's effect at one of its values is the mean over the points holding that value (the other
// axes varying) where the job has a plan: "what does 400G buy over 200G" reads as the difference
// of two means over otherwise equal sets of points.
//
//   Json report = sweep_report(spec, points);
//   print_table(report, std::cout);  write_csv(report, csv_stream);
#pragma once

#include <ostream>
#include <vector>

#include "planner/sweep/sweep_spec.hpp"

namespace trainplan::sweep {

Json sweep_report(const SweepSpec& spec, std::vector<Json> points);

// Whether any point runs every job (the CLI's exit status 1 when none does).
bool any_feasible(const Json& report);

// The text table: one line per (point, job), then the Pareto front and the axis effects.
void print_table(const Json& report, std::ostream& out);

// One row per (point, job) with the axis values in columns.
void write_csv(const Json& report, std::ostream& out);

}  // namespace trainplan::sweep
