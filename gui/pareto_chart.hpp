// Throughput against memory headroom, cost per token or GPU count: every plan as a grey point, the
// Pareto front of the two axes drawn in amber (no plan has as much throughput and a better x: more
// headroom, lower cost or fewer GPUs; the planner's own front is over four objectives and is not a
// front in any two), the selected plan ringed in blue. Hovering a point names its plan. Each front point and the selected plan
// carry an error bar: their 80 % tokens/s band (model/uncertainty.hpp). Clicking a point selects
// its plan.
#pragma once

#include <QWidget>
#include <memory>
#include <optional>
#include <vector>

#include "gui/plan_runner.hpp"

class QChart;
class QChartView;
class QLineSeries;
class QComboBox;
class QScatterSeries;
class QValueAxis;

namespace trainplan::gui {

// Which points are on the front of (x, y), y higher is better and x higher (or lower) is better: a
// point is on it when no other point is at least as good on both axes and better on one.
std::vector<bool> front_of(const std::vector<QPointF>& points, bool higher_x_is_better);

class ParetoChart : public QWidget {
  Q_OBJECT

 public:
  enum class XAxis { kHeadroom, kCost, kGpus };

  explicit ParetoChart(QWidget* parent = nullptr);

  void set_outcome(std::shared_ptr<const PlanOutcome> outcome);
  void set_selected(int row);
  void set_x_axis(XAxis x);
  // Points drawn (all series but the selection marker), and the marker's point (for tests).
  [[nodiscard]] int point_count() const;
  [[nodiscard]] std::optional<QPointF> selected_point() const;
  [[nodiscard]] QPointF point_of(int row) const;
  // Error bars drawn (front points and the selected plan with a band), for tests.
  [[nodiscard]] int error_bar_count() const { return static_cast<int>(bars_.size()); }
  // Rows drawn on the front for the current axes (for tests).
  [[nodiscard]] const std::vector<bool>& on_front() const { return on_front_; }

 signals:
  void plan_clicked(int row);

 private:
  void rebuild();
  void add_error_bar(int row, bool selected);
  void clear_error_bars(bool selected_only);
  void on_clicked(const QPointF& p);
  void on_hovered(const QPointF& p, bool state);
  [[nodiscard]] int nearest_row(const QPointF& p) const;

  QComboBox* x_choice_ = nullptr;
  QChart* chart_ = nullptr;
  QChartView* view_ = nullptr;
  QScatterSeries* others_ = nullptr;
  QScatterSeries* front_ = nullptr;
  QScatterSeries* selected_ = nullptr;
  std::vector<QLineSeries*> bars_;  // one two-point line per error bar; the selection's is last
  bool selected_bar_ = false;
  QValueAxis* x_ = nullptr;
  QValueAxis* y_ = nullptr;
  std::shared_ptr<const PlanOutcome> outcome_;
  XAxis x_mode_ = XAxis::kHeadroom;
  int selected_row_ = -1;
  std::vector<bool> on_front_;
};

}  // namespace trainplan::gui
