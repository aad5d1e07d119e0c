// One test per validity rule of planner/search/rules.hpp: a valid base plan, one knob broken.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "model/analytic.hpp"
#include "model/spec/spec_json.hpp"
#include "planner/search/problem.hpp"
#include "planner/search/rules.hpp"
#include "planner/search/search.hpp"
#include "planner/search/space.hpp"

namespace trainplan::planner {
namespace {

PlanProblem small_problem() {
  Diagnostics diag;
  auto p = load_problem_file(TEST_DATA_DIR "/small-problem.json", Catalog(CONFIG_DIR), diag);
  EXPECT_TRUE(diag.ok());
  return *p;
}

// GPT-3 1.3B: 24 layers, 24 heads; 16 GPUs; global batch 64; sequence 2048.
PlanSpec base_plan() {
  PlanSpec p;
  p.tp = 2;
  p.sequence_parallel = true;
  p.pp = 2;
  p.dp = 4;
  p.micro_batch = 2;
  return p;
}

std::optional<Rule> broken(const PlanProblem& pr, const PlanSpec& p, long long gb = 64) {
  auto v = check_rules(pr, p, gb);
  return v ? std::optional<Rule>(v->rule) : std::nullopt;
}

TEST(PlannerRules, BasePlanIsValid) { EXPECT_EQ(broken(small_problem(), base_plan()), std::nullopt); }

TEST(PlannerRules, HeadsDivisibleByTp) {
  PlanSpec p = base_plan();
  p.tp = 5;
  EXPECT_EQ(broken(small_problem(), p), Rule::kHeadsByTp);
}

TEST(PlannerRules, KvHeadsDivisibleByTp) {
  PlanProblem pr = small_problem();
  pr.model.kv_heads = 2;  // GQA with 2 groups: tp 4 would split a group
  PlanSpec p = base_plan();
  p.tp = 4;
  p.dp = 2;
  EXPECT_EQ(broken(pr, p), Rule::kKvHeadsByTp);
}

TEST(PlannerRules, TpInsideScaleUpDomainUnlessAllowed) {
  PlanProblem pr = small_problem();
  pr.cluster.node.scale_up_domain = 4;  // e.g. two NVLink islands of 4 per node
  PlanSpec p = base_plan();
  p.tp = 8;
  p.pp = 1;
  p.dp = 2;
  p.micro_batch = 1;
  EXPECT_EQ(broken(pr, p), Rule::kTpInScaleUp);
  pr.search.allow_tp_across_nodes = true;
  EXPECT_EQ(broken(pr, p), std::nullopt);
}

TEST(PlannerRules, SequenceParallelNeedsTp) {
  PlanSpec p = base_plan();
  p.tp = 1;
  EXPECT_EQ(broken(small_problem(), p), Rule::kSequenceParallelTp);
}

TEST(PlannerRules, LayersSplitOverStagesWithUnevenEnds) {
  PlanProblem pr = small_problem();
  PlanSpec p = base_plan();
  p.pp = 5;  // 24 layers do not split evenly over 5 stages
  p.dp = 1;
  EXPECT_EQ(broken(pr, p), Rule::kLayersByStages);
  p.first_stage_layers = 3;  // 3 + 3·6 + 3 = 24: uneven first and last stages are allowed
  p.last_stage_layers = 3;
  EXPECT_EQ(broken(pr, p), std::nullopt);
  p.pp = 4;
  p.first_stage_layers = p.last_stage_layers = 0;
  p.virtual_stages = 4;  // 24 / (4 x 4) is not whole
  p.schedule = Schedule::kInterleaved;
  EXPECT_EQ(broken(pr, p), Rule::kLayersByStages);
}

TEST(PlannerRules, GlobalBatchDivisibleByMicroBatchTimesDp) {
  PlanSpec p = base_plan();
  p.micro_batch = 3;
  EXPECT_EQ(broken(small_problem(), p), Rule::kBatchByMicroBatchDp);
}

TEST(PlannerRules, ExpertsDivisibleByEp) {
  PlanSpec p = base_plan();
  p.ep = 2;  // a dense model has no experts
  EXPECT_EQ(broken(small_problem(), p), Rule::kExpertsByEp);
  PlanProblem pr = small_problem();
  pr.model.moe = MoeSpec{8, 2, 4096};
  p.ep = 3;
  EXPECT_EQ(broken(pr, p), Rule::kExpertsByEp);
}

TEST(PlannerRules, EpDividesDpTimesCp) {
  PlanProblem pr = small_problem();
  pr.model.moe = MoeSpec{8, 2, 4096};
  PlanSpec p = base_plan();
  p.ep = 8;  // dp x cp = 4
  EXPECT_EQ(broken(pr, p), Rule::kEpDividesDpCp);
}

TEST(PlannerRules, ExpertTpDividesTp) {
  PlanSpec p = base_plan();
  p.expert_tp = 4;
  EXPECT_EQ(broken(small_problem(), p), Rule::kExpertTpDividesTp);
}

TEST(PlannerRules, SequenceDivisibleByTwiceCp) {
  PlanProblem pr = small_problem();
  pr.training.sequence_length = 2000;  // 2 x 16 does not divide 2000
  PlanSpec p = base_plan();
  p.cp = 16;
  p.tp = 1;
  p.sequence_parallel = false;
  p.pp = 1;
  p.dp = 1;
  EXPECT_EQ(broken(pr, p), Rule::kSequenceByCp);
}

TEST(PlannerRules, GpuCountWithinTheCluster) {
  PlanSpec p = base_plan();
  p.dp = 8;  // 2 x 2 x 8 = 32 > 16
  p.micro_batch = 1;
  EXPECT_EQ(broken(small_problem(), p), Rule::kGpuCount);
}

TEST(PlannerRules, InterleavedNeedsVirtualStages) {
  PlanSpec p = base_plan();
  p.schedule = Schedule::kInterleaved;
  EXPECT_EQ(broken(small_problem(), p), Rule::kScheduleVirtual);
}

TEST(PlannerRules, InterleavedNeedsMicroBatchesDivisibleByPp) {
  PlanProblem pr = small_problem();
  PlanSpec p = base_plan();
  p.schedule = Schedule::kInterleaved;
  p.virtual_stages = 2;
  p.pp = 4;
  p.dp = 2;
  p.micro_batch = 1;
  EXPECT_EQ(broken(pr, p, 64), std::nullopt);  // 32 micro-batches over 4 stages
  pr.training.global_batch = 36;               // 18 micro-batches
  EXPECT_EQ(broken(pr, p, 36), Rule::kInterleavedMicroBatches);
}

TEST(PlannerRules, ZeroAndFsdpExclusive) {
  PlanSpec p = base_plan();
  p.zero = 1;
  p.fsdp = Fsdp::kFullShard;
  EXPECT_EQ(broken(small_problem(), p), Rule::kZeroOrFsdp);
}

TEST(PlannerRules, ParamOffloadNeedsZero3) {
  PlanSpec p = base_plan();
  p.param_offload = {OffloadDevice::kCpu, 1.0};
  EXPECT_EQ(broken(small_problem(), p), Rule::kParamOffloadZero3);
  p.zero = 3;
  EXPECT_EQ(broken(small_problem(), p), std::nullopt);
}

TEST(PlannerRules, NvmeOffloadNeedsNvme) {
  PlanProblem pr = small_problem();
  pr.cluster.node.nvme_capacity.reset();
  PlanSpec p = base_plan();
  p.optimizer_offload = {OffloadDevice::kNvme, 1.0};
  EXPECT_EQ(broken(pr, p), Rule::kNvmeAvailable);
}

TEST(PlannerRules, RecomputeLayersNeedFullRecompute) {
  PlanSpec p = base_plan();
  p.recompute_layers = 2;
  EXPECT_EQ(broken(small_problem(), p), Rule::kRecomputeLayers);
}

TEST(PlannerRules, GlobalBatchInsideTheRange) {
  PlanSpec p = base_plan();
  EXPECT_EQ(broken(small_problem(), p, 128), Rule::kGlobalBatchRange);
}

TEST(PlannerSpace, UnevenLayoutWhenStagesDoNotDivideLayers) {
  PlanProblem pr = small_problem();  // 24 layers
  int counted = 0;
  for (const StageLayout& l : stage_layouts(pr, 24)) {
    if (l.account_for) {
      // The embedding and loss counted: pp ranks of `middle` layers hold 24 + 2 (pp 13 and 26 > 24:
      // only pp 13, 26 / 13 = 2 per rank).
      EXPECT_EQ(l.middle * l.pp, 24 + 2) << "pp " << l.pp;
      EXPECT_NE(24 % l.pp, 0);
      ++counted;
    } else if (24 % l.pp == 0) {
      EXPECT_EQ(l.first, 0);
    } else {
      EXPECT_EQ(l.first + l.last + l.middle * (l.pp - 2), 24) << "pp " << l.pp;
    }
  }
  EXPECT_EQ(counted, 1);  // 26 = 2 · 13: pp 13 (pp 2 divides 24 already)
}

// 24 layers at pp 13: the uneven layout (1, 2 x 11, 1) runs 1F1B and zero-bubble; interleaving
// needs the embedding and loss counted (26 = 13 x 2 x 1: no v >= 2 divides 2 layers a rank
// except 2), and Megatron splits uneven first/last stages into whole virtual stages, so the
// uneven layout offers no interleaving (1 % 2 != 0).
TEST(PlannerSpace, InterleavingOfLayersThatDoNotDivideCountsEmbeddingAndLoss) {
  PlanProblem pr = small_problem();
  for (const StageLayout& l : stage_layouts(pr, 24)) {
    if (l.pp != 13) continue;
    std::vector<ScheduleOption> so = schedule_options(pr, l);
    for (const ScheduleOption& o : so) {
      if (l.account_for) {
        EXPECT_EQ(o.schedule, Schedule::kInterleaved);
        EXPECT_EQ(o.virtual_stages, 2);
      } else {
        EXPECT_NE(o.schedule, Schedule::kInterleaved);
      }
    }
    if (l.account_for) {
      EXPECT_EQ(so.size(), 1u);
    }
  }
  PlanSpec p = base_plan();
  p.pp = 13;
  p.tp = 1;
  p.sequence_parallel = false;
  p.dp = 1;
  p.micro_batch = 1;
  p.schedule = Schedule::kInterleaved;
  p.virtual_stages = 2;
  p.first_stage_layers = p.last_stage_layers = 1;
  EXPECT_EQ(broken(pr, p), Rule::kLayersByStages);
  p.first_stage_layers = p.last_stage_layers = 0;
  p.account_for_embedding = p.account_for_loss = true;
  // The layers split; what remains is the batch: 64 micro-batches are no multiple of 13.
  EXPECT_EQ(broken(pr, p), Rule::kInterleavedMicroBatches);
}

TEST(PlannerSpace, TpCandidatesStayInTheNode) {
  // 24 heads, 8 GPUs per NVSwitch domain.
  EXPECT_EQ(tp_candidates(small_problem()), (std::vector<int>{1, 2, 3, 4, 6, 8}));
}

TEST(PlannerProblem, BadInputNamesFileAndPointer) {
  Diagnostics diag;
  auto p = load_problem_file(TEST_DATA_DIR "/bad-problem.json", Catalog(CONFIG_DIR), diag);
  EXPECT_FALSE(p.has_value());
  std::vector<std::string> pointers;
  for (const auto& d : diag.items()) {
    EXPECT_NE(d.file.find("bad-problem.json"), std::string::npos);
    pointers.push_back(d.pointer);
  }
  EXPECT_NE(std::find(pointers.begin(), pointers.end(), "/search/tp/1"), pointers.end());
  EXPECT_NE(std::find(pointers.begin(), pointers.end(), "/search/memory_headroom"), pointers.end());
  EXPECT_NE(std::find(pointers.begin(), pointers.end(), "/search/colour"), pointers.end());
  EXPECT_NE(std::find(pointers.begin(), pointers.end(), "/search/grad_reduce_precision"), pointers.end());
}

// The small problem's calibration and its three best plans.
Calibration calibration_of(const PlanProblem& p) {
  Diagnostics diag;
  return load_calibration(Catalog(CONFIG_DIR), p.cluster.node.gpu, "", diag);
}
SearchResult top3(const PlanProblem& p, const Calibration& cal) {
  SearchOptions so;
  so.top = 3;
  return run_search(p, cal, so);
}

// "master_params": "remainder" reaches every plan the search returns, and lowers the optimizer
// state of the same plan by 2 bytes a parameter (job.hpp param_remainders); an fp16 problem cannot
// have it and is told so at the key.
TEST(PlannerProblem, MasterParamsReachEveryPlanAndNeedBf16Weights) {
  PlanProblem p = small_problem();
  EXPECT_FALSE(p.search.fixed.param_remainders);
  ASSERT_TRUE(keeps_bf16_weights(p.training.precision));
  p.search.fixed.param_remainders = true;
  const Calibration cal = calibration_of(p);
  const SearchResult r = top3(p, cal);
  ASSERT_FALSE(r.top.empty());
  for (const Candidate& c : r.top) EXPECT_TRUE(c.plan.param_remainders);
  JobSpec job{p.model, p.cluster, p.training, r.top.front().plan};
  job.training.global_batch = r.top.front().global_batch;
  const Evaluation rem = AnalyticEvaluator().evaluate(job, cal);
  job.plan.param_remainders = false;
  const Evaluation whole = AnalyticEvaluator().evaluate(job, cal);
  EXPECT_NEAR(whole.stage(0).optimizer / rem.stage(0).optimizer, 12.0 / 10.0, 1e-12);

  Json doc = Json::parse(std::ifstream(TEST_DATA_DIR "/small-problem.json"));
  doc["search"]["master_params"] = "remainder";
  doc["training"]["precision"] = "fp16";
  const auto path =
      (std::filesystem::temp_directory_path() / ("trainplan_fp16_remainder_" + std::to_string(::getpid()) + ".json")).string();
  std::ofstream(path) << doc.dump();
  Diagnostics d2;
  EXPECT_FALSE(load_problem_file(path, Catalog(CONFIG_DIR), d2).has_value());
  bool found = false;
  for (const auto& d : d2.items()) found |= d.pointer == "/search/master_params" && d.message.find("got fp16") != std::string::npos;
  EXPECT_TRUE(found);
}

TEST(PlannerProblem, GradientPrecisionReachesEveryPlan) {
  PlanProblem p = small_problem();
  EXPECT_FALSE(p.search.fixed.grad_reduce_bf16);
  p.search.fixed.grad_reduce_bf16 = true;
  const SearchResult r = top3(p, calibration_of(p));
  ASSERT_FALSE(r.top.empty());
  for (const Candidate& c : r.top) EXPECT_TRUE(c.plan.grad_reduce_bf16);
}

}  // namespace
}  // namespace trainplan::planner

