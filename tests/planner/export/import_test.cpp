// Import of Megatron argument lists / scripts and DeepSpeed configs (planner/export/import.hpp).
#include <fstream>

#include "export_test_support.hpp"
#include "model/params.hpp"

namespace trainplan::exporter {
namespace {

using testing::contains;

TEST(ShellWords, JoinsContinuationsDropsCommentsAndExpandsVariables) {
  auto w = shell_words(
      "N=4 # nodes\nGPUS=${GPUS:-8}\ntorchrun --nnodes $N --nproc_per_node ${GPUS} \\\n  pretrain_gpt.py --bf16 \\\n"
      "  --moe-layer-freq \"([0]*3+[1]*58)\" 'quoted value'\n");
  std::vector<std::string> expected = {
      "torchrun",         "--nnodes",       "4",           "--nproc_per_node", "8", "pretrain_gpt.py", "--bf16",
      "--moe-layer-freq", "([0]*3+[1]*58)", "quoted value"};
  EXPECT_EQ(w, expected);
}

TEST(ShellWords, ArraysExpandInTheLaunchCommandAndUnsetOnesVanish) {
  auto w = shell_words("ARGS=(\n  --num-layers 2\n)\ntorchrun ${DIST[@]} x.py ${ARGS[@]}\n");
  std::vector<std::string> expected = {"torchrun", "x.py", "--num-layers", "2"};
  EXPECT_EQ(w, expected);
}

TEST(ParseFlags, ValuesEndAtTheNextFlagOrProgram) {
  auto f = parse_flags({"torchrun", "--nnodes", "2", "pretrain_gpt.py", "--swiglu", "--lr=3e-4", "--rampup-batch-size", "16", "16", "100"});
  EXPECT_EQ(*f.value("--nnodes"), "2");
  EXPECT_TRUE(f.has("--swiglu"));
  EXPECT_EQ(f.value("--swiglu"), nullptr);
  EXPECT_EQ(*f.value("--lr"), "3e-4");
  EXPECT_EQ(*f.value("--rampup-batch-size"), "100");
}

TEST(MegatronImport, TorchrunCommandLineWithContinuations) {
  const std::string script =
      "torchrun --nproc_per_node 8 --nnodes 2 pretrain_gpt.py \\\n"
      "  --num-layers 32 --hidden-size 4096 --num-attention-heads 32 --ffn-hidden-size 14336 \\\n"
      "  --group-query-attention --num-query-groups 8 --seq-length 8192 --max-position-embeddings 8192 \\\n"
      "  --position-embedding-type rope --normalization RMSNorm --swiglu --disable-bias-linear \\\n"
      "  --untie-embeddings-and-output-weights --vocab-size 128256 \\\n"
      "  --tensor-model-parallel-size 2 --pipeline-model-parallel-size 2 --sequence-parallel \\\n"
      "  --micro-batch-size 1 --global-batch-size 64 --use-distributed-optimizer --overlap-grad-reduce --bf16\n";
  ImportResult r = import_megatron({{"run.sh", script}}, ImportOptions{});
  ASSERT_TRUE(r.ok()) << (r.errors.empty() ? "" : r.errors.front());
  const ImportedJob& j = *r.job;
  EXPECT_EQ(j.world, 16);
  EXPECT_EQ(j.plan.dp, 16 / (2 * 2));  // DP = world/(TP*PP*CP)
  EXPECT_EQ(j.plan.zero, 1);
  EXPECT_TRUE(j.plan.sequence_parallel);
  EXPECT_EQ(j.training.global_batch, 64);
  EXPECT_EQ(j.training.precision, Precision::kBf16);
  EXPECT_EQ(j.model->kv_heads, 8);
  EXPECT_EQ(j.model->activation, Activation::kSwiglu);
  // Llama-3-8B: 8,030,261,248 parameters (docs/interfaces.md §5).
  EXPECT_DOUBLE_EQ(total_params(*j.model), 8030261248.0);
}

TEST(MegatronImport, ImportedJobLoadsAsAJobFile) {
  const std::string args =
      "--num-layers 2 --hidden-size 256 --num-attention-heads 4 --seq-length 512 --max-position-embeddings 512 "
      "--vocab-size 1000 --micro-batch-size 2 --global-batch-size 16\n";
  ImportOptions opt;
  opt.gpus = 8;
  ImportResult r = import_megatron({{"args.txt", args}}, opt);
  ASSERT_TRUE(r.ok());
  const std::string path = ::testing::TempDir() + "imported_small.json";
  {
    std::ofstream out(path);
    out << job_to_json(*r.job, opt).dump(2);
  }
  Diagnostics diag;
  auto job = load_job_file(path, Catalog(CONFIG_DIR), diag);
  for (const auto& d : diag.items()) ADD_FAILURE() << d.to_string();
  ASSERT_TRUE(job);
  EXPECT_EQ(job->model.ffn_hidden, 4 * 256);  // Megatron's default width without --swiglu
  EXPECT_EQ(job->plan.dp, 8);
  EXPECT_EQ(job->cluster.nodes, 1);
}

// --use-precision-aware-optimizer keeps bf16 weights' masters as remainders; with CPU offload it is
// the offload's requirement (whole fp32 masters), and fp16 weights have no remainder.
TEST(MegatronImport, PrecisionAwareOptimizerIsRemainders) {
  const std::string base =
      "--num-layers 2 --hidden-size 256 --num-attention-heads 4 --seq-length 512 --max-position-embeddings 512 "
      "--vocab-size 1000 --micro-batch-size 1 --global-batch-size 8 --use-distributed-optimizer ";
  ImportOptions opt;
  opt.gpus = 8;
  auto remainders = [&](const std::string& extra) {
    ImportResult r = import_megatron({{"args.txt", base + extra}}, opt);
    EXPECT_TRUE(r.ok()) << extra;
    return r.ok() && r.job->plan.param_remainders;
  };
  EXPECT_FALSE(remainders("--bf16"));
  EXPECT_TRUE(remainders("--bf16 --use-precision-aware-optimizer"));
  EXPECT_TRUE(remainders("--bf16 --fp8-format hybrid --use-precision-aware-optimizer"));
  EXPECT_FALSE(remainders("--bf16 --use-precision-aware-optimizer --optimizer-cpu-offload"));
  EXPECT_FALSE(remainders("--fp16 --use-precision-aware-optimizer"));
}

TEST(MegatronImport, MissingWorldSizeIsAnError) {
  ImportResult r = import_megatron(
      {{"args.txt", "--num-layers 2 --hidden-size 256 --num-attention-heads 4 --vocab-size 10 --seq-length 8"}}, ImportOptions{});
  EXPECT_FALSE(r.ok());
  ASSERT_FALSE(r.errors.empty());
  EXPECT_TRUE(contains(r.errors.front(), "number of GPUs"));
}

TEST(MegatronImport, UnknownFlagsAreWarnings) {
  ImportOptions opt;
  opt.gpus = 1;
  ImportResult r = import_megatron(
      {{"args.txt", "--num-layers 2 --hidden-size 256 --num-attention-heads 4 --vocab-size 10 --seq-length 8 --made-up-flag 3"}}, opt);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r.warnings.size(), 1u);
  EXPECT_TRUE(contains(r.warnings.front(), "--made-up-flag"));
}

TEST(DeepSpeedImport, BatchTripleAndHostfile) {
  // docs/interfaces.md §2.3 example: 1024 = 2 x 8 x 64 DP ranks.
  const std::string config = R"({"train_batch_size": 1024, "train_micro_batch_size_per_gpu": 2, "gradient_accumulation_steps": 8,
    "bf16": {"enabled": true}, "gradient_clipping": 1.0,
    "zero_optimization": {"stage": 3, "overlap_comm": true, "contiguous_gradients": true,
      "offload_optimizer": {"device": "cpu", "pin_memory": true}, "offload_param": {"device": "none"}}})";
  std::string hosts = "# cluster\n";
  for (int i = 0; i < 8; ++i) hosts += "worker-" + std::to_string(i) + " slots=8\n";
  ImportOptions opt;
  opt.model = Json("llama3-8b");
  opt.sequence_length = 4096;
  ImportResult r = import_deepspeed({{"ds_config.json", config}, {"hostfile", hosts}}, opt);
  ASSERT_TRUE(r.ok()) << (r.errors.empty() ? "" : r.errors.front());
  EXPECT_EQ(r.job->world, 64);
  EXPECT_EQ(r.job->plan.dp, 64);
  EXPECT_EQ(r.job->plan.micro_batch, 2);
  EXPECT_EQ(r.job->plan.zero, 3);
  EXPECT_EQ(r.job->plan.optimizer_offload.device, OffloadDevice::kCpu);
  EXPECT_EQ(r.job->training.global_batch, 1024);
}

