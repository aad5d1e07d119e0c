#include "model/pipeline_replay.hpp"

#include <algorithm>
#include <deque>

namespace trainplan {
namespace {

double sum_of(const std::vector<Segment>& segments) {
  double t = 0;
  for (const Segment& g : segments) t += g.time.si();
  return t;
}

// Seconds of one op of each kind, per stage and chunk.
struct OpTimes {
  double fwd = 0, bwd = 0, wgrad = 0;
  [[nodiscard]] double of(PipeOp::Kind k) const { return k == PipeOp::kForward ? fwd : k == PipeOp::kBackward ? bwd : wgrad; }
};

struct StageState {
  std::vector<PipeOp> ops;
  std::vector<OpTimes> times;  // per chunk
  std::vector<char> done;      // per op of `ops`
  std::vector<int> w_of;       // zero-bubble: index in `ops` of each micro-batch's W
  std::deque<int> pending_w;   // W ops whose backward has run, in that order
  size_t next = 0;
  double free_at = 0;
};

enum class Step { kRan, kWaiting, kUndecidable, kFinished };

class Replay {
 public:
  Replay(const StepWork& w, Seconds p2p)
      : w_(w), pp_(w.pp), v_(std::max(1, w.v)), V_(pp_ * v_), m_(static_cast<int>(w.micro_batches)), p2p_(p2p.si()) {
    const auto slots = static_cast<size_t>(V_) * static_cast<size_t>(m_);
    fwd_arrive_.assign(slots, -1.0);
    bwd_arrive_.assign(slots, -1.0);
    stages_.resize(pp_);
    for (int s = 0; s < pp_; ++s) {
      StageState& st = stages_[s];
      st.ops = stage_ops(w.schedule, pp_, v_, m_, s);
      st.done.assign(st.ops.size(), 0);
      st.w_of.assign(static_cast<size_t>(m_), -1);
      for (size_t i = 0; i < st.ops.size(); ++i)
        if (st.ops[i].kind == PipeOp::kWeightGrad) st.w_of[st.ops[i].micro_batch] = static_cast<int>(i);
      for (const ChunkWork& cw : w.stages[s].chunks) st.times.push_back({sum_of(cw.fwd), sum_of(cw.bwd), sum_of(cw.wgrad)});
    }
  }

  PipelineReplay run() {
    PipelineReplay out;
    // Megatron-LM's interleaved schedule runs micro-batches in groups of pp (schedules.py
    // forward_backward_pipelining_with_interleaving; the planner's rule kInterleavedMicroBatches).
    if (w_.schedule == Schedule::kInterleaved && v_ > 1 && m_ % pp_ != 0) {
      out.error = "interleaving needs the micro-batch count (" + std::to_string(m_) + ") divisible by pp " + std::to_string(pp_);
      return out;
    }
    for (;;) {
      bool progress = false, finished = true;
      for (int s = 0; s < pp_; ++s) {
        Step r;
        while ((r = step(s, false, out)) == Step::kRan) progress = true;
        finished = finished && r == Step::kFinished;
      }
      if (finished) break;
      if (progress) continue;
      // Nothing can start: the stage that waits earliest for a gradient gets it later than now
      // (every input still missing comes from an op that starts at or after that time), so its
      // deferred W runs.
      int first = -1;
      for (int s = 0; s < pp_; ++s)
        if (classify(s) == Step::kUndecidable && (first < 0 || stages_[s].free_at < stages_[first].free_at)) first = s;
      if (first < 0) {
        out.error = "the pipeline schedule deadlocked (" + std::string(schedule_name(w_.schedule)) + ", pp " + std::to_string(pp_) +
                    ", v " + std::to_string(v_) + ", " + std::to_string(m_) + " micro-batches)";
        break;
      }
      step(first, true, out);
    }
    out.stage_end.resize(pp_);
    for (int s = 0; s < pp_; ++s) {
      out.stage_end[s] = Seconds::from_si(stages_[s].free_at);
      out.end = std::max(out.end, out.stage_end[s]);
    }
    return out;
  }

 private:
  [[nodiscard]] int vs_of(int stage, const PipeOp& op) const { return op.chunk * pp_ + stage; }
  [[nodiscard]] size_t slot(int vs, int mb) const { return static_cast<size_t>(vs) * m_ + mb; }

