// The analytic evaluator: closed-form critical path of one training step from per-stage summaries.
//
// A step is described by stage kinds (first, middle ×(p-2), last), each with its layers; per
// micro-batch costs come from model/cost/layer.hpp. The pipeline combines them per schedule:
//   1F1B / GPipe:  T = Σ_i t_i + (m − 1) · max_i t_i          (fill + steady state + drain)
//   interleaved:   T = m · max_i t_i + (Σ_i t_i − max_i t_i) / v   (bubble ÷ v, Narayanan et al. 2021 §2.2.2)
//   zero-bubble:   T = m · max_i t_i + (p − 1) · max_i t_f,i      (ZB-H1, Qi et al. 2023 §3)
// then adds the data-parallel reduction that backward could not hide, the optimizer step and
// offload traffic. Memory per stage: weights, gradients, optimizer state under ZeRO/FSDP and
// offload, activations of the micro-batches in flight (1F1B: p − i on stage i), buffers.
//
//   AnalyticEvaluator analytic;
//   Evaluation e = analytic.evaluate(job, calibration);
#pragma once

#include "model/evaluator.hpp"

namespace trainplan {

// Model FLOPs of one step, Megatron-LM counting (training.py num_floating_point_operations):
// 3 × forward of every layer and the logits, attention over the full sequence, padded vocabulary.
double model_flops_per_step(const ModelSpec& m, long long global_batch, int seq, long long vocab);
// The FLOPs recomputation adds: full → one more forward of the layers (Narayanan et al. 2021
// Eq. 3, factor 4 instead of 3); selective → the attention score/value products again.
double recompute_flops_per_step(const ModelSpec& m, long long global_batch, int seq, Recompute r, int recompute_layers, int pp);

// Whether a GPT-style model has dropout (GPT-2/3 and Megatron GPT use 0.1; Llama-style models 0).
bool model_has_dropout(const ModelSpec& m);

class AnalyticEvaluator final : public Evaluator {
 public:
  [[nodiscard]] Evaluation evaluate(const JobSpec& job, const Calibration& cal) const override;
  [[nodiscard]] const char* name() const override { return "analytic"; }
};

}  // namespace trainplan
