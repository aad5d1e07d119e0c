// trainplan-profile's command line and exit statuses.
//
//   trainplan-profile [--out FILE] [--quick] [--only LIST] [--device N]
//
//   ParseResult r = parse_options(argc, argv);
//   if (r.exit_code) { std::cerr << r.message; return *r.exit_code; }
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace trainplan::profiler {

// Exit statuses (documented in profiler/SCHEMA.md and --help).
inline constexpr int kExitOk = 0;
inline constexpr int kExitUsage = 2;   // bad command line
inline constexpr int kExitNoGpu = 3;   // no usable CUDA GPU (no device, no driver, driver too old)
inline constexpr int kExitFailed = 4;  // a CUDA/library call failed while measuring, or the file could not be written

struct Sections {
  bool gemm = true, attention = true, memory_bound = true, copies = true, collectives = true;
};

struct Options {
  std::string out;  // empty: <config dir>/calibration/<gpu-key>.json
  bool quick = false;
  int device = 0;  // the GPU for single-GPU measurements
  Sections sections;
};

struct ParseResult {
  Options options;
  std::optional<int> exit_code;  // set when the program should stop: help (0) or a usage error (2)
  std::string message;           // help text (stdout) or the error (stderr)
};

ParseResult parse_options(int argc, const char* const* argv);
std::string usage_text();

// Where the file goes without --out: <config_dir>/calibration/<gpu_key>.json.
std::string default_output_path(const std::string& config_dir, const std::string& gpu_key);

}  // namespace trainplan::profiler
