// What the planner optimizes and the total order it ranks plans by.
//
// Objectives (smaller primary value is better; secondary breaks ties):
//   throughput     primary −tokens/s
//   cost           primary USD per million tokens = gpus · price_per_gpu_hour / 3600 / (tokens/s · goodput) · 10⁶
//   time-to-train  primary days = token_budget / (tokens/s · goodput) / 86400 (also USD and energy reported)
// goodput (model/goodput.hpp) depends on the plan only through its GPU count: failures, restarts and
// checkpoints take more of a larger job's wall time, so these objectives can prefer fewer GPUs.
//   fewest-gpus    primary GPUs (plans missing the deadline are infeasible), secondary −tokens/s
// Ties on the objective are broken by the plan itself (plan_order): fewer GPUs, then smaller TP,
// PP, CP, DP, EP, expert TP, virtual stages, schedule, uneven first/last stage layers, sequence
// parallel off before on, smaller ZeRO stage, FSDP, offload devices, recompute, recompute layers,
// micro-batch, global batch, TP overlap — i.e. the simpler plan first. Distinct plans never compare
// equal, so the ranking is the same whatever the thread count.
//
//   ObjectiveContext ctx = make_objective_context(Objective::kCost, problem);
//   score(ctx, candidate);                 // fills candidate.primary / secondary
//   bool a_first = ranks_before(a, b);
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>

#include "model/goodput.hpp"
#include "model/json_reader.hpp"
#include "model/uncertainty.hpp"
#include "planner/search/problem.hpp"

namespace trainplan::planner {

enum class Objective { kThroughput, kCost, kTimeToTrain, kFewestGpus };
const char* objective_name(Objective o);
std::optional<Objective> parse_objective(std::string_view name);

// What the ranking reads of a plan's throughput: the model's estimate, or the conservative end of
// its 80 % band (model/uncertainty.hpp), which charges extrapolation flags to the plan that has them.
enum class Ranking { kEstimate, kConservative };
const char* ranking_name(Ranking r);
std::optional<Ranking> parse_ranking(std::string_view name);

// The largest number of extrapolation flags the ranking tells apart (more rank as this many).
inline constexpr int kMaxRankedFlags = 32;

struct ObjectiveContext {
  Objective objective = Objective::kThroughput;
  // Trust (model/uncertainty.hpp): null = plans are not checked against the validated envelope.
  const UncertaintyModel* uncertainty = nullptr;
  Ranking ranking = Ranking::kEstimate;
  bool within_envelope = false;  // plans with any extrapolation flag are left out
  // For the conservative ranking: e^-hi of the problem's class band with n flags, n = 0..kMaxRankedFlags.
  std::array<double, kMaxRankedFlags + 1> conservative_factor{};
  double price_per_gpu_hour = 0;  // USD; 0 when the GPU has none
  double power_w = 0;             // per GPU; 0 when unknown
  double token_budget = 0;
  double deadline_days = 0;
  double tokens_per_step_min = 0;
  GoodputInputs goodput;  // the problem's model, cluster and training (goodput_inputs)
};

ObjectiveContext make_objective_context(Objective o, const PlanProblem& problem);
// The same with the trust settings: `u` must outlive the context.
ObjectiveContext make_objective_context(Objective o, const PlanProblem& problem, const UncertaintyModel* u, Ranking ranking,
                                        bool within_envelope);
// Whether the search must count every plan's extrapolation flags.
inline bool needs_flags(const ObjectiveContext& c) { return c.uncertainty && (c.within_envelope || c.ranking == Ranking::kConservative); }
// The problem's data the objective needs, or a message naming what is missing.
std::optional<std::string> objective_missing_input(const ObjectiveContext& ctx);

// A plan the search found feasible: the plan and the figures the ranking and Pareto front use.
struct Candidate {
  PlanSpec plan;
  long long global_batch = 0;
  double tokens_per_s = 0;
  double step_time_s = 0;
  double peak_memory_gib = 0;
  double headroom_gib = 0;  // GPU memory minus the peak
  int gpus = 0;
  int flags = 0;       // extrapolation flags (counted only when needs_flags)
  double goodput = 1;  // goodput(ctx.goodput, gpus).fraction; filled by score()
  double primary = 0, secondary = 0;
};

// The tokens/s the ranking compares: the estimate, or the conservative end of its band.
double ranked_tokens_per_s(const ObjectiveContext& ctx, const Candidate& c);

// The plan's GPUs, then its tie-break knobs and the global batch in kTieBreaks order (plan_knobs.hpp).
using PlanKey = std::array<int, kTieBreakCount + 1>;
PlanKey plan_key(const PlanSpec& p, long long global_batch);

// The goodput the objective charges a plan on `gpus` GPUs: goodput(ctx.goodput, gpus).fraction
// where wall time counts (cost, time-to-train, a deadline), else 1 (throughput ranks steps).
double objective_goodput(const ObjectiveContext& ctx, int gpus);
void score(const ObjectiveContext& ctx, Candidate& c);
// Whether the plan meets the problem's deadline (true when no deadline or no token budget), with
// `goodput` of the wall time useful.
bool meets_deadline(const ObjectiveContext& ctx, double tokens_per_s, double goodput);
double usd_per_million_tokens(const ObjectiveContext& ctx, int gpus, double tokens_per_s);
// The same over the useful share of wall time (goodput, model/goodput.hpp): the cost every report gives.
double usd_per_useful_million_tokens(const ObjectiveContext& ctx, int gpus, double tokens_per_s);
// The total order (objective, then plan_key).
bool ranks_before(const Candidate& a, const Candidate& b);

// {"name", "value", "unit"} plus the derived figures: days, USD and energy where computable.
Json objective_json(const ObjectiveContext& ctx, const Candidate& c);

}  // namespace trainplan::planner
