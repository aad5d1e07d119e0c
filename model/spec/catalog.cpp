#include "model/spec/catalog.hpp"

#include "model/spec/era.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <filesystem>

#include "model/pipeline_layout.hpp"
#include "model/spec/architecture.hpp"
#include "model/spec/hf_config.hpp"

#ifndef TRAINPLAN_SOURCE_CONFIG_DIR
#define TRAINPLAN_SOURCE_CONFIG_DIR "configs"
#endif

namespace trainplan {

namespace fs = std::filesystem;

Catalog Catalog::from_default_dir() {
  if (const char* env = std::getenv("TRAINPLAN_CONFIG_DIR"); env && *env) return Catalog(env);
  return Catalog(TRAINPLAN_SOURCE_CONFIG_DIR);
}

std::optional<std::string> Catalog::find(const std::string& kind, const std::string& key) const {
  if (key.empty() || key.find('/') != std::string::npos || key.find("..") != std::string::npos) return std::nullopt;
  fs::path p = fs::path(dir_) / kind / (key + ".json");
  std::error_code ec;
  if (fs::is_regular_file(p, ec)) return p.string();
  return std::nullopt;
}

std::vector<std::string> Catalog::keys(const std::string& kind) const {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(fs::path(dir_) / kind, ec))
    if (e.path().extension() == ".json") out.push_back(e.path().stem().string());
  std::sort(out.begin(), out.end());
  return out;
}

namespace {

// Holds documents loaded for catalog references so that Nodes into them stay valid while reading.
struct Resolved {
  std::shared_ptr<Json> doc;
  Node node;
};

// A spec given as a catalog key ("h100-sxm5-80gb"), an inline object, or an object with "base"
// (a catalog key) whose other keys override the base's.
std::optional<Resolved> resolve(const Node& node, const Catalog& catalog, const std::string& kind) {
  if (!node.json) {
    if (!node.missing_reported) node.error("missing required key; expected a catalog key of configs/" + kind + " or an object");
    return std::nullopt;
  }
  auto load_key = [&](const std::string& key, const Node& where) -> std::optional<Resolved> {
    auto path = catalog.find(kind, key);
    if (!path) {
      std::vector<std::string> keys;
      for (auto& k : catalog.keys(kind)) keys.push_back("\"" + k + "\"");
      where.error("unknown " + kind + " \"" + key + "\"; expected one of " + join_names(keys));
      return std::nullopt;
    }
    auto doc = load_json_file(*path, *node.diag);
    if (!doc) return std::nullopt;
    auto shared = std::make_shared<Json>(std::move(*doc));
    return Resolved{shared, Node{shared.get(), *path, "", node.diag}};
  };
  if (node.json->is_string()) return load_key(node.json->get<std::string>(), node);
  if (!node.json->is_object()) {
    node.error("expected a catalog key of configs/" + kind + " or an object (got " + describe(*node.json) + ")");
    return std::nullopt;
  }
  if (node.json->contains("base")) {
    const Json& base = (*node.json)["base"];
    if (!base.is_string()) {
      node.at("base").error("expected a catalog key string (got " + describe(base) + ")");
      return std::nullopt;
    }
    auto r = load_key(base.get<std::string>(), node.at("base"));
    if (!r) return std::nullopt;
    Json merged = *r->doc;
    for (auto it = node.json->begin(); it != node.json->end(); ++it)
      if (it.key() != "base") merged[it.key()] = *it;
    auto shared = std::make_shared<Json>(std::move(merged));
    return Resolved{shared, Node{shared.get(), node.file, node.pointer, node.diag}};
  }
  return Resolved{nullptr, node};
}

const std::vector<std::pair<std::string, Precision>> kPrecisionNames = {{"bf16", Precision::kBf16},
                                                                        {"fp16", Precision::kFp16},
                                                                        {"fp8", Precision::kFp8},
                                                                        {"fp32", Precision::kFp32},
                                                                        {"tf32", Precision::kTf32}};

LinkSpec read_link(ObjectReader& parent, std::string_view key, const char* bw_key = "bandwidth") {
  LinkSpec l;
  ObjectReader r(parent.required_child(key));
  if (!r.valid()) return l;
  l.bandwidth = r.rate(bw_key);
  l.latency = r.time("latency");
  r.finish();
  return l;
}

}  // namespace

