// The Pareto front of hardware points on cost against time-to-train: a point is on the front when
// no other point is at least as cheap and at least as fast and strictly better on one of the two.
// Of points equal on both, the lowest index stays (so the front is unique and the same however the
// points were computed). Only points where every job has a plan and a cost take part.
//
//   std::vector<int> front = pareto_front({{0, 10.0, 5e6}, {1, 8.0, 6e6}, {2, 12.0, 6e6}});  // {1, 0}
#pragma once

#include <vector>

namespace trainplan::sweep {

struct ParetoInput {
  int index = 0;
  double days = 0;  // total time-to-train of the point's jobs
  double usd = 0;   // total cost
};

// Indices of the points on the front, fastest first (so the cost falls along the list).
std::vector<int> pareto_front(const std::vector<ParetoInput>& points);

}  // namespace trainplan::sweep
