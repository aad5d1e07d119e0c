// What the software of a published run could do: the year of the run's `date` (an input of the
// row, contract: "The framework is an input") and the first year each knob that `validate` fills
// was public. The fill (validation.cpp) tries a feature only when the run is not older than it: a
// 2020 run is not given 2022's sequence parallelism. Nothing here reads a row's id or source.
//
//   SoftwareEra era{date_year("2021-04")};     // 2021
//   era.has(Feature::kSequenceParallel)        // false (Korthikanti et al. 2022)
#pragma once

#include <string_view>

namespace trainplan {

enum class Feature {
  kInterleavedSchedule,  // Narayanan et al. SC'21 §2.2.2 (arXiv:2104.04473, April 2021)
  kSequenceParallel,     // Korthikanti et al. 2022 §4.2.2 (arXiv:2205.05198, May 2022)
  kSelectiveRecompute,   // Korthikanti et al. 2022 §5 (same paper)
  kFlashAttention,       // FlashAttention (Dao et al., arXiv:2205.14135, May 2022) in the training
                         // frameworks: PyTorch 2.0 scaled_dot_product_attention (March 2023),
                         // Megatron-LM --use-flash-attn (2023); the year is the frameworks'
  kTpGradOverlap,        // backward TP collectives under the gradient GEMMs: Megatron-LM
                         // --async-tensor-model-parallel-allreduce (apex's tensor-parallel layers
                         // carry "2021-22"), then LinearWithGradAccumulationAndAsyncCommunication
                         // with sequence parallelism. First seen late 2021; at a year's grain the
                         // first year every release had it, 2022. The 2021 runs of Narayanan et
                         // al. (arXiv:2104.04473, April 2021) predate it either way.
  kTpCommOverlap,        // Transformer Engine userbuffers, Megatron-Core --tp-comm-overlap (2023)
  kAccountForLayers,     // the embedding and loss counted as pipeline layers, also with interleaving
                         // (Megatron-Core ef490839, 2025-02-03, "Uneven Virtual Pipeline
                         // Parallelism": account_for_{embedding,loss}_in_pipeline_split); what
                         // Megatron-Bridge's 405B recipes set (recipes/llama/h100/llama3.py L1227)
  kParamRemainders,      // fp32 master weights kept as 16-bit remainders of the bf16 weights:
                         // Apex DistributedFusedAdam store_param_remainders (apex PR #1463) and
                         // NeMo's distributed_fused_adam using it (NeMo PR #4796), August 2022.
                         // Years, not frameworks: Megatron-LM has it only from 2025 (TE
                         // FusedAdam), so its 2022-2024 runs are given it too (README says so)
};

// The first year the feature was public (the sources above).
int first_public_year(Feature f);

// The year of a date "YYYY" or "YYYY-MM" (model/spec/framework.hpp, valid_date); 0 when there is
// none or it is malformed: such a run gets every feature.
int date_year(std::string_view date);

struct SoftwareEra {
  int year = 0;  // 0: unknown
  [[nodiscard]] bool has(Feature f) const { return year == 0 || year >= first_public_year(f); }
};

}  // namespace trainplan
