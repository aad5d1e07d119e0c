// Replays the fuzz seed corpus (fuzz/corpus/<target>/) and every input that once broke a reader
// (tests/reliability/data/<target>/) through the fuzz entries, as CI's stand-in for fuzzing: each
// must be handled (accepted, or rejected with located diagnostics), never crash or throw.
// TRAINPLAN_REPLAY_DIR=DIR adds DIR/<target>/ (e.g. fuzz-out after ./scripts/fuzz.sh, whose
// corpora sit in fuzz-out/<target>/corpus: point it at a folder laid out as <target>/<files>).
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "fuzz/entries.hpp"

namespace trainplan::fuzz {
namespace {

namespace fs = std::filesystem;

std::vector<fs::path> inputs_of(const std::string& target) {
  std::vector<std::string> roots{FUZZ_CORPUS_DIR, TEST_DATA_DIR};
  if (const char* extra = std::getenv("TRAINPLAN_REPLAY_DIR"); extra && *extra) roots.emplace_back(extra);
  std::vector<fs::path> out;
  for (const auto& root : roots) {
    std::error_code ec;
    for (const auto& e : fs::recursive_directory_iterator(fs::path(root) / target, ec))
      if (e.is_regular_file()) out.push_back(e.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::string read_bytes(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void replay(const std::string& target, size_t min_inputs) {
  auto inputs = inputs_of(target);
  // Expectation: the committed seeds are there (a moved folder must not make this pass vacuously).
  ASSERT_GE(inputs.size(), min_inputs) << "seed corpus of " << target << " not found under " << FUZZ_CORPUS_DIR;
  for (const auto& p : inputs) {
    SCOPED_TRACE(p.string());
    std::string problem;
    EXPECT_NO_THROW(problem = run_entry(target, read_bytes(p)));
    EXPECT_EQ(problem, "");
  }
}

TEST(CorpusReplay, Job) { replay("job", 10); }
TEST(CorpusReplay, HfConfig) { replay("hf_config", 6); }
TEST(CorpusReplay, Validation) { replay("validation", 9); }
TEST(CorpusReplay, Calibration) { replay("calibration", 2); }
TEST(CorpusReplay, Units) { replay("units", 20); }

TEST(CorpusReplay, EveryTargetHasACorpus) {
  for (const auto& t : entry_names()) EXPECT_FALSE(inputs_of(t).empty()) << t;
  EXPECT_NE(run_entry("no-such-target", "{}"), "");
}

TEST(FindNonFinite, NamesThePointerOfTheFirstBadNumber) {
  Json j = {{"a", 1.0}, {"b", Json::array({2.0, std::numeric_limits<double>::quiet_NaN()})}};
  EXPECT_EQ(find_non_finite(j).value_or("none"), "/b/1");
  EXPECT_FALSE(find_non_finite(Json{{"x", 1e308}, {"y", "inf"}}).has_value());
}

}  // namespace
}  // namespace trainplan::fuzz
