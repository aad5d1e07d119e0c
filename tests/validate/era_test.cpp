// What the fill may give a run: the features its framework had at its date (model/spec/era.hpp), and
// full recomputation read from a hardware FLOP count.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "model/spec/era.hpp"
#include "tests/validate/public_runs.hpp"
#include "validate/validation.hpp"

namespace trainplan {
namespace {

TEST(SoftwareEra, YearAndMonthOfTheRunsDate) {
  EXPECT_EQ(date_year("2021-04"), 2021);
  EXPECT_EQ(date_month("2021-04"), 4);
  EXPECT_EQ(date_year("2024"), 2024);
  EXPECT_EQ(date_month("2024"), 0);    // the year's grain
  EXPECT_EQ(date_year("2024-13"), 0);  // no month 13: malformed, unknown
  EXPECT_EQ(date_year("24-07"), 0);
  EXPECT_EQ(date_year("1999"), 0);  // outside 2000-2099
  EXPECT_EQ(date_year(""), 0);
}

std::optional<SoftwareEra> era(Framework f, std::string_view date) {
  Diagnostics d;
  auto e = software_era(Catalog(CONFIG_DIR), f, date, d);
  for (const auto& x : d.items()) ADD_FAILURE() << x.to_string();
  return e;
}

// configs/frameworks/frameworks.json: a feature from its first release, by the row's framework.
TEST(SoftwareEra, AFeatureIsTheFrameworksFromItsFirstRelease) {
  // Megatron-LM merged interleaving on 2021-02-17, sequence parallelism came in May 2022.
  EXPECT_FALSE(era(Framework::kMegatronLm, "2021-01")->has(Feature::kInterleavedSchedule));
  EXPECT_TRUE(era(Framework::kMegatronLm, "2021-04")->has(Feature::kInterleavedSchedule));
  EXPECT_FALSE(era(Framework::kMegatronLm, "2021-04")->has(Feature::kSequenceParallel));
  EXPECT_TRUE(era(Framework::kMegatronLm, "2022-05")->has(Feature::kSequenceParallel));
  EXPECT_TRUE(era(Framework::kMegatronLm, "2022")->has(Feature::kSequenceParallel));  // a year: its grain
  EXPECT_FALSE(era(Framework::kMegatronLm, "2020")->has(Feature::kTpGradOverlap));
  // Megatron-DeepSpeed never had Megatron's interleaving, sequence parallelism or asynchronous TP.
  const SoftwareEra mds = *era(Framework::kMegatronDeepspeed, "2023-06");
  EXPECT_FALSE(mds.has(Feature::kInterleavedSchedule));
  EXPECT_FALSE(mds.has(Feature::kSequenceParallel));
  EXPECT_FALSE(mds.has(Feature::kTpGradOverlap));
  EXPECT_TRUE(mds.has(Feature::kFlashAttention));
  // Remainders: NeMo from August 2022, Megatron-Core only from 2025.
  EXPECT_TRUE(era(Framework::kNemo, "2024-07")->has(Feature::kParamRemainders));
  EXPECT_FALSE(era(Framework::kMegatronCore, "2024-07")->has(Feature::kParamRemainders));
  EXPECT_TRUE(era(Framework::kMegatronCore, "2025-06")->has(Feature::kParamRemainders));
  // The engines: Megatron-LM before Megatron-Core reduced gradients after the backward and split
  // pipeline tensors over TP; DeepSpeed's PipelineEngine reduces after the last micro-batch.
  const SoftwareEra mlm = *era(Framework::kMegatronLm, "2022-05");
  EXPECT_FALSE(mlm.has(Feature::kOverlapGradReduce));
  EXPECT_TRUE(mlm.has(Feature::kP2pScatterGather));
  EXPECT_FALSE(mds.has(Feature::kOverlapGradReduce));
  const SoftwareEra core = *era(Framework::kMegatronCore, "2024-07");
  EXPECT_TRUE(core.has(Feature::kOverlapGradReduce));
  EXPECT_FALSE(core.has(Feature::kP2pScatterGather));
  // No date: whatever the framework ever had.
  EXPECT_TRUE(era(Framework::kMegatronCore, "")->has(Feature::kTpCommOverlap));
  EXPECT_FALSE(era(Framework::kDeepspeed, "")->has(Feature::kInterleavedSchedule));
}

// Every framework of the contract has a profile with every feature and a source for each.
TEST(SoftwareEra, EveryFrameworkHasAProfile) {
  Diagnostics d;
  const Json doc = *load_json_file(std::string(CONFIG_DIR) + "/frameworks/frameworks.json", d);
  for (std::string_view name : kFrameworkNames) {
    EXPECT_TRUE(era(*parse_framework(name), "2024").has_value()) << name;
    for (std::string_view f : kFeatureNames)
      EXPECT_FALSE(doc["frameworks"][std::string(name)][std::string(f)]["source"].get<std::string>().empty()) << name << " " << f;
  }
}

// A profile without a feature, or a malformed date, is an error at its JSON path.
TEST(SoftwareEra, AMalformedProfileNamesItsPath) {
  const auto dir = std::filesystem::temp_directory_path() / ("trainplan_fw_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir / "frameworks");
  Diagnostics d0;
  Json doc = *load_json_file(std::string(CONFIG_DIR) + "/frameworks/frameworks.json", d0);
  doc["frameworks"]["nemo"]["flash_attention"]["since"] = "2023-13";
  doc["frameworks"]["nemo"].erase("tp_comm_overlap");
  std::ofstream(dir / "frameworks" / "frameworks.json") << doc.dump();
  Diagnostics d;
  EXPECT_FALSE(software_era(Catalog(dir.string()), Framework::kNemo, "2024", d).has_value());
  std::string all;
  for (const auto& x : d.items()) all += x.to_string() + "\n";
  EXPECT_NE(all.find("/frameworks/nemo/flash_attention/since: expected a date"), std::string::npos) << all;
  EXPECT_NE(all.find("/frameworks/nemo/tp_comm_overlap: expected the feature"), std::string::npos) << all;
  std::filesystem::remove_all(dir);
}

Json template_row() { return test::PublicRuns().template_run(); }

ValidationRow validate_one(const Json& r) {
  const test::PublicRuns runs;
  Json doc = {{"schema", "trainplan-validation-runs/1"}, {"runs", Json::array({r})}};
  Diagnostics d;
  ValidationReport rep = validate_runs(doc, "row.json", runs.catalog, AnalyticEvaluator(), runs.calibration_for(), d);
  EXPECT_EQ(rep.rows.size(), 1u);
  return rep.rows.at(0);
}

TEST(SoftwareEra, AnOldRunIsFilledWithItsOwnSoftware) {
  Json r = template_row();
  r["date"] = "2020";
  r["parallelism"]["sequence_parallel"] = nullptr;
  r["parallelism"]["virtual_pipeline_stages"] = nullptr;
  r["parallelism"]["activation_recomputation"] = nullptr;
  // Megatron-LM of 2020 had pipelines (2020-10) but no distributed optimizer (2022-03): a stated one
  // is refused, so the model is spread over all 64 GPUs instead (tp 8, pp 8), which fits without it.
  r["training"]["framework"] = "megatron-lm";
  for (auto [k, v] : {std::pair{"tp", 8}, {"pp", 8}, {"dp", 1}, {"cp", 1}}) r["parallelism"][k] = v;
  const test::PublicRuns runs;
  std::string reason;
  const auto rj = row_to_job(r, runs.catalog, reason);
  ASSERT_TRUE(rj.has_value()) << reason;
  EXPECT_EQ(rj->era.year, 2020);
  EXPECT_EQ(rj->job.plan.attention, AttentionBackend::kUnfused);  // before fused attention
  EXPECT_FALSE(rj->job.plan.tp_grad_overlap);                     // synchronous TP collectives
  const ValidationRow row = validate_one(r);
  ASSERT_EQ(row.status, RowStatus::kPredicted) << row.reason;
  EXPECT_EQ(row.chosen["software_year"], 2020);
  // None of SP, TP overlap or interleaving existed in 2020: each is off, the framework's default.
  EXPECT_EQ(row.chosen["sequence_parallel"], false);
  EXPECT_EQ(row.chosen_why["sequence_parallel"], "default");
  EXPECT_EQ(row.chosen["tp_comm_overlap"], false);
  EXPECT_EQ(row.chosen["virtual_pipeline_stages"], 1);
  EXPECT_EQ(row.chosen_why["virtual_pipeline_stages"], "default");
  EXPECT_NE(row.chosen["activation_recomputation"], "selective");
  EXPECT_EQ(row.chosen["attention_backend"], "unfused");  // what the era fixed is said too
  EXPECT_EQ(row.chosen["tp_grad_overlap"], false);
  EXPECT_EQ(row.job->plan.sequence_parallel, false);
  EXPECT_FALSE(row.fully_stated);  // recomputation was still filled
  // With it stated, every knob that changes the time had one possible value in 2020.
  r["parallelism"]["activation_recomputation"] = "full";
  EXPECT_TRUE(validate_one(r).fully_stated);
  // In 2024 the same row has SP and TP overlap to fill.
  r["date"] = "2024-01";
  EXPECT_FALSE(validate_one(r).fully_stated);
}

TEST(SoftwareEra, TensorParallelOverlapComesFromTheRecipeNotFromSpeed) {
  Json r = template_row();
  r["date"] = "2024-07";
  const ValidationRow row = validate_one(r);
  ASSERT_EQ(row.status, RowStatus::kPredicted) << row.reason;
  ASSERT_GT(row.job->plan.tp, 1);
  // NeMo-Framework-Launcher's llama3_70b.yaml (tp 4, pp 4, as this row) sets ub_tp_comm_overlap.
  EXPECT_TRUE(row.job->plan.tp_comm_overlap);
  EXPECT_TRUE(row.job->plan.sequence_parallel);
  EXPECT_EQ(row.chosen_why["tp_comm_overlap"], "recipe");
  EXPECT_TRUE(row.chosen.contains("recipe"));
  // The same run on Megatron-Core, which publishes no recipe for it: the arguments' default, off,
  // even though overlap would be faster (never the fastest completion).
  Json core = r;
  core["training"]["framework"] = "megatron-core";
  const ValidationRow c = validate_one(core);
  ASSERT_EQ(c.status, RowStatus::kPredicted) << c.reason;
  EXPECT_FALSE(c.job->plan.tp_comm_overlap);
  EXPECT_EQ(c.chosen_why["tp_comm_overlap"], "default");
  EXPECT_FALSE(c.chosen.contains("recipe"));
  EXPECT_GT(c.evaluation->step_time.si(), row.evaluation->step_time.si());
}

// Master-weight remainders are bit-exact and save memory at no cost in time, so the fill gives
// them to every run whose software had them (2022 on) and whose weights are bf16; `chosen` says so.
TEST(SoftwareEra, MasterWeightRemaindersFromTheirYearWithBf16Weights) {
  Json r = template_row();
  r["date"] = "2024-01";
  const ValidationRow row = validate_one(r);
  ASSERT_EQ(row.status, RowStatus::kPredicted) << row.reason;
  EXPECT_TRUE(row.job->plan.param_remainders);
  EXPECT_EQ(row.chosen["master_params"], "remainder");
  // Without them the same plan keeps 2 bytes a local parameter more optimizer state.
  JobSpec whole = *row.job;
  whole.plan.param_remainders = false;
  const test::PublicRuns runs;
  const Evaluation e = AnalyticEvaluator().evaluate(whole, runs.calibration(whole.cluster.node.gpu));
  EXPECT_GT(e.stage(0).optimizer, row.evaluation->stage(0).optimizer);
  EXPECT_NEAR(e.stage(0).optimizer / row.evaluation->stage(0).optimizer, 12.0 / 10.0, 1e-12);
  // 2022-03 NeMo (before apex remainders, 2022-08) kept whole fp32 master weights, and fp16 weights have no remainder to complete.
  r["date"] = "2022-03";  // NeMo: pipelines (2022-02), no distributed optimizer or remainders (2022-08)
  for (auto [k, v] : {std::pair{"tp", 8}, {"pp", 8}, {"dp", 1}, {"cp", 1}}) r["parallelism"][k] = v;  // fits without ZeRO-1
  EXPECT_EQ(validate_one(r).chosen["master_params"], "fp32");
  r["date"] = "2024-01";
  r["training"]["precision"] = "fp16";
  const ValidationRow fp16 = validate_one(r);
  ASSERT_EQ(fp16.status, RowStatus::kPredicted) << fp16.reason;
  EXPECT_EQ(fp16.chosen["master_params"], "fp32");
}

TEST(SoftwareEra, HardwareFlopCountMeansFullRecomputationOfEveryLayer) {
  Json r = template_row();
  r["parallelism"]["activation_recomputation"] = nullptr;
  r["measured"]["tflops_definition"] = "hardware";
  const test::PublicRuns runs;
  std::string reason;
  const auto rj = row_to_job(r, runs.catalog, reason);
  ASSERT_TRUE(rj.has_value()) << reason;
  EXPECT_FALSE(rj->free_recompute);
  EXPECT_TRUE(rj->recompute_from_flop_count);
  EXPECT_EQ(rj->job.plan.recompute, Recompute::kFull);
  const ValidationRow row = validate_one(r);
  ASSERT_EQ(row.status, RowStatus::kPredicted) << row.reason;
  EXPECT_EQ(row.job->plan.recompute, Recompute::kFull);
  EXPECT_EQ(row.job->plan.recompute_layers, 0);  // every layer
  EXPECT_EQ(row.chosen["activation_recomputation"], "full (hardware FLOP count)");
  // A model FLOP count says nothing about recomputation: the knob stays free.
  r["measured"]["tflops_definition"] = "model";
  const auto free = row_to_job(r, runs.catalog, reason);
  ASSERT_TRUE(free.has_value());
  EXPECT_TRUE(free->free_recompute);
}

// Contract: no output depends on a row's id, source or source_id.
TEST(SoftwareEra, NoOutputDependsOnIdOrSource) {
  test::PublicRuns runs;
  Json renamed = runs.doc;
  int i = 0;
  for (Json& r : renamed["runs"]) {
    r["id"] = "row" + std::to_string(i++);
    r["source_id"] = "s2017";  // a label with a year, which the old rule read
    r["source"] = "anonymous";
  }
  Diagnostics d;
  const ValidationReport a = runs.validate();
  const ValidationReport b = validate_runs(renamed, "renamed.json", runs.catalog, AnalyticEvaluator(), runs.calibration_for(), d);
  ASSERT_EQ(a.rows.size(), b.rows.size());
  for (size_t k = 0; k < a.rows.size(); ++k) {
    EXPECT_EQ(a.rows[k].status, b.rows[k].status) << a.rows[k].id;
    EXPECT_EQ(a.rows[k].predicted, b.rows[k].predicted) << a.rows[k].id;
    EXPECT_EQ(a.rows[k].chosen, b.rows[k].chosen) << a.rows[k].id;
  }
}

}  // namespace
}  // namespace trainplan
