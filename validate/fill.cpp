#include "validate/fill.hpp"

#include <algorithm>
#include <string>

#include "model/pipeline_layout.hpp"
#include "model/spec/era.hpp"

namespace trainplan {

namespace {

constexpr std::array<NameEntry, 5> kFitStepNames = {{{static_cast<int>(FitStep::kSequenceParallel), "sequence_parallel"},
                                                     {static_cast<int>(FitStep::kDistributedOptimizer), "distributed_optimizer"},
                                                     {static_cast<int>(FitStep::kSelectiveRecompute), "selective_recompute"},
                                                     {static_cast<int>(FitStep::kFullRecompute), "full_recompute"},
                                                     {static_cast<int>(FitStep::kSmallerMicroBatch), "smaller_micro_batch"}}};
constexpr std::array<NameEntry, 3> kFillWhyNames = {{{static_cast<int>(FillWhy::kDefault), "default"},
                                                     {static_cast<int>(FillWhy::kRecipe), "recipe"},
                                                     {static_cast<int>(FillWhy::kToFit), "to fit"}}};

// `from`'s knobs over `into`'s: every knob `from` gives, with the values read with it (the
// micro-batch where pp > 1; the recomputed share).
void overlay(FillValues& into, const FillValues& from) {
  if (from.micro_batch) into.micro_batch = from.micro_batch, into.micro_batch_pipelined = from.micro_batch_pipelined;
  if (from.recompute) into.recompute = from.recompute, into.recompute_every = from.recompute_every;
  auto take = [](auto& to, const auto& given) {
    if (given) to = given;
  };
  take(into.virtual_stages, from.virtual_stages);
  take(into.zero, from.zero);
  take(into.sequence_parallel, from.sequence_parallel);
  take(into.tp_comm_overlap, from.tp_comm_overlap);
  take(into.overlap_grad_reduce, from.overlap_grad_reduce);
  take(into.overlap_param_gather, from.overlap_param_gather);
}

// One knob's value as the files write it (`n` names it in messages): a count (micro-batch also
// "global/dp"), a recomputation name, a ZeRO stage 0-3, a boolean.
void read_value(FillKnob k, Node n, FillValues& out) {
  const Json& v = *n.json;
  auto count = [&](int lo, int hi, const char* what) -> std::optional<int> {
    if (v.is_number_integer() && v.get<long long>() >= lo && v.get<long long>() <= hi) return static_cast<int>(v.get<long long>());
    n.error(std::string("expected ") + what + " (got " + describe(v) + ")");
    return std::nullopt;
  };
  auto flag = [&]() -> std::optional<bool> {
    if (v.is_boolean()) return v.get<bool>();
    n.error("expected true or false (got " + describe(v) + ")");
    return std::nullopt;
  };
  switch (k) {
    case FillKnob::kMicroBatch:
      if (v.is_string() && v.get<std::string>() == "global/dp")
        out.micro_batch = 0;
      else
        out.micro_batch = count(1, 1 << 20, "a micro-batch from 1, or \"global/dp\"");
      break;
    case FillKnob::kRecompute: {
      const std::optional<int> r = v.is_string() ? parse_name(kRecomputeNames, v.get<std::string>()) : std::nullopt;
      if (r)
        out.recompute = static_cast<Recompute>(*r);
      else
        n.error("expected one of " + name_choices(kRecomputeNames) + " (got " + describe(v) + ")");
      break;
    }
    case FillKnob::kVirtualStages: out.virtual_stages = count(1, 1 << 16, "a virtual stage count from 1"); break;
    case FillKnob::kZero: out.zero = count(0, 3, "a ZeRO stage 0 to 3"); break;
    case FillKnob::kSequenceParallel: out.sequence_parallel = flag(); break;
    case FillKnob::kTpCommOverlap: out.tp_comm_overlap = flag(); break;
    case FillKnob::kOverlapGradReduce: out.overlap_grad_reduce = flag(); break;
    case FillKnob::kOverlapParamGather: out.overlap_param_gather = flag(); break;
    case FillKnob::kCount: break;
  }
}

// {"date": "YYYY[-MM]", "value": ..., "source": ...}: what releases before `date` did instead.
EarlierDefault read_earlier(FillKnob k, Node n) {
  EarlierDefault e;
  ObjectReader br(n);
  if (!br.valid()) return e;
  br.string("source");
  const std::string date = br.string("date");
  if (valid_date(date)) {
    e.year = date_year(date);
    e.month = date_month(date);
  } else {
    n.at("date").error("expected a date \"YYYY\" or \"YYYY-MM\" (got \"" + date + "\")");
  }
  if (std::optional<Node> v = br.child("value"))
    read_value(k, *v, e.values);
  else
    n.at("value").error("expected the earlier releases' value");
  br.finish();
  return e;
}

// A framework's defaults: {"<knob>": {"value": ..., "source": ...}, ..., "to_fit": {"steps": [...], "source": ...}}.
FrameworkDefaults read_defaults(Node entry) {
  FrameworkDefaults d;
  ObjectReader fr(entry);
  if (!fr.valid()) return d;
  for (size_t i = 0; i < kFillKnobCount; ++i) {
    const auto k = static_cast<FillKnob>(i);
    const std::string key(kFillKnobNames[i]);
    std::optional<Node> kn = fr.child(key);
    if (!kn) {
      entry.at(key).error("expected the default of \"" + key + "\" ({\"value\": ..., \"source\": ...})");
      continue;
    }
    ObjectReader kr(*kn);
    if (!kr.valid()) continue;
    kr.string("source");
    if (std::optional<Node> v = kr.child("value"))
      read_value(k, *v, d.values);
    else
      kn->at("value").error("expected the framework's value");
    if (k == FillKnob::kMicroBatch && kr.has("with_pipeline")) {
      d.values.micro_batch_pipelined = kr.integer("with_pipeline", 1);
      kr.string("with_pipeline_source");
    }
    if (k == FillKnob::kRecompute && kr.has("every")) d.values.recompute_every = kr.integer("every", 2);
    if (std::optional<Node> b = kr.child("before")) d.earlier.push_back(read_earlier(k, *b));
    kr.finish();
  }
  if (std::optional<Node> tf = fr.child("to_fit")) {
    ObjectReader tr(*tf);
    if (tr.valid()) {
      tr.string("source");
      std::optional<Node> steps = tr.child("steps");
      if (!steps || !steps->json->is_array()) {
        tf->at("steps").error("expected an array of fit steps");
      } else {
        for (size_t i = 0; i < steps->json->size(); ++i) {
          const Json& s = steps->json->at(i);
          if (const std::optional<int> step = s.is_string() ? parse_name(kFitStepNames, s.get<std::string>()) : std::nullopt)
            d.to_fit.push_back(static_cast<FitStep>(*step));
          else
            steps->at(i).error("expected one of " + name_choices(kFitStepNames) + " (got " + describe(s) + ")");
        }
      }
      tr.finish();
    }
  } else {
    entry.at("to_fit").error("expected the framework's memory savings in order ({\"steps\": [...], \"source\": ...})");
  }
  fr.finish();
  return d;
}

// {"framework", "model": {"layers", "hidden"}, "parallelism": {"tp", "pp"}, "knobs": {...}, "source"}.
std::optional<Recipe> read_recipe(Node n) {
  ObjectReader rr(n);
  if (!rr.valid()) return std::nullopt;
  Recipe r;
  r.source = rr.string("source");
  const std::string fw = rr.string("framework");
  if (auto f = parse_framework(fw))
    r.framework = *f;
  else
    n.at("framework").error("expected one of " + framework_choices() + " (got \"" + fw + "\")");
  if (std::optional<Node> m = rr.child("model")) {
    ObjectReader mr(*m);
    r.layers = mr.integer("layers", 1);
    r.hidden = mr.integer("hidden", 1);
    r.sequence = mr.integer("sequence", 1);
    mr.finish();
  } else {
    n.at("model").error("expected the recipe's model shape {\"layers\", \"hidden\", \"sequence\"}");
  }
  if (std::optional<Node> p = rr.child("parallelism")) {
    ObjectReader pr(*p);
    r.tp = pr.integer("tp", 1);
    r.pp = pr.integer("pp", 1);
    pr.finish();
  } else {
    n.at("parallelism").error("expected the recipe's {\"tp\", \"pp\"}");
  }
  if (std::optional<Node> k = rr.child("knobs")) {
    ObjectReader kr(*k);
    for (size_t i = 0; i < kFillKnobCount; ++i)
      if (std::optional<Node> v = kr.child(kFillKnobNames[i])) read_value(static_cast<FillKnob>(i), *v, r.values);
    kr.finish();
  } else {
    n.at("knobs").error("expected the recipe's knob values");
  }
  rr.finish();
  return r;
}

// The top of one of the two files: its schema, and the node under `key`.
std::optional<Node> open_file(const std::optional<Json>& doc, const std::string& path, std::string_view schema, std::string_view key,
                              Diagnostics& diag) {
  if (!doc) return std::nullopt;
  ObjectReader top(Node{&*doc, path, "", &diag});
  if (!top.valid()) return std::nullopt;
  if (top.string("schema") != schema) top.node().at("schema").error("expected \"" + std::string(schema) + "\"");
  top.string("description", "");
  std::optional<Node> body = top.child(key);
  if (!body) top.node().at(key).error("expected \"" + std::string(key) + "\"");
  top.finish();
  return body;
}

// The largest divisor of n not above cap (1 at least).
long long largest_divisor_at_most(long long n, long long cap) {
  for (long long d = std::min(n, cap); d > 1; --d)
    if (n % d == 0) return d;
  return 1;
}

}  // namespace

std::optional<FillData> load_fill_data(const Catalog& catalog, Diagnostics& diag) {
  const size_t before = diag.items().size();
  FillData data;
  const std::string dpath = catalog.dir() + "/frameworks/defaults.json";
  const std::optional<Json> ddoc = load_json_file(dpath, diag);
  if (std::optional<Node> fws = open_file(ddoc, dpath, "trainplan-framework-defaults/1", "frameworks", diag)) {
    ObjectReader fr(*fws);
    for (size_t i = 0; i < kFrameworkNames.size() && fr.valid(); ++i) {
      const std::string name(kFrameworkNames[i]);
      if (std::optional<Node> e = fr.child(name))
        data.defaults[i] = read_defaults(*e);
      else
        fws->at(name).error("expected the defaults of framework \"" + name + "\"");
    }
    fr.finish();
  }
  const std::string rpath = catalog.dir() + "/frameworks/recipes.json";
  const std::optional<Json> rdoc = load_json_file(rpath, diag);
  if (std::optional<Node> list = open_file(rdoc, rpath, "trainplan-recipes/1", "recipes", diag)) {
    if (!list->json->is_array()) list->error("expected an array of recipes");
    for (size_t i = 0; list->json->is_array() && i < list->json->size(); ++i)
      if (auto r = read_recipe(list->at(i))) data.recipes.push_back(std::move(*r));
  }
  if (diag.items().size() != before) return std::nullopt;
  return data;
}

const Recipe* matching_recipe(const FillData& data, const JobSpec& job) {
  const Framework fw = effective_framework(job.training.framework);
  for (const Recipe& r : data.recipes)
    if (r.framework == fw && r.layers == job.model.layers && r.hidden == job.model.hidden && r.sequence == job.training.sequence_length &&
        r.tp == job.plan.tp && r.pp == job.plan.pp)
      return &r;
  return nullptr;
}

std::string_view fill_why_name(FillWhy w) { return name_of(kFillWhyNames, static_cast<int>(w)); }

bool fits_in_memory(const Evaluation& ev) { return ev.feasible; }

bool refused(const Evaluation& ev) {
  for (const Infeasibility& r : ev.reasons)
    if (r.reason != InfeasibleReason::kOutOfMemory && r.reason != InfeasibleReason::kHostMemory &&
        r.reason != InfeasibleReason::kNvmeCapacity)
      return true;
  return false;
}

FillValues FrameworkDefaults::at(int year, int month) const {
  FillValues v = values;
  for (const EarlierDefault& e : earlier) {
    const bool before = year > 0 && (year < e.year || (year == e.year && month > 0 && e.month > 0 && month < e.month));
    if (before) overlay(v, e.values);
  }
  return v;
}

std::optional<FillWhy> FilledPlan::why_of(FillKnob k) const {
  for (const auto& [knob, w] : why)
    if (knob == k) return w;
  return std::nullopt;
}

namespace {

// The fill's working state: the plan, and what it said about each knob.
struct Filler {
  const RowJob& rj;
  const Evaluator& ev;
  const Calibration& cal;
  FilledPlan out;

