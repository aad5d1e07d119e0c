// Hardware specs: GPU, node and cluster, as immutable values parsed from JSON.
//
//   Diagnostics d;
//   Catalog catalog(config_dir);
//   ClusterSpec c = load_cluster(json_node, catalog);  // catalog keys or inline objects
#pragma once

#include <array>
#include <optional>
#include <string>

#include "model/units.hpp"

namespace trainplan {

enum class Precision { kFp32 = 0, kTf32, kBf16, kFp16, kFp8 };
inline constexpr int kPrecisionCount = 5;
const char* precision_name(Precision p);

// Bytes of one element of a tensor held in this precision (fp8 weights still keep bf16 copies:
// Transformer Engine keeps master weights in fp32 and the fp8 cast transiently).
constexpr double element_bytes(Precision p) {
  switch (p) {
    case Precision::kFp32: case Precision::kTf32: return 4;
    case Precision::kBf16: case Precision::kFp16: return 2;
    case Precision::kFp8: return 1;
  }
  return 2;
}

// Whether training in this precision keeps its model weights in bf16: bf16 and fp8 (Transformer
// Engine's fp8 recipes keep the weights in higher precision and cast them to fp8 inside
// fp8_autocast for each GEMM: TE "Using FP8 with Transformer Engine"; Megatron --fp8-format runs
// with --bf16, interfaces.md §1.2).
constexpr bool keeps_bf16_weights(Precision p) { return p == Precision::kBf16 || p == Precision::kFp8; }

struct GpuSpec {
  std::string key;
  std::string name;
  std::string architecture;  // volta, ampere, hopper, blackwell, cdna2, cdna3
  int sm_count = 108;        // streaming multiprocessors (compute units on AMD)
  Bytes memory;
  BytesPerSecond memory_bandwidth;
  std::array<FlopsPerSecond, kPrecisionCount> peak{};  // dense; zero where the GPU lacks it
  std::optional<Watts> power;
  std::optional<double> price_usd_per_hour;

  [[nodiscard]] FlopsPerSecond peak_for(Precision p) const { return peak[static_cast<int>(p)]; }
  friend bool operator==(const GpuSpec&, const GpuSpec&) = default;
};

// Transformer Engine's userbuffer TP communication overlap (Megatron --tp-comm-overlap) runs on
// NVIDIA GPUs from sm80 on: Ampere, Hopper, Blackwell.
bool supports_tp_comm_overlap(const GpuSpec& g);

struct LinkSpec {
  BytesPerSecond bandwidth;  // per GPU (or per NIC), one direction
  Seconds latency;
  friend bool operator==(const LinkSpec&, const LinkSpec&) = default;
};

enum class ScaleUpKind { kNvSwitch, kNvLink, kNvl72, kInfinityFabric, kPcie };
const char* scale_up_name(ScaleUpKind k);

struct NodeSpec {
  std::string key;
  std::string name;
  GpuSpec gpu;
  int gpus_per_node = 8;
  ScaleUpKind scale_up_kind = ScaleUpKind::kNvSwitch;
  LinkSpec scale_up;          // per-GPU unidirectional NVLink / fabric bandwidth
  int scale_up_domain = 8;    // GPUs reachable at scale-up speed (72 for NVL72)
  LinkSpec pcie;              // per GPU, host <-> device
  Bytes host_memory;
  BytesPerSecond host_memory_bandwidth;
  int cpu_cores = 1;
  FlopsPerSecond cpu_flops;   // whole node, for CPU optimizer steps
  std::optional<Bytes> nvme_capacity;
  BytesPerSecond nvme_bandwidth;
  int nics = 1;
  LinkSpec nic;               // one NIC
  friend bool operator==(const NodeSpec&, const NodeSpec&) = default;
};

enum class TopologyKind { kFatTree, kRailOptimized };
const char* topology_name(TopologyKind k);

struct TopologySpec {
  TopologyKind kind = TopologyKind::kFatTree;
  double oversubscription = 1.0;  // bandwidth below the leaf over bandwidth above it (4 means 4:1)
  Seconds hop_latency;            // per switch hop
  int nodes_per_leaf = 4;         // nodes (or rail groups) under one leaf switch
  friend bool operator==(const TopologySpec&, const TopologySpec&) = default;
};

struct ClusterSpec {
  std::string key;
  std::string name;
  NodeSpec node;
  int nodes = 1;
  TopologySpec topology;
  [[nodiscard]] int gpus() const { return nodes * node.gpus_per_node; }
  friend bool operator==(const ClusterSpec&, const ClusterSpec&) = default;
};

}  // namespace trainplan
