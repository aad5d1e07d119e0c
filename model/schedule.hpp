// Pipeline schedules as op orders per stage: what each pipeline rank runs, in order, for one step.
//
//   1F1B (PipeDream-Flush, Narayanan et al. 2021 §2.2.1): p − i − 1 warm-up forwards on stage i, then
//     one forward and one backward alternately, then the remaining backwards.
//   GPipe (Huang et al. 2019): every forward, then every backward.
//   Interleaved 1F1B (Megatron-LM, schedules.py forward_backward_pipelining_with_interleaving): v model
//     chunks per stage; micro-batches go in groups of p through chunk 0, 1, …, v−1; warm-up
//     (p − i − 1)·2 + (v − 1)·p forwards.
//   Zero-bubble ZB-H1 (Qi et al. 2023 §2.1): backward split into B (input gradient, sent upstream at
//     once) and W (weight gradient); 1F1B order, stage i's W passes delayed by i micro-batches (every
//     stage then holds as many micro-batches in flight as the first), and the W passes left at the
//     end, where they fill the drain bubble (the replay runs them while a B waits: model/pipeline_replay.hpp).
//
// The op-level step description and its replay live in model/ (no SimGrid): the simulator
// (sim/engine.cpp), the GUI timeline (gui/pipeline_schedule.hpp) and the tests read the same orders.
//
//   std::vector<PipeOp> ops = stage_ops(Schedule::k1F1B, /*pp=*/8, /*v=*/1, /*micro_batches=*/96, /*stage=*/3);
#pragma once

#include <vector>

#include "model/spec/job.hpp"

namespace trainplan {

struct PipeOp {
  enum Kind { kForward, kBackward, kWeightGrad };  // kBackward is the whole backward except under zero-bubble
  Kind kind = kForward;
  int micro_batch = 0;
  int chunk = 0;  // virtual (interleaved) chunk on this stage
};

std::vector<PipeOp> stage_ops(Schedule schedule, int pp, int virtual_stages, int micro_batches, int stage);

}  // namespace trainplan
