// The trainplan explorer window: the spec panel on the left; on the right the Pareto chart and the
// table of plans, then for the selected plan its time breakdown, memory per stage and explanation,
// and the step timeline. The planner runs on a worker thread (PlanWorker); the window stays live.
//
//   MainWindow w(catalog);
//   w.open_spec("configs/examples/llama3-70b-h100-plan.json");
//   w.run_now();              // synchronous (screenshots, tests); run() is the threaded one
//   w.select_plan(0);
#pragma once

#include <QMainWindow>
#include <functional>
#include <memory>
#include <vector>

#include "gui/plan_runner.hpp"
#include "gui/spec_document.hpp"

class QAction;
class QLabel;
class QLineEdit;
class QMenu;
class QProgressBar;
class QSortFilterProxyModel;
class QTableView;
class QTextBrowser;

namespace trainplan::gui {

class ParetoChart;
class Session;
class PlanTableModel;
class PlanWorker;
class SpecEditor;
class StageMemoryChart;
class TimeBreakdownChart;
class TimelineView;

class MainWindow : public QMainWindow {
  Q_OBJECT

 public:
  // What to do with unsaved edits before they would be lost (Quit, Open).
  enum class Unsaved { kSave, kDiscard, kCancel };
  struct Options {
    bool interactive = true;  // false: errors go to stderr and last_error(), never a modal box
    // Asked when unsaved edits would be lost; empty: a message box (interactive), else discard.
    std::function<Unsaved(const QString& file)> ask_unsaved = nullptr;
    // Where recent files and the session are kept: an INI file; empty: the user's settings when
    // interactive, nothing otherwise (screenshots and tests leave the user's settings alone).
    QString settings_file = {};
  };
  // The widgets, for tests and screenshots.
  struct Parts {
    SpecEditor* editor = nullptr;
    ParetoChart* pareto = nullptr;
    QTableView* table = nullptr;
    PlanTableModel* model = nullptr;
    QSortFilterProxyModel* proxy = nullptr;
    TimeBreakdownChart* time = nullptr;
    StageMemoryChart* memory = nullptr;
    QTextBrowser* explanation = nullptr;
    TimelineView* timeline = nullptr;
    QProgressBar* progress = nullptr;
    QLineEdit* filter = nullptr;
    QAction* run = nullptr;
    QAction* cancel = nullptr;
    std::vector<QAction*> exports;
  };

  MainWindow(const Catalog& catalog, Options options, QWidget* parent = nullptr);
  ~MainWindow() override;

  bool open_spec(const QString& path);
  void run();      // on the worker thread
  bool run_now();  // on this thread; false when the spec has problems or nothing ran
  void select_plan(int row);
  bool export_selected(const QString& format, const QString& dir);

  [[nodiscard]] const Parts& parts() const { return parts_; }
  [[nodiscard]] const PlanOutcome* outcome() const { return outcome_.get(); }
  [[nodiscard]] int selected_row() const { return selected_; }
  [[nodiscard]] const QString& last_error() const { return last_error_; }
  [[nodiscard]] bool modified() const { return modified_; }
  [[nodiscard]] QString heading() const;
  // Source rows of the table's selection (sorted), and the selection as tab-separated text.
  [[nodiscard]] std::vector<int> selected_rows() const;
  [[nodiscard]] QString selected_rows_text() const;
  // The table as the view shows it (filtered, sorted) to a CSV file.
  bool write_table_csv(const QString& path);
  // Asks what to do with unsaved edits (saving them if told to); false: the user cancelled.
  bool settle_unsaved();
  // Recent specs, most recent first; the last session's spec ("" when none).
  [[nodiscard]] QStringList recent_specs() const;
  [[nodiscard]] QString last_session_spec() const;
  void restore_geometry();
  // Undo and redo of applied spec edits; false when there is nothing to undo or redo.
  bool undo();
  bool redo();

 protected:
  void closeEvent(QCloseEvent* event) override;

 private:
  void build_actions();
  QWidget* build_center();
  void show_outcome(std::shared_ptr<const PlanOutcome> outcome);
  void set_running(bool running);
  void report_error(const QString& title, const QString& text);
  void update_title();
  void set_modified(bool modified);
  void clear_results();
  bool save_as();
  void show_state(const Json& state);
  void remember(const QString& path);
  bool save_to(const QString& path);
  void save_part(const char* key, const QString& what);
  void open_part(const char* key);
  void import_hf();
  void export_interactive(const QString& format);

  const Catalog& catalog_;
  Options options_;
  Parts parts_;
  PlanWorker* worker_ = nullptr;
  QLabel* heading_ = nullptr;
  QLabel* stats_ = nullptr;
  std::shared_ptr<const PlanOutcome> outcome_;
  int selected_ = -1;
  QString last_error_;
  bool modified_ = false;
  std::unique_ptr<Session> session_;  // null: nothing is remembered
  SpecHistory history_;
  QMenu* recent_menu_ = nullptr;
  QAction* undo_ = nullptr;
  QAction* redo_ = nullptr;
};

}  // namespace trainplan::gui
