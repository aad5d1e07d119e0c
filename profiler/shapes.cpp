#include "profiler/shapes.hpp"

#include <set>
#include <tuple>

namespace trainplan::profiler {

std::string_view dtype_name(DType d) noexcept {
  switch (d) {
    case DType::kBf16: return "bf16";
    case DType::kFp16: return "fp16";
    case DType::kFp8: return "fp8";
  }
  return "?";
}

int dtype_bytes(DType d) noexcept { return d == DType::kFp8 ? 1 : 2; }

std::string_view pass_name(GemmPass p) noexcept {
  switch (p) {
    case GemmPass::kForward: return "fwd";
    case GemmPass::kDgrad: return "dgrad";
    case GemmPass::kWgrad: return "wgrad";
  }
  return "?";
}

std::int64_t padded_vocab(std::int64_t vocab, int tp) noexcept {
  const std::int64_t multiple = 128 * static_cast<std::int64_t>(tp);
  return (vocab + multiple - 1) / multiple * multiple;
}

std::optional<std::string> tp_split_problem(const ModelShape& model, int tp) {
  if (tp < 1) return "tp must be >= 1 (got " + std::to_string(tp) + ")";
  if (model.heads % tp != 0) return "tp " + std::to_string(tp) + " does not divide " + std::to_string(model.heads) + " attention heads";
  if (model.kv_heads % tp != 0) return "tp " + std::to_string(tp) + " does not divide " + std::to_string(model.kv_heads) + " KV heads";
  if (model.ffn % tp != 0) return "tp " + std::to_string(tp) + " does not divide ffn " + std::to_string(model.ffn);
  return std::nullopt;
}

std::vector<LayerGemm> layer_gemms(const ModelShape& model, std::int64_t tokens, int tp) {
  std::vector<LayerGemm> out;
  if (tp_split_problem(model, tp)) return out;
  // Without an explicit head_dim the query width is the hidden size (heads · hidden/heads).
  const std::int64_t q_width = model.head_dim > 0 ? model.heads * model.head_dim : model.hidden;
  const std::int64_t kv_width = q_width * model.kv_heads / model.heads;
  const std::int64_t h = model.hidden;

  // Forward Y[m,n] = X[m,k]·W[k,n] and its two backward GEMMs.
  auto add = [&](const std::string& op, std::int64_t n, std::int64_t k) {
    out.push_back({op, GemmPass::kForward, tokens, n, k});
    out.push_back({op, GemmPass::kDgrad, tokens, k, n});
    out.push_back({op, GemmPass::kWgrad, k, n, tokens});
  };
  add("qkv", (q_width + 2 * kv_width) / tp, h);  // column parallel
  add("attn_out", h, q_width / tp);              // row parallel
  if (model.gated) {
    add("mlp_up", model.ffn / tp, h);  // up and gate have the same shape
    add("mlp_gate", model.ffn / tp, h);
    add("mlp_up_gate", 2 * model.ffn / tp, h);  // Megatron fuses them into one GEMM
  } else {
    add("mlp_up", model.ffn / tp, h);
  }
  add("mlp_down", h, model.ffn / tp);  // row parallel
  add("logits", padded_vocab(model.vocab, tp) / tp, h);
  return out;
}

std::vector<ModelShape> catalog_model_shapes() {
  // From configs/models/<key>.json (hidden, heads, kv_heads, ffn_hidden, vocab, activation).
  return {
      {"gpt3-350m", 1024, 16, 16, 0, 4096, 50257, false},   {"gpt3-1.3b", 2048, 24, 24, 0, 8192, 50257, false},
      {"llama3-8b", 4096, 32, 8, 128, 14336, 128256, true}, {"llama3-70b", 8192, 64, 8, 128, 28672, 128256, true},
      {"gpt3-175b", 12288, 96, 96, 0, 49152, 50257, false}, {"llama3-405b", 16384, 128, 8, 128, 53248, 128256, true},
  };
}

ShapePlan default_shape_plan(bool quick, bool fp8) {
  ShapePlan plan;
  if (quick) {
    for (auto& m : catalog_model_shapes())
      if (m.name == "llama3-8b" || m.name == "llama3-70b") plan.models.push_back(m);
    plan.tokens = {8192};
    plan.tps = {1, 8};
    plan.dtypes = {DType::kBf16};
  } else {
    plan.models = catalog_model_shapes();
    plan.tokens = {2048, 4096, 8192, 16384};
    plan.tps = {1, 2, 4, 8};
    plan.dtypes = {DType::kBf16, DType::kFp16};
  }
  if (fp8) plan.dtypes.push_back(DType::kFp8);
  return plan;
}

std::vector<GemmCase> enumerate_gemm_cases(const ShapePlan& plan) {
  std::vector<GemmCase> out;
  std::set<std::tuple<std::int64_t, std::int64_t, std::int64_t, DType>> seen;
  for (DType dtype : plan.dtypes) {
    for (const auto& model : plan.models) {
      for (std::int64_t tokens : plan.tokens) {
        for (int tp : plan.tps) {
          for (const auto& g : layer_gemms(model, tokens, tp)) {
            if (dtype == DType::kFp8 && (g.m % 16 != 0 || g.n % 16 != 0 || g.k % 16 != 0)) continue;
            if (!seen.insert({g.m, g.n, g.k, dtype}).second) continue;
            out.push_back({g.m, g.n, g.k, dtype, model.name, tp, g.op, g.pass});
          }
        }
      }
    }
  }
  return out;
}

double AttentionCase::forward_flops() const noexcept {
  const double s = static_cast<double>(seq);
  const double f = 4.0 * batch * heads * s * s * head_dim;
  return causal ? f / 2.0 : f;
}

double AttentionCase::score_bytes(int elem_bytes) const noexcept {
  const double s = static_cast<double>(seq);
  return static_cast<double>(batch) * heads * s * s * elem_bytes;
}

std::vector<AttentionCase> enumerate_attention_cases(bool quick) {
  std::vector<AttentionCase> out;
  const std::vector<int> heads = quick ? std::vector<int>{8, 32} : std::vector<int>{4, 8, 16, 32, 64};
  const std::vector<int> head_dims = quick ? std::vector<int>{128} : std::vector<int>{64, 128};
  const std::vector<std::int64_t> seqs = quick ? std::vector<std::int64_t>{2048, 8192} : std::vector<std::int64_t>{1024, 2048, 4096, 8192};
  for (bool causal : {true, false})
    for (int d : head_dims)
      for (int hd : heads)
        for (std::int64_t s : seqs) out.push_back({1, hd, d, s, causal});
  return out;
}

std::string_view memory_kernel_name(MemoryKernel k) noexcept {
  switch (k) {
    case MemoryKernel::kRmsNorm: return "rmsnorm";
    case MemoryKernel::kLayerNorm: return "layernorm";
    case MemoryKernel::kGelu: return "gelu";
    case MemoryKernel::kAdd: return "add";
    case MemoryKernel::kSwiglu: return "swiglu";
    case MemoryKernel::kSoftmax: return "softmax";
    case MemoryKernel::kAdam: return "adam";
    case MemoryKernel::kCopy: return "copy";
  }
  return "?";
}

std::int64_t memory_kernel_bytes(MemoryKernel k, std::int64_t rows, std::int64_t cols) noexcept {
  const std::int64_t n = rows * cols;
  switch (k) {
    case MemoryKernel::kRmsNorm:
    case MemoryKernel::kLayerNorm:
    case MemoryKernel::kGelu:
    case MemoryKernel::kSoftmax:
    case MemoryKernel::kCopy: return 4 * n;
    case MemoryKernel::kAdd:
    case MemoryKernel::kSwiglu: return 6 * n;
    case MemoryKernel::kAdam: return 28 * n;
  }
  return 0;
}

std::vector<MemoryCase> enumerate_memory_cases(bool quick) {
  std::vector<MemoryCase> out;
  const std::vector<std::int64_t> hidden = quick ? std::vector<std::int64_t>{4096} : std::vector<std::int64_t>{1024, 4096, 8192, 16384};
  const std::int64_t tokens = 8192;
  for (MemoryKernel k : {MemoryKernel::kRmsNorm, MemoryKernel::kLayerNorm, MemoryKernel::kGelu, MemoryKernel::kAdd, MemoryKernel::kSwiglu,
                         MemoryKernel::kCopy})
    for (std::int64_t h : hidden) out.push_back({k, tokens, h});
  // Softmax rows are attention score rows: heads·seq rows of seq columns.
  for (std::int64_t s : quick ? std::vector<std::int64_t>{4096} : std::vector<std::int64_t>{2048, 4096, 8192})
    out.push_back({MemoryKernel::kSoftmax, 8 * s, s});
  // Adam over a flat fp32 shard of parameters (rows = 1).
  for (std::int64_t p : quick ? std::vector<std::int64_t>{1 << 26} : std::vector<std::int64_t>{1 << 24, 1 << 26, 1 << 28})
    out.push_back({MemoryKernel::kAdam, 1, p});
  return out;
}

}  // namespace trainplan::profiler
