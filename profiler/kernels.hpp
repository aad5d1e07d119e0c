// The profiler's own CUDA kernels (kernels.cu), callable from host C++: buffer fills for the GEMM
// inputs, and the memory-bound kernels of a transformer step whose bandwidth it measures. Simple,
// one-pass-per-row implementations such as a framework's fused kernels approach; bf16 activations,
// fp32 statistics and optimizer states.
#pragma once

#include <cstdint>

#include <cuda_runtime.h>

namespace trainplan::profiler::kernels {

enum class FillType { kBf16, kFp16, kFp8E4M3, kFp32 };
// Pseudo-random values in [-scale, scale] (a hash of the index and seed).
void fill(void* data, std::int64_t n, FillType type, float scale, std::uint32_t seed, cudaStream_t stream);

// y = x / rms(x) · w, rows of `cols` (bf16 x and y, fp32 w).
void rmsnorm(const void* x, const float* w, void* y, std::int64_t rows, std::int64_t cols, cudaStream_t stream);
// y = (x - mean) / std · w + b.
void layernorm(const void* x, const float* w, const float* b, void* y, std::int64_t rows, std::int64_t cols, cudaStream_t stream);
// y = gelu(x) (tanh approximation), n elements.
void gelu(const void* x, void* y, std::int64_t n, cudaStream_t stream);
// y = a + b.
void add(const void* a, const void* b, void* y, std::int64_t n, cudaStream_t stream);
// y = silu(gate) · up, n output elements.
void swiglu(const void* gate, const void* up, void* y, std::int64_t n, cudaStream_t stream);
// Row softmax of `cols`-wide rows, in place allowed; causal masks column j > (row % cols).
void softmax(const void* x, void* y, std::int64_t rows, std::int64_t cols, float scale, bool causal, cudaStream_t stream);
// dx = y ⊙ (dy − Σ dy⊙y) per row (softmax backward), in place on dy allowed.
void softmax_backward(const void* y, const void* dy, void* dx, std::int64_t rows, std::int64_t cols, cudaStream_t stream);
// One AdamW step over n fp32 parameters.
void adam(float* param, const float* grad, float* m, float* v, std::int64_t n, float lr, float beta1, float beta2, float eps,
          float weight_decay, int step, cudaStream_t stream);

}  // namespace trainplan::profiler::kernels
