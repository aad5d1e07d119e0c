// Naming the local GPU the way the catalog does (configs/gpus/<key>.json), and the documented
// collective defaults written when only one GPU is present.
//
//   GpuKey k = gpu_key_for("NVIDIA H100 80GB HBM3", 79.1);   // {"h100-sxm5-80gb", true}
//   GpuKey p = gpu_key_for("NVIDIA H100 PCIe", 79.6);        // {"h100-pcie", false}: not in the catalog
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "profiler/calibration_writer.hpp"

namespace trainplan::profiler {

struct GpuKey {
  std::string key;
  bool in_catalog = false;
  friend bool operator==(const GpuKey&, const GpuKey&) = default;
};

// Maps cudaDeviceProp::name (and total memory, which separates the A100 40/80 GB parts) to a catalog
// key; a GPU outside the catalog gets a lower-case slug of its name without the "nvidia"/"tesla" word.
GpuKey gpu_key_for(std::string_view device_name, double memory_gib);

// "NVRM version: NVIDIA UNIX x86_64 Kernel Module  570.124.06  Thu ..." -> "570.124.06"
// (the text of /proc/driver/nvidia/version); nullopt when it is not there.
std::optional<std::string> parse_nvidia_driver_version(std::string_view proc_text);

// "13.0" from 13000 (cudaRuntimeGetVersion / cudaDriverGetVersion encoding 1000·major + 10·minor).
std::string cuda_version_string(int encoded);

// Per-direction NVLink bandwidth of one GPU in GB/s for a catalog key (datasheet figures: V100 150,
// A100 300, H100/H200 450, H800 200, B200/GB200/GB300 900); nullopt when not known.
std::optional<double> nvlink_gbps_per_direction(std::string_view key);

// The collective entries written when there is only one GPU: for each collective, 8 ranks and 1 GiB,
// busbw = NVLink per-direction bandwidth × 0.8 (the model's default nvlink_efficiency), marked
// measured = false with the source spelled out. Empty when the key's NVLink bandwidth is not known.
std::vector<CollectiveRow> default_collective_rows(std::string_view key);

}  // namespace trainplan::profiler
