// Import of Megatron-LM pretrain_gpt.py arguments (a flag list, or a launch script with its
// torchrun prefix, bash arrays and backslash continuations) into a job. Flag meanings and defaults:
// docs/interfaces.md §1.2-1.4.
#include <charconv>
#include <regex>

#include "planner/export/import.hpp"
#include "planner/export/megatron_flags.hpp"
#include "planner/export/shell_args.hpp"

namespace trainplan::exporter {

namespace {

// torchrun's own flags (docs.pytorch.org/docs/stable/elastic/run.html; docs/interfaces.md §1.4).
bool is_torchrun_flag(const std::string& f) {
  static constexpr std::string_view kTorchrun[] = {
      "--nproc_per_node", "--nproc-per-node", "--nnodes",      "--node_rank",    "--node-rank",    "--master_addr",
      "--master-addr",    "--master_port",    "--master-port", "--rdzv_backend", "--rdzv-backend", "--rdzv_endpoint",
      "--rdzv-endpoint",  "--rdzv_id",        "--rdzv-id",     "--standalone",   "--max_restarts", "--max-restarts"};
  for (auto t : kTorchrun)
    if (f == t) return true;
  return false;
}

class Reader {
 public:
  Reader(const ParsedFlags& flags, ImportResult& out, std::string file) : flags_(flags), out_(out), file_(std::move(file)) {}

  // The flag's last value, or nullptr; a value that still holds shell syntax trainplan does not
  // run ($((...)), $(...)) is refused by name.
  const std::string* value(std::string_view flag) {
    const std::string* v = flags_.value(flag);
    if (!v) return nullptr;
    if (auto why = unevaluated_value_error(flag, *v)) {
      error(*why);
      return nullptr;
    }
    return v;
  }
  std::optional<long long> integer(std::string_view flag) {
    const std::string* v = value(flag);
    if (!v) return std::nullopt;
    long long x = 0;
    // torchrun --nnodes may be elastic "MIN:MAX": the first number is the node count it starts with.
    auto [ptr, ec] = std::from_chars(v->data(), v->data() + v->size(), x);
    if (ec != std::errc() || x < 0 || (ptr != v->data() + v->size() && *ptr != ':')) {
      error(std::string(flag) + ": expected a whole number (got \"" + *v + "\")");
      return std::nullopt;
    }
    return x;
  }
  long long integer(std::string_view flag, long long fallback) { return integer(flag).value_or(fallback); }
  std::optional<double> number(std::string_view flag) {
    const std::string* v = value(flag);
    if (!v) return std::nullopt;
    try {
      return std::stod(*v);
    } catch (...) {
      error(std::string(flag) + ": expected a number (got \"" + *v + "\")");
      return std::nullopt;
    }
  }
  std::string text(std::string_view flag, std::string fallback = "") {
    const std::string* v = value(flag);
    return v ? *v : fallback;
  }
  bool has(std::string_view flag) const { return flags_.has(flag); }
  void error(const std::string& message) { out_.errors.push_back(file_ + ": " + message); }
  void warn(const std::string& message) { out_.warnings.push_back(file_ + ": " + message); }

