#include "planner/search/pareto.hpp"

#include <algorithm>
#include <cmath>

namespace trainplan::planner {

namespace {
double sig4(double v) { return round_significant(v, 4); }
}  // namespace

ParetoFront::Point ParetoFront::make_point(const Candidate& c) const {
  Point p{c, sig4(c.tokens_per_s), std::round(c.headroom_gib * 10.0) / 10.0, 0.0};
  // Cost counts the useful share of wall time, as the cost objective does (model/goodput.hpp).
  p.cost = sig4(usd_per_useful_million_tokens(ctx_, c.gpus, c.tokens_per_s));
  if (ctx_.price_per_gpu_hour <= 0) p.cost = sig4(c.gpus / std::max(c.tokens_per_s, 1e-300));
  return p;
}

bool ParetoFront::dominates(const Point& a, const Point& b) {
  if (a.tps < b.tps || a.headroom < b.headroom || a.c.gpus > b.c.gpus || a.cost > b.cost) return false;
  if (a.tps > b.tps || a.headroom > b.headroom || a.c.gpus < b.c.gpus || a.cost < b.cost) return true;
  // Equal on every criterion: the plan ranked first stays.
  return plan_key(a.c.plan, a.c.global_batch) < plan_key(b.c.plan, b.c.global_batch);
}

void ParetoFront::insert(Point p) {
  for (const Point& q : points_)
    if (dominates(q, p)) return;
  std::erase_if(points_, [&](const Point& q) { return dominates(p, q); });
  points_.push_back(std::move(p));
}

void ParetoFront::add(const Candidate& c) { insert(make_point(c)); }

void ParetoFront::merge(const ParetoFront& o) {
  for (const Point& p : o.points_) insert(p);
}

std::vector<Candidate> ParetoFront::sorted() const {
  std::vector<Point> pts = points_;
  std::sort(pts.begin(), pts.end(), [](const Point& a, const Point& b) {
    if (a.c.gpus != b.c.gpus) return a.c.gpus < b.c.gpus;
    if (a.c.tokens_per_s != b.c.tokens_per_s) return a.c.tokens_per_s > b.c.tokens_per_s;
    return plan_key(a.c.plan, a.c.global_batch) < plan_key(b.c.plan, b.c.global_batch);
  });
  std::vector<Candidate> out;
  for (auto& p : pts) out.push_back(p.c);
  return out;
}

}  // namespace trainplan::planner
