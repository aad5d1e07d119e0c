#include "gui/pareto_chart.hpp"

#include <QChart>
#include <QChartView>
#include <QComboBox>
#include <QCursor>
#include <QHBoxLayout>
#include <QLabel>
#include <QLegendMarker>
#include <QLineSeries>
#include <QScatterSeries>
#include <QToolTip>
#include <QVBoxLayout>
#include <QValueAxis>
#include <algorithm>
#include <cmath>
#include <limits>

#include "gui/format.hpp"

namespace trainplan::gui {
namespace {

QScatterSeries* make_series(const QString& name, QColor fill, QColor border, double size) {
  auto* s = new QScatterSeries;
  s->setName(name);
  s->setColor(fill);
  s->setBorderColor(border);
  s->setMarkerSize(size);
  return s;
}

// A "nice" axis range around [lo, hi].
void fit_axis(QValueAxis* axis, double lo, double hi) {
  if (!(hi > lo)) {
    lo -= 1;
    hi += 1;
  }
  const double pad = (hi - lo) * 0.08;
  axis->setRange(lo >= 0 ? std::max(0.0, lo - pad) : lo - pad, hi + pad);
  axis->applyNiceNumbers();
}

}  // namespace

std::vector<bool> front_of(const std::vector<QPointF>& points, bool higher_x_is_better) {
  const double sign = higher_x_is_better ? 1.0 : -1.0;
  // Sorted by x best first (ties: y best first), a point is on the front when its y beats every y
  // before it.
  std::vector<size_t> order(points.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    const double xa = sign * points[a].x(), xb = sign * points[b].x();
    return xa != xb ? xa > xb : points[a].y() > points[b].y();
  });
  std::vector<bool> front(points.size(), false);
  double best_y = -std::numeric_limits<double>::infinity();
  for (size_t k = 0; k < order.size(); ++k) {
    const QPointF& p = points[order[k]];
    // Equal points are all on the front (neither dominates the other).
    const bool same_as_previous = k > 0 && points[order[k - 1]] == p && front[order[k - 1]];
    if (p.y() > best_y || same_as_previous) front[order[k]] = true;
    best_y = std::max(best_y, p.y());
  }
  return front;
}

ParetoChart::ParetoChart(QWidget* parent) : QWidget(parent) {
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(0, 0, 0, 0);
  auto* bar = new QHBoxLayout;
  bar->addWidget(new QLabel(tr("Throughput vs")));
  x_choice_ = new QComboBox;
  x_choice_->addItem(tr("memory headroom (GiB)"));
  x_choice_->addItem(tr("cost ($ per M tokens)"));
  x_choice_->addItem(tr("GPUs"));
  bar->addWidget(x_choice_);
  bar->addStretch();
  layout->addLayout(bar);

  chart_ = new QChart;
  chart_->setTitle(tr("Plans and Pareto front"));
  chart_->setMargins(QMargins(4, 4, 4, 4));
  chart_->legend()->setAlignment(Qt::AlignBottom);
  others_ = make_series(tr("plans"), QColor(0x9a, 0xa5, 0xb1, 170), QColor(0x70, 0x7a, 0x86), 8);
  front_ = make_series(tr("Pareto front (these axes)"), QColor(0xf2, 0xa9, 0x00), QColor(0x9a, 0x5b, 0x00), 9);
  selected_ = make_series(tr("selected"), QColor(0x1f, 0x6f, 0xd1, 60), QColor(0x1f, 0x6f, 0xd1), 22);
  selected_->setPen(QPen(QColor(0x1f, 0x6f, 0xd1), 3));
  x_ = new QValueAxis;
  y_ = new QValueAxis;
  y_->setTitleText(tr("tokens / s"));
  y_->setLabelFormat(QStringLiteral("%.0f"));
  chart_->addAxis(x_, Qt::AlignBottom);
  chart_->addAxis(y_, Qt::AlignLeft);
  for (QScatterSeries* s : {others_, front_, selected_}) {
    chart_->addSeries(s);
    s->attachAxis(x_);
    s->attachAxis(y_);
  }
  connect(others_, &QScatterSeries::clicked, this, &ParetoChart::on_clicked);
  connect(front_, &QScatterSeries::clicked, this, &ParetoChart::on_clicked);
  connect(selected_, &QScatterSeries::clicked, this, &ParetoChart::on_clicked);
  connect(others_, &QScatterSeries::hovered, this, &ParetoChart::on_hovered);
  connect(front_, &QScatterSeries::hovered, this, &ParetoChart::on_hovered);

  view_ = new QChartView(chart_);
  view_->setRenderHint(QPainter::Antialiasing);
  view_->setToolTip(tr("Click a point to select its plan; hover it for its plan and figures"));
  layout->addWidget(view_);
  connect(x_choice_, &QComboBox::currentIndexChanged, this, [this](int i) { set_x_axis(static_cast<XAxis>(i)); });
  rebuild();
}

