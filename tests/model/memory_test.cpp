// The memory model against the published formulas: Korthikanti et al. 2022 (activations) and the
// ZeRO paper (Rajbhandari et al. 2020, §3.1: 2 + 2 + 12 bytes per parameter, sharded by stage).
#include <gtest/gtest.h>

#include "model/analytic.hpp"
#include "model/cost/collectives.hpp"
#include "model/cost/layer.hpp"
#include "model/params.hpp"
#include "model/spec/catalog.hpp"
#include "model/step.hpp"
#include "tests/model/fixture.hpp"

namespace trainplan {
namespace {

using test::Fixture;

TEST(Memory, KorthikantiActivationsNoParallelism) {
  Fixture f("gpt3-175b", "dgx-a100-superpod");
  const double s = 2048, b = 1, h = 12288, a = 96;
  LayerCost c = layer_cost(f.ctx(1, false, 1, 2048), false);
  // Table 2, "no parallelism": s·b·h·(34 + 5·a·s/h).
  EXPECT_DOUBLE_EQ(c.activations / B(1), s * b * h * (34 + 5 * a * s / h));
}

TEST(Memory, KorthikantiActivationsTensorParallel) {
  Fixture f("gpt3-175b", "dgx-a100-superpod");
  const double s = 2048, b = 1, h = 12288, a = 96, t = 8;
  LayerCost c = layer_cost(f.ctx(8, false, 1, 2048), false);
  // Table 2, "tensor parallel (baseline)": s·b·h·(10 + 24/t + 5·a·s/(h·t)).
  EXPECT_NEAR(c.activations / B(1), s * b * h * (10 + 24 / t + 5 * a * s / (h * t)), 1.0);
}

TEST(Memory, KorthikantiActivationsSequenceParallelAndSelective) {
  Fixture f("gpt3-175b", "dgx-a100-superpod");
  const double s = 2048, b = 1, h = 12288, a = 96, t = 8;
  LayerCost c = layer_cost(f.ctx(8, true, 1, 2048), false);
  // Table 2: "tensor + sequence parallel": s·b·h·(34/t + 5·a·s/(h·t)); with selective recompute s·b·h·34/t;
  // full recompute keeps the layer input, 2·s·b·h/t with SP.
  EXPECT_NEAR(c.activations / B(1), s * b * h * (34 / t + 5 * a * s / (h * t)), 1.0);
  EXPECT_NEAR(c.activations_selective / B(1), s * b * h * 34 / t, 1.0);
  EXPECT_NEAR(c.layer_input / B(1), 2 * s * b * h / t, 1.0);
}

// Llama 2 7B in bf16 on 64 A100 at DP 64 with full recompute, and P, its parameters on the single
// stage: everything, with the padded vocabulary.
struct Dp64 {
  Fixture f{"llama2-7b", "dgx-a100-superpod"};
  JobSpec job = f.job(64, 4096);
  double P = total_params(f.model) - 2.0 * f.model.vocab * f.model.hidden + 2.0 * padded_vocab(f.model.vocab, 1) * f.model.hidden;
  Dp64() {
    job.cluster.nodes = 8;
    job.training.precision = Precision::kBf16;
    job.plan.dp = 64;
    job.plan.recompute = Recompute::kFull;
  }
};

TEST(Memory, ZeroStagesShardModelStates) {
  Dp64 d;
  const Fixture& f = d.f;
  JobSpec& job = d.job;
  const double P = d.P;
  AnalyticEvaluator ev;
  const double n = 64;
  // Megatron-style mixed precision: 2 (bf16 weights) + 4 (fp32 main grads) + 12 (fp32 master, m, v).
  const double expected[4][3] = {
      {2 * P, 4 * P, 12 * P}, {2 * P, 4 * P, 12 * P / n}, {2 * P, 4 * P / n, 12 * P / n}, {2 * P / n, 4 * P / n, 12 * P / n}};
  for (int z = 0; z <= 3; ++z) {
    job.plan.zero = z;
    Evaluation e = ev.evaluate(job, f.cal);
    const StageMemory& m = e.stage(0);
    EXPECT_NEAR(m.weights / B(1), expected[z][0], 1e3) << "zero " << z;
    EXPECT_NEAR(m.gradients / B(1), expected[z][1], 1e3) << "zero " << z;
    EXPECT_NEAR(m.optimizer / B(1), expected[z][2], 1e3) << "zero " << z;
  }
}

// Master-weight remainders (apex PR #1463): the fp32 master takes 2 bytes instead of 4, so the
// optimizer state is 2 + 4 + 4 = 10 bytes a parameter, sharded like the 12; weights and gradients
// do not change. The GPU optimizer step moves 32 bytes a parameter instead of 34.
TEST(Memory, ParamRemaindersSaveTwoBytesOfMasterWeights) {
  Dp64 d;
  const Fixture& f = d.f;
  JobSpec& job = d.job;
  const double P = d.P;
  AnalyticEvaluator ev;
  for (int z : {0, 1}) {
    job.plan.zero = z;
    job.plan.param_remainders = false;
    const Evaluation full = ev.evaluate(job, f.cal);
    job.plan.param_remainders = true;
    const Evaluation rem = ev.evaluate(job, f.cal);
    const double shards = z >= 1 ? 64 : 1;
    EXPECT_NEAR(full.stage(0).optimizer / B(1), 12 * P / shards, 1e3) << "zero " << z;
    EXPECT_NEAR(rem.stage(0).optimizer / B(1), 10 * P / shards, 1e3) << "zero " << z;
    EXPECT_EQ(rem.stage(0).weights, full.stage(0).weights);
    EXPECT_EQ(rem.stage(0).gradients, full.stage(0).gradients);
    // Memory-bound optimizer step (compute.cpp memory_bound_time: bytes / bandwidth + 4 kernel
    // launches): the bandwidth term scales with the bytes moved, 32/34.
    const Seconds launches = f.cal.arch.kernel_overhead * 4;
    EXPECT_NEAR((rem.breakdown.optimizer - launches) / (full.breakdown.optimizer - launches), 32.0 / 34.0, 1e-9) << "zero " << z;
  }
  // Half the optimizer state offloaded: the GPU keeps half of the 10 bytes, the host optimizer
  // half of whole fp32 state, 12 bytes (step.hpp offloaded_optimizer_time).
  job.plan.zero = 1;
  job.plan.optimizer_offload = {OffloadDevice::kCpu, 0.5};
  const Evaluation off = ev.evaluate(job, f.cal);
  EXPECT_NEAR(off.stage(0).optimizer / B(1), 10 * P / 64 * 0.5, 1e3);
  EXPECT_NEAR(off.stage(0).offloaded_cpu / B(1), 12 * P / 64 * 0.5, 1e3);
  job.plan.optimizer_offload = {};
  // fp8 keeps bf16 weights too (plus its fp8 copy): the same 10 bytes.
  job.training.precision = Precision::kFp8;
  job.plan.zero = 0;
  EXPECT_NEAR(ev.evaluate(job, f.cal).stage(0).optimizer / B(1), 10 * P, 1e3);
  const BytesPerParam bf16 = bytes_per_param(TrainingSpec{}, job.plan);
  EXPECT_EQ(bf16.optimizer, 10);
  EXPECT_EQ(bf16.remainder_saving, 2);
}

// fp8 parameters (PlanSpec::fp8_param_gather, Megatron --fp8-param-gather): the compute weight is
// the fp8 one alone, 1 byte a parameter instead of bf16 + its fp8 copy (3); gradients and the
// optimizer's fp32 state do not change; the ZeRO-1 parameter all-gather moves 1 byte a parameter
// instead of 2. With both DP overlaps off the exposed DP time is reduce-scatter + all-gather, so the
// two plans differ by exactly the all-gather of P bytes against 2P.
TEST(Memory, Fp8ParamGatherKeepsOneByteWeightsAndGathersFp8) {
  Fixture f{"llama2-7b", "dgx-h100-superpod"};
  JobSpec job = f.job(64, 4096);
  const double P = total_params(f.model) - 2.0 * f.model.vocab * f.model.hidden + 2.0 * padded_vocab(f.model.vocab, 1) * f.model.hidden;
  job.cluster.nodes = 8;
  job.training.precision = Precision::kFp8;
  job.plan.dp = 64;
  job.plan.zero = 1;
  job.plan.recompute = Recompute::kFull;
  job.plan.overlap_grad_reduce = false;
  job.plan.overlap_param_gather = false;
  AnalyticEvaluator ev;
  const Evaluation bf16_weights = ev.evaluate(job, f.cal);
  job.plan.fp8_param_gather = true;
  const Evaluation fp8_weights = ev.evaluate(job, f.cal);
  ASSERT_TRUE(fp8_weights.feasible);
  EXPECT_NEAR(bf16_weights.stage(0).weights / B(1), 3 * P, 1e3);
  EXPECT_NEAR(fp8_weights.stage(0).weights / B(1), 1 * P, 1e3);
  EXPECT_EQ(fp8_weights.stage(0).gradients, bf16_weights.stage(0).gradients);
  EXPECT_EQ(fp8_weights.stage(0).optimizer, bf16_weights.stage(0).optimizer);
  const GroupPlacement dp = place_group(64, 1, job.cluster);
  const Seconds gather2 = collective_time(Collective::kAllGather, B(2 * P), dp, job.cluster, f.cal);
  const Seconds gather1 = collective_time(Collective::kAllGather, B(1 * P), dp, job.cluster, f.cal);
  EXPECT_NEAR((bf16_weights.breakdown.dp_comm - fp8_weights.breakdown.dp_comm).si(), (gather2 - gather1).si(), 1e-9);
  EXPECT_GT((gather2 - gather1).si(), 0.0);
}

TEST(Memory, OneF1BKeepsPMicroBatchesOnTheFirstStage) {
  Fixture f("gpt3-175b", "dgx-a100-superpod");
  JobSpec job = f.job(64, 2048);
  job.plan.tp = 8;
  job.plan.sequence_parallel = true;
  job.plan.pp = 8;
  job.plan.dp = 1;
  job.plan.recompute = Recompute::kSelective;
  Evaluation e = AnalyticEvaluator().evaluate(job, f.cal);
  LayerContext c = f.ctx(8, true, 1, 2048);
  c.dropout = true;
  c.flash = f.cal.arch.flash_attention;
  LayerCost lc = layer_cost(c, false);
  LayerCost emb = embedding_cost(c);
  // Stage 0: 12 layers × selective activations × p = 8 in flight, plus its embedding dropout mask.
  const double expected = (12 * (lc.activations_selective / B(1)) + emb.activations / B(1)) * 8;
  EXPECT_NEAR(e.stage(0).activations / B(1), expected, 1e3);
  // The last stage holds one micro-batch plus its fp32 logits (4·s·b·V/t).
  EXPECT_LT(e.stage(7).activations, e.stage(0).activations);
}

}  // namespace
}  // namespace trainplan
