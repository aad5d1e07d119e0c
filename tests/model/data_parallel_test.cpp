// The data-parallel end of a step (model/step.hpp data_parallel_time): FSDP / ZeRO-3 collectives
// per unit with their per-call latency, DeepSpeed's re-gather for a recomputed forward, and the
// SMs NCCL takes from the compute it hides under (NVIDIA/nccl issue #689). Each figure is derived
// here from the collective formulas of model/cost/collectives.hpp.
#include <gtest/gtest.h>

#include "model/cost/collectives.hpp"
#include "model/memory.hpp"
#include "model/params.hpp"
#include "model/step.hpp"
#include "tests/model/fixture.hpp"

namespace trainplan {
namespace {

using test::Fixture;

// Llama 3 8B with FSDP full shard over `dp` H100s, micro-batch 1 of 8,192 tokens.
JobSpec fsdp_job(const Fixture& f, int dp) {
  JobSpec j = f.job(dp, 8192);
  j.plan.dp = dp;
  j.plan.fsdp = Fsdp::kFullShard;
  return j;
}

struct StageParts {
  StageKind kind;
  StageParams params;
  StageTimes times;
};

StageParts parts(const JobSpec& j, const Calibration& cal) {
  const StageKinds kinds = stage_kinds(j.model, j.plan);
  StageParts s;
  s.kind = kinds.kind[0];
  s.params = stage_params(j.model, j.plan, padded_vocab(j.model.vocab, j.plan.tp), s.kind);
  s.times = stage_times(j.model, s.kind, layer_costs(layer_context(j, cal)), j.plan.recompute, j.plan.recompute_layers);
  return s;
}

// A block is an FSDP unit with its own all-gather and reduce-scatter: against one call for the
// stage, n units pay n − 1 more launches and ring latencies, (n − 1)(α + hop · (dp − 1)) per
// collective kind, the bandwidth term unchanged (it is linear in the bytes).
TEST(DataParallel, FsdpPaysOneCallLatencyPerUnit) {
  const Fixture f("llama3-8b", "dgx-h100-superpod");
  const JobSpec j = fsdp_job(f, 256);
  const StageParts s = parts(j, f.cal);
  const DataParallelTime d = data_parallel_time(j, f.cal, s.kind, s.params, s.times, 1);
  const int units = zero3_units(s.kind);
  EXPECT_EQ(units, j.model.layers);  // one stage: its 32 blocks
  const ShardGroups sg = shard_groups(j.plan, j.cluster);
  const GroupPlacement g = place_group(static_cast<int>(sg.dp_dense), j.plan.tp, j.cluster);
  const BytesPerParam bpp = bytes_per_param(j.training, j.plan);
  const Seconds one_gather = collective_time(Collective::kAllGather, B(s.params.dense * bpp.gathered), g, j.cluster, f.cal);
  const Seconds one_reduce = collective_time(Collective::kReduceScatter, B(s.params.dense * bpp.grads), g, j.cluster, f.cal);
  const Seconds call = f.cal.collective_latency + hop_latency(g, j.cluster) * (g.size - 1.0);
  EXPECT_NEAR(d.gather.si(), (one_gather + call * (units - 1.0)).si(), 1e-12);
  EXPECT_NEAR(d.reduce.si(), (one_reduce + call * (units - 1.0)).si(), 1e-12);
}

// The per-call latency grows with the ring, the bytes per GPU do not: the exposed FSDP time per
// micro-batch grows with the data-parallel size at a fixed per-GPU batch (the trend issue 25
// measured on FSDP runs: +7 % at 128 GPUs, +19 % at 512, when it was missing).
TEST(DataParallel, FsdpExposureGrowsWithTheDataParallelSize) {
  const Fixture f("llama3-8b", "dgx-h100-superpod");
  double last = -1;
  for (int dp : {64, 128, 256, 512}) {
    const JobSpec j = fsdp_job(f, dp);
    const StageParts s = parts(j, f.cal);
    const DataParallelTime d = data_parallel_time(j, f.cal, s.kind, s.params, s.times, 1);
    EXPECT_GT(d.gather.si() + d.reduce.si(), last) << dp;
    last = d.gather.si() + d.reduce.si();
  }
}

// DeepSpeed gathers a unit's parameters again for its recomputed forward; FSDP does not.
TEST(DataParallel, DeepSpeedRegathersForRecomputationFsdpDoesNot) {
  const Fixture f("llama3-8b", "dgx-h100-superpod");
  JobSpec j = fsdp_job(f, 64);
  j.plan.recompute = Recompute::kFull;
  const StageKind k = stage_kinds(j.model, j.plan).kind[0];
  j.training.framework = Framework::kPytorchFsdp;
  EXPECT_EQ(zero3_gathers(j, k), 2.0);
  j.training.framework = Framework::kDeepspeed;
  EXPECT_EQ(zero3_gathers(j, k), 3.0);
  j.plan.recompute_layers = 8;  // a quarter of the 32 blocks recomputed
  EXPECT_EQ(zero3_gathers(j, k), 2.25);
  j.plan.recompute = Recompute::kSelective;  // no recomputed forward of the block's GEMMs
  EXPECT_EQ(zero3_gathers(j, k), 2.0);
  // The re-gather is exposed time the FSDP plan does not pay.
  j.plan.recompute = Recompute::kFull;
  j.plan.recompute_layers = 0;
  const StageParts s = parts(j, f.cal);
  const Seconds ds = data_parallel_time(j, f.cal, s.kind, s.params, s.times, 4).exposed;
  j.training.framework = Framework::kPytorchFsdp;
  EXPECT_GE(ds.si(), data_parallel_time(j, f.cal, s.kind, s.params, s.times, 4).exposed.si());
}

// A hidden collective's CTAs hold 16 of an 8-NIC DGX H100's 132 SMs: the compute beside it takes
// hidden · 16 / 132 longer.
TEST(DataParallel, HiddenCollectivesTakeSixteenSmsFromCompute) {
  const Fixture f("llama3-8b", "dgx-h100-superpod");
  JobSpec j = f.job(512, 8192);
  j.plan.dp = 64;
  j.plan.zero = 1;
  j.plan.micro_batch = 1;
  ASSERT_EQ(j.cluster.node.nics, 8);
  ASSERT_EQ(j.cluster.node.gpu.sm_count, 132);
  const StageParts s = parts(j, f.cal);
  const DataParallelTime d = data_parallel_time(j, f.cal, s.kind, s.params, s.times, 8);
  const Seconds hidden = d.reduce + d.gather - d.exposed;
  ASSERT_GT(hidden.si(), 0);
  EXPECT_NEAR(d.sm_slowdown.si(), hidden.si() * 16.0 / 132.0, 1e-12);
  EXPECT_EQ(nccl_sms(place_group(64, 1, j.cluster), j.cluster.node), 16);
  // Nothing hides without overlap: nothing is slowed.
  j.plan.overlap_grad_reduce = j.plan.overlap_param_gather = false;
  const DataParallelTime none = data_parallel_time(j, f.cal, s.kind, s.params, s.times, 8);
  EXPECT_DOUBLE_EQ(none.sm_slowdown.si(), 0.0);
  EXPECT_DOUBLE_EQ(none.exposed.si(), (none.reduce + none.gather).si());
}

}  // namespace
}  // namespace trainplan
