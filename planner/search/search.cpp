#include "planner/search/search.hpp"

#include <algorithm>
#include <array>
#include <barrier>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <tuple>

#include "model/analytic.hpp"
#include "model/step.hpp"
#include "planner/search/bound.hpp"
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
                         const Evaluation& e, int flags) {
  Candidate c;
  c.flags = flags;
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
  std::string h = "gpus";
  for (const KnobDecl& k : kPlanKnobs) (h += ',') += k.name;
  return h + ",global_batch,feasible,reason,detail,step_time_s,tokens_per_s,mfu_pct,peak_memory_gib\n";
}

namespace {

// A knob's CSV cell: booleans as 1/0 (a spreadsheet sums them), the rest as knob_text.
std::string csv_cell(const KnobDecl& k, const PlanSpec& p) {
  return k.type == KnobType::kBool ? std::string(k.get(p) != 0 ? "1" : "0") : knob_text(k, p);
}

// Reasons counted in infeasible_by_reason: the evaluator's, plus a missed deadline.
constexpr int kReasonCount = 9;
constexpr int kMissesDeadline = 6;
constexpr int kOutsideEnvelope = 7;  // --within-envelope: an extrapolation flag (model/uncertainty.hpp)
constexpr int kNotAccepted = 8;      // SearchOptions::accept said no
const char* reason_name(int i) {
  if (i == kNotAccepted) return "not_accepted";
  if (i == kMissesDeadline) return "misses_deadline";
  if (i == kOutsideEnvelope) return "outside_envelope";
  return reason_key(static_cast<InfeasibleReason>(i));
}
constexpr int kOom = static_cast<int>(InfeasibleReason::kOutOfMemory);

enum class Outcome { kFeasible, kOutOfMemory, kOther };

struct Floor {
  bool known = false;
  bool oom = false;
  bool lightest_fits = false;  // the group's lightest plan (smallest micro-batch, full recompute) fits
  std::string detail;
};

// The k-th best (primary, secondary) among the plans evaluated before the current round; a plan
// whose lower bounds exceed it (lexicographically) cannot enter the top K.
struct Threshold {
  bool set = false;
  double primary = 0, secondary = 0;
  bool deadline = false;  // the problem has a deadline: plans that cannot meet it are skipped
};

// Lower bounds of (primary, secondary) of plans on `gpus` GPUs with `tokens` per step and a step
// time of at least `step_lb`; hopeless when even the bound misses the deadline.
struct ScoreBound {
  double primary = 0, secondary = 0;
  bool hopeless = false;
};

ScoreBound score_bound(const ObjectiveContext& ctx, int gpus, double tokens, double step_lb) {
  Candidate c;
  c.gpus = gpus;
  c.tokens_per_s = step_lb > 0 ? tokens / step_lb : std::numeric_limits<double>::infinity();
  score(ctx, c);  // every objective's primary and secondary fall (or stay) as tokens/s grows
  return {c.primary, c.secondary, !meets_deadline(ctx, c.tokens_per_s, c.goodput)};
}

// Order of bounds: a bound that can meet the deadline first, then (primary, secondary).
bool score_before(const ScoreBound& a, const ScoreBound& b) {
  if (a.hopeless != b.hopeless) return b.hopeless;
  if (a.primary != b.primary) return a.primary < b.primary;
  return a.secondary < b.secondary;
}

// Megatron's interleaved schedule needs the micro-batch count divisible by pp (rules.hpp).
bool valid_interleave(const ScheduleOption& so, const Task& t, long long gb, int mb, int dp) {
  return so.schedule != Schedule::kInterleaved || (gb / (static_cast<long long>(mb) * dp)) % t.layout.pp == 0;
}

bool cannot_enter(const ScoreBound& b, const Threshold& th) {
  if (b.hopeless) return true;
  if (!th.set) return false;
  return b.primary > th.primary || (b.primary == th.primary && b.secondary > th.secondary);
}

class Worker {
 public:
  Worker(const PlanProblem& p, const Calibration& cal, const Evaluator& ev, const ObjectiveContext& ctx, size_t keep,
         const std::function<bool(const JobSpec&)>& accept)
      : pareto_(ctx),
        p_(p),
        cal_(cal),
        ev_(ev),
        ctx_(ctx),
        keep_(keep),
        accept_(accept),
        job_(make_job(p, PlanSpec{}, p.batch_max())),
        usable_(p.cluster.node.gpu.memory * (1.0 - p.search.memory_headroom)),
        recompute_(recompute_options(p)),
        plain_(plain_allowed(p)),
        bound_(p, cal) {}

