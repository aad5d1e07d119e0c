// trainplan predict JOB.json [--json] [--calibration FILE]: analytic prediction of one plan.
#include <cstdio>

#include "cli/cli_context.hpp"
#include "model/analytic.hpp"
#include "model/calibration.hpp"

namespace trainplan::cli {

namespace {

void print_text(const JobSpec& job, const Evaluation& e, const UncertaintyModel& u) {
  std::printf("%s on %d x %s: tp %d, pp %d, dp %d, cp %d, ep %d, micro-batch %d, %lld micro-batches\n", job.model.name.c_str(), e.gpus,
              job.cluster.node.gpu.name.c_str(), job.plan.tp, job.plan.pp, job.plan.dp, job.plan.cp, job.plan.ep, job.plan.micro_batch,
              e.micro_batches);
  std::printf("feasible: %s\n", e.feasible ? "yes" : "no");
  for (const auto& r : e.reasons) std::printf("  %s: %s\n", reason_key(r.reason), r.detail.c_str());
  std::printf("step time        %10.3f s\n", e.step_time.si());
  std::printf("tokens/s         %10.0f  (%.1f per GPU)\n", e.tokens_per_s, e.tokens_per_s_per_gpu);
  std::printf("model TFLOP/s    %10.1f per GPU  (MFU %.1f%%)\n", e.model_tflops_per_gpu, e.mfu_pct);
  std::printf("hardware TFLOP/s %10.1f per GPU  (HFU %.1f%%)\n", e.hardware_tflops_per_gpu, e.hfu_pct);
  print_trust(u, job, e);
  print_goodput(job, e);
  const TimeBreakdown& b = e.breakdown;
  std::printf(
      "time breakdown (s): compute %.3f, recompute %.3f, tp %.3f, cp %.3f, ep %.3f, pp %.3f, dp %.3f, bubble %.3f, optimizer %.3f, offload "
      "%.3f\n",
      b.compute.si(), b.recompute.si(), b.tp_comm.si(), b.cp_comm.si(), b.ep_comm.si(), b.pp_comm.si(), b.dp_comm.si(), b.bubble.si(),
      b.optimizer.si(), b.offload.si());
  std::printf("peak memory %.2f GiB on stage %d of %.0f GiB\n", e.peak_memory / GiB(1), e.peak_stage, job.cluster.node.gpu.memory / GiB(1));
  for (int i = 0; i < e.pp; ++i) {
    if (i > 1 && i < e.pp - 1) continue;
    const StageMemory& m = e.stage(i);
    std::printf("  stage %d%s: %.2f GiB (weights %.2f, grads %.2f, optimizer %.2f, activations %.2f, buffers %.2f, framework %.2f)\n", i,
                (i == 1 && e.pp > 3) ? ".." : "", m.total() / GiB(1), m.weights / GiB(1), m.gradients / GiB(1), m.optimizer / GiB(1),
                m.activations / GiB(1), m.comm_buffers / GiB(1), (m.framework + m.fragmentation) / GiB(1));
  }
}

}  // namespace

void add_predict_command(CLI::App& app, CliContext& ctx) {
  auto* cmd = app.add_subcommand("predict", "Analytic prediction of one fully specified plan");
  struct Opts {
    std::string job;
    std::string calibration;
    bool json = false;
  };
  auto opts = std::make_shared<Opts>();
  cmd->add_option("JOB", opts->job, "Job spec (JSON)")->required();
  cmd->add_option("--calibration", opts->calibration, "Calibration file (default: configs/calibration/<gpu-key>.json if present)");
  cmd->add_flag("--json", opts->json, "Print one JSON document");
  cmd->callback([&ctx, opts] {
    auto loaded = load_job_and_calibration(ctx, opts->job, opts->calibration);
    if (!loaded) return;
    const auto& [job, cal] = *loaded;
    auto u = load_uncertainty_or_fail(ctx, ctx.catalog());
    if (!u) return;
    Evaluation e = AnalyticEvaluator().evaluate(job, cal);
    if (opts->json) {
      Json j = evaluation_to_json(e);
      add_trust_keys(*u, job, e, j);
      add_goodput_keys(job, e, j);
      print_json(j);
    } else {
      print_text(job, e, *u);
    }
    ctx.exit_code = e.feasible ? kExitOk : kExitInfeasible;
  });
}

}  // namespace trainplan::cli
