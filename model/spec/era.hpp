// What the software of a published run could do: the row's framework (contract: "The framework is
// an input") at the row's `date`, from the framework profiles in configs/frameworks/frameworks.json
// (each entry: the first release date of a feature, or null where the framework never had it,
// with the framework's code or docs). The fill (validation.cpp) tries a feature only when the
// run's software had it: a 2020 Megatron-LM run is not given 2022's sequence parallelism, nor a
// Megatron-DeepSpeed run Megatron's interleaving. Nothing here reads a row's id or source.
//
//   Diagnostics d;
//   auto era = software_era(catalog, Framework::kMegatronLm, "2021-04", d);
//   era->has(Feature::kInterleavedSchedule)   // true (since 2021-02)
//   era->has(Feature::kSequenceParallel)      // false (since 2022-05)
#pragma once

#include <array>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "model/json_reader.hpp"
#include "model/spec/framework.hpp"

namespace trainplan {

class Catalog;

// The features the fill may give a run; their names are the profile file's keys.
enum class Feature {
  kInterleavedSchedule,
  kSequenceParallel,
  kSelectiveRecompute,
  kFlashAttention,
  kTpGradOverlap,  // the backward TP collectives under the gradient GEMMs (PlanSpec::tp_grad_overlap)
  kTpCommOverlap,
  kParamRemainders,
  kAccountForLayers,      // the embedding and loss counted as pipeline layers (PlanSpec::account_for_*)
  kOverlapGradReduce,     // data-parallel gradient reduction under the backward (PlanSpec::overlap_grad_reduce)
  kP2pScatterGather,      // pipeline activations split over the TP ranks (PlanSpec::p2p_scatter_gather)
  kDistributedOptimizer,  // optimizer state sharded over data parallelism (ZeRO-1): a step the fill takes to fit (fill.hpp)
  kContextParallel,       // Megatron's ring context parallelism (PlanSpec::cp > 1)
  kZeroBubbleSchedule,    // a zero-bubble pipeline schedule (Schedule::kZeroBubble)
  kShardedStates,         // gradients or parameters sharded too: ZeRO-2/3, FSDP (PlanSpec::zero >= 2, fsdp)
  kPipelineParallel,      // pipeline parallelism (PlanSpec::pp > 1)
  kCount,
};
inline constexpr size_t kFeatureCount = static_cast<size_t>(Feature::kCount);
inline constexpr std::array<std::string_view, kFeatureCount> kFeatureNames = {
    "interleaved_schedule",  "sequence_parallel", "selective_recompute",  "flash_attention",     "tp_grad_overlap",
    "tp_comm_overlap",       "param_remainders",  "account_for_layers",   "overlap_grad_reduce", "p2p_scatter_gather",
    "distributed_optimizer", "context_parallel",  "zero_bubble_schedule", "sharded_states",      "pipeline_parallel"};

// From when a framework had a feature: never, or from year (and month; 0 = the year's grain).
struct FeatureSince {
  bool ever = false;
  int year = 0, month = 0;
  friend bool operator==(const FeatureSince&, const FeatureSince&) = default;
};

// What a job's or run's framework could do at its date. A job's training carries it
// (TrainingSpec::era, filled by the readers from the profiles) and the knobs' validity rules refuse
// a plan that uses a feature it lacks (plan_knobs.hpp); one not loaded (a job built in code)
// refuses nothing.
struct SoftwareEra {
  std::array<FeatureSince, kFeatureCount> since{};
  int year = 0, month = 0;  // the run's date; year 0: unknown (whatever the framework ever had)
  bool loaded = false;      // read from the profiles (software_era)
  [[nodiscard]] constexpr bool has(Feature f) const {
    if (!loaded) return true;
    const FeatureSince& s = since[static_cast<size_t>(f)];
    if (!s.ever) return false;
    if (year == 0) return true;
    if (year != s.year) return year > s.year;
    return month == 0 || s.month == 0 || month >= s.month;
  }
  friend bool operator==(const SoftwareEra&, const SoftwareEra&) = default;
};

// The year and month of a date "YYYY" or "YYYY-MM" (model/spec/framework.hpp valid_date); 0 when
// absent, malformed or (month) not given.
int date_year(std::string_view date);
int date_month(std::string_view date);

// The era of `framework` (kUnstated: the assumed one, framework.hpp) at `date`, read from the
// catalog's frameworks/frameworks.json; nullopt with errors naming the file and JSON path.
std::optional<SoftwareEra> software_era(const Catalog& catalog, Framework framework, std::string_view date, Diagnostics& diag);

// Every profile of frameworks/frameworks.json, read and checked once (a validation run dates all its
// rows from one read), and the era of one framework at a date from them.
struct FrameworkProfiles {
  std::string path;  // for messages
  std::map<std::string, std::array<FeatureSince, kFeatureCount>, std::less<>> by_name;
};
std::optional<FrameworkProfiles> load_framework_profiles(const Catalog& catalog, Diagnostics& diag);
// nullopt with an error at /frameworks/<name> when the file has no profile for it.
std::optional<SoftwareEra> era_of(const FrameworkProfiles& profiles, Framework framework, std::string_view date, Diagnostics& diag);

}  // namespace trainplan
