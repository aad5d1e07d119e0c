// One test per input-validation rule: each asserts the file, JSON pointer and message it reports.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "model/analytic.hpp"
#include "model/calibration.hpp"
#include "model/spec/architecture.hpp"
#include "model/spec/catalog.hpp"
#include "model/spec/spec_json.hpp"
#include "model/step.hpp"

namespace trainplan {
namespace {

const char* kGoodJob = R"({
  "model": "llama3-8b",
  "cluster": {"base": "dgx-h100-superpod", "nodes": 2},
  "training": {"global_batch": 64, "sequence_length": 8192, "precision": "bf16"},
  "plan": {"tp": 8, "pp": 1, "dp": 2, "micro_batch": 1}
})";

struct Loaded {
  std::optional<JobSpec> job;
  Diagnostics diag;
  std::string path;
};

Loaded load(const Json& j) {
  Loaded out;
  out.path = (std::filesystem::temp_directory_path() / ("trainplan_rule_" + std::to_string(::getpid()) + ".json")).string();
  std::ofstream(out.path) << j.dump();
  out.job = load_job_file(out.path, Catalog(CONFIG_DIR), out.diag);
  return out;
}

Json good() { return Json::parse(kGoodJob); }

// The single diagnostic's pointer and whether its message contains `text`.
void expect_error(const Loaded& l, const std::string& pointer, const std::string& text) {
  ASSERT_FALSE(l.diag.ok()) << "expected an error at " << pointer;
  bool found = false;
  for (const auto& d : l.diag.items()) {
    if (d.pointer == pointer && d.message.find(text) != std::string::npos) found = true;
  }
  std::string all;
  for (const auto& d : l.diag.items()) all += d.to_string() + "\n";
  EXPECT_TRUE(found) << "wanted " << pointer << " ~ '" << text << "', got:\n" << all;
  EXPECT_FALSE(l.job.has_value());
}

TEST(SpecRules, GoodJobLoads) {
  Loaded l = load(good());
  ASSERT_TRUE(l.diag.ok()) << l.diag.items()[0].to_string();
  EXPECT_EQ(l.job->plan.tp, 8);
  EXPECT_EQ(l.job->cluster.gpus(), 16);
  EXPECT_TRUE(l.job->plan.sequence_parallel);  // default on with TP > 1
}

TEST(SpecRules, UnknownKeyIsAnError) {
  Json j = good();
  j["plan"]["tensor_parallel"] = 2;
  expect_error(load(j), "/plan/tensor_parallel", "unknown key");
}

TEST(SpecRules, MissingRequiredKey) {
  Json j = good();
  j["training"].erase("precision");
  expect_error(load(j), "/training/precision", "expected one of");
}

TEST(SpecRules, WrongType) {
  Json j = good();
  j["plan"]["tp"] = "eight";
  expect_error(load(j), "/plan/tp", "expected an integer");
}

TEST(SpecRules, BareNumberWhereAUnitIsExpected) {
  Json j = good();
  j["cluster"]["topology"] = {{"kind", "fat-tree"}, {"hop_latency", 2}};
  expect_error(load(j), "/cluster/topology/hop_latency", "expected a duration with a unit");
}

TEST(SpecRules, WrongUnit) {
  Json j = good();
  j["cluster"] = {{"base", "dgx-h100-superpod"},
                  {"nodes", 2},
                  {"node", {{"base", "dgx-h100"}, {"nics", {{"count", 8}, {"rate", "400GHz"}, {"latency", "1us"}}}}}};
  expect_error(load(j), "/cluster/node/nics/rate", "expected a positive rate with a unit");
}

TEST(SpecRules, NegativeRate) {
  Json j = good();
  j["cluster"] = {{"base", "dgx-h100-superpod"},
                  {"nodes", 2},
                  {"node", {{"base", "dgx-h100"}, {"nics", {{"count", 8}, {"rate", -1}, {"latency", "1us"}}}}}};
  expect_error(load(j), "/cluster/node/nics/rate", "got -1");
}

TEST(SpecRules, ZeroBandwidth) {
  Json j = good();
  j["cluster"] = {{"base", "dgx-h100-superpod"},
                  {"nodes", 2},
                  {"node", {{"base", "dgx-h100"}, {"nics", {{"count", 8}, {"rate", "0Gbps"}, {"latency", "1us"}}}}}};
  expect_error(load(j), "/cluster/node/nics/rate", "positive");
}

