// One cuBLASLt matmul, planned once (descriptors, layouts, heuristic algorithm) and launched many
// times: D = alpha · op(A) · op(B), column-major as cuBLASLt counts, optionally strided-batched.
// FP8 (E4M3 inputs, bf16 output) needs sm_89+ and the TN layout (transa = T, transb = N).
//
//   LtMatmul mm(handle, {.m = 8192, .n = 4096, .k = 4096, .dtype = DType::kBf16}, workspace, ws_bytes);
//   if (mm.ok()) mm.run(a, b, d, stream);
#pragma once

#include <cstdint>
#include <string>

#include <cublasLt.h>
#include <cuda_runtime.h>

#include "profiler/shapes.hpp"

namespace trainplan::profiler {

struct LtShape {
  std::int64_t m = 0, n = 0, k = 0;
  DType dtype = DType::kBf16;
  bool transa = true, transb = false;      // TN: the layout FP8 requires
  std::int64_t lda = 0, ldb = 0, ldd = 0;  // 0: the packed leading dimension
  int batch = 1;
  std::int64_t stride_a = 0, stride_b = 0, stride_d = 0;  // elements between batch items
  float alpha = 1.0f;
  bool fast_accum = false;  // FP8 fast accumulation (Transformer Engine uses it for forward GEMMs)
};

class LtMatmul {
 public:
  LtMatmul(cublasLtHandle_t handle, const LtShape& shape, void* workspace, size_t workspace_bytes);
  ~LtMatmul();
  LtMatmul(const LtMatmul&) = delete;
  LtMatmul& operator=(const LtMatmul&) = delete;

  bool ok() const { return ok_; }
  const std::string& error() const { return error_; }
  // A is (transa ? k×m : m×k), B is (transb ? n×k : k×n), D is m×n, all column-major.
  void run(const void* a, const void* b, void* d, cudaStream_t stream) const;

 private:
  cublasLtHandle_t handle_;
  LtShape shape_;
  void* workspace_;
  size_t workspace_bytes_;
  cublasLtMatmulDesc_t op_ = nullptr;
  cublasLtMatrixLayout_t a_ = nullptr, b_ = nullptr, c_ = nullptr, d_ = nullptr;
  cublasLtMatmulAlgo_t algo_{};
  bool ok_ = false;
  std::string error_;
};

}  // namespace trainplan::profiler
