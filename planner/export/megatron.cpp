// Megatron-LM export: pretrain_gpt.py flags and a torchrun launch script (docs/interfaces.md §1).
#include "planner/export/megatron.hpp"

#include <cctype>
#include "planner/export/export.hpp"

namespace trainplan::exporter {

namespace {

std::string num(long long v) { return std::to_string(v); }

void add(MegatronArgGroup& g, std::string flag, std::string value = "") { g.args.push_back({std::move(flag), std::move(value)}); }

// RoPE base and rescaling (arguments.py _add_network_size_args: --rotary-base int default 10000,
// --use-rope-scaling / --rope-scaling-factor for Llama 3.x; _add_mla_args: --rotary-scaling-factor
// with --rope-type yarn, which MLA takes by default).
void rope_args(MegatronArgGroup& g, const RopeSpec& q, bool mla) {
  add(g, "--rotary-base", num(q.theta));
  if (q.scaling == RopeScaling::kLlama3) {
    add(g, "--use-rope-scaling");
    add(g, "--rope-scaling-factor", format_number(q.factor));
  }
  if (q.scaling == RopeScaling::kYarn) {
    if (!mla) add(g, "--rope-type", "yarn");
    add(g, "--rotary-scaling-factor", format_number(q.factor));
  }
}

MegatronArgGroup model_args(const JobSpec& job) {
  const ModelSpec& m = job.model;
  MegatronArgGroup g{"MODEL_ARGS", {}};
  add(g, "--num-layers", num(m.layers));
  add(g, "--hidden-size", num(m.hidden));
  add(g, "--num-attention-heads", num(m.heads));
  // Always written: the default with --swiglu is int((4h*2/3)/64)*64, not the model's width
  // (arguments.py L828-836; docs/interfaces.md §1.2).
  add(g, "--ffn-hidden-size", num(m.ffn_hidden));
  if (m.mla) {
    // MLA (§1.2): q/kv low-rank projections and split nope/rope head dims.
    add(g, "--multi-latent-attention");
    if (m.mla->q_lora_rank > 0) add(g, "--q-lora-rank", num(m.mla->q_lora_rank));
    add(g, "--kv-lora-rank", num(m.mla->kv_lora_rank));
    add(g, "--qk-head-dim", num(m.mla->qk_nope_head_dim));
    add(g, "--qk-pos-emb-head-dim", num(m.mla->qk_rope_head_dim));
    add(g, "--v-head-dim", num(m.mla->v_head_dim));
  } else {
    // kv_channels defaults to hidden/heads (§1.2): written only when the head width differs.
    if (m.hidden % m.heads != 0 || m.head_dim != m.hidden / m.heads) add(g, "--kv-channels", num(m.head_dim));
    // GQA flags only when there are fewer KV heads than heads (§9).
    if (m.kv_heads < m.heads) {
      add(g, "--group-query-attention");
      add(g, "--num-query-groups", num(m.kv_heads));
    }
  }
  add(g, "--seq-length", num(job.training.sequence_length));
  add(g, "--max-position-embeddings", num(m.max_sequence));
  add(g, "--position-embedding-type", m.learned_positions ? "learned_absolute" : "rope");
  if (!m.learned_positions) rope_args(g, m.rope, m.mla.has_value());
  add(g, "--normalization", m.layernorm ? "LayerNorm" : "RMSNorm");
  if (m.activation == Activation::kSwiglu) add(g, "--swiglu");
  if (m.activation == Activation::kSquaredRelu) add(g, "--squared-relu");
  if (!m.linear_bias) add(g, "--disable-bias-linear");
  if (!m.linear_bias && m.qkv_bias) add(g, "--add-qkv-bias");
  if (!m.tied_embeddings) add(g, "--untie-embeddings-and-output-weights");
  add(g, "--vocab-size", num(m.vocab));
  // Megatron pads the vocabulary to a multiple of this x TP (tokenizer.py _vocab_size_with_padding).
  add(g, "--make-vocab-size-divisible-by", "128");
  if (m.mtp_layers > 0) add(g, "--mtp-num-layers", num(m.mtp_layers));
  return g;
}

MegatronArgGroup moe_args(const JobSpec& job) {
  const ModelSpec& m = job.model;
  MegatronArgGroup g{"MOE_ARGS", {}};
  if (!m.moe) return g;
  const MoeSpec& e = *m.moe;
  add(g, "--num-experts", num(e.experts));
  add(g, "--moe-router-topk", num(e.top_k));
  add(g, "--moe-ffn-hidden-size", num(e.expert_ffn_hidden));
  // Megatron takes the total shared width (n_shared x width; docs/interfaces.md §1.2).
  if (e.shared_experts > 0) add(g, "--moe-shared-expert-intermediate-size", num(e.shared_experts * e.shared_ffn_hidden));
  // First dense layers as a layer pattern, e.g. "([0]*3+[1]*58)" (§1.2).
  if (e.dense_layers > 0) add(g, "--moe-layer-freq", "([0]*" + num(e.dense_layers) + "+[1]*" + num(m.layers - e.dense_layers) + ")");
  // Router (arguments.py _add_moe_args): score function, balancing loss and its weight. An expert
  // bias (aux-loss-free balancing) needs a sigmoid score (transformer_config.py __post_init__).
  add(g, "--moe-router-score-function", router_score_name(e.score));
  if (e.router_bias) add(g, "--moe-router-enable-expert-bias");
  // DeepSeek-V3 (report §2.1.2) keeps a sequence-wise balance loss next to the bias; no weight = no loss.
  const char* balancing = e.aux_loss_coeff <= 0 ? "none" : e.router_bias ? "seq_aux_loss" : "aux_loss";
  add(g, "--moe-router-load-balancing-type", balancing);
  if (e.aux_loss_coeff > 0) add(g, "--moe-aux-loss-coeff", format_number(e.aux_loss_coeff));
  // As examples/mixtral/train_mixtral_8x7b_distributed.sh (§1.4).
  add(g, "--moe-grouped-gemm");
  add(g, "--moe-token-dispatcher-type", "alltoall");
  return g;
}

MegatronArgGroup training_args(const JobSpec& job, Refusals& r) {
  const PlanSpec& p = job.plan;
  MegatronArgGroup g{"TRAINING_ARGS", {}};
  add(g, "--micro-batch-size", num(p.micro_batch));
  add(g, "--global-batch-size", num(job.training.global_batch));
  add(g, "--train-iters", num(train_iters(job)));
  if (job.training.token_budget <= 0) r.notes.push_back("no token budget: --train-iters " + num(kDefaultTrainIters) + " is a placeholder");
  add(g, "--optimizer", job.training.optimizer == Optimizer::kSgd ? "sgd" : "adam");
  add(g, "--lr", "1.0e-4");
  add(g, "--min-lr", "1.0e-5");
  add(g, "--lr-decay-style", "cosine");
  add(g, "--clip-grad", "1.0");
  switch (job.training.precision) {
    case Precision::kBf16: add(g, "--bf16"); break;
    case Precision::kFp16: add(g, "--fp16"); break;
    case Precision::kFp8:  // fp8 GEMMs inside bf16 training, E4M3 forward / E5M2 backward (§1.2).
      add(g, "--bf16");
      add(g, "--fp8-format", "hybrid");
      break;
    case Precision::kFp32:
    case Precision::kTf32: r.notes.push_back("fp32 training: no precision flag (Megatron's default)"); break;
  }
  if (p.grad_reduce_bf16) add(g, "--grad-reduce-in-bf16");
  // fp8 compute weights and an fp8 parameter all-gather (arguments.py L2016; refused under torch
  // FSDP2, rules.cpp).
  if (p.fp8_param_gather) add(g, "--fp8-param-gather");
  if (p.attention == AttentionBackend::kFlash) add(g, "--attention-backend", "flash");
  if (p.attention == AttentionBackend::kUnfused) add(g, "--attention-backend", "unfused");
  // Recompute (§1.2): selective takes no method (L915); full recomputes every layer in chunks of one
  // (uniform, 1) or the first N layers of each stage (block, N).
  if (p.recompute == Recompute::kSelective) add(g, "--recompute-granularity", "selective");
  if (p.recompute == Recompute::kFull) {
    add(g, "--recompute-granularity", "full");
    add(g, "--recompute-method", p.recompute_layers > 0 ? "block" : "uniform");
    add(g, "--recompute-num-layers", num(p.recompute_layers > 0 ? p.recompute_layers : 1));
  }
  return g;
}

MegatronArgGroup parallel_args(const JobSpec& job, Refusals& r) {
  const PlanSpec& p = job.plan;
  const ModelSpec& m = job.model;
  MegatronArgGroup g{"MODEL_PARALLEL_ARGS", {}};
  add(g, "--tensor-model-parallel-size", num(p.tp));
  add(g, "--pipeline-model-parallel-size", num(p.pp));
  add(g, "--context-parallel-size", num(p.cp));
  if (m.moe) {
    add(g, "--expert-model-parallel-size", num(p.ep));
    add(g, "--expert-tensor-parallel-size", num(p.expert_tp));
  }
  // SP is forced off at TP 1 (arguments.py L919-928): drop it with a note.
  if (p.sequence_parallel && p.tp > 1) add(g, "--sequence-parallel");
  if (p.sequence_parallel && p.tp == 1)
    r.notes.push_back("sequence parallelism dropped: Megatron turns it off at tp 1 (arguments.py L919-928)");
  if (p.tp_comm_overlap) add(g, "--tp-comm-overlap");
  if (!p.tp_grad_overlap && p.tp > 1)
    r.notes.push_back(
        "tp_grad_overlap off (synchronous backward TP collectives) is Megatron-LM before 2022; current releases always overlap: not "
        "written");
  if (p.p2p_scatter_gather && p.pp > 1 && p.tp > 1 && !p.sequence_parallel)
    r.notes.push_back(
        "p2p_scatter_gather (pipeline activations split over the TP ranks, Megatron-LM 2021-2022) is gone from current releases, which "
        "send whole tensors: not written");
  // Uneven stages (§1.2).
  if (p.first_stage_layers > 0) add(g, "--decoder-first-pipeline-num-layers", num(p.first_stage_layers));
  if (p.last_stage_layers > 0) add(g, "--decoder-last-pipeline-num-layers", num(p.last_stage_layers));
  // The embedding / loss as layers of the split (arguments.py L962-L998), or an explicit layout,
  // from which Megatron takes the virtual stages (L941-L952: no other VPP flag beside it, L934).
  if (p.account_for_embedding) add(g, "--account-for-embedding-in-pipeline-split");
  if (p.account_for_loss) add(g, "--account-for-loss-in-pipeline-split");
  if (!p.pipeline_layout.empty()) add(g, "--pipeline-model-parallel-layout", p.pipeline_layout);
  // VPP: never --virtual-pipeline-model-parallel-size, which does not exist (main arguments.py L2308).
  // Even stages: layers per virtual stage; uneven stages (and the embedding/loss counted) need the
  // per-rank count (§1.2).
  if (p.virtual_stages > 1 && p.pipeline_layout.empty()) {
    if (p.first_stage_layers > 0 || p.last_stage_layers > 0 || p.account_for_embedding || p.account_for_loss)
      add(g, "--num-virtual-stages-per-pipeline-rank", num(p.virtual_stages));
    else
      add(g, "--num-layers-per-virtual-pipeline-stage", num(m.layers / p.pp / p.virtual_stages));
  }
  // overlap_p2p_comm defaults on (and is forced off without VPP); written when the plan clears it.
  if (!p.overlap_p2p) add(g, "--no-overlap-p2p-communication");
  return g;
}

MegatronArgGroup data_parallel_args(const JobSpec& job, Refusals& r) {
  const PlanSpec& p = job.plan;
  MegatronArgGroup g{"DATA_PARALLEL_ARGS", {}};
  bool sharded_optimizer = false;  // distributed optimizer or Megatron-FSDP: can overlap param gathers
  if (p.fsdp == Fsdp::kFullShard) {
    // PyTorch FSDP2 full shard (--use-torch-fsdp2; not with the distributed optimizer). validate_args
    // asserts no gradient-accumulation fusion (on by default) for it (arguments.py, d98e8a64, "if
    // args.use_torch_fsdp2:" block).
    add(g, "--use-torch-fsdp2");
    add(g, "--no-gradient-accumulation-fusion");
  } else if (p.zero >= 2) {
    // Megatron-FSDP: optim_grads = ZeRO-2, optim_grads_params = ZeRO-3 (§1.2), with the companion
    // flags of Megatron's FSDP example scripts (no grad-accumulation fusion, fsdp_dtensor checkpoints).
    add(g, "--use-megatron-fsdp");
    add(g, "--data-parallel-sharding-strategy", p.zero == 2 ? "optim_grads" : "optim_grads_params");
    add(g, "--no-gradient-accumulation-fusion");
    add(g, "--ckpt-format", "fsdp_dtensor");
    add(g, "--use-distributed-optimizer");
    sharded_optimizer = true;
  } else if (p.zero == 1) {
    add(g, "--use-distributed-optimizer");  // ZeRO-1 (§1.2)
    sharded_optimizer = true;
  } else if (p.param_remainders) {
    // The precision-aware optimizer runs in the distributed optimizer (rules.cpp); at dp*cp 1 it
    // shards over one rank, the same plan as ZeRO 0.
    add(g, "--use-distributed-optimizer");
    r.notes.push_back(
        "--use-distributed-optimizer written for the precision-aware optimizer (master_params remainder); at dp*cp 1 it is the same plan "
        "as zero 0");
  }
  if (p.overlap_grad_reduce) add(g, "--overlap-grad-reduce");
  // --overlap-param-gather needs the distributed optimizer (or Megatron-FSDP) and
  // --overlap-grad-reduce (arguments.py L626-630).
  if (p.overlap_param_gather && sharded_optimizer && p.overlap_grad_reduce) add(g, "--overlap-param-gather");
  if (p.overlap_param_gather && sharded_optimizer && !p.overlap_grad_reduce)
    r.notes.push_back("--overlap-param-gather dropped: it needs --overlap-grad-reduce (arguments.py L626-630)");
  const bool cpu_offload = p.optimizer_offload.device == OffloadDevice::kCpu;
  if (cpu_offload) {
    add(g, "--optimizer-cpu-offload");
    add(g, "--optimizer-offload-fraction", format_number(p.optimizer_offload.fraction));
  }
  // The precision-aware optimizer (Transformer Engine FusedAdam) keeps fp32 master weights as 16-bit
  // remainders of the bf16 weights: Megatron-Core passes store_param_remainders=True to it from TE
  // 2.1 (megatron/core/optimizer/__init__.py). CPU offload needs the flag too ("The optimizer cpu
  // offload must be used in conjunction with --use-precision-aware-optimizer", arguments.py
  // validate_args), but then HybridDeviceOptimizer (megatron/core/optimizer/cpu_offloading/
  // hybrid_optimizer.py) keeps whole fp32 master weights on both sides: remainders with offload
  // are refused (rules.cpp).
  if (cpu_offload || p.param_remainders) add(g, "--use-precision-aware-optimizer");
  return g;
}

// Data: synthetic tokens; a real run replaces these with --data-path and its tokenizer.
MegatronArgGroup data_args() {
  MegatronArgGroup g{"DATA_ARGS", {}};
  add(g, "--mock-data");
  add(g, "--tokenizer-type", "NullTokenizer");
  return g;
}

// "--flag" or "--flag value", quoted for bash.
std::string render_arg(const MegatronArg& a) {
  std::string s = a.flag;
  if (!a.value.empty()) {
    s += ' ';
    s += shell_quote(a.value);
  }
  return s;
}

// CUDA_DEVICE_MAX_CONNECTIONS: 1 orders TP/CP communication kernels ahead of compute on GPUs before
// Blackwell (validate_args asserts it when tp or cp > 1 without FSDP); both FSDP flavours assert it
// is not 1 (arguments.py d98e8a64, the "if args.use_torch_fsdp2:" and Megatron-FSDP blocks).
std::string device_connections_line(const PlanSpec& p) {
  if (uses_fsdp_flags(p)) return "unset CUDA_DEVICE_MAX_CONNECTIONS  # FSDP needs it unset or > 1 (validate_args)\n\n";
  return "export CUDA_DEVICE_MAX_CONNECTIONS=1  # TP/CP overlap ordering, as every Megatron example sets it\n\n";
}

std::string launch_script(const JobSpec& job, const std::vector<MegatronArgGroup>& groups) {
  const PlanSpec& p = job.plan;
  std::string s;
  s += "#!/bin/bash\n";
  s += "# Megatron-LM pretrain_gpt.py for " + job.model.name + " on " + num(p.gpus()) + " GPUs (" + job.cluster.name +
       "), written by trainplan.\n";
  s += "# Targets " + target_version(job, ExportFormat::kMegatron) + ".\n";
  s += "# tp " + num(p.tp) + ", pp " + num(p.pp) + ", vpp " + num(p.virtual_stages) + ", cp " + num(p.cp) + ", ep " + num(p.ep) + ", dp " +
       num(p.dp) + "; " + num(job.micro_batches()) + " micro-batches of " + num(p.micro_batch) + " per step.\n";
  s += "# Run this script once on every node, with NODE_RANK = 0.." + num(nodes_used(job) - 1) + " and MASTER_ADDR = node 0:\n";
  s += "#   NODE_RANK=0 MASTER_ADDR=worker-0 ./train.sh\n";
  s += "set -euo pipefail\n\n";
  s += device_connections_line(job.plan);
  s += "GPUS_PER_NODE=" + num(gpus_per_node_used(job)) + "\n";
  s += "NUM_NODES=" + num(nodes_used(job)) + "\n";
  s += "NODE_RANK=${NODE_RANK:-0}\n";
  s += "MASTER_ADDR=${MASTER_ADDR:-localhost}\n";
  s += "MASTER_PORT=${MASTER_PORT:-29500}\n\n";
  s += "DISTRIBUTED_ARGS=(\n    --nproc_per_node $GPUS_PER_NODE\n    --nnodes $NUM_NODES\n    --node_rank $NODE_RANK\n"
       "    --master_addr $MASTER_ADDR\n    --master_port $MASTER_PORT\n)\n";
  std::string expand;
  for (const auto& g : groups) {
    if (g.args.empty()) continue;
    s += "\n" + g.name + "=(\n";
    for (const auto& a : g.args) s += "    " + render_arg(a) + "\n";
    s += ")\n";
    expand += " \\\n    ${" + g.name + "[@]}";
  }
  s += "\ntorchrun ${DISTRIBUTED_ARGS[@]} pretrain_gpt.py" + expand + "\n";
  return s;
}

}  // namespace

std::string shell_quote(const std::string& value) {
  // Inside double quotes bash still expands $, ` and \ and ends at ": such values go in single
  // quotes, each ' written as '\'' (bash manual, "Single Quotes").
  if (value.find_first_of("\"$`\\") != std::string::npos) {
    std::string s = "'";
    for (char c : value) s += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return s + "'";
  }
  for (char c : value)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' || c == '/' || c == ':' || c == '='))
      return "\"" + value + "\"";
  return value;
}

std::vector<MegatronArgGroup> megatron_arguments(const JobSpec& job, Refusals& r) {
  return {model_args(job), moe_args(job), parallel_args(job, r), data_parallel_args(job, r), training_args(job, r), data_args()};
}

std::string render_arguments(const std::vector<MegatronArgGroup>& groups) {
  std::string s;
  for (const auto& g : groups)
    for (const auto& a : g.args) s += render_arg(a) + "\n";
  return s;
}

ExportResult export_megatron(const JobSpec& job) {
  Refusals r;
  check_common(job, r);
  check_megatron(job, r);
  ExportResult out;
  if (!r.reasons.empty()) {
    out.reasons = r.reasons;
    return out;
  }
  auto groups = megatron_arguments(job, r);
  out.files.push_back({"train.sh", launch_script(job, groups), true});
  out.files.push_back({"megatron_args.txt", render_arguments(groups), false});
  out.notes = r.notes;
  return out;
}

}  // namespace trainplan::exporter
