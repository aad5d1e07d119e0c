// Lower bounds on the analytic evaluator's step time, for branch and bound (search.hpp).
//
// The analytic evaluator (model/analytic.cpp) predicts
//   step = pipeline + pp_comm + dp_exposed + emb_sync + optimizer + offload
// where pipeline and pp_comm come from model/step.hpp pipeline_time over the per-micro-batch
// stage times (model/step.hpp stage_times) and every later term is a non-negative collective,
// memory or offload time. The stage times depend only on (tp, sequence parallel, cp, ep,
// expert_tp, micro-batch, TP overlap) through the layer costs, on the stage layout and on
// recompute; the pipeline formula is monotone in every stage time. So, computed with the very
// functions the evaluator uses and without the activation-offload term (which only adds), pipeline
// + pp_comm is a lower bound of the step time of every plan with those knobs, whatever its ZeRO
// stage, FSDP and offload. A relative slack of 1e-9 covers a different association of sums.
//
// The bound holds for the analytic evaluator only; the search uses it only with that evaluator.
// tests/planner/search/bound_test.cpp checks it against every plan of small problems.
//
//   StepBound b(problem, cal);
//   StageSums s = b.stage_sums(task, sp, tp_overlap, mb, {Recompute::kNone, 0});
//   double lb = b.step_lower_bound(task, s, schedule, global_batch / (mb * dp), b.p2p(task, dp, sp, mb));
#pragma once

#include <vector>

#include "model/calibration.hpp"
#include "model/step.hpp"
#include "planner/search/problem.hpp"
#include "planner/search/space.hpp"

namespace trainplan::planner {

// Per-micro-batch times of the stage kinds of one plan, without activation offload.
struct StageSums {
  StageKinds kinds;
  std::vector<StageTimes> t;
};

class StepBound {
 public:
  StepBound(const PlanProblem& problem, const Calibration& cal);

  // Stage times of a task's layout for (sp, tp_overlap, micro-batch) and recompute.
  StageSums stage_sums(const Task& t, int sp, int tp_overlap, int micro_batch, std::pair<Recompute, int> rc);
  // Lower bound of the step time (seconds) of a plan with these stage times, schedule,
  // micro-batch count and p2p time (p2p()): pipeline + pp_comm, times (1 − 1e-9). Planner plans
  // keep P2P overlap on.
  static double step_lower_bound(const Task& t, const StageSums& s, const ScheduleOption& so, double micro_batches, double p2p);
  // Pipeline transfer time of one micro-batch's activations (0 at pp 1).
  double p2p(const Task& t, int dp, int sp, int micro_batch);

 private:
  // The problem as a job whose plan carries the knobs the layer costs depend on.
  JobSpec& job_for(const Task& t, int sp, int tp_overlap, int micro_batch);

  const Calibration& cal_;
  JobSpec job_;
  LayerCostCache cache_;
};

}  // namespace trainplan::planner
