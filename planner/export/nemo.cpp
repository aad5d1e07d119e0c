// NeMo 2 / Megatron-Bridge export: ConfigContainer field overrides (cfg.model.*, cfg.train.*,
// cfg.ddp.*, cfg.optimizer.*) and a torch.distributed.run launch line (interfaces.md §4).
// Megatron-Bridge runs Megatron-Core, so the Megatron rules apply (rules.cpp check_megatron).
#include "planner/export/export.hpp"
#include "planner/export/rules.hpp"

namespace trainplan::exporter {

namespace {

std::string num(long long v) { return std::to_string(v); }
std::string boolean(bool b) { return b ? "true" : "false"; }

std::vector<std::string> overrides(const JobSpec& job, Refusals& r) {
  const PlanSpec& p = job.plan;
  const ModelSpec& m = job.model;
  std::vector<std::string> o;
  auto set = [&](const std::string& key, const std::string& value) { o.push_back(key + "=" + value); };
  // Model shape: TransformerConfig fields, HF names mapped as model_bridge.py CONFIG_MAPPING (§1.5).
  set("model.num_layers", num(m.layers));
  set("model.hidden_size", num(m.hidden));
  set("model.ffn_hidden_size", num(m.ffn_hidden));
  set("model.num_attention_heads", num(m.heads));
  if (!m.mla) {
    set("model.num_query_groups", num(m.kv_heads));
    set("model.kv_channels", num(m.head_dim));
  }
  set("model.seq_length", num(job.training.sequence_length));
  if (!m.learned_positions) {
    // TransformerConfig / GPTModelProvider rotary fields (Megatron-Bridge models/gpt_provider.py).
    set("model.rotary_base", num(m.rope.theta));
    if (m.rope.scaling != RopeScaling::kNone) set("model.rotary_scaling_factor", format_number(m.rope.factor));
  }
  if (m.moe) {
    set("model.num_moe_experts", num(m.moe->experts));
    set("model.moe_router_score_function", router_score_name(m.moe->score));
    set("model.moe_router_enable_expert_bias", boolean(m.moe->router_bias));
    set("model.moe_aux_loss_coeff", format_number(m.moe->aux_loss_coeff));
    set("model.moe_router_topk", num(m.moe->top_k));
    set("model.moe_ffn_hidden_size", num(m.moe->expert_ffn_hidden));
    if (m.moe->shared_experts > 0) set("model.moe_shared_expert_intermediate_size", num(m.moe->shared_experts * m.moe->shared_ffn_hidden));
  }
  // Parallelism (§4 cfg.model.*).
  set("model.tensor_model_parallel_size", num(p.tp));
  set("model.pipeline_model_parallel_size", num(p.pp));
  set("model.virtual_pipeline_model_parallel_size", p.virtual_stages > 1 ? num(p.virtual_stages) : "null");
  set("model.context_parallel_size", num(p.cp));
  set("model.sequence_parallel", boolean(p.sequence_parallel && p.tp > 1));
  if (p.sequence_parallel && p.tp == 1) r.notes.push_back("sequence parallelism dropped: Megatron turns it off at tp 1 (arguments.py L919-928)");
  set("model.expert_model_parallel_size", num(p.ep));
  set("model.expert_tensor_parallel_size", num(m.moe ? p.expert_tp : p.tp));
  // Uneven stages: TransformerConfig num_layers_in_first/last_pipeline_stage (arguments.py
  // core_transformer_config_from_args maps --decoder-first/last-pipeline-num-layers to them).
  if (p.first_stage_layers > 0) set("model.num_layers_in_first_pipeline_stage", num(p.first_stage_layers));
  if (p.last_stage_layers > 0) set("model.num_layers_in_last_pipeline_stage", num(p.last_stage_layers));
  if (p.pp > 1) set("model.pipeline_dtype", job.training.precision == Precision::kFp16 ? "torch.float16" : "torch.bfloat16");
  set("model.overlap_p2p_comm", boolean(p.overlap_p2p && p.virtual_stages > 1));
  if (p.recompute == Recompute::kSelective) set("model.recompute_granularity", "selective");
  if (p.recompute == Recompute::kFull) {
    set("model.recompute_granularity", "full");
    set("model.recompute_method", p.recompute_layers > 0 ? "block" : "uniform");
    set("model.recompute_num_layers", num(p.recompute_layers > 0 ? p.recompute_layers : 1));
  }
  // Written either way: the H100 recipes turn it on with a TP-4 userbuffer config (Bridge recipes).
  set("comm_overlap.tp_comm_overlap", boolean(p.tp_comm_overlap));
  if (!p.tp_grad_overlap && p.tp > 1)
    r.notes.push_back("tp_grad_overlap off (synchronous backward TP collectives) is Megatron-LM before 2022; current releases always overlap: not written");
  // Batch and run length (§4 cfg.train.*).
  set("train.global_batch_size", num(job.training.global_batch));
  set("train.micro_batch_size", num(p.micro_batch));
  set("train.train_iters", num(train_iters(job)));
  // Data parallelism (§4 cfg.ddp.*): distributed optimizer = ZeRO-1; Megatron-FSDP for ZeRO-2/3.
  const bool fsdp = p.effective_zero() >= 2;
  const bool sharded = p.effective_zero() >= 1;
  // The precision-aware optimizer (master_params remainder) runs in the distributed optimizer
  // (rules.cpp), which at dp*cp 1 shards over one rank.
  const bool distributed_optimizer = sharded || p.param_remainders;
  set("ddp.use_distributed_optimizer", boolean(distributed_optimizer));
  set("optimizer.use_distributed_optimizer", boolean(distributed_optimizer));
  set("ddp.use_megatron_fsdp", boolean(fsdp));
  if (fsdp) set("ddp.data_parallel_sharding_strategy", p.effective_zero() == 2 ? "optim_grads" : "optim_grads_params");
  // Megatron-FSDP saves fsdp_dtensor checkpoints only (arguments.py validate_args; Bridge's
  // CheckpointConfig.ckpt_format).
  if (fsdp) set("checkpoint.ckpt_format", "fsdp_dtensor");
  // The recipe's sequence length, data side: the model's alone leaves the dataset at the recipe's.
  set("dataset.seq_length", num(job.training.sequence_length));
  set("ddp.overlap_grad_reduce", boolean(p.overlap_grad_reduce));
  // --overlap-param-gather needs the distributed optimizer and grad overlap (arguments.py L626-630).
  set("ddp.overlap_param_gather", boolean(p.overlap_param_gather && sharded && p.overlap_grad_reduce));
  set("ddp.grad_reduce_in_fp32", boolean(!p.grad_reduce_bf16));
  set("optimizer.optimizer", job.training.optimizer == Optimizer::kSgd ? "sgd" : "adam");
  if (p.optimizer_offload.device == OffloadDevice::kCpu) {
    set("optimizer.optimizer_cpu_offload", "true");
    set("optimizer.optimizer_offload_fraction", format_number(p.optimizer_offload.fraction));
  }
  // Required with CPU offload (arguments.py); keeps master weights as 16-bit remainders (megatron.cpp).
  if (p.optimizer_offload.device == OffloadDevice::kCpu || p.param_remainders) set("optimizer.use_precision_aware_optimizer", "true");
  // Mixed precision recipes registered in megatron/bridge/training/mixed_precision.py.
  switch (job.training.precision) {
    case Precision::kBf16: set("mixed_precision", "bf16_mixed"); break;
    case Precision::kFp16: set("mixed_precision", "fp16_mixed"); break;
    case Precision::kFp8: set("mixed_precision", "bf16_with_fp8_delayed_scaling_mixed"); break;
    case Precision::kFp32:
    case Precision::kTf32: r.notes.push_back("fp32 training: no mixed_precision recipe"); break;
  }
  return o;
}

std::string recipe_name(const ModelSpec& m) {
  std::string k = m.key;
  for (char& c : k)
    if (c == '-' || c == '.') c = '_';
  return k + "_pretrain_config";
}

}  // namespace

ExportResult export_nemo(const JobSpec& job) {
  Refusals r;
  check_common(job, r);
  check_megatron(job, r);
  // Megatron-Bridge wraps with Megatron-Core DDP or Megatron-FSDP only.
  r.need(job.plan.fsdp == Fsdp::kNone || job.plan.pp == 1, "FSDP with pipeline parallelism is not exported for Megatron-Bridge");
  ExportResult out;
  if (!r.reasons.empty()) {
    out.reasons = r.reasons;
    return out;
  }
  if (job.plan.fsdp == Fsdp::kFullShard) r.notes.push_back("FSDP full shard written as Megatron-FSDP optim_grads_params (ZeRO-3)");
  auto o = overrides(job, r);
  const PlanSpec& p = job.plan;
  std::string text = "# Megatron-Bridge ConfigContainer overrides for " + job.model.name + ", written by trainplan (interfaces.md §4).\n";
  text += "# Targets " + target_version(job, ExportFormat::kNemo) + ". Start from the recipe closest to the model (e.g. " +
          recipe_name(job.model) + ") and apply these.\n";
  for (const auto& line : o) text += line + "\n";
  std::string launch = "#!/bin/bash\n";
  launch += "# Megatron-Bridge launch for " + job.model.name + " on " + num(p.gpus()) + " GPUs (" + job.cluster.name + "), written by trainplan.\n";
  launch += "# Run once per node with NODE_RANK = 0.." + num(nodes_used(job) - 1) + "; the overrides are those of overrides.txt.\n";
  launch += "set -euo pipefail\n\n";
  launch += uses_fsdp_flags(p) ? "unset CUDA_DEVICE_MAX_CONNECTIONS  # Megatron-FSDP needs it unset or > 1\n"
                                : "export CUDA_DEVICE_MAX_CONNECTIONS=1\n";
  launch += "NODE_RANK=${NODE_RANK:-0}\nMASTER_ADDR=${MASTER_ADDR:-localhost}\n\n";
  launch += "python -m torch.distributed.run --nproc_per_node " + num(gpus_per_node_used(job)) + " --nnodes " + num(nodes_used(job)) +
            " --node_rank $NODE_RANK --master_addr $MASTER_ADDR --master_port 29500 \\\n";
  launch += "    pretrain_cli_overrides.py";
  for (const auto& line : o) launch += " \\\n    " + line;
  launch += "\n";
  out.files.push_back({"overrides.txt", text, false});
  out.files.push_back({"launch.sh", launch, true});
  out.notes = r.notes;
  return out;
}

}  // namespace trainplan::exporter
