// Runs run_plans() on a worker thread so that the window never freezes: progress arrives as a
// signal about ten times a second, the outcome as finished(), Cancel returns control at once.
//
// The planner's SearchOptions has no cancel flag yet, so a cancelled search may keep its thread
// busy until it ends; its result is then dropped (a newer run or the cancel superseded it). The
// destructor waits for threads still running.
//
//   PlanWorker worker;
//   connect(&worker, &PlanWorker::finished, this, &MainWindow::show_outcome);
//   worker.start(parse_spec(doc, catalog), catalog);
#pragma once

#include <QObject>
#include <QThread>
#include <atomic>
#include <memory>
#include <vector>

#include "gui/plan_runner.hpp"

namespace trainplan::gui {

class PlanWorker : public QObject {
  Q_OBJECT

 public:
  explicit PlanWorker(QObject* parent = nullptr) : QObject(parent) {}
  ~PlanWorker() override;

  void start(ParsedSpec spec, const Catalog& catalog, RunControl control = {});
  void cancel();
  [[nodiscard]] bool running() const { return running_; }

 signals:
  void progressed(double done_fraction, qlonglong evaluated);
  void finished(std::shared_ptr<const trainplan::gui::PlanOutcome> outcome);
  void cancelled();

 private:
  struct Job {
    std::atomic<bool> cancel{false};
  };
  std::vector<QThread*> threads_;
  std::shared_ptr<Job> current_;
  long long generation_ = 0;
  bool running_ = false;
};

}  // namespace trainplan::gui
