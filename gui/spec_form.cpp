#include "gui/spec_form.hpp"

#include <QCheckBox>
#include <QComboBox>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>
#include <QSpinBox>
#include <QVBoxLayout>

#include <algorithm>

#include "model/spec/spec_json.hpp"

namespace trainplan::gui {
namespace {

constexpr const char* kInline = "(as in the file)";

QComboBox* key_combo(const std::vector<std::string>& keys, const QString& first = {}) {
  auto* c = new QComboBox;
  if (!first.isEmpty()) c->addItem(first, QString());
  for (const auto& k : keys) c->addItem(QString::fromStdString(k), QString::fromStdString(k));
  c->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
  c->setMinimumContentsLength(10);
  return c;
}

QComboBox* name_combo(const QStringList& names) {
  auto* c = new QComboBox;
  c->addItems(names);
  c->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Fixed);
  c->setMinimumWidth(56);
  return c;
}

// Shows `text` in a combo of names; a value not among them is added (in red, "not a known value")
// rather than replaced by another, so that storing the form writes back what the file said and
// the reader reports it.
void show_name(QComboBox* c, const QString& text) {
  int i = c->findText(text);
  if (i < 0) {
    c->addItem(text);
    i = c->count() - 1;
    c->setItemData(i, QColor(0xb0, 0x30, 0x30), Qt::ForegroundRole);
    c->setItemData(i, QObject::tr("not a known value: the spec's problems list says what is expected"), Qt::ToolTipRole);
  }
  c->setCurrentIndex(i);
}

QSpinBox* spin(int lo, int hi, const QString& special = {}) {
  auto* s = new QSpinBox;
  s->setRange(lo, hi);
  s->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Fixed);
  s->setMinimumWidth(56);
  if (!special.isEmpty()) s->setSpecialValueText(special);
  return s;
}

void select_data(QComboBox* c, const QString& data) {
  const int i = c->findData(data);
  c->setCurrentIndex(i >= 0 ? i : 0);
}

int json_int(const Json& j, const char* key, int fallback) {
  if (!j.is_object() || !j.contains(key)) return fallback;
  const Json& v = j[key];
  if (v.is_number_integer()) return v.get<int>();
  if (v.is_string()) {
    bool ok = false;
    const int n = QString::fromStdString(v.get<std::string>()).toInt(&ok);
    return ok ? n : fallback;
  }
  return fallback;
}

QString json_text(const Json& j, const char* key, const QString& fallback) {
  if (!j.is_object() || !j.contains(key)) return fallback;
  if (j[key].is_string()) return QString::fromStdString(j[key].get<std::string>());
  if (j[key].is_number_integer()) return QString::number(j[key].get<long long>());
  return fallback;
}

}  // namespace

SpecForm::SpecForm(const Catalog& catalog, QWidget* parent) : QWidget(parent), catalog_(catalog) {
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(4, 4, 4, 4);
  layout->addWidget(build_model_box());
  layout->addWidget(build_cluster_box());
  layout->addWidget(build_training_box());
  layout->addWidget(build_plan_box());
  layout->addStretch();
}

QWidget* SpecForm::build_model_box() {
  auto* box = new QGroupBox(tr("Model"));
  auto* f = new QFormLayout(box);
  model_ = key_combo(catalog_.keys("models"), QString::fromUtf8(kInline));
  model_->setToolTip(tr("A model of the catalog (configs/models), or the inline / Hugging Face model of the file"));
  auto* row = new QHBoxLayout;
  row->addWidget(model_, 1);
  auto* hf = new QPushButton(tr("Import HF…"));
  hf->setToolTip(tr("Use a Hugging Face config.json (Llama, Qwen, Mixtral, DeepSeek-V3 field names)"));
  connect(hf, &QPushButton::clicked, this, &SpecForm::import_hf_requested);
  row->addWidget(hf);
  f->addRow(tr("Catalog"), row);
  model_note_ = new QLabel;
  model_note_->setWordWrap(true);
  model_note_->setStyleSheet(QStringLiteral("color:#707a86"));
  f->addRow(model_note_);
  connect(model_, &QComboBox::currentIndexChanged, this, &SpecForm::edited);
  return box;
}

QWidget* SpecForm::build_cluster_box() {
  auto* box = new QGroupBox(tr("Cluster"));
  auto* f = new QFormLayout(box);
  cluster_ = key_combo(catalog_.keys("clusters"), QString::fromUtf8(kInline));
  gpu_ = key_combo(catalog_.keys("gpus"), tr("(the cluster's)"));
  gpu_->setToolTip(tr("Replace the GPU of the cluster's nodes by a catalog GPU (configs/gpus)"));
  nodes_ = spin(0, 100000, tr("(the cluster's)"));
  nodes_->setToolTip(tr("Nodes used; for a plan problem the GPU count is an upper limit"));
  f->addRow(tr("Cluster"), cluster_);
  f->addRow(tr("GPU"), gpu_);
  f->addRow(tr("Nodes"), nodes_);
  for (QComboBox* c : {cluster_, gpu_}) connect(c, &QComboBox::currentIndexChanged, this, &SpecForm::edited);
  connect(nodes_, &QSpinBox::valueChanged, this, &SpecForm::edited);
  return box;
}