Precision read_precision_value(const Node& node) {
  if (node.json && node.json->is_string())
    for (const auto& [n, p] : kPrecisionNames)
      if (n == node.json->get<std::string>()) return p;
  node.error("expected one of \"bf16\", \"fp16\", \"fp8\", \"fp32\", \"tf32\" (got " +
             (node.json ? describe(*node.json) : std::string("nothing")) + ")");
  return Precision::kBf16;
}

GpuSpec read_gpu(const Node& node, const Catalog& catalog) {
  GpuSpec g;
  auto res = resolve(node, catalog, "gpus");
  if (!res) return g;
  ObjectReader r(res->node);
  if (!r.valid()) return g;
  g.key = r.string("key");
  g.name = r.string("name");
  std::vector<std::pair<std::string, std::string>> architectures;
  for (const Architecture& a : kArchitectures) architectures.emplace_back(std::string(a.name), std::string(a.name));
  g.architecture = r.choice<std::string>("architecture", architectures);
  g.sm_count = r.integer("sm_count", 1);
  g.memory = r.bytes("memory");
  g.memory_bandwidth = r.rate("memory_bandwidth");
  ObjectReader peak(r.required_child("peak"));
  if (peak.valid()) {
    for (const auto& [n, p] : kPrecisionNames) {
      auto v = peak.optional_flops_rate(n);
      if (v) g.peak[static_cast<int>(p)] = *v;
    }
    if (g.peak_for(Precision::kBf16).si() <= 0 && g.peak_for(Precision::kFp16).si() <= 0)
      peak.node().error("expected at least a \"bf16\" or \"fp16\" peak rate");
    peak.finish();
  }
  g.power = r.optional_power("power");
  g.price_usd_per_hour = r.optional_price("price_per_hour");
  r.finish();
  return g;
}

NodeSpec read_node(const Node& node, const Catalog& catalog) {
  NodeSpec n;
  auto res = resolve(node, catalog, "nodes");
  if (!res) return n;
  ObjectReader r(res->node);
  if (!r.valid()) return n;
  n.key = r.string("key", "custom");
  n.name = r.string("name");
  n.gpu = read_gpu(r.required_child("gpu"), catalog);
  n.gpus_per_node = r.integer("gpus_per_node", 1);
  {
    ObjectReader su(r.required_child("scale_up"));
    if (su.valid()) {
      n.scale_up_kind = su.choice<ScaleUpKind>("kind", {{"nvswitch", ScaleUpKind::kNvSwitch},
                                                        {"nvlink", ScaleUpKind::kNvLink},
                                                        {"nvl72", ScaleUpKind::kNvl72},
                                                        {"infinity-fabric", ScaleUpKind::kInfinityFabric},
                                                        {"pcie", ScaleUpKind::kPcie}});
      n.scale_up.bandwidth = su.rate("bandwidth_per_gpu");
      n.scale_up.latency = su.time("latency");
      n.scale_up_domain = su.integer("domain_size", n.gpus_per_node, 1);
      su.finish();
    }
  }
  n.pcie = read_link(r, "pcie", "bandwidth_per_gpu");
  {
    ObjectReader h(r.required_child("host_memory"));
    if (h.valid()) {
      n.host_memory = h.bytes("capacity");
      n.host_memory_bandwidth = h.rate("bandwidth");
      h.finish();
    }
  }
  {
    ObjectReader c(r.required_child("cpu"));
    if (c.valid()) {
      n.cpu_cores = c.integer("cores", 1);
      n.cpu_flops = c.flops_rate("peak");
      c.finish();
    }
  }
  if (auto nv = r.child("nvme")) {
    ObjectReader v(*nv);
    if (v.valid()) {
      n.nvme_capacity = v.bytes("capacity");
      n.nvme_bandwidth = v.rate("bandwidth");
      v.finish();
    }
  }
  {
    ObjectReader nic(r.required_child("nics"));
    if (nic.valid()) {
      n.nics = nic.integer("count", 1);
      n.nic.bandwidth = nic.rate("rate");
      n.nic.latency = nic.time("latency");
      nic.finish();
    }
  }
  r.finish();
  return n;
}

