#include "profiler/busbw.hpp"

#include <gtest/gtest.h>

namespace trainplan::profiler {
namespace {

// nccl-tests src/all_reduce.cu: busbw = algbw · 2(n-1)/n.
TEST(Busbw, AllReduceFactorIsTwoNMinusOneOverN) {
  for (int n : {1, 2, 4, 8, 16, 64}) EXPECT_DOUBLE_EQ(bus_factor(Collective::kAllReduce, n), 2.0 * (n - 1) / n);
}

// src/all_gather.cu, reduce_scatter.cu, alltoall.cu: (n-1)/n.
TEST(Busbw, GatherScatterAllToAllFactorIsNMinusOneOverN) {
  for (Collective c : {Collective::kAllGather, Collective::kReduceScatter, Collective::kAllToAll})
    for (int n : {1, 2, 8, 32}) EXPECT_DOUBLE_EQ(bus_factor(c, n), (n - 1.0) / n) << collective_name(c);
}

TEST(Busbw, PointToPointAndRootedFactorIsOne) {
  for (Collective c : {Collective::kSendRecv, Collective::kBroadcast, Collective::kReduce})
    EXPECT_DOUBLE_EQ(bus_factor(c, 8), 1.0) << collective_name(c);
}

// The illustrative nccl-tests row of docs/interfaces.md §7: 134217728 B in 1234.50 us on 8 ranks.
TEST(Busbw, AllReduceRowMatchesNcclTestsColumns) {
  const Bandwidth b = bandwidth(Collective::kAllReduce, 134217728.0, 1234.50e-6, 8);
  EXPECT_NEAR(b.algbw_gbps, 134217728.0 / 1e9 / 1234.50e-6, 1e-9);  // 108.72 in the row
  EXPECT_NEAR(b.algbw_gbps, 108.72, 0.01);
  EXPECT_NEAR(b.busbw_gbps, b.algbw_gbps * 2 * 7 / 8.0, 1e-9);  // 190.26 in the row
  EXPECT_NEAR(b.busbw_gbps, 190.26, 0.01);
}

TEST(Busbw, ZeroTimeGivesZeroBandwidth) {
  const Bandwidth b = bandwidth(Collective::kAllGather, 1e9, 0.0, 8);
  EXPECT_EQ(b.algbw_gbps, 0.0);
  EXPECT_EQ(b.busbw_gbps, 0.0);
}

// *GetCollByteCount: all_gather sendcount = count/n, the size column is the n-fold total.
TEST(Busbw, CountsFollowNcclTestsByteCounts) {
  EXPECT_EQ(nccl_count(Collective::kAllReduce, 1 << 20, 2, 8), (1 << 20) / 2);
  EXPECT_EQ(nccl_count(Collective::kAllGather, 1 << 20, 2, 8), (1 << 20) / 2 / 8);
  EXPECT_EQ(nccl_count(Collective::kReduceScatter, 1 << 20, 2, 8), (1 << 20) / 2 / 8);
  EXPECT_EQ(nccl_count(Collective::kAllToAll, 1 << 20, 2, 8), (1 << 20) / 2 / 8);
  EXPECT_EQ(nccl_count(Collective::kSendRecv, 1 << 20, 2, 8), (1 << 20) / 2);
  // 1000 B of bf16 on 3 ranks: 500 elements -> 166 per rank -> 166·3·2 = 996 B reported.
  EXPECT_EQ(effective_size(Collective::kAllGather, 1000, 2, 3), 166 * 3 * 2);
  EXPECT_EQ(effective_size(Collective::kAllReduce, 1000, 2, 3), 1000);
}

TEST(Busbw, NamesRoundTrip) {
  for (Collective c : kAllCollectives) EXPECT_EQ(find_collective(collective_name(c)), c);
  EXPECT_FALSE(find_collective("allreduce").has_value());
}

TEST(Busbw, SizeSweepIsGeometricAndInclusive) {
  const auto s = size_sweep(1024, std::int64_t{4} << 30, 2);
  ASSERT_EQ(s.size(), 23u);  // 2^10 .. 2^32
  EXPECT_EQ(s.front(), 1024);
  EXPECT_EQ(s.back(), std::int64_t{1} << 32);
  EXPECT_TRUE(size_sweep(1024, 4096, 1).empty());
}

}  // namespace
}  // namespace trainplan::profiler