 private:
  const ParsedFlags& flags_;
  ImportResult& out_;
  std::string file_;
};

ModelSpec read_model_flags(Reader& r) {
  ModelSpec m;
  m.key = "imported";
  m.name = "Imported model";
  auto need = [&](std::string_view flag) -> long long {
    auto v = r.integer(flag);
    if (!v) r.error(std::string("missing ") + std::string(flag) + " (or give --model)");
    return v.value_or(1);
  };
  m.layers = static_cast<int>(need("--num-layers"));
  m.hidden = need("--hidden-size");
  m.heads = static_cast<int>(need("--num-attention-heads"));
  m.vocab = need("--vocab-size");
  // ffn default 4h (docs/interfaces.md §1.2); with --swiglu int((4h*2/3)/64)*64 (arguments.py L828-836).
  const bool swiglu = r.has("--swiglu");
  const long long default_ffn = swiglu ? (4 * m.hidden * 2 / 3) / 64 * 64 : 4 * m.hidden;
  m.ffn_hidden = r.integer("--ffn-hidden-size", default_ffn);
  m.kv_heads = r.has("--group-query-attention") ? static_cast<int>(r.integer("--num-query-groups", 1)) : m.heads;
  m.head_dim = static_cast<int>(r.integer("--kv-channels", m.heads > 0 ? m.hidden / m.heads : 1));
  m.activation = swiglu ? Activation::kSwiglu : r.has("--squared-relu") ? Activation::kSquaredRelu : Activation::kGelu;
  // add_bias_linear defaults on; --add-qkv-bias re-enables QKV biases alone (arguments.py).
  m.linear_bias = !r.has("--disable-bias-linear");
  m.qkv_bias = m.linear_bias || r.has("--add-qkv-bias");
  m.tied_embeddings = !r.has("--untie-embeddings-and-output-weights");
  m.max_sequence = static_cast<int>(r.integer("--max-position-embeddings", r.integer("--seq-length", 2048)));
  const std::string norm = r.text("--normalization", "LayerNorm");
  if (norm != "LayerNorm" && norm != "RMSNorm") r.error("--normalization: expected LayerNorm or RMSNorm (got \"" + norm + "\")");
  m.layernorm = norm == "LayerNorm";
  const std::string pos = r.text("--position-embedding-type", "learned_absolute");
  if (pos != "learned_absolute" && pos != "rope")
    r.error("--position-embedding-type: trainplan models learned_absolute and rope (got \"" + pos + "\")");
  m.learned_positions = pos == "learned_absolute";
  m.mtp_layers = static_cast<int>(r.integer("--mtp-num-layers", 0));
  // RoPE (arguments.py d98e8a64): --rotary-base (default 10000); Llama-3 scaling with
  // --use-rope-scaling (--rope-scaling-factor, default 8); YaRN with --rope-type yarn, or MLA's
  // --rotary-scaling-factor (MLA takes yarn by default; factor 1 rescales nothing).
  m.rope.theta = r.integer("--rotary-base", 10000);
  if (r.has("--use-rope-scaling")) {
    m.rope.scaling = RopeScaling::kLlama3;
    m.rope.factor = r.number("--rope-scaling-factor").value_or(8.0);
  } else if (const double yarn = r.number("--rotary-scaling-factor").value_or(1.0);
             r.text("--rope-type") == "yarn" || (r.has("--multi-latent-attention") && yarn > 1.0)) {
    m.rope.scaling = RopeScaling::kYarn;
    m.rope.factor = yarn;
  }
  if (auto experts = r.integer("--num-experts"); experts && *experts > 1) {
    MoeSpec e;
    e.experts = static_cast<int>(*experts);
    e.top_k = static_cast<int>(r.integer("--moe-router-topk", 2));  // default 2 (§1.2)
    e.expert_ffn_hidden = r.integer("--moe-ffn-hidden-size", m.ffn_hidden);
    if (auto shared = r.integer("--moe-shared-expert-intermediate-size")) {
      e.shared_experts = 1;  // Megatron gives the total shared width
      e.shared_ffn_hidden = *shared;
    }
    e.router_bias = r.has("--moe-router-enable-expert-bias");
    // --moe-router-score-function: softmax (default) or sigmoid; --moe-aux-loss-coeff (default 0).
    const std::string score = r.text("--moe-router-score-function", "softmax");
    if (score == "sigmoid")
      e.score = RouterScore::kSigmoid;
    else if (score != "softmax")
      r.error("--moe-router-score-function: trainplan models softmax and sigmoid (got \"" + score + "\")");
    e.aux_loss_coeff = r.number("--moe-aux-loss-coeff").value_or(0.0);
    if (r.has("--moe-layer-freq")) {
      // "([0]*D+[1]*M)": the first D layers dense (§1.2); other patterns are not modelled.
      const std::regex pattern(R"(\(?\[0\]\*(\d+)\+\[1\]\*(\d+)\)?)");
      std::smatch match;
      const std::string freq = r.text("--moe-layer-freq");
      if (std::regex_match(freq, match, pattern))
        e.dense_layers = std::stoi(match[1]);
      else if (freq != "1")
        r.error("--moe-layer-freq: expected \"([0]*D+[1]*M)\" or 1 (got \"" + freq + "\")");
    }
    m.moe = e;
  }
  if (r.has("--multi-latent-attention")) {
    MlaSpec a;
    a.q_lora_rank = static_cast<int>(r.integer("--q-lora-rank", 0));
    a.kv_lora_rank = static_cast<int>(r.integer("--kv-lora-rank", 512));
    a.qk_nope_head_dim = static_cast<int>(r.integer("--qk-head-dim", 128));
    a.qk_rope_head_dim = static_cast<int>(r.integer("--qk-pos-emb-head-dim", 64));
    a.v_head_dim = static_cast<int>(r.integer("--v-head-dim", 128));
    m.mla = a;
  }
  return m;
}

}  // namespace

ImportResult import_megatron(const std::vector<InputFile>& files, const ImportOptions& options) {
  ImportResult out;
  std::vector<std::string> words;
  std::string label;
  for (const auto& f : files) {
    ShellRead script = read_shell(f.content);
    words.insert(words.end(), script.words.begin(), script.words.end());
    for (const auto& w : script.warnings) out.warnings.push_back(f.name + ": " + w);
    label += (label.empty() ? "" : "+") + f.name;
  }
  const ParsedFlags flags = parse_flags(words);
  Reader r(flags, out, label);
  for (const auto& [flag, values] : flags.flags) {
    if (!flag.starts_with("--") || is_torchrun_flag(flag) || is_megatron_flag(flag)) continue;
    r.warn(flag + ": not a Megatron flag trainplan knows; ignored");
  }
  ImportedJob job;
  for (const auto& f : files) job.sources.push_back(f.name);
  ModelSpec model;
  if (!options.model) model = read_model_flags(r);
  PlanSpec& p = job.plan;
  p.tp = static_cast<int>(r.integer("--tensor-model-parallel-size", 1));
  p.pp = static_cast<int>(r.integer("--pipeline-model-parallel-size", 1));
  p.cp = static_cast<int>(r.integer("--context-parallel-size", 1));
  p.ep = static_cast<int>(r.integer("--expert-model-parallel-size", 1));
  // ETP defaults to TP (§1.2); a dense model has no experts to split.
  p.expert_tp = static_cast<int>(r.integer("--expert-tensor-parallel-size", r.has("--num-experts") ? p.tp : 1));
  if (p.tp < 1 || p.pp < 1 || p.cp < 1 || p.ep < 1 || p.expert_tp < 1) r.error("parallel sizes must be at least 1");
  p.sequence_parallel = r.has("--sequence-parallel") && p.tp > 1;  // forced off at TP 1 (L919-928)
  p.tp_comm_overlap = r.has("--tp-comm-overlap");
  p.first_stage_layers = static_cast<int>(r.integer("--decoder-first-pipeline-num-layers", 0));
  p.last_stage_layers = static_cast<int>(r.integer("--decoder-last-pipeline-num-layers", 0));
  // The embedding/loss counted as layers, an explicit layout (arguments.py L941-L998).
  p.account_for_embedding = r.has("--account-for-embedding-in-pipeline-split");
  p.account_for_loss = r.has("--account-for-loss-in-pipeline-split");
  if (r.has("--pipeline-model-parallel-layout")) {
    p.pipeline_layout = r.text("--pipeline-model-parallel-layout");
    p.virtual_stages = static_cast<int>(layout_virtual_stages(p));
  }
  // VPP = (layers [+ embedding + loss]/PP)/layers-per-virtual-stage, or the per-rank count
  // (arguments.py L953-L979).
  if (auto per_stage = r.integer("--num-layers-per-virtual-pipeline-stage"); per_stage && *per_stage > 0) {
    const int layers = options.model ? 0 : model.layers + p.account_for_embedding + p.account_for_loss;
    if (layers == 0 || layers % (p.pp * *per_stage) != 0)
      r.error("--num-layers-per-virtual-pipeline-stage: does not split the layers evenly over pp (or the model is not in the flags)");
    else
      p.virtual_stages = static_cast<int>(layers / p.pp / *per_stage);
  }
  if (auto v = r.integer("--num-virtual-stages-per-pipeline-rank"); v && *v > 0) p.virtual_stages = static_cast<int>(*v);
  p.schedule = p.virtual_stages > 1 ? Schedule::kInterleaved : Schedule::k1F1B;
  p.overlap_p2p = !r.has("--no-overlap-p2p-communication");
  // Data-parallel sharding: distributed optimizer = ZeRO-1; Megatron-FSDP strategy -> ZeRO stage;
  // FSDP2 = full shard (§1.2).
  bool sharded = false;
  if (r.has("--use-torch-fsdp2")) {
    p.fsdp = Fsdp::kFullShard;
  } else if (r.has("--use-megatron-fsdp")) {
    std::string s = r.text("--data-parallel-sharding-strategy");
    if (s.empty()) {
      s = "optim_grads_params";
      r.warn("--use-megatron-fsdp without --data-parallel-sharding-strategy: assumed optim_grads_params (the default on main)");
    }
    if (s == "no_shard")
      p.zero = 0;
    else if (s == "optim")
      p.zero = 1;
    else if (s == "optim_grads")
      p.zero = 2;
    else if (s == "optim_grads_params")
      p.zero = 3;
    else
      r.error("--data-parallel-sharding-strategy: expected no_shard, optim, optim_grads or optim_grads_params (got \"" + s + "\")");
    sharded = p.zero >= 1;
  } else if (r.has("--use-distributed-optimizer")) {
    p.zero = 1;
    sharded = true;
  }
  p.overlap_grad_reduce = r.has("--overlap-grad-reduce");
  // --overlap-param-gather applies only with a sharded optimizer and grad overlap (L626-630);
  // elsewhere there is nothing to gather and the plan keeps its default.
  p.overlap_param_gather = (sharded && p.overlap_grad_reduce) ? r.has("--overlap-param-gather") : PlanSpec{}.overlap_param_gather;
  if (r.has("--optimizer-cpu-offload")) {
    p.optimizer_offload.device = OffloadDevice::kCpu;
    p.optimizer_offload.fraction = r.number("--optimizer-offload-fraction").value_or(1.0);  // default 1.0 (§1.2)
  }
  const std::string granularity = r.has("--recompute-activations") ? "selective" : r.text("--recompute-granularity");
  if (granularity == "selective")
    p.recompute = Recompute::kSelective;
  else if (granularity == "full") {
    p.recompute = Recompute::kFull;
    // block: the first N layers of each stage; uniform: every layer, in chunks of N.
    if (r.text("--recompute-method") == "block") p.recompute_layers = static_cast<int>(r.integer("--recompute-num-layers", 0));
  } else if (!granularity.empty()) {
    r.error("--recompute-granularity: expected full or selective (got \"" + granularity + "\")");
  }
  p.micro_batch = static_cast<int>(r.integer("--micro-batch-size", 1));
  p.grad_reduce_bf16 = r.has("--grad-reduce-in-bf16");
  p.fp8_param_gather = r.has("--fp8-param-gather");
  const std::string backend = r.text("--attention-backend", "auto");
  p.attention = backend == "flash" ? AttentionBackend::kFlash : backend == "unfused" ? AttentionBackend::kUnfused : AttentionBackend::kAuto;

  // World: the option when given, else torchrun --nnodes x --nproc_per_node (WORLD_SIZE comes from
  // the launcher, arguments.py L118). The option wins because scripts often leave the node count
  // to the scheduler (Megatron-LM examples/mixtral/train_mixtral_8x7b_distributed.sh d98e8a64:
  // --nnodes ${SLURM_NNODES:-"1"}), which reads as 1 node outside the allocation.
  auto nodes = r.integer("--nnodes");
  auto per_node = r.integer("--nproc_per_node");
  if (!per_node) per_node = r.integer("--nproc-per-node");
  const std::optional<long long> launched = nodes && per_node ? std::optional(*nodes * *per_node) : std::nullopt;
  if (options.gpus) {
    job.world = *options.gpus;
    if (launched && *launched != *options.gpus)
      r.warn("torchrun launches " + std::to_string(*launched) + " GPUs (--nnodes " + std::to_string(*nodes) + " x --nproc_per_node " +
             std::to_string(*per_node) + "); --gpus " + std::to_string(*options.gpus) + " is used");
  } else if (launched) {
    job.world = static_cast<int>(*launched);
  } else {
    r.error("cannot tell the number of GPUs: no torchrun --nnodes/--nproc_per_node (give --gpus)");
  }
  // DP = world/(TP*PP*CP) (arguments.py L371-385).
  const long long mp = static_cast<long long>(p.tp) * p.pp * p.cp;
  if (mp > 0 && job.world % mp != 0) r.error(std::to_string(job.world) + " GPUs are not a multiple of tp*pp*cp = " + std::to_string(mp));
  p.dp = mp > 0 ? static_cast<int>(job.world / mp) : 1;

  TrainingSpec& t = job.training;
  auto seq = r.integer("--seq-length");
  if (!seq) seq = options.sequence_length;
  if (!seq) r.error("missing --seq-length");
  t.sequence_length = static_cast<int>(seq.value_or(2048));
  // GBS defaults to MBS*DP (§1.2).
  t.global_batch = r.integer("--global-batch-size", static_cast<long long>(p.micro_batch) * p.dp);
  t.precision = r.has("--fp8-format") ? Precision::kFp8
                : r.has("--bf16")     ? Precision::kBf16
                : r.has("--fp16")     ? Precision::kFp16
                                      : Precision::kFp32;
  t.optimizer = r.text("--optimizer", "adam") == "sgd" ? Optimizer::kSgd : Optimizer::kAdam;
  // --use-precision-aware-optimizer keeps the master weights of bf16 weights as 16-bit remainders
  // (megatron.cpp); with --optimizer-cpu-offload it is the offload's requirement and read as such.
  p.param_remainders =
      r.has("--use-precision-aware-optimizer") && p.optimizer_offload.device == OffloadDevice::kNone && remainders_possible(t);
  if (!options.model) job.model = model;
  if (out.errors.empty()) out.job = job;
  return out;
}

}  // namespace trainplan::exporter