namespace {

// A positive duration (a mean time between failures, a recovery step), else the default.
Seconds positive_time(ObjectReader& r, const char* key, Seconds fallback) {
  const Seconds t = r.time(key, fallback);
  if (!(t.si() > 0) || !std::isfinite(t.si())) {
    r.node().at(key).error("expected a positive, finite duration such as \"10min\" or \"79230h\"");
    return fallback;
  }
  return t;
}

ReliabilitySpec read_reliability(const Node& node) {
  ReliabilitySpec d, out;
  ObjectReader r(node);
  if (!r.valid()) return out;
  out.gpu_mtbf = positive_time(r, "gpu_mtbf", d.gpu_mtbf);
  out.node_mtbf = positive_time(r, "node_mtbf", d.node_mtbf);
  out.nic_mtbf = positive_time(r, "nic_mtbf", d.nic_mtbf);
  out.fabric_mtbf_per_gpu = positive_time(r, "fabric_mtbf_per_gpu", d.fabric_mtbf_per_gpu);
  out.software_mtbf_per_node = positive_time(r, "software_mtbf_per_node", d.software_mtbf_per_node);
  out.detection = r.time("detection", d.detection);
  out.restart = r.time("restart", d.restart);
  for (const char* k : {"detection", "restart"})
    if (r.has(k) && !(r.time(k, Seconds{}).si() >= 0)) node.at(k).error("expected a duration >= 0");
  r.finish();
  return out;
}

StorageSpec read_storage(const Node& node) {
  StorageSpec out;
  ObjectReader r(node);
  if (!r.valid()) return out;
  if (auto v = r.optional_rate("per_node")) out.per_node = *v;
  if (auto v = r.optional_rate("aggregate")) out.aggregate = *v;
  for (const auto& [k, v] : {std::pair<const char*, BytesPerSecond>{"per_node", out.per_node}, {"aggregate", out.aggregate}})
    if (!(v.si() > 0) || !std::isfinite(v.si())) node.at(k).error("expected a positive, finite bandwidth such as \"25GB/s\"");
  r.finish();
  return out;
}

CheckpointSpec read_checkpoint(const Node& node) {
  CheckpointSpec out;
  ObjectReader r(node);
  if (!r.valid()) return out;
  out.async = r.boolean("async", false);
  if (auto iv = r.child("interval")) {
    if (iv->json->is_string() && iv->json->get<std::string>() == "optimal") {
      out.interval = std::nullopt;
    } else {
      const Seconds t = r.time("interval");
      if (t.si() > 0 && std::isfinite(t.si()))
        out.interval = t;
      else
        iv->error("expected \"optimal\" or a positive duration such as \"30min\"");
    }
  }
  r.finish();
  return out;
}

}  // namespace

ClusterSpec read_cluster(const Node& node, const Catalog& catalog) {
  ClusterSpec c;
  auto res = resolve(node, catalog, "clusters");
  if (!res) return c;
  ObjectReader r(res->node);
  if (!r.valid()) return c;
  c.key = r.string("key", "custom");
  c.name = r.string("name");
  c.node = read_node(r.required_child("node"), catalog);
  c.nodes = r.integer("nodes", 1);
  if (static_cast<long long>(c.nodes) * c.node.gpus_per_node > INT32_MAX)
    res->node.at("nodes").error("expected nodes x gpus_per_node (" + std::to_string(c.nodes) + " x " +
                                std::to_string(c.node.gpus_per_node) + ") <= " + std::to_string(INT32_MAX) + " GPUs");
  ObjectReader t(r.required_child("topology"));
  if (t.valid()) {
    c.topology.kind =
        t.choice<TopologyKind>("kind", {{"fat-tree", TopologyKind::kFatTree}, {"rail-optimized", TopologyKind::kRailOptimized}});
    c.topology.oversubscription = t.number("oversubscription", 1.0, 1.0, 1000.0);
    c.topology.hop_latency = t.time("hop_latency");
    c.topology.nodes_per_leaf = t.integer("nodes_per_leaf", 16, 1);
    t.finish();
  }
  if (auto rel = r.child("reliability")) c.reliability = read_reliability(*rel);
  if (auto st = r.child("storage")) c.storage = read_storage(*st);
  r.finish();
  return c;
}

