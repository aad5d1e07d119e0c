// The training framework a job runs on (contract: `training.framework`, `framework_version` and
// the job's `date`). One name table serves the readers, the writers and the error messages.
//
//   std::optional<Framework> f = parse_framework("megatron-core");   // Framework::kMegatronCore
//   framework_name(Framework::kNemo)                                  // "nemo"
//
// A job that names none is read as Megatron-Core (kAssumedFramework): the plan knobs trainplan
// models are Megatron-Core's (README, "Specs").
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>

namespace trainplan {

enum class Framework {
  kUnstated,
  kMegatronLm,         // NVIDIA Megatron-LM before Megatron-Core
  kMegatronCore,       // Megatron-LM with Megatron-Core
  kNemo,               // NeMo on Megatron-Core
  kMegatronBridge,     // NeMo Megatron-Bridge
  kMegatronDeepspeed,  // DeepSpeed's Megatron fork and its derivatives
  kDeepspeed,          // DeepSpeed ZeRO without Megatron model parallelism
  kPytorchFsdp,
  kComposer,  // MosaicML Composer / llm-foundry on PyTorch FSDP
  kTorchtitan,
  kMetaseq,
  kMegascale,
  kOther,
};

// The contract's names (../shared/docs/contract.md, "The framework is an input"; the validation
// README's `training.framework`), in enum order after kUnstated.
inline constexpr std::array<std::string_view, 12> kFrameworkNames = {
    "megatron-lm",  "megatron-core", "nemo",       "megatron-bridge", "megatron-deepspeed", "deepspeed",
    "pytorch-fsdp", "composer",      "torchtitan", "metaseq",         "megascale",          "other"};

inline constexpr Framework kAssumedFramework = Framework::kMegatronCore;

const char* framework_name(Framework f);  // "unstated" for kUnstated
std::optional<Framework> parse_framework(std::string_view name);
// The framework a prediction is made for: the stated one, else kAssumedFramework.
inline Framework effective_framework(Framework f) { return f == Framework::kUnstated ? kAssumedFramework : f; }
// "YYYY" or "YYYY-MM" with a month 01-12 and a year from 2000 to 2099.
bool valid_date(std::string_view date);
// "\"megatron-lm\", \"megatron-core\", ..." for error messages.
std::string framework_choices();

}  // namespace trainplan
