// trainplan: plans, predicts and simulates distributed LLM training. See README.md.
#include <CLI/CLI.hpp>

#include <iostream>
#include <string>

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
  // A missing folder would list no catalog keys at all ("expected one of" nothing): refuse it here.
  app.add_option("--config-dir", ctx.config_dir, "Catalog folder (default: $TRAINPLAN_CONFIG_DIR or the source tree's configs/)")
      ->check(CLI::ExistingDirectory);
  add_predict_command(app, ctx);
  add_validate_command(app, ctx);
  add_plan_command(app, ctx);
  add_simulate_command(app, ctx);
  add_export_command(app, ctx);
  add_import_command(app, ctx);
  add_sweep_command(app, ctx);
  // CLI11 reports a mistyped command as "A subcommand is required": name it and the commands.
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--config-dir") {
      ++i;
      continue;
    }
    if (a.starts_with("-")) continue;
    bool known = false;
    std::string names;
    for (const CLI::App* sub : app.get_subcommands([](const CLI::App*) { return true; })) {
      known = known || sub->get_name() == a;
      names += (names.empty() ? "" : ", ") + sub->get_name();
    }
    if (!known) {
      std::cerr << "trainplan: unknown command \"" << a << "\"; expected one of " << names << "\n";
      return kExitBadInput;
    }
    break;
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : kExitBadInput;
  }
  return ctx.exit_code;
}
