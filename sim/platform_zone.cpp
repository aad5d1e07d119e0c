#include "sim/platform_zone.hpp"

#include <string>

namespace trainplan::sim {

namespace sg4 = simgrid::s4u;

namespace {

// "r12", "cpu3" (appended, not `"r" + to_string(r)`, which trips GCC 12's -Wrestrict false positive,
// GCC bug 105329).
std::string host_name(const char* prefix, int i) {
  std::string name(prefix);
  name += std::to_string(i);
  return name;
}

}  // namespace

ZoneHosts build_zone(PlatformLayout& layout, int gpus, int gpus_per_node, const NeededRoutes& routes) {
  ZoneHosts z;
  auto* root = sg4::create_full_zone("root");
  z.gpu.assign(gpus, nullptr);
  for (int r : routes.host_ranks) z.gpu[r] = root->create_host(host_name("r", r), 1e12)->seal();
  const int nodes = (gpus + gpus_per_node - 1) / gpus_per_node;
  z.cpu.assign(nodes, nullptr);
  std::vector<sg4::Link*> links;
  for (const LinkInfo& li : layout.links()) links.push_back(root->create_link(li.name, li.bandwidth)->set_latency(li.latency)->seal());
  auto links_of = [&](const std::vector<int>& r) {
    std::vector<sg4::LinkInRoute> v;
    for (int i : r) v.emplace_back(links[i]);
    return v;
  };
  for (const auto& [a, b] : routes.pairs)
    root->add_route(z.gpu[a]->get_netpoint(), z.gpu[b]->get_netpoint(), nullptr, nullptr, links_of(layout.route(a, b)), false);
  for (int r : routes.offload_ranks) {
    const int n = layout.node_of(r);
    if (!z.cpu[n]) z.cpu[n] = root->create_host(host_name("cpu", n), 1e12)->seal();
    root->add_route(z.gpu[r]->get_netpoint(), z.cpu[n]->get_netpoint(), nullptr, nullptr, links_of(layout.route_to_host(r, true)), false);
  }
  root->seal();
  return z;
}

}  // namespace trainplan::sim
