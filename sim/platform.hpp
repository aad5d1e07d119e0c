// The simulated platform, described without SimGrid: which GPUs have a host, which links a route
// between two GPUs crosses, and each link's capacity and latency. sim/engine.cpp turns it into
// SimGrid hosts, links and routes (CM02 network model, no cross-traffic: see docs/simgrid-notes.md §2).
//
// Links, one SHARED SimGrid link per direction:
//   nvlink  per GPU, its NVSwitch port (scale_up bandwidth × NCCL NVLink efficiency, half the latency);
//   nic     per NIC (a GPU has nics/gpus_per_node of them when there are more NICs than GPUs), line rate ×
//           NCCL network efficiency, half of (NIC latency + one switch hop);
//   uplink  per leaf switch (fat-tree) or per leaf and rail (rail-optimized): nodes_per_leaf × NIC rate
//           ÷ oversubscription, one switch hop; routes between leaves go up and down through the spine,
//           which never blocks;
//   pcie    per GPU to its node's host memory.
// Routes: same node → nvlink up, nvlink down; else nic up, [uplink up, uplink down], nic down.
//
// Symmetry reduction of shared links: when only some of a link's users carry simulated traffic (the
// representative TP rank, see sim/simulator.hpp), the link keeps the fraction (simulated users ÷
// users) of its capacity, because the other users run identical traffic at the same time.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "model/calibration.hpp"
#include "model/spec/hardware.hpp"

namespace trainplan::sim {

enum class LinkClass { kNvlink, kNic, kUplink, kPcie };
inline constexpr int kLinkClasses = 4;
const char* link_class_name(LinkClass c);

struct LinkInfo {
  std::string name;
  LinkClass cls = LinkClass::kNvlink;
  double bandwidth = 0;      // bytes/s available to the simulated traffic (after the symmetry scaling)
  double raw_bandwidth = 0;  // bytes/s of the real link
  double latency = 0;        // s
  double scale = 1.0;        // simulated users ÷ users
};

class PlatformLayout {
 public:
  // `traffic_simulated(rank)`: whether the rank's own network traffic is simulated.
  PlatformLayout(const ClusterSpec& cluster, const Calibration& cal, int gpus_used, std::function<bool(int)> traffic_simulated);

  [[nodiscard]] int node_of(int rank) const { return rank / gpn_; }
  // Links a message from GPU a to GPU b crosses (indices into links()); created on first use.
  const std::vector<int>& route(int a, int b);
  // GPU to its node's host memory (dir: true = device to host).
  const std::vector<int>& route_to_host(int rank, bool d2h);
  [[nodiscard]] double route_latency(const std::vector<int>& r) const;
  [[nodiscard]] const std::vector<LinkInfo>& links() const { return links_; }

 private:
  int link(const std::string& key, LinkClass cls, double raw_bw, double lat, const std::function<bool(int)>& user_of);
  int nic_index(int rank) const;
  int leaf_key(int rank) const;

  const ClusterSpec& cl_;
  int gpn_, gpus_;
  int rails_;  // NICs a node's GPUs split into
  double eta_nvl_, eta_net_;
  std::function<bool(int)> simulated_;
  std::vector<LinkInfo> links_;
  std::map<std::string, int> by_key_;
  std::map<std::uint64_t, std::vector<int>> routes_;
};

}  // namespace trainplan::sim
