#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "profiler/benches.hpp"
#include "profiler/cuda_check.hpp"
#include "profiler/kernels.hpp"

namespace trainplan::profiler {

namespace {

struct DeviceAlloc {
  void* p = nullptr;
  explicit DeviceAlloc(size_t bytes) {
    if (cudaMalloc(&p, bytes) != cudaSuccess) {
      cudaGetLastError();
      p = nullptr;
    }
  }
  ~DeviceAlloc() {
    if (p) cudaFree(p);
  }
  DeviceAlloc(const DeviceAlloc&) = delete;
  DeviceAlloc& operator=(const DeviceAlloc&) = delete;
};

}  // namespace

std::vector<MemoryBoundRow> run_memory_bench(const BenchContext& ctx, const std::vector<MemoryCase>& cases) {
  std::vector<MemoryBoundRow> rows;
  for (const MemoryCase& c : cases) {
    const std::int64_t n = c.rows * c.cols;
    const bool adam = c.kernel == MemoryKernel::kAdam;
    const size_t elem = adam ? 4 : 2;
    const size_t bytes = static_cast<size_t>(n) * elem;
    const std::string label = std::string(memory_kernel_name(c.kernel)) + " " + std::to_string(c.rows) + "x" + std::to_string(c.cols);
    DeviceAlloc x(bytes), y(bytes), z(bytes), w(adam ? bytes : static_cast<size_t>(c.cols) * 4 * 2);
    if (!x.p || !y.p || !z.p || !w.p) {
      ctx.note(label + " skipped: out of device memory");
      continue;
    }
    const auto ft = adam ? kernels::FillType::kFp32 : kernels::FillType::kBf16;
    kernels::fill(x.p, n, ft, 1.0f, 3, ctx.stream);
    kernels::fill(y.p, n, ft, 1.0f, 4, ctx.stream);
    if (adam) {
      kernels::fill(z.p, n, ft, 0.01f, 5, ctx.stream);
      TP_CUDA(cudaMemsetAsync(w.p, 0, bytes, ctx.stream));
    } else {
      kernels::fill(w.p, 2 * c.cols, kernels::FillType::kFp32, 1.0f, 6, ctx.stream);
    }
    const float* wf = static_cast<const float*>(w.p);
    int step = 1;
    std::function<void()> work;
    switch (c.kernel) {
      case MemoryKernel::kRmsNorm: work = [&] { kernels::rmsnorm(x.p, wf, y.p, c.rows, c.cols, ctx.stream); }; break;
      case MemoryKernel::kLayerNorm: work = [&] { kernels::layernorm(x.p, wf, wf + c.cols, y.p, c.rows, c.cols, ctx.stream); }; break;
      case MemoryKernel::kGelu: work = [&] { kernels::gelu(x.p, y.p, n, ctx.stream); }; break;
      case MemoryKernel::kAdd: work = [&] { kernels::add(x.p, y.p, z.p, n, ctx.stream); }; break;
      case MemoryKernel::kSwiglu: work = [&] { kernels::swiglu(x.p, y.p, z.p, n, ctx.stream); }; break;
      case MemoryKernel::kSoftmax: work = [&] { kernels::softmax(x.p, y.p, c.rows, c.cols, 1.0f, false, ctx.stream); }; break;
      case MemoryKernel::kAdam:
        // param x, grad y, m z, v w
        work = [&] {
          kernels::adam(static_cast<float*>(x.p), static_cast<const float*>(y.p), static_cast<float*>(z.p), static_cast<float*>(w.p), n,
                        1e-4f, 0.9f, 0.95f, 1e-8f, 0.1f, step++, ctx.stream);
        };
        break;
      case MemoryKernel::kCopy: work = [&] { TP_CUDA(cudaMemcpyAsync(y.p, x.p, bytes, cudaMemcpyDeviceToDevice, ctx.stream)); }; break;
    }
    const Timing probe = ctx.timer->time(work, 1, ctx.stream);
    const int iters = iterations_for(probe.seconds, ctx.target_seconds(), 3, 100);
    const Timing t = ctx.timer->time(work, iters, ctx.stream);
    if (!(t.seconds > 0)) continue;
    const std::int64_t moved = memory_kernel_bytes(c.kernel, c.rows, c.cols);
    rows.push_back(
        {c.kernel, c.rows, c.cols, adam ? "fp32" : "bf16", moved, t.seconds * 1e6, static_cast<double>(moved) / t.seconds / 1e9});
  }
  return rows;
}

std::vector<CopyRow> run_copy_bench(const BenchContext& ctx) {
  std::vector<CopyRow> rows;
  const std::vector<std::int64_t> sizes =
      ctx.quick ? std::vector<std::int64_t>{1 << 24, 1 << 28} : std::vector<std::int64_t>{1 << 20, 1 << 24, 1 << 28, std::int64_t{1} << 30};
  const std::int64_t biggest = sizes.back();
  DeviceAlloc dev(static_cast<size_t>(biggest)), dev2(static_cast<size_t>(biggest));
  if (!dev.p || !dev2.p) {
    ctx.note("copies skipped: cannot allocate " + std::to_string(biggest) + " device bytes");
    return rows;
  }
  void* pinned = nullptr;
  TP_CUDA(cudaMallocHost(&pinned, static_cast<size_t>(biggest)));
  void* pageable = std::malloc(static_cast<size_t>(biggest));
  if (!pageable) {
    cudaFreeHost(pinned);
    throw CudaFailure("cannot allocate pageable host memory for the copy test");
  }
  std::memset(pinned, 1, static_cast<size_t>(biggest));
  std::memset(pageable, 1, static_cast<size_t>(biggest));  // fault the pages in first

  // Wall clock around synchronous cudaMemcpy: what a framework sees, staging copies included.
  auto time_copy = [&](void* dst, const void* src, size_t bytes, cudaMemcpyKind kind) {
    TP_CUDA(cudaMemcpy(dst, src, bytes, kind));  // warm-up
    const int iters = bytes >= (size_t{1} << 28) ? 5 : 20;
    const auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < iters; ++i) TP_CUDA(cudaMemcpy(dst, src, bytes, kind));
    TP_CUDA(cudaDeviceSynchronize());
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() / iters;
  };
  for (std::int64_t size : sizes) {
    const size_t b = static_cast<size_t>(size);
    struct Kind {
      const char* direction;
      const char* host;
      void* dst;
      const void* src;
      cudaMemcpyKind kind;
    };
    const Kind kinds[] = {{"h2d", "pinned", dev.p, pinned, cudaMemcpyHostToDevice},
                          {"d2h", "pinned", pinned, dev.p, cudaMemcpyDeviceToHost},
                          {"h2d", "pageable", dev.p, pageable, cudaMemcpyHostToDevice},
                          {"d2h", "pageable", pageable, dev.p, cudaMemcpyDeviceToHost},
                          {"d2d", "device", dev2.p, dev.p, cudaMemcpyDeviceToDevice}};
    for (const Kind& k : kinds) {
      const double s = time_copy(k.dst, k.src, b, k.kind);
      if (!(s > 0)) continue;
      rows.push_back({k.direction, k.host, size, s * 1e6, static_cast<double>(size) / s / 1e9});
    }
  }
  std::free(pageable);
  cudaFreeHost(pinned);
  return rows;
}

}  // namespace trainplan::profiler
