#include "model/analytic.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <string>

#include "model/cost/collectives.hpp"
#include "model/cost/compute.hpp"
#include "model/flops.hpp"
#include "model/memory.hpp"
#include "model/params.hpp"
#include "model/pipeline_layout.hpp"
#include "model/step.hpp"

namespace trainplan {

namespace {

// The last line of defence of issue 18: inputs inside the readers' spans can still combine into a
// step that is not a finite positive time (or a memory that is not finite). Such a plan is no
// prediction: it is infeasible with the quantity named, and its rates are zero, never NaN or inf.
void guard_finite(Evaluation& ev) {
  const char* bad = nullptr;
  if (!(ev.step_time.si() > 0 && std::isfinite(ev.step_time.si()))) bad = "non-finite or non-positive step time";
  const std::pair<const char*, double> others[] = {{"non-finite tokens/s", ev.tokens_per_s},
                                                   {"non-finite MFU", ev.mfu_pct},
                                                   {"non-finite HFU", ev.hfu_pct},
                                                   {"non-finite peak memory", ev.peak_memory.si()},
                                                   {"non-finite model FLOP count", ev.model_flops_per_step}};
  for (const auto& [what, v] : others)
    if (!bad && !std::isfinite(v)) bad = what;
  if (!bad) return;
  ev.feasible = false;
  ev.reasons.push_back(
      {InfeasibleReason::kUnsupported, std::string("the inputs give a ") + bad + ": check the hardware rates and model sizes"});
  ev.step_time = Seconds{};
  ev.tokens_per_s = ev.tokens_per_s_per_gpu = ev.model_tflops_per_gpu = ev.hardware_tflops_per_gpu = ev.mfu_pct = ev.hfu_pct = 0;
  ev.breakdown = {};
  if (!std::isfinite(ev.peak_memory.si())) ev.peak_memory = Bytes{};
}

// "%.1f" without printf's cost (the planner formats a reason for every infeasible plan).
std::string fixed1(double v) {
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed, 1);
  return std::string(buf, r.ptr);
}

// What makes the plan no plan before any cost: a placement Megatron would not build, layers left
// off the stages, a precision the GPU does not run, a knob value the framework refuses.
void check_plan(const JobSpec& job, const StageKinds& kinds, Evaluation& ev) {
  const ModelSpec& m = job.model;
  const PlanSpec& p = job.plan;
  const TrainingSpec& tr = job.training;
  const GpuSpec& gpu = job.cluster.node.gpu;
  // A placement Megatron would not build (the spec readers refuse it; callers that build plans
  // themselves might not) is no plan: say so rather than predict another model.
  if (std::string why = layout_error(m, p); !why.empty()) {
    ev.feasible = false;
    ev.reasons.push_back({InfeasibleReason::kIndivisible, why});
  }
  {
    // Every layer on some stage (a check of the placement itself).
    int held = 0;
    for (int k = 0; k < kinds.count; ++k) held += kinds.kind[k].layers * kinds.kind[k].count;
    if (held != m.layers && ev.feasible) {
      ev.feasible = false;
      ev.reasons.push_back({InfeasibleReason::kIndivisible, "the pipeline stages hold " + std::to_string(held) + " of the model's " +
                                                                std::to_string(m.layers) + " layers"});
    }
  }
  // The catalog lists the precisions a GPU's tensor cores run (configs/gpus/*.json "peak": no fp8
  // before Hopper, no bf16 on Volta): another precision is not run at a neighbour's speed.
  if (gpu.peak_for(tr.precision).si() <= 0) {
    ev.feasible = false;
    ev.reasons.push_back({InfeasibleReason::kUnsupported, gpu.name + " has no " + precision_name(tr.precision) +
                                                              " peak in its catalog entry (" + gpu.key + "): it does not run " +
                                                              precision_name(tr.precision) + " training"});
  }
  // A knob value the framework refuses (plan_knobs.hpp KnobDecl::invalid): the job reader reports
  // it; a plan built in code (the search with a problem's fixed knobs) is not run.
  for (const KnobDecl& k : kPlanKnobs)
    if (const char* why = k.invalid ? k.invalid(p, tr) : nullptr) {
      ev.feasible = false;
      ev.reasons.push_back({InfeasibleReason::kUnsupported, std::string(k.name) + ": " + why});
    }
}

// Memory per stage kind, the peak stage, and whether the GPU, the host and the NVMe hold it.
void fit_memory(const JobSpec& job, const Calibration& cal, const StageKinds& kinds, const std::vector<StageParams>& params,
                const LayerCosts& costs, double m_mb, Evaluation& ev) {
  const PlanSpec& p = job.plan;
  const TrainingSpec& tr = job.training;
  const ClusterSpec& cl = job.cluster;
  const GpuSpec& gpu = cl.node.gpu;
  // --- Memory per stage kind.
  const BytesPerParam bpp = bytes_per_param(tr, p);
  const ShardGroups sg = shard_groups(p, cl);
  Bytes host_per_gpu, nvme_per_gpu;
  ev.stage_kinds.assign(kinds.count, StageMemory{});
  ev.kind_first_stage.assign(kinds.count, 0);
  for (int k = 0; k < kinds.count; ++k) {
    ev.kind_first_stage[k] = kinds.kind[k].index;
    StageMemory& sm = ev.stage_kinds[k];
    sm = stage_memory(job, cal, kinds.kind[k], params[k], costs, bpp, sg, m_mb);
    host_per_gpu = std::max(host_per_gpu, sm.offloaded_cpu);
    nvme_per_gpu = std::max(nvme_per_gpu, sm.offloaded_nvme);
  }
  for (int k = 0; k < kinds.count; ++k) {
    if (ev.stage_kinds[k].total() > ev.peak_memory) {
      ev.peak_memory = ev.stage_kinds[k].total();
      ev.peak_stage = kinds.kind[k].index;
    }
  }

  // --- Feasibility.
  if (ev.peak_memory > gpu.memory) {
    ev.feasible = false;
    ev.reasons.push_back({InfeasibleReason::kOutOfMemory, "stage " + std::to_string(ev.peak_stage) + " needs " +
                                                              fixed1(ev.peak_memory / GiB(1)) + " GiB of " + fixed1(gpu.memory / GiB(1)) +
                                                              " GiB"});
  }
  if (host_per_gpu * cl.node.gpus_per_node > cl.node.host_memory * 0.9) {
    ev.feasible = false;
    char buf[160];
    std::snprintf(buf, sizeof buf, "offload needs %.0f GiB of host memory per node of %.0f GiB (90%% usable)",
                  host_per_gpu * cl.node.gpus_per_node / GiB(1), cl.node.host_memory / GiB(1));
    ev.reasons.push_back({InfeasibleReason::kHostMemory, buf});
  }
  if (nvme_per_gpu.si() > 0 && (!cl.node.nvme_capacity || nvme_per_gpu * cl.node.gpus_per_node > *cl.node.nvme_capacity)) {
    ev.feasible = false;
    ev.reasons.push_back({InfeasibleReason::kNvmeCapacity, "NVMe offload exceeds the node's NVMe capacity"});
  }
}

// The step's parts that the evaluator adds up (for the breakdown).
struct StepParts {
  PipelineTime pipeline;
  Seconds dp_exposed, emb_sync, optimizer, offload;
};

// The breakdown along the critical stage, and the throughput and FLOP rates of the step.
void breakdown_and_rates(const JobSpec& job, const StageKinds& kinds, const std::vector<StageTimes>& times, const StepParts& parts,
                         long long vocab, Evaluation& ev) {
  const ModelSpec& m = job.model;
  const PlanSpec& p = job.plan;
  const TrainingSpec& tr = job.training;
  const GpuSpec& gpu = job.cluster.node.gpu;
  const double m_mb = static_cast<double>(ev.micro_batches);
  const PipelineTime& pt = parts.pipeline;
  const Seconds dp_exposed = parts.dp_exposed, emb_sync = parts.emb_sync, optimizer = parts.optimizer, offload_t = parts.offload;
  // --- Breakdown along the critical stage.
  int crit = 0;
  for (int k = 1; k < kinds.count; ++k)
    if (times[k].total() > times[crit].total()) crit = k;
  const StageTimes& c = times[crit];
  TimeBreakdown& b = ev.breakdown;
  b.compute = (c.fwd + c.bwd) * m_mb;
  b.recompute = c.recompute * m_mb;
  b.tp_comm = c.tp * m_mb;
  b.cp_comm = c.cp * m_mb;
  b.ep_comm = c.ep * m_mb;
  b.pp_comm = pt.pp_comm;
  b.dp_comm = dp_exposed + emb_sync;
  b.bubble = std::max(Seconds{}, pt.pipeline - c.total() * m_mb);
  b.optimizer = optimizer;
  b.offload = offload_t + c.offload * m_mb;

  // --- Throughput and FLOP rates.
  const double tokens = static_cast<double>(tr.global_batch) * tr.sequence_length;
  const double step = ev.step_time.si();
  ev.model_flops_per_step = model_flops_per_step(m, tr.global_batch, tr.sequence_length, vocab);
  ev.hardware_flops_per_step =
      ev.model_flops_per_step + recompute_flops_per_step(m, tr.global_batch, tr.sequence_length, p.recompute, p.recompute_layers, p.pp);
  if (step > 0) {
    ev.tokens_per_s = tokens / step;
    ev.tokens_per_s_per_gpu = ev.tokens_per_s / ev.gpus;
    ev.model_tflops_per_gpu = ev.model_flops_per_step / step / ev.gpus / 1e12;
    ev.hardware_tflops_per_gpu = ev.hardware_flops_per_step / step / ev.gpus / 1e12;
    const double peak = effective_peak(gpu, tr.precision).si() / 1e12;
    ev.mfu_pct = 100.0 * ev.model_tflops_per_gpu / peak;
    ev.hfu_pct = 100.0 * ev.hardware_tflops_per_gpu / peak;
  }
}

}  // namespace

