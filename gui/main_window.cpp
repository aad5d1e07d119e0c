#include "gui/main_window.hpp"

#include <QAction>
#include <QApplication>
#include <QClipboard>
#include <QCloseEvent>
#include <QFile>
#include <QFileDialog>
#include <QFileInfo>
#include <QGroupBox>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QMenuBar>
#include <QMessageBox>
#include <QProgressBar>
#include <QSortFilterProxyModel>
#include <QSplitter>
#include <QStatusBar>
#include <QTableView>
#include <QTextBrowser>
#include <QToolBar>
#include <QVBoxLayout>
#include <algorithm>
#include <iostream>

#include "model/spec/hf_config.hpp"

#include "gui/explanation.hpp"
#include "gui/format.hpp"
#include "gui/pareto_chart.hpp"
#include "gui/pipeline_schedule.hpp"
#include "gui/plan_export.hpp"
#include "gui/plan_table_model.hpp"
#include "gui/plan_worker.hpp"
#include "gui/session.hpp"
#include "gui/spec_editor.hpp"
#include "gui/spec_form.hpp"
#include "gui/stage_memory_chart.hpp"
#include "gui/time_breakdown_chart.hpp"
#include "gui/timeline_view.hpp"

namespace trainplan::gui {
namespace {

QGroupBox* framed(const QString& title, QWidget* w) {
  auto* box = new QGroupBox(title);
  auto* l = new QVBoxLayout(box);
  l->setContentsMargins(4, 6, 4, 4);
  l->addWidget(w);
  return box;
}

QString format_label(const std::string& f) {
  if (f == "megatron") return QStringLiteral("Megatron-LM…");
  if (f == "deepspeed") return QStringLiteral("DeepSpeed…");
  if (f == "torchtitan") return QStringLiteral("torchtitan…");
  if (f == "nemo") return QStringLiteral("NeMo…");
  return QString::fromStdString(f);
}

}  // namespace

MainWindow::MainWindow(const Catalog& catalog, Options options, QWidget* parent)
    : QMainWindow(parent), catalog_(catalog), options_(options) {
  worker_ = new PlanWorker(this);
  if (!options_.settings_file.isEmpty() || options_.interactive) session_ = std::make_unique<Session>(options_.settings_file);
  history_.reset(Json::object());
  parts_.editor = new SpecEditor(catalog_);
  build_actions();

  auto* split = new QSplitter(Qt::Horizontal);
  auto* left = framed(tr("Spec"), parts_.editor);
  left->setMinimumWidth(300);
  split->addWidget(left);
  split->addWidget(build_center());
  split->setStretchFactor(0, 0);
  split->setStretchFactor(1, 1);
  split->setSizes({330, 1350});
  setCentralWidget(split);

  stats_ = new QLabel;
  statusBar()->addWidget(stats_, 1);
  parts_.progress = new QProgressBar;
  parts_.progress->setRange(0, 1000);
  parts_.progress->setMaximumWidth(260);
  parts_.progress->setFormat(tr("%p%"));
  statusBar()->addPermanentWidget(parts_.progress);

  connect(worker_, &PlanWorker::progressed, this, [this](double f, qlonglong n) {
    parts_.progress->setValue(static_cast<int>(f * 1000));
    stats_->setText(tr("Searching… %1 plans evaluated").arg(n));
  });
  connect(worker_, &PlanWorker::finished, this, [this](std::shared_ptr<const PlanOutcome> o) {
    set_running(false);
    show_outcome(std::move(o));
  });
  connect(worker_, &PlanWorker::cancelled, this, [this] {
    set_running(false);
    parts_.progress->setValue(0);
    stats_->setText(tr("Cancelled; the previous results stay on screen"));
  });
  connect(parts_.editor, &SpecEditor::document_changed, this, [this] {
    set_modified(true);
    history_.record(parts_.editor->document().json);
    undo_->setEnabled(history_.can_undo());
    redo_->setEnabled(history_.can_redo());
    update_title();
  });
  connect(parts_.editor, &SpecEditor::edited, this, [this] { set_modified(true); });
  connect(parts_.editor->form(), &SpecForm::import_hf_requested, this, &MainWindow::import_hf);
  set_running(false);
  update_title();
}

MainWindow::~MainWindow() = default;

void MainWindow::build_actions() {
  QMenu* file = menuBar()->addMenu(tr("&File"));
  QAction* open = file->addAction(tr("&Open spec…"), this, [this] {
    const QString path =
        QFileDialog::getOpenFileName(this, tr("Open a job or plan problem"), QString::fromStdString(catalog_.dir()), tr("JSON (*.json)"));
    if (!path.isEmpty() && open_spec(path)) run();
  });
  open->setShortcut(QKeySequence::Open);
  recent_menu_ = file->addMenu(tr("Open &recent"));
  connect(recent_menu_, &QMenu::aboutToShow, this, [this] {
    recent_menu_->clear();
    for (const QString& p : recent_specs())
      recent_menu_->addAction(QFileInfo(p).fileName() + QStringLiteral("  —  ") + QFileInfo(p).absolutePath(), this, [this, p] {
        if (open_spec(p)) run();
      });
    if (recent_menu_->isEmpty()) recent_menu_->addAction(tr("(none yet)"))->setEnabled(false);
  });
  QAction* save = file->addAction(tr("&Save spec"), this, [this] {
    // An untitled document has no file yet: ask where, as Save As does.
    const std::string& path = parts_.editor->document().path;
    if (path.empty() || !QFileInfo(QString::fromStdString(path)).isAbsolute())
      save_as();
    else
      save_to(QString::fromStdString(path));
  });
  save->setShortcut(QKeySequence::Save);
  file->addAction(tr("Save spec &as…"), this, [this] { save_as(); });
  file->addAction(tr("Export plan &table as CSV…"), this, [this] {
    const QString path = QFileDialog::getSaveFileName(this, tr("Export the plan table"), QStringLiteral("plans.csv"), tr("CSV (*.csv)"));
    if (!path.isEmpty()) write_table_csv(path);
  });
  file->addSeparator();
  file->addAction(tr("Open &model file…"), this, [this] { open_part("model"); });
  file->addAction(tr("Import &Hugging Face config.json…"), this, &MainWindow::import_hf);
  file->addAction(tr("Save model as…"), this, [this] { save_part("model", tr("model")); });
  file->addAction(tr("Open &cluster file…"), this, [this] { open_part("cluster"); });
  file->addAction(tr("Save cluster as…"), this, [this] { save_part("cluster", tr("cluster")); });
  file->addSeparator();
  file->addAction(tr("&Quit"), QKeySequence::Quit, this, &QWidget::close);

  QMenu* edit = menuBar()->addMenu(tr("&Edit"));
  undo_ = edit->addAction(tr("&Undo spec edit"), this, [this] { undo(); });
  undo_->setShortcut(QKeySequence::Undo);
  redo_ = edit->addAction(tr("&Redo spec edit"), this, [this] { redo(); });
  redo_->setShortcut(QKeySequence::Redo);
  undo_->setEnabled(false);
  redo_->setEnabled(false);

  QMenu* run_menu = menuBar()->addMenu(tr("&Run"));
  parts_.run = run_menu->addAction(tr("▶ Run planner"), this, &MainWindow::run);
  parts_.run->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_R));
  parts_.run->setToolTip(tr("Search the plan problem (or predict the job) on a worker thread"));
  parts_.cancel = run_menu->addAction(tr("■ Cancel"), worker_, &PlanWorker::cancel);
  parts_.cancel->setShortcut(QKeySequence(Qt::Key_Escape));

  QMenu* export_menu = menuBar()->addMenu(tr("&Export"));
  const auto formats = export_formats();
  if (formats.empty()) {
    for (const char* f : {"megatron", "deepspeed", "torchtitan", "nemo"}) {
      QAction* a = export_menu->addAction(format_label(f));
      a->setEnabled(false);
      a->setToolTip(tr("This build has no exporter library (trainplan_export)"));
      parts_.exports.push_back(a);
    }
    export_menu->setToolTipsVisible(true);
  } else {
    for (const auto& f : formats) {
      const QString name = QString::fromStdString(f);
      QAction* a = export_menu->addAction(format_label(f), this, [this, name] { export_interactive(name); });
      a->setToolTip(tr("Write the %1 launch files of the selected plan").arg(name));
      parts_.exports.push_back(a);
    }
  }

  QMenu* help = menuBar()->addMenu(tr("&Help"));
  help->addAction(tr("&About"), this, [this] {
    QMessageBox::about(this, tr("About trainplan"),
                       tr("<b>trainplan-gui</b><br>Plan, predict and simulate distributed LLM training.<br>"
                          "Planner: %1 · exporters: %2")
                           .arg(planner_available() ? tr("built") : tr("not built"), export_available() ? tr("built") : tr("not built")));
  });

  QToolBar* bar = addToolBar(tr("Main"));
  bar->setMovable(false);
  bar->setToolButtonStyle(Qt::ToolButtonTextOnly);
  bar->addAction(open);
  bar->addAction(save);
  bar->addSeparator();
  bar->addAction(parts_.run);
  bar->addAction(parts_.cancel);
  bar->addSeparator();
  for (QAction* a : parts_.exports) bar->addAction(a);
}