TEST(SpecRules, ZeroSize) {
  Json j = good();
  j["training"]["sequence_length"] = 0;
  expect_error(load(j), "/training/sequence_length", "expected an integer >= 1");
}

TEST(SpecRules, UnknownCatalogKey) {
  Json j = good();
  j["model"] = "llama9-1t";
  expect_error(load(j), "/model", "unknown models \"llama9-1t\"");
}

TEST(SpecRules, ClosedChoice) {
  Json j = good();
  j["plan"]["zero"] = "4";
  expect_error(load(j), "/plan/zero", "expected one of \"0\", \"1\", \"2\", \"3\"");
}

TEST(SpecRules, PlanLargerThanCluster) {
  Json j = good();
  j["plan"]["dp"] = 4;
  expect_error(load(j), "/plan/dp", "<= the cluster's 16 GPUs");
}

TEST(SpecRules, DpNotGivenMustDivideCluster) {
  Json j = good();
  j["plan"].erase("dp");
  j["plan"]["tp"] = 1;
  j["plan"]["pp"] = 3;
  expect_error(load(j), "/plan/dp", "does not divide the cluster's 16 GPUs");
}

TEST(SpecRules, TensorParallelMustDivideHeads) {
  Json j = good();
  j["plan"]["tp"] = 3;
  j["plan"]["dp"] = 1;
  expect_error(load(j), "/plan/tp", "divide the 32 attention heads");
}

TEST(SpecRules, GlobalBatchDivisibleByMicroBatchTimesDp) {
  Json j = good();
  j["plan"]["micro_batch"] = 3;
  expect_error(load(j), "/plan/micro_batch", "to divide the global batch (64)");
}

TEST(SpecRules, ContextParallelDividesSequence) {
  Json j = good();
  j["training"]["sequence_length"] = 8190;
  j["plan"]["tp"] = 1;
  j["plan"]["cp"] = 4;
  j["plan"]["dp"] = 4;
  expect_error(load(j), "/plan/cp", "2*cp to divide the sequence length");
}

TEST(SpecRules, ExpertParallelNeedsMoe) {
  Json j = good();
  j["plan"]["ep"] = 2;
  expect_error(load(j), "/plan/ep", "ep 1 for a dense model");
}

TEST(SpecRules, LayersSplitOverStages) {
  Json j = good();
  j["plan"]["tp"] = 1;
  j["plan"]["pp"] = 5;
  j["plan"]["dp"] = 1;
  expect_error(load(j), "/plan/pp", "split evenly over pp 5 x 1 virtual stages");
}

// An explicit layout is read as text, gives the virtual stages (Megatron arguments.py L950), is
// checked at its key and written back as given.
TEST(SpecRules, PipelineLayoutReadCheckedAndWritten) {
  Json j = good();
  j["plan"] = {{"tp", 1}, {"pp", 4}, {"dp", 1}, {"pipeline_layout", "Et*4|(t*4|)*6,t*4L"}};  // 8 chunks: 2 virtual stages
  Loaded l = load(j);
  ASSERT_TRUE(l.job) << l.diag.items().front().to_string();
  EXPECT_EQ(l.job->plan.pipeline_layout, "Et*4|(t*4|)*6,t*4L");
  EXPECT_EQ(l.job->plan.virtual_stages, 2);
  EXPECT_EQ(l.job->plan.schedule, Schedule::kInterleaved);
  EXPECT_EQ(plan_to_json(l.job->plan)["pipeline_layout"], "Et*4|(t*4|)*6,t*4L");
  EXPECT_FALSE(plan_to_json(PlanSpec{}).contains("pipeline_layout"));
  j["plan"]["pipeline_layout"] = "Et*4|(t*4|)*6,t*3L";
  expect_error(load(j), "/plan/pipeline_layout", "(31) to match the model's 32 layers");
  j["plan"]["pipeline_layout"] = 7;
  expect_error(load(j), "/plan/pipeline_layout", "string");
}

