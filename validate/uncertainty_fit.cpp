#include "validate/uncertainty_fit.hpp"

#include <algorithm>
#include <cmath>
#include <map>

namespace trainplan {

namespace {

// One public run as the uncertainty data sees it.
struct RunView {
  const ValidationRow* fitted = nullptr;  // predicted with the constants fitted on every run
  const ValidationRow* loso = nullptr;    // predicted with its source left out of the fit
  double loso_r = 0;
  std::optional<double> lofo_r;  // predicted with its framework left out of the fit
  std::string cls;
};

std::vector<RunView> run_views(const FitResult& f) {
  std::map<std::string, const ValidationRow*> loso;
  std::map<std::string, double> lofo;
  for (const auto& r : f.leave_one_source_out.rows)
    if (log_residual(r)) loso[r.id] = &r;
  for (const auto& r : f.leave_one_framework_out.rows)
    if (auto v = log_residual(r)) lofo[r.id] = *v;
  std::vector<RunView> out;
  for (const auto& r : f.fitted.rows) {
    if (!log_residual(r) || !r.job || !r.evaluation || !loso.count(r.id)) continue;
    RunView v;
    v.fitted = &r;
    v.loso = loso[r.id];
    v.loso_r = *log_residual(*v.loso);
    if (lofo.count(r.id)) v.lofo_r = lofo[r.id];
    v.cls = precision_class_key(r.job->cluster.node.gpu.architecture, r.job->training.precision);
    out.push_back(v);
  }
  return out;
}

void extend_envelope(Envelope& env, const ValidationRow& row) {
  const JobSpec& job = *row.job;
  const Evaluation& e = *row.evaluation;
  env.gpus.insert(job.cluster.node.gpu.key);
  const std::string cls = precision_class_key(job.cluster.node.gpu.architecture, job.training.precision);
  env.classes.insert(cls);
  env.frameworks.insert(framework_name(effective_framework(job.training.framework)));
  for (const auto& f : plan_features(job)) env.features.insert(f);
  for (const auto& [k, v] : envelope_degrees(job)) env.max_degree[k] = std::max(env.max_degree[k], v);
  const int chunk = min_chunk_layers(e, job.plan.virtual_stages);
  if (chunk > 0) env.min_chunk_layers = env.min_chunk_layers == 0 ? chunk : std::min(env.min_chunk_layers, chunk);
  // MFU at the measured step time: the model FLOPs are the prediction's (the contract's count),
  // the time the measurement's (measured time = predicted · e^r).
  const double measured_mfu = e.mfu_pct * std::exp(-*log_residual(row));
  env.max_mfu_pct[cls] = std::max(env.max_mfu_pct[cls], measured_mfu);
}

// The model from the runs that `use` admits.
template <class Use>
UncertaintyModel build(const std::vector<RunView>& runs, const std::map<std::string, double>& sigma, Use use) {
  UncertaintyModel u;
  u.loaded = true;
  u.source = "validate --fit";
  std::map<std::string, std::vector<double>> by_class;
  std::vector<double> lofo_abs;
  u.envelope.min_chunk_layers = 0;  // none seen yet
  for (const RunView& v : runs) {
    if (!use(v)) continue;
    by_class[v.cls].push_back(v.loso_r);
    by_class["all"].push_back(v.loso_r);
    if (v.lofo_r) lofo_abs.push_back(std::fabs(*v.lofo_r));
    extend_envelope(u.envelope, *v.fitted);
  }
  u.envelope.min_chunk_layers = std::max(1, u.envelope.min_chunk_layers);
  const double tail = (1 - u.level) / 2;
  for (const auto& [cls, rs] : by_class) u.bands[cls] = {static_cast<int>(rs.size()), quantile(rs, tail), quantile(rs, 1 - tail)};
  u.flag_widening = quantile(lofo_abs, u.level);
  for (const auto& [cls, s] : sigma)
    if (u.envelope.classes.count(cls)) u.param_sigma[cls] = s;
  return u;
}

std::map<std::string, double> class_sigma(const FitResult& f) {
  std::map<std::string, double> out;
  size_t i = 0;
  for (const auto& [key, eta] : f.efficiency) {
    (void)eta;
    if (i < f.log_eta_covariance.size())
      out[precision_class_key(key.architecture, key.precision)] = std::sqrt(std::max(0.0, f.log_eta_covariance[i][i]));
    ++i;
  }
  return out;
}

// For every group (a source, a framework) of runs: the model without the group, and whether each
// of its runs' residuals lies in its band there.
template <class GroupOf, class ResidualOf, class ModelWithout>
BandCoverage check_coverage(const std::vector<RunView>& runs, GroupOf group_of, ResidualOf residual_of, ModelWithout model_without) {
  BandCoverage c;
  std::vector<std::string> groups;
  for (const RunView& v : runs)
    if (std::find(groups.begin(), groups.end(), group_of(v)) == groups.end()) groups.push_back(group_of(v));
  std::vector<double> widths;
  for (const std::string& g : groups) {
    const UncertaintyModel held = model_without(g);
    for (const RunView& v : runs) {
      if (group_of(v) != g) continue;
      const int flags = extrapolation(held, *v.loso->job, *v.loso->evaluation, nullptr) + filled_flag(*v.fitted);
      const auto [lo, hi] = log_band(held, v.cls, flags);
      const double r = residual_of(v);
      ++c.rows;
      if (r >= lo && r <= hi) ++c.inside;
      widths.push_back(100 * (std::exp(hi) - std::exp(lo)));
    }
  }
  c.fraction = c.rows ? static_cast<double>(c.inside) / c.rows : 0;
  c.median_width_pct = quantile(widths, 0.5);
  return c;
}

}  // namespace

double quantile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const double h = (static_cast<double>(v.size()) - 1) * q;
  const size_t lo = static_cast<size_t>(std::floor(h));
  const size_t hi = std::min(lo + 1, v.size() - 1);
  return v[lo] + (h - static_cast<double>(lo)) * (v[hi] - v[lo]);
}

