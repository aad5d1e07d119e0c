#include "model/goodput.hpp"

#include <algorithm>
#include <cmath>

#include "model/params.hpp"
#include "model/step.hpp"

namespace trainplan {

GoodputInputs goodput_inputs(const JobSpec& job) {
  GoodputInputs in;
  in.reliability = job.cluster.reliability;
  in.storage = job.cluster.storage;
  in.checkpoint = job.training.checkpoint;
  in.gpus_per_node = std::max(1, job.cluster.node.gpus_per_node);
  in.nics_per_node = job.cluster.node.nics;
  in.pcie = job.cluster.node.pcie.bandwidth;
  const double weight_bytes = job.training.precision == Precision::kFp32 ? 4 : 2;
  // The main model plus each MTP module, counted as one more transformer layer (DeepSeek-V3 §2.2).
  const double params = total_params(job.model) + job.model.mtp_layers * layer_params(job.model, job.model.layers - 1).total();
  in.checkpoint_bytes = params * (weight_bytes + bytes_per_param(job.training, job.plan).optimizer);
  return in;
}

double failure_rate(const GoodputInputs& in, int gpus) {
  const ReliabilitySpec& r = in.reliability;
  const double g = gpus, n = std::ceil(static_cast<double>(gpus) / in.gpus_per_node);
  return g / r.gpu_mtbf.si() + n / r.node_mtbf.si() + n * in.nics_per_node / r.nic_mtbf.si() + g / r.fabric_mtbf_per_gpu.si() +
         n / r.software_mtbf_per_node.si();
}

Seconds daly_interval(Seconds stall, Seconds mtbf) {
  const double d = stall.si(), m = mtbf.si();
  if (d >= 2 * m) return mtbf;
  const double x = d / (2 * m);
  return s(std::sqrt(2 * d * m) * (1 + std::sqrt(x) / 3 + x / 9) - d);
}

const char* Goodput::interval_label() const {
  if (interval_drain_bound) return "raised to the write time (one async drain at a time)";
  return interval_optimal ? "optimal (Daly 2006)" : "given";
}

Goodput goodput(const GoodputInputs& in, int gpus) {
  Goodput g;
  const double lambda = failure_rate(in, std::max(1, gpus));
  g.failures_per_day = lambda * 86400;
  g.mtbf = s(1 / lambda);
  g.checkpoint_bytes = in.checkpoint_bytes;
  const double nodes = std::ceil(static_cast<double>(gpus) / in.gpus_per_node);
  const double bandwidth = std::min(in.storage.aggregate.si(), nodes * in.storage.per_node.si());
  g.checkpoint_write = s(in.checkpoint_bytes / bandwidth);
  // Async: each GPU copies its share to host memory; the drain then takes a write.
  g.checkpoint_stall = in.checkpoint.async ? s(in.checkpoint_bytes / std::max(1, gpus) / in.pcie.si()) : g.checkpoint_write;
  g.interval_optimal = !in.checkpoint.interval.has_value();
  g.interval = in.checkpoint.interval.value_or(daly_interval(g.checkpoint_stall, g.mtbf));
  if (in.checkpoint.async && g.interval < g.checkpoint_write) {  // one drain at a time
    g.interval = g.checkpoint_write;
    g.interval_drain_bound = true;
    g.interval_optimal = false;
  }
  g.detection = in.reliability.detection;
  g.restart = in.reliability.restart;
  g.recovery = g.detection + g.restart + g.checkpoint_write;
  const double m = g.mtbf.si(), tau = g.interval.si(), d = g.checkpoint_stall.si(), r = g.recovery.si();
  // Wall time per unit of work (header): M e^(R/M) (e^((τ+δ)/M) − 1) / τ. Computed as
  // exp(R/M)·expm1((τ+δ)/M)·M/τ so that small ratios keep their digits.
  const double wall_per_work = std::exp(r / m) * std::expm1((tau + d) / m) * m / tau;
  g.fraction = wall_per_work > 0 && std::isfinite(wall_per_work) ? 1 / wall_per_work : 0;
  const double a = d / tau, b = (tau + d) / (2 * m), c = r / m, lost = 1 - g.fraction;
  const double sum = a + b + c;
  if (sum > 0) {
    g.checkpoint_share = lost * a / sum;
    g.lost_work_share = lost * b / sum;
    g.recovery_share = lost * c / sum;
  }
  return g;
}

Json goodput_json(const Goodput& g) {
  auto r = [](double v) { return round_significant(v, 6); };
  return {{"fraction", r(g.fraction)},
          {"failures_per_day", r(g.failures_per_day)},
          {"mtbf_h", r(g.mtbf.si() / 3600)},
          {"checkpoint_tb", r(g.checkpoint_bytes / 1e12)},
          {"checkpoint_write_s", r(g.checkpoint_write.si())},
          {"checkpoint_stall_s", r(g.checkpoint_stall.si())},
          {"checkpoint_interval_s", r(g.interval.si())},
          {"interval", g.interval_label()},
          {"recovery_s", r(g.recovery.si())},
          {"terms", {{"checkpoints", r(g.checkpoint_share)}, {"lost_work", r(g.lost_work_share)}, {"recovery", r(g.recovery_share)}}}};
}

std::vector<JobPhase> job_timeline(const Goodput& g, Seconds step, int steps, int fail_in_step) {
  std::vector<JobPhase> out;
  const double dt = step.si();
  const int every = std::max(1, static_cast<int>(std::lround(g.interval.si() / std::max(dt, 1e-12))));
  double t = 0;
  auto add = [&](std::string name, double dur) {
    out.push_back({std::move(name), t, dur});
    t += dur;
  };
  int saved = 0;  // steps the last checkpoint holds
  for (int k = 1; k <= steps; ++k) {
    if (k == fail_in_step) {
      add("step " + std::to_string(k) + " (lost)", dt / 2);
      add("failure", 0);
      add("detection", g.detection.si());
      add("restart", g.restart.si());
      add("checkpoint load", g.checkpoint_write.si());
      for (int r = saved + 1; r < k; ++r) add("step " + std::to_string(r) + " (replay)", dt);
    }
    add("step " + std::to_string(k), dt);
    if (k % every == 0 && k < steps) {
      add("checkpoint", g.checkpoint_stall.si());
      saved = k;
    }
  }
  return out;
}

}  // namespace trainplan
