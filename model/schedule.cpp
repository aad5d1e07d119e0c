#include "model/schedule.hpp"

#include <algorithm>

namespace trainplan {

namespace {

// Megatron's interleaved order: groups of (up to) p micro-batches, each group through every chunk.
std::vector<PipeOp> interleaved_order(PipeOp::Kind kind, int pp, int v, int m) {
  std::vector<PipeOp> out;
  out.reserve(static_cast<size_t>(m) * v);
  for (int base = 0; base < m; base += pp) {
    const int group = std::min(pp, m - base);
    for (int c = 0; c < v; ++c)
      for (int k = 0; k < group; ++k) out.push_back({kind, base + k, kind == PipeOp::kForward ? c : v - 1 - c});
  }
  return out;
}

}  // namespace

std::vector<PipeOp> stage_ops(Schedule schedule, int pp, int v, int m, int stage) {
  std::vector<PipeOp> ops;
  v = std::max(1, v);
  if (schedule == Schedule::kGpipe) {
    for (int k = 0; k < m; ++k) ops.push_back({PipeOp::kForward, k, 0});
    for (int k = 0; k < m; ++k) ops.push_back({PipeOp::kBackward, k, 0});
    return ops;
  }
  if (schedule == Schedule::kInterleaved && v > 1) {
    const std::vector<PipeOp> fwd = interleaved_order(PipeOp::kForward, pp, v, m);
    const std::vector<PipeOp> bwd = interleaved_order(PipeOp::kBackward, pp, v, m);
    const int total = static_cast<int>(fwd.size());
    const int warmup = std::min(total, (pp - stage - 1) * 2 + (v - 1) * pp);
    for (int k = 0; k < warmup; ++k) ops.push_back(fwd[k]);
    for (int k = 0; k < total - warmup; ++k) {
      ops.push_back(fwd[warmup + k]);
      ops.push_back(bwd[k]);
    }
    for (int k = total - warmup; k < total; ++k) ops.push_back(bwd[k]);
    return ops;
  }
  const int warmup = std::min(m, pp - stage - 1);
  const bool zb = schedule == Schedule::kZeroBubble;
  // ZB-H1 delays stage i's W passes by i micro-batches, so that every stage holds as many micro-
  // batches in flight as the first one (Qi et al. 2023 §2.1: "delays the start of W passes based on
  // the number of warm-up microbatches"); its backward passes reach the first stage sooner.
  const int w_delay = zb ? std::min(stage, m) : 0;
  int next_w = 0;
  for (int k = 0; k < warmup; ++k) ops.push_back({PipeOp::kForward, k, 0});
  for (int k = 0; k < m - warmup; ++k) {
    ops.push_back({PipeOp::kForward, warmup + k, 0});
    ops.push_back({PipeOp::kBackward, k, 0});
    if (zb && k >= w_delay) ops.push_back({PipeOp::kWeightGrad, next_w++, 0});
  }
  for (int k = m - warmup; k < m; ++k) ops.push_back({PipeOp::kBackward, k, 0});
  if (zb)
    while (next_w < m) ops.push_back({PipeOp::kWeightGrad, next_w++, 0});
  return ops;
}

}  // namespace trainplan
