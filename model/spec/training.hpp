// The training job: batch, sequence, precision, optimizer, budget, framework and checkpoints.
#pragma once

#include <optional>
#include <string>

#include "model/spec/era.hpp"
#include "model/spec/framework.hpp"
#include "model/spec/hardware.hpp"
#include "model/units.hpp"

namespace trainplan {

enum class Optimizer { kAdam, kSgd };

// How the job checkpoints (model/goodput.hpp). Megatron-LM saves synchronously unless --async-save
// (megatron/training/arguments.py); the interval is the Young/Daly optimum unless given.
struct CheckpointSpec {
  bool async = false;               // snapshot to host memory, then drain to storage in the background
  std::optional<Seconds> interval;  // compute time between checkpoints; nullopt: the optimum
  friend bool operator==(const CheckpointSpec&, const CheckpointSpec&) = default;
};

struct TrainingSpec {
  long long global_batch = 1;      // sequences per optimizer step (exact)
  long long global_batch_max = 0;  // > global_batch when the problem gives a range
  int sequence_length = 2048;
  Precision precision = Precision::kBf16;
  Optimizer optimizer = Optimizer::kAdam;
  double token_budget = 0;                     // tokens to train on (time-to-train); 0 = not given
  double deadline_days = 0;                    // for the fewest-gpus objective; 0 = not given
  Framework framework = Framework::kUnstated;  // training.framework (framework.hpp)
  std::string framework_version;               // training.framework_version as the user names it; "" = not given
  std::string date;                            // the job's top-level "date" ("YYYY" or "YYYY-MM"); "" = not given
  SoftwareEra era;                             // what `framework` could do at `date` (era.hpp; the readers fill it)
  CheckpointSpec checkpoint;                   // training.checkpoint
  friend bool operator==(const TrainingSpec&, const TrainingSpec&) = default;
};

// Whether master-weight remainders (PlanSpec::param_remainders) can exist for this training: the
// weights must be bf16 (bf16 or fp8 training) and the optimizer Adam, the one with a remainder
// store (Apex DistributedFusedAdam, Transformer Engine FusedAdam).
[[nodiscard]] inline bool remainders_possible(const TrainingSpec& t) {
  return keeps_bf16_weights(t.precision) && t.optimizer == Optimizer::kAdam;
}

}  // namespace trainplan
