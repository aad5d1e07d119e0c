// DeepSpeed export: ds_config.json, hostfile, launch line (docs/interfaces.md §2, §9).
#include <cstdio>

#include "export_test_support.hpp"
#include "model/analytic.hpp"

namespace trainplan::exporter {
namespace {

using testing::contains;
using testing::load_example;

Json config_of(const ExportResult& r) {
  const ExportFile* f = r.find_file("ds_config.json");
  if (!f) {
    ADD_FAILURE() << "refused: " << (r.reasons.empty() ? "" : r.reasons.front());
    return Json::object();
  }
  return Json::parse(f->content);
}

// An example without its recompute: DeepSpeed refuses full recompute the plan's memory depends on
// (ActivationCheckpointing* below), and the other tests are about the other blocks.
JobSpec no_recompute(const std::string& name) {
  JobSpec job = load_example(name);
  job.plan.recompute = Recompute::kNone;
  job.plan.activation_offload = {};
  return job;
}

TEST(DeepSpeedExport, BatchTripleConsistentWithDpOverTpPp) {
  for (const auto& name : testing::example_jobs()) {
    JobSpec job = load_example(name);
    ExportResult r = export_deepspeed(job);
    if (r.refused()) continue;
    Json c = config_of(r);
    // train_batch_size == micro * grad_acc * DP, DP = world/(TP*PP*CP) (config.py L925-940).
    const long long dp = job.plan.gpus() / (job.plan.tp * job.plan.pp * job.plan.cp);
    EXPECT_EQ(c["train_batch_size"].get<long long>(),
              c["train_micro_batch_size_per_gpu"].get<long long>() * c["gradient_accumulation_steps"].get<long long>() * dp)
        << name;
    EXPECT_EQ(c["train_batch_size"].get<long long>(), job.training.global_batch) << name;
  }
}

TEST(DeepSpeedExport, OverlapCommAndPinMemoryWrittenExplicitly) {
  Json c = config_of(export_deepspeed(no_recompute("llama3-70b-zero3-cpu-offload-a100-16")));
  const Json& z = c["zero_optimization"];
  EXPECT_EQ(z["stage"], 3);
  EXPECT_TRUE(z.contains("overlap_comm"));
  EXPECT_EQ(z["offload_optimizer"]["device"], "cpu");
  EXPECT_EQ(z["offload_optimizer"]["pin_memory"], true);
  EXPECT_EQ(z["offload_param"]["device"], "cpu");
  EXPECT_EQ(z["offload_param"]["pin_memory"], true);
  Json z2 = config_of(export_deepspeed(load_example("llama3-8b-zero2-h100-16")))["zero_optimization"];
  EXPECT_EQ(z2["stage"], 2);
  EXPECT_TRUE(z2.contains("overlap_comm"));  // defaults differ by stage: always written
}

TEST(DeepSpeedExport, NvmeMeansStage3AndAnAioBlock) {
  Json c = config_of(export_deepspeed(no_recompute("llama3-70b-nvme-h100-8")));
  EXPECT_EQ(c["zero_optimization"]["stage"], 3);
  EXPECT_EQ(c["zero_optimization"]["offload_optimizer"]["device"], "nvme");
  EXPECT_TRUE(c["zero_optimization"]["offload_optimizer"].contains("nvme_path"));
  ASSERT_TRUE(c.contains("aio"));
  for (const char* k : {"block_size", "queue_depth", "intra_op_parallelism", "single_submit", "overlap_events"})
    EXPECT_TRUE(c["aio"].contains(k)) << k;
  EXPECT_FALSE(c["aio"].contains("thread_count"));  // renamed in runtime/swap_tensor/constants.py; the old key is ignored
}

TEST(DeepSpeedExport, NvmeBelowStage3Refused) {
  JobSpec job = no_recompute("llama3-70b-nvme-h100-8");
  job.plan.zero = 2;
  job.plan.param_offload = {};
  EXPECT_TRUE(export_deepspeed(job).refused());
}

TEST(DeepSpeedExport, PrecisionBlocks) {
  JobSpec job = no_recompute("llama3-8b-fsdp-a100-32");
  EXPECT_EQ(config_of(export_deepspeed(job))["bf16"]["enabled"], true);
  job.training.precision = Precision::kFp16;
  Json c = config_of(export_deepspeed(job));
  EXPECT_FALSE(c.contains("bf16"));
  EXPECT_EQ(c["fp16"]["enabled"], true);
  EXPECT_EQ(c["fp16"]["loss_scale"], 0);  // dynamic
}

// ds_config's block only configures deepspeed.checkpointing; the model code must call it. Where the
// plan fits without recompute it is written, with Megatron-DeepSpeed's switches on the launch line
// and a note; where the plan's memory depends on it, the export refuses with the memory without it.
TEST(DeepSpeedExport, ActivationCheckpointingWrittenWhenThePlanFitsWithoutIt) {
  JobSpec job = load_example("llama3-8b-fsdp-a100-32");
  job.training.sequence_length = 1024;
  job.training.global_batch = 64;
  const ExportResult r = export_deepspeed(job);
  ASSERT_FALSE(r.refused()) << r.reasons.front();
  EXPECT_TRUE(config_of(r).contains("activation_checkpointing"));
  EXPECT_TRUE(contains(r.find_file("launch.sh")->content, "--checkpoint-activations --deepspeed-activation-checkpointing"));
  bool noted = false;
  for (const auto& n : r.notes) noted = noted || contains(n, "only if train.py calls deepspeed.checkpointing.checkpoint");
  EXPECT_TRUE(noted);
  EXPECT_FALSE(config_of(export_deepspeed(load_example("llama3-8b-zero2-h100-16"))).contains("activation_checkpointing"));
}

TEST(DeepSpeedRefusal, ActivationCheckpointingThePlansMemoryDependsOn) {
  const JobSpec job = load_example("llama3-8b-fsdp-a100-32");
  const Evaluation without = AnalyticEvaluator{}.evaluate(no_recompute("llama3-8b-fsdp-a100-32"), Calibration{});
  ASSERT_GT(to_gib(without.peak_memory), to_gib(job.cluster.node.gpu.memory));  // it does not fit without
  const ExportResult r = export_deepspeed(job);
  ASSERT_TRUE(r.refused());
  char need[32];
  std::snprintf(need, sizeof need, "needs %.1f GiB", to_gib(without.peak_memory));
  EXPECT_TRUE(contains(r.reasons.back(), need)) << r.reasons.back();
  EXPECT_TRUE(contains(r.reasons.back(), "deepspeed.checkpointing.checkpoint"));
}

TEST(DeepSpeedExport, AutoTpForTensorParallelism) {
  Json c = config_of(export_deepspeed(load_example("llama3-8b-zero2-h100-16")));
  EXPECT_EQ(c["tensor_parallel"]["autotp_size"], 2);
  EXPECT_EQ(c["communication_data_type"], "bf16");
}

TEST(DeepSpeedExport, HostfileLinesAndLaunchLine) {
  ExportResult r = export_deepspeed(no_recompute("llama3-8b-fsdp-a100-32"));
  EXPECT_EQ(r.find_file("hostfile")->content, "worker-0 slots=8\nworker-1 slots=8\nworker-2 slots=8\nworker-3 slots=8\n");
  const std::string& launch = r.find_file("launch.sh")->content;
  EXPECT_TRUE(contains(launch, "deepspeed --hostfile=hostfile --num_nodes 4 --num_gpus 8"));
  EXPECT_TRUE(contains(launch, "--deepspeed --deepspeed_config ds_config.json"));
}

TEST(DeepSpeedExport, HybridShardIsMics) {
  JobSpec job = no_recompute("llama3-8b-fsdp-a100-32");
  job.plan.fsdp = Fsdp::kHybridShard;
  Json z = config_of(export_deepspeed(job))["zero_optimization"];
  EXPECT_EQ(z["stage"], 3);
  EXPECT_EQ(z["mics_shard_size"], 8);
}

TEST(DeepSpeedRefusal, ContextParallelism) {
  JobSpec job = no_recompute("llama3-8b-fsdp-a100-32");
  job.plan.cp = 2;
  job.plan.dp = 16;
  EXPECT_TRUE(export_deepspeed(job).refused());
}

TEST(DeepSpeedRefusal, Fp8) {
  JobSpec job = no_recompute("llama3-8b-fsdp-a100-32");
  job.training.precision = Precision::kFp8;
  EXPECT_TRUE(export_deepspeed(job).refused());
}

TEST(DeepSpeedRefusal, ParamRemainders) {
  JobSpec job = no_recompute("llama3-8b-fsdp-a100-32");
  ASSERT_FALSE(export_deepspeed(job).refused());
  job.plan.param_remainders = true;
  ExportResult r = export_deepspeed(job);
  ASSERT_TRUE(r.refused());
  EXPECT_TRUE(contains(r.reasons.front(), "remainder"));
}

TEST(DeepSpeedRefusal, InterleavedSchedule) { EXPECT_TRUE(export_deepspeed(load_example("llama3-70b-h100-64")).refused()); }

TEST(DeepSpeedRefusal, ExpertParallelism) { EXPECT_TRUE(export_deepspeed(load_example("mixtral-8x7b-h100-64")).refused()); }

TEST(DeepSpeedRefusal, Zero2WithPipelineParallelism) {
  JobSpec job = load_example("llama3-8b-zero2-h100-16");
  job.plan.tp = 1;
  job.plan.pp = 2;
  ExportResult r = export_deepspeed(job);
  ASSERT_TRUE(r.refused());
  EXPECT_TRUE(contains(r.reasons.front(), "pipeline"));
}

TEST(DeepSpeedRefusal, SelectiveRecompute) {
  JobSpec job = load_example("llama3-8b-zero2-h100-16");
  job.plan.recompute = Recompute::kSelective;
  EXPECT_TRUE(export_deepspeed(job).refused());
}

TEST(DeepSpeedRefusal, PartialParameterOffload) {
  JobSpec job = no_recompute("llama3-70b-zero3-cpu-offload-a100-16");
  job.plan.param_offload.fraction = 0.5;  // offload_param has no fraction
  EXPECT_TRUE(export_deepspeed(job).refused());
}

}  // namespace
}  // namespace trainplan::exporter