ModelSpec read_model(const Node& node, const Catalog& catalog, const std::string& base_dir) {
  ModelSpec m;
  if (node.json && node.json->is_object() && node.json->contains("hf_config")) return read_hf_model_reference(node, base_dir);
  auto res = resolve(node, catalog, "models");
  if (!res) return m;
  ObjectReader r(res->node);
  if (!r.valid()) return m;
  m.key = r.string("key", "custom");
  m.name = r.string("name");
  m.layers = r.integer("layers", 1);
  m.hidden = r.integer("hidden", 1);
  m.heads = r.integer("heads", 1);
  m.kv_heads = r.integer("kv_heads", m.heads, 1);
  m.head_dim = r.integer("head_dim", static_cast<int>(m.heads > 0 ? m.hidden / m.heads : 1), 1);
  m.ffn_hidden = r.integer("ffn_hidden", 1);
  m.activation = r.choice<Activation>("activation", {{"gelu", Activation::kGelu},
                                                     {"swiglu", Activation::kSwiglu},
                                                     {"relu", Activation::kRelu},
                                                     {"squared-relu", Activation::kSquaredRelu}});
  m.vocab = r.integer("vocab", 1);
  m.tied_embeddings = r.boolean("tied_embeddings", false);
  m.max_sequence = r.integer("max_sequence", 1);
  m.qkv_bias = r.boolean("qkv_bias", false);
  m.linear_bias = r.boolean("linear_bias", false);
  m.layernorm = r.choice<bool>("norm", {{"layernorm", true}, {"rmsnorm", false}}, false);
  m.learned_positions = r.choice<bool>("positions", {{"rope", false}, {"learned", true}}, false);
  m.mtp_layers = r.integer("mtp_layers", 0, 0);
  if (auto ro = r.child("rope")) {
    ObjectReader q(*ro);
    if (q.valid()) {
      // theta: the rotary base (HF rope_theta); Megatron's --rotary-base is an integer.
      const RopeSpec defaults;
      m.rope.theta = q.integer("theta", static_cast<int>(defaults.theta), 1);
      m.rope.scaling = q.choice<RopeScaling>(
          "scaling", {{"none", RopeScaling::kNone}, {"llama3", RopeScaling::kLlama3}, {"yarn", RopeScaling::kYarn}}, defaults.scaling);
      m.rope.factor = q.number("factor", defaults.factor, 1.0, 1.0e4);
      q.finish();
    }
  }
  if (auto mo = r.child("moe")) {
    ObjectReader e(*mo);
    if (e.valid()) {
      MoeSpec s;
      s.experts = e.integer("experts", 1);
      s.top_k = e.integer("top_k", 1);
      s.expert_ffn_hidden = e.integer("expert_ffn_hidden", 1);
      s.shared_experts = e.integer("shared_experts", 0, 0);
      s.shared_ffn_hidden = e.integer("shared_ffn_hidden", static_cast<int>(s.expert_ffn_hidden), 1);
      s.dense_layers = e.integer("dense_layers", 0, 0);
      s.router_bias = e.boolean("router_bias", false);
      s.score = e.choice<RouterScore>("score", {{"softmax", RouterScore::kSoftmax}, {"sigmoid", RouterScore::kSigmoid}}, s.score);
      s.aux_loss_coeff = e.number("aux_loss_coeff", s.aux_loss_coeff, 0.0, 1.0);
      if (s.router_bias && s.score != RouterScore::kSigmoid)
        e.node().at("router_bias").error("expected \"score\": \"sigmoid\" with an expert bias (aux-loss-free routing, DeepSeek-V3 §2.1.2)");
      if (s.top_k > s.experts) e.node().at("top_k").error("expected top_k <= experts (" + std::to_string(s.experts) + ")");
      if (s.dense_layers >= m.layers) e.node().at("dense_layers").error("expected fewer dense layers than layers");
      e.finish();
      m.moe = s;
    }
  }
  if (auto ml = r.child("mla")) {
    ObjectReader a(*ml);
    if (a.valid()) {
      MlaSpec s;
      s.q_lora_rank = a.integer("q_lora_rank", 0, 0);
      s.kv_lora_rank = a.integer("kv_lora_rank", 1);
      s.qk_nope_head_dim = a.integer("qk_nope_head_dim", 1);
      s.qk_rope_head_dim = a.integer("qk_rope_head_dim", 1);
      s.v_head_dim = a.integer("v_head_dim", 1);
      a.finish();
      m.mla = s;
    }
  }
  if (m.kv_heads > m.heads)
    res->node.at("kv_heads").error("expected kv_heads <= heads (" + std::to_string(m.heads) + ")");
  else if (m.heads % m.kv_heads != 0)
    res->node.at("kv_heads").error("expected kv_heads to divide heads (" + std::to_string(m.heads) + ")");
  // The bounds of model_spec.hpp, named where they are exceeded.
  const std::pair<const char*, long long> sizes[] = {{"layers", m.layers},         {"hidden", m.hidden}, {"heads", m.heads},
                                                     {"ffn_hidden", m.ffn_hidden}, {"vocab", m.vocab},   {"max_sequence", m.max_sequence}};
  for (const auto& [key, v] : sizes) {
    const long long bound = std::string_view(key) == "layers" ? kMaxLayers : kMaxModelDimension;
    if (r.has(key) && v > bound) res->node.at(key).error("expected at most " + std::to_string(bound) + " (got " + std::to_string(v) + ")");
  }
  if (m.mtp_layers > kMaxMtpLayers) res->node.at("mtp_layers").error("expected at most " + std::to_string(kMaxMtpLayers) + " MTP layers");
  r.finish();
  return m;
}

