// DeepSpeed export: ds_config.json, hostfile, launch line (interfaces.md §2, §9).
#include "export_test_support.hpp"

namespace trainplan::exporter {
namespace {

using testing::contains;
using testing::load_example;

Json config_of(const ExportResult& r) { return Json::parse(r.find_file("ds_config.json")->content); }

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
  Json c = config_of(export_deepspeed(load_example("llama3-70b-zero3-cpu-offload-a100-16")));
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
  Json c = config_of(export_deepspeed(load_example("llama3-70b-nvme-h100-8")));
  EXPECT_EQ(c["zero_optimization"]["stage"], 3);
  EXPECT_EQ(c["zero_optimization"]["offload_optimizer"]["device"], "nvme");
  EXPECT_TRUE(c["zero_optimization"]["offload_optimizer"].contains("nvme_path"));
  ASSERT_TRUE(c.contains("aio"));
  for (const char* k : {"block_size", "queue_depth", "intra_op_parallelism", "single_submit", "overlap_events"}) EXPECT_TRUE(c["aio"].contains(k)) << k;
  EXPECT_FALSE(c["aio"].contains("thread_count"));  // renamed in runtime/swap_tensor/constants.py; the old key is ignored
}

TEST(DeepSpeedExport, NvmeBelowStage3Refused) {
  JobSpec job = load_example("llama3-70b-nvme-h100-8");
  job.plan.zero = 2;
  job.plan.param_offload = {};
  EXPECT_TRUE(export_deepspeed(job).refused());
}

TEST(DeepSpeedExport, PrecisionBlocks) {
  JobSpec job = load_example("llama3-8b-fsdp-a100-32");
  EXPECT_EQ(config_of(export_deepspeed(job))["bf16"]["enabled"], true);
  job.training.precision = Precision::kFp16;
  Json c = config_of(export_deepspeed(job));
  EXPECT_FALSE(c.contains("bf16"));
  EXPECT_EQ(c["fp16"]["enabled"], true);
  EXPECT_EQ(c["fp16"]["loss_scale"], 0);  // dynamic
}

TEST(DeepSpeedExport, ActivationCheckpointingWithFullRecompute) {
  EXPECT_TRUE(config_of(export_deepspeed(load_example("llama3-8b-fsdp-a100-32"))).contains("activation_checkpointing"));
  EXPECT_FALSE(config_of(export_deepspeed(load_example("llama3-8b-zero2-h100-16"))).contains("activation_checkpointing"));
}

TEST(DeepSpeedExport, AutoTpForTensorParallelism) {
  Json c = config_of(export_deepspeed(load_example("llama3-8b-zero2-h100-16")));
  EXPECT_EQ(c["tensor_parallel"]["autotp_size"], 2);
  EXPECT_EQ(c["communication_data_type"], "bf16");
}

TEST(DeepSpeedExport, HostfileLinesAndLaunchLine) {
  ExportResult r = export_deepspeed(load_example("llama3-8b-fsdp-a100-32"));
  EXPECT_EQ(r.find_file("hostfile")->content, "worker-0 slots=8\nworker-1 slots=8\nworker-2 slots=8\nworker-3 slots=8\n");
  const std::string& launch = r.find_file("launch.sh")->content;
  EXPECT_TRUE(contains(launch, "deepspeed --hostfile=hostfile --num_nodes 4 --num_gpus 8"));
  EXPECT_TRUE(contains(launch, "--deepspeed --deepspeed_config ds_config.json"));
}

TEST(DeepSpeedExport, HybridShardIsMics) {
  JobSpec job = load_example("llama3-8b-fsdp-a100-32");
  job.plan.fsdp = Fsdp::kHybridShard;
  Json z = config_of(export_deepspeed(job))["zero_optimization"];
  EXPECT_EQ(z["stage"], 3);
  EXPECT_EQ(z["mics_shard_size"], 8);
}

TEST(DeepSpeedRefusal, ContextParallelism) {
  JobSpec job = load_example("llama3-8b-fsdp-a100-32");
  job.plan.cp = 2;
  job.plan.dp = 16;
  EXPECT_TRUE(export_deepspeed(job).refused());
}

TEST(DeepSpeedRefusal, Fp8) {
  JobSpec job = load_example("llama3-8b-fsdp-a100-32");
  job.training.precision = Precision::kFp8;
  EXPECT_TRUE(export_deepspeed(job).refused());
}

TEST(DeepSpeedRefusal, ParamRemainders) {
  JobSpec job = load_example("llama3-8b-fsdp-a100-32");
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
  JobSpec job = load_example("llama3-70b-zero3-cpu-offload-a100-16");
  job.plan.param_offload.fraction = 0.5;  // offload_param has no fraction
  EXPECT_TRUE(export_deepspeed(job).refused());
}

}  // namespace
}  // namespace trainplan::exporter
