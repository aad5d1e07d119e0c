#include "profiler/kernels.hpp"

#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_fp8.h>

#include "profiler/cuda_check.hpp"

namespace trainplan::profiler::kernels {

namespace {

using bf16 = __nv_bfloat16;

__device__ inline float hash_unit(std::uint64_t i, std::uint32_t seed) {
  std::uint64_t x = i * 0x9E3779B97F4A7C15ull + seed * 0xBF58476D1CE4E5B9ull;
  x ^= x >> 31;
  x *= 0x94D049BB133111EBull;
  x ^= x >> 29;
  return static_cast<float>(x & 0xFFFFFF) / static_cast<float>(0xFFFFFF) * 2.0f - 1.0f;  // [-1, 1]
}

__global__ void fill_kernel(void* data, std::int64_t n, int type, float scale, std::uint32_t seed) {
  for (std::int64_t i = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<std::int64_t>(gridDim.x) * blockDim.x) {
    const float v = hash_unit(static_cast<std::uint64_t>(i), seed) * scale;
    switch (type) {
      case 0: static_cast<bf16*>(data)[i] = __float2bfloat16(v); break;
      case 1: static_cast<__half*>(data)[i] = __float2half(v); break;
      case 2: static_cast<__nv_fp8_e4m3*>(data)[i] = __nv_fp8_e4m3(v); break;
      default: static_cast<float*>(data)[i] = v; break;
    }
  }
}

constexpr int kThreads = 256;

int grid_for(std::int64_t n) {
  const std::int64_t blocks = (n + kThreads - 1) / kThreads;
  return static_cast<int>(blocks < 65536 * 16 ? blocks : 65536 * 16);
}

// Sum over the block (kThreads threads); every thread gets the result.
__device__ float block_sum(float v) {
  __shared__ float warp_sums[kThreads / 32];
  for (int o = 16; o > 0; o /= 2) v += __shfl_xor_sync(0xffffffffu, v, o);
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  __syncthreads();
  if (lane == 0) warp_sums[warp] = v;
  __syncthreads();
  float total = 0;
  for (int w = 0; w < kThreads / 32; ++w) total += warp_sums[w];
  return total;
}

__device__ float block_max(float v) {
  __shared__ float warp_max[kThreads / 32];
  for (int o = 16; o > 0; o /= 2) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o));
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  __syncthreads();
  if (lane == 0) warp_max[warp] = v;
  __syncthreads();
  float m = -INFINITY;
  for (int w = 0; w < kThreads / 32; ++w) m = fmaxf(m, warp_max[w]);
  return m;
}

__global__ void rmsnorm_kernel(const bf16* x, const float* w, bf16* y, std::int64_t cols) {
  const bf16* row = x + blockIdx.x * cols;
  bf16* out = y + blockIdx.x * cols;
  float ss = 0;
  for (std::int64_t c = threadIdx.x; c < cols; c += blockDim.x) {
    const float v = __bfloat162float(row[c]);
    ss += v * v;
  }
  const float inv = rsqrtf(block_sum(ss) / static_cast<float>(cols) + 1e-6f);
  for (std::int64_t c = threadIdx.x; c < cols; c += blockDim.x)
    out[c] = __float2bfloat16(__bfloat162float(row[c]) * inv * w[c]);
}

__global__ void layernorm_kernel(const bf16* x, const float* w, const float* b, bf16* y, std::int64_t cols) {
  const bf16* row = x + blockIdx.x * cols;
  bf16* out = y + blockIdx.x * cols;
  float s = 0, ss = 0;
  for (std::int64_t c = threadIdx.x; c < cols; c += blockDim.x) {
    const float v = __bfloat162float(row[c]);
    s += v;
    ss += v * v;
  }
  const float mean = block_sum(s) / static_cast<float>(cols);
  const float var = block_sum(ss) / static_cast<float>(cols) - mean * mean;
  const float inv = rsqrtf(fmaxf(var, 0.f) + 1e-5f);
  for (std::int64_t c = threadIdx.x; c < cols; c += blockDim.x)
    out[c] = __float2bfloat16((__bfloat162float(row[c]) - mean) * inv * w[c] + b[c]);
}

