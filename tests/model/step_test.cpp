// The time model's closed forms, each checked against the formula it cites, with the inputs
// computed in the test: the TP communication a layer leaves exposed (Korthikanti et al. 2022
// §4.2.2 and Megatron-Core's backward overlap), the pipeline per schedule (Narayanan et al. 2021
// §2.2; Qi et al. 2023), the pipeline transfers, and the stage kinds of uneven pipelines.
#include <gtest/gtest.h>

#include <algorithm>

#include "model/analytic.hpp"
#include "model/cost/collectives.hpp"
#include "model/cost/compute.hpp"
#include "model/cost/layer.hpp"
#include "model/params.hpp"
#include "model/spec/catalog.hpp"
#include "model/step.hpp"
#include "tests/model/fixture.hpp"

namespace trainplan {
namespace {

using test::Fixture;

Seconds exposed(Seconds comm, Seconds under) { return std::max(Seconds{}, comm - under); }

// Without SP: forward one all-reduce per block on the critical path; backward the column-parallel
// layer's input-gradient all-reduce under its weight-gradient GEMM (QKV; fc1).
TEST(LayerTime, TensorParallelAllReduceHidesUnderWeightGradientInBackward) {
  Fixture f("llama3-70b", "dgx-h100-superpod");
  const int t = 8, b = 1, s = 8192;
  const LayerContext c = f.ctx(t, false, b, s, /*flash=*/true);
  const LayerCost lc = layer_cost(c, false);
  const double T = b * s, h = 8192, q = 64 * 128, kv = 8 * 128, ffn = 28672;
  const GpuSpec& gpu = f.cluster.node.gpu;
  const Seconds qkv = gemm_time({T, (q + 2 * kv) / t, h}, Precision::kBf16, gpu, f.cal);
  const Seconds fc1 = gemm_time({T, 2 * ffn / t, h}, Precision::kBf16, gpu, f.cal);
  const GroupPlacement g = place_group(t, 1, f.cluster);
  const Seconds ar = collective_time(Collective::kAllReduce, B(T * h * 2), g, f.cluster, f.cal);
  EXPECT_DOUBLE_EQ(lc.tp_comm_fwd.si(), (ar * 2.0).si());
  EXPECT_DOUBLE_EQ(lc.tp_comm_bwd.si(), (exposed(ar, qkv) + exposed(ar, fc1)).si());
  EXPECT_LT(lc.tp_comm_bwd, lc.tp_comm_fwd);
}

// With SP: forward an all-gather and a reduce-scatter per block; backward the row-parallel
// output-gradient all-gather exposed, the input re-gather under the data-gradient GEMM and the
// input-gradient reduce-scatter under the weight-gradient GEMM.
TEST(LayerTime, SequenceParallelBackwardKeepsOneAllGatherExposed) {
  Fixture f("gpt3-175b", "dgx-a100-superpod");
  const int t = 8, b = 1, s = 2048;
  const LayerContext c = f.ctx(t, true, b, s, /*flash=*/true);
  const LayerCost lc = layer_cost(c, false);
  const double T = b * s, h = 12288;
  const GpuSpec& gpu = f.cluster.node.gpu;
  const Seconds qkv = gemm_time({T, 3 * h / t, h}, Precision::kBf16, gpu, f.cal);
  const Seconds fc1 = gemm_time({T, 4 * h / t, h}, Precision::kBf16, gpu, f.cal);
  const GroupPlacement g = place_group(t, 1, f.cluster);
  const Seconds ag = collective_time(Collective::kAllGather, B(T * h * 2), g, f.cluster, f.cal);
  const Seconds rs = collective_time(Collective::kReduceScatter, B(T * h * 2), g, f.cluster, f.cal);
  EXPECT_DOUBLE_EQ(lc.tp_comm_fwd.si(), ((ag + rs) * 2.0).si());
  const Seconds bwd = ag + exposed(ag, qkv) + exposed(rs, qkv) + ag + exposed(ag, fc1) + exposed(rs, fc1);
  EXPECT_DOUBLE_EQ(lc.tp_comm_bwd.si(), bwd.si());
}

// Without the backward overlap (Megatron-LM 2020-2021, tp_grad_overlap off) every backward
// collective is on the critical path: per block the all-reduce, or with SP two all-gathers (the
// output gradient's and the input re-gather) and the reduce-scatter.
TEST(LayerTime, SynchronousTensorParallelBackwardExposesEveryCollective) {
  Fixture f("gpt3-175b", "dgx-a100-superpod");
  const int t = 8, b = 1, s = 2048;
  const double T = b * s, h = 12288;
  const GroupPlacement g = place_group(t, 1, f.cluster);
  const Seconds ar = collective_time(Collective::kAllReduce, B(T * h * 2), g, f.cluster, f.cal);
  const Seconds ag = collective_time(Collective::kAllGather, B(T * h * 2), g, f.cluster, f.cal);
  const Seconds rs = collective_time(Collective::kReduceScatter, B(T * h * 2), g, f.cluster, f.cal);
  LayerContext c = f.ctx(t, false, b, s, /*flash=*/true);
  c.tp_grad_overlap = false;
  EXPECT_DOUBLE_EQ(layer_cost(c, false).tp_comm_bwd.si(), (ar * 2.0).si());
  c = f.ctx(t, true, b, s, /*flash=*/true);
  c.tp_grad_overlap = false;
  EXPECT_DOUBLE_EQ(layer_cost(c, false).tp_comm_bwd.si(), ((ag * 2.0 + rs) * 2.0).si());
  // Overlap only ever hides time.
  EXPECT_LT(layer_cost(f.ctx(t, true, b, s, true), false).tp_comm_bwd, layer_cost(c, false).tp_comm_bwd);
}

// fp8 (Transformer Engine): each GEMM's input is cast in forward and its output gradient in
// backward, reading 2 B and writing the fp8 copy and its transpose (4 B an element in all).
TEST(LayerTime, Fp8CastsEveryGemmOperand) {
  Fixture f("llama3-8b", "dgx-h100-superpod");
  LayerContext c = f.ctx(1, false, 1, 8192, /*flash=*/true);
  EXPECT_DOUBLE_EQ(layer_cost(c, false).fp8_casts.si(), 0.0);
  c.precision = Precision::kFp8;
  const LayerCost lc = layer_cost(c, false);
  const double T = 8192, h = 4096, q = 32 * 128, kv = 8 * 128, ffn = 14336;
  const double in = T * h + T * q + T * h + T * ffn;                   // QKV, out-proj, fc1, fc2 inputs
  const double outg = T * (q + 2 * kv) + T * h + T * 2 * ffn + T * h;  // their outputs' gradients
  const Seconds expect =
      memory_bound_time(B(4 * in), 4, f.cluster.node.gpu, f.cal) + memory_bound_time(B(4 * outg), 4, f.cluster.node.gpu, f.cal);
  EXPECT_NEAR(lc.fp8_casts.si(), expect.si(), 1e-12);
}

// A plan of pp stages, uneven first/last ones where given.
PlanSpec pipeline(int pp, int first = 0, int last = 0) {
  PlanSpec p;
  p.pp = pp;
  p.first_stage_layers = first;
  p.last_stage_layers = last;
  return p;
}

StageKinds three_kinds() {
  ModelSpec m;
  m.layers = 32;
  return stage_kinds(m, pipeline(4));
}

// Four pipeline stages under a schedule (v virtual stages when interleaved).
PlanSpec four_stages(Schedule schedule, int v = 1) {
  PlanSpec p;
  p.pp = 4;
  p.schedule = schedule;
  p.virtual_stages = v;
  return p;
}

std::array<StageTimes, 3> times(double first, double middle, double last, double fwd_share = 1.0 / 3) {
  std::array<StageTimes, 3> t{};
  for (auto [k, v] : {std::pair{0, first}, {1, middle}, {2, last}}) {
    t[k].fwd = s(v * fwd_share);
    t[k].bwd = s(v * (1 - fwd_share));
  }
  return t;
}

// NCCL's algorithms name the latency steps: ring n − 1, double binary tree 2·⌈log2 n⌉, direct 1;
// collective_time charges exactly those hops (a zero-byte-bandwidth check: the latency part alone).
TEST(Collectives, AlgorithmsNameTheirLatencySteps) {
  EXPECT_EQ(algorithm_of(Collective::kAllReduce), CollectiveAlgorithm::kTree);
  EXPECT_EQ(algorithm_of(Collective::kReduceScatter), CollectiveAlgorithm::kRing);
  EXPECT_EQ(algorithm_of(Collective::kAllToAll), CollectiveAlgorithm::kDirect);
  EXPECT_DOUBLE_EQ(latency_steps(Collective::kAllGather, 16), 15.0);
  EXPECT_DOUBLE_EQ(latency_steps(Collective::kAllReduce, 16), 8.0);
  EXPECT_DOUBLE_EQ(latency_steps(Collective::kAllReduce, 17), 10.0);
  EXPECT_DOUBLE_EQ(latency_steps(Collective::kSendRecv, 2), 1.0);
  Fixture f("llama3-70b", "dgx-h100-superpod");
  const GroupPlacement g = place_group(16, 8, f.cluster);  // one GPU on each of 16 nodes
  const Seconds tiny = collective_time(Collective::kReduceScatter, B(1), g, f.cluster, f.cal);
  const Seconds lat = f.cal.collective_latency + hop_latency(g, f.cluster) * 15.0;
  EXPECT_NEAR(tiny.si(), lat.si(), 1e-9);
}

TEST(Pipeline, OneFOneBIsFillSteadyStateAndDrain) {
  const StageKinds k = three_kinds();
  PlanSpec p = four_stages(Schedule::k1F1B);
  const auto t = times(1.0, 1.2, 1.5);
  const double m = 16;
  const PipelineTime pt = pipeline_time(p, m, k, t, Seconds{});
  // Σ_i t_i + (m − 1) · max_i t_i, with two middle stages.
  EXPECT_DOUBLE_EQ(pt.pipeline.si(), (1.0 + 2 * 1.2 + 1.5) + (m - 1) * 1.5);
  EXPECT_DOUBLE_EQ(pt.pp_comm.si(), 0.0);
}

TEST(Pipeline, InterleavingDividesTheBubbleByV) {
  const StageKinds k = three_kinds();
  PlanSpec p = four_stages(Schedule::kInterleaved, 4);
  const auto t = times(1.0, 1.2, 1.5);
  const double m = 16;
  EXPECT_DOUBLE_EQ(pipeline_time(p, m, k, t, Seconds{}).pipeline.si(), m * 1.5 + ((1.0 + 2 * 1.2 + 1.5) - 1.5) / 4);
}

TEST(Pipeline, ZeroBubbleLeavesOnlyForwardFill) {
  const StageKinds k = three_kinds();
  PlanSpec p = four_stages(Schedule::kZeroBubble);
  const auto t = times(1.0, 1.2, 1.5);
  const double m = 16;
  EXPECT_DOUBLE_EQ(pipeline_time(p, m, k, t, Seconds{}).pipeline.si(), m * 1.5 + 1.5 / 3 * (4 - 1));
}

// ZB-H1's bubble is (p − 1)(t_F + t_B − t_W): B carries the recomputation and the communication
// besides half the backward compute, W the other half, so they widen the bubble.
TEST(Pipeline, ZeroBubbleBubbleCountsWhatTheWeightGradientDoesNotCarry) {
  const StageKinds k = three_kinds();
  PlanSpec p = four_stages(Schedule::kZeroBubble);
  auto t = times(1.0, 1.2, 1.5);
  for (auto& st : t) {
    st.tp = s(0.2);
    st.recompute = s(0.1);
  }
  const double m = 16;
  // The last kind: t = 1.5 + 0.3, b = 1.0; t − b = 0.5 + 0.2 + 0.1.
  EXPECT_DOUBLE_EQ(pipeline_time(p, m, k, t, Seconds{}).pipeline.si(), m * 1.8 + (0.5 + 0.3) * (4 - 1));
}

TEST(Pipeline, TransfersOfFillAndDrainAndThoseLongerThanAChunk) {
  const StageKinds k = three_kinds();
  PlanSpec p = four_stages(Schedule::k1F1B);
  const auto t = times(1.0, 1.2, 1.5);  // largest forward 0.5 s
  const double m = 8;
  // 1F1B: a transfer shorter than a stage's forward hides in the steady state: only fill and drain.
  EXPECT_DOUBLE_EQ(pipeline_time(p, m, k, t, s(0.1)).pp_comm.si(), 0.1 * 2 * 3);
  // A longer one shows its excess on each of the 2·m steady-state transfers.
  EXPECT_NEAR(pipeline_time(p, m, k, t, s(0.6)).pp_comm.si(), 0.6 * 2 * 3 + (0.6 - 0.5) * 2 * m, 1e-12);
  // Without overlap every transfer shows.
  p.overlap_p2p = false;
  EXPECT_NEAR(pipeline_time(p, m, k, t, s(0.1)).pp_comm.si(), 0.1 * 2 * 3 + 0.1 * 2 * m, 1e-12);
}

// Interleaving (v = 4, p = 4): each of the v − 1 wraps of a micro-batch group from the last
// stage back to the first, in warm-up and in cool-down, adds p transfers, whatever m.
TEST(Pipeline, InterleavedWrapsAddPTransfersEach) {
  const StageKinds k = three_kinds();
  PlanSpec p = four_stages(Schedule::kInterleaved, 4);
  const auto t = times(1.0, 1.2, 1.5);
  const double x = 0.1;  // shorter than a chunk's forward (0.5/4 s): the steady state hides it
  for (double m : {4.0, 8.0, 32.0}) EXPECT_NEAR(pipeline_time(p, m, k, t, s(x)).pp_comm.si(), x * 2 * 3 + x * 2 * 3 * 4, 1e-12) << m;
  p.schedule = Schedule::k1F1B;
  p.virtual_stages = 1;
  EXPECT_NEAR(pipeline_time(p, 8, k, t, s(x)).pp_comm.si(), x * 2 * 3, 1e-12);
}

TEST(StageKinds, UnevenFirstAndLastStages) {
  ModelSpec m;
  m.layers = 126;
  const StageKinds k = stage_kinds(m, pipeline(16, 7, 7));  // Llama 3 405B as Meta split it
  ASSERT_EQ(k.count, 3);
  EXPECT_EQ(k.kind[0].layers, 7);
  EXPECT_EQ(k.kind[1].layers, 8);
  EXPECT_EQ(k.kind[1].count, 14);
  EXPECT_EQ(k.kind[2].layers, 7);
  EXPECT_EQ(k.kind[2].first_layer, 119);
  EXPECT_TRUE(k.kind[0].has_embedding && k.kind[2].has_output);
  EXPECT_EQ(&k.of_stage(5), &k.kind[1]);
  EXPECT_EQ(&k.of_stage(15), &k.kind[2]);
}

// Pipeline transfers (Narayanan et al. 2021 §4.1): b·s·h elements a GPU; ÷ t with SP or
// Megatron-LM's scatter/gather, which then all-gathers the t pieces over the TP group.
TEST(PipelineTransfer, ScatterGatherSplitsOverTpAndAllGathers) {
  Fixture f("llama3-70b", "dgx-h100-superpod");
  JobSpec job = f.job(64, 4096);
  job.plan.tp = 8;
  job.plan.pp = 4;
  job.plan.dp = 1;
  const double full = 1.0 * 4096 * 8192 * 2;  // b 1, s 4096, h 8192, bf16
  EXPECT_DOUBLE_EQ(pipeline_p2p_bytes(job) / B(1), full);
  const Seconds whole = pipeline_p2p_time(job, f.cal);
  EXPECT_DOUBLE_EQ(whole.si(), p2p_time(B(full), 8 * 1 * 1, f.cluster, f.cal).si());
  job.plan.p2p_scatter_gather = true;
  EXPECT_DOUBLE_EQ(pipeline_p2p_bytes(job) / B(1), full / 8);
  const Seconds split = p2p_time(B(full / 8), 8, f.cluster, f.cal) +
                        collective_time(Collective::kAllGather, B(full), place_group(8, 1, f.cluster), f.cluster, f.cal);
  EXPECT_DOUBLE_EQ(pipeline_p2p_time(job, f.cal).si(), split.si());
  EXPECT_LT(split, whole);
  job.plan.sequence_parallel = true;  // already split: no all-gather
  EXPECT_DOUBLE_EQ(pipeline_p2p_time(job, f.cal).si(), p2p_time(B(full / 8), 8, f.cluster, f.cal).si());
}

// A plan whose stages do not hold every layer is infeasible with the reason, never a smaller model.
TEST(Analytic, StagesMustHoldEveryLayer) {
  Fixture f("llama3-8b", "dgx-h100-superpod");
  JobSpec job = f.job(16, 4096);
  job.plan.pp = 5;  // 32 layers over 5 even stages would hold 30
  job.plan.dp = 1;
  const Evaluation e = AnalyticEvaluator().evaluate(job, f.cal);
  EXPECT_FALSE(e.feasible);
  ASSERT_FALSE(e.reasons.empty());
  EXPECT_EQ(e.reasons.front().reason, InfeasibleReason::kIndivisible);
  job.plan.first_stage_layers = 8;  // 8 + 3·6 + 6
  job.plan.last_stage_layers = 6;
  EXPECT_TRUE(AnalyticEvaluator().evaluate(job, f.cal).feasible);
}

// Full recomputation of N layers per stage repeats N/L of the stage's forward.
TEST(StageTime, PartialFullRecomputation) {
  Fixture f("llama3-8b", "dgx-h100-superpod");
  const LayerCosts c = layer_costs(f.ctx(1, false, 1, 8192, /*flash=*/true));
  const StageKinds k = stage_kinds(f.model, pipeline(1));
  const StageTimes all = stage_times(f.model, k.kind[0], c, Recompute::kFull, 0);
  const StageTimes some = stage_times(f.model, k.kind[0], c, Recompute::kFull, 8);
  EXPECT_DOUBLE_EQ(all.recompute.si(), (c.dense.fwd * 32.0).si());
  EXPECT_NEAR(some.recompute.si(), (c.dense.fwd * 8.0).si(), 1e-15);
}

}  // namespace
}  // namespace trainplan
