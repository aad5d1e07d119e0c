// DeepSpeed export: ds_config.json, hostfile and a launch line (docs/interfaces.md §2).
#include <cmath>

#include <nlohmann/json.hpp>

#include "model/analytic.hpp"
#include "planner/export/export.hpp"
#include "planner/export/rules.hpp"

namespace trainplan::exporter {

namespace {

using OrderedJson = nlohmann::ordered_json;

std::string num(long long v) { return std::to_string(v); }

void check_deepspeed(const JobSpec& job, Refusals& r) {
  const PlanSpec& p = job.plan;
  const int stage = p.effective_zero();
  // DeepSpeed's sequence_parallel_size is Ulysses all-to-all, not Megatron's ring context parallelism.
  r.need(p.cp == 1, "DeepSpeed has no context parallelism of Megatron's kind (cp " + num(p.cp) + ")");
  r.need(job.training.precision != Precision::kFp8, "ds_config has no fp8 training mode (bf16/fp16 only, docs/interfaces.md §2.3)");
  r.need(p.virtual_stages == 1, "DeepSpeed's pipeline engine has no interleaved (virtual-stage) schedule");
  // PipelineModule places layers by its partition_method (pipe/module.py), not by Megatron's flags.
  r.need(!p.account_for_embedding && !p.account_for_loss && p.pipeline_layout.empty(),
         "DeepSpeed's PipelineModule partitions layers itself (partition_method): no account_for_embedding/loss or pipeline_layout");
  r.need(p.pp == 1 || p.virtual_stages > 1 || p.schedule == Schedule::k1F1B,
         std::string("DeepSpeed's pipeline engine runs its own 1F1B schedule, not \"") + schedule_name(p.schedule) + "\"");
  r.need(p.ep == 1, "expert parallelism is set in user code (deepspeed.moe.layer.MoE ep_size), not in ds_config");
  // deepspeed/runtime/pipe/engine.py: "ZeRO-2 and ZeRO-3 are incompatible with pipeline parallelism".
  r.need(p.pp == 1 || stage <= 1, "ZeRO-" + num(stage) + " is incompatible with DeepSpeed pipeline parallelism (pipe/engine.py)");
  r.need(!(p.tp > 1 && p.sequence_parallel),
         "DeepSpeed AutoTP has no Megatron-style sequence parallelism (plan has tp " + num(p.tp) + " + SP)");
  r.need(!p.tp_comm_overlap, "DeepSpeed AutoTP has no TP communication overlap");
  r.need(!p.param_remainders, "DeepSpeed keeps whole fp32 master weights: no 16-bit remainder store (master_params \"remainder\")");
  // DeepSpeed checkpointing recomputes whole layers (deepspeed.checkpointing.checkpoint).
  r.need(p.recompute != Recompute::kSelective, "DeepSpeed activation checkpointing recomputes whole layers: no selective recompute");
  r.need(p.recompute_layers == 0, "DeepSpeed activation checkpointing has no per-stage layer count (recompute_layers)");
  // offload_param: stage 3 only; no fraction key (zero/offload_config.py, docs/interfaces.md §2.2).
  r.need(p.param_offload.device == OffloadDevice::kNone || stage == 3, "offload_param is stage 3 only (zero/offload_config.py)");
  r.need(p.param_offload.device == OffloadDevice::kNone || p.param_offload.fraction >= 1.0,
         "offload_param moves all parameters: no fraction (plan offloads " + format_number(p.param_offload.fraction) + ")");
  // offload_optimizer: NVMe needs stage 3, ratio < 1 is stage 3 only (§2.2).
  r.need(p.optimizer_offload.device != OffloadDevice::kNvme || stage == 3, "NVMe optimizer offload needs ZeRO stage 3 (§2.2)");
  r.need(p.optimizer_offload.device == OffloadDevice::kNone || p.optimizer_offload.fraction >= 1.0 || stage == 3,
         "a partial optimizer offload (offload_optimizer.ratio < 1) is stage 3 only (§2.2)");
  r.need(p.optimizer_offload.device == OffloadDevice::kNone || stage >= 1, "offload_optimizer needs ZeRO stage >= 1");
  // Activation offload = activation_checkpointing.cpu_checkpointing, which needs checkpointing.
  r.need(p.activation_offload.device != OffloadDevice::kNvme, "DeepSpeed offloads checkpointed activations to CPU only");
  r.need(p.activation_offload.device == OffloadDevice::kNone || p.recompute == Recompute::kFull,
         "activation offload (cpu_checkpointing) needs full recompute");
}

// ds_config's activation_checkpointing block only configures deepspeed.checkpointing
// (runtime/activation_checkpointing/config.py, edaa7221): layers are recomputed only where the
// model code calls deepspeed.checkpointing.checkpoint. Megatron-DeepSpeed does so with
// --checkpoint-activations and --deepspeed-activation-checkpointing (megatron/model/transformer.py
// L1910 and L2082, initialize.py L266, at f4157bea); train.py is the user's code, so the launch
// cannot guarantee it. The export refuses when the plan does not fit without the recompute (the
// memory model with the default calibration), and otherwise writes it with that caveat.
void check_checkpointing(const JobSpec& job, Refusals& r) {
  if (job.plan.recompute != Recompute::kFull) return;
  JobSpec without = job;
  without.plan.recompute = Recompute::kNone;
  without.plan.activation_offload = {};
  const Evaluation e = AnalyticEvaluator{}.evaluate(without, Calibration{});
  for (const auto& why : e.reasons)
    if (why.reason == InfeasibleReason::kOutOfMemory) {
      r.reasons.push_back(
          "the plan's memory depends on activation checkpointing, which DeepSpeed applies only where the model code calls "
          "deepspeed.checkpointing.checkpoint (train.py's choice, not the launch's): without it " +
          why.detail);
      return;
    }
  r.notes.push_back(
      "activation checkpointing takes effect only if train.py calls deepspeed.checkpointing.checkpoint per layer (as "
      "Megatron-DeepSpeed does with the --checkpoint-activations --deepspeed-activation-checkpointing the launch passes); "
      "without it the plan still fits, at " +
      format_number(std::round(to_gib(e.peak_memory) * 10) / 10) + " GiB");
}

OrderedJson offload_block(const Offload& o, bool optimizer) {
  OrderedJson b;
  b["device"] = offload_device_name(o.device);
  // pin_memory's default changed from false to true in v0.19.5: always written (§2.2).
  b["pin_memory"] = true;
  if (o.device == OffloadDevice::kNvme) b["nvme_path"] = "/local_nvme";
  if (optimizer && o.fraction < 1.0) b["ratio"] = o.fraction;
  return b;
}

OrderedJson ds_config(const JobSpec& job) {
  const PlanSpec& p = job.plan;
  const int stage = p.effective_zero();
  OrderedJson c;
  // train_batch_size = micro * grad_acc * DP, DP = world/(TP*PP*CP) (config.py L925-940; §2.1).
  c["train_batch_size"] = job.training.global_batch;
  c["train_micro_batch_size_per_gpu"] = p.micro_batch;
  c["gradient_accumulation_steps"] = job.micro_batches();
  c["gradient_clipping"] = 1.0;
  if (job.training.precision == Precision::kBf16) c["bf16"] = {{"enabled", true}};
  if (job.training.precision == Precision::kFp16)
    c["fp16"] = {{"enabled", true},           {"loss_scale", 0}, {"initial_scale_power", 16},
                 {"loss_scale_window", 1000}, {"hysteresis", 2}, {"min_loss_scale", 1}};
  if (p.grad_reduce_bf16) c["communication_data_type"] = "bf16";
  c["optimizer"] = {{"type", job.training.optimizer == Optimizer::kSgd ? "SGD" : "AdamW"}, {"params", {{"lr", 1.0e-4}}}};
  OrderedJson z;
  z["stage"] = stage;
  // overlap_comm defaults to true iff stage 3 (validator overlap_comm_valid): written explicitly.
  z["overlap_comm"] = p.overlap_grad_reduce;
  z["contiguous_gradients"] = true;
  z["reduce_scatter"] = true;
  // Stage 3 prefetches parameters ahead of use; a zero bucket turns the prefetch (param-gather overlap) off.
  if (stage == 3 && !p.overlap_param_gather) z["stage3_prefetch_bucket_size"] = 0;
  // Hybrid shard = MiCS: shard within a node, replicate across nodes (zero/config.py mics_shard_size).
  if (p.fsdp == Fsdp::kHybridShard) z["mics_shard_size"] = gpus_per_node_used(job);
  if (p.optimizer_offload.device != OffloadDevice::kNone) z["offload_optimizer"] = offload_block(p.optimizer_offload, true);
  if (stage == 3)
    z["offload_param"] = p.param_offload.device == OffloadDevice::kNone ? OrderedJson{{"device", "none"}, {"pin_memory", true}}
                                                                        : offload_block(p.param_offload, false);
  c["zero_optimization"] = z;
  // NVMe offload needs the top-level async I/O block; keys and defaults of DeepSpeed edaa7221
  // runtime/swap_tensor/constants.py (thread_count is now intra_op_parallelism; the old name is
  // silently ignored).
  if (p.optimizer_offload.device == OffloadDevice::kNvme || p.param_offload.device == OffloadDevice::kNvme)
    c["aio"] = {
        {"block_size", 1048576}, {"queue_depth", 8}, {"intra_op_parallelism", 1}, {"single_submit", false}, {"overlap_events", true}};
  if (p.recompute == Recompute::kFull)
    c["activation_checkpointing"] = {{"partition_activations", p.tp > 1},
                                     {"cpu_checkpointing", p.activation_offload.device == OffloadDevice::kCpu},
                                     {"contiguous_memory_optimization", false},
                                     {"synchronize_checkpoint_boundary", false},
                                     {"profile", false}};
  // AutoTP (§2.3): 0 disables.
  if (p.tp > 1) c["tensor_parallel"] = {{"autotp_size", p.tp}};
  return c;
}

std::string hostfile(const JobSpec& job) {
  // Lines "worker-N slots=G" (launcher/runner.py _parse_hostfile L243-272).
  std::string s;
  for (int n = 0; n < nodes_used(job); ++n) s += "worker-" + num(n) + " slots=" + num(gpus_per_node_used(job)) + "\n";
  return s;
}

std::string launch(const JobSpec& job) {
  const PlanSpec& p = job.plan;
  std::string s = "#!/bin/bash\n";
  s += "# DeepSpeed launch for " + job.model.name + " on " + num(p.gpus()) + " GPUs (" + job.cluster.name + "), written by trainplan.\n";
  s += "# tp " + num(p.tp) + " (AutoTP), pp " + num(p.pp) + ", dp " + num(p.dp) + ", ZeRO-" + num(p.effective_zero()) +
       "; train.py is your\n";
  s += "# training script: it builds PipelineModule(num_stages=" + num(p.pp) +
       ") when pp > 1 and passes ds_config.json to deepspeed.initialize.\n";
  s += "# Launcher flags: deepspeed/launcher/runner.py (docs/interfaces.md §2.4).\n";
  s += "set -euo pipefail\n\n";
  s += "deepspeed --hostfile=hostfile --num_nodes " + num(nodes_used(job)) + " --num_gpus " + num(gpus_per_node_used(job)) +
       " --master_port 29500 train.py \\\n";
  s += "    --tensor-model-parallel-size " + num(p.tp) + " --pipeline-model-parallel-size " + num(p.pp) + " --seq-length " +
       num(job.training.sequence_length) + " \\\n";
  // Megatron-DeepSpeed's switches that make the model call deepspeed.checkpointing (check_checkpointing).
  if (p.recompute == Recompute::kFull) s += "    --checkpoint-activations --deepspeed-activation-checkpointing \\\n";
  s += "    --deepspeed --deepspeed_config ds_config.json\n";
  return s;
}

}  // namespace

ExportResult export_deepspeed(const JobSpec& job) {
  Refusals r;
  check_common(job, r);
  check_deepspeed(job, r);
  if (r.reasons.empty()) check_checkpointing(job, r);
  ExportResult out;
  if (!r.reasons.empty()) {
    out.reasons = r.reasons;
    return out;
  }
  if (job.plan.attention != AttentionBackend::kAuto)
    r.notes.push_back("the attention backend is the model code's choice in DeepSpeed: not written");
  if (job.plan.fsdp == Fsdp::kFullShard) r.notes.push_back("FSDP full shard written as ZeRO stage 3");
  out.files.push_back({"ds_config.json", ds_config(job).dump(2) + "\n", false});
  out.files.push_back({"hostfile", hostfile(job), false});
  out.files.push_back({"launch.sh", launch(job), true});
  out.notes = r.notes;
  return out;
}

}  // namespace trainplan::exporter
