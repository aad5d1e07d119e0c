// Writes the launch configuration of one plan for a training framework through trainplan_export
// (planner/export/export.hpp), as `trainplan export JOB --format F -o DIR` does.
//
//   ExportOutcome r = export_plan(row.job, "megatron", "/tmp/out");
//   if (!r.ok()) show(r.reasons);
#pragma once

#include <string>
#include <vector>

#include "model/spec/job.hpp"

namespace trainplan::gui {

struct ExportOutcome {
  std::vector<std::string> written;  // paths
  std::vector<std::string> reasons;  // refusal or I/O problems; empty = success
  std::vector<std::string> notes;
  [[nodiscard]] bool ok() const { return reasons.empty(); }
};

// The formats this build can write ("megatron", "deepspeed", "torchtitan", "nemo"); empty when
// trainplan_export is not built.
std::vector<std::string> export_formats();
ExportOutcome export_plan(const JobSpec& job, const std::string& format, const std::string& dir);

}  // namespace trainplan::gui
