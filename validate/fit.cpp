#include "validate/fit.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <set>

#include <Eigen/Dense>

#include "model/spec/architecture.hpp"

namespace trainplan {

namespace {

Calibration with_overrides(const Catalog& catalog, const GpuSpec& gpu, const std::map<FitKey, double>& eff) {
  Diagnostics d;
  Calibration cal = default_calibration(catalog, gpu, d);
  for (const auto& [key, eta] : eff) {
    if (key.architecture != gpu.architecture) continue;
    cal.arch.gemm_efficiency[static_cast<int>(key.precision)] = eta;
    if (key.precision == Precision::kBf16) cal.arch.gemm_efficiency[static_cast<int>(Precision::kFp16)] = eta;
  }
  return cal;
}

// What a cross-validation holds out together: the run's source, or its training framework.
std::string held_out_key(const Json& run, CrossValidation by) {
  if (by == CrossValidation::kFramework) {
    const Json* tr = run.contains("training") ? &run["training"] : nullptr;
    return tr && tr->is_object() && tr->contains("framework") && (*tr)["framework"].is_string() ? (*tr)["framework"].get<std::string>()
                                                                                                : std::string();
  }
  return run.contains("source_id") && run["source_id"].is_string() ? run["source_id"].get<std::string>() : std::string();
}

// The runs of `doc` whose held-out key is (or is not) `key`.
Json filter_runs(const Json& doc, const std::string& key, bool keep, CrossValidation by) {
  Json out = doc;
  out["runs"] = Json::array();
  for (const auto& r : doc["runs"])
    if ((held_out_key(r, by) == key) == keep) out["runs"].push_back(r);
  return out;
}

std::map<FitKey, double> fit(const Json& doc, const Catalog& catalog, const Evaluator& evaluator) {
  // Find the groups present (one quick pass with defaults).
  Diagnostics diag;
  std::map<FitKey, double> eff;
  auto base_cal = [&](const GpuSpec& g) { return with_overrides(catalog, g, eff); };
  ValidationReport rep = validate_runs(doc, "<fit>", catalog, evaluator, base_cal, diag);
  std::set<FitKey> groups;
  for (const auto& row : rep.rows)
    if (row.status == RowStatus::kPredicted && row.job)
      groups.insert({row.job->cluster.node.gpu.architecture, precision_class(row.job->training.precision)});
  // Rows whose plan was fully stated identify η alone; where knobs were filled, the fill (the
  // framework's defaults standing in for the run's own values) is confounded with η.
  // So a group with at least kMinStated fully stated rows is fitted on those, else on all its rows.
  constexpr int kMinStated = 3;
  std::map<FitKey, int> stated;
  for (const auto& row : rep.rows)
    if (row.status == RowStatus::kPredicted && row.job && row.fully_stated)
      ++stated[{row.job->cluster.node.gpu.architecture, precision_class(row.job->training.precision)}];
  for (const FitKey& key : groups) {
    const bool stated_only = stated[key] >= kMinStated;
    auto mape = [&](double eta) {
      auto e2 = eff;
      e2[key] = eta;
      auto cal_for = [&](const GpuSpec& g) { return with_overrides(catalog, g, e2); };
      Diagnostics d;
      ValidationReport r = validate_runs(doc, "<fit>", catalog, evaluator, cal_for, d);
      double sum = 0;
      int n = 0;
      for (const auto& row : r.rows) {
        if (!row.job || row.job->cluster.node.gpu.architecture != key.architecture ||
            precision_class(row.job->training.precision) != key.precision || (stated_only && !row.fully_stated))
          continue;
        if (row.status == RowStatus::kPredicted)
          sum += std::fabs(row.error_pct), ++n;
        else if (row.status == RowStatus::kInfeasible)
          sum += 100, ++n;
      }
      return n ? sum / n : 0.0;
    };
    // Golden-section search (Kiefer 1953) on [0.3, 0.95].
    double lo = 0.3, hi = 0.95;
    const double g = (std::sqrt(5.0) - 1) / 2;
    double x1 = hi - g * (hi - lo), x2 = lo + g * (hi - lo);
    double f1 = mape(x1), f2 = mape(x2);
    for (int it = 0; it < 18; ++it) {
      if (f1 < f2) {
        hi = x2, x2 = x1, f2 = f1;
        x1 = hi - g * (hi - lo);
        f1 = mape(x1);
      } else {
        lo = x1, x1 = x2, f1 = f2;
        x2 = lo + g * (hi - lo);
        f2 = mape(x2);
      }
    }
    eff[key] = std::round((lo + hi) / 2 * 1000) / 1000;
  }
  return eff;
}

// A group with no row left to fit (its only source held out) must not fall back on the shipped
// defaults, which were fitted on that very source: it takes the value the same precision class
// was fitted to on the nearest GPU generation (the rule the shipped defaults use for Blackwell,
// which no public run covers), else the same architecture's other precision class. The other
// order (the same GPU's other precision first) gives a lower leave-one-source-out error on the
// public runs (7.11 % against 7.96 %) but a band that holds 48 of 52 unseen runs, more than its
// 80 % says (README, Accuracy): the rule is kept, not chosen on the runs it is checked on.
void transfer_missing(std::map<FitKey, double>& eff, const std::map<FitKey, double>& all_groups) {
  // Not NVIDIA (or unknown): ranked after the newest generation.
  auto gen = [](const std::string& a) {
    const int g = architecture_generation(a);
    return g >= 0 ? g : kNvidiaGenerations;
  };
  const auto fitted = eff;
  for (const auto& [key, unused] : all_groups) {
    (void)unused;
    if (fitted.count(key)) continue;
    const FitKey* best = nullptr;
    long best_rank = 0;
    for (const auto& [k, v] : fitted) {
      (void)v;
      // Rank: same precision class by generation distance first, then the same architecture.
      long rank;
      if (k.precision == key.precision && k.architecture != key.architecture)
        rank = std::labs(static_cast<long>(gen(k.architecture) - gen(key.architecture)));
      else if (k.architecture == key.architecture)
        rank = 1000;
      else
        continue;
      if (!best || rank < best_rank) best = &k, best_rank = rank;
    }
    if (best) eff[key] = fitted.at(*best);
  }
}

// Each held-out group (a source or a framework) predicted with constants fitted on the rest.
ValidationReport cross_validate(const Json& doc, const Catalog& catalog, const Evaluator& evaluator,
                                const std::map<FitKey, double>& all_groups, CrossValidation by) {
  ValidationReport out;
  std::set<std::string> keys;
  for (const auto& r : doc["runs"]) keys.insert(held_out_key(r, by));
  Diagnostics diag;
  for (const auto& key : keys) {
    auto eff = fit(filter_runs(doc, key, false, by), catalog, evaluator);
    transfer_missing(eff, all_groups);
    auto cal_for = [&](const GpuSpec& g) { return with_overrides(catalog, g, eff); };
    ValidationReport held = validate_runs(filter_runs(doc, key, true, by), "<fit>", catalog, evaluator, cal_for, diag);
    for (auto& row : held.rows) out.rows.push_back(std::move(row));
  }
  summarize(out);
  return out;
}

// The covariance of the fitted ln η (one per group), Cov = s² (JᵀJ)⁻¹ (the Gauss-Newton
// approximation of least squares, e.g. Seber & Wild, Nonlinear Regression, 1989, §2.1), with J the
// derivatives of every fitted row's ln(measured/predicted time) by each ln η (central differences,
// ±1 %) and s² = Σ r² / (n − p). The fit minimises absolute errors, not squares; the Gauss-Newton
// covariance is used as the local spread of the constants around it.
std::vector<std::vector<double>> log_eta_covariance(const Json& doc, const Catalog& catalog, const Evaluator& evaluator,
                                                    const std::map<FitKey, double>& eff, const ValidationReport& fitted) {
  std::vector<std::string> ids;
  std::vector<double> r0;
  for (const auto& row : fitted.rows)
    if (auto r = log_residual(row)) ids.push_back(row.id), r0.push_back(*r);
  const int n = static_cast<int>(ids.size()), p = static_cast<int>(eff.size());
  std::vector<std::vector<double>> out(p, std::vector<double>(p, 0.0));
  if (n <= p || p == 0) return out;
  Eigen::MatrixXd jac = Eigen::MatrixXd::Zero(n, p);
  constexpr double kStep = 0.01;
  int col = 0;
  for (const auto& [key, eta] : eff) {
    std::map<std::string, double> side[2];
    for (int s = 0; s < 2; ++s) {
      auto e2 = eff;
      e2[key] = eta * std::exp(s == 0 ? kStep : -kStep);
      auto cal_for = [&](const GpuSpec& g) { return with_overrides(catalog, g, e2); };
      Diagnostics d;
      for (const auto& row : validate_runs(doc, "<fit>", catalog, evaluator, cal_for, d).rows)
        if (auto r = log_residual(row)) side[s][row.id] = *r;
    }
    for (int i = 0; i < n; ++i)
      if (side[0].count(ids[i]) && side[1].count(ids[i])) jac(i, col) = (side[0][ids[i]] - side[1][ids[i]]) / (2 * kStep);
    ++col;
  }
  const Eigen::VectorXd r = Eigen::Map<const Eigen::VectorXd>(r0.data(), n);
  const double s2 = r.squaredNorm() / (n - p);
  // Only the groups some row depends on (a nonzero column) enter the inverse; the others keep a
  // zero variance, reported as such (their class then has no σ floor).
  std::vector<int> used;
  for (int k = 0; k < p; ++k)
    if (jac.col(k).squaredNorm() > 0) used.push_back(k);
  const int q = static_cast<int>(used.size());
  Eigen::MatrixXd jq(n, q);
  for (int k = 0; k < q; ++k) jq.col(k) = jac.col(used[k]);
  const Eigen::MatrixXd jtj = jq.transpose() * jq;
  Eigen::FullPivLU<Eigen::MatrixXd> lu(jtj);
  if (q == 0 || !lu.isInvertible()) return out;
  const Eigen::MatrixXd cov = s2 * lu.inverse();
  for (int a = 0; a < q; ++a)
    for (int b = 0; b < q; ++b) out[used[a]][used[b]] = cov(a, b);
  return out;
}

}  // namespace

FitResult fit_gemm_efficiency(const Json& doc, const Catalog& catalog, const Evaluator& evaluator) {
  FitResult out;
  out.efficiency = fit(doc, catalog, evaluator);
  Diagnostics diag;
  auto cal_all = [&](const GpuSpec& g) { return with_overrides(catalog, g, out.efficiency); };
  out.fitted = validate_runs(doc, "<fit>", catalog, evaluator, cal_all, diag);
  out.leave_one_source_out = cross_validate(doc, catalog, evaluator, out.efficiency, CrossValidation::kSource);
  out.leave_one_framework_out = cross_validate(doc, catalog, evaluator, out.efficiency, CrossValidation::kFramework);
  out.log_eta_covariance = log_eta_covariance(doc, catalog, evaluator, out.efficiency, out.fitted);
  // Per group: how many runs, and their MAPE fitted and with their source left out.
  std::map<std::string, double> loso;
  for (const auto& r : out.leave_one_source_out.rows)
    if (r.status == RowStatus::kPredicted) loso[r.id] = std::fabs(r.error_pct);
  for (const auto& r : out.fitted.rows) {
    if (r.status != RowStatus::kPredicted || !r.job) continue;
    GroupError& g = out.groups[{r.job->cluster.node.gpu.architecture, precision_class(r.job->training.precision)}];
    ++g.runs;
    g.mape_pct += std::fabs(r.error_pct);
    g.loso_mape_pct += loso.count(r.id) ? loso[r.id] : 0.0;
  }
  for (auto& [k, g] : out.groups) {
    g.mape_pct = round_decimals(g.mape_pct / g.runs, 2);
    g.loso_mape_pct = round_decimals(g.loso_mape_pct / g.runs, 2);
  }
  return out;
}

}  // namespace trainplan
