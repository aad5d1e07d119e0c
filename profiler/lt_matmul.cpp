#include "profiler/lt_matmul.hpp"

#include "profiler/cuda_check.hpp"

namespace trainplan::profiler {

namespace {

cudaDataType_t input_type(DType d) {
  switch (d) {
    case DType::kBf16: return CUDA_R_16BF;
    case DType::kFp16: return CUDA_R_16F;
    case DType::kFp8: return CUDA_R_8F_E4M3;
  }
  return CUDA_R_16BF;
}

// FP8 GEMMs write bf16 (as Transformer Engine does); the others write their input type.
cudaDataType_t output_type(DType d) { return d == DType::kFp8 ? CUDA_R_16BF : input_type(d); }

bool set_batch(cublasLtMatrixLayout_t layout, int batch, std::int64_t stride) {
  if (batch <= 1) return true;
  return cublasLtMatrixLayoutSetAttribute(layout, CUBLASLT_MATRIX_LAYOUT_BATCH_COUNT, &batch, sizeof batch) == CUBLAS_STATUS_SUCCESS &&
         cublasLtMatrixLayoutSetAttribute(layout, CUBLASLT_MATRIX_LAYOUT_STRIDED_BATCH_OFFSET, &stride, sizeof stride) ==
             CUBLAS_STATUS_SUCCESS;
}

}  // namespace

LtMatmul::LtMatmul(cublasLtHandle_t handle, const LtShape& s, void* workspace, size_t workspace_bytes)
    : handle_(handle), shape_(s), workspace_(workspace), workspace_bytes_(workspace_bytes) {
  auto fail = [&](const char* what, cublasStatus_t st) { error_ = std::string(what) + ": " + cublasLtGetStatusString(st); };
  cublasStatus_t st = cublasLtMatmulDescCreate(&op_, CUBLAS_COMPUTE_32F, CUDA_R_32F);
  if (st != CUBLAS_STATUS_SUCCESS) {
    fail("cublasLtMatmulDescCreate", st);
    return;
  }
  const cublasOperation_t ta = s.transa ? CUBLAS_OP_T : CUBLAS_OP_N;
  const cublasOperation_t tb = s.transb ? CUBLAS_OP_T : CUBLAS_OP_N;
  cublasLtMatmulDescSetAttribute(op_, CUBLASLT_MATMUL_DESC_TRANSA, &ta, sizeof ta);
  cublasLtMatmulDescSetAttribute(op_, CUBLASLT_MATMUL_DESC_TRANSB, &tb, sizeof tb);
  if (s.dtype == DType::kFp8) {
    const int8_t fast = s.fast_accum ? 1 : 0;
    cublasLtMatmulDescSetAttribute(op_, CUBLASLT_MATMUL_DESC_FAST_ACCUM, &fast, sizeof fast);
  }

  const std::uint64_t a_rows = s.transa ? s.k : s.m, a_cols = s.transa ? s.m : s.k;
  const std::uint64_t b_rows = s.transb ? s.n : s.k, b_cols = s.transb ? s.k : s.n;
  const std::int64_t lda = s.lda ? s.lda : static_cast<std::int64_t>(a_rows);
  const std::int64_t ldb = s.ldb ? s.ldb : static_cast<std::int64_t>(b_rows);
  const std::int64_t ldd = s.ldd ? s.ldd : s.m;
  if ((st = cublasLtMatrixLayoutCreate(&a_, input_type(s.dtype), a_rows, a_cols, lda)) != CUBLAS_STATUS_SUCCESS) {
    fail("cublasLtMatrixLayoutCreate(A)", st);
    return;
  }
  if ((st = cublasLtMatrixLayoutCreate(&b_, input_type(s.dtype), b_rows, b_cols, ldb)) != CUBLAS_STATUS_SUCCESS) {
    fail("cublasLtMatrixLayoutCreate(B)", st);
    return;
  }
  if ((st = cublasLtMatrixLayoutCreate(&c_, output_type(s.dtype), s.m, s.n, ldd)) != CUBLAS_STATUS_SUCCESS) {
    fail("cublasLtMatrixLayoutCreate(C)", st);
    return;
  }
  if ((st = cublasLtMatrixLayoutCreate(&d_, output_type(s.dtype), s.m, s.n, ldd)) != CUBLAS_STATUS_SUCCESS) {
    fail("cublasLtMatrixLayoutCreate(D)", st);
    return;
  }
  if (!set_batch(a_, s.batch, s.stride_a) || !set_batch(b_, s.batch, s.stride_b) || !set_batch(c_, s.batch, s.stride_d) ||
      !set_batch(d_, s.batch, s.stride_d)) {
    error_ = "cublasLtMatrixLayoutSetAttribute(batch) failed";
    return;
  }

  cublasLtMatmulPreference_t pref = nullptr;
  cublasLtMatmulPreferenceCreate(&pref);
  cublasLtMatmulPreferenceSetAttribute(pref, CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES, &workspace_bytes_, sizeof workspace_bytes_);
  cublasLtMatmulHeuristicResult_t result{};
  int found = 0;
  st = cublasLtMatmulAlgoGetHeuristic(handle_, op_, a_, b_, c_, d_, pref, 1, &result, &found);
  cublasLtMatmulPreferenceDestroy(pref);
  if (st != CUBLAS_STATUS_SUCCESS || found == 0) {
    error_ = std::string("no cuBLASLt algorithm: ") + cublasLtGetStatusString(st);
    return;
  }
  algo_ = result.algo;
  ok_ = true;
}

LtMatmul::~LtMatmul() {
  if (d_) cublasLtMatrixLayoutDestroy(d_);
  if (c_) cublasLtMatrixLayoutDestroy(c_);
  if (b_) cublasLtMatrixLayoutDestroy(b_);
  if (a_) cublasLtMatrixLayoutDestroy(a_);
  if (op_) cublasLtMatmulDescDestroy(op_);
}

void LtMatmul::run(const void* a, const void* b, void* d, cudaStream_t stream) const {
  const float beta = 0.0f;
  const cublasStatus_t st =
      cublasLtMatmul(handle_, op_, &shape_.alpha, a, a_, b, b_, &beta, d, c_, d, d_, &algo_, workspace_, workspace_bytes_, stream);
  if (st != CUBLAS_STATUS_SUCCESS) throw CudaFailure(std::string("cublasLtMatmul failed: ") + cublasLtGetStatusString(st));
}

}  // namespace trainplan::profiler
