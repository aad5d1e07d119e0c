// The band and the extrapolation flags (model/uncertainty.hpp): the formulas on a made-up model
// whose numbers the test states, the flags one by one, and the reader's errors.
#include <gtest/gtest.h>

#include <cmath>

#include "model/analytic.hpp"
#include "model/uncertainty.hpp"
#include "tests/model/fixture.hpp"

namespace trainplan {
namespace {

// A model covering GPT-3 175B on DGX A100 at TP 8 × PP 8, 1F1B, selective recompute, ZeRO-1.
UncertaintyModel made_up_model() {
  UncertaintyModel u;
  u.loaded = true;
  u.level = 0.8;
  u.min_class_rows = 5;
  u.bands["all"] = {52, -0.08, 0.08};
  u.bands["ampere/bf16"] = {26, -0.02, 0.08};
  u.bands["volta/bf16"] = {4, -0.12, -0.05};  // too few rows: "all" is used
  u.param_sigma["ampere/bf16"] = 0.0159;
  u.param_sigma["volta/bf16"] = 0.05;
  u.flag_widening = 0.3;
  Envelope& e = u.envelope;
  e.gpus = {"a100-sxm4-80gb"};
  e.classes = {"ampere/bf16", "volta/bf16"};
  e.frameworks = {"megatron-core", "megatron-lm"};
  e.features = {"schedule:1f1b", "recompute:selective", "recompute:none", "sequence_parallel", "zero:1"};
  e.max_degree = {{"tp", 8}, {"pp", 8}, {"dp", 16}, {"cp", 1}, {"ep", 1}, {"virtual_stages", 1}, {"gpus", 1024}, {"sequence_length", 2048}};
  e.min_chunk_layers = 4;
  e.max_mfu_pct["ampere/bf16"] = 56.3;
  return u;
}

struct Gpt3 : test::Fixture {
  Gpt3() : Fixture("gpt3-175b", "dgx-a100-superpod") {}
  JobSpec plan() const {
    JobSpec j = job(1536, 2048);
    j.cluster.nodes = 128;
    j.plan.tp = 8;
    j.plan.sequence_parallel = true;
    j.plan.pp = 8;
    j.plan.dp = 16;
    j.plan.zero = 1;
    j.plan.recompute = Recompute::kSelective;
    return j;
  }
};

TEST(Uncertainty, BandOfItsClassWithTheParameterFloor) {
  const UncertaintyModel u = made_up_model();
  // ampere: lo = min(-0.02, -1.2816 * 0.0159 = -0.02038), hi = max(0.08, 0.02038).
  const auto [lo, hi] = log_band(u, "ampere/bf16", 0);
  EXPECT_NEAR(lo, -1.2815515655 * 0.0159, 1e-9);
  EXPECT_NEAR(hi, 0.08, 1e-12);
  // volta has 4 rows < 5: the band over all runs, then volta's floor 1.2816 * 0.05 = 0.0641 (< 0.08).
  const auto [vlo, vhi] = log_band(u, "volta/bf16", 0);
  EXPECT_NEAR(vlo, -0.08, 1e-12);
  EXPECT_NEAR(vhi, 0.08, 1e-12);
}

TEST(Uncertainty, EachFlagWidensInQuadrature) {
  const UncertaintyModel u = made_up_model();
  // Two flags: each side at distance a becomes sqrt(a^2 + 2 * 0.3^2).
  const auto [lo, hi] = log_band(u, "all", 2);
  EXPECT_NEAR(lo, -std::sqrt(0.08 * 0.08 + 2 * 0.09), 1e-12);
  EXPECT_NEAR(hi, std::sqrt(0.08 * 0.08 + 2 * 0.09), 1e-12);
  const auto [lo3, hi3] = log_band(u, "all", 3);
  EXPECT_LT(lo3, lo);
  EXPECT_GT(hi3, hi);
}

TEST(Uncertainty, IntervalOfStepTimeAndTokens) {
  Gpt3 f;
  const UncertaintyModel u = made_up_model();
  const JobSpec job = f.plan();
  const Evaluation e = AnalyticEvaluator().evaluate(job, f.cal);
  ASSERT_TRUE(e.feasible);
  std::vector<std::string> flags;
  EXPECT_EQ(extrapolation(u, job, e, &flags), 0) << (flags.empty() ? "" : flags.front());
  const PredictionInterval b = prediction_interval(u, job, e, 0);
  const double lo = -1.2815515655446004 * 0.0159, hi = 0.08;
  EXPECT_NEAR(b.step_lo, e.step_time.si() * std::exp(lo), 1e-9);
  EXPECT_NEAR(b.step_hi, e.step_time.si() * std::exp(hi), 1e-9);
  EXPECT_NEAR(b.tokens_lo, e.tokens_per_s * std::exp(-hi), 1e-6);
  EXPECT_NEAR(b.tokens_hi, e.tokens_per_s * std::exp(-lo), 1e-6);
  EXPECT_LT(b.step_lo, e.step_time.si());
  EXPECT_GT(b.step_hi, e.step_time.si());
  const Json j = interval_json(u, b);
  EXPECT_EQ(j["level"], 0.8);
  EXPECT_EQ(j["step_time_s"].size(), 2u);
}

TEST(Uncertainty, FlagsNameEachWayOutOfTheEnvelope) {
  Gpt3 f;
  const UncertaintyModel u = made_up_model();
  JobSpec job = f.plan();
  job.plan.schedule = Schedule::kZeroBubble;  // a feature no run used
  job.plan.pp = 16;                           // 16 > 8
  job.plan.dp = 8;
  job.training.framework = Framework::kTorchtitan;  // no run
  const Evaluation e = AnalyticEvaluator().evaluate(job, f.cal);
  std::vector<std::string> flags;
  const int n = extrapolation(u, job, e, &flags);
  EXPECT_EQ(n, static_cast<int>(flags.size()));
  auto has = [&](const std::string& text) {
    for (const auto& x : flags)
      if (x.find(text) != std::string::npos) return true;
    return false;
  };
  EXPECT_TRUE(has("schedule:zero-bubble"));
  EXPECT_TRUE(has("pp 16 > 8"));
  EXPECT_TRUE(has("framework torchtitan"));
  // 96 layers over 16 stages: 6 per chunk, above the fewest validated (4); no chunk flag.
  EXPECT_FALSE(has("layers per model chunk"));
  // Interleaving with 3 virtual stages: 2 layers a chunk < 4.
  job.plan.schedule = Schedule::kInterleaved;
  job.plan.virtual_stages = 3;
  flags.clear();
  extrapolation(u, job, AnalyticEvaluator().evaluate(job, f.cal), &flags);
  EXPECT_TRUE(has("layers per model chunk 2 < 4"));
  EXPECT_TRUE(has("virtual_stages 3 > 1"));
}

TEST(Uncertainty, MfuAboveTheHighestMeasuredIsAFlag) {
  Gpt3 f;
  UncertaintyModel u = made_up_model();
  const JobSpec job = f.plan();
  const Evaluation e = AnalyticEvaluator().evaluate(job, f.cal);
  u.envelope.max_mfu_pct["ampere/bf16"] = e.mfu_pct - 1;
  std::vector<std::string> flags;
  EXPECT_EQ(extrapolation(u, job, e, &flags), 1);
  EXPECT_NE(flags.front().find("predicted MFU"), std::string::npos);
}

TEST(Uncertainty, UnstatedFrameworkIsMegatronCore) {
  Gpt3 f;
  UncertaintyModel u = made_up_model();
  JobSpec job = f.plan();
  const Evaluation e = AnalyticEvaluator().evaluate(job, f.cal);
  EXPECT_EQ(extrapolation(u, job, e, nullptr), 0);
  u.envelope.frameworks = {"nemo"};
  std::vector<std::string> flags;
  EXPECT_EQ(extrapolation(u, job, e, &flags), 1);
  EXPECT_EQ(flags.front(), "framework megatron-core (assumed): no validated run used it");
}

TEST(Uncertainty, NoDataIsSaidAndGivesNoBand) {
  Gpt3 f;
  const UncertaintyModel none;
  const JobSpec job = f.plan();
  const Evaluation e = AnalyticEvaluator().evaluate(job, f.cal);
  Json out;
  add_trust_keys(none, job, e, out);
  EXPECT_TRUE(out["interval"].is_null());
  ASSERT_EQ(out["extrapolation"].size(), 1u);
}

TEST(Uncertainty, RoundTripAndReaderErrors) {
  const UncertaintyModel u = made_up_model();
  const Json j = uncertainty_to_json(u);
  Diagnostics d;
  const UncertaintyModel back = read_uncertainty(j, "u.json", d);
  ASSERT_TRUE(d.ok()) << d.items()[0].to_string();
  EXPECT_TRUE(back.loaded);
  EXPECT_EQ(back.envelope.features, u.envelope.features);
  EXPECT_EQ(back.envelope.max_degree, u.envelope.max_degree);
  EXPECT_DOUBLE_EQ(back.bands.at("ampere/bf16").hi, 0.08);
  // A band with hi below lo, and a missing "all".
  Json bad = j;
  bad["bands"] = {{"ampere/bf16", {{"rows", 3}, {"lo", 0.1}, {"hi", -0.1}}}};
  Diagnostics d2;
  const UncertaintyModel b2 = read_uncertainty(bad, "u.json", d2);
  EXPECT_FALSE(b2.loaded);
  ASSERT_GE(d2.items().size(), 2u);
  EXPECT_NE(d2.items()[0].to_string().find("u.json"), std::string::npos);
  EXPECT_NE(d2.items()[0].to_string().find("/bands/ampere~1bf16/hi"), std::string::npos) << d2.items()[0].to_string();
}

TEST(Uncertainty, ShippedFileReadsAndCoversTheShippedExamples) {
  Diagnostics d;
  const UncertaintyModel u = load_uncertainty(Catalog(CONFIG_DIR), d);
  ASSERT_TRUE(d.ok()) << d.items()[0].to_string();
  ASSERT_TRUE(u.loaded);
  EXPECT_TRUE(u.bands.count("all"));
  // GPT-3 175B on 1,024 A100 (the contract's example): inside the envelope.
  Gpt3 f;
  const JobSpec job = f.plan();
  std::vector<std::string> flags;
  EXPECT_EQ(extrapolation(u, job, AnalyticEvaluator().evaluate(job, f.cal), &flags), 0) << (flags.empty() ? "" : flags.front());
}

}  // namespace
}  // namespace trainplan
