#include "sim/engine_context.hpp"

#include <algorithm>

namespace trainplan::sim::engine {

double now() { return sg4::Engine::get_clock(); }

void account(Ctx& c, const std::vector<int>& route, double a, double b, double bytes) {
  for (int i : route) {
    c.busy[i].push_back({a, b});
    c.link_bytes[i] += bytes / c.layout->links()[i].scale;
  }
}

DpRing dp_ring(const Ctx& c, int s, int t) {
  DpRing r;
  r.size = c.group;
  if (c.group <= 1) return r;
  std::vector<int> members(c.group);
  for (int k = 0; k < c.group; ++k) members[k] = c.rank(s, k, t);
  // Members grouped by node, in rank order.
  std::vector<std::vector<int>> by_node;
  int last = -1;
  for (int m : members) {
    const int n = c.layout->node_of(m);
    if (n != last) by_node.emplace_back();
    by_node.back().push_back(m);
    last = n;
  }
  if (by_node.size() == 1) {
    for (int k = 0; k < c.group; ++k) r.pairs.emplace_back(members[k], members[(k + 1) % c.group]);
    return r;
  }
  size_t per_node = 0;
  for (const auto& v : by_node) per_node = std::max(per_node, v.size());
  r.factor = 1.0 / static_cast<double>(per_node);
  for (size_t n = 0; n < by_node.size(); ++n) {
    const auto& next = by_node[(n + 1) % by_node.size()];
    for (size_t q = 0; q < by_node[n].size(); ++q) r.pairs.emplace_back(by_node[n][q], next[q % next.size()]);
  }
  return r;
}

void record(Ctx& c, int pid, Stream st, const std::string& name, double a, double b) {
  ++c.n_events;
  if (c.trace && b > a) c.events.push_back({name, pid, static_cast<int>(st), a * 1e6, (b - a) * 1e6});
}

}  // namespace trainplan::sim::engine
