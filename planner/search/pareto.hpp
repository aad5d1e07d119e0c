// The Pareto front of feasible plans over four criteria: throughput (higher), memory headroom
// (higher), GPUs (fewer) and cost per token (lower). Values are compared after rounding
// (throughput and cost to 4 significant digits, headroom to 0.1 GiB) so that near-identical plans
// do not crowd the front; among plans equal on all four the one ranked first (objective.hpp) stays.
// The front of a set is unique, so merging per-thread fronts gives the same answer for any split.
//
//   ParetoFront f(ctx);
//   f.add(candidate);  ...  f.merge(other);  std::vector<Candidate> pts = f.sorted();
#pragma once

#include <vector>

#include "planner/search/objective.hpp"

namespace trainplan::planner {

class ParetoFront {
 public:
  explicit ParetoFront(const ObjectiveContext& ctx) : ctx_(ctx) {}
  void add(const Candidate& c);
  void merge(const ParetoFront& o);
  // Fewest GPUs first, then highest throughput.
  [[nodiscard]] std::vector<Candidate> sorted() const;
  [[nodiscard]] size_t size() const { return points_.size(); }

 private:
  struct Point {
    Candidate c;
    double tps = 0, headroom = 0, cost = 0;
  };
  [[nodiscard]] Point make_point(const Candidate& c) const;
  [[nodiscard]] static bool dominates(const Point& a, const Point& b);
  void insert(Point p);

  ObjectiveContext ctx_;
  std::vector<Point> points_;
};

}  // namespace trainplan::planner
