#include "sim/platform.hpp"

#include <algorithm>

namespace trainplan::sim {

const char* link_class_name(LinkClass c) {
  switch (c) {
    case LinkClass::kNvlink: return "nvlink";
    case LinkClass::kNic: return "nic";
    case LinkClass::kUplink: return "leaf_uplink";
    case LinkClass::kPcie: return "pcie";
  }
  return "other";
}

PlatformLayout::PlatformLayout(const ClusterSpec& cluster, const Calibration& cal, int gpus_used,
                               std::function<bool(int)> traffic_simulated)
    : cl_(cluster),
      gpn_(std::max(1, cluster.node.gpus_per_node)),
      gpus_(gpus_used),
      rails_(std::clamp(cluster.node.nics, 1, std::max(1, cluster.node.gpus_per_node))),
      eta_nvl_(cal.nvlink_efficiency),
      eta_net_(cal.network_efficiency),
      simulated_(std::move(traffic_simulated)) {}

int PlatformLayout::nic_index(int rank) const { return (rank % gpn_) * rails_ / gpn_; }

int PlatformLayout::leaf_key(int rank) const {
  const int npl = std::max(1, cl_.topology.nodes_per_leaf);
  const int leaf = node_of(rank) / npl;
  return cl_.topology.kind == TopologyKind::kRailOptimized ? leaf * rails_ + nic_index(rank) : leaf;
}

int PlatformLayout::link(const std::string& key, LinkClass cls, double raw_bw, double lat, const std::function<bool(int)>& user_of) {
  auto it = by_key_.find(key);
  if (it != by_key_.end()) return it->second;
  // Users of the link among the plan's GPUs, and how many of them carry simulated traffic.
  int users = 0, sim = 0;
  if (cls == LinkClass::kNvlink || cls == LinkClass::kPcie) {
    users = sim = 1;
  } else {
    for (int r = 0; r < gpus_; ++r)
      if (user_of(r)) {
        ++users;
        sim += simulated_(r) ? 1 : 0;
      }
  }
  LinkInfo li;
  li.name = key;
  li.cls = cls;
  li.raw_bandwidth = raw_bw;
  li.scale = users > 0 ? std::max(1, sim) / static_cast<double>(users) : 1.0;
  li.bandwidth = raw_bw * li.scale;
  li.latency = lat;
  links_.push_back(li);
  by_key_[key] = static_cast<int>(links_.size()) - 1;
  return static_cast<int>(links_.size()) - 1;
}

const std::vector<int>& PlatformLayout::route(int a, int b) {
  const std::uint64_t key = (static_cast<std::uint64_t>(a) << 32) | static_cast<std::uint32_t>(b);
  auto it = routes_.find(key);
  if (it != routes_.end()) return it->second;
  std::vector<int> r;
  const NodeSpec& n = cl_.node;
  if (node_of(a) == node_of(b)) {
    const double bw = n.scale_up.bandwidth.si() * eta_nvl_, lat = n.scale_up.latency.si() / 2;
    auto none = [](int) { return false; };
    r.push_back(link("nvl" + std::to_string(a) + "-up", LinkClass::kNvlink, bw, lat, none));
    r.push_back(link("nvl" + std::to_string(b) + "-down", LinkClass::kNvlink, bw, lat, none));
  } else {
    const double hop = cl_.topology.hop_latency.si();
    // A GPU's NIC share: one NIC per GPU group, or nics/gpn NICs per GPU.
    const double nic_bw = n.nic.bandwidth.si() * eta_net_ * std::max(1.0, static_cast<double>(n.nics) / gpn_);
    const double nic_lat = (n.nic.latency.si() + hop) / 2;
    auto nic = [&](int rank, const char* dir) {
      const int node = node_of(rank), idx = nic_index(rank);
      return link("nic" + std::to_string(node) + "." + std::to_string(idx) + "-" + dir, LinkClass::kNic, nic_bw, nic_lat,
                  [&, node, idx](int u) { return node_of(u) == node && nic_index(u) == idx; });
    };
    r.push_back(nic(a, "up"));
    const int la = leaf_key(a), lb = leaf_key(b);
    if (la != lb) {
      const double npl = std::max(1, cl_.topology.nodes_per_leaf);
      const double per_leaf = npl * n.nics * n.nic.bandwidth.si() * eta_net_ / std::max(1.0, cl_.topology.oversubscription);
      const double bw = cl_.topology.kind == TopologyKind::kRailOptimized ? per_leaf / rails_ : per_leaf;
      auto up = [&](int leaf, const char* dir) {
        return link("leaf" + std::to_string(leaf) + "-" + dir, LinkClass::kUplink, bw, hop,
                    [&, leaf](int u) { return leaf_key(u) == leaf; });
      };
      r.push_back(up(la, "up"));
      r.push_back(up(lb, "down"));
    }
    r.push_back(nic(b, "down"));
  }
  return routes_[key] = std::move(r);
}

const std::vector<int>& PlatformLayout::route_to_host(int rank, bool d2h) {
  const std::uint64_t key = (static_cast<std::uint64_t>(0xFFFFFFFFu - (d2h ? 1 : 0)) << 32) | static_cast<std::uint32_t>(rank);
  auto it = routes_.find(key);
  if (it != routes_.end()) return it->second;
  std::vector<int> r{link("pcie" + std::to_string(rank) + (d2h ? "-d2h" : "-h2d"), LinkClass::kPcie, cl_.node.pcie.bandwidth.si(),
                          cl_.node.pcie.latency.si(), [](int) { return false; })};
  return routes_[key] = std::move(r);
}

double PlatformLayout::route_latency(const std::vector<int>& r) const {
  double l = 0;
  for (int i : r) l += links_[i].latency;
  return l;
}

}  // namespace trainplan::sim
