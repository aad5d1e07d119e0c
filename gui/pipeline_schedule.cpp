#include "gui/pipeline_schedule.hpp"

#include <algorithm>

namespace trainplan::gui {
namespace {

struct Op {
  bool forward = true;
  int micro_batch = 0;
};

// The order one stage runs its forwards and backwards in.
std::vector<Op> stage_order(Schedule schedule, int p, int m, int stage) {
  std::vector<Op> ops;
  ops.reserve(static_cast<size_t>(2 * m));
  if (schedule == Schedule::kGpipe) {
    for (int k = 0; k < m; ++k) ops.push_back({true, k});
    for (int k = 0; k < m; ++k) ops.push_back({false, k});
    return ops;
  }
  const int warmup = std::min(p - stage - 1, m);
  int f = 0, b = 0;
  for (; f < warmup; ++f) ops.push_back({true, f});
  while (f < m) {
    ops.push_back({true, f++});
    ops.push_back({false, b++});
  }
  while (b < m) ops.push_back({false, b++});
  return ops;
}

}  // namespace

const char* analytic_timeline_note() {
  return "Analytic schedule (no simulator trace): equal micro-batches per stage from the evaluation's breakdown,\n"
         "forward = 1/3 and backward = 2/3 of compute (+ recompute), scaled by each stage's layers;\n"
         "1F1B order (GPipe: all forwards first; interleaved and zero-bubble drawn as 1F1B);\n"
         "each pipeline transfer = exposed PP time / 2m; then exposed DP reduction, optimizer, offload.\n"
         "Wheel: zoom around the cursor · drag: pan · double-click: fit.";
}

Timeline analytic_timeline(const Evaluation& e, const PlanSpec& plan) {
  Timeline t;
  const int p = std::max(1, e.pp);
  const int m = static_cast<int>(std::clamp<long long>(e.micro_batches, 1, 4096));
  t.stages = p;
  t.micro_batches = m;
  const TimeBreakdown& b = e.breakdown;
  const double work = (b.compute + b.tp_comm + b.cp_comm + b.ep_comm) / s(1);
  const double fwd_crit = work / 3.0 / m;
  const double bwd_crit = (work * 2.0 / 3.0 + b.recompute / s(1)) / m;
  const double p2p = p > 1 ? b.pp_comm / s(1) / (2.0 * m) : 0.0;
  int max_layers = 1;
  for (int i = 0; i < p; ++i) max_layers = std::max(max_layers, e.stage(i).layers);

  std::vector<std::vector<Op>> orders;
  for (int i = 0; i < p; ++i) orders.push_back(stage_order(plan.schedule, p, m, i));
  // done[i][k]: end of stage i's forward / backward of micro-batch k (< 0: not yet).
  std::vector<std::vector<double>> fdone(p, std::vector<double>(m, -1)), bdone(p, std::vector<double>(m, -1));
  std::vector<size_t> next(p, 0);
  std::vector<double> free_at(p, 0);
  bool progress = true;
  while (progress) {
    progress = false;
    for (int i = 0; i < p; ++i) {
      const double scale = std::max(1, e.stage(i).layers) / static_cast<double>(max_layers);
      while (next[i] < orders[i].size()) {
        const Op op = orders[i][next[i]];
        double ready = 0;
        if (op.forward && i > 0) {
          if (fdone[i - 1][op.micro_batch] < 0) break;
          ready = fdone[i - 1][op.micro_batch] + p2p;
        } else if (!op.forward && i < p - 1) {
          if (bdone[i + 1][op.micro_batch] < 0) break;
          ready = bdone[i + 1][op.micro_batch] + p2p;
        }
        const double start = std::max(ready, free_at[i]);
        const double end = start + (op.forward ? fwd_crit : bwd_crit) * scale;
        t.blocks.push_back(
            {op.forward ? TimelineBlock::kForward : TimelineBlock::kBackward, TimelineBlock::kComputeLane, i, op.micro_batch, start, end});
        const bool sends = op.forward ? i < p - 1 : i > 0;
        if (sends && p2p > 0) t.blocks.push_back({TimelineBlock::kP2p, TimelineBlock::kCommLane, i, op.micro_batch, end, end + p2p});
        (op.forward ? fdone : bdone)[i][op.micro_batch] = end;
        free_at[i] = end;
        ++next[i];
        progress = true;
      }
    }
  }
  for (int i = 0; i < p; ++i) {
    double at = free_at[i];
    auto add = [&](TimelineBlock::Kind kind, TimelineBlock::Lane lane, Seconds d) {
      if (d / s(1) <= 0) return;
      t.blocks.push_back({kind, lane, i, -1, at, at + d / s(1)});
      at += d / s(1);
    };
    add(TimelineBlock::kDpComm, TimelineBlock::kCommLane, b.dp_comm);
    add(TimelineBlock::kOptimizer, TimelineBlock::kComputeLane, b.optimizer);
    add(TimelineBlock::kOffload, TimelineBlock::kCommLane, b.offload);
    t.end_s = std::max(t.end_s, at);
  }
  for (const auto& blk : t.blocks) t.end_s = std::max(t.end_s, blk.end_s);
  return t;
}

}  // namespace trainplan::gui
