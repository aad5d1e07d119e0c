// The contract's fill of unstated knobs (validate/fill.hpp): framework defaults, recipes, then the
// documented memory savings one at a time until the plan fits; never the fastest completion.
#include "validate/fill.hpp"

#include <filesystem>
#include <fstream>

#include <unistd.h>

#include <gtest/gtest.h>

#include "model/analytic.hpp"
#include "tests/validate/public_runs.hpp"

namespace trainplan {
namespace {

// A Megatron-Core run with every knob the schema allows left unstated: Llama 3 70B at tp 4, pp 4,
// cp 2 on 64 H100 (the NeMo template row, with another framework).
Json free_row(const test::PublicRuns& runs) {
  Json r = runs.template_run();
  r["training"]["framework"] = "megatron-core";
  r["date"] = "2024-07";
  for (const char* k : {"sequence_parallel", "virtual_pipeline_stages", "zero_stage", "micro_batch_size", "activation_recomputation"})
    r["parallelism"][k] = nullptr;
  return r;
}

RowJob row_job(const Json& r, const test::PublicRuns& runs) {
  std::string reason;
  auto rj = row_to_job(r, runs.catalog, reason);
  EXPECT_TRUE(rj.has_value()) << reason;
  return *rj;
}

FillData shipped(const test::PublicRuns& runs) {
  Diagnostics d;
  auto data = load_fill_data(runs.catalog, d);
  EXPECT_TRUE(data.has_value()) << (d.items().empty() ? "" : d.items()[0].to_string());
  return *data;
}

TEST(Fill, ShippedFilesGiveEveryFrameworkEveryKnobAndAFitOrder) {
  const test::PublicRuns runs;
  const FillData data = shipped(runs);
  for (size_t i = 0; i < kFrameworkNames.size(); ++i) {
    const FrameworkDefaults& d = data.defaults[i];
    SCOPED_TRACE(std::string(kFrameworkNames[i]));
    EXPECT_TRUE(d.values.micro_batch && d.values.recompute && d.values.virtual_stages && d.values.zero && d.values.sequence_parallel &&
                d.values.tp_comm_overlap && d.values.overlap_grad_reduce && d.values.overlap_param_gather);
    EXPECT_FALSE(d.to_fit.empty());
  }
  EXPECT_FALSE(data.recipes.empty());
}

// Megatron's arguments have no default micro-batch (arguments.py L693) and its examples use 1;
// recomputation, interleaving, the distributed optimizer, SP and every overlap are off by default.
TEST(Fill, AMegatronCoreRunTakesTheArgumentDefaultsWhereTheyFit) {
  const test::PublicRuns runs;
  Json r = free_row(runs);
  r["system"]["gpu"] = "h200-sxm-141gb";  // room for the default plan, which needs no saving
  const RowJob rj = row_job(r, runs);
  const Calibration cal = runs.calibration(rj.job.cluster.node.gpu);
  const FilledPlan f = fill_plan(rj, shipped(runs), AnalyticEvaluator(), cal);
  ASSERT_TRUE(f.fits) << (f.evaluation.reasons.empty() ? "" : f.evaluation.reasons[0].detail);
  const PlanSpec& p = f.job.plan;
  EXPECT_EQ(p.micro_batch, 1);
  EXPECT_EQ(p.recompute, Recompute::kNone);
  EXPECT_EQ(p.virtual_stages, 1);
  EXPECT_EQ(p.zero, 0);
  EXPECT_FALSE(p.sequence_parallel);
  EXPECT_FALSE(p.tp_comm_overlap);
  EXPECT_FALSE(p.overlap_grad_reduce);
  EXPECT_FALSE(p.overlap_param_gather);
  EXPECT_EQ(f.recipe, nullptr);
  for (const auto& [knob, why] : f.why) EXPECT_EQ(why, FillWhy::kDefault) << kFillKnobNames[static_cast<size_t>(knob)];
  // The fill did not look for speed: overlapping the gradient reduction is faster.
  JobSpec faster = f.job;
  faster.plan.overlap_grad_reduce = true;
  EXPECT_LT(AnalyticEvaluator().evaluate(faster, cal).step_time.si(), f.evaluation.step_time.si());
}

// Where the defaults do not fit, the savings come in the framework's order, each only if the one
// before did not suffice: the plan found is the first of that sequence that fits.
TEST(Fill, SavingsAreTakenInOrderUntilThePlanFits) {
  const test::PublicRuns runs;
  const RowJob rj = row_job(free_row(runs), runs);  // Llama 3 70B at tp 4, pp 4 on 80 GB H100
  const Calibration cal = runs.calibration(rj.job.cluster.node.gpu);
  const FillData data = shipped(runs);
  const FilledPlan f = fill_plan(rj, data, AnalyticEvaluator(), cal);
  ASSERT_TRUE(f.fits);
  ASSERT_FALSE(f.steps.empty()) << "the default plan of this row does not fit in 80 GB";
  for (const FitStep st : f.steps) {
    const FillKnob k = st == FitStep::kSequenceParallel       ? FillKnob::kSequenceParallel
                       : st == FitStep::kDistributedOptimizer ? FillKnob::kZero
                       : st == FitStep::kSmallerMicroBatch    ? FillKnob::kMicroBatch
                                                              : FillKnob::kRecompute;
    EXPECT_EQ(f.why_of(k), FillWhy::kToFit);
  }
  // The steps taken are a prefix of Megatron's order (SP, distributed optimizer, selective, full,
  // smaller micro-batch), less those that change nothing.
  const std::vector<FitStep>& order = data.of(Framework::kMegatronCore).to_fit;
  size_t at = 0;
  for (const FitStep st : f.steps) {
    while (at < order.size() && order[at] != st) ++at;
    EXPECT_LT(at, order.size()) << "a step out of order";
  }
  EXPECT_EQ(f.steps.front(), FitStep::kSequenceParallel);
  // The last saving was needed: without it the plan does not fit.
  JobSpec before = f.job;
  switch (f.steps.back()) {
    case FitStep::kSequenceParallel: before.plan.sequence_parallel = false, before.plan.tp_comm_overlap = false; break;
    case FitStep::kDistributedOptimizer: before.plan.zero = 0; break;
    case FitStep::kSelectiveRecompute: before.plan.recompute = Recompute::kNone; break;
    case FitStep::kFullRecompute:  // the fewest layers that fit: one fewer does not
      ASSERT_GT(before.plan.recompute_layers, 1);
      before.plan.recompute_layers -= 1;
      break;
    case FitStep::kSmallerMicroBatch: before.plan.micro_batch *= 2; break;
  }
  EXPECT_FALSE(AnalyticEvaluator().evaluate(before, cal).feasible);
}

// Before Megatron-LM's micro-batch calculator (2020-12) the per-GPU batch was the whole batch
// of a data-parallel replica: a 2020 run is filled with global / dp.
TEST(Fill, ADefaultOfAnOlderReleaseHoldsForItsRuns) {
  const test::PublicRuns runs;
  Json r = runs.run("mlm2020_a100_dp128_1B");
  const RowJob rj = row_job(r, runs);
  ASSERT_TRUE(rj.free_micro_batch);
  const FilledPlan f = fill_plan(rj, shipped(runs), AnalyticEvaluator(), runs.calibration(rj.job.cluster.node.gpu));
  EXPECT_EQ(f.job.plan.micro_batch, rj.job.training.global_batch / rj.job.plan.dp);
  EXPECT_EQ(f.why_of(FillKnob::kMicroBatch), FillWhy::kDefault);
  r["date"] = "2021";
  const RowJob later = row_job(r, runs);
  EXPECT_EQ(fill_plan(later, shipped(runs), AnalyticEvaluator(), runs.calibration(later.job.cluster.node.gpu)).job.plan.micro_batch, 1);
}

// A recipe applies by framework, model shape and stated tp and pp, never by the row's name.
TEST(Fill, ARecipeMatchesByShapeAndLayout) {
  const test::PublicRuns runs;
  const FillData data = shipped(runs);
  JobSpec j = row_job(runs.template_run(), runs).job;  // NeMo, Llama 3 70B (80 layers, hidden 8192), tp 4, pp 4
  const Recipe* r = matching_recipe(data, j);
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->layers, 80);
  EXPECT_EQ(r->values.virtual_stages, 10);
  j.plan.pp = 8;  // another layout: the recipe is not for it
  EXPECT_EQ(matching_recipe(data, j), nullptr);
  j.plan.pp = 4;
  j.model.hidden += 128;  // another model
  EXPECT_EQ(matching_recipe(data, j), nullptr);
}

// PyTorch FSDP's default sharding is FULL_SHARD: an unstated ZeRO stage of an FSDP run is 3; a
// stated FSDP strategy is never refilled (shard_grad_op stays ZeRO-2).
TEST(Fill, AnFsdpRunIsFullyShardedUnlessItSaysOtherwise) {
  const test::PublicRuns runs;
  Json r = runs.run("korthikanti22_22B_full");
  r["training"]["framework"] = "pytorch-fsdp";
  const long long gpus = r["system"]["num_gpus"].get<long long>();
  r["parallelism"]["tp"] = 1;
  r["parallelism"]["pp"] = 1;
  r["parallelism"]["cp"] = 1;
  r["parallelism"]["dp"] = gpus;
  r["parallelism"]["sequence_parallel"] = nullptr;
  r["parallelism"]["virtual_pipeline_stages"] = nullptr;
  r["parallelism"]["zero_stage"] = nullptr;
  r["parallelism"]["fsdp"] = nullptr;
  const FillData data = shipped(runs);
  const RowJob rj = row_job(r, runs);
  const FilledPlan f = fill_plan(rj, data, AnalyticEvaluator(), runs.calibration(rj.job.cluster.node.gpu));
  EXPECT_EQ(f.job.plan.zero, 3);
  EXPECT_EQ(f.why_of(FillKnob::kZero), FillWhy::kDefault);
  r["parallelism"]["fsdp"] = "shard_grad_op";
  const RowJob sgo = row_job(r, runs);
  EXPECT_FALSE(sgo.free_zero);
  const FilledPlan g = fill_plan(sgo, data, AnalyticEvaluator(), runs.calibration(sgo.job.cluster.node.gpu));
  EXPECT_EQ(g.job.plan.zero, 2);
  EXPECT_FALSE(g.why_of(FillKnob::kZero).has_value());
}

// A stated feature the run's software lacked is no memory verdict: the row is unsupported, with the
// reason, not infeasible (contract: infeasible means the memory model says it does not fit).
TEST(Fill, AFeatureTheSoftwareLackedIsUnsupportedNotInfeasible) {
  const test::PublicRuns runs;
  Json r = runs.run("korthikanti22_22B_seqsel");  // sequence parallelism stated
  r["date"] = "2021-06";                          // before Megatron-LM had it (2022-05)
  Json doc = {{"schema", "trainplan-validation-runs/1"}, {"runs", Json::array({r})}};
  Diagnostics d;
  const ValidationReport rep = validate_runs(doc, "row.json", runs.catalog, AnalyticEvaluator(), runs.calibration_for(), d);
  ASSERT_EQ(rep.rows.size(), 1u);
  EXPECT_EQ(rep.rows[0].status, RowStatus::kUnsupported);
  EXPECT_NE(rep.rows[0].reason.find("sequence parallelism is not in the job's framework"), std::string::npos) << rep.rows[0].reason;
}

// A defaults file with a bad value is an error naming the file and the JSON path.
TEST(Fill, ABadDefaultsFileNamesTheFileAndPath) {
  const test::PublicRuns runs;
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / ("trainplan_fill_" + std::to_string(::getpid()));
  fs::create_directories(dir / "frameworks");
  Diagnostics d0;
  Json defaults = *load_json_file(runs.catalog.dir() + "/frameworks/defaults.json", d0);
  defaults["frameworks"]["deepspeed"]["zero_stage"]["value"] = 4;
  defaults["frameworks"]["nemo"]["to_fit"]["steps"][0] = "buy_more_gpus";
  std::ofstream(dir / "frameworks" / "defaults.json") << defaults.dump();
  fs::copy_file(runs.catalog.dir() + "/frameworks/recipes.json", dir / "frameworks" / "recipes.json", fs::copy_options::overwrite_existing);
  Diagnostics d;
  EXPECT_FALSE(load_fill_data(Catalog(dir.string()), d).has_value());
  const std::string all = [&] {
    std::string s;
    for (const auto& i : d.items()) s += i.to_string() + "\n";
    return s;
  }();
  EXPECT_NE(all.find("defaults.json"), std::string::npos) << all;
  EXPECT_NE(all.find("/frameworks/deepspeed/zero_stage/value"), std::string::npos) << all;
  EXPECT_NE(all.find("a ZeRO stage 0 to 3"), std::string::npos) << all;
  EXPECT_NE(all.find("/frameworks/nemo/to_fit/steps/0"), std::string::npos) << all;
  fs::remove_all(dir);
}

}  // namespace
}  // namespace trainplan
