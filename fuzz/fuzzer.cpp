// libFuzzer driver for one entry of fuzz/entries.hpp, chosen at build time with
// TRAINPLAN_FUZZ_ENTRY (fuzz/CMakeLists.txt builds fuzz_job, fuzz_hf_config, ...).
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "fuzz/entries.hpp"

#ifndef TRAINPLAN_FUZZ_ENTRY
#error "define TRAINPLAN_FUZZ_ENTRY to the name of an entry in fuzz/entries.hpp"
#endif

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  std::string problem = trainplan::fuzz::run_entry(TRAINPLAN_FUZZ_ENTRY, input);
  if (!problem.empty()) {
    std::fprintf(stderr, "trainplan fuzz target %s: %s\n", TRAINPLAN_FUZZ_ENTRY, problem.c_str());
    std::abort();  // libFuzzer saves the input as a crash
  }
  return 0;
}
