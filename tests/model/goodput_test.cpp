// Goodput (model/goodput.hpp): the published interruption rate as an input case, Young's and
// Daly's intervals, the wall-time model by hand, the checkpoint size, async checkpoints, the job
// timeline with a failure, and the readers' errors.
#include <gtest/gtest.h>

#include <cmath>

#include "model/goodput.hpp"
#include "tests/model/fixture.hpp"

namespace trainplan {
namespace {

// Llama 3 405B's pre-training: 16,384 H100 in 2,048 DGX H100 nodes of 8 GPUs and 8 NICs.
GoodputInputs llama3_fleet() {
  GoodputInputs in;
  in.gpus_per_node = 8;
  in.nics_per_node = 8;
  in.pcie = GBps(50);
  in.checkpoint_bytes = 405e9 * 14;
  return in;
}

TEST(Goodput, DefaultRatesGiveLlama3sInterruptions) {
  // Dubey et al. 2024 §3.3.4: 419 unexpected interruptions in 54 days on 16,384 GPUs.
  const double per_day = failure_rate(llama3_fleet(), 16384) * 86400;
  EXPECT_NEAR(per_day * 54, 419, 1.0);
  // Half the GPUs, about half the failures (every term scales with GPUs or nodes).
  EXPECT_NEAR(failure_rate(llama3_fleet(), 8192) / failure_rate(llama3_fleet(), 16384), 0.5, 1e-9);
}

TEST(Goodput, DalyIntervalAndYoungsLeadingTerm) {
  const Seconds stall = s(60), mtbf = s(3 * 3600);
  const double young = std::sqrt(2 * 60.0 * 3 * 3600);  // Young 1974: sqrt(2 δ M) = 1138.4 s
  const double x = 60.0 / (2 * 3 * 3600);
  const double daly = young * (1 + std::sqrt(x) / 3 + x / 9) - 60;  // Daly 2006
  EXPECT_NEAR(daly_interval(stall, mtbf).si(), daly, 1e-9);
  EXPECT_NEAR(daly_interval(stall, mtbf).si() / young, 1.0, 0.05);  // δ << M: Young's interval
  // A stall of at least 2M: checkpoint once per MTBF.
  EXPECT_DOUBLE_EQ(daly_interval(s(7200), s(3600)).si(), 3600);
}

TEST(Goodput, WallTimeModelByHand) {
  GoodputInputs in = llama3_fleet();
  const Goodput g = goodput(in, 16384);
  const double m = 1 / failure_rate(in, 16384);
  // Synchronous: the write at min(100 GB/s aggregate, 2048 nodes x 25 GB/s) = 100 GB/s.
  EXPECT_NEAR(g.checkpoint_write.si(), 405e9 * 14 / 100e9, 1e-9);
  EXPECT_DOUBLE_EQ(g.checkpoint_stall.si(), g.checkpoint_write.si());
  const double d = g.checkpoint_stall.si(), tau = daly_interval(g.checkpoint_stall, s(m)).si();
  EXPECT_NEAR(g.interval.si(), tau, 1e-6);
  const double r = 600 + 300 + d;  // detection (Megatron's 10 min timeout) + restart 5 min + load
  EXPECT_NEAR(g.recovery.si(), r, 1e-9);
  const double expected = tau / (m * std::exp(r / m) * (std::exp((tau + d) / m) - 1));
  EXPECT_NEAR(g.fraction, expected, 1e-12);
  EXPECT_NEAR(g.checkpoint_share + g.lost_work_share + g.recovery_share, 1 - g.fraction, 1e-12);
  // The optimum is an optimum: a shorter or longer interval loses more.
  for (double f : {0.7, 1.4}) {
    GoodputInputs other = in;
    other.checkpoint.interval = s(tau * f);
    EXPECT_LT(goodput(other, 16384).fraction, g.fraction) << f;
    EXPECT_FALSE(goodput(other, 16384).interval_optimal);
  }
}

TEST(Goodput, AsyncCheckpointsStallForTheHostCopyOnly) {
  GoodputInputs in = llama3_fleet();
  in.checkpoint.async = true;
  const Goodput g = goodput(in, 16384);
  EXPECT_NEAR(g.checkpoint_stall.si(), 405e9 * 14 / 16384 / 50e9, 1e-12);  // each GPU's share over PCIe
  EXPECT_GE(g.interval.si(), g.checkpoint_write.si());                     // one drain at a time
  GoodputInputs sync = llama3_fleet();
  EXPECT_GT(g.fraction, goodput(sync, 16384).fraction);
  // Meta reports more than 90 % effective training time on this fleet (Dubey et al. 2024 §3.3.4).
  EXPECT_GT(g.fraction, 0.90);
}

// When Daly's optimum for the short async stall is shorter than one drain to storage, τ is the
// write time and the output says so instead of "optimal (Daly 2006)".
TEST(Goodput, AsyncIntervalRaisedToTheWriteTimeIsLabelled) {
  GoodputInputs in = llama3_fleet();
  in.checkpoint.async = true;
  const Goodput free = goodput(in, 16384);
  const double daly = daly_interval(free.checkpoint_stall, free.mtbf).si();
  in.storage.aggregate = BytesPerSecond::from_si(in.checkpoint_bytes / (daly * 2));  // one drain takes 2x Daly's interval
  in.storage.per_node = in.storage.aggregate;
  const Goodput g = goodput(in, 16384);
  ASSERT_GT(g.checkpoint_write.si(), daly_interval(g.checkpoint_stall, g.mtbf).si());
  EXPECT_DOUBLE_EQ(g.interval.si(), g.checkpoint_write.si());
  EXPECT_TRUE(g.interval_drain_bound);
  EXPECT_STREQ(g.interval_label(), "raised to the write time (one async drain at a time)");
  EXPECT_STREQ(free.interval_label(),
               free.interval_drain_bound ? "raised to the write time (one async drain at a time)" : "optimal (Daly 2006)");
}

TEST(Goodput, CheckpointHoldsWeightsAndOptimizerState) {
  test::Fixture f("llama3-405b", "dgx-h100-superpod");
  JobSpec job = f.job(2048, 8192);
  const double params = total_params(job.model);
  EXPECT_NEAR(goodput_inputs(job).checkpoint_bytes, params * (2 + 12), 1e-3 * params);  // bf16 + fp32 master, m, v
  job.plan.param_remainders = true;
  EXPECT_NEAR(goodput_inputs(job).checkpoint_bytes, params * (2 + 10), 1e-3 * params);
  EXPECT_NEAR(goodput_inputs(job).checkpoint_bytes / 1e12, 405.8e9 * 12 / 1e12, 0.1);
}

TEST(Goodput, TimelineReplaysTheStepsSinceTheLastCheckpoint) {
  GoodputInputs in = llama3_fleet();
  in.checkpoint.interval = s(100);
  const Goodput g = goodput(in, 16384);
  const auto phases = job_timeline(g, s(10), 25, 17);  // checkpoints after steps 10 and 20
  int steps = 0, replays = 0, checkpoints = 0, failures = 0;
  for (const auto& p : phases) {
    if (p.name == "checkpoint") ++checkpoints;
    if (p.name == "failure") ++failures;
    if (p.name.find("replay") != std::string::npos)
      ++replays;
    else if (p.name.rfind("step ", 0) == 0 && p.name.find("lost") == std::string::npos)
      ++steps;
  }
  EXPECT_EQ(steps, 25);
  EXPECT_EQ(checkpoints, 2);
  EXPECT_EQ(failures, 1);
  EXPECT_EQ(replays, 6);  // steps 11-16 again
  const double end = phases.back().start_s + phases.back().duration_s;
  EXPECT_NEAR(end, 25 * 10 + 2 * g.checkpoint_stall.si() + 5 + g.recovery.si() + 6 * 10, 1e-9);
  for (size_t i = 1; i < phases.size(); ++i) EXPECT_NEAR(phases[i].start_s, phases[i - 1].start_s + phases[i - 1].duration_s, 1e-9);
}

TEST(Goodput, ReadersTakeTheInputsAndNameBadOnes) {
  Catalog catalog(CONFIG_DIR);
  Diagnostics d;
  Json c = {{"base", "dgx-h100-superpod"},
            {"reliability", {{"gpu_mtbf", "50000h"}, {"detection", "2min"}}},
            {"storage", {{"aggregate", "400GB/s"}}}};
  const ClusterSpec cl = read_cluster(Node{&c, "job.json", "/cluster", &d}, catalog);
  ASSERT_TRUE(d.ok()) << d.items()[0].to_string();
  EXPECT_DOUBLE_EQ(cl.reliability.gpu_mtbf.si(), 50000.0 * 3600);
  EXPECT_DOUBLE_EQ(cl.reliability.detection.si(), 120);
  EXPECT_DOUBLE_EQ(cl.storage.aggregate.si(), 400e9);
  EXPECT_DOUBLE_EQ(cl.storage.per_node.si(), 25e9);  // default kept
  Json bad = {{"base", "dgx-h100-superpod"}, {"reliability", {{"gpu_mtbf", "0h"}}}, {"storage", {{"per_node", "0GB/s"}}}};
  Diagnostics d2;
  read_cluster(Node{&bad, "job.json", "/cluster", &d2}, catalog);
  ASSERT_EQ(d2.items().size(), 2u);
  EXPECT_NE(d2.items()[0].to_string().find("job.json:/cluster/reliability/gpu_mtbf"), std::string::npos) << d2.items()[0].to_string();
  EXPECT_NE(d2.items()[1].to_string().find("/cluster/storage/per_node"), std::string::npos) << d2.items()[1].to_string();
  Json t = {
      {"global_batch", 8}, {"sequence_length", 2048}, {"precision", "bf16"}, {"checkpoint", {{"async", true}, {"interval", "30min"}}}};
  Diagnostics d3;
  const TrainingSpec tr = read_training(Node{&t, "job.json", "/training", &d3});
  ASSERT_TRUE(d3.ok());
  EXPECT_TRUE(tr.checkpoint.async);
  EXPECT_DOUBLE_EQ(tr.checkpoint.interval->si(), 1800);
  t["checkpoint"]["interval"] = "soon";
  Diagnostics d4;
  read_training(Node{&t, "job.json", "/training", &d4});
  ASSERT_FALSE(d4.ok());
  EXPECT_NE(d4.items()[0].to_string().find("/training/checkpoint/interval"), std::string::npos) << d4.items()[0].to_string();
}

}  // namespace
}  // namespace trainplan
