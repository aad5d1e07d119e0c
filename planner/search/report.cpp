#include "planner/search/report.hpp"

#include <cmath>

#include "model/spec/spec_json.hpp"
#include "planner/search/explain.hpp"

namespace trainplan::planner {

namespace {
double r6(double v) { return round_significant(v, 6); }

Json candidate_json(const PlanProblem& problem, const Calibration& cal, const ObjectiveContext& ctx, const Evaluator& evaluator,
                    const Candidate& c) {
  Json j;
  j["plan"] = plan_to_json(c.plan);
  j["global_batch"] = c.global_batch;
  j["gpus"] = c.gpus;
  j["objective"] = objective_json(ctx, c);
  j["memory_headroom_gib"] = r6(c.headroom_gib);
  const JobSpec job = make_job(problem, c.plan, c.global_batch);
  const Evaluation e = evaluator.evaluate(job, cal);
  const Json predicted = evaluation_to_json(e);
  for (auto it = predicted.begin(); it != predicted.end(); ++it) j[it.key()] = *it;
  if (ctx.uncertainty) add_trust_keys(*ctx.uncertainty, job, e, j);
  return j;
}
}  // namespace

Json report_json(const PlanProblem& problem, const Calibration& cal, const ObjectiveContext& ctx, const Evaluator& evaluator,
                 const SearchResult& result, const ReportOptions& options) {
  Json j;
  j["objective"] = objective_name(ctx.objective);
  j["ranking"] = ranking_name(ctx.ranking);
  j["within_envelope"] = ctx.within_envelope;
  j["evaluated"] = result.evaluated;
  j["evaluator_calls"] = result.evaluator_calls;
  j["feasible"] = result.feasible;
  Json reasons = Json::object();
  for (const auto& [k, v] : result.infeasible_by_reason) reasons[k] = v;
  j["infeasible_by_reason"] = reasons;
  Json skipped = Json::object();
  for (const auto& [k, v] : result.skipped) skipped[k] = v;
  j["skipped"] = skipped;
  Json plans = Json::array();
  const size_t n = std::min(result.top.size(), static_cast<size_t>(std::max(options.top, 0)));
  for (size_t i = 0; i < n; ++i) {
    Json p = candidate_json(problem, cal, ctx, evaluator, result.top[i]);
    p["rank"] = static_cast<int>(i) + 1;
    if (options.simulated && i < options.simulated->size()) {
      Json s = evaluation_to_json((*options.simulated)[i]);
      if (options.simulator_name) s["engine"] = options.simulator_name;
      p["simulated"] = s;
    }
    plans.push_back(p);
  }
  j["plans"] = plans;
  Json pareto = Json::array();
  for (const Candidate& c : result.pareto) {
    Json p{{"plan", plan_to_json(c.plan)},
           {"global_batch", c.global_batch},
           {"gpus", c.gpus},
           {"tokens_per_s", r6(c.tokens_per_s)},
           {"step_time_s", r6(c.step_time_s)},
           {"memory_headroom_gib", r6(c.headroom_gib)},
           {"peak_memory_gib", r6(c.peak_memory_gib)}};
    if (ctx.price_per_gpu_hour > 0)  // goodput included, as in the plans' objective
      p["usd_per_million_tokens"] = r6(usd_per_useful_million_tokens(ctx, c.gpus, c.tokens_per_s));
    if (ctx.uncertainty) {
      const JobSpec job = make_job(problem, c.plan, c.global_batch);
      add_trust_keys(*ctx.uncertainty, job, evaluator.evaluate(job, cal), p);
    }
    pareto.push_back(p);
  }
  j["pareto"] = pareto;
  // "all": the front of every plan of the space; "evaluated": of the plans the branch and bound
  // evaluated (search.hpp), the exhaustive search (--exhaustive) gives "all".
  j["pareto_scope"] = result.pareto_complete ? "all" : "evaluated";
  j["explanation"] = explain_winner(problem, cal, ctx, evaluator, result.top);
  j["complete"] = result.complete;
  if (options.timings) {
    j["timings"] = {{"wall_s", result.wall_s},
                    {"plans_per_s", result.wall_s > 0 ? result.evaluated / result.wall_s : 0.0},
                    {"evaluator_calls_per_s", result.wall_s > 0 ? result.evaluator_calls / result.wall_s : 0.0}};
  }
  return j;
}

}  // namespace trainplan::planner
