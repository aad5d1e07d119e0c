#include "gui/plan_export.hpp"

#include <filesystem>
#include <fstream>

#ifdef TRAINPLAN_GUI_HAVE_EXPORT
#include "planner/export/export.hpp"
#endif

namespace trainplan::gui {

std::vector<std::string> export_formats() {
#ifdef TRAINPLAN_GUI_HAVE_EXPORT
  return {"megatron", "deepspeed", "torchtitan", "nemo"};
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
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    out.reasons.push_back("cannot create " + dir + ": " + ec.message());
    return out;
  }
  for (const auto& file : r.files) {
    const auto path = std::filesystem::path(dir) / file.name;
    std::filesystem::create_directories(path.parent_path(), ec);
    std::ofstream os(path, std::ios::binary);
    os << file.content;
    if (!os) {
      out.reasons.push_back("cannot write " + path.string());
      continue;
    }
    os.close();
    if (file.executable)
      std::filesystem::permissions(path, std::filesystem::perms::owner_exec | std::filesystem::perms::group_exec | std::filesystem::perms::others_exec,
                                   std::filesystem::perm_options::add, ec);
    out.written.push_back(path.string());
  }
#else
  (void)job;
  (void)dir;
  out.reasons.push_back("this build has no exporter (trainplan_export); cannot write " + format + " files");
#endif
  return out;
}

}  // namespace trainplan::gui