QWidget* MainWindow::build_center() {
  auto* center = new QWidget;
  auto* layout = new QVBoxLayout(center);
  layout->setContentsMargins(4, 4, 4, 4);
  heading_ = new QLabel;
  heading_->setWordWrap(true);
  QFont hf = heading_->font();
  hf.setPointSizeF(hf.pointSizeF() * 1.25);
  hf.setBold(true);
  heading_->setFont(hf);
  layout->addWidget(heading_);

  parts_.pareto = new ParetoChart;
  parts_.model = new PlanTableModel(this);
  parts_.proxy = new QSortFilterProxyModel(this);
  parts_.proxy->setSourceModel(parts_.model);
  parts_.proxy->setSortRole(PlanTableModel::kSortRole);
  parts_.table = new QTableView;
  parts_.table->setModel(parts_.proxy);
  parts_.table->setSortingEnabled(true);
  parts_.table->sortByColumn(PlanTableModel::kRank, Qt::AscendingOrder);
  parts_.table->setSelectionBehavior(QAbstractItemView::SelectRows);
  // Several rows may be selected (Ctrl/Shift-click): two or more are compared side by side.
  parts_.table->setSelectionMode(QAbstractItemView::ExtendedSelection);
  parts_.table->setAlternatingRowColors(true);
  parts_.table->verticalHeader()->hide();
  parts_.table->verticalHeader()->setDefaultSectionSize(22);
  QFont table_font = parts_.table->font();
  table_font.setPointSizeF(table_font.pointSizeF() * 0.92);
  parts_.table->setFont(table_font);
  parts_.table->horizontalHeader()->setStretchLastSection(false);
  parts_.table->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
  // The plan column can be widened by hand (it was stretched to what was left).
  parts_.table->horizontalHeader()->setSectionResizeMode(PlanTableModel::kPlan, QHeaderView::Interactive);
  parts_.table->horizontalHeader()->resizeSection(PlanTableModel::kPlan, 330);
  parts_.filter = new QLineEdit;
  parts_.filter->setPlaceholderText(tr("Filter plans: text of the plan column, e.g. \"PP8\", \"ZeRO-1\", \"full recomp\""));
  parts_.filter->setClearButtonEnabled(true);
  parts_.proxy->setFilterKeyColumn(PlanTableModel::kPlan);
  parts_.proxy->setFilterCaseSensitivity(Qt::CaseInsensitive);
  connect(parts_.filter, &QLineEdit::textChanged, parts_.proxy, &QSortFilterProxyModel::setFilterFixedString);
  auto* copy = new QAction(tr("Copy rows"), parts_.table);
  copy->setShortcut(QKeySequence::Copy);
  copy->setShortcutContext(Qt::WidgetWithChildrenShortcut);
  connect(copy, &QAction::triggered, this, [this] { QApplication::clipboard()->setText(selected_rows_text()); });
  parts_.table->addAction(copy);
  parts_.table->setContextMenuPolicy(Qt::ActionsContextMenu);
  auto* plans = new QWidget;
  auto* plans_layout = new QVBoxLayout(plans);
  plans_layout->setContentsMargins(0, 0, 0, 0);
  plans_layout->addWidget(parts_.filter);
  plans_layout->addWidget(parts_.table, 1);

  auto* top = new QSplitter(Qt::Horizontal);
  top->addWidget(framed(tr("Pareto"), parts_.pareto));
  top->addWidget(framed(tr("Plans (click a header to sort; Ctrl-click to compare; Ctrl+C copies)"), plans));
  top->setSizes({400, 900});

  parts_.time = new TimeBreakdownChart;
  parts_.memory = new StageMemoryChart;
  parts_.explanation = new QTextBrowser;
  parts_.explanation->setOpenExternalLinks(false);
  auto* middle = new QSplitter(Qt::Horizontal);
  middle->addWidget(framed(tr("Time"), parts_.time));
  middle->addWidget(framed(tr("Memory"), parts_.memory));
  middle->addWidget(framed(tr("Explanation"), parts_.explanation));
  middle->setSizes({420, 420, 460});

  parts_.timeline = new TimelineView;
  auto* vertical = new QSplitter(Qt::Vertical);
  vertical->addWidget(top);
  vertical->addWidget(middle);
  vertical->addWidget(framed(tr("Step timeline (the schedule replayed op by op; wheel to zoom, drag to pan)"), parts_.timeline));
  vertical->setSizes({360, 330, 260});
  layout->addWidget(vertical, 1);

  connect(parts_.table->selectionModel(), &QItemSelectionModel::currentRowChanged, this, [this](const QModelIndex& current) {
    if (!current.isValid()) return;
    const int row = parts_.proxy->mapToSource(current).row();
    if (row != selected_) select_plan(row);
  });
  connect(parts_.table->selectionModel(), &QItemSelectionModel::selectionChanged, this, [this] {
    const std::vector<int> rows = selected_rows();
    if (rows.size() >= 2) {
      std::vector<const PlanRow*> plans;
      for (int r : rows) plans.push_back(parts_.model->row_at(r));
      parts_.explanation->setHtml(comparison_html(plans));
    } else if (const PlanRow* r = parts_.model->row_at(selected_); r && outcome_) {
      parts_.explanation->setHtml(explanation_html(*outcome_, *r));
    }
  });
  connect(parts_.pareto, &ParetoChart::plan_clicked, this, &MainWindow::select_plan);
  return center;
}