namespace trainplan::planner {
namespace {

// Every knob plan_knobs.hpp declares a search filter is a key of "search", with the values the
// job JSON spells for it; the filter holds what was given, by the knob's id.
TEST(PlannerProblem, EveryFilterKnobIsASearchKey) {
  PlanSpec base;
  base.tp = 2;
  Json search = Json::object();
  for (const KnobDecl& k : kPlanKnobs)
    if (k.search == SearchRole::kFilter) search[std::string(k.name)] = Json::array({knob_json(k, base)});
  Diagnostics diag;
  const SearchSettings s = read_search_settings(Node{&search, "problem.json", "/search", &diag});
  ASSERT_TRUE(diag.ok()) << diag.items().front().to_string();
  for (const KnobDecl& k : kPlanKnobs) {
    const KnobFilter& f = s.filters[static_cast<size_t>(&k - kPlanKnobs.data())];
    if (k.search != SearchRole::kFilter) {
      EXPECT_TRUE(f.free()) << k.name;
      continue;
    }
    EXPECT_EQ(f.values(), std::vector<int>{static_cast<int>(k.get(base))}) << k.name;
  }
  EXPECT_EQ(s.filter(Knob::kTp).values(), std::vector<int>{2});
}

// A knob the search takes as one value (SearchRole::kFixed) reaches every searched plan.
TEST(PlannerProblem, FixedKnobsReachEveryPlan) {
  Json search = {{"master_params", "remainder"}, {"grad_reduce_precision", "bf16"}};
  Diagnostics diag;
  const SearchSettings s = read_search_settings(Node{&search, "problem.json", "/search", &diag});
  ASSERT_TRUE(diag.ok());
  PlanSpec plan;
  apply_fixed_knobs(s, plan);
  EXPECT_TRUE(plan.param_remainders);
  EXPECT_TRUE(plan.grad_reduce_bf16);
  EXPECT_EQ(plan.tp, 1);
}

}  // namespace
}  // namespace trainplan::planner
