// The explorer driven end to end on the offscreen platform: load an example, run the planner (or a
// prediction), select a plan, check that the chart, the table and the detail views hold its data,
// export it; bad files end in messages naming the file and the JSON path, never a crash.
#include <QAction>
#include <QComboBox>
#include <QGroupBox>
#include <QLineEdit>
#include <QListWidget>
#include <QPlainTextEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QSortFilterProxyModel>
#include <QSpinBox>
#include <QTabWidget>
#include <QTableView>
#include <QTemporaryDir>
#include <QTextBrowser>
#include <QtTest>

#include "gui/format.hpp"
#include "gui/main_window.hpp"
#include "gui/pareto_chart.hpp"
#include "gui/plan_table_model.hpp"
#include "gui/spec_editor.hpp"
#include "gui/spec_form.hpp"
#include "gui/stage_memory_chart.hpp"
#include "gui/time_breakdown_chart.hpp"
#include "gui/timeline_view.hpp"
#include "model/analytic.hpp"
#include "model/spec/hf_config.hpp"

using namespace trainplan;
using gui::MainWindow;

namespace {

QString example(const char* name) { return QStringLiteral(CONFIG_DIR "/examples/") + QString::fromUtf8(name); }

QString write_file(const QTemporaryDir& dir, const char* name, const char* text) {
  const QString path = dir.filePath(QString::fromUtf8(name));
  QFile f(path);
  f.open(QIODevice::WriteOnly);
  f.write(text);
  return path;
}

}  // namespace

class MainWindowTest : public QObject {
  Q_OBJECT

 private:
  Catalog catalog_{CONFIG_DIR};

