// The plans of an outcome as a table (one row per plan). Qt::DisplayRole holds the text,
// kSortRole the number a QSortFilterProxyModel sorts by, so every column sorts numerically.
#pragma once

#include <QAbstractTableModel>
#include <memory>
#include <vector>

#include "gui/plan_runner.hpp"

namespace trainplan::gui {

// "Inside the validated envelope ..." or one line per extrapolation flag.
QString extrapolation_text(const PlanRow& r);

// Rows of a table (in the view's order, through a proxy) as text: tab-separated display texts for
// the clipboard, or CSV with the numbers unrounded (the sort role) and RFC 4180 quoting.
enum class TableText { kTsv, kCsv };
QString table_text(const QAbstractItemModel& model, const std::vector<int>& rows, TableText kind);

class PlanTableModel : public QAbstractTableModel {
  Q_OBJECT

 public:
  enum Column {
    kRank,
    kPlan,
    kGpus,
    kTokensPerS,
    kBand,
    kFlags,
    kTokensPerSPerGpu,
    kMfu,
    kStepTime,
    kPeakMemory,
    kHeadroom,
    kCost,
    kPareto,
    kColumnCount
  };
  static constexpr int kSortRole = Qt::UserRole + 1;

  explicit PlanTableModel(QObject* parent = nullptr) : QAbstractTableModel(parent) {}

  void set_outcome(std::shared_ptr<const PlanOutcome> outcome);
  [[nodiscard]] const PlanRow* row_at(int row) const;

  [[nodiscard]] int rowCount(const QModelIndex& parent = {}) const override;
  [[nodiscard]] int columnCount(const QModelIndex& parent = {}) const override;
  [[nodiscard]] QVariant data(const QModelIndex& index, int role) const override;
  [[nodiscard]] QVariant headerData(int section, Qt::Orientation orientation, int role) const override;

 private:
  std::shared_ptr<const PlanOutcome> outcome_;
};

}  // namespace trainplan::gui
