// Training job, parallel plan and the job that puts model, cluster, training and plan together.
//
// A job fixes every knob (model/spec/plan_knobs.hpp declares them); a plan problem
// (planner/search/problem.hpp) leaves knobs free.
#pragma once

#include "model/spec/hardware.hpp"
#include "model/spec/model_spec.hpp"
#include "model/spec/plan_knobs.hpp"
#include "model/spec/training.hpp"

namespace trainplan {

struct JobSpec {
  ModelSpec model;
  ClusterSpec cluster;
  TrainingSpec training;
  PlanSpec plan;
  [[nodiscard]] long long micro_batches() const { return training.global_batch / (static_cast<long long>(plan.micro_batch) * plan.dp); }
};

}  // namespace trainplan
