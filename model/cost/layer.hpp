// Cost of one transformer layer for one micro-batch on one GPU: compute time (forward, backward,
// recomputation), the TP / CP / EP communication it cannot hide, its FLOPs and the activations it
// keeps for the backward pass. Also the embedding and output (logits) layers.
//
// FLOPs follow Megatron-LM's counting (Narayanan et al. 2021, Eq. 3; Korthikanti et al. 2022
// Appendix): per token and layer, 2·(h·(q+2kv) + q·h) for the attention projections, 4·s·q for the
// score and value products over the full sequence, 2·mats·h·f for the MLP; ×3 for fwd + bwd.
// Activations follow Korthikanti et al. 2022 §4 (Table 2), generalised to GQA, SwiGLU, flash
// attention and no dropout: for GPT with dropout and unfused attention it reduces to
// s·b·h·(34 + 5·a·s/h) bytes, and with TP t + SP to s·b·h·(34/t + 5·a·s/(h·t)).
#pragma once

#include "model/calibration.hpp"
#include "model/spec/job.hpp"

namespace trainplan {

struct LayerContext {
  const ModelSpec* model = nullptr;
  const ClusterSpec* cluster = nullptr;
  const Calibration* cal = nullptr;
  int micro_batch = 1;
  int seq = 2048;  // full sequence length
  int tp = 1;
  bool sp = false;
  int cp = 1;
  int ep = 1;
  int etp = 1;
  Precision precision = Precision::kBf16;
  bool flash = true;     // fused attention (no s² tensors)
  bool dropout = false;  // GPT-style dropout 0.1 in attention and after each block
  bool tp_comm_overlap = false;
  bool tp_grad_overlap = true;  // PlanSpec::tp_grad_overlap
  long long vocab = 1;          // padded
};

struct LayerCost {
  Seconds fwd;  // compute, incl. kernel overheads
  Seconds bwd;
  Seconds attention_core_fwd;        // part of fwd that selective recompute repeats
  Seconds fp8_casts;                 // part of fwd + bwd casting GEMM operands to fp8 (0 unless fp8)
  Seconds tp_comm_fwd, tp_comm_bwd;  // exposed
  Seconds cp_comm_fwd, cp_comm_bwd;
  Seconds ep_comm_fwd, ep_comm_bwd;
  double model_flops = 0;           // fwd + bwd, this GPU, Megatron counting
  double attention_core_flops = 0;  // fwd FLOPs of the score/value products (selective recompute)
  double fwd_flops = 0;             // fwd model FLOPs, this GPU
  Bytes activations;                // kept for backward with no recomputation
  Bytes activations_selective;      // with the attention core recomputed
  Bytes layer_input;                // kept with full recomputation
};

LayerCost layer_cost(const LayerContext& ctx, bool moe_layer);
// Embedding lookup (first stage) and logits + cross entropy (last stage), per micro-batch.
LayerCost embedding_cost(const LayerContext& ctx);
LayerCost output_cost(const LayerContext& ctx);

}  // namespace trainplan
