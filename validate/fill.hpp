// The contract's fill of a validation row's unstated knobs (../shared/docs/contract.md,
// "Validation files"): each knob a run does not state takes what the run's framework does by
// default (configs/frameworks/defaults.json), or its published recipe for that model where there
// is one (configs/frameworks/recipes.json); only where that plan does not fit in memory, the
// framework's documented memory savings are taken one at a time, least costly first (to_fit),
// until it fits. Never the fastest completion. Every filled knob says why: default, recipe or
// to fit. Nothing here reads a row's id or source; a recipe matches by framework, model shape
// (layers, hidden size, sequence length) and the run's stated tp and pp.
//
//   Diagnostics d;
//   std::optional<FillData> data = load_fill_data(catalog, d);
//   FilledPlan f = fill_plan(row_job, *data, evaluator, cal);
//   f.fits;                       // the plan fits with the planner's memory headroom
//   f.why[0];                     // {FillKnob::kMicroBatch, FillWhy::kRecipe}
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "model/evaluator.hpp"
#include "model/json_reader.hpp"
#include "model/spec/catalog.hpp"
#include "model/spec/framework.hpp"
#include "validate/validation.hpp"

namespace trainplan {

// The knobs the fill gives a value; their names are the files' keys and the report's `chosen` keys.
enum class FillKnob {
  kMicroBatch,
  kRecompute,
  kVirtualStages,
  kZero,
  kSequenceParallel,
  kTpCommOverlap,
  kOverlapGradReduce,  // no run states these two (the schema has no field): always filled
  kOverlapParamGather,
  kCount
};
inline constexpr size_t kFillKnobCount = static_cast<size_t>(FillKnob::kCount);
inline constexpr std::array<std::string_view, kFillKnobCount> kFillKnobNames = {
    "micro_batch_size",  "activation_recomputation", "virtual_pipeline_stages", "zero_stage",
    "sequence_parallel", "tp_comm_overlap",          "overlap_grad_reduce",     "overlap_param_gather"};

// What a defaults entry or a recipe says about each knob (nullopt: nothing).
struct FillValues {
  std::optional<int> micro_batch;            // per GPU; 0: the whole per-replica batch (no gradient accumulation)
  std::optional<int> micro_batch_pipelined;  // the micro-batch where pp > 1, if the framework has another one there
  std::optional<Recompute> recompute;
  int recompute_every = 0;  // full recomputation of one block in N (torchtitan selective_ac_option "2")
  std::optional<int> virtual_stages, zero;
  std::optional<bool> sequence_parallel, tp_comm_overlap, overlap_grad_reduce, overlap_param_gather;
};

// The documented memory savings the fill may take when the default plan does not fit.
enum class FitStep { kSequenceParallel, kDistributedOptimizer, kSelectiveRecompute, kFullRecompute, kSmallerMicroBatch };

// A default that older releases had otherwise: runs dated before (year, month) take the knob
// `values` gives (month 0: the year's grain, as in era.hpp).
struct EarlierDefault {
  int year = 0, month = 0;
  FillValues values;  // one knob given
};

struct FrameworkDefaults {
  FillValues values;  // every knob given
  std::vector<EarlierDefault> earlier;
  std::vector<FitStep> to_fit;
  // The defaults for a run dated (year, month); year 0 (no date): the current ones.
  [[nodiscard]] FillValues at(int year, int month) const;
};

struct Recipe {
  Framework framework = Framework::kOther;
  int layers = 0;
  long long hidden = 0, sequence = 0;
  int tp = 1, pp = 1;
  FillValues values;
  std::string source;
};

struct FillData {
  std::array<FrameworkDefaults, kFrameworkNames.size()> defaults;  // by framework, in kFrameworkNames order
  std::vector<Recipe> recipes;
  [[nodiscard]] const FrameworkDefaults& of(Framework f) const { return defaults[static_cast<size_t>(effective_framework(f)) - 1]; }
};

// Both files, read strictly: nullopt with errors naming the file and JSON path.
std::optional<FillData> load_fill_data(const Catalog& catalog, Diagnostics& diag);
// The recipe for the job's framework, model shape (layers, hidden size, sequence length) and stated
// tp and pp; nullptr when there is none.
const Recipe* matching_recipe(const FillData& data, const JobSpec& job);

enum class FillWhy { kDefault, kRecipe, kToFit };
std::string_view fill_why_name(FillWhy w);  // "default", "recipe", "to fit"

// Whether a plan fits in memory (contract: a row is infeasible when "trainplan's memory model says
// the published plan does not fit"): the evaluation is feasible, every stage within the GPU's
// memory (no headroom: the published plan ran).
bool fits_in_memory(const Evaluation& ev);
// Whether the plan is refused for another reason than memory (a feature the framework lacks, a
// placement Megatron would not build): no memory saving changes that.
bool refused(const Evaluation& ev);

struct FilledPlan {
  JobSpec job;
  Evaluation evaluation;
  bool fits = false;
  std::vector<std::pair<FillKnob, FillWhy>> why;  // each filled knob once, in fill order
  std::vector<FitStep> steps;                     // the savings taken to fit, in order
  const Recipe* recipe = nullptr;
  [[nodiscard]] std::optional<FillWhy> why_of(FillKnob k) const;
};
// The row's plan with its unstated knobs filled, and its prediction. When nothing fits, the plan
// with every applicable step taken, and its reasons.
FilledPlan fill_plan(const RowJob& rj, const FillData& data, const Evaluator& ev, const Calibration& cal);

}  // namespace trainplan
