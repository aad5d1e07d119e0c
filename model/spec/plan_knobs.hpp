// The parallel plan: every knob declared once.
//
// kPlanKnobs is the one declaration of each plan knob: its name, its JSON path under "plan", its
// type and range, its default, its name table (closed choices), whether it is a search filter, a
// CSV column, a tie-break of the ranking, a key of the layer-cost memo, how the explanation groups
// it and how the GUI edits it. The job reader and writer (catalog.cpp, spec_json.cpp), the plan
// problem's knob filters (planner/search/problem.cpp), the CSV (planner/search/search.cpp), the
// ranking's plan key (objective.cpp), the layer-cost memo (model/step.cpp), the explanation
// (explain.cpp) and the GUI form (gui/spec_form.cpp) all iterate it. A new knob is a field of
// PlanSpec and one entry here; its physics and its test are the other two files.
//
//   for (const KnobDecl& k : kPlanKnobs) std::printf("%s = %g\n", k.name.data(), k.get(plan));
//   const KnobDecl& tp = knob(Knob::kTp);                // by id
//   std::optional<int> s = parse_name(kScheduleNames, "interleaved");
//
// Values pass through get/set as doubles: integers, booleans (0/1) and enumerators (their
// underlying value) are exact in a double; offload fractions are the one real-valued knob.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>

#include "model/spec/training.hpp"

namespace trainplan {

enum class Schedule { kGpipe, k1F1B, kInterleaved, kZeroBubble };
enum class Recompute { kNone, kSelective, kFull };
enum class OffloadDevice { kNone, kCpu, kNvme };
enum class Fsdp { kNone, kFullShard, kHybridShard };
// Megatron --attention-backend: fused flash attention or materialised scores; auto = the
// architecture's default in the calibration (flash on sm80+).
enum class AttentionBackend { kAuto, kFlash, kUnfused };

struct Offload {
  OffloadDevice device = OffloadDevice::kNone;
  double fraction = 0.0;  // of the state moved off the GPU
  // The fraction actually moved: 0 when nothing is offloaded, whatever `fraction` says.
  [[nodiscard]] double moved() const { return device != OffloadDevice::kNone ? fraction : 0.0; }
  friend bool operator==(const Offload&, const Offload&) = default;
};

// Field comments say what a knob means; its JSON key, default and range are in kPlanKnobs.
struct PlanSpec {
  int tp = 1;
  bool sequence_parallel = false;
  int pp = 1;
  Schedule schedule = Schedule::k1F1B;
  int virtual_stages = 1;
  int first_stage_layers = 0;  // 0: even split
  int last_stage_layers = 0;
  // The embedding (the loss: final norm and output layer) counts as one layer of the even split
  // and takes a decoder layer's place in the first (last) chunk (Megatron
  // --account-for-embedding-in-pipeline-split, --account-for-loss-in-pipeline-split).
  bool account_for_embedding = false;
  bool account_for_loss = false;
  // An explicit placement in Megatron's grammar (--pipeline-model-parallel-layout,
  // model/spec/pipeline_layout_text.hpp); "" = none. model/pipeline_layout.hpp places the layers.
  std::string pipeline_layout;
  int dp = 1;
  int cp = 1;
  int ep = 1;
  int expert_tp = 1;
  int zero = 0;             // 0..3; Megatron's distributed optimizer is 1
  Fsdp fsdp = Fsdp::kNone;  // FSDP full shard = ZeRO-3; hybrid shards within a node
  Offload optimizer_offload;
  Offload param_offload;
  Offload activation_offload;
  Recompute recompute = Recompute::kNone;
  int recompute_layers = 0;  // with full recompute: layers per stage recomputed (0: all)
  int micro_batch = 1;
  // Overlap defaults follow today's stacks (Megatron-Core recipes, NeMo, FSDP): on.
  bool overlap_grad_reduce = true;
  bool overlap_param_gather = true;
  bool overlap_p2p = true;
  bool tp_comm_overlap = false;
  // The backward input-gradient TP all-reduce (SP: reduce-scatter) and the SP input re-gather run
  // under the weight- and data-gradient GEMMs (Megatron LinearWithGradAccumulationAndAsyncCommunication,
  // released with sequence parallelism in 2022 and on since); off = the synchronous collectives of
  // Megatron-LM 2020-2021.
  bool tp_grad_overlap = true;
  AttentionBackend attention = AttentionBackend::kAuto;
  // Main gradients and their data-parallel reduction in bf16 instead of fp32 (Megatron
  // --grad-reduce-in-bf16; Apex DistributedFusedAdam grad_sync_dtype as NeMo uses it).
  bool grad_reduce_bf16 = false;
  // The optimizer keeps only the low 16 bits of each fp32 master weight; the bf16 weight holds the
  // high 16, so together they are the fp32 value, bit for bit (Apex DistributedFusedAdam
  // store_param_remainders, apex PR #1463, NeMo's default with bf16 since NeMo PR #4796, both
  // August 2022; Transformer Engine FusedAdam, Megatron --use-precision-aware-optimizer, 2025).
  // Needs bf16 weights and Adam (remainders_possible in job.hpp).
  bool param_remainders = false;
  // fp8 training keeps the compute weights in fp8 only, and the data-parallel parameter
  // all-gather moves fp8 (Megatron --fp8-param-gather: "Keep the compute param in fp8 (do not use
  // any other intermediate dtype) and perform the param all-gather in fp8", arguments.py L2016 at
  // d98e8a64; Megatron-Bridge MixedPrecisionConfig.fp8_param_gather; torchtitan
  // enable_fsdp_float8_all_gather). Needs fp8 and a sharded optimizer (arguments.py L1095).
  bool fp8_param_gather = false;
  // Without sequence parallelism each TP rank sends 1/t of the activations to the next stage and
  // the receiver all-gathers them over NVLink (Narayanan et al. SC'21 §4.1 "scatter/gather
  // optimization"; Megatron-LM 2021-2022 --no-scatter-gather-tensors-in-pipeline, default on).
  // Megatron-Core sends the whole tensor from every TP rank; with SP it is split anyway.
  bool p2p_scatter_gather = false;

