// The text form of a prediction's 80 % band and extrapolation flags (model/uncertainty.hpp), shared
// by predict and simulate.
#include <cstdio>

#include "cli/cli_context.hpp"
#include "model/goodput.hpp"

namespace trainplan::cli {

void print_trust(const UncertaintyModel& u, const JobSpec& job, const Evaluation& e) {
  std::vector<std::string> flags;
  const int n = extrapolation(u, job, e, &flags);
  if (u.loaded && e.feasible) {
    const PredictionInterval b = prediction_interval(u, job, e, n);
    std::printf("80%% band         %10.3f - %.3f s, %.0f - %.0f tokens/s (%s)\n", b.step_lo, b.step_hi, b.tokens_lo, b.tokens_hi,
                b.basis.c_str());
  }
  if (flags.empty())
    std::printf("extrapolation: none (every feature, degree, GPU and framework of the plan is covered by a validated run)\n");
  for (const auto& f : flags) std::printf("extrapolation: %s\n", f.c_str());
}

namespace {
struct WallFigures {
  Goodput g;
  double useful_tokens_per_s = 0;
  double days = 0;                   // 0: no token budget
  double usd_per_mtok = 0, usd = 0;  // 0: no price
};
WallFigures wall_figures(const JobSpec& job, const Evaluation& e) {
  WallFigures w;
  w.g = goodput(goodput_inputs(job), e.gpus);
  w.useful_tokens_per_s = e.tokens_per_s * w.g.fraction;
  if (w.useful_tokens_per_s <= 0) return w;
  if (job.training.token_budget > 0) w.days = job.training.token_budget / w.useful_tokens_per_s / 86400;
  const double price = job.cluster.node.gpu.price_usd_per_hour.value_or(0.0);
  if (price > 0) {
    w.usd_per_mtok = e.gpus * price / 3600 / w.useful_tokens_per_s * 1e6;
    if (w.days > 0) w.usd = w.days * 24 * e.gpus * price;
  }
  return w;
}
}  // namespace

void add_goodput_keys(const JobSpec& job, const Evaluation& e, Json& out) {
  if (!e.feasible) return;
  const WallFigures w = wall_figures(job, e);
  out["goodput"] = goodput_json(w.g);
  auto r = [](double v) { return round_significant(v, 6); };
  if (w.days > 0) out["time_to_train_days"] = r(w.days);
  if (w.usd_per_mtok > 0) out["usd_per_million_tokens"] = r(w.usd_per_mtok);
  if (w.usd > 0) out["usd"] = r(w.usd);
}

void print_goodput(const JobSpec& job, const Evaluation& e) {
  if (!e.feasible) return;
  const WallFigures w = wall_figures(job, e);
  const Goodput& g = w.g;
  std::printf(
      "goodput          %9.1f%%  (%.2f failures a day, MTBF %.1f h; %.2f TB checkpoint every %.0f s, %s; %.1f s stall; recovery %.0f s)\n",
      100 * g.fraction, g.failures_per_day, g.mtbf.si() / 3600, g.checkpoint_bytes / 1e12, g.interval.si(), g.interval_label(),
      g.checkpoint_stall.si(), g.recovery.si());
  std::printf("  lost to: checkpoints %.2f%%, work since the last checkpoint %.2f%%, recovery %.2f%%\n", 100 * g.checkpoint_share,
              100 * g.lost_work_share, 100 * g.recovery_share);
  if (w.days > 0) std::printf("time to train    %9.1f days for %.3g tokens (goodput included)\n", w.days, job.training.token_budget);
  if (w.usd_per_mtok > 0) std::printf("cost             %9.2f USD per million tokens (goodput included)\n", w.usd_per_mtok);
}

}  // namespace trainplan::cli