 private slots:
  void plan_problem_fills_table_chart_and_details() {
    if (!gui::planner_available()) QSKIP("this build has no planner");
    MainWindow w(catalog_, {.interactive = false});
    QVERIFY(w.open_spec(example("llama3-70b-h100-plan.json")));
    QVERIFY(w.run_now());
    const gui::PlanOutcome* out = w.outcome();
    QVERIFY(out);
    QCOMPARE(out->kind, gui::SpecKind::kProblem);
    QVERIFY(out->evaluated > 0);
    QVERIFY(!out->rows.empty());
    const auto& parts = w.parts();
    QCOMPARE(parts.model->rowCount(), static_cast<int>(out->rows.size()));
    QCOMPARE(parts.pareto->point_count(), static_cast<int>(out->rows.size()));
    QCOMPARE(w.selected_row(), 0);  // the best plan is selected after a run

    // Select the best plan with a pipeline, as a user clicking the table would.
    int row = 0;
    for (int i = 0; i < static_cast<int>(out->rows.size()); ++i)
      if (out->rows[static_cast<size_t>(i)].job.plan.pp > 1) {
        row = i;
        break;
      }
    const QModelIndex proxy_index = parts.proxy->mapFromSource(parts.model->index(row, gui::PlanTableModel::kPlan));
    parts.table->setCurrentIndex(proxy_index);
    QCOMPARE(w.selected_row(), row);
    const gui::PlanRow& r = out->rows[static_cast<size_t>(row)];

    // Table: the row shows the plan and its throughput.
    QCOMPARE(parts.model->data(parts.model->index(row, gui::PlanTableModel::kPlan), Qt::DisplayRole).toString(),
             gui::plan_summary(r.job.plan));
    QCOMPARE(parts.model->data(parts.model->index(row, gui::PlanTableModel::kTokensPerS), gui::PlanTableModel::kSortRole).toDouble(),
             r.eval.tokens_per_s);
    // Trust: the band column holds the row's 80 % band around its throughput, the flag column its
    // extrapolation count; the chart draws one error bar per front point with a band plus the
    // selection's.
    QVERIFY(r.has_band);
    QVERIFY(r.band.tokens_lo < r.eval.tokens_per_s && r.eval.tokens_per_s < r.band.tokens_hi);
    QCOMPARE(parts.model->data(parts.model->index(row, gui::PlanTableModel::kBand), gui::PlanTableModel::kSortRole).toDouble(),
             r.band.tokens_lo);
    QCOMPARE(parts.model->data(parts.model->index(row, gui::PlanTableModel::kFlags), gui::PlanTableModel::kSortRole).toInt(),
             static_cast<int>(r.extrapolation.size()));
    // Cost counts the useful share of wall time only (model/goodput.hpp).
    QVERIFY(r.goodput.fraction > 0.9 && r.goodput.fraction < 1.0);
    const double price = r.job.cluster.node.gpu.price_usd_per_hour.value_or(0.0);
    if (price > 0)
      QVERIFY(qAbs(r.usd_per_mtok - r.eval.gpus * price / 3600.0 / (r.eval.tokens_per_s * r.goodput.fraction) * 1e6) <
              1e-9 * r.usd_per_mtok);
    QVERIFY(parts.explanation->toPlainText().contains(QStringLiteral("Goodput.")));
    int front_bands = 0;
    for (size_t i = 0; i < out->rows.size(); ++i) front_bands += parts.pareto->on_front()[i] && out->rows[i].has_band;
    QCOMPARE(parts.pareto->error_bar_count(), front_bands + 1);
    // Pareto chart: the selection marker sits on the plan's point (headroom, tokens/s).
    const auto marker = parts.pareto->selected_point();
    QVERIFY(marker.has_value());
    QCOMPARE(marker->x(), r.headroom_gib);
    QCOMPARE(marker->y(), r.eval.tokens_per_s);
    // Time breakdown: the selected bar adds up to the step time.
    QVERIFY(qAbs(parts.time->selected_total_s() - r.eval.step_time / s(1)) < 1e-6 * (r.eval.step_time / s(1)) + 1e-9);
    // Memory: one bar per stage, each the stage's total.
    QCOMPARE(parts.memory->stage_count(), r.eval.pp);
    for (int st = 0; st < r.eval.pp; ++st) QVERIFY(qAbs(parts.memory->stage_total_gib(st) - r.eval.stage(st).total() / GiB(1)) < 1e-6);
    // Explanation and timeline follow the selection.
    QVERIFY(parts.explanation->toPlainText().contains(gui::plan_summary(r.job.plan)));
    QCOMPARE(parts.timeline->timeline().stages, r.eval.pp);

    // Sorting the table by throughput keeps the selection on the same plan.
    parts.table->sortByColumn(gui::PlanTableModel::kTokensPerS, Qt::DescendingOrder);
    QCOMPARE(w.selected_row(), row);

    // The other x axes of the Pareto chart.
    parts.pareto->set_x_axis(gui::ParetoChart::XAxis::kGpus);
    QCOMPARE(parts.pareto->selected_point()->x(), static_cast<double>(r.eval.gpus));

    // For each pair of axes drawn, the amber points are exactly the non-dominated ones: none has a
    // plan with at least its throughput and an x at least as good, better on one; every grey point has.
    using X = gui::ParetoChart::XAxis;
    for (X x : {X::kHeadroom, X::kCost, X::kGpus}) {
      parts.pareto->set_x_axis(x);
      const bool high_x = x == X::kHeadroom;
      const auto& front = parts.pareto->on_front();
      int on = 0;
      for (size_t i = 0; i < out->rows.size(); ++i) {
        const QPointF p = parts.pareto->point_of(static_cast<int>(i));
        bool dominated = false;
        for (size_t j = 0; j < out->rows.size() && !dominated; ++j) {
          const QPointF q = parts.pareto->point_of(static_cast<int>(j));
          const bool x_ok = high_x ? q.x() >= p.x() : q.x() <= p.x();
          const bool x_better = high_x ? q.x() > p.x() : q.x() < p.x();
          dominated = x_ok && q.y() >= p.y() && (x_better || q.y() > p.y());
        }
        QCOMPARE(static_cast<bool>(front[i]), !dominated);
        on += front[i];
      }
      QVERIFY(on >= 1);
      qInfo("x axis %d: %d of %zu plans on the 2-D front", static_cast<int>(x), on, out->rows.size());
    }
  }

  void selected_plan_exports() {
    if (!gui::planner_available() || !gui::export_available()) QSKIP("this build has no planner or exporter");
    MainWindow w(catalog_, {.interactive = false});
    QVERIFY(w.open_spec(example("llama3-70b-h100-plan.json")));
    QVERIFY(w.run_now());
    QTemporaryDir dir;
    bool any = false;
    for (const char* format : {"megatron", "deepspeed", "torchtitan", "nemo"}) {
      const QString out = dir.filePath(QString::fromUtf8(format));
      const bool ok = w.export_selected(QString::fromUtf8(format), out);
      // A framework may refuse a plan it cannot express; then the message names the format.
      if (ok)
        QVERIFY(!QDir(out).entryList(QDir::Files).isEmpty());
      else
        QVERIFY(w.last_error().contains(QString::fromUtf8(format)));
      any = any || ok;
    }
    QVERIFY(any);
  }

