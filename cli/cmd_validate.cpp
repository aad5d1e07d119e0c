// Placeholder until the validate command lands.
#include "cli/cli_context.hpp"

namespace trainplan::cli {

void add_validate_command(CLI::App& app, CliContext& ctx) {
  auto* cmd = app.add_subcommand("validate", "(not built yet)");
  cmd->allow_extras();
  cmd->callback([&ctx] {
    std::cerr << "trainplan validate: not available in this build yet\n";
    ctx.exit_code = kExitBadInput;
  });
}

}  // namespace trainplan::cli
