#include "model/evaluation.hpp"

#include <cmath>

namespace trainplan {

const char* reason_key(InfeasibleReason r) {
  switch (r) {
    case InfeasibleReason::kOutOfMemory: return "out_of_memory";
    case InfeasibleReason::kHostMemory: return "host_memory";
    case InfeasibleReason::kNvmeCapacity: return "nvme_capacity";
    case InfeasibleReason::kIndivisible: return "indivisible";
    case InfeasibleReason::kTooManyGpus: return "too_many_gpus";
    case InfeasibleReason::kUnsupported: return "unsupported";
  }
  return "other";
}

namespace {
// Rounded so that outputs are byte-identical across platforms and readable; never NaN/inf.
double r6(double v) { return round_significant(v, 6); }
double gib(Bytes b) { return r6(b / GiB(1)); }
}  // namespace

Json evaluation_to_json(const Evaluation& e) {
  Json j;
  j["feasible"] = e.feasible;
  Json reasons = Json::array();
  for (const auto& r : e.reasons) reasons.push_back({{"reason", reason_key(r.reason)}, {"detail", r.detail}});
  j["infeasible_reasons"] = reasons;
  j["step_time_s"] = r6(e.step_time.si());
  j["tokens_per_s"] = r6(e.tokens_per_s);
  j["tokens_per_s_per_gpu"] = r6(e.tokens_per_s_per_gpu);
  j["model_tflops_per_gpu"] = r6(e.model_tflops_per_gpu);
  j["hardware_tflops_per_gpu"] = r6(e.hardware_tflops_per_gpu);
  j["mfu_pct"] = r6(e.mfu_pct);
  j["hfu_pct"] = r6(e.hfu_pct);
  j["gpus"] = e.gpus;
  j["micro_batches"] = e.micro_batches;
  const TimeBreakdown& b = e.breakdown;
  j["time_breakdown_s"] = {{"compute", r6(b.compute.si())}, {"recompute", r6(b.recompute.si())}, {"tp_comm", r6(b.tp_comm.si())},
                           {"cp_comm", r6(b.cp_comm.si())}, {"ep_comm", r6(b.ep_comm.si())},     {"pp_comm", r6(b.pp_comm.si())},
                           {"dp_comm", r6(b.dp_comm.si())}, {"bubble", r6(b.bubble.si())},       {"optimizer", r6(b.optimizer.si())},
                           {"offload", r6(b.offload.si())}};
  Json stages = Json::array();
  for (int i = 0; i < e.pp; ++i) {
    const StageMemory& m = e.stage(i);
    stages.push_back({{"stage", i},
                      {"layers", m.layers},
                      {"total", gib(m.total())},
                      {"breakdown",
                       {{"weights", gib(m.weights)},
                        {"gradients", gib(m.gradients)},
                        {"optimizer", gib(m.optimizer)},
                        {"activations", gib(m.activations)},
                        {"comm_buffers", gib(m.comm_buffers)},
                        {"framework", gib(m.framework)},
                        {"fragmentation", gib(m.fragmentation)}}},
                      {"offloaded_gib", {{"cpu", gib(m.offloaded_cpu)}, {"nvme", gib(m.offloaded_nvme)}}}});
  }
  j["memory_gib_per_stage"] = stages;
  j["peak_memory_gib"] = gib(e.peak_memory);
  j["peak_stage"] = e.peak_stage;
  j["model_flops_per_step"] = r6(e.model_flops_per_step);
  j["hardware_flops_per_step"] = r6(e.hardware_flops_per_step);
  return j;
}

}  // namespace trainplan
