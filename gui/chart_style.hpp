// The look the breakdown charts share: tight margins and a small legend on the right.
#pragma once

#include <QChart>
#include <QFont>
#include <QLegend>

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

}  // namespace trainplan::gui
