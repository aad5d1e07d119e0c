// trainplan export JOB.json --format megatron|deepspeed|torchtitan|nemo [-o DIR] [--json]:
// launch configs for the job's plan (planner/export). Refusal -> exit 1 with the reasons.
#include <filesystem>
#include <fstream>

#include "cli/cli_context.hpp"
#include "planner/export/export.hpp"

namespace trainplan::cli {

namespace fs = std::filesystem;

void add_export_command(CLI::App& app, CliContext& ctx) {
  auto* cmd = app.add_subcommand("export", "Write launch configs for a job's plan (Megatron-LM, DeepSpeed, torchtitan, NeMo)");
  struct Opts {
    std::string job;
    std::string format;
    std::string out_dir;
    bool json = false;
  };
  auto opts = std::make_shared<Opts>();
  cmd->add_option("JOB", opts->job, "Job spec (JSON)")->required();
  cmd->add_option("--format", opts->format, exporter::format_list())->required()->check(CLI::IsMember(exporter::format_names()));
  cmd->add_option("-o,--out", opts->out_dir, "Output folder (default ./export-<format>)");
  cmd->add_flag("--json", opts->json, "Print one JSON document: {format, files} or {format, refused, reasons}");
  cmd->callback([&ctx, opts] {
    const auto format = exporter::find_format(opts->format);
    Catalog catalog = ctx.catalog();
    Diagnostics diag;
    auto job = load_job_file(opts->job, catalog, diag);
    if (!job || !format) {
      print_diagnostics(diag);
      ctx.exit_code = kExitBadInput;
      return;
    }
    exporter::ExportResult r = exporter::export_job(*job, *format);
    for (const auto& note : r.notes) std::cerr << "note: " << note << "\n";
    if (r.refused()) {
      for (const auto& why : r.reasons) std::cerr << "trainplan export: " << opts->format << " cannot run this plan: " << why << "\n";
      if (opts->json) print_json(Json{{"format", opts->format}, {"refused", true}, {"reasons", r.reasons}});
      ctx.exit_code = kExitInfeasible;
      return;
    }
    const fs::path dir = opts->out_dir.empty() ? fs::path("export-" + opts->format) : fs::path(opts->out_dir);
    std::string error;
    const std::vector<std::string> written = exporter::write_export(r, dir.string(), error);
    if (!error.empty()) {
      std::cerr << error << "\n";
      ctx.exit_code = kExitBadInput;
      return;
    }
    const Json files = written;
    if (!opts->json)
      for (const auto& path : written) std::cout << "wrote " << path << "\n";
    if (opts->json) print_json(Json{{"format", opts->format}, {"files", files}});
    ctx.exit_code = kExitOk;
  });
}

}  // namespace trainplan::cli