std::string read_date(ObjectReader& r) {
  auto d = r.child("date");
  if (!d) return "";
  if (d->json->is_string() && valid_date(d->json->get<std::string>())) return d->json->get<std::string>();
  d->error("expected \"YYYY\" or \"YYYY-MM\" (got " + describe(*d->json) + ")");
  return "";
}

TrainingSpec read_training(const Node& node) {
  TrainingSpec t;
  ObjectReader r(node);
  if (!r.valid()) return t;
  t.sequence_length = r.integer("sequence_length", 1);
  if (auto gb = r.child("global_batch")) {
    if (gb->json->is_object()) {
      ObjectReader range(*gb);
      t.global_batch = range.integer("min", 1);
      t.global_batch_max = range.integer("max", 1);
      if (t.global_batch_max < t.global_batch) gb->at("max").error("expected max >= min");
      range.finish();
    } else {
      t.global_batch = r.integer("global_batch", 1);
    }
  }
  if (auto gt = r.child("global_batch_tokens")) {
    if (r.has("global_batch")) gt->error("give either global_batch (sequences) or global_batch_tokens, not both");
    long long tokens = 0;
    if (gt->json->is_number_integer() && gt->json->get<long long>() > 0)
      tokens = gt->json->get<long long>();
    else
      gt->error("expected a positive integer number of tokens (got " + describe(*gt->json) + ")");
    if (tokens > 0 && tokens % t.sequence_length != 0)
      gt->error("expected a multiple of sequence_length (" + std::to_string(t.sequence_length) + ")");
    else if (tokens > 0)
      t.global_batch = tokens / t.sequence_length;
  } else if (!r.has("global_batch")) {
    node.at("global_batch").error("missing required key; expected the global batch in sequences (or global_batch_tokens)");
  }
  t.precision = read_precision_value(r.required_child("precision"));
  t.optimizer = r.choice<Optimizer>("optimizer", {{"adam", Optimizer::kAdam}, {"adamw", Optimizer::kAdam}, {"sgd", Optimizer::kSgd}},
                                    Optimizer::kAdam);
  if (auto tb = r.child("token_budget")) {
    if (tb->json->is_number() && tb->json->get<double>() > 0)
      t.token_budget = tb->json->get<double>();
    else
      tb->error("expected a positive number of tokens (got " + describe(*tb->json) + ")");
  }
  if (r.has("deadline"))
    t.deadline_days = r.time("deadline") / s(86400);
  else
    r.child("deadline");
  if (auto ck = r.child("checkpoint")) t.checkpoint = read_checkpoint(*ck);
  if (auto f = r.child("framework")) {
    auto parsed = f->json->is_string() ? parse_framework(f->json->get<std::string>()) : std::nullopt;
    if (parsed)
      t.framework = *parsed;
    else
      f->error("expected one of " + framework_choices() + " (got " + describe(*f->json) + ")");
  }
  if (auto v = r.child("framework_version")) {
    if (v->json->is_string() && !v->json->get<std::string>().empty())
      t.framework_version = v->json->get<std::string>();
    else
      v->error("expected the framework's release, tag or commit as a non-empty string (got " + describe(*v->json) + ")");
  }
  r.finish();
  return t;
}

