#include <cmath>
#include <cstdio>
#include <memory>

#include "profiler/benches.hpp"
#include "profiler/cuda_check.hpp"
#include "profiler/kernels.hpp"
#include "profiler/lt_matmul.hpp"

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

// Row-major [seq, head_dim] per head is column-major head_dim × seq; scores row-major [s_q, s_k] are
// column-major s_k × s_q. Each product below is written in those column-major terms.
LtShape batched(std::int64_t m, std::int64_t n, std::int64_t k, bool ta, bool tb, std::int64_t lda, std::int64_t ldb, std::int64_t ldd,
                int batch, std::int64_t sa, std::int64_t sb, std::int64_t sd, float alpha) {
  LtShape s;
  s.m = m;
  s.n = n;
  s.k = k;
  s.transa = ta;
  s.transb = tb;
  s.lda = lda;
  s.ldb = ldb;
  s.ldd = ldd;
  s.batch = batch;
  s.stride_a = sa;
  s.stride_b = sb;
  s.stride_d = sd;
  s.alpha = alpha;
  return s;
}

}  // namespace

std::vector<AttentionRow> run_attention_bench(const BenchContext& ctx, const std::vector<AttentionCase>& cases) {
  std::vector<AttentionRow> rows;
  cublasLtHandle_t handle = nullptr;
  if (cublasLtCreate(&handle) != CUBLAS_STATUS_SUCCESS) throw CudaFailure("cublasLtCreate failed");
  std::unique_ptr<cublasLtContext, decltype(&cublasLtDestroy)> guard(handle, &cublasLtDestroy);
  constexpr size_t kWorkspace = size_t{32} << 20;
  DeviceAlloc workspace(kWorkspace);
  if (!workspace.p) throw CudaFailure("cannot allocate the cuBLASLt workspace");

  for (size_t i = 0; i < cases.size(); ++i) {
    const AttentionCase& c = cases[i];
    if (i % 10 == 0) std::fprintf(stderr, "trainplan-profile: attention %zu/%zu\n", i, cases.size());
    const int bh = c.batch * c.heads;
    const std::int64_t s = c.seq, d = c.head_dim;
    const size_t act = static_cast<size_t>(bh) * s * d * 2;       // one [bh, s, d] bf16 tensor
    const size_t scores = static_cast<size_t>(c.score_bytes(2));  // one [bh, s, s] bf16 tensor
    const std::string label = "attention heads " + std::to_string(c.heads) + " head_dim " + std::to_string(d) + " seq " +
                              std::to_string(s) + (c.causal ? " causal" : "");
    if (8 * act + 2 * scores > free_device_bytes() * 8 / 10) {
      ctx.note(label + " skipped: the unfused score matrices do not fit in device memory");
      continue;
    }
    DeviceAlloc q(act), k(act), v(act), o(act), dout(act), dq(act), dk(act), dv(act), p(scores), dp(scores);
    if (!q.p || !k.p || !v.p || !o.p || !dout.p || !dq.p || !dk.p || !dv.p || !p.p || !dp.p) {
      ctx.note(label + " skipped: out of device memory");
      continue;
    }
    for (void* t : {q.p, k.p, v.p, dout.p})
      kernels::fill(t, static_cast<std::int64_t>(act / 2), kernels::FillType::kBf16, 1.0f, 7, ctx.stream);

    const std::int64_t sd = s * d, ss = s * s;
    const float scale = 1.0f / std::sqrt(static_cast<float>(d));
    // S = Q·Kᵀ: column-major s_k × s_q = K_cᵀ · Q_c (TN).
    LtMatmul qk(handle, batched(s, s, d, true, false, d, d, s, bh, sd, sd, ss, 1.0f), workspace.p, kWorkspace);
    // O = P·V: column-major d × s_q = V_c · P_c (NN).
    LtMatmul pv(handle, batched(d, s, s, false, false, d, s, d, bh, sd, ss, sd, 1.0f), workspace.p, kWorkspace);
    // dV = Pᵀ·dO: d × s_k = dO_c · P_cᵀ (NT).
    LtMatmul dv_mm(handle, batched(d, s, s, false, true, d, s, d, bh, sd, ss, sd, 1.0f), workspace.p, kWorkspace);
    // dP = dO·Vᵀ: s_k × s_q = V_cᵀ · dO_c (TN).
    LtMatmul dp_mm(handle, batched(s, s, d, true, false, d, d, s, bh, sd, sd, ss, 1.0f), workspace.p, kWorkspace);
    // dQ = dS·K: d × s_q = K_c · dS_c (NN).
    LtMatmul dq_mm(handle, batched(d, s, s, false, false, d, s, d, bh, sd, ss, sd, scale), workspace.p, kWorkspace);
    // dK = dSᵀ·Q: d × s_k = Q_c · dS_cᵀ (NT).
    LtMatmul dk_mm(handle, batched(d, s, s, false, true, d, s, d, bh, sd, ss, sd, scale), workspace.p, kWorkspace);
    if (!qk.ok() || !pv.ok() || !dv_mm.ok() || !dp_mm.ok() || !dq_mm.ok() || !dk_mm.ok()) {
      ctx.note(label + " skipped: no cuBLASLt algorithm for a batched GEMM");
      continue;
    }
    const std::int64_t score_rows = static_cast<std::int64_t>(bh) * s;
    auto forward = [&] {
      qk.run(k.p, q.p, p.p, ctx.stream);
      kernels::softmax(p.p, p.p, score_rows, s, scale, c.causal, ctx.stream);
      pv.run(v.p, p.p, o.p, ctx.stream);
    };
    auto backward = [&] {
      dv_mm.run(dout.p, p.p, dv.p, ctx.stream);
      dp_mm.run(v.p, dout.p, dp.p, ctx.stream);
      kernels::softmax_backward(p.p, dp.p, dp.p, score_rows, s, ctx.stream);
      dq_mm.run(k.p, dp.p, dq.p, ctx.stream);
      dk_mm.run(q.p, dp.p, dk.p, ctx.stream);
    };
    for (int pass = 0; pass < 2; ++pass) {
      const auto& work = pass == 0 ? std::function<void()>(forward) : std::function<void()>(backward);
      if (pass == 1) forward();  // P must hold probabilities for the backward pass
      const Timing probe = ctx.timer->time(work, 1, ctx.stream);
      const int iters = iterations_for(probe.seconds, ctx.target_seconds(), 3, ctx.quick ? 10 : 50);
      const Timing t = ctx.timer->time(work, iters, ctx.stream);
      if (!(t.seconds > 0)) continue;
      const double flops = pass == 0 ? c.forward_flops() : c.backward_flops();
      rows.push_back({c, pass == 0 ? "fwd" : "bwd", DType::kBf16, t.seconds * 1e6, flops / t.seconds / 1e12});
    }
  }
  return rows;
}

}  // namespace trainplan::profiler
