// The look the breakdown charts share: tight margins and a small legend on the right.
#pragma once

#include <QAbstractBarSeries>
#include <QBarSet>
#include <QChart>
#include <QCursor>
#include <QFont>
#include <QLegend>
#include <QToolTip>

namespace trainplan::gui {

inline QChart* legend_right_chart(const QString& title) {
  auto* c = new QChart;
  c->setTitle(title);
  c->setMargins(QMargins(4, 4, 4, 4));
  c->legend()->setAlignment(Qt::AlignRight);
  QFont legend_font = c->legend()->font();
  legend_font.setPointSizeF(8);
  c->legend()->setFont(legend_font);
  return c;
}

// Hovering a bar shows its part, its category and its value: "weights · stage 3: 12.31 GiB".
inline void bar_tooltips(QAbstractBarSeries* series, QWidget* view, const QStringList& categories, const QString& unit) {
  QObject::connect(series, &QAbstractBarSeries::hovered, view, [=](bool on, int index, QBarSet* set) {
    if (!on || index < 0 || index >= set->count()) {
      QToolTip::hideText();
      return;
    }
    QToolTip::showText(QCursor::pos(),
                       QStringLiteral("%1 · %2: %3 %4").arg(set->label(), categories.value(index)).arg(set->at(index), 0, 'f', 2).arg(unit),
                       view);
  });
}

}  // namespace trainplan::gui
