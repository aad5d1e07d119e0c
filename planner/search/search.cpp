#include "planner/search/search.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <memory>
#include <mutex>
#include <thread>

#include "model/analytic.hpp"
#include "planner/search/pareto.hpp"
#include "planner/search/space.hpp"

namespace trainplan::planner {

JobSpec make_job(const PlanProblem& problem, const PlanSpec& plan, long long global_batch) {
  JobSpec job;
  job.model = problem.model;
  job.cluster = problem.cluster;
  job.training = problem.training;
  job.training.global_batch = global_batch;
  job.training.global_batch_max = 0;
  job.plan = plan;
  return job;
}

Candidate make_candidate(const PlanProblem& problem, const ObjectiveContext& ctx, const PlanSpec& plan, long long global_batch,
                         const Evaluation& e) {
  Candidate c;
  c.plan = plan;
  c.global_batch = global_batch;
  c.tokens_per_s = e.tokens_per_s;
  c.step_time_s = e.step_time.si();
  c.peak_memory_gib = e.peak_memory / GiB(1);
  c.headroom_gib = (problem.cluster.node.gpu.memory - e.peak_memory) / GiB(1);
  c.gpus = plan.gpus();
  score(ctx, c);
  return c;
}

std::string csv_header() {
  return "gpus,tp,sequence_parallel,pp,first_stage_layers,last_stage_layers,schedule,virtual_stages,dp,cp,ep,expert_tp,zero,fsdp,"
         "optimizer_offload,param_offload,activation_offload,recompute,recompute_layers,micro_batch,global_batch,tp_comm_overlap,"
         "feasible,reason,detail,step_time_s,tokens_per_s,mfu_pct,peak_memory_gib\n";
}

namespace {

// Reasons counted in infeasible_by_reason: the evaluator's, plus a missed deadline.
constexpr int kReasonCount = 7;
constexpr int kMissesDeadline = 6;
const char* reason_name(int i) { return i == kMissesDeadline ? "misses_deadline" : reason_key(static_cast<InfeasibleReason>(i)); }
constexpr int kOom = static_cast<int>(InfeasibleReason::kOutOfMemory);

enum class Outcome { kFeasible, kOutOfMemory, kOther };

struct Floor {
  bool known = false;
  bool oom = false;
  bool lightest_fits = false;  // the group's lightest plan (smallest micro-batch, full recompute) fits
  std::string detail;
};

class Worker {
 public:
  Worker(const PlanProblem& p, const Calibration& cal, const Evaluator& ev, const ObjectiveContext& ctx, size_t keep)
      : pareto_(ctx), p_(p), cal_(cal), ev_(ev), ctx_(ctx), keep_(keep), job_(make_job(p, PlanSpec{}, p.batch_max())),
        usable_(p.cluster.node.gpu.memory * (1.0 - p.search.memory_headroom)),
        recompute_(recompute_options(p)), plain_(plain_allowed(p)) {}

