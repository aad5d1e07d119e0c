// The Megatron-Bridge pre-training recipes a NeMo / Megatron-Bridge export starts from, with the
// settings of each that an override must reset (Megatron-Bridge 067f987d,
// src/megatron/bridge/recipes/<family>/h100/*.py; the line is the recipe function's).
//
//   const BridgeRecipe& r = bridge_recipe(job.model);   // the model's own recipe, or vanilla GPT
//   // r.module + "." + r.function names it; r.comm_overlap: it sets a CommOverlapConfig
#pragma once

#include <string_view>
#include <vector>

#include "model/spec/model_spec.hpp"

namespace trainplan::exporter {

struct BridgeRecipe {
  std::string_view model_key;  // trainplan catalog key; "" for the generic fallback
  std::string_view module;     // Python module that defines the function
  std::string_view function;
  int line = 0;  // of the function in the module's file, at 067f987d
  // cfg.comm_overlap = CommOverlapConfig(...): without one (the _pretrain_common default None),
  // no comm_overlap.* override can be applied (hydra, struct mode: the node is null).
  bool comm_overlap = false;
};

// The recipe of the model's catalog key, else vanilla_gpt_pretrain_1gpu_h100_bf16_config (a bare
// GPTModelProvider with Megatron-Core defaults, which the export's architecture fields complete).
const BridgeRecipe& bridge_recipe(const ModelSpec& model);
// Every recipe of the table, the fallback last (for the test that reads them in the sources).
std::vector<BridgeRecipe> bridge_recipes();

}  // namespace trainplan::exporter
