#include "fuzz/entries.hpp"

#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "model/analytic.hpp"
#include "model/calibration.hpp"
#include "model/json_reader.hpp"
#include "model/params.hpp"
#include "model/spec/catalog.hpp"
#include "model/spec/hf_config.hpp"
#include "validate/validation.hpp"

namespace trainplan::fuzz {

namespace {

namespace fs = std::filesystem;

// The readers take paths, so each input is written to a file in a private folder of this process
// (relative references such as {"hf_config": "x.json"} then resolve inside it).
class ScratchDir {
 public:
  ScratchDir() {
    std::string tmpl = (fs::temp_directory_path() / "trainplan-fuzz-XXXXXX").string();
    if (char* d = mkdtemp(tmpl.data())) dir_ = d;
  }
  ~ScratchDir() {
    std::error_code ec;
    if (!dir_.empty()) fs::remove_all(dir_, ec);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;

  // Writes the bytes to <dir>/<name> and returns the path.
  std::string write(const char* name, std::string_view bytes) const {
    std::string path = (fs::path(dir_) / name).string();
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    return path;
  }

 private:
  std::string dir_;
};

const ScratchDir& scratch() {
  static const ScratchDir dir;  // harness state only; removed when the process exits
  return dir;
}

// A rejection must say where and what.
std::string check_diagnostics(const Diagnostics& diag) {
  for (const auto& d : diag.items()) {
    if (d.file.empty()) return "diagnostic without a file: " + d.to_string();
    if (d.message.empty()) return "diagnostic without a message: " + d.to_string();
    if (!d.pointer.empty() && d.pointer[0] != '/') return "diagnostic with a malformed JSON pointer: " + d.to_string();
  }
  return {};
}

// An output document must hold only finite numbers and serialize.
std::string check_output(const Json& out) {
  if (auto p = find_non_finite(out)) return "non-finite number in the output at " + *p;
  (void)out.dump();  // throws on invalid UTF-8 (e.g. a message cut inside a character)
  return {};
}

}  // namespace

std::string check_evaluation(const Evaluation& e) {
  auto bad = [](double v) { return !std::isfinite(v); };
  const TimeBreakdown& b = e.breakdown;
  const double times[] = {e.step_time.si(), b.compute.si(), b.recompute.si(), b.tp_comm.si(),   b.cp_comm.si(), b.ep_comm.si(),
                          b.pp_comm.si(),   b.dp_comm.si(), b.bubble.si(),    b.optimizer.si(), b.offload.si()};
  for (double t : times)
    if (bad(t) || t < 0) return "step time or breakdown is " + std::to_string(t);
  const double rates[] = {e.tokens_per_s, e.tokens_per_s_per_gpu, e.model_tflops_per_gpu,   e.hardware_tflops_per_gpu, e.mfu_pct,
                          e.hfu_pct,      e.model_flops_per_step, e.hardware_flops_per_step};
  for (double r : rates)
    if (bad(r) || r < 0) return "throughput or FLOP figure is " + std::to_string(r);
  for (const auto& s : e.stage_kinds)
    if (bad(s.total().si()) || bad(s.offloaded_cpu.si()) || bad(s.offloaded_nvme.si())) return "stage memory is not finite";
  if (bad(e.peak_memory.si())) return "peak memory is not finite";
  if (e.feasible && !(e.step_time.si() > 0)) return "feasible plan with a step time of " + std::to_string(e.step_time.si());
  if (!e.feasible && e.reasons.empty()) return "infeasible without a reason";
  return {};
}

std::optional<std::string> find_non_finite(const Json& j) {
  if (j.is_number_float()) {
    if (!std::isfinite(j.get<double>())) return std::string();
    return std::nullopt;
  }
  if (j.is_object()) {
    for (auto it = j.begin(); it != j.end(); ++it)
      if (auto p = find_non_finite(*it)) return "/" + it.key() + *p;
  } else if (j.is_array()) {
    for (size_t i = 0; i < j.size(); ++i)
      if (auto p = find_non_finite(j[i])) return "/" + std::to_string(i) + *p;
  }
  return std::nullopt;
}

std::string job(std::string_view input) {
  const Catalog catalog = Catalog::from_default_dir();
  const std::string path = scratch().write("job.json", input);
  Diagnostics diag;
  auto spec = load_job_file(path, catalog, diag);
  if (auto p = check_diagnostics(diag); !p.empty()) return p;
  if (!spec) return diag.ok() ? "job rejected without a diagnostic" : "";
  if (!diag.ok()) return "job accepted with diagnostics";
  Calibration cal = load_calibration(catalog, spec->cluster.node.gpu, "", diag);
  if (!diag.ok()) return "shipped calibration rejected: " + diag.items()[0].to_string();
  Evaluation e = AnalyticEvaluator().evaluate(*spec, cal);
  if (auto p = check_evaluation(e); !p.empty()) return p;
  return check_output(evaluation_to_json(e));
}

std::string hf_config(std::string_view input) {
  const std::string path = scratch().write("config.json", input);
  Diagnostics diag;
  auto doc = load_json_file(path, diag);
  if (!doc) return diag.ok() ? "unreadable JSON without a diagnostic" : check_diagnostics(diag);
  ModelSpec m = read_hf_config(Node{&*doc, path, "", &diag});
  if (auto p = check_diagnostics(diag); !p.empty()) return p;
  if (!diag.ok()) return {};
  const double total = total_params(m), active = active_params(m);
  if (!std::isfinite(total) || !std::isfinite(active)) return "parameter count is not finite";
  return {};
}

std::string validation(std::string_view input) {
  const Catalog catalog = Catalog::from_default_dir();
  const std::string path = scratch().write("runs.json", input);
  Diagnostics diag;
  auto doc = load_json_file(path, diag);
  if (!doc) return diag.ok() ? "unreadable JSON without a diagnostic" : check_diagnostics(diag);
  const AnalyticEvaluator evaluator;
  auto calibration_for = [&](const GpuSpec& gpu) {
    Diagnostics d;
    return load_calibration(catalog, gpu, "", d);
  };
  ValidationReport report = validate_runs(*doc, path, catalog, evaluator, calibration_for, diag);
  if (auto p = check_diagnostics(diag); !p.empty()) return p;
  return check_output(report_to_json(report));
}

std::string calibration(std::string_view input) {
  const Catalog catalog = Catalog::from_default_dir();
  Diagnostics diag;
  auto gpu = load_gpu_key("h100-sxm5-80gb", catalog, diag);
  if (!gpu) return "shipped GPU h100-sxm5-80gb rejected";
  const std::string path = scratch().write("calibration.json", input);
  Calibration cal = load_calibration(catalog, *gpu, path, diag);
  if (auto p = check_diagnostics(diag); !p.empty()) return p;
  if (!diag.ok()) return {};
  for (const auto& s : cal.gemm_samples)
    if (!std::isfinite(s.tflops) || !(s.tflops > 0) || !(s.m > 0) || !(s.n > 0) || !(s.k > 0)) return "accepted a GEMM sample out of range";
  // An accepted calibration must give a finite prediction for a shipped job.
  const std::string example = catalog.dir() + "/examples/llama3-70b-h100-64.json";
  auto spec = load_job_file(example, catalog, diag);
  if (!spec) return {};  // the example is not this target's input
  Evaluation e = AnalyticEvaluator().evaluate(*spec, cal);
  if (auto p = check_evaluation(e); !p.empty()) return p;
  return check_output(evaluation_to_json(e));
}

std::string units(std::string_view input) {
  auto bad = [](double v) { return !std::isfinite(v) || v < 0; };
  if (auto v = parse_bytes(input); v && bad(v->si())) return "parse_bytes gave " + std::to_string(v->si());
  if (auto v = parse_rate(input); v && bad(v->si())) return "parse_rate gave " + std::to_string(v->si());
  if (auto v = parse_time(input); v && bad(v->si())) return "parse_time gave " + std::to_string(v->si());
  if (auto v = parse_flops_rate(input); v && bad(v->si())) return "parse_flops_rate gave " + std::to_string(v->si());
  if (auto v = parse_power(input); v && bad(v->si())) return "parse_power gave " + std::to_string(v->si());
  if (auto v = parse_usd_per_hour(input); v && bad(*v)) return "parse_usd_per_hour gave " + std::to_string(*v);
  return {};
}

std::vector<std::string> entry_names() { return {"job", "hf_config", "validation", "calibration", "units"}; }

std::string run_entry(std::string_view name, std::string_view input) {
  if (name == "job") return job(input);
  if (name == "hf_config") return hf_config(input);
  if (name == "validation") return validation(input);
  if (name == "calibration") return calibration(input);
  if (name == "units") return units(input);
  return "unknown fuzz target \"" + std::string(name) + "\"";
}

}  // namespace trainplan::fuzz
