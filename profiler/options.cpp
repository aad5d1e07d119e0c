#include "profiler/options.hpp"

#include <charconv>
#include <string_view>

namespace trainplan::profiler {

std::string usage_text() {
  return "usage: trainplan-profile [--out FILE] [--quick] [--only LIST] [--device N]\n"
         "\n"
         "Measures GEMMs (cuBLASLt), attention, memory-bound kernels, host<->device copies and NCCL\n"
         "collectives on the local GPU(s), timing kernels with the CUPTI Activity API, and writes a\n"
         "calibration file (schema trainplan-calibration/1, see profiler/SCHEMA.md).\n"
         "\n"
         "  --out FILE     where to write (default: configs/calibration/<gpu-key>.json)\n"
         "  --quick        a small subset of shapes and sizes (a few minutes)\n"
         "  --only LIST    comma-separated sections: gemm,attention,memory_bound,copies,collectives\n"
         "  --device N     the GPU for single-GPU measurements (default 0)\n"
         "  --help         this text\n"
         "\n"
         "Exit status: 0 written; 2 bad command line; 3 no usable CUDA GPU (nothing written);\n"
         "4 a CUDA/library error while measuring, or the file could not be written.\n";
}

namespace {

bool parse_sections(std::string_view list, Sections& s, std::string& error) {
  s = Sections{false, false, false, false, false};
  while (!list.empty()) {
    const auto comma = list.find(',');
    const std::string_view item = list.substr(0, comma);
    if (item == "gemm")
      s.gemm = true;
    else if (item == "attention")
      s.attention = true;
    else if (item == "memory_bound")
      s.memory_bound = true;
    else if (item == "copies")
      s.copies = true;
    else if (item == "collectives")
      s.collectives = true;
    else {
      error = "--only: expected gemm, attention, memory_bound, copies or collectives (got \"" + std::string(item) + "\")";
      return false;
    }
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return true;
}

}  // namespace

ParseResult parse_options(int argc, const char* const* argv) {
  ParseResult r;
  auto fail = [&](std::string msg) {
    r.exit_code = kExitUsage;
    r.message = "trainplan-profile: " + msg + "\n" + usage_text();
    return r;
  };
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    auto next = [&](std::string_view flag) -> std::optional<std::string_view> {
      if (i + 1 >= argc) return std::nullopt;
      (void)flag;
      return std::string_view(argv[++i]);
    };
    if (a == "--help" || a == "-h") {
      r.exit_code = kExitOk;
      r.message = usage_text();
      return r;
    } else if (a == "--quick") {
      r.options.quick = true;
    } else if (a == "--out" || a == "-o") {
      auto v = next(a);
      if (!v || v->empty()) return fail("--out needs a file name");
      r.options.out = std::string(*v);
    } else if (a == "--only") {
      auto v = next(a);
      if (!v) return fail("--only needs a list");
      std::string error;
      if (!parse_sections(*v, r.options.sections, error)) return fail(error);
    } else if (a == "--device") {
      auto v = next(a);
      int d = -1;
      if (!v || std::from_chars(v->data(), v->data() + v->size(), d).ec != std::errc() || d < 0)
        return fail("--device expects a GPU index >= 0");
      r.options.device = d;
    } else {
      return fail("unknown argument \"" + std::string(a) + "\"");
    }
  }
  return r;
}

std::string default_output_path(const std::string& config_dir, const std::string& gpu_key) {
  std::string dir = config_dir.empty() ? std::string("configs") : config_dir;
  if (dir.back() == '/') dir.pop_back();
  return dir + "/calibration/" + gpu_key + ".json";
}

}  // namespace trainplan::profiler