double read_knob(ObjectReader& r, std::string_view key, const KnobDecl& k) {
  if (k.type == KnobType::kChoice || (k.type == KnobType::kInt && !k.names.empty())) {
    std::vector<std::pair<std::string, int>> names;
    for (const NameEntry& e : k.names) names.emplace_back(std::string(e.name), e.value);
    return r.choice<int>(key, names);
  }
  switch (k.type) {
    case KnobType::kInt: return r.integer(key, static_cast<long long>(k.min));
    case KnobType::kBool: return r.boolean(key) ? 1.0 : 0.0;
    case KnobType::kFraction: return r.number(key, k.min, k.max);
    case KnobType::kChoice:
    case KnobType::kText: break;  // kText: read_knobs reads the string
  }
  return k.min;
}

namespace {

// Reads the knobs whose paths lie under `prefix` from the object at `node` (sub-objects
// recursively), marking each one given; unknown keys are errors (ObjectReader::finish).
void read_knobs(const Node& node, const std::string& prefix, PlanSpec& p, std::array<bool, kKnobCount>& given) {
  ObjectReader r(node);
  if (!r.valid()) return;
  std::vector<std::string> objects;
  for (size_t i = 0; i < kPlanKnobs.size(); ++i) {
    const KnobDecl& k = kPlanKnobs[i];
    if (!k.path.starts_with(prefix)) continue;
    const std::string_view rest = k.path.substr(prefix.size());
    if (const size_t slash = rest.find('/'); slash != std::string_view::npos) {
      const std::string object(rest.substr(0, slash));
      if (std::find(objects.begin(), objects.end(), object) == objects.end()) objects.push_back(object);
    } else if (r.has(rest)) {
      if (k.type == KnobType::kText)
        k.set_text(p, r.string(rest));
      else
        k.set(p, read_knob(r, rest, k));
      given[i] = true;
    }
  }
  for (const std::string& o : objects)
    if (auto c = r.child(o)) read_knobs(*c, prefix + o + "/", p, given);
  r.finish();
}

}  // namespace

PlanSpec read_plan(const Node& node) {
  PlanSpec p;
  std::array<bool, kKnobCount> given{};
  read_knobs(node, "", p, given);
  // Defaults in declaration order: each may depend on the knobs before it (plan_knobs.hpp).
  for (size_t i = 0; i < kPlanKnobs.size(); ++i)
    if (!given[i]) kPlanKnobs[i].set(p, kPlanKnobs[i].default_of(p));
  // A fraction with no device to move it to is a contradiction, not an offload (issue 18).
  const std::pair<Knob, Knob> offloads[] = {{Knob::kOptimizerOffload, Knob::kOptimizerOffloadFraction},
                                            {Knob::kParamOffload, Knob::kParamOffloadFraction},
                                            {Knob::kActivationOffload, Knob::kActivationOffloadFraction}};
  for (const auto& [device, fraction] : offloads) {
    if (knob(device).get(p) == static_cast<int>(OffloadDevice::kNone) && knob(fraction).get(p) > 0)
      node.at_path(knob(fraction).path).error("device \"none\" offloads nothing: give device \"cpu\" or \"nvme\", or fraction 0");
  }
  return p;
}

void check_master_params(bool remainders, const TrainingSpec& t, const Node& key) {
  if (!remainders || remainders_possible(t)) return;
  key.error(std::string("expected precision bf16 or fp8 and optimizer adam with master_params \"remainder\" (the remainder completes a "
                        "bf16 weight to fp32, in Adam's remainder store; got ") +
            precision_name(t.precision) + ", " + (t.optimizer == Optimizer::kAdam ? "adam" : "sgd") + ")");
}

