#include "planner/search/rules.hpp"

#include "model/pipeline_layout.hpp"

namespace trainplan::planner {

const char* rule_key(Rule r) {
  switch (r) {
    case Rule::kHeadsByTp: return "heads_by_tp";
    case Rule::kKvHeadsByTp: return "kv_heads_by_tp";
    case Rule::kTpInScaleUp: return "tp_in_scale_up";
    case Rule::kSequenceParallelTp: return "sequence_parallel_tp";
    case Rule::kLayersByStages: return "layers_by_stages";
    case Rule::kBatchByMicroBatchDp: return "batch_by_micro_batch_dp";
    case Rule::kExpertsByEp: return "experts_by_ep";
    case Rule::kEpDividesDpCp: return "ep_divides_dp_cp";
    case Rule::kExpertTpDividesTp: return "expert_tp_divides_tp";
    case Rule::kSequenceByCp: return "sequence_by_cp";
    case Rule::kGpuCount: return "gpu_count";
    case Rule::kScheduleVirtual: return "schedule_virtual_stages";
    case Rule::kInterleavedMicroBatches: return "interleaved_micro_batches";
    case Rule::kZeroOrFsdp: return "zero_or_fsdp";
    case Rule::kParamOffloadZero3: return "param_offload_zero3";
    case Rule::kNvmeAvailable: return "nvme_available";
    case Rule::kRecomputeLayers: return "recompute_layers";
    case Rule::kGlobalBatchRange: return "global_batch_range";
  }
  return "rule";
}

std::optional<RuleViolation> check_rules(const PlanProblem& problem, const PlanSpec& p, long long gb) {
  const ModelSpec& m = problem.model;
  const auto s = [](long long v) { return std::to_string(v); };
  auto fail = [](Rule r, std::string msg) { return std::optional<RuleViolation>(RuleViolation{r, std::move(msg)}); };
  if (m.heads % p.tp != 0) return fail(Rule::kHeadsByTp, "tp " + s(p.tp) + " does not divide the " + s(m.heads) + " attention heads");
  if (m.kv_heads % p.tp != 0) return fail(Rule::kKvHeadsByTp, "tp " + s(p.tp) + " does not divide the " + s(m.kv_heads) + " KV heads");
  if (!problem.search.allow_tp_across_nodes && p.tp > problem.cluster.node.scale_up_domain)
    return fail(Rule::kTpInScaleUp,
                "tp " + s(p.tp) + " exceeds the scale-up domain of " + s(problem.cluster.node.scale_up_domain) + " GPUs");
  if (p.sequence_parallel && p.tp == 1) return fail(Rule::kSequenceParallelTp, "sequence parallel needs tp > 1");
  if (p.pp > m.layers) return fail(Rule::kLayersByStages, "pp " + s(p.pp) + " exceeds the " + s(m.layers) + " layers");
  if (std::string why = layout_error(m, p); !why.empty()) return fail(Rule::kLayersByStages, why);
  if (gb % (static_cast<long long>(p.micro_batch) * p.dp) != 0)
    return fail(Rule::kBatchByMicroBatchDp,
                "micro_batch x dp (" + s(static_cast<long long>(p.micro_batch) * p.dp) + ") does not divide the global batch " + s(gb));
  if (p.ep > 1 && (!m.moe || m.moe->experts % p.ep != 0))
    return fail(Rule::kExpertsByEp,
                m.moe ? "ep " + s(p.ep) + " does not divide the " + s(m.moe->experts) + " experts" : "ep > 1 on a dense model");
  if ((static_cast<long long>(p.dp) * p.cp) % p.ep != 0)
    return fail(Rule::kEpDividesDpCp, "ep " + s(p.ep) + " does not divide dp x cp (" + s(static_cast<long long>(p.dp) * p.cp) + ")");
  if (p.tp % p.expert_tp != 0) return fail(Rule::kExpertTpDividesTp, "expert_tp " + s(p.expert_tp) + " does not divide tp " + s(p.tp));
  if (p.cp > 1 && problem.training.sequence_length % (2 * p.cp) != 0)
    return fail(Rule::kSequenceByCp,
                "2 x cp (" + s(2 * p.cp) + ") does not divide the sequence length " + s(problem.training.sequence_length));
  const long long gpus = static_cast<long long>(p.tp) * p.pp * p.cp * p.dp;
  if (gpus > problem.max_gpus() || gpus < problem.search.min_gpus)
    return fail(Rule::kGpuCount, s(gpus) + " GPUs outside [" + s(problem.search.min_gpus) + ", " + s(problem.max_gpus()) + "]");
  if ((p.schedule == Schedule::kInterleaved) != (p.virtual_stages > 1) || (p.virtual_stages > 1 && p.pp == 1))
    return fail(Rule::kScheduleVirtual, "the interleaved schedule goes with virtual_stages > 1 and pp > 1");
  if (p.schedule == Schedule::kInterleaved && (gb / (static_cast<long long>(p.micro_batch) * p.dp)) % p.pp != 0)
    return fail(Rule::kInterleavedMicroBatches, "interleaving needs the micro-batch count divisible by pp " + s(p.pp));
  if (p.zero > 0 && p.fsdp != Fsdp::kNone) return fail(Rule::kZeroOrFsdp, "zero and fsdp are exclusive");
  if (p.param_offload.device != OffloadDevice::kNone && p.effective_zero() != 3)
    return fail(Rule::kParamOffloadZero3, "parameter offload needs ZeRO-3 or FSDP");
  const bool nvme = p.optimizer_offload.device == OffloadDevice::kNvme || p.param_offload.device == OffloadDevice::kNvme ||
                    p.activation_offload.device == OffloadDevice::kNvme;
  if (nvme && !problem.cluster.node.nvme_capacity) return fail(Rule::kNvmeAvailable, "the nodes have no NVMe");
  if (p.recompute_layers > 0 && p.recompute != Recompute::kFull)
    return fail(Rule::kRecomputeLayers, "recompute_layers needs full recompute");
  if (gb < problem.batch_min() || gb > problem.batch_max())
    return fail(Rule::kGlobalBatchRange,
                "global batch " + s(gb) + " outside [" + s(problem.batch_min()) + ", " + s(problem.batch_max()) + "]");
  return std::nullopt;
}

}  // namespace trainplan::planner