  PlanSpec& plan() { return out.job.plan; }
  void note(FillKnob k, FillWhy w) {
    for (auto& e : out.why)
      if (e.first == k) {
        e.second = w;
        return;
      }
    out.why.push_back({k, w});
  }
  bool evaluate() {
    out.evaluation = ev.evaluate(out.job, cal);
    out.fits = fits_in_memory(out.evaluation);
    return out.fits;
  }
  // Samples one data-parallel replica runs per step (the micro-batches must divide it).
  [[nodiscard]] long long per_replica() const { return std::max(1LL, out.job.training.global_batch / std::max(1, out.job.plan.dp)); }
  [[nodiscard]] int stage_layers() const { return (out.job.model.layers + out.job.plan.pp - 1) / out.job.plan.pp; }
  // An interleaved schedule needs the micro-batch count divisible by pp (the planner's rule
  // kInterleavedMicroBatches, Megatron schedules.py).
  [[nodiscard]] bool interleaving_ok() const {
    const PlanSpec& p = out.job.plan;
    return p.virtual_stages <= 1 || (layout_error(out.job.model, p).empty() && out.job.micro_batches() % p.pp == 0);
  }

  void set_micro_batch(const FillValues& v, FillWhy w) {
    int mb = plan().pp > 1 && v.micro_batch_pipelined ? *v.micro_batch_pipelined : v.micro_batch.value_or(1);
    if (mb == 0) mb = static_cast<int>(per_replica());
    plan().micro_batch = static_cast<int>(largest_divisor_at_most(per_replica(), mb));
    note(FillKnob::kMicroBatch, w);
  }
  void set_recompute(const FillValues& v, FillWhy w) {
    plan().recompute = v.recompute.value_or(Recompute::kNone);
    plan().recompute_layers = 0;
    // One block in N (torchtitan's layer-wise selective checkpointing): floor(L / N) of a stage's L
    // blocks, none where N exceeds them (planner/export/torchtitan.cpp ac_every).
    if (plan().recompute == Recompute::kFull && v.recompute_every > 1) {
      plan().recompute_layers = stage_layers() / v.recompute_every;
      if (plan().recompute_layers == 0) plan().recompute = Recompute::kNone;
    }
    note(FillKnob::kRecompute, w);
  }
  void set_virtual(const FillValues& v, FillWhy w) {
    plan().virtual_stages = v.virtual_stages.value_or(1);
    plan().schedule = plan().virtual_stages > 1 ? Schedule::kInterleaved : Schedule::k1F1B;
    note(FillKnob::kVirtualStages, w);
  }

