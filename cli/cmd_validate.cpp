// trainplan validate RUNS.json [--json] [--engine analytic|sim]: predictions against measured runs.
#include <cstdio>

#include "cli/cli_context.hpp"
#include "model/analytic.hpp"
#ifdef TRAINPLAN_HAVE_SIM
#include "sim/sim_evaluator.hpp"
#endif
#include "validate/fit.hpp"
#include "validate/validation.hpp"

namespace trainplan::cli {

void add_validate_command(CLI::App& app, CliContext& ctx) {
  auto* cmd = app.add_subcommand("validate", "Predict every run of a validation file and compare with the measurement");
  struct Opts {
    std::string file;
    std::string engine = "analytic";
    bool json = false;
    bool fit = false;
  };
  auto opts = std::make_shared<Opts>();
  cmd->add_option("RUNS", opts->file, "Validation file (schema trainplan-validation-runs/1)")->required();
  cmd->add_option("--engine", opts->engine, "analytic or sim")->check(CLI::IsMember({"analytic", "sim"}));
  cmd->add_flag("--json", opts->json, "Print one JSON document");
  cmd->add_flag("--fit", opts->fit, "Fit the GEMM efficiency per architecture to these runs and report the leave-one-source-out error");
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
      Json eff = Json::object();
      for (const auto& [k, v] : f.efficiency) eff[k.architecture + "/" + precision_name(k.precision)] = v;
      Json out = {{"fitted_gemm_efficiency", eff},
                  {"fitted", report_to_json(f.fitted)["summary"]},
                  {"leave_one_source_out", report_to_json(f.leave_one_source_out)["summary"]}};
      Json loso = Json::object();
      for (const auto& r : f.leave_one_source_out.rows)
        if (r.status == RowStatus::kPredicted) loso[r.id] = std::round(r.error_pct * 100) / 100;
      out["leave_one_source_out_rows"] = loso;
      print_json(out);
      return;
    }
    auto cal_for = [&](const GpuSpec& gpu) {
      Diagnostics d;
      return load_calibration(catalog, gpu, "", d);
    };
    ValidationReport rep = validate_runs(*doc, opts->file, catalog, *evaluator, cal_for, diag, predictor);
    if (!diag.ok()) print_diagnostics(diag);
    if (rep.rows.empty() && !diag.ok()) {
      ctx.exit_code = kExitBadInput;
      return;
    }
    if (opts->json) {
      print_json(report_to_json(rep));
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
    }
    ctx.exit_code = kExitOk;
  });
}

}  // namespace trainplan::cli
