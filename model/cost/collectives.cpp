#include "model/cost/collectives.hpp"

#include <algorithm>
#include <cmath>

namespace trainplan {

GroupPlacement place_group(int size, int stride, const ClusterSpec& cluster) {
  GroupPlacement g;
  g.size = size;
  const int gpn = cluster.node.gpus_per_node;
  const int domain = std::max(cluster.node.scale_up_domain, gpn);
  auto members_within = [&](int span) { return stride >= span ? 1 : std::min(size, std::max(1, span / stride)); };
  g.per_node = members_within(gpn);
  g.nodes = (size + g.per_node - 1) / g.per_node;
  g.in_scale_up = members_within(domain) >= size;
  g.crosses_leaf = !g.in_scale_up && g.nodes > cluster.topology.nodes_per_leaf;
  return g;
}

BytesPerSecond group_bus_bandwidth(const GroupPlacement& g, const ClusterSpec& cluster, const Calibration& cal) {
  const NodeSpec& n = cluster.node;
  const BytesPerSecond nvlink = n.scale_up.bandwidth * cal.nvlink_efficiency;
  if (g.in_scale_up) return nvlink;
  // Injection bandwidth per GPU when every GPU of the node communicates at once.
  const BytesPerSecond injection = n.nic.bandwidth * (static_cast<double>(n.nics) / n.gpus_per_node);
  double oversub = g.crosses_leaf ? cluster.topology.oversubscription : 1.0;
  // Rail-optimized fabrics keep same-index GPUs on one rail switch: oversubscription only bites
  // between rail groups too, so the same rule applies.
  BytesPerSecond network = injection * (g.per_node * cal.network_efficiency / oversub);
  return std::min(nvlink, network);
}

Seconds hop_latency(const GroupPlacement& g, const ClusterSpec& cluster) {
  if (g.in_scale_up) return cluster.node.scale_up.latency;
  const int switch_hops = g.crosses_leaf ? 3 : 1;  // leaf, or leaf-spine-leaf
  return cluster.node.nic.latency + cluster.topology.hop_latency * switch_hops;
}

CollectiveAlgorithm algorithm_of(Collective c) {
  switch (c) {
    case Collective::kAllReduce: return CollectiveAlgorithm::kTree;
    case Collective::kAllGather:
    case Collective::kReduceScatter: return CollectiveAlgorithm::kRing;
    case Collective::kAllToAll:
    case Collective::kSendRecv: return CollectiveAlgorithm::kDirect;
  }
  return CollectiveAlgorithm::kRing;
}

double latency_steps(Collective c, int n) {
  switch (algorithm_of(c)) {
    case CollectiveAlgorithm::kTree: return 2.0 * std::ceil(std::log2(static_cast<double>(n)));
    case CollectiveAlgorithm::kRing: return n - 1.0;
    case CollectiveAlgorithm::kDirect: return 1.0;
  }
  return n - 1.0;
}

Seconds collective_time(Collective c, Bytes bytes, const GroupPlacement& g, const ClusterSpec& cluster, const Calibration& cal) noexcept {
  const int n = g.size;
  if (n <= 1 || bytes.si() <= 0) return Seconds{};
  const BytesPerSecond bus = group_bus_bandwidth(g, cluster, cal);
  const Seconds hop = hop_latency(g, cluster);
  const double frac = static_cast<double>(n - 1) / n;
  switch (c) {
    case Collective::kAllReduce: {
      // Ring bandwidth term; latency of NCCL's double binary tree (latency_steps).
      return bytes / bus * (2.0 * frac) + cal.collective_latency + hop * latency_steps(c, n);
    }
    case Collective::kAllGather:
    case Collective::kReduceScatter: return bytes / bus * frac + cal.collective_latency + hop * latency_steps(c, n);
    case Collective::kAllToAll: {
      // Intra-node share over NVLink, the rest through the GPU's own NIC share (no ring reuse).
      const NodeSpec& nd = cluster.node;
      const double local = g.in_scale_up ? frac : static_cast<double>(g.per_node - 1) / n;
      const double remote = g.in_scale_up ? 0.0 : static_cast<double>(n - g.per_node) / n;
      const BytesPerSecond nvl = nd.scale_up.bandwidth * cal.nvlink_efficiency;
      const double oversub = g.crosses_leaf ? cluster.topology.oversubscription : 1.0;
      const BytesPerSecond nic = nd.nic.bandwidth * (static_cast<double>(nd.nics) / nd.gpus_per_node * cal.network_efficiency / oversub);
      return std::max(bytes * local / nvl, remote > 0 ? bytes * remote / nic : Seconds{}) + cal.collective_latency +
             hop * latency_steps(c, n);
    }
    case Collective::kSendRecv: return bytes / bus + cal.p2p_latency + hop * latency_steps(c, n);
  }
  return Seconds{};
}

Seconds p2p_time(Bytes bytes, int stride, const ClusterSpec& cluster, const Calibration& cal) noexcept {
  if (bytes.si() <= 0) return Seconds{};
  GroupPlacement g = place_group(2, stride, cluster);
  // One flow per GPU: a GPU's own NIC share, not the k-ring aggregate.
  g.per_node = 1;
  return collective_time(Collective::kSendRecv, bytes, g, cluster, cal);
}

}  // namespace trainplan
