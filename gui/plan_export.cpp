#include "gui/plan_export.hpp"

#ifdef TRAINPLAN_GUI_HAVE_EXPORT
#include "planner/export/export.hpp"
#endif

namespace trainplan::gui {

std::vector<std::string> export_formats() {
#ifdef TRAINPLAN_GUI_HAVE_EXPORT
  return exporter::format_names();
#else
  return {};
#endif
}

ExportOutcome export_plan(const JobSpec& job, const std::string& format, const std::string& dir) {
  ExportOutcome out;
#ifdef TRAINPLAN_GUI_HAVE_EXPORT
  const auto f = exporter::find_format(format);
  if (!f) {
    out.reasons.push_back("unknown export format \"" + format + "\"");
    return out;
  }
  const exporter::ExportResult r = exporter::export_job(job, *f);
  out.notes = r.notes;
  if (r.refused()) {
    out.reasons = r.reasons;
    return out;
  }
  std::string error;
  out.written = exporter::write_export(r, dir, error);
  if (!error.empty()) out.reasons.push_back(error);
#else
  (void)job;
  (void)dir;
  out.reasons.push_back("this build has no exporter (trainplan_export); cannot write " + format + " files");
#endif
  return out;
}

}  // namespace trainplan::gui