TEST(DeepSpeedImport, InconsistentBatchTripleIsAnError) {
  ImportOptions opt;
  opt.model = Json("llama3-8b");
  opt.sequence_length = 4096;
  opt.gpus = 16;
  ImportResult r = import_deepspeed(
      {{"ds.json", R"({"train_batch_size": 100, "train_micro_batch_size_per_gpu": 2, "gradient_accumulation_steps": 8})"}}, opt);
  EXPECT_FALSE(r.ok());
  ASSERT_FALSE(r.errors.empty());
  EXPECT_TRUE(contains(r.errors.back(), "train_batch_size"));
}

TEST(DeepSpeedImport, ModelIsRequired) {
  ImportOptions opt;
  opt.gpus = 8;
  opt.sequence_length = 1024;
  ImportResult r = import_deepspeed({{"ds.json", R"({"train_batch_size": 8})"}}, opt);
  EXPECT_FALSE(r.ok());
}

}  // namespace
}  // namespace trainplan::exporter

namespace trainplan::exporter {
namespace {

// DeepSpeed still maps its deprecated "cpu_offload" / "cpu_offload_param" booleans to CPU offload
// blocks (runtime/zero/config.py): importing them as no offload would predict the wrong memory.
TEST(ImportDeepSpeed, LegacyCpuOffloadKeys) {
  ImportOptions opt;
  opt.model = Json("llama3-8b");
  opt.gpus = 8;
  opt.sequence_length = 8192;
  const std::string config = R"({"train_batch_size": 64, "train_micro_batch_size_per_gpu": 1, "gradient_accumulation_steps": 8,
    "bf16": {"enabled": true}, "zero_optimization": {"stage": 3, "cpu_offload": true, "cpu_offload_param": true}})";
  ImportResult r = import_deepspeed({{"ds_config.json", config}}, opt);
  ASSERT_TRUE(r.ok()) << (r.errors.empty() ? "" : r.errors.front());
  EXPECT_EQ(r.job->plan.optimizer_offload.device, OffloadDevice::kCpu);
  EXPECT_DOUBLE_EQ(r.job->plan.optimizer_offload.fraction, 1.0);
  EXPECT_EQ(r.job->plan.param_offload.device, OffloadDevice::kCpu);
}

}  // namespace
}  // namespace trainplan::exporter