// The embedding and loss counted as layers make 32 + 2 split over pp 2 x 17, not 32 alone.
TEST(SpecRules, AccountForEmbeddingAndLoss) {
  Json j = good();
  j["plan"] = {{"tp", 1}, {"pp", 2}, {"dp", 1}, {"virtual_stages", 17}, {"account_for_embedding", true}, {"account_for_loss", true}};
  Loaded l = load(j);
  ASSERT_TRUE(l.job) << l.diag.items().front().to_string();
  EXPECT_TRUE(l.job->plan.account_for_embedding && l.job->plan.account_for_loss);
  j["plan"]["account_for_loss"] = false;
  expect_error(load(j), "/plan/pp", "the 33 layers (with the embedding and loss counted");
}

TEST(SpecRules, UnevenStagesAccepted) {
  Json j = good();
  j["plan"] = {{"tp", 1}, {"pp", 5}, {"dp", 1}, {"first_stage_layers", 8}, {"last_stage_layers", 0 + 6}};
  // 32 - 8 - 6 = 18 layers over 3 stages.
  Loaded l = load(j);
  EXPECT_TRUE(l.diag.ok()) << (l.diag.ok() ? "" : l.diag.items()[0].to_string());
}

TEST(SpecRules, InterleavedNeedsVirtualStages) {
  Json j = good();
  j["plan"]["tp"] = 1;
  j["plan"]["pp"] = 2;
  j["plan"]["dp"] = 1;
  j["plan"]["schedule"] = "interleaved";
  expect_error(load(j), "/plan/virtual_stages", "virtual_stages > 1");
}

TEST(SpecRules, ParameterOffloadNeedsZero3) {
  Json j = good();
  j["plan"]["offload"] = {{"params", {{"device", "cpu"}}}};
  expect_error(load(j), "/plan/offload", "zero 3 or fsdp");
}

TEST(SpecRules, NvmeOffloadNeedsNvme) {
  Json j = good();
  j["cluster"] = {{"base", "frontier"}, {"nodes", 2}};
  j["plan"] = {{"tp", 8}, {"dp", 2}, {"zero", "3"}, {"offload", {{"optimizer", {{"device", "nvme"}}}}}};
  expect_error(load(j), "/plan/offload", "no NVMe");
}

TEST(SpecRules, NotJson) {
  auto path = (std::filesystem::temp_directory_path() / "trainplan_rule_bad.json").string();
  std::ofstream(path) << "{ not json";
  Diagnostics diag;
  EXPECT_FALSE(load_job_file(path, Catalog(CONFIG_DIR), diag));
  ASSERT_FALSE(diag.ok());
  EXPECT_EQ(diag.items()[0].file, path);
  EXPECT_NE(diag.items()[0].message.find("not valid JSON"), std::string::npos);
}

TEST(SpecRules, SequenceParallelTurnedOffAtTp1) {
  Json j = good();
  j["plan"] = {{"tp", 1}, {"sequence_parallel", true}, {"dp", 16}, {"micro_batch", 1}};
  Loaded l = load(j);
  ASSERT_TRUE(l.diag.ok());
  EXPECT_FALSE(l.job->plan.sequence_parallel);
}

// tp_grad_overlap: on unless the job says otherwise; the spec writer writes it back; the
// synchronous backward makes the same plan slower, never faster (and the layer-cost cache keeps
// the two apart).
TEST(SpecRules, TpGradOverlapReadWrittenAndPredicted) {
  Loaded on = load(good());
  ASSERT_TRUE(on.job.has_value());
  EXPECT_TRUE(on.job->plan.tp_grad_overlap);
  Json j = good();
  j["plan"]["tp_grad_overlap"] = false;
  Loaded off = load(j);
  ASSERT_TRUE(off.job.has_value());
  EXPECT_FALSE(off.job->plan.tp_grad_overlap);
  EXPECT_EQ(plan_to_json(off.job->plan)["tp_grad_overlap"], false);
  EXPECT_EQ(plan_to_json(on.job->plan)["tp_grad_overlap"], true);
  const Catalog catalog(CONFIG_DIR);
  Diagnostics d;
  const Calibration cal = load_calibration(catalog, on.job->cluster.node.gpu, "", d);
  LayerCostCache cache;
  const AnalyticEvaluator ev;
  const Evaluation a = ev.evaluate(*on.job, cal, cache);
  const Evaluation b = ev.evaluate(*off.job, cal, cache);
  EXPECT_GT(b.breakdown.tp_comm, a.breakdown.tp_comm);
  EXPECT_GT(b.step_time, a.step_time);
}

