#include "gui/plan_table_model.hpp"

#include <cmath>

#include <QBrush>
#include <QColor>
#include <QFont>

#include "gui/format.hpp"

namespace trainplan::gui {

QString extrapolation_text(const PlanRow& r) {
  if (r.extrapolation.empty()) return QStringLiteral("Inside the validated envelope: every feature, degree, GPU and framework is covered");
  QString t = QStringLiteral("Outside the validated envelope:");
  for (const auto& f : r.extrapolation) t += QStringLiteral("\n• ") + QString::fromStdString(f);
  return t;
}

void PlanTableModel::set_outcome(std::shared_ptr<const PlanOutcome> outcome) {
  beginResetModel();
  outcome_ = std::move(outcome);
  endResetModel();
}

const PlanRow* PlanTableModel::row_at(int row) const {
  if (!outcome_ || row < 0 || row >= static_cast<int>(outcome_->rows.size())) return nullptr;
  return &outcome_->rows[static_cast<size_t>(row)];
}

int PlanTableModel::rowCount(const QModelIndex& parent) const {
  return parent.isValid() || !outcome_ ? 0 : static_cast<int>(outcome_->rows.size());
}

int PlanTableModel::columnCount(const QModelIndex& parent) const { return parent.isValid() ? 0 : kColumnCount; }

QVariant PlanTableModel::data(const QModelIndex& index, int role) const {
  const PlanRow* r = row_at(index.row());
  if (!r) return {};
  const Evaluation& e = r->eval;
  const double peak = e.peak_memory / GiB(1);
  if (role == kSortRole) {
    switch (index.column()) {
      case kRank: return r->rank > 0 ? r->rank : 1'000'000;
      case kPlan: return plan_summary(r->job.plan);
      case kGpus: return e.gpus;
      case kTokensPerS: return e.tokens_per_s;
      case kBand: return r->has_band ? r->band.tokens_lo : 0.0;
      case kFlags: return static_cast<int>(r->extrapolation.size());
      case kTokensPerSPerGpu: return e.tokens_per_s_per_gpu;
      case kMfu: return e.mfu_pct;
      case kStepTime: return e.step_time / s(1);
      case kPeakMemory: return peak;
      case kHeadroom: return r->headroom_gib;
      case kCost: return r->usd_per_mtok;
      case kPareto: return r->pareto ? 1 : 0;
      default: return {};
    }
  }
  if (role == Qt::DisplayRole) {
    switch (index.column()) {
      case kRank: return r->rank > 0 ? QString::number(r->rank) : QStringLiteral("–");
      case kPlan: return plan_summary(r->job.plan);
      case kGpus: return grouped(e.gpus);
      case kTokensPerS: return si_number(e.tokens_per_s);
      case kBand:
        return r->has_band ? si_number(r->band.tokens_lo) + QStringLiteral("–") + si_number(r->band.tokens_hi) : QStringLiteral("–");
      case kFlags: return r->extrapolation.empty() ? QStringLiteral("✓") : QStringLiteral("⚠ %1").arg(r->extrapolation.size());
      case kTokensPerSPerGpu: return grouped(std::llround(e.tokens_per_s_per_gpu));
      case kMfu: return QString::number(e.mfu_pct, 'f', 1);
      case kStepTime: return QString::number(e.step_time / s(1), 'f', 2);
      case kPeakMemory: return QString::number(peak, 'f', 1);
      case kHeadroom: return QString::number(r->headroom_gib, 'f', 1);
      case kCost: return r->usd_per_mtok > 0 ? QString::number(r->usd_per_mtok, 'f', 2) : QStringLiteral("–");
      case kPareto: return r->pareto ? QStringLiteral("★") : QString();
      default: return {};
    }
  }
  if (role == Qt::TextAlignmentRole) {
    return index.column() == kPlan ? int(Qt::AlignLeft | Qt::AlignVCenter) : int(Qt::AlignRight | Qt::AlignVCenter);
  }
  if (role == Qt::ForegroundRole) {
    if (!e.feasible) return QBrush(QColor(0xb0, 0x30, 0x30));
    if (index.column() == kPareto) return QBrush(QColor(0xd0, 0x8a, 0x00));
    if (index.column() == kFlags) return QBrush(r->extrapolation.empty() ? QColor(0x2e, 0x7d, 0x32) : QColor(0xc0, 0x6a, 0x00));
  }
  if (role == Qt::ToolTipRole) {
    if (index.column() == kBand && r->has_band)
      return QStringLiteral("80% band: %1 – %2 tokens/s, %3 – %4 s a step\n%5")
          .arg(r->band.tokens_lo, 0, 'f', 0)
          .arg(r->band.tokens_hi, 0, 'f', 0)
          .arg(r->band.step_lo, 0, 'f', 3)
          .arg(r->band.step_hi, 0, 'f', 3)
          .arg(QString::fromStdString(r->band.basis));
    if (index.column() == kFlags) return extrapolation_text(*r);
    QString tip = plan_summary(r->job.plan);
    for (const auto& why : e.reasons) tip += QStringLiteral("\ninfeasible: ") + QString::fromStdString(why.detail);
    return tip;
  }
  return {};
}

QVariant PlanTableModel::headerData(int section, Qt::Orientation orientation, int role) const {
  if (orientation != Qt::Horizontal) return {};
  if (role == Qt::DisplayRole) {
    static constexpr const char* kNames[kColumnCount] = {"#",    "Plan", "GPUs", "Tok/s", "80% band", "Valid.", "/GPU",
                                                         "MFU%", "Step", "Peak", "Free",  "$/Mtok",   "★"};
    return section >= 0 && section < kColumnCount ? QString::fromUtf8(kNames[section]) : QVariant();
  }
  if (role == Qt::ToolTipRole) {
    switch (section) {
      case kRank: return QStringLiteral("Rank by the objective (– : on the Pareto front only)");
      case kTokensPerS: return QStringLiteral("Tokens per second, whole job");
      case kBand:
        return QStringLiteral(
            "Tokens/s band that held 80% of cross-validated errors on runs like this one, widened per extrapolation flag");
      case kFlags: return QStringLiteral("✓: inside what validated runs cover; ⚠ n: n ways outside (hover for the list)");
      case kTokensPerSPerGpu: return QStringLiteral("Tokens per second per GPU");
      case kMfu: return QStringLiteral("Model FLOPs utilization, % (Megatron counting, no recompute)");
      case kStepTime: return QStringLiteral("Step time, seconds");
      case kPeakMemory: return QStringLiteral("GiB per GPU on the fullest pipeline stage");
      case kHeadroom: return QStringLiteral("GiB of GPU memory left free on the fullest pipeline stage");
      case kCost:
        return QStringLiteral("USD per million tokens at the GPU's catalog price, goodput included (failures, restarts, checkpoints)");
      case kPareto: return QStringLiteral("On the Pareto front of throughput, memory headroom, GPUs and cost");
      default: return {};
    }
  }
  return {};
}

namespace {

QString csv_quoted(const QString& text) {
  if (!text.contains(QLatin1Char(',')) && !text.contains(QLatin1Char('"')) && !text.contains(QLatin1Char('\n'))) return text;
  QString q = text;
  q.replace(QStringLiteral("\""), QStringLiteral("\"\""));
  return QStringLiteral("\"%1\"").arg(q);
}

}  // namespace

QString table_text(const QAbstractItemModel& model, const std::vector<int>& rows, TableText kind) {
  const QString sep = kind == TableText::kCsv ? QStringLiteral(",") : QStringLiteral("\t");
  QStringList lines, cells;
  for (int c = 0; c < model.columnCount(); ++c) cells << model.headerData(c, Qt::Horizontal, Qt::DisplayRole).toString();
  lines << cells.join(sep);
  for (int r : rows) {
    cells.clear();
    for (int c = 0; c < model.columnCount(); ++c) {
      const QModelIndex i = model.index(r, c);
      QString v = model.data(i, Qt::DisplayRole).toString();
      if (kind == TableText::kCsv) {
        // Numbers unrounded; the rank's sort key of unranked front plans is not a rank.
        const QVariant n = model.data(i, PlanTableModel::kSortRole);
        const bool numeric = n.typeId() == QMetaType::Double || n.typeId() == QMetaType::Int || n.typeId() == QMetaType::LongLong;
        if (numeric && c != PlanTableModel::kRank && c != PlanTableModel::kBand) v = QString::number(n.toDouble(), 'g', 12);
        v = csv_quoted(v);
      }
      cells << v;
    }
    lines << cells.join(sep);
  }
  return lines.join(QStringLiteral("\n")) + QStringLiteral("\n");
}

}  // namespace trainplan::gui
