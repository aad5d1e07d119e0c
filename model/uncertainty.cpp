#include "model/uncertainty.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "model/calibration.hpp"

namespace trainplan {

namespace {

// The normal distribution's 90 % quantile: ±z·σ holds 80 % of a normal error.
constexpr double kZ80 = 1.2815515655446004;

std::string degree_text(const char* name, long long value, long long max) {
  return std::string(name) + " " + std::to_string(value) + " > " + std::to_string(max) + ", the largest validated";
}

}  // namespace

int min_chunk_layers(const Evaluation& e, int virtual_stages) {
  int fewest = 0;
  for (const StageMemory& k : e.stage_kinds)
    if (k.layers > 0 && (fewest == 0 || k.layers < fewest)) fewest = k.layers;
  return fewest / std::max(1, virtual_stages);
}

std::map<std::string, long long> envelope_degrees(const JobSpec& job) {
  const PlanSpec& p = job.plan;
  return {{"tp", p.tp},       {"pp", p.pp},
          {"dp", p.dp},       {"cp", p.cp},
          {"ep", p.ep},       {"virtual_stages", p.virtual_stages},
          {"gpus", p.gpus()}, {"sequence_length", job.training.sequence_length}};
}

namespace {

// A side of the band at distance a from zero, widened by n flags of δ each (in quadrature).
double widen(double a, int n, double delta) { return std::sqrt(a * a + n * delta * delta) - a; }

}  // namespace

std::string precision_class_key(const std::string& architecture, Precision p) {
  return architecture + "/" + precision_name(precision_class(p));
}

std::vector<std::string> plan_features(const JobSpec& job) {
  const PlanSpec& p = job.plan;
  std::vector<std::string> f;
  if (p.pp > 1) f.push_back(std::string("schedule:") + schedule_name(p.schedule));
  // Stages with different layer counts, however the plan places them (model/pipeline_layout.hpp).
  if (p.first_stage_layers > 0 || p.last_stage_layers > 0 || p.account_for_embedding || p.account_for_loss || !p.pipeline_layout.empty())
    f.push_back("uneven_stages");
  if (p.dp * p.cp > 1 && p.effective_zero() > 0) f.push_back("zero:" + std::to_string(p.effective_zero()));
  if (p.fsdp != Fsdp::kNone) f.push_back(std::string("fsdp:") + fsdp_name(p.fsdp));
  const std::pair<const char*, const Offload*> offloads[] = {
      {"optimizer", &p.optimizer_offload}, {"params", &p.param_offload}, {"activations", &p.activation_offload}};
  for (const auto& [what, o] : offloads)
    if (o->moved() > 0) f.push_back(std::string("offload:") + what + ":" + offload_device_name(o->device));
  f.push_back(std::string("recompute:") + recompute_name(p.recompute));
  if (p.tp > 1 && p.sequence_parallel) f.push_back("sequence_parallel");
  if (p.tp > 1 && p.tp_comm_overlap) f.push_back("tp_comm_overlap");
  if (p.tp > 1 && !p.tp_grad_overlap) f.push_back("tp_grad_overlap:off");
  if (p.cp > 1) f.push_back("context_parallel");
  if (p.ep > 1) f.push_back("expert_parallel");
  if (job.model.moe) f.push_back("moe");
  if (job.model.mla) f.push_back("mla");
  if (job.model.mtp_layers > 0) f.push_back("mtp");
  if (p.param_remainders) f.push_back("master_params:remainder");
  if (p.grad_reduce_bf16) f.push_back("grad_reduce:bf16");
  if (p.fp8_param_gather) f.push_back("fp8_param_gather");
  return f;
}

int extrapolation(const UncertaintyModel& u, const JobSpec& job, const Evaluation& e, std::vector<std::string>* out) {
  int n = 0;
  auto flag = [&](const std::string& text) {
    ++n;
    if (out) out->push_back(text);
  };
  if (!u.loaded) {
    flag("no uncertainty data (configs/calibration/uncertainty.json): nothing says how far this prediction holds");
    return n;
  }
  const Envelope& env = u.envelope;
  const GpuSpec& gpu = job.cluster.node.gpu;
  if (!env.gpus.count(gpu.key)) flag("gpu " + gpu.key + ": no validated run on this GPU");
  const std::string cls = precision_class_key(gpu.architecture, job.training.precision);
  if (!env.classes.count(cls)) flag("precision " + cls + ": no validated run of this GPU generation and precision");
  const std::string fw = framework_name(effective_framework(job.training.framework));
  if (!env.frameworks.count(fw))
    flag("framework " + fw + (job.training.framework == Framework::kUnstated ? " (assumed)" : "") + ": no validated run used it");
  for (const std::string& f : plan_features(job))
    if (!env.features.count(f)) flag(f + ": no validated run used it");
  for (const auto& [name, value] : envelope_degrees(job)) {
    auto it = env.max_degree.find(name);
    if (it != env.max_degree.end() && value > it->second) flag(degree_text(name.c_str(), value, it->second));
  }
  const int chunk = min_chunk_layers(e, job.plan.virtual_stages);
  if (chunk > 0 && chunk < env.min_chunk_layers)
    flag("layers per model chunk " + std::to_string(chunk) + " < " + std::to_string(env.min_chunk_layers) + ", the fewest validated");
  if (auto it = env.max_mfu_pct.find(cls); it != env.max_mfu_pct.end() && e.mfu_pct > it->second) {
    char buf[160];
    std::snprintf(buf, sizeof buf, "predicted MFU %.1f%% > %.1f%%, the highest measured on %s", e.mfu_pct, it->second, cls.c_str());
    flag(buf);
  }
  return n;
}

std::pair<double, double> log_band(const UncertaintyModel& u, const std::string& class_key, int flags) {
  auto it = u.bands.find(class_key);
  const bool own = it != u.bands.end() && it->second.rows >= u.min_class_rows;
  const ResidualBand& b = own ? it->second : u.bands.at("all");
  double lo = b.lo, hi = b.hi;
  if (auto s = u.param_sigma.find(class_key); s != u.param_sigma.end()) {
    lo = std::min(lo, -kZ80 * s->second);
    hi = std::max(hi, kZ80 * s->second);
  }
  lo -= widen(std::fabs(lo), flags, u.flag_widening);
  hi += widen(std::fabs(hi), flags, u.flag_widening);
  return {lo, hi};
}

PredictionInterval prediction_interval(const UncertaintyModel& u, const JobSpec& job, const Evaluation& e, int flags) {
  PredictionInterval band;
  band.level = u.level;
  if (!u.loaded || !u.bands.count("all")) return band;
  const std::string cls = precision_class_key(job.cluster.node.gpu.architecture, job.training.precision);
  const auto [lo, hi] = log_band(u, cls, flags);
  const double t = e.step_time.si();
  band.step_lo = t * std::exp(lo);
  band.step_hi = t * std::exp(hi);
  band.tokens_lo = e.tokens_per_s * std::exp(-hi);
  band.tokens_hi = e.tokens_per_s * std::exp(-lo);
  auto own = u.bands.find(cls);
  const bool own_rows = own != u.bands.end() && own->second.rows >= u.min_class_rows;
  band.basis = (own_rows ? std::to_string(own->second.rows) + " " + cls : std::to_string(u.bands.at("all").rows) + " public") +
               " runs, leave-one-source-out" + (flags > 0 ? ", widened for " + std::to_string(flags) + " extrapolation flag(s)" : "");
  return band;
}

Json interval_json(const UncertaintyModel& u, const PredictionInterval& b) {
  if (!u.loaded) return Json();
  auto r = [](double v) { return round_significant(v, 6); };
  return {{"level", b.level},
          {"step_time_s", {r(b.step_lo), r(b.step_hi)}},
          {"tokens_per_s", {r(b.tokens_lo), r(b.tokens_hi)}},
          {"basis", b.basis}};
}

void add_trust_keys(const UncertaintyModel& u, const JobSpec& job, const Evaluation& e, Json& out) {
  std::vector<std::string> flags;
  const int n = extrapolation(u, job, e, &flags);
  out["interval"] = e.feasible ? interval_json(u, prediction_interval(u, job, e, n)) : Json();
  out["extrapolation"] = flags;
}

namespace {

std::set<std::string> read_names(ObjectReader& r, const char* key) {
  std::set<std::string> out;
  auto c = r.required_child(key);
  if (!c.json->is_array()) {
    c.error("expected an array of names");
    return out;
  }
  for (size_t i = 0; i < c.json->size(); ++i) {
    const Json& v = (*c.json)[i];
    if (v.is_string())
      out.insert(v.get<std::string>());
    else
      c.at(i).error("expected a string (got " + describe(v) + ")");
  }
  return out;
}

ResidualBand read_band(const Node& n) {
  ResidualBand b;
  ObjectReader r(n);
  if (!r.valid()) return b;
  b.rows = static_cast<int>(r.integer("rows", 1));
  b.lo = r.number("lo", -5, 5);
  b.hi = r.number("hi", -5, 5);
  if (b.hi < b.lo) n.at("hi").error("expected hi >= lo");
  r.finish();
  return b;
}

Envelope read_envelope(const Node& n) {
  Envelope env;
  ObjectReader r(n);
  if (!r.valid()) return env;
  env.gpus = read_names(r, "gpus");
  env.classes = read_names(r, "classes");
  env.frameworks = read_names(r, "frameworks");
  env.features = read_names(r, "features");
  ObjectReader deg(r.required_child("max_degree"));
  for (const char* k : {"tp", "pp", "dp", "cp", "ep", "virtual_stages", "gpus", "sequence_length"}) env.max_degree[k] = deg.integer(k, 1);
  deg.finish();
  env.min_chunk_layers = static_cast<int>(r.integer("min_chunk_layers", 1));
  if (auto m = r.child("max_mfu_pct"); m && m->json->is_object()) {
    ObjectReader mr(*m);
    for (auto it = m->json->begin(); it != m->json->end(); ++it) env.max_mfu_pct[it.key()] = mr.number(it.key(), 0, 100);
  } else if (m) {
    m->error("expected an object of MFU per class");
  } else {
    n.at("max_mfu_pct").error("missing required key; expected an object of MFU per class");
  }
  r.finish();
  return env;
}

}  // namespace

UncertaintyModel read_uncertainty(const Json& doc, const std::string& file, Diagnostics& diag) {
  UncertaintyModel u;
  Node root{&doc, file, "", &diag};
  ObjectReader r(root);
  if (!r.valid()) return u;
  if (r.string("schema") != "trainplan-uncertainty/1") root.at("schema").error("expected \"trainplan-uncertainty/1\"");
  r.child("source");
  u.level = r.number("level", 0.5, 0.99);
  u.min_class_rows = static_cast<int>(r.integer("min_class_rows", 1));
  u.flag_widening = r.number("flag_widening", 0, 5);
  if (auto b = r.child("bands"); b && b->json->is_object()) {
    for (auto it = b->json->begin(); it != b->json->end(); ++it) u.bands[it.key()] = read_band(b->at(it.key()));
    if (!u.bands.count("all")) b->at("all").error("missing required key; expected the band over all runs");
  } else {
    root.at("bands").error("expected an object of bands per class with \"all\"");
  }
  if (auto s = r.child("param_sigma"); s && s->json->is_object()) {
    ObjectReader sr(*s);
    for (auto it = s->json->begin(); it != s->json->end(); ++it) u.param_sigma[it.key()] = sr.number(it.key(), 0, 5);
  } else {
    root.at("param_sigma").error("expected an object of σ(ln η) per class");
  }
  u.envelope = read_envelope(r.required_child("envelope"));
  for (const char* k : {"coverage", "cross_validation"}) r.child(k);  // descriptive
  r.finish();
  u.loaded = diag.ok();
  u.source = file;
  return u;
}

Json uncertainty_to_json(const UncertaintyModel& u) {
  auto r = [](double v) { return round_decimals(v, 4); };
  Json bands = Json::object();
  for (const auto& [k, b] : u.bands) bands[k] = {{"rows", b.rows}, {"lo", r(b.lo)}, {"hi", r(b.hi)}};
  Json sigma = Json::object();
  for (const auto& [k, s] : u.param_sigma) sigma[k] = r(s);
  const Envelope& e = u.envelope;
  Json mfu = Json::object();
  for (const auto& [k, m] : e.max_mfu_pct) mfu[k] = round_decimals(m, 1);
  Json env = {{"gpus", e.gpus},         {"classes", e.classes},       {"frameworks", e.frameworks},
              {"features", e.features}, {"max_degree", e.max_degree}, {"min_chunk_layers", e.min_chunk_layers},
              {"max_mfu_pct", mfu}};
  return {{"schema", "trainplan-uncertainty/1"},
          {"level", u.level},
          {"min_class_rows", u.min_class_rows},
          {"flag_widening", r(u.flag_widening)},
          {"bands", bands},
          {"param_sigma", sigma},
          {"envelope", env}};
}

UncertaintyModel load_uncertainty(const Catalog& catalog, Diagnostics& diag) {
  auto path = catalog.find("calibration", "uncertainty");
  if (!path) return UncertaintyModel{};
  auto doc = load_json_file(*path, diag);
  if (!doc) return UncertaintyModel{};
  return read_uncertainty(*doc, *path, diag);
}

}  // namespace trainplan