  // Walks the plans of one group (task, dp); stops early (returns false) when `stop` is raised.
  // With `th` set, plans whose step-time bound cannot enter the top K are skipped ("bound").
  bool run(const Task& t, int dp, const Threshold& th, std::string* csv, const std::atomic<bool>& stop) {
    csv_ = csv;
    const std::vector<ScheduleOption> schedules = schedule_options(p_, t.layout);
    const std::vector<int> mbs = micro_batch_candidates(p_, dp);
    if (mbs.empty()) return true;
    const std::vector<int> sps = sequence_parallel_options(p_, t.tp);
    // Which (sp, tp overlap, schedule, recompute, micro-batch) cannot enter the top K, in walk order.
    pruned_.clear();
    const int gpus = t.tp * t.cp * t.layout.pp * dp;
    auto tokens = [&](long long gb) { return static_cast<double>(gb) * p_.training.sequence_length; };
    if (th.set || th.deadline) {
      for (int sp : sps)
        for (int tpo : tp_overlap_options(p_, t.tp, sp != 0)) {
          sums_.clear();
          for (const auto& rc : recompute_)
            for (int mb : mbs) sums_.push_back(bound_.stage_sums(t, sp, tpo, mb, rc));
          p2p_.clear();
          for (int mb : mbs) p2p_.push_back(bound_.p2p(t, dp, sp, mb));
          for (const ScheduleOption& so : schedules)
            for (size_t r = 0; r < recompute_.size(); ++r)
              for (size_t i = 0; i < mbs.size(); ++i) {
                const long long gb = pick_global_batch(p_, static_cast<long long>(mbs[i]) * dp);
                const double m_mb = static_cast<double>(gb / (static_cast<long long>(mbs[i]) * dp));
                const double lb = StepBound::step_lower_bound(t, sums_[r * mbs.size() + i], so, m_mb, p2p_[i]);
                pruned_.push_back(cannot_enter(score_bound(ctx_, gpus, tokens(gb), lb), th) ? 1 : 0);
              }
        }
    }
    for (const ZeroOption& z : zero_options(p_, t, dp)) {
      const int ez = z.fsdp == Fsdp::kNone ? z.zero : 3;
      const std::vector<OffloadVariant> variants = offload_variants(p_, ez);
      const long long per_skip = plain_ ? 1 : static_cast<long long>(variants.size());
      std::vector<Floor> floors(variants.size() + 1);
      auto floor = [&](size_t k) -> const Floor& {
        if (!floors[k].known) floors[k] = compute_floor(t, dp, z, mbs.front(), k == 0 ? nullptr : &variants[k - 1]);
        return floors[k];
      };
      size_t cell = 0;
      for (int sp : sps)
        for (int tpo : tp_overlap_options(p_, t.tp, sp != 0))
          for (const ScheduleOption& so : schedules)
            for (const auto& rc : recompute_) {
              if (stop.load(std::memory_order_relaxed)) return false;
              const size_t first_cell = cell;
              cell += mbs.size();
              for (size_t i = 0; i < mbs.size(); ++i) {
                const int mb = mbs[i];
                const long long gb = pick_global_batch(p_, static_cast<long long>(mb) * dp);
                if (!valid_interleave(so, t, gb, mb, dp)) continue;
                if (!pruned_.empty() && pruned_[first_cell + i]) {
                  skipped_bound_ += per_skip;
                  continue;
                }
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
    return true;
  }

  long long evaluated_ = 0, calls_ = 0, feasible_ = 0, skipped_offload_ = 0, skipped_micro_batch_ = 0, skipped_bound_ = 0;
  std::array<long long, kReasonCount> reasons_{};
  std::vector<Candidate> heap_;  // max-heap by rank: the worst kept plan on top
  ParetoFront pareto_;

 private:
  Floor compute_floor(const Task& t, int dp, const ZeroOption& z, int mb, const OffloadVariant* off) {
    PlanSpec plan = make_plan(t, dp, z, t.tp > 1, 0, ScheduleOption{}, {Recompute::kFull, 0}, mb, off);
    apply_fixed_knobs(p_.search, plan);
    job_.plan = plan;
    job_.training.global_batch = pick_global_batch(p_, static_cast<long long>(mb) * dp);
    const Evaluation e = analytic_ ? analytic_->evaluate(job_, cal_, layer_cache_) : ev_.evaluate(job_, cal_);
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

  Outcome visit(PlanSpec plan, long long gb, const Floor& floor) {
    ++evaluated_;
    apply_fixed_knobs(p_.search, plan);
    if (floor.oom) {
      ++reasons_[kOom];
      if (csv_) row(plan, gb, "out_of_memory", floor.detail, nullptr);
      return Outcome::kOutOfMemory;
    }
    job_.plan = plan;
    job_.training.global_batch = gb;
    const Evaluation e = analytic_ ? analytic_->evaluate(job_, cal_, layer_cache_) : ev_.evaluate(job_, cal_);
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
    } else if (!meets_deadline(ctx_, e.tokens_per_s, objective_goodput(ctx_, plan.gpus()))) {
      reason = kMissesDeadline;
      if (csv_) detail = "misses the deadline";
    }
    int flags = 0;
    if (reason < 0 && needs_flags(ctx_)) {
      std::vector<std::string> names;
      flags = extrapolation(*ctx_.uncertainty, job_, e, csv_ ? &names : nullptr);
      if (flags > 0 && ctx_.within_envelope) {
        reason = kOutsideEnvelope;
        if (csv_) detail.swap(names.front());  // swap: GCC 12 warns (-Wfree-nonheap-object) on the copy, a false positive
      }
    }
    if (reason < 0 && accept_ && !accept_(job_)) reason = kNotAccepted;
    if (csv_) row(plan, gb, reason < 0 ? "" : reason_name(reason), detail, &e);
    if (reason >= 0) {
      ++reasons_[reason];
      return reason == kOom ? Outcome::kOutOfMemory : Outcome::kOther;
    }
    ++feasible_;
    Candidate c = make_candidate(p_, ctx_, plan, gb, e, flags);
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
    *csv_ += std::to_string(p.gpus());
    for (const KnobDecl& k : kPlanKnobs) (*csv_ += ',') += csv_cell(k, p);
    std::snprintf(buf, sizeof buf, ",%lld,%d,%s,", gb, feasible ? 1 : 0, reason);
    *csv_ += buf;
    *csv_ += '"';
    for (char ch : detail) {
      if (ch == '"') *csv_ += '"';
      *csv_ += ch;
    }
    *csv_ += '"';
    if (e)
      std::snprintf(buf, sizeof buf, ",%.6g,%.6g,%.4g,%.4g\n", e->step_time.si(), e->tokens_per_s, e->mfu_pct, e->peak_memory / GiB(1));
    else
      std::snprintf(buf, sizeof buf, ",,,,\n");
    *csv_ += buf;
  }

  const PlanProblem& p_;
  const Calibration& cal_;
  const Evaluator& ev_;
  const AnalyticEvaluator* analytic_ = dynamic_cast<const AnalyticEvaluator*>(&ev_);  // memoized path
  LayerCostCache layer_cache_;
  ObjectiveContext ctx_;
  size_t keep_;
  const std::function<bool(const JobSpec&)>& accept_;
  JobSpec job_;
  std::string* csv_ = nullptr;
  Bytes usable_;
  std::vector<std::pair<Recompute, int>> recompute_;
  bool plain_;
  StepBound bound_;
  std::vector<StageSums> sums_;
  std::vector<double> p2p_;
  std::vector<char> pruned_;
};

}  // namespace

namespace {

// A unit of work: the plans of one task with one dp, with lower bounds of (primary, secondary)
// over all its plans and the plans the walk counts when the group is skipped whole.
struct Group {
  size_t task = 0;
  int dp = 1;
  ScoreBound bound;
  long long plans = 0;
};

// The groups of the problem in task order, dp ascending; with `bounded`, each with its bound.
// Stops early (the groups so far, `truncated` set) when `stop_now` says so: with a large space the
// groups themselves take time, and the time limit holds here too.
std::vector<Group> make_groups(const PlanProblem& p, const Calibration& cal, const ObjectiveContext& ctx, const std::vector<Task>& tasks,
                               bool bounded, const std::function<bool()>& stop_now, bool& truncated) {
  std::vector<Group> out;
  truncated = false;
  StepBound bound(p, cal);
  const bool plain = plain_allowed(p);
  const size_t rcs = recompute_options(p).size();
  std::map<std::tuple<int, int, int>, StageSums> sums;  // of the current task
  for (size_t ti = 0; ti < tasks.size(); ++ti) {
    const Task& t = tasks[ti];
    const std::vector<ScheduleOption> schedules = schedule_options(p, t.layout);
    const std::vector<int> sps = sequence_parallel_options(p, t.tp);
    int tpos = 0;
    for (int sp : sps) tpos += static_cast<int>(tp_overlap_options(p, t.tp, sp != 0).size());
    sums.clear();
    for (int dp : dp_candidates(p, t)) {
      if (stop_now()) {
        truncated = true;
        return out;
      }
      Group g;
      g.task = ti;
      g.dp = dp;
      const std::vector<int> mbs = micro_batch_candidates(p, dp);
      // Plans counted when skipped whole: one per (zero, sp, overlap, schedule, recompute, valid
      // micro-batch), times the offload variants when the plain plan is not in the space.
      long long cells = 0;
      for (const ScheduleOption& so : schedules)
        for (int mb : mbs)
          if (valid_interleave(so, t, pick_global_batch(p, static_cast<long long>(mb) * dp), mb, dp)) ++cells;
      cells *= static_cast<long long>(tpos) * static_cast<long long>(rcs);
      for (const ZeroOption& z : zero_options(p, t, dp))
        g.plans += cells * (plain ? 1 : static_cast<long long>(offload_variants(p, z.fsdp == Fsdp::kNone ? z.zero : 3).size()));
      if (bounded && !mbs.empty()) {
        // The least, over the group's (sp, TP overlap, micro-batch, schedule), of the exact pipeline
        // + transfer time of those knobs without recomputation (bound.hpp): recomputation only adds
        // to stage times, and model/step.hpp's pipeline time is monotone in them.
        bool first = true;
        for (int sp : sps)
          for (int tpo : tp_overlap_options(p, t.tp, sp != 0))
            for (int mb : mbs) {
              const long long gb = pick_global_batch(p, static_cast<long long>(mb) * dp);
              const double m_mb = static_cast<double>(gb / (static_cast<long long>(mb) * dp));
              const double p2p = bound.p2p(t, dp, sp, mb);
              auto key = std::make_tuple(sp, tpo, mb);
              auto it = sums.find(key);
              if (it == sums.end()) it = sums.emplace(key, bound.stage_sums(t, sp, tpo, mb, {Recompute::kNone, 0})).first;
              double lb = std::numeric_limits<double>::infinity();
              for (const ScheduleOption& so : schedules) lb = std::min(lb, StepBound::step_lower_bound(t, it->second, so, m_mb, p2p));
              const ScoreBound b =
                  score_bound(ctx, t.tp * t.cp * t.layout.pp * dp, static_cast<double>(gb) * p.training.sequence_length, lb);
              if (first || score_before(b, g.bound)) g.bound = b;
              first = false;
            }
      }
      out.push_back(g);
    }
  }
  return out;
}

bool bound_before(const Group& a, const Group& b) { return score_before(a.bound, b.bound); }

}  // namespace

ObjectiveContext search_context(const PlanProblem& problem, const SearchOptions& options) {
  return make_objective_context(options.objective, problem, options.uncertainty, options.ranking, options.within_envelope);
}

SearchResult run_search(const PlanProblem& problem, const Calibration& cal, const SearchOptions& options) {
  const auto t0 = std::chrono::steady_clock::now();
  const ObjectiveContext ctx = search_context(problem, options);
  AnalyticEvaluator analytic;
  const Evaluator& ev = options.evaluator ? *options.evaluator : static_cast<const Evaluator&>(analytic);
  // The step-time bound is the analytic model's; another evaluator gets the exhaustive search.
  const bool bounded = options.prune && dynamic_cast<const AnalyticEvaluator*>(&ev) != nullptr;
  const std::vector<Task> tasks = make_tasks(problem);
  auto out_of_time = [&] {
    const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return (options.time_limit_s > 0 && elapsed > options.time_limit_s) || (options.cancel && options.cancel->load());
  };
  bool truncated = false;
  std::vector<Group> groups = make_groups(problem, cal, ctx, tasks, bounded, out_of_time, truncated);
  // Best bound first (ties: task order, then dp), so that a good incumbent comes early.
  if (bounded) std::stable_sort(groups.begin(), groups.end(), bound_before);
  const size_t keep = static_cast<size_t>(std::max(options.top, 2));
  int n = options.threads > 0 ? options.threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  n = std::max(1, std::min<int>(n, static_cast<int>(std::max<size_t>(1, groups.size()))));

  std::vector<std::unique_ptr<Worker>> workers;
  for (int i = 0; i < n; ++i) workers.push_back(std::make_unique<Worker>(problem, cal, ev, ctx, keep, options.accept));
  std::atomic<size_t> next{0};
  std::atomic<size_t> done_groups{0};
  std::atomic<bool> stop{false};
  std::atomic<int> finished{0};
  std::unique_ptr<std::atomic<long long>[]> published(new std::atomic<long long>[n]);
  for (int i = 0; i < n; ++i) published[i] = 0;
  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::string> csv_parts(options.csv ? groups.size() : 0);
  std::unique_ptr<std::atomic<bool>[]> csv_ready(new std::atomic<bool>[options.csv ? groups.size() : 0]);
  for (size_t i = 0; options.csv && i < groups.size(); ++i) csv_ready[i] = false;

  // Rounds: the groups [round_begin, round_end) run in parallel against the threshold of the
  // plans evaluated in earlier rounds. Round sizes (in plans) are fixed, so the threshold of every
  // round, hence every decision, is the same for any thread count.
  Threshold th;
  th.deadline = bounded && ctx.deadline_days > 0 && ctx.token_budget > 0;
  size_t round_end = 0;
  long long round_plans = 1 << 14;
  long long skipped_suffix = 0;
  bool done = false;
  auto plan_round = [&](size_t begin) {
    if (stop.load() || begin >= groups.size()) {
      done = true;
      return;
    }
    if (bounded) {
      std::vector<Candidate> all;
      for (auto& wk : workers) all.insert(all.end(), wk->heap_.begin(), wk->heap_.end());
      if (all.size() >= keep) {
        std::nth_element(all.begin(), all.begin() + static_cast<long>(keep - 1), all.end(), ranks_before);
        th.set = true;
        th.primary = all[keep - 1].primary;
        th.secondary = all[keep - 1].secondary;
      }
      // Groups are sorted by bound: once one cannot enter, none of the rest can.
      if (cannot_enter(groups[begin].bound, th)) {
        for (size_t i = begin; i < groups.size(); ++i) skipped_suffix += groups[i].plans;
        done_groups.store(groups.size());
        done = true;
        return;
      }
    }
    size_t end = begin;
    long long plans = 0;
    while (end < groups.size() && (!bounded || plans < round_plans)) plans += std::max(1LL, groups[end++].plans);
    round_plans = std::min(round_plans * 2, 1LL << 20);
    round_end = end;
    next.store(begin);
  };
  plan_round(0);
  std::barrier sync(n, [&]() noexcept { plan_round(round_end); });

  std::vector<std::thread> threads;
  for (int w = 0; w < n; ++w) {
    threads.emplace_back([&, w] {
      while (!done) {
        for (size_t i; (i = next.fetch_add(1)) < round_end;) {
          const Group& g = groups[i];
          bool whole = true;
          if (cannot_enter(g.bound, th))
            workers[w]->skipped_bound_ += g.plans;
          else
            whole = workers[w]->run(tasks[g.task], g.dp, th, options.csv ? &csv_parts[i] : nullptr, stop);
          if (options.csv) csv_ready[i] = true;
          published[w].store(workers[w]->evaluated_, std::memory_order_relaxed);
          if (!whole) break;
          done_groups.fetch_add(1);
        }
        sync.arrive_and_wait();
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
    while (options.csv && csv_next < groups.size() && csv_ready[csv_next]) {
      *options.csv << csv_parts[csv_next];
      std::string().swap(csv_parts[csv_next]);
      ++csv_next;
    }
  };
  if (options.csv) *options.csv << csv_header();
  for (;;) {
    std::unique_lock<std::mutex> lock(mu);
    if (cv.wait_for(lock, std::chrono::milliseconds(20), [&] { return finished.load() == n; })) break;
    lock.unlock();
    flush_csv();
    if (out_of_time()) stop = true;
    if (options.progress) {
      long long evaluated = 0;
      for (int i = 0; i < n; ++i) evaluated += published[i].load(std::memory_order_relaxed);
      options.progress(groups.empty() ? 1.0 : static_cast<double>(done_groups.load()) / groups.size(), evaluated);
    }
  }
  for (auto& t : threads) t.join();
  flush_csv();

  SearchResult r;
  r.tasks = static_cast<long long>(groups.size());
  r.complete = !truncated && !stop.load() && done_groups.load() == groups.size();
  ParetoFront front(ctx);
  std::vector<Candidate> all;
  std::array<long long, kReasonCount> reasons{};
  long long skipped_offload = 0, skipped_mb = 0, skipped_bound = skipped_suffix;
  for (auto& wk : workers) {
    r.evaluated += wk->evaluated_;
    r.evaluator_calls += wk->calls_;
    r.feasible += wk->feasible_;
    skipped_offload += wk->skipped_offload_;
    skipped_mb += wk->skipped_micro_batch_;
    skipped_bound += wk->skipped_bound_;
    for (int i = 0; i < kReasonCount; ++i) reasons[i] += wk->reasons_[i];
    all.insert(all.end(), wk->heap_.begin(), wk->heap_.end());
    front.merge(wk->pareto_);
  }
  for (int i = 0; i < kReasonCount; ++i)
    if (reasons[i] > 0) r.infeasible_by_reason[reason_name(i)] = reasons[i];
  if (skipped_offload > 0) r.skipped["offload_when_plan_fits"] = skipped_offload;
  if (skipped_mb > 0) r.skipped["larger_micro_batch_after_out_of_memory"] = skipped_mb;
  if (skipped_bound > 0) r.skipped["bound"] = skipped_bound;
  r.pareto_complete = skipped_bound == 0;
  std::sort(all.begin(), all.end(), ranks_before);
  if (all.size() > keep) all.resize(keep);
  r.top = std::move(all);
  r.pareto = front.sorted();
  r.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  r.threads = n;
  return r;
}

}  // namespace trainplan::planner
