// Shared pieces of the trainplan command-line tool: the catalog, output conventions and exit codes.
//
// Exit status (contract.md): 0 success; 1 the job is infeasible (the JSON says why); 2 bad input,
// with one message per problem on stderr naming the file, the JSON path and what was expected.
#pragma once

#include <CLI/CLI.hpp>

#include <iostream>
#include <optional>
#include <string>
#include <utility>

#include "model/calibration.hpp"
#include "model/json_reader.hpp"
#include "model/spec/catalog.hpp"
#include "model/uncertainty.hpp"

namespace trainplan::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitInfeasible = 1;
inline constexpr int kExitBadInput = 2;

struct CliContext {
  std::string config_dir;  // empty: Catalog::from_default_dir()
  int exit_code = kExitOk;
  [[nodiscard]] Catalog catalog() const { return config_dir.empty() ? Catalog::from_default_dir() : Catalog(config_dir); }
};

inline void print_diagnostics(const Diagnostics& diag) {
  for (const auto& d : diag.items()) std::cerr << d.to_string() << "\n";
}

// A job file and its calibration (`calibration`: an explicit file, or "" for the GPU's default).
// On bad input prints one message per problem, sets exit status 2 and returns nullopt.
inline std::optional<std::pair<JobSpec, Calibration>> load_job_and_calibration(CliContext& ctx, const std::string& job_file,
                                                                               const std::string& calibration) {
  const Catalog catalog = ctx.catalog();
  Diagnostics diag;
  auto job = load_job_file(job_file, catalog, diag);
  Calibration cal;
  if (job) cal = load_calibration(catalog, job->cluster.node.gpu, calibration, diag);
  if (!job || !diag.ok()) {
    print_diagnostics(diag);
    ctx.exit_code = kExitBadInput;
    return std::nullopt;
  }
  return std::make_pair(std::move(*job), std::move(cal));
}

// The uncertainty data of the catalog (configs/calibration/uncertainty.json). A file that exists
// but is broken is bad input (exit 2, messages printed, nullopt); a missing one gives a model whose
// predictions say that nothing validates them.
inline std::optional<UncertaintyModel> load_uncertainty_or_fail(CliContext& ctx, const Catalog& catalog) {
  Diagnostics diag;
  UncertaintyModel u = load_uncertainty(catalog, diag);
  if (!diag.ok()) {
    print_diagnostics(diag);
    ctx.exit_code = kExitBadInput;
    return std::nullopt;
  }
  return u;
}

// The text form of a prediction's band and extrapolation flags.
void print_trust(const UncertaintyModel& u, const JobSpec& job, const Evaluation& e);
// The job's goodput (model/goodput.hpp) and what it does to time-to-train (with a token budget)
// and cost (with a GPU price): "goodput", "time_to_train_days", "usd_per_million_tokens", "usd".
void add_goodput_keys(const JobSpec& job, const Evaluation& e, Json& out);
void print_goodput(const JobSpec& job, const Evaluation& e);

// Prints a JSON document on stdout, the only thing there under --json.
inline void print_json(const Json& j) { std::cout << j.dump(2) << "\n"; }

// Each subcommand lives in its own cmd_<name>.cpp and registers itself here.
void add_predict_command(CLI::App& app, CliContext& ctx);
void add_validate_command(CLI::App& app, CliContext& ctx);
void add_plan_command(CLI::App& app, CliContext& ctx);
void add_simulate_command(CLI::App& app, CliContext& ctx);
void add_export_command(CLI::App& app, CliContext& ctx);
void add_import_command(CLI::App& app, CliContext& ctx);
void add_sweep_command(CLI::App& app, CliContext& ctx);

}  // namespace trainplan::cli