void ParetoChart::set_outcome(std::shared_ptr<const PlanOutcome> outcome) {
  outcome_ = std::move(outcome);
  selected_row_ = -1;
  rebuild();
}

void ParetoChart::set_x_axis(XAxis x) {
  x_mode_ = x;
  if (x_choice_->currentIndex() != static_cast<int>(x)) x_choice_->setCurrentIndex(static_cast<int>(x));
  rebuild();
}

QPointF ParetoChart::point_of(int row) const {
  const PlanRow& r = outcome_->rows[static_cast<size_t>(row)];
  double x = 0;
  switch (x_mode_) {
    case XAxis::kHeadroom: x = r.headroom_gib; break;
    case XAxis::kCost: x = r.usd_per_mtok; break;
    case XAxis::kGpus: x = r.eval.gpus; break;
  }
  return {x, r.eval.tokens_per_s};
}

void ParetoChart::clear_error_bars(bool selected_only) {
  while (!bars_.empty() && (!selected_only || selected_bar_)) {
    chart_->removeSeries(bars_.back());
    delete bars_.back();
    bars_.pop_back();
    selected_bar_ = false;
    if (selected_only) break;
  }
}

void ParetoChart::add_error_bar(int row, bool selected) {
  const PlanRow& r = outcome_->rows[static_cast<size_t>(row)];
  if (!r.has_band) return;
  const double x = point_of(row).x();
  auto* bar = new QLineSeries;
  bar->append(x, r.band.tokens_lo);
  bar->append(x, r.band.tokens_hi);
  bar->setPen(QPen(selected ? QColor(0x1f, 0x6f, 0xd1) : QColor(0x9a, 0x5b, 0x00, 160), selected ? 2.5 : 1.5));
  chart_->addSeries(bar);
  bar->attachAxis(x_);
  bar->attachAxis(y_);
  for (QLegendMarker* m : chart_->legend()->markers(bar)) m->setVisible(false);
  bars_.push_back(bar);
  selected_bar_ = selected;
}

