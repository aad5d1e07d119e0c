// The transformer being trained: dense or MoE, MHA/GQA/MQA or MLA, from our JSON or a Hugging Face
// config.json (model/spec/hf_config.hpp).
#pragma once

#include <optional>
#include <string>

namespace trainplan {

// Bounds on what a model spec may say, named in the readers' messages: far above any published
// model (the deepest, Megatron's 1T GPT, has 128 layers; the widest 25,600), and small enough
// that sizes stay exact in the int and double arithmetic of the cost model and per-layer memory.
inline constexpr long long kMaxLayers = 10000;
inline constexpr long long kMaxModelDimension = 1LL << 24;  // hidden, heads, FFN, vocabulary, ranks, experts, sequence
inline constexpr long long kMaxMtpLayers = 64;

enum class Activation { kGelu, kSwiglu, kRelu, kSquaredRelu };
const char* activation_name(Activation a);
// Gated MLPs (SwiGLU) have three weight matrices, the others two.
constexpr int mlp_matrices(Activation a) { return a == Activation::kSwiglu ? 3 : 2; }

struct MoeSpec {
  int experts = 1;               // routed experts
  int top_k = 1;
  long long expert_ffn_hidden = 0;
  int shared_experts = 0;
  long long shared_ffn_hidden = 0;  // width of one shared expert
  int dense_layers = 0;          // the first layers are dense (DeepSeek-V3: 3)
  bool router_bias = false;      // DeepSeek-V3 e_score_correction_bias
  friend bool operator==(const MoeSpec&, const MoeSpec&) = default;
};

struct MlaSpec {
  int q_lora_rank = 0;  // 0: queries projected directly
  int kv_lora_rank = 0;
  int qk_nope_head_dim = 0;
  int qk_rope_head_dim = 0;
  int v_head_dim = 0;
  friend bool operator==(const MlaSpec&, const MlaSpec&) = default;
};

struct ModelSpec {
  std::string key;
  std::string name;
  int layers = 1;
  long long hidden = 1;
  int heads = 1;
  int kv_heads = 1;
  int head_dim = 1;
  long long ffn_hidden = 1;
  Activation activation = Activation::kGelu;
  long long vocab = 1;
  bool tied_embeddings = false;
  int max_sequence = 2048;
  bool qkv_bias = false;
  bool linear_bias = false;   // biases on the other linear layers (GPT-2/3 style)
  bool layernorm = true;      // LayerNorm (weight + bias) or RMSNorm (weight)
  bool learned_positions = false;
  int mtp_layers = 0;
  std::optional<MoeSpec> moe;
  std::optional<MlaSpec> mla;

  [[nodiscard]] bool is_moe_layer(int layer) const { return moe && layer >= moe->dense_layers; }
  [[nodiscard]] int moe_layers() const { return moe ? layers - moe->dense_layers : 0; }
  friend bool operator==(const ModelSpec&, const ModelSpec&) = default;
};

}  // namespace trainplan