QWidget* SpecForm::build_training_box() {
  auto* box = new QGroupBox(tr("Training"));
  auto* f = new QFormLayout(box);
  global_batch_ = spin(1, 100'000'000);
  global_batch_->setToolTip(tr("Sequences per optimizer step (exact)"));
  sequence_ = spin(1, 10'000'000);
  precision_ = name_combo({"bf16", "fp16", "fp8", "fp32", "tf32"});
  f->addRow(tr("Global batch"), global_batch_);
  f->addRow(tr("Sequence length"), sequence_);
  f->addRow(tr("Precision"), precision_);
  connect(global_batch_, &QSpinBox::valueChanged, this, &SpecForm::edited);
  connect(sequence_, &QSpinBox::valueChanged, this, &SpecForm::edited);
  connect(precision_, &QComboBox::currentIndexChanged, this, &SpecForm::edited);
  return box;
}

QWidget* SpecForm::build_plan_box() {
  plan_ = new QGroupBox(tr("Fixed plan (job)"));
  plan_->setCheckable(true);
  plan_->setToolTip(tr("Checked: a job, every knob fixed, predicted. Unchecked: a plan problem the planner searches."));
  auto* grid = new QFormLayout(plan_);
  // Two knobs a row, in declaration order; a knob whose default lies below its range (dp: 0 =
  // the cluster's GPUs over tp*pp*cp) shows that default as "auto".
  QHBoxLayout* row = nullptr;
  QString row_label;
  for (const KnobDecl& k : kPlanKnobs) {
    if (k.widget == Widget::kNone) continue;
    QWidget* w = nullptr;
    const QString label = QString::fromUtf8(k.label.data(), static_cast<int>(k.label.size()));
    if (k.widget == Widget::kSpin) {
      const double lo = std::min(k.min, k.default_of(PlanSpec{}));
      auto* sp = spin(static_cast<int>(lo), static_cast<int>(std::min(k.max, 1e6)), lo < k.min ? tr("auto") : QString());
      connect(sp, &QSpinBox::valueChanged, this, &SpecForm::edited);
      w = sp;
    } else if (k.widget == Widget::kCombo) {
      QStringList names;
      for (const NameEntry& e : k.names) names << QString::fromUtf8(e.name.data(), static_cast<int>(e.name.size()));
      auto* c = name_combo(names);
      connect(c, &QComboBox::currentIndexChanged, this, &SpecForm::edited);
      w = c;
    } else {
      auto* c = new QCheckBox;
      connect(c, &QCheckBox::toggled, this, &SpecForm::edited);
      w = c;
    }
    w->setObjectName(QString::fromUtf8(k.name.data(), static_cast<int>(k.name.size())));
    w->setToolTip(QString::fromUtf8(k.tooltip.data(), static_cast<int>(k.tooltip.size())));
    knob_editors_.push_back({&k, w});
    if (!row) {
      row = new QHBoxLayout;
      row->addWidget(w, 1);
      row_label = label;
    } else {
      row->addWidget(new QLabel(label));
      row->addWidget(w, 1);
      grid->addRow(row_label, row);
      row = nullptr;
    }
  }
  if (row) grid->addRow(row_label, row);
  connect(plan_, &QGroupBox::toggled, this, &SpecForm::edited);
  return plan_;
}

void SpecForm::load(const Json& doc) {
  const QSignalBlocker block(this);
  const Json empty = Json::object();
  const Json& model = doc.contains("model") ? doc["model"] : empty;
  if (model.is_string())
    select_data(model_, QString::fromStdString(model.get<std::string>()));
  else if (model.is_object() && model.contains("base") && model["base"].is_string() && model.size() == 1)
    select_data(model_, QString::fromStdString(model["base"].get<std::string>()));
  else
    model_->setCurrentIndex(0);
  model_note_->setText(model.is_object() && model.contains("hf_config")
                           ? tr("Hugging Face config: %1").arg(json_text(model, "hf_config", {}))
                       : model.is_object() ? tr("inline model object (edit it in the JSON tab)")
                                           : QString());
  model_note_->setVisible(!model_note_->text().isEmpty());

  const Json& cluster = doc.contains("cluster") ? doc["cluster"] : empty;
  QString cluster_key = cluster.is_string() ? QString::fromStdString(cluster.get<std::string>()) : json_text(cluster, "base", {});
  select_data(cluster_, cluster_key);
  nodes_->setValue(json_int(cluster, "nodes", 0));
  QString gpu_key;
  if (cluster.is_object() && cluster.contains("node") && cluster["node"].is_object()) gpu_key = json_text(cluster["node"], "gpu", {});
  select_data(gpu_, gpu_key);

  const Json& training = doc.contains("training") ? doc["training"] : empty;
  sequence_->setValue(json_int(training, "sequence_length", 2048));
  if (training.is_object() && training.contains("global_batch_tokens"))
    global_batch_->setValue(static_cast<int>(json_int(training, "global_batch_tokens", 0) / std::max(1, sequence_->value())));
  else
    global_batch_->setValue(json_int(training, "global_batch", 1));
  global_batch_->setEnabled(!(training.is_object() && training.contains("global_batch") && training["global_batch"].is_object()));
  show_name(precision_, json_text(training, "precision", "bf16"));

  const bool job = doc.contains("plan") && doc["plan"].is_object();
  plan_->setChecked(job);
  const Json& plan = job ? doc["plan"] : empty;
  // The job reader's values and defaults; a key it refuses keeps its default here and its error
  // shows when the spec is run.
  Diagnostics ignored;
  const PlanSpec p = read_plan(Node{&plan, "", "", &ignored});
  for (const auto& [k, w] : knob_editors_) {
    const double v = k->get(p);
    if (auto* sp = qobject_cast<QSpinBox*>(w))
      sp->setValue(static_cast<int>(v));
    else if (auto* c = qobject_cast<QCheckBox*>(w))
      c->setChecked(v != 0);
    else if (auto* c = qobject_cast<QComboBox*>(w))
      c->setCurrentText(QString::fromUtf8(name_of(k->names, static_cast<int>(v)).data()));
  }
}

