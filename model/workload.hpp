// The step description: per pipeline stage and virtual chunk, the ordered segments of one
// micro-batch's forward and backward (compute, TP/CP/EP communication, offload), and per stage the
// data-parallel reduction, optimizer and offload at the end of the step. The simulator replays it on
// its network (sim/engine.cpp), model/pipeline_replay.hpp without one (the GUI timeline draws that).
//
// Durations and message sizes come from the same functions as the analytic evaluator
// (model/cost/layer.hpp layer_cost / embedding_cost / output_cost, model/cost/collectives.hpp), with the
// same stage kinds (first, middle, last) and the same per-stage parameters, so that on an uncontended
// network both evaluators agree. What differs is who carries communication:
//   * TP collectives become flows (one per rank per collective phase, (t−1)/t of the b·s·h tensor each,
//     scaled to the part the analytic model says is exposed) between TP neighbours;
//   * PP activations and gradients become flows between pipeline neighbours;
//   * DP gradient reduce-scatter / all-reduce and ZeRO parameter all-gathers become flows, one per DP
//     rank per phase carrying (n−1)/n·S ÷ (members per node) to the member in the same slot on the next
//     node (NCCL runs one ring per NIC), over the platform's NICs and switch uplinks;
//   * each phase's latency term (NCCL launch + one hop per ring step) is added as a delay, less the
//     route latency the flow already paid;
//   * CP ring exchanges and MoE all-to-all keep the analytic exposed time as delays (not flows), and
//     the expert-parameter reduction rides in the dense DP group.
//
//   std::string err;
//   std::optional<StepWork> w = build_step(job, calibration, err);
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "model/calibration.hpp"
#include "model/evaluation.hpp"
#include "model/spec/job.hpp"

namespace trainplan {

// Trace streams (tid in the Perfetto trace, docs/interfaces.md §6).
enum class Stream { kCompute = 0, kTpCp = 1, kDp = 2, kPp = 3, kEp = 4, kOffload = 5 };
inline constexpr int kStreams = 6;

struct Segment {
  enum Kind { kCompute, kTpFlows, kDelay };
  Kind kind = kCompute;
  Stream stream = Stream::kCompute;
  Seconds time;     // compute or delay time; for flows the uncontended duration (bandwidth + latency)
  Bytes bytes;      // flows: bytes of one phase, one rank
  int phases = 0;   // flows: collective phases, one flow each
  Seconds latency;  // flows: latency term of all phases (NCCL launch + ring hops)
  bool recompute = false;
  int layer = -1;  // -1: embedding/output/other
  const char* what = "";
};

struct ChunkWork {
  int first_layer = 0;
  int layers = 0;
  std::vector<Segment> fwd;    // one micro-batch
  std::vector<Segment> bwd;    // recompute + backward (zero-bubble: input-gradient half)
  std::vector<Segment> wgrad;  // zero-bubble only: weight-gradient half
};

struct StageWork {
  std::vector<ChunkWork> chunks;  // virtual chunks of this stage
  Bytes grad_bytes;               // S of the gradient reduction (all params of the stage)
  Bytes param_bytes;              // S of the ZeRO parameter all-gather
  Seconds fwd_compute;            // forward compute of one micro-batch, all chunks (hides the param gather)
  Bytes act_offload_bytes;        // PCIe traffic beside each forward (activation offload)
  Seconds optimizer;              // on-GPU Adam, memory bound
  Seconds offload;                // CPU optimizer / parameter streaming at the end of the step
  Seconds sm_slowdown;            // compute slowed by the SMs the hidden DP collectives take (model/step.hpp)
  int zero3_units = 1;            // FSDP / ZeRO-3 units (blocks) of the stage (model/step.hpp zero3_units)
  double zero3_gathers = 2;       // parameter gathers per micro-batch (model/step.hpp zero3_gathers)
};

struct StepWork {
  Schedule schedule = Schedule::k1F1B;
  int pp = 1, v = 1, tp = 1, cp = 1, dp = 1;
  long long micro_batches = 1;
  int zero = 0;
  bool overlap_grad_reduce = true, overlap_param_gather = true, overlap_p2p = true;
  Bytes p2p_bytes;      // one activation (or gradient) message, one rank
  Seconds p2p_latency;  // NCCL p2p launch, added to each transfer
  Seconds collective_latency;
  Bytes emb_sync_bytes;  // tied embeddings: all-reduce between first and last stage
  std::vector<StageWork> stages;
  Evaluation analytic;  // memory, feasibility and FLOPs come from here
};

std::optional<StepWork> build_step(const JobSpec& job, const Calibration& cal, std::string& error);

}  // namespace trainplan
