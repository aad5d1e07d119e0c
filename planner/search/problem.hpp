// A plan problem: model, cluster and training job fixed, the knobs of the plan left free (or
// narrowed). The planner (planner/search/search.hpp) searches the plans that solve it.
//
// File format (JSON; units in values as everywhere in trainplan):
//   {
//     "description": "optional text",
//     "model":    catalog key of configs/models or an object (as in a job),
//     "cluster":  catalog key of configs/clusters or an object; its GPU count is an UPPER LIMIT,
//     "training": as in a job: "global_batch" exact (sequences) or {"min": a, "max": b} (a range),
//                 or "global_batch_tokens"; "sequence_length", "precision", "optimizer";
//                 "token_budget" (tokens, for time-to-train and fewest-gpus) and "deadline"
//                 (a time such as "30d"... any time unit, for fewest-gpus),
//     "search": {                           every key optional; defaults below
//       "max_gpus": 1024,                   at most this many GPUs (default: the cluster's)
//       "min_gpus": 1,                      at least this many
//       "memory_headroom": 0.05,            fraction of each GPU's memory a plan must leave free
//       "allow_tp_across_nodes": false,     TP groups stay inside one scale-up domain unless true
//       "max_micro_batch": 8,               largest micro-batch tried
//       "min_cp_sequence": 1024,            CP only while each rank keeps >= this many tokens
//       "max_virtual_stages": 8,            largest interleaving depth tried
//       "offload": true,                    try CPU/NVMe offload for plans that do not fit without
//       "grad_reduce_precision": "fp32",    gradients kept and reduced in fp32, or "bf16"
//                                           (Megatron --grad-reduce-in-bf16); every plan takes it
//       "master_params": "fp32",            fp32 master weights, or "remainder" (16-bit remainders
//                                           of bf16 weights: 2 bytes a parameter less; bf16/fp8
//                                           with Adam only; job.hpp param_remainders); every plan
//                                           takes it
//       "fp8_param_gather": false,          fp8 compute weights gathered in fp8 (fp8 training;
//                                           plans with zero 0 are then unsupported)
//       (the three above are the knobs of SearchRole::kFixed in model/spec/plan_knobs.hpp)
//       knob filters: a value or an array of allowed values for each knob that
//       model/spec/plan_knobs.hpp declares SearchRole::kFilter, by its name, with the values
//       the job JSON takes for it: "tp", "pp", "dp", "cp", "ep", "expert_tp", "virtual_stages",
//       "micro_batch", "recompute_layers" (integers); "zero" ("0".."3" or 0..3);
//       "sequence_parallel", "tp_comm_overlap" (booleans); "schedule" ("1f1b", "gpipe",
//       "interleaved", "zero-bubble"); "recompute" ("none", "selective", "full"); "fsdp" ("none",
//       "full_shard", "hybrid_shard"); "optimizer_offload", "param_offload", "activation_offload"
//       ("none", "cpu", "nvme")
//     }
//   }
// Example: {"model": "gpt3-175b", "cluster": {"base": "dgx-a100-superpod", "nodes": 128},
//           "training": {"global_batch": 1536, "sequence_length": 2048, "precision": "bf16"},
//           "search": {"tp": 8, "max_gpus": 1024}}
//
// tp_comm_overlap is searched (on and off) only with SP at TP > 1, which it needs, on GPUs with
// Transformer Engine's userbuffers (supports_tp_comm_overlap); DeepSpeed cannot export it, so set
// "tp_comm_overlap": false for a DeepSpeed plan.
//
// Knobs the search does not vary unless a filter names them (each with the reason):
//   gpipe schedule: 1F1B has the same step time in the analytic model and never more activation
//     memory, so GPipe is dominated;
//   overlap_grad_reduce / overlap_param_gather / overlap_p2p: on (overlap never adds time);
//   recompute_layers: 0 (all layers of a stage) with full recompute;
//   fsdp full_shard: the same prediction as ZeRO-3, so only "zero": 3 is listed;
//   attention backend: the calibration's default; gradient reduction as "grad_reduce_precision" says;
//   master weights as "master_params" says (DeepSpeed and torchtitan cannot export remainders).
//
//   Diagnostics diag;
//   std::optional<PlanProblem> p = load_problem_file("problem.json", Catalog::from_default_dir(), diag);
//   if (!p) { for (auto& d : diag.items()) std::cerr << d.to_string() << "\n"; return 2; }
#pragma once

#include <array>
#include <optional>
#include <string>
#include <vector>

#include "model/spec/catalog.hpp"
#include "model/spec/job.hpp"

namespace trainplan::planner {

// The largest micro-batch a problem may ask to try: far above any published run (Megatron-LM and
// NeMo recipes use 1-16 sequences), and small enough that the micro-batch loops stay short.
inline constexpr int kMaxMicroBatch = 4096;

// Allowed values of one knob; empty = free (the search picks).
class KnobFilter {
 public:
  KnobFilter() = default;
  explicit KnobFilter(std::vector<int> allowed) : allowed_(std::move(allowed)) {}
  [[nodiscard]] bool free() const { return allowed_.empty(); }
  [[nodiscard]] bool allows(int v) const;
  [[nodiscard]] const std::vector<int>& values() const { return allowed_; }

 private:
  std::vector<int> allowed_;
};

// Fraction of each GPU's memory a plan must leave free unless the problem says otherwise.
inline constexpr double kDefaultMemoryHeadroom = 0.05;

struct SearchSettings {
  int max_gpus = 0;  // 0: the cluster's GPUs
  int min_gpus = 1;
  double memory_headroom = kDefaultMemoryHeadroom;
  bool allow_tp_across_nodes = false;
  int max_micro_batch = 8;  // at most kMaxMicroBatch
  int min_cp_sequence = 1024;
  int max_virtual_stages = 8;
  bool offload = true;
  // The knobs of SearchRole::kFixed (plan_knobs.hpp) as "search" gives them, the others at their
  // defaults: every searched plan takes its kFixed knobs from here (apply_fixed_knobs).
  PlanSpec fixed;
  // Filters of the SearchRole::kFilter knobs, by id; enums hold their underlying values, booleans 0/1.
  std::array<KnobFilter, kKnobCount> filters;
  [[nodiscard]] const KnobFilter& filter(Knob k) const { return filters[static_cast<size_t>(k)]; }
  KnobFilter& filter(Knob k) { return filters[static_cast<size_t>(k)]; }
};

// Sets the problem's kFixed knobs (SearchSettings::fixed) on a searched plan.
void apply_fixed_knobs(const SearchSettings& s, PlanSpec& plan);

struct PlanProblem {
  std::string file;
  ModelSpec model;
  ClusterSpec cluster;
  TrainingSpec training;  // global_batch_max > global_batch for a range
  SearchSettings search;
  [[nodiscard]] int max_gpus() const;
  [[nodiscard]] long long batch_min() const { return training.global_batch; }
  [[nodiscard]] long long batch_max() const {
    return training.global_batch_max > training.global_batch ? training.global_batch_max : training.global_batch;
  }
};

SearchSettings read_search_settings(const Node& node);
std::optional<PlanProblem> load_problem_file(const std::string& path, const Catalog& catalog, Diagnostics& diag);

}  // namespace trainplan::planner