Json SpecForm::cluster_node_with_gpu(const std::string& cluster_key, const std::string& gpu_key) const {
  Diagnostics diag;
  Json node = Json::object();
  if (auto path = catalog_.find("clusters", cluster_key)) {
    if (auto j = load_json_file(*path, diag); j && j->contains("node")) {
      const Json& n = (*j)["node"];
      if (n.is_string())
        node["base"] = n;
      else if (n.is_object())
        node = n;
    }
  }
  node["gpu"] = gpu_key;
  return node;
}

// The form's cluster, GPU and node count written into the document's cluster, keeping every other
// key of it (node overrides such as NICs, topology): only what the form shows changes.
void SpecForm::store_cluster(Json& doc) const {
  const std::string cluster_key = cluster_->currentData().toString().toStdString();
  const std::string gpu_key = gpu_->currentData().toString().toStdString();
  Json& c = doc["cluster"];
  if (cluster_key.empty()) {  // an inline cluster: only the node count is the form's
    if (c.is_object() && nodes_->value() > 0) c["nodes"] = nodes_->value();
    if (c.is_null()) doc.erase("cluster");
    return;
  }
  const bool same_base = (c.is_string() && c.get<std::string>() == cluster_key) ||
                         (c.is_object() && c.contains("base") && c["base"].is_string() && c["base"].get<std::string>() == cluster_key);
  if (!same_base || !c.is_object()) c = Json::object();
  c["base"] = cluster_key;
  if (nodes_->value() > 0)
    c["nodes"] = nodes_->value();
  else
    c.erase("nodes");
  if (!gpu_key.empty()) {
    if (c.contains("node") && c["node"].is_object())
      c["node"]["gpu"] = gpu_key;
    else
      c["node"] = cluster_node_with_gpu(cluster_key, gpu_key);
  } else if (c.contains("node") && c["node"].is_object()) {
    c["node"].erase("gpu");
    if (c["node"].empty()) c.erase("node");
  }
}

void SpecForm::store(Json& doc) const {
  if (!doc.is_object()) doc = Json::object();
  const std::string model_key = model_->currentData().toString().toStdString();
  if (!model_key.empty()) doc["model"] = model_key;

  store_cluster(doc);

  Json& t = doc["training"];
  if (!t.is_object()) t = Json::object();
  t["sequence_length"] = sequence_->value();
  if (global_batch_->isEnabled()) {
    if (t.contains("global_batch_tokens"))
      t["global_batch_tokens"] = static_cast<long long>(global_batch_->value()) * sequence_->value();
    else
      t["global_batch"] = global_batch_->value();
  }
  t["precision"] = precision_->currentText().toStdString();

  if (!plan_->isChecked()) {
    doc.erase("plan");
    return;
  }
  Json& p = doc["plan"];
  if (!p.is_object()) p = Json::object();
  PlanSpec values;  // each editor's knob, written back as the job JSON spells it
  for (const auto& [k, w] : knob_editors_) {
    if (auto* sp = qobject_cast<QSpinBox*>(w))
      k->set(values, sp->value());
    else if (auto* c = qobject_cast<QCheckBox*>(w))
      k->set(values, c->isChecked() ? 1 : 0);
    else if (auto* c = qobject_cast<QComboBox*>(w))
      k->set(values, parse_name(k->names, c->currentText().toStdString()).value_or(0));
    if (k->get(values) < k->min)
      p.erase(std::string(k->path));  // "auto": the reader's default (dp, a top-level key)
    else
      p[path_pointer(k->path)] = knob_json(*k, values);
  }
  // A plan problem's search settings do not belong in a job.
  doc.erase("search");
}

}  // namespace trainplan::gui
