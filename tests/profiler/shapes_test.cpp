#include "profiler/shapes.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <tuple>

namespace trainplan::profiler {
namespace {

ModelShape llama3_70b() {
  for (auto& m : catalog_model_shapes())
    if (m.name == "llama3-70b") return m;
  ADD_FAILURE() << "llama3-70b missing";
  return {};
}

const LayerGemm* find(const std::vector<LayerGemm>& g, std::string_view op, GemmPass p) {
  for (const auto& x : g)
    if (x.op == op && x.pass == p) return &x;
  return nullptr;
}

// Llama 3 70B (hidden 8192, 64 heads, 8 KV heads of 128, ffn 28672, vocab 128256) on TP 8, 8192 tokens.
TEST(Shapes, Llama70bTp8ForwardShapes) {
  const auto g = layer_gemms(llama3_70b(), 8192, 8);
  const auto* qkv = find(g, "qkv", GemmPass::kForward);
  ASSERT_NE(qkv, nullptr);
  EXPECT_EQ(qkv->m, 8192);
  EXPECT_EQ(qkv->n, (64 + 2 * 8) * 128 / 8);  // (heads + 2·kv)·d / TP
  EXPECT_EQ(qkv->k, 8192);
  const auto* out = find(g, "attn_out", GemmPass::kForward);
  ASSERT_NE(out, nullptr);
  EXPECT_EQ(out->n, 8192);
  EXPECT_EQ(out->k, 64 * 128 / 8);
  EXPECT_EQ(find(g, "mlp_up", GemmPass::kForward)->n, 28672 / 8);
  EXPECT_EQ(find(g, "mlp_up_gate", GemmPass::kForward)->n, 2 * 28672 / 8);
  EXPECT_EQ(find(g, "mlp_down", GemmPass::kForward)->k, 28672 / 8);
  // Vocabulary padded to a multiple of 128·8 = 1024: 128256 -> 129024, then split over 8.
  EXPECT_EQ(find(g, "logits", GemmPass::kForward)->n, 129024 / 8);
}

// dgrad (m, k, n) and wgrad (k, n, m) of every forward (m, n, k).
TEST(Shapes, BackwardGemmsPermuteTheForwardShape) {
  const auto g = layer_gemms(llama3_70b(), 4096, 2);
  for (const auto& f : g) {
    if (f.pass != GemmPass::kForward) continue;
    const auto* d = find(g, f.op, GemmPass::kDgrad);
    const auto* w = find(g, f.op, GemmPass::kWgrad);
    ASSERT_TRUE(d && w) << f.op;
    EXPECT_EQ(std::tie(d->m, d->n, d->k), std::tie(f.m, f.k, f.n)) << f.op;
    EXPECT_EQ(std::tie(w->m, w->n, w->k), std::tie(f.k, f.n, f.m)) << f.op;
  }
}

TEST(Shapes, MhaQkvIsThreeHidden) {
  ModelShape gpt{"gpt", 12288, 96, 96, 0, 49152, 50257, false};
  const auto g = layer_gemms(gpt, 2048, 8);
  EXPECT_EQ(find(g, "qkv", GemmPass::kForward)->n, 3 * 12288 / 8);
  EXPECT_EQ(find(g, "mlp_gate", GemmPass::kForward), nullptr);  // two-matrix MLP
}

TEST(Shapes, IndivisibleTpIsRejectedWithAReason) {
  ModelShape gpt13{"gpt3-1.3b", 2048, 24, 24, 0, 8192, 50257, false};
  const auto why = tp_split_problem(gpt13, 16);
  ASSERT_TRUE(why.has_value());
  EXPECT_NE(why->find("24 attention heads"), std::string::npos);
  EXPECT_TRUE(layer_gemms(gpt13, 2048, 16).empty());
  EXPECT_FALSE(tp_split_problem(gpt13, 8).has_value());
  // Llama 3 70B has 8 KV heads: TP 16 cannot split them.
  EXPECT_NE(tp_split_problem(llama3_70b(), 16)->find("KV heads"), std::string::npos);
}

TEST(Shapes, EnumerationIsUniqueAndCoversEveryDtype) {
  const auto plan = default_shape_plan(false, true);
  const auto cases = enumerate_gemm_cases(plan);
  std::set<std::tuple<std::int64_t, std::int64_t, std::int64_t, DType>> keys;
  for (const auto& c : cases) {
    EXPECT_TRUE(keys.insert({c.m, c.n, c.k, c.dtype}).second) << c.m << "x" << c.n << "x" << c.k;
    EXPECT_GT(c.m * c.n * c.k, 0);
    if (c.dtype == DType::kFp8) {
      EXPECT_TRUE(c.m % 16 == 0 && c.n % 16 == 0 && c.k % 16 == 0);
    }
  }
  for (DType d : {DType::kBf16, DType::kFp16, DType::kFp8})
    EXPECT_TRUE(std::any_of(cases.begin(), cases.end(), [&](const GemmCase& c) { return c.dtype == d; }));
  // The quick plan is a subset and has no fp16.
  const auto quick = enumerate_gemm_cases(default_shape_plan(true, false));
  EXPECT_LT(quick.size(), cases.size());
  EXPECT_TRUE(std::all_of(quick.begin(), quick.end(), [](const GemmCase& c) { return c.dtype == DType::kBf16; }));
}

TEST(Shapes, FlopsAreTwoMnk) {
  GemmCase c;
  c.m = 8192;
  c.n = 1024;
  c.k = 8192;
  EXPECT_DOUBLE_EQ(c.flops(), 2.0 * 8192 * 1024 * 8192);
}

// Forward attention 4·b·h·s²·d, halved when causal; backward twice that.
TEST(Shapes, AttentionFlopsFollowTheModelConvention) {
  AttentionCase a{1, 32, 128, 4096, false};
  EXPECT_DOUBLE_EQ(a.forward_flops(), 4.0 * 32 * 4096.0 * 4096.0 * 128);
  a.causal = true;
  EXPECT_DOUBLE_EQ(a.forward_flops(), 2.0 * 32 * 4096.0 * 4096.0 * 128);
  EXPECT_DOUBLE_EQ(a.backward_flops(), 2 * a.forward_flops());
  EXPECT_DOUBLE_EQ(a.score_bytes(2), 32 * 4096.0 * 4096.0 * 2);
  EXPECT_FALSE(enumerate_attention_cases(true).empty());
  EXPECT_GT(enumerate_attention_cases(false).size(), enumerate_attention_cases(true).size());
}

TEST(Shapes, MemoryKernelBytes) {
  EXPECT_EQ(memory_kernel_bytes(MemoryKernel::kRmsNorm, 8192, 4096), 4 * 8192 * 4096);  // bf16 in + out
  EXPECT_EQ(memory_kernel_bytes(MemoryKernel::kAdd, 2, 3), 6 * 6);                      // 2 reads + 1 write
  EXPECT_EQ(memory_kernel_bytes(MemoryKernel::kAdam, 1, 10), 28 * 10);                  // 4 fp32 reads + 3 writes
  for (const auto& c : enumerate_memory_cases(false)) EXPECT_GT(memory_kernel_bytes(c.kernel, c.rows, c.cols), 0);
}

TEST(Shapes, DtypeNamesAreTheModelsPrecisionNames) {
  EXPECT_EQ(dtype_name(DType::kBf16), "bf16");
  EXPECT_EQ(dtype_name(DType::kFp16), "fp16");
  EXPECT_EQ(dtype_name(DType::kFp8), "fp8");
  EXPECT_EQ(pass_name(GemmPass::kWgrad), "wgrad");
}

}  // namespace
}  // namespace trainplan::profiler
