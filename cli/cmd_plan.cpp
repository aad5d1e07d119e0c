// trainplan plan PROBLEM.json [--top N] [--objective throughput|cost|time-to-train|fewest-gpus]
//   [--csv FILE] [--export FORMAT -o DIR] [--simulate-top K] [--threads N] [--time-limit S]
//   [--json] [--timings] [--exhaustive] [--calibration FILE]
// Searches the plan space of a problem (planner/search/problem.hpp describes the file).
#include <unistd.h>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>

#include "cli/cli_context.hpp"
#include "model/analytic.hpp"
#include "model/calibration.hpp"
#include "planner/search/explain.hpp"
#include "planner/search/problem.hpp"
#include "planner/search/report.hpp"
#include "planner/search/rerank.hpp"
#include "planner/search/search.hpp"

#if defined(TRAINPLAN_HAVE_SIM) && __has_include("sim/sim_evaluator.hpp")
#include "sim/sim_evaluator.hpp"
#define TRAINPLAN_PLAN_SIM 1
#endif
#if __has_include("planner/export/export.hpp")
#include "planner/export/export.hpp"
#define TRAINPLAN_PLAN_EXPORT 1
#endif

namespace trainplan::cli {

namespace {

struct PlanOpts {
  std::string problem;
  std::string calibration;
  std::string objective = "throughput";
  std::string csv;
  std::string export_format;
  std::string out_dir;
  int top = 10;
  int simulate_top = 0;
  int threads = 0;
  double time_limit = 0;
  bool json = false;
  bool timings = false;
  bool exhaustive = false;
  std::string ranking = "estimate";
  bool within_envelope = false;
};

#ifdef TRAINPLAN_PLAN_EXPORT
std::string plan_summary(const planner::Candidate& c) {
  const PlanSpec& p = c.plan;
  char buf[256];
  std::snprintf(buf, sizeof buf, "tp %d, pp %d%s, dp %d, cp %d, ep %d, zero %d, recompute %s, micro-batch %d, %s schedule: %.0f tokens/s",
                p.tp, p.pp, p.virtual_stages > 1 ? (" x " + std::to_string(p.virtual_stages) + " virtual").c_str() : "", p.dp, p.cp, p.ep,
                p.zero, recompute_name(p.recompute), p.micro_batch, schedule_name(p.schedule), c.tokens_per_s);
  return buf;
}

// Writes the best plan the framework can express: the winner when its export is accepted, else the
// best-ranked plan whose export is (from the reported top, else from a second search that keeps only
// exportable plans), saying which and why on stderr. Returns the exit status.
int export_best(const planner::PlanProblem& problem, const Calibration& cal, planner::SearchOptions so, const planner::SearchResult& result,
                exporter::ExportFormat format, const std::string& dir) {
  const char* name = exporter::format_name(format);
  auto export_of = [&](const planner::Candidate& c) {
    return exporter::export_job(planner::make_job(problem, c.plan, c.global_batch), format);
  };
  const planner::Candidate& winner = result.top.front();
  exporter::ExportResult ex = export_of(winner);
  std::optional<planner::Candidate> chosen;
  int rank = 1;
  if (!ex.refused()) {
    chosen = winner;
  } else {
    std::cerr << "export: the best plan (rank 1: " << plan_summary(winner) << ") cannot be written for " << name << ":\n";
    for (const auto& why : ex.reasons) std::cerr << "  " << why << "\n";
    for (size_t i = 1; i < result.top.size() && !chosen; ++i) {
      exporter::ExportResult e = export_of(result.top[i]);
      if (!e.refused()) {
        chosen = result.top[i];
        rank = static_cast<int>(i) + 1;
        ex = std::move(e);
      }
    }
    if (!chosen) {  // none of the reported plans: search again, keeping only plans the export writes
      so.top = 1;
      so.csv = nullptr;
      so.progress = {};
      so.accept = [format](const JobSpec& job) { return !exporter::export_job(job, format).refused(); };
      planner::SearchResult again = planner::run_search(problem, cal, so);
      if (again.top.empty()) {
        std::cerr << "export refused: no plan of this problem can be written for " << name << "\n";
        return kExitInfeasible;
      }
      chosen = again.top.front();
      rank = 0;
      ex = export_of(*chosen);
    }
    const double loss = 100.0 * (1.0 - chosen->tokens_per_s / winner.tokens_per_s);
    std::fprintf(
        stderr, "export: wrote instead the best plan %s can express (%s): %s, %.1f%% below the best plan\n", name,
        rank > 0 ? ("rank " + std::to_string(rank) + " above").c_str() : "outside the reported top, from a search of exportable plans",
        plan_summary(*chosen).c_str(), loss);
  }
  std::string error;
  exporter::write_export(ex, dir, error);
  if (!error.empty()) {
    std::cerr << error << "\n";
    return kExitBadInput;
  }
  for (const auto& n : ex.notes) std::cerr << "export note: " << n << "\n";
  return kExitOk;
}
#endif

void print_text(const planner::PlanProblem& problem, const Json& report) {
  std::printf("%s on up to %d x %s: %lld plans evaluated, %lld feasible%s\n", problem.model.name.c_str(), problem.max_gpus(),
              problem.cluster.node.gpu.name.c_str(), report["evaluated"].get<long long>(), report["feasible"].get<long long>(),
              report["complete"].get<bool>() ? "" : " (stopped by the time limit: best so far)");
  if (report["skipped"].contains("bound"))
    std::printf("  skipped, step-time bound cannot reach the top %zu: %lld\n", report["plans"].size(),
                report["skipped"]["bound"].get<long long>());
  for (auto it = report["infeasible_by_reason"].begin(); it != report["infeasible_by_reason"].end(); ++it)
    std::printf("  infeasible, %s: %lld\n", it.key().c_str(), it->get<long long>());
  std::printf("%-4s %-6s %-4s %-3s %-14s %-5s %-3s %-4s %-5s %-10s %-3s %-6s %10s %8s %7s %9s\n", "rank", "gpus", "tp", "sp", "pp", "dp",
              "cp", "ep", "zero", "recompute", "mb", "sched", "tokens/s", "step_s", "mfu%", "mem_GiB");
  for (const auto& p : report["plans"]) {
    const Json& k = p["plan"];
    std::string pp = std::to_string(k["pp"].get<int>());
    if (k.contains("first_stage_layers"))
      pp += "(" + std::to_string(k["first_stage_layers"].get<int>()) + "/" + std::to_string(k.value("last_stage_layers", 0)) + ")";
    std::string sched = k["schedule"].get<std::string>();
    if (k["virtual_stages"].get<int>() > 1) sched = "v" + std::to_string(k["virtual_stages"].get<int>());
    std::printf("%-4d %-6d %-4d %-3s %-14s %-5d %-3d %-4d %-5s %-10s %-3d %-6s %10.0f %8.3f %7.1f %9.1f\n", p["rank"].get<int>(),
                p["gpus"].get<int>(), k["tp"].get<int>(), k["sequence_parallel"].get<bool>() ? "on" : "off", pp.c_str(), k["dp"].get<int>(),
                k["cp"].get<int>(), k["ep"].get<int>(), k["zero"].get<std::string>().c_str(), k["recompute"].get<std::string>().c_str(),
                k["micro_batch"].get<int>(), sched.c_str(), p["tokens_per_s"].get<double>(), p["step_time_s"].get<double>(),
                p["mfu_pct"].get<double>(), p["peak_memory_gib"].get<double>());
    if (p.contains("interval") && p["interval"].is_object())
      std::printf("     80%% band: %.0f-%.0f tokens/s%s\n", p["interval"]["tokens_per_s"][0].get<double>(),
                  p["interval"]["tokens_per_s"][1].get<double>(), p["extrapolation"].empty() ? ", inside the validated envelope" : "");
    for (const auto& f : p.value("extrapolation", Json::array())) std::printf("     extrapolation: %s\n", f.get<std::string>().c_str());
  }
  if (!report["plans"].empty() && report["plans"][0]["objective"].contains("goodput")) {
    const Json& o = report["plans"][0]["objective"];
    const Json& g = o["goodput"];
    char days[64] = "";
    if (o.contains("days")) std::snprintf(days, sizeof days, "; %.1f days to train", o["days"].get<double>());
    std::printf(
        "winner's goodput %.1f%% (%.2f failures a day; a %.2f TB checkpoint every %.0f s; lost: checkpoints %.2f%%, work %.2f%%, "
        "recovery %.2f%%)%s%s\n",
        100 * g["fraction"].get<double>(), g["failures_per_day"].get<double>(), g["checkpoint_tb"].get<double>(),
        g["checkpoint_interval_s"].get<double>(), 100 * g["terms"]["checkpoints"].get<double>(),
        100 * g["terms"]["lost_work"].get<double>(), 100 * g["terms"]["recovery"].get<double>(), days,
        "; time-to-train and cost include it");
  }
  if (report["explanation"].contains("summary")) std::printf("why: %s\n", report["explanation"]["summary"].get<std::string>().c_str());
  std::printf("pareto front: %zu plans (throughput, memory headroom, GPUs, cost)%s; use --json to see them\n", report["pareto"].size(),
              report.value("pareto_scope", std::string("all")) == "all" ? "" : " of the evaluated plans (--exhaustive: of all plans)");
}

// --export FORMAT needs a known format, -o DIR and the export library; false after saying why.
bool export_options_ok(const PlanOpts& o) {
  if (!o.export_format.empty()) {
#ifdef TRAINPLAN_PLAN_EXPORT
    if (!exporter::find_format(o.export_format)) {
      std::cerr << "--export: expected one of " << exporter::format_list() << " (got \"" << o.export_format << "\")\n";
      return false;
    }
    if (o.out_dir.empty()) {
      std::cerr << "--export needs -o DIR\n";
      return false;
    }
#else
    std::cerr << "--export: the export library is not part of this build\n";
    return false;
#endif
  }
  return true;
}

// Progress on stderr once the search has run for a second: a bar on a terminal, a line per 10 %
// in a log.
struct ProgressBar {
  std::chrono::steady_clock::time_point t0 = std::chrono::steady_clock::now();
  bool drew = false;
  bool tty = isatty(STDERR_FILENO) != 0;
  int last_decile = -1;
  void draw(double done, long long evaluated) {
    if (std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() < 1.0) return;
    if (!tty) {  // a log, not a terminal: one line per 10%
      if (static_cast<int>(done * 10) == last_decile) return;
      last_decile = static_cast<int>(done * 10);
    }
    const int width = 30, filled = static_cast<int>(done * width);
    std::fprintf(stderr, "%s[%s%s] %3.0f%%  %lld plans", tty ? "\r" : "", std::string(filled, '#').c_str(),
                 std::string(width - filled, ' ').c_str(), done * 100, evaluated);
    if (!tty) std::fprintf(stderr, "\n");
    drew = true;
  }
  void finish() const {
    if (drew && tty) std::fprintf(stderr, "\n");
  }
};

// --simulate-top N: the best N plans again through the simulator (analytic ranking where the build
// has none, with a message).
std::vector<Evaluation> simulate_best(const PlanOpts& o, const planner::PlanProblem& problem, const Calibration& cal,
                                      const planner::ObjectiveContext& octx, planner::SearchResult& result, const char*& sim_name) {
  std::vector<Evaluation> simulated;
  if (o.simulate_top > 0) {
#ifdef TRAINPLAN_PLAN_SIM
    const SimEvaluator sim;
    simulated = planner::simulate_top(problem, cal, octx, &sim, o.simulate_top, result);
    sim_name = sim.name();
#else
    (void)sim_name;
    std::cerr << "--simulate-top: the simulator is not part of this build (configure with -DTRAINPLAN_BUILD_SIM=ON); "
                 "the plans are ranked by the analytic model alone\n";
    simulated = planner::simulate_top(problem, cal, octx, nullptr, o.simulate_top, result);
#endif
  }
  return simulated;
}

// The search as the command line asks for it.
planner::SearchOptions search_options(const PlanOpts& o, planner::Objective objective, const UncertaintyModel& uncertainty,
                                      planner::Ranking ranking, std::ostream* csv) {
  planner::SearchOptions so;
  so.objective = objective;
  so.uncertainty = &uncertainty;
  so.ranking = ranking;
  so.within_envelope = o.within_envelope;
  so.top = std::max(o.top, std::max(1, o.simulate_top));
  so.threads = o.threads;
  so.time_limit_s = o.time_limit;
  so.prune = !o.exhaustive;
  so.csv = csv;
  return so;
}

void run_plan(const PlanOpts& o, CliContext& ctx) {
  Catalog catalog = ctx.catalog();
  Diagnostics diag;
  auto objective = planner::parse_objective(o.objective);
  if (!objective) {
    std::cerr << "--objective: expected one of throughput, cost, time-to-train, fewest-gpus (got \"" << o.objective << "\")\n";
    ctx.exit_code = kExitBadInput;
    return;
  }
  auto problem = planner::load_problem_file(o.problem, catalog, diag);
  if (!problem) {
    print_diagnostics(diag);
    ctx.exit_code = kExitBadInput;
    return;
  }
  Calibration cal = load_calibration(catalog, problem->cluster.node.gpu, o.calibration, diag);
  if (!diag.ok()) {
    print_diagnostics(diag);
    ctx.exit_code = kExitBadInput;
    return;
  }
  auto ranking = planner::parse_ranking(o.ranking);
  if (!ranking) {
    std::cerr << "--rank: expected one of estimate, conservative (got \"" << o.ranking << "\")\n";
    ctx.exit_code = kExitBadInput;
    return;
  }
  const auto uncertainty = load_uncertainty_or_fail(ctx, catalog);
  if (!uncertainty) return;
  if ((o.within_envelope || *ranking == planner::Ranking::kConservative) && !uncertainty->loaded) {
    std::cerr << "--within-envelope and --rank conservative need configs/calibration/uncertainty.json (trainplan validate --fit "
                 "--uncertainty-out writes it)\n";
    ctx.exit_code = kExitBadInput;
    return;
  }
  const planner::ObjectiveContext octx = planner::make_objective_context(*objective, *problem, &*uncertainty, *ranking, o.within_envelope);
  if (auto missing = planner::objective_missing_input(octx)) {
    std::cerr << o.problem << ":/training: " << *missing << "\n";
    ctx.exit_code = kExitBadInput;
    return;
  }
  if (!export_options_ok(o)) {
    ctx.exit_code = kExitBadInput;
    return;
  }

  std::unique_ptr<std::ofstream> csv;
  if (!o.csv.empty()) {
    csv = std::make_unique<std::ofstream>(o.csv);
    if (!*csv) {
      std::cerr << o.csv << ": cannot write the CSV file\n";
      ctx.exit_code = kExitBadInput;
      return;
    }
  }
  planner::SearchOptions so = search_options(o, *objective, *uncertainty, *ranking, csv.get());
  ProgressBar bar;
  so.progress = [&bar](double done, long long evaluated) { bar.draw(done, evaluated); };
  planner::SearchResult result = planner::run_search(*problem, cal, so);
  bar.finish();

  const char* sim_name = nullptr;
  const std::vector<Evaluation> simulated = simulate_best(o, *problem, cal, octx, result, sim_name);

  AnalyticEvaluator analytic;
  planner::ReportOptions ro;
  ro.top = o.top;
  ro.timings = o.timings;
  ro.simulated = simulated.empty() ? nullptr : &simulated;
  ro.simulator_name = sim_name;
  Json report = planner::report_json(*problem, cal, octx, analytic, result, ro);
  if (o.timings)
    std::fprintf(stderr, "searched %lld plans (%lld evaluator calls) in %.3f s on %d threads\n", result.evaluated, result.evaluator_calls,
                 result.wall_s, result.threads);
  if (o.json)
    print_json(report);
  else
    print_text(*problem, report);

  if (result.top.empty()) {
    if (!o.json) std::fprintf(stderr, "no feasible plan: see infeasible_by_reason\n");
    ctx.exit_code = kExitInfeasible;
    return;
  }
#ifdef TRAINPLAN_PLAN_EXPORT
  if (!o.export_format.empty()) {
    ctx.exit_code = export_best(*problem, cal, so, result, *exporter::find_format(o.export_format), o.out_dir);
    return;
  }
#endif
  ctx.exit_code = kExitOk;
}

}  // namespace

void add_plan_command(CLI::App& app, CliContext& ctx) {
  auto* cmd = app.add_subcommand("plan", "Search the plan space of a problem (model, cluster, training; knobs free)");
  auto o = std::make_shared<PlanOpts>();
  cmd->add_option("PROBLEM", o->problem, "Plan problem (JSON; see planner/search/problem.hpp)")->required();
  // Bounded: each row carries a full prediction, and --top 100000 once took 9.8 GB and 1.25 GB of
  // output; --csv streams every evaluated plan instead.
  cmd->add_option("--top", o->top, "Plans to report (default 10, at most 1000; --csv lists every plan)")->check(CLI::Range(1, 1000));
  cmd->add_option("--objective", o->objective, "throughput | cost | time-to-train | fewest-gpus (default throughput)");
  cmd->add_option("--csv", o->csv, "Write every evaluated plan with its prediction or infeasibility reason");
  cmd->add_option("--export", o->export_format,
                  "Write launch configs of the best plan the framework can run (the winner, or the best one it can express, said so): "
                  "megatron | deepspeed | torchtitan | nemo");
  cmd->add_option("-o,--out", o->out_dir, "Folder for --export");
  cmd->add_option("--simulate-top", o->simulate_top, "Re-rank the best K plans with the simulator (off by default)")
      ->check(CLI::Range(0, 1000));
  cmd->add_option("--threads", o->threads, "Threads (default: all cores)")->check(CLI::Range(0, 1024));
  cmd->add_option("--time-limit", o->time_limit, "Stop after S seconds with the best plans so far (\"complete\": false)")
      ->check(CLI::Validator(
          [](std::string& text) {
            // 0 or NaN must not mean "no limit" silently: a limit is a positive, finite time.
            char* end = nullptr;
            const double v = std::strtod(text.c_str(), &end);
            if (end == text.c_str() || *end != '\0' || !(v > 0) || !(v <= 1e9))
              return std::string("expected a positive number of seconds up to 1e9 (got \"") + text +
                     "\"; leave --time-limit out for no limit)";
            return std::string();
          },
          "SECONDS > 0"));
  cmd->add_option("--calibration", o->calibration, "Calibration file (default: configs/calibration/<gpu-key>.json if present)");
  cmd->add_flag("--json", o->json, "Print one JSON document");
  cmd->add_flag("--exhaustive", o->exhaustive,
                "Evaluate every plan: no branch and bound on the step time (same top plans, slower; the Pareto front covers all plans)");
  cmd->add_flag("--timings", o->timings, "Add wall-clock figures (JSON \"timings\" and a line on stderr)");
  cmd->add_option("--rank", o->ranking,
                  "estimate (default): rank by the predicted throughput; conservative: by the low end of its 80% band, which "
                  "extrapolation flags widen");
  cmd->add_flag("--within-envelope", o->within_envelope,
                "Search only plans that no extrapolation flag marks: every feature, degree, GPU and framework covered by a validated run");
  cmd->callback([&ctx, o] { run_plan(*o, ctx); });
}

}  // namespace trainplan::cli
