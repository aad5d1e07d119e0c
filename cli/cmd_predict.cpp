// Placeholder until the predict command lands.
#include "cli/cli_context.hpp"

namespace trainplan::cli {

void add_predict_command(CLI::App& app, CliContext& ctx) {
  auto* cmd = app.add_subcommand("predict", "(not built yet)");
  cmd->allow_extras();
  cmd->callback([&ctx] {
    std::cerr << "trainplan predict: not available in this build yet\n";
    ctx.exit_code = kExitBadInput;
  });
}

}  // namespace trainplan::cli