  void threaded_run_reports_progress_and_finishes() {
    MainWindow w(catalog_, {.interactive = false});
    QVERIFY(w.open_spec(example(gui::planner_available() ? "llama3-70b-h100-plan.json" : "llama3-70b-h100-64.json")));
    w.run();
    QVERIFY(!w.parts().run->isEnabled());
    QVERIFY(w.parts().cancel->isEnabled());
    QTRY_VERIFY_WITH_TIMEOUT(w.outcome() != nullptr, 60000);
    QVERIFY(w.parts().run->isEnabled());
    QVERIFY(!w.parts().cancel->isEnabled());
    QCOMPARE(w.parts().progress->value(), 1000);
    QVERIFY(w.parts().model->rowCount() > 0);
  }

  void cancel_gives_control_back_at_once() {
    MainWindow w(catalog_, {.interactive = false});
    QVERIFY(w.open_spec(example(gui::planner_available() ? "turing-530b-a100-5120-plan.json" : "llama3-70b-h100-64.json")));
    w.run();
    w.parts().cancel->trigger();
    QVERIFY(w.parts().run->isEnabled());
    QVERIFY(!w.parts().cancel->isEnabled());
    QTest::qWait(50);
    QVERIFY(w.outcome() == nullptr);  // a cancelled run never lands
  }

  void job_is_predicted_with_one_row_per_plan() {
    MainWindow w(catalog_, {.interactive = false});
    QVERIFY(w.open_spec(example("gpt3-175b-a100-1024.json")));
    QVERIFY(w.run_now());
    const auto* out = w.outcome();
    QCOMPARE(out->kind, gui::SpecKind::kJob);
    QCOMPARE(static_cast<int>(out->rows.size()), 1);
    const auto& r = out->rows.front();
    QCOMPARE(r.job.plan.pp, 8);
    QCOMPARE(w.parts().memory->stage_count(), 8);
    // 1F1B: every stage runs a forward and a backward per micro-batch.
    int computes = 0;
    for (const auto& b : w.parts().timeline->timeline().blocks)
      if (b.lane == gui::TimelineBlock::kComputeLane && b.micro_batch >= 0) ++computes;
    QCOMPARE(computes, static_cast<int>(2 * 8 * r.eval.micro_batches));
    // Zooming with the wheel changes the scale.
    const double before = w.parts().timeline->seconds_per_pixel();
    w.parts().timeline->zoom(2.0, 200);
    QVERIFY(w.parts().timeline->seconds_per_pixel() < before);
  }

  void form_edits_become_json_and_validate() {
    MainWindow w(catalog_, {.interactive = false});
    QVERIFY(w.open_spec(example("gpt3-175b-a100-1024.json")));
    gui::SpecEditor* editor = w.parts().editor;
    gui::SpecForm* form = editor->form();
    form->model_choice()->setCurrentIndex(form->model_choice()->findData(QStringLiteral("gpt3-13b")));
    form->gpu_choice()->setCurrentIndex(form->gpu_choice()->findData(QStringLiteral("h100-sxm5-80gb")));
    QVERIFY(editor->apply_edits());
    const Json& doc = editor->document().json;
    QCOMPARE(QString::fromStdString(doc["model"].get<std::string>()), QStringLiteral("gpt3-13b"));
    QCOMPARE(QString::fromStdString(doc["cluster"]["node"]["gpu"].get<std::string>()), QStringLiteral("h100-sxm5-80gb"));
    const gui::ParsedSpec parsed = editor->validate();
    QVERIFY2(parsed.ok(), gui::diagnostics_text(parsed.diagnostics).c_str());
    QCOMPARE(QString::fromStdString(parsed.job->cluster.node.gpu.key), QStringLiteral("h100-sxm5-80gb"));
    // Unchecking the plan turns the job into a plan problem.
    form->plan_group()->setChecked(false);
    QVERIFY(editor->apply_edits());
    QCOMPARE(editor->document().kind(), gui::SpecKind::kProblem);
  }

