// Calibration: the efficiencies that turn peak rates into achieved ones. Calibration is data:
// configs/calibration/defaults.json holds per-architecture defaults (each value with its source or
// the fit that produced it); configs/calibration/<gpu-key>.json, written by trainplan-profile on a
// real GPU, overrides them with measured GEMM and collective tables.
//
//   Diagnostics diag;
//   Calibration cal = load_calibration(catalog, gpu, /*explicit_file=*/"", diag);
//   double eta = cal.arch.gemm_efficiency[int(Precision::kBf16)];
#pragma once

#include <array>
#include <string>
#include <vector>

#include "model/json_reader.hpp"
#include "model/spec/catalog.hpp"
#include "model/spec/hardware.hpp"

namespace trainplan {

struct ArchCalibration {
  // Achieved fraction of dense peak for a large, well-shaped GEMM, per precision.
  std::array<double, kPrecisionCount> gemm_efficiency{0.7, 0.7, 0.7, 0.7, 0.7};
  // Fused (flash) attention achieved fraction of the bf16/fp16 peak, forward; backward is slower.
  double attention_efficiency = 0.6;
  // Achieved fraction of HBM bandwidth for memory-bound kernels (norms, elementwise, optimizer).
  double memory_efficiency = 0.8;
  double gemm_k_half = 128;  // K at which the per-tile fixed cost halves the efficiency
  int tile_m = 128;          // GEMM output tile the library uses (wave quantization)
  int tile_n = 256;
  Seconds kernel_overhead = us(3);  // per kernel: launch and tail
  bool flash_attention = true;      // the architecture runs fused (flash) attention
};

// One measured GEMM (from trainplan-profile).
struct GemmSample {
  double m = 0, n = 0, k = 0;
  Precision precision = Precision::kBf16;
  double tflops = 0;
};

struct Calibration {
  std::string source = "defaults";  // which file(s) it came from
  ArchCalibration arch;
  double nvlink_efficiency = 0.8;      // NCCL bus bandwidth over NVLink line rate
  double network_efficiency = 0.85;    // NCCL bus bandwidth over NIC line rate
  Seconds collective_latency = us(8);  // fixed cost of one NCCL collective launch
  Seconds p2p_latency = us(10);
  Bytes reserved_memory = GiB(2);        // CUDA context, NCCL buffers, library workspaces
  double fragmentation = 0.05;           // allocator fragmentation over the live peak
  std::vector<GemmSample> gemm_samples;  // measured; empty = roofline with gemm_efficiency
};

// The precision class a GEMM efficiency is fitted and validated for: fp16 runs with bf16.
Precision precision_class(Precision p);

// Defaults for the GPU's architecture, then the measured file for its key if any (or explicit_file).
Calibration load_calibration(const Catalog& catalog, const GpuSpec& gpu, const std::string& explicit_file, Diagnostics& diag);
// The per-architecture defaults alone (no measured file).
Calibration default_calibration(const Catalog& catalog, const GpuSpec& gpu, Diagnostics& diag);

}  // namespace trainplan
