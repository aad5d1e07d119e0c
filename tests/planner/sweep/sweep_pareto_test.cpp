// The Pareto front of hardware points (planner/sweep/sweep_pareto.hpp) on a case worked by hand.
#include <gtest/gtest.h>

#include "planner/sweep/sweep_pareto.hpp"

namespace trainplan::sweep {
namespace {

TEST(SweepPareto, KeepsThePointsNoOtherBeatsOnBothTimeAndCost) {
  //  index  days  USD     on the front?
  //  0      10    5.0e6   no  (6 is as cheap and faster)
  //  1       8    6.0e6   yes
  //  2      12    6.0e6   no  (6 is faster and cheaper)
  //  3       8    7.0e6   no  (1 is as fast and cheaper)
  //  4       5    9.0e6   yes (fastest)
  //  5      10    5.0e6   no  (as 0)
  //  6       9    5.0e6   yes (cheapest, and the fastest of the cheapest)
  const std::vector<ParetoInput> pts = {{0, 10, 5.0e6}, {1, 8, 6.0e6},  {2, 12, 6.0e6}, {3, 8, 7.0e6},
                                        {4, 5, 9.0e6},  {5, 10, 5.0e6}, {6, 9, 5.0e6}};
  EXPECT_EQ(pareto_front(pts), (std::vector<int>{4, 1, 6}));
}

TEST(SweepPareto, EqualPointsKeepTheLowestIndex) { EXPECT_EQ(pareto_front({{3, 1, 1}, {1, 1, 1}, {2, 1, 1}}), (std::vector<int>{1})); }

TEST(SweepPareto, DoesNotDependOnInputOrder) {
  std::vector<ParetoInput> pts = {{0, 10, 5}, {1, 8, 6}, {2, 5, 9}, {3, 12, 4}};
  const std::vector<int> front = pareto_front(pts);
  std::reverse(pts.begin(), pts.end());
  EXPECT_EQ(pareto_front(pts), front);
  EXPECT_EQ(front, (std::vector<int>{2, 1, 0, 3}));
}

TEST(SweepPareto, EmptyInputGivesAnEmptyFront) { EXPECT_TRUE(pareto_front({}).empty()); }

}  // namespace
}  // namespace trainplan::sweep
