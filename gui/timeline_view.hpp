// A Gantt chart of one step: a compute and a communication row per pipeline stage, time to the
// right. Wheel zooms around the cursor, dragging pans, a double-click fits the whole step.
#pragma once

#include <QWidget>

class QPainter;

#include "gui/pipeline_schedule.hpp"

namespace trainplan::gui {

class TimelineView : public QWidget {
  Q_OBJECT

 public:
  explicit TimelineView(QWidget* parent = nullptr);
  void set_timeline(Timeline timeline, QString source);
  [[nodiscard]] const Timeline& timeline() const { return timeline_; }
  // Seconds per pixel and the time at the left edge of the plot (for tests).
  [[nodiscard]] double seconds_per_pixel() const { return sec_per_px_; }
  void zoom(double factor, double anchor_x);
  void fit();
  // The block drawn at a point of the widget, if any (the tooltip names it), and its text.
  [[nodiscard]] const TimelineBlock* block_at(QPoint p) const;
  [[nodiscard]] static QString block_text(const TimelineBlock& b);

  [[nodiscard]] QSize sizeHint() const override { return {900, 260}; }

 protected:
  bool event(QEvent* event) override;
  void paintEvent(QPaintEvent* event) override;
  void wheelEvent(QWheelEvent* event) override;
  void mousePressEvent(QMouseEvent* event) override;
  void mouseMoveEvent(QMouseEvent* event) override;
  void mouseDoubleClickEvent(QMouseEvent* event) override;
  void resizeEvent(QResizeEvent* event) override;

 private:
  [[nodiscard]] int plot_left() const { return 92; }
  [[nodiscard]] double x_of(double t) const { return plot_left() + (t - t0_) / sec_per_px_; }
  [[nodiscard]] double row_height() const;
  void paint_axis(QPainter& p) const;
  void paint_rows(QPainter& p) const;
  void paint_blocks(QPainter& p) const;
  void paint_legend(QPainter& p) const;

  Timeline timeline_;
  QString source_;
  double sec_per_px_ = 1e-3;
  double t0_ = 0;
  int drag_x_ = 0;
  bool fitted_ = false;
};

}  // namespace trainplan::gui
