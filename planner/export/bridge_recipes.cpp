#include "planner/export/bridge_recipes.hpp"

#include <iterator>

namespace trainplan::exporter {

namespace {

// Read off the recipe files at Megatron-Bridge 067f987d (../shared/tools/framework-check/src/bridge):
// the function's line, and whether its body assigns cfg.comm_overlap = CommOverlapConfig(...).
constexpr BridgeRecipe kRecipes[] = {
    {"llama3-8b", "megatron.bridge.recipes.llama.h100.llama3", "llama3_8b_pretrain_2gpu_h100_bf16_config", 235, false},
    {"llama3-70b", "megatron.bridge.recipes.llama.h100.llama3", "llama3_70b_pretrain_32gpu_h100_bf16_config", 717, true},
    {"llama3.1-8b", "megatron.bridge.recipes.llama.h100.llama3", "llama31_8b_pretrain_2gpu_h100_bf16_config", 1020, false},
    {"llama3.1-70b", "megatron.bridge.recipes.llama.h100.llama3", "llama31_70b_pretrain_32gpu_h100_bf16_config", 1107, true},
    {"llama3.1-405b", "megatron.bridge.recipes.llama.h100.llama3", "llama31_405b_pretrain_256gpu_h100_bf16_config", 1200, true},
    {"llama2-7b", "megatron.bridge.recipes.llama.h100.llama2", "llama2_7b_pretrain_2gpu_h100_bf16_config", 25, true},
    {"gpt3-175b", "megatron.bridge.recipes.gpt.h100.gpt3_175b", "gpt3_175b_pretrain_32gpu_h100_bf16_config", 26, true},
    {"deepseek-v3", "megatron.bridge.recipes.deepseek.h100.deepseek_v3", "deepseek_v3_pretrain_1024gpu_h100_bf16_config", 105, true},
    {"qwen2-7b", "megatron.bridge.recipes.qwen.h100.qwen2", "qwen2_7b_pretrain_2gpu_h100_bf16_config", 213, false},
    {"qwen2-72b", "megatron.bridge.recipes.qwen.h100.qwen2", "qwen2_72b_pretrain_32gpu_h100_bf16_config", 302, false},
};
constexpr BridgeRecipe kVanilla = {"", "megatron.bridge.recipes.gpt.h100.vanilla_gpt", "vanilla_gpt_pretrain_1gpu_h100_bf16_config", 52,
                                   false};

}  // namespace

const BridgeRecipe& bridge_recipe(const ModelSpec& model) {
  for (const auto& r : kRecipes)
    if (r.model_key == model.key) return r;
  return kVanilla;
}

std::vector<BridgeRecipe> bridge_recipes() {
  std::vector<BridgeRecipe> all(std::begin(kRecipes), std::end(kRecipes));
  all.push_back(kVanilla);
  return all;
}

}  // namespace trainplan::exporter