// A measured calibration file names the GPU it was measured on; applied to a job on another GPU it
// is refused at its "gpu" key (issue 18: an H100 file silently priced an A100 job's GEMMs).
TEST(SpecRules, CalibrationFromAnotherGpuIsRefused) {
  const Catalog catalog(CONFIG_DIR);
  const std::string path = (std::filesystem::temp_directory_path() / "trainplan-h100-calibration.json").string();
  std::ofstream(path) << R"({"schema": "trainplan-calibration/1", "gpu": "h100-sxm5-80gb",
      "gemm": [{"m": 8192, "n": 8192, "k": 8192, "dtype": "bf16", "tflops": 720.5}]})";
  Diagnostics diag;
  Json a100 = "a100-sxm4-80gb";
  const GpuSpec a = read_gpu(Node{&a100, "<test>", "", &diag}, catalog);
  ASSERT_TRUE(diag.items().empty());
  (void)load_calibration(catalog, a, path, diag);
  ASSERT_EQ(diag.items().size(), 1u);
  EXPECT_EQ(diag.items()[0].pointer, "/gpu");
  EXPECT_NE(diag.items()[0].to_string().find("measured on \"h100-sxm5-80gb\", but the job's GPU is \"a100-sxm4-80gb\""), std::string::npos);
  Diagnostics same;
  Json h100 = "h100-sxm5-80gb";
  const Calibration cal = load_calibration(catalog, read_gpu(Node{&h100, "<test>", "", &same}, catalog), path, same);
  EXPECT_TRUE(same.items().empty());
  ASSERT_EQ(cal.gemm_samples.size(), 1u);
  EXPECT_DOUBLE_EQ(cal.gemm_samples[0].tflops, 720.5);
  std::filesystem::remove(path);
}

// master_params: fp32 unless the job says "remainder"; written back; remainders complete bf16
// weights only, so an fp16 job that asks for them is refused at the key, naming the precision.
TEST(SpecRules, MasterParamsReadWrittenAndNeedBf16Weights) {
  Loaded fp32 = load(good());
  ASSERT_TRUE(fp32.job.has_value());
  EXPECT_FALSE(fp32.job->plan.param_remainders);
  EXPECT_EQ(plan_to_json(fp32.job->plan)["master_params"], "fp32");
  Json j = good();
  j["plan"]["master_params"] = "remainder";
  Loaded rem = load(j);
  ASSERT_TRUE(rem.job.has_value());
  EXPECT_TRUE(rem.job->plan.param_remainders);
  EXPECT_EQ(plan_to_json(rem.job->plan)["master_params"], "remainder");
  j["training"]["precision"] = "fp16";
  expect_error(load(j), "/plan/master_params", "got fp16");
  j["training"]["precision"] = "bf16";
  j["training"]["optimizer"] = "sgd";  // only Adam has a remainder store
  expect_error(load(j), "/plan/master_params", "bf16, sgd");
  j["training"]["optimizer"] = "adam";
  j["plan"]["master_params"] = "bf16";
  expect_error(load(j), "/plan/master_params", "remainder");
}

TEST(SpecRules, ManyProblemsReportedTogether) {
  Json j = good();
  j["plan"]["tp"] = "x";
  j["training"]["precision"] = "fp4";
  j["extra"] = 1;
  Loaded l = load(j);
  EXPECT_GE(l.diag.items().size(), 3u);
}

TEST(SpecRules, EveryCatalogEntryLoads) {
  Catalog catalog(CONFIG_DIR);
  for (const std::string kind : {"gpus", "nodes", "clusters", "models"}) {
    for (const auto& key : catalog.keys(kind)) {
      Diagnostics diag;
      Json ref = key;
      Node n{&ref, "<test>", "", &diag};
      if (kind == "gpus") read_gpu(n, catalog);
      if (kind == "nodes") read_node(n, catalog);
      if (kind == "clusters") read_cluster(n, catalog);
      if (kind == "models") read_model(n, catalog);
      EXPECT_TRUE(diag.ok()) << kind << "/" << key << ": " << (diag.ok() ? "" : diag.items()[0].to_string());
    }
  }
}

