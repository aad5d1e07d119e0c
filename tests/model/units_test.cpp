#include "model/units.hpp"
#include "model/json_reader.hpp"

#include <gtest/gtest.h>

namespace trainplan {
namespace {

TEST(Units, DivisionByAUnitGivesANumber) {
  // 1 MiB at 50 GB/s: 1048576 / 50e9 s.
  Seconds t = MiB(1) / GBps(50);
  EXPECT_DOUBLE_EQ(t / us(1), 1048576.0 / 50e9 * 1e6);
  EXPECT_DOUBLE_EQ(GiB(80) / GB(1), 80.0 * 1073741824.0 / 1e9);
}

TEST(Units, ParsesSizesWithDecimalAndBinaryPrefixes) {
  EXPECT_DOUBLE_EQ(parse_bytes("80GiB")->si(), 80.0 * 1073741824.0);
  EXPECT_DOUBLE_EQ(parse_bytes("141GB")->si(), 141e9);
  EXPECT_DOUBLE_EQ(parse_bytes("512 MiB")->si(), 512.0 * 1048576.0);
  EXPECT_FALSE(parse_bytes("80"));
  EXPECT_FALSE(parse_bytes("-1GB"));
  EXPECT_FALSE(parse_bytes("80GHz"));
}

TEST(Units, ParsesRatesInBytesAndBits) {
  EXPECT_DOUBLE_EQ(parse_rate("3.35TB/s")->si(), 3.35e12);
  EXPECT_DOUBLE_EQ(parse_rate("450GBps")->si(), 450e9);
  EXPECT_DOUBLE_EQ(parse_rate("400Gbps")->si(), 400e9 / 8);
  EXPECT_DOUBLE_EQ(parse_rate("64GiB/s")->si(), 64.0 * 1073741824.0);
  EXPECT_FALSE(parse_rate("400"));
}

TEST(Units, ParsesTimesFlopsPowerAndPrice) {
  EXPECT_DOUBLE_EQ(parse_time("2us")->si(), 2e-6);
  EXPECT_DOUBLE_EQ(parse_time("1.5ms")->si(), 1.5e-3);
  EXPECT_DOUBLE_EQ(parse_flops_rate("989TFLOPS")->si(), 989e12);
  EXPECT_DOUBLE_EQ(parse_power("1.2kW")->si(), 1200.0);
  EXPECT_DOUBLE_EQ(*parse_usd_per_hour("2.50USD/h"), 2.5);
  EXPECT_FALSE(parse_time("2"));
}

}  // namespace
}  // namespace trainplan
