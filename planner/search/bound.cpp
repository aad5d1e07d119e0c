#include "planner/search/bound.hpp"

namespace trainplan::planner {

namespace {
constexpr double kSlack = 1.0 - 1e-9;
}  // namespace

StepBound::StepBound(const PlanProblem& problem, const Calibration& cal) : cal_(cal) {
  job_.model = problem.model;
  job_.cluster = problem.cluster;
  job_.training = problem.training;
}

JobSpec& StepBound::job_for(const Task& t, int sp, int tp_overlap, int micro_batch) {
  PlanSpec& p = job_.plan;
  p.tp = t.tp;
  p.cp = t.cp;
  p.ep = t.ep;
  p.expert_tp = t.expert_tp;
  p.pp = t.layout.pp;
  p.first_stage_layers = t.layout.first;
  p.last_stage_layers = t.layout.last;
  p.account_for_embedding = p.account_for_loss = t.layout.account_for;
  p.sequence_parallel = sp != 0 && t.tp > 1;
  p.tp_comm_overlap = tp_overlap != 0;
  p.micro_batch = micro_batch;
  p.attention = AttentionBackend::kAuto;  // the planner's plans use the automatic attention backend
  return job_;
}

StageSums StepBound::stage_sums(const Task& t, int sp, int tp_overlap, int micro_batch, std::pair<Recompute, int> rc) {
  const LayerCosts& costs = cache_.get(job_for(t, sp, tp_overlap, micro_batch), cal_);
  StageSums s;
  s.kinds = stage_kinds(job_.model, job_.plan);  // stage totals: the same for every chunk count
  s.t.assign(s.kinds.count, StageTimes{});
  for (int k = 0; k < s.kinds.count; ++k) s.t[k] = stage_times(job_.model, s.kinds.kind[k], costs, rc.first, rc.second);
  return s;
}

double StepBound::p2p(const Task& t, int dp, int sp, int micro_batch) {
  JobSpec& j = job_for(t, sp, 0, micro_batch);
  j.plan.dp = dp;
  return pipeline_p2p_time(j, cal_).si();
}

double StepBound::step_lower_bound(const Task& t, const StageSums& s, const ScheduleOption& so, double m_mb, double p2p) {
  PlanSpec p;
  p.pp = t.layout.pp;
  p.schedule = so.schedule;
  p.virtual_stages = so.virtual_stages;
  p.overlap_p2p = true;
  const PipelineTime pt = pipeline_time(p, m_mb, s.kinds, s.t, Seconds::from_si(p2p));
  return (pt.pipeline + pt.pp_comm).si() * kSlack;
}

}  // namespace trainplan::planner
