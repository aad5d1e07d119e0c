// trainplan import --format megatron|deepspeed FILE... [-o JOB.json] [--cluster KEY] [--model KEY|FILE]
// [--gpus N] [--seq-length N]: a Megatron argument list / launch script or a DeepSpeed config (+ launch
// line, hostfile) back into a job file (planner/export/import.hpp). The job written is checked by
// reading it back as every command does; problems exit 2.
#include <filesystem>
#include <fstream>
#include <sstream>

#include <unistd.h>

#include "cli/cli_context.hpp"
#include "planner/export/import.hpp"

namespace trainplan::cli {

namespace fs = std::filesystem;

namespace {

std::optional<std::string> read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

void add_import_command(CLI::App& app, CliContext& ctx) {
  auto* cmd = app.add_subcommand("import", "Turn a Megatron-LM argument list or a DeepSpeed config into a job file");
  struct Opts {
    std::string format;
    std::vector<std::string> files;
    std::string out;
    std::string cluster = "dgx-h100-superpod";
    std::string model;
    int gpus = 0;
    int seq_length = 0;
  };
  auto opts = std::make_shared<Opts>();
  cmd->add_option("--format", opts->format, "megatron or deepspeed")->required()->check(CLI::IsMember({"megatron", "deepspeed"}));
  cmd->add_option("FILE", opts->files, "Megatron flags/script; or ds_config.json [launch.sh] [hostfile]")->required();
  cmd->add_option("-o,--out", opts->out, "Job file to write (default: stdout)");
  cmd->add_option("--cluster", opts->cluster, "Cluster catalog key for the job (default dgx-h100-superpod)");
  cmd->add_option("--model", opts->model, "Model catalog key or model JSON file (required for DeepSpeed without Megatron shape flags)");
  cmd->add_option("--gpus", opts->gpus,
                  "World size (wins over the launch line's node and GPU counts, which scripts often leave to the scheduler)")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--seq-length", opts->seq_length, "Sequence length when the files do not give it")->check(CLI::PositiveNumber);
  cmd->callback([&ctx, opts] {
    Catalog catalog = ctx.catalog();
    Diagnostics diag;
    exporter::ImportOptions options;
    options.cluster = opts->cluster;
    Json cluster_key = opts->cluster;
    ClusterSpec cluster = read_cluster(Node{&cluster_key, "--cluster", "", &diag}, catalog);
    options.gpus_per_node = cluster.node.gpus_per_node;
    if (opts->gpus > 0) options.gpus = opts->gpus;
    if (opts->seq_length > 0) options.sequence_length = opts->seq_length;
    if (!opts->model.empty()) {
      if (fs::is_regular_file(opts->model)) {
        if (auto m = load_json_file(fs::absolute(opts->model).string(), diag)) options.model = *m;
      } else if (catalog.find("models", opts->model)) {
        options.model = Json(opts->model);
      } else {
        diag.add("--model", "", "expected a model catalog key or a model JSON file (got \"" + opts->model + "\")");
      }
    }
    std::vector<exporter::InputFile> inputs;
    for (const auto& f : opts->files) {
      auto text = read_text(f);
      if (!text)
        diag.add(f, "", "cannot open file");
      else
        inputs.push_back({f, *text});
    }
    if (!diag.ok()) {
      print_diagnostics(diag);
      ctx.exit_code = kExitBadInput;
      return;
    }
    exporter::ImportResult r =
        opts->format == "megatron" ? exporter::import_megatron(inputs, options) : exporter::import_deepspeed(inputs, options);
    for (const auto& w : r.warnings) std::cerr << "warning: " << w << "\n";
    if (!r.ok()) {
      for (const auto& e : r.errors) std::cerr << e << "\n";
      ctx.exit_code = kExitBadInput;
      return;
    }
    const std::string text = exporter::job_to_json(*r.job, options).dump(2) + "\n";
    // Check the job as every command reads it (unknown keys, plan against model and cluster).
    const fs::path check =
        opts->out.empty() ? fs::temp_directory_path() / ("trainplan-import-" + std::to_string(::getpid()) + ".json") : fs::path(opts->out);
    {
      std::ofstream out(check, std::ios::binary);
      out << text;
      if (!out) {
        std::cerr << check.string() << ": cannot write\n";
        ctx.exit_code = kExitBadInput;
        return;
      }
    }
    auto job = load_job_file(check.string(), catalog, diag);
    if (opts->out.empty()) {
      std::error_code ec;
      fs::remove(check, ec);
      std::cout << text;
    }
    if (!job) {
      print_diagnostics(diag);
      ctx.exit_code = kExitBadInput;
      return;
    }
    if (!opts->out.empty()) std::cerr << "wrote " << opts->out << "\n";
    ctx.exit_code = kExitOk;
  });
}

}  // namespace trainplan::cli
