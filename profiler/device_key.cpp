#include "profiler/device_key.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>

namespace trainplan::profiler {

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

bool has(const std::string& s, std::string_view part) { return s.find(part) != std::string::npos; }

std::string slug(const std::string& lowered) {
  std::string out;
  for (char c : lowered) {
    if (std::isalnum(static_cast<unsigned char>(c))) {
      out += c;
    } else if (!out.empty() && out.back() != '-') {
      out += '-';
    }
  }
  while (!out.empty() && out.back() == '-') out.pop_back();
  for (std::string_view prefix : {"nvidia-", "tesla-"})
    if (out.rfind(prefix, 0) == 0) out.erase(0, prefix.size());
  return out;
}

}  // namespace

GpuKey gpu_key_for(std::string_view device_name, double memory_gib) {
  const std::string n = lower(device_name);
  const bool pcie = has(n, "pcie") || (has(n, " nvl") && !has(n, "nvl72"));  // PCIe and NVL cards
  // Device names as the driver reports them: "NVIDIA H100 80GB HBM3", "NVIDIA H200", "NVIDIA H800",
  // "NVIDIA A100-SXM4-80GB", "NVIDIA B200", "NVIDIA GB200", "Tesla V100-SXM2-32GB".
  if (has(n, "gb300")) return {"gb300-nvl72", true};
  if (has(n, "gb200")) return {"gb200-nvl72", true};
  if (has(n, "gh200")) return {slug(n), false};
  if (!pcie) {
    if (has(n, "b200")) return {"b200-sxm-180gb", true};
    if (has(n, "h200")) return {"h200-sxm-141gb", true};
    if (has(n, "h800")) return {"h800-sxm5-80gb", true};
    if (has(n, "h100") && (has(n, "hbm3") || has(n, "sxm"))) return {"h100-sxm5-80gb", true};
    if (has(n, "a100") && has(n, "sxm")) return {memory_gib > 50 ? "a100-sxm4-80gb" : "a100-sxm4-40gb", true};
    if (has(n, "v100") && has(n, "sxm2") && memory_gib > 20) return {"v100-sxm2-32gb", true};
  }
  return {slug(n), false};
}

std::optional<std::string> parse_nvidia_driver_version(std::string_view text) {
  const std::string_view marker = "Kernel Module";
  auto pos = text.find(marker);
  if (pos == std::string_view::npos) return std::nullopt;
  std::string_view rest = text.substr(pos + marker.size());
  rest = rest.substr(0, rest.find('\n'));
  // The first word made of digits and dots with a dot in it ("for x86_64" may come before it).
  while (!rest.empty()) {
    const auto b = rest.find_first_not_of(" \t");
    if (b == std::string_view::npos) break;
    rest.remove_prefix(b);
    const auto e = std::min(rest.find_first_of(" \t"), rest.size());
    const std::string_view word = rest.substr(0, e);
    const bool version = word.find('.') != std::string_view::npos && word.find_first_not_of("0123456789.") == std::string_view::npos;
    if (version) return std::string(word);
    rest.remove_prefix(e);
  }
  return std::nullopt;
}

std::string cuda_version_string(int encoded) { return std::to_string(encoded / 1000) + "." + std::to_string((encoded % 1000) / 10); }

std::optional<double> nvlink_gbps_per_direction(std::string_view key) {
  // NVIDIA datasheets give bidirectional totals (V100 300, A100 600, H100/H200 900, H800 400,
  // B200/GB200/GB300 1800 GB/s); one direction is half.
  struct Row {
    std::string_view key;
    double gbps;
  };
  constexpr Row kRows[] = {
      {"v100-sxm2-32gb", 150}, {"a100-sxm4-40gb", 300}, {"a100-sxm4-80gb", 300}, {"h100-sxm5-80gb", 450}, {"h200-sxm-141gb", 450},
      {"h800-sxm5-80gb", 200}, {"b200-sxm-180gb", 900}, {"gb200-nvl72", 900},    {"gb300-nvl72", 900},
  };
  for (const auto& r : kRows)
    if (r.key == key) return r.gbps;
  return std::nullopt;
}

std::vector<CollectiveRow> default_collective_rows(std::string_view key) {
  std::vector<CollectiveRow> rows;
  const auto link = nvlink_gbps_per_direction(key);
  if (!link) return rows;
  constexpr double kNvlinkEfficiency = 0.8;  // model/calibration.hpp Calibration::nvlink_efficiency
  constexpr int kRanks = 8;
  constexpr std::int64_t kBytes = std::int64_t{1} << 30;
  char source[200];
  std::snprintf(source, sizeof source, "default: NVLink %.0f GB/s per direction x 0.8 (nvlink_efficiency); not measured (one GPU)", *link);
  for (Collective c :
       {Collective::kAllReduce, Collective::kAllGather, Collective::kReduceScatter, Collective::kAllToAll, Collective::kSendRecv}) {
    CollectiveRow r;
    r.collective = c;
    r.ranks = kRanks;
    r.bytes = kBytes;
    r.count = nccl_count(c, kBytes, 2, kRanks);
    r.busbw_gbps = *link * kNvlinkEfficiency;
    r.measured = false;
    r.source = source;
    rows.push_back(r);
  }
  return rows;
}

}  // namespace trainplan::profiler
