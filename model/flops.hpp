// FLOPs of a training step as the contract defines them (contract.md, "Validation files"):
//   model:    Megatron-LM's count (training.py num_floating_point_operations; Narayanan et al. 2021
//             Eq. 3 without the recomputation term): per token and layer 2·(h·(q + 2kv) + q·h) for
//             the attention projections, 4·s·q for the score and value products over the full
//             sequence, 2·mats·h·f for the MLP (mats = 3 for SwiGLU), plus 2·h·V for the logits;
//             × 3 for forward and backward.
//   hardware: the same plus the forward work recomputation repeats (full: one more forward of the
//             recomputed layers, Narayanan et al. 2021 Eq. 3 factor 4 instead of 3; selective: the
//             attention score and value products, Korthikanti et al. 2022 §5).
#pragma once

#include "model/spec/job.hpp"

namespace trainplan {

// Forward FLOPs of the score and value products of one layer for one sequence of length s.
double attention_core_flops(const ModelSpec& m, double s);
// Model FLOPs of one step (global batch of sequences of `seq` tokens, padded vocabulary).
double model_flops_per_step(const ModelSpec& m, long long global_batch, int seq, long long vocab);
// The FLOPs recomputation adds to one step (`recompute_layers` per stage of `pp`; 0 = all).
double recompute_flops_per_step(const ModelSpec& m, long long global_batch, int seq, Recompute r, int recompute_layers, int pp);

}  // namespace trainplan
