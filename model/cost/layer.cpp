#include "model/cost/layer.hpp"

#include <algorithm>

#include "model/cost/collectives.hpp"
#include "model/cost/compute.hpp"

namespace trainplan {

namespace {

struct Dims {
  double b, s, sl, h, q, kv, a, t;  // micro-batch, sequence, local sequence (s/cp), hidden, q width, kv width, heads, tp
};

Dims dims(const LayerContext& c) {
  const ModelSpec& m = *c.model;
  Dims d{};
  d.b = c.micro_batch;
  d.s = c.seq;
  d.sl = static_cast<double>(c.seq) / c.cp;
  d.h = static_cast<double>(m.hidden);
  if (m.mla) {
    d.q = static_cast<double>(m.heads) * (m.mla->qk_nope_head_dim + m.mla->qk_rope_head_dim);
    d.kv = d.q;  // MLA expands K (and V) per head after the latent projection
  } else {
    d.q = static_cast<double>(m.heads) * m.head_dim;
    d.kv = static_cast<double>(m.kv_heads) * m.head_dim;
  }
  d.a = m.heads;
  d.t = c.tp;
  return d;
}

// Fused attention backward over forward time: 5 matmuls against 2 (2.5× the FLOPs) at 63% of peak
// against the forward's 73% (Dao 2023, FlashAttention-2 §3.1 and §4.1, measured on A100).
constexpr double kFlashBackwardOverForward = 2.5 * 73.0 / 63.0;

// Exposed time of a communication that may run under `overlap` seconds of independent compute.
Seconds exposed(Seconds comm, Seconds overlap) { return std::max(Seconds{}, comm - overlap); }

}  // namespace

LayerCost layer_cost(const LayerContext& c, bool moe_layer) {
  const ModelSpec& m = *c.model;
  const GpuSpec& gpu = c.cluster->node.gpu;
  const Calibration& cal = *c.cal;
  const Precision p = c.precision;
  const Precision ap = activation_precision(p);
  const Dims d = dims(c);
  const double T = d.b * d.sl;  // tokens of this rank's micro-batch
  const double elem = element_bytes(ap);
  LayerCost out;
  // fp8 GEMMs take fp8 operands: Transformer Engine casts each GEMM's input activation in forward
  // and its output gradient in backward, writing the fp8 copy and its transpose (the other
  // operand layout the backward GEMMs need): read 2 B, write 1 + 1 B per element (TE
  // cast_transpose). Summed here as elements; the weights' casts are cached over the step.
  double cast_fwd = 0, cast_bwd = 0, cast_kernels = 0;
  auto note_fp8 = [&](const GemmShape& g, double batch) {
    if (p != Precision::kFp8) return;
    cast_fwd += g.m * g.k * batch;
    cast_bwd += g.m * g.n * batch;
    cast_kernels += 1;
  };

  // --- Attention projections (column/row parallel over TP).
  double proj_flops = 0;
  Seconds proj{};
  // Column-parallel GEMMs of the two blocks (QKV; fc1 = up/gate): their backward hides the TP
  // communication of the block's input gradient (below).
  Seconds col_attn{}, col_mlp{};
  if (m.mla) {
    const MlaSpec& a = *m.mla;
    const double qk = a.qk_nope_head_dim + a.qk_rope_head_dim;
    const GemmShape shapes[] = {{T, a.q_lora_rank > 0 ? static_cast<double>(a.q_lora_rank) : d.a * qk / d.t, d.h},
                                {T, a.q_lora_rank > 0 ? d.a * qk / d.t : 0.0, static_cast<double>(a.q_lora_rank)},
                                {T, static_cast<double>(a.kv_lora_rank + a.qk_rope_head_dim), d.h},
                                {T, d.a * (a.qk_nope_head_dim + a.v_head_dim) / d.t, static_cast<double>(a.kv_lora_rank)},
                                {T, d.h, d.a * a.v_head_dim / d.t}};
    for (const auto& g : shapes) {
      if (g.n <= 0 || g.k <= 0) continue;
      const Seconds t = gemm_time(g, p, gpu, cal);
      note_fp8(g, 1);
      proj += t;
      if (&g != &shapes[4]) col_attn += t;  // all but the output projection are column-parallel
      proj_flops += g.flops();
    }
  } else {
    const GemmShape qkv{T, (d.q + 2 * d.kv) / d.t, d.h};
    const GemmShape out_proj{T, d.h, d.q / d.t};
    col_attn = gemm_time(qkv, p, gpu, cal);
    proj = col_attn + gemm_time(out_proj, p, gpu, cal);
    note_fp8(qkv, 1);
    note_fp8(out_proj, 1);
    proj_flops = qkv.flops() + out_proj.flops();
  }

  // --- Attention core: scores and values over the full (or CP-gathered) sequence.
  // Model FLOPs count the full s² (Megatron); a causal fused kernel executes about half.
  const double heads_local = d.a / d.t;
  const double head_dim_qk = d.q / d.a;
  const double head_dim_v = m.mla ? m.mla->v_head_dim : d.q / d.a;
  const double core_flops = 2.0 * d.b * d.sl * d.s * heads_local * (head_dim_qk + head_dim_v);
  Seconds core{};
  if (c.flash) {
    core = flash_attention_time(0.5 * core_flops, p, gpu, cal);
  } else {
    // Materialised scores: two batched GEMMs plus softmax (and dropout) over b·a·s² elements.
    const double batch = d.b * heads_local;
    core =
        batched_gemm_time({d.sl, d.s, head_dim_qk}, batch, ap, gpu, cal) + batched_gemm_time({d.sl, head_dim_v, d.s}, batch, ap, gpu, cal);
    const double s2 = batch * d.sl * d.s;
    const double passes = c.dropout ? 2.0 + 2.0 + 0.5 : 2.0;  // softmax r/w; dropout r/w + mask
    core += memory_bound_time(B(s2 * elem * passes), c.dropout ? 2 : 1, gpu, cal);
  }
  out.attention_core_fwd = core;
  out.attention_core_flops = core_flops;

  // --- MLP or MoE.
  const int mats = mlp_matrices(m.activation);
  double mlp_flops = 0;
  Seconds mlp{};
  double act_width = 0;   // width of the activation function's output, this rank
  double moe_tokens = 0;  // tokens this rank routes
  if (moe_layer) {
    const MoeSpec& e = *m.moe;
    moe_tokens = T / d.t * c.etp;
    const double per_expert_tokens = moe_tokens * c.ep * e.top_k / e.experts;
    const double local_experts = static_cast<double>(e.experts) / c.ep;
    const double fe = static_cast<double>(e.expert_ffn_hidden) / c.etp;
    const GemmShape up{per_expert_tokens, fe * (mats - 1), d.h}, down{per_expert_tokens, d.h, fe};
    // Grouped GEMM: one launch for the local experts.
    col_mlp = batched_gemm_time(up, local_experts, p, gpu, cal);
    mlp = col_mlp + batched_gemm_time(down, local_experts, p, gpu, cal);
    note_fp8(up, local_experts);
    note_fp8(down, local_experts);
    mlp_flops = (up.flops() + down.flops()) * local_experts;
    if (e.shared_experts > 0) {
      const double fs = static_cast<double>(e.shared_experts) * e.shared_ffn_hidden / d.t;
      const GemmShape su{T, fs * (mats - 1), d.h}, sd{T, d.h, fs};
      mlp += gemm_time(su, p, gpu, cal) + gemm_time(sd, p, gpu, cal);
      note_fp8(su, 1);
      note_fp8(sd, 1);
      mlp_flops += su.flops() + sd.flops();
    }
    const GemmShape router{moe_tokens, static_cast<double>(e.experts), d.h};
    mlp += gemm_time(router, Precision::kFp32, gpu, cal);
    mlp_flops += router.flops();
    act_width = moe_tokens * e.top_k * fe / T;  // per token of this rank, for the activation bytes
  } else {
    const double f = static_cast<double>(m.ffn_hidden) / d.t;
    const GemmShape up{T, f * (mats - 1), d.h}, down{T, d.h, f};
    col_mlp = gemm_time(up, p, gpu, cal);
    mlp = col_mlp + gemm_time(down, p, gpu, cal);
    note_fp8(up, 1);
    note_fp8(down, 1);
    mlp_flops = up.flops() + down.flops();
    act_width = f;
  }

  // --- Memory-bound kernels: two norms, two residual adds (+dropout), activation, RoPE.
  // Token-wise tensors are split over TP only with sequence parallelism.
  const double tok = c.sp ? T / d.t : T;
  double elems = 0;
  elems += 2 * (2 * d.h) * tok;                                   // norms read + write
  elems += 2 * (3 * d.h + (c.dropout ? 0.5 * d.h : 0)) * tok;     // residual (+dropout)
  elems += (mats == 3 ? 3.0 : 2.0) * act_width * T;               // activation function
  if (!m.learned_positions) elems += 2 * (d.q + d.kv) / d.t * T;  // RoPE on q, k
  const Seconds membound = memory_bound_time(B(elems * elem), 7, gpu, cal);
  const Seconds cast_f = cast_kernels > 0 ? memory_bound_time(B(cast_fwd * 4.0), cast_kernels, gpu, cal) : Seconds{};
  const Seconds cast_b = cast_kernels > 0 ? memory_bound_time(B(cast_bwd * 4.0), cast_kernels, gpu, cal) : Seconds{};

  out.fwd = proj + core + mlp + membound + cast_f;
  out.fp8_casts = cast_f + cast_b;
  // Backward: two GEMMs per forward GEMM (data and weight gradients); fused attention
  // kFlashBackwardOverForward × its forward; materialised attention and element-wise ≈ 2×.
  out.bwd = 2.0 * (proj + mlp) + (c.flash ? kFlashBackwardOverForward : 2.0) * core + 2.0 * membound + cast_b;
  out.fwd_flops = proj_flops + core_flops + mlp_flops;
  out.model_flops = 3.0 * out.fwd_flops;

  // --- TP collectives on the full activation b·s·h (Korthikanti et al. 2022 §4.2.2), per block
  // (attention; MLP unless an MoE layer with expert TP 1, whose experts are not TP-split).
  // Forward: one all-reduce per block, or with SP an all-gather and a reduce-scatter, on the
  // critical path. Backward (Megatron-Core LinearWithGradAccumulationAndAsyncCommunication): the
  // column-parallel layer launches its input-gradient all-reduce (SP: reduce-scatter) before its
  // weight-gradient GEMM and overlaps the two; with SP it also re-gathers its input under its
  // data-gradient GEMM, and the row-parallel layer's output-gradient all-gather stays exposed.
  // The weight- and data-gradient GEMMs each take about the forward GEMM's time (same FLOPs).
  // Without that overlap (tp_grad_overlap off: Megatron-LM 2020-2021) every collective is exposed.
  if (c.tp > 1) {
    const ClusterSpec& cl = *c.cluster;
    const GroupPlacement g = place_group(c.tp, 1, cl);
    const Bytes full = B(T * d.h * elem);
    const Seconds ar = c.sp ? Seconds{} : collective_time(Collective::kAllReduce, full, g, cl, cal);
    const Seconds ag = c.sp ? collective_time(Collective::kAllGather, full, g, cl, cal) : Seconds{};
    const Seconds rs = c.sp ? collective_time(Collective::kReduceScatter, full, g, cl, cal) : Seconds{};
    const bool mlp_split = !(moe_layer && c.etp == 1);
    Seconds fwd{}, bwd{};
    auto block = [&](Seconds col) {
      fwd += c.sp ? ag + rs : ar;
      if (!c.tp_grad_overlap)
        bwd += c.sp ? ag + ag + rs : ar;
      else
        bwd += c.sp ? ag + exposed(ag, col) + exposed(rs, col) : exposed(ar, col);
    };
    block(col_attn);
    if (mlp_split) block(col_mlp);
    // With userbuffer overlap (Megatron --tp-comm-overlap, Transformer Engine) the collectives are
    // split into chunks that run under the GEMMs of the same pass (about 80% of them hide: an
    // assumption no measurement here checks; the fitted Hopper η absorbs it).
    const Seconds gemms = proj + mlp;
    out.tp_comm_fwd = c.tp_comm_overlap ? exposed(fwd, gemms * 0.8) : fwd;
    out.tp_comm_bwd = c.tp_comm_overlap ? exposed(bwd, gemms * 1.6) : bwd;
  }
  // --- CP: ring exchange of K and V chunks, cp-1 steps, under the attention compute
  // (Megatron-Core context parallelism, p2p); backward also returns dK, dV.
  if (c.cp > 1) {
    const Bytes kv = B(2.0 * d.b * d.sl * d.kv / d.t * elem);
    const Seconds ring = p2p_time(kv, c.tp, *c.cluster, cal) * (c.cp - 1.0);
    out.cp_comm_fwd = exposed(ring, core);
    out.cp_comm_bwd = exposed(ring * 2.0, core * (c.flash ? kFlashBackwardOverForward : 2.0));
  }
  // --- EP: all-to-all dispatch and combine of the routed tokens, fwd and bwd.
  if (moe_layer && c.ep > 1) {
    const GroupPlacement g = place_group(c.ep, c.tp * c.cp, *c.cluster);
    const Bytes sent = B(moe_tokens * m.moe->top_k * d.h * elem);
    const Seconds a2a = collective_time(Collective::kAllToAll, sent, g, *c.cluster, cal) * 2.0;
    out.ep_comm_fwd = a2a;
    out.ep_comm_bwd = a2a;
  }

  // --- Activations (bytes, per micro-batch), Korthikanti et al. 2022 §4.1 generalised.
  const double sb = d.b * d.sl;
  const double tpn = c.sp ? d.t : 1.0;  // divisor of the token-wise tensors
  // Transformer Engine saves the fp8-cast input of each fp8 GEMM for its backward (1 byte instead
  // of 2): QKV input, out-proj input, MLP input and fc2 input (TE Linear/LayerNormLinear, fp8).
  const double gemm_in = c.precision == Precision::kFp8 ? 1.0 : 2.0;
  double token_wise = 2 * d.h * 2 + gemm_in * d.h * 2;            // LN1 in, LN2 in (bf16); QKV in, MLP in
  if (c.dropout) token_wise += 2 * d.h;                           // two dropout masks (1 byte)
  double tp_split = 2 * (d.q + d.kv) + 2 * d.kv + gemm_in * d.q;  // Q, K, V, out-proj input
  double core_bytes = 0;
  if (c.flash) {
    tp_split += 4.0 * d.a;  // softmax statistics (fp32 logsumexp per head)
  } else {
    core_bytes = (c.dropout ? 5.0 : 2.0) * d.a * d.s;  // softmax out (+mask, dropout out), ×s per token
  }
  if (moe_layer) {
    const MoeSpec& e = *m.moe;
    const double routed = moe_tokens * e.top_k / sb;  // routed copies per token of this rank
    tp_split += 0;
    token_wise += 0;
    const double fe = static_cast<double>(e.expert_ffn_hidden) / c.etp;
    double moe_bytes = routed * (2 * d.h + (mats == 3 ? 6.0 : 4.0) * fe);  // dispatched input, act in/out
    if (e.shared_experts > 0) moe_bytes += (mats == 3 ? 6.0 : 4.0) * e.shared_experts * e.shared_ffn_hidden / d.t;
    out.activations = B(sb * (token_wise / tpn + tp_split / d.t + core_bytes / d.t + moe_bytes));
  } else {
    // Activation input (two tensors when gated) in bf16, its output (the fc2 input) at gemm_in bytes.
    tp_split += ((mats == 3 ? 4.0 : 2.0) + gemm_in) * static_cast<double>(m.ffn_hidden);
    out.activations = B(sb * (token_wise / tpn + tp_split / d.t + core_bytes / d.t));
  }
  out.activations_selective = out.activations - B(sb * core_bytes / d.t);
  out.layer_input = B(sb * 2 * d.h / tpn);
  return out;
}

LayerCost embedding_cost(const LayerContext& c) {
  const GpuSpec& gpu = c.cluster->node.gpu;
  const double T = static_cast<double>(c.micro_batch) * c.seq / c.cp;
  const double h = static_cast<double>(c.model->hidden);
  LayerCost out;
  const Bytes moved = B(T * h * 2 * 2 / (c.sp ? c.tp : 1));
  out.fwd = memory_bound_time(moved, 2, gpu, *c.cal);
  out.bwd = memory_bound_time(moved * 2.0, 2, gpu, *c.cal);
  out.activations = B(T * h * (c.dropout ? 1.0 : 0.0) / (c.sp ? c.tp : 1));
  return out;
}

LayerCost output_cost(const LayerContext& c) {
  const GpuSpec& gpu = c.cluster->node.gpu;
  const double T = static_cast<double>(c.micro_batch) * c.seq / c.cp;
  const double h = static_cast<double>(c.model->hidden);
  const double v = static_cast<double>(c.vocab) / c.tp;
  LayerCost out;
  const GemmShape logits{T, v, h};
  // The LM head stays in bf16 in fp8 training: Megatron-Core builds it as
  // tensor_parallel.ColumnParallelLinear, not a Transformer Engine layer, unless the MXFP8 output
  // projection is asked for (megatron/core/models/gpt/gpt_model.py L272-277 at d98e8a64).
  const Seconds gemm = gemm_time(logits, activation_precision(c.precision), gpu, *c.cal);
  // Cross entropy over fp32 logits: a few passes over T·V/t (Megatron's vocab-parallel CE).
  const Seconds ce = memory_bound_time(B(T * v * 4 * 3), 4, gpu, *c.cal);
  out.fwd = gemm + ce + memory_bound_time(B(T * h * 2 * 2 / (c.sp ? c.tp : 1)), 1, gpu, *c.cal);  // final norm
  out.bwd = 2.0 * gemm + ce;
  out.fwd_flops = logits.flops();
  out.model_flops = 3.0 * out.fwd_flops;
  out.activations = B(T * v * 4);  // fp32 logits kept for the loss (Korthikanti: 4sbv/t)
  if (c.tp > 1) {
    // The vocabulary-parallel output layer is column-parallel: with SP its input is all-gathered in
    // forward; in backward its input gradient is all-reduced (SP: reduce-scattered) under the
    // logits' weight-gradient GEMM, and with SP the input is re-gathered under the data gradient.
    const GroupPlacement g = place_group(c.tp, 1, *c.cluster);
    const Bytes full = B(T * h * 2);
    const Seconds ag = collective_time(Collective::kAllGather, full, g, *c.cluster, *c.cal);
    out.tp_comm_fwd = c.sp ? ag : Seconds{};
    out.tp_comm_bwd = c.sp ? std::max(Seconds{}, ag - gemm) +
                                 std::max(Seconds{}, collective_time(Collective::kReduceScatter, full, g, *c.cluster, *c.cal) - gemm)
                           : std::max(Seconds{}, collective_time(Collective::kAllReduce, full, g, *c.cluster, *c.cal) - gemm);
  }
  return out;
}

}  // namespace trainplan
