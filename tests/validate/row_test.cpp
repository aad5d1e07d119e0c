// How a validation row becomes a job: layers that do not divide over the pipeline stages, and
// multi-latent attention rows, which carry no MLA dimensions.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "model/pipeline_layout.hpp"
#include "model/step.hpp"
#include "tests/validate/public_runs.hpp"
#include "validate/validation.hpp"

namespace trainplan {
namespace {

Json llama_row() { return test::PublicRuns().template_run(); }

// The template row with `layers` layers at tp 1, pp `pp`, dp 4 and `virtual_stages` (null: unstated).
Json pipeline_row(int layers, int pp, const Json& virtual_stages) {
  Json r = llama_row();
  r["model"]["num_layers"] = layers;
  r["parallelism"]["pp"] = pp;
  r["parallelism"]["tp"] = 1;
  r["parallelism"]["cp"] = 1;
  r["parallelism"]["dp"] = 4;
  r["parallelism"]["virtual_pipeline_stages"] = virtual_stages;
  return r;
}

TEST(ValidationRow, LayersNotDividingOverStagesGoToUnevenFirstAndLastStages) {
  const Json r = pipeline_row(61, 16, nullptr);
  const test::PublicRuns runs;
  std::string reason;
  const auto rj = row_to_job(r, runs.catalog, reason);
  ASSERT_TRUE(rj.has_value()) << reason;
  // 14 middle stages of ceil(61/16) = 4 layers; the other 5 on the first (3) and last (2).
  EXPECT_EQ(rj->job.plan.first_stage_layers, 3);
  EXPECT_EQ(rj->job.plan.last_stage_layers, 2);
  const StageKinds k = stage_kinds(rj->job.model, rj->job.plan);
  int layers = 0;
  for (int i = 0; i < k.count; ++i) layers += k.kind[i].layers * k.kind[i].count;
  EXPECT_EQ(layers, 61);
}

// A stated interleaving the layers do not fill: 126 layers at pp 16 x 4. Megatron-Core from 2025
// (ef490839) counts the embedding and loss as layers (128 = 16 x 4 x 2), as Megatron-Bridge's
// 405B recipes do; the row says so in `chosen`. Software of 2024 could not: the row is kept as
// stated and the evaluator refuses it with Megatron's reason (7 layers in 4 chunks).
TEST(ValidationRow, StatedInterleavingOfLayersThatDoNotDivideCountsEmbeddingAndLoss) {
  Json r = pipeline_row(126, 16, 4);
  r["training"]["framework"] = "megatron-bridge";
  r["date"] = "2025-06";
  const test::PublicRuns runs;
  std::string reason;
  auto rj = row_to_job(r, runs.catalog, reason);
  ASSERT_TRUE(rj.has_value()) << reason;
  EXPECT_TRUE(rj->job.plan.account_for_embedding && rj->job.plan.account_for_loss);
  EXPECT_EQ(rj->job.plan.first_stage_layers, 0);
  EXPECT_EQ(rj->job.plan.virtual_stages, 4);
  EXPECT_TRUE(rj->layers_accounted);
  EXPECT_EQ(stage_kinds(rj->job.model, rj->job.plan).kind[0].layers, 7);
  r["date"] = "2024-06";
  rj = row_to_job(r, runs.catalog, reason);
  ASSERT_TRUE(rj.has_value()) << reason;
  EXPECT_FALSE(rj->job.plan.account_for_embedding);
  EXPECT_EQ(rj->job.plan.first_stage_layers, 7);
  EXPECT_NE(layout_error(rj->job.model, rj->job.plan).find("do not split into 4 virtual stages"), std::string::npos);
}

TEST(ValidationRow, MultiLatentAttentionTakesDeepSeekDimensionsAndSaysSo) {
  Json r = llama_row();
  r["model"]["attention"] = "mla";
  r["model"]["num_kv_heads"] = nullptr;
  const test::PublicRuns runs;
  std::string reason;
  const auto rj = row_to_job(r, runs.catalog, reason);
  ASSERT_TRUE(rj.has_value()) << reason;
  ASSERT_TRUE(rj->job.model.mla.has_value());
  EXPECT_EQ(rj->job.model.mla->kv_lora_rank, 512);
  EXPECT_EQ(rj->job.model.mla->q_lora_rank, 1536);
  EXPECT_EQ(rj->job.model.mla->qk_rope_head_dim, 64);
  EXPECT_TRUE(rj->mla_assumed);
  Json doc = {{"schema", "trainplan-validation-runs/1"}, {"runs", Json::array({r})}};
  Diagnostics d;
  const ValidationReport rep = validate_runs(doc, "row.json", runs.catalog, AnalyticEvaluator(), runs.calibration_for(), d);
  ASSERT_EQ(rep.rows.size(), 1u);
  EXPECT_EQ(rep.rows[0].status, RowStatus::kPredicted) << rep.rows[0].reason;
  EXPECT_TRUE(rep.rows[0].chosen.contains("mla_dimensions"));
}

}  // namespace
}  // namespace trainplan

