#include "planner/search/rerank.hpp"

#include <algorithm>
#include <numeric>

namespace trainplan::planner {

std::vector<Evaluation> simulate_top(const PlanProblem& problem, const Calibration& cal, const ObjectiveContext& ctx,
                                     const Evaluator* evaluator, int k, SearchResult& result) {
  if (!evaluator || k <= 0) return {};
  const size_t n = std::min(result.top.size(), static_cast<size_t>(k));
  std::vector<Evaluation> sims;
  std::vector<Candidate> cands;
  for (size_t i = 0; i < n; ++i) {
    const Candidate& c = result.top[i];
    sims.push_back(evaluator->evaluate(make_job(problem, c.plan, c.global_batch), cal));
    cands.push_back(make_candidate(problem, ctx, c.plan, c.global_batch, sims.back(), c.flags));
  }
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    if (sims[a].feasible != sims[b].feasible) return sims[a].feasible;
    if (cands[a].primary != cands[b].primary) return cands[a].primary < cands[b].primary;
    if (cands[a].secondary != cands[b].secondary) return cands[a].secondary < cands[b].secondary;
    return a < b;
  });
  std::vector<Candidate> top(result.top);
  std::vector<Evaluation> out;
  for (size_t i = 0; i < n; ++i) {
    top[i] = result.top[order[i]];
    out.push_back(sims[order[i]]);
  }
  result.top = std::move(top);
  return out;
}

}  // namespace trainplan::planner
