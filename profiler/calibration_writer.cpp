#include "profiler/calibration_writer.hpp"

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>

namespace trainplan::profiler {

// ---- JsonWriter -------------------------------------------------------------------------------

std::string JsonWriter::escape(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 2);
  out += '"';
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  out += '"';
  return out;
}

void JsonWriter::newline_indent(int depth) {
  out_ += '\n';
  out_.append(static_cast<size_t>(depth) * 2, ' ');
}

void JsonWriter::before_value() {
  if (after_key_) {
    after_key_ = false;
    return;
  }
  if (stack_.empty()) return;
  Level& l = stack_.back();
  if (!l.first) out_ += l.compact ? ", " : ",";
  if (!l.compact) newline_indent(static_cast<int>(stack_.size()));
  l.first = false;
}

void JsonWriter::open(char c) {
  before_value();
  const bool compact = static_cast<int>(stack_.size()) >= inline_depth_ || (!stack_.empty() && stack_.back().compact);
  out_ += c;
  stack_.push_back({true, compact});
}

void JsonWriter::close(char c) {
  const Level l = stack_.back();
  stack_.pop_back();
  if (!l.compact && !l.first) newline_indent(static_cast<int>(stack_.size()));
  out_ += c;
  if (stack_.empty()) out_ += '\n';
}

JsonWriter& JsonWriter::begin_object() {
  open('{');
  return *this;
}
JsonWriter& JsonWriter::end_object() {
  close('}');
  return *this;
}
JsonWriter& JsonWriter::begin_array() {
  open('[');
  return *this;
}
JsonWriter& JsonWriter::end_array() {
  close(']');
  return *this;
}

JsonWriter& JsonWriter::key(std::string_view k) {
  before_value();
  out_ += escape(k);
  out_ += ": ";
  after_key_ = true;
  return *this;
}

JsonWriter& JsonWriter::value(std::string_view s) {
  before_value();
  out_ += escape(s);
  return *this;
}

