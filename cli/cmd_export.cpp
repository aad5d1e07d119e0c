// Placeholder until the export command lands: registers the subcommand and refuses with a clear message.
#include "cli/cli_context.hpp"

namespace trainplan::cli {

void add_export_command(CLI::App& app, CliContext& ctx) {
  auto* cmd = app.add_subcommand("export", "(not built yet)");
  cmd->allow_extras();
  cmd->callback([&ctx] {
    std::cerr << "trainplan export: not available in this build yet\n";
    ctx.exit_code = kExitBadInput;
  });
}

}  // namespace trainplan::cli
