// Megatron-LM export: one test per rule of docs/interfaces.md §1 and §9.
#include <set>

#include "export_test_support.hpp"
#include "model/params.hpp"
#include "planner/export/megatron_flags.hpp"

namespace trainplan::exporter {
namespace {

using testing::contains;
using testing::load_example;
using testing::megatron_flags_of;

const std::string* value(const ParsedFlags& f, const char* flag) { return f.value(flag); }

TEST(MegatronFlags, ListHasNoDuplicatesAndNoVirtualPipelineSizeFlag) {
  std::set<std::string_view> seen;
  for (auto f : megatron_flags()) EXPECT_TRUE(seen.insert(f).second) << f;
  // main arguments.py L2308: "no CLI argument exists" for the VPP size.
  EXPECT_FALSE(is_megatron_flag("--virtual-pipeline-model-parallel-size"));
}

TEST(MegatronExport, EveryFlagWrittenIsARealMegatronFlag) {
  for (const auto& name : testing::example_jobs()) {
    ExportResult r = export_megatron(load_example(name));
    if (r.refused()) continue;
    for (const auto& file : {"train.sh", "megatron_args.txt"}) {
      auto flags = parse_flags(shell_words(r.find_file(file)->content));
      for (const auto& [flag, values] : flags.flags) {
        // torchrun's flags come before pretrain_gpt.py in train.sh.
        if (flag.starts_with("--nproc") || flag == "--nnodes" || flag == "--node_rank" || flag.starts_with("--master")) continue;
        if (!flag.starts_with("--")) continue;  // set -euo pipefail
        EXPECT_TRUE(is_megatron_flag(flag)) << name << " " << file << ": " << flag;
      }
    }
  }
}

TEST(MegatronExport, ModelShapeFlagsReproduceTheParameterCount) {
  for (const auto& name : testing::example_jobs()) {
    JobSpec job = load_example(name);
    ExportResult r = export_megatron(job);
    if (r.refused()) continue;
    ImportOptions opt;
    opt.gpus = job.plan.gpus();
    ImportResult back = import_megatron({{"megatron_args.txt", r.find_file("megatron_args.txt")->content}}, opt);
    ASSERT_TRUE(back.ok()) << name;
    EXPECT_DOUBLE_EQ(total_params(*back.job->model), total_params(job.model)) << name;
    EXPECT_DOUBLE_EQ(active_params(*back.job->model), active_params(job.model)) << name;
  }
}

TEST(MegatronExport, DeepSeekV3ShapeFlagsReproduceTheParameterCount) {
  // MLA, shared experts, dense first layers, router bias: 671.03 B (docs/interfaces.md §5).
  JobSpec job = load_example("llama3-70b-h100-64");
  job.model = testing::load_catalog_model("deepseek-v3");
  job.plan.tp = 8;
  job.plan.pp = 1;
  job.plan.virtual_stages = 1;
  job.plan.schedule = Schedule::k1F1B;
  job.plan.ep = 2;
  job.plan.expert_tp = 1;
  ExportResult r = export_megatron(job);
  ASSERT_FALSE(r.refused()) << r.reasons.front();
  ImportOptions opt;
  opt.gpus = job.plan.gpus();
  ImportResult back = import_megatron({{"args", r.find_file("megatron_args.txt")->content}}, opt);
  ASSERT_TRUE(back.ok()) << (back.errors.empty() ? "" : back.errors.front());
  EXPECT_DOUBLE_EQ(total_params(*back.job->model), total_params(job.model));
  auto f = megatron_flags_of(r);
  EXPECT_EQ(*value(f, "--moe-layer-freq"), "([0]*3+[1]*58)");
  EXPECT_TRUE(f.has("--multi-latent-attention"));
}

TEST(MegatronExport, BatchTripleIsConsistent) {
  for (const auto& name : testing::example_jobs()) {
    JobSpec job = load_example(name);
    ExportResult r = export_megatron(job);
    if (r.refused()) continue;
    auto f = megatron_flags_of(r);
    const long long tp = std::stoll(*value(f, "--tensor-model-parallel-size"));
    const long long pp = std::stoll(*value(f, "--pipeline-model-parallel-size"));
    const long long cp = std::stoll(*value(f, "--context-parallel-size"));
    const long long dp = job.plan.gpus() / (tp * pp * cp);  // arguments.py L371-385
    const long long mbs = std::stoll(*value(f, "--micro-batch-size"));
    const long long gbs = std::stoll(*value(f, "--global-batch-size"));
    EXPECT_EQ(gbs % (mbs * dp), 0) << name;
    EXPECT_EQ(gbs / (mbs * dp), job.micro_batches()) << name;
  }
}

// The embedding/loss counted as layers and an explicit layout (arguments.py L941-L998): their
// flags, the per-rank virtual stages beside the former, no VPP flag beside the latter (L934).
TEST(MegatronExport, PipelineLayoutFlags) {
  auto f = megatron_flags_of(export_megatron(testing::load_project_job("configs/examples/llama31-405b-pp16-vpp4-h100-1024.json")));
  EXPECT_TRUE(f.has("--account-for-embedding-in-pipeline-split"));
  EXPECT_TRUE(f.has("--account-for-loss-in-pipeline-split"));
  EXPECT_EQ(*value(f, "--num-virtual-stages-per-pipeline-rank"), "4");
  EXPECT_FALSE(f.has("--num-layers-per-virtual-pipeline-stage"));
  const ExportResult ds = export_megatron(testing::load_project_job("tests/export-check/variants/deepseek-v3-h100-256.json"));
  ASSERT_FALSE(ds.refused());
  auto g = megatron_flags_of(ds);
  ASSERT_NE(value(g, "--pipeline-model-parallel-layout"), nullptr);
  EXPECT_EQ(*value(g, "--pipeline-model-parallel-layout"), "Et*8|(t*8|)*6,t*5mL");  // shell-quoted, read back
  EXPECT_FALSE(g.has("--num-virtual-stages-per-pipeline-rank"));
  EXPECT_FALSE(g.has("--decoder-first-pipeline-num-layers"));
}

TEST(MegatronExport, FfnHiddenSizeAlwaysWritten) {
  // With --swiglu Megatron's default is int((4h*2/3)/64)*64 = 21888 for h 8192, not Llama's 28672.
  auto f = megatron_flags_of(export_megatron(load_example("llama3-70b-h100-64")));
  EXPECT_EQ(*value(f, "--ffn-hidden-size"), "28672");
  auto g = megatron_flags_of(export_megatron(load_example("gpt3-175b-a100-1024")));
  EXPECT_EQ(*value(g, "--ffn-hidden-size"), std::to_string(4 * 12288));
}

TEST(MegatronExport, GroupQueryFlagsOnlyWithFewerKvHeads) {
  auto llama = megatron_flags_of(export_megatron(load_example("llama3-70b-h100-64")));
  EXPECT_TRUE(llama.has("--group-query-attention"));
  EXPECT_EQ(*value(llama, "--num-query-groups"), "8");
  auto gpt = megatron_flags_of(export_megatron(load_example("gpt3-175b-a100-1024")));
  EXPECT_FALSE(gpt.has("--group-query-attention"));
  EXPECT_FALSE(gpt.has("--num-query-groups"));
}

TEST(MegatronExport, KvChannelsOnlyWhenHeadDimDiffers) {
  JobSpec job = load_example("llama3-70b-h100-64");
  EXPECT_FALSE(megatron_flags_of(export_megatron(job)).has("--kv-channels"));
  job.model.head_dim = 256;
  EXPECT_EQ(*value(megatron_flags_of(export_megatron(job)), "--kv-channels"), "256");
}

TEST(MegatronExport, LlamaShapeFlags) {
  auto f = megatron_flags_of(export_megatron(load_example("llama3-70b-h100-64")));
  EXPECT_TRUE(f.has("--swiglu"));
  EXPECT_EQ(*value(f, "--normalization"), "RMSNorm");
  EXPECT_TRUE(f.has("--untie-embeddings-and-output-weights"));
  EXPECT_EQ(*value(f, "--position-embedding-type"), "rope");
  EXPECT_TRUE(f.has("--disable-bias-linear"));
  auto gpt = megatron_flags_of(export_megatron(load_example("gpt3-175b-a100-1024")));
  EXPECT_EQ(*value(gpt, "--position-embedding-type"), "learned_absolute");
  EXPECT_FALSE(gpt.has("--untie-embeddings-and-output-weights"));
  EXPECT_FALSE(gpt.has("--disable-bias-linear"));
}

TEST(MegatronExport, VirtualStagesAsLayersPerVirtualStageNeverVppSize) {
  ExportResult r = export_megatron(load_example("llama3-70b-h100-64"));
  auto f = megatron_flags_of(r);
  // 80 layers / PP 4 / VPP 5 = 4 layers per virtual stage.
  EXPECT_EQ(*value(f, "--num-layers-per-virtual-pipeline-stage"), std::to_string(80 / 4 / 5));
  for (const auto& file : r.files) EXPECT_FALSE(contains(file.content, "--virtual-pipeline-model-parallel-size")) << file.name;
}

TEST(MegatronExport, UnevenStagesWithVirtualStagesUsePerRankCount) {
  JobSpec job = load_example("llama3-405b-h100-16384");
  auto f = megatron_flags_of(export_megatron(job));
  EXPECT_EQ(*value(f, "--decoder-first-pipeline-num-layers"), "7");
  EXPECT_EQ(*value(f, "--decoder-last-pipeline-num-layers"), "7");
  EXPECT_FALSE(f.has("--num-virtual-stages-per-pipeline-rank"));
  // VPP 2: 7 first-stage layers do not split into 2 virtual stages (transformer_config.py).
  job.plan.virtual_stages = 2;
  job.plan.schedule = Schedule::kInterleaved;
  ExportResult refused = export_megatron(job);
  ASSERT_TRUE(refused.refused());
  EXPECT_TRUE(contains(refused.reasons.front(), "virtual stages"));
  // 6 + 8 outer layers: the 126 - 6 - 8 = 112 middle layers are 14 stages x 2 virtual stages x 4 layers.
  job.plan.first_stage_layers = 6;
  job.plan.last_stage_layers = 8;
  auto g = megatron_flags_of(export_megatron(job));
  EXPECT_EQ(*value(g, "--num-virtual-stages-per-pipeline-rank"), "2");
  EXPECT_FALSE(g.has("--num-layers-per-virtual-pipeline-stage"));
}

TEST(MegatronExport, SequenceParallelDroppedWithANoteAtTp1) {
  JobSpec job = load_example("mixtral-8x7b-h100-64");
  job.plan.sequence_parallel = true;  // as the upstream Mixtral script passes it at TP 1
  ExportResult r = export_megatron(job);
  ASSERT_FALSE(r.refused());
  EXPECT_FALSE(megatron_flags_of(r).has("--sequence-parallel"));
  ASSERT_FALSE(r.notes.empty());
  bool noted = false;
  for (const auto& n : r.notes) noted |= contains(n, "sequence parallelism dropped");
  EXPECT_TRUE(noted);
  EXPECT_TRUE(megatron_flags_of(export_megatron(load_example("gpt3-175b-a100-1024"))).has("--sequence-parallel"));
}

TEST(MegatronExport, SynchronousTpBackwardIsNotedNotWritten) {
  JobSpec job = load_example("gpt3-175b-a100-1024");
  job.plan.tp_grad_overlap = false;  // Megatron-LM 2020-2021 behaviour, not selectable today
  ExportResult r = export_megatron(job);
  ASSERT_FALSE(r.refused());
  bool noted = false;
  for (const auto& n : r.notes) noted |= contains(n, "tp_grad_overlap off");
  EXPECT_TRUE(noted);
  EXPECT_EQ(megatron_flags_of(r).flags, megatron_flags_of(export_megatron(load_example("gpt3-175b-a100-1024"))).flags);
}

// Master-weight remainders are Megatron-Core's precision-aware optimizer (TE FusedAdam with
// store_param_remainders); CPU offload needs the same flag, which then stores remainders too.
TEST(MegatronExport, ParamRemaindersArePrecisionAwareOptimizer) {
  JobSpec job = load_example("gpt3-175b-a100-1024");
  EXPECT_FALSE(megatron_flags_of(export_megatron(job)).has("--use-precision-aware-optimizer"));
  job.plan.param_remainders = true;
  ExportResult r = export_megatron(job);
  ASSERT_FALSE(r.refused());
  EXPECT_TRUE(megatron_flags_of(r).has("--use-precision-aware-optimizer"));
  // CPU offload needs the flag too, but its hybrid optimizer keeps whole fp32 masters: remainders
  // with offload are refused, fp32 masters with offload are written.
  job.plan.optimizer_offload = {OffloadDevice::kCpu, 0.5};
  r = export_megatron(job);
  ASSERT_TRUE(r.refused());
  EXPECT_TRUE(contains(r.reasons.front(), "HybridDeviceOptimizer"));
  job.plan.param_remainders = false;
  r = export_megatron(job);
  ASSERT_FALSE(r.refused());
  EXPECT_TRUE(megatron_flags_of(r).has("--use-precision-aware-optimizer"));
  // The precision-aware optimizer runs in the distributed optimizer: ZeRO 0 over 16 ranks is
  // refused; over one rank the distributed optimizer is the same plan and is written.
  job.plan.optimizer_offload = {};
  job.plan.param_remainders = true;
  job.plan.zero = 0;
  r = export_megatron(job);
  ASSERT_TRUE(r.refused());
  EXPECT_TRUE(contains(r.reasons.front(), "distributed optimizer"));
  job.plan.dp = 1;
  job.cluster.nodes = 8;
  job.training.global_batch = 64;
  r = export_megatron(job);
  ASSERT_FALSE(r.refused()) << r.reasons.front();
  EXPECT_TRUE(megatron_flags_of(r).has("--use-distributed-optimizer"));
  EXPECT_TRUE(megatron_flags_of(r).has("--use-precision-aware-optimizer"));
}

TEST(MegatronExport, DistributedOptimizerForZero1) {
  auto f = megatron_flags_of(export_megatron(load_example("gpt3-175b-a100-1024")));
  EXPECT_TRUE(f.has("--use-distributed-optimizer"));
  EXPECT_FALSE(f.has("--use-megatron-fsdp"));
}

TEST(MegatronExport, MegatronFsdpStrategiesForZero2And3) {
  auto z2 = megatron_flags_of(export_megatron(load_example("llama3-8b-zero2-h100-16")));
  EXPECT_TRUE(z2.has("--use-megatron-fsdp"));
  EXPECT_EQ(*value(z2, "--data-parallel-sharding-strategy"), "optim_grads");
  JobSpec job = load_example("llama3-8b-zero2-h100-16");
  job.plan.zero = 3;
  EXPECT_EQ(*value(megatron_flags_of(export_megatron(job)), "--data-parallel-sharding-strategy"), "optim_grads_params");
}

TEST(MegatronExport, FsdpFullShardIsTorchFsdp2AndNeedsPp1) {
  auto f = megatron_flags_of(export_megatron(load_example("llama3-8b-fsdp-a100-32")));
  EXPECT_TRUE(f.has("--use-torch-fsdp2"));
  EXPECT_FALSE(f.has("--use-distributed-optimizer"));  // FSDP2 excludes it (L634-640)
  JobSpec job = load_example("llama3-8b-fsdp-a100-32");
  job.plan.pp = 2;
  job.plan.dp = 16;
  EXPECT_TRUE(export_megatron(job).refused());
}

TEST(MegatronExport, OverlapParamGatherNeedsDistributedOptimizerAndGradOverlap) {
  JobSpec job = load_example("gpt3-175b-a100-1024");
  auto f = megatron_flags_of(export_megatron(job));
  EXPECT_TRUE(f.has("--overlap-grad-reduce"));
  EXPECT_TRUE(f.has("--overlap-param-gather"));
  job.plan.overlap_grad_reduce = false;
  EXPECT_FALSE(megatron_flags_of(export_megatron(job)).has("--overlap-param-gather"));
  job.plan.overlap_grad_reduce = true;
  job.plan.zero = 0;
  auto g = megatron_flags_of(export_megatron(job));
  EXPECT_TRUE(g.has("--overlap-grad-reduce"));
  EXPECT_FALSE(g.has("--overlap-param-gather"));
}

TEST(MegatronExport, RecomputeFlags) {
  auto sel = megatron_flags_of(export_megatron(load_example("gpt3-175b-a100-1024")));
  EXPECT_EQ(*value(sel, "--recompute-granularity"), "selective");
  EXPECT_FALSE(sel.has("--recompute-method"));  // selective => method None (L915)
  JobSpec job = load_example("mixtral-8x7b-h100-64");
  auto full = megatron_flags_of(export_megatron(job));
  EXPECT_EQ(*value(full, "--recompute-method"), "uniform");
  EXPECT_EQ(*value(full, "--recompute-num-layers"), "1");
  job.plan.recompute_layers = 3;
  auto block = megatron_flags_of(export_megatron(job));
  EXPECT_EQ(*value(block, "--recompute-method"), "block");
  EXPECT_EQ(*value(block, "--recompute-num-layers"), "3");
}

TEST(MegatronExport, MoeFlags) {
  auto f = megatron_flags_of(export_megatron(load_example("mixtral-8x7b-h100-64")));
  EXPECT_EQ(*value(f, "--num-experts"), "8");
  EXPECT_EQ(*value(f, "--moe-router-topk"), "2");
  EXPECT_EQ(*value(f, "--expert-model-parallel-size"), "8");
  EXPECT_EQ(*value(f, "--expert-tensor-parallel-size"), "1");
  EXPECT_TRUE(f.has("--moe-grouped-gemm"));
}

TEST(MegatronExport, OptimizerCpuOffloadFlags) {
  JobSpec job = load_example("gpt3-175b-a100-1024");
  job.plan.optimizer_offload = {OffloadDevice::kCpu, 0.5};
  auto f = megatron_flags_of(export_megatron(job));
  EXPECT_TRUE(f.has("--optimizer-cpu-offload"));
  EXPECT_EQ(*value(f, "--optimizer-offload-fraction"), "0.5");
  EXPECT_TRUE(f.has("--use-precision-aware-optimizer"));  // required with CPU offload (validate_args)
}

TEST(MegatronExport, PrecisionFlags) {
  JobSpec job = load_example("gpt3-175b-a100-1024");
  job.training.precision = Precision::kFp8;
  auto f = megatron_flags_of(export_megatron(job));
  EXPECT_TRUE(f.has("--bf16"));
  EXPECT_EQ(*value(f, "--fp8-format"), "hybrid");
  job.training.precision = Precision::kFp16;
  EXPECT_TRUE(megatron_flags_of(export_megatron(job)).has("--fp16"));
}

TEST(MegatronExport, LaunchScriptIsTorchrunWithDeviceMaxConnections) {
  ExportResult r = export_megatron(load_example("gpt3-175b-a100-1024"));
  const std::string& s = r.find_file("train.sh")->content;
  EXPECT_TRUE(r.find_file("train.sh")->executable);
  EXPECT_TRUE(contains(s, "export CUDA_DEVICE_MAX_CONNECTIONS=1"));
  EXPECT_TRUE(contains(s, "torchrun ${DISTRIBUTED_ARGS[@]} pretrain_gpt.py"));
  EXPECT_TRUE(contains(s, "NUM_NODES=128"));
  EXPECT_TRUE(contains(s, "GPUS_PER_NODE=8"));
}

TEST(MegatronRefusal, NvmeOffload) { EXPECT_TRUE(export_megatron(load_example("llama3-70b-nvme-h100-8")).refused()); }

TEST(MegatronRefusal, ParameterOffload) {
  ExportResult r = export_megatron(load_example("llama3-70b-zero3-cpu-offload-a100-16"));
  ASSERT_TRUE(r.refused());
  EXPECT_TRUE(r.files.empty());
  EXPECT_TRUE(contains(r.reasons.front(), "parameter offload"));
}

TEST(MegatronRefusal, GpipeAndZeroBubbleSchedules) {
  JobSpec job = load_example("gpt3-175b-a100-1024");
  job.plan.schedule = Schedule::kGpipe;
  EXPECT_TRUE(export_megatron(job).refused());
  job.plan.schedule = Schedule::kZeroBubble;
  EXPECT_TRUE(export_megatron(job).refused());
}

TEST(MegatronRefusal, QueryGroupsNotDivisibleByTp) {
  JobSpec job = load_example("llama3-70b-h100-64");
  job.model.kv_heads = 4;  // 4 query groups over TP 8 (transformer_config.py L1462)
  EXPECT_TRUE(export_megatron(job).refused());
}

TEST(MegatronRefusal, TpCommOverlapWithoutSequenceParallel) {
  JobSpec job = load_example("gpt3-175b-a100-1024");
  job.plan.tp_comm_overlap = true;
  EXPECT_FALSE(export_megatron(job).refused());
  job.plan.sequence_parallel = false;
  EXPECT_TRUE(export_megatron(job).refused());
}

TEST(MegatronRefusal, GlobalBatchNotAMultipleOfMicroBatchTimesDp) {
  JobSpec job = load_example("gpt3-175b-a100-1024");
  job.training.global_batch = 1000;  // 1000 % (1 * 16) != 0
  EXPECT_TRUE(export_megatron(job).refused());
}

TEST(MegatronRefusal, InterleavedWithTwoStagesNeedsP2pOverlap) {
  JobSpec job = load_example("llama3-70b-h100-64");
  job.plan.pp = 2;
  job.plan.dp = 4;
  job.plan.overlap_p2p = false;
  EXPECT_TRUE(export_megatron(job).refused());  // arguments.py L602-612
  job.plan.overlap_p2p = true;
  EXPECT_FALSE(export_megatron(job).refused());
}

}  // namespace
}  // namespace trainplan::exporter
