// The simulated platform (sim/platform.hpp) as a SimGrid zone: one full zone holding a host per
// GPU that carries simulated traffic, a host per node's CPU memory where activations are offloaded,
// one shared link per PlatformLayout link, and a route for every pair of GPUs that exchange data
// (routes must exist before the zone is sealed: docs/simgrid-notes.md).
//
//   ZoneHosts z = build_zone(layout, {gpus, gpus_per_node}, routes);
#pragma once

#include <simgrid/s4u.hpp>

#include <set>
#include <utility>
#include <vector>

#include "sim/platform.hpp"

namespace trainplan::sim {

// What the engine's actors need routes for.
struct NeededRoutes {
  std::set<int> host_ranks;             // GPUs that get a SimGrid host
  std::set<std::pair<int, int>> pairs;  // (src, dst) GPU routes
  std::vector<int> offload_ranks;       // GPUs with a route to their node's host memory
};

struct ZoneHosts {
  std::vector<simgrid::s4u::Host*> gpu;  // by rank (null: no simulated traffic)
  std::vector<simgrid::s4u::Host*> cpu;  // by node (null: no offload on it)
};

ZoneHosts build_zone(PlatformLayout& layout, int gpus, int gpus_per_node, const NeededRoutes& routes);

}  // namespace trainplan::sim
