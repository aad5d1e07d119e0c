#include "model/spec/hf_config.hpp"

#include <filesystem>

namespace trainplan {

std::vector<std::string> hf_config_caveats(const Json& j) {
  std::vector<std::string> out;
  if (!j.is_object()) return out;
  // The families whose field names read_hf_config follows (this file's header; docs/interfaces.md §5).
  static constexpr std::string_view kRead[] = {"llama", "mistral", "mixtral", "qwen2", "qwen2_moe", "qwen3", "qwen3_moe", "deepseek_v3"};
  const std::string type = j.contains("model_type") && j["model_type"].is_string() ? j["model_type"].get<std::string>() : "";
  bool known = false;
  for (std::string_view k : kRead) known = known || type == k;
  if (!known)
    out.push_back("model_type \"" + type +
                  "\" is not one of the families the reader was written for (Llama, Mistral, Mixtral, Qwen2/3, DeepSeek-V3): it is read as "
                  "a plain decoder; check the parameter count");
  // Fields whose architecture the reader does not model (Hugging Face transformers' configs:
  // Gemma2Config, NemotronHConfig, Llama4TextConfig).
  struct Field {
    const char* key;
    const char* what;
  };
  static constexpr Field kFields[] = {
      {"final_logit_softcapping", "logit soft-capping (Gemma 2) is not modeled"},
      {"attn_logit_softcapping", "attention soft-capping (Gemma 2) is not modeled"},
      {"hybrid_override_pattern", "Mamba layers of a hybrid model (Nemotron-H) are read as transformer blocks"},
      {"interleave_moe_layer_step", "Llama 4's interleaved MoE and chunked attention are not modeled"},
  };
  for (const Field& f : kFields)
    if (j.contains(f.key) && !j[f.key].is_null()) out.push_back(std::string(f.key) + ": " + f.what);
  // Gemma's MLP is gated (gate_proj, up_proj, down_proj; transformers GemmaMLP) with a tanh GELU,
  // which hf_activation reads as an ungated GELU MLP: a third of the MLP's weights short.
  if (type.rfind("gemma", 0) == 0)
    out.push_back("Gemma's gated GELU MLP (GeGLU) is read as an ungated GELU MLP: its parameters and FLOPs come out a third short");
  return out;
}

bool looks_like_hf_config(const Json& j) { return j.is_object() && j.contains("num_hidden_layers") && j.contains("hidden_size"); }

namespace {

// HF configs carry many keys we do not model (dropout, init ranges, token ids): read what
// matters, ignore the rest, but type-check every key we read.
std::optional<long long> get_int(const Node& n, const char* key, bool required, long long min = 1, long long max = kMaxModelDimension) {
  Node c = n.at(key);
  if (!c.json || c.json->is_null()) {
    if (required) c.error("missing required key; expected an integer");
    return std::nullopt;
  }
  // Every value read here becomes an int: a bound keeps 2^32 + 1 from wrapping to 1.
  if (!c.json->is_number_integer() || c.json->get<long long>() < min || c.json->get<long long>() > max) {
    c.error("expected an integer from " + std::to_string(min) + " to " + std::to_string(max) + " (got " + describe(*c.json) + ")");
    return std::nullopt;
  }
  return c.json->get<long long>();
}

// The MLP activations of the families read here (transformers' ACT2FN names) and what they mean
// for the MLP: SiLU/Swish are gated (SwiGLU, three matrices) in Llama, Qwen, Mixtral and DeepSeek.
std::optional<Activation> hf_activation(std::string_view act) {
  if (act == "silu" || act == "swish") return Activation::kSwiglu;
  if (act == "gelu" || act == "gelu_new" || act == "gelu_pytorch_tanh") return Activation::kGelu;
  if (act == "relu") return Activation::kRelu;
  if (act == "relu2") return Activation::kSquaredRelu;
  return std::nullopt;
}

bool get_bool(const Node& n, const char* key, bool fallback) {
  Node c = n.at(key);
  if (!c.json || c.json->is_null()) return fallback;
  if (!c.json->is_boolean()) {
    c.error("expected true or false (got " + describe(*c.json) + ")");
    return fallback;
  }
  return c.json->get<bool>();
}

// A number (integer or float) in [min, max], or nullopt when absent.
std::optional<double> get_number(const Node& n, const char* key, double min, double max) {
  Node c = n.at(key);
  if (!c.json || c.json->is_null()) return std::nullopt;
  if (!c.json->is_number() || !(c.json->get<double>() >= min && c.json->get<double>() <= max)) {
    c.error("expected a number from " + std::to_string(min) + " to " + std::to_string(max) + " (got " + describe(*c.json) + ")");
    return std::nullopt;
  }
  return c.json->get<double>();
}

// rope_theta and rope_scaling (transformers modeling_rope_utils.py: "rope_type", or "type" in older
// configs; "llama3" for Llama 3.1, "yarn" for DeepSeek-V3). Other rescalings are refused by name.
RopeSpec hf_rope(const Node& node) {
  RopeSpec q;
  if (auto theta = get_number(node, "rope_theta", 1.0, 2.0e9)) q.theta = static_cast<long long>(*theta);
  Node sc = node.at("rope_scaling");
  if (!sc.json || sc.json->is_null()) return q;
  if (!sc.json->is_object()) {
    sc.error("expected an object or null (got " + describe(*sc.json) + ")");
    return q;
  }
  const char* type_key = sc.json->contains("rope_type") ? "rope_type" : "type";
  Node type = sc.at(type_key);
  const std::string name = type.json && type.json->is_string() ? type.json->get<std::string>() : "";
  if (name == "default") return q;
  if (name == "llama3")
    q.scaling = RopeScaling::kLlama3;
  else if (name == "yarn")
    q.scaling = RopeScaling::kYarn;
  else {
    type.error("expected \"llama3\", \"yarn\" or \"default\" (got " + (type.json ? describe(*type.json) : std::string("nothing")) + ")");
    return q;
  }
  q.factor = get_number(sc, "factor", 1.0, 1.0e4).value_or(1.0);
  return q;
}

}  // namespace

ModelSpec read_hf_config(const Node& node) {
  ModelSpec m;
  if (!node.json || !node.json->is_object()) {
    node.error("expected a Hugging Face config object");
    return m;
  }
  const Json& j = *node.json;
  std::string model_type = "unknown";
  if (j.contains("model_type") && j["model_type"].is_string())
    model_type = j["model_type"].get<std::string>();
  else if (j.contains("model_type") && !j["model_type"].is_null())
    node.at("model_type").error("expected a string (got " + describe(j["model_type"]) + ")");
  m.key = model_type;
  m.name = j.contains("architectures") && j["architectures"].is_array() && !j["architectures"].empty() && j["architectures"][0].is_string()
               ? j["architectures"][0].get<std::string>()
               : model_type;
  m.layers = static_cast<int>(get_int(node, "num_hidden_layers", true, 1, kMaxLayers).value_or(1));
  m.hidden = get_int(node, "hidden_size", true).value_or(1);
  m.heads = static_cast<int>(get_int(node, "num_attention_heads", true).value_or(1));
  m.kv_heads = static_cast<int>(get_int(node, "num_key_value_heads", false).value_or(m.heads));
  m.head_dim = static_cast<int>(get_int(node, "head_dim", false).value_or(m.hidden / std::max(1, m.heads)));
  m.vocab = get_int(node, "vocab_size", true).value_or(1);
  m.max_sequence = static_cast<int>(get_int(node, "max_position_embeddings", false).value_or(4096));
  m.tied_embeddings = get_bool(node, "tie_word_embeddings", false);
  m.activation = Activation::kSwiglu;  // no hidden_act: the gated SiLU MLP of every family read here
  if (j.contains("hidden_act") && !j["hidden_act"].is_null()) {
    auto act = j["hidden_act"].is_string() ? hf_activation(j["hidden_act"].get<std::string>()) : std::nullopt;
    if (act)
      m.activation = *act;
    else
      node.at("hidden_act")
          .error("expected one of \"silu\", \"swish\", \"gelu\", \"gelu_new\", \"gelu_pytorch_tanh\", \"relu\", \"relu2\" (got " +
                 describe(j["hidden_act"]) + ")");
  }
  m.layernorm = false;  // RMSNorm
  // Qwen2 biases q/k/v in code with no field; Qwen2-MoE has qkv_bias; Llama/DeepSeek attention_bias.
  m.qkv_bias = model_type == "qwen2" || get_bool(node, "attention_bias", false) || get_bool(node, "qkv_bias", false);
  m.linear_bias = get_bool(node, "mlp_bias", false);
  m.mtp_layers = static_cast<int>(get_int(node, "num_nextn_predict_layers", false, 0, kMaxMtpLayers).value_or(0));
  m.rope = hf_rope(node);

  auto intermediate = get_int(node, "intermediate_size", true).value_or(1);
  // Routed experts under any of the three aliases (docs/interfaces.md §5).
  std::optional<long long> experts;
  for (const char* key : {"n_routed_experts", "num_local_experts", "num_experts"})
    if (!experts) experts = get_int(node, key, false);
  if (experts && *experts > 1) {
    MoeSpec e;
    e.experts = static_cast<int>(*experts);
    e.top_k = static_cast<int>(get_int(node, "num_experts_per_tok", true, 1, *experts).value_or(1));
    auto moe_ffn = get_int(node, "moe_intermediate_size", false);
    if (moe_ffn) {
      e.expert_ffn_hidden = *moe_ffn;
      m.ffn_hidden = intermediate;  // dense layers (DeepSeek, Qwen-MoE)
    } else {
      e.expert_ffn_hidden = intermediate;  // Mixtral: intermediate_size is per expert
      m.ffn_hidden = intermediate;
    }
    if (auto n_shared = get_int(node, "n_shared_experts", false, 0); n_shared && *n_shared > 0) {
      e.shared_experts = static_cast<int>(*n_shared);
      e.shared_ffn_hidden = e.expert_ffn_hidden;
    } else if (auto width = get_int(node, "shared_expert_intermediate_size", false, 0); width && *width > 0) {
      e.shared_experts = 1;  // Qwen2-MoE gives the total shared width
      e.shared_ffn_hidden = *width;
    }
    e.dense_layers = static_cast<int>(get_int(node, "first_k_dense_replace", false, 0, m.layers).value_or(0));
    e.router_bias = model_type.rfind("deepseek_v3", 0) == 0;
    // scoring_func: DeepSeek-V3 "sigmoid" (modeling_deepseek.py MoEGate); Mixtral/Qwen softmax.
    Node scoring = node.at("scoring_func");
    if (scoring.json && scoring.json->is_string()) {
      const std::string f = scoring.json->get<std::string>();
      if (f == "sigmoid")
        e.score = RouterScore::kSigmoid;
      else if (f != "softmax")
        scoring.error("expected \"softmax\" or \"sigmoid\" (got \"" + f + "\")");
    }
    // Load-balancing weight: router_aux_loss_coef (Mixtral, Qwen-MoE), aux_loss_alpha (DeepSeek).
    for (const char* key : {"router_aux_loss_coef", "aux_loss_alpha"})
      if (auto c = get_number(node, key, 0.0, 1.0); c && e.aux_loss_coeff == 0.0) e.aux_loss_coeff = *c;
    m.moe = e;
  } else {
    m.ffn_hidden = intermediate;
  }
  if (auto kv_lora = get_int(node, "kv_lora_rank", false)) {
    MlaSpec a;
    a.kv_lora_rank = static_cast<int>(*kv_lora);
    a.q_lora_rank = static_cast<int>(get_int(node, "q_lora_rank", false, 0).value_or(0));
    a.qk_nope_head_dim = static_cast<int>(get_int(node, "qk_nope_head_dim", true).value_or(1));
    a.qk_rope_head_dim = static_cast<int>(get_int(node, "qk_rope_head_dim", true).value_or(1));
    a.v_head_dim = static_cast<int>(get_int(node, "v_head_dim", true).value_or(1));
    m.mla = a;
    m.head_dim = a.qk_nope_head_dim + a.qk_rope_head_dim;
    m.kv_heads = m.heads;
  }
  if (m.heads > 0 && m.kv_heads > 0 && m.heads % m.kv_heads != 0)
    node.at("num_key_value_heads").error("expected num_key_value_heads to divide num_attention_heads");
  return m;
}

ModelSpec read_hf_model_reference(const Node& node, const std::string& base_dir) {
  ObjectReader r(node);
  std::string rel = r.string("hf_config");
  std::string name = r.string("name", "");
  r.finish();
  if (rel.empty()) return {};
  std::filesystem::path p(rel);
  if (p.is_relative()) p = std::filesystem::path(base_dir) / p;
  auto doc = load_json_file(p.string(), *node.diag);
  if (!doc) return {};
  ModelSpec m = read_hf_config(Node{&*doc, p.string(), "", node.diag});
  if (!name.empty()) m.name = name;
  return m;
}

}  // namespace trainplan