UncertaintyFit fit_uncertainty(const FitResult& f) {
  const std::vector<RunView> runs = run_views(f);
  const auto sigma = class_sigma(f);
  UncertaintyFit out;
  out.model = build(runs, sigma, [](const RunView&) { return true; });
  // Inside the envelope: each source's runs against bands built from the other sources' runs, their
  // flags counted against the envelope of every run (the runs themselves are inside it).
  out.coverage = check_coverage(
      runs, [](const RunView& v) { return v.fitted->source_id; }, [](const RunView& v) { return v.loso_r; },
      [&](const std::string& held) {
        UncertaintyModel m = build(runs, sigma, [&](const RunView& v) { return v.fitted->source_id != held; });
        m.envelope = out.model.envelope;
        return m;
      });
  // Outside it: each framework's runs, predicted without that framework in the fit, against a model
  // (bands, δ and envelope) built without that framework.
  out.transfer = check_coverage(
      runs, [](const RunView& v) { return std::string(framework_name(effective_framework(v.fitted->job->training.framework))); },
      [](const RunView& v) { return v.lofo_r.value_or(v.loso_r); },
      [&](const std::string& held) {
        return build(runs, sigma,
                     [&](const RunView& v) { return framework_name(effective_framework(v.fitted->job->training.framework)) != held; });
      });
  return out;
}

Json uncertainty_report_json(const UncertaintyFit& u) {
  auto cov = [](const BandCoverage& c) {
    return Json{{"rows", c.rows},
                {"inside", c.inside},
                {"fraction", round_decimals(c.fraction, 4)},
                {"median_width_pct", round_decimals(c.median_width_pct, 2)}};
  };
  return {{"coverage", {{"leave_one_source_out", cov(u.coverage)}, {"leave_one_framework_out", cov(u.transfer)}}},
          {"cross_validation",
           "bands: leave-one-source-out residuals; flag widening: leave-one-framework-out; coverage: each source's runs against the "
           "bands built without it, and each framework's runs, fitted without it, against the model built without it "
           "(validate/uncertainty_fit.hpp)"}};
}

}  // namespace trainplan
