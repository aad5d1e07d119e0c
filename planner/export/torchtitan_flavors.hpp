// The model flavors torchtitan v0.2.2 (73a0e697) registers, per model family, as far as trainplan's
// ModelSpec describes them: torchtitan/models/<family>/__init__.py (llama3_configs, qwen3_args,
// deepseekv3_args). A torchtitan TOML can only name a registered flavor, so a model is exported when
// its shape matches one exactly.
//
//   if (const TorchtitanFlavor* f = find_torchtitan_flavor(job.model)) toml += f->family + f->flavor;
#pragma once

#include "model/spec/model_spec.hpp"

namespace trainplan::exporter {

struct TorchtitanFlavor {
  const char* family;  // [model] name (the TrainSpec's registry key)
  const char* flavor;  // [model] flavor
  const char* assets;  // hf_assets_path, as the family's train_configs/*.toml names it
  int layers;
  long long hidden;
  int heads;
  int kv_heads;  // 0 with MLA
  int head_dim;
  long long ffn;  // dense layers' width (unused when every layer is MoE)
  long long vocab;
  bool tied;  // enable_weight_tying
  // MoE (experts 0: dense): MoEArgs num_experts, top_k, num_shared_experts, score_func; the first
  // dense_layers layers are dense (n_dense_layers).
  int experts = 0, top_k = 0, shared = 0, dense_layers = 0;
  long long expert_ffn = 0;  // moe_inter_dim (also each shared expert's width)
  RouterScore score = RouterScore::kSoftmax;
  // MLA (kv_lora 0: none): q_lora_rank, kv_lora_rank; nope 128, rope 64, v 128 in every flavor.
  int q_lora = 0, kv_lora = 0;
  bool pipelining = true;  // TrainSpec pipelining_fn (qwen3: None in v0.2.2)
};

// The registered flavor with the model's shape, or nullptr.
const TorchtitanFlavor* find_torchtitan_flavor(const ModelSpec& m);
// "llama3 8B, 70B, 405B; qwen3 ...; deepseek_v3 ...", for refusals.
std::string torchtitan_flavor_list();

}  // namespace trainplan::exporter