bool MainWindow::open_spec(const QString& path) {
  if (!settle_unsaved()) return false;
  Diagnostics diag;
  auto doc = load_spec_document(path.toStdString(), diag);
  if (!doc) {
    report_error(tr("Cannot open %1").arg(QFileInfo(path).fileName()), QString::fromStdString(diagnostics_text(diag)));
    return false;
  }
  parts_.editor->set_document(std::move(*doc));
  const ParsedSpec parsed = parts_.editor->validate();
  history_.reset(parts_.editor->document().json);
  undo_->setEnabled(false);
  redo_->setEnabled(false);
  remember(path);
  // The old spec's plans do not belong under the new heading.
  clear_results();
  set_modified(false);
  update_title();
  if (!parsed.ok()) {
    report_error(tr("Problems in %1").arg(QFileInfo(path).fileName()), QString::fromStdString(diagnostics_text(parsed.diagnostics)));
    return false;
  }
  return true;
}

void MainWindow::run() {
  if (!parts_.editor->apply_edits()) return;
  ParsedSpec parsed = parts_.editor->validate();
  update_title();
  if (!parsed.ok()) {
    report_error(tr("The spec has problems"), QString::fromStdString(diagnostics_text(parsed.diagnostics)));
    return;
  }
  set_running(true);
  parts_.progress->setValue(0);
  stats_->setText(tr("Running…"));
  worker_->start(std::move(parsed), catalog_);
}

