// The measurement sections of trainplan-profile. Each takes the shared BenchContext, runs its cases
// on the context's GPU, appends rows, and adds a note for every case it had to skip (memory, no
// algorithm). CUDA failures throw CudaFailure.
//
//   BenchContext ctx{.device = 0, .stream = s, .timer = *timer, .quick = false};
//   std::vector<GemmRow> rows = run_gemm_bench(ctx, enumerate_gemm_cases(plan));
#pragma once

#include <string>
#include <vector>

#include <cuda_runtime.h>

#include "profiler/calibration_writer.hpp"
#include "profiler/kernel_timer.hpp"

namespace trainplan::profiler {

struct BenchContext {
  int device = 0;
  cudaStream_t stream = nullptr;
  KernelTimer* timer = nullptr;
  bool quick = false;
  std::vector<std::string>* notes = nullptr;  // skipped cases and other remarks for method.notes
  void note(std::string s) const {
    if (notes) notes->push_back(std::move(s));
  }
  double target_seconds() const { return quick ? 0.01 : 0.03; }  // timed work per case
};

// Free device memory in bytes on the current device.
size_t free_device_bytes();

std::vector<GemmRow> run_gemm_bench(const BenchContext& ctx, const std::vector<GemmCase>& cases);
// Unfused attention (see the method string): batched cuBLASLt GEMMs and the profiler's softmax.
std::vector<AttentionRow> run_attention_bench(const BenchContext& ctx, const std::vector<AttentionCase>& cases);
std::vector<MemoryBoundRow> run_memory_bench(const BenchContext& ctx, const std::vector<MemoryCase>& cases);
std::vector<CopyRow> run_copy_bench(const BenchContext& ctx);

struct CollectiveResult {
  std::vector<CollectiveRow> rows;
  std::string nccl_version;
  std::string status;  // what was measured, or why nothing was
};
// NCCL over all local GPUs in one process (ncclCommInitAll), bf16 sum, nccl-tests definitions.
CollectiveResult run_collective_bench(int device_count, bool quick);

inline const char* kAttentionMethod =
    "unfused: cuDNN frontend (fused SDPA) was not used; each problem runs as strided-batched cuBLASLt "
    "GEMMs (Q.K^T, P.V; backward dV, dP, dQ, dK) plus the profiler's row softmax kernels, scores kept "
    "in bf16. Fused flash attention is faster; read these as an upper bound on attention time.";

}  // namespace trainplan::profiler