  void bad_values_name_file_and_pointer() {
    QTemporaryDir dir;
    const QString path = write_file(dir, "bad-job.json", R"({"model": "llama3-8b",
      "cluster": {"base": "dgx-h100-superpod", "nodes": 1},
      "training": {"global_batch": 8, "sequence_length": 2048, "precision": "bf16"},
      "plan": {"tp": 8, "zero": "4"}})");
    MainWindow w(catalog_, {.interactive = false});
    QVERIFY(!w.open_spec(path));
    QVERIFY2(w.last_error().contains(QStringLiteral("bad-job.json:/plan/zero")), qPrintable(w.last_error()));
    // The document stays open for fixing; its problems are listed under the editor.
    QVERIFY(w.parts().editor->problems()->count() > 0);
    QVERIFY(w.parts().editor->problems()->item(0)->text().contains(QStringLiteral("/plan/zero")));
    QVERIFY(!w.run_now());
  }

  void broken_json_and_missing_files_are_messages() {
    QTemporaryDir dir;
    const QString broken = write_file(dir, "broken.json", "{\"model\": ");
    MainWindow w(catalog_, {.interactive = false});
    QVERIFY(!w.open_spec(broken));
    QVERIFY(w.last_error().contains(QStringLiteral("broken.json")));
    QVERIFY(!w.open_spec(dir.filePath(QStringLiteral("missing.json"))));
    QVERIFY(w.last_error().contains(QStringLiteral("missing.json")));
    // A JSON syntax error typed in the editor is reported, not applied.
    QVERIFY(w.open_spec(example("gpt3-175b-a100-1024.json")));
    auto* tabs = w.parts().editor->findChild<QTabWidget*>();
    tabs->setCurrentIndex(1);
    w.parts().editor->json_editor()->setPlainText(QStringLiteral("{ not json"));
    QVERIFY(!w.parts().editor->apply_edits());
    QVERIFY(w.parts().editor->problems()->item(0)->text().contains(QStringLiteral("not valid JSON")));
    // The error's line is highlighted, and the parser's exception tag is not shown.
    w.parts().editor->json_editor()->setPlainText(QStringLiteral("{\n  \"model\": \"llama3-8b\",\n  \"cluster\" \"x\"\n}\n"));
    QVERIFY(!w.parts().editor->apply_edits());
    QCOMPARE(w.parts().editor->error_line(), 3);
    QCOMPARE(w.parts().editor->json_editor()->textCursor().blockNumber(), 2);
    QVERIFY(!w.parts().editor->problems()->item(0)->text().contains(QStringLiteral("json.exception")));
  }

  // A node override of the file (100 Gbps NICs) survives a form edit, the run and Save.
  void form_edits_keep_the_files_overrides() {
    QTemporaryDir dir;
    const char* text = R"({"model": "gpt3-175b",
      "cluster": {"base": "dgx-a100-superpod", "nodes": 128,
                  "node": {"base": "dgx-a100", "nics": {"count": 8, "rate": "100Gbps", "latency": "1.5us"}}},
      "training": {"global_batch": 1536, "sequence_length": 2048, "precision": "bf16"},
      "plan": {"tp": 8, "pp": 8, "dp": 16, "micro_batch": 1, "sequence_parallel": true}})";
    const QString path = write_file(dir, "override.json", text);
    MainWindow w(catalog_, {.interactive = false});
    QVERIFY(w.open_spec(path));
    w.parts().editor->form()->global_batch_box()->setValue(768);
    QVERIFY(w.run_now());
    const Json& doc = w.parts().editor->document().json;
    QCOMPARE(QString::fromStdString(doc["cluster"]["node"]["nics"]["rate"].get<std::string>()), QStringLiteral("100Gbps"));
    QCOMPARE(doc["training"]["global_batch"].get<int>(), 768);
    // The run used the override: the same job read from a file, as `trainplan predict` reads it.
    std::string edited = text;
    edited.replace(edited.find("1536"), 4, "768");
    Diagnostics diag;
    const auto job = load_job_file(write_file(dir, "expected.json", edited.c_str()).toStdString(), catalog_, diag);
    QVERIFY(job.has_value());
    QCOMPARE(w.outcome()->rows.front().eval.step_time.si(),
             AnalyticEvaluator().evaluate(*job, load_calibration(catalog_, job->cluster.node.gpu, "", diag)).step_time.si());
    QCOMPARE(job->cluster.node.nic.bandwidth.si(), 100e9 / 8);
    // Save writes it with the override.
    const QString saved = dir.filePath(QStringLiteral("saved.json"));
    QVERIFY(w.parts().editor->apply_edits());
    std::string error;
    QVERIFY(gui::save_spec_document(w.parts().editor->document(), saved.toStdString(), error));
    auto back = load_json_file(saved.toStdString(), diag);
    QCOMPARE(QString::fromStdString((*back)["cluster"]["node"]["nics"]["rate"].get<std::string>()), QStringLiteral("100Gbps"));
    // ... in the file's key order (model, cluster, training, plan; Json alone sorts them).
    QFile sf(saved);
    QVERIFY(sf.open(QIODevice::ReadOnly));
    const QString saved_text = QString::fromUtf8(sf.readAll());
    QVERIFY(saved_text.indexOf(QStringLiteral("\"model\"")) < saved_text.indexOf(QStringLiteral("\"cluster\"")));
    QVERIFY(saved_text.indexOf(QStringLiteral("\"cluster\"")) < saved_text.indexOf(QStringLiteral("\"training\"")));
    QVERIFY(saved_text.indexOf(QStringLiteral("\"training\"")) < saved_text.indexOf(QStringLiteral("\"plan\"")));
    QVERIFY(saved_text.indexOf(QStringLiteral("\"base\": \"dgx-a100-superpod\"")) < saved_text.indexOf(QStringLiteral("\"nodes\": 128")));
  }

  // Edits in the JSON tab are taken when the tab is left: the form shows them and the run uses them;
  // a syntax error keeps the JSON tab and its text.
  void json_edits_survive_switching_to_the_form() {
    MainWindow w(catalog_, {.interactive = false});
    QVERIFY(w.open_spec(example("gpt3-175b-a100-1024.json")));
    auto* tabs = w.parts().editor->findChild<QTabWidget*>();
    tabs->setCurrentIndex(1);
    Json doc = w.parts().editor->document().json;
    doc["training"]["global_batch"] = 768;
    w.parts().editor->json_editor()->setPlainText(QString::fromStdString(doc.dump(2)));
    tabs->setCurrentIndex(0);
    QCOMPARE(w.parts().editor->form()->global_batch_box()->value(), 768);
    QVERIFY(w.run_now());
    QCOMPARE(w.outcome()->rows.front().job.training.global_batch, 768LL);
    QVERIFY(w.modified());

    tabs->setCurrentIndex(1);
    w.parts().editor->json_editor()->setPlainText(QStringLiteral("{ \"model\": "));
    tabs->setCurrentIndex(0);
    QCOMPARE(tabs->currentIndex(), 1);
    QCOMPARE(w.parts().editor->json_editor()->toPlainText(), QStringLiteral("{ \"model\": "));
    QVERIFY(w.parts().editor->problems()->item(0)->text().contains(QStringLiteral("not valid JSON")));
  }

  // A value the form does not know is shown as it is and written back, so the reader names it.
  void unknown_values_are_kept_and_reported() {
    MainWindow w(catalog_, {.interactive = false});
    QVERIFY(w.open_spec(example("gpt3-175b-a100-1024.json")));
    auto* tabs = w.parts().editor->findChild<QTabWidget*>();
    tabs->setCurrentIndex(1);
    Json doc = w.parts().editor->document().json;
    doc["training"]["precision"] = "bf17";
    w.parts().editor->json_editor()->setPlainText(QString::fromStdString(doc.dump(2)));
    tabs->setCurrentIndex(0);
    QCOMPARE(w.parts().editor->form()->precision_choice()->currentText(), QStringLiteral("bf17"));
    w.parts().editor->form()->global_batch_box()->setValue(768);  // an edit in the form
    QVERIFY(w.parts().editor->apply_edits());
    QCOMPARE(QString::fromStdString(w.parts().editor->document().json["training"]["precision"].get<std::string>()), QStringLiteral("bf17"));
    QVERIFY(!w.run_now());
    QVERIFY2(w.last_error().contains(QStringLiteral("/training/precision")), qPrintable(w.last_error()));
  }

  // The heading says what the spec describes after edits, not the file's description.
  void heading_follows_the_spec() {
    MainWindow w(catalog_, {.interactive = false});
    QVERIFY(w.open_spec(example("gpt3-175b-a100-1024.json")));
    const QString before = w.heading();
    gui::SpecForm* form = w.parts().editor->form();
    form->model_choice()->setCurrentIndex(form->model_choice()->findData(QStringLiteral("llama3-8b")));
    form->gpu_choice()->setCurrentIndex(form->gpu_choice()->findData(QStringLiteral("h100-sxm5-80gb")));
    for (auto* b : w.parts().editor->findChildren<QPushButton*>())
      if (b->text().startsWith(QStringLiteral("Apply"))) b->click();
    const gui::ParsedSpec parsed = gui::parse_spec(w.parts().editor->document(), catalog_);
    QVERIFY(parsed.ok() && parsed.job);
    QCOMPARE(w.heading(), gui::spec_heading(parsed.job->model, parsed.job->cluster, parsed.job->training, true));
    QVERIFY(w.heading() != before);
    QVERIFY(w.heading().contains(QString::fromStdString(parsed.job->model.name)));
    QVERIFY(w.heading().contains(QString::fromStdString(parsed.job->cluster.node.gpu.name)));
    QVERIFY(w.windowTitle().contains(QStringLiteral("[*]")) && w.isWindowModified());
  }

  // Quit and Open with unsaved edits ask; Cancel keeps the window and the edits.
  void unsaved_edits_are_asked_about() {
    int asked = 0;
    gui::MainWindow::Unsaved answer = gui::MainWindow::Unsaved::kCancel;
    MainWindow w(catalog_, {.interactive = false, .ask_unsaved = [&](const QString&) {
                              ++asked;
                              return answer;
                            }});
    QVERIFY(w.open_spec(example("gpt3-175b-a100-1024.json")));
    QVERIFY(w.close());  // nothing edited: no question
    QCOMPARE(asked, 0);
    w.parts().editor->form()->global_batch_box()->setValue(768);
    QVERIFY(w.modified());
    QVERIFY(!w.close());
    QCOMPARE(asked, 1);
    QVERIFY(!w.open_spec(example("llama3-8b-fsdp-a100-32.json")));  // cancelled: the edits stay
    QCOMPARE(asked, 2);
    QCOMPARE(w.parts().editor->form()->global_batch_box()->value(), 768);
    answer = gui::MainWindow::Unsaved::kDiscard;
    QVERIFY(w.open_spec(example("llama3-8b-fsdp-a100-32.json")));
    QCOMPARE(asked, 3);
    QVERIFY(!w.modified());
    QVERIFY(w.outcome() == nullptr);  // the old results are not left under the new spec
  }

  // The plan table filters, copies, exports CSV, and compares two selected plans side by side.
  void table_filters_copies_exports_and_compares() {
    if (!gui::planner_available()) QSKIP("this build has no planner");
    MainWindow w(catalog_, {.interactive = false});
    QVERIFY(w.open_spec(example("llama3-70b-h100-plan.json")));
    QVERIFY(w.run_now());
    const auto& parts = w.parts();
    const int all = parts.proxy->rowCount();
    // Filter on the plan text: only the rows whose summary holds it remain.
    parts.filter->setText(QStringLiteral("pp4"));
    int expected = 0;
    for (const auto& r : w.outcome()->rows) expected += gui::plan_summary(r.job.plan).contains(QStringLiteral("PP4"), Qt::CaseInsensitive);
    QVERIFY(expected > 0 && expected < all);
    QCOMPARE(parts.proxy->rowCount(), expected);
    parts.filter->clear();
    QCOMPARE(parts.proxy->rowCount(), all);

    // CSV of the whole table: a header and one line per row, unrounded throughput.
    QTemporaryDir dir;
    const QString csv = dir.filePath(QStringLiteral("plans.csv"));
    QVERIFY(w.write_table_csv(csv));
    QFile f(csv);
    QVERIFY(f.open(QIODevice::ReadOnly));
    const QStringList lines = QString::fromUtf8(f.readAll()).split(QLatin1Char('\n'), Qt::SkipEmptyParts);
    QCOMPARE(lines.size(), all + 1);
    QVERIFY2(lines[0].startsWith(QStringLiteral("#,Plan,GPUs,Tok/s,")), qPrintable(lines[0]));
    const int first = parts.proxy->mapToSource(parts.proxy->index(0, 0)).row();
    QVERIFY2(lines[1].contains(QString::number(w.outcome()->rows[static_cast<size_t>(first)].eval.tokens_per_s, 'g', 12)),
             qPrintable(lines[1]));

    // Two rows selected: copied as tab-separated text, compared in the explanation.
    auto* sel = parts.table->selectionModel();
    sel->select(parts.proxy->index(0, 0), QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);
    sel->select(parts.proxy->index(1, 0), QItemSelectionModel::Select | QItemSelectionModel::Rows);
    QCOMPARE(static_cast<int>(w.selected_rows().size()), 2);
    const QStringList copied = w.selected_rows_text().split(QLatin1Char('\n'), Qt::SkipEmptyParts);
    QCOMPARE(copied.size(), 3);
    QVERIFY(copied[1].contains(QLatin1Char('\t')));
    const QString html = parts.explanation->toPlainText();
    QVERIFY2(html.contains(QStringLiteral("2 plans side by side")), qPrintable(html.left(200)));
    QVERIFY(html.contains(QStringLiteral("≠")));  // two different plans differ in some knob
  }

  // The timeline names the block under the cursor.
  void timeline_tooltips_name_the_block() {
    MainWindow w(catalog_, {.interactive = false});
    QVERIFY(w.open_spec(example("gpt3-175b-a100-1024.json")));
    QVERIFY(w.run_now());
    gui::TimelineView* view = w.parts().timeline;
    view->resize(900, 400);
    view->fit();
    const gui::TimelineBlock& first = view->timeline().blocks.front();  // stage 0's first forward
    const QPoint at(static_cast<int>(92 + (first.start_s + first.end_s) / 2 / view->seconds_per_pixel()), 26 + 2);
    const gui::TimelineBlock* b = view->block_at(at);
    QVERIFY(b != nullptr);
    QCOMPARE(b->kind, first.kind);
    QVERIFY(gui::TimelineView::block_text(*b).startsWith(QStringLiteral("forward of micro-batch 0 on stage 0")));
  }

  // Recent files and the last session are remembered (in the settings file given); Undo and Redo
  // walk the applied spec edits.
  void recent_files_session_and_undo() {
    QTemporaryDir dir;
    const QString settings = dir.filePath(QStringLiteral("gui.ini"));
    {
      MainWindow w(catalog_, {.interactive = false, .ask_unsaved = nullptr, .settings_file = settings});
      QVERIFY(w.open_spec(example("gpt3-175b-a100-1024.json")));
      QVERIFY(w.open_spec(example("llama3-8b-fsdp-a100-32.json")));
      QCOMPARE(w.recent_specs().size(), 2);
      QVERIFY(w.recent_specs().front().endsWith(QStringLiteral("llama3-8b-fsdp-a100-32.json")));

      // Two applied edits, undone and redone.
      const int batch = w.parts().editor->document().json["training"]["global_batch"].get<int>();
      auto apply = [&] {
        for (auto* b : w.parts().editor->findChildren<QPushButton*>())
          if (b->text().startsWith(QStringLiteral("Apply"))) b->click();
      };
      w.parts().editor->form()->global_batch_box()->setValue(batch * 2);
      apply();
      w.parts().editor->form()->global_batch_box()->setValue(batch * 4);
      apply();
      QVERIFY(w.undo());
      QCOMPARE(w.parts().editor->document().json["training"]["global_batch"].get<int>(), batch * 2);
      QCOMPARE(w.parts().editor->form()->global_batch_box()->value(), batch * 2);
      QVERIFY(w.undo());
      QCOMPARE(w.parts().editor->document().json["training"]["global_batch"].get<int>(), batch);
      QVERIFY(!w.undo());
      QVERIFY(w.redo());
      QCOMPARE(w.parts().editor->document().json["training"]["global_batch"].get<int>(), batch * 2);
      // Undo takes a pending (unapplied) form edit as a state first.
      w.parts().editor->form()->global_batch_box()->setValue(batch * 8);
      QVERIFY(w.undo());
      QCOMPARE(w.parts().editor->document().json["training"]["global_batch"].get<int>(), batch * 2);
      w.close();  // discards (non-interactive, no question) and saves the session
    }
    MainWindow again(catalog_, {.interactive = false, .ask_unsaved = nullptr, .settings_file = settings});
    QVERIFY(again.last_session_spec().endsWith(QStringLiteral("llama3-8b-fsdp-a100-32.json")));
    QCOMPARE(again.recent_specs().size(), 2);
    // Without a settings file a non-interactive window remembers nothing.
    MainWindow plain(catalog_, {.interactive = false});
    QVERIFY(plain.open_spec(example("gpt3-175b-a100-1024.json")));
    QVERIFY(plain.recent_specs().isEmpty());
  }

  // A blank start: each problem listed once, and an honest heading.
  void a_blank_start_lists_each_problem_once() {
    MainWindow w(catalog_, {.interactive = false});
    w.parts().editor->validate();
    QStringList texts;
    for (int i = 0; i < w.parts().editor->problems()->count(); ++i) texts << w.parts().editor->problems()->item(i)->text();
    qInfo("%s", qPrintable(texts.join(QLatin1Char('|'))));
    QCOMPARE(texts.removeDuplicates(), 0);
    QVERIFY(w.heading().contains(QStringLiteral("problems")));
  }

  // Figures read as numbers: fixed notation under an SI prefix, group separators in counts.
  void numbers_read_as_numbers() {
    QCOMPARE(gui::si_number(9040), QStringLiteral("9.04 k"));
    QCOMPARE(gui::si_number(316030), QStringLiteral("316 k"));
    QCOMPARE(gui::si_number(1.5e6), QStringLiteral("1.50 M"));
    QCOMPARE(gui::si_number(412.3), QStringLiteral("412"));
    QCOMPARE(gui::si_number(0.25), QStringLiteral("0.25"));
    QCOMPARE(gui::grouped(16384), QLocale().toString(16) + QLocale().groupSeparator() + QStringLiteral("384"));
  }

  // What runs but deserves a word is listed as a warning: TP across nodes, an HF config whose
  // architecture the reader does not model.
  void warnings_for_tp_across_nodes_and_unmodeled_configs() {
    QTemporaryDir dir;
    write_file(dir, "gemma2.json", R"({"architectures": ["Gemma2ForCausalLM"], "model_type": "gemma2", "hidden_size": 3584,
      "intermediate_size": 14336, "num_attention_heads": 16, "num_hidden_layers": 42, "num_key_value_heads": 8, "head_dim": 256,
      "vocab_size": 256000, "hidden_act": "gelu_pytorch_tanh", "final_logit_softcapping": 30.0, "attn_logit_softcapping": 50.0})");
    const QString job = write_file(dir, "job.json", R"({"model": {"hf_config": "gemma2.json"},
      "cluster": {"base": "dgx-h100-superpod", "nodes": 1},
      "training": {"global_batch": 16, "sequence_length": 4096, "precision": "bf16"},
      "plan": {"tp": 2, "dp": 4}})");
    const QString tp3 = write_file(dir, "tp3.json", R"({"model": "gpt3-175b",
      "cluster": {"base": "dgx-a100-superpod", "nodes": 48},
      "training": {"global_batch": 1536, "sequence_length": 2048, "precision": "bf16"},
      "plan": {"tp": 3, "pp": 16, "dp": 8}})");
    auto problems = [&](const QString& path) {
      MainWindow w(catalog_, {.interactive = false});
      if (!w.open_spec(path)) return w.last_error();
      QStringList texts;
      for (int i = 0; i < w.parts().editor->problems()->count(); ++i) texts << w.parts().editor->problems()->item(i)->text();
      return texts.join(QLatin1Char('\n'));
    };
    const QString gemma = problems(job), split = problems(tp3);
    QVERIFY2(split.contains(QStringLiteral("TP 3 does not divide the 8 GPUs of a node")), qPrintable(split));
    QVERIFY2(gemma.contains(QStringLiteral("final_logit_softcapping")), qPrintable(gemma));
    QVERIFY2(gemma.contains(QStringLiteral("GeGLU")), qPrintable(gemma));
    QVERIFY(gemma.contains(QStringLiteral("✓ valid job")) &&
            split.contains(QStringLiteral("✓ valid job")));  // warnings do not refuse the run
    // A Llama config has none.
    QCOMPARE(static_cast<int>(hf_config_caveats(Json::parse(R"({"model_type": "llama"})")).size()), 0);
  }

  void hf_config_import_sets_the_model() {
    QTemporaryDir dir;
    const QString hf = write_file(dir, "config.json", R"({"architectures": ["LlamaForCausalLM"], "model_type": "llama",
      "hidden_size": 4096, "intermediate_size": 14336, "num_attention_heads": 32, "num_hidden_layers": 32,
      "num_key_value_heads": 8, "vocab_size": 128256, "max_position_embeddings": 8192, "tie_word_embeddings": false,
      "hidden_act": "silu", "rms_norm_eps": 1e-05})");
    MainWindow w(catalog_, {.interactive = false});
    QVERIFY(w.open_spec(example("gpt3-175b-a100-1024.json")));
    QString error;
    QVERIFY2(w.parts().editor->import_hf_config(hf, error), qPrintable(error));
    QCOMPARE(QString::fromStdString(w.parts().editor->document().json["model"]["hf_config"].get<std::string>()), hf);
  }
};

QTEST_MAIN(MainWindowTest)
#include "main_window_test.moc"
