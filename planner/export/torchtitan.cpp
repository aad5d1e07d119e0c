// torchtitan export: a v0.2.2 TOML job file plus the same degrees as dotted CLI overrides
// (docs/interfaces.md §3). FSDP2 is ZeRO-3 with reshard_after_forward, ZeRO-2 without.
//
// Decisions (documented here, tested in torchtitan_test.cpp):
//  * ZeRO-1 with DP > 1 is refused: FSDP2 shards gradients with the optimizer state, so the closest
//    torchtitan plan (ZeRO-2) holds less memory and moves different traffic than the plan evaluated.
//  * The model is a registered flavor of llama3, qwen3 or deepseek_v3 (torchtitan_flavors.hpp): a
//    shape that matches none is refused, since a v0.2.2 TOML cannot describe a model's dimensions.
//  * fp8 is the float8 converter on nn.Linear (docs/float8.md: model.converters
//    "quantize.linear.float8", with torch.compile); MoE experts' fp8 grouped GEMMs are a prototype
//    (quantize.grouped_mm.float8, torchao nightly) and are refused.
#include "planner/export/export.hpp"
#include "planner/export/rules.hpp"
#include "planner/export/torchtitan_flavors.hpp"

namespace trainplan::exporter {

namespace {

std::string num(long long v) { return std::to_string(v); }

// torchtitan's layer-wise selective checkpointing counts the blocks it is applied to on a rank
// from 1, over every model chunk of the rank, and wraps those whose count is a multiple of N
// (selective_ac_option N: "'int' (e.g., 2) for every nth layer", job_config.py L655;
// torchtitan/distributed/activation_checkpoint.py _apply_layer_sac: `_layer_sac_count += 1; if
// not ac_freq or _layer_sac_count % ac_freq == 0`), so floor(L/N) of a rank's L blocks are
// recomputed: the N that gives the plan's recompute_layers (per stage, all its chunks), or 0 when
// none does.
int ac_every(const JobSpec& job) {
  const PlanSpec& p = job.plan;
  const int stage = (job.model.layers + p.pp - 1) / p.pp;
  for (int n = 1; n <= stage; ++n)
    if (stage / n == p.recompute_layers) return n;
  return 0;
}
std::string quoted(const std::string& s) { return "\"" + s + "\""; }

struct Degrees {
  int replicate = 1;
  int shard = 1;
  const char* reshard = "default";
};

Degrees data_parallel_degrees(const JobSpec& job) {
  const PlanSpec& p = job.plan;
  Degrees d;
  const int stage = p.effective_zero();
  if (p.fsdp == Fsdp::kHybridShard) {
    // HSDP: shard inside a node (dp_shard*cp*tp ranks are the fastest mesh dims), replicate across.
    int per_node = gpus_per_node_used(job) / (p.tp * p.cp);
    if (per_node < 1) per_node = 1;
    d.shard = p.dp % per_node == 0 ? per_node : p.dp;
    d.replicate = p.dp / d.shard;
    d.reshard = "always";
  } else if (stage >= 2) {
    d.shard = p.dp;
    d.reshard = stage == 3 ? "always" : "never";  // docs/interfaces.md §3: ZeRO-3 reshards, ZeRO-2 keeps
  } else {
    d.replicate = p.dp;  // DDP
  }
  return d;
}

void check_torchtitan(const JobSpec& job, const Degrees& d, Refusals& r) {
  const PlanSpec& p = job.plan;
  const TorchtitanFlavor* f = find_torchtitan_flavor(job.model);
  r.need(f != nullptr,
         "no torchtitan v0.2.2 flavor has this model's shape (registered: " + torchtitan_flavor_list() + "); a TOML cannot define a model");
  r.need(!f || f->pipelining || p.pp == 1, std::string("torchtitan v0.2.2's ") + (f ? f->family : "") +
                                               " TrainSpec has no pipelining_fn: no pipeline parallelism (pp " + num(p.pp) + ")");
  r.need(job.model.mtp_layers == 0,
         "torchtitan v0.2.2 builds no multi-token prediction layers (the model has " + num(job.model.mtp_layers) + ")");
  const Precision prec = job.training.precision;
  r.need(prec == Precision::kBf16 || prec == Precision::kFp32 || prec == Precision::kFp8,
         std::string("torchtitan mixed_precision_param is bfloat16 or float32 (fp8 through the float8 converter), not ") +
             precision_name(prec));
  r.need(prec != Precision::kFp8 || !job.model.moe,
         "torchtitan's fp8 grouped GEMMs for MoE experts are a prototype (quantize.grouped_mm.float8, torchao nightly): fp8 MoE is not "
         "exported");
  // v0.2.2 job_config.py: mixed_precision_reduce: Literal["float32"].
  r.need(!p.grad_reduce_bf16,
         "torchtitan v0.2.2 reduces gradients in float32 only (mixed_precision_reduce: Literal[\"float32\"]); the plan reduces in bf16");
  r.need(job.training.optimizer == Optimizer::kAdam, "torchtitan builds Adam/AdamW optimizers only");
  r.need(!p.fp8_param_gather || p.effective_zero() == 3,
         "torchtitan gathers fp8 parameters only under FSDP (quantize.linear.float8.enable_fsdp_float8_all_gather); the plan gathers them "
         "with ZeRO " +
             std::to_string(p.zero));
  r.need(!p.param_remainders,
         "torchtitan's optimizers keep whole fp32 parameters: no 16-bit remainder store (master_params \"remainder\")");
  r.need(!(p.zero == 1 && p.fsdp == Fsdp::kNone && p.dp > 1),
         "torchtitan has no ZeRO-1: FSDP2 shards gradients too (ZeRO-2), a different plan from the one evaluated");
  // torchtitan/models/llama3/infra/parallelize.py: "DDP has not supported > 1D parallelism".
  r.need(p.zero == 1 || d.replicate == 1 || d.shard > 1 || (p.tp == 1 && p.pp == 1 && p.cp == 1),
         "torchtitan DDP (dp replicate without sharding) does not combine with tp/pp/cp");
  // v0.2.2 applies SequenceParallel to norms with every TP plan (parallelize.py apply_tp).
  r.need(p.tp == 1 || p.sequence_parallel, "torchtitan v0.2.2 tensor parallelism always shards activations (sequence parallel)");
  // ETP in {1, TP} (v0.2.2 job_config.py); EP borrows from dp_shard*cp (*tp when ETP 1) (parallel_dims.py).
  r.need(p.expert_tp == 1 || p.expert_tp == p.tp, "torchtitan expert_tensor_parallel_degree is 1 or tp (got " + num(p.expert_tp) + ")");
  const long long borrow = static_cast<long long>(d.shard) * p.cp * (p.expert_tp == 1 ? p.tp : 1);
  r.need(p.ep == 1 || borrow % p.ep == 0, "torchtitan expert parallelism borrows from dp_shard*cp" +
                                              std::string(p.expert_tp == 1 ? "*tp" : "") + " = " + num(borrow) + ", which ep " + num(p.ep) +
                                              " does not divide (parallel_dims.py)");
  r.need(p.pp == 1 || p.schedule != Schedule::kZeroBubble,
         "torchtitan's zero-bubble schedules (InterleavedZeroBubble, ZBVZeroBubble) need several stages per rank");
  r.need(p.virtual_stages == 1 || (p.first_stage_layers == 0 && p.last_stage_layers == 0),
         "uneven first/last stages with virtual stages are not exported for torchtitan");
  r.need(p.pipeline_layout.empty(),
         "torchtitan splits by layers per stage (pipeline_parallel_layers_per_stage), not Megatron's layout grammar");
  r.need(p.recompute != Recompute::kFull || p.recompute_layers == 0 || ac_every(job) > 0,
         "torchtitan checkpoints every block, or one block in N (selective_ac_option N: floor(L/N) of a rank's L blocks); " +
             num(p.recompute_layers) + " recomputed layers per stage are neither");
  // FSDP2 CPUOffloadPolicy moves parameters, gradients and optimizer state together (§3 enable_cpu_offload).
  const bool any_offload = p.optimizer_offload.device != OffloadDevice::kNone || p.param_offload.device != OffloadDevice::kNone;
  const bool full_cpu_offload = p.optimizer_offload.device == OffloadDevice::kCpu && p.optimizer_offload.fraction >= 1.0 &&
                                p.param_offload.device == OffloadDevice::kCpu && p.param_offload.fraction >= 1.0;
  r.need(!any_offload || full_cpu_offload,
         "torchtitan enable_cpu_offload moves all parameters and optimizer state to CPU: no partial or NVMe offload");
  r.need(p.activation_offload.device == OffloadDevice::kNone, "torchtitan has no activation offload");
}

std::string schedule_key(const PlanSpec& p) {
  if (p.virtual_stages > 1) return "Interleaved1F1B";
  return p.schedule == Schedule::kGpipe ? "GPipe" : "1F1B";
}

struct Pipeline {
  int layers_per_stage = 0;
  int first_less = 0;
  int last_less = 0;
};

// torchtitan splits by layers_per_stage, with the first/last stage holding fewer layers
// (pipeline_parallel_first/last_stage_less_layers; defaults 1 count the embedding/output as a layer:
// written as 0 so the split is the plan's).
Pipeline pipeline_split(const JobSpec& job) {
  const PlanSpec& p = job.plan;
  Pipeline s;
  if (p.first_stage_layers == 0 && p.last_stage_layers == 0) {
    // The embedding / output counted as layers: torchtitan's own default split, one layer less on
    // the first / last stage (v0.2.2 job_config.py pipeline_parallel_first/last_stage_less_layers).
    s.layers_per_stage = (job.model.layers + p.account_for_embedding + p.account_for_loss) / (p.pp * p.virtual_stages);
    s.first_less = p.account_for_embedding;
    s.last_less = p.account_for_loss;
    return s;
  }
  s.layers_per_stage = middle_stage_layers(job);
  if (p.first_stage_layers > 0) s.first_less = s.layers_per_stage - p.first_stage_layers;
  if (p.last_stage_layers > 0) s.last_less = s.layers_per_stage - p.last_stage_layers;
  return s;
}

struct Override {
  std::string key;
  std::string value;
};

std::vector<Override> parallelism(const JobSpec& job, const Degrees& d) {
  const PlanSpec& p = job.plan;
  std::vector<Override> o = {
      {"data_parallel_replicate_degree", num(d.replicate)},
      {"data_parallel_shard_degree", num(d.shard)},
      {"fsdp_reshard_after_forward", quoted(d.reshard)},
      {"tensor_parallel_degree", num(p.tp)},
      {"enable_async_tensor_parallel", p.tp_comm_overlap ? "true" : "false"},
      {"pipeline_parallel_degree", num(p.pp)},
  };
  if (p.pp > 1) {
    Pipeline s = pipeline_split(job);
    o.push_back({"pipeline_parallel_schedule", quoted(schedule_key(p))});
    o.push_back({"pipeline_parallel_layers_per_stage", num(s.layers_per_stage)});
    o.push_back({"pipeline_parallel_first_stage_less_layers", num(s.first_less)});
    o.push_back({"pipeline_parallel_last_stage_less_layers", num(s.last_less)});
    o.push_back({"pipeline_parallel_microbatch_size", num(p.micro_batch)});
  }
  o.push_back({"context_parallel_degree", num(p.cp)});
  o.push_back({"expert_parallel_degree", num(p.ep)});
  o.push_back({"expert_tensor_parallel_degree", num(p.expert_tp)});
  return o;
}

std::string toml(const JobSpec& job, const Degrees& d, const TorchtitanFlavor& f) {
  const PlanSpec& p = job.plan;
  // Batch (v0.2.2 train.py L200-215): grad-acc = global/(local*DP). With PP one step feeds the whole
  // local batch through the pipeline in micro-batches of pipeline_parallel_microbatch_size.
  const long long local = p.pp > 1 ? job.training.global_batch / p.dp : p.micro_batch;
  std::string s;
  s += "# torchtitan v0.2.2 job config (torchtitan/config/job_config.py), written by trainplan.\n";
  s += "# " + job.model.name + " on " + num(p.gpus()) + " GPUs (" + job.cluster.name +
       "): dp_replicate*dp_shard*cp*tp*pp = " + num(d.replicate) + "*" + num(d.shard) + "*" + num(p.cp) + "*" + num(p.tp) + "*" +
       num(p.pp) + " = " + num(p.gpus()) + "\n\n";
  s += "[job]\ndump_folder = \"./outputs\"\ndescription = " + quoted(job.model.name + " (trainplan export)") + "\n\n";
  s += "[model]\nname = " + quoted(f.family) + "\nflavor = " + quoted(f.flavor) + "\nhf_assets_path = " + quoted(f.assets) + "\n";
  // float8 training: swap nn.Linear for torchao Float8Linear (v0.2.2 docs/float8.md; the converter
  // registered in components/quantization/float8.py L238), dynamic tensorwise scaling by default.
  if (job.training.precision == Precision::kFp8) s += "converters = [\"quantize.linear.float8\"]\n";
  s += "\n";
  s += "[optimizer]\nname = \"AdamW\"\nlr = 1e-4\n\n";
  s += "[training]\n";
  s += "local_batch_size = " + num(local) + "\n";
  s += "global_batch_size = " + num(job.training.global_batch) + "\n";
  s += "seq_len = " + num(job.training.sequence_length) + "\n";
  s += "steps = " + num(train_iters(job)) + "\n";
  s += "max_norm = 1.0\n";
  s += std::string("mixed_precision_param = ") + (job.training.precision == Precision::kFp32 ? "\"float32\"" : "\"bfloat16\"") + "\n";
  s += "mixed_precision_reduce = \"float32\"\n";
  s += std::string("enable_cpu_offload = ") + (p.param_offload.device == OffloadDevice::kCpu ? "true" : "false") + "\n";
  s += "dataset = \"c4\"\n\n";
  s += "[parallelism]\n";
  for (const auto& o : parallelism(job, d)) s += o.key + " = " + o.value + "\n";
  s += "\n[activation_checkpoint]\n";
  if (p.recompute == Recompute::kNone) s += "mode = \"none\"\n";
  if (p.recompute == Recompute::kFull && p.recompute_layers == 0) s += "mode = \"full\"\n";
  if (p.recompute == Recompute::kFull && p.recompute_layers > 0)
    s += "mode = \"selective\"\nselective_ac_option = \"" + num(ac_every(job)) + "\"\n";
  if (p.recompute == Recompute::kSelective) s += "mode = \"selective\"\nselective_ac_option = \"op\"\n";
  // The output layer stays bf16, as Transformer Engine's fp8 covers the transformer layers only
  // (Float8Linear filter_fqns; linears with a dimension not divisible by 16 are always skipped).
  if (job.training.precision == Precision::kFp8) s += "\n[quantize.linear.float8]\nfilter_fqns = [\"output\"]\n";
  // fp8 parameter all-gather under FSDP2 (job_config.py Float8Linear L732: "recommended for
  // tensorwise scaling", the converter's default), with the scales precomputed for it.
  if (p.fp8_param_gather) s += "enable_fsdp_float8_all_gather = true\nprecompute_float8_dynamic_scale_for_fsdp = true\n";
  // Async TP needs torch.compile (§3); float8 runs compiled (docs/float8.md: --compile.enable).
  if (p.tp_comm_overlap || job.training.precision == Precision::kFp8) s += "\n[compile]\nenable = true\n";
  return s;
}

std::string launch(const JobSpec& job, const Degrees& d) {
  std::string overrides;
  for (const auto& o : parallelism(job, d)) {
    // Booleans stay in the TOML: tyro takes them as --flag / --no-flag, never "--flag false"
    // (torchtitan v0.2.2 config/manager.py parses with tyro).
    if (o.value == "true" || o.value == "false") continue;
    std::string v = o.value;
    if (v.size() >= 2 && v.front() == '"') v = v.substr(1, v.size() - 2);
    overrides += " \\\n    --parallelism." + o.key + " " + v;
  }
  std::string s = "#!/bin/bash\n";
  s += "# torchtitan launch, written by trainplan, for " + target_version(job, ExportFormat::kTorchtitan) +
       ". The dotted overrides repeat\n";
  s += "# the TOML's [parallelism] degrees (docs/debugging.md). torchtitan main has no TOML job files (--module/--config): this is "
       "v0.2.2's form.\n";
  s += "set -euo pipefail\n\n";
  if (nodes_used(job) == 1) {
    s += "CONFIG_FILE=./torchtitan.toml NGPU=" + num(gpus_per_node_used(job)) + " ./run_train.sh" + overrides + "\n";
  } else {
    s += "# Under Slurm, from the head node (torchtitan multinode script):\n";
    s += "head_node_ip=${head_node_ip:-$(hostname -i)}\n";
    s += "srun torchrun --nnodes " + num(nodes_used(job)) + " --nproc_per_node " + num(gpus_per_node_used(job)) +
         " --rdzv_id 101 --rdzv_backend c10d --rdzv_endpoint \"$head_node_ip:29500\" \\\n";
    s += "    -m torchtitan.train --job.config_file ./torchtitan.toml" + overrides + "\n";
  }
  return s;
}

}  // namespace

ExportResult export_torchtitan(const JobSpec& job) {
  Refusals r;
  check_common(job, r);
  const Degrees d = data_parallel_degrees(job);
  check_torchtitan(job, d, r);
  ExportResult out;
  // dp_replicate*dp_shard*cp*tp*pp == WORLD_SIZE (parallel_dims.py v0.2.2 L35-60).
  const long long product = static_cast<long long>(d.replicate) * d.shard * job.plan.cp * job.plan.tp * job.plan.pp;
  r.need(product == job.plan.gpus(), "the torchtitan degrees multiply to " + num(product) + ", not the world of " + num(job.plan.gpus()));
  if (!r.reasons.empty()) {
    out.reasons = r.reasons;
    return out;
  }
  if (job.plan.zero == 1 && job.plan.dp == 1) r.notes.push_back("ZeRO-1 at dp 1 shards nothing: written as plain data parallelism");
  if (job.plan.tp_comm_overlap) r.notes.push_back("async tensor parallelism needs torch.compile: [compile] enable = true");
  if (job.training.token_budget <= 0) r.notes.push_back("no token budget: steps = " + num(kDefaultTrainIters) + " is a placeholder");
  const TorchtitanFlavor& f = *find_torchtitan_flavor(job.model);
  if (job.training.precision == Precision::kFp8)
    r.notes.push_back(
        "fp8: torchao Float8Linear with dynamic tensorwise scaling (Megatron's default recipe is delayed scaling); the output layer "
        "(filter_fqns) and linears with a dimension not divisible by 16 stay bf16");
  if (job.model.moe)
    r.notes.push_back(
        "torchtitan balances experts with a bias update (MoEArgs load_balance_coeff 1e-3, models/moe/moe.py) and no auxiliary "
        "loss: the model's aux-loss coefficient " +
        format_number(job.model.moe->aux_loss_coeff) + " is not written");
  out.files.push_back({"torchtitan.toml", toml(job, d, f), false});
  out.files.push_back({"launch.sh", launch(job, d), true});
  out.notes = r.notes;
  return out;
}

}  // namespace trainplan::exporter
