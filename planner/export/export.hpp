// Launch configurations for one fully specified job, per training framework.
//
// Each exporter is a pure function of the job: it returns the files to write (name -> content) or,
// when the framework cannot express the plan, a refusal with one reason per problem. A refusal is a
// value, never an exception; the CLI turns it into exit status 1.
//
//   ExportResult r = export_job(job, ExportFormat::kMegatron);
//   if (r.refused()) { for (auto& why : r.reasons) std::cerr << why << "\n"; return 1; }
//   for (auto& f : r.files) write(dir / f.name, f.content);
//
// What each framework can express is in planner/export/rules.hpp and the per-format files; the
// facts come from docs/interfaces.md sections 1-4 and 9.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "model/spec/job.hpp"

namespace trainplan::exporter {

enum class ExportFormat { kMegatron, kDeepSpeed, kTorchtitan, kNemo };
const char* format_name(ExportFormat f);
std::vector<ExportFormat> all_formats();
std::vector<std::string> format_names();  // format_name of all_formats()
std::string format_list();                // "megatron, deepspeed, torchtitan, nemo"
std::optional<ExportFormat> find_format(std::string_view name);

struct ExportFile {
  std::string name;  // relative to the output folder
  std::string content;
  bool executable = false;
  friend bool operator==(const ExportFile&, const ExportFile&) = default;
};

struct ExportResult {
  std::vector<ExportFile> files;
  std::vector<std::string> reasons;  // non-empty: refused, files is empty
  std::vector<std::string> notes;    // adjustments the framework forces (e.g. SP dropped at TP 1)
  [[nodiscard]] bool refused() const { return !reasons.empty(); }
  [[nodiscard]] const ExportFile* find_file(std::string_view name) const;
};

// Writes the files of an accepted export under `dir` (created, with subfolders; launch scripts made
// executable). Returns the paths written, or the first error ("PATH: cannot write") in `error`.
std::vector<std::string> write_export(const ExportResult& r, const std::string& dir, std::string& error);

ExportResult export_megatron(const JobSpec& job);
ExportResult export_deepspeed(const JobSpec& job);
ExportResult export_torchtitan(const JobSpec& job);
ExportResult export_nemo(const JobSpec& job);
ExportResult export_job(const JobSpec& job, ExportFormat format);

}  // namespace trainplan::exporter
