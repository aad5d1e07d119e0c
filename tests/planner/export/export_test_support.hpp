// Shared helpers of the export tests: the example jobs of data/ and the Megatron flags of an export.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "model/spec/catalog.hpp"
#include "planner/export/export.hpp"
#include "planner/export/import.hpp"
#include "planner/export/shell_args.hpp"

namespace trainplan::exporter::testing {

inline const std::vector<std::string>& example_jobs() {
  static const std::vector<std::string> kJobs = {
      "gpt3-175b-a100-1024",    "llama3-70b-h100-64",     "mixtral-8x7b-h100-64",    "llama3-70b-zero3-cpu-offload-a100-16",
      "llama3-70b-nvme-h100-8", "llama3-8b-fsdp-a100-32", "llama3-8b-zero2-h100-16", "llama3-405b-h100-16384"};
  return kJobs;
}

inline JobSpec load_example(const std::string& name) {
  Diagnostics diag;
  auto job = load_job_file(std::string(TEST_DATA_DIR) + "/" + name + ".json", Catalog(CONFIG_DIR), diag);
  for (const auto& d : diag.items()) ADD_FAILURE() << d.to_string();
  return job.value_or(JobSpec{});
}

// A job file of the project (a path from the repository root).
inline JobSpec load_project_job(const std::string& path) {
  Diagnostics diag;
  auto job = load_job_file(std::string(CONFIG_DIR) + "/../" + path, Catalog(CONFIG_DIR), diag);
  for (const auto& d : diag.items()) ADD_FAILURE() << d.to_string();
  return job.value_or(JobSpec{});
}

inline ModelSpec load_catalog_model(const std::string& key) {
  Diagnostics diag;
  Json j = key;
  ModelSpec m = read_model(Node{&j, "<test>", "", &diag}, Catalog(CONFIG_DIR));
  for (const auto& d : diag.items()) ADD_FAILURE() << d.to_string();
  return m;
}

inline ParsedFlags megatron_flags_of(const ExportResult& r) {
  const ExportFile* f = r.find_file("megatron_args.txt");
  if (!f) return {};
  return parse_flags(shell_words(f->content));
}

inline bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace trainplan::exporter::testing
