// NeMo 2 / Megatron-Bridge export: ConfigContainer field overrides (cfg.model.*, cfg.train.*,
// cfg.ddp.*, cfg.optimizer.*) and a torch.distributed.run launch line (docs/interfaces.md §4).
// Megatron-Bridge runs Megatron-Core, so the Megatron rules apply (rules.cpp check_megatron).
#include "planner/export/bridge_recipes.hpp"
#include "planner/export/export.hpp"
#include "planner/export/megatron.hpp"
#include "planner/export/rules.hpp"

namespace trainplan::exporter {

namespace {

std::string num(long long v) { return std::to_string(v); }
std::string boolean(bool b) { return b ? "true" : "false"; }

// The activation as Megatron-Bridge's serialisable name (utils/activation_map.py): SwiGLU is silu
// with gated_linear_unit.
const char* activation_func(Activation a) {
  switch (a) {
    case Activation::kSwiglu: return "silu";
    case Activation::kRelu: return "relu";
    case Activation::kSquaredRelu: return "squared_relu";
    case Activation::kGelu: break;
  }
  return "gelu";
}

// The mixed-precision recipe of the training precision (training/mixed_precision.py, registered
// names), or nullptr for fp32. ConfigContainer setup copies the recipe's grad_reduce_in_fp32 onto
// cfg.ddp (config.py L2012-2016, mixed_precision.py L127-135), so a ddp.grad_reduce_in_fp32
// override would be overwritten; and a field of a recipe named by a string cannot be overridden.
// The training script sets it on the resolved recipe instead (training_script).
const char* precision_recipe(Precision p) {
  switch (p) {
    case Precision::kBf16: return "bf16_mixed";
    case Precision::kFp16: return "fp16_mixed";
    case Precision::kFp8: return "bf16_with_fp8_delayed_scaling_mixed";
    case Precision::kFp32:
    case Precision::kTf32: break;
  }
  return nullptr;
}

void check_bridge(const JobSpec& job, const BridgeRecipe& recipe, Refusals& r) {
  const PlanSpec& p = job.plan;
  // Megatron-Bridge wraps with Megatron-Core DDP or Megatron-FSDP only.
  r.need(p.fsdp == Fsdp::kNone || p.pp == 1, "FSDP with pipeline parallelism is not exported for Megatron-Bridge");
  r.need(recipe.comm_overlap || !p.tp_comm_overlap,
         std::string(recipe.function) +
             " sets no CommOverlapConfig (comm_overlap stays None from _pretrain_common): an override cannot turn TP "
             "communication overlap on");
  // The vanilla GPTModelProvider has no multi-latent attention; DeepSeek's recipe does.
  r.need(!job.model.mla || !recipe.model_key.empty(),
         "multi-latent attention needs a Megatron-Bridge recipe of that model; " + job.model.key + " has none (vanilla GPT has no MLA)");
}

std::vector<std::string> overrides(const JobSpec& job, const BridgeRecipe& recipe, Refusals& r) {
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
  // Architecture, so that the vanilla GPT recipe (Megatron-Core defaults: LayerNorm, GeLU, biases,
  // learned positions, tied embeddings) and a model's own recipe build the same model.
  set("model.normalization", m.layernorm ? "LayerNorm" : "RMSNorm");
  set("model.gated_linear_unit", boolean(m.activation == Activation::kSwiglu));
  set("model.activation_func", activation_func(m.activation));
  set("model.add_bias_linear", boolean(m.linear_bias));
  set("model.add_qkv_bias", boolean(m.qkv_bias));
  set("model.position_embedding_type", m.learned_positions ? "learned_absolute" : m.rope.scaling == RopeScaling::kYarn ? "yarn" : "rope");
  set("model.share_embeddings_and_output_weights", boolean(m.tied_embeddings));
  set("model.vocab_size", num(m.vocab));
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
  if (p.sequence_parallel && p.tp == 1)
    r.notes.push_back("sequence parallelism dropped: Megatron turns it off at tp 1 (arguments.py L919-928)");
  set("model.expert_model_parallel_size", num(p.ep));
  set("model.expert_tensor_parallel_size", num(m.moe ? p.expert_tp : p.tp));
  // Uneven stages: TransformerConfig num_layers_in_first/last_pipeline_stage (arguments.py
  // core_transformer_config_from_args maps --decoder-first/last-pipeline-num-layers to them).
  if (p.first_stage_layers > 0) set("model.num_layers_in_first_pipeline_stage", num(p.first_stage_layers));
  if (p.last_stage_layers > 0) set("model.num_layers_in_last_pipeline_stage", num(p.last_stage_layers));
  // The embedding/loss counted as layers and the explicit layout as the plan says, resetting what a
  // recipe sets (the 405B recipes count both, llama3.py L1227-1228; the DeepSeek-V3 recipes set a
  // layout, deepseek/h100/deepseek_v3.py L50-68). A layout is a quoted string in the override
  // grammar (its "(", ")" and "," are otherwise syntax).
  set("model.account_for_embedding_in_pipeline_split", boolean(p.account_for_embedding));
  set("model.account_for_loss_in_pipeline_split", boolean(p.account_for_loss));
  set("model.pipeline_model_parallel_layout", p.pipeline_layout.empty() ? "null" : "\"" + p.pipeline_layout + "\"");
  if (p.pp > 1) set("model.pipeline_dtype", job.training.precision == Precision::kFp16 ? "torch.float16" : "torch.bfloat16");
  // Overlap switches, shared by the model / ddp sections and the recipe's CommOverlapConfig: p2p
  // overlap only with interleaving; --overlap-param-gather needs the distributed optimizer and grad
  // overlap (arguments.py L626-630).
  const bool overlap_p2p = p.overlap_p2p && p.virtual_stages > 1;
  const bool sharded = p.effective_zero() >= 1;
  const bool overlap_param_gather = p.overlap_param_gather && sharded && p.overlap_grad_reduce;
  set("model.overlap_p2p_comm", boolean(overlap_p2p));
  if (p.recompute == Recompute::kNone) set("model.recompute_granularity", "null");
  if (p.recompute == Recompute::kSelective) set("model.recompute_granularity", "selective");
  if (p.recompute == Recompute::kFull) {
    set("model.recompute_granularity", "full");
    set("model.recompute_method", p.recompute_layers > 0 ? "block" : "uniform");
    set("model.recompute_num_layers", num(p.recompute_layers > 0 ? p.recompute_layers : 1));
  }
  // The recipe's CommOverlapConfig (70B/405B/GPT-3: tp_comm_overlap=True with userbuffers sized for
  // their TP, hidden size and sequence): reset to the plan, the userbuffer shapes to TE's defaults,
  // and its overlap switches (which override cfg.ddp / the model when set) to the plan's.
  if (recipe.comm_overlap) {
    set("comm_overlap.tp_comm_overlap", boolean(p.tp_comm_overlap));
    set("comm_overlap.tp_comm_overlap_cfg", "null");
    set("comm_overlap.overlap_p2p_comm", boolean(overlap_p2p));
    set("comm_overlap.overlap_grad_reduce", boolean(p.overlap_grad_reduce));
    set("comm_overlap.overlap_param_gather", boolean(overlap_param_gather));
  }
  if (!p.tp_grad_overlap && p.tp > 1)
    r.notes.push_back(
        "tp_grad_overlap off (synchronous backward TP collectives) is Megatron-LM before 2022; current releases always overlap: not "
        "written");
  // Batch and run length (§4 cfg.train.*).
  set("train.global_batch_size", num(job.training.global_batch));
  set("train.micro_batch_size", num(p.micro_batch));
  set("train.train_iters", num(train_iters(job)));
  // Data parallelism (§4 cfg.ddp.*): distributed optimizer = ZeRO-1; Megatron-FSDP for ZeRO-2/3.
  const bool fsdp = p.effective_zero() >= 2;
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
  set("ddp.overlap_param_gather", boolean(overlap_param_gather));
  // ddp.grad_reduce_in_fp32 comes from the mixed-precision recipe: set in the training script.
  set("optimizer.optimizer", job.training.optimizer == Optimizer::kSgd ? "sgd" : "adam");
  if (p.optimizer_offload.device == OffloadDevice::kCpu) {
    set("optimizer.optimizer_cpu_offload", "true");
    set("optimizer.optimizer_offload_fraction", format_number(p.optimizer_offload.fraction));
  }
  // Required with CPU offload (arguments.py); keeps master weights as 16-bit remainders (megatron.cpp).
  if (p.optimizer_offload.device == OffloadDevice::kCpu || p.param_remainders) set("optimizer.use_precision_aware_optimizer", "true");
  if (const char* mp = precision_recipe(job.training.precision))
    set("mixed_precision", mp);
  else
    r.notes.push_back("fp32 training: no mixed_precision recipe");
  return o;
}

// The training script launch.sh runs: the recipe, the command line's overrides applied by
// Megatron-Bridge's process_config_with_overrides (training/utils/omegaconf_utils.py L105), and
// pretrain with the GPT forward step (training/pretrain.py L40, training/gpt_step.py L630). The
// gradient-reduction precision is set on the resolved mixed-precision recipe, as
// gpt3_175b_pretrain_32gpu_h100_bf16_config does (gpt/h100/gpt3_175b.py; get_mixed_precision_config
// takes a name or a config, mixed_precision.py L432).
std::string training_script(const JobSpec& job, const BridgeRecipe& recipe) {
  std::string s = "# Written by trainplan: Megatron-Bridge pre-training from " + std::string(recipe.function) + " (" +
                  std::string(recipe.module) + ")\n";
  s += "# with the overrides given on the command line (overrides.txt).\n";
  s += "import sys\n\n";
  s += "from " + std::string(recipe.module) + " import " + std::string(recipe.function) + " as recipe\n";
  s += "from megatron.bridge.training.gpt_step import forward_step\n";
  s += "from megatron.bridge.training.mixed_precision import get_mixed_precision_config\n";
  s += "from megatron.bridge.training.pretrain import pretrain\n";
  s += "from megatron.bridge.training.utils.omegaconf_utils import process_config_with_overrides\n\n";
  s += "if __name__ == \"__main__\":\n";
  s += "    cfg = process_config_with_overrides(recipe(), cli_overrides=sys.argv[1:])\n";
  if (precision_recipe(job.training.precision)) {
    s += "    # Gradients are reduced in " + std::string(job.plan.grad_reduce_bf16 ? "bf16" : "fp32") +
         ": setup() copies this onto cfg.ddp.grad_reduce_in_fp32.\n";
    s += "    cfg.mixed_precision = get_mixed_precision_config(cfg.mixed_precision)\n";
    s += "    cfg.mixed_precision.grad_reduce_in_fp32 = " + std::string(job.plan.grad_reduce_bf16 ? "False" : "True") + "\n";
  }
  // bf16_with_fp8_delayed_scaling_mixed turns fp8_param_gather on (mixed_precision.py L217-232);
  // the plan says whether the compute weights are fp8 only (__setattr__ keeps fp8_param in step).
  if (job.training.precision == Precision::kFp8) {
    s += "    # Compute weights " +
         std::string(job.plan.fp8_param_gather ? "kept and gathered in fp8 only" : "kept in bf16 and gathered in bf16") +
         " (the plan's fp8_param_gather).\n";
    s += "    cfg.mixed_precision.fp8_param_gather = " + std::string(job.plan.fp8_param_gather ? "True" : "False") + "\n";
  }
  s += "    pretrain(cfg, forward_step)\n";
  return s;
}

}  // namespace

ExportResult export_nemo(const JobSpec& job) {
  Refusals r;
  check_common(job, r);
  check_megatron(job, r);
  const BridgeRecipe& recipe = bridge_recipe(job.model);
  check_bridge(job, recipe, r);
  ExportResult out;
  if (!r.reasons.empty()) {
    out.reasons = r.reasons;
    return out;
  }
  if (job.plan.fsdp == Fsdp::kFullShard) r.notes.push_back("FSDP full shard written as Megatron-FSDP optim_grads_params (ZeRO-3)");
  auto o = overrides(job, recipe, r);
  const PlanSpec& p = job.plan;
  std::string text =
      "# Megatron-Bridge ConfigContainer overrides for " + job.model.name + ", written by trainplan (docs/interfaces.md §4).\n";
  text += "# Targets " + target_version(job, ExportFormat::kNemo) + ". Applied to " + std::string(recipe.function) + " (" +
          std::string(recipe.module) +
          (recipe.model_key.empty() ? ", the generic GPT recipe: Megatron-Bridge has none for this model" : "") +
          ") by pretrain_cli_overrides.py.\n";
  for (const auto& line : o) text += line + "\n";
  std::string launch = "#!/bin/bash\n";
  launch += "# Megatron-Bridge launch for " + job.model.name + " on " + num(p.gpus()) + " GPUs (" + job.cluster.name +
            "), written by trainplan.\n";
  launch += "# Run once per node with NODE_RANK = 0.." + num(nodes_used(job) - 1) + "; the overrides are those of overrides.txt.\n";
  launch += "set -euo pipefail\n\n";
  launch += uses_fsdp_flags(p) ? "unset CUDA_DEVICE_MAX_CONNECTIONS  # Megatron-FSDP needs it unset or > 1\n"
                               : "export CUDA_DEVICE_MAX_CONNECTIONS=1\n";
  launch += "NODE_RANK=${NODE_RANK:-0}\nMASTER_ADDR=${MASTER_ADDR:-localhost}\n\n";
  launch += "python -m torch.distributed.run --nproc_per_node " + num(gpus_per_node_used(job)) + " --nnodes " + num(nodes_used(job)) +
            " --node_rank $NODE_RANK --master_addr $MASTER_ADDR --master_port 29500 \\\n";
  launch += "    pretrain_cli_overrides.py";
  for (const auto& line : o) launch += " \\\n    " + shell_quote(line);
  launch += "\n";
  out.files.push_back({"overrides.txt", text, false});
  out.files.push_back({"pretrain_cli_overrides.py", training_script(job, recipe), false});
  out.files.push_back({"launch.sh", launch, true});
  out.notes = r.notes;
  return out;
}

}  // namespace trainplan::exporter
