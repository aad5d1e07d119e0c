// Placeholder until the import command lands: registers the subcommand and refuses with a clear message.
#include "cli/cli_context.hpp"

namespace trainplan::cli {

void add_import_command(CLI::App& app, CliContext& ctx) {
  auto* cmd = app.add_subcommand("import", "(not built yet)");
  cmd->allow_extras();
  cmd->callback([&ctx] {
    std::cerr << "trainplan import: not available in this build yet\n";
    ctx.exit_code = kExitBadInput;
  });
}

}  // namespace trainplan::cli