bool MainWindow::run_now() {
  if (!parts_.editor->apply_edits()) return false;
  const ParsedSpec parsed = parts_.editor->validate();
  if (!parsed.ok()) {
    report_error(tr("The spec has problems"), QString::fromStdString(diagnostics_text(parsed.diagnostics)));
    return false;
  }
  RunControl control;
  control.progress = [this](double f, long long) { parts_.progress->setValue(static_cast<int>(f * 1000)); };
  auto outcome = std::make_shared<const PlanOutcome>(run_plans(parsed, catalog_, control));
  const bool ok = outcome->error.empty() && !outcome->rows.empty();
  show_outcome(std::move(outcome));
  return ok;
}

void MainWindow::show_outcome(std::shared_ptr<const PlanOutcome> outcome) {
  parts_.progress->setValue(1000);
  if (!outcome->error.empty()) {
    report_error(tr("Nothing to show"), QString::fromStdString(outcome->error));
    return;
  }
  outcome_ = std::move(outcome);
  selected_ = -1;
  parts_.model->set_outcome(outcome_);
  parts_.pareto->set_outcome(outcome_);
  QString text = outcome_->kind == SpecKind::kJob ? tr("Predicted the job in %1 ms").arg(outcome_->wall_s * 1e3, 0, 'f', 1)
                                                  : tr("%1 plans evaluated · %2 feasible · %3 shown · %4 s%5")
                                                        .arg(outcome_->evaluated)
                                                        .arg(outcome_->feasible)
                                                        .arg(outcome_->rows.size())
                                                        .arg(outcome_->wall_s, 0, 'f', 2)
                                                        .arg(outcome_->complete ? QString() : tr(" · stopped early"));
  stats_->setText(text);
  if (outcome_->rows.empty()) {
    report_error(tr("No feasible plan"), tr("The search found no plan that fits; see the rejected counts in the status bar."));
    select_plan(-1);
    return;
  }
  select_plan(0);
}