TEST(SpecRules, HfConfigLlama32_1B) {
  // Megatron-Bridge tests/unit_tests/models/llama/test_llama_bridge.py reference config.
  Json cfg = {{"architectures", {"LlamaForCausalLM"}},
              {"model_type", "llama"},
              {"hidden_size", 2048},
              {"intermediate_size", 8192},
              {"num_hidden_layers", 16},
              {"num_attention_heads", 32},
              {"num_key_value_heads", 8},
              {"head_dim", 64},
              {"vocab_size", 128256},
              {"max_position_embeddings", 131072},
              {"tie_word_embeddings", true},
              {"rms_norm_eps", 1e-5},
              {"rope_theta", 500000.0},
              {"hidden_act", "silu"}};
  auto path = (std::filesystem::temp_directory_path() / "trainplan_hf_config.json").string();
  std::ofstream(path) << cfg.dump();
  Diagnostics diag;
  auto m = load_model_file(path, Catalog(CONFIG_DIR), diag);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->layers, 16);
  EXPECT_EQ(m->kv_heads, 8);
  EXPECT_TRUE(m->tied_embeddings);
}

}  // namespace
}  // namespace trainplan

namespace trainplan {
namespace {

// A knob's own rule (plan_knobs.hpp KnobDecl::invalid) is reported at the knob's key.
TEST(SpecRules, Fp8ParamGatherNeedsFp8AndAShardedOptimizer) {
  Json j = good();
  j["plan"]["fp8_param_gather"] = true;
  j["plan"]["zero"] = "1";
  expect_error(load(j), "/plan/fp8_param_gather", "expected precision fp8 with fp8_param_gather");
  j["training"]["precision"] = "fp8";
  j["plan"]["zero"] = "0";
  expect_error(load(j), "/plan/fp8_param_gather", "expected zero >= 1 or fsdp with fp8_param_gather");
  j["plan"]["zero"] = "1";
  const Loaded ok = load(j);
  ASSERT_TRUE(ok.job) << ok.diag.items().front().to_string();
  EXPECT_TRUE(ok.job->plan.fp8_param_gather);
}

}  // namespace
}  // namespace trainplan

namespace trainplan {
namespace {

// The architecture table (model/spec/architecture.hpp) is what the catalog reader accepts, in its
// order, and what decides TP comm overlap and the generations the fit orders.
TEST(SpecRules, ArchitecturesComeFromOneTable) {
  Diagnostics diag;
  Json gpu = {{"base", "h100-sxm5-80gb"}, {"architecture", "pascal"}};
  read_gpu(Node{&gpu, "gpu.json", "", &diag}, Catalog(CONFIG_DIR));
  ASSERT_FALSE(diag.ok());
  EXPECT_EQ(diag.items().front().pointer, "/architecture");
  EXPECT_NE(diag.items().front().message.find(
                "expected one of \"volta\", \"ampere\", \"hopper\", \"blackwell\", \"cdna2\", \"cdna3\" (got \"pascal\")"),
            std::string::npos)
      << diag.items().front().message;
  GpuSpec g;
  for (const char* a : {"ampere", "hopper", "blackwell"}) {
    g.architecture = a;
    EXPECT_TRUE(supports_tp_comm_overlap(g)) << a;
  }
  for (const char* a : {"volta", "cdna2", "cdna3", "pascal"}) {
    g.architecture = a;
    EXPECT_FALSE(supports_tp_comm_overlap(g)) << a;
  }
  EXPECT_EQ(architecture_generation("volta"), 0);
  EXPECT_EQ(architecture_generation("blackwell"), 3);
  EXPECT_EQ(architecture_generation("cdna3"), -1);
  EXPECT_EQ(kNvidiaGenerations, 4);
}

}  // namespace
}  // namespace trainplan

namespace trainplan {
namespace {

// An offload fraction with device "none" is named at the fraction's own key (issue 18).
TEST(SpecRules, OffloadFractionWithoutADeviceIsNamedAtTheFraction) {
  Json j = good();
  j["plan"]["offload"] = {{"params", {{"device", "none"}, {"fraction", 0.5}}}};
  expect_error(load(j), "/plan/offload/params/fraction", "device \"none\" offloads nothing");
}

}  // namespace
}  // namespace trainplan

