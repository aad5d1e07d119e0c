#include "gui/time_breakdown_chart.hpp"

#include <QBarCategoryAxis>
#include <QBarSet>
#include <QChart>
#include <QHorizontalStackedBarSeries>
#include <QLegend>
#include <QValueAxis>
#include <array>

#include "gui/chart_palette.hpp"
#include "gui/chart_style.hpp"

namespace trainplan::gui {
namespace {

struct Component {
  const char* name;
  Seconds TimeBreakdown::*field;
  QColor (*color)();
};

const std::array<Component, 10>& components() {
  static const std::array<Component, 10> kComponents = {{
      {"compute", &TimeBreakdown::compute, palette::compute},
      {"recompute", &TimeBreakdown::recompute, palette::recompute},
      {"TP comm", &TimeBreakdown::tp_comm, palette::tp_comm},
      {"CP comm", &TimeBreakdown::cp_comm, palette::cp_comm},
      {"EP comm", &TimeBreakdown::ep_comm, palette::ep_comm},
      {"PP comm", &TimeBreakdown::pp_comm, palette::pp_comm},
      {"DP comm", &TimeBreakdown::dp_comm, palette::dp_comm},
      {"bubble", &TimeBreakdown::bubble, palette::bubble},
      {"optimizer", &TimeBreakdown::optimizer, palette::optimizer},
      {"offload", &TimeBreakdown::offload, palette::offload},
  }};
  return kComponents;
}

}  // namespace

TimeBreakdownChart::TimeBreakdownChart(QWidget* parent) : QChartView(parent) {
  setRenderHint(QPainter::Antialiasing);
  setChart(legend_right_chart(tr("Step time breakdown (s)")));
  setToolTip(
      tr("Critical pipeline stage: compute of all micro-batches, and the communication, bubble, optimizer and "
         "offload time that is not hidden behind compute"));
  show_plan(nullptr, nullptr);
}

void TimeBreakdownChart::show_plan(const PlanRow* selected, const PlanRow* best) {
  QChart* c = chart();
  c->removeAllSeries();
  for (QAbstractAxis* a : c->axes()) {
    c->removeAxis(a);
    delete a;
  }
  auto* series = new QHorizontalStackedBarSeries;
  series->setBarWidth(0.6);
  QStringList categories;
  std::vector<const PlanRow*> rows;
  if (best && best != selected) {
    rows.push_back(best);
    categories << tr("best (#1)");
  }
  if (selected) {
    rows.push_back(selected);
    categories << (selected->rank > 0 ? tr("selected (#%1)").arg(selected->rank) : tr("selected"));
  }
  double max_total = 0;
  for (const auto& comp : components()) {
    bool any = false;
    for (const PlanRow* r : rows) any = any || (r->eval.breakdown.*comp.field) / s(1) > 0;
    if (!any) continue;
    auto* set = new QBarSet(QString::fromUtf8(comp.name));
    set->setColor(comp.color());
    set->setBorderColor(comp.color().darker(115));
    for (const PlanRow* r : rows) set->append((r->eval.breakdown.*comp.field) / s(1));
    series->append(set);
  }
  for (const PlanRow* r : rows) max_total = std::max(max_total, r->eval.step_time / s(1));
  c->addSeries(series);
  bar_tooltips(series, this, categories, tr("s"));
  auto* y = new QBarCategoryAxis;
  y->append(categories);
  auto* x = new QValueAxis;
  x->setRange(0, max_total > 0 ? max_total * 1.05 : 1);
  x->applyNiceNumbers();
  x->setLabelFormat(QStringLiteral("%.1f"));
  c->addAxis(y, Qt::AlignLeft);
  c->addAxis(x, Qt::AlignBottom);
  series->attachAxis(x);
  series->attachAxis(y);
}

double TimeBreakdownChart::selected_total_s() const {
  const auto series = chart()->series();
  if (series.isEmpty()) return 0;
  auto* bars = qobject_cast<QHorizontalStackedBarSeries*>(series.front());
  if (!bars) return 0;
  double total = 0;
  for (QBarSet* set : bars->barSets())
    if (set->count() > 0) total += set->at(set->count() - 1);
  return total;
}

int TimeBreakdownChart::component_count() const {
  const auto series = chart()->series();
  if (series.isEmpty()) return 0;
  auto* bars = qobject_cast<QHorizontalStackedBarSeries*>(series.front());
  return bars ? static_cast<int>(bars->count()) : 0;
}

}  // namespace trainplan::gui
