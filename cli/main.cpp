// trainplan: plans, predicts and simulates distributed LLM training. See README.md.
#include <CLI/CLI.hpp>

#include "cli/cli_context.hpp"

#ifndef TRAINPLAN_VERSION
#define TRAINPLAN_VERSION "0.0.0"
#endif

int main(int argc, char** argv) {
  using namespace trainplan::cli;
  CLI::App app{"trainplan: plan, predict and simulate distributed training of large language models"};
  app.set_version_flag("--version", std::string("trainplan ") + TRAINPLAN_VERSION);
  app.require_subcommand(1);
  CliContext ctx;
  app.add_option("--config-dir", ctx.config_dir, "Catalog folder (default: $TRAINPLAN_CONFIG_DIR or the source tree's configs/)");
  add_predict_command(app, ctx);
  add_validate_command(app, ctx);
  add_plan_command(app, ctx);
  add_simulate_command(app, ctx);
  add_export_command(app, ctx);
  add_import_command(app, ctx);
  add_sweep_command(app, ctx);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : kExitBadInput;
  }
  return ctx.exit_code;
}
