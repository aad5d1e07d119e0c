#include "profiler/options.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace trainplan::profiler {
namespace {

ParseResult parse(std::vector<const char*> args) {
  args.insert(args.begin(), "trainplan-profile");
  return parse_options(static_cast<int>(args.size()), args.data());
}

TEST(Options, DefaultsRunEverySection) {
  const auto r = parse({});
  EXPECT_FALSE(r.exit_code.has_value());
  EXPECT_TRUE(r.options.out.empty());
  EXPECT_FALSE(r.options.quick);
  EXPECT_TRUE(r.options.sections.gemm && r.options.sections.collectives);
}

TEST(Options, OutQuickOnlyDevice) {
  const auto r = parse({"--out", "x.json", "--quick", "--only", "gemm,copies", "--device", "1"});
  ASSERT_FALSE(r.exit_code.has_value()) << r.message;
  EXPECT_EQ(r.options.out, "x.json");
  EXPECT_TRUE(r.options.quick);
  EXPECT_TRUE(r.options.sections.gemm && r.options.sections.copies);
  EXPECT_FALSE(r.options.sections.attention || r.options.sections.collectives || r.options.sections.memory_bound);
  EXPECT_EQ(r.options.device, 1);
}

TEST(Options, HelpExitsZero) {
  const auto r = parse({"--help"});
  EXPECT_EQ(r.exit_code, kExitOk);
  EXPECT_NE(r.message.find("--out FILE"), std::string::npos);
  EXPECT_NE(r.message.find("3 no usable CUDA GPU"), std::string::npos);
}

TEST(Options, BadInputIsAUsageError) {
  EXPECT_EQ(parse({"--bogus"}).exit_code, kExitUsage);
  EXPECT_EQ(parse({"--out"}).exit_code, kExitUsage);
  EXPECT_EQ(parse({"--device", "-1"}).exit_code, kExitUsage);
  const auto r = parse({"--only", "gemm,nccl"});
  EXPECT_EQ(r.exit_code, kExitUsage);
  EXPECT_NE(r.message.find("(got \"nccl\")"), std::string::npos);
}

TEST(Options, DefaultOutputPath) {
  EXPECT_EQ(default_output_path("/repo/configs/", "h100-sxm5-80gb"), "/repo/configs/calibration/h100-sxm5-80gb.json");
  EXPECT_EQ(default_output_path("", "a100-sxm4-80gb"), "configs/calibration/a100-sxm4-80gb.json");
}

}  // namespace
}  // namespace trainplan::profiler
