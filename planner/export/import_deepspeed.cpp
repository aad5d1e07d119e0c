// Import of a DeepSpeed ds_config.json, with its optional launch line and hostfile, into a job.
// Keys and defaults: docs/interfaces.md §2. DeepSpeed has no model in its config: the model comes from
// ImportOptions::model, or from Megatron shape flags on the launch line (Megatron-DeepSpeed).
#include <regex>
#include <sstream>

#include "planner/export/import.hpp"
#include "planner/export/shell_args.hpp"

namespace trainplan::exporter {

namespace {

enum class Kind { kConfig, kHostfile, kLaunch };

// Hostfile lines match ^(\S+)\s+slots=(\d+); '#' comments and blank lines are ignored
// (launcher/runner.py _parse_hostfile L243-272).
std::optional<int> hostfile_slots(const std::string& text) {
  const std::regex line_re(R"(^\s*(\S+)\s+slots=(\d+)\s*$)");
  std::istringstream in(text);
  std::string line;
  int slots = 0, hosts = 0;
  while (std::getline(in, line)) {
    if (auto hash = line.find('#'); hash != std::string::npos) line = line.substr(0, hash);
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    std::smatch m;
    if (!std::regex_match(line, m, line_re)) return std::nullopt;
    slots += std::stoi(m[2]);
    ++hosts;
  }
  if (hosts == 0) return std::nullopt;
  return slots;
}

Kind classify(const InputFile& f) {
  const auto first = f.content.find_first_not_of(" \t\r\n");
  if (first != std::string::npos && f.content[first] == '{') return Kind::kConfig;
  if (hostfile_slots(f.content)) return Kind::kHostfile;
  return Kind::kLaunch;
}

// A positive integer key, or nullopt when absent ("auto" is resolved by HF/accelerate, not DeepSpeed).
std::optional<long long> int_key(const Json& c, const char* key, const std::string& file, ImportResult& out) {
  if (!c.contains(key)) return std::nullopt;
  const Json& v = c[key];
  if (v.is_number_integer() && v.get<long long>() > 0) return v.get<long long>();
  out.errors.push_back(file + ": /" + key + ": expected a positive integer (got " + describe(v) + ")");
  return std::nullopt;
}

bool enabled(const Json& c, const char* key) { return c.contains(key) && c[key].is_object() && c[key].value("enabled", false) == true; }

Offload read_offload(const Json& z, const char* key, bool optimizer, const std::string& file, ImportResult& out) {
  Offload o;
  if (!z.contains(key) || !z[key].is_object()) return o;
  const std::string device = z[key].value("device", "none");
  if (device == "cpu")
    o.device = OffloadDevice::kCpu;
  else if (device == "nvme")
    o.device = OffloadDevice::kNvme;
  else if (device != "none")
    out.errors.push_back(file + ": /zero_optimization/" + key + "/device: expected none, cpu or nvme (got \"" + device + "\")");
  if (o.device != OffloadDevice::kNone) o.fraction = optimizer ? z[key].value("ratio", 1.0) : 1.0;
  return o;
}

}  // namespace

ImportResult import_deepspeed(const std::vector<InputFile>& files, const ImportOptions& options) {
  ImportResult out;
  ImportedJob job;
  std::optional<Json> config;
  std::string config_file;
  std::optional<int> hostfile_world;
  std::vector<InputFile> launches;
  for (const auto& f : files) {
    job.sources.push_back(f.name);
    switch (classify(f)) {
      case Kind::kConfig: {
        Json j = Json::parse(f.content, nullptr, false);
        if (j.is_discarded() || !j.is_object())
          out.errors.push_back(f.name + ": not a JSON object");
        else if (config)
          out.errors.push_back(f.name + ": a second DeepSpeed config (already read " + config_file + ")");
        else {
          config = std::move(j);
          config_file = f.name;
        }
        break;
      }
      case Kind::kHostfile: hostfile_world = hostfile_slots(f.content); break;
      case Kind::kLaunch: launches.push_back(f); break;
    }
  }
  if (!config) {
    out.errors.push_back("no DeepSpeed config (a JSON object) among the files");
    return out;
  }
  const Json& c = *config;
  PlanSpec& p = job.plan;
  TrainingSpec& t = job.training;

  // Launch line: deepspeed --num_nodes N --num_gpus G train.py <Megatron-style args> (§2.4).
  ParsedFlags launch;
  std::string launch_name;
  for (const auto& f : launches) {
    ShellRead script = read_shell(f.content);
    for (const auto& w : script.warnings) out.warnings.push_back(f.name + ": " + w);
    auto parsed = parse_flags(script.words);
    launch.flags.insert(launch.flags.end(), parsed.flags.begin(), parsed.flags.end());
    launch_name += (launch_name.empty() ? "" : "+") + f.name;
  }
  auto launch_int = [&](std::string_view flag) -> std::optional<long long> {
    const std::string* v = launch.value(flag);
    if (!v) return std::nullopt;
    if (auto why = unevaluated_value_error(flag, *v)) {
      out.errors.push_back(launch_name + ": " + *why);
      return std::nullopt;
    }
    try {
      return std::stoll(*v);
    } catch (...) {
      out.errors.push_back(launch_name + ": " + std::string(flag) + ": expected a whole number (got \"" + *v + "\")");
      return std::nullopt;
    }
  };
  if (!options.model && launch.has("--num-layers")) {
    // Megatron-DeepSpeed: the model is in Megatron flags on the launch line.
    ImportOptions with_world = options;
    with_world.gpus = 1;
    with_world.sequence_length = 1;
    auto m = import_megatron(launches, with_world);
    if (m.ok())
      job.model = m.job->model;
    else
      out.errors.insert(out.errors.end(), m.errors.begin(), m.errors.end());
  } else if (!options.model) {
    out.errors.push_back("a DeepSpeed config holds no model: give the model (--model KEY or FILE)");
  }

  // Parallel degrees: AutoTP size (§2.3) or the launch line's TP; PP from the launch line (the
  // PipelineModule num_stages lives in user code): Megatron-DeepSpeed's
  // --pipeline-model-parallel-size, or the -p / --pipeline-parallel-size of DeepSpeedExamples'
  // training/pipeline_parallelism/train.py (45b4b715, get_args L53; its run.sh passes "-p 2").
  p.tp = static_cast<int>(launch_int("--tensor-model-parallel-size").value_or(1));
  if (c.contains("tensor_parallel") && c["tensor_parallel"].is_object()) {
    const long long autotp = c["tensor_parallel"].value("autotp_size", 0LL);
    if (autotp > 0) p.tp = static_cast<int>(autotp);
  }
  p.pp = static_cast<int>(
      launch_int("--pipeline-model-parallel-size").value_or(launch_int("--pipeline-parallel-size").value_or(launch_int("-p").value_or(1))));
  p.sequence_parallel = false;
  p.expert_tp = 1;

  // ZeRO (§2.2).
  int stage = 0;
  bool overlap_comm = false;
  if (c.contains("zero_optimization")) {
    const Json& z = c["zero_optimization"];
    if (!z.is_object())
      out.errors.push_back(config_file + ": /zero_optimization: expected an object");
    else {
      stage = z.value("stage", 0);
      if (stage < 0 || stage > 3)
        out.errors.push_back(config_file + ": /zero_optimization/stage: expected 0..3 (got " + std::to_string(stage) + ")");
      overlap_comm = z.value("overlap_comm", stage == 3);  // default true iff stage 3 (overlap_comm_valid)
      p.optimizer_offload = read_offload(z, "offload_optimizer", true, config_file, out);
      p.param_offload = read_offload(z, "offload_param", false, config_file, out);
      // Deprecated booleans DeepSpeed still maps (runtime/zero/config.py, edaa7221): cpu_offload ->
      // offload_optimizer {device: cpu}, cpu_offload_param -> offload_param {device: cpu}.
      auto legacy = [&](const char* key) {
        if (!z.contains(key)) return false;
        if (!z[key].is_boolean()) out.errors.push_back(config_file + ": /zero_optimization/" + key + ": expected true or false");
        return z[key].is_boolean() && z[key].get<bool>();
      };
      if (!z.contains("offload_optimizer") && legacy("cpu_offload")) p.optimizer_offload = {OffloadDevice::kCpu, 1.0};
      if (!z.contains("offload_param") && legacy("cpu_offload_param")) p.param_offload = {OffloadDevice::kCpu, 1.0};
      if (stage == 3 && z.contains("stage3_prefetch_bucket_size") && z["stage3_prefetch_bucket_size"] == 0) p.overlap_param_gather = false;
      if (stage == 3 && z.value("mics_shard_size", -1) > 0) p.fsdp = Fsdp::kHybridShard;  // MiCS = hybrid shard
    }
  }
  p.zero = p.fsdp == Fsdp::kHybridShard ? 0 : stage;
  p.overlap_grad_reduce = overlap_comm;
  // ds_config's activation_checkpointing only configures deepspeed.checkpointing; layers are
  // recomputed where the model code calls it (runtime/activation_checkpointing/config.py). In
  // Megatron-DeepSpeed that is --checkpoint-activations (or --recompute-granularity full) with
  // --deepspeed-activation-checkpointing (megatron/model/transformer.py L1910, L2082 at f4157bea).
  const std::string* granularity = launch.value("--recompute-granularity");
  const bool checkpoint_flags = launch.has("--checkpoint-activations") || (granularity && *granularity == "full");
  if (checkpoint_flags && launch.has("--deepspeed-activation-checkpointing")) {
    p.recompute = Recompute::kFull;
    const Json* block =
        c.contains("activation_checkpointing") && c["activation_checkpointing"].is_object() ? &c["activation_checkpointing"] : nullptr;
    if (block && block->value("cpu_checkpointing", false)) p.activation_offload = {OffloadDevice::kCpu, 1.0};
  } else if (c.contains("activation_checkpointing")) {
    out.warnings.push_back(config_file +
                           ": /activation_checkpointing only configures deepspeed.checkpointing; no launch flag "
                           "(--checkpoint-activations --deepspeed-activation-checkpointing) says the model calls it: read as no recompute");
  }
  p.grad_reduce_bf16 = c.value("communication_data_type", "") == "bf16";

  // World: hostfile slots, else the launcher's --num_nodes x --num_gpus, else the option, else the
  // batch triple (then DP*TP*PP).
  auto micro = int_key(c, "train_micro_batch_size_per_gpu", config_file, out);
  auto gas = int_key(c, "gradient_accumulation_steps", config_file, out);
  auto train = int_key(c, "train_batch_size", config_file, out);
  std::optional<long long> world;
  const auto launch_nodes = launch_int("--num_nodes"), launch_gpus = launch_int("--num_gpus");
  const std::optional<long long> launched = launch_nodes && launch_gpus ? std::optional(*launch_nodes * *launch_gpus) : std::nullopt;
  if (options.gpus) {
    world = *options.gpus;
    for (auto [given, from] : {std::pair{hostfile_world ? std::optional<long long>(*hostfile_world) : std::nullopt, "the hostfile"},
                               std::pair{launched, "the launch line"}})
      if (given && *given != *world)
        out.warnings.push_back(std::string(from) + " gives " + std::to_string(*given) + " GPUs; --gpus " + std::to_string(*world) +
                               " is used");
  } else if (hostfile_world)
    world = *hostfile_world;
  else if (launched)
    world = *launched;
  else if (train && micro && gas && *train % (*micro * *gas) == 0)
    world = *train / (*micro * *gas) * p.tp * p.pp;
  if (!world) {
    out.errors.push_back("cannot tell the number of GPUs: give a hostfile, the launch line or --gpus");
    return out;
  }
  job.world = static_cast<int>(*world);
  // DP = world/(TP*PP*SP) with an mpu (config.py L694-728).
  const long long mp = static_cast<long long>(p.tp) * p.pp;
  if (*world % mp != 0) out.errors.push_back(std::to_string(*world) + " GPUs are not a multiple of tp*pp = " + std::to_string(mp));
  p.dp = static_cast<int>(*world / mp);
  // Any two batch keys fix the third (_set_batch_related_parameters L942-987); the assertion
  // train = micro * gas * DP must then hold (L925-940).
  if (!micro && train && gas) micro = *train / (*gas * p.dp);
  if (!gas && train && micro) gas = *train / (*micro * p.dp);
  if (!micro) micro = 1;
  if (!gas) gas = 1;
  if (!train) train = *micro * *gas * p.dp;
  if (*train != *micro * *gas * p.dp)
    out.errors.push_back(config_file + ": train_batch_size " + std::to_string(*train) + " != train_micro_batch_size_per_gpu " +
                         std::to_string(*micro) + " * gradient_accumulation_steps " + std::to_string(*gas) + " * DP " +
                         std::to_string(p.dp));
  p.micro_batch = static_cast<int>(*micro);
  t.global_batch = *train;

  auto seq = launch_int("--seq-length");
  if (!seq && options.sequence_length) seq = *options.sequence_length;
  if (!seq) out.errors.push_back("no sequence length: not in the launch line (--seq-length); give --seq-length");
  t.sequence_length = static_cast<int>(seq.value_or(2048));
  // bf16 (alias bfloat16) or fp16, else fp32 (§2.3).
  t.precision = (enabled(c, "bf16") || enabled(c, "bfloat16")) ? Precision::kBf16
                : enabled(c, "fp16")                           ? Precision::kFp16
                                                               : Precision::kFp32;
  if (c.contains("optimizer") && c["optimizer"].is_object() && c["optimizer"].value("type", "") == "SGD") t.optimizer = Optimizer::kSgd;
  if (out.errors.empty()) out.job = job;
  return out;
}

}  // namespace trainplan::exporter
