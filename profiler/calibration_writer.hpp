// The calibration file trainplan-profile writes (schema "trainplan-calibration/1", profiler/SCHEMA.md)
// and the small JSON writer it uses: the profiler must build on a GPU host with only CMake and the
// CUDA toolkit, so it links no JSON library.
//
//   CalibrationFile f;
//   f.gpu.name = "NVIDIA H100 80GB HBM3"; f.gpu.key = "h100-sxm5-80gb";
//   f.gemm.push_back({8192, 28672, 8192, DType::kBf16, 712.4, 5400.0, "mlp_up", GemmPass::kForward});
//   std::string text = to_json(f);
//   std::string error;
//   if (!write_file("configs/calibration/h100-sxm5-80gb.json", text, error)) ...
#pragma once

#include <cstdint>
#include <ctime>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "profiler/busbw.hpp"
#include "profiler/shapes.hpp"

namespace trainplan::profiler {

inline constexpr std::string_view kCalibrationSchema = "trainplan-calibration/1";

struct GpuInfo {
  std::string name;  // cudaDeviceProp::name
  std::string key;   // catalog key (configs/gpus/<key>.json) or a slug of the name
  bool key_in_catalog = false;
  std::string driver;           // kernel module version, e.g. "570.124.06"
  std::string cuda;             // runtime version, e.g. "13.0"
  std::string cuda_driver_api;  // highest CUDA version the driver supports
  int compute_capability_major = 0, compute_capability_minor = 0;
  int sm_count = 0;
  int sm_clock_max_mhz = 0;
  int memory_clock_max_mhz = 0;
  double memory_gib = 0;
  int device_count = 0;
};

struct GemmRow {
  std::int64_t m = 0, n = 0, k = 0;
  DType dtype = DType::kBf16;
  double tflops = 0;
  double time_us = 0;
  std::string op;
  GemmPass pass = GemmPass::kForward;
};

struct AttentionRow {
  AttentionCase shape;
  std::string pass;  // "fwd" or "bwd"
  DType dtype = DType::kBf16;
  double time_us = 0;
  double tflops = 0;  // AttentionCase::forward_flops / backward_flops over time
};

struct MemoryBoundRow {
  MemoryKernel kernel = MemoryKernel::kCopy;
  std::int64_t rows = 0, cols = 0;
  std::string dtype;  // of the activations ("bf16"; Adam states "fp32")
  std::int64_t bytes = 0;
  double time_us = 0;
  double bandwidth_gbps = 0;  // bytes / time, 1 GB = 1e9 B
};

struct CopyRow {
  std::string direction;    // "h2d", "d2h", "d2d"
  std::string host_memory;  // "pinned", "pageable", "device"
  std::int64_t bytes = 0;
  double time_us = 0;
  double bandwidth_gbps = 0;
};

struct CollectiveRow {
  Collective collective = Collective::kAllReduce;
  int ranks = 1;
  std::int64_t bytes = 0;  // nccl-tests "size"
  std::int64_t count = 0;  // the count argument of the NCCL call
  std::string dtype = "bf16";
  double time_us = 0;
  double algbw_gbps = 0;
  double busbw_gbps = 0;
  bool measured = true;
  std::string source;  // "measured" or the documented default it stands for
};

struct MethodInfo {
  std::string timing;
  std::string gemm;
  std::string attention;
  std::string memory_bound;
  std::string copies;
  std::string collectives;
  bool quick = false;
  std::vector<std::pair<std::string, std::string>> libraries;    // name -> version
  std::vector<std::pair<std::string, std::string>> environment;  // NCCL_ALGO, NCCL_PROTO, ...
  std::vector<std::string> notes;
};

struct CalibrationFile {
  GpuInfo gpu;
  std::string date;  // ISO 8601 UTC
  MethodInfo method;
  std::vector<GemmRow> gemm;
  std::vector<AttentionRow> attention;
  std::vector<MemoryBoundRow> memory_bound;
  std::vector<CopyRow> copies;
  std::vector<CollectiveRow> collectives;
};

// "2025-06-01T12:34:56Z"
std::string utc_iso8601(std::time_t t);

std::string to_json(const CalibrationFile& file);

// Writes text to path, creating missing parent directories. False with a message on failure.
bool write_file(const std::string& path, const std::string& text, std::string& error);

// A streaming JSON writer: objects and arrays nested up to `inline_depth` are indented one member per
// line, deeper ones are written on one line (one table row per line). Non-finite numbers become null.
class JsonWriter {
 public:
  explicit JsonWriter(int inline_depth = 2) : inline_depth_(inline_depth) {}
  JsonWriter& begin_object();
  JsonWriter& end_object();
  JsonWriter& begin_array();
  JsonWriter& end_array();
  JsonWriter& key(std::string_view k);
  JsonWriter& value(std::string_view s);
  JsonWriter& value(const char* s) { return value(std::string_view(s)); }
  JsonWriter& value(double d);
  JsonWriter& value(std::int64_t i);
  JsonWriter& value(int i) { return value(static_cast<std::int64_t>(i)); }
  JsonWriter& value(bool b);
  JsonWriter& null();
  const std::string& str() const { return out_; }

  static std::string escape(std::string_view s);

 private:
  void before_value();
  void open(char c);
  void close(char c);
  void newline_indent(int depth);

  struct Level {
    bool first = true;
    bool compact = false;
  };
  std::string out_;
  std::vector<Level> stack_;
  bool after_key_ = false;
  int inline_depth_;
};

}  // namespace trainplan::profiler
