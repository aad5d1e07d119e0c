#include "planner/export/rules.hpp"

#include "model/pipeline_layout.hpp"

#include <array>
#include <cmath>
#include <cstdio>

namespace trainplan::exporter {

namespace {
std::string num(long long v) { return std::to_string(v); }
}  // namespace

int gpus_per_node_used(const JobSpec& job) {
  const int per_node = job.cluster.node.gpus_per_node;
  return job.plan.gpus() < per_node ? job.plan.gpus() : per_node;
}

int nodes_used(const JobSpec& job) {
  const int per_node = gpus_per_node_used(job);
  return (job.plan.gpus() + per_node - 1) / per_node;
}

long long train_iters(const JobSpec& job) {
  if (job.training.token_budget <= 0) return kDefaultTrainIters;
  const double tokens_per_step = static_cast<double>(job.training.global_batch) * job.training.sequence_length;
  return static_cast<long long>(std::ceil(job.training.token_budget / tokens_per_step));
}

int middle_stage_layers(const JobSpec& job) {
  const PlanSpec& p = job.plan;
  const int uneven = (p.first_stage_layers > 0) + (p.last_stage_layers > 0);
  const int rest_stages = p.pp - uneven;
  if (rest_stages <= 0) return 0;
  return (job.model.layers - p.first_stage_layers - p.last_stage_layers) / rest_stages;
}

bool uses_fsdp_flags(const PlanSpec& p) { return p.fsdp == Fsdp::kFullShard || (p.fsdp == Fsdp::kNone && p.zero >= 2); }

std::string target_version(const JobSpec& job, ExportFormat format) {
  // The releases whose parsers and validation framework-check runs (its SOURCES.json and README).
  struct Target {
    ExportFormat format;
    const char* label;
    std::array<Framework, 2> frameworks;
    const char* checked;
  };
  static constexpr std::array<Target, 4> kTargets = {{
      {ExportFormat::kMegatron, "Megatron-LM", {Framework::kMegatronCore, Framework::kMegatronLm}, "d98e8a64 (main, 2026)"},
      {ExportFormat::kDeepSpeed, "DeepSpeed", {Framework::kDeepspeed, Framework::kMegatronDeepspeed}, "edaa7221 (master, 2026)"},
      {ExportFormat::kTorchtitan, "torchtitan", {Framework::kTorchtitan, Framework::kTorchtitan}, "v0.2.2"},
      {ExportFormat::kNemo, "Megatron-Bridge", {Framework::kMegatronBridge, Framework::kNemo}, "067f987d with Megatron-LM 2a75ac12"},
  }};
  for (const auto& t : kTargets) {
    if (t.format != format) continue;
    const Framework f = job.training.framework;
    const bool stated = !job.training.framework_version.empty() && (f == t.frameworks[0] || f == t.frameworks[1]);
    return std::string(t.label) + " " + (stated ? job.training.framework_version + " (the job's framework_version)" : t.checked);
  }
  return "?";
}

std::string format_number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

void check_common(const JobSpec& job, Refusals& r) {
  const PlanSpec& p = job.plan;
  const ModelSpec& m = job.model;
  const long long world = p.gpus();
  r.need(world <= job.cluster.gpus(), "the plan needs tp*pp*cp*dp = " + num(world) + " GPUs, the cluster has " + num(job.cluster.gpus()));
  // A node runs whole groups of ranks: torchrun/deepspeed start the same number of workers per node.
  r.need(world <= job.cluster.node.gpus_per_node || world % job.cluster.node.gpus_per_node == 0,
         "the plan's " + num(world) + " GPUs do not fill whole nodes of " + num(job.cluster.node.gpus_per_node));
  // GBS % (MBS*DP) == 0 (Megatron num_microbatches_calculator.py L340-347; DeepSpeed _batch_assertion
  // config.py L925-940; torchtitan train.py L200-215).
  const long long mbs_dp = static_cast<long long>(p.micro_batch) * p.dp;
  r.need(job.training.global_batch % mbs_dp == 0,
         "global batch " + num(job.training.global_batch) + " is not a multiple of micro_batch*dp = " + num(mbs_dp));
  // Where the layers go: Megatron's own checks (model/pipeline_layout.hpp).
  const std::string layout = layout_error(m, p);
  r.need(layout.empty(), layout);
  r.need(p.ep == 1 || (m.moe && m.moe->experts % p.ep == 0),
         "ep " + num(p.ep) + " does not divide the experts (" + num(m.moe ? m.moe->experts : 1) + ")");
}

void check_megatron(const JobSpec& job, Refusals& r) {
  const PlanSpec& p = job.plan;
  const ModelSpec& m = job.model;
  const long long world = p.gpus();
  // num_attention_heads % TP, num_query_groups % TP (transformer_config.py main L1446, L1462).
  r.need(m.heads % p.tp == 0,
         "tp " + num(p.tp) + " does not divide the " + num(m.heads) + " attention heads (transformer_config.py L1446)");
  r.need(m.mla || m.kv_heads % p.tp == 0,
         "tp " + num(p.tp) + " does not divide the " + num(m.kv_heads) + " query groups (transformer_config.py L1462)");
  // CP > 1: seq_length % (2*CP) == 0 (arguments.py L843).
  r.need(p.cp == 1 || job.training.sequence_length % (2 * p.cp) == 0,
         "sequence length " + num(job.training.sequence_length) + " is not a multiple of 2*cp (arguments.py L843)");
  // Experts: world % (ETP*EP*PP) == 0 (parallel_state.py main L874-884); EP is carved out of DP*CP.
  if (m.moe) {
    const long long etp_ep_pp = static_cast<long long>(p.expert_tp) * p.ep * p.pp;
    r.need(world % etp_ep_pp == 0,
           "world " + num(world) + " is not a multiple of expert_tp*ep*pp = " + num(etp_ep_pp) + " (parallel_state.py L874-884)");
  }
  // Expert bias (aux-loss-free routing) only with sigmoid scores; MoE biases only at ETP 1
  // (transformer_config.py __post_init__).
  r.need(!m.moe || !m.moe->router_bias || m.moe->score == RouterScore::kSigmoid,
         "an expert-bias router needs sigmoid scores (transformer_config.py: expert bias supports sigmoid and sqrtsoftplus)");
  r.need(!m.moe || !m.linear_bias || p.expert_tp == 1,
         "biased MoE linear layers need expert_tp 1 (transformer_config.py: Bias in MoE only with ETP 1)");
  // Megatron has 1F1B and its interleaved form only (megatron/core/pipeline_parallel/schedules.py).
  r.need(p.pp == 1 || p.schedule == Schedule::k1F1B || p.schedule == Schedule::kInterleaved,
         std::string("Megatron-LM has no \"") + schedule_name(p.schedule) + "\" pipeline schedule (only 1F1B and interleaved 1F1B)");
  // With VPP, PP > 2 unless P2P overlap is on (arguments.py L602-612).
  r.need(p.virtual_stages == 1 || p.pp > 2 || p.overlap_p2p, "interleaved schedule with pp <= 2 needs overlap_p2p (arguments.py L602-612)");
  // --tp-comm-overlap requires --sequence-parallel (arguments.py L930).
  r.need(!p.tp_comm_overlap || (p.tp > 1 && p.sequence_parallel),
         "tp_comm_overlap needs sequence parallelism at tp > 1 (arguments.py L930)");
  // Offload: only the optimizer state has flags (--optimizer-cpu-offload, --optimizer-offload-fraction).
  r.need(p.optimizer_offload.device != OffloadDevice::kNvme,
         "Megatron-LM cannot offload the optimizer state to NVMe (only --optimizer-cpu-offload)");
  r.need(p.param_offload.device == OffloadDevice::kNone, "Megatron-LM has no parameter offload flag");
  r.need(p.activation_offload.device == OffloadDevice::kNone, "activation offload is not exported for Megatron-LM");
  // FSDP2 (--use-torch-fsdp2): PP = 1, EP = 1, no distributed optimizer (arguments.py L634-640).
  // It also asserts untied embeddings and no fp16 (arguments.py d98e8a64, "if args.use_torch_fsdp2:").
  if (p.fsdp == Fsdp::kFullShard) {
    r.need(p.pp == 1 && p.ep == 1, "PyTorch FSDP2 (--use-torch-fsdp2) needs pp 1 and ep 1 (arguments.py L634-640)");
    r.need(!m.tied_embeddings,
           "--use-torch-fsdp2 requires --untie-embeddings-and-output-weights: this model ties them (arguments.py validate_args)");
    r.need(job.training.precision != Precision::kFp16, "--use-torch-fsdp2 does not support fp16 (arguments.py validate_args)");
  }
  r.need(p.fsdp != Fsdp::kHybridShard, "hybrid-shard FSDP is not exported for Megatron-LM");
  // Megatron-FSDP shards within DP; optimizer offload reuses the precision-aware optimizer path
  // (arguments.py validate_args "Optimizer CPU offload check").
  r.need(p.optimizer_offload.device == OffloadDevice::kNone || p.effective_zero() >= 1,
         "--optimizer-cpu-offload offloads the distributed optimizer's shard: needs zero >= 1");
  // Master-weight remainders are the precision-aware optimizer (TE FusedAdam), which Megatron-Core
  // builds for its distributed optimizer (megatron/core/optimizer/__init__.py passes the TE kwargs
  // to the DistributedOptimizer path; Megatron-FSDP uses it too), not for torch FSDP2; with
  // --optimizer-cpu-offload the hybrid optimizer keeps whole fp32 master weights instead.
  r.need(!p.param_remainders || (p.fsdp == Fsdp::kNone && (p.zero >= 1 || static_cast<long long>(p.dp) * p.cp == 1)),
         "master_params remainder is Megatron-Core's precision-aware optimizer, which runs in the distributed optimizer: needs zero 1-3 "
         "(or dp*cp 1), not zero 0 over " +
             std::to_string(static_cast<long long>(p.dp) * p.cp) + " ranks or torch FSDP2");
  r.need(!p.param_remainders || p.optimizer_offload.device == OffloadDevice::kNone,
         "master_params remainder with optimizer offload: Megatron's HybridDeviceOptimizer keeps whole fp32 master weights "
         "(cpu_offloading/hybrid_optimizer.py); set master_params fp32");
  // Torch FSDP2 with Transformer Engine >= 2.0 turns --fp8-param-gather off and gathers bf16
  // (arguments.py L1051-1057 at d98e8a64): the plan's fp8-only weights would not hold.
  r.need(!(p.fp8_param_gather && p.fsdp == Fsdp::kFullShard),
         "fp8_param_gather under torch FSDP2: Megatron turns it off with Transformer Engine >= 2.0 and keeps bf16 weights (arguments.py "
         "L1051-1057); use zero 1-3 (distributed optimizer, Megatron-FSDP)");
  // Biases: --disable-bias-linear clears every linear bias, QKV included; --add-qkv-bias adds them back
  // (arguments.py _add_network_size_args). A model with output biases but no QKV bias has no flags.
  r.need(!(m.linear_bias && !m.qkv_bias), "Megatron-LM cannot bias the linear layers without biasing QKV");
  r.need(m.activation != Activation::kRelu, "Megatron-LM pretrain_gpt.py has no plain ReLU flag (gelu, --swiglu, --squared-relu)");
}

}  // namespace trainplan::exporter