// Elementwise kernels move bf16 pairs (4 bytes) per thread step.
__global__ void gelu_kernel(const __nv_bfloat162* x, __nv_bfloat162* y, std::int64_t n2) {
  for (std::int64_t i = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x; i < n2;
       i += static_cast<std::int64_t>(gridDim.x) * blockDim.x) {
    const float2 v = __bfloat1622float2(x[i]);
    auto g = [](float a) { return 0.5f * a * (1.f + tanhf(0.7978845608f * (a + 0.044715f * a * a * a))); };
    y[i] = __floats2bfloat162_rn(g(v.x), g(v.y));
  }
}

__global__ void add_kernel(const __nv_bfloat162* a, const __nv_bfloat162* b, __nv_bfloat162* y, std::int64_t n2) {
  for (std::int64_t i = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x; i < n2;
       i += static_cast<std::int64_t>(gridDim.x) * blockDim.x)
    y[i] = __hadd2(a[i], b[i]);
}

__global__ void swiglu_kernel(const __nv_bfloat162* gate, const __nv_bfloat162* up, __nv_bfloat162* y, std::int64_t n2) {
  for (std::int64_t i = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x; i < n2;
       i += static_cast<std::int64_t>(gridDim.x) * blockDim.x) {
    const float2 g = __bfloat1622float2(gate[i]);
    const float2 u = __bfloat1622float2(up[i]);
    y[i] = __floats2bfloat162_rn(g.x / (1.f + __expf(-g.x)) * u.x, g.y / (1.f + __expf(-g.y)) * u.y);
  }
}

__global__ void softmax_kernel(const bf16* x, bf16* y, std::int64_t cols, float scale, bool causal) {
  const bf16* row = x + blockIdx.x * cols;
  bf16* out = y + blockIdx.x * cols;
  const std::int64_t limit = causal ? (blockIdx.x % cols) + 1 : cols;
  float m = -INFINITY;
  for (std::int64_t c = threadIdx.x; c < limit; c += blockDim.x) m = fmaxf(m, __bfloat162float(row[c]) * scale);
  m = block_max(m);
  float s = 0;
  for (std::int64_t c = threadIdx.x; c < limit; c += blockDim.x) s += __expf(__bfloat162float(row[c]) * scale - m);
  const float inv = 1.f / block_sum(s);
  for (std::int64_t c = threadIdx.x; c < cols; c += blockDim.x)
    out[c] = __float2bfloat16(c < limit ? __expf(__bfloat162float(row[c]) * scale - m) * inv : 0.f);
}

__global__ void softmax_backward_kernel(const bf16* y, const bf16* dy, bf16* dx, std::int64_t cols) {
  const bf16* yr = y + blockIdx.x * cols;
  const bf16* dyr = dy + blockIdx.x * cols;
  bf16* dxr = dx + blockIdx.x * cols;
  float dot = 0;
  for (std::int64_t c = threadIdx.x; c < cols; c += blockDim.x) dot += __bfloat162float(yr[c]) * __bfloat162float(dyr[c]);
  dot = block_sum(dot);
  for (std::int64_t c = threadIdx.x; c < cols; c += blockDim.x)
    dxr[c] = __float2bfloat16(__bfloat162float(yr[c]) * (__bfloat162float(dyr[c]) - dot));
}

