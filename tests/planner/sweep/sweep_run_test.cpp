// Running the tiny test sweep (data/tiny-sweep.json): figures, determinism, report, CSV and charts.
#include <gtest/gtest.h>

#include <sstream>

#include "planner/sweep/sweep_charts.hpp"
#include "planner/sweep/sweep_report.hpp"
#include "planner/sweep/sweep_run.hpp"

namespace trainplan::sweep {
namespace {

SweepSpec tiny() {
  Diagnostics diag;
  auto s = load_sweep_file(std::string(TEST_DATA_DIR) + "/tiny-sweep.json", Catalog(CONFIG_DIR), diag);
  EXPECT_TRUE(diag.ok()) << (diag.ok() ? "" : diag.items()[0].to_string());
  return *s;
}

std::vector<int> all(const SweepSpec& s) {
  std::vector<int> v;
  for (const auto& p : s.points) v.push_back(p.index);
  return v;
}

TEST(SweepRun, FiguresFollowFromThroughputBudgetPriceAndPower) {
  const SweepSpec s = tiny();
  const std::vector<Json> pts = run_points(s, {0}, {.threads = 1});
  ASSERT_EQ(pts.size(), 1u);
  const Json& j = pts[0]["jobs"][0];
  ASSERT_TRUE(j["feasible"].get<bool>()) << j.dump();
  const double tps = j["tokens_per_s"].get<double>();
  const int gpus = j["gpus"].get<int>();
  // days = budget / (tokens/s · goodput) / 86400; USD = days · 24 · GPUs · 2.50 (H100); MWh at
  // 700 W per GPU. Goodput: failures, restarts and checkpoints (model/goodput.hpp), reported.
  const double g = j["goodput"]["fraction"].get<double>();
  EXPECT_GT(g, 0.9);
  EXPECT_LT(g, 1.0);
  const double days = 1e12 / (tps * g) / 86400.0;
  EXPECT_NEAR(j["days"].get<double>(), days, days * 1e-5);
  EXPECT_NEAR(j["usd"].get<double>(), days * 24 * gpus * 2.5, days * 24 * gpus * 2.5 * 1e-4);
  EXPECT_NEAR(j["energy_mwh"].get<double>(), days * 24 * gpus * 700 / 1e6, days * 24 * gpus * 700 / 1e6 * 1e-4);
  EXPECT_EQ(pts[0]["total"]["days"], j["days"]);
}

TEST(SweepRun, ResultsDoNotDependOnThreadsOrOnHowPointsAreSplit) {
  const SweepSpec s = tiny();
  const std::vector<Json> one = run_points(s, all(s), {.threads = 1});
  const std::vector<Json> two = run_points(s, all(s), {.threads = 2});
  EXPECT_EQ(Json(one).dump(), Json(two).dump());
  // As two MPI ranks would split them: even points, then odd points.
  const std::vector<Json> even = run_points(s, {0, 2}, {.threads = 1});
  const std::vector<Json> odd = run_points(s, {1, 3}, {.threads = 1});
  EXPECT_EQ(even[1].dump(), one[2].dump());
  EXPECT_EQ(odd[0].dump(), one[1].dump());
}

TEST(SweepRun, FasterNicsAreNeverSlower) {
  const SweepSpec s = tiny();
  const std::vector<Json> pts = run_points(s, all(s), {.threads = 2});
  // Points 0, 1: 100 Gbps; 2, 3: 400 Gbps (same oversubscription pairwise).
  for (int i : {0, 1}) EXPECT_GE(pts[i + 2]["jobs"][0]["tokens_per_s"].get<double>(), pts[i]["jobs"][0]["tokens_per_s"].get<double>());
}

TEST(SweepReport, HoldsTheContractKeysAndAFrontOfFeasiblePoints) {
  const SweepSpec s = tiny();
  const Json r = sweep_report(s, run_points(s, all(s), {.threads = 2}));
  ASSERT_TRUE(r.contains("points"));
  ASSERT_TRUE(r.contains("pareto"));
  EXPECT_EQ(r["points"].size(), 4u);
  EXPECT_FALSE(r["pareto"].empty());
  for (const Json& p : r["pareto"]) EXPECT_TRUE(r["points"][p["index"].get<size_t>()]["feasible"].get<bool>());
  EXPECT_TRUE(r["points"][0].contains("hardware"));
  EXPECT_TRUE(r["points"][0].contains("jobs"));
  EXPECT_EQ(r["axis_effects"].size(), 2u);  // nic_rate and oversubscription vary
  EXPECT_TRUE(any_feasible(r));
}

TEST(SweepReport, CsvHasAHeaderAndOneRowPerPointAndJob) {
  const SweepSpec s = tiny();
  const Json r = sweep_report(s, run_points(s, all(s), {.threads = 2}));
  std::ostringstream csv;
  write_csv(r, csv);
  std::istringstream in(csv.str());
  std::string line;
  int rows = 0;
  size_t header_fields = 0;
  while (std::getline(in, line)) {
    const size_t fields = std::count(line.begin(), line.end(), ',') + 1;
    if (rows == 0)
      header_fields = fields;
    else
      EXPECT_EQ(fields, header_fields) << line;
    ++rows;
  }
  EXPECT_EQ(rows, 1 + 4);
}

TEST(SweepCharts, OneParetoChartAndOnePerVariedAxis) {
  const SweepSpec s = tiny();
  const Json r = sweep_report(s, run_points(s, all(s), {.threads = 2}));
  const auto charts = chart_svgs(r);
  ASSERT_EQ(charts.size(), 3u);
  EXPECT_EQ(charts[0].first, "pareto.svg");
  EXPECT_EQ(charts[1].first, "axis-nic_rate.svg");
  EXPECT_EQ(charts[2].first, "axis-oversubscription.svg");
  for (const auto& [name, svg] : charts) {
    EXPECT_EQ(svg.rfind("<svg ", 0), 0u) << name;
    EXPECT_NE(svg.find("</svg>"), std::string::npos) << name;
  }
}

}  // namespace
}  // namespace trainplan::sweep
