#include "gui/plan_runner.hpp"

#include <chrono>
#include <set>

#include "model/analytic.hpp"
#include "model/calibration.hpp"
#include "model/goodput.hpp"

#ifdef TRAINPLAN_GUI_HAVE_PLANNER
#include "planner/search/explain.hpp"
#include "planner/search/search.hpp"
#endif

namespace trainplan::gui {
namespace {

double price_per_gpu_hour(const JobSpec& job) { return job.cluster.node.gpu.price_usd_per_hour.value_or(0.0); }

PlanRow make_row(const JobSpec& job, const Calibration& cal, const UncertaintyModel& u) {
  PlanRow row;
  row.job = job;
  row.eval = AnalyticEvaluator{}.evaluate(job, cal);
  const int flags = extrapolation(u, job, row.eval, &row.extrapolation);
  row.has_band = u.loaded && row.eval.feasible;
  if (row.has_band) row.band = prediction_interval(u, job, row.eval, flags);
  row.headroom_gib = (job.cluster.node.gpu.memory - row.eval.peak_memory) / GiB(1);
  // Cost counts the useful share of wall time only: failures, restarts, checkpoints (model/goodput.hpp).
  row.goodput = goodput(goodput_inputs(job), row.eval.gpus);
  const double price = price_per_gpu_hour(job);
  const double useful = row.eval.tokens_per_s * row.goodput.fraction;
  if (price > 0 && useful > 0) row.usd_per_mtok = row.eval.gpus * price / 3600.0 / useful * 1e6;
  return row;
}

#ifdef TRAINPLAN_GUI_HAVE_PLANNER
PlanOutcome search(const planner::PlanProblem& problem, const Catalog& catalog, const RunControl& control) {
  PlanOutcome out;
  out.kind = SpecKind::kProblem;
  Diagnostics diag;
  const Calibration cal = load_calibration(catalog, problem.cluster.node.gpu, "", diag);
  out.cal = cal;
  if (!diag.ok()) {
    out.error = diagnostics_text(diag);
    return out;
  }
  const UncertaintyModel u = load_uncertainty(catalog, diag);
  if (!diag.ok()) {
    out.error = diagnostics_text(diag);
    return out;
  }
  planner::SearchOptions options;
  options.top = control.top;
  options.uncertainty = &u;
  options.time_limit_s = control.time_limit_s;
  options.progress = [&](double f, long long n) {
    if (control.progress) control.progress(f, n);
  };
  options.cancel = control.cancel;
  // The explorer charts the Pareto front of every plan, so it searches exhaustively (no branch and
  // bound, planner/search/search.hpp); the worker thread keeps the window responsive meanwhile.
  options.prune = false;
  const planner::SearchResult r = planner::run_search(problem, cal, options);
  out.evaluated = r.evaluated;
  out.feasible = r.feasible;
  out.infeasible_by_reason = r.infeasible_by_reason;
  out.complete = r.complete;
  out.wall_s = r.wall_s;
  out.cancelled = control.cancel && control.cancel->load();

  std::set<planner::PlanKey> on_front;
  for (const auto& c : r.pareto) on_front.insert(planner::plan_key(c.plan, c.global_batch));
  std::set<planner::PlanKey> seen;
  auto add = [&](const planner::Candidate& c, int rank) {
    const auto key = planner::plan_key(c.plan, c.global_batch);
    if (!seen.insert(key).second) return;
    PlanRow row = make_row(planner::make_job(problem, c.plan, c.global_batch), cal, u);
    row.rank = rank;
    row.pareto = on_front.count(key) > 0;
    out.rows.push_back(std::move(row));
  };
  if (!r.top.empty()) {
    const AnalyticEvaluator analytic;
    out.why_winner = planner::explain_winner(problem, cal, planner::search_context(problem, options), analytic, r.top);
  }
  int rank = 0;
  for (const auto& c : r.top) add(c, ++rank);
  for (const auto& c : r.pareto) add(c, 0);
  return out;
}
#endif

}  // namespace

bool planner_available() {
#ifdef TRAINPLAN_GUI_HAVE_PLANNER
  return true;
#else
  return false;
#endif
}

bool export_available() {
#ifdef TRAINPLAN_GUI_HAVE_EXPORT
  return true;
#else
  return false;
#endif
}

PlanOutcome run_plans(const ParsedSpec& spec, const Catalog& catalog, const RunControl& control) {
  PlanOutcome out;
  if (!spec.ok()) {
    out.error = diagnostics_text(spec.diagnostics);
    return out;
  }
  if (spec.job) {
    const auto start = std::chrono::steady_clock::now();
    Diagnostics diag;
    const Calibration cal = load_calibration(catalog, spec.job->cluster.node.gpu, "", diag);
    const UncertaintyModel u = load_uncertainty(catalog, diag);
    if (!diag.ok()) {
      out.error = diagnostics_text(diag);
      return out;
    }
    out.cal = cal;
    PlanRow row = make_row(*spec.job, cal, u);
    row.rank = 1;
    row.pareto = true;
    out.evaluated = 1;
    out.feasible = row.eval.feasible ? 1 : 0;
    for (const auto& why : row.eval.reasons) ++out.infeasible_by_reason[reason_key(why.reason)];
    out.rows.push_back(std::move(row));
    out.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (control.progress) control.progress(1.0, 1);
    return out;
  }
#ifdef TRAINPLAN_GUI_HAVE_PLANNER
  if (spec.problem) return search(*spec.problem, catalog, control);
#endif
  out.error = "nothing to run: the spec is neither a job nor a plan problem this build can search";
  return out;
}

}  // namespace trainplan::gui
