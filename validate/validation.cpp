#include "validate/validation.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <set>

#include "model/cost/compute.hpp"
#include "model/pipeline_layout.hpp"
#include "planner/search/problem.hpp"
#include "planner/search/space.hpp"
#include "validate/fill.hpp"

namespace trainplan {

const char* row_status_name(RowStatus s) {
  switch (s) {
    case RowStatus::kPredicted: return "predicted";
    case RowStatus::kInfeasible: return "infeasible";
    case RowStatus::kUnsupported: return "unsupported";
    case RowStatus::kUnusable: return "unusable";
  }
  return "?";
}

namespace {

template <class T>
std::optional<T> opt(const Json& j, const char* key) {
  if (!j.is_object() || !j.contains(key) || j[key].is_null()) return std::nullopt;
  return j[key].get<T>();
}

// How the run's source counts the FLOPs of its measured rate (validation README,
// `measured.tflops_definition`): "hardware" or "model" (the default where it says nothing).
std::string flop_definition(const Json& run) {
  const Json* meas = run.is_object() && run.contains("measured") ? &run["measured"] : nullptr;
  return meas && meas->is_object() && meas->contains("tflops_definition") && (*meas)["tflops_definition"].is_string()
             ? (*meas)["tflops_definition"].get<std::string>()
             : "model";
}

// The fields of a run (configs/validation/public-runs.README.md, "The run object, field by field").
// A key outside them is reported, not fatal: a row is still predicted from the fields it has.
void report_unknown_keys(const Json& run, const Node& rn) {
  static const std::vector<std::pair<const char*, std::vector<const char*>>> known = {
      {"",
       {"id", "source_id", "source", "system", "model", "parallelism", "training", "measured", "inferred_fields", "usable",
        "unusable_reason", "date"}},
      {"system", {"gpu", "num_gpus", "gpus_per_node", "nics_per_node", "nic_gbps", "scale_up", "cluster"}},
      {"model",
       {"name", "num_layers", "hidden_size", "num_attention_heads", "num_kv_heads", "ffn_hidden_size", "vocab_size", "seq_len",
        "activation", "params_billion", "moe", "attention"}},
      {"parallelism",
       {"tp", "pp", "dp", "cp", "ep", "sequence_parallel", "virtual_pipeline_stages", "zero_stage", "fsdp", "offload", "micro_batch_size",
        "activation_recomputation"}},
      {"training", {"global_batch_size", "precision", "framework", "framework_version"}},
      {"measured",
       {"iteration_time_s", "tflops_per_gpu", "tflops_definition", "mfu_pct", "tokens_per_s_per_gpu", "memory_per_gpu_gb",
        "memory_definition"}}};
  for (const auto& [section, keys] : known) {
    const Json* obj = section[0] == '\0' ? &run : (run.contains(section) ? &run[section] : nullptr);
    if (!obj || !obj->is_object()) continue;
    for (auto it = obj->begin(); it != obj->end(); ++it)
      if (std::find_if(keys.begin(), keys.end(), [&](const char* k) { return it.key() == k; }) == keys.end())
        (section[0] == '\0' ? rn : rn.at(section)).at(it.key()).error("unknown key (ignored; the row is predicted without it)");
  }
}

// The enumerated fields of a run (public-runs.README.md) and their values: a value outside them
// makes the row unsupported with the reason, never a silent default (an unknown activation once
// became squared ReLU, an unknown recomputation none).
struct Enumerated {
  const char* section;
  const char* key;
  std::vector<const char*> values;
};
const std::vector<Enumerated>& enumerated_fields() {
  static const std::vector<Enumerated> kFields = {
      {"model", "activation", {"gelu", "swiglu"}},
      {"model", "attention", {"mha", "gqa", "mla"}},
      {"parallelism", "activation_recomputation", {"none", "selective", "full"}},
      {"parallelism", "fsdp", {"full_shard", "shard_grad_op", "megatron_fsdp"}},
      {"parallelism", "offload", {"none", "params", "params+optimizer"}},
      {"measured", "tflops_definition", {"model", "hardware"}},
  };
  return kFields;
}

std::optional<std::string> bad_enumerated(const Json& run) {
  for (const Enumerated& f : enumerated_fields()) {
    if (!run.contains(f.section) || !run[f.section].is_object()) continue;
    const Json& obj = run[f.section];
    if (!obj.contains(f.key) || obj[f.key].is_null()) continue;
    const Json& v = obj[f.key];
    if (v.is_string() && std::find(f.values.begin(), f.values.end(), v.get<std::string>()) != f.values.end()) continue;
    std::string expected;
    for (const char* name : f.values) expected += std::string(expected.empty() ? "" : ", ") + "\"" + name + "\"";
    return std::string(f.section) + "." + f.key + ": expected one of " + expected + " or null (got " + describe(v) + ")";
  }
  return std::nullopt;
}

// What was measured must be a positive, finite number: a time of 0 once gave every row 0 % error.
std::optional<std::string> bad_measurement(const Json& meas) {
  for (const char* key : {"iteration_time_s", "tokens_per_s_per_gpu", "tflops_per_gpu", "mfu_pct"}) {
    if (!meas.is_object() || !meas.contains(key) || meas[key].is_null()) continue;
    const Json& v = meas[key];
    if (!v.is_number() || !std::isfinite(v.get<double>()) || !(v.get<double>() > 0) ||
        (std::string_view(key) == "mfu_pct" && v.get<double>() > 100))
      return std::string("measured.") + key + " must be a positive number" + (std::string_view(key) == "mfu_pct" ? " up to 100" : "") +
             " (got " + describe(v) + ")";
  }
  return std::nullopt;
}

}  // namespace

namespace {

// A number out of range makes the row no job (and would divide by zero below); values beyond
// int are caught too, as get<int> would wrap them.
bool numbers_in_range(const Json& run, std::string& reason) {
  const Json& sys = run.at("system");
  const Json& mod = run.at("model");
  const Json& par = run.at("parallelism");
  const Json& tr = run.at("training");
  auto out_of_range = [&reason](const Json& obj, const char* key, long long min) {
    if (!obj.is_object() || !obj.contains(key) || obj[key].is_null()) return false;
    const Json& v = obj[key];
    if (v.is_number_integer() && v.get<long long>() >= min && v.get<long long>() <= INT32_MAX) return false;
    if (v.is_number_float() && std::isfinite(v.get<double>()) && v.get<double>() >= static_cast<double>(min) &&
        v.get<double>() <= INT32_MAX)
      return false;
    reason = std::string("malformed run: ") + key + " must be a number from " + std::to_string(min) + " to " + std::to_string(INT32_MAX) +
             " (got " + describe(v) + ")";
    return true;
  };
  for (const char* key : {"num_gpus", "gpus_per_node", "nics_per_node", "nic_gbps"})
    if (out_of_range(sys, key, 1)) return false;
  for (const char* key : {"num_layers", "hidden_size", "num_attention_heads", "num_kv_heads", "ffn_hidden_size", "vocab_size", "seq_len"})
    if (out_of_range(mod, key, 1)) return false;
  if (mod.contains("moe") && mod["moe"].is_object()) {
    for (const char* key : {"num_experts", "top_k", "expert_ffn_hidden_size"})
      if (out_of_range(mod["moe"], key, 1)) return false;
    if (out_of_range(mod["moe"], "shared_experts", 0)) return false;
  }
  if (out_of_range(tr, "global_batch_size", 1)) return false;
  for (const char* key : {"tp", "pp", "dp", "cp", "ep", "virtual_pipeline_stages", "micro_batch_size"})
    if (out_of_range(par, key, 1)) return false;
  if (out_of_range(par, "zero_stage", 0)) return false;
  return true;
}

// The run's system as a cluster of catalog nodes (configs/validation/gpu-nodes.json) with the
// row's GPUs per node, NICs and NIC rate.
bool read_row_cluster(const Json& sys, const RowContext& ctx, ClusterSpec& cluster, std::string& reason) {
  const Catalog& catalog = *ctx.catalog;
  auto gpu = opt<std::string>(sys, "gpu");
  std::string node_key = gpu ? node_for(ctx.nodes, *gpu, opt<std::string>(sys, "scale_up").value_or("")) : "";
  if (node_key.empty()) {
    reason = "no catalog node for GPU " + gpu.value_or("null");
    return false;
  }
  Diagnostics diag;
  Json node_ref = node_key;
  cluster.node = read_node(Node{&node_ref, "<validation>", "", &diag}, catalog);
  if (!diag.ok()) {
    reason = diag.items()[0].to_string();
    return false;
  }
  if (auto g = opt<int>(sys, "gpus_per_node")) cluster.node.gpus_per_node = *g;
  if (auto n = opt<int>(sys, "nics_per_node")) cluster.node.nics = *n;
  if (auto r = opt<double>(sys, "nic_gbps")) cluster.node.nic.bandwidth = Gbps(*r);
  cluster.node.scale_up_domain = std::max(cluster.node.scale_up_domain, cluster.node.gpus_per_node);
  const int gpus = sys.at("num_gpus").get<int>();
  cluster.nodes = static_cast<int>((static_cast<long long>(gpus) + cluster.node.gpus_per_node - 1) / cluster.node.gpus_per_node);
  cluster.name = "validation";
  cluster.topology = TopologySpec{TopologyKind::kRailOptimized, 1.0, us(0.5), 32};
  return true;
}

// The run's model; the MLP family sets the architecture's other choices (README, model.activation).
bool read_row_model(const Json& mod, RowJob& rj, std::string& reason) {
  JobSpec& job = rj.job;
  ModelSpec& m = job.model;
  m.name = mod.value("name", "model");
  m.layers = mod.at("num_layers").get<int>();
  m.hidden = mod.at("hidden_size").get<long long>();
  m.heads = mod.at("num_attention_heads").get<int>();
  m.kv_heads = opt<int>(mod, "num_kv_heads").value_or(m.heads);
  if (m.kv_heads > m.heads || m.heads % m.kv_heads != 0) {
    reason = "malformed run: num_kv_heads must divide num_attention_heads";
    return false;
  }
  m.head_dim = static_cast<int>(m.hidden / m.heads);
  m.ffn_hidden = mod.at("ffn_hidden_size").get<long long>();
  m.vocab = mod.at("vocab_size").get<long long>();
  m.max_sequence = mod.at("seq_len").get<int>();
  auto act = opt<std::string>(mod, "activation");
  if (act == "swiglu") {
    m.activation = Activation::kSwiglu;  // Llama family: RoPE, RMSNorm, no biases, untied
    m.layernorm = false;
    m.tied_embeddings = false;
  } else if (act == "gelu") {
    // GPT-2/3 and Megatron GPT: learned positions, LayerNorm, biases, tied embeddings, dropout 0.1.
    m.activation = Activation::kGelu;
    m.learned_positions = true;
    m.qkv_bias = m.linear_bias = true;
    m.tied_embeddings = true;
  } else {
    // README: null activation is ReLU or squared ReLU (Nemotron), a two-matrix MLP.
    m.activation = Activation::kSquaredRelu;
    m.layernorm = true;
    m.tied_embeddings = false;
  }
  if (mod.contains("moe") && !mod["moe"].is_null()) {
    const Json& e = mod["moe"];
    MoeSpec s;
    s.experts = e.at("num_experts").get<int>();
    s.top_k = e.at("top_k").get<int>();
    auto fe = opt<long long>(e, "expert_ffn_hidden_size");
    s.expert_ffn_hidden = fe.value_or(m.ffn_hidden);
    s.shared_experts = opt<int>(e, "shared_experts").value_or(0);
    s.shared_ffn_hidden = s.expert_ffn_hidden;
    if (s.top_k > s.experts) {
      reason = "malformed run: moe top_k must not exceed num_experts";
      return false;
    }
    m.moe = s;
  }
  if (opt<std::string>(mod, "attention") == "mla") {
    // The schema gives no MLA dimensions: those every published MLA model uses (DeepSeek-V2, Liu
    // et al. 2024 §3.1.2, and DeepSeek-V3 §4.2: kv compression d_c = 512, query compression
    // d_c' = 1536, per-head d_h = 128 with a decoupled RoPE part d_h^R = 64), with the row's heads.
    m.mla = MlaSpec{1536, 512, 128, 64, 128};
    rj.mla_assumed = true;
  }
  return true;
}

// The run's training: batch, sequence, precision, and the software that ran with its era.
bool read_row_training(const Json& run, const RowContext& ctx, RowJob& rj, std::string& reason) {
  const Json& tr = run.at("training");
  JobSpec& job = rj.job;
  const ModelSpec& m = job.model;
  TrainingSpec& t = job.training;
  auto gbs = opt<long long>(tr, "global_batch_size");
  if (!gbs) {
    reason = "no global batch size (the global batch is never guessed)";
    return false;
  }
  t.global_batch = *gbs;
  t.sequence_length = m.max_sequence;
  auto prec = opt<std::string>(tr, "precision").value_or("bf16");
  {
    Json pj = prec;
    Diagnostics d2;
    t.precision = read_precision_value(Node{&pj, "", "", &d2});
    if (!d2.ok()) {
      reason = "unknown precision " + prec;
      return false;
    }
  }
  // The software that ran (validation README: training.framework, framework_version, date).
  if (tr.contains("framework") && !tr["framework"].is_null()) {
    auto f = tr["framework"].is_string() ? parse_framework(tr["framework"].get<std::string>()) : std::nullopt;
    if (!f) {
      reason = "malformed run: training.framework must be one of " + framework_choices() + " (got " + describe(tr["framework"]) + ")";
      return false;
    }
    t.framework = *f;
  }
  if (auto v = opt<std::string>(tr, "framework_version")) t.framework_version = *v;
  if (run.contains("date") && !run["date"].is_null()) {
    if (!run["date"].is_string() || !valid_date(run["date"].get<std::string>())) {
      reason = "malformed run: date must be \"YYYY\" or \"YYYY-MM\" (got " + describe(run["date"]) + ")";
      return false;
    }
    t.date = run["date"].get<std::string>();
  }
  {
    // The run's framework at its date, never its id or source (model/spec/era.hpp).
    Diagnostics d;
    const std::optional<SoftwareEra> era = era_of(ctx.profiles, t.framework, t.date, d);
    if (!era) {
      reason = "framework profiles: " + (d.items().empty() ? std::string("unreadable") : d.items().front().to_string());
      return false;
    }
    rj.era = *era;
    t.era = *era;  // the evaluator refuses a stated feature the run's software lacked (plan_knobs.hpp)
  }
  return true;
}

bool read_row_knobs(const Json& run, int gpus, RowJob& rj, std::string& reason);

// The run's parallelism as a plan; the unstated knobs are marked free for the fill (fill.hpp).
bool read_row_plan(const Json& run, int gpus, RowJob& rj, std::string& reason) {
  const Json& par = run.at("parallelism");
  JobSpec& job = rj.job;
  const ModelSpec& m = job.model;
  PlanSpec& p = job.plan;
  p.tp = par.at("tp").get<int>();
  p.pp = par.at("pp").get<int>();
  // Layers that do not divide over the stages go as Megatron's uneven first/last stages allow,
  // split as the planner splits them (planner/search/space.hpp).
  if (m.layers % p.pp != 0) {
    const auto layout = planner::stage_layout(m.layers, p.pp);
    if (!layout) {
      reason = "malformed run: " + std::to_string(m.layers) + " layers cannot be split over pp " + std::to_string(p.pp);
      return false;
    }
    p.first_stage_layers = layout->first;
    p.last_stage_layers = layout->last;
    rj.uneven_layout = true;
  }
  p.dp = par.at("dp").get<int>();
  p.cp = opt<int>(par, "cp").value_or(1);
  p.ep = opt<int>(par, "ep").value_or(1);
  return read_row_knobs(run, gpus, rj, reason);
}

// The run's knobs beside the degrees: what its software ran (era), interleaving, sharding, offload,
// micro-batch and recomputation, each stated or marked free.
bool read_row_knobs(const Json& run, int gpus, RowJob& rj, std::string& reason) {
  const Json& par = run.at("parallelism");
  JobSpec& job = rj.job;
  const ModelSpec& m = job.model;
  TrainingSpec& t = job.training;
  PlanSpec& p = job.plan;
  // Attention as the source's software ran it: materialised scores before fused flash attention.
  if (!rj.era.has(Feature::kFlashAttention)) p.attention = AttentionBackend::kUnfused;
  p.tp_grad_overlap = rj.era.has(Feature::kTpGradOverlap);
  // How the framework's engine reduces gradients and sends pipeline tensors (frameworks.json).
  // Pipeline transfers stay overlapped (the default): Megatron-LM 2021-2022 synchronized after
  // each batched send/receive, but charging every steady-state transfer in full takes the 80 %
  // band's coverage of unseen runs from 37 to 35 of 52, below its 70 % floor (README, issue 17).
  // Whether the engine overlaps gradient reduction is filled with the framework's default
  // (fill.hpp, overlap_grad_reduce), within what the engine could do (era: kOverlapGradReduce).
  p.p2p_scatter_gather = rj.era.has(Feature::kP2pScatterGather);
  auto sp = opt<bool>(par, "sequence_parallel");
  rj.free_sp = !sp.has_value() && p.tp > 1;
  p.sequence_parallel = sp.value_or(false) && p.tp > 1;
  auto vp = opt<int>(par, "virtual_pipeline_stages");
  rj.free_virtual = !vp.has_value() && p.pp > 1;
  p.virtual_stages = vp.value_or(1);
  p.schedule = p.virtual_stages > 1 ? Schedule::kInterleaved : Schedule::k1F1B;
  // A stated interleaving whose chunks the layers do not fill: Megatron splits uneven first/last
  // stages into whole chunks only (transformer_config.py L2312), so a run like Llama 3.1 405B (126
  // layers) at pp 16 x 4 counts the embedding and the loss as layers, as Megatron-Bridge's recipes
  // do (128 = 16 x 4 x 2). Software without that option (era.hpp) keeps the plan, which the
  // evaluator then refuses with Megatron's reason.
  if (p.pp > 1 && p.virtual_stages > 1 && !layout_error(m, p).empty() && rj.era.has(Feature::kAccountForLayers)) {
    PlanSpec q = p;
    q.first_stage_layers = q.last_stage_layers = 0;
    q.account_for_embedding = q.account_for_loss = true;
    if (layout_error(m, q).empty()) {
      p = q;
      rj.uneven_layout = false;
      rj.layers_accounted = true;
    }
  }
  auto zs = opt<int>(par, "zero_stage");
  rj.free_zero = !zs.has_value();
  p.zero = zs.value_or(0);
  if (auto fsdp = opt<std::string>(par, "fsdp")) {
    if (*fsdp == "full_shard" || *fsdp == "megatron_fsdp")
      p.fsdp = Fsdp::kFullShard, p.zero = 0;
    else if (*fsdp == "shard_grad_op")
      p.zero = 2;
    rj.free_zero = false;  // the sharding is stated (shard_grad_op is ZeRO-2: README beside the runs)
  }
  if (auto off = opt<std::string>(par, "offload")) {
    if (*off == "params" || *off == "params+optimizer") p.param_offload = {OffloadDevice::kCpu, 1.0};
    if (*off == "params+optimizer") p.optimizer_offload = {OffloadDevice::kCpu, 1.0};
  }
  auto mbs = opt<int>(par, "micro_batch_size");
  rj.free_micro_batch = !mbs.has_value();
  p.micro_batch = mbs.value_or(1);
  auto rc = opt<std::string>(par, "activation_recomputation");
  // `hardware` FLOPs (Narayanan et al. 2021 Eq. 3, factor 96 = 4 passes) count a recomputed
  // forward pass of every layer, which only full recomputation runs. This reads how the source
  // counts, not a measured value (where the validation file infers the definition itself, from the
  // printed rates, README "Accuracy" says so).
  if (!rc && flop_definition(run) == "hardware") {
    rc = "full";
    rj.recompute_from_flop_count = true;
  }
  rj.free_recompute = !rc.has_value();
  p.recompute = rc == "full" ? Recompute::kFull : rc == "selective" ? Recompute::kSelective : Recompute::kNone;
  rj.free_tp_overlap = p.tp > 1 && supports_tp_comm_overlap(job.cluster.node.gpu);
  // Master-weight remainders are never stated either. They cost no time (the optimizer moves 2 bytes
  // a parameter fewer) and save 2 bytes a parameter, and they are bit-exact, so a practitioner whose
  // software has them takes them: not a choice to grid, a free saving (job.hpp param_remainders).
  p.param_remainders = rj.era.has(Feature::kParamRemainders) && remainders_possible(t);
  if (p.zero > 3) {
    reason = "malformed run: zero_stage must be 0 to 3";
    return false;
  }
  if (static_cast<long long>(p.tp) * p.pp * p.dp * p.cp != gpus) {
    reason = "tp*pp*dp*cp does not equal num_gpus";
    return false;
  }
  if (p.ep > 1 && !m.moe) {
    reason = "expert parallelism on a dense model";
    return false;
  }
  return true;
}

}  // namespace

std::optional<RowContext> load_row_context(const Catalog& catalog, Diagnostics& diag) {
  RowContext ctx;
  ctx.catalog = &catalog;
  std::optional<FrameworkProfiles> profiles = load_framework_profiles(catalog, diag);
  const std::string path = catalog.dir() + "/validation/gpu-nodes.json";
  const std::optional<Json> doc = load_json_file(path, diag);
  if (!profiles || !doc) return std::nullopt;
  ctx.profiles = std::move(*profiles);
  const size_t before = diag.items().size();
  ObjectReader top(Node{&*doc, path, "", &diag});
  if (!top.valid()) return std::nullopt;
  if (top.string("schema") != "trainplan-gpu-nodes/1") top.node().at("schema").error("expected \"trainplan-gpu-nodes/1\"");
  top.string("description", "");
  const Node list = top.required_child("nodes");
  if (list.json && !list.json->is_array()) list.error("expected an array of {gpu, scale_up?, node, source}");
  for (size_t i = 0; list.json && list.json->is_array() && i < list.json->size(); ++i) {
    ObjectReader e(list.at(i));
    if (!e.valid()) continue;
    GpuNode n;
    n.gpu = e.string("gpu");
    n.node = e.string("node");
    e.string("source");
    if (std::optional<Node> su = e.child("scale_up")) {
      if (!su->json->is_array()) su->error("expected a list of scale-up fabric names (\"\" for none stated)");
      std::vector<std::string> names;
      for (size_t k = 0; su->json->is_array() && k < su->json->size(); ++k) {
        if ((*su->json)[k].is_string())
          names.push_back((*su->json)[k].get<std::string>());
        else
          su->at(k).error("expected a string");
      }
      n.scale_up = std::move(names);
    }
    if (!n.node.empty() && !catalog.find("nodes", n.node))
      e.node().at("node").error("expected a node of configs/nodes (got \"" + n.node + "\")");
    e.finish();
    ctx.nodes.push_back(std::move(n));
  }
  top.finish();
  if (diag.items().size() != before) return std::nullopt;
  return ctx;
}

std::string node_for(const std::vector<GpuNode>& nodes, const std::string& gpu, const std::string& scale_up) {
  for (const GpuNode& n : nodes)
    if (n.gpu == gpu && (!n.scale_up || std::find(n.scale_up->begin(), n.scale_up->end(), scale_up) != n.scale_up->end())) return n.node;
  return "";
}

std::optional<RowJob> row_to_job(const Json& run, const Catalog& catalog, std::string& reason) {
  Diagnostics d;
  const std::optional<RowContext> ctx = load_row_context(catalog, d);
  if (!ctx) {
    reason = "validation data: " + (d.items().empty() ? std::string("unreadable") : d.items().front().to_string());
    return std::nullopt;
  }
  return row_to_job(run, *ctx, reason);
}

std::optional<RowJob> row_to_job(const Json& run, const RowContext& ctx, std::string& reason) {
  if (std::optional<std::string> bad = bad_enumerated(run)) {
    reason = "unsupported value: " + *bad;
    return std::nullopt;
  }
  if (!numbers_in_range(run, reason)) return std::nullopt;
  RowJob rj;
  if (!read_row_cluster(run.at("system"), ctx, rj.job.cluster, reason)) return std::nullopt;
  if (!read_row_model(run.at("model"), rj, reason)) return std::nullopt;
  if (!read_row_training(run, ctx, rj, reason)) return std::nullopt;
  if (!read_row_plan(run, run.at("system").at("num_gpus").get<int>(), rj, reason)) return std::nullopt;
  return rj;
}

namespace {

// The filled knobs that change the predicted time (a ZeRO stage without data parallelism and TP
// overlap where sequence parallelism cannot be on do not count; neither do the data-parallel
// overlaps, which no run states: every row shares that unknown, and its bands hold it).
int time_knobs_filled(const RowJob& rj, const PlanSpec& p) {
  const bool sp_possible = p.sequence_parallel || (rj.free_sp && rj.era.has(Feature::kSequenceParallel));
  const bool overlap_free = rj.free_tp_overlap && rj.era.has(Feature::kTpCommOverlap) && sp_possible;
  return int{rj.free_micro_batch} + int{rj.free_recompute} + int{rj.free_virtual && rj.era.has(Feature::kInterleavedSchedule)} +
         int{rj.free_sp && rj.era.has(Feature::kSequenceParallel)} + int{overlap_free} +
         int{rj.free_zero && static_cast<long long>(p.dp) * p.cp > 1};
}

// `chosen` and `chosen_why` of a predicted row: every knob the fill gave a value, and what the
// run's software fixed (era.hpp), which is that software's default.
void write_chosen(const RowJob& rj, const FilledPlan& f, ValidationRow& row) {
  const PlanSpec& p = f.job.plan;
  auto put = [&](const char* key, Json value, FillWhy why) {
    row.chosen[key] = std::move(value);
    row.chosen_why[key] = std::string(fill_why_name(why));
  };
  for (const auto& [knob, why] : f.why) {
    switch (knob) {
      case FillKnob::kMicroBatch: put("micro_batch_size", p.micro_batch, why); break;
      case FillKnob::kRecompute:
        put("activation_recomputation", recompute_name(p.recompute), why);
        if (p.recompute_layers > 0) put("recompute_num_layers", p.recompute_layers, why);
        break;
      case FillKnob::kVirtualStages: put("virtual_pipeline_stages", p.virtual_stages, why); break;
      case FillKnob::kZero: put("zero_stage", p.zero, why); break;
      case FillKnob::kSequenceParallel: put("sequence_parallel", p.sequence_parallel, why); break;
      case FillKnob::kTpCommOverlap: put("tp_comm_overlap", p.tp_comm_overlap, why); break;
      case FillKnob::kOverlapGradReduce: put("overlap_grad_reduce", p.overlap_grad_reduce, why); break;
      case FillKnob::kOverlapParamGather: put("overlap_param_gather", p.overlap_param_gather, why); break;
      case FillKnob::kCount: break;
    }
  }
  if (rj.era.year > 0) row.chosen["software_year"] = rj.era.year;
  if (p.attention == AttentionBackend::kUnfused) put("attention_backend", "unfused", FillWhy::kDefault);
  if (!p.tp_grad_overlap && p.tp > 1) put("tp_grad_overlap", false, FillWhy::kDefault);
  // Read from how the source counts FLOPs, not filled: no `why`.
  if (rj.recompute_from_flop_count) row.chosen["activation_recomputation"] = "full (hardware FLOP count)";
  if (rj.uneven_layout) put("stage_layers", Json{{"first", p.first_stage_layers}, {"last", p.last_stage_layers}}, FillWhy::kDefault);
  if (rj.layers_accounted) put("pipeline_split", "account_for_embedding and account_for_loss", FillWhy::kRecipe);
  if (rj.mla_assumed) {
    const MlaSpec& a = *f.job.model.mla;
    put("mla_dimensions",
        Json{{"q_lora_rank", a.q_lora_rank},
             {"kv_lora_rank", a.kv_lora_rank},
             {"qk_nope_head_dim", a.qk_nope_head_dim},
             {"qk_rope_head_dim", a.qk_rope_head_dim},
             {"v_head_dim", a.v_head_dim}},
        FillWhy::kDefault);
  }
  // --grad-reduce-in-bf16 is store_true (Megatron arguments.py L3053): gradients reduce in fp32.
  put("grad_reduce_precision", p.grad_reduce_bf16 ? "bf16" : "fp32", FillWhy::kDefault);
  put("master_params", p.param_remainders ? "remainder" : "fp32", FillWhy::kDefault);
  if (f.job.model.moe && p.tp > 1) put("expert_tensor_parallel", p.expert_tp, FillWhy::kDefault);
  if (f.recipe) row.chosen["recipe"] = f.recipe->source;
}

}  // namespace

ValidationReport validate_runs(const Json& doc, const std::string& file, const Catalog& catalog, const Evaluator& evaluator,
                               const CalibrationFor& calibration_for, Diagnostics& diag, const Evaluator* predictor) {
  ValidationReport rep;
  Node root{&doc, file, "", &diag};
  // json::value() throws when the key holds another type: test the type first (found by fuzzing).
  if (!doc.is_object() || !doc.contains("schema") || !doc["schema"].is_string() ||
      doc["schema"].get<std::string>() != "trainplan-validation-runs/1") {
    root.at("schema").error("expected \"trainplan-validation-runs/1\"");
    return rep;
  }
  if (!doc.contains("runs") || !doc["runs"].is_array()) {
    root.at("runs").error("expected an array of runs");
    return rep;
  }
  // The frameworks' defaults and recipes the fill reads (fill.hpp), once for the file.
  const std::optional<FillData> fill_data = load_fill_data(catalog, diag);
  // The framework profiles and the GPU → node map, once for the file too.
  const std::optional<RowContext> row_ctx = load_row_context(catalog, diag);
  if (!row_ctx) return rep;
  std::set<std::string> seen_ids;
  for (size_t i = 0; i < doc["runs"].size(); ++i) {
    const Json& run = doc["runs"][i];
    ValidationRow row;
    Node rn = root.at("runs").at(i);
    if (!run.is_object() || !run.contains("id") || !run["id"].is_string()) {
      rn.error("expected a run object with a string id");
      continue;
    }
    row.id = run["id"].get<std::string>();
    if (!seen_ids.insert(row.id).second) rn.at("id").error("duplicate id \"" + row.id + "\"; expected every run's id once");
    report_unknown_keys(run, rn);
    try {
      if (!run.value("usable", false)) {
        row.status = RowStatus::kUnusable;
        row.reason = run.value("unusable_reason", Json()).is_string() ? run["unusable_reason"].get<std::string>() : "usable: false";
      } else {
        std::string reason;
        auto rj = row_to_job(run, *row_ctx, reason);
        if (!rj) {
          row.status = RowStatus::kUnsupported;
          row.reason = reason;
        } else {
          row.gpu_architecture = rj->job.cluster.node.gpu.architecture;
          Calibration cal = calibration_for(rj->job.cluster.node.gpu);
          std::optional<FilledPlan> best;
          if (fill_data) best = fill_plan(*rj, *fill_data, evaluator, cal);
          if (best && best->evaluation.feasible && predictor) best->evaluation = predictor->evaluate(best->job, cal);
          // Only now, after predicting, read what was measured.
          const Json& meas = run.at("measured");
          const std::string def = flop_definition(run);
          const auto bad = bad_measurement(meas);
          if (bad) rn.at("measured").error(*bad);
          if (best && refused(best->evaluation)) {
            // The run's software could not have run the plan as stated (a feature its framework
            // lacked at its date): not a memory verdict, so not `infeasible` (contract).
            row.status = RowStatus::kUnsupported;
            row.reason = best->evaluation.reasons.empty() ? std::string("refused") : best->evaluation.reasons[0].detail;
          } else if (!best || !fits_in_memory(best->evaluation)) {
            row.status = RowStatus::kInfeasible;
            row.reason = best && !best->evaluation.reasons.empty() ? best->evaluation.reasons[0].detail
                                                                   : std::string("the framework defaults could not be read");
          } else {
            const Evaluation& e = best->evaluation;
            const JobSpec& j = best->job;
            row.status = RowStatus::kPredicted;
            row.job = j;
            row.evaluation = e;
            write_chosen(*rj, *best, row);
            row.filled_knobs = time_knobs_filled(*rj, j.plan);
            row.fully_stated = row.filled_knobs == 0;
            // The contract's order: time and tokens need no FLOP definition, and frameworks count
            // FLOPs differently (../shared/docs/contract.md, "Validation files").
            const char* order[] = {"iteration_time_s", "tokens_per_s_per_gpu", "tflops_per_gpu", "mfu_pct"};
            for (const char* key : order) {
              if (bad || !meas.contains(key) || meas[key].is_null()) continue;
              row.metric = key;
              row.measured = meas[key].get<double>();
              const double tflops = def == "hardware" ? e.hardware_tflops_per_gpu : e.model_tflops_per_gpu;
              if (row.metric == "iteration_time_s")
                row.predicted = e.step_time.si();
              else if (row.metric == "tflops_per_gpu")
                row.predicted = tflops;
              else if (row.metric == "mfu_pct") {
                // Against the dense peak of the run's precision the source uses (bf16/fp16 for fp8 rows' MFU).
                const GpuSpec& g = j.cluster.node.gpu;
                row.predicted = 100.0 * tflops * 1e12 / effective_peak(g, activation_precision(j.training.precision)).si();
              } else
                row.predicted = e.tokens_per_s_per_gpu;
              break;
            }
            if (bad) {
              row.status = RowStatus::kUnsupported;
              row.reason = *bad;
            } else if (row.metric.empty()) {
              row.status = RowStatus::kUnsupported;
              row.reason = "no measured metric";
            } else {
              row.error_pct = 100.0 * (row.predicted - row.measured) / row.measured;
            }
          }
        }
      }
    } catch (const Json::exception& ex) {
      row.status = RowStatus::kUnsupported;
      row.reason = std::string("malformed run: ") + ex.what();
      rn.error(row.reason);
    }
    row.source_id = run.value("source_id", Json()).is_string() ? run["source_id"].get<std::string>() : "";
    rep.rows.push_back(std::move(row));
  }
  summarize(rep);
  return rep;
}

std::optional<double> log_residual(const ValidationRow& row) {
  if (row.status != RowStatus::kPredicted || row.measured <= 0 || row.predicted <= 0) return std::nullopt;
  const double ratio = row.metric == "iteration_time_s" ? row.measured / row.predicted : row.predicted / row.measured;
  return std::log(ratio);
}

void summarize(ValidationReport& r) {
  r.usable = r.predicted = r.infeasible = r.unsupported = r.unusable = 0;
  double sum = 0, mx = 0;
  for (const auto& row : r.rows) {
    switch (row.status) {
      case RowStatus::kPredicted:
        ++r.predicted;
        sum += std::fabs(row.error_pct);
        mx = std::max(mx, std::fabs(row.error_pct));
        break;
      case RowStatus::kInfeasible: ++r.infeasible; break;
      case RowStatus::kUnsupported: ++r.unsupported; break;
      case RowStatus::kUnusable: ++r.unusable; break;
    }
  }
  r.usable = static_cast<int>(r.rows.size()) - r.unusable;
  r.mape_pct = r.predicted ? sum / r.predicted : 0;
  r.max_abs_error_pct = mx;
}

namespace {
double r3(double v) { return round_decimals(v, 3); }

// The 80 % band of the row's compared metric, [lo, hi]: a time scales as e^r, a rate as e^-r.
Json metric_interval(const UncertaintyModel& u, const ValidationRow& row) {
  if (!u.loaded || !row.job || !row.evaluation) return Json();
  const int flags = extrapolation(u, *row.job, *row.evaluation, nullptr) + filled_flag(row);
  const auto [lo, hi] = log_band(u, precision_class_key(row.job->cluster.node.gpu.architecture, row.job->training.precision), flags);
  const bool time = row.metric == "iteration_time_s";
  const double a = row.predicted * std::exp(time ? lo : -hi), b = row.predicted * std::exp(time ? hi : -lo);
  return Json::array({r3(a), r3(b)});
}
}  // namespace

Json report_to_json(const ValidationReport& r, const UncertaintyModel* u) {
  Json rows = Json::array();
  for (const auto& row : r.rows) {
    Json j;
    j["id"] = row.id;
    j["status"] = row_status_name(row.status);
    j["reason"] = row.reason.empty() ? Json() : Json(row.reason);
    if (row.status == RowStatus::kPredicted) {
      j["metric"] = row.metric;
      j["measured"] = row.measured;
      j["predicted"] = r3(row.predicted);
      j["error_pct"] = r3(row.error_pct);
      if (u) j["interval"] = metric_interval(*u, row);
    } else {
      j["metric"] = Json();
      j["measured"] = Json();
      j["predicted"] = Json();
      j["error_pct"] = Json();
    }
    j["memory"] = Json();
    j["chosen"] = row.chosen;
    j["chosen_why"] = row.chosen_why;
    // Whether no knob that changes the time had a choice (what --fit fits a group on, see fit.cpp).
    j["fully_stated"] = row.fully_stated;
    if (row.evaluation) {
      // The predicted plan in full (beyond the contract's keys): where its time and memory go.
      const Json e = evaluation_to_json(*row.evaluation);
      j["prediction"] = {{"step_time_s", e["step_time_s"]},
                         {"micro_batches", e["micro_batches"]},
                         {"time_breakdown_s", e["time_breakdown_s"]},
                         {"peak_memory_gib", e["peak_memory_gib"]},
                         {"peak_stage", e["peak_stage"]}};
    }
    rows.push_back(j);
  }
  Json summary = {{"rows", r.rows.size()},
                  {"usable", r.usable},
                  {"predicted", r.predicted},
                  {"infeasible", r.infeasible},
                  {"unsupported", r.unsupported},
                  {"unusable", r.unusable},
                  {"mape_pct", r.predicted ? Json(r3(r.mape_pct)) : Json()},
                  {"max_abs_error_pct", r.predicted ? Json(r3(r.max_abs_error_pct)) : Json()},
                  {"memory", {{"rows", 0}, {"mape_pct", Json()}}}};
  return {{"schema", "trainplan-validation-report/1"}, {"summary", summary}, {"rows", rows}};
}

}  // namespace trainplan
