// The spec panel: a form and the raw JSON of the document, and the problems the readers found
// ("file:/json/pointer: message"), refreshed on every apply.
//
//   SpecEditor editor(catalog);
//   editor.set_document(doc);
//   ParsedSpec p = editor.validate();   // also lists the problems under the tabs
#pragma once

#include <QWidget>

#include "gui/spec_document.hpp"

class QListWidget;
class QPlainTextEdit;
class QTabWidget;

namespace trainplan::gui {

class SpecForm;

class SpecEditor : public QWidget {
  Q_OBJECT

 public:
  explicit SpecEditor(const Catalog& catalog, QWidget* parent = nullptr);

  void set_document(SpecDocument doc);
  [[nodiscard]] const SpecDocument& document() const { return doc_; }
  // Takes the pending edits (of the JSON text, else of the form) into the document; false (and
  // problems listed, the text kept) on a JSON syntax error.
  bool apply_edits();
  ParsedSpec validate();
  // Sets the model to {"hf_config": path} after checking the file reads as a model.
  bool import_hf_config(const QString& path, QString& error);
  void set_model_json(const Json& model);
  void set_cluster_json(const Json& cluster);

  [[nodiscard]] SpecForm* form() const { return form_; }
  [[nodiscard]] QPlainTextEdit* json_editor() const { return json_; }
  [[nodiscard]] QListWidget* problems() const { return problems_; }

 signals:
  void document_changed();
  void edited();  // the user changed a field or the JSON text (not yet applied)

 private:
  void refresh_views();
  void show_problems(const Diagnostics& diag);
  void mark_syntax_error(const Diagnostics& diag);

  const Catalog& catalog_;
  SpecDocument doc_;
  QTabWidget* tabs_ = nullptr;
  SpecForm* form_ = nullptr;
  QPlainTextEdit* json_ = nullptr;
  QListWidget* problems_ = nullptr;
  bool json_dirty_ = false;
  bool form_dirty_ = false;
  int error_line_ = 0;

 public:
  // The line of the JSON syntax error highlighted in the editor (0: none), for tests.
  [[nodiscard]] int error_line() const { return error_line_; }
};

}  // namespace trainplan::gui
