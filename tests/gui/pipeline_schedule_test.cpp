// The analytic step timeline (gui/pipeline_schedule.hpp): 1F1B order and its critical path.
#include <QtTest>

#include "gui/pipeline_schedule.hpp"

using namespace trainplan;
using trainplan::gui::TimelineBlock;

namespace {

// p equal stages, m micro-batches; compute of the critical stage = m * 3 s, so forward 1 s and
// backward 2 s per micro-batch; no other term.
Evaluation even_pipeline(int p, long long m) {
  Evaluation e;
  e.pp = p;
  e.micro_batches = m;
  for (auto& k : e.stage_kinds) k.layers = 4;
  e.breakdown.compute = s(3.0 * static_cast<double>(m));
  return e;
}

}  // namespace

class PipelineScheduleTest : public QObject {
  Q_OBJECT

 private slots:
  void one_f_one_b_takes_m_plus_p_minus_one_slots() {
    const int p = 4, m = 8;
    PlanSpec plan;
    plan.pp = p;
    const auto t = gui::analytic_timeline(even_pipeline(p, m), plan);
    // Fill + steady state + drain: (m + p − 1) · (t_f + t_b) = 11 · 3 s.
    QCOMPARE(t.end_s, (m + p - 1) * 3.0);
    QCOMPARE(t.stages, p);
    QCOMPARE(static_cast<int>(t.blocks.size()), 2 * p * m);  // no transfers, no DP term
  }

  void stage_warms_up_with_p_minus_i_minus_one_forwards() {
    const int p = 4, m = 8;
    PlanSpec plan;
    plan.pp = p;
    const auto t = gui::analytic_timeline(even_pipeline(p, m), plan);
    for (int stage = 0; stage < p; ++stage) {
      int forwards_before_first_backward = 0;
      for (const auto& b : t.blocks) {
        if (b.stage != stage) continue;
        if (b.kind == TimelineBlock::kBackward) break;
        if (b.kind == TimelineBlock::kForward) ++forwards_before_first_backward;
      }
      // p − i − 1 warm-up forwards, then the first steady-state forward.
      QCOMPARE(forwards_before_first_backward, p - stage);
    }
  }

  void gpipe_runs_every_forward_first() {
    const int p = 2, m = 4;
    PlanSpec plan;
    plan.pp = p;
    plan.schedule = Schedule::kGpipe;
    const auto t = gui::analytic_timeline(even_pipeline(p, m), plan);
    // Same critical path as 1F1B in this model: (m + p − 1) · 3 s.
    QCOMPARE(t.end_s, (m + p - 1) * 3.0);
    int seen_backward = 0;
    for (const auto& b : t.blocks)
      if (b.stage == 0) {
        if (b.kind == TimelineBlock::kBackward)
          ++seen_backward;
        else
          QCOMPARE(seen_backward, 0);
      }
  }

  void dp_and_optimizer_follow_the_last_backward() {
    Evaluation e = even_pipeline(1, 2);
    e.breakdown.dp_comm = s(0.5);
    e.breakdown.optimizer = s(0.25);
    const auto t = gui::analytic_timeline(e, PlanSpec{});
    QCOMPARE(t.end_s, 2 * 3.0 + 0.5 + 0.25);
  }
};

QTEST_APPLESS_MAIN(PipelineScheduleTest)
#include "pipeline_schedule_test.moc"
