#include "profiler/device_key.hpp"

#include <gtest/gtest.h>

namespace trainplan::profiler {
namespace {

TEST(DeviceKey, CatalogGpusByDriverName) {
  EXPECT_EQ(gpu_key_for("NVIDIA H100 80GB HBM3", 79.2), (GpuKey{"h100-sxm5-80gb", true}));
  EXPECT_EQ(gpu_key_for("NVIDIA H200", 139.8), (GpuKey{"h200-sxm-141gb", true}));
  EXPECT_EQ(gpu_key_for("NVIDIA H800", 79.3), (GpuKey{"h800-sxm5-80gb", true}));
  EXPECT_EQ(gpu_key_for("NVIDIA A100-SXM4-80GB", 79.2), (GpuKey{"a100-sxm4-80gb", true}));
  EXPECT_EQ(gpu_key_for("NVIDIA A100-SXM4-40GB", 39.4), (GpuKey{"a100-sxm4-40gb", true}));
  EXPECT_EQ(gpu_key_for("NVIDIA B200", 178.4), (GpuKey{"b200-sxm-180gb", true}));
  EXPECT_EQ(gpu_key_for("NVIDIA GB200", 184.0), (GpuKey{"gb200-nvl72", true}));
  EXPECT_EQ(gpu_key_for("Tesla V100-SXM2-32GB", 31.7), (GpuKey{"v100-sxm2-32gb", true}));
}

TEST(DeviceKey, OtherGpusGetASlugOutsideTheCatalog) {
  EXPECT_EQ(gpu_key_for("NVIDIA H100 PCIe", 79.6), (GpuKey{"h100-pcie", false}));
  EXPECT_EQ(gpu_key_for("NVIDIA H100 NVL", 93.0), (GpuKey{"h100-nvl", false}));
  EXPECT_EQ(gpu_key_for("NVIDIA A100 80GB PCIe", 79.2), (GpuKey{"a100-80gb-pcie", false}));
  EXPECT_EQ(gpu_key_for("NVIDIA GeForce RTX 4090", 23.6), (GpuKey{"geforce-rtx-4090", false}));
}

TEST(DeviceKey, DriverVersionFromProc) {
  EXPECT_EQ(parse_nvidia_driver_version("NVRM version: NVIDIA UNIX x86_64 Kernel Module  570.124.06  Thu Mar  6 18:45:51 UTC 2025\n"
                                        "GCC version:  gcc version 12.2.0\n"),
            "570.124.06");
  EXPECT_EQ(parse_nvidia_driver_version("NVRM version: NVIDIA UNIX Open Kernel Module for x86_64  580.65.06  Release Build"), "580.65.06");
  EXPECT_FALSE(parse_nvidia_driver_version("").has_value());
}

TEST(DeviceKey, CudaVersionString) {
  EXPECT_EQ(cuda_version_string(13000), "13.0");
  EXPECT_EQ(cuda_version_string(12080), "12.8");
}

// One GPU: defaults at NVLink per direction × 0.8, marked as not measured.
TEST(DeviceKey, SingleGpuDefaultsAreNamedAsDefaults) {
  const auto rows = default_collective_rows("h100-sxm5-80gb");
  ASSERT_EQ(rows.size(), 5u);
  for (const auto& r : rows) {
    EXPECT_FALSE(r.measured);
    EXPECT_DOUBLE_EQ(r.busbw_gbps, 450 * 0.8);
    EXPECT_EQ(r.source.rfind("default:", 0), 0u) << r.source;
    EXPECT_EQ(r.ranks, 8);
  }
  EXPECT_TRUE(default_collective_rows("geforce-rtx-4090").empty());
}

}  // namespace
}  // namespace trainplan::profiler
