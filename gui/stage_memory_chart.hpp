// GPU memory of every pipeline stage of the selected plan as stacked bars (weights, gradients,
// optimizer state, activations, buffers, framework, fragmentation; model/evaluation.hpp
// StageMemory), against the GPU's capacity drawn as a dashed line.
#pragma once

#include <QChartView>

#include "gui/plan_runner.hpp"

namespace trainplan::gui {

class StageMemoryChart : public QChartView {
  Q_OBJECT

 public:
  explicit StageMemoryChart(QWidget* parent = nullptr);
  void show_plan(const PlanRow* row);
  [[nodiscard]] int stage_count() const { return stages_; }
  // Stacked total of one stage's bar in GiB (for tests).
  [[nodiscard]] double stage_total_gib(int stage) const;

 private:
  int stages_ = 0;
};

}  // namespace trainplan::gui
