// `trainplan simulate`: one training step of a fully specified job replayed on SimGrid 3.32.
//
// What is simulated. The step (model/workload.hpp) is replayed op by op following the pipeline
// schedule (model/schedule.hpp): one actor per simulated pipeline rank runs its forwards and backwards;
// compute is a timed activity; TP collectives, pipeline activations and gradients, data-parallel
// gradient reductions and ZeRO parameter gathers are network flows over the platform
// (sim/platform.hpp), so they contend on shared NICs and oversubscribed switch uplinks.
//
// Symmetry reduction (the default; SimOptions::full_detail turns it off). Ranks are laid out in
// Megatron's order tp-cp-ep-dp-pp. Every data-parallel replica runs the same pipeline at the same
// time, and every TP rank of a stage does the same work, so:
//   * one pipeline is simulated in full: the actors of TP rank 0 of replica 0, one per stage, with the
//     TP flows to their TP neighbour (the NVLink ports of a GPU are its own);
//   * the network traffic of TP rank 0 of *every* replica is simulated: each stage actor also starts the
//     pipeline flows of the other replicas' TP-0 ranks, and the ring flows of its whole DP group
//     (dp·cp ranks, one flow per rank per phase), at the times its own replica has them;
//   * the traffic of TP ranks 1…t−1 is not simulated; a link shared by several GPUs (a NIC serving two
//     GPUs, a leaf uplink) keeps the share of its capacity that the simulated GPUs among its users own.
// At 16,384 GPUs (TP 8, PP 16, DP 128) this is 16 actors and ~2,100 hosts instead of 16,384 actors.
// The reduction is exact when the replicas are in lock step, which holds because they are identical;
// tests/sim checks it against the full-detail simulation (every rank an actor, every link at full
// capacity) within 1% of step time.
//
// Several simulations per process. SimGrid's engine is a process-wide singleton that cannot be reset
// (docs/simgrid-notes.md P6), so simulate() forks a child process per simulation: the child builds the
// engine, runs, writes the result as JSON through a pipe and exits with _exit(); the parent never touches
// SimGrid. Children are independent, so callers may run several in parallel from threads. A child that
// crashes or runs past SimOptions::wall_limit_s is reported as an error, never a hang.
//
// Deadlock. SimGrid's run() returns normally when actors block forever; the engine counts finished
// actors and reports the stage and op where an unfinished one stopped.
//
//   SimOptions o;
//   o.collect_trace = true;
//   SimResult r = simulate(job, calibration, o);
//   if (r.ok) write_trace(r, file);
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "model/calibration.hpp"
#include "model/evaluation.hpp"
#include "model/goodput.hpp"
#include "model/json_reader.hpp"
#include "model/spec/job.hpp"

namespace trainplan::sim {

struct SimOptions {
  bool full_detail = false;  // every rank an actor, no symmetry reduction (small plans only)
  bool collect_trace = false;
  double wall_limit_s = 900;  // the child is killed after this
};

struct TraceEvent {
  std::string name;
  int pid = 0;  // global rank
  int tid = 0;  // stream
  double ts_us = 0, dur_us = 0;
};

struct LinkUse {
  std::string name;  // link (or link class)
  std::string cls;
  int links = 1;
  double bytes = 0;          // carried in the step (real link, all users)
  double busy_fraction = 0;  // of the step with at least one flow on it (class: mean over links)
  double busy_fraction_max = 0;
  double utilization = 0;  // bytes ÷ (capacity × step time) (class: mean)
};

struct SimResult {
  bool ok = false;
  std::string error;      // why no result (deadlock, crash, unsupported plan)
  Evaluation evaluation;  // simulated times; memory and feasibility from the analytic model
  Seconds analytic_step_time;
  std::vector<LinkUse> link_classes;
  std::vector<LinkUse> busiest_links;
  long long events = 0;  // simulated activities (compute, delays, flows)
  long long flows = 0;
  int actors = 0, hosts = 0, links = 0;
  double wall_s = 0;        // wall-clock of the simulation (child)
  double peak_rss_mib = 0;  // of the child
  std::vector<TraceEvent> trace;
  std::vector<std::pair<int, std::string>> process_names;  // pid → name
};

// Runs in a forked child (see above).
SimResult simulate(const JobSpec& job, const Calibration& cal, const SimOptions& options = {});
// Runs in this process: at most once per process (SimGrid's engine cannot be re-created).
SimResult simulate_in_this_process(const JobSpec& job, const Calibration& cal, const SimOptions& options = {});

// The `simulate --json` document: the predict keys plus link_utilization and events; wall-clock
// figures only with `timings`.
Json sim_result_to_json(const SimResult& r, bool timings);
// Chrome / Perfetto trace (docs/interfaces.md §6).
// With `job` (model/goodput.hpp, job_timeline), a "job" process above the ranks shows the run of
// several steps: each step, the checkpoints, and an injected failure with its recovery and replay.
void write_trace(const SimResult& r, std::ostream& out, const std::vector<JobPhase>& job = {});

// Serialisation through the child's pipe.
Json sim_result_to_wire(const SimResult& r);
SimResult sim_result_from_wire(const Json& j);

}  // namespace trainplan::sim
