// trainplan simulate JOB.json [--json] [--trace FILE] [--calibration FILE] [--timings] [--full-detail]:
// one training step of the plan through the SimGrid simulator (sim/simulator.hpp).
#include <cstdio>
#include <fstream>

#include "cli/cli_context.hpp"
#include "model/calibration.hpp"

#ifdef TRAINPLAN_HAVE_SIM
#include "sim/simulator.hpp"
#endif

namespace trainplan::cli {

#ifdef TRAINPLAN_HAVE_SIM
namespace {

void print_text(const JobSpec& job, const sim::SimResult& r, bool timings, const UncertaintyModel& u) {
  const Evaluation& e = r.evaluation;
  std::printf("%s on %d x %s: tp %d, pp %d, dp %d, cp %d, ep %d, micro-batch %d, %lld micro-batches (simulated)\n", job.model.name.c_str(),
              e.gpus, job.cluster.node.gpu.name.c_str(), job.plan.tp, job.plan.pp, job.plan.dp, job.plan.cp, job.plan.ep,
              job.plan.micro_batch, e.micro_batches);
  std::printf("feasible: %s\n", e.feasible ? "yes" : "no");
  for (const auto& x : e.reasons) std::printf("  %s: %s\n", reason_key(x.reason), x.detail.c_str());
  std::printf("step time        %10.3f s  (analytic %.3f s, %+.2f%%)\n", e.step_time.si(), r.analytic_step_time.si(),
              r.analytic_step_time.si() > 0 ? 100.0 * (e.step_time.si() / r.analytic_step_time.si() - 1) : 0.0);
  std::printf("tokens/s         %10.0f  (%.1f per GPU)\n", e.tokens_per_s, e.tokens_per_s_per_gpu);
  std::printf("model TFLOP/s    %10.1f per GPU  (MFU %.1f%%)\n", e.model_tflops_per_gpu, e.mfu_pct);
  print_trust(u, job, e);
  print_goodput(job, e);
  const TimeBreakdown& b = e.breakdown;
  std::printf(
      "time breakdown (s): compute %.3f, recompute %.3f, tp %.3f, cp %.3f, ep %.3f, pp %.3f, dp %.3f, bubble %.3f, optimizer %.3f, offload "
      "%.3f\n",
      b.compute.si(), b.recompute.si(), b.tp_comm.si(), b.cp_comm.si(), b.ep_comm.si(), b.pp_comm.si(), b.dp_comm.si(), b.bubble.si(),
      b.optimizer.si(), b.offload.si());
  std::printf("peak memory %.2f GiB on stage %d (analytic memory model)\n", e.peak_memory / GiB(1), e.peak_stage);
  std::printf("link utilization:\n");
  for (const auto& u : r.link_classes)
    std::printf("  %-12s %6d links  %12.3f GB  busy %5.1f%% (max %5.1f%%)  utilization %5.1f%%\n", u.cls.c_str(), u.links, u.bytes / 1e9,
                100 * u.busy_fraction, 100 * u.busy_fraction_max, 100 * u.utilization);
  std::printf("events %lld (flows %lld), actors %d, hosts %d, links %d\n", r.events, r.flows, r.actors, r.hosts, r.links);
  if (timings) std::printf("simulation wall %.2f s, peak RSS %.0f MiB\n", r.wall_s, r.peak_rss_mib);
}

}  // namespace
#endif

void add_simulate_command(CLI::App& app, CliContext& ctx) {
  auto* cmd = app.add_subcommand("simulate", "One training step of a fully specified plan through the SimGrid simulator");
  struct Opts {
    std::string job, calibration, trace;
    bool json = false, timings = false, full = false;
    int steps = 1, fail_at_step = 0;
  };
  auto opts = std::make_shared<Opts>();
  cmd->add_option("JOB", opts->job, "Job spec (JSON)")->required();
  cmd->add_option("--calibration", opts->calibration, "Calibration file (default: configs/calibration/<gpu-key>.json if present)");
  cmd->add_option("--trace", opts->trace, "Write a Chrome/Perfetto trace (JSON) of the simulated step to FILE");
  cmd->add_flag("--json", opts->json, "Print one JSON document");
  cmd->add_flag("--timings", opts->timings, "Include wall-clock figures (simulation time, memory)");
  cmd->add_flag("--full-detail", opts->full, "Simulate every rank (no symmetry reduction); small plans only");
  cmd->add_option("--steps", opts->steps, "With --trace: show a run of N steps with its checkpoints on a job track (default 1)")
      ->check(CLI::Range(1, 100000));
  cmd->add_option("--fail-at-step", opts->fail_at_step,
                  "With --steps: inject a failure half way through step K, then detection, restart, checkpoint load and replay")
      ->check(CLI::Range(1, 100000));
  cmd->callback([&ctx, opts] {
#ifndef TRAINPLAN_HAVE_SIM
    std::cerr << "trainplan simulate: this build has no simulator (SimGrid not found)\n";
    ctx.exit_code = kExitBadInput;
#else
    auto loaded = load_job_and_calibration(ctx, opts->job, opts->calibration);
    if (!loaded) return;
    const auto& [job, cal] = *loaded;
    const auto u = load_uncertainty_or_fail(ctx, ctx.catalog());
    if (!u) return;
    sim::SimOptions so;
    so.collect_trace = !opts->trace.empty();
    so.full_detail = opts->full;
    sim::SimResult r = sim::simulate(job, cal, so);
    if (!r.ok) {
      // A plan the simulator cannot run (deadlock, unsupported): infeasible, the JSON says why.
      std::cerr << "trainplan simulate: " << opts->job << ": " << r.error << "\n";
      if (opts->json) {
        Json j = {{"feasible", false},
                  {"infeasible_reasons", Json::array({{{"reason", "unsupported"}, {"detail", "simulator: " + r.error}}})},
                  {"engine", "simgrid"}};
        print_json(j);
      }
      ctx.exit_code = kExitInfeasible;
      return;
    }
    if (!opts->trace.empty()) {
      std::ofstream out(opts->trace);
      if (!out) {
        std::cerr << opts->trace << ": cannot open for writing\n";
        ctx.exit_code = kExitBadInput;
        return;
      }
      std::vector<JobPhase> phases;
      if (opts->steps > 1 || opts->fail_at_step > 0)
        phases = job_timeline(goodput(goodput_inputs(job), r.evaluation.gpus), r.evaluation.step_time,
                              std::max(opts->steps, opts->fail_at_step), opts->fail_at_step);
      sim::write_trace(r, out, phases);
      out.flush();
      if (!out) {
        std::cerr << opts->trace << ": cannot write the trace\n";
        ctx.exit_code = kExitBadInput;
        return;
      }
      std::cerr << "trace: " << opts->trace << " (" << r.trace.size() << " events" << (phases.empty() ? "" : ", job track of ")
                << (phases.empty() ? "" : std::to_string(phases.size()) + " phases") << ")\n";
    }
    if (opts->json) {
      Json j = sim::sim_result_to_json(r, opts->timings);
      add_trust_keys(*u, job, r.evaluation, j);
      add_goodput_keys(job, r.evaluation, j);
      print_json(j);
    } else {
      print_text(job, r, opts->timings, *u);
    }
    if (opts->timings) std::cerr << "simulation wall " << r.wall_s << " s, peak RSS " << r.peak_rss_mib << " MiB\n";
    ctx.exit_code = r.evaluation.feasible ? kExitOk : kExitInfeasible;
#endif
  });
}

}  // namespace trainplan::cli
