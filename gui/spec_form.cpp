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
  auto pair = [&](const QString& a, QWidget* wa, const QString& b, QWidget* wb) {
    auto* row = new QHBoxLayout;
    row->addWidget(wa, 1);
    row->addWidget(new QLabel(b));
    row->addWidget(wb, 1);
    grid->addRow(a, row);
  };
  tp_ = spin(1, 1024);
  pp_ = spin(1, 1024);
  dp_ = spin(0, 1'000'000, tr("auto"));
  dp_->setToolTip(tr("auto: the cluster's GPUs / (tp·pp·cp)"));
  cp_ = spin(1, 1024);
  ep_ = spin(1, 1024);
  vstages_ = spin(1, 64);
  micro_ = spin(1, 4096);
  sp_ = new QCheckBox(tr("sequence parallel"));
  schedule_ = name_combo({"1f1b", "interleaved", "zero-bubble", "gpipe"});
  zero_ = name_combo({"0", "1", "2", "3"});
  recompute_ = name_combo({"none", "selective", "full"});
  pair(tr("TP"), tp_, tr("PP"), pp_);
  pair(tr("DP"), dp_, tr("CP"), cp_);
  pair(tr("EP"), ep_, tr("Micro-batch"), micro_);
  pair(tr("Schedule"), schedule_, tr("Virtual"), vstages_);
  pair(tr("ZeRO"), zero_, tr("Recompute"), recompute_);
  grid->addRow(QString(), sp_);
  for (QSpinBox* s : {tp_, pp_, dp_, cp_, ep_, vstages_, micro_}) connect(s, &QSpinBox::valueChanged, this, &SpecForm::edited);
  for (QComboBox* c : {schedule_, zero_, recompute_}) connect(c, &QComboBox::currentIndexChanged, this, &SpecForm::edited);
  connect(sp_, &QCheckBox::toggled, this, &SpecForm::edited);
  connect(plan_, &QGroupBox::toggled, this, &SpecForm::edited);
  return plan_;
}

void SpecForm::load(const Json& doc) {
  const QSignalBlocker block(this);
  const Json empty = Json::object();
  const Json& model = doc.contains("model") ? doc["model"] : empty;
  if (model.is_string()) select_data(model_, QString::fromStdString(model.get<std::string>()));
  else if (model.is_object() && model.contains("base") && model["base"].is_string() && model.size() == 1)
    select_data(model_, QString::fromStdString(model["base"].get<std::string>()));
  else model_->setCurrentIndex(0);
  model_note_->setText(model.is_object() && model.contains("hf_config")
                           ? tr("Hugging Face config: %1").arg(json_text(model, "hf_config", {}))
                           : model.is_object() ? tr("inline model object (edit it in the JSON tab)") : QString());
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
  else global_batch_->setValue(json_int(training, "global_batch", 1));
  global_batch_->setEnabled(!(training.is_object() && training.contains("global_batch") && training["global_batch"].is_object()));
  precision_->setCurrentText(json_text(training, "precision", "bf16"));

  const bool job = doc.contains("plan") && doc["plan"].is_object();
  plan_->setChecked(job);
  const Json& plan = job ? doc["plan"] : empty;
  tp_->setValue(json_int(plan, "tp", 1));
  pp_->setValue(json_int(plan, "pp", 1));
  dp_->setValue(json_int(plan, "dp", 0));
  cp_->setValue(json_int(plan, "cp", 1));
  ep_->setValue(json_int(plan, "ep", 1));
  vstages_->setValue(json_int(plan, "virtual_stages", 1));
  micro_->setValue(json_int(plan, "micro_batch", 1));
  sp_->setChecked(plan.contains("sequence_parallel") ? plan["sequence_parallel"].is_boolean() && plan["sequence_parallel"].get<bool>()
                                                     : tp_->value() > 1);
  schedule_->setCurrentText(json_text(plan, "schedule", vstages_->value() > 1 ? "interleaved" : "1f1b"));
  zero_->setCurrentText(json_text(plan, "zero", "0"));
  recompute_->setCurrentText(json_text(plan, "recompute", "none"));
}

Json SpecForm::cluster_node_with_gpu(const std::string& cluster_key, const std::string& gpu_key) const {
  Diagnostics diag;
  Json node = Json::object();
  if (auto path = catalog_.find("clusters", cluster_key)) {
    if (auto j = load_json_file(*path, diag); j && j->contains("node")) {
      const Json& n = (*j)["node"];
      if (n.is_string()) node["base"] = n;
      else if (n.is_object()) node = n;
    }
  }
  node["gpu"] = gpu_key;
  return node;
}

void SpecForm::store(Json& doc) const {
  if (!doc.is_object()) doc = Json::object();
  const std::string model_key = model_->currentData().toString().toStdString();
  if (!model_key.empty()) doc["model"] = model_key;

  const std::string cluster_key = cluster_->currentData().toString().toStdString();
  const std::string gpu_key = gpu_->currentData().toString().toStdString();
  if (!cluster_key.empty()) {
    Json c = Json::object();
    c["base"] = cluster_key;
    if (nodes_->value() > 0) c["nodes"] = nodes_->value();
    if (!gpu_key.empty()) c["node"] = cluster_node_with_gpu(cluster_key, gpu_key);
    doc["cluster"] = c;
  } else if (doc.contains("cluster") && doc["cluster"].is_object()) {
    if (nodes_->value() > 0) doc["cluster"]["nodes"] = nodes_->value();
  }

  Json& t = doc["training"];
  if (!t.is_object()) t = Json::object();
  t["sequence_length"] = sequence_->value();
  if (global_batch_->isEnabled()) {
    if (t.contains("global_batch_tokens")) t["global_batch_tokens"] = static_cast<long long>(global_batch_->value()) * sequence_->value();
    else t["global_batch"] = global_batch_->value();
  }
  t["precision"] = precision_->currentText().toStdString();

  if (!plan_->isChecked()) {
    doc.erase("plan");
    return;
  }
  Json& p = doc["plan"];
  if (!p.is_object()) p = Json::object();
  p["tp"] = tp_->value();
  p["pp"] = pp_->value();
  if (dp_->value() > 0) p["dp"] = dp_->value();
  else p.erase("dp");
  p["cp"] = cp_->value();
  p["ep"] = ep_->value();
  p["sequence_parallel"] = sp_->isChecked();
  p["schedule"] = schedule_->currentText().toStdString();
  p["virtual_stages"] = vstages_->value();
  p["zero"] = zero_->currentText().toStdString();
  p["recompute"] = recompute_->currentText().toStdString();
  p["micro_batch"] = micro_->value();
  // A plan problem's search settings do not belong in a job.
  doc.erase("search");
}

}  // namespace trainplan::gui
