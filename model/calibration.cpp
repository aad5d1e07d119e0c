#include "model/calibration.hpp"

#include <filesystem>

#include "model/spec/architecture.hpp"

namespace trainplan {

namespace {

void read_arch(ObjectReader& r, ArchCalibration& a) {
  if (auto g = r.child("gemm_efficiency")) {
    ObjectReader ge(*g);
    if (ge.valid()) {
      for (const char* name : {"fp32", "tf32", "bf16", "fp16", "fp8"}) {
        Json j = name;
        Diagnostics scratch;
        Precision p = read_precision_value(Node{&j, "", "", &scratch});
        a.gemm_efficiency[static_cast<int>(p)] = ge.number(name, a.gemm_efficiency[static_cast<int>(p)], 0.01, 1.0);
      }
      ge.finish();
    }
  }
  a.attention_efficiency = r.number("attention_efficiency", a.attention_efficiency, 0.01, 1.0);
  a.memory_efficiency = r.number("memory_efficiency", a.memory_efficiency, 0.01, 1.0);
  a.gemm_k_half = r.number("gemm_k_half", a.gemm_k_half, 0.0, 1e6);
  a.tile_m = r.integer("tile_m", a.tile_m, 1);
  a.tile_n = r.integer("tile_n", a.tile_n, 1);
  a.kernel_overhead = r.time("kernel_overhead", a.kernel_overhead);
  a.flash_attention = r.boolean("flash_attention", a.flash_attention);
}

void read_defaults(const Catalog& catalog, const GpuSpec& gpu, Calibration& cal, Diagnostics& diag) {
  auto path = std::filesystem::path(catalog.dir()) / "calibration" / "defaults.json";
  auto doc = load_json_file(path.string(), diag);
  if (!doc) return;
  ObjectReader root(Node{&*doc, path.string(), "", &diag});
  if (!root.valid()) return;
  root.string("schema");
  {
    ObjectReader net(root.required_child("network"));
    if (net.valid()) {
      cal.nvlink_efficiency = net.number("nvlink_efficiency", 0.05, 1.0);
      cal.network_efficiency = net.number("network_efficiency", 0.05, 1.0);
      cal.collective_latency = net.time("collective_latency");
      cal.p2p_latency = net.time("p2p_latency");
      net.finish();
    }
  }
  {
    ObjectReader fw(root.required_child("framework"));
    if (fw.valid()) {
      cal.reserved_memory = fw.bytes("reserved_memory");
      cal.fragmentation = fw.number("fragmentation", 0.0, 1.0);
      fw.finish();
    }
  }
  ObjectReader archs(root.required_child("architectures"));
  if (archs.valid()) {
    for (const Architecture& arch : kArchitectures) {
      const std::string_view key = arch.name;
      auto c = archs.child(key);
      if (!c) continue;
      if (gpu.architecture == key) {
        ObjectReader a(*c);
        if (a.valid()) {
          read_arch(a, cal.arch);
          a.finish();
        }
      }
    }
    archs.finish();
  }
  root.finish();
  cal.source = path.string();
}

// `gpu`: the job's; a file measured on another GPU (its "gpu" key, written by the profiler) would
// price this one's GEMMs at that GPU's speed, so it is refused (issue 18: an H100 file on an A100).
void read_measured(const std::string& path, const GpuSpec& gpu, Calibration& cal, Diagnostics& diag) {
  auto doc = load_json_file(path, diag);
  if (!doc) return;
  Node root{&*doc, path, "", &diag};
  ObjectReader r(root);
  if (!r.valid()) return;
  std::string schema = r.string("schema");
  if (!schema.empty() && schema != "trainplan-calibration/1")
    root.at("schema").error("expected \"trainplan-calibration/1\" (got \"" + schema + "\")");
  if (r.has("gpu")) {
    const std::string measured_on = r.string("gpu");
    if (!measured_on.empty() && !gpu.key.empty() && measured_on != gpu.key)
      root.at("gpu").error("measured on \"" + measured_on + "\", but the job's GPU is \"" + gpu.key +
                           "\": calibrate on that GPU or drop --calibration");
  }
  if (auto g = r.child("gemm"); g && g->json->is_array()) {
    for (size_t i = 0; i < g->json->size(); ++i) {
      ObjectReader e(g->at(i));
      if (!e.valid()) continue;
      GemmSample s;
      s.m = e.integer("m", 1);
      s.n = e.integer("n", 1);
      s.k = e.integer("k", 1);
      s.precision = read_precision_value(e.required_child("dtype"));
      s.tflops = e.number("tflops", 1e-6, 1e6);
      for (auto it = e.node().json->begin(); it != e.node().json->end(); ++it) e.child(it.key());  // tolerate extra columns
      cal.gemm_samples.push_back(s);
    }
  } else if (g) {
    g->error("expected an array of GEMM samples");
  }
  // Other tables (attention, memory_bound, copies, collectives) are read by the keys the model uses;
  // the rest of the profiler's file is descriptive.
  for (auto it = doc->begin(); it != doc->end(); ++it) r.child(it.key());
  cal.source += std::string(" + ") + path;
}

}  // namespace

Precision precision_class(Precision p) { return p == Precision::kFp16 ? Precision::kBf16 : p; }

Calibration default_calibration(const Catalog& catalog, const GpuSpec& gpu, Diagnostics& diag) {
  Calibration cal;
  read_defaults(catalog, gpu, cal, diag);
  return cal;
}

Calibration load_calibration(const Catalog& catalog, const GpuSpec& gpu, const std::string& explicit_file, Diagnostics& diag) {
  Calibration cal = default_calibration(catalog, gpu, diag);
  if (!explicit_file.empty()) {
    read_measured(explicit_file, gpu, cal, diag);
  } else if (auto p = catalog.find("calibration", gpu.key)) {
    read_measured(*p, gpu, cal, diag);
  }
  return cal;
}

}  // namespace trainplan
