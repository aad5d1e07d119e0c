// Time of the kernels of one GPU: GEMMs by roofline with wave quantization (or measured tables),
// memory-bound kernels by achieved bandwidth, fused attention by its FLOPs.
//
//   Seconds t = gemm_time({4096, 3 * 4096, 4096}, Precision::kBf16, gpu, cal);
#pragma once

#include "model/calibration.hpp"
#include "model/spec/hardware.hpp"

namespace trainplan {

struct GemmShape {
  double m = 0, n = 0, k = 0;  // C[m,n] = A[m,k] · B[k,n]
  [[nodiscard]] double flops() const { return 2.0 * m * n * k; }
};

// Peak of the precision, falling back to the next wider format the GPU has (V100 has no bf16).
FlopsPerSecond effective_peak(const GpuSpec& gpu, Precision p);
// Non-GEMM work of an fp8 run happens in bf16 (Transformer Engine).
Precision activation_precision(Precision p);

// GEMM: max(F / (P·η·wave), bytes / (BW·η_mem)) + kernel overhead, where
// wave = tiles / (ceil(tiles / SMs) · SMs) is the wave-quantization efficiency of the output tiling
// (NVIDIA, "Matrix Multiplication Background User's Guide", §"Wave quantization").
// With measured samples, η comes from the nearest measured shape instead (log-space distance).
[[nodiscard]] Seconds gemm_time(const GemmShape& g, Precision p, const GpuSpec& gpu, const Calibration& cal) noexcept;
// Batched GEMM of `batch` independent products of one shape.
[[nodiscard]] Seconds batched_gemm_time(const GemmShape& g, double batch, Precision p, const GpuSpec& gpu, const Calibration& cal) noexcept;
// Memory-bound kernel(s) moving `bytes` through HBM, `kernels` launches.
[[nodiscard]] Seconds memory_bound_time(Bytes bytes, double kernels, const GpuSpec& gpu, const Calibration& cal) noexcept;
// Fused (flash) attention forward of `flops` executed FLOPs in bf16/fp16.
[[nodiscard]] Seconds flash_attention_time(double flops, Precision p, const GpuSpec& gpu, const Calibration& cal) noexcept;

}  // namespace trainplan
