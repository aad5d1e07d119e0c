// The Megatron-LM pretrain_gpt.py arguments of a job, grouped as the upstream example scripts group
// them (examples/gpt3/train_gpt3_175b_distributed.sh): MODEL_ARGS, TRAINING_ARGS, ...
//
//   Refusals r;
//   auto groups = megatron_arguments(job, r);   // notes (e.g. SP dropped at TP 1) land in r.notes
//   std::string line = render_arguments(groups);
#pragma once

#include <string>
#include <vector>

#include "model/spec/job.hpp"
#include "planner/export/rules.hpp"

namespace trainplan::exporter {

struct MegatronArg {
  std::string flag;
  std::string value;  // empty: a store_true switch
};

struct MegatronArgGroup {
  std::string name;  // bash array name, e.g. MODEL_ARGS
  std::vector<MegatronArg> args;
};

std::vector<MegatronArgGroup> megatron_arguments(const JobSpec& job, Refusals& r);
// One flag (and its value) per line, shell-quoted where needed.
std::string render_arguments(const std::vector<MegatronArgGroup>& groups);
// Quotes a value for bash when it holds characters the shell would interpret.
std::string shell_quote(const std::string& value);

}  // namespace trainplan::exporter
