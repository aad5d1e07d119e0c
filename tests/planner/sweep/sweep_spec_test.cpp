// One test per input rule of a sweep (planner/sweep/sweep_spec.hpp), each asserting the JSON
// pointer it reports; then what a valid sweep expands to.
#include <gtest/gtest.h>

#include "planner/sweep/sweep_spec.hpp"

namespace trainplan::sweep {
namespace {

const char* kGood = R"({
  "jobs": [{"model": "llama3-8b",
            "training": {"global_batch": 64, "sequence_length": 4096, "precision": "bf16", "token_budget": 1e12}}],
  "hardware": {"cluster": {"base": "dgx-h100-superpod", "nodes": 2}}
})";

Json good() { return Json::parse(kGood); }

struct Loaded {
  std::optional<SweepSpec> spec;
  Diagnostics diag;
};

Loaded load(const Json& j) {
  Loaded l;
  l.spec = load_sweep_json(j, "sweep.json", Catalog(CONFIG_DIR), l.diag);
  return l;
}

void expect_error(const Loaded& l, const std::string& pointer, const std::string& text) {
  EXPECT_FALSE(l.spec.has_value());
  bool found = false;
  std::string all;
  for (const auto& d : l.diag.items()) {
    all += d.to_string() + "\n";
    if (d.file == "sweep.json" && d.pointer == pointer && d.message.find(text) != std::string::npos) found = true;
  }
  EXPECT_TRUE(found) << "Expectation: an error at " << pointer << " containing \"" << text << "\"\nActual:\n" << all;
}

TEST(SweepRules, GoodSweepLoads) {
  Loaded l = load(good());
  ASSERT_TRUE(l.spec.has_value()) << (l.diag.ok() ? "" : l.diag.items()[0].to_string());
  EXPECT_EQ(l.spec->points.size(), 1u);
  EXPECT_EQ(l.spec->label(l.spec->points[0]), "base");
}

// Remainders need bf16 weights and Adam, as in a job or a plan problem, wherever the search
// settings come from: the sweep's shared "search" or the job's own.
TEST(SweepRules, MasterParamsRemainderNeedsBf16Weights) {
  Json j = good();
  j["jobs"][0]["training"]["precision"] = "fp16";
  j["search"] = {{"master_params", "remainder"}};
  expect_error(load(j), "/search/master_params", "got fp16");
  j.erase("search");
  j["jobs"][0]["search"] = {{"master_params", "remainder"}};
  expect_error(load(j), "/jobs/0/search/master_params", "got fp16");
  j["jobs"][0]["training"]["precision"] = "bf16";
  EXPECT_TRUE(load(j).spec.has_value());
}

TEST(SweepRules, UnknownKeyIsAnError) {
  Json j = good();
  j["bogus"] = 1;
  expect_error(load(j), "/bogus", "unknown key");
}

TEST(SweepRules, JobsAreRequired) {
  Json j = good();
  j.erase("jobs");
  expect_error(load(j), "/jobs", "missing required");
}

TEST(SweepRules, JobsMustNotBeEmpty) {
  Json j = good();
  j["jobs"] = Json::array();
  expect_error(load(j), "/jobs", "at least one job");
}

TEST(SweepRules, JobNamesAreUnique) {
  Json j = good();
  j["jobs"].push_back(j["jobs"][0]);
  expect_error(load(j), "/jobs/1/name", "duplicate job name \"llama3-8b\"");
}

TEST(SweepRules, JobNeedsTokenBudget) {
  Json j = good();
  j["jobs"][0]["training"].erase("token_budget");
  expect_error(load(j), "/jobs/0/training/token_budget", "missing required");
}

TEST(SweepRules, JobKeysAreChecked) {
  Json j = good();
  j["jobs"][0]["plan"] = {{"tp", 2}};
  expect_error(load(j), "/jobs/0/plan", "unknown key");
}

TEST(SweepRules, SearchSettingsAreChecked) {
  Json j = good();
  j["search"] = {{"tp", 0}};
  expect_error(load(j), "/search/tp", "expected an integer from 1 to 1000000");
}

TEST(SweepRules, ObjectiveIsOneOfFour) {
  Json j = good();
  j["objective"] = "speed";
  expect_error(load(j), "/objective", "expected one of \"throughput\"");
}

TEST(SweepRules, ClusterIsRequired) {
  Json j = good();
  j["hardware"].erase("cluster");
  j["hardware"]["nodes"] = 2;
  expect_error(load(j), "/hardware/cluster", "missing required");
}

TEST(SweepRules, UnknownClusterKeyNamesTheChoices) {
  Json j = good();
  j["hardware"]["cluster"] = {"dgx-h100-superpod", "dgx-h999"};
  expect_error(load(j), "/hardware/cluster/1", "unknown clusters \"dgx-h999\"");
}

TEST(SweepRules, AxisMustNotBeEmpty) {
  Json j = good();
  j["hardware"]["nic_rate"] = Json::array();
  expect_error(load(j), "/hardware/nic_rate", "at least one value");
}

TEST(SweepRules, RateNeedsAUnit) {
  Json j = good();
  j["hardware"]["nic_rate"] = {"200Gbps", 400};
  expect_error(load(j), "/hardware/nic_rate/1", "expected a rate with a unit");
}

TEST(SweepRules, NodeCountIsAPositiveInteger) {
  Json j = good();
  j["hardware"]["nodes"] = {2, 0};
  expect_error(load(j), "/hardware/nodes/1", "integer >= 1");
}

TEST(SweepRules, OversubscriptionIsAtLeastOne) {
  Json j = good();
  j["hardware"]["oversubscription"] = {0.5};
  expect_error(load(j), "/hardware/oversubscription/0", "in [1, 1000]");
}

