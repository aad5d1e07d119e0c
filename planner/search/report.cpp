#include "planner/search/report.hpp"

#include <cmath>

#include "planner/search/explain.hpp"

namespace trainplan::planner {

namespace {
double r6(double v) {
  if (!std::isfinite(v) || v == 0) return 0.0;
  const double mag = std::pow(10.0, 6 - static_cast<int>(std::ceil(std::log10(std::fabs(v)))));
  return std::round(v * mag) / mag;
}
Json offload_json(const Offload& o) { return {{"device", offload_device_name(o.device)}, {"fraction", r6(o.fraction)}}; }
}  // namespace

Json plan_to_json(const PlanSpec& p) {
  Json j;
  j["tp"] = p.tp;
  j["sequence_parallel"] = p.sequence_parallel;
  j["pp"] = p.pp;
  j["schedule"] = schedule_name(p.schedule);
  j["virtual_stages"] = p.virtual_stages;
  if (p.first_stage_layers > 0) j["first_stage_layers"] = p.first_stage_layers;
  if (p.last_stage_layers > 0) j["last_stage_layers"] = p.last_stage_layers;
  j["dp"] = p.dp;
  j["cp"] = p.cp;
  j["ep"] = p.ep;
  j["expert_tp"] = p.expert_tp;
  j["zero"] = std::to_string(p.zero);
  j["fsdp"] = fsdp_name(p.fsdp);
  j["offload"] = {{"optimizer", offload_json(p.optimizer_offload)}, {"params", offload_json(p.param_offload)},
                  {"activations", offload_json(p.activation_offload)}};
  j["recompute"] = recompute_name(p.recompute);
  j["recompute_layers"] = p.recompute_layers;
  j["micro_batch"] = p.micro_batch;
  j["overlap_grad_reduce"] = p.overlap_grad_reduce;
  j["overlap_param_gather"] = p.overlap_param_gather;
  j["overlap_p2p"] = p.overlap_p2p;
  j["tp_comm_overlap"] = p.tp_comm_overlap;
  j["grad_reduce_precision"] = p.grad_reduce_bf16 ? "bf16" : "fp32";
  j["attention_backend"] = p.attention == AttentionBackend::kAuto ? "auto" : (p.attention == AttentionBackend::kFlash ? "flash" : "unfused");
  return j;
}

namespace {
Json candidate_json(const PlanProblem& problem, const Calibration& cal, const ObjectiveContext& ctx, const Evaluator& evaluator,
                    const Candidate& c) {
  Json j;
  j["plan"] = plan_to_json(c.plan);
  j["global_batch"] = c.global_batch;
  j["gpus"] = c.gpus;
  j["objective"] = objective_json(ctx, c);
  j["memory_headroom_gib"] = r6(c.headroom_gib);
  const Evaluation e = evaluator.evaluate(make_job(problem, c.plan, c.global_batch), cal);
  const Json predicted = evaluation_to_json(e);
  for (auto it = predicted.begin(); it != predicted.end(); ++it) j[it.key()] = *it;
  return j;
}
}  // namespace

Json report_json(const PlanProblem& problem, const Calibration& cal, const ObjectiveContext& ctx, const Evaluator& evaluator,
                 const SearchResult& result, const ReportOptions& options) {
  Json j;
  j["objective"] = objective_name(ctx.objective);
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
    if (ctx.price_per_gpu_hour > 0) p["usd_per_million_tokens"] = r6(usd_per_million_tokens(ctx, c.gpus, c.tokens_per_s));
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
