#include "gui/spec_editor.hpp"

#include <QFontDatabase>
#include <QLabel>
#include <QListWidget>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QRegularExpression>
#include <QScrollArea>
#include <QTabWidget>
#include <QTextBlock>
#include <QVBoxLayout>
#include <algorithm>

#include "gui/spec_form.hpp"

namespace trainplan::gui {

SpecEditor::SpecEditor(const Catalog& catalog, QWidget* parent) : QWidget(parent), catalog_(catalog) {
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(0, 0, 0, 0);
  tabs_ = new QTabWidget;
  form_ = new SpecForm(catalog_);
  auto* scroll = new QScrollArea;
  scroll->setWidget(form_);
  scroll->setWidgetResizable(true);
  scroll->setFrameShape(QFrame::NoFrame);
  scroll->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
  tabs_->addTab(scroll, tr("Form"));
  json_ = new QPlainTextEdit;
  json_->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
  json_->setLineWrapMode(QPlainTextEdit::NoWrap);
  tabs_->addTab(json_, tr("JSON"));
  layout->addWidget(tabs_, 1);

  auto* apply = new QPushButton(tr("Apply && validate"));
  apply->setToolTip(tr("Take the edits of the visible tab into the spec and check it"));
  layout->addWidget(apply);
  auto* label = new QLabel(tr("Problems"));
  label->setStyleSheet(QStringLiteral("font-weight:600"));
  layout->addWidget(label);
  problems_ = new QListWidget;
  problems_->setWordWrap(true);
  problems_->setMaximumHeight(110);
  layout->addWidget(problems_);

  connect(form_, &SpecForm::edited, this, [this] {
    form_dirty_ = true;
    emit edited();
  });
  connect(json_, &QPlainTextEdit::textChanged, this, [this] {
    json_dirty_ = true;
    emit edited();
  });
  // Leaving a tab takes its edits, so the other tab shows them; a JSON syntax error keeps the JSON
  // tab open with the problem listed instead of discarding the text.
  connect(tabs_, &QTabWidget::currentChanged, this, [this] {
    if (!json_dirty_ && !form_dirty_) return;
    if (apply_edits()) {
      validate();
      emit document_changed();
    } else {
      const QSignalBlocker block(tabs_);
      tabs_->setCurrentWidget(json_);
    }
  });
  connect(apply, &QPushButton::clicked, this, [this] {
    if (apply_edits()) {
      validate();
      emit document_changed();
    }
  });
}

void SpecEditor::set_document(SpecDocument doc) {
  doc_ = std::move(doc);
  refresh_views();
  problems_->clear();
}

void SpecEditor::refresh_views() {
  form_->load(doc_.json);
  const QSignalBlocker block(json_);
  json_->setPlainText(QString::fromStdString(ordered_text(doc_)));
  json_dirty_ = form_dirty_ = false;
}

bool SpecEditor::apply_edits() {
  // Whichever tab holds edits (leaving a tab applies them, so at most one does).
  if (json_dirty_) {
    // The file reader's checks (nesting depth, duplicate keys) on the edited text too.
    Diagnostics diag;
    auto j = parse_json_text(json_->toPlainText().toStdString(), doc_.path, diag);
    if (j && !j->is_object()) diag.add(doc_.path, "", "expected a JSON object");
    if (!diag.ok()) {
      show_problems(diag);
      mark_syntax_error(diag);
      return false;
    }
    doc_.json = std::move(*j);
    doc_.order = key_order(json_->toPlainText().toStdString());
  } else if (form_dirty_) {
    form_->store(doc_.json);
  }
  refresh_views();
  return true;
}

ParsedSpec SpecEditor::validate() {
  ParsedSpec p = parse_spec(doc_, catalog_);
  show_problems(p.diagnostics);
  for (const std::string& w : spec_warnings(doc_, p)) {
    auto* item = new QListWidgetItem(QStringLiteral("⚠ ") + QString::fromStdString(w));
    item->setForeground(QColor(0xa0, 0x60, 0x00));
    problems_->addItem(item);
  }
  return p;
}

// The parser's "at line L, column C" of a JSON syntax error: the line is highlighted and the cursor
// put there, so the user sees where, not only the parser's text.
void SpecEditor::mark_syntax_error(const Diagnostics& diag) {
  static const QRegularExpression at(QStringLiteral("line (\\d+), column (\\d+)"));
  for (const auto& d : diag.items()) {
    const QRegularExpressionMatch m = at.match(QString::fromStdString(d.message));
    if (!m.hasMatch()) continue;
    const int line = m.captured(1).toInt(), column = m.captured(2).toInt();
    QTextCursor c(json_->document()->findBlockByNumber(std::max(0, line - 1)));
    c.movePosition(QTextCursor::Right, QTextCursor::MoveAnchor, std::max(0, std::min(column - 1, c.block().length() - 1)));
    json_->setTextCursor(c);
    QTextEdit::ExtraSelection mark;
    mark.format.setBackground(QColor(0xfd, 0xe2, 0xe2));
    mark.format.setProperty(QTextFormat::FullWidthSelection, true);
    mark.cursor = c;
    mark.cursor.clearSelection();
    json_->setExtraSelections({mark});
    error_line_ = line;
    return;
  }
}

void SpecEditor::show_problems(const Diagnostics& diag) {
  problems_->clear();
  if (diag.ok()) {
    json_->setExtraSelections({});
    error_line_ = 0;
  }
  for (const auto& d : diag.items()) {
    // The parser's exception tag ("[json.exception.parse_error.101] ") says nothing to a user.
    static const QRegularExpression tag(QStringLiteral("\\[json\\.exception\\.[a-z_]+\\.\\d+\\] "));
    auto* item = new QListWidgetItem(QString::fromStdString(d.to_string()).remove(tag));
    item->setForeground(QColor(0xb0, 0x30, 0x30));
    problems_->addItem(item);
  }
  if (diag.ok()) {
    auto* item = new QListWidgetItem(doc_.kind() == SpecKind::kJob ? tr("✓ valid job") : tr("✓ valid plan problem"));
    item->setForeground(QColor(0x2a, 0x7d, 0x4f));
    problems_->addItem(item);
  }
}

bool SpecEditor::import_hf_config(const QString& path, QString& error) {
  Diagnostics diag;
  auto model = load_model_file(path.toStdString(), catalog_, diag);
  if (!model) {
    error = QString::fromStdString(diagnostics_text(diag));
    show_problems(diag);
    return false;
  }
  Json ref = Json::object();
  ref["hf_config"] = path.toStdString();
  set_model_json(ref);
  return true;
}

void SpecEditor::set_model_json(const Json& model) {
  apply_edits();
  doc_.json["model"] = model;
  refresh_views();
  validate();
  emit document_changed();
}

void SpecEditor::set_cluster_json(const Json& cluster) {
  apply_edits();
  doc_.json["cluster"] = cluster;
  refresh_views();
  validate();
  emit document_changed();
}

}  // namespace trainplan::gui