Evaluation AnalyticEvaluator::evaluate(const JobSpec& job, const Calibration& cal) const {
  return evaluate_with(job, cal, layer_costs(layer_context(job, cal)));
}

Evaluation AnalyticEvaluator::evaluate(const JobSpec& job, const Calibration& cal, LayerCostCache& cache) const {
  return evaluate_with(job, cal, cache.get(job, cal));
}

Evaluation AnalyticEvaluator::evaluate_with(const JobSpec& job, const Calibration& cal, const LayerCosts& costs) {
  Evaluation ev;
  const ModelSpec& m = job.model;
  const PlanSpec& p = job.plan;
  const ClusterSpec& cl = job.cluster;
  ev.pp = p.pp;
  ev.gpus = p.gpus();
  ev.micro_batches = job.micro_batches();
  const double m_mb = static_cast<double>(ev.micro_batches);

  const StageKinds kinds = stage_kinds(m, p);
  check_plan(job, kinds, ev);
  const long long vocab = padded_vocab(m.vocab, p.tp);
  std::vector<StageTimes> times(kinds.count);
  std::vector<StageParams> params(kinds.count);
  for (int k = 0; k < kinds.count; ++k) {
    times[k] = stage_times(m, kinds.kind[k], costs, p.recompute, p.recompute_layers);
    params[k] = stage_params(m, p, vocab, kinds.kind[k]);
  }

  fit_memory(job, cal, kinds, params, costs, m_mb, ev);
  const BytesPerParam bpp = bytes_per_param(job.training, p);
  const ShardGroups groups = shard_groups(p, cl);

  // --- Pipeline critical path.
  // Activation offload traffic runs over PCIe beside compute; only the excess shows.
  const BytesPerSecond pcie = cl.node.pcie.bandwidth;
  if (p.activation_offload.moved() > 0) {
    for (int k = 0; k < kinds.count; ++k) {
      const Seconds pcie_t = activation_offload_bytes(ev.stage_kinds[k], m_mb, p.pp) / pcie;
      times[k].offload = std::max(Seconds{}, pcie_t - times[k].fwd);
    }
  }
  const PipelineTime pt = pipeline_time(p, m_mb, kinds, times, pipeline_p2p_time(job, cal));

  // --- Data-parallel gradient reduction and parameter gathers (per stage; the worst counts),
  // with the compute slowed beside the hidden part (model/step.hpp data_parallel_time).
  Seconds dp_exposed{}, optimizer{}, offload_t{};
  for (int k = 0; k < kinds.count; ++k) {
    const StageTimes& st = times[k];
    const DataParallelTime dpt = data_parallel_time(job, cal, kinds.kind[k], params[k], st, m_mb);
    dp_exposed = std::max(dp_exposed, dpt.exposed + dpt.sm_slowdown);

    const OptimizerTime opt = optimizer_time(job, cal, bpp, groups, params[k], st, m_mb);
    optimizer = std::max(optimizer, opt.gpu);
    offload_t = std::max(offload_t, opt.offload);
  }
  // Tied embeddings split across the pipeline: their gradients are all-reduced between first and last stage.
  const Bytes emb_bytes = embedding_sync_bytes(job, vocab);
  const Seconds emb_sync =
      emb_bytes.si() > 0 ? collective_time(Collective::kAllReduce, emb_bytes, place_group(2, p.tp * p.cp * p.dp * (p.pp - 1), cl), cl, cal)
                         : Seconds{};

  ev.step_time = pt.pipeline + pt.pp_comm + dp_exposed + emb_sync + optimizer + offload_t;

  breakdown_and_rates(job, kinds, times, {pt, dp_exposed, emb_sync, optimizer, offload_t}, vocab, ev);
  guard_finite(ev);
  return ev;
}

}  // namespace trainplan