  // Walks one task; stops early (returns false) when `stop` is raised.
  bool run(const Task& t, std::string* csv, const std::atomic<bool>& stop) {
    csv_ = csv;
    const std::vector<ScheduleOption> schedules = schedule_options(p_, t.layout);
    for (int dp : dp_candidates(p_, t)) {
      const std::vector<int> mbs = micro_batch_candidates(p_, dp);
      if (mbs.empty()) continue;
      for (const ZeroOption& z : zero_options(p_, t, dp)) {
        const int ez = z.fsdp == Fsdp::kNone ? z.zero : 3;
        const std::vector<OffloadVariant> variants = offload_variants(p_, ez);
        std::vector<Floor> floors(variants.size() + 1);
        auto floor = [&](size_t k) -> const Floor& {
          if (!floors[k].known) floors[k] = compute_floor(t, dp, z, mbs.front(), k == 0 ? nullptr : &variants[k - 1]);
          return floors[k];
        };
        for (int sp : sequence_parallel_options(p_, t.tp))
          for (int tpo : tp_overlap_options(p_, t.tp, sp != 0))
            for (const ScheduleOption& so : schedules)
              for (const auto& rc : recompute_) {
                if (stop.load(std::memory_order_relaxed)) return false;
                for (size_t i = 0; i < mbs.size(); ++i) {
                  const int mb = mbs[i];
                  const long long gb = pick_global_batch(p_, static_cast<long long>(mb) * dp);
                  if (!valid_interleave(so, t, gb, mb, dp)) continue;
                  bool fits = false, all_floor = true;
                  Outcome o = Outcome::kOutOfMemory;
                  if (plain_) {
                    o = visit(make_plan(t, dp, z, sp, tpo, so, rc, mb, nullptr), gb, floor(0));
                    fits = o != Outcome::kOutOfMemory;
                    all_floor = floor(0).oom;
                  }
                  const bool try_offload = !plain_ || (o == Outcome::kOutOfMemory && !floor(0).lightest_fits);
                  if (try_offload) {
                    for (size_t k = 0; k < variants.size(); ++k) {
                      Outcome ov = visit(make_plan(t, dp, z, sp, tpo, so, rc, mb, &variants[k]), gb, floor(k + 1));
                      fits = fits || ov != Outcome::kOutOfMemory;
                      all_floor = all_floor && floor(k + 1).oom;
                    }
                  } else {
                    skipped_offload_ += static_cast<long long>(variants.size());
                  }
                  if (!fits && !all_floor) {
                    long long rest = 0;
                    for (size_t j = i + 1; j < mbs.size(); ++j)
                      if (valid_interleave(so, t, pick_global_batch(p_, static_cast<long long>(mbs[j]) * dp), mbs[j], dp)) ++rest;
                    skipped_micro_batch_ += rest * static_cast<long long>((plain_ ? 1 : 0) + variants.size());
                    break;
                  }
                }
              }
      }
    }
    return true;
  }

  long long evaluated_ = 0, calls_ = 0, feasible_ = 0, skipped_offload_ = 0, skipped_micro_batch_ = 0;
  std::array<long long, kReasonCount> reasons_{};
  std::vector<Candidate> heap_;  // max-heap by rank: the worst kept plan on top
  ParetoFront pareto_;

 private:
  bool valid_interleave(const ScheduleOption& so, const Task& t, long long gb, int mb, int dp) const {
    return so.schedule != Schedule::kInterleaved || (gb / (static_cast<long long>(mb) * dp)) % t.layout.pp == 0;
  }

  Floor compute_floor(const Task& t, int dp, const ZeroOption& z, int mb, const OffloadVariant* off) {
    const PlanSpec plan = make_plan(t, dp, z, t.tp > 1, 0, ScheduleOption{}, {Recompute::kFull, 0}, mb, off);
    job_.plan = plan;
    job_.training.global_batch = pick_global_batch(p_, static_cast<long long>(mb) * dp);
    const Evaluation e = ev_.evaluate(job_, cal_);
    ++calls_;
    Floor f;
    f.known = true;
    f.lightest_fits = e.feasible && e.peak_memory <= usable_;
    Bytes worst;
    int worst_stage = 0;
    for (int i : {0, 1, plan.pp - 1}) {
      if (i >= plan.pp) continue;
      const StageMemory& m = e.stage(i);
      const Bytes fixed = m.weights + m.gradients + m.optimizer + m.comm_buffers;
      const Bytes floor_bytes = fixed + m.framework + fixed * cal_.fragmentation;
      if (floor_bytes > worst) {
        worst = floor_bytes;
        worst_stage = i;
      }
    }
    if (worst > usable_) {
      f.oom = true;
      char buf[200];
      std::snprintf(buf, sizeof buf, "stage %d needs at least %.1f GiB (weights, gradients, optimizer state, buffers) of %.1f GiB usable",
                    worst_stage, worst / GiB(1), usable_ / GiB(1));
      f.detail = buf;
    }
    return f;
  }