void apply_framework_defaults(JobSpec& job, const Node& root) {
  const Json* plan = root.json && root.json->is_object() && root.json->contains("plan") ? &root.json->at("plan") : nullptr;
  auto stated = [&](const char* key) { return plan && plan->is_object() && plan->contains(key); };
  const SoftwareEra& era = job.training.era;
  if (!stated("sequence_parallel") && !era.has(Feature::kSequenceParallel)) job.plan.sequence_parallel = false;
  // The engine behaviours on by default: off where the framework's engine never overlapped
  // (Megatron-LM before Megatron-Core, Megatron-DeepSpeed and DeepSpeed's pipeline engine reduce
  // gradients after the last backward; synchronous TP collectives before 2022: frameworks.json).
  if (!stated("overlap_grad_reduce") && !era.has(Feature::kOverlapGradReduce)) job.plan.overlap_grad_reduce = false;
  if (!stated("overlap_param_gather") && !era.has(Feature::kOverlapGradReduce)) job.plan.overlap_param_gather = false;
  if (!stated("tp_grad_overlap") && !era.has(Feature::kTpGradOverlap)) job.plan.tp_grad_overlap = false;
}

void check_job(const JobSpec& job, const Node& root) {
  const PlanSpec& p = job.plan;
  const ModelSpec& m = job.model;
  Node plan = root.at("plan");
  auto need = [&](bool ok, const char* key, const std::string& what) {
    if (!ok) plan.at(key).error(what);
  };
  const int gpus = job.cluster.gpus();
  need(static_cast<long long>(p.tp) * p.pp * p.cp * p.dp <= gpus, "dp",
       "expected tp*pp*cp*dp (" + std::to_string(static_cast<long long>(p.tp) * p.pp * p.cp * p.dp) + ") <= the cluster's " +
           std::to_string(gpus) + " GPUs");
  need(m.heads % p.tp == 0, "tp", "expected tp to divide the " + std::to_string(m.heads) + " attention heads");
  need(m.kv_heads % p.tp == 0 || p.tp % m.kv_heads == 0, "tp",
       "expected tp to divide the " + std::to_string(m.kv_heads) + " KV heads (or be a multiple of them)");
  need(job.training.global_batch % (static_cast<long long>(p.micro_batch) * p.dp) == 0, "micro_batch",
       "expected micro_batch*dp (" + std::to_string(static_cast<long long>(p.micro_batch) * p.dp) + ") to divide the global batch (" +
           std::to_string(job.training.global_batch) + ")");
  need(p.cp == 1 || job.training.sequence_length % (2 * p.cp) == 0, "cp",
       "expected 2*cp to divide the sequence length (" + std::to_string(job.training.sequence_length) + ")");
  need(p.pp <= m.layers, "pp", "expected pp <= layers (" + std::to_string(m.layers) + ")");
  need(p.ep == 1 || (m.moe && m.moe->experts % p.ep == 0), "ep",
       m.moe ? "expected ep to divide the " + std::to_string(m.moe->experts) + " experts" : std::string("expected ep 1 for a dense model"));
  need(p.ep == 1 || (static_cast<long long>(p.dp) * p.cp) % p.ep == 0, "ep",
       "expected ep to divide dp*cp (expert parallelism is carved out of data parallelism)");
  need(p.expert_tp == 1 || p.expert_tp == p.tp || (p.tp % p.expert_tp == 0), "expert_tp", "expected expert_tp to divide tp");
  need(!(p.zero > 0 && p.fsdp != Fsdp::kNone), "zero", "give either zero or fsdp, not both");
  need(p.schedule != Schedule::kInterleaved || p.virtual_stages > 1, "virtual_stages",
       "expected virtual_stages > 1 with the interleaved schedule");
  need(p.virtual_stages == 1 || p.schedule == Schedule::kInterleaved, "schedule",
       "expected schedule \"interleaved\" with virtual_stages > 1");
  need(p.virtual_stages == 1 || p.pp > 1, "virtual_stages", "expected pp > 1 with virtual stages");
  need(p.recompute_layers == 0 || p.recompute == Recompute::kFull, "recompute_layers", "expected recompute \"full\" with recompute_layers");
  check_master_params(p.param_remainders, job.training, plan.at("master_params"));
  need(p.param_offload.device == OffloadDevice::kNone || p.effective_zero() == 3, "offload",
       "expected zero 3 or fsdp to offload parameters (DeepSpeed offload_param is stage 3 only)");
  need(p.optimizer_offload.device != OffloadDevice::kNvme || job.cluster.node.nvme_capacity.has_value(), "offload",
       "the cluster's nodes have no NVMe to offload to");
  // The knobs' own rules (plan_knobs.hpp KnobDecl::invalid), at each knob's key.
  for (const KnobDecl& k : kPlanKnobs)
    if (const char* why = k.invalid ? k.invalid(p, job.training) : nullptr) plan.at_path(k.path).error(why);
  // Where the layers go (model/pipeline_layout.hpp, Megatron's own checks).
  if (std::string why = layout_error(m, p); !why.empty()) {
    const char* key = !p.pipeline_layout.empty()                                   ? "pipeline_layout"
                      : p.pp == 1 && (p.first_stage_layers || p.last_stage_layers) ? "first_stage_layers"
                                                                                   : "pp";
    plan.at(key).error(why);
  }
}

