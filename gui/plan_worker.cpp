#include "gui/plan_worker.hpp"

#include <QPointer>

namespace trainplan::gui {

PlanWorker::~PlanWorker() {
  if (current_) current_->cancel = true;
  for (QThread* t : threads_) {
    t->wait();
    delete t;
  }
}

void PlanWorker::start(ParsedSpec spec, const Catalog& catalog, RunControl control) {
  if (current_) current_->cancel = true;
  auto job = std::make_shared<Job>();
  current_ = job;
  const long long generation = ++generation_;
  running_ = true;
  QPointer<PlanWorker> self(this);

  QThread* thread = QThread::create([self, job, generation, spec = std::move(spec), catalog, control]() mutable {
    control.cancel = &job->cancel;
    control.progress = [self, generation](double f, long long n) {
      QMetaObject::invokeMethod(
          self.data(),
          [self, generation, f, n] {
            if (self && self->generation_ == generation && self->running_) emit self->progressed(f, n);
          },
          Qt::QueuedConnection);
    };
    auto outcome = std::make_shared<const PlanOutcome>(run_plans(spec, catalog, control));
    QMetaObject::invokeMethod(
        self.data(),
        [self, generation, outcome] {
          if (!self || self->generation_ != generation || !self->running_) return;
          self->running_ = false;
          emit self->finished(outcome);
        },
        Qt::QueuedConnection);
  });
  threads_.push_back(thread);
  connect(thread, &QThread::finished, this, [this, thread] {
    std::erase(threads_, thread);
    thread->deleteLater();
  });
  thread->start();
}

void PlanWorker::cancel() {
  if (!running_) return;
  if (current_) current_->cancel = true;
  running_ = false;
  ++generation_;
  emit cancelled();
}

}  // namespace trainplan::gui
