// Parameter totals recomputed from the config fields (docs/interfaces.md §5) against published counts.
#include "model/params.hpp"
#include "model/spec/catalog.hpp"

#include <gtest/gtest.h>

namespace trainplan {
namespace {

ModelSpec catalog_model(const std::string& key) {
  Catalog catalog(CONFIG_DIR);
  Diagnostics diag;
  Json j = key;
  ModelSpec m = read_model(Node{&j, "<test>", "", &diag}, catalog);
  EXPECT_TRUE(diag.ok()) << (diag.ok() ? "" : diag.items()[0].to_string());
  return m;
}

TEST(Params, Llama3_8BMatchesTheHfModelPage) {
  ModelSpec m = catalog_model("llama3-8b");
  // Per layer: q,o 4096² each; k,v 4096·1024 each; MLP 3·4096·14336; two RMSNorms.
  const double layer = 2.0 * 4096 * 4096 + 2.0 * 4096 * 1024 + 3.0 * 4096 * 14336 + 2.0 * 4096;
  const double expected = 32 * layer + 2.0 * 128256 * 4096 + 4096;
  EXPECT_DOUBLE_EQ(expected, 8030261248.0);
  EXPECT_DOUBLE_EQ(total_params(m), expected);
}

TEST(Params, MixtralTotalAndActive) {
  ModelSpec m = catalog_model("mixtral-8x7b");
  const double attn = 2.0 * 4096 * 4096 + 2.0 * 4096 * 1024;
  const double expert = 3.0 * 4096 * 14336;
  const double rest = 2.0 * 32000 * 4096 + 4096;
  const double per_layer_fixed = attn + 8.0 * 4096 + 2.0 * 4096;  // + router + norms
  EXPECT_DOUBLE_EQ(total_params(m), 32 * (per_layer_fixed + 8 * expert) + rest);
  EXPECT_DOUBLE_EQ(total_params(m), 46702792704.0);
  EXPECT_DOUBLE_EQ(active_params(m), 12879925248.0);
}

TEST(Params, DeepSeekV3Is671B) {
  ModelSpec m = catalog_model("deepseek-v3");
  EXPECT_NEAR(total_params(m) / 1e9, 671.03, 0.01);
  EXPECT_NEAR(active_params(m) / 1e9, 37.6, 0.1);
}

TEST(Params, Qwen2_7BWithQkvBiases) {
  ModelSpec m = catalog_model("qwen2-7b");
  EXPECT_DOUBLE_EQ(total_params(m), 7615616512.0);
}

TEST(Params, GptFollowsNarayananEquation2) {
  // P = 12 l h² (1 + 13/(12h) + (V + s)/(12 l h)), Narayanan et al. 2021 Eq. 2.
  ModelSpec m = catalog_model("gpt3-175b");
  const double l = 96, h = 12288, V = 50257, s = 2048;
  // The equation counts one LayerNorm (2h) less than the model has (the final norm).
  EXPECT_DOUBLE_EQ(total_params(m), 12 * l * h * h * (1 + 13 / (12 * h) + (V + s) / (12 * l * h)) + 2 * h);
}

TEST(Params, MegatronPadsTheVocabulary) {
  EXPECT_EQ(padded_vocab(128256, 8), 129024);
  EXPECT_EQ(padded_vocab(32000, 8), 32768);
  EXPECT_EQ(padded_vocab(50257, 1), 50304);
}

}  // namespace
}  // namespace trainplan