void MainWindow::select_plan(int row) {
  const PlanRow* r = parts_.model->row_at(row);
  selected_ = r ? row : -1;
  const PlanRow* best = parts_.model->row_at(0);
  parts_.pareto->set_selected(selected_);
  parts_.time->show_plan(r, best);
  parts_.memory->show_plan(r);
  if (r) {
    parts_.explanation->setHtml(explanation_html(*outcome_, *r));
    const Timeline t = step_timeline(r->job, outcome_->cal, r->eval);
    QString source = QString::fromUtf8(schedule_name(t.schedule));
    if (t.virtual_stages > 1) source += tr(" v%1").arg(t.virtual_stages);
    parts_.timeline->set_timeline(t, source);
    const QModelIndex proxy_index = parts_.proxy->mapFromSource(parts_.model->index(row, 0));
    if (parts_.table->currentIndex().row() != proxy_index.row()) {
      parts_.table->setCurrentIndex(proxy_index);
      parts_.table->scrollTo(proxy_index);
    }
  } else {
    parts_.explanation->clear();
    parts_.timeline->set_timeline({}, QString());
  }
  for (QAction* a : parts_.exports) a->setEnabled(r && export_available());
}

bool MainWindow::export_selected(const QString& format, const QString& dir) {
  const PlanRow* r = parts_.model->row_at(selected_);
  if (!r) {
    report_error(tr("Export"), tr("Select a plan first"));
    return false;
  }
  const ExportOutcome out = export_plan(r->job, format.toStdString(), dir.toStdString());
  if (!out.ok()) {
    QString text;
    for (const auto& why : out.reasons) text += QString::fromStdString(why) + "\n";
    report_error(tr("%1 cannot express this plan").arg(format), text);
    return false;
  }
  QString text = tr("Wrote %1 file(s) to %2").arg(out.written.size()).arg(dir);
  stats_->setText(text);
  return true;
}

void MainWindow::export_interactive(const QString& format) {
  const QString dir = QFileDialog::getExistingDirectory(this, tr("Write the %1 files into").arg(format));
  if (dir.isEmpty()) return;
  if (export_selected(format, dir) && options_.interactive) QMessageBox::information(this, tr("Export"), stats_->text());
}

void MainWindow::set_running(bool running) {
  parts_.run->setEnabled(!running);
  parts_.cancel->setEnabled(running);
  parts_.progress->setVisible(true);
  if (running) parts_.progress->setValue(0);
}

void MainWindow::report_error(const QString& title, const QString& text) {
  last_error_ = title + "\n" + text;
  if (options_.interactive)
    QMessageBox::warning(this, title, text);
  else
    std::cerr << title.toStdString() << "\n" << text.toStdString() << "\n";
}

