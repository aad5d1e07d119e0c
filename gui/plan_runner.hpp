// Runs a parsed spec to the plans the GUI shows: a job is predicted (one row), a plan problem is
// searched by the planner (planner/search/search.hpp) and its best plans and Pareto front are
// re-evaluated so that every row carries its full Evaluation (breakdown, memory per stage).
//
// Synchronous and free of Qt: PlanWorker runs it on a worker thread, `--screenshot` and the tests
// call it directly.
//
//   RunControl control;  control.progress = [](double f, long long n) { ... };
//   PlanOutcome out = run_plans(parse_spec(doc, catalog), catalog, control);
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "gui/spec_document.hpp"
#include "model/calibration.hpp"
#include "model/evaluation.hpp"
#include "model/goodput.hpp"
#include "model/uncertainty.hpp"

namespace trainplan::gui {

struct PlanRow {
  JobSpec job;  // the plan as a job: what export writes and the evaluator evaluated
  Evaluation eval;
  double headroom_gib = 0;  // GPU memory minus the peak stage
  double usd_per_mtok = 0;  // 0 when the GPU has no price; goodput included
  Goodput goodput;          // failures, restarts and checkpoints (model/goodput.hpp)
  bool pareto = false;      // on the planner's Pareto front (a job's single row: true)
  int rank = 0;             // 1 = best by the objective; 0 = on the front only
  // How far to trust it (model/uncertainty.hpp): the 80 % band (has_band false without uncertainty
  // data or for an infeasible plan) and each way the plan lies outside the validated envelope.
  bool has_band = false;
  PredictionInterval band;
  std::vector<std::string> extrapolation;
};

struct PlanOutcome {
  SpecKind kind = SpecKind::kJob;
  std::vector<PlanRow> rows;  // ranked rows first, then the rest of the Pareto front
  long long evaluated = 0;
  long long feasible = 0;
  std::map<std::string, long long> infeasible_by_reason;
  bool complete = true;  // false when a time limit or a cancel stopped the search
  bool cancelled = false;
  double wall_s = 0;
  std::string error;  // non-empty: nothing could be run (the text says why)
  std::string evaluator = "analytic";
  Calibration cal;  // what the rows were evaluated with (the timeline rebuilds their steps from it)
  // The planner's explanation of its winner (planner/search/explain.hpp): "summary" and the
  // runner-up's knobs with their effect alone; null for a job.
  Json why_winner;
};

struct RunControl {
  std::function<void(double done_fraction, long long evaluated)> progress;  // may be empty
  const std::atomic<bool>* cancel = nullptr;                                // set to stop early (honoured where the planner allows)
  int top = 40;                                                             // ranked plans kept
  double time_limit_s = 0;                                                  // 0: none
};

PlanOutcome run_plans(const ParsedSpec& spec, const Catalog& catalog, const RunControl& control);

// Whether this build can search plan problems / export plans.
bool planner_available();
bool export_available();

}  // namespace trainplan::gui
