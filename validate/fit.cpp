#include "validate/fit.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <set>

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

// The runs of `doc` whose source is (or is not) `source`.
Json filter_runs(const Json& doc, const std::string& source, bool keep) {
  Json out = doc;
  out["runs"] = Json::array();
  for (const auto& r : doc["runs"])
    if (((r.contains("source_id") && r["source_id"].is_string() ? r["source_id"].get<std::string>() : std::string()) == source) == keep) out["runs"].push_back(r);
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
  // fastest completion, which may use features the run's software lacked) is confounded with η.
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
        if (row.status == RowStatus::kPredicted) sum += std::fabs(row.error_pct), ++n;
        else if (row.status == RowStatus::kInfeasible) sum += 100, ++n;
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
// defaults, which were fitted on that very source: it takes the value the same architecture's
// other precision class was fitted to, else the same class on the nearest GPU generation (the
// rule the shipped defaults use for Blackwell, which no public run covers).
void transfer_missing(std::map<FitKey, double>& eff, const std::map<FitKey, double>& all_groups) {
  static const std::vector<std::string> generations = {"volta", "ampere", "hopper", "blackwell"};
  auto gen = [&](const std::string& a) { return std::find(generations.begin(), generations.end(), a) - generations.begin(); };
  const auto fitted = eff;
  for (const auto& [key, unused] : all_groups) {
    (void)unused;
    if (fitted.count(key)) continue;
    const FitKey* best = nullptr;
    long best_rank = 0;
    for (const auto& [k, v] : fitted) {
      (void)v;
      // Rank: same architecture first, then same precision class by generation distance.
      long rank;
      if (k.architecture == key.architecture) rank = 0;
      else if (k.precision == key.precision) rank = 1 + std::labs(static_cast<long>(gen(k.architecture) - gen(key.architecture)));
      else continue;
      if (!best || rank < best_rank) best = &k, best_rank = rank;
    }
    if (best) eff[key] = fitted.at(*best);
  }
}

}  // namespace

FitResult fit_gemm_efficiency(const Json& doc, const Catalog& catalog, const Evaluator& evaluator) {
  FitResult out;
  out.efficiency = fit(doc, catalog, evaluator);
  Diagnostics diag;
  auto cal_all = [&](const GpuSpec& g) { return with_overrides(catalog, g, out.efficiency); };
  out.fitted = validate_runs(doc, "<fit>", catalog, evaluator, cal_all, diag);
  std::set<std::string> sources;
  for (const auto& r : doc["runs"]) sources.insert(r.contains("source_id") && r["source_id"].is_string() ? r["source_id"].get<std::string>() : std::string());
  for (const auto& src : sources) {
    auto eff = fit(filter_runs(doc, src, false), catalog, evaluator);
    transfer_missing(eff, out.efficiency);
    auto cal_for = [&](const GpuSpec& g) { return with_overrides(catalog, g, eff); };
    ValidationReport held = validate_runs(filter_runs(doc, src, true), "<fit>", catalog, evaluator, cal_for, diag);
    for (auto& row : held.rows) out.leave_one_source_out.rows.push_back(std::move(row));
  }
  summarize(out.leave_one_source_out);
  // Per group: how many runs, and their MAPE fitted and with their source left out.
  std::map<std::string, double> loso;
  for (const auto& r : out.leave_one_source_out.rows)
    if (r.status == RowStatus::kPredicted) loso[r.id] = std::fabs(r.error_pct);
  for (const auto& r : out.fitted.rows) {
    if (r.status != RowStatus::kPredicted || !r.job) continue;
    ValidatedError& g = out.groups[{r.job->cluster.node.gpu.architecture, precision_class(r.job->training.precision)}];
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
