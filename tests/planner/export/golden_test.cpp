// Every example job of data/ through every exporter, compared with the committed files under
// data/golden/<job>/<format>/ (a refusal is golden as REFUSED.txt holding its reasons).
// Regenerate after an intended change with TRAINPLAN_UPDATE_GOLDEN=1 and review the diff.
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "export_test_support.hpp"

namespace trainplan::exporter {
namespace {

namespace fs = std::filesystem;

std::string read(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<ExportFile> expected_files(const ExportResult& r) {
  if (!r.refused()) return r.files;
  std::string reasons;
  for (const auto& why : r.reasons) reasons += why + "\n";
  return {{"REFUSED.txt", reasons, false}};
}

TEST(Golden, ExportsMatchCommittedFiles) {
  const bool update = std::getenv("TRAINPLAN_UPDATE_GOLDEN") != nullptr;
  for (const auto& name : testing::example_jobs()) {
    JobSpec job = testing::load_example(name);
    for (ExportFormat f : {ExportFormat::kMegatron, ExportFormat::kDeepSpeed, ExportFormat::kTorchtitan, ExportFormat::kNemo}) {
      const fs::path dir = fs::path(TEST_DATA_DIR) / "golden" / name / format_name(f);
      const auto files = expected_files(export_job(job, f));
      if (update) {
        fs::remove_all(dir);
        fs::create_directories(dir);
        for (const auto& file : files) std::ofstream(dir / file.name, std::ios::binary) << file.content;
        continue;
      }
      size_t on_disk = 0;
      for (const auto& e : fs::directory_iterator(dir)) on_disk += e.is_regular_file();
      EXPECT_EQ(on_disk, files.size()) << dir;
      for (const auto& file : files) {
        SCOPED_TRACE(::testing::Message() << "Expectation: " << (dir / file.name).string());
        ASSERT_TRUE(fs::exists(dir / file.name)) << "missing golden file";
        EXPECT_EQ(file.content, read(dir / file.name));
      }
    }
  }
}

}  // namespace
}  // namespace trainplan::exporter
