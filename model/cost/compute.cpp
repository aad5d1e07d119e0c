#include "model/cost/compute.hpp"

#include <algorithm>
#include <cmath>

namespace trainplan {

FlopsPerSecond effective_peak(const GpuSpec& gpu, Precision p) {
  const Precision order[] = {p, Precision::kBf16, Precision::kFp16, Precision::kTf32, Precision::kFp32};
  for (Precision q : order)
    if (gpu.peak_for(q).si() > 0) return gpu.peak_for(q);
  return TFLOPS(1);
}

Precision activation_precision(Precision p) { return p == Precision::kFp8 ? Precision::kBf16 : p; }

namespace {

double measured_efficiency(const GemmShape& g, Precision p, const GpuSpec& gpu, const Calibration& cal, bool& found) {
  double best = 1e300, eff = 0;
  for (const GemmSample& s : cal.gemm_samples) {
    if (s.precision != p) continue;
    const double d = std::fabs(std::log(g.m / s.m)) + std::fabs(std::log(g.n / s.n)) + std::fabs(std::log(g.k / s.k));
    if (d < best) {
      best = d;
      eff = s.tflops * 1e12 / effective_peak(gpu, p).si();
    }
  }
  // Only trust a sample within a factor of ~2 in every dimension on average.
  found = best < 3 * std::log(2.0);
  return std::clamp(eff, 0.01, 1.0);
}

}  // namespace

Seconds gemm_time(const GemmShape& g, Precision p, const GpuSpec& gpu, const Calibration& cal) noexcept {
  return batched_gemm_time(g, 1.0, p, gpu, cal);
}

Seconds batched_gemm_time(const GemmShape& g, double batch, Precision p, const GpuSpec& gpu, const Calibration& cal) noexcept {
  if (g.m <= 0 || g.n <= 0 || g.k <= 0 || batch <= 0) return Seconds{};
  const ArchCalibration& a = cal.arch;
  double eta = a.gemm_efficiency[static_cast<int>(p)];
  double wave = 1.0;
  bool found = false;
  if (!cal.gemm_samples.empty()) {
    double e = measured_efficiency(g, p, gpu, cal, found);
    if (found) eta = e;
  }
  if (!found) {
    // The library picks the output tiling that wastes least of the last wave among its large tile
    // (tile_m × tile_n), the transposed one, and half-size tiles at a ~5% lower peak (cuBLAS
    // heuristics choose per shape; NVIDIA Matrix Multiplication guide, "Tile quantization").
    // Multiplications by reciprocals (this runs for every GEMM of every plan the planner meets);
    // a ratio that is an integer but for rounding must not ceil to the next one.
    const double inv_sm = 1.0 / gpu.sm_count, inv_tm = 1.0 / a.tile_m, inv_tn = 1.0 / a.tile_n;
    auto ceil_ratio = [](double x) { return std::ceil(x * (1.0 - 1e-12)); };
    auto wave_eff = [&](double inv_a, double inv_b) {
      const double tiles = ceil_ratio(g.m * inv_a) * ceil_ratio(g.n * inv_b) * batch;
      const double waves = ceil_ratio(tiles * inv_sm);
      return tiles / (waves * gpu.sm_count);
    };
    const double big = std::max(wave_eff(inv_tm, inv_tn), wave_eff(inv_tn, inv_tm));
    const double half = 0.95 * std::max(wave_eff(2.0 * inv_tm, inv_tn), wave_eff(inv_tm, 2.0 * inv_tn));
    wave = std::max(big, half);
    // Each output tile pays a fixed prologue/epilogue that its K loop amortises: η ∝ k / (k + k0)
    // (NVIDIA Matrix Multiplication guide: efficiency grows with K at fixed M, N).
    wave *= g.k / (g.k + a.gemm_k_half);
  }
  const Seconds compute = flop(g.flops() * batch) / (effective_peak(gpu, p) * (eta * wave));
  const double elem = element_bytes(p == Precision::kFp8 ? Precision::kFp8 : activation_precision(p));
  const Bytes bytes = B(batch * (elem * (g.m * g.k + g.k * g.n) + 2.0 * g.m * g.n));
  const Seconds memory = bytes / (gpu.memory_bandwidth * a.memory_efficiency);
  return std::max(compute, memory) + a.kernel_overhead;
}

Seconds memory_bound_time(Bytes bytes, double kernels, const GpuSpec& gpu, const Calibration& cal) noexcept {
  return bytes / (gpu.memory_bandwidth * cal.arch.memory_efficiency) + cal.arch.kernel_overhead * kernels;
}

Seconds flash_attention_time(double flops, Precision p, const GpuSpec& gpu, const Calibration& cal) noexcept {
  if (flops <= 0) return Seconds{};
  return flop(flops) / (effective_peak(gpu, activation_precision(p)) * cal.arch.attention_efficiency) + cal.arch.kernel_overhead;
}

}  // namespace trainplan