  Outcome visit(const PlanSpec& plan, long long gb, const Floor& floor) {
    ++evaluated_;
    if (floor.oom) {
      ++reasons_[kOom];
      if (csv_) row(plan, gb, "out_of_memory", floor.detail, nullptr);
      return Outcome::kOutOfMemory;
    }
    job_.plan = plan;
    job_.training.global_batch = gb;
    const Evaluation e = ev_.evaluate(job_, cal_);
    ++calls_;
    int reason = -1;
    std::string detail;
    if (!e.feasible) {
      reason = e.reasons.empty() ? static_cast<int>(InfeasibleReason::kUnsupported) : static_cast<int>(e.reasons.front().reason);
      if (csv_ && !e.reasons.empty()) detail = e.reasons.front().detail;
    } else if (e.peak_memory > usable_) {
      reason = kOom;
      if (csv_) {
        char buf[160];
        std::snprintf(buf, sizeof buf, "stage %d needs %.1f GiB of %.1f GiB usable (%.0f%% headroom)", e.peak_stage, e.peak_memory / GiB(1),
                      usable_ / GiB(1), p_.search.memory_headroom * 100);
        detail = buf;
      }
    } else if (!meets_deadline(ctx_, e.tokens_per_s)) {
      reason = kMissesDeadline;
      if (csv_) detail = "misses the deadline";
    }
    if (csv_) row(plan, gb, reason < 0 ? "" : reason_name(reason), detail, &e);
    if (reason >= 0) {
      ++reasons_[reason];
      return reason == kOom ? Outcome::kOutOfMemory : Outcome::kOther;
    }
    ++feasible_;
    Candidate c = make_candidate(p_, ctx_, plan, gb, e);
    keep(c);
    pareto_.add(c);
    return Outcome::kFeasible;
  }

  void keep(const Candidate& c) {
    if (heap_.size() < keep_) {
      heap_.push_back(c);
      std::push_heap(heap_.begin(), heap_.end(), ranks_before);
    } else if (ranks_before(c, heap_.front())) {
      std::pop_heap(heap_.begin(), heap_.end(), ranks_before);
      heap_.back() = c;
      std::push_heap(heap_.begin(), heap_.end(), ranks_before);
    }
  }

  void row(const PlanSpec& p, long long gb, const char* reason, const std::string& detail, const Evaluation* e) {
    char buf[512];
    const bool feasible = reason[0] == '\0';
    std::snprintf(buf, sizeof buf, "%d,%d,%d,%d,%d,%d,%s,%d,%d,%d,%d,%d,%d,%s,%s,%s,%s,%s,%d,%d,%lld,%d,%d,%s,", p.gpus(), p.tp,
                  p.sequence_parallel ? 1 : 0, p.pp, p.first_stage_layers, p.last_stage_layers, schedule_name(p.schedule), p.virtual_stages,
                  p.dp, p.cp, p.ep, p.expert_tp, p.zero, fsdp_name(p.fsdp), offload_device_name(p.optimizer_offload.device),
                  offload_device_name(p.param_offload.device), offload_device_name(p.activation_offload.device), recompute_name(p.recompute),
                  p.recompute_layers, p.micro_batch, gb, p.tp_comm_overlap ? 1 : 0, feasible ? 1 : 0, reason);
    *csv_ += buf;
    *csv_ += '"';
    for (char ch : detail) {
      if (ch == '"') *csv_ += '"';
      *csv_ += ch;
    }
    *csv_ += '"';
    if (e) std::snprintf(buf, sizeof buf, ",%.6g,%.6g,%.4g,%.4g\n", e->step_time.si(), e->tokens_per_s, e->mfu_pct, e->peak_memory / GiB(1));
    else std::snprintf(buf, sizeof buf, ",,,,\n");
    *csv_ += buf;
  }