void MainWindow::update_title() {
  const SpecDocument& doc = parts_.editor->document();
  const QString file = QFileInfo(QString::fromStdString(doc.path)).fileName();
  // "[*]" is where Qt shows the unsaved-edits marker (setWindowModified).
  setWindowTitle(tr("trainplan — %1[*]").arg(file.isEmpty() ? tr("untitled") : file));
  // The heading says what the spec describes now; the file's description is its tooltip.
  const ParsedSpec parsed = parse_spec(doc, catalog_);
  QString text = tr("%1 — the spec has problems (listed under the spec)").arg(file.isEmpty() ? tr("untitled") : file);
  if (parsed.ok() && parsed.job) text = spec_heading(parsed.job->model, parsed.job->cluster, parsed.job->training, true);
#ifdef TRAINPLAN_GUI_HAVE_PLANNER
  if (parsed.ok() && parsed.problem) text = spec_heading(parsed.problem->model, parsed.problem->cluster, parsed.problem->training, false);
#endif
  heading_->setText(text);
  heading_->setToolTip(doc.json.contains("description") && doc.json["description"].is_string()
                           ? QString::fromStdString(doc.json["description"].get<std::string>())
                           : QString());
}

QString MainWindow::heading() const { return heading_->text(); }

std::vector<int> MainWindow::selected_rows() const {
  std::vector<int> rows;
  for (const QModelIndex& i : parts_.table->selectionModel()->selectedRows()) rows.push_back(parts_.proxy->mapToSource(i).row());
  std::sort(rows.begin(), rows.end());
  return rows;
}

QString MainWindow::selected_rows_text() const {
  std::vector<int> rows;  // in the view's order
  for (const QModelIndex& i : parts_.table->selectionModel()->selectedRows()) rows.push_back(i.row());
  std::sort(rows.begin(), rows.end());
  return table_text(*parts_.proxy, rows, TableText::kTsv);
}

bool MainWindow::write_table_csv(const QString& path) {
  std::vector<int> rows;
  for (int r = 0; r < parts_.proxy->rowCount(); ++r) rows.push_back(r);
  QFile f(path);
  if (!f.open(QIODevice::WriteOnly | QIODevice::Truncate) || f.write(table_text(*parts_.proxy, rows, TableText::kCsv).toUtf8()) < 0) {
    report_error(tr("Export table"), tr("cannot write %1: %2").arg(path, f.errorString()));
    return false;
  }
  stats_->setText(tr("Wrote %1 plans to %2").arg(rows.size()).arg(path));
  return true;
}

void MainWindow::set_modified(bool modified) {
  modified_ = modified;
  setWindowModified(modified);
}

void MainWindow::clear_results() {
  outcome_.reset();
  selected_ = -1;
  parts_.model->set_outcome(nullptr);
  parts_.pareto->set_outcome(nullptr);
  select_plan(-1);
  parts_.progress->setValue(0);
  stats_->setText(tr("Not run yet: Run (Ctrl+R) evaluates the spec"));
}

bool MainWindow::settle_unsaved() {
  if (!modified_) return true;
  const QString file = QFileInfo(QString::fromStdString(parts_.editor->document().path)).fileName();
  Unsaved answer = Unsaved::kDiscard;
  if (options_.ask_unsaved) {
    answer = options_.ask_unsaved(file);
  } else if (options_.interactive) {
    const auto b = QMessageBox::question(
        this, tr("Unsaved edits"), tr("The spec %1 has edits that are not saved. Save them?").arg(file.isEmpty() ? tr("untitled") : file),
        QMessageBox::Save | QMessageBox::Discard | QMessageBox::Cancel, QMessageBox::Save);
    answer = b == QMessageBox::Save ? Unsaved::kSave : b == QMessageBox::Discard ? Unsaved::kDiscard : Unsaved::kCancel;
  }
  if (answer == Unsaved::kCancel) return false;
  if (answer == Unsaved::kSave) {
    const std::string& path = parts_.editor->document().path;
    return path.empty() || !QFileInfo(QString::fromStdString(path)).isAbsolute() ? save_as() : save_to(QString::fromStdString(path));
  }
  return true;
}

void MainWindow::closeEvent(QCloseEvent* event) {
  if (!settle_unsaved()) {
    event->ignore();
    return;
  }
  if (session_) {
    const std::string& path = parts_.editor->document().path;
    session_->set_last_spec(QFileInfo::exists(QString::fromStdString(path)) ? QString::fromStdString(path) : QString());
    session_->set_geometry(saveGeometry());
  }
  event->accept();
}