  // The defaults (or the recipe's values) for every knob the run leaves free. A value that uses a
  // feature the run's software did not have at its date (era.hpp: a recipe of 2024 read for a run
  // of 2020) is that feature off, the framework's default.
  void fill_defaults(const FillValues& defaults, const Recipe* r) {
    out.recipe = r;
    const SoftwareEra& era = rj.era;
    auto from = [&](auto member) -> std::pair<const FillValues&, FillWhy> {
      if (r && (r->values.*member).has_value()) return {r->values, FillWhy::kRecipe};
      return {defaults, FillWhy::kDefault};
    };
    // The value, or off (false / 0 / none) with why "default" where the era lacks the feature.
    auto gated = [&](auto value, bool on, Feature f, FillWhy& why) {
      if (on && !era.has(f)) {
        why = FillWhy::kDefault;
        return decltype(value){};
      }
      return value;
    };
    PlanSpec& p = plan();
    if (rj.free_micro_batch) {
      auto [v, w] = from(&FillValues::micro_batch);
      set_micro_batch(v, w);
    }
    if (rj.free_recompute) {
      auto [v, w] = from(&FillValues::recompute);
      FillValues g = v;
      if (g.recompute == Recompute::kSelective && !era.has(Feature::kSelectiveRecompute))
        g.recompute = Recompute::kNone, w = FillWhy::kDefault;
      set_recompute(g, w);
    }
    if (rj.free_virtual) {
      auto [v, w] = from(&FillValues::virtual_stages);
      FillValues g = v;
      const int vs = v.virtual_stages.value_or(1);
      g.virtual_stages = gated(vs, vs > 1, Feature::kInterleavedSchedule, w);
      if (g.virtual_stages == 0) g.virtual_stages = 1;
      set_virtual(g, w);
      if (!interleaving_ok()) set_virtual(FillValues{}, FillWhy::kDefault);  // a recipe's interleaving this batch cannot run
    }
    // Expert TP is never stated by a run: Megatron's --expert-tensor-parallel-size defaults to the
    // dense TP (None -> TP, docs/interfaces.md §1.2).
    if (out.job.model.moe) p.expert_tp = p.tp;
    if (rj.free_zero && p.fsdp == Fsdp::kNone) {
      auto [v, w] = from(&FillValues::zero);
      const int z = v.zero.value_or(0);
      p.zero = gated(z, z > 0, z >= 2 ? Feature::kShardedStates : Feature::kDistributedOptimizer, w);
      note(FillKnob::kZero, w);
    }
    if (rj.free_sp) {
      auto [v, w] = from(&FillValues::sequence_parallel);
      const bool sp = v.sequence_parallel.value_or(false);
      p.sequence_parallel = gated(sp, sp, Feature::kSequenceParallel, w) && p.tp > 1;  // arguments.py L1433: off at TP 1
      note(FillKnob::kSequenceParallel, w);
    }
    if (rj.free_tp_overlap) {
      auto [v, w] = from(&FillValues::tp_comm_overlap);
      const bool o = v.tp_comm_overlap.value_or(false);
      // TP communication overlap needs sequence parallelism (docs/interfaces.md §1.2, arguments.py L1441).
      p.tp_comm_overlap = gated(o, o, Feature::kTpCommOverlap, w) && p.sequence_parallel;
      note(FillKnob::kTpCommOverlap, w);
    }
    // Data-parallel overlap: what the engine does unless told (the schema has no field for it);
    // the parameter all-gather overlap came with the same bucketed engine (Megatron-Core DDP).
    {
      auto [v, w] = from(&FillValues::overlap_grad_reduce);
      const bool o = v.overlap_grad_reduce.value_or(false);
      p.overlap_grad_reduce = gated(o, o, Feature::kOverlapGradReduce, w);
      note(FillKnob::kOverlapGradReduce, w);
    }
    {
      auto [v, w] = from(&FillValues::overlap_param_gather);
      const bool o = v.overlap_param_gather.value_or(false);
      p.overlap_param_gather = gated(o, o, Feature::kOverlapGradReduce, w);
      note(FillKnob::kOverlapParamGather, w);
    }
  }

