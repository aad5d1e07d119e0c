// The plan-knob declarations (model/spec/plan_knobs.hpp) and the readers, writers and memo keys
// derived from them: each knob survives the job JSON, the reader fills the declared defaults, no
// knob outside the layer-cost key changes layer costs, and the memo never returns a stale entry.
#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

#include "model/analytic.hpp"
#include "model/spec/spec_json.hpp"
#include "model/step.hpp"
#include "tests/model/fixture.hpp"

namespace trainplan {
namespace {

// A plan with every knob read from `json` (the job reader's plan object).
PlanSpec read(const Json& json, Diagnostics& diag) { return read_plan(Node{&json, "plan.json", "/plan", &diag}); }

// Another valid value of knob `k` than the one `p` holds: the next name, the other boolean, the
// integer one up (one down at the top of the range), half of what a fraction moves.
double other_value(const KnobDecl& k, const PlanSpec& p) {
  const double v = k.get(p);
  switch (k.type) {
    case KnobType::kBool: return v != 0 ? 0 : 1;
    case KnobType::kFraction: return v == 0.5 ? 1.0 : 0.5;
    case KnobType::kChoice:
      for (size_t i = 0; i < k.names.size(); ++i)
        if (k.names[i].value == static_cast<int>(v)) return k.names[(i + 1) % k.names.size()].value;
      return k.names.front().value;
    case KnobType::kInt: return v + 1 <= k.max ? std::max(v + 1, k.min) : v - 1;
    case KnobType::kText: break;  // set_other gives texts
  }
  return v;
}

// `p` with another valid value of knob `k` (a text knob: a layout in Megatron's grammar).
void set_other(const KnobDecl& k, PlanSpec& p) {
  if (k.type == KnobType::kText)
    k.set_text(p, k.text(p) == "Et*16|t*16L" ? "Et*8|t*24L" : "Et*16|t*16L");
  else
    k.set(p, other_value(k, p));
}

// The device knob that carries an offload fraction: the declaration just before it whose path
// shares the fraction's object ("offload/params/device" for "offload/params/fraction").
const KnobDecl* device_of(const KnobDecl& fraction) {
  const std::string_view object = fraction.path.substr(0, fraction.path.rfind('/'));
  for (const KnobDecl& k : kPlanKnobs)
    if (&k != &fraction && k.path.starts_with(object)) return &k;
  return nullptr;
}

TEST(PlanKnobs, EveryKnobSurvivesTheJobJson) {
  for (const KnobDecl& k : kPlanKnobs) {
    PlanSpec p;
    if (k.type == KnobType::kFraction) device_of(k)->set(p, static_cast<int>(OffloadDevice::kCpu));
    set_other(k, p);
    Diagnostics diag;
    const PlanSpec back = read(plan_to_json(p), diag);
    EXPECT_TRUE(diag.ok()) << k.name << ": " << (diag.ok() ? "" : diag.items().front().to_string());
    EXPECT_EQ(k.get(back), k.get(p)) << k.name;
    EXPECT_TRUE(back == p) << k.name << " changed another knob on the way: " << plan_to_json(back).dump();
  }
}

TEST(PlanKnobs, TheReaderFillsTheDeclaredDefaults) {
  Diagnostics diag;
  const PlanSpec empty = read(Json::object(), diag);
  // dp 0 = "the cluster's GPUs over tp*pp*cp" (load_job_file fills it); every other knob as PlanSpec{}.
  PlanSpec expected;
  expected.dp = 0;
  EXPECT_TRUE(empty == expected) << plan_to_json(empty).dump();
  // Defaults that depend on earlier knobs: sequence parallelism on at TP > 1; interleaving with
  // virtual stages; an offload device moves all of its state unless a fraction is given.
  const PlanSpec p = read(Json{{"tp", 4}, {"pp", 2}, {"virtual_stages", 3}, {"offload", {{"optimizer", {{"device", "cpu"}}}}}}, diag);
  EXPECT_TRUE(diag.ok());
  EXPECT_TRUE(p.sequence_parallel);
  EXPECT_EQ(p.schedule, Schedule::kInterleaved);
  EXPECT_EQ(p.optimizer_offload.fraction, 1.0);
  EXPECT_EQ(p.param_offload.fraction, 0.0);
}

TEST(PlanKnobs, BadValuesAreNamedAtTheirPath) {
  Diagnostics diag;
  read(Json{{"tp", 0}, {"schedule", "1f2b"}, {"offload", {{"params", {{"fraction", 1.5}, {"devise", "cpu"}}}}}, {"pipeline", 2}}, diag);
  std::vector<std::string> got;
  for (const Diagnostic& d : diag.items()) got.push_back(d.pointer + ": " + d.message);
  ASSERT_EQ(got.size(), 5u) << ::testing::PrintToString(got);
  auto has = [&](const std::string& text) {
    for (const std::string& g : got)
      if (g.find(text) != std::string::npos) return true;
    return false;
  };
  EXPECT_TRUE(has("/plan/tp: expected an integer >= 1 and <= 2147483647 (got 0)"));
  EXPECT_TRUE(has("/plan/schedule: expected one of \"1f1b\", \"gpipe\", \"interleaved\", \"zero-bubble\" (got \"1f2b\")"));
  EXPECT_TRUE(has("/plan/offload/params/fraction: expected a number in [0.0, 1.0] (got 1.5)"));
  EXPECT_TRUE(has("/plan/offload/params/devise: unknown key"));
  EXPECT_TRUE(has("/plan/pipeline: unknown key"));
}

// The layer costs flattened to numbers, for comparing two plans.
std::vector<double> numbers(const LayerCosts& c) {
  std::vector<double> out;
  for (const LayerCost* l : {&c.dense, &c.moe, &c.emb, &c.out})
    for (double v : {l->fwd.si(), l->bwd.si(), l->attention_core_fwd.si(), l->fp8_casts.si(), l->tp_comm_fwd.si(), l->tp_comm_bwd.si(),
                     l->cp_comm_fwd.si(), l->cp_comm_bwd.si(), l->ep_comm_fwd.si(), l->ep_comm_bwd.si(), l->model_flops,
                     l->attention_core_flops, l->fwd_flops, l->activations.si(), l->activations_selective.si(), l->layer_input.si()})
      out.push_back(v);
  return out;
}

// A MoE job on Hopper where every layer-cost knob has an effect: TP 2 with SP, CP 2, EP 4.
JobSpec moe_job(const test::Fixture& f) {
  JobSpec j = f.job(256, 4096);
  j.plan.tp = 2;
  j.plan.sequence_parallel = true;
  j.plan.cp = 2;
  j.plan.ep = 4;
  j.plan.dp = 8;
  j.plan.micro_batch = 2;
  return j;
}

TEST(PlanKnobs, OnlyLayerCostKnobsChangeTheLayerCosts) {
  const test::Fixture f("mixtral-8x7b", "dgx-h100-superpod");
  const JobSpec base = moe_job(f);
  const std::vector<double> before = numbers(layer_costs(layer_context(base, f.cal)));
  for (const KnobDecl& k : kPlanKnobs) {
    JobSpec j = base;
    set_other(k, j.plan);
    if (k.layer_cost) continue;
    EXPECT_EQ(numbers(layer_costs(layer_context(j, f.cal))), before)
        << k.name << " changes the layer costs but is not in the layer-cost key";
  }
}

TEST(PlanKnobs, TheLayerCostMemoAnswersEveryKnobChangeAsAFreshComputation) {
  const test::Fixture f("mixtral-8x7b", "dgx-h100-superpod");
  const JobSpec base = moe_job(f);
  LayerCostCache cache;
  cache.get(base, f.cal);
  for (const KnobDecl& k : kPlanKnobs) {
    JobSpec j = base;
    set_other(k, j.plan);
    EXPECT_EQ(numbers(cache.get(j, f.cal)), numbers(layer_costs(layer_context(j, f.cal)))) << k.name;
  }
}

TEST(PlanKnobs, TieBreaksKeepTheRankingsOrder) {
  // The order plans of equal objective have ranked in since the first planner (objective.cpp).
  const std::vector<std::string> expected = {"tp",
                                             "pp",
                                             "cp",
                                             "dp",
                                             "ep",
                                             "expert_tp",
                                             "virtual_stages",
                                             "schedule",
                                             "first_stage_layers",
                                             "last_stage_layers",
                                             "sequence_parallel",
                                             "zero",
                                             "fsdp",
                                             "optimizer_offload",
                                             "optimizer_offload_fraction",
                                             "param_offload",
                                             "param_offload_fraction",
                                             "activation_offload",
                                             "recompute",
                                             "recompute_layers",
                                             "micro_batch",
                                             "global batch",
                                             "tp_comm_overlap",
                                             "activation_offload_fraction",
                                             "account_for_embedding",
                                             "account_for_loss"};
  std::vector<std::string> got;
  for (const TieBreak& t : kTieBreaks) got.push_back(t.knob ? std::string(t.knob->name) : "global batch");
  EXPECT_EQ(got, expected);
}

// A knob's rule (KnobDecl::invalid): the job reader names the knob's key; a plan built in code is
// infeasible as unsupported. fp8_param_gather needs fp8 and a sharded optimizer (Megatron
// arguments.py L1095).
TEST(PlanKnobs, Fp8ParamGatherNeedsFp8AndASharedOptimizer) {
  TrainingSpec t;
  PlanSpec p;
  p.fp8_param_gather = true;
  t.precision = Precision::kBf16;
  p.zero = 1;
  EXPECT_STREQ(fp8_param_gather_invalid(p, t), "expected precision fp8 with fp8_param_gather (it keeps the compute weights in fp8)");
  t.precision = Precision::kFp8;
  EXPECT_EQ(fp8_param_gather_invalid(p, t), nullptr);
  p.fsdp = Fsdp::kFullShard;
  p.zero = 0;
  EXPECT_EQ(fp8_param_gather_invalid(p, t), nullptr);
  p.fsdp = Fsdp::kNone;
  ASSERT_NE(fp8_param_gather_invalid(p, t), nullptr);

  const test::Fixture f("llama3-8b", "dgx-h100-superpod");
  JobSpec j = f.job(64, 4096);
  j.training.precision = Precision::kFp8;
  j.plan = p;
  j.plan.dp = 8;
  const Evaluation e = AnalyticEvaluator().evaluate(j, f.cal);
  EXPECT_FALSE(e.feasible);
  const std::string why = std::string("fp8_param_gather: ") + fp8_param_gather_invalid(p, j.training);
  EXPECT_TRUE(std::any_of(e.reasons.begin(), e.reasons.end(), [&](const Infeasibility& r) {
    return r.reason == InfeasibleReason::kUnsupported && r.detail == why;
  })) << ::testing::PrintToString(e.reasons.size());
}

TEST(PlanKnobs, NameTablesReadWhatTheyWrite) {
  for (const KnobDecl& k : kPlanKnobs)
    for (const NameEntry& e : k.names) {
      EXPECT_EQ(parse_name(k.names, e.name), e.value) << k.name << " " << e.name;
      EXPECT_EQ(name_of(k.names, e.value), e.name) << k.name;
    }
  EXPECT_STREQ(schedule_name(Schedule::kZeroBubble), "zero-bubble");
  EXPECT_STREQ(fsdp_name(Fsdp::kHybridShard), "hybrid_shard");
  EXPECT_EQ(find_knob("master_params"), &knob(Knob::kMasterParams));
  EXPECT_EQ(find_knob("no_such_knob"), nullptr);
}

}  // namespace
}  // namespace trainplan