namespace trainplan {
namespace {

// The validator does not trust its input (issue 18, item 6): a measurement of 0 or below is no
// 0 % error, a duplicate id and an unknown key are reported with their JSON path.
TEST(ValidationInput, BadMeasurementsDuplicateIdsAndUnknownKeysAreReported) {
  test::PublicRuns runs;
  Json a = runs.template_run(), b = runs.template_run();
  a["measured"] = {{"iteration_time_s", 0}};
  b["measured"]["tokens_per_s_per_gpu"] = -3;
  b["comment_by_hand"] = "x";
  const Json doc = {{"schema", "trainplan-validation-runs/1"}, {"runs", {a, b}}};
  Diagnostics d;
  const ValidationReport rep = validate_runs(doc, "runs.json", runs.catalog, AnalyticEvaluator(), runs.calibration_for(), d);
  ASSERT_EQ(rep.rows.size(), 2u);
  for (const auto& row : rep.rows) {
    EXPECT_EQ(row.status, RowStatus::kUnsupported);
    EXPECT_NE(row.reason.find("must be a positive number"), std::string::npos) << row.reason;
  }
  std::string all;
  for (const auto& i : d.items()) all += i.to_string() + "\n";
  EXPECT_NE(all.find("runs.json:/runs/0/measured: measured.iteration_time_s must be a positive number (got 0)"), std::string::npos) << all;
  EXPECT_NE(all.find("runs.json:/runs/1/id: duplicate id"), std::string::npos) << all;
  EXPECT_NE(all.find("runs.json:/runs/1/comment_by_hand: unknown key"), std::string::npos) << all;
  EXPECT_EQ(rep.predicted, 0);
}

// The GPU → node map is data (configs/validation/gpu-nodes.json): the V100 fabric picks DGX-2 or
// DGX-1, and an entry naming a node the catalog lacks is an error at its JSON path.
TEST(ValidationRow, GpuNodeMapIsDataCheckedAgainstTheCatalog) {
  const test::PublicRuns runs;
  Diagnostics d;
  const auto ctx = load_row_context(runs.catalog, d);
  ASSERT_TRUE(ctx.has_value()) << (d.items().empty() ? "" : d.items().front().to_string());
  EXPECT_EQ(node_for(ctx->nodes, "v100-sxm2-32gb", ""), "dgx2-v100");
  EXPECT_EQ(node_for(ctx->nodes, "v100-sxm2-32gb", "nvlink2"), "dgx1-v100");
  EXPECT_EQ(node_for(ctx->nodes, "h100-sxm5-80gb", "nvlink4-nvswitch"), "dgx-h100");
  EXPECT_EQ(node_for(ctx->nodes, "tpu-v5p", ""), "");

  const auto dir = std::filesystem::temp_directory_path() / "trainplan-gpu-nodes-test";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir / "validation");
  std::filesystem::create_directories(dir / "nodes");
  std::filesystem::copy(std::string(CONFIG_DIR) + "/frameworks", dir / "frameworks");
  std::ofstream(dir / "validation" / "gpu-nodes.json")
      << R"({"schema": "trainplan-gpu-nodes/1", "nodes": [{"gpu": "h100-sxm5-80gb", "node": "no-such-node", "source": "test"}]})";
  Diagnostics bad;
  const Catalog other(dir.string());
  EXPECT_FALSE(load_row_context(other, bad).has_value());
  ASSERT_FALSE(bad.items().empty());
  EXPECT_EQ(bad.items().front().pointer, "/nodes/0/node");
  EXPECT_NE(bad.items().front().message.find("no-such-node"), std::string::npos);
  std::filesystem::remove_all(dir);
}

// An enumerated field outside its values makes the row unsupported with the field and the values
// expected, never a default (an unknown activation once became squared ReLU).
TEST(ValidationRow, UnknownEnumeratedValuesAreUnsupportedNotDefaults) {
  const test::PublicRuns runs;
  std::string reason;
  Json r = llama_row();
  r["model"]["activation"] = "geglu";
  EXPECT_FALSE(row_to_job(r, runs.catalog, reason).has_value());
  EXPECT_EQ(reason, "unsupported value: model.activation: expected one of \"gelu\", \"swiglu\" or null (got \"geglu\")");
  r = llama_row();
  r["parallelism"]["activation_recomputation"] = "partial";
  EXPECT_FALSE(row_to_job(r, runs.catalog, reason).has_value());
  EXPECT_NE(reason.find("parallelism.activation_recomputation"), std::string::npos);
  r = llama_row();
  r["parallelism"]["offload"] = 3;
  EXPECT_FALSE(row_to_job(r, runs.catalog, reason).has_value());
  EXPECT_NE(reason.find("(got 3)"), std::string::npos);
  EXPECT_TRUE(row_to_job(llama_row(), runs.catalog, reason).has_value()) << reason;
}

}  // namespace
}  // namespace trainplan
