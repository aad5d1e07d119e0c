// torchtitan export: v0.2.2 TOML + dotted overrides (docs/interfaces.md §3, §9).
#include <map>
#include <sstream>

#include "export_test_support.hpp"

namespace trainplan::exporter {
namespace {

using testing::contains;
using testing::load_example;

// key = value lines of one TOML table.
std::map<std::string, std::string> table(const std::string& toml, const std::string& name) {
  std::map<std::string, std::string> out;
  std::istringstream in(toml);
  std::string line, current;
  while (std::getline(in, line)) {
    if (line.starts_with("["))
      current = line.substr(1, line.find(']') - 1);
    else if (current == name && line.find(" = ") != std::string::npos)
      out[line.substr(0, line.find(" = "))] = line.substr(line.find(" = ") + 3);
  }
  return out;
}

std::map<std::string, std::string> parallelism_of(const ExportResult& r) {
  if (r.refused()) {
    ADD_FAILURE() << "refused: " << r.reasons.front();
    return {};
  }
  return table(r.find_file("torchtitan.toml")->content, "parallelism");
}

// torchtitan v0.2.2 always runs TP with sequence parallelism.
JobSpec zero2_with_sp() {
  JobSpec job = load_example("llama3-8b-zero2-h100-16");
  job.plan.sequence_parallel = true;
  job.plan.grad_reduce_bf16 = false;  // v0.2.2 reduces in float32 only (see GradReduceInBf16)
  return job;
}

TEST(TorchtitanRefusal, TensorParallelWithoutSequenceParallel) {
  EXPECT_TRUE(export_torchtitan(load_example("llama3-8b-zero2-h100-16")).refused());
}

TEST(TorchtitanExport, ProductOfDegreesIsTheWorld) {
  for (const auto& name : testing::example_jobs()) {
    JobSpec job = load_example(name);
    ExportResult r = export_torchtitan(job);
    if (r.refused()) continue;
    auto p = parallelism_of(r);
    const long long product = std::stoll(p["data_parallel_replicate_degree"]) * std::stoll(p["data_parallel_shard_degree"]) *
                              std::stoll(p["context_parallel_degree"]) * std::stoll(p["tensor_parallel_degree"]) *
                              std::stoll(p["pipeline_parallel_degree"]);
    EXPECT_EQ(product, job.plan.gpus()) << name;  // parallel_dims.py v0.2.2 L35-60
  }
}

TEST(TorchtitanExport, Zero3ReshardsAfterForwardZero2DoesNot) {
  auto p = parallelism_of(export_torchtitan(load_example("llama3-8b-fsdp-a100-32")));
  EXPECT_EQ(p["data_parallel_shard_degree"], "32");
  EXPECT_EQ(p["fsdp_reshard_after_forward"], "\"always\"");
  auto q = parallelism_of(export_torchtitan(zero2_with_sp()));
  EXPECT_EQ(q["data_parallel_shard_degree"], "8");
  EXPECT_EQ(q["fsdp_reshard_after_forward"], "\"never\"");
}

TEST(TorchtitanRefusal, ParamRemainders) {
  JobSpec job = load_example("llama3-70b-zero3-cpu-offload-a100-16");
  ASSERT_FALSE(export_torchtitan(job).refused());
  job.plan.param_remainders = true;
  ExportResult r = export_torchtitan(job);
  ASSERT_TRUE(r.refused());
  EXPECT_TRUE(contains(r.reasons.back(), "remainder"));
}

TEST(TorchtitanExport, CpuOffloadIsEnableCpuOffload) {
  ExportResult r = export_torchtitan(load_example("llama3-70b-zero3-cpu-offload-a100-16"));
  ASSERT_FALSE(r.refused()) << r.reasons.front();
  EXPECT_EQ(table(r.find_file("torchtitan.toml")->content, "training")["enable_cpu_offload"], "true");
}

TEST(TorchtitanExport, OverrideLineRepeatsTheParallelismTable) {
  ExportResult r = export_torchtitan(zero2_with_sp());
  ASSERT_FALSE(r.refused()) << r.reasons.front();
  const std::string& launch = r.find_file("launch.sh")->content;
  for (const auto& [k, v] : parallelism_of(r)) {
    // tyro booleans are --flag / --no-flag: "--flag false" is refused, so booleans stay in the TOML.
    if (v == "true" || v == "false") {
      EXPECT_FALSE(contains(launch, "--parallelism." + k)) << k;
      continue;
    }
    std::string bare = v.starts_with("\"") ? v.substr(1, v.size() - 2) : v;
    EXPECT_TRUE(contains(launch, "--parallelism." + k + " " + bare)) << k;
  }
}

TEST(TorchtitanExport, PipelineBatchAndUnevenStages) {
  JobSpec job = load_example("llama3-405b-h100-16384");
  job.plan.zero = 3;  // FSDP instead of ZeRO-1, which torchtitan lacks
  ExportResult r = export_torchtitan(job);
  ASSERT_FALSE(r.refused()) << r.reasons.front();
  auto p = parallelism_of(r);
  EXPECT_EQ(p["pipeline_parallel_layers_per_stage"], "8");
  EXPECT_EQ(p["pipeline_parallel_first_stage_less_layers"], "1");  // 8 - 7
  EXPECT_EQ(p["pipeline_parallel_last_stage_less_layers"], "1");
  EXPECT_EQ(p["pipeline_parallel_microbatch_size"], "1");
  auto t = table(r.find_file("torchtitan.toml")->content, "training");
  EXPECT_EQ(t["local_batch_size"], std::to_string(2048 / 128));  // all micro-batches of a DP rank
  EXPECT_EQ(t["global_batch_size"], "2048");
}

TEST(TorchtitanExport, EvenPipelineWritesZeroLessLayers) {
  JobSpec job = load_example("llama3-70b-h100-64");
  job.plan.zero = 3;
  auto p = parallelism_of(export_torchtitan(job));
  EXPECT_EQ(p["pipeline_parallel_schedule"], "\"Interleaved1F1B\"");
  EXPECT_EQ(p["pipeline_parallel_layers_per_stage"], std::to_string(80 / (4 * 5)));
  EXPECT_EQ(p["pipeline_parallel_first_stage_less_layers"], "0");  // defaults are 1
}

TEST(TorchtitanRefusal, Zero1WithDataParallelism) {
  ExportResult r = export_torchtitan(load_example("gpt3-175b-a100-1024"));
  ASSERT_TRUE(r.refused());
  bool zero1 = false;
  for (const auto& why : r.reasons) zero1 |= contains(why, "no ZeRO-1");
  EXPECT_TRUE(zero1);
}

TEST(TorchtitanRefusal, ExpertTensorParallelMustBeOneOrTp) {
  JobSpec job = load_example("llama3-8b-zero2-h100-16");
  job.plan.tp = 4;
  job.plan.dp = 4;
  job.plan.sequence_parallel = true;
  job.plan.expert_tp = 2;
  job.plan.grad_reduce_bf16 = false;
  ExportResult r = export_torchtitan(job);
  ASSERT_TRUE(r.refused());
  EXPECT_TRUE(contains(r.reasons.front(), "expert_tensor_parallel_degree"));
}

// job_config.py v0.2.2: mixed_precision_reduce: Literal["float32"].
TEST(TorchtitanRefusal, GradReduceInBf16) {
  JobSpec job = zero2_with_sp();
  ASSERT_FALSE(export_torchtitan(job).refused());
  EXPECT_EQ(table(export_torchtitan(job).find_file("torchtitan.toml")->content, "training")["mixed_precision_reduce"], "\"float32\"");
  job.plan.grad_reduce_bf16 = true;
  ExportResult r = export_torchtitan(job);
  ASSERT_TRUE(r.refused());
  EXPECT_TRUE(contains(r.reasons.front(), "float32"));
}

TEST(TorchtitanRefusal, ModelWithoutFlavor) { EXPECT_TRUE(export_torchtitan(load_example("mixtral-8x7b-h100-64")).refused()); }

// Families other than llama3: a catalog model is exported as the registered flavor with its shape.
TEST(TorchtitanExport, Qwen3AndDeepSeekV3FlavorsByShape) {
  JobSpec qwen = load_example("llama3-8b-fsdp-a100-32");
  qwen.model = testing::load_catalog_model("qwen3-8b");
  ExportResult r = export_torchtitan(qwen);
  ASSERT_FALSE(r.refused()) << r.reasons.front();
  auto model = table(r.find_file("torchtitan.toml")->content, "model");
  EXPECT_EQ(model["name"], "\"qwen3\"");
  EXPECT_EQ(model["flavor"], "\"8B\"");
  // qwen3's TrainSpec has no pipelining_fn in v0.2.2.
  qwen.plan.pp = 2;
  qwen.plan.dp /= 2;
  r = export_torchtitan(qwen);
  ASSERT_TRUE(r.refused());
  EXPECT_TRUE(contains(r.reasons.back(), "qwen3 TrainSpec has no pipelining_fn")) << r.reasons.back();

  JobSpec deepseek = load_example("llama3-8b-fsdp-a100-32");
  deepseek.model = testing::load_catalog_model("deepseek-v3");
  ASSERT_EQ(deepseek.model.mtp_layers, 1);
  r = export_torchtitan(deepseek);
  ASSERT_TRUE(r.refused());
  EXPECT_TRUE(contains(r.reasons.front(), "multi-token prediction"));
  deepseek.model.mtp_layers = 0;
  deepseek.cluster.nodes = 64;
  deepseek.plan.dp = 512;
  deepseek.training.global_batch = 1024;
  r = export_torchtitan(deepseek);
  ASSERT_FALSE(r.refused()) << r.reasons.front();
  model = table(r.find_file("torchtitan.toml")->content, "model");
  EXPECT_EQ(model["name"], "\"deepseek_v3\"");
  EXPECT_EQ(model["flavor"], "\"671B\"");
  // One dimension off and no flavor has the shape.
  deepseek.model.moe->top_k = 6;
  EXPECT_TRUE(contains(export_torchtitan(deepseek).reasons.front(), "no torchtitan v0.2.2 flavor"));
}

// fp8 is the float8 converter on nn.Linear, compiled, with the output layer left in bf16.
TEST(TorchtitanExport, Fp8IsTheFloat8Converter) {
  JobSpec job = load_example("llama3-8b-fsdp-a100-32");
  job.training.precision = Precision::kFp8;
  const ExportResult r = export_torchtitan(job);
  ASSERT_FALSE(r.refused()) << r.reasons.front();
  const std::string& toml = r.find_file("torchtitan.toml")->content;
  EXPECT_EQ(table(toml, "model")["converters"], "[\"quantize.linear.float8\"]");
  EXPECT_EQ(table(toml, "quantize.linear.float8")["filter_fqns"], "[\"output\"]");
  EXPECT_EQ(table(toml, "compile")["enable"], "true");
  EXPECT_EQ(table(toml, "training")["mixed_precision_param"], "\"bfloat16\"");
  JobSpec moe = load_example("mixtral-8x7b-h100-64");
  moe.training.precision = Precision::kFp8;
  bool prototype = false;
  for (const auto& why : export_torchtitan(moe).reasons) prototype = prototype || contains(why, "grouped GEMMs");
  EXPECT_TRUE(prototype);
}

TEST(TorchtitanRefusal, Fp16) {
  JobSpec job = load_example("llama3-8b-fsdp-a100-32");
  job.training.precision = Precision::kFp16;
  EXPECT_TRUE(export_torchtitan(job).refused());
}

TEST(TorchtitanRefusal, PartialOffload) {
  JobSpec job = load_example("llama3-70b-zero3-cpu-offload-a100-16");
  job.plan.param_offload.fraction = 0.5;
  EXPECT_TRUE(export_torchtitan(job).refused());
}

}  // namespace
}  // namespace trainplan::exporter

