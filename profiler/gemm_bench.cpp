#include <cstdio>
#include <memory>

#include "profiler/benches.hpp"
#include "profiler/cuda_check.hpp"
#include "profiler/kernels.hpp"
#include "profiler/lt_matmul.hpp"

namespace trainplan::profiler {

size_t free_device_bytes() {
  size_t free = 0, total = 0;
  TP_CUDA(cudaMemGetInfo(&free, &total));
  return free;
}

namespace {

kernels::FillType fill_type(DType d) {
  switch (d) {
    case DType::kBf16: return kernels::FillType::kBf16;
    case DType::kFp16: return kernels::FillType::kFp16;
    case DType::kFp8: return kernels::FillType::kFp8E4M3;
  }
  return kernels::FillType::kBf16;
}

// A device buffer that grows on demand; false when the allocation fails.
class DeviceBuffer {
 public:
  ~DeviceBuffer() { release(); }
  bool reserve(size_t bytes) {
    if (bytes <= bytes_) return true;
    release();
    if (cudaMalloc(&ptr_, bytes) != cudaSuccess) {
      cudaGetLastError();  // clear the sticky-free error state
      ptr_ = nullptr;
      return false;
    }
    bytes_ = bytes;
    return true;
  }
  void release() {
    if (ptr_) cudaFree(ptr_);
    ptr_ = nullptr;
    bytes_ = 0;
  }
  void* get() const { return ptr_; }
  size_t bytes() const { return bytes_; }

 private:
  void* ptr_ = nullptr;
  size_t bytes_ = 0;
};

}  // namespace

std::vector<GemmRow> run_gemm_bench(const BenchContext& ctx, const std::vector<GemmCase>& cases) {
  std::vector<GemmRow> rows;
  cublasLtHandle_t handle = nullptr;
  if (cublasLtCreate(&handle) != CUBLAS_STATUS_SUCCESS) throw CudaFailure("cublasLtCreate failed");
  std::unique_ptr<cublasLtContext, decltype(&cublasLtDestroy)> guard(handle, &cublasLtDestroy);

  constexpr size_t kWorkspace = size_t{32} << 20;  // what Megatron/TE give cuBLASLt on Hopper
  DeviceBuffer workspace, a, b, d;
  if (!workspace.reserve(kWorkspace)) throw CudaFailure("cannot allocate the cuBLASLt workspace");

  DType filled = DType::kBf16;
  bool valid = false;  // whether a and b hold values of `filled`
  size_t skipped = 0;
  for (size_t i = 0; i < cases.size(); ++i) {
    const GemmCase& c = cases[i];
    if (i % 50 == 0) std::fprintf(stderr, "trainplan-profile: gemm %zu/%zu\n", i, cases.size());
    const size_t in = static_cast<size_t>(dtype_bytes(c.dtype));
    const size_t a_bytes = static_cast<size_t>(c.m * c.k) * in, b_bytes = static_cast<size_t>(c.k * c.n) * in;
    const size_t d_bytes = static_cast<size_t>(c.m * c.n) * 2;
    const bool grew = a_bytes > a.bytes() || b_bytes > b.bytes();
    if (!a.reserve(a_bytes) || !b.reserve(b_bytes) || !d.reserve(d_bytes)) {
      ++skipped;
      ctx.note("gemm " + std::to_string(c.m) + "x" + std::to_string(c.n) + "x" + std::to_string(c.k) + " " +
               std::string(dtype_name(c.dtype)) + " skipped: out of device memory");
      a.release();
      b.release();
      d.release();
      valid = false;
      continue;
    }
    if (grew || !valid || filled != c.dtype) {
      // Values in [-1, 1] keep the tensor cores' power draw realistic (zeros would flatter clocks).
      kernels::fill(a.get(), static_cast<std::int64_t>(a.bytes() / in), fill_type(c.dtype), 1.0f, 1, ctx.stream);
      kernels::fill(b.get(), static_cast<std::int64_t>(b.bytes() / in), fill_type(c.dtype), 1.0f, 2, ctx.stream);
      filled = c.dtype;
      valid = true;
    }
    LtShape shape;
    shape.m = c.m;
    shape.n = c.n;
    shape.k = c.k;
    shape.dtype = c.dtype;
    shape.fast_accum = c.dtype == DType::kFp8 && c.pass == GemmPass::kForward;
    LtMatmul mm(handle, shape, workspace.get(), workspace.bytes());
    if (!mm.ok()) {
      ++skipped;
      ctx.note("gemm " + std::to_string(c.m) + "x" + std::to_string(c.n) + "x" + std::to_string(c.k) + " " +
               std::string(dtype_name(c.dtype)) + " skipped: " + mm.error());
      continue;
    }
    auto work = [&] { mm.run(a.get(), b.get(), d.get(), ctx.stream); };
    const Timing probe = ctx.timer->time(work, 1, ctx.stream);
    const int iters = iterations_for(probe.seconds, ctx.target_seconds(), 3, ctx.quick ? 20 : 100);
    const Timing t = ctx.timer->time(work, iters, ctx.stream);
    if (!(t.seconds > 0)) continue;
    rows.push_back({c.m, c.n, c.k, c.dtype, c.flops() / t.seconds / 1e12, t.seconds * 1e6, c.op, c.pass});
  }
  if (skipped) std::fprintf(stderr, "trainplan-profile: %zu GEMM cases skipped (see method.notes)\n", skipped);
  return rows;
}

}  // namespace trainplan::profiler