  // Full recomputation of the fewest layers per stage that fit (Megatron --recompute-method block
  // --recompute-num-layers N: time grows and memory falls with N, so a bisection finds it); all
  // layers where no count fits. Returns whether the plan changed.
  bool full_recompute() {
    PlanSpec& p = plan();
    if (p.recompute == Recompute::kFull && p.recompute_layers == 0) return false;
    p.recompute = Recompute::kFull;
    note(FillKnob::kRecompute, FillWhy::kToFit);
    const int layers = stage_layers();
    p.recompute_layers = 0;
    if (layers < 2 || !evaluate()) return true;
    int lo = 0, hi = layers;  // lo layers do not fit (0: none recomputed), hi layers do
    while (hi - lo > 1) {
      const int mid = (lo + hi) / 2;
      p.recompute_layers = mid;
      (evaluate() ? hi : lo) = mid;
    }
    p.recompute_layers = hi < layers ? hi : 0;
    return true;
  }

  // One documented saving; returns whether the plan changed (the caller evaluates it).
  bool apply(FitStep s) {
    PlanSpec& p = plan();
    const SoftwareEra& era = rj.era;
    switch (s) {
      case FitStep::kSequenceParallel:
        if (!rj.free_sp || p.tp < 2 || p.sequence_parallel || !era.has(Feature::kSequenceParallel)) return false;
        p.sequence_parallel = true;
        note(FillKnob::kSequenceParallel, FillWhy::kToFit);
        return true;
      case FitStep::kDistributedOptimizer:
        if (!rj.free_zero || p.fsdp != Fsdp::kNone || p.zero >= 1 || static_cast<long long>(p.dp) * p.cp < 2 ||
            !era.has(Feature::kDistributedOptimizer))
          return false;
        p.zero = 1;
        note(FillKnob::kZero, FillWhy::kToFit);
        return true;
      case FitStep::kSelectiveRecompute:
        if (!rj.free_recompute || p.recompute != Recompute::kNone || !era.has(Feature::kSelectiveRecompute)) return false;
        p.recompute = Recompute::kSelective;
        note(FillKnob::kRecompute, FillWhy::kToFit);
        return true;
      case FitStep::kFullRecompute: return rj.free_recompute && full_recompute();
      case FitStep::kSmallerMicroBatch: return false;  // stepwise in smaller_micro_batch()
    }
    return false;
  }