namespace trainplan {
namespace {

// The good job on `framework` (nullptr: unstated) with these plan keys set.
Json on(const char* framework, std::initializer_list<std::pair<const char*, Json>> plan) {
  Json j = good();
  if (framework) j["training"]["framework"] = framework;
  for (const auto& [k, v] : plan) j["plan"][k] = v;
  return j;
}

// Contract, "The framework is an input": a plan that uses a feature its framework lacks at the
// job's date is refused with the reason at the knob's path (configs/frameworks/frameworks.json);
// an unstated knob whose default needs such a feature takes the framework's value instead.
TEST(SpecRules, AFeatureTheFrameworkLacksIsRefusedAtItsPath) {
  Json j = on("megatron-deepspeed", {});  // no Megatron sequence parallelism, ever
  Loaded l = load(j);
  ASSERT_TRUE(l.diag.ok()) << l.diag.items()[0].to_string();
  EXPECT_FALSE(l.job->plan.sequence_parallel);  // TP 8, not stated: the framework's value, off
  // Its engine reduces gradients after the last backward (frameworks.json overlap_grad_reduce null).
  EXPECT_FALSE(l.job->plan.overlap_grad_reduce);
  EXPECT_FALSE(l.job->plan.overlap_param_gather);
  EXPECT_TRUE(load(good()).job->plan.overlap_grad_reduce);  // Megatron-Core, assumed: trainplan's default, on
  j["plan"]["sequence_parallel"] = true;
  expect_error(load(j), "/plan/sequence_parallel", "sequence parallelism is not in the job's framework at the job's date");
  // Megatron-Core had interleaving, but not in 2020 (frameworks.json: 2021-02).
  Json k = on("megatron-core", {{"pp", 2}, {"dp", 1}, {"virtual_stages", 2}, {"schedule", "interleaved"}});
  EXPECT_TRUE(load(k).diag.ok());
  k["date"] = "2020";
  expect_error(load(k), "/plan/virtual_stages", "the interleaved schedule");
  // PyTorch FSDP shards as FULL_SHARD or SHARD_GRAD_OP, never the optimizer state alone.
  Json f = on("pytorch-fsdp", {{"tp", 1}, {"dp", 16}, {"zero", "1"}});
  expect_error(load(f), "/plan/zero", "a distributed optimizer (ZeRO-1)");
  f["plan"]["zero"] = "0";
  f["plan"]["fsdp"] = "full_shard";
  EXPECT_TRUE(load(f).diag.ok());
  // Megatron-Core's schedules are 1F1B and interleaved: no zero-bubble; torchtitan has one (2025).
  Json z = on(nullptr, {{"pp", 2}, {"dp", 1}, {"schedule", "zero-bubble"}});
  expect_error(load(z), "/plan/schedule", "a zero-bubble schedule is not in the job's framework");
  z["training"]["framework"] = "torchtitan";
  EXPECT_TRUE(load(z).diag.ok()) << load(z).diag.items()[0].to_string();
  // DeepSpeed splits sequences with Ulysses, not Megatron's ring context parallelism.
  Json c = on("deepspeed", {{"tp", 1}, {"dp", 8}, {"cp", 2}});
  expect_error(load(c), "/plan/cp", "context parallelism is not in the job's framework");
  // Megatron-LM before Megatron-Core shards only the optimizer state; an FSDP loop has no pipeline.
  Json s = on("megatron-lm", {{"zero", "3"}});
  expect_error(load(s), "/plan/zero", "sharded gradients or parameters (ZeRO-2/3)");
  s["plan"]["zero"] = "0";
  s["plan"]["fsdp"] = "full_shard";
  expect_error(load(s), "/plan/fsdp", "FSDP is not in the job's framework");
  Json q = on("pytorch-fsdp", {{"tp", 1}, {"pp", 2}, {"dp", 8}, {"fsdp", "full_shard"}});
  expect_error(load(q), "/plan/pp", "pipeline parallelism is not in the job's framework");
}

}  // namespace
}  // namespace trainplan
