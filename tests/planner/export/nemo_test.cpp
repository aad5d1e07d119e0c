// NeMo / Megatron-Bridge export: ConfigContainer overrides (interfaces.md §4).
#include "export_test_support.hpp"

namespace trainplan::exporter {
namespace {

using testing::contains;
using testing::load_example;

TEST(NemoExport, ParallelismBatchAndDdpOverrides) {
  ExportResult r = export_nemo(load_example("llama3-70b-h100-64"));
  ASSERT_FALSE(r.refused());
  const std::string& o = r.find_file("overrides.txt")->content;
  for (const char* line : {"model.tensor_model_parallel_size=8\n", "model.pipeline_model_parallel_size=4\n",
                           "model.virtual_pipeline_model_parallel_size=5\n", "model.sequence_parallel=true\n",
                           "model.context_parallel_size=1\n", "train.global_batch_size=512\n", "train.micro_batch_size=1\n",
                           "ddp.use_distributed_optimizer=true\n", "ddp.overlap_param_gather=true\n", "model.recompute_granularity=selective\n"})
    EXPECT_TRUE(contains(o, line)) << line;
}

TEST(NemoExport, LaunchLineCarriesTheOverrides) {
  ExportResult r = export_nemo(load_example("mixtral-8x7b-h100-64"));
  const std::string& launch = r.find_file("launch.sh")->content;
  EXPECT_TRUE(contains(launch, "python -m torch.distributed.run --nproc_per_node 8 --nnodes 8"));
  EXPECT_TRUE(contains(launch, "pretrain_cli_overrides.py"));
  EXPECT_TRUE(contains(launch, "model.expert_model_parallel_size=8"));
  EXPECT_TRUE(contains(launch, "model.num_moe_experts=8"));
}

TEST(NemoExport, UnevenStagesAndMegatronFsdp) {
  const std::string o = export_nemo(load_example("llama3-405b-h100-16384")).find_file("overrides.txt")->content;
  EXPECT_TRUE(contains(o, "model.num_layers_in_first_pipeline_stage=7\n"));
  EXPECT_TRUE(contains(o, "model.num_layers_in_last_pipeline_stage=7\n"));
  const std::string z2 = export_nemo(load_example("llama3-8b-zero2-h100-16")).find_file("overrides.txt")->content;
  EXPECT_TRUE(contains(z2, "ddp.use_megatron_fsdp=true\n"));
  EXPECT_TRUE(contains(z2, "ddp.data_parallel_sharding_strategy=optim_grads\n"));
  EXPECT_TRUE(contains(z2, "ddp.grad_reduce_in_fp32=false\n"));
}

TEST(NemoExport, ParamRemaindersArePrecisionAwareOptimizer) {
  JobSpec job = load_example("gpt3-175b-a100-1024");
  const std::string key = "optimizer.use_precision_aware_optimizer=true\n";
  EXPECT_FALSE(contains(export_nemo(job).find_file("overrides.txt")->content, key));
  job.plan.param_remainders = true;
  EXPECT_TRUE(contains(export_nemo(job).find_file("overrides.txt")->content, key));
  // The precision-aware optimizer runs in the distributed optimizer: at zero 0 over one rank it is
  // switched on (the same plan); over more ranks the plan is refused (Megatron's rules).
  job.plan.zero = 0;
  EXPECT_TRUE(export_nemo(job).refused());
  job.plan.dp = 1;
  job.cluster.nodes = 8;
  job.training.global_batch = 64;
  ExportResult r = export_nemo(job);
  ASSERT_FALSE(r.refused()) << r.reasons.front();
  EXPECT_TRUE(contains(r.find_file("overrides.txt")->content, "optimizer.use_distributed_optimizer=true\n"));
}

TEST(NemoRefusal, FollowsMegatronRules) {
  EXPECT_TRUE(export_nemo(load_example("llama3-70b-nvme-h100-8")).refused());
  EXPECT_TRUE(export_nemo(load_example("llama3-70b-zero3-cpu-offload-a100-16")).refused());
}

}  // namespace
}  // namespace trainplan::exporter
