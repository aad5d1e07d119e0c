// The text form of a prediction's 80 % band and extrapolation flags (model/uncertainty.hpp), shared
// by predict and simulate.
#include <cstdio>

#include "cli/cli_context.hpp"

namespace trainplan::cli {

void print_trust(const UncertaintyModel& u, const JobSpec& job, const Evaluation& e) {
  std::vector<std::string> flags;
  const int n = extrapolation(u, job, e, &flags);
  if (u.loaded && e.feasible) {
    const PredictionInterval b = prediction_interval(u, job, e, n);
    std::printf("80%% band         %10.3f - %.3f s, %.0f - %.0f tokens/s (%s)\n", b.step_lo, b.step_hi, b.tokens_lo, b.tokens_hi, b.basis.c_str());
  }
  if (flags.empty()) std::printf("extrapolation: none (every feature, degree, GPU and framework of the plan is covered by a validated run)\n");
  for (const auto& f : flags) std::printf("extrapolation: %s\n", f.c_str());
}

}  // namespace trainplan::cli
