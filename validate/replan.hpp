// Planning each validation run (issue "planner", quality): for every predicted row, the planner
// searches the row's own hardware (its GPUs as an upper limit), model, global batch and precision,
// and its best plan is compared with the published plan as the validator read it (the stated knobs
// plus the fastest fill of the rest). The published plan's parallelism lies in the planner's space
// (the search is widened to its micro-batch, interleaving depth and recomputed layers, and keeps
// its gradient precision) and the planner uses today's software, never older (fused attention,
// overlapped TP collectives), so it finds a plan predicted at least as fast unless a framework rule
// the planner enforces forbids the published plan, which the row then names. Where the planner
// predicts more than 10% more throughput, the row explains the gain knob by knob
// (planner/search/explain.hpp: the winner with each knob set to the published value).
//
//   std::vector<ReplanRow> rows = replan_runs(report, calibration_for, {.threads = 2});
#pragma once

#include <string>
#include <vector>

#include "validate/validation.hpp"

namespace trainplan {

struct ReplanRow {
  std::string id;
  double published_tokens_per_s = 0;
  double best_tokens_per_s = 0;
  double gain_pct = 0;  // 100 · (best − published) / published
  Json best_plan = Json::object();
  long long best_global_batch = 0;
  std::string published_breaks;  // the planner rule the published plan breaks, if any
  Json why;                      // for gains over 10%: the explanation, knob by knob
  bool complete = true;          // the search was not cut by the time limit
};

struct ReplanOptions {
  int threads = 0;  // 0: the hardware's
  double gain_to_explain_pct = 10;
  double time_limit_s = 0;  // per row; 0: none
};

std::vector<ReplanRow> replan_runs(const ValidationReport& report, const CalibrationFor& calibration_for, const ReplanOptions& options);
Json replan_to_json(const std::vector<ReplanRow>& rows);

}  // namespace trainplan
