#include "model/flops.hpp"

#include <algorithm>

#include "model/step.hpp"

namespace trainplan {

namespace {

// Forward model FLOPs of one layer for one sequence of length s (formulas in flops.hpp).
double layer_fwd_flops(const ModelSpec& m, int layer, double s) {
  const double h = static_cast<double>(m.hidden);
  double proj;
  if (m.mla) {
    // DeepSeek-V2/V3 multi-latent attention: low-rank q and kv projections, per-head up-projections.
    const MlaSpec& a = *m.mla;
    const double qk = a.qk_nope_head_dim + a.qk_rope_head_dim;
    proj = (a.q_lora_rank > 0 ? h * a.q_lora_rank + static_cast<double>(a.q_lora_rank) * m.heads * qk : h * m.heads * qk) +
           h * (a.kv_lora_rank + a.qk_rope_head_dim) + static_cast<double>(a.kv_lora_rank) * m.heads * (a.qk_nope_head_dim + a.v_head_dim) +
           static_cast<double>(m.heads) * a.v_head_dim * h;
  } else {
    const double q = static_cast<double>(m.heads) * m.head_dim;
    const double kv = static_cast<double>(m.kv_heads) * m.head_dim;
    proj = h * (q + 2 * kv) + q * h;
  }
  double f = 2.0 * s * proj + attention_core_flops(m, s);
  const int mats = mlp_matrices(m.activation);
  if (m.is_moe_layer(layer)) {
    const MoeSpec& e = *m.moe;
    f += 2.0 * s * mats * h *
         (static_cast<double>(e.top_k) * e.expert_ffn_hidden + static_cast<double>(e.shared_experts) * e.shared_ffn_hidden);
    f += 2.0 * s * h * e.experts;  // router
  } else {
    f += 2.0 * s * mats * h * static_cast<double>(m.ffn_hidden);
  }
  return f;
}

// Forward FLOPs of all layers for one sequence: layers differ only in being dense or MoE.
double all_layers_fwd_flops(const ModelSpec& m, double s) {
  const int moe = moe_layers_in(m, 0, m.layers);
  const int dense = m.layers - moe;
  return (dense > 0 ? dense * layer_fwd_flops(m, 0, s) : 0.0) + (moe > 0 ? moe * layer_fwd_flops(m, m.layers - 1, s) : 0.0);
}

}  // namespace

double attention_core_flops(const ModelSpec& m, double s) {
  const double qk = m.mla ? m.mla->qk_nope_head_dim + m.mla->qk_rope_head_dim : m.head_dim;
  const double v = m.mla ? m.mla->v_head_dim : m.head_dim;
  return 2.0 * s * s * m.heads * (qk + v);
}

double model_flops_per_step(const ModelSpec& m, long long global_batch, int seq, long long vocab) {
  double per_seq = all_layers_fwd_flops(m, seq);
  per_seq += 2.0 * seq * static_cast<double>(m.hidden) * static_cast<double>(vocab);
  return 3.0 * per_seq * static_cast<double>(global_batch);
}

double recompute_flops_per_step(const ModelSpec& m, long long global_batch, int seq, Recompute r, int recompute_layers, int pp) {
  if (r == Recompute::kNone) return 0;
  if (r == Recompute::kSelective) return attention_core_flops(m, seq) * m.layers * static_cast<double>(global_batch);
  double frac = 1.0;
  if (recompute_layers > 0) frac = std::min(1.0, static_cast<double>(recompute_layers) * pp / m.layers);
  return all_layers_fwd_flops(m, seq) * frac * static_cast<double>(global_batch);
}

}  // namespace trainplan
