// Runs the built trainplan-profile on the machine the tests run on. Without a GPU it must exit with
// status 3 (kExitNoGpu), say so on stderr and write nothing; with one, a copies-only run must write a
// valid calibration file.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "profiler/options.hpp"

namespace trainplan::profiler {
namespace {

#ifdef TRAINPLAN_PROFILE_EXE
std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

int run(const std::string& args, const std::filesystem::path& err) {
  const std::string cmd = std::string("'") + TRAINPLAN_PROFILE_EXE + "' " + args + " >/dev/null 2>'" + err.string() + "'";
  const int status = std::system(cmd.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

TEST(ProfileExe, NoGpuExitsThreeElseWritesAValidFile) {
  const auto dir = std::filesystem::path(TEST_TMP_DIR) / "profile_exe";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const auto out = dir / "cal.json";
  const auto err = dir / "stderr.txt";
  const int code = run("--quick --only copies --out '" + out.string() + "'", err);
  const std::string message = slurp(err);
  if (code == kExitNoGpu) {
    std::cout << "Expectation: exit 3 and a message on a machine without a usable GPU\nActual: " << message;
    EXPECT_NE(message.find("no usable CUDA GPU"), std::string::npos) << message;
    EXPECT_FALSE(std::filesystem::exists(out));
    return;
  }
  ASSERT_EQ(code, kExitOk) << message;
  const auto j = nlohmann::json::parse(slurp(out));
  EXPECT_EQ(j.at("schema"), "trainplan-calibration/1");
  EXPECT_FALSE(j.at("gpu").at("key").get<std::string>().empty());
  EXPECT_FALSE(j.at("copies").empty());
}

TEST(ProfileExe, BadArgumentExitsTwo) {
  const auto err = std::filesystem::path(TEST_TMP_DIR) / "profile_exe_bad.txt";
  EXPECT_EQ(run("--no-such-flag", err), kExitUsage);
  EXPECT_NE(slurp(err).find("unknown argument"), std::string::npos);
}

TEST(ProfileExe, HelpExitsZero) {
  const auto err = std::filesystem::path(TEST_TMP_DIR) / "profile_exe_help.txt";
  EXPECT_EQ(run("--help", err), kExitOk);
}
#else
TEST(ProfileExe, NotBuiltWithoutCuda) { GTEST_SKIP() << "trainplan-profile was not built (no CUDA toolkit)"; }
#endif

}  // namespace
}  // namespace trainplan::profiler
