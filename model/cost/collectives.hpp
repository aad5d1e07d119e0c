// Collective communication time on the cluster's topology, by NCCL's ring/tree algorithms.
//
// Ranks are laid out in Megatron's order "tp-cp-ep-dp-pp" (TP fastest; docs/interfaces.md §1.3), so a
// group is described by its size and the rank stride between members. A group that fits in one
// scale-up domain (NVLink/NVSwitch, NVL72) runs at NVLink bus bandwidth; one that spans nodes is
// limited by the NICs its members on one node share:
//   busbw = min(nvlink · η_nvl, k · (nics · rate / gpus_per_node) · η_net / oversubscription)
// with k the members per node (k rings, one NIC each; NCCL builds one ring per channel).
// Times follow nccl-tests' definitions (src/all_reduce.cu, all_gather.cu, alltoall.cu *GetBw):
//   all-reduce 2(n-1)/n · S / busbw,  all-gather and reduce-scatter (n-1)/n · S / busbw (S = the
//   full gathered buffer), all-to-all (n-1)/n · S / bw with S the bytes one rank sends.
//
//   GroupPlacement g = place_group(/*size=*/8, /*stride=*/1, cluster);
//   Seconds t = collective_time(Collective::kAllReduce, MiB(256), g, cluster, calibration);
#pragma once

#include "model/calibration.hpp"
#include "model/spec/hardware.hpp"

namespace trainplan {

enum class Collective { kAllReduce, kAllGather, kReduceScatter, kAllToAll, kSendRecv };

// The algorithm whose latency a collective pays, as NCCL runs it: a ring for all-gather and
// reduce-scatter (n − 1 steps), the double binary tree for all-reduce's latency (2·⌈log2 n⌉ steps,
// NCCL 2.4+; its bandwidth term stays the ring's), direct sends for all-to-all and send/recv (one
// step). The analytic collectives, the step description's TP phases and the simulator's DP rings
// all take their hop counts from here.
enum class CollectiveAlgorithm { kRing, kTree, kDirect };
CollectiveAlgorithm algorithm_of(Collective c);
// Latency steps (hops) of collective `c` on n ranks by its algorithm.
double latency_steps(Collective c, int n);

struct GroupPlacement {
  int size = 1;
  int per_node = 1;         // members on one node
  int nodes = 1;            // nodes the group spans
  bool in_scale_up = true;  // every member in one NVLink domain
  bool crosses_leaf = false;
};

GroupPlacement place_group(int size, int stride, const ClusterSpec& cluster);

// NCCL bus bandwidth of the group, and its per-message latency (one hop).
BytesPerSecond group_bus_bandwidth(const GroupPlacement& g, const ClusterSpec& cluster, const Calibration& cal);
Seconds hop_latency(const GroupPlacement& g, const ClusterSpec& cluster);

[[nodiscard]] Seconds collective_time(Collective c, Bytes bytes, const GroupPlacement& g, const ClusterSpec& cluster,
                                      const Calibration& cal) noexcept;

// Point-to-point transfer between pipeline neighbours, `stride` ranks apart.
[[nodiscard]] Seconds p2p_time(Bytes bytes, int stride, const ClusterSpec& cluster, const Calibration& cal) noexcept;

}  // namespace trainplan
