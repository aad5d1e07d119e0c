#include "validate/replan.hpp"

#include <algorithm>
#include <cmath>

#include "model/analytic.hpp"
#include "planner/search/explain.hpp"
#include "planner/search/report.hpp"
#include "planner/search/rules.hpp"
#include "planner/search/search.hpp"

namespace trainplan {

namespace {

double r3(double v) { return round_decimals(v, 3); }

// The planning problem of a row: its hardware, model and training, every knob free, the search
// widened so that the published plan's parallelism, micro-batch and recomputation are among its
// plans. The software is today's: a 2020 run's materialised attention and synchronous TP
// collectives are not searched, so part of an old run's gain is the software's progress.
planner::PlanProblem problem_for(const JobSpec& published) {
  planner::PlanProblem p;
  p.file = "<validation row>";
  p.model = published.model;
  p.cluster = published.cluster;
  p.training = published.training;
  p.training.global_batch_max = 0;
  planner::SearchSettings& s = p.search;
  // The published plan was judged by whether it fits in the GPU's memory (validate/fill.hpp
  // fits_in_memory), so the planner is held to the same rule: no headroom.
  s.memory_headroom = 0;
  const PlanSpec& q = published.plan;
  s.max_gpus = q.gpus();
  s.max_micro_batch = std::max(s.max_micro_batch, q.micro_batch);
  s.max_virtual_stages = std::max(s.max_virtual_stages, q.virtual_stages);
  for (const KnobDecl& k : kPlanKnobs)  // the published run's search-wide knobs (master weights, gradient precision)
    if (k.search == SearchRole::kFixed) k.set(s.fixed, k.get(q));
  if (q.recompute_layers > 0) s.filter(Knob::kRecomputeLayers) = planner::KnobFilter({0, q.recompute_layers});
  return p;
}

}  // namespace

std::vector<ReplanRow> replan_runs(const ValidationReport& report, const CalibrationFor& calibration_for, const ReplanOptions& options) {
  std::vector<ReplanRow> out;
  const AnalyticEvaluator analytic;
  for (const ValidationRow& row : report.rows) {
    if (row.status != RowStatus::kPredicted || !row.job || !row.evaluation) continue;
    const JobSpec& pub = *row.job;
    const planner::PlanProblem problem = problem_for(pub);
    const Calibration cal = calibration_for(pub.cluster.node.gpu);
    planner::SearchOptions so;
    so.threads = options.threads;
    so.top = 2;
    so.time_limit_s = options.time_limit_s;
    const planner::SearchResult r = planner::run_search(problem, cal, so);
    ReplanRow rr;
    rr.id = row.id;
    rr.complete = r.complete;
    rr.published_tokens_per_s = row.evaluation->tokens_per_s;
    if (auto v = planner::check_rules(problem, pub.plan, pub.training.global_batch))
      rr.published_breaks = std::string(planner::rule_key(v->rule)) + ": " + v->message;
    if (!r.top.empty()) {
      const planner::Candidate& best = r.top.front();
      rr.best_tokens_per_s = best.tokens_per_s;
      rr.best_plan = plan_to_json(best.plan);
      rr.best_global_batch = best.global_batch;
      rr.gain_pct =
          rr.published_tokens_per_s > 0 ? 100.0 * (best.tokens_per_s - rr.published_tokens_per_s) / rr.published_tokens_per_s : 0.0;
      if (rr.gain_pct > options.gain_to_explain_pct) {
        // The winner against the published plan: what bounds each, and each knob's effect alone.
        const planner::ObjectiveContext ctx = planner::make_objective_context(planner::Objective::kThroughput, problem);
        const planner::Candidate published = planner::make_candidate(problem, ctx, pub.plan, pub.training.global_batch, *row.evaluation);
        Json why = planner::explain_winner(problem, cal, ctx, analytic, {best, published});
        if (why.contains("runner_up")) {
          why["published"] = why["runner_up"];
          why.erase("runner_up");
        }
        if (why.contains("summary")) {
          std::string s = why["summary"].get<std::string>();
          const std::string from = "the runner-up";
          if (auto at = s.find(from); at != std::string::npos) s.replace(at, from.size(), "the published plan");
          why["summary"] = s;
        }
        rr.why = why;
      }
    }
    out.push_back(std::move(rr));
  }
  return out;
}

Json replan_to_json(const std::vector<ReplanRow>& rows) {
  Json arr = Json::array();
  for (const ReplanRow& r : rows) {
    Json j{{"id", r.id},
           {"published_tokens_per_s", r3(r.published_tokens_per_s)},
           {"best_tokens_per_s", r3(r.best_tokens_per_s)},
           {"gain_pct", r3(r.gain_pct)},
           {"best_plan", r.best_plan},
           {"best_global_batch", r.best_global_batch},
           {"complete", r.complete}};
    j["published_breaks"] = r.published_breaks.empty() ? Json() : Json(r.published_breaks);
    j["why"] = r.why.is_null() ? Json() : r.why;
    arr.push_back(j);
  }
  return arr;
}

}  // namespace trainplan
