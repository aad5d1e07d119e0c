#include "planner/search/space.hpp"

#include <algorithm>

namespace trainplan::planner {

namespace {
std::vector<int> filtered(std::vector<int> values, const KnobFilter& f) {
  std::vector<int> out;
  for (int v : values)
    if (f.allows(v)) out.push_back(v);
  return out;
}
}  // namespace

std::vector<int> tp_candidates(const PlanProblem& p) {
  std::vector<int> out;
  const int limit = p.search.allow_tp_across_nodes ? p.max_gpus() : std::min(p.max_gpus(), p.cluster.node.scale_up_domain);
  for (int tp = 1; tp <= std::min(limit, p.model.heads); ++tp)
    if (p.model.heads % tp == 0 && p.model.kv_heads % tp == 0) out.push_back(tp);
  return filtered(out, p.search.filter(Knob::kTp));
}

std::vector<int> cp_candidates(const PlanProblem& p) {
  std::vector<int> out;
  const int seq = p.training.sequence_length;
  for (int cp = 1; cp <= p.max_gpus(); cp *= 2) {
    if (cp > 1 && (seq % (2 * cp) != 0 || seq / cp < p.search.min_cp_sequence) && p.search.filter(Knob::kCp).free()) break;
    if (cp == 1 || seq % (2 * cp) == 0) out.push_back(cp);
  }
  if (!p.search.filter(Knob::kCp).free())  // explicit values: any that the rules accept
    for (int cp : p.search.filter(Knob::kCp).values())
      if (cp > 1 && seq % (2 * cp) == 0 && std::find(out.begin(), out.end(), cp) == out.end()) out.push_back(cp);
  std::sort(out.begin(), out.end());
  return filtered(out, p.search.filter(Knob::kCp));
}

std::vector<int> ep_candidates(const PlanProblem& p) {
  std::vector<int> out{1};
  if (p.model.moe)
    for (int ep = 2; ep <= p.model.moe->experts; ++ep)
      if (p.model.moe->experts % ep == 0) out.push_back(ep);
  return filtered(out, p.search.filter(Knob::kEp));
}

std::optional<StageLayout> stage_layout(int layers, int pp) {
  const int L = layers;
  if (pp < 1 || pp > L) return std::nullopt;
  if (L % pp == 0) return StageLayout{pp, 0, 0, L / pp};
  if (pp == 2) return StageLayout{2, (L + 1) / 2, L / 2, 0};
  for (int c : {(L + pp - 1) / pp, L / pp}) {
    const int r = L - c * (pp - 2);
    if (c < 1 || r < 2) continue;
    return StageLayout{pp, (r + 1) / 2, r / 2, c};
  }
  return std::nullopt;
}

std::vector<StageLayout> stage_layouts(const PlanProblem& p, int max_pp) {
  std::vector<StageLayout> out;
  const int L = p.model.layers;
  for (int pp = 1; pp <= std::min(L, max_pp); ++pp) {
    if (!p.search.filter(Knob::kPp).allows(pp)) continue;
    if (auto l = stage_layout(L, pp)) out.push_back(*l);
    // Layers that do not divide by pp but do once the embedding and loss count as layers
    // (Megatron-Bridge's Llama 3.1 405B recipes: 126 + 2 over pp 8 or 16 with virtual stages,
    // recipes/llama/h100/llama3.py L1227).
    if (pp > 1 && L % pp != 0 && (L + 2) % pp == 0) out.push_back(StageLayout{pp, 0, 0, (L + 2) / pp, true});
  }
  return out;
}

std::vector<Task> make_tasks(const PlanProblem& p) {
  std::vector<Task> out;
  const int G = p.max_gpus();
  for (int tp : tp_candidates(p))
    for (int cp : cp_candidates(p)) {
      if (static_cast<long long>(tp) * cp > G) continue;
      for (int ep : ep_candidates(p))
        for (int etp = 1; etp <= tp; ++etp) {
          if (tp % etp != 0 || !p.search.filter(Knob::kExpertTp).allows(etp)) continue;
          if (etp > 1 && !p.model.moe) continue;
          for (const StageLayout& l : stage_layouts(p, G / (tp * cp))) out.push_back({tp, cp, ep, etp, l});
        }
    }
  return out;
}

long long pick_global_batch(const PlanProblem& p, long long divisor) {
  const long long hi = p.batch_max() / divisor * divisor;
  return hi >= p.batch_min() && hi > 0 ? hi : 0;
}

std::vector<int> dp_candidates(const PlanProblem& p, const Task& t) {
  std::vector<int> out;
  const long long mp = static_cast<long long>(t.tp) * t.cp * t.layout.pp;
  for (long long dp = 1; dp * mp <= p.max_gpus(); ++dp) {
    if (dp * mp < p.search.min_gpus || !p.search.filter(Knob::kDp).allows(static_cast<int>(dp))) continue;
    if ((dp * t.cp) % t.ep != 0) continue;
    if (pick_global_batch(p, dp) == 0) continue;
    out.push_back(static_cast<int>(dp));
  }
  return out;
}

std::vector<ZeroOption> zero_options(const PlanProblem& p, const Task& t, int dp) {
  std::vector<ZeroOption> out;
  const KnobFilter& fz = p.search.filter(Knob::kZero);
  const KnobFilter& ff = p.search.filter(Knob::kFsdp);
  if (ff.allows(static_cast<int>(Fsdp::kNone)))
    for (int z = 0; z <= 3; ++z)
      if (fz.allows(z)) out.push_back({z, Fsdp::kNone});
  if (!ff.free() && ff.allows(static_cast<int>(Fsdp::kFullShard)) && fz.allows(0)) out.push_back({0, Fsdp::kFullShard});
  const int shard = std::max(1, p.cluster.node.gpus_per_node / (t.tp * t.cp));
  if (ff.allows(static_cast<int>(Fsdp::kHybridShard)) && fz.allows(0) && shard < dp * t.cp) out.push_back({0, Fsdp::kHybridShard});
  return out;
}

std::vector<ScheduleOption> schedule_options(const PlanProblem& p, const StageLayout& l) {
  std::vector<ScheduleOption> out;
  const KnobFilter& fs = p.search.filter(Knob::kSchedule);
  const KnobFilter& fv = p.search.filter(Knob::kVirtualStages);
  auto allowed = [&](Schedule s) { return fs.allows(static_cast<int>(s)); };
  // Without interleaving, the stages of an account_for layout (c − 1, c, …, c, c − 1 layers) are
  // those of the uneven layout for the same pp (stage_layout: first = last = c − 1): searched there.
  if (fv.allows(1) && !l.account_for) {
    if (allowed(Schedule::k1F1B)) out.push_back({Schedule::k1F1B, 1});
    if (l.pp > 1 && allowed(Schedule::kZeroBubble)) out.push_back({Schedule::kZeroBubble, 1});
    if (!fs.free() && allowed(Schedule::kGpipe) && l.pp > 1) out.push_back({Schedule::kGpipe, 1});
  }
  if (l.pp > 1 && allowed(Schedule::kInterleaved) && l.middle > 1) {
    const int vmax = fv.free() ? p.search.max_virtual_stages : l.middle;
    for (int v = 2; v <= std::min(vmax, l.middle); ++v)
      // Megatron splits each uneven first/last stage into v chunks too (transformer_config.py L2304-2336).
      if (l.middle % v == 0 && l.first % v == 0 && l.last % v == 0 && fv.allows(v)) out.push_back({Schedule::kInterleaved, v});
  }
  return out;
}

std::vector<int> micro_batch_candidates(const PlanProblem& p, int dp) {
  std::vector<int> out;
  // No micro-batch holds more than the largest global batch's share of one replica, which bounds
  // the loop whatever max_micro_batch says.
  const long long most = std::max(1LL, p.batch_max() / std::max(1, dp));
  const int hi = static_cast<int>(std::min<long long>(
      most, p.search.filter(Knob::kMicroBatch).free() ? p.search.max_micro_batch : p.search.filter(Knob::kMicroBatch).values().back()));
  for (int mb = 1; mb <= hi; ++mb)
    if (p.search.filter(Knob::kMicroBatch).allows(mb) && pick_global_batch(p, static_cast<long long>(mb) * dp) > 0) out.push_back(mb);
  return out;
}

std::vector<int> sequence_parallel_options(const PlanProblem& p, int tp) {
  if (tp == 1) return p.search.filter(Knob::kSequenceParallel).allows(0) ? std::vector<int>{0} : std::vector<int>{};
  return filtered({1, 0}, p.search.filter(Knob::kSequenceParallel));
}

std::vector<int> tp_overlap_options(const PlanProblem& p, int tp, bool sp) {
  const KnobFilter& f = p.search.filter(Knob::kTpCommOverlap);
  // Userbuffer overlap needs SP at TP > 1 (docs/interfaces.md §1.2, arguments.py L930).
  if (f.free()) return tp > 1 && sp && supports_tp_comm_overlap(p.cluster.node.gpu) ? std::vector<int>{1, 0} : std::vector<int>{0};
  std::vector<int> out;
  if (f.allows(0)) out.push_back(0);
  if (f.allows(1) && tp > 1 && sp) out.push_back(1);
  return out;
}

std::vector<std::pair<Recompute, int>> recompute_options(const PlanProblem& p) {
  std::vector<std::pair<Recompute, int>> out;
  const KnobFilter& f = p.search.filter(Knob::kRecompute);
  if (f.allows(static_cast<int>(Recompute::kNone)) && p.search.filter(Knob::kRecomputeLayers).allows(0))
    out.push_back({Recompute::kNone, 0});
  if (f.allows(static_cast<int>(Recompute::kSelective)) && p.search.filter(Knob::kRecomputeLayers).allows(0))
    out.push_back({Recompute::kSelective, 0});
  if (f.allows(static_cast<int>(Recompute::kFull))) {
    if (p.search.filter(Knob::kRecomputeLayers).free())
      out.push_back({Recompute::kFull, 0});
    else
      for (int n : p.search.filter(Knob::kRecomputeLayers).values()) out.push_back({Recompute::kFull, n});
  }
  return out;
}

bool plain_allowed(const PlanProblem& p) {
  const int none = static_cast<int>(OffloadDevice::kNone);
  return p.search.filter(Knob::kOptimizerOffload).allows(none) && p.search.filter(Knob::kParamOffload).allows(none) &&
         p.search.filter(Knob::kActivationOffload).allows(none);
}

std::vector<OffloadVariant> offload_variants(const PlanProblem& p, int effective_zero) {
  std::vector<OffloadVariant> all;
  if (!p.search.offload) return all;
  const Offload none{}, cpu{OffloadDevice::kCpu, 1.0}, nvme{OffloadDevice::kNvme, 1.0};
  const bool has_nvme = p.cluster.node.nvme_capacity.has_value();
  all.push_back({cpu, none, none});
  if (has_nvme) all.push_back({nvme, none, none});
  if (effective_zero == 3) {
    all.push_back({cpu, cpu, none});
    if (has_nvme) all.push_back({nvme, nvme, none});
  }
  all.push_back({none, none, cpu});
  all.push_back({cpu, none, cpu});
  std::vector<OffloadVariant> out;
  for (const auto& v : all)
    if (p.search.filter(Knob::kOptimizerOffload).allows(static_cast<int>(v.optimizer.device)) &&
        p.search.filter(Knob::kParamOffload).allows(static_cast<int>(v.params.device)) &&
        p.search.filter(Knob::kActivationOffload).allows(static_cast<int>(v.activations.device)))
      out.push_back(v);
  return out;
}

PlanSpec make_plan(const Task& t, int dp, const ZeroOption& z, int sp, int tp_overlap, const ScheduleOption& s,
                   std::pair<Recompute, int> rc, int micro_batch, const OffloadVariant* off) {
  PlanSpec p;
  p.tp = t.tp;
  p.sequence_parallel = sp != 0;
  p.pp = t.layout.pp;
  p.first_stage_layers = t.layout.first;
  p.last_stage_layers = t.layout.last;
  p.account_for_embedding = p.account_for_loss = t.layout.account_for;
  p.schedule = s.schedule;
  p.virtual_stages = s.virtual_stages;
  p.dp = dp;
  p.cp = t.cp;
  p.ep = t.ep;
  p.expert_tp = t.expert_tp;
  p.zero = z.zero;
  p.fsdp = z.fsdp;
  if (off) {
    p.optimizer_offload = off->optimizer;
    p.param_offload = off->params;
    p.activation_offload = off->activations;
  }
  p.recompute = rc.first;
  p.recompute_layers = rc.second;
  p.micro_batch = micro_batch;
  p.tp_comm_overlap = tp_overlap != 0;
  return p;
}

}  // namespace trainplan::planner
