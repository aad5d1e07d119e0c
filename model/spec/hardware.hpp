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
    case Precision::kFp32:
    case Precision::kTf32: return 4;
    case Precision::kBf16:
    case Precision::kFp16: return 2;
    case Precision::kFp8: return 1;
  }
  return 2;
}

// Whether training in this precision keeps its model weights in bf16: bf16 and fp8 (Transformer
// Engine's fp8 recipes keep the weights in higher precision and cast them to fp8 inside
// fp8_autocast for each GEMM: TE "Using FP8 with Transformer Engine"; Megatron --fp8-format runs
// with --bf16, docs/interfaces.md §1.2).
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
  LinkSpec scale_up;        // per-GPU unidirectional NVLink / fabric bandwidth
  int scale_up_domain = 8;  // GPUs reachable at scale-up speed (72 for NVL72)
  LinkSpec pcie;            // per GPU, host <-> device
  Bytes host_memory;
  BytesPerSecond host_memory_bandwidth;
  int cpu_cores = 1;
  FlopsPerSecond cpu_flops;  // whole node, for CPU optimizer steps
  std::optional<Bytes> nvme_capacity;
  BytesPerSecond nvme_bandwidth;
  int nics = 1;
  LinkSpec nic;  // one NIC
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

// What stops a synchronous training job, and how long it takes to come back (model/goodput.hpp).
// Mean times between job-stopping failures per component. Defaults: the 419 unexpected
// interruptions of Llama 3 405B's 54-day pre-training on 16,384 H100 in 2,048 nodes (Dubey et al.
// 2024, "The Llama 3 Herd of Models", §3.3.4, Table 5), grouped by the component that scales them:
//   GPU (faulty GPU 148, HBM3 72, SRAM 19, system processor 17, thermal 6, silent data
//     corruption 6) = 268 over 16,384 × 1,296 GPU-hours          -> one per 79,230 GPU-hours
//   host (maintenance 32, SSD 3, power 3, chassis 2, IO board 2, CPU 2, memory 2) = 46 over
//     2,048 × 1,296 node-hours                                     -> one per 57,700 node-hours
//   NIC 7 over 16,384 NICs (8 a node) × 1,296 hours                -> one per 3,033,000 NIC-hours
//   network switch and cable 35, scaled with the GPUs the fabric connects -> one per 606,700 GPU-hours
//   software (bugs 54, NCCL watchdog 7, dependencies 2) = 63, per node -> one per 42,130 node-hours
struct ReliabilitySpec {
  Seconds gpu_mtbf = s(79230.0 * 3600);
  Seconds node_mtbf = s(57700.0 * 3600);
  Seconds nic_mtbf = s(3033000.0 * 3600);
  Seconds fabric_mtbf_per_gpu = s(606700.0 * 3600);
  Seconds software_mtbf_per_node = s(42130.0 * 3600);
  // Until a failure is noticed: a hung collective waits out the watchdog, Megatron-LM
  // --distributed-timeout-minutes (default 10, megatron/training/arguments.py).
  Seconds detection = s(600);
  // Rescheduling and process start before the checkpoint load: 5 min, an assumption (no fleet
  // publishes it; Harvard's ML Systems book's mlsysim ReliabilityModel takes 300 s for the whole
  // recovery). Set it for your scheduler.
  Seconds restart = s(300);
  friend bool operator==(const ReliabilitySpec&, const ReliabilitySpec&) = default;
};

// Where checkpoints go: a shared file system, each node writing (and reading back) its share at
// up to `per_node` and all together at up to `aggregate`. Defaults are assumptions for a large
// parallel file system: 100 GB/s in aggregate (5.7 TB, a 405B model with Adam state, in about a
// minute) and 25 GB/s a node (one 200 Gb/s storage link). Set them for your storage.
struct StorageSpec {
  BytesPerSecond per_node = GBps(25);
  BytesPerSecond aggregate = GBps(100);
  friend bool operator==(const StorageSpec&, const StorageSpec&) = default;
};

struct ClusterSpec {
  std::string key;
  std::string name;
  NodeSpec node;
  int nodes = 1;
  TopologySpec topology;
  ReliabilitySpec reliability;
  StorageSpec storage;
  [[nodiscard]] int gpus() const { return nodes * node.gpus_per_node; }
  friend bool operator==(const ClusterSpec&, const ClusterSpec&) = default;
};

}  // namespace trainplan
