// The fuzz entry points: one per reader of hand-written or tool-written input. Each takes the raw
// bytes of one input and returns an empty string when trainplan handled it as promised (accepted,
// or rejected with located diagnostics), otherwise a description of what went wrong. Crashes,
// sanitizer reports and escaping exceptions are failures on their own.
//
// The same functions run under libFuzzer (fuzz/fuzzer.cpp, TRAINPLAN_FUZZ=ON with clang) and,
// compiled without libFuzzer, in the corpus replay test (tests/reliability/corpus_replay_test.cpp):
//
//   std::string problem = trainplan::fuzz::run_entry("job", bytes);
//   if (!problem.empty()) abort();
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "model/evaluation.hpp"

namespace trainplan::fuzz {

// load_job_file on the input (as a file), then predicts the job with the analytic evaluator.
std::string job(std::string_view input);
// read_hf_config on the input parsed from memory, then the parameter counts.
std::string hf_config(std::string_view input);
// validate_runs with the analytic evaluator and the default calibration, then report_to_json.
std::string validation(std::string_view input);
// load_calibration for an H100 with the input as the explicit calibration file.
std::string calibration(std::string_view input);
// Every unit parser (parse_bytes, parse_rate, ...) on the input as text.
std::string units(std::string_view input);

// The targets by name: "job", "hf_config", "validation", "calibration", "units".
std::vector<std::string> entry_names();
// Runs the named target; an unknown name is reported as a problem.
std::string run_entry(std::string_view name, std::string_view input);

// The JSON pointer of the first number in j that is NaN or infinite, if any.
std::optional<std::string> find_non_finite(const Json& j);
// What is wrong with an evaluation (a non-finite or negative time, rate or size, a feasible plan
// without a positive step time, an infeasible one without a reason), or an empty string. Checked
// on the raw values, before evaluation_to_json rounds non-finite ones away.
std::string check_evaluation(const Evaluation& e);

}  // namespace trainplan::fuzz
