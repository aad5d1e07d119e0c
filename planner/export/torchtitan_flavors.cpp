#include "planner/export/torchtitan_flavors.hpp"

#include <string>

namespace trainplan::exporter {

namespace {

using R = RouterScore;

// Read off torchtitan v0.2.2 (github.com/pytorch/torchtitan tag v0.2.2 = 73a0e697):
//   llama3: models/llama3/__init__.py llama3_configs; ffn from ffn_dim_multiplier and multiple_of
//           (model/args.py), vocab 128256, untied;
//   qwen3: models/qwen3/__init__.py qwen3_args (head_dim 128, qk_norm, rope_theta 1e6 / 5e6; the
//          MoE flavors have moe_enabled on every layer); TrainSpec pipelining_fn=None;
//   deepseek_v3: models/deepseek_v3/__init__.py deepseekv3_args (MLA qk_nope 128, qk_rope 64, v 128).
// llama4 (interleaved MoE layers, iRoPE chunked attention) and gpt_oss (attention sinks, sliding
// windows) have features ModelSpec does not describe: no shape of ours can be theirs.
constexpr TorchtitanFlavor kFlavors[] = {
    {"llama3", "8B", "./assets/hf/Llama-3.1-8B", 32, 4096, 32, 8, 128, 14336, 128256, false},
    {"llama3", "70B", "./assets/hf/Llama-3.1-70B", 80, 8192, 64, 8, 128, 28672, 128256, false},
    {"llama3", "405B", "./assets/hf/Llama-3.1-405B", 126, 16384, 128, 8, 128, 53248, 128256, false},
    {"qwen3", "0.6B", "./assets/hf/Qwen3-0.6B", 28, 1024, 16, 8, 128, 3072, 151936, true, 0, 0, 0, 0, 0, R::kSoftmax, 0, 0, false},
    {"qwen3", "1.7B", "./assets/hf/Qwen3-1.7B", 28, 2048, 16, 8, 128, 6144, 151936, true, 0, 0, 0, 0, 0, R::kSoftmax, 0, 0, false},
    {"qwen3", "4B", "./assets/hf/Qwen3-4B", 36, 2560, 32, 8, 128, 9728, 151936, true, 0, 0, 0, 0, 0, R::kSoftmax, 0, 0, false},
    {"qwen3", "8B", "./assets/hf/Qwen3-8B", 36, 4096, 32, 8, 128, 12288, 151936, false, 0, 0, 0, 0, 0, R::kSoftmax, 0, 0, false},
    {"qwen3", "14B", "./assets/hf/Qwen3-14B", 40, 5120, 40, 8, 128, 17408, 151936, false, 0, 0, 0, 0, 0, R::kSoftmax, 0, 0, false},
    {"qwen3", "32B", "./assets/hf/Qwen3-32B", 64, 5120, 64, 8, 128, 25600, 151936, false, 0, 0, 0, 0, 0, R::kSoftmax, 0, 0, false},
    {"qwen3", "30B-A3B", "./assets/hf/Qwen3-30B-A3B", 48, 2048, 32, 4, 128, 6144, 151936, false, 128, 8, 0, 0, 768, R::kSoftmax, 0,
     0,       false},
    {"qwen3", "235B-A22B", "./assets/hf/Qwen3-235B-A22B", 94, 4096, 64, 4, 128, 12288, 151936, false, 128, 8, 0, 0, 1536, R::kSoftmax, 0,
     0,       false},
    {"deepseek_v3",
     "16B",
     "./assets/hf/deepseek-moe-16b-base",
     27,
     2048,
     16,
     0,
     192,
     10944,
     102400,
     false,
     64,
     6,
     2,
     1,
     1408,
     R::kSoftmax,
     0,
     512,
     true},
    {"deepseek_v3", "236B", "./assets/hf/DeepSeek-V2", 60, 5120, 128, 0, 192, 12288, 102400, false, 160, 6, 2, 1, 1536, R::kSoftmax, 1536,
     512,           true},
    {"deepseek_v3",
     "671B",
     "./assets/hf/DeepSeek-V3.1-Base",
     61,
     7168,
     128,
     0,
     192,
     18432,
     129280,
     false,
     256,
     8,
     1,
     3,
     2048,
     R::kSigmoid,
     1536,
     512,
     true},
};

bool moe_matches(const ModelSpec& m, const TorchtitanFlavor& f) {
  if (!m.moe) return f.experts == 0;
  const MoeSpec& e = *m.moe;
  return f.experts == e.experts && f.top_k == e.top_k && f.expert_ffn == e.expert_ffn_hidden && f.dense_layers == e.dense_layers &&
         f.score == e.score &&
         static_cast<long long>(f.shared) * f.expert_ffn == static_cast<long long>(e.shared_experts) * e.shared_ffn_hidden;
}

bool mla_matches(const ModelSpec& m, const TorchtitanFlavor& f) {
  if (!m.mla) return f.kv_lora == 0;
  const MlaSpec& a = *m.mla;
  return f.kv_lora == a.kv_lora_rank && f.q_lora == a.q_lora_rank && a.qk_nope_head_dim == 128 && a.qk_rope_head_dim == 64 &&
         a.v_head_dim == 128;
}

}  // namespace

const TorchtitanFlavor* find_torchtitan_flavor(const ModelSpec& m) {
  // Every family: SwiGLU MLPs, RMSNorm, RoPE, no biases.
  if (m.activation != Activation::kSwiglu || m.layernorm || m.learned_positions || m.linear_bias || m.qkv_bias) return nullptr;
  for (const auto& f : kFlavors) {
    const bool dense_width = !m.moe || m.moe->dense_layers > 0;
    if (f.layers == m.layers && f.hidden == m.hidden && f.heads == m.heads && (m.mla || f.kv_heads == m.kv_heads) &&
        (m.mla || f.head_dim == m.head_dim) && (!dense_width || f.ffn == m.ffn_hidden) && f.vocab == m.vocab &&
        f.tied == m.tied_embeddings && moe_matches(m, f) && mla_matches(m, f))
      return &f;
  }
  return nullptr;
}

std::string torchtitan_flavor_list() {
  std::string s;
  const char* family = "";
  for (const auto& f : kFlavors) {
    if (std::string(family) != f.family) {
      s += std::string(s.empty() ? "" : "; ") + f.family + " ";
      family = f.family;
    } else {
      s += ", ";
    }
    s += f.flavor;
  }
  return s;
}

}  // namespace trainplan::exporter
