// Where the step time goes for the selected plan (and, for comparison, the best-ranked plan):
// one horizontal stacked bar each, compute through offload, in seconds (model/evaluation.hpp
// TimeBreakdown: the critical stage's compute and the exposed part of every communication).
#pragma once

#include <QChartView>

#include "gui/plan_runner.hpp"

class QBarSet;

namespace trainplan::gui {

class TimeBreakdownChart : public QChartView {
  Q_OBJECT

 public:
  explicit TimeBreakdownChart(QWidget* parent = nullptr);
  // best may be null or the same as selected (then one bar).
  void show_plan(const PlanRow* selected, const PlanRow* best);
  // Sum of the selected plan's bar (for tests), seconds.
  [[nodiscard]] double selected_total_s() const;
  [[nodiscard]] int component_count() const;
};

}  // namespace trainplan::gui
