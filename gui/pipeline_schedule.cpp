#include "gui/pipeline_schedule.hpp"

#include <algorithm>

#include "model/step.hpp"

namespace trainplan::gui {
namespace {

TimelineBlock::Kind kind_of(PipeOp::Kind k) {
  switch (k) {
    case PipeOp::kForward: return TimelineBlock::kForward;
    case PipeOp::kBackward: return TimelineBlock::kBackward;
    case PipeOp::kWeightGrad: return TimelineBlock::kWeightGrad;
  }
  return TimelineBlock::kForward;
}

}  // namespace

const char* timeline_note() {
  return "The step replayed op by op from the simulator's step description on an uncontended network:\n"
         "the schedule's order per stage (1F1B, GPipe, interleaved chunks, zero-bubble W ops),\n"
         "each op waiting for its neighbour's output plus one pipeline transfer;\n"
         "then the exposed DP reduction, optimizer and offload of the evaluation's breakdown.\n"
         "Wheel: zoom around the cursor · drag: pan · double-click: fit.";
}

Timeline timeline_of(const PipelineReplay& replay, const StepWork& work, const Evaluation& e) {
  Timeline t;
  t.stages = std::max(1, work.pp);
  t.micro_batches = work.micro_batches;
  t.schedule = work.schedule;
  t.virtual_stages = work.v;
  t.step_s = e.step_time / s(1);
  t.error = replay.error;
  t.blocks.reserve(replay.ops.size() * 2 + 3 * static_cast<size_t>(t.stages));
  for (const ReplayedOp& r : replay.ops) {
    t.blocks.push_back(
        {kind_of(r.op.kind), TimelineBlock::kComputeLane, r.stage, r.op.micro_batch, r.op.chunk, r.start / s(1), r.end / s(1)});
    if (r.send_end > r.end)
      t.blocks.push_back(
          {TimelineBlock::kP2p, TimelineBlock::kCommLane, r.stage, r.op.micro_batch, r.op.chunk, r.end / s(1), r.send_end / s(1)});
  }
  const TimeBreakdown& b = e.breakdown;
  for (int i = 0; i < t.stages; ++i) {
    double at = i < static_cast<int>(replay.stage_end.size()) ? replay.stage_end[i] / s(1) : 0.0;
    auto add = [&](TimelineBlock::Kind kind, TimelineBlock::Lane lane, Seconds d) {
      if (d / s(1) <= 0) return;
      t.blocks.push_back({kind, lane, i, -1, 0, at, at + d / s(1)});
      at += d / s(1);
    };
    add(TimelineBlock::kDpComm, TimelineBlock::kCommLane, b.dp_comm);
    add(TimelineBlock::kOptimizer, TimelineBlock::kComputeLane, b.optimizer);
    add(TimelineBlock::kOffload, TimelineBlock::kCommLane, b.offload);
  }
  for (const auto& blk : t.blocks) t.end_s = std::max(t.end_s, blk.end_s);
  return t;
}

Timeline step_timeline(const JobSpec& job, const Calibration& cal, const Evaluation& e) {
  std::string error;
  const std::optional<StepWork> work = build_step(job, cal, error);
  if (!work) {
    Timeline t;
    t.error = error;
    return t;
  }
  return timeline_of(replay_pipeline(*work, pipeline_p2p_time(job, cal)), *work, e);
}

}  // namespace trainplan::gui