TEST(SweepRules, TopologyIsFatTreeOrRailOptimized) {
  Json j = good();
  j["hardware"]["topology"] = "torus";
  expect_error(load(j), "/hardware/topology", "expected one of \"fat-tree\", \"rail-optimized\"");
}

TEST(SweepRules, SizesNeedAUnit) {
  Json j = good();
  j["hardware"]["host_memory"] = {2048};
  expect_error(load(j), "/hardware/host_memory/0", "expected a size with a unit");
}

TEST(SweepRules, NvmeIsNoneASizeOrAnObject) {
  Json j = good();
  j["hardware"]["nvme"] = {"none", {{"capacity", "30TB"}}};
  expect_error(load(j), "/hardware/nvme/1/bandwidth", "missing required");
}

TEST(SweepRules, PriceNeedsAUnit) {
  Json j = good();
  j["hardware"]["price_per_gpu_hour"] = "2.5";
  expect_error(load(j), "/hardware/price_per_gpu_hour", "expected a price with a unit");
}

TEST(SweepRules, NodesAndBudgetExcludeEachOther) {
  Json j = good();
  j["hardware"]["nodes"] = 2;
  j["hardware"]["hourly_budget"] = "640USD/h";
  expect_error(load(j), "/hardware/hourly_budget", "either \"nodes\" or \"hourly_budget\"");
}

TEST(SweepRules, BudgetMustBuyANode) {
  Json j = good();
  // One DGX H100 node costs 8 x 2.50 = 20 USD/h.
  j["hardware"]["hourly_budget"] = {"640USD/h", "10USD/h"};
  expect_error(load(j), "/hardware/hourly_budget/1", "less than one node");
}

// A budget past any cluster (1e300 USD/h once overflowed the node count into "less than one node").
TEST(SweepRules, BudgetBeyondAnyClusterIsNamed) {
  Json j = good();
  j["hardware"]["hourly_budget"] = {"640USD/h", "1e300USD/h"};
  expect_error(load(j), "/hardware/hourly_budget/1", "buys more than 2147483647 GPUs");
}

TEST(SweepRules, PointCountIsBounded) {
  Json j = good();
  Json many = Json::array();
  for (int i = 1; i <= 400; ++i) many.push_back(i);
  j["hardware"]["nodes"] = many;
  j["hardware"]["nics_per_node"] = many;
  expect_error(load(j), "/hardware", "expected at most 100000");
}

TEST(SweepRules, CostObjectiveNeedsAPrice) {
  Json j = good();
  j["objective"] = "cost";
  Json gpu = Json::parse(R"({"key": "nopriced", "name": "No-price GPU", "architecture": "hopper", "sm_count": 132,
    "memory": "80GiB", "memory_bandwidth": "3.35TB/s", "peak": {"bf16": "989TFLOPS"}, "power": "700W"})");
  j["hardware"]["gpu"] = gpu;
  expect_error(load(j), "/hardware", "the cost objective needs a price");
}

TEST(SweepExpansion, PointsAreTheProductInAFixedAxisOrder) {
  Json j = good();
  // Keys in a different order from the documented axis order: the order of points does not change.
  j["hardware"]["oversubscription"] = {1, 2, 4};
  j["hardware"]["nic_rate"] = {"200Gbps", "400Gbps"};
  Loaded l = load(j);
  ASSERT_TRUE(l.spec.has_value());
  ASSERT_EQ(l.spec->points.size(), 2u * 3u);
  // nic_rate comes before oversubscription, so oversubscription varies fastest.
  EXPECT_EQ(l.spec->label(l.spec->points[1]), "nic_rate=200Gbps oversubscription=2");
  EXPECT_EQ(l.spec->label(l.spec->points[3]), "nic_rate=400Gbps oversubscription=1");
  EXPECT_DOUBLE_EQ(l.spec->points[3].cluster.node.nic.bandwidth / Gbps(1), 400.0);
  EXPECT_DOUBLE_EQ(l.spec->points[5].cluster.topology.oversubscription, 4.0);
  EXPECT_EQ(l.spec->points[5].cluster.nodes, 2);  // the base cluster's other settings stay
}

TEST(SweepExpansion, HourlyBudgetBuysWholeNodesAtThePointsPrice) {
  Json j = good();
  j["hardware"]["cluster"] = {"dgx-h100-superpod", "dgx-b200-superpod"};
  j["hardware"]["hourly_budget"] = "640USD/h";
  j["hardware"]["price_per_gpu_hour"] = {"2.50USD/h", "4.00USD/h"};
  Loaded l = load(j);
  ASSERT_TRUE(l.spec.has_value());
  ASSERT_EQ(l.spec->points.size(), 4u);
  EXPECT_EQ(l.spec->points[0].cluster.nodes, 32);  // 640 / (8 x 2.50)
  EXPECT_EQ(l.spec->points[1].cluster.nodes, 20);  // 640 / (8 x 4.00)
  EXPECT_EQ(l.spec->points[2].cluster.node.gpu.key, "b200-sxm-180gb");
  EXPECT_EQ(l.spec->points[2].cluster.nodes, 32);  // the price axis overrides B200's own price
}

TEST(SweepExpansion, WholeClusterFixesTheGpuCount) {
  Json j = good();
  j["whole_cluster"] = true;
  Loaded l = load(j);
  ASSERT_TRUE(l.spec.has_value());
  const planner::PlanProblem p = make_problem(*l.spec, l.spec->points[0], l.spec->jobs[0]);
  EXPECT_EQ(p.search.min_gpus, 16);
  EXPECT_EQ(p.max_gpus(), 16);
}

}  // namespace
}  // namespace trainplan::sweep