void MainWindow::remember(const QString& path) {
  if (session_) session_->add_recent(path);
}

void MainWindow::restore_geometry() {
  if (session_ && !session_->geometry().isEmpty()) restoreGeometry(session_->geometry());
}

QStringList MainWindow::recent_specs() const { return session_ ? session_->recent() : QStringList(); }

QString MainWindow::last_session_spec() const {
  const QString p = session_ ? session_->last_spec() : QString();
  return QFileInfo::exists(p) ? p : QString();
}

void MainWindow::show_state(const Json& state) {
  SpecDocument doc = parts_.editor->document();
  doc.json = state;
  parts_.editor->set_document(std::move(doc));
  parts_.editor->validate();
  set_modified(true);
  undo_->setEnabled(history_.can_undo());
  redo_->setEnabled(history_.can_redo());
  update_title();
}

bool MainWindow::undo() {
  parts_.editor->apply_edits();  // pending edits become a state first, so that Undo returns to before them
  history_.record(parts_.editor->document().json);
  const std::optional<Json> before = history_.undo();
  if (!before) return false;
  show_state(*before);
  return true;
}

bool MainWindow::redo() {
  const std::optional<Json> after = history_.redo();
  if (!after) return false;
  show_state(*after);
  return true;
}

bool MainWindow::save_as() {
  const QString path =
      QFileDialog::getSaveFileName(this, tr("Save spec"), QString::fromStdString(parts_.editor->document().path), tr("JSON (*.json)"));
  return !path.isEmpty() && save_to(path);
}

bool MainWindow::save_to(const QString& path) {
  if (!parts_.editor->apply_edits()) return false;
  SpecDocument doc = parts_.editor->document();
  std::string error;
  if (!save_spec_document(doc, path.toStdString(), error)) {
    report_error(tr("Save"), QString::fromStdString(error));
    return false;
  }
  doc.path = path.toStdString();
  parts_.editor->set_document(std::move(doc));
  parts_.editor->validate();
  set_modified(false);
  remember(path);
  update_title();
  stats_->setText(tr("Saved %1").arg(path));
  return true;
}

void MainWindow::save_part(const char* key, const QString& what) {
  parts_.editor->apply_edits();
  const Json& doc = parts_.editor->document().json;
  if (!doc.contains(key)) {
    report_error(tr("Save %1").arg(what), tr("The spec has no %1").arg(what));
    return;
  }
  const QString path = QFileDialog::getSaveFileName(this, tr("Save %1 as").arg(what), QString(), tr("JSON (*.json)"));
  if (path.isEmpty()) return;
  Json part = doc[key];
  if (part.is_string()) part = Json{{"base", part}};  // a catalog key as a file of its own
  std::string error;
  if (!save_spec_document(SpecDocument{path.toStdString(), part, {}}, path.toStdString(), error))
    report_error(tr("Save"), QString::fromStdString(error));
}

void MainWindow::open_part(const char* key) {
  const bool model = std::string(key) == "model";
  const QString path =
      QFileDialog::getOpenFileName(this, model ? tr("Open a model spec") : tr("Open a cluster spec"), QString(), tr("JSON (*.json)"));
  if (path.isEmpty()) return;
  Diagnostics diag;
  const bool ok = model ? load_model_file(path.toStdString(), catalog_, diag).has_value()
                        : load_cluster_file(path.toStdString(), catalog_, diag).has_value();
  if (!ok) {
    report_error(tr("Problems in %1").arg(QFileInfo(path).fileName()), QString::fromStdString(diagnostics_text(diag)));
    return;
  }
  auto json = load_json_file(path.toStdString(), diag);
  if (model && looks_like_hf_config(*json))
    parts_.editor->set_model_json(Json{{"hf_config", path.toStdString()}});
  else if (model)
    parts_.editor->set_model_json(*json);
  else
    parts_.editor->set_cluster_json(*json);
}

void MainWindow::import_hf() {
  const QString path = QFileDialog::getOpenFileName(this, tr("Import a Hugging Face config.json"), QString(), tr("config.json (*.json)"));
  if (path.isEmpty()) return;
  QString error;
  if (!parts_.editor->import_hf_config(path, error)) report_error(tr("Cannot import %1").arg(QFileInfo(path).fileName()), error);
}

}  // namespace trainplan::gui
