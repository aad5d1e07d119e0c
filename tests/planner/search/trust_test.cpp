// The planner and the validated envelope (model/uncertainty.hpp): flags on the Turing-NLG 530B
// winner, --within-envelope, the conservative ranking (its bounded top equals the exhaustive one),
// and the explanation's trust section.
#include <gtest/gtest.h>

#include <cmath>

#include "model/analytic.hpp"
#include "planner/search/explain.hpp"
#include "planner/search/report.hpp"
#include "planner/search/search.hpp"
#include "tests/planner/search/load.hpp"

namespace trainplan::planner {
namespace {

using test::load;
using test::Loaded;

UncertaintyModel shipped() {
  Diagnostics d;
  UncertaintyModel u = load_uncertainty(Catalog(CONFIG_DIR), d);
  EXPECT_TRUE(d.ok() && u.loaded);
  return u;
}

SearchResult search(const Loaded& l, const UncertaintyModel& u, Ranking ranking, bool within, bool prune = true, int top = 5) {
  SearchOptions so;
  so.threads = 2;
  so.top = top;
  so.prune = prune;
  so.uncertainty = &u;
  so.ranking = ranking;
  so.within_envelope = within;
  return run_search(l.problem, l.cal, so);
}

std::vector<std::string> flags_of(const Loaded& l, const UncertaintyModel& u, const Candidate& c) {
  const JobSpec job = make_job(l.problem, c.plan, c.global_batch);
  std::vector<std::string> out;
  extrapolation(u, job, AnalyticEvaluator().evaluate(job, l.cal), &out);
  return out;
}

TEST(PlannerTrust, Turing530bWinnerSaysWhereItExtrapolates) {
  Loaded l = load(CONFIG_DIR "/examples/turing-530b-a100-5120-plan.json");
  // On software with a zero-bubble schedule ("other" has every feature; Megatron-Core, assumed when
  // no framework is given, has none: configs/frameworks/frameworks.json).
  l.problem.training.framework = Framework::kOther;
  l.problem.training.era = SoftwareEra{};
  const UncertaintyModel u = shipped();
  const SearchResult r = search(l, u, Ranking::kEstimate, false);
  ASSERT_FALSE(r.top.empty());
  const auto flags = flags_of(l, u, r.top.front());
  // The estimate's winner is a zero-bubble plan above every measured A100 MFU.
  auto has = [&](const std::string& s) {
    for (const auto& f : flags)
      if (f.find(s) != std::string::npos) return true;
    return false;
  };
  EXPECT_TRUE(has("schedule:zero-bubble")) << flags.size();
  EXPECT_TRUE(has("predicted MFU"));
  const Json why = explain_winner(l.problem, l.cal, search_context(l.problem, {.uncertainty = &u}), AnalyticEvaluator(), r.top);
  ASSERT_TRUE(why.contains("trust"));
  EXPECT_EQ(why["trust"]["winner_extrapolation"].size(), flags.size());
  EXPECT_NE(why["summary"].get<std::string>().find("outside the validated envelope"), std::string::npos);
}

TEST(PlannerTrust, WithinEnvelopeGivesOnlyCoveredPlans) {
  const Loaded l = load(CONFIG_DIR "/examples/turing-530b-a100-5120-plan.json");
  const UncertaintyModel u = shipped();
  const SearchResult r = search(l, u, Ranking::kEstimate, true);
  ASSERT_FALSE(r.top.empty());
  for (const Candidate& c : r.top) EXPECT_TRUE(flags_of(l, u, c).empty());
  ASSERT_TRUE(r.infeasible_by_reason.count("outside_envelope"));
  EXPECT_GT(r.infeasible_by_reason.at("outside_envelope"), 0);
  // Leaving plans out can only lower the best throughput.
  const SearchResult free = search(l, u, Ranking::kEstimate, false);
  EXPECT_LE(r.top.front().tokens_per_s, free.top.front().tokens_per_s);
}

TEST(PlannerTrust, ConservativeRankingBoundedEqualsExhaustive) {
  const Loaded l = load(TEST_DATA_DIR "/small-problem.json");
  const UncertaintyModel u = shipped();
  const SearchResult bounded = search(l, u, Ranking::kConservative, false, true, 8);
  const SearchResult all = search(l, u, Ranking::kConservative, false, false, 8);
  ASSERT_EQ(bounded.top.size(), all.top.size());
  for (size_t i = 0; i < all.top.size(); ++i)
    EXPECT_EQ(plan_key(bounded.top[i].plan, bounded.top[i].global_batch), plan_key(all.top[i].plan, all.top[i].global_batch));
  // Ranked by the low end of the band: tokens/s times e^-hi, hi growing with the flags.
  const ObjectiveContext ctx = search_context(l.problem, {.uncertainty = &u, .ranking = Ranking::kConservative});
  for (size_t i = 1; i < all.top.size(); ++i) EXPECT_GE(ranked_tokens_per_s(ctx, all.top[i - 1]), ranked_tokens_per_s(ctx, all.top[i]));
  const std::string cls = precision_class_key(l.problem.cluster.node.gpu.architecture, l.problem.training.precision);
  const Candidate& w = all.top.front();
  EXPECT_NEAR(ranked_tokens_per_s(ctx, w), w.tokens_per_s * std::exp(-log_band(u, cls, w.flags).second), 1e-9 * w.tokens_per_s);
}

TEST(PlannerTrust, ReportRowsCarryTheContractKeys) {
  const Loaded l = load(TEST_DATA_DIR "/small-problem.json");
  const UncertaintyModel u = shipped();
  SearchOptions so{.top = 3, .threads = 1, .uncertainty = &u};
  const SearchResult r = run_search(l.problem, l.cal, so);
  const Json j = report_json(l.problem, l.cal, search_context(l.problem, so), AnalyticEvaluator(), r, {.top = 3});
  ASSERT_FALSE(j["plans"].empty());
  for (const Json& p : j["plans"]) {
    ASSERT_TRUE(p["interval"].is_object());
    EXPECT_EQ(p["interval"]["level"], 0.8);
    const double lo = p["interval"]["tokens_per_s"][0], hi = p["interval"]["tokens_per_s"][1];
    EXPECT_LT(lo, p["tokens_per_s"].get<double>());
    EXPECT_GT(hi, p["tokens_per_s"].get<double>());
    EXPECT_TRUE(p["extrapolation"].is_array());
  }
  for (const Json& p : j["pareto"]) EXPECT_TRUE(p.contains("interval") && p.contains("extrapolation"));
}

}  // namespace
}  // namespace trainplan::planner
