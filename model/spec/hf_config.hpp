// Hugging Face config.json → ModelSpec (Llama, Qwen2/3, Qwen2-MoE/Qwen3-MoE, Mixtral, DeepSeek-V3
// field names; docs/interfaces.md §5).
//
//   {"model": {"hf_config": "Meta-Llama-3-8B/config.json"}}   in a job, or
//   trainplan predict ... with a model file that is itself a config.json
#pragma once

#include <string>
#include <vector>

#include "model/json_reader.hpp"
#include "model/spec/model_spec.hpp"

namespace trainplan {

bool looks_like_hf_config(const Json& j);
// What the reader does not model in this config, one sentence each (empty: nothing known): a
// model_type outside the families whose field names it reads, and fields of architectures it reads
// as a plain transformer (logit soft-capping and GeGLU of Gemma 2/3, Mamba layers of hybrids,
// Llama 4's interleaved MoE). The GUI lists them as warnings.
std::vector<std::string> hf_config_caveats(const Json& j);
ModelSpec read_hf_config(const Node& node);
// {"hf_config": "path", "name"?: "..."}: loads the file (relative to base_dir) and reads it.
ModelSpec read_hf_model_reference(const Node& node, const std::string& base_dir);

}  // namespace trainplan
