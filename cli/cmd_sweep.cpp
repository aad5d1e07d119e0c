// trainplan sweep SWEEP.json [--json] [--csv FILE] [--charts DIR] [--threads N] [--timings]
// Plans every job at every hardware point of a sweep (planner/sweep/sweep_spec.hpp describes the
// file). Under `mpirun -np N` the points are shared out among the ranks and rank 0 alone prints,
// the same output as one process gives (planner/sweep/mpi_session.hpp).
#include <unistd.h>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <memory>
#include <thread>

#include "cli/cli_context.hpp"
#include "planner/sweep/mpi_session.hpp"
#include "planner/sweep/sweep_charts.hpp"
#include "planner/sweep/sweep_report.hpp"
#include "planner/sweep/sweep_run.hpp"
#include "planner/sweep/sweep_spec.hpp"

namespace trainplan::cli {

namespace {

struct SweepOpts {
  std::string file;
  std::string csv;
  std::string charts;
  int threads = 0;
  bool json = false;
  bool timings = false;
};

int run_sweep(const SweepOpts& o, const CliContext& ctx, const sweep::MpiSession& mpi) {
  const auto t0 = std::chrono::steady_clock::now();
  Catalog catalog = ctx.catalog();
  Diagnostics diag;
  auto spec = sweep::load_sweep_file(o.file, catalog, diag);
  if (!spec) {  // every rank reads the same file and fails the same way; rank 0 alone says why
    if (mpi.prints()) print_diagnostics(diag);
    return kExitBadInput;
  }
  if (mpi.idle()) return kExitOk;
  // Outputs are written by rank 0 only; all ranks learn whether it can before the work starts.
  std::unique_ptr<std::ofstream> csv;
  bool bad = false;
  if (mpi.prints() && !o.csv.empty()) {
    csv = std::make_unique<std::ofstream>(o.csv);
    if (!*csv) {
      std::cerr << o.csv << ": cannot write the CSV file\n";
      bad = true;
    }
  }
  if (mpi.any(bad)) return kExitBadInput;

  const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  sweep::RunOptions ro;
  ro.threads = o.threads > 0 ? o.threads : std::max(1, cores / mpi.local_size());
  // Progress on stderr once the sweep has run for a second: redrawn on a terminal, else a line
  // every ten seconds.
  bool drew = false;
  const bool tty = isatty(STDERR_FILENO) != 0;
  double last = 0;
  if (mpi.prints())
    ro.progress = [&](int done, int total) {
      const double t = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      if (t < 1.0 || (!tty && t - last < 10.0)) return;
      last = t;
      std::fprintf(stderr, "%s%d/%d searches%s", tty ? "\r" : "", done, total, tty ? "" : "\n");
      drew = true;
    };
  const std::vector<int> mine = mpi.share(static_cast<int>(spec->points.size()));
  const std::vector<Json> results = sweep::run_points(*spec, mine, ro);
  if (drew && tty) std::fprintf(stderr, "\n");

  // Points travel as JSON text (doubles round-trip exactly), so rank 0 sees what each rank computed.
  const std::vector<std::string> gathered = mpi.gather(Json(results).dump());
  if (!mpi.prints()) return kExitOk;
  std::vector<Json> points(spec->points.size());
  for (const std::string& text : gathered)
    for (Json& p : Json::parse(text)) {
      const auto index = p["index"].get<size_t>();
      points.at(index) = std::move(p);
    }

  const Json report = sweep::sweep_report(*spec, std::move(points));
  if (o.json)
    print_json(report);
  else
    sweep::print_table(report, std::cout);
  if (csv) {
    sweep::write_csv(report, *csv);
    if (!*csv) {
      std::cerr << o.csv << ": cannot write the CSV file\n";
      return kExitBadInput;
    }
  }
  if (!o.charts.empty()) {
    const std::string error = sweep::write_charts(report, o.charts);
    if (!error.empty()) {
      std::cerr << error << "\n";
      return kExitBadInput;
    }
  }
  if (o.timings)
    std::fprintf(stderr, "swept %zu points x %zu jobs in %.3f s on %d rank(s) x %d thread(s)\n", spec->points.size(), spec->jobs.size(),
                 std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), mpi.size(), ro.threads);
  if (!sweep::any_feasible(report)) {
    if (!o.json) std::fprintf(stderr, "no hardware point runs every job: see the reasons above\n");
    return kExitInfeasible;
  }
  return kExitOk;
}

}  // namespace

void add_sweep_command(CLI::App& app, CliContext& ctx) {
  auto* cmd = app.add_subcommand("sweep", "Plan every job at every hardware point of a sweep; Pareto front of cost against time-to-train");
  auto o = std::make_shared<SweepOpts>();
  cmd->add_option("SWEEP", o->file, "Sweep (JSON; see planner/sweep/sweep_spec.hpp)")->required();
  cmd->add_flag("--json", o->json, "Print one JSON document: points, pareto, axis_effects");
  cmd->add_option("--csv", o->csv, "Write one row per hardware point and job");
  cmd->add_option("--charts", o->charts, "Write SVG charts (Pareto front, each axis's effect) into this folder");
  cmd->add_option("--threads", o->threads, "Threads per process (default: the cores, shared among the ranks on one machine)")
      ->check(CLI::Range(0, 1024));
  cmd->add_flag("--timings", o->timings, "Print the wall time on stderr");
  cmd->callback([&ctx, o] {
    // MPI lives exactly as long as the sweep command: initialised here when launched by mpirun.
    sweep::MpiSession mpi;
    try {
      ctx.exit_code = run_sweep(*o, ctx, mpi);
    } catch (const std::exception& e) {
      std::cerr << "trainplan sweep: " << e.what() << "\n";
      if (mpi.active()) mpi.abort(3);
      ctx.exit_code = 3;
    }
  });
}

}  // namespace trainplan::cli
