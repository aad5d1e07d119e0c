// Validity rules of a plan for a problem, as the frameworks enforce them (Megatron-LM's
// arguments.py checks; DeepSpeed's offload_param needing stage 3). The enumerator
// (planner/search/space.hpp) generates only plans that pass every rule; check_rules states them
// one by one so that each can be tested and so that a fixed plan can be explained.
//
//   if (auto v = check_rules(problem, plan, global_batch)) std::cerr << rule_key(v->rule) << ": " << v->message;
#pragma once

#include <optional>
#include <string>

#include "planner/search/problem.hpp"

namespace trainplan::planner {

enum class Rule {
  kHeadsByTp,                // tp divides the attention heads
  kKvHeadsByTp,              // tp divides the KV heads (Megatron divides query groups over TP)
  kTpInScaleUp,              // tp fits one node's scale-up domain unless allow_tp_across_nodes
  kSequenceParallelTp,       // sequence parallel only with tp > 1
  kLayersByStages,           // layers split over pp x virtual stages (uneven first/last allowed)
  kBatchByMicroBatchDp,      // micro_batch x dp divides the global batch
  kExpertsByEp,              // ep divides the experts (ep 1 for a dense model)
  kEpDividesDpCp,            // ep divides dp x cp (experts are carved out of data parallelism)
  kExpertTpDividesTp,        // expert_tp divides tp
  kSequenceByCp,             // 2 x cp divides the sequence (load-balanced causal CP)
  kGpuCount,                 // min_gpus <= tp x pp x cp x dp <= the GPUs available
  kScheduleVirtual,          // interleaved <=> virtual_stages > 1, with pp > 1
  kInterleavedMicroBatches,  // interleaving needs the micro-batch count divisible by pp (Megatron)
  kZeroOrFsdp,               // zero and fsdp are exclusive
  kParamOffloadZero3,        // parameter offload needs ZeRO-3 / FSDP
  kNvmeAvailable,            // NVMe offload needs NVMe on the nodes
  kRecomputeLayers,          // recompute_layers only with full recompute
  kGlobalBatchRange,         // the global batch lies in the problem's range
};
const char* rule_key(Rule r);

struct RuleViolation {
  Rule rule;
  std::string message;
};

// The first rule the plan breaks, or nullopt when it is valid for the problem.
std::optional<RuleViolation> check_rules(const PlanProblem& problem, const PlanSpec& plan, long long global_batch);

}  // namespace trainplan::planner