__global__ void adam_kernel(float* p, const float* g, float* m, float* v, std::int64_t n, float lr, float b1, float b2,
                            float eps, float wd, float bc1, float bc2) {
  for (std::int64_t i = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<std::int64_t>(gridDim.x) * blockDim.x) {
    const float gi = g[i];
    const float mi = b1 * m[i] + (1.f - b1) * gi;
    const float vi = b2 * v[i] + (1.f - b2) * gi * gi;
    m[i] = mi;
    v[i] = vi;
    const float pi = p[i];
    p[i] = pi - lr * ((mi / bc1) / (sqrtf(vi / bc2) + eps) + wd * pi);
  }
}

void check_launch() { TP_CUDA(cudaGetLastError()); }

}  // namespace

void fill(void* data, std::int64_t n, FillType type, float scale, std::uint32_t seed, cudaStream_t stream) {
  fill_kernel<<<grid_for(n), kThreads, 0, stream>>>(data, n, static_cast<int>(type), scale, seed);
  check_launch();
}

void rmsnorm(const void* x, const float* w, void* y, std::int64_t rows, std::int64_t cols, cudaStream_t stream) {
  rmsnorm_kernel<<<static_cast<unsigned>(rows), kThreads, 0, stream>>>(static_cast<const bf16*>(x), w, static_cast<bf16*>(y), cols);
  check_launch();
}

void layernorm(const void* x, const float* w, const float* b, void* y, std::int64_t rows, std::int64_t cols,
               cudaStream_t stream) {
  layernorm_kernel<<<static_cast<unsigned>(rows), kThreads, 0, stream>>>(static_cast<const bf16*>(x), w, b,
                                                                        static_cast<bf16*>(y), cols);
  check_launch();
}

void gelu(const void* x, void* y, std::int64_t n, cudaStream_t stream) {
  gelu_kernel<<<grid_for(n / 2), kThreads, 0, stream>>>(static_cast<const __nv_bfloat162*>(x),
                                                        static_cast<__nv_bfloat162*>(y), n / 2);
  check_launch();
}

void add(const void* a, const void* b, void* y, std::int64_t n, cudaStream_t stream) {
  add_kernel<<<grid_for(n / 2), kThreads, 0, stream>>>(static_cast<const __nv_bfloat162*>(a),
                                                       static_cast<const __nv_bfloat162*>(b),
                                                       static_cast<__nv_bfloat162*>(y), n / 2);
  check_launch();
}

void swiglu(const void* gate, const void* up, void* y, std::int64_t n, cudaStream_t stream) {
  swiglu_kernel<<<grid_for(n / 2), kThreads, 0, stream>>>(static_cast<const __nv_bfloat162*>(gate),
                                                          static_cast<const __nv_bfloat162*>(up),
                                                          static_cast<__nv_bfloat162*>(y), n / 2);
  check_launch();
}

void softmax(const void* x, void* y, std::int64_t rows, std::int64_t cols, float scale, bool causal, cudaStream_t stream) {
  softmax_kernel<<<static_cast<unsigned>(rows), kThreads, 0, stream>>>(static_cast<const bf16*>(x), static_cast<bf16*>(y),
                                                                      cols, scale, causal);
  check_launch();
}

void softmax_backward(const void* y, const void* dy, void* dx, std::int64_t rows, std::int64_t cols, cudaStream_t stream) {
  softmax_backward_kernel<<<static_cast<unsigned>(rows), kThreads, 0, stream>>>(
      static_cast<const bf16*>(y), static_cast<const bf16*>(dy), static_cast<bf16*>(dx), cols);
  check_launch();
}

void adam(float* param, const float* grad, float* m, float* v, std::int64_t n, float lr, float beta1, float beta2,
          float eps, float weight_decay, int step, cudaStream_t stream) {
  const float bc1 = 1.f - powf(beta1, static_cast<float>(step));
  const float bc2 = 1.f - powf(beta2, static_cast<float>(step));
  adam_kernel<<<grid_for(n), kThreads, 0, stream>>>(param, grad, m, v, n, lr, beta1, beta2, eps, weight_decay, bc1, bc2);
  check_launch();
}

}  // namespace trainplan::profiler::kernels
