// trainplan validate RUNS.json [--json] [--engine analytic|sim]: predictions against measured runs.
#include <cstdio>
#include <fstream>

#include "cli/cli_context.hpp"
#include "model/analytic.hpp"
#ifdef TRAINPLAN_HAVE_SIM
#include "sim/sim_evaluator.hpp"
#endif
#include "validate/fit.hpp"
#include "validate/replan.hpp"
#include "validate/uncertainty_fit.hpp"
#include "validate/validation.hpp"

namespace trainplan::cli {

void add_validate_command(CLI::App& app, CliContext& ctx) {
  auto* cmd = app.add_subcommand("validate", "Predict every run of a validation file and compare with the measurement");
  struct Opts {
    std::string file;
    std::string engine = "analytic";
    bool json = false;
    bool fit = false;
    bool plan = false;
    int threads = 0;
    std::string uncertainty_out;
  };
  auto opts = std::make_shared<Opts>();
  cmd->add_option("RUNS", opts->file, "Validation file (schema trainplan-validation-runs/1)")->required();
  cmd->add_option("--engine", opts->engine, "analytic or sim")->check(CLI::IsMember({"analytic", "sim"}));
  cmd->add_flag("--json", opts->json, "Print one JSON document");
  cmd->add_flag("--fit", opts->fit, "Fit the GEMM efficiency per architecture to these runs and report the leave-one-source-out error");
  cmd->add_flag("--plan", opts->plan,
                "Also plan every predicted run on its own hardware and batch, and compare the best plan with the published one");
  cmd->add_option("--uncertainty-out", opts->uncertainty_out,
                  "With --fit: write the uncertainty data (bands, flag widening, validated envelope) to FILE, e.g. "
                  "configs/calibration/uncertainty.json");
  cmd->add_option("--threads", opts->threads, "Planner threads with --plan (default: all cores)")->check(CLI::Range(1, 1024));
  cmd->callback([&ctx, opts] {
    Catalog catalog = ctx.catalog();
    Diagnostics diag;
    auto doc = load_json_file(opts->file, diag);
    if (!doc) {
      print_diagnostics(diag);
      ctx.exit_code = kExitBadInput;
      return;
    }
    AnalyticEvaluator analytic;
    const Evaluator* evaluator = &analytic;
#ifdef TRAINPLAN_HAVE_SIM
    SimEvaluator sim;
    const Evaluator* predictor = opts->engine == "sim" ? &sim : nullptr;
#else
    const Evaluator* predictor = nullptr;
    if (opts->engine == "sim") {
      std::cerr << "trainplan validate: --engine sim needs the SimGrid simulator, which this build does not include\n";
      ctx.exit_code = kExitBadInput;
      return;
    }
#endif
    if (opts->fit) {
      FitResult f = fit_gemm_efficiency(*doc, catalog, *evaluator);
      const UncertaintyFit u = fit_uncertainty(f);
      Json eff = Json::object();
      for (const auto& [k, v] : f.efficiency) eff[k.architecture + "/" + precision_name(k.precision)] = v;
      Json out = {{"fitted_gemm_efficiency", eff},
                  {"fitted", report_to_json(f.fitted)["summary"]},
                  {"leave_one_source_out", report_to_json(f.leave_one_source_out)["summary"]},
                  {"leave_one_framework_out", report_to_json(f.leave_one_framework_out)["summary"]}};
      for (const auto& [name, rep] : {std::pair<const char*, const ValidationReport*>{"leave_one_source_out_rows", &f.leave_one_source_out},
                                      {"leave_one_framework_out_rows", &f.leave_one_framework_out}}) {
        Json rows = Json::object();
        for (const auto& r : rep->rows)
          if (r.status == RowStatus::kPredicted) rows[r.id] = round_decimals(r.error_pct, 2);
        out[name] = rows;
      }
      // Per group: runs and MAPE fitted and with their source left out.
      Json groups = Json::object();
      for (const auto& [k, g] : f.groups)
        groups[k.architecture + "/" + precision_name(k.precision)] = {
            {"public_runs", g.runs}, {"mape_pct", g.mape_pct}, {"leave_one_source_out_mape_pct", g.loso_mape_pct}};
      out["validated"] = groups;
      Json unc = uncertainty_to_json(u.model);
      const Json rep = uncertainty_report_json(u);
      for (auto it = rep.begin(); it != rep.end(); ++it) unc[it.key()] = *it;
      unc["source"] = "trainplan validate " + opts->file + " --fit (validate/uncertainty_fit.hpp)";
      out["uncertainty"] = unc;
      if (!opts->uncertainty_out.empty()) {
        std::ofstream file(opts->uncertainty_out);
        file << unc.dump(2) << "\n";
        if (!file) {
          std::cerr << opts->uncertainty_out << ": cannot write\n";
          ctx.exit_code = kExitBadInput;
          return;
        }
      }
      print_json(out);
      return;
    }
    auto cal_for = [&](const GpuSpec& gpu) {
      Diagnostics d;
      return load_calibration(catalog, gpu, "", d);
    };
    const auto uncertainty = load_uncertainty_or_fail(ctx, catalog);
    if (!uncertainty) return;
    ValidationReport rep = validate_runs(*doc, opts->file, catalog, *evaluator, cal_for, diag, predictor);
    if (!diag.ok()) print_diagnostics(diag);
    if (rep.rows.empty() && !diag.ok()) {
      ctx.exit_code = kExitBadInput;
      return;
    }
    std::vector<ReplanRow> replanned;
    if (opts->plan) replanned = replan_runs(rep, cal_for, {.threads = opts->threads});
    if (opts->json) {
      Json out = report_to_json(rep, &*uncertainty);
      if (opts->plan) out["planning"] = replan_to_json(replanned);
      print_json(out);
    } else {
      std::printf("%-36s %-11s %-20s %10s %10s %8s\n", "run", "status", "metric", "measured", "predicted", "error%");
      for (const auto& r : rep.rows) {
        if (r.status == RowStatus::kPredicted)
          std::printf("%-36s %-11s %-20s %10.3f %10.3f %+8.2f\n", r.id.c_str(), row_status_name(r.status), r.metric.c_str(), r.measured,
                      r.predicted, r.error_pct);
        else
          std::printf("%-36s %-11s %s\n", r.id.c_str(), row_status_name(r.status), r.reason.c_str());
      }
      std::printf("rows %zu, usable %d, predicted %d, infeasible %d, unsupported %d, unusable %d; MAPE %.2f%%, max |error| %.2f%%\n",
                  rep.rows.size(), rep.usable, rep.predicted, rep.infeasible, rep.unsupported, rep.unusable, rep.mape_pct,
                  rep.max_abs_error_pct);
      if (opts->plan) {
        std::printf("\n%-36s %14s %14s %8s  %s\n", "run", "published tok/s", "planned tok/s", "gain%", "planned plan / why");
        for (const auto& r : replanned) {
          const Json& b = r.best_plan;
          std::printf("%-36s %14.0f %14.0f %+8.2f  tp %d pp %d dp %d cp %d, %s v%d, zero %d, %s, mb %d%s\n", r.id.c_str(),
                      r.published_tokens_per_s, r.best_tokens_per_s, r.gain_pct, b.value("tp", 0), b.value("pp", 0), b.value("dp", 0),
                      b.value("cp", 0), b.value("schedule", std::string("?")).c_str(), b.value("virtual_stages", 0),
                      std::stoi(b.value("zero", std::string("0"))), b.value("recompute", std::string("?")).c_str(),
                      b.value("micro_batch", 0),
                      r.published_breaks.empty() ? "" : ("; the published plan breaks " + r.published_breaks).c_str());
          if (r.why.is_object() && r.why.contains("summary"))
            std::printf("%-36s   why: %s\n", "", r.why["summary"].get<std::string>().c_str());
        }
      }
    }
    ctx.exit_code = kExitOk;
  });
}

}  // namespace trainplan::cli
