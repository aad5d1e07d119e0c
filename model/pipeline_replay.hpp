// One step's pipeline replayed op by op without a network: every stage runs its schedule's op order
// (model/schedule.hpp stage_ops) with the per-chunk times of the step description
// (model/workload.hpp StepWork), each op waiting for its input from the neighbouring virtual stage.
// It is the simulator's replay (sim/engine.cpp run_stage) on an uncontended network, so the GUI
// timeline draws the schedule the simulator runs, interleaving and zero-bubble included.
//
// Rules, as the simulator applies them:
//   * a forward of virtual stage vs > 0 waits for the forward of vs − 1 plus one transfer; a
//     backward of vs < V − 1 waits for the backward (B, not W) of vs + 1 plus one transfer
//     (V = pp · v; virtual stage vs runs on stage vs mod pp as chunk vs / pp);
//   * with overlap_p2p a send does not hold its stage; without it the stage is busy for the
//     transfer (the simulator's blocking put to a permanent receiver completes when the data has
//     arrived);
//   * zero-bubble: before a backward that waits for its gradient, deferred weight-gradient ops (W)
//     whose backward is done run while the gradient has not arrived (ZB-H1 fills the drain bubble
//     with them, Qi et al. 2023 §3); a W that already ran is skipped at its place in the order.
//   * chunk times are the sums of the chunk's segments (compute, the exposed TP/CP/EP time and
//     offload) as StepWork gives them; the data-parallel reduction, optimizer and offload at the
//     end of the step are not part of the replay.
//
//   PipelineReplay r = replay_pipeline(work, pipeline_p2p_time(job, cal));
//   if (!r.error.empty()) ...;  r.end is the last op's end
#pragma once

#include <string>
#include <vector>

#include "model/schedule.hpp"
#include "model/units.hpp"
#include "model/workload.hpp"

namespace trainplan {

struct ReplayedOp {
  int stage = 0;
  PipeOp op;
  Seconds start, end;
  Seconds send_end;  // end of the transfer this op sends (zero when it sends none)
};

struct PipelineReplay {
  std::vector<ReplayedOp> ops;     // in the order they were run
  std::vector<Seconds> stage_end;  // per stage, its last op's end
  Seconds end;                     // the pipeline's end (max of stage_end)
  std::string error;               // non-empty: the order deadlocked (a bug in the schedule)
};

PipelineReplay replay_pipeline(const StepWork& w, Seconds p2p);

}  // namespace trainplan