  [[nodiscard]] int gpus() const { return tp * pp * cp * dp; }
  [[nodiscard]] int effective_zero() const { return fsdp == Fsdp::kNone ? zero : 3; }
  friend bool operator==(const PlanSpec&, const PlanSpec&) = default;
};

// ---- Name tables: one per closed choice, for reader, writer, filters and messages alike. ----

struct NameEntry {
  int value;
  std::string_view name;
};
using NameTable = std::span<const NameEntry>;

inline constexpr std::array<NameEntry, 4> kScheduleNames = {{{static_cast<int>(Schedule::k1F1B), "1f1b"},
                                                             {static_cast<int>(Schedule::kGpipe), "gpipe"},
                                                             {static_cast<int>(Schedule::kInterleaved), "interleaved"},
                                                             {static_cast<int>(Schedule::kZeroBubble), "zero-bubble"}}};
inline constexpr std::array<NameEntry, 3> kRecomputeNames = {{{static_cast<int>(Recompute::kNone), "none"},
                                                              {static_cast<int>(Recompute::kSelective), "selective"},
                                                              {static_cast<int>(Recompute::kFull), "full"}}};
inline constexpr std::array<NameEntry, 3> kOffloadDeviceNames = {{{static_cast<int>(OffloadDevice::kNone), "none"},
                                                                  {static_cast<int>(OffloadDevice::kCpu), "cpu"},
                                                                  {static_cast<int>(OffloadDevice::kNvme), "nvme"}}};
inline constexpr std::array<NameEntry, 3> kFsdpNames = {{{static_cast<int>(Fsdp::kNone), "none"},
                                                         {static_cast<int>(Fsdp::kFullShard), "full_shard"},
                                                         {static_cast<int>(Fsdp::kHybridShard), "hybrid_shard"}}};
inline constexpr std::array<NameEntry, 3> kAttentionBackendNames = {{{static_cast<int>(AttentionBackend::kAuto), "auto"},
                                                                     {static_cast<int>(AttentionBackend::kFlash), "flash"},
                                                                     {static_cast<int>(AttentionBackend::kUnfused), "unfused"}}};
// ZeRO stages are written as strings ("zero": "1"), as DeepSpeed's docs name them.
inline constexpr std::array<NameEntry, 4> kZeroNames = {{{0, "0"}, {1, "1"}, {2, "2"}, {3, "3"}}};
inline constexpr std::array<NameEntry, 2> kGradReduceNames = {{{0, "fp32"}, {1, "bf16"}}};
inline constexpr std::array<NameEntry, 2> kMasterParamsNames = {{{0, "fp32"}, {1, "remainder"}}};
inline constexpr std::array<NameEntry, 2> kBoolNames = {{{0, "false"}, {1, "true"}}};

// The name of `value` in `names` ("?" when it has none), and back.
[[nodiscard]] constexpr std::string_view name_of(NameTable names, int value) {
  for (const NameEntry& e : names)
    if (e.value == value) return e.name;
  return "?";
}
[[nodiscard]] constexpr std::optional<int> parse_name(NameTable names, std::string_view name) {
  for (const NameEntry& e : names)
    if (e.name == name) return e.value;
  return std::nullopt;
}
// "\"1f1b\", \"gpipe\", ..." for "expected one of ..." messages.
std::string name_choices(NameTable names);

const char* schedule_name(Schedule s);
const char* recompute_name(Recompute r);
const char* offload_device_name(OffloadDevice d);
const char* fsdp_name(Fsdp f);
const char* attention_backend_name(AttentionBackend a);

// ---- The knob declarations. ----

enum class KnobType {
  kInt,       // a JSON integer in [min, max]; with `names`, spelled as one of them in the job JSON
  kBool,      // true / false
  kChoice,    // one name of `names` (a JSON string); C++ holds the entry's value
  kFraction,  // a JSON number in [min, max]
  kText,      // a JSON string, held by `text`/`set_text`; `get` is 0 for "" and 1 otherwise
};
// How the plan problem's "search" object treats the knob (planner/search/problem.hpp).
enum class SearchRole {
  kNone,    // not in "search": every searched plan takes the knob's default
  kFilter,  // a value or an array of allowed values; the search picks among them
  kFixed,   // one value that every searched plan takes (default: the knob's default)
};
// The GUI form's editor for the knob (gui/spec_form.cpp); kNone: edited in the JSON tab only.
enum class Widget { kNone, kSpin, kCheck, kCombo };

struct KnobDecl {
  std::string_view name;  // CSV column, search-filter key, explanation and GUI name
  std::string_view path;  // JSON path under "plan", '/'-separated ("offload/optimizer/device")
  KnobType type;
  double min = 0, max = 0;  // kInt, kFraction
  NameTable names = {};     // kChoice; kInt spelled as names
  double (*get)(const PlanSpec&) = nullptr;
  void (*set)(PlanSpec&, double) = nullptr;             // kText: set(p, 0) clears the text
  std::string_view (*text)(const PlanSpec&) = nullptr;  // kText
  void (*set_text)(PlanSpec&, std::string_view) = nullptr;
  // The value when the job does not give the knob, from the knobs given (the reader applies the
  // defaults in declaration order after reading every given knob).
  double (*default_of)(const PlanSpec&) = nullptr;
  bool written_at_default = true;  // false: the writer omits the knob while it has its default
  SearchRole search = SearchRole::kNone;
  // Rank among the tie-breaks of plans of equal objective (planner/search/objective.hpp): lower
  // ranks first; 0: not a tie-break. Ranks are unique (a static_assert checks), and
  // kGlobalBatchTieBreak is the global batch's.
  int tie_break = 0;
  bool layer_cost = false;      // the layer costs depend on it: a key of LayerCostCache (model/step.hpp)
  std::string_view group = {};  // the explanation swaps a group's knobs together with the runner-up's
  Widget widget = Widget::kNone;
  std::string_view label = {};  // the GUI form's label (with a widget)
  std::string_view tooltip = {};
  // What the framework refuses about this knob's value in this plan and training (nullptr: the
  // value is valid). The job reader reports it at the knob's path; the evaluators make such a
  // plan infeasible ("unsupported"), so a search never ranks it.
  const char* (*invalid)(const PlanSpec&, const TrainingSpec&) = nullptr;
};

// Knob ids, in the order of kPlanKnobs (static_asserts below the table check it).
enum class Knob {
  kTp,
  kSequenceParallel,
  kPp,
  kFirstStageLayers,
  kLastStageLayers,
  kAccountForEmbedding,
  kAccountForLoss,
  kPipelineLayout,
  kVirtualStages,
  kSchedule,
  kDp,
  kCp,
  kEp,
  kExpertTp,
  kZero,
  kFsdp,
  kOptimizerOffload,
  kOptimizerOffloadFraction,
  kParamOffload,
  kParamOffloadFraction,
  kActivationOffload,
  kActivationOffloadFraction,
  kRecompute,
  kRecomputeLayers,
  kMicroBatch,
  kTpCommOverlap,
  kOverlapGradReduce,
  kOverlapParamGather,
  kOverlapP2p,
  kTpGradOverlap,
  kAttentionBackend,
  kGradReducePrecision,
  kMasterParams,
  kFp8ParamGather,
  kP2pScatterGather,
  kCount,
};
inline constexpr size_t kKnobCount = static_cast<size_t>(Knob::kCount);

namespace knob_access {
// get/set of a PlanSpec member (or a member of one) as a double; see the file comment.
template <class T>
constexpr double to_double(T v) {
  if constexpr (std::is_enum_v<T>)
    return static_cast<int>(v);
  else
    return static_cast<double>(v);
}
template <class T>
constexpr T from_double(double v) {
  if constexpr (std::is_enum_v<T>)
    return static_cast<T>(static_cast<int>(v));
  else if constexpr (std::is_same_v<T, bool>)
    return v != 0;
  else if constexpr (std::is_integral_v<T>)
    return static_cast<T>(v);
  else
    return v;
}
template <auto M>
double get(const PlanSpec& p) {
  return to_double(p.*M);
}
template <auto M>
void set(PlanSpec& p, double v) {
  p.*M = from_double<std::remove_cvref_t<decltype(p.*M)>>(v);
}
template <auto Outer, auto Inner>
double get_in(const PlanSpec& p) {
  return to_double((p.*Outer).*Inner);
}
template <auto Outer, auto Inner>
void set_in(PlanSpec& p, double v) {
  (p.*Outer).*Inner = from_double<std::remove_cvref_t<decltype((p.*Outer).*Inner)>>(v);
}
template <int V>
double constant(const PlanSpec&) {
  return V;
}
template <auto M>
std::string_view get_text(const PlanSpec& p) {
  return p.*M;
}
template <auto M>
void set_text(PlanSpec& p, std::string_view v) {
  p.*M = std::string(v);
}
template <auto M>
double text_given(const PlanSpec& p) {
  return (p.*M).empty() ? 0.0 : 1.0;
}
template <auto M>
void clear_text(PlanSpec& p, double) {
  (p.*M).clear();
}
template <auto Outer>
double fraction_default(const PlanSpec& p) {
  return (p.*Outer).device == OffloadDevice::kNone ? 0.0 : 1.0;
}
inline constexpr double kIntMax = 2147483647.0;  // INT32_MAX: the reader's integer bound
}  // namespace knob_access

// The virtual stages a plan's pipeline_layout implies: its chunks over pp when they divide, else 1
// (model/pipeline_layout.hpp layout_error reports it).
double layout_virtual_stages(const PlanSpec& p);

// ---- The knobs' validity rules (KnobDecl::invalid). ----

// Megatron-LM d98e8a64 megatron/training/arguments.py L1095: "--fp8-param-gather only supported
// with distributed optimizer, torch fsdp2, megatron fsdp, or inference mode"; fp8 weights exist
// only in fp8 training.
constexpr const char* fp8_param_gather_invalid(const PlanSpec& p, const TrainingSpec& t) {
  if (!p.fp8_param_gather) return nullptr;
  if (t.precision != Precision::kFp8) return "expected precision fp8 with fp8_param_gather (it keeps the compute weights in fp8)";
  if (p.effective_zero() < 1)
    return "expected zero >= 1 or fsdp with fp8_param_gather (Megatron gathers fp8 parameters only with the distributed optimizer or "
           "FSDP, arguments.py L1095)";
  return nullptr;
}

// A plan that uses a feature its framework lacks at the job's date is refused with the reason
// (contract, "The framework is an input"; TrainingSpec::era from configs/frameworks/frameworks.json,
// era.hpp). Engine behaviours that are on by default (overlap_grad_reduce, tp_grad_overlap) are
// not refused: they describe how a framework runs, not a feature a plan asks for.
#define TRAINPLAN_LACKS(what) \
  "expected it off: " what " is not in the job's framework at the job's date (configs/frameworks/frameworks.json)"
constexpr const char* sequence_parallel_invalid(const PlanSpec& p, const TrainingSpec& t) {
  return p.sequence_parallel && !t.era.has(Feature::kSequenceParallel) ? TRAINPLAN_LACKS("sequence parallelism") : nullptr;
}
constexpr const char* account_for_invalid(const PlanSpec& p, const TrainingSpec& t) {
  return (p.account_for_embedding || p.account_for_loss) && !t.era.has(Feature::kAccountForLayers)
             ? TRAINPLAN_LACKS("counting the embedding and loss as pipeline layers")
             : nullptr;
}
constexpr const char* virtual_stages_invalid(const PlanSpec& p, const TrainingSpec& t) {
  return p.virtual_stages > 1 && !t.era.has(Feature::kInterleavedSchedule) ? TRAINPLAN_LACKS("the interleaved schedule") : nullptr;
}
constexpr const char* zero_invalid(const PlanSpec& p, const TrainingSpec& t) {
  // ZeRO-1 alone (optimizer state sharded): Megatron's distributed optimizer, DeepSpeed stage 1;
  // FSDP shards as FULL_SHARD or SHARD_GRAD_OP (zero 3 or 2), never the optimizer state alone.
  if (p.zero == 1 && p.fsdp == Fsdp::kNone && !t.era.has(Feature::kDistributedOptimizer))
    return TRAINPLAN_LACKS("a distributed optimizer (ZeRO-1)");
  return p.zero >= 2 && !t.era.has(Feature::kShardedStates) ? TRAINPLAN_LACKS("sharded gradients or parameters (ZeRO-2/3)") : nullptr;
}
constexpr const char* fsdp_invalid(const PlanSpec& p, const TrainingSpec& t) {
  return p.fsdp != Fsdp::kNone && !t.era.has(Feature::kShardedStates) ? TRAINPLAN_LACKS("FSDP") : nullptr;
}
constexpr const char* pp_invalid(const PlanSpec& p, const TrainingSpec& t) {
  return p.pp > 1 && !t.era.has(Feature::kPipelineParallel)
             ? "expected 1: pipeline parallelism is not in the job's framework at the job's date "
               "(configs/frameworks/frameworks.json)"
             : nullptr;
}
constexpr const char* recompute_invalid(const PlanSpec& p, const TrainingSpec& t) {
  return p.recompute == Recompute::kSelective && !t.era.has(Feature::kSelectiveRecompute) ? TRAINPLAN_LACKS("selective recomputation")
                                                                                          : nullptr;
}
constexpr const char* tp_comm_overlap_invalid(const PlanSpec& p, const TrainingSpec& t) {
  return p.tp_comm_overlap && !t.era.has(Feature::kTpCommOverlap) ? TRAINPLAN_LACKS("TP communication overlap") : nullptr;
}
constexpr const char* p2p_scatter_gather_invalid(const PlanSpec& p, const TrainingSpec& t) {
  return p.p2p_scatter_gather && !t.era.has(Feature::kP2pScatterGather) ? TRAINPLAN_LACKS("the pipeline scatter/gather") : nullptr;
}
constexpr const char* attention_invalid(const PlanSpec& p, const TrainingSpec& t) {
  return p.attention == AttentionBackend::kFlash && !t.era.has(Feature::kFlashAttention) ? TRAINPLAN_LACKS("fused (flash) attention")
                                                                                         : nullptr;
}
constexpr const char* cp_invalid(const PlanSpec& p, const TrainingSpec& t) {
  return p.cp > 1 && !t.era.has(Feature::kContextParallel) ? "expected 1: context parallelism is not in the job's framework at the job's "
                                                             "date (configs/frameworks/frameworks.json)"
                                                           : nullptr;
}
constexpr const char* schedule_invalid(const PlanSpec& p, const TrainingSpec& t) {
  return p.schedule == Schedule::kZeroBubble && !t.era.has(Feature::kZeroBubbleSchedule)
             ? "expected another schedule: a zero-bubble schedule is not in the job's framework at the job's date "
               "(configs/frameworks/frameworks.json)"
             : nullptr;
}
#undef TRAINPLAN_LACKS

// clang-format off
// The declarations. Order: the CSV's columns and the ranking's tie-break order; a default may
// depend only on knobs declared before it.
inline constexpr std::array<KnobDecl, kKnobCount> kPlanKnobs = [] {
  using namespace knob_access;
  using P = PlanSpec;
  using O = Offload;
  constexpr auto F = SearchRole::kFilter;
  return std::array<KnobDecl, kKnobCount>{{
    {.name = "tp", .path = "tp", .type = KnobType::kInt, .min = 1, .max = kIntMax, .get = get<&P::tp>, .set = set<&P::tp>,
     .default_of = constant<1>, .search = F, .tie_break = 1, .layer_cost = true, .group = "tp", .widget = Widget::kSpin,
     .label = "TP", .tooltip = "Tensor-parallel degree (Megatron --tensor-model-parallel-size)"},
    // Megatron turns sequence parallelism off at TP 1 (the job reader does too).
    {.name = "sequence_parallel", .path = "sequence_parallel", .type = KnobType::kBool, .get = get<&P::sequence_parallel>,
     .set = set<&P::sequence_parallel>, .default_of = [](const P& p) { return p.tp > 1 ? 1.0 : 0.0; }, .search = F,
     .tie_break = 11, .layer_cost = true, .group = "sequence_parallel", .widget = Widget::kCheck,
     .label = "Sequence parallel", .tooltip = "Sequence parallelism with TP (Korthikanti et al. 2022); on by default at TP > 1",
     .invalid = sequence_parallel_invalid},
    {.name = "pp", .path = "pp", .type = KnobType::kInt, .min = 1, .max = kIntMax, .get = get<&P::pp>, .set = set<&P::pp>,
     .default_of = constant<1>, .search = F, .tie_break = 2, .group = "pp", .widget = Widget::kSpin,
     .label = "PP", .tooltip = "Pipeline-parallel degree (stages)", .invalid = pp_invalid},
    {.name = "first_stage_layers", .path = "first_stage_layers", .type = KnobType::kInt, .min = 1, .max = kIntMax,
     .get = get<&P::first_stage_layers>, .set = set<&P::first_stage_layers>, .default_of = constant<0>,
     .written_at_default = false, .tie_break = 9, .group = "pp"},
    {.name = "last_stage_layers", .path = "last_stage_layers", .type = KnobType::kInt, .min = 1, .max = kIntMax,
     .get = get<&P::last_stage_layers>, .set = set<&P::last_stage_layers>, .default_of = constant<0>,
     .written_at_default = false, .tie_break = 10, .group = "pp"},
    {.name = "account_for_embedding", .path = "account_for_embedding", .type = KnobType::kBool, .get = get<&P::account_for_embedding>,
     .set = set<&P::account_for_embedding>, .default_of = constant<0>, .written_at_default = false, .tie_break = 25, .group = "pp",
     .invalid = account_for_invalid},
    {.name = "account_for_loss", .path = "account_for_loss", .type = KnobType::kBool, .get = get<&P::account_for_loss>,
     .set = set<&P::account_for_loss>, .default_of = constant<0>, .written_at_default = false, .tie_break = 26, .group = "pp",
     .invalid = account_for_invalid},
    {.name = "pipeline_layout", .path = "pipeline_layout", .type = KnobType::kText, .get = text_given<&P::pipeline_layout>,
     .set = clear_text<&P::pipeline_layout>, .text = get_text<&P::pipeline_layout>, .set_text = set_text<&P::pipeline_layout>,
     .default_of = constant<0>, .written_at_default = false, .group = "pp"},
    // With a layout, Megatron takes the virtual stages from it (arguments.py L950).
    {.name = "virtual_stages", .path = "virtual_stages", .type = KnobType::kInt, .min = 1, .max = kIntMax,
     .get = get<&P::virtual_stages>, .set = set<&P::virtual_stages>, .default_of = layout_virtual_stages, .search = F,
     .tie_break = 7, .group = "schedule", .widget = Widget::kSpin, .label = "Virtual", .tooltip = "Virtual pipeline stages per GPU (interleaved schedule)",
     .invalid = virtual_stages_invalid},
    {.name = "schedule", .path = "schedule", .type = KnobType::kChoice, .names = kScheduleNames, .get = get<&P::schedule>,
     .set = set<&P::schedule>, .default_of = [](const P& p) { return to_double(p.virtual_stages > 1 ? Schedule::kInterleaved : Schedule::k1F1B); },
     .search = F, .tie_break = 8, .group = "schedule",
     .widget = Widget::kCombo, .label = "Schedule", .tooltip = "Pipeline schedule", .invalid = schedule_invalid},
    // 0 until the job reader fills it: the cluster's GPUs over tp*pp*cp.
    {.name = "dp", .path = "dp", .type = KnobType::kInt, .min = 1, .max = kIntMax, .get = get<&P::dp>, .set = set<&P::dp>,
     .default_of = constant<0>, .search = F, .tie_break = 4, .group = "dp", .widget = Widget::kSpin,
     .label = "DP", .tooltip = "Data-parallel degree; 0 = the cluster's GPUs over tp*pp*cp"},
    {.name = "cp", .path = "cp", .type = KnobType::kInt, .min = 1, .max = kIntMax, .get = get<&P::cp>, .set = set<&P::cp>,
     .default_of = constant<1>, .search = F, .tie_break = 3, .layer_cost = true, .group = "cp", .widget = Widget::kSpin,
     .label = "CP", .tooltip = "Context-parallel degree", .invalid = cp_invalid},
    {.name = "ep", .path = "ep", .type = KnobType::kInt, .min = 1, .max = kIntMax, .get = get<&P::ep>, .set = set<&P::ep>,
     .default_of = constant<1>, .search = F, .tie_break = 5, .layer_cost = true, .group = "ep", .widget = Widget::kSpin,
     .label = "EP", .tooltip = "Expert-parallel degree (MoE)"},
    {.name = "expert_tp", .path = "expert_tp", .type = KnobType::kInt, .min = 1, .max = kIntMax, .get = get<&P::expert_tp>,
     .set = set<&P::expert_tp>, .default_of = constant<1>, .search = F, .tie_break = 6, .layer_cost = true, .group = "expert_tp"},
    // An integer that the job JSON spells as a name ("zero": "1", DeepSpeed's stage names).
    {.name = "zero", .path = "zero", .type = KnobType::kInt, .min = 0, .max = 3, .names = kZeroNames, .get = get<&P::zero>, .set = set<&P::zero>,
     .default_of = constant<0>, .search = F, .tie_break = 12, .group = "zero", .widget = Widget::kCombo,
     .label = "ZeRO", .tooltip = "ZeRO stage (1 = Megatron's distributed optimizer)", .invalid = zero_invalid},
    {.name = "fsdp", .path = "fsdp", .type = KnobType::kChoice, .names = kFsdpNames, .get = get<&P::fsdp>, .set = set<&P::fsdp>,
     .default_of = constant<0>, .search = F, .tie_break = 13, .group = "zero", .widget = Widget::kCombo, .label = "FSDP", .tooltip = "PyTorch FSDP sharding",
     .invalid = fsdp_invalid},
    {.name = "optimizer_offload", .path = "offload/optimizer/device", .type = KnobType::kChoice, .names = kOffloadDeviceNames,
     .get = get_in<&P::optimizer_offload, &O::device>, .set = set_in<&P::optimizer_offload, &O::device>,
     .default_of = constant<0>, .search = F, .tie_break = 14, .group = "offload"},
    {.name = "optimizer_offload_fraction", .path = "offload/optimizer/fraction", .type = KnobType::kFraction, .min = 0, .max = 1,
     .get = get_in<&P::optimizer_offload, &O::fraction>, .set = set_in<&P::optimizer_offload, &O::fraction>,
     .default_of = fraction_default<&P::optimizer_offload>, .tie_break = 15, .group = "offload"},
    {.name = "param_offload", .path = "offload/params/device", .type = KnobType::kChoice, .names = kOffloadDeviceNames,
     .get = get_in<&P::param_offload, &O::device>, .set = set_in<&P::param_offload, &O::device>, .default_of = constant<0>,
     .search = F, .tie_break = 16, .group = "offload"},
    {.name = "param_offload_fraction", .path = "offload/params/fraction", .type = KnobType::kFraction, .min = 0, .max = 1,
     .get = get_in<&P::param_offload, &O::fraction>, .set = set_in<&P::param_offload, &O::fraction>,
     .default_of = fraction_default<&P::param_offload>, .tie_break = 17, .group = "offload"},
    {.name = "activation_offload", .path = "offload/activations/device", .type = KnobType::kChoice, .names = kOffloadDeviceNames,
     .get = get_in<&P::activation_offload, &O::device>, .set = set_in<&P::activation_offload, &O::device>,
     .default_of = constant<0>, .search = F, .tie_break = 18, .group = "offload"},
    {.name = "activation_offload_fraction", .path = "offload/activations/fraction", .type = KnobType::kFraction, .min = 0, .max = 1,
     .get = get_in<&P::activation_offload, &O::fraction>, .set = set_in<&P::activation_offload, &O::fraction>,
     .default_of = fraction_default<&P::activation_offload>, .tie_break = 24, .group = "offload"},
    {.name = "recompute", .path = "recompute", .type = KnobType::kChoice, .names = kRecomputeNames, .get = get<&P::recompute>,
     .set = set<&P::recompute>, .default_of = constant<0>, .search = F, .tie_break = 19, .group = "recompute", .widget = Widget::kCombo,
     .label = "Recompute", .tooltip = "Activation recomputation", .invalid = recompute_invalid},
    {.name = "recompute_layers", .path = "recompute_layers", .type = KnobType::kInt, .min = 0, .max = kIntMax,
     .get = get<&P::recompute_layers>, .set = set<&P::recompute_layers>, .default_of = constant<0>, .search = F,
     .tie_break = 20, .group = "recompute"},
    {.name = "micro_batch", .path = "micro_batch", .type = KnobType::kInt, .min = 1, .max = kIntMax, .get = get<&P::micro_batch>,
     .set = set<&P::micro_batch>, .default_of = constant<1>, .search = F, .tie_break = 21, .layer_cost = true, .group = "micro_batch",
     .widget = Widget::kSpin, .label = "Micro-batch", .tooltip = "Sequences per micro-batch"},
    {.name = "tp_comm_overlap", .path = "tp_comm_overlap", .type = KnobType::kBool, .get = get<&P::tp_comm_overlap>,
     .set = set<&P::tp_comm_overlap>, .default_of = constant<0>, .search = F, .tie_break = 23, .layer_cost = true, .group = "tp_comm_overlap",
     .invalid = tp_comm_overlap_invalid},
    {.name = "overlap_grad_reduce", .path = "overlap_grad_reduce", .type = KnobType::kBool, .get = get<&P::overlap_grad_reduce>,
     .set = set<&P::overlap_grad_reduce>, .default_of = constant<1>},
    {.name = "overlap_param_gather", .path = "overlap_param_gather", .type = KnobType::kBool,
     .get = get<&P::overlap_param_gather>, .set = set<&P::overlap_param_gather>, .default_of = constant<1>},
    {.name = "overlap_p2p", .path = "overlap_p2p", .type = KnobType::kBool, .get = get<&P::overlap_p2p>, .set = set<&P::overlap_p2p>,
     .default_of = constant<1>},
    // Software, not parallelism: a published run of older software differs here too.
    {.name = "tp_grad_overlap", .path = "tp_grad_overlap", .type = KnobType::kBool, .get = get<&P::tp_grad_overlap>,
     .set = set<&P::tp_grad_overlap>, .default_of = constant<1>, .layer_cost = true,
     .group = "tp_grad_overlap"},
    {.name = "attention_backend", .path = "attention_backend", .type = KnobType::kChoice, .names = kAttentionBackendNames,
     .get = get<&P::attention>, .set = set<&P::attention>, .default_of = constant<0>, .layer_cost = true,
     .group = "attention_backend", .invalid = attention_invalid},
    {.name = "grad_reduce_precision", .path = "grad_reduce_precision", .type = KnobType::kChoice, .names = kGradReduceNames,
     .get = get<&P::grad_reduce_bf16>, .set = set<&P::grad_reduce_bf16>, .default_of = constant<0>,
     .search = SearchRole::kFixed},
    {.name = "master_params", .path = "master_params", .type = KnobType::kChoice, .names = kMasterParamsNames,
     .get = get<&P::param_remainders>, .set = set<&P::param_remainders>, .default_of = constant<0>,
     .search = SearchRole::kFixed},
    {.name = "fp8_param_gather", .path = "fp8_param_gather", .type = KnobType::kBool, .get = get<&P::fp8_param_gather>,
     .set = set<&P::fp8_param_gather>, .default_of = constant<0>, .search = SearchRole::kFixed, .invalid = fp8_param_gather_invalid},
    // Software, not parallelism: Megatron-LM of 2021-2022.
    {.name = "p2p_scatter_gather", .path = "p2p_scatter_gather", .type = KnobType::kBool, .get = get<&P::p2p_scatter_gather>,
     .set = set<&P::p2p_scatter_gather>, .default_of = constant<0>, .written_at_default = false, .invalid = p2p_scatter_gather_invalid},
  }};
}();
// clang-format on

[[nodiscard]] constexpr const KnobDecl& knob(Knob k) { return kPlanKnobs[static_cast<size_t>(k)]; }
// Each id names its declaration.
static_assert(knob(Knob::kTp).name == "tp");
static_assert(knob(Knob::kSequenceParallel).name == "sequence_parallel");
static_assert(knob(Knob::kPp).name == "pp");
static_assert(knob(Knob::kFirstStageLayers).name == "first_stage_layers");
static_assert(knob(Knob::kLastStageLayers).name == "last_stage_layers");
static_assert(knob(Knob::kAccountForEmbedding).name == "account_for_embedding");
static_assert(knob(Knob::kAccountForLoss).name == "account_for_loss");
static_assert(knob(Knob::kPipelineLayout).name == "pipeline_layout");
static_assert(knob(Knob::kVirtualStages).name == "virtual_stages");
static_assert(knob(Knob::kSchedule).name == "schedule");
static_assert(knob(Knob::kDp).name == "dp");
static_assert(knob(Knob::kCp).name == "cp");
static_assert(knob(Knob::kEp).name == "ep");
static_assert(knob(Knob::kExpertTp).name == "expert_tp");
static_assert(knob(Knob::kZero).name == "zero");
static_assert(knob(Knob::kFsdp).name == "fsdp");
static_assert(knob(Knob::kOptimizerOffload).name == "optimizer_offload");
static_assert(knob(Knob::kOptimizerOffloadFraction).name == "optimizer_offload_fraction");
static_assert(knob(Knob::kParamOffload).name == "param_offload");
static_assert(knob(Knob::kParamOffloadFraction).name == "param_offload_fraction");
static_assert(knob(Knob::kActivationOffload).name == "activation_offload");
static_assert(knob(Knob::kActivationOffloadFraction).name == "activation_offload_fraction");
static_assert(knob(Knob::kRecompute).name == "recompute");
static_assert(knob(Knob::kRecomputeLayers).name == "recompute_layers");
static_assert(knob(Knob::kMicroBatch).name == "micro_batch");
static_assert(knob(Knob::kTpCommOverlap).name == "tp_comm_overlap");
static_assert(knob(Knob::kOverlapGradReduce).name == "overlap_grad_reduce");
static_assert(knob(Knob::kOverlapParamGather).name == "overlap_param_gather");
static_assert(knob(Knob::kOverlapP2p).name == "overlap_p2p");
static_assert(knob(Knob::kTpGradOverlap).name == "tp_grad_overlap");
static_assert(knob(Knob::kAttentionBackend).name == "attention_backend");
static_assert(knob(Knob::kGradReducePrecision).name == "grad_reduce_precision");
static_assert(knob(Knob::kMasterParams).name == "master_params");
static_assert(knob(Knob::kFp8ParamGather).name == "fp8_param_gather");
static_assert(knob(Knob::kP2pScatterGather).name == "p2p_scatter_gather");

// The declaration whose name is `name` (nullptr: none).
[[nodiscard]] const KnobDecl* find_knob(std::string_view name);

// The knob's value as text: a name, "true"/"false", an integer or a fraction (%g).
[[nodiscard]] std::string knob_text(const KnobDecl& k, const PlanSpec& p);

// What Megatron does to a plan before it runs: sequence parallelism off at TP 1
// (megatron/training/arguments.py: "if args.tensor_model_parallel_size == 1: args.sequence_parallel = False").
void normalize_plan(PlanSpec& p);

// Plans that differ only in knobs without `layer_cost` have the same layer costs (model/step.hpp).
inline constexpr size_t kLayerCostKnobCount = [] {
  size_t n = 0;
  for (const KnobDecl& k : kPlanKnobs) n += k.layer_cost ? 1 : 0;
  return n;
}();
using LayerCostKey = std::array<double, kLayerCostKnobCount>;
[[nodiscard]] LayerCostKey layer_cost_key(const PlanSpec& p);

// The ranking's tie-breaks (planner/search/objective.hpp: plan_key): the plan's GPUs first, then
// the knobs with a tie_break rank and the global batch, by rank. The order is the one the ranking
// has used since the first planner (tp, pp, cp, dp, ... micro-batch, global batch, TP overlap);
// changing it reorders plans of equal objective.
inline constexpr int kGlobalBatchTieBreak = 22;
inline constexpr size_t kTieBreakCount = [] {
  size_t n = 1;  // the global batch
  for (const KnobDecl& k : kPlanKnobs) n += k.tie_break > 0 ? 1 : 0;
  return n;
}();
// The tie-break ranks in order, each with its knob (nullptr for the global batch).
struct TieBreak {
  int rank = 0;
  const KnobDecl* knob = nullptr;
};
inline constexpr std::array<TieBreak, kTieBreakCount> kTieBreaks = [] {
  std::array<TieBreak, kTieBreakCount> t{};
  size_t n = 0;
  t[n++] = {kGlobalBatchTieBreak, nullptr};
  for (const KnobDecl& k : kPlanKnobs)
    if (k.tie_break > 0) t[n++] = {k.tie_break, &k};
  std::sort(t.begin(), t.end(), [](const TieBreak& a, const TieBreak& b) { return a.rank < b.rank; });
  return t;
}();
static_assert(
    [] {
      for (size_t i = 1; i < kTieBreaks.size(); ++i)
        if (kTieBreaks[i].rank == kTieBreaks[i - 1].rank) return false;
      return true;
    }(),
    "two tie-breaks share a rank");

}  // namespace trainplan
