#include "gui/stage_memory_chart.hpp"

#include <QBarCategoryAxis>
#include <QBarSet>
#include <QChart>
#include <QLegend>
#include <QLineSeries>
#include <QStackedBarSeries>
#include <QValueAxis>
#include <algorithm>
#include <array>

#include "gui/chart_palette.hpp"
#include "gui/chart_style.hpp"

namespace trainplan::gui {
namespace {

struct Part {
  const char* name;
  Bytes StageMemory::*field;
  QColor (*color)();
};

const std::array<Part, 7>& parts() {
  static const std::array<Part, 7> kParts = {{
      {"weights", &StageMemory::weights, palette::weights},
      {"gradients", &StageMemory::gradients, palette::gradients},
      {"optimizer", &StageMemory::optimizer, palette::optimizer_state},
      {"activations", &StageMemory::activations, palette::activations},
      {"buffers", &StageMemory::comm_buffers, palette::buffers},
      {"framework", &StageMemory::framework, palette::framework},
      {"fragmentation", &StageMemory::fragmentation, palette::fragmentation},
  }};
  return kParts;
}

}  // namespace

StageMemoryChart::StageMemoryChart(QWidget* parent) : QChartView(parent) {
  setRenderHint(QPainter::Antialiasing);
  setChart(legend_right_chart(tr("Memory per pipeline stage (GiB per GPU)")));
  show_plan(nullptr);
}

void StageMemoryChart::show_plan(const PlanRow* row) {
  QChart* c = chart();
  c->removeAllSeries();
  for (QAbstractAxis* a : c->axes()) {
    c->removeAxis(a);
    delete a;
  }
  stages_ = row ? row->eval.pp : 0;
  auto* series = new QStackedBarSeries;
  series->setBarWidth(0.7);
  QStringList categories;
  for (int i = 0; i < stages_; ++i) categories << QString::number(i);
  for (const auto& part : parts()) {
    auto* set = new QBarSet(QString::fromUtf8(part.name));
    set->setColor(part.color());
    set->setBorderColor(part.color().darker(115));
    for (int i = 0; i < stages_; ++i) set->append((row->eval.stage(i).*part.field) / GiB(1));
    series->append(set);
  }
  c->addSeries(series);
  QStringList names;
  for (int i = 0; i < stages_; ++i) names << tr("stage %1").arg(i);
  bar_tooltips(series, this, names, tr("GiB"));
  auto* x = new QBarCategoryAxis;
  x->append(categories);
  x->setTitleText(stages_ > 0 ? tr("stage") : QString());
  // Many stages: vertical, smaller labels rather than elided ones ("…").
  if (stages_ > 12) {
    x->setLabelsAngle(-90);
    QFont f = x->labelsFont();
    f.setPointSizeF(std::max(6.0, f.pointSizeF() * 0.8));
    x->setLabelsFont(f);
  }
  auto* y = new QValueAxis;
  const double capacity = row ? row->job.cluster.node.gpu.memory / GiB(1) : 80;
  y->setRange(0, capacity * 1.1);
  y->applyNiceNumbers();
  y->setLabelFormat(QStringLiteral("%.0f"));
  c->addAxis(x, Qt::AlignBottom);
  c->addAxis(y, Qt::AlignLeft);
  series->attachAxis(x);
  series->attachAxis(y);

  // GPU capacity, on a hidden value axis spanning the categories.
  auto* cap = new QLineSeries;
  cap->setName(tr("GPU memory %1 GiB").arg(capacity, 0, 'f', 0));
  QPen pen(QColor(0xb0, 0x30, 0x30));
  pen.setStyle(Qt::DashLine);
  pen.setWidth(2);
  cap->setPen(pen);
  cap->append(-0.5, capacity);
  cap->append(std::max(stages_, 1) - 0.5, capacity);
  c->addSeries(cap);
  auto* xv = new QValueAxis;
  xv->setRange(-0.5, std::max(stages_, 1) - 0.5);
  xv->setVisible(false);
  c->addAxis(xv, Qt::AlignTop);
  cap->attachAxis(xv);
  cap->attachAxis(y);
}

double StageMemoryChart::stage_total_gib(int stage) const {
  for (QAbstractSeries* s : chart()->series()) {
    auto* bars = qobject_cast<QStackedBarSeries*>(s);
    if (!bars) continue;
    double total = 0;
    for (QBarSet* set : bars->barSets())
      if (stage < set->count()) total += set->at(stage);
    return total;
  }
  return 0;
}

}  // namespace trainplan::gui
