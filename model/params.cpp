#include "model/params.hpp"

namespace trainplan {

LayerParams layer_params(const ModelSpec& m, int layer) {
  LayerParams p;
  const double h = static_cast<double>(m.hidden);
  if (m.mla) {
    const MlaSpec& a = *m.mla;
    const double qk = a.qk_nope_head_dim + a.qk_rope_head_dim;
    const double q =
        a.q_lora_rank > 0 ? h * a.q_lora_rank + a.q_lora_rank + static_cast<double>(a.q_lora_rank) * m.heads * qk : h * m.heads * qk;
    p.attention = q + h * (a.kv_lora_rank + a.qk_rope_head_dim) + a.kv_lora_rank +
                  static_cast<double>(a.kv_lora_rank) * m.heads * (a.qk_nope_head_dim + a.v_head_dim) +
                  static_cast<double>(m.heads) * a.v_head_dim * h;
  } else {
    const double q = static_cast<double>(m.heads) * m.head_dim;
    const double kv = static_cast<double>(m.kv_heads) * m.head_dim;
    p.attention = h * q + 2 * h * kv + q * h;
    if (m.qkv_bias) p.attention += q + 2 * kv;
    if (m.linear_bias) p.attention += h;  // output projection bias
  }
  const int mats = mlp_matrices(m.activation);
  if (m.is_moe_layer(layer)) {
    const MoeSpec& e = *m.moe;
    p.routed_experts = static_cast<double>(e.experts) * mats * h * static_cast<double>(e.expert_ffn_hidden);
    p.shared_experts = static_cast<double>(e.shared_experts) * mats * h * static_cast<double>(e.shared_ffn_hidden);
    p.router = e.experts * h + (e.router_bias ? e.experts : 0);
  } else {
    p.mlp = mats * h * static_cast<double>(m.ffn_hidden);
    if (m.linear_bias) p.mlp += static_cast<double>(m.ffn_hidden) + h;
  }
  p.norms = (m.layernorm ? 4.0 : 2.0) * h;
  return p;
}

double embedding_params(const ModelSpec& m, long long vocab) {
  return static_cast<double>(vocab) * m.hidden + (m.learned_positions ? static_cast<double>(m.max_sequence) * m.hidden : 0.0);
}

double output_params(const ModelSpec& m, long long vocab) { return m.tied_embeddings ? 0.0 : static_cast<double>(vocab) * m.hidden; }

double final_norm_params(const ModelSpec& m) { return (m.layernorm ? 2.0 : 1.0) * m.hidden; }

double total_params(const ModelSpec& m) {
  double total = embedding_params(m, m.vocab) + output_params(m, m.vocab) + final_norm_params(m);
  for (int l = 0; l < m.layers; ++l) total += layer_params(m, l).total();
  return total;
}

double active_params(const ModelSpec& m) {
  double total = embedding_params(m, m.vocab) + output_params(m, m.vocab) + final_norm_params(m);
  for (int l = 0; l < m.layers; ++l) {
    LayerParams p = layer_params(m, l);
    total += p.dense_part();
    if (m.is_moe_layer(l)) total += p.routed_experts * m.moe->top_k / m.moe->experts;
  }
  return total;
}

long long padded_vocab(long long vocab, int tp, int divisible_by) {
  const long long multiple = static_cast<long long>(divisible_by) * tp;
  return (vocab + multiple - 1) / multiple * multiple;
}

}  // namespace trainplan
