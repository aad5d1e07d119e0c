// Form fields for the parts of a spec people change most: model, cluster (with an optional GPU
// override), training job and, for a job, the plan knobs that model/spec/plan_knobs.hpp gives a
// widget. The form reads from and writes into the
// document's JSON, leaving every key it has no field for untouched (inline models, search
// settings, offload, overlap flags...).
//
//   form.load(doc.json);            // fill the fields
//   form.store(doc.json);           // write them back
#pragma once

#include <QWidget>

#include "model/json_reader.hpp"
#include "model/spec/catalog.hpp"
#include "model/spec/plan_knobs.hpp"

#include <vector>

class QCheckBox;
class QComboBox;
class QGroupBox;
class QLabel;
class QSpinBox;

namespace trainplan::gui {

class SpecForm : public QWidget {
  Q_OBJECT

 public:
  SpecForm(const Catalog& catalog, QWidget* parent = nullptr);

  void load(const Json& doc);
  void store(Json& doc) const;

  [[nodiscard]] QComboBox* model_choice() const { return model_; }
  [[nodiscard]] QComboBox* cluster_choice() const { return cluster_; }
  [[nodiscard]] QComboBox* gpu_choice() const { return gpu_; }
  [[nodiscard]] QComboBox* precision_choice() const { return precision_; }
  [[nodiscard]] QSpinBox* global_batch_box() const { return global_batch_; }
  [[nodiscard]] QSpinBox* nodes_box() const { return nodes_; }
  [[nodiscard]] QGroupBox* plan_group() const { return plan_; }

 signals:
  void import_hf_requested();
  void edited();

 private:
  QWidget* build_model_box();
  QWidget* build_cluster_box();
  QWidget* build_training_box();
  QWidget* build_plan_box();
  void store_cluster(Json& doc) const;
  [[nodiscard]] Json cluster_node_with_gpu(const std::string& cluster_key, const std::string& gpu_key) const;

  const Catalog& catalog_;
  QComboBox* model_ = nullptr;
  QLabel* model_note_ = nullptr;
  QComboBox* cluster_ = nullptr;
  QComboBox* gpu_ = nullptr;
  QSpinBox* nodes_ = nullptr;
  QSpinBox* global_batch_ = nullptr;
  QSpinBox* sequence_ = nullptr;
  QComboBox* precision_ = nullptr;
  QGroupBox* plan_ = nullptr;
  // One editor per plan knob with a widget in kPlanKnobs (model/spec/plan_knobs.hpp).
  struct KnobEditor {
    const KnobDecl* knob;
    QWidget* widget;  // QSpinBox, QCheckBox or QComboBox by knob->widget
  };
  std::vector<KnobEditor> knob_editors_;
};

}  // namespace trainplan::gui
