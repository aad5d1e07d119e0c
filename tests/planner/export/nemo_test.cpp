// NeMo / Megatron-Bridge export: ConfigContainer overrides (docs/interfaces.md §4).
#include <filesystem>
#include <fstream>
#include <sstream>

#include "export_test_support.hpp"
#include "planner/export/bridge_recipes.hpp"

namespace trainplan::exporter {
namespace {

using testing::contains;
using testing::load_example;

TEST(NemoExport, ParallelismBatchAndDdpOverrides) {
  ExportResult r = export_nemo(load_example("llama3-70b-h100-64"));
  ASSERT_FALSE(r.refused());
  const std::string& o = r.find_file("overrides.txt")->content;
  for (const char* line :
       {"model.tensor_model_parallel_size=8\n", "model.pipeline_model_parallel_size=4\n", "model.virtual_pipeline_model_parallel_size=5\n",
        "model.sequence_parallel=true\n", "model.context_parallel_size=1\n", "train.global_batch_size=512\n", "train.micro_batch_size=1\n",
        "ddp.use_distributed_optimizer=true\n", "ddp.overlap_param_gather=true\n", "model.recompute_granularity=selective\n"})
    EXPECT_TRUE(contains(o, line)) << line;
}

// The plan's layer placement replaces the recipe's: account_for_* true/false, the layout a quoted
// override string (its parentheses and commas are override syntax), single-quoted on the launch
// line for the shell.
TEST(NemoExport, PipelineLayoutOverrides) {
  const ExportResult big = export_nemo(testing::load_project_job("configs/examples/llama31-405b-pp16-vpp4-h100-1024.json"));
  const std::string& o = big.find_file("overrides.txt")->content;
  EXPECT_TRUE(contains(o, "model.account_for_embedding_in_pipeline_split=true\n"));
  EXPECT_TRUE(contains(o, "model.account_for_loss_in_pipeline_split=true\n"));
  EXPECT_TRUE(contains(o, "model.virtual_pipeline_model_parallel_size=4\n"));
  const ExportResult ds = export_nemo(testing::load_project_job("tests/export-check/variants/deepseek-v3-h100-256.json"));
  EXPECT_TRUE(contains(ds.find_file("overrides.txt")->content, "model.pipeline_model_parallel_layout=\"Et*8|(t*8|)*6,t*5mL\"\n"));
  EXPECT_TRUE(contains(ds.find_file("launch.sh")->content, "'model.pipeline_model_parallel_layout=\"Et*8|(t*8|)*6,t*5mL\"'"));
}

TEST(NemoExport, LaunchLineCarriesTheOverrides) {
  ExportResult r = export_nemo(load_example("mixtral-8x7b-h100-64"));
  const std::string& launch = r.find_file("launch.sh")->content;
  EXPECT_TRUE(contains(launch, "python -m torch.distributed.run --nproc_per_node 8 --nnodes 8"));
  EXPECT_TRUE(contains(launch, "pretrain_cli_overrides.py"));
  EXPECT_TRUE(contains(launch, "model.expert_model_parallel_size=8"));
  EXPECT_TRUE(contains(launch, "model.num_moe_experts=8"));
}

// The export starts from a recipe that exists at Megatron-Bridge 067f987d and resets what the
// recipe sets against the plan: the 405B recipe's embedding/loss stage accounting, the 70B
// recipe's TP-4 userbuffer overlap; a recipe with no CommOverlapConfig takes no comm_overlap.*
// override (its node is None) and cannot have TP overlap turned on.
TEST(NemoExport, RecipesThatExistAndTheSettingsReset) {
  auto file = [](const ExportResult& r, const char* name) { return r.find_file(name) ? r.find_file(name)->content : std::string(); };
  const ExportResult big = export_nemo(load_example("llama3-405b-h100-16384"));
  ASSERT_FALSE(big.refused());
  EXPECT_TRUE(contains(file(big, "overrides.txt"), "model.account_for_embedding_in_pipeline_split=false\n"));
  EXPECT_TRUE(contains(file(big, "overrides.txt"), "model.account_for_loss_in_pipeline_split=false\n"));
  // Llama 3 405B has no recipe of its own: the generic GPT recipe, completed by the architecture fields.
  EXPECT_TRUE(contains(file(big, "pretrain_cli_overrides.py"),
                       "from megatron.bridge.recipes.gpt.h100.vanilla_gpt import vanilla_gpt_pretrain_1gpu_h100_bf16_config as recipe\n"));
  EXPECT_TRUE(
      contains(file(big, "overrides.txt"), "model.normalization=RMSNorm\nmodel.gated_linear_unit=true\nmodel.activation_func=silu\n"));

  const ExportResult seventy = export_nemo(load_example("llama3-70b-h100-64"));
  EXPECT_TRUE(contains(file(seventy, "pretrain_cli_overrides.py"), "import llama3_70b_pretrain_32gpu_h100_bf16_config as recipe"));
  EXPECT_TRUE(contains(file(seventy, "overrides.txt"), "comm_overlap.tp_comm_overlap=false\ncomm_overlap.tp_comm_overlap_cfg=null\n"));

  JobSpec eight = load_example("llama3-8b-zero2-h100-16");
  EXPECT_TRUE(contains(file(export_nemo(eight), "pretrain_cli_overrides.py"), "import llama3_8b_pretrain_2gpu_h100_bf16_config as recipe"));
  EXPECT_FALSE(contains(file(export_nemo(eight), "overrides.txt"), "comm_overlap."));
  eight.plan.tp_comm_overlap = true;
  eight.plan.sequence_parallel = true;
  const ExportResult refused = export_nemo(eight);
  ASSERT_TRUE(refused.refused());
  EXPECT_TRUE(contains(refused.reasons.back(), "sets no CommOverlapConfig")) << refused.reasons.back();
}

// Each recipe of the table is defined where the table says, in the Megatron-Bridge sources the
// framework checker holds (../shared/tools/framework-check/src/bridge, 067f987d), and assigns a
// CommOverlapConfig exactly when the table says so.
TEST(NemoExport, RecipeTableMatchesTheBridgeSources) {
  const std::filesystem::path root = std::filesystem::path(CONFIG_DIR) / "../../shared/tools/framework-check/src/bridge/src";
  if (!std::filesystem::exists(root)) GTEST_SKIP() << root << " not found";
  for (const BridgeRecipe& r : bridge_recipes()) {
    std::string file(r.module);
    for (char& c : file)
      if (c == '.') c = '/';
    std::ifstream in(root / (file + ".py"));
    ASSERT_TRUE(in) << file;
    std::vector<std::string> lines;
    for (std::string l; std::getline(in, l);) lines.push_back(l);
    ASSERT_GE(lines.size(), static_cast<size_t>(r.line)) << r.function;
    EXPECT_EQ(lines[r.line - 1].rfind("def " + std::string(r.function) + "(", 0), 0u) << r.function << " at line " << r.line;
    bool sets_overlap = false;
    for (size_t i = r.line; i < lines.size() && !lines[i].starts_with("def "); ++i)
      sets_overlap = sets_overlap || contains(lines[i], "cfg.comm_overlap = CommOverlapConfig(");
    EXPECT_EQ(sets_overlap, r.comm_overlap) << r.function;
  }
}

TEST(NemoExport, UnevenStagesAndMegatronFsdp) {
  const std::string o = export_nemo(load_example("llama3-405b-h100-16384")).find_file("overrides.txt")->content;
  EXPECT_TRUE(contains(o, "model.num_layers_in_first_pipeline_stage=7\n"));
  EXPECT_TRUE(contains(o, "model.num_layers_in_last_pipeline_stage=7\n"));
  const std::string z2 = export_nemo(load_example("llama3-8b-zero2-h100-16")).find_file("overrides.txt")->content;
  EXPECT_TRUE(contains(z2, "ddp.use_megatron_fsdp=true\n"));
  EXPECT_TRUE(contains(z2, "ddp.data_parallel_sharding_strategy=optim_grads\n"));
  // The reduction precision is set on the mixed-precision recipe, which setup() copies onto cfg.ddp.
  EXPECT_FALSE(contains(z2, "grad_reduce_in_fp32"));
  EXPECT_TRUE(contains(export_nemo(load_example("llama3-8b-zero2-h100-16")).find_file("pretrain_cli_overrides.py")->content,
                       "    cfg.mixed_precision.grad_reduce_in_fp32 = False\n"));
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
