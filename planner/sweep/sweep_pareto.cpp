#include "planner/sweep/sweep_pareto.hpp"

#include <algorithm>

namespace trainplan::sweep {

std::vector<int> pareto_front(const std::vector<ParetoInput>& points) {
  // Sort by time, then cost, then index; walking that order, a point is on the front exactly when
  // it is strictly cheaper than every point before it (those are all at least as fast).
  std::vector<ParetoInput> sorted = points;
  std::sort(sorted.begin(), sorted.end(), [](const ParetoInput& a, const ParetoInput& b) {
    if (a.days != b.days) return a.days < b.days;
    if (a.usd != b.usd) return a.usd < b.usd;
    return a.index < b.index;
  });
  std::vector<int> front;
  bool any = false;
  double cheapest = 0;
  for (const ParetoInput& p : sorted) {
    if (!any || p.usd < cheapest) {
      front.push_back(p.index);
      cheapest = p.usd;
      any = true;
    }
  }
  return front;
}

}  // namespace trainplan::sweep