  // When the op's input arrives: 0 if it needs none, < 0 while unknown.
  [[nodiscard]] double input_of(int stage, const PipeOp& op) const {
    const int vs = vs_of(stage, op);
    if (op.kind == PipeOp::kForward) return vs > 0 ? fwd_arrive_[slot(vs - 1, op.micro_batch)] : 0.0;
    if (op.kind == PipeOp::kBackward) return vs < V_ - 1 ? bwd_arrive_[slot(vs + 1, op.micro_batch)] : 0.0;
    return 0.0;
  }
  [[nodiscard]] int producer_of(int stage, const PipeOp& op) const {
    const int vs = vs_of(stage, op);
    return (op.kind == PipeOp::kForward ? vs - 1 : vs + 1) % pp_;
  }

  void skip_done(StageState& st) const {
    while (st.next < st.ops.size() && st.done[st.next]) ++st.next;
    while (!st.pending_w.empty() && st.done[st.pending_w.front()]) st.pending_w.pop_front();
  }

  // What stage `s` can do now, without doing it.
  Step classify(int s) {
    StageState& st = stages_[s];
    skip_done(st);
    if (st.next == st.ops.size()) return Step::kFinished;
    const PipeOp& op = st.ops[st.next];
    const double in = input_of(s, op);
    const bool may_fill =
        w_.schedule == Schedule::kZeroBubble && op.kind == PipeOp::kBackward && vs_of(s, op) < V_ - 1 && !st.pending_w.empty();
    if (may_fill && in < 0 && stages_[producer_of(s, op)].free_at < st.free_at) return Step::kUndecidable;
    if (in < 0 && !may_fill) return Step::kWaiting;
    return Step::kRan;
  }

  Step step(int s, bool force_fill, PipelineReplay& out) {
    const Step c = classify(s);
    if (c == Step::kFinished || c == Step::kWaiting || (c == Step::kUndecidable && !force_fill)) return c;
    StageState& st = stages_[s];
    const PipeOp& op = st.ops[st.next];
    const double in = input_of(s, op);
    const bool may_fill =
        w_.schedule == Schedule::kZeroBubble && op.kind == PipeOp::kBackward && !st.pending_w.empty() && vs_of(s, op) < V_ - 1;
    // The producer has not run (or runs after now), or the gradient is still in flight: fill with a W.
    if (may_fill && (in < 0 || in > st.free_at)) {
      run_op(s, st.pending_w.front(), st.free_at, out);
      return Step::kRan;
    }
    run_op(s, static_cast<int>(st.next), std::max(st.free_at, in), out);
    return Step::kRan;
  }

  void run_op(int s, int index, double start, PipelineReplay& out) {
    StageState& st = stages_[s];
    const PipeOp op = st.ops[index];
    const double end = start + st.times[op.chunk].of(op.kind);
    st.done[index] = 1;
    st.free_at = end;
    const int vs = vs_of(s, op);
    const bool sends = (op.kind == PipeOp::kForward && vs < V_ - 1) || (op.kind == PipeOp::kBackward && vs > 0);
    ReplayedOp r{s, op, Seconds::from_si(start), Seconds::from_si(end), Seconds{}};
    if (sends) {
      const double arrive = end + p2p_;
      (op.kind == PipeOp::kForward ? fwd_arrive_ : bwd_arrive_)[slot(vs, op.micro_batch)] = arrive;
      r.send_end = Seconds::from_si(arrive);
      if (!w_.overlap_p2p) st.free_at = arrive;
    }
    if (op.kind == PipeOp::kBackward && w_.schedule == Schedule::kZeroBubble && st.w_of[op.micro_batch] >= 0)
      st.pending_w.push_back(st.w_of[op.micro_batch]);
    out.ops.push_back(r);
  }

  const StepWork& w_;
  int pp_, v_, V_, m_;
  double p2p_;
  std::vector<StageState> stages_;
  std::vector<double> fwd_arrive_, bwd_arrive_;  // per virtual stage and micro-batch: when its output reaches the next one
};

}  // namespace

PipelineReplay replay_pipeline(const StepWork& w, Seconds p2p) { return Replay(w, p2p).run(); }

}  // namespace trainplan
