#include "planner/search/objective.hpp"

#include <cmath>

#include "planner/search/search.hpp"

namespace trainplan::planner {

const char* objective_name(Objective o) {
  switch (o) {
    case Objective::kThroughput: return "throughput";
    case Objective::kCost: return "cost";
    case Objective::kTimeToTrain: return "time-to-train";
    case Objective::kFewestGpus: return "fewest-gpus";
  }
  return "throughput";
}

std::optional<Objective> parse_objective(std::string_view name) {
  for (Objective o : {Objective::kThroughput, Objective::kCost, Objective::kTimeToTrain, Objective::kFewestGpus})
    if (name == objective_name(o)) return o;
  return std::nullopt;
}

const char* ranking_name(Ranking r) { return r == Ranking::kConservative ? "conservative" : "estimate"; }

std::optional<Ranking> parse_ranking(std::string_view name) {
  for (Ranking r : {Ranking::kEstimate, Ranking::kConservative})
    if (name == ranking_name(r)) return r;
  return std::nullopt;
}

ObjectiveContext make_objective_context(Objective o, const PlanProblem& problem, const UncertaintyModel* u, Ranking ranking,
                                        bool within_envelope) {
  ObjectiveContext c = make_objective_context(o, problem);
  c.uncertainty = u;
  c.ranking = ranking;
  c.within_envelope = within_envelope;
  const std::string cls = precision_class_key(problem.cluster.node.gpu.architecture, problem.training.precision);
  for (int n = 0; n <= kMaxRankedFlags; ++n)
    c.conservative_factor[n] = u && u->loaded && u->bands.count("all") ? std::exp(-log_band(*u, cls, n).second) : 1.0;
  return c;
}

double ranked_tokens_per_s(const ObjectiveContext& ctx, const Candidate& c) {
  if (ctx.ranking != Ranking::kConservative || !ctx.uncertainty) return c.tokens_per_s;
  return c.tokens_per_s * ctx.conservative_factor[std::min(c.flags, kMaxRankedFlags)];
}

ObjectiveContext make_objective_context(Objective o, const PlanProblem& problem) {
  ObjectiveContext c;
  c.objective = o;
  const GpuSpec& g = problem.cluster.node.gpu;
  c.price_per_gpu_hour = g.price_usd_per_hour.value_or(0.0);
  c.power_w = g.power ? g.power->si() : 0.0;
  c.token_budget = problem.training.token_budget;
  c.deadline_days = problem.training.deadline_days;
  // Goodput depends on the plan only through its GPUs and the search-wide knobs (master weights).
  PlanSpec plan;
  apply_fixed_knobs(problem.search, plan);
  c.goodput = goodput_inputs(make_job(problem, plan, problem.training.global_batch));
  return c;
}

std::optional<std::string> objective_missing_input(const ObjectiveContext& ctx) {
  if (ctx.objective == Objective::kCost && ctx.price_per_gpu_hour <= 0)
    return "the cost objective needs the GPU's price_per_hour (set it in the cluster's GPU spec)";
  if (ctx.objective == Objective::kTimeToTrain && ctx.token_budget <= 0) return "the time-to-train objective needs training.token_budget";
  if (ctx.objective == Objective::kFewestGpus && ctx.deadline_days > 0 && ctx.token_budget <= 0)
    return "a deadline needs training.token_budget";
  return std::nullopt;
}

PlanKey plan_key(const PlanSpec& p, long long gb) {
  PlanKey key{};
  key[0] = p.gpus();
  for (size_t i = 0; i < kTieBreaks.size(); ++i) {
    const KnobDecl* k = kTieBreaks[i].knob;
    // Fractions in thousandths: plans closer than that rank as equal.
    const double v = !k ? static_cast<double>(gb) : k->type == KnobType::kFraction ? k->get(p) * 1000 : k->get(p);
    key[i + 1] = static_cast<int>(std::lround(v));
  }
  return key;
}

double usd_per_million_tokens(const ObjectiveContext& ctx, int gpus, double tps) {
  return tps > 0 ? gpus * ctx.price_per_gpu_hour / 3600.0 / tps * 1e6 : 0.0;
}

double usd_per_useful_million_tokens(const ObjectiveContext& ctx, int gpus, double tps) {
  return usd_per_million_tokens(ctx, gpus, tps * goodput(ctx.goodput, gpus).fraction);
}

bool meets_deadline(const ObjectiveContext& ctx, double tps, double goodput) {
  if (ctx.deadline_days <= 0 || ctx.token_budget <= 0) return true;
  return tps > 0 && goodput > 0 && ctx.token_budget / (tps * goodput) / 86400.0 <= ctx.deadline_days;
}

double objective_goodput(const ObjectiveContext& ctx, int gpus) {
  const bool wall =
      ctx.objective == Objective::kCost || ctx.objective == Objective::kTimeToTrain || (ctx.deadline_days > 0 && ctx.token_budget > 0);
  return wall ? goodput(ctx.goodput, gpus).fraction : 1.0;
}

void score(const ObjectiveContext& ctx, Candidate& c) {
  const double tps = ranked_tokens_per_s(ctx, c);
  c.goodput = objective_goodput(ctx, c.gpus);
  const double useful = tps * c.goodput;
  switch (ctx.objective) {
    case Objective::kThroughput:
      c.primary = -tps;
      c.secondary = 0;
      break;
    case Objective::kCost:
      c.primary = usd_per_million_tokens(ctx, c.gpus, useful);
      c.secondary = -tps;
      break;
    case Objective::kTimeToTrain:
      c.primary = useful > 0 ? ctx.token_budget / useful / 86400.0 : 1e300;
      c.secondary = c.gpus;
      break;
    case Objective::kFewestGpus:
      c.primary = c.gpus;
      c.secondary = -tps;
      break;
  }
}

bool ranks_before(const Candidate& a, const Candidate& b) {
  if (a.primary != b.primary) return a.primary < b.primary;
  if (a.secondary != b.secondary) return a.secondary < b.secondary;
  return plan_key(a.plan, a.global_batch) < plan_key(b.plan, b.global_batch);
}

namespace {
double r4(double v) { return round_significant(v, 6); }
}  // namespace

Json objective_json(const ObjectiveContext& ctx, const Candidate& c) {
  Json j;
  j["name"] = objective_name(ctx.objective);
  // Wall time (time-to-train, cost) counts only the useful share (model/goodput.hpp).
  const Goodput g = goodput(ctx.goodput, c.gpus);
  const double useful = c.tokens_per_s * g.fraction;
  switch (ctx.objective) {
    case Objective::kThroughput:
      j["value"] = r4(c.tokens_per_s);
      j["unit"] = "tokens/s";
      break;
    case Objective::kCost:
      j["value"] = r4(c.primary);
      j["unit"] = "USD per million tokens";
      break;
    case Objective::kTimeToTrain:
      j["value"] = r4(c.primary);
      j["unit"] = "days";
      break;
    case Objective::kFewestGpus:
      j["value"] = c.gpus;
      j["unit"] = "GPUs";
      break;
  }
  if (ctx.ranking == Ranking::kConservative && ctx.uncertainty) {
    j["ranked_by"] = "conservative";
    j["conservative_tokens_per_s"] = r4(ranked_tokens_per_s(ctx, c));
  }
  if (ctx.price_per_gpu_hour > 0) j["usd_per_million_tokens"] = r4(usd_per_useful_million_tokens(ctx, c.gpus, c.tokens_per_s));
  if (ctx.token_budget > 0 && useful > 0) {
    const double days = ctx.token_budget / useful / 86400.0;
    j["days"] = r4(days);
    const double gpu_hours = days * 24.0 * c.gpus;
    j["gpu_hours"] = r4(gpu_hours);
    if (ctx.price_per_gpu_hour > 0) j["usd"] = r4(gpu_hours * ctx.price_per_gpu_hour);
    // GPU board power only (no host, network or cooling overhead).
    if (ctx.power_w > 0) j["energy_mwh"] = r4(gpu_hours * ctx.power_w / 1e6);
    if (ctx.deadline_days > 0) j["meets_deadline"] = days <= ctx.deadline_days;
  }
  if (ctx.price_per_gpu_hour > 0 || ctx.token_budget > 0) j["goodput"] = goodput_json(g);
  return j;
}

}  // namespace trainplan::planner
