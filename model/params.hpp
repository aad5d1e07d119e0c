// Parameter counts from a model spec (docs/interfaces.md §5, "Parameter count per decoder layer"):
//   attn GQA = h·heads·d + 2·h·kv·d + heads·d·h   (+ q/k/v biases)
//   attn MLA = h·q_lora + q_lora + q_lora·heads·(nope+rope) + h·(kv_lora+rope) + kv_lora
//              + kv_lora·heads·(nope+v) + heads·v·h
//   mlp      = mats·h·ffn (3 gated, 2 otherwise)   moe = (E + shared)·3·h·moe_ffn + E·h router
//   norms    = 2·h per layer + h (×2 with LayerNorm biases)   embeddings = V·h, twice when untied
// GPT-style biases add 13h per layer (Narayanan et al. 2021, Eq. 2: P = 12lh²(1 + 13/12h + (V+s)/12lh)).
#pragma once

#include "model/spec/model_spec.hpp"

namespace trainplan {

struct LayerParams {
  double attention = 0;
  double mlp = 0;             // dense MLP (dense layers only)
  double routed_experts = 0;  // all routed experts of the layer
  double shared_experts = 0;
  double router = 0;
  double norms = 0;
  [[nodiscard]] double dense_part() const { return attention + mlp + shared_experts + router + norms; }
  [[nodiscard]] double total() const { return dense_part() + routed_experts; }
};

LayerParams layer_params(const ModelSpec& m, int layer);
// Input embedding (V·h, plus learned positions), with the vocabulary given (padded or not).
double embedding_params(const ModelSpec& m, long long vocab);
// LM head: V·h when untied, else 0 (shared with the embedding).
double output_params(const ModelSpec& m, long long vocab);
double final_norm_params(const ModelSpec& m);
// The published "main model" count: unpadded vocabulary, MTP layers excluded.
double total_params(const ModelSpec& m);
// Parameters touched by one token (top-k routed experts plus shared ones).
double active_params(const ModelSpec& m);
// Megatron pads the vocabulary to a multiple of 128·TP (tokenizer.py _vocab_size_with_padding).
long long padded_vocab(long long vocab, int tp, int divisible_by = 128);

}  // namespace trainplan
