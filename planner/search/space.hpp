// The plan space of a problem: the candidate values of every knob, generated so that each plan
// passes planner/search/rules.hpp. The search walks it as tasks (the unit of work a thread takes):
//
//   task  = (tp, cp, ep, expert_tp, pp with its stage layout)
//   inside a task:  dp -> ZeRO/FSDP -> sequence parallel -> TP overlap -> schedule and virtual
//                   stages -> recompute -> micro-batch (ascending) -> offload variants
//
// Candidate values (each narrowed further by the problem's "search" filters):
//   tp         divisors of the heads that also divide the KV heads, within the scale-up domain
//   cp         powers of two with 2·cp dividing the sequence and sequence/cp >= min_cp_sequence
//   ep         divisors of the experts (MoE only); expert_tp divisors of tp
//   pp         1 .. layers; layout even when pp divides the layers, else one uneven layout: the
//              middle stages hold c = ceil(layers/pp) layers, first and last share the remainder,
//              the last (which also holds the logits) taking the smaller half
//   schedule   1F1B, zero-bubble (pp > 1), interleaved with every v in 2..max_virtual_stages that
//              divides the middle stages' layers; GPipe only when the filter asks for it
//   dp         every value with min_gpus <= tp·pp·cp·dp <= max GPUs, ep | dp·cp, and some global
//              batch in range divisible by dp
//   micro-batch  1 .. max_micro_batch; global batch: the largest in range that micro-batch·dp
//              divides (a larger batch amortizes fill/drain and per-step costs over more tokens)
//   zero       0, 1, 2, 3, and FSDP hybrid shard when it differs from full sharding
//   recompute  none, selective, full (all layers of each stage)
//   offload    (only for plans that do not fit without): optimizer to CPU; to NVMe; with ZeRO-3
//              also parameters (CPU, or NVMe with NVMe optimizer state); activations to CPU alone
//              and with the optimizer on CPU. Fractions 1.0.
#pragma once

#include <optional>
#include <vector>

#include "planner/search/problem.hpp"

namespace trainplan::planner {

struct StageLayout {
  int pp = 1;
  int first = 0;  // layers of the first stage; 0: even split
  int last = 0;
  int middle = 0;  // layers of each other stage (with account_for: layers of each rank, the embedding and loss counted)
  // The embedding and the loss counted as layers of an even split (PlanSpec::account_for_embedding
  // and account_for_loss): how Megatron interleaves a model whose layers do not divide by pp.
  bool account_for = false;
};

struct Task {
  int tp = 1, cp = 1, ep = 1, expert_tp = 1;
  StageLayout layout;
};

struct ScheduleOption {
  Schedule schedule = Schedule::k1F1B;
  int virtual_stages = 1;
};

struct ZeroOption {
  int zero = 0;
  Fsdp fsdp = Fsdp::kNone;
};

struct OffloadVariant {
  Offload optimizer, params, activations;
};

std::vector<int> tp_candidates(const PlanProblem& p);
std::vector<int> cp_candidates(const PlanProblem& p);
std::vector<int> ep_candidates(const PlanProblem& p);
// The layout of `layers` over `pp` stages (even, or the uneven one described above); nullopt
// when none exists.
std::optional<StageLayout> stage_layout(int layers, int pp);
std::vector<StageLayout> stage_layouts(const PlanProblem& p, int max_pp);
std::vector<Task> make_tasks(const PlanProblem& p);

std::vector<int> dp_candidates(const PlanProblem& p, const Task& t);
std::vector<ZeroOption> zero_options(const PlanProblem& p, const Task& t, int dp);
std::vector<ScheduleOption> schedule_options(const PlanProblem& p, const StageLayout& l);
std::vector<int> micro_batch_candidates(const PlanProblem& p, int dp);
std::vector<int> sequence_parallel_options(const PlanProblem& p, int tp);
std::vector<int> tp_overlap_options(const PlanProblem& p, int tp, bool sp);
std::vector<std::pair<Recompute, int>> recompute_options(const PlanProblem& p);
// Whether the plain (no offload) plan is in the space; false when a filter demands an offload.
bool plain_allowed(const PlanProblem& p);
std::vector<OffloadVariant> offload_variants(const PlanProblem& p, int effective_zero);

// The largest global batch in the problem's range that `divisor` divides; 0 when none.
long long pick_global_batch(const PlanProblem& p, long long divisor);

// A plan from its parts (sequence parallel and TP overlap 0/1).
PlanSpec make_plan(const Task& t, int dp, const ZeroOption& z, int sp, int tp_overlap, const ScheduleOption& s,
                   std::pair<Recompute, int> rc, int micro_batch, const OffloadVariant* off);

}  // namespace trainplan::planner
