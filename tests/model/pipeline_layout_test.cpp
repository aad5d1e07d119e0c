// Where a plan puts each layer, checked against Megatron-Core's own rules and examples
// (Megatron-LM d98e8a64: pipeline_parallel_layer_layout.py parse_str_to_list and
// validate_layer_layout; transformer_block.py get_num_layers_to_build; transformer_config.py
// __post_init__) and the layouts Megatron-Bridge publishes (recipes/deepseek/h100/deepseek_v3.py
// L50-68, recipes/llama/h100/llama3.py L1227).
#include <gtest/gtest.h>

#include <random>

#include "model/analytic.hpp"
#include "model/pipeline_layout.hpp"
#include "model/spec/pipeline_layout_text.hpp"
#include "model/step.hpp"
#include "tests/model/fixture.hpp"

namespace trainplan {
namespace {

using test::Fixture;

ModelSpec layers(int n, int mtp = 0) {
  ModelSpec m;
  m.layers = n;
  m.mtp_layers = mtp;
  return m;
}

PlanSpec pipeline(int pp, int v = 1) {
  PlanSpec p;
  p.pp = pp;
  p.virtual_stages = v;
  p.schedule = v > 1 ? Schedule::kInterleaved : Schedule::k1F1B;
  return p;
}

// parse_str_to_list's own docstring: "Ettt|(tt|)*29,m|L" is [E,t,t,t] + [t,t]*29 + [m] + [L].
TEST(LayoutText, UnrollsGroupsAndRepeatsAsMegatronDoes) {
  std::string error;
  const auto l = parse_layout_text("Ettt|(tt|)*29,m|L", error);
  ASSERT_TRUE(l) << error;
  ASSERT_EQ(l->chunks.size(), 1u + 29u + 2u);
  EXPECT_EQ(l->chunks[0], (LayoutChunkText{3, 1, 0, 0}));
  for (size_t i = 1; i <= 29; ++i) EXPECT_EQ(l->chunks[i], (LayoutChunkText{2, 0, 0, 0})) << i;
  EXPECT_EQ(l->chunks[30], (LayoutChunkText{0, 0, 0, 1}));
  EXPECT_EQ(l->chunks[31], (LayoutChunkText{0, 0, 1, 0}));
  // "x*n" repeats one character; commas are cosmetic; the docstring's other examples.
  EXPECT_EQ(parse_layout_text("Et*3|t*4,L", error)->flat, "Ettt|ttttL");
  EXPECT_EQ(parse_layout_text("(|ab)*2,cd", error), std::nullopt);  // 'a', 'b' are no layer
  EXPECT_EQ(parse_layout_text("E(t|)*2,tL", error)->flat, "Et|t|tL");
}

TEST(LayoutText, RefusesWhatMegatronCannotRead) {
  std::string error;
  EXPECT_FALSE(parse_layout_text("Ex|L", error));
  EXPECT_NE(error.find("invalid layer character \"x\""), std::string::npos) << error;
  EXPECT_FALSE(parse_layout_text("E(tt|L", error));
  EXPECT_NE(error.find("unclosed"), std::string::npos) << error;
  EXPECT_FALSE(parse_layout_text("E(tt|)L", error));
  EXPECT_NE(error.find("expected \"*\" and a count"), std::string::npos) << error;
  EXPECT_FALSE(parse_layout_text("E|*3", error));
  EXPECT_FALSE(parse_layout_text("E(t|)*100000000L", error));  // refused before it is unrolled
  EXPECT_NE(error.find("more than"), std::string::npos) << error;
}

// get_num_layers_to_build: (L + 1 + 1) / pp / v layers a chunk, one fewer in the chunks holding
// the embedding (rank 0, chunk 0) and the loss (last rank, last chunk). Llama 3.1 405B at pp 16 x
// vpp 4: 128 / 64 = 2 a chunk.
TEST(PipelineLayout, EmbeddingAndLossCountedAsLayers) {
  const ModelSpec m = layers(126);
  PlanSpec p = pipeline(16, 4);
  EXPECT_NE(layout_error(m, p), "");  // 126 over 64 chunks does not divide
  p.account_for_embedding = p.account_for_loss = true;
  ASSERT_EQ(layout_error(m, p), "");
  const PipelineLayout l = plan_layout(m, p);
  ASSERT_EQ(l.chunks.size(), 64u);
  EXPECT_EQ(l.at(0, 0).layers, 1);
  EXPECT_TRUE(l.at(0, 0).embedding);
  EXPECT_EQ(l.at(15, 3).layers, 1);
  EXPECT_TRUE(l.at(15, 3).loss);
  EXPECT_EQ(l.at(5, 2).layers, 2);
  // Layer ids in chunk order: chunk (rank 0, virtual stage 1) follows the 16 chunks of the first
  // round, 1 + 15 * 2 = 31 layers (get_transformer_layer_offset: 1 * 32 + 0 - 1).
  EXPECT_EQ(l.at(0, 1).first_layer, 31);
  EXPECT_EQ(l.at(15, 3).first_layer, 125);
  const StageKinds k = stage_kinds(m, p);
  ASSERT_EQ(k.count, 3);
  EXPECT_EQ(k.kind[0].layers, 7);
  EXPECT_EQ(k.kind[1].layers, 8);
  EXPECT_EQ(k.kind[1].count, 14);
  EXPECT_EQ(k.kind[2].layers, 7);
  EXPECT_TRUE(k.kind[0].has_embedding && k.kind[2].has_output);
  // Without interleaving the same flags: 128 / 16 = 8 a rank, 7 on the first and last.
  p = pipeline(16);
  p.account_for_embedding = p.account_for_loss = true;
  EXPECT_EQ(layout_error(m, p), "");
  EXPECT_EQ(stage_kinds(m, p).kind[0].layers, 7);
}

// transformer_config.py: uneven first/last stages split into whole virtual stages, and never beside
// account_for_*; an explicit layout beside neither.
TEST(PipelineLayout, MegatronsConflictsAndDivisibility) {
  const ModelSpec m = layers(126);
  PlanSpec p = pipeline(16, 2);
  p.first_stage_layers = p.last_stage_layers = 7;
  EXPECT_NE(layout_error(m, p).find("do not split into 2 virtual stages"), std::string::npos) << layout_error(m, p);
  p.first_stage_layers = p.last_stage_layers = 6;  // 126 - 12 = 114 over 14 ranks: not whole
  EXPECT_NE(layout_error(m, p), "");
  p.first_stage_layers = p.last_stage_layers = 0;
  p.first_stage_layers = 14;  // 14 + 112 over 15 ranks of 2 chunks: 112 / 15 is not whole
  EXPECT_NE(layout_error(m, p), "");
  p = pipeline(16);
  p.first_stage_layers = 7;
  p.account_for_embedding = true;
  EXPECT_NE(layout_error(m, p).find("L2235"), std::string::npos) << layout_error(m, p);
  p = pipeline(16);
  p.pipeline_layout = "Et*7|(t*8|)*14,t*7L";
  EXPECT_EQ(layout_error(m, p), "");
  p.account_for_loss = true;
  EXPECT_NE(layout_error(m, p).find("pipeline_layout alone"), std::string::npos) << layout_error(m, p);
}

// validate_layer_layout and arguments.py L941-952 on explicit layouts.
TEST(PipelineLayout, ExplicitLayoutChecks) {
  const ModelSpec m = layers(61, 1);
  PlanSpec p = pipeline(8);
  auto err = [&](const std::string& layout) {
    p.pipeline_layout = layout;
    return layout_error(m, p);
  };
  EXPECT_EQ(err("Et*8|(t*8|)*6,t*5mL"), "");  // Megatron-Bridge's DeepSeek-V3 layout for pp 8
  EXPECT_NE(err("Et*8|(t*8|)*6,t*5m").find("last layer to be the loss"), std::string::npos);
  EXPECT_NE(err("t*8E|(t*8|)*6,t*5mL").find("first layer to be the embedding"), std::string::npos);
  EXPECT_NE(err("Et*8|(t*8|)*6,t*4mL").find("(60) to match the model's 61 layers"), std::string::npos);
  EXPECT_NE(err("Et*8|(t*8|)*6,t*5L").find("mtp_layers 1"), std::string::npos);
  EXPECT_NE(err("Et*8|(t*8|)*6,mt*5L").find("before the MTP"), std::string::npos);
  EXPECT_NE(err("Et*8|(t*8|)*5,t*13mL").find("multiple of pp 8"), std::string::npos);
  // 16 chunks over pp 8: 2 virtual stages, which the plan must run.
  EXPECT_NE(err("Et*4|(t*4|)*14,tmL").find("expected virtual_stages 2"), std::string::npos);
  p.virtual_stages = 2;
  p.schedule = Schedule::kInterleaved;
  EXPECT_EQ(err("Et*4|(t*4|)*14,tmL"), "");
  // MTP must sit in the last virtual stage of its rank: here rank 7's first, then empty chunks.
  EXPECT_NE(err("Et*8|(t*8|)*6,t*5m|(|)*7L").find("last virtual stage"), std::string::npos);
}

// The Bridge DeepSeek-V3 layout for pp 8: stages of 8, 6 x 8 and 5 + MTP layers; the MTP module
// is one MoE block and one more pass through the output head (StageKind::blocks), so the last
// stage's time is that of 6 MoE blocks, its logits twice, and the first stage's is 3 dense + 5 MoE.
TEST(PipelineLayout, MtpModuleRunsAsABlockAndAnOutputHead) {
  Fixture f("deepseek-v3", "dgx-h100-superpod");
  JobSpec job = f.job(1024, 4096);
  job.plan.pp = 8;
  job.plan.pipeline_layout = "Et*8|(t*8|)*6,t*5mL";
  ASSERT_EQ(layout_error(job.model, job.plan), "");
  const StageKinds k = stage_kinds(job.model, job.plan);
  ASSERT_EQ(k.count, 3);
  EXPECT_EQ(k.kind[0].layers, 8);
  EXPECT_EQ(k.kind[0].moe_layers, 8 - job.model.moe->dense_layers);
  EXPECT_EQ(k.kind[2].layers, 5);
  EXPECT_EQ(k.kind[2].mtp, 1);
  EXPECT_EQ(k.kind[2].moe_layers, 6);
  const LayerCosts c = layer_costs(layer_context(job, f.cal));
  const StageTimes last = stage_times(job.model, k.kind[2], c, Recompute::kNone, 0);
  EXPECT_NEAR(last.fwd.si(), (c.moe.fwd * 6.0 + c.out.fwd * 2.0).si(), 1e-12);
  // Without a layout the MTP module sits with the loss (gpt_model.py post-process stage).
  job.plan.pipeline_layout.clear();
  job.plan.first_stage_layers = 5;
  const StageKinds d = stage_kinds(job.model, job.plan);
  EXPECT_EQ(d.kind[d.count - 1].mtp, 1);
  EXPECT_EQ(d.kind[d.count - 1].layers, 8);
}

// Evaluation::stage reports each stage's own kind, for any number of kinds.
TEST(PipelineLayout, EveryStageReportsItsKindsMemory) {
  Fixture f("llama3-8b", "dgx-h100-superpod");
  JobSpec job = f.job(64, 4096);
  job.plan.pp = 4;
  job.plan.dp = 1;
  job.plan.pipeline_layout = "Et*6|t*10|t*9|t*7L";  // four different stages
  ASSERT_EQ(layout_error(job.model, job.plan), "");
  const Evaluation e = AnalyticEvaluator().evaluate(job, f.cal);
  ASSERT_EQ(e.stage_kinds.size(), 4u);
  EXPECT_EQ(e.stage(0).layers, 6);
  EXPECT_EQ(e.stage(1).layers, 10);
  EXPECT_EQ(e.stage(2).layers, 9);
  EXPECT_EQ(e.stage(3).layers, 7);
  EXPECT_GT(e.stage(1).weights, e.stage(2).weights);
}

// Arbitrary text of the grammar's characters (fixed seed): the parser and Megatron's checks always
// return, and a layout they accept places every layer exactly once.
TEST(PipelineLayout, ArbitraryTextAlwaysReturns) {
  const std::string alphabet = "EEtttttmL||||()*,0123456789x ";
  std::mt19937 rng(17);
  const ModelSpec m = layers(12, 1);
  int accepted = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string text;
    const int n = static_cast<int>(rng() % 24);
    for (int k = 0; k < n; ++k) text += alphabet[rng() % alphabet.size()];
    if (i % 4 == 0) text = "Et*" + std::to_string(rng() % 13) + "|" + text + "mL";
    PlanSpec p = pipeline(1 + static_cast<int>(rng() % 4));
    p.pipeline_layout = text;
    p.virtual_stages = static_cast<int>(layout_virtual_stages(p));
    p.schedule = p.virtual_stages > 1 ? Schedule::kInterleaved : Schedule::k1F1B;
    if (!layout_error(m, p).empty()) continue;
    ++accepted;
    const PipelineLayout l = plan_layout(m, p);
    int held = 0, mtp = 0;
    for (const LayoutChunk& c : l.chunks) held += c.layers, mtp += c.mtp;
    EXPECT_EQ(held, 12) << text;
    EXPECT_EQ(mtp, 1) << text;
  }
  EXPECT_GT(accepted, 100);  // 653 of the 20,000 with this seed
}

}  // namespace
}  // namespace trainplan
