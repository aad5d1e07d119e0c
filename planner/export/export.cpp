#include "planner/export/export.hpp"

#include <filesystem>
#include <fstream>

namespace trainplan::exporter {

namespace fs = std::filesystem;

std::vector<ExportFormat> all_formats() {
  return {ExportFormat::kMegatron, ExportFormat::kDeepSpeed, ExportFormat::kTorchtitan, ExportFormat::kNemo};
}

std::vector<std::string> format_names() {
  std::vector<std::string> names;
  for (ExportFormat f : all_formats()) names.emplace_back(format_name(f));
  return names;
}

std::string format_list() {
  std::string s;
  for (const auto& name : format_names()) s += (s.empty() ? "" : ", ") + name;
  return s;
}

const char* format_name(ExportFormat f) {
  switch (f) {
    case ExportFormat::kMegatron: return "megatron";
    case ExportFormat::kDeepSpeed: return "deepspeed";
    case ExportFormat::kTorchtitan: return "torchtitan";
    case ExportFormat::kNemo: return "nemo";
  }
  return "?";
}

std::optional<ExportFormat> find_format(std::string_view name) {
  for (ExportFormat f : all_formats())
    if (name == format_name(f)) return f;
  return std::nullopt;
}

const ExportFile* ExportResult::find_file(std::string_view name) const {
  for (const auto& f : files)
    if (f.name == name) return &f;
  return nullptr;
}

std::vector<std::string> write_export(const ExportResult& r, const std::string& dir, std::string& error) {
  std::vector<std::string> written;
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) {
    error = dir + ": cannot create the output folder (" + ec.message() + ")";
    return written;
  }
  for (const auto& f : r.files) {
    const fs::path path = fs::path(dir) / f.name;
    fs::create_directories(path.parent_path(), ec);
    std::ofstream out(path, std::ios::binary);
    out << f.content;
    out.close();
    if (!out) {
      error = path.string() + ": cannot write";
      return written;
    }
    if (f.executable)
      fs::permissions(path, fs::perms::owner_exec | fs::perms::group_exec | fs::perms::others_exec, fs::perm_options::add, ec);
    written.push_back(path.string());
  }
  return written;
}

ExportResult export_job(const JobSpec& job, ExportFormat format) {
  switch (format) {
    case ExportFormat::kMegatron: return export_megatron(job);
    case ExportFormat::kDeepSpeed: return export_deepspeed(job);
    case ExportFormat::kTorchtitan: return export_torchtitan(job);
    case ExportFormat::kNemo: return export_nemo(job);
  }
  return export_megatron(job);
}

}  // namespace trainplan::exporter
