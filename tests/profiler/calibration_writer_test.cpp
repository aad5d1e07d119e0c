#include "profiler/calibration_writer.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>

#include "profiler/device_key.hpp"

namespace trainplan::profiler {
namespace {

CalibrationFile sample() {
  CalibrationFile f;
  f.gpu.name = "NVIDIA H100 80GB HBM3";
  f.gpu.key = "h100-sxm5-80gb";
  f.gpu.key_in_catalog = true;
  f.gpu.driver = "570.124.06";
  f.gpu.cuda = "13.0";
  f.gpu.compute_capability_major = 9;
  f.gpu.sm_count = 132;
  f.gpu.sm_clock_max_mhz = 1980;
  f.date = utc_iso8601(0);
  f.method.timing = "CUPTI \"activity\"\n";  // escaping
  f.method.libraries = {{"nccl", "2.28.3"}};
  f.method.notes = {"one", "two"};
  f.gemm.push_back({8192, 3584, 8192, DType::kBf16, 712.25, 659.5, "mlp_up", GemmPass::kForward});
  f.gemm.push_back({1024, 16128, 8192, DType::kFp8, 1203.5, 180.25, "logits", GemmPass::kWgrad});
  f.attention.push_back({AttentionCase{1, 8, 128, 8192, true}, "bwd", DType::kBf16, 1500.0, 366.5});
  f.memory_bound.push_back({MemoryKernel::kAdam, 1, 1 << 26, "fp32", 28LL << 26, 700.0, 2684.4});
  f.copies.push_back({"h2d", "pinned", 1 << 28, 5200.0, 51.6});
  CollectiveRow c;
  c.collective = Collective::kAllGather;
  c.ranks = 8;
  c.bytes = 1 << 30;
  c.count = (1 << 30) / 16;
  c.time_us = 3000;
  c.algbw_gbps = 357.9;
  c.busbw_gbps = 313.2;
  c.source = "measured";
  f.collectives.push_back(c);
  for (const auto& d : default_collective_rows("h100-sxm5-80gb")) f.collectives.push_back(d);
  return f;
}

TEST(CalibrationWriter, RoundTripsThroughAJsonParser) {
  const auto j = nlohmann::json::parse(to_json(sample()));
  EXPECT_EQ(j.at("schema"), "trainplan-calibration/1");
  EXPECT_EQ(j.at("gpu").at("name"), "NVIDIA H100 80GB HBM3");
  EXPECT_EQ(j.at("gpu").at("key"), "h100-sxm5-80gb");
  EXPECT_EQ(j.at("gpu").at("sm_count"), 132);
  EXPECT_EQ(j.at("gpu").at("clocks").at("sm_max_mhz"), 1980);
  EXPECT_EQ(j.at("gpu").at("driver"), "570.124.06");
  EXPECT_EQ(j.at("gpu").at("cuda"), "13.0");
  EXPECT_EQ(j.at("date"), "1970-01-01T00:00:00Z");
  EXPECT_EQ(j.at("method").at("timing"), "CUPTI \"activity\"\n");
  EXPECT_EQ(j.at("method").at("libraries").at("nccl"), "2.28.3");
  EXPECT_EQ(j.at("method").at("notes").size(), 2u);

  // The model reads these five fields of each GEMM row (model/calibration.cpp).
  const auto& g = j.at("gemm");
  ASSERT_EQ(g.size(), 2u);
  EXPECT_EQ(g[0].at("m"), 8192);
  EXPECT_EQ(g[0].at("n"), 3584);
  EXPECT_EQ(g[0].at("k"), 8192);
  EXPECT_EQ(g[0].at("dtype"), "bf16");
  EXPECT_DOUBLE_EQ(g[0].at("tflops").get<double>(), 712.25);
  EXPECT_TRUE(g[0].at("m").is_number_integer());
  EXPECT_EQ(g[1].at("dtype"), "fp8");
  EXPECT_EQ(g[1].at("pass"), "wgrad");

  const auto& a = j.at("attention").at(0);
  EXPECT_EQ(a.at("seq"), 8192);
  EXPECT_EQ(a.at("causal"), true);
  EXPECT_EQ(a.at("pass"), "bwd");
  EXPECT_EQ(j.at("memory_bound").at(0).at("kernel"), "adam");
  EXPECT_EQ(j.at("memory_bound").at(0).at("bytes"), 28LL << 26);
  EXPECT_EQ(j.at("copies").at(0).at("host_memory"), "pinned");

  const auto& c = j.at("collectives");
  ASSERT_EQ(c.size(), 6u);
  EXPECT_EQ(c[0].at("collective"), "all_gather");
  EXPECT_EQ(c[0].at("measured"), true);
  EXPECT_DOUBLE_EQ(c[0].at("busbw_gbps").get<double>(), 313.2);
  EXPECT_EQ(c[1].at("measured"), false);
  EXPECT_TRUE(c[1].at("time_us").is_null());  // a default has no time
  EXPECT_DOUBLE_EQ(c[1].at("busbw_gbps").get<double>(), 360.0);
}

TEST(CalibrationWriter, EmptyTablesAreEmptyArrays) {
  CalibrationFile f;
  const auto j = nlohmann::json::parse(to_json(f));
  for (const char* k : {"gemm", "attention", "memory_bound", "copies", "collectives"}) {
    ASSERT_TRUE(j.at(k).is_array()) << k;
    EXPECT_TRUE(j.at(k).empty()) << k;
  }
}

TEST(CalibrationWriter, OneTableRowPerLine) {
  const std::string text = to_json(sample());
  EXPECT_NE(text.find("\n    {\"m\": 8192, \"n\": 3584, \"k\": 8192, \"dtype\": \"bf16\", \"tflops\": 712.25"), std::string::npos) << text;
}

TEST(JsonWriter, NonFiniteNumbersBecomeNull) {
  JsonWriter w;
  w.begin_array().value(std::numeric_limits<double>::infinity()).value(std::nan("")).value(1.5).end_array();
  const auto j = nlohmann::json::parse(w.str());
  EXPECT_TRUE(j[0].is_null());
  EXPECT_TRUE(j[1].is_null());
  EXPECT_EQ(j[2], 1.5);
}

TEST(JsonWriter, EscapesControlCharacters) {
  EXPECT_EQ(JsonWriter::escape(std::string("a\x01"
                                           "b\\")),
            "\"a\\u0001b\\\\\"");
}

TEST(CalibrationWriter, WriteFileCreatesDirectories) {
  const auto dir = std::filesystem::path(TEST_TMP_DIR) / "writer_test" / "calibration";
  std::filesystem::remove_all(dir.parent_path());
  std::string error;
  ASSERT_TRUE(write_file((dir / "x.json").string(), "{}\n", error)) << error;
  std::ifstream in(dir / "x.json");
  std::string s((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(s, "{}\n");
  EXPECT_FALSE(write_file("/proc/definitely/not/writable.json", "{}", error));
  EXPECT_FALSE(error.empty());
}

}  // namespace
}  // namespace trainplan::profiler
