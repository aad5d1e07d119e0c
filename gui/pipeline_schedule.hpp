// The step timeline of the Gantt view: the pipeline replayed op by op from the step description
// (model/workload.hpp build_step, model/pipeline_replay.hpp replay_pipeline), the schedule the
// simulator runs, interleaved chunks and zero-bubble W ops included, on an uncontended network.
// After each stage's last op come the exposed DP reduction, the optimizer and the offload traffic of
// the evaluation's breakdown (the worst stage's, as the evaluator counts them).
//
// The replay's end and the evaluation's step time differ by what the closed form
// (model/step.hpp pipeline_time) approximates; the view's footer shows both.
//
//   Timeline t = step_timeline(row.job, outcome.cal, row.eval);
#pragma once

#include <string>
#include <vector>

#include "model/calibration.hpp"
#include "model/evaluation.hpp"
#include "model/pipeline_replay.hpp"
#include "model/spec/job.hpp"

namespace trainplan::gui {

struct TimelineBlock {
  enum Kind { kForward, kBackward, kWeightGrad, kP2p, kDpComm, kOptimizer, kOffload };
  enum Lane { kComputeLane = 0, kCommLane = 1 };
  Kind kind = kForward;
  Lane lane = kComputeLane;
  int stage = 0;
  int micro_batch = -1;  // -1: not per micro-batch
  int chunk = 0;         // virtual chunk (interleaving)
  double start_s = 0, end_s = 0;
};

struct Timeline {
  int stages = 1;
  long long micro_batches = 1;
  Schedule schedule = Schedule::k1F1B;
  int virtual_stages = 1;
  double end_s = 0;   // last block's end
  double step_s = 0;  // the evaluation's step time, for comparison
  std::vector<TimelineBlock> blocks;
  std::string error;  // non-empty: the step could not be built (the text says why)
};

// A replay and the evaluation's end-of-step terms as a timeline.
Timeline timeline_of(const PipelineReplay& replay, const StepWork& work, const Evaluation& e);
// The job's step built and replayed.
Timeline step_timeline(const JobSpec& job, const Calibration& cal, const Evaluation& e);

// The approximation, for tooltips.
const char* timeline_note();

}  // namespace trainplan::gui