void ParetoChart::rebuild() {
  clear_error_bars(false);
  others_->clear();
  front_->clear();
  switch (x_mode_) {
    case XAxis::kHeadroom: x_->setTitleText(tr("memory headroom (GiB)")); break;
    case XAxis::kCost: x_->setTitleText(tr("cost ($ per million tokens)")); break;
    case XAxis::kGpus: x_->setTitleText(tr("GPUs")); break;
  }
  x_->setLabelFormat(x_mode_ == XAxis::kGpus ? QStringLiteral("%.0f") : QStringLiteral("%.1f"));
  double xlo = std::numeric_limits<double>::max(), xhi = -xlo, yhi = 0;
  on_front_.clear();
  if (outcome_) {
    std::vector<QPointF> points;
    for (int i = 0; i < static_cast<int>(outcome_->rows.size()); ++i) points.push_back(point_of(i));
    on_front_ = front_of(points, x_mode_ == XAxis::kHeadroom);
    for (int i = 0; i < static_cast<int>(points.size()); ++i) {
      const QPointF p = points[static_cast<size_t>(i)];
      const PlanRow& r = outcome_->rows[static_cast<size_t>(i)];
      const bool front = on_front_[static_cast<size_t>(i)];
      (front ? front_ : others_)->append(p);
      xlo = std::min(xlo, p.x());
      xhi = std::max(xhi, p.x());
      yhi = std::max(yhi, front && r.has_band ? r.band.tokens_hi : p.y());
      if (front) add_error_bar(i, false);
    }
  }
  if (xhi < xlo) {
    xlo = 0;
    xhi = 1;
  }
  fit_axis(x_, xlo, xhi);
  // Headroom cannot exceed the GPUs' memory: the axis stops there (it ran to 100 GiB on 80 GiB GPUs).
  if (x_mode_ == XAxis::kHeadroom && outcome_ && !outcome_->rows.empty()) {
    double capacity = 0;
    for (const PlanRow& r : outcome_->rows) capacity = std::max(capacity, r.job.cluster.node.gpu.memory / GiB(1));
    if (x_->max() > capacity && capacity > x_->min()) x_->setMax(capacity);
  }
  y_->setRange(0, yhi > 0 ? yhi * 1.1 : 1);
  y_->applyNiceNumbers();
  // Whole tokens/s, but decimals where the range is small (a blank chart read "1 1 1 0 0 0").
  y_->setLabelFormat(y_->max() >= 10 ? QStringLiteral("%.0f") : QStringLiteral("%.1f"));
  set_selected(selected_row_);
}

void ParetoChart::set_selected(int row) {
  selected_row_ = row;
  selected_->clear();
  clear_error_bars(true);
  if (outcome_ && row >= 0 && row < static_cast<int>(outcome_->rows.size())) {
    selected_->append(point_of(row));
    add_error_bar(row, true);
  }
}

int ParetoChart::point_count() const { return static_cast<int>(others_->count() + front_->count()); }

std::optional<QPointF> ParetoChart::selected_point() const {
  if (selected_->count() == 0) return std::nullopt;
  return selected_->at(0);
}

void ParetoChart::on_clicked(const QPointF& p) {
  const int row = nearest_row(p);
  if (row >= 0) emit plan_clicked(row);
}

void ParetoChart::on_hovered(const QPointF& p, bool state) {
  const int row = state ? nearest_row(p) : -1;
  if (row < 0) {
    QToolTip::hideText();
    return;
  }
  const PlanRow& r = outcome_->rows[static_cast<size_t>(row)];
  const QString text = tr("%1\n%2 tokens/s · %3 GPUs · headroom %4 GiB%5")
                           .arg(plan_summary(r.job.plan), si_number(r.eval.tokens_per_s))
                           .arg(r.eval.gpus)
                           .arg(r.headroom_gib, 0, 'f', 1)
                           .arg(r.usd_per_mtok > 0 ? tr(" · $%1 per M tokens").arg(r.usd_per_mtok, 0, 'f', 3) : QString());
  QToolTip::showText(QCursor::pos(), text, view_);
}

int ParetoChart::nearest_row(const QPointF& p) const {
  if (!outcome_ || outcome_->rows.empty()) return -1;
  // Nearest plan in axis-normalized distance.
  const double sx = std::max(1e-12, x_->max() - x_->min()), sy = std::max(1e-12, y_->max() - y_->min());
  int best = -1;
  double best_d = std::numeric_limits<double>::max();
  for (int i = 0; i < static_cast<int>(outcome_->rows.size()); ++i) {
    const QPointF q = point_of(i);
    const double d = std::hypot((q.x() - p.x()) / sx, (q.y() - p.y()) / sy);
    if (d < best_d) {
      best_d = d;
      best = i;
    }
  }
  return best;
}

}  // namespace trainplan::gui