namespace trainplan::exporter {
namespace {

using testing::load_project_job;

// torchtitan's layer-wise selective checkpointing counts a rank's blocks from 1 and wraps every
// N-th (activation_checkpoint.py _apply_layer_sac, `_layer_sac_count % ac_freq == 0`): floor(L/N)
// of a rank's L blocks. 10 of Llama 3 8B's 32 is N = 3 (32 / 3 = 10); 11 is no N (32/2 = 16).
TEST(TorchtitanExport, RecomputedLayersAreOneBlockInN) {
  JobSpec job = load_project_job("configs/examples/llama3-8b-torchtitan-h100-64.json");
  ASSERT_EQ(job.plan.recompute_layers, 16);
  auto ac = [](const ExportResult& r) { return table(r.find_file("torchtitan.toml")->content, "activation_checkpoint"); };
  ExportResult r = export_torchtitan(job);
  ASSERT_FALSE(r.refused()) << r.reasons.front();
  EXPECT_EQ(ac(r)["mode"], "\"selective\"");
  EXPECT_EQ(ac(r)["selective_ac_option"], "\"2\"");
  job.plan.recompute_layers = 10;
  r = export_torchtitan(job);
  ASSERT_FALSE(r.refused()) << r.reasons.front();
  EXPECT_EQ(ac(r)["selective_ac_option"], "\"3\"");
  job.plan.recompute_layers = 11;
  EXPECT_TRUE(export_torchtitan(job).refused());
}

}  // namespace
}  // namespace trainplan::exporter
