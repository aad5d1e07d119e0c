#include "gui/timeline_view.hpp"

#include <QHelpEvent>
#include <QMouseEvent>
#include <QPainter>
#include <QToolTip>
#include <QWheelEvent>
#include <algorithm>
#include <cmath>

#include "gui/chart_palette.hpp"
#include "gui/format.hpp"

namespace trainplan::gui {
namespace {

constexpr int kHeaderHeight = 26;
constexpr int kFooterHeight = 22;

QColor block_color(const TimelineBlock& b) {
  switch (b.kind) {
    case TimelineBlock::kForward: return palette::compute().lighter(125);
    case TimelineBlock::kBackward: return palette::backward();
    case TimelineBlock::kWeightGrad: return palette::recompute();
    case TimelineBlock::kP2p: return palette::pp_comm();
    case TimelineBlock::kDpComm: return palette::dp_comm();
    case TimelineBlock::kOptimizer: return palette::optimizer();
    case TimelineBlock::kOffload: return palette::offload();
  }
  return Qt::gray;
}

// A tick step of 1, 2 or 5 × 10^k giving about `target` seconds.
double nice_step(double target) {
  const double e = std::pow(10.0, std::floor(std::log10(target)));
  for (double k : {1.0, 2.0, 5.0, 10.0})
    if (k * e >= target) return k * e;
  return 10 * e;
}

}  // namespace

TimelineView::TimelineView(QWidget* parent) : QWidget(parent) {
  setMinimumHeight(160);
  setMouseTracking(false);
}

void TimelineView::set_timeline(Timeline timeline, QString source) {
  timeline_ = std::move(timeline);
  source_ = std::move(source);
  fit();
}

void TimelineView::fit() {
  const double span = std::max(timeline_.end_s, 1e-6);
  sec_per_px_ = span * 1.02 / std::max(50, width() - plot_left() - 8);
  t0_ = 0;
  fitted_ = true;
  update();
}

void TimelineView::zoom(double factor, double anchor_x) {
  const double anchor_t = t0_ + (anchor_x - plot_left()) * sec_per_px_;
  sec_per_px_ = std::clamp(sec_per_px_ / factor, 1e-9, 1e3);
  t0_ = anchor_t - (anchor_x - plot_left()) * sec_per_px_;
  fitted_ = false;
  update();
}

void TimelineView::resizeEvent(QResizeEvent* event) {
  QWidget::resizeEvent(event);
  if (fitted_) fit();
}

void TimelineView::wheelEvent(QWheelEvent* event) {
  const double steps = event->angleDelta().y() / 120.0;
  if (steps != 0) zoom(std::pow(1.25, steps), event->position().x());
  event->accept();
}

void TimelineView::mousePressEvent(QMouseEvent* event) { drag_x_ = static_cast<int>(event->position().x()); }

void TimelineView::mouseMoveEvent(QMouseEvent* event) {
  const int x = static_cast<int>(event->position().x());
  t0_ -= (x - drag_x_) * sec_per_px_;
  drag_x_ = x;
  fitted_ = false;
  update();
}

void TimelineView::mouseDoubleClickEvent(QMouseEvent*) { fit(); }

double TimelineView::row_height() const {
  const int rows = std::max(1, timeline_.stages * 2);
  // Every stage fits the view: rows shrink (to a pixel) rather than run off the bottom.
  return std::clamp((height() - kHeaderHeight - kFooterHeight) / static_cast<double>(rows), 1.0, 34.0);
}

const TimelineBlock* TimelineView::block_at(QPoint p) const {
  if (p.x() < plot_left()) return nullptr;
  const double row_h = row_height();
  const int r = static_cast<int>(std::floor((p.y() - kHeaderHeight) / row_h));
  const double t = t0_ + (p.x() - plot_left()) * sec_per_px_;
  const double slack = 2 * sec_per_px_;  // thin blocks are drawn a pixel or two wide
  for (const TimelineBlock& b : timeline_.blocks)
    if (b.stage * 2 + b.lane == r && t >= b.start_s - slack && t <= b.end_s + slack) return &b;
  return nullptr;
}

QString TimelineView::block_text(const TimelineBlock& b) {
  QString what;
  switch (b.kind) {
    case TimelineBlock::kForward: what = tr("forward"); break;
    case TimelineBlock::kBackward: what = tr("backward"); break;
    case TimelineBlock::kWeightGrad: what = tr("weight gradient (W)"); break;
    case TimelineBlock::kP2p: what = tr("pipeline send"); break;
    case TimelineBlock::kDpComm: what = tr("exposed DP reduction"); break;
    case TimelineBlock::kOptimizer: what = tr("optimizer step"); break;
    case TimelineBlock::kOffload: what = tr("offload"); break;
  }
  QString of = b.micro_batch >= 0 ? tr(" of micro-batch %1").arg(b.micro_batch) : QString();
  if (b.micro_batch >= 0 && b.chunk > 0) of += tr(", chunk %1").arg(b.chunk);
  return tr("%1%2 on stage %3\n%4 → %5 (%6)")
      .arg(what, of)
      .arg(b.stage)
      .arg(seconds_text(b.start_s), seconds_text(b.end_s), seconds_text(b.end_s - b.start_s));
}

bool TimelineView::event(QEvent* event) {
  if (event->type() == QEvent::ToolTip) {
    const auto* help = static_cast<QHelpEvent*>(event);
    const TimelineBlock* b = block_at(help->pos());
    QToolTip::showText(help->globalPos(), b ? block_text(*b) : QString::fromUtf8(timeline_note()), this);
    return true;
  }
  return QWidget::event(event);
}

void TimelineView::paintEvent(QPaintEvent*) {
  QPainter p(this);
  p.fillRect(rect(), palette().base());
  paint_axis(p);
  paint_rows(p);
  paint_blocks(p);
  paint_legend(p);
}

void TimelineView::paint_axis(QPainter& p) const {
  const int plot_right = width() - 4;
  p.setPen(palette().text().color());
  QFont small = font();
  small.setPointSizeF(font().pointSizeF() * 0.85);
  p.setFont(small);
  const double step = nice_step(sec_per_px_ * 90);
  const double first = std::ceil(t0_ / step) * step;
  for (double t = first; x_of(t) < plot_right; t += step) {
    const int x = static_cast<int>(x_of(t));
    p.setPen(QColor(0xe4, 0xe7, 0xeb));
    p.drawLine(x, kHeaderHeight, x, height() - kFooterHeight);
    p.setPen(palette().text().color());
    const QString label = step >= 1      ? QString::number(t, 'f', 0) + "s"
                          : step >= 1e-3 ? QString::number(t * 1e3, 'f', step >= 1e-2 ? 0 : 1) + "ms"
                                         : QString::number(t * 1e6, 'f', 0) + "µs";
    // The last label is kept inside the widget (it was cut at the right edge).
    const int left = std::min(x - 40, width() - 82);
    p.drawText(QRect(left, 4, 80, kHeaderHeight - 6), left < x - 40 ? Qt::AlignRight | Qt::AlignBottom : Qt::AlignHCenter | Qt::AlignBottom,
               label);
  }
}

void TimelineView::paint_rows(QPainter& p) const {
  const double row_h = row_height();
  const int plot_right = width() - 4;
  // Row labels and bands: where rows are thinner than a line of text, every k-th stage is labelled
  // and the comm rows are not, so labels never overlap.
  const double text_h = p.fontMetrics().height();
  const int label_every = std::max(1, static_cast<int>(std::ceil(text_h / (2 * row_h))));
  for (int s = 0; s < timeline_.stages; ++s) {
    for (int lane = 0; lane < 2; ++lane) {
      const int r = s * 2 + lane;
      const QRectF band(0, kHeaderHeight + r * row_h, width(), row_h);
      if (s % 2 == 0) p.fillRect(band, QColor(0xf6, 0xf7, 0xf9));
      p.setPen(palette().text().color());
      if (lane == 0 && s % label_every == 0)
        p.drawText(QRectF(4, band.top() - text_h, plot_left() - 8, row_h + 2 * text_h), Qt::AlignVCenter | Qt::AlignLeft,
                   tr("stage %1").arg(s));
      else if (lane == 1 && row_h >= text_h)
        p.drawText(QRectF(4, band.top(), plot_left() - 8, row_h), Qt::AlignVCenter | Qt::AlignLeft, tr("  comm"));
    }
  }
  if (!timeline_.error.empty()) {
    p.setPen(palette().text().color());
    p.drawText(QRect(plot_left(), kHeaderHeight, plot_right - plot_left(), height() - kHeaderHeight - kFooterHeight),
               Qt::AlignCenter | Qt::TextWordWrap, tr("No timeline: %1").arg(QString::fromStdString(timeline_.error)));
  }
}

void TimelineView::paint_blocks(QPainter& p) const {
  const double row_h = row_height();
  const int plot_right = width() - 4;
  // Blocks, clipped to the plot.
  p.setClipRect(QRect(plot_left(), kHeaderHeight, plot_right - plot_left(), height() - kHeaderHeight - kFooterHeight));
  p.setRenderHint(QPainter::Antialiasing, false);
  for (const TimelineBlock& b : timeline_.blocks) {
    const double x0 = x_of(b.start_s), x1 = x_of(b.end_s);
    if (x1 < plot_left() || x0 > plot_right) continue;
    const int r = b.stage * 2 + b.lane;
    const QRectF box(x0, kHeaderHeight + r * row_h + 2, std::max(1.0, x1 - x0), row_h - 4);
    // Interleaved chunks alternate in shade, so a stage's v chunks can be told apart.
    const QColor c = b.chunk % 2 == 1 ? block_color(b).lighter(130) : block_color(b);
    p.fillRect(box, c);
    if (box.width() > 4) {
      p.setPen(c.darker(140));
      p.drawRect(box);
    }
    if (b.micro_batch >= 0 && b.lane == TimelineBlock::kComputeLane && box.width() > 18 && row_h > 12) {
      p.setPen(b.kind == TimelineBlock::kForward ? Qt::black : Qt::white);
      p.drawText(box, Qt::AlignCenter, QString::number(b.micro_batch));
    }
  }
  p.setClipping(false);
}

void TimelineView::paint_legend(QPainter& p) const {
  const int plot_right = width() - 4;
  // Legend and source.
  int x = plot_left();
  const int y = height() - kFooterHeight + 4;
  auto legend = [&](QColor c, const QString& text) {
    p.fillRect(QRect(x, y + 3, 12, 10), c);
    p.setPen(palette().text().color());
    p.drawText(QRect(x + 16, y, 120, 16), Qt::AlignVCenter | Qt::AlignLeft, text);
    x += 16 + p.fontMetrics().horizontalAdvance(text) + 14;
  };
  legend(palette::compute().lighter(125), tr("forward"));
  legend(palette::backward(), tr("backward"));
  if (timeline_.schedule == Schedule::kZeroBubble) legend(palette::recompute(), tr("weight grad"));
  legend(palette::pp_comm(), tr("PP send"));
  legend(palette::dp_comm(), tr("DP reduce"));
  legend(palette::optimizer(), tr("optimizer"));
  legend(palette::offload(), tr("offload"));
  p.setPen(palette().placeholderText().color());
  p.drawText(QRect(x, y, std::max(0, plot_right - x), 16), Qt::AlignVCenter | Qt::AlignRight,
             tr("%1 · %2 micro-batches · replayed %3 s · evaluated %4 s")
                 .arg(source_)
                 .arg(timeline_.micro_batches)
                 .arg(timeline_.end_s, 0, 'f', 2)
                 .arg(timeline_.step_s, 0, 'f', 2));
}

}  // namespace trainplan::gui
