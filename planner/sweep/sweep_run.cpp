#include "planner/sweep/sweep_run.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <thread>

#include "model/analytic.hpp"
#include "model/goodput.hpp"
#include "planner/search/report.hpp"
#include "planner/search/search.hpp"

namespace trainplan::sweep {

double round6(double v) { return round_significant(v, 6); }

namespace {

const char* topology_key(TopologyKind k) { return k == TopologyKind::kFatTree ? "fat-tree" : "rail-optimized"; }

Json optional_number(const std::optional<double>& v) { return v ? Json(round6(*v)) : Json(nullptr); }

// The figures of one job at one point (see the header for the formulas).
Json job_json(const SweepSpec& spec, const HardwarePoint& point, const SweepJob& job, int threads) {
  const planner::PlanProblem problem = make_problem(spec, point, job);
  const Calibration& cal = spec.calibration(point.cluster.node.gpu);
  planner::SearchOptions so;
  so.objective = spec.objective;
  so.top = 1;
  so.threads = threads;
  const planner::SearchResult r = planner::run_search(problem, cal, so);

  Json j;
  j["job"] = job.name;
  j["model"] = job.model.name;
  j["evaluated"] = r.evaluated;
  Json reasons = Json::object();
  for (const auto& [k, v] : r.infeasible_by_reason) reasons[k] = v;
  j["infeasible_by_reason"] = reasons;
  if (r.top.empty()) {
    std::string why = "no feasible plan";
    if (problem.search.min_gpus > problem.max_gpus())
      why += ": the point has " + std::to_string(problem.max_gpus()) + " GPUs, fewer than search.min_gpus";
    else if (!r.infeasible_by_reason.empty()) {
      std::string sep = ": ";
      for (const auto& [k, v] : r.infeasible_by_reason) {
        why += sep + k + " " + std::to_string(v);
        sep = ", ";
      }
    }
    j["feasible"] = false;
    j["reason"] = why;
    return j;
  }
  const planner::Candidate& best = r.top.front();
  const JobSpec best_job = planner::make_job(problem, best.plan, best.global_batch);
  const Evaluation e = AnalyticEvaluator().evaluate(best_job, cal);
  const GpuSpec& gpu = point.cluster.node.gpu;
  // Wall time counts the useful share only: failures, restarts and checkpoints (model/goodput.hpp).
  const Goodput g = goodput(goodput_inputs(best_job), best.gpus);
  const double days = job.training.token_budget / (best.tokens_per_s * g.fraction) / 86400.0;
  const double gpu_hours = days * 24.0 * best.gpus;
  j["feasible"] = true;
  j["reason"] = nullptr;
  j["gpus"] = best.gpus;
  j["plan"] = plan_to_json(best.plan);
  j["global_batch"] = best.global_batch;
  j["tokens_per_s"] = round6(best.tokens_per_s);
  j["step_time_s"] = round6(best.step_time_s);
  j["mfu_pct"] = round6(e.mfu_pct);
  j["peak_memory_gib"] = round6(best.peak_memory_gib);
  j["days"] = round6(days);
  j["gpu_hours"] = round6(gpu_hours);
  j["usd"] = gpu.price_usd_per_hour ? Json(round6(gpu_hours * *gpu.price_usd_per_hour)) : Json(nullptr);
  j["energy_mwh"] = gpu.power ? Json(round6(gpu_hours * gpu.power->si() / 1e6)) : Json(nullptr);
  if (job.training.deadline_days > 0) j["meets_deadline"] = days <= job.training.deadline_days;
  j["goodput"] = goodput_json(g);
  add_trust_keys(spec.uncertainty, best_job, e, j);
  return j;
}

Json point_json(const SweepSpec& spec, const HardwarePoint& point, std::vector<Json> jobs) {
  Json p;
  p["index"] = point.index;
  p["label"] = spec.label(point);
  p["hardware"] = hardware_json(point);
  bool all = true;
  double days = 0, usd = 0, mwh = 0;
  bool has_usd = true, has_mwh = true;
  for (const Json& j : jobs) {
    if (!j["feasible"].get<bool>()) {
      all = false;
      continue;
    }
    days += j["days"].get<double>();
    if (j["usd"].is_null())
      has_usd = false;
    else
      usd += j["usd"].get<double>();
    if (j["energy_mwh"].is_null())
      has_mwh = false;
    else
      mwh += j["energy_mwh"].get<double>();
  }
  p["jobs"] = std::move(jobs);
  p["feasible"] = all;
  if (all)
    p["total"] = {{"days", round6(days)},
                  {"usd", has_usd ? Json(round6(usd)) : Json(nullptr)},
                  {"energy_mwh", has_mwh ? Json(round6(mwh)) : Json(nullptr)}};
  else
    p["total"] = nullptr;
  return p;
}

}  // namespace

Json hardware_json(const HardwarePoint& p) {
  const ClusterSpec& c = p.cluster;
  const NodeSpec& n = c.node;
  Json h;
  h["cluster"] = c.key;
  h["gpu"] = n.gpu.key;
  h["gpu_name"] = n.gpu.name;
  h["node"] = n.key;
  h["nodes"] = c.nodes;
  h["gpus_per_node"] = n.gpus_per_node;
  h["gpus"] = c.gpus();
  h["nics_per_node"] = n.nics;
  h["nic_rate_gbps"] = round6(n.nic.bandwidth / Gbps(1));
  h["scale_up_domain"] = n.scale_up_domain;
  h["topology"] = topology_key(c.topology.kind);
  h["oversubscription"] = round6(c.topology.oversubscription);
  h["host_memory_gib"] = round6(to_gib(n.host_memory));
  h["nvme_tb"] = n.nvme_capacity ? Json(round6(*n.nvme_capacity / TB(1))) : Json(nullptr);
  h["price_usd_per_gpu_hour"] = optional_number(n.gpu.price_usd_per_hour);
  h["usd_per_hour"] = n.gpu.price_usd_per_hour ? Json(round6(*n.gpu.price_usd_per_hour * c.gpus())) : Json(nullptr);
  h["power_w_per_gpu"] = n.gpu.power ? Json(round6(n.gpu.power->si())) : Json(nullptr);
  return h;
}

std::vector<Json> run_points(const SweepSpec& spec, const std::vector<int>& indices, const RunOptions& options) {
  const int jobs = static_cast<int>(spec.jobs.size());
  const int tasks = static_cast<int>(indices.size()) * jobs;
  int threads = options.threads > 0 ? options.threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  threads = std::max(1, std::min(threads, tasks));
  const int per_search = std::max(1, (options.threads > 0 ? options.threads : threads) / std::max(1, tasks));

  std::vector<Json> results(static_cast<size_t>(tasks));
  std::atomic<int> next{0}, done{0};
  auto worker = [&] {
    for (int t = next++; t < tasks; t = next++) {
      const HardwarePoint& point = spec.points.at(static_cast<size_t>(indices[t / jobs]));
      results[static_cast<size_t>(t)] = job_json(spec, point, spec.jobs[static_cast<size_t>(t % jobs)], per_search);
      ++done;
    }
  };
  std::vector<std::thread> pool;
  for (int i = 1; i < threads; ++i) pool.emplace_back(worker);
  if (options.progress) {
    std::thread last(worker);
    while (done.load() < tasks) {
      options.progress(done.load(), tasks);
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    last.join();
  } else {
    worker();
  }
  for (auto& t : pool) t.join();

  std::vector<Json> out;
  out.reserve(indices.size());
  for (size_t i = 0; i < indices.size(); ++i) {
    std::vector<Json> js(results.begin() + static_cast<long>(i * jobs), results.begin() + static_cast<long>((i + 1) * jobs));
    out.push_back(point_json(spec, spec.points.at(static_cast<size_t>(indices[i])), std::move(js)));
  }
  return out;
}

}  // namespace trainplan::sweep