  const PlanProblem& p_;
  const Calibration& cal_;
  const Evaluator& ev_;
  ObjectiveContext ctx_;
  size_t keep_;
  JobSpec job_;
  std::string* csv_ = nullptr;
  Bytes usable_;
  std::vector<std::pair<Recompute, int>> recompute_;
  bool plain_;
};

}  // namespace

SearchResult run_search(const PlanProblem& problem, const Calibration& cal, const SearchOptions& options) {
  const auto t0 = std::chrono::steady_clock::now();
  const ObjectiveContext ctx = make_objective_context(options.objective, problem);
  AnalyticEvaluator analytic;
  const Evaluator& ev = options.evaluator ? *options.evaluator : static_cast<const Evaluator&>(analytic);
  const std::vector<Task> tasks = make_tasks(problem);
  const size_t keep = static_cast<size_t>(std::max(options.top, 2));
  int n = options.threads > 0 ? options.threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  n = std::max(1, std::min<int>(n, static_cast<int>(std::max<size_t>(1, tasks.size()))));

  std::vector<std::unique_ptr<Worker>> workers;
  for (int i = 0; i < n; ++i) workers.push_back(std::make_unique<Worker>(problem, cal, ev, ctx, keep));
  std::atomic<size_t> next{0};
  std::atomic<size_t> done_tasks{0};
  std::atomic<bool> stop{false};
  std::atomic<int> finished{0};
  std::unique_ptr<std::atomic<long long>[]> published(new std::atomic<long long>[n]);
  for (int i = 0; i < n; ++i) published[i] = 0;
  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::string> csv_parts(options.csv ? tasks.size() : 0);
  std::unique_ptr<std::atomic<bool>[]> csv_ready(new std::atomic<bool>[options.csv ? tasks.size() : 0]);
  for (size_t i = 0; options.csv && i < tasks.size(); ++i) csv_ready[i] = false;

  std::vector<std::thread> threads;
  for (int w = 0; w < n; ++w) {
    threads.emplace_back([&, w] {
      for (size_t i; (i = next.fetch_add(1)) < tasks.size();) {
        const bool whole = workers[w]->run(tasks[i], options.csv ? &csv_parts[i] : nullptr, stop);
        if (options.csv) csv_ready[i] = true;
        published[w].store(workers[w]->evaluated_, std::memory_order_relaxed);
        if (!whole) break;
        done_tasks.fetch_add(1);
      }
      {
        std::lock_guard<std::mutex> lock(mu);
        finished.fetch_add(1);
      }
      cv.notify_all();
    });
  }

  size_t csv_next = 0;
  auto flush_csv = [&] {
    while (options.csv && csv_next < tasks.size() && csv_ready[csv_next]) {
      *options.csv << csv_parts[csv_next];
      std::string().swap(csv_parts[csv_next]);
      ++csv_next;
    }
  };
  if (options.csv) *options.csv << csv_header();
  for (;;) {
    std::unique_lock<std::mutex> lock(mu);
    if (cv.wait_for(lock, std::chrono::milliseconds(100), [&] { return finished.load() == n; })) break;
    lock.unlock();
    flush_csv();
    const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (options.time_limit_s > 0 && elapsed > options.time_limit_s) stop = true;
    if (options.progress) {
      long long evaluated = 0;
      for (int i = 0; i < n; ++i) evaluated += published[i].load(std::memory_order_relaxed);
      options.progress(tasks.empty() ? 1.0 : static_cast<double>(done_tasks.load()) / tasks.size(), evaluated);
    }
  }
  for (auto& t : threads) t.join();
  flush_csv();

  SearchResult r;
  r.tasks = static_cast<long long>(tasks.size());
  r.complete = !stop.load() && done_tasks.load() == tasks.size();
  ParetoFront front(ctx);
  std::vector<Candidate> all;
  std::array<long long, kReasonCount> reasons{};
  long long skipped_offload = 0, skipped_mb = 0;
  for (auto& wk : workers) {
    r.evaluated += wk->evaluated_;
    r.evaluator_calls += wk->calls_;
    r.feasible += wk->feasible_;
    skipped_offload += wk->skipped_offload_;
    skipped_mb += wk->skipped_micro_batch_;
    for (int i = 0; i < kReasonCount; ++i) reasons[i] += wk->reasons_[i];
    all.insert(all.end(), wk->heap_.begin(), wk->heap_.end());
    front.merge(wk->pareto_);
  }
  for (int i = 0; i < kReasonCount; ++i)
    if (reasons[i] > 0) r.infeasible_by_reason[reason_name(i)] = reasons[i];
  if (skipped_offload > 0) r.skipped["offload_when_plan_fits"] = skipped_offload;
  if (skipped_mb > 0) r.skipped["larger_micro_batch_after_out_of_memory"] = skipped_mb;
  std::sort(all.begin(), all.end(), ranks_before);
  if (all.size() > keep) all.resize(keep);
  r.top = std::move(all);
  r.pareto = front.sorted();
  r.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return r;
}

}  // namespace trainplan::planner
