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

// Rotary position embedding: base frequency and the long-context rescaling of the frequencies.
// Llama 3.1 rescales low frequencies by `factor` (HF rope_scaling {"rope_type": "llama3"};
// Megatron --use-rope-scaling --rope-scaling-factor); DeepSeek-V3 uses YaRN (Peng et al. 2023,
// HF {"type": "yarn"}; Megatron --rope-type yarn --rotary-scaling-factor). They change what the
// model computes, not its cost: exports must carry them.
enum class RopeScaling { kNone, kLlama3, kYarn };
const char* rope_scaling_name(RopeScaling s);
struct RopeSpec {
  long long theta = 10000;  // RoFormer (Su et al. 2021) and the HF/Megatron default
  RopeScaling scaling = RopeScaling::kNone;
  double factor = 1.0;
  friend bool operator==(const RopeSpec&, const RopeSpec&) = default;
};

// Router probabilities: softmax over experts (GShard, Mixtral) or per-expert sigmoid (DeepSeek-V3,
// which needs it for its aux-loss-free expert bias; transformer_config.py rejects a bias with softmax).
enum class RouterScore { kSoftmax, kSigmoid };
const char* router_score_name(RouterScore s);
const char* activation_name(Activation a);
// Gated MLPs (SwiGLU) have three weight matrices, the others two.
constexpr int mlp_matrices(Activation a) { return a == Activation::kSwiglu ? 3 : 2; }

struct MoeSpec {
  int experts = 1;  // routed experts
  int top_k = 1;
  long long expert_ffn_hidden = 0;
  int shared_experts = 0;
  long long shared_ffn_hidden = 0;  // width of one shared expert
  int dense_layers = 0;             // the first layers are dense (DeepSeek-V3: 3)
  bool router_bias = false;         // DeepSeek-V3 e_score_correction_bias
  RouterScore score = RouterScore::kSoftmax;
  double aux_loss_coeff = 0.0;  // load-balancing loss weight (HF router_aux_loss_coef / aux_loss_alpha)
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
  bool linear_bias = false;  // biases on the other linear layers (GPT-2/3 style)
  bool layernorm = true;     // LayerNorm (weight + bias) or RMSNorm (weight)
  bool learned_positions = false;
  int mtp_layers = 0;
  RopeSpec rope;  // unused with learned positions
  std::optional<MoeSpec> moe;
  std::optional<MlaSpec> mla;

  [[nodiscard]] bool is_moe_layer(int layer) const { return moe && layer >= moe->dense_layers; }
  [[nodiscard]] int moe_layers() const { return moe ? layers - moe->dense_layers : 0; }
  friend bool operator==(const ModelSpec&, const ModelSpec&) = default;
};

}  // namespace trainplan
