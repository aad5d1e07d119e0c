// simulate(): one forked child per simulation (sim/simulator.hpp); the wire format, the report JSON and
// the Perfetto trace writer.
#include "sim/simulator.hpp"

#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cerrno>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <string>

#include "model/workload.hpp"
#include "sim/sim_evaluator.hpp"

#include <algorithm>

namespace trainplan::sim {

namespace {

double r6(double v) { return round_significant(v, 6); }

Json breakdown_to_wire(const TimeBreakdown& b) {
  return Json::array({b.compute.si(), b.recompute.si(), b.tp_comm.si(), b.cp_comm.si(), b.ep_comm.si(), b.pp_comm.si(), b.dp_comm.si(),
                      b.bubble.si(), b.optimizer.si(), b.offload.si()});
}

Json link_to_wire(const LinkUse& u) {
  return {{"name", u.name},          {"cls", u.cls},
          {"links", u.links},        {"bytes", u.bytes},
          {"busy", u.busy_fraction}, {"busy_max", u.busy_fraction_max},
          {"util", u.utilization}};
}
LinkUse link_from_wire(const Json& j) {
  LinkUse u;
  u.name = j.at("name").get<std::string>();
  u.cls = j.at("cls").get<std::string>();
  u.links = j.at("links").get<int>();
  u.bytes = j.at("bytes").get<double>();
  u.busy_fraction = j.at("busy").get<double>();
  u.busy_fraction_max = j.at("busy_max").get<double>();
  u.utilization = j.at("util").get<double>();
  return u;
}

bool write_all(int fd, const std::string& s) {
  size_t off = 0;
  while (off < s.size()) {
    const ssize_t n = ::write(fd, s.data() + off, s.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    off += static_cast<size_t>(n);
  }
  return true;
}

}  // namespace

// The wire carries only what the simulation changes; the parent re-attaches the analytic evaluation.
Json sim_result_to_wire(const SimResult& r) {
  Json j;
  j["ok"] = r.ok;
  j["error"] = r.error;
  j["step"] = r.evaluation.step_time.si();
  j["breakdown"] = breakdown_to_wire(r.evaluation.breakdown);
  j["rates"] = Json::array({r.evaluation.tokens_per_s, r.evaluation.tokens_per_s_per_gpu, r.evaluation.model_tflops_per_gpu,
                            r.evaluation.hardware_tflops_per_gpu, r.evaluation.mfu_pct, r.evaluation.hfu_pct});
  j["analytic_step"] = r.analytic_step_time.si();
  Json lc = Json::array(), bl = Json::array();
  for (const auto& u : r.link_classes) lc.push_back(link_to_wire(u));
  for (const auto& u : r.busiest_links) bl.push_back(link_to_wire(u));
  j["link_classes"] = lc;
  j["busiest"] = bl;
  j["counts"] = Json::array({r.events, r.flows, r.actors, r.hosts, r.links});
  j["wall"] = r.wall_s;
  j["rss"] = r.peak_rss_mib;
  Json tr = Json::array();
  for (const auto& e : r.trace) tr.push_back(Json::array({e.name, e.pid, e.tid, e.ts_us, e.dur_us}));
  j["trace"] = std::move(tr);
  Json pn = Json::array();
  for (const auto& [pid, name] : r.process_names) pn.push_back(Json::array({pid, name}));
  j["pnames"] = pn;
  return j;
}

SimResult sim_result_from_wire(const Json& j) {
  SimResult r;
  r.ok = j.at("ok").get<bool>();
  r.error = j.at("error").get<std::string>();
  r.evaluation.step_time = Seconds::from_si(j.at("step").get<double>());
  const Json& b = j.at("breakdown");
  TimeBreakdown& t = r.evaluation.breakdown;
  Seconds* fields[] = {&t.compute, &t.recompute, &t.tp_comm, &t.cp_comm,   &t.ep_comm,
                       &t.pp_comm, &t.dp_comm,   &t.bubble,  &t.optimizer, &t.offload};
  for (size_t i = 0; i < 10; ++i) *fields[i] = Seconds::from_si(b.at(i).get<double>());
  const Json& rt = j.at("rates");
  r.evaluation.tokens_per_s = rt.at(0).get<double>();
  r.evaluation.tokens_per_s_per_gpu = rt.at(1).get<double>();
  r.evaluation.model_tflops_per_gpu = rt.at(2).get<double>();
  r.evaluation.hardware_tflops_per_gpu = rt.at(3).get<double>();
  r.evaluation.mfu_pct = rt.at(4).get<double>();
  r.evaluation.hfu_pct = rt.at(5).get<double>();
  r.analytic_step_time = Seconds::from_si(j.at("analytic_step").get<double>());
  for (const Json& u : j.at("link_classes")) r.link_classes.push_back(link_from_wire(u));
  for (const Json& u : j.at("busiest")) r.busiest_links.push_back(link_from_wire(u));
  const Json& c = j.at("counts");
  r.events = c.at(0).get<long long>();
  r.flows = c.at(1).get<long long>();
  r.actors = c.at(2).get<int>();
  r.hosts = c.at(3).get<int>();
  r.links = c.at(4).get<int>();
  r.wall_s = j.at("wall").get<double>();
  r.peak_rss_mib = j.at("rss").get<double>();
  for (const Json& e : j.at("trace"))
    r.trace.push_back({e.at(0).get<std::string>(), e.at(1).get<int>(), e.at(2).get<int>(), e.at(3).get<double>(), e.at(4).get<double>()});
  for (const Json& p : j.at("pnames")) r.process_names.emplace_back(p.at(0).get<int>(), p.at(1).get<std::string>());
  return r;
}

SimResult simulate(const JobSpec& job, const Calibration& cal, const SimOptions& options) {
  SimResult fail;
  int fds[2];
  if (::pipe(fds) != 0) {
    fail.error = std::string("pipe: ") + std::strerror(errno);
    return fail;
  }
  // Buffered output would otherwise be written twice, by the parent and again by the child.
  std::fflush(nullptr);
  const pid_t pid = ::fork();
  if (pid < 0) {
    ::close(fds[0]);
    ::close(fds[1]);
    fail.error = std::string("fork: ") + std::strerror(errno);
    return fail;
  }
  if (pid == 0) {
    // Child: the only process that ever creates a SimGrid engine.
    ::close(fds[0]);
    struct itimerval limit {};
    limit.it_value.tv_sec = static_cast<time_t>(std::max(1.0, options.wall_limit_s));
    ::setitimer(ITIMER_REAL, &limit, nullptr);  // SIGALRM ends a runaway child
    std::string out;
    try {
      SimResult r = simulate_in_this_process(job, cal, options);
      const std::vector<std::uint8_t> bin = Json::to_cbor(sim_result_to_wire(r));
      out.assign(bin.begin(), bin.end());
    } catch (const std::exception& ex) {
      SimResult r;
      r.error = std::string("simulator error: ") + ex.what();
      const std::vector<std::uint8_t> bin = Json::to_cbor(sim_result_to_wire(r));
      out.assign(bin.begin(), bin.end());
    }
    const bool ok = write_all(fds[1], out);
    ::close(fds[1]);
    ::_exit(ok ? 0 : 3);
  }
  ::close(fds[1]);
  std::string in;
  char buf[1 << 16];
  for (;;) {
    const ssize_t n = ::read(fds[0], buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    in.append(buf, static_cast<size_t>(n));
  }
  ::close(fds[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
  if (in.empty() || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    if (WIFSIGNALED(status))
      fail.error = WTERMSIG(status) == SIGALRM
                       ? "simulation exceeded its wall-clock limit of " + std::to_string(static_cast<int>(options.wall_limit_s)) + " s"
                       : "simulator process died with signal " + std::to_string(WTERMSIG(status));
    else
      fail.error = "simulator process failed (exit status " + std::to_string(WIFEXITED(status) ? WEXITSTATUS(status) : -1) + ")";
    return fail;
  }
  SimResult r;
  try {
    r = sim_result_from_wire(Json::from_cbor(in));
  } catch (const std::exception& ex) {
    fail.error = std::string("unreadable simulator result: ") + ex.what();
    return fail;
  }
  // Re-attach what the child computed from the analytic model (memory, feasibility, FLOPs).
  if (r.ok) {
    std::string err;
    std::optional<StepWork> w = build_step(job, cal, err);
    Evaluation ev = w ? w->analytic : Evaluation{};
    ev.step_time = r.evaluation.step_time;
    ev.breakdown = r.evaluation.breakdown;
    ev.tokens_per_s = r.evaluation.tokens_per_s;
    ev.tokens_per_s_per_gpu = r.evaluation.tokens_per_s_per_gpu;
    ev.model_tflops_per_gpu = r.evaluation.model_tflops_per_gpu;
    ev.hardware_tflops_per_gpu = r.evaluation.hardware_tflops_per_gpu;
    ev.mfu_pct = r.evaluation.mfu_pct;
    ev.hfu_pct = r.evaluation.hfu_pct;
    r.evaluation = ev;
  }
  return r;
}

Json sim_result_to_json(const SimResult& r, bool timings) {
  Json j = evaluation_to_json(r.evaluation);
  j["engine"] = "simgrid";
  j["analytic_step_time_s"] = r6(r.analytic_step_time.si());
  j["sim_vs_analytic_pct"] =
      r.analytic_step_time.si() > 0 ? r6(100.0 * (r.evaluation.step_time.si() / r.analytic_step_time.si() - 1.0)) : 0.0;
  auto link_json = [](const LinkUse& u, bool cls) {
    Json l = {{"bytes", r6(u.bytes)}, {"busy_fraction", r6(u.busy_fraction)}, {"utilization", r6(u.utilization)}};
    if (cls) {
      l["class"] = u.cls;
      l["links"] = u.links;
      l["busy_fraction_max"] = r6(u.busy_fraction_max);
    } else {
      l["link"] = u.name;
      l["class"] = u.cls;
    }
    return l;
  };
  Json classes = Json::array(), busiest = Json::array();
  for (const auto& u : r.link_classes) classes.push_back(link_json(u, true));
  for (const auto& u : r.busiest_links) busiest.push_back(link_json(u, false));
  j["link_utilization"] = {{"classes", classes}, {"busiest", busiest}};
  j["events"] = {{"count", r.events}, {"flows", r.flows}, {"actors", r.actors}, {"hosts", r.hosts}, {"links", r.links}};
  if (timings) j["timings"] = {{"simulation_wall_s", r.wall_s}, {"peak_rss_mib", r.peak_rss_mib}};
  return j;
}

void write_trace(const SimResult& r, std::ostream& out, const std::vector<JobPhase>& job) {
  static const char* kThreads[kStreams] = {"compute", "TP/CP", "DP", "PP", "EP", "offload"};
  Json events = Json::array();
  for (const auto& [pid, name] : r.process_names) {
    events.push_back({{"ph", "M"}, {"name", "process_name"}, {"pid", pid}, {"tid", 0}, {"args", {{"name", name}}}});
    events.push_back({{"ph", "M"}, {"name", "process_sort_index"}, {"pid", pid}, {"tid", 0}, {"args", {{"sort_index", pid}}}});
    for (int t = 0; t < kStreams; ++t) {
      events.push_back({{"ph", "M"}, {"name", "thread_name"}, {"pid", pid}, {"tid", t}, {"args", {{"name", kThreads[t]}}}});
      events.push_back({{"ph", "M"}, {"name", "thread_sort_index"}, {"pid", pid}, {"tid", t}, {"args", {{"sort_index", t}}}});
    }
  }
  static const char* kCat[kStreams] = {"compute", "tp", "dp", "pp", "ep", "offload"};
  for (const TraceEvent& e : r.trace)
    events.push_back({{"ph", "X"},
                      {"name", e.name},
                      {"cat", kCat[std::clamp(e.tid, 0, kStreams - 1)]},
                      {"pid", e.pid},
                      {"tid", e.tid},
                      {"ts", std::round(e.ts_us * 1000) / 1000},
                      {"dur", std::round(e.dur_us * 1000) / 1000}});
  if (!job.empty()) {
    // pid -1 sorts above the ranks; one thread, one slice per phase, the failure as an instant.
    events.push_back(
        {{"ph", "M"}, {"name", "process_name"}, {"pid", -1}, {"tid", 0}, {"args", {{"name", "job: steps, checkpoints, failures"}}}});
    events.push_back({{"ph", "M"}, {"name", "process_sort_index"}, {"pid", -1}, {"tid", 0}, {"args", {{"sort_index", -1}}}});
    for (const JobPhase& p : job) {
      const double ts = std::round(p.start_s * 1e9) / 1000, dur = std::round(p.duration_s * 1e9) / 1000;
      if (p.name == "failure")
        events.push_back({{"ph", "i"}, {"s", "g"}, {"name", p.name}, {"cat", "failure"}, {"pid", -1}, {"tid", 0}, {"ts", ts}});
      else
        events.push_back({{"ph", "X"}, {"name", p.name}, {"cat", "job"}, {"pid", -1}, {"tid", 0}, {"ts", ts}, {"dur", dur}});
    }
  }
  out << Json{{"traceEvents", events}, {"displayTimeUnit", "ms"}}.dump() << "\n";
}

}  // namespace trainplan::sim

namespace trainplan {

Evaluation SimEvaluator::evaluate(const JobSpec& job, const Calibration& cal) const {
  sim::SimResult r = sim::simulate(job, cal);
  if (r.ok) return r.evaluation;
  Evaluation e = r.evaluation;
  e.gpus = job.plan.gpus();
  e.pp = job.plan.pp;
  e.feasible = false;
  e.reasons.push_back({InfeasibleReason::kUnsupported, "simulator: " + r.error});
  return e;
}

}  // namespace trainplan
