#include "planner/export/export.hpp"

namespace trainplan::exporter {

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
  for (ExportFormat f : {ExportFormat::kMegatron, ExportFormat::kDeepSpeed, ExportFormat::kTorchtitan, ExportFormat::kNemo})
    if (name == format_name(f)) return f;
  return std::nullopt;
}

const ExportFile* ExportResult::find_file(std::string_view name) const {
  for (const auto& f : files)
    if (f.name == name) return &f;
  return nullptr;
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
