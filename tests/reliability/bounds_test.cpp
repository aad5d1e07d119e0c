// Integers read from Hugging Face configs and model specs are bounded where they are read, with
// the bound in the message (issue 18, item 2): no value wraps around an int, no unknown activation
// becomes SwiGLU, and top_k cannot exceed the experts.
#include <gtest/gtest.h>

#include "model/spec/catalog.hpp"
#include "model/spec/hf_config.hpp"

namespace trainplan {
namespace {

Json llama_like() {
  return Json::parse(R"({"model_type": "llama", "num_hidden_layers": 32, "hidden_size": 4096, "num_attention_heads": 32,
                         "num_key_value_heads": 8, "intermediate_size": 14336, "vocab_size": 128256, "hidden_act": "silu"})");
}

std::string errors_of(const Json& cfg) {
  Diagnostics d;
  read_hf_config(Node{&cfg, "config.json", "", &d});
  std::string s;
  for (const auto& i : d.items()) s += i.to_string() + "\n";
  return s;
}

TEST(HfBounds, LargeIntegersAreErrorsNamingTheBound) {
  EXPECT_EQ(errors_of(llama_like()), "");
  Json c = llama_like();
  c["num_attention_heads"] = 4294967296LL;  // 2^32: once MFU 13982 %
  EXPECT_NE(errors_of(c).find("config.json:/num_attention_heads: expected an integer from 1 to 16777216"), std::string::npos)
      << errors_of(c);
  c = llama_like();
  c["num_hidden_layers"] = 4294967297LL;  // 2^32 + 1: once 1 layer
  EXPECT_NE(errors_of(c).find("/num_hidden_layers: expected an integer from 1 to 10000"), std::string::npos) << errors_of(c);
  c["num_hidden_layers"] = 2147483648LL;  // 2^31: once "-2147483648 layers"
  EXPECT_NE(errors_of(c).find("/num_hidden_layers"), std::string::npos);
}

TEST(HfBounds, UnknownActivationIsAnError) {
  for (const Json& act : {Json("tanh"), Json(5)}) {
    Json c = llama_like();
    c["hidden_act"] = act;
    EXPECT_NE(errors_of(c).find("/hidden_act: expected one of \"silu\""), std::string::npos) << act.dump();
  }
  Json g = llama_like();
  g["hidden_act"] = "gelu_pytorch_tanh";
  EXPECT_EQ(errors_of(g), "");
}

TEST(HfBounds, TopKAboveTheExpertsIsBadInput) {
  Json c = llama_like();
  c["num_local_experts"] = 8;
  c["num_experts_per_tok"] = 9;
  EXPECT_NE(errors_of(c).find("/num_experts_per_tok: expected an integer from 1 to 8 (got 9)"), std::string::npos) << errors_of(c);
}

TEST(ModelBounds, LayersBeyondTheBoundAreAnError) {
  // 10^6 layers once took 3.1 GB in predict; 10,000 is the bound (model_spec.hpp).
  Catalog catalog(CONFIG_DIR);
  Json m = {{"base", "llama3-8b"}, {"layers", 1000000}};
  Diagnostics d;
  read_model(Node{&m, "job.json", "/model", &d}, catalog);
  ASSERT_FALSE(d.ok());
  EXPECT_NE(d.items()[0].to_string().find("job.json:/model/layers: expected at most 10000"), std::string::npos) << d.items()[0].to_string();
}

}  // namespace
}  // namespace trainplan

namespace trainplan {
namespace {

std::string load_error(const std::string& path) {
  Diagnostics d;
  EXPECT_FALSE(load_json_file(path, d).has_value()) << path;
  return d.items().empty() ? "" : d.items()[0].to_string();
}

TEST(JsonLimits, DeepNestingDirectoriesEndlessFilesAndDuplicateKeys) {
  // 100,000 nested brackets once crashed the CLI and the GUI (a recursive dump in an error message).
  EXPECT_NE(load_error(TEST_DATA_DIR "/job/nesting-100000.json").find("nested deeper than 256 levels"), std::string::npos);
  EXPECT_NE(load_error(TEST_DATA_DIR).find("is a directory; expected a JSON file"), std::string::npos);
  // /dev/zero once read forever (4.4 GB after 10 s).
  EXPECT_NE(load_error("/dev/zero").find("larger than 64 MiB"), std::string::npos);
  EXPECT_NE(load_error(TEST_DATA_DIR "/job/duplicate-key.json").find("duplicate key \"model\""), std::string::npos);
  // Strings holding brackets do not count as nesting; 256 levels are fine.
  Diagnostics d;
  const std::string ok = std::string(256, '[') + "\"[[[{{{\"" + std::string(256, ']');
  EXPECT_TRUE(parse_json_text(ok, "ok.json", d).has_value());
  EXPECT_FALSE(parse_json_text("[" + ok + "]", "deep.json", d).has_value());
  // The same key in two objects is no duplicate.
  EXPECT_TRUE(parse_json_text(R"({"a": {"x": 1}, "b": {"x": 2}})", "ok.json", d).has_value());
}

}  // namespace
}  // namespace trainplan
