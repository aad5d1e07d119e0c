// `trainplan predict --json` on every job of configs/examples/: exit 0 (feasible) or 1
// (infeasible), one JSON document on stdout whose numbers are all finite (nlohmann writes NaN and
// infinity as null, so every contract key must hold a number), and byte-identical output when run
// again (the contract: the same input gives byte-identical output).
#include <gtest/gtest.h>

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "fuzz/entries.hpp"

namespace trainplan {
namespace {

namespace fs = std::filesystem;

struct CliRun {
  int status = -1;
  std::string out;
};

CliRun run(const std::string& args) {
  CliRun r;
  const std::string cmd = std::string(TRAINPLAN_CLI) + " " + args + " 2>/dev/null";
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return r;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) r.out.append(buf.data(), n);
  const int w = pclose(p);
  r.status = WIFEXITED(w) ? WEXITSTATUS(w) : -1;
  return r;
}

// The shipped examples that are jobs (a "plan" object fixes every knob; plan problems have none).
std::vector<fs::path> job_examples() {
  std::vector<fs::path> out;
  for (const auto& e : fs::directory_iterator(fs::path(CONFIG_DIR) / "examples")) {
    if (e.path().extension() != ".json") continue;
    std::ifstream in(e.path());
    Json j = Json::parse(in, nullptr, false);
    if (j.is_object() && j.contains("plan") && j.contains("model") && j.contains("cluster")) out.push_back(e.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

void expect_number(const Json& j, const std::string& key) {
  ASSERT_TRUE(j.contains(key)) << "missing " << key;
  EXPECT_TRUE(j[key].is_number()) << key << " is " << j[key].dump() << " (NaN or infinity is written as null)";
}

TEST(CliOutputs, PredictJsonOfEveryExampleJobParsesAndIsFinite) {
  auto jobs = job_examples();
  ASSERT_GE(jobs.size(), 2u);  // the contract names gpt3-175b-a100-1024 and llama3-405b-h100-16384
  for (const auto& path : jobs) {
    SCOPED_TRACE(path.filename().string());
    CliRun r = run("predict --json " + path.string());
    EXPECT_TRUE(r.status == 0 || r.status == 1) << "exit " << r.status;
    Json j = Json::parse(r.out, nullptr, false);
    ASSERT_FALSE(j.is_discarded()) << "stdout is not one JSON document:\n" << r.out.substr(0, 400);
    EXPECT_EQ(fuzz::find_non_finite(j).value_or("all finite"), "all finite");
    for (const char* key : {"step_time_s", "tokens_per_s", "tokens_per_s_per_gpu", "model_tflops_per_gpu", "hardware_tflops_per_gpu",
                            "mfu_pct", "hfu_pct", "peak_memory_gib"})
      expect_number(j, key);
    ASSERT_TRUE(j["time_breakdown_s"].is_object());
    for (auto it = j["time_breakdown_s"].begin(); it != j["time_breakdown_s"].end(); ++it) expect_number(j["time_breakdown_s"], it.key());
    ASSERT_TRUE(j["memory_gib_per_stage"].is_array());
    for (const auto& stage : j["memory_gib_per_stage"]) {
      expect_number(stage, "total");
      for (auto it = stage["breakdown"].begin(); it != stage["breakdown"].end(); ++it) expect_number(stage["breakdown"], it.key());
    }
    EXPECT_EQ(j["feasible"].get<bool>(), r.status == 0);
    if (!j["feasible"].get<bool>()) {
      EXPECT_FALSE(j["infeasible_reasons"].empty());
    }
  }
}

TEST(CliOutputs, PredictIsByteIdenticalAcrossRuns) {
  for (const auto& path : job_examples()) {
    SCOPED_TRACE(path.filename().string());
    CliRun first = run("predict --json " + path.string());
    ASSERT_FALSE(first.out.empty());
    for (int i = 0; i < 2; ++i) {
      CliRun again = run("predict --json " + path.string());
      EXPECT_EQ(again.status, first.status);
      EXPECT_EQ(again.out, first.out);  // byte for byte
    }
  }
}

TEST(CliOutputs, BadInputExitsTwoWithNothingOnStdout) {
  const std::string path = (fs::temp_directory_path() / ("trainplan-cli-bad-" + std::to_string(::getpid()) + ".json")).string();
  std::ofstream(path) << R"({"model": "llama3-8b", "cluster": {"base": "dgx-h100-superpod", "nodes": 1e400}})";
  CliRun r = run("predict --json " + path);
  fs::remove(path);
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(r.out, "");
}

}  // namespace
}  // namespace trainplan