  // Smaller micro-batches, one divisor at a time, until one fits (gradient accumulation makes up
  // the batch). Returns whether one fits.
  bool smaller_micro_batch() {
    if (!rj.free_micro_batch) return false;
    PlanSpec& p = plan();
    while (p.micro_batch > 1) {
      p.micro_batch = static_cast<int>(largest_divisor_at_most(per_replica(), p.micro_batch - 1));
      note(FillKnob::kMicroBatch, FillWhy::kToFit);
      if (interleaving_ok() && evaluate()) return true;
    }
    return false;
  }
};

}  // namespace

FilledPlan fill_plan(const RowJob& rj, const FillData& data, const Evaluator& ev, const Calibration& cal) {
  Filler f{rj, ev, cal, FilledPlan{rj.job, {}, false, {}, {}, nullptr}};
  const FrameworkDefaults& d = data.of(rj.job.training.framework);
  f.fill_defaults(d.at(rj.era.year, rj.era.month), matching_recipe(data, rj.job));
  if (f.evaluate() || refused(f.out.evaluation)) return std::move(f.out);
  for (FitStep s : d.to_fit) {
    const bool changed = s == FitStep::kSmallerMicroBatch ? f.rj.free_micro_batch && f.plan().micro_batch > 1 : f.apply(s);
    if (!changed) continue;
    f.out.steps.push_back(s);
    if (s == FitStep::kSmallerMicroBatch ? f.smaller_micro_batch() : f.evaluate()) return std::move(f.out);
  }
  f.evaluate();
  return std::move(f.out);
}

}  // namespace trainplan