JsonWriter& JsonWriter::value(double d) {
  before_value();
  if (!std::isfinite(d)) {
    out_ += "null";
    return *this;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", d);
  out_ += buf;
  return *this;
}

JsonWriter& JsonWriter::value(std::int64_t i) {
  before_value();
  out_ += std::to_string(i);
  return *this;
}

JsonWriter& JsonWriter::value(bool b) {
  before_value();
  out_ += b ? "true" : "false";
  return *this;
}

JsonWriter& JsonWriter::null() {
  before_value();
  out_ += "null";
  return *this;
}

// ---- the calibration file ---------------------------------------------------------------------

std::string utc_iso8601(std::time_t t) {
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

namespace {

void write_gpu(JsonWriter& w, const GpuInfo& g) {
  w.key("gpu").begin_object();
  w.key("name").value(g.name);
  w.key("key").value(g.key);
  w.key("key_in_catalog").value(g.key_in_catalog);
  w.key("driver").value(g.driver);
  w.key("cuda").value(g.cuda);
  w.key("cuda_driver_api").value(g.cuda_driver_api);
  w.key("compute_capability").value(std::to_string(g.compute_capability_major) + "." + std::to_string(g.compute_capability_minor));
  w.key("clocks").begin_object();
  w.key("sm_max_mhz").value(g.sm_clock_max_mhz);
  w.key("memory_max_mhz").value(g.memory_clock_max_mhz);
  w.end_object();
  w.key("sm_count").value(g.sm_count);
  w.key("memory_gib").value(g.memory_gib);
  w.key("device_count").value(g.device_count);
  w.end_object();
}

void write_pairs(JsonWriter& w, std::string_view name, const std::vector<std::pair<std::string, std::string>>& pairs) {
  w.key(name).begin_object();
  for (const auto& [k, v] : pairs) w.key(k).value(v);
  w.end_object();
}

void write_method(JsonWriter& w, const MethodInfo& m) {
  w.key("method").begin_object();
  w.key("timing").value(m.timing);
  w.key("gemm").value(m.gemm);
  w.key("attention").value(m.attention);
  w.key("memory_bound").value(m.memory_bound);
  w.key("copies").value(m.copies);
  w.key("collectives").value(m.collectives);
  w.key("quick").value(m.quick);
  write_pairs(w, "libraries", m.libraries);
  write_pairs(w, "environment", m.environment);
  w.key("notes").begin_array();
  for (const auto& n : m.notes) w.value(n);
  w.end_array();
  w.end_object();
}

}  // namespace

std::string to_json(const CalibrationFile& f) {
  JsonWriter w(2);
  w.begin_object();
  w.key("schema").value(kCalibrationSchema);
  write_gpu(w, f.gpu);
  w.key("date").value(f.date);
  write_method(w, f.method);

  w.key("gemm").begin_array();
  for (const auto& g : f.gemm) {
    w.begin_object();
    w.key("m").value(g.m).key("n").value(g.n).key("k").value(g.k);
    w.key("dtype").value(dtype_name(g.dtype));
    w.key("tflops").value(g.tflops);
    w.key("time_us").value(g.time_us);
    w.key("op").value(g.op);
    w.key("pass").value(pass_name(g.pass));
    w.end_object();
  }
  w.end_array();

  w.key("attention").begin_array();
  for (const auto& a : f.attention) {
    w.begin_object();
    w.key("batch").value(a.shape.batch).key("heads").value(a.shape.heads);
    w.key("head_dim").value(a.shape.head_dim).key("seq").value(a.shape.seq);
    w.key("causal").value(a.shape.causal).key("pass").value(a.pass);
    w.key("dtype").value(dtype_name(a.dtype));
    w.key("time_us").value(a.time_us).key("tflops").value(a.tflops);
    w.end_object();
  }
  w.end_array();

  w.key("memory_bound").begin_array();
  for (const auto& r : f.memory_bound) {
    w.begin_object();
    w.key("kernel").value(memory_kernel_name(r.kernel));
    w.key("rows").value(r.rows).key("cols").value(r.cols).key("dtype").value(r.dtype);
    w.key("bytes").value(r.bytes).key("time_us").value(r.time_us).key("bandwidth_gbps").value(r.bandwidth_gbps);
    w.end_object();
  }
  w.end_array();

  w.key("copies").begin_array();
  for (const auto& c : f.copies) {
    w.begin_object();
    w.key("direction").value(c.direction).key("host_memory").value(c.host_memory);
    w.key("bytes").value(c.bytes).key("time_us").value(c.time_us).key("bandwidth_gbps").value(c.bandwidth_gbps);
    w.end_object();
  }
  w.end_array();

  w.key("collectives").begin_array();
  for (const auto& c : f.collectives) {
    w.begin_object();
    w.key("collective").value(collective_name(c.collective)).key("ranks").value(c.ranks);
    w.key("bytes").value(c.bytes).key("count").value(c.count).key("dtype").value(c.dtype);
    if (c.measured)
      w.key("time_us").value(c.time_us);
    else
      w.key("time_us").null();
    if (c.measured)
      w.key("algbw_gbps").value(c.algbw_gbps);
    else
      w.key("algbw_gbps").null();
    w.key("busbw_gbps").value(c.busbw_gbps);
    w.key("measured").value(c.measured).key("source").value(c.source);
    w.end_object();
  }
  w.end_array();
  w.end_object();
  return w.str();
}

bool write_file(const std::string& path, const std::string& text, std::string& error) {
  std::error_code ec;
  const auto parent = std::filesystem::path(path).parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent, ec);
  if (ec) {
    error = "cannot create directory " + parent.string() + ": " + ec.message();
    return false;
  }
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) {
    error = "cannot open " + path + " for writing";
    return false;
  }
  out << text;
  out.close();
  if (!out) {
    error = "error writing " + path;
    return false;
  }
  return true;
}

}  // namespace trainplan::profiler
