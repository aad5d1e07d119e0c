// An analytic step timeline derived from an Evaluation, for the Gantt view when no simulator trace
// is at hand. Approximation (also the view's tooltip):
//   * every micro-batch costs the same on a stage: the critical stage's compute, recompute and
//     exposed TP/CP/EP time divided by the micro-batches, scaled by the stage's layers over the
//     critical stage's layers; forward takes 1/3 of it, backward 2/3 plus the recompute;
//   * order: 1F1B (p − i − 1 warm-up forwards on stage i, then one forward / one backward, then the
//     remaining backwards; Narayanan et al. 2021 §2.2.1), GPipe all forwards then all backwards;
//     interleaved and zero-bubble are drawn in 1F1B order (their smaller bubble is in the figures,
//     not in the picture);
//   * each pipeline transfer takes the exposed PP time over 2·m transfers; a block waits for its
//     predecessor stage's block plus that transfer;
//   * after its last backward each stage runs the exposed DP reduction, then the optimizer and the
//     offload traffic of the breakdown.
//
//   Timeline t = analytic_timeline(row.eval, row.job.plan);
#pragma once

#include <string>
#include <vector>

#include "model/evaluation.hpp"
#include "model/spec/job.hpp"

namespace trainplan::gui {

struct TimelineBlock {
  enum Kind { kForward, kBackward, kP2p, kDpComm, kOptimizer, kOffload };
  enum Lane { kComputeLane = 0, kCommLane = 1 };
  Kind kind = kForward;
  Lane lane = kComputeLane;
  int stage = 0;
  int micro_batch = -1;  // -1: not per micro-batch
  double start_s = 0, end_s = 0;
};

struct Timeline {
  int stages = 1;
  long long micro_batches = 1;
  double end_s = 0;  // last block's end
  std::vector<TimelineBlock> blocks;
};

Timeline analytic_timeline(const Evaluation& e, const PlanSpec& plan);

// The approximation, for tooltips.
const char* analytic_timeline_note();

}  // namespace trainplan::gui