namespace {
std::string sibling_dir(const std::string& path) {
  auto parent = fs::path(path).parent_path();
  return parent.empty() ? std::string(".") : parent.string();
}
}  // namespace

SoftwareEra training_era(const Catalog& catalog, const TrainingSpec& t, Diagnostics& diag) {
  return software_era(catalog, t.framework, t.date, diag).value_or(SoftwareEra{});
}

std::optional<JobSpec> load_job_file(const std::string& path, const Catalog& catalog, Diagnostics& diag) {
  auto doc = load_json_file(path, diag);
  if (!doc) return std::nullopt;
  return read_job_document(*doc, path, catalog, diag);
}

std::optional<JobSpec> read_job_document(const Json& doc, const std::string& path, const Catalog& catalog, Diagnostics& diag) {
  Node root{&doc, path, "", &diag};
  ObjectReader r(root);
  if (!r.valid()) return std::nullopt;
  JobSpec job;
  job.model = read_model(r.required_child("model"), catalog, sibling_dir(path));
  job.cluster = read_cluster(r.required_child("cluster"), catalog);
  job.training = read_training(r.required_child("training"));
  job.plan = read_plan(r.required_child("plan"));
  r.child("description");
  job.training.date = read_date(r);
  r.finish();
  if (!diag.ok()) return std::nullopt;
  job.training.era = training_era(catalog, job.training, diag);
  if (job.plan.dp == 0) {
    long long mp = static_cast<long long>(job.plan.tp) * job.plan.pp * job.plan.cp;
    if (job.cluster.gpus() % mp != 0) {
      root.at("plan").at("dp").error("dp is not given and tp*pp*cp (" + std::to_string(mp) + ") does not divide the cluster's " +
                                     std::to_string(job.cluster.gpus()) + " GPUs");
      return std::nullopt;
    }
    job.plan.dp = static_cast<int>(job.cluster.gpus() / mp);
  }
  normalize_plan(job.plan);
  apply_framework_defaults(job, root);
  check_job(job, root);
  if (!diag.ok()) return std::nullopt;
  return job;
}

std::optional<ModelSpec> load_model_file(const std::string& path, const Catalog& catalog, Diagnostics& diag) {
  auto doc = load_json_file(path, diag);
  if (!doc) return std::nullopt;
  Node root{&*doc, path, "", &diag};
  ModelSpec m = looks_like_hf_config(*doc) ? read_hf_config(root) : read_model(root, catalog);
  if (!diag.ok()) return std::nullopt;
  return m;
}

std::optional<ClusterSpec> load_cluster_file(const std::string& path, const Catalog& catalog, Diagnostics& diag) {
  auto doc = load_json_file(path, diag);
  if (!doc) return std::nullopt;
  ClusterSpec c = read_cluster(Node{&*doc, path, "", &diag}, catalog);
  if (!diag.ok()) return std::nullopt;
  return c;
}

std::optional<GpuSpec> load_gpu_key(const std::string& key, const Catalog& catalog, Diagnostics& diag) {
  Json j = key;
  GpuSpec g = read_gpu(Node{&j, "<gpu>", "", &diag}, catalog);
  if (!diag.ok()) return std::nullopt;
  return g;
}

}  // namespace trainplan
