// Goodput: the share of wall time a training job spends on useful steps, once failures, restarts
// and checkpoints take theirs (contract: "goodput" wherever time-to-train or cost is reported).
//
//   GoodputInputs in = goodput_inputs(job);          // what depends on the model, cluster, training
//   Goodput g = goodput(in, job.plan.gpus());        // depends on the plan only through its GPUs
//   days = token_budget / (tokens_per_s * g.fraction) / 86400
//
// The model (each line's source):
//   * failures: independent, exponentially distributed; the job's rate is the sum over its
//     components, λ = G/MTBF_gpu + N/MTBF_node + N·nics/MTBF_nic + G/MTBF_fabric + N/MTBF_sw
//     (G GPUs, N = ⌈G / gpus per node⌉ nodes; ReliabilitySpec cites the defaults); M = 1/λ.
//   * a checkpoint holds every parameter's weight (2 bytes, 4 in fp32) and optimizer state
//     (BytesPerParam::optimizer: 12 for Adam with fp32 masters, 10 with remainders); every rank
//     writes its share (Megatron-Core distributed checkpointing, fully parallel save), so the
//     write takes bytes / min(aggregate, N · per node) of storage bandwidth, and so does the load
//     after a restart.
//   * the step stops for δ per checkpoint: the write when synchronous; when asynchronous (Megatron
//     --async-save; DataStates-LLM, Maurya et al. HPDC'24) the copy of each GPU's share to host
//     memory over PCIe, the drain to storage running behind the steps, so checkpoints come no
//     closer than one write apart.
//   * the interval τ (compute time between checkpoints) is Daly's higher-order optimum (Daly 2006,
//     "A higher order estimate of the optimum checkpoint interval for restart dumps", Future
//     Generation Computer Systems 22(3), its higher-order estimate): τ = √(2δM)·[1 + ⅓·√(δ/2M) + ⅑·(δ/2M)] − δ for δ < 2M, else τ = M;
//     Young's first-order √(2δM) (Young 1974, CACM 17(9)) is its leading term. Or the user's interval.
//   * the expected wall time of T of work (the same paper's model for exponential failures and a
//     restart time R): T_w = M·e^(R/M)·(e^((τ+δ)/M) − 1)·T/τ, with R = detection + restart + load;
//     goodput = T / T_w.
//   * the terms reported split the lost share 1 − goodput in proportion to their first-order
//     parts: checkpoints δ/τ, work lost since the last checkpoint (τ+δ)/(2M), recovery R/M.
#pragma once

#include <string>
#include <vector>

#include "model/json_reader.hpp"
#include "model/spec/job.hpp"

namespace trainplan {

struct GoodputInputs {
  ReliabilitySpec reliability;
  StorageSpec storage;
  CheckpointSpec checkpoint;
  int gpus_per_node = 8;
  int nics_per_node = 1;
  BytesPerSecond pcie;  // per GPU, device -> host (the async snapshot)
  double checkpoint_bytes = 0;
};

struct Goodput {
  double fraction = 1;          // useful time / wall time, in (0, 1]
  double failures_per_day = 0;  // λ, the job's
  Seconds mtbf;                 // M = 1/λ
  double checkpoint_bytes = 0;
  Seconds checkpoint_write;      // to storage (and the load back)
  Seconds checkpoint_stall;      // δ: the steps stop this long per checkpoint
  Seconds interval;              // τ
  bool interval_optimal = true;  // Daly's optimum (false: the user's)
  // Async checkpoints: Daly's optimum was shorter than one drain to storage, so τ is the write
  // time (one drain at a time) and no longer the optimum.
  bool interval_drain_bound = false;
  // "optimal (Daly 2006)", "given", or "raised to the write time (one async drain at a time)".
  [[nodiscard]] const char* interval_label() const;
  Seconds detection, restart;                                            // ReliabilitySpec's
  Seconds recovery;                                                      // R = detection + restart + load
  double checkpoint_share = 0, lost_work_share = 0, recovery_share = 0;  // of wall time; sum = 1 − fraction
};

GoodputInputs goodput_inputs(const JobSpec& job);
// The job's failure rate per second for `gpus` GPUs.
double failure_rate(const GoodputInputs& in, int gpus);
// Daly's optimum interval for a stall δ and mean time between failures M (header).
Seconds daly_interval(Seconds stall, Seconds mtbf);
Goodput goodput(const GoodputInputs& in, int gpus);
// {"fraction", "failures_per_day", "mtbf_h", "checkpoint_tb", "checkpoint_write_s",
//  "checkpoint_stall_s", "checkpoint_interval_s", "interval", "recovery_s", "terms" {...}}.
Json goodput_json(const Goodput& g);

// A run of `steps` steps of `step` seconds as the goodput model sees it: steps, a checkpoint stall
// after every round(τ / step) steps (at least one), and, when `fail_in_step` > 0, a failure half
// way through that step (counted from 1), then detection, restart and checkpoint load, and the
// steps since the last checkpoint run again. Every one of the `steps` steps completes once.
struct JobPhase {
  std::string name;  // "step N", "checkpoint", "failure", "detection", "restart", "checkpoint load", "step N (replay)"
  double start_s = 0, duration_s = 0;
};
std::vector<JobPhase> job_timeline(const Goodput& g, Seconds step, int steps, int fail_in_step);

}  // namespace trainplan
