// Which GEMMs, attention problems and memory-bound kernels the profiler measures.
//
// The GEMMs are those of a Megatron-style transformer layer split over TP ranks, for a handful of
// catalog models (configs/models/*.json; copied here because the profiler reads no JSON) and token
// counts m = micro-batch × sequence. Per linear layer Y[m,n] = X[m,k]·W[k,n] the step runs three GEMMs:
//
//   forward  Y  = X · W        (m, n, k)
//   dgrad    dX = dY · Wᵀ      (m, k, n)
//   wgrad    dW = Xᵀ · dY      (k, n, m)
//
// Column-parallel layers (QKV, MLP up/gate) split n by TP; row-parallel ones (attention out, MLP down)
// split k; the logits split the (padded) vocabulary.
//
//   ShapePlan plan = default_shape_plan(/*quick=*/false, /*fp8=*/true);
//   for (const GemmCase& g : enumerate_gemm_cases(plan)) ...   // unique (m, n, k, dtype)
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace trainplan::profiler {

enum class DType { kBf16, kFp16, kFp8 };
// "bf16", "fp16", "fp8" (the precision names of the model's calibration reader).
std::string_view dtype_name(DType d) noexcept;
int dtype_bytes(DType d) noexcept;  // element size of the GEMM inputs

enum class GemmPass { kForward, kDgrad, kWgrad };
std::string_view pass_name(GemmPass p) noexcept;  // "fwd", "dgrad", "wgrad"

struct ModelShape {
  std::string name;
  std::int64_t hidden = 0;
  int heads = 0;
  int kv_heads = 0;           // = heads for MHA
  std::int64_t head_dim = 0;  // 0: hidden / heads (query width = hidden)
  std::int64_t ffn = 0;
  std::int64_t vocab = 0;
  bool gated = false;  // SwiGLU: gate and up projections
};

// One linear layer's GEMM as the step runs it.
struct LayerGemm {
  std::string op;  // "qkv", "attn_out", "mlp_up", "mlp_gate", "mlp_up_gate", "mlp_down", "logits"
  GemmPass pass = GemmPass::kForward;
  std::int64_t m = 0, n = 0, k = 0;
  friend bool operator==(const LayerGemm&, const LayerGemm&) = default;
};

// Megatron pads the vocabulary to a multiple of 128·TP (--make-vocab-size-divisible-by 128).
std::int64_t padded_vocab(std::int64_t vocab, int tp) noexcept;

// Why a model cannot be split over tp ranks (heads, KV heads or FFN not divisible), or nullopt.
std::optional<std::string> tp_split_problem(const ModelShape& model, int tp);

// The GEMMs of one layer (plus the logits) for `tokens` rows on one of `tp` ranks, forward then the
// two backward GEMMs per op. Empty when tp_split_problem says so.
std::vector<LayerGemm> layer_gemms(const ModelShape& model, std::int64_t tokens, int tp);

struct ShapePlan {
  std::vector<ModelShape> models;
  std::vector<std::int64_t> tokens;  // m = micro-batch × sequence
  std::vector<int> tps;
  std::vector<DType> dtypes;
};

// The catalog models measured (gpt3-350m, gpt3-1.3b, llama3-8b, llama3-70b, gpt3-175b, llama3-405b).
std::vector<ModelShape> catalog_model_shapes();
// Full: all models, m in {2048, 4096, 8192, 16384}, TP 1, 2, 4, 8, bf16 + fp16 (+ fp8).
// Quick: llama3-8b and llama3-70b, m = 8192, TP 1 and 8, bf16 (+ fp8).
ShapePlan default_shape_plan(bool quick, bool fp8);

struct GemmCase {
  std::int64_t m = 0, n = 0, k = 0;
  DType dtype = DType::kBf16;
  // Where the shape first came from (later duplicates are dropped).
  std::string model;
  int tp = 1;
  std::string op;
  GemmPass pass = GemmPass::kForward;
  double flops() const noexcept { return 2.0 * static_cast<double>(m) * static_cast<double>(n) * static_cast<double>(k); }
};

// Unique (m, n, k, dtype) cases in a stable order: dtype, then model, tokens, tp, op, pass. FP8 cases
// whose dimensions are not multiples of 16 (a cuBLASLt FP8 requirement) are dropped.
std::vector<GemmCase> enumerate_gemm_cases(const ShapePlan& plan);

// Attention per GPU: heads already divided by TP; batch folded into `batch`.
struct AttentionCase {
  int batch = 1;
  int heads = 0;
  int head_dim = 0;
  std::int64_t seq = 0;
  bool causal = true;
  // Model-convention FLOPs: forward QKᵀ and PV = 4·b·heads·seq²·head_dim, halved when causal;
  // backward twice the forward (dV, dP, dQ, dK).
  double forward_flops() const noexcept;
  double backward_flops() const noexcept { return 2.0 * forward_flops(); }
  // Bytes of one seq×seq score matrix for all heads at `elem_bytes` (the unfused path keeps it).
  double score_bytes(int elem_bytes) const noexcept;
};
std::vector<AttentionCase> enumerate_attention_cases(bool quick);

enum class MemoryKernel { kRmsNorm, kLayerNorm, kGelu, kAdd, kSwiglu, kSoftmax, kAdam, kCopy };
std::string_view memory_kernel_name(MemoryKernel k) noexcept;
// Bytes the kernel must move for rows×cols elements (the minimum traffic the bandwidth is counted on):
// norms, gelu, softmax: read + write bf16 = 4 B; add: 2 reads + 1 write = 6 B; swiglu: 2 reads of
// the output size + 1 write = 6 B; Adam: fp32 param, grad, m, v read and param, m, v written = 28 B;
// copy (device to device): 2·2 B.
std::int64_t memory_kernel_bytes(MemoryKernel k, std::int64_t rows, std::int64_t cols) noexcept;

struct MemoryCase {
  MemoryKernel kernel = MemoryKernel::kCopy;
  std::int64_t rows = 0, cols = 0;
};
std::vector<MemoryCase> enumerate_memory_cases(bool quick);

}  // namespace trainplan::profiler
