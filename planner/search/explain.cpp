#include "planner/search/explain.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <optional>

#include "planner/search/report.hpp"
#include "planner/search/rules.hpp"
#include "planner/search/search.hpp"
#include "planner/search/space.hpp"

namespace trainplan::planner {

namespace {

double r4(double v) { return round_significant(v, 4); }

// The explanation's knobs: the groups of plan_knobs.hpp, in declaration order. A group's value is
// its one knob's, or an object of its knobs (paths below the group's name, as in the job JSON).
struct KnobGroup {
  std::string_view name;
  std::vector<const KnobDecl*> knobs;
  [[nodiscard]] Json get(const PlanSpec& p) const;
  void copy(PlanSpec& a, const PlanSpec& b) const {  // from the runner-up
    for (const KnobDecl* k : knobs) k->set(a, k->get(b));
    normalize_plan(a);
  }
};

// The value as the explanation has always shown it: integers as numbers (the job JSON spells ZeRO
// stages as names), the rest as in the job JSON.
Json explained_value(const KnobDecl& k, const PlanSpec& p) {
  return k.type == KnobType::kInt ? Json(static_cast<long long>(k.get(p))) : knob_json(k, p);
}

Json KnobGroup::get(const PlanSpec& p) const {
  if (knobs.size() == 1) return explained_value(*knobs.front(), p);
  Json j = Json::object();
  for (const KnobDecl* k : knobs) {
    std::string_view path = k->path;
    if (path.starts_with(name) && path.size() > name.size() && path[name.size()] == '/') path.remove_prefix(name.size() + 1);
    j[path_pointer(path)] = explained_value(*k, p);
  }
  return j;
}

const std::vector<KnobGroup>& knob_groups() {
  static const std::vector<KnobGroup> groups = [] {
    std::vector<KnobGroup> g;
    for (const KnobDecl& k : kPlanKnobs) {
      if (k.group.empty()) continue;
      auto it = std::find_if(g.begin(), g.end(), [&](const KnobGroup& x) { return x.name == k.group; });
      if (it == g.end()) it = g.insert(g.end(), KnobGroup{k.group, {}});
      it->knobs.push_back(&k);
    }
    return g;
  }();
  return groups;
}

// How far the ranking can be trusted (model/uncertainty.hpp): the winner's band and flags, and
// whether its lead over the runner-up is smaller than the band or rests on extrapolation alone.
Json trust(const PlanProblem& problem, const ObjectiveContext& ctx, const Candidate& w, const Evaluation& ew, const Candidate* r,
           const Evaluation* er, std::string& summary) {
  const UncertaintyModel& u = *ctx.uncertainty;
  const JobSpec jw = make_job(problem, w.plan, w.global_batch);
  std::vector<std::string> wf;
  const int nw = extrapolation(u, jw, ew, &wf);
  const PredictionInterval band = prediction_interval(u, jw, ew, nw);
  Json t{{"winner_interval", interval_json(u, band)}, {"winner_extrapolation", wf}};
  if (!wf.empty()) summary += "; the winner lies outside the validated envelope (" + wf.front() + (wf.size() > 1 ? ", ..." : "") + ")";
  if (!r || !er) return t;
  std::vector<std::string> rf;
  const int nr = extrapolation(u, make_job(problem, r->plan, r->global_batch), *er, &rf);
  t["runner_up_extrapolation"] = rf;
  const bool inside = u.loaded && r->tokens_per_s >= band.tokens_lo;
  const bool unvalidated = nw > 0 && nr == 0;
  t["lead_within_band"] = inside;
  t["lead_from_extrapolation"] = unvalidated;
  if (inside) summary += "; the winner's lead over the runner-up is inside the winner's 80% band, so the two are not told apart";
  if (unvalidated)
    summary += "; the runner-up is inside the validated envelope and the winner is not, so the lead rests on unvalidated physics";
  return t;
}

}  // namespace

std::vector<std::pair<const char*, double>> breakdown_terms(const TimeBreakdown& b) {
  return {{"compute", b.compute.si()},     {"recompute", b.recompute.si()}, {"tp_comm", b.tp_comm.si()}, {"cp_comm", b.cp_comm.si()},
          {"ep_comm", b.ep_comm.si()},     {"pp_comm", b.pp_comm.si()},     {"dp_comm", b.dp_comm.si()}, {"bubble", b.bubble.si()},
          {"optimizer", b.optimizer.si()}, {"offload", b.offload.si()}};
}

Json explain_winner(const PlanProblem& problem, const Calibration& cal, const ObjectiveContext& ctx, const Evaluator& evaluator,
                    const std::vector<Candidate>& ranked) {
  Json out = Json::object();
  if (ranked.empty()) return out;
  const Candidate& w = ranked.front();
  const Evaluation ew = evaluator.evaluate(make_job(problem, w.plan, w.global_batch), cal);
  const double step = ew.step_time.si();
  const auto terms = breakdown_terms(ew.breakdown);
  const char* bound = terms.front().first;
  double bound_s = -1;
  Json shares = Json::object();
  for (const auto& [name, v] : terms) {
    shares[name] = step > 0 ? r4(100.0 * v / step) : 0.0;
    if (v > bound_s) {
      bound_s = v;
      bound = name;
    }
  }
  out["bound_by"] = bound;
  out["time_breakdown_pct"] = shares;
  const double mem_gib = problem.cluster.node.gpu.memory / GiB(1);
  const bool tight = w.headroom_gib < 0.10 * mem_gib;
  out["memory"] = {{"peak_gib", r4(w.peak_memory_gib)}, {"headroom_gib", r4(w.headroom_gib)}, {"limits", tight}};
  out["goodput"] = goodput_json(goodput(ctx.goodput, w.gpus));
  char buf[400];
  std::snprintf(buf, sizeof buf, "the winner's %.4g s step is bound by %s (%.0f%%)%s", step, bound, step > 0 ? 100.0 * bound_s / step : 0.0,
                tight ? "; memory is nearly full, which rules out larger micro-batches or less recomputation" : "");
  std::string summary = buf;

  std::optional<Evaluation> er;
  if (ranked.size() >= 2) {
    const Candidate& r = ranked[1];
    er = evaluator.evaluate(make_job(problem, r.plan, r.global_batch), cal);
    Json ru;
    ru["tokens_per_s_change_pct"] = w.tokens_per_s > 0 ? r4(100.0 * (r.tokens_per_s - w.tokens_per_s) / w.tokens_per_s) : 0.0;
    ru["step_time_change_s"] = r4(er->step_time.si() - step);
    Json diff = Json::object();
    const auto rterms = breakdown_terms(er->breakdown);
    for (size_t i = 0; i < terms.size(); ++i)
      if (std::fabs(rterms[i].second - terms[i].second) > 1e-9 * std::max(1.0, step))
        diff[terms[i].first] = r4(rterms[i].second - terms[i].second);
    ru["breakdown_change_s"] = diff;
    Json ks = Json::array();
    std::string differs;
    for (const KnobGroup& k : knob_groups()) {
      const Json a = k.get(w.plan), b = k.get(r.plan);
      if (a == b) continue;
      differs += (differs.empty() ? "" : ", ") + std::string(k.name);
      Json item{{"knob", std::string(k.name)}, {"winner", a}, {"runner_up", b}};
      PlanSpec alt = w.plan;
      k.copy(alt, r.plan);
      long long gb = w.global_batch;
      auto v = check_rules(problem, alt, gb);
      if (v && v->rule == Rule::kBatchByMicroBatchDp) {
        gb = pick_global_batch(problem, static_cast<long long>(alt.micro_batch) * alt.dp);
        v = gb > 0 ? check_rules(problem, alt, gb) : v;
      }
      Json effect;
      if (v) {
        effect = {{"alone", "not a valid plan"}, {"rule", rule_key(v->rule)}, {"detail", v->message}};
      } else {
        const Evaluation ea = evaluator.evaluate(make_job(problem, alt, gb), cal);
        effect["feasible"] = ea.feasible;
        if (!ea.feasible && !ea.reasons.empty()) effect["reason"] = reason_key(ea.reasons.front().reason);
        effect["tokens_per_s_change_pct"] = w.tokens_per_s > 0 ? r4(100.0 * (ea.tokens_per_s - w.tokens_per_s) / w.tokens_per_s) : 0.0;
        effect["peak_memory_change_gib"] = r4(ea.peak_memory / GiB(1) - w.peak_memory_gib);
        const auto aterms = breakdown_terms(ea.breakdown);
        double best = 0;
        const char* most = nullptr;
        for (size_t i = 0; i < terms.size(); ++i)
          if (std::fabs(aterms[i].second - terms[i].second) > std::fabs(best)) {
            best = aterms[i].second - terms[i].second;
            most = terms[i].first;
          }
        if (most) effect["largest_breakdown_change"] = {{"term", most}, {"change_s", r4(best)}};
      }
      item["effect_alone"] = effect;
      ks.push_back(item);
    }
    ru["knobs"] = ks;
    out["runner_up"] = ru;
    std::snprintf(buf, sizeof buf, "; the runner-up differs in %s and is %.3g%% %s",
                  differs.empty() ? "nothing but the batch" : differs.c_str(),
                  std::fabs(100.0 * (r.tokens_per_s - w.tokens_per_s) / std::max(w.tokens_per_s, 1e-300)),
                  r.tokens_per_s <= w.tokens_per_s ? "slower" : "faster (ranked lower by the objective)");
    summary += buf;
    // Wall-time objectives weigh goodput (model/goodput.hpp): a faster runner-up on more GPUs can
    // lose more of its wall time to failures, restarts and checkpoints.
    if (r.tokens_per_s > w.tokens_per_s && r.goodput < w.goodput) {
      std::snprintf(buf, sizeof buf,
                    "; the runner-up steps faster but keeps %.2f%% of its wall time for training against the winner's %.2f%% "
                    "(failures, restarts and checkpoints grow with GPUs), so the winner trades throughput for goodput",
                    100 * r.goodput, 100 * w.goodput);
      summary += buf;
      out["runner_up"]["goodput_traded"] = true;
    }
  }
  if (ctx.uncertainty) out["trust"] = trust(problem, ctx, w, ew, ranked.size() >= 2 ? &ranked[1] : nullptr, er ? &*er : nullptr, summary);
  out["objective"] = objective_name(ctx.objective);
  out["summary"] = summary;
  return out;
}

}  // namespace trainplan::planner
