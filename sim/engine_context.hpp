// The simulator engine's shared state (internal to sim/): the context every stage actor reads and
// writes (hosts, mailboxes, link accounting, per-stage results) and the helpers they share. Only
// sim/engine.cpp, sim/engine_context.cpp and sim/stage_actor.cpp include it.
#pragma once

#include <simgrid/s4u.hpp>

#include <array>
#include <string>
#include <utility>
#include <vector>

#include "model/workload.hpp"
#include "sim/platform.hpp"
#include "sim/simulator.hpp"

namespace trainplan::sim::engine {

namespace sg4 = simgrid::s4u;

struct Interval {
  double a, b;
};

struct StageAcc {
  double compute = 0, recompute = 0, tp = 0, cp = 0, ep = 0, offload = 0;
  double p2p_time = 0;
  long long p2p_count = 0;
  double optimizer = 0, end_offload = 0;
  [[nodiscard]] double busy() const { return compute + recompute + tp + cp + ep + offload; }
};

struct DpRing {
  std::vector<std::pair<int, int>> pairs;  // src, dst rank: one flow per rank per phase
  double factor = 1;                       // 1 / members per node when the ring crosses nodes
  int size = 1;
};

// A payload address for flows that carry only a size.
inline int g_dummy = 0;

struct Ctx {
  const StepWork* w = nullptr;
  const ClusterSpec* cluster = nullptr;
  PlatformLayout* layout = nullptr;
  bool full = false, trace = false;
  int tp = 1, group = 1, pp = 1, V = 1;
  long long m = 1;
  std::vector<sg4::Host*> host;                              // by rank
  std::vector<sg4::Host*> cpu;                               // by node
  std::vector<std::vector<sg4::Mailbox*>> fwd_box, bwd_box;  // [lane][virtual stage] (into)
  std::vector<std::array<sg4::Mailbox*, 2>> emb_box;         // [lane]: into stage 0, into last
  std::vector<sg4::Mailbox*> dp_box;                         // full detail: DP ring flows into each rank
  std::vector<std::vector<Interval>> busy;                   // per link
  std::vector<double> link_bytes;                            // per link, real bytes
  std::vector<TraceEvent> events;
  long long n_events = 0, n_flows = 0;
  std::vector<double> stage_end, pipe_end;
  std::vector<StageAcc> acc;  // per stage, lane 0
  int finished = 0;
  std::vector<std::string> where;  // per actor
  [[nodiscard]] int rank(int s, int k, int t) const { return t + tp * (k + group * s); }
  [[nodiscard]] int lane(int k, int t) const { return full ? k * tp + t : 0; }
};

double now();
// Link busy intervals and bytes of a flow along `route`.
void account(Ctx& c, const std::vector<int>& route, double a, double b, double bytes);
// The DP ring of stage s, TP rank t: its flows (NCCL runs one ring per NIC).
DpRing dp_ring(const Ctx& c, int s, int t);
// One trace event (counted always, kept when tracing).
void record(Ctx& c, int pid, Stream st, const std::string& name, double a, double b);
// The actor of stage s, replica k, TP rank t (sim/stage_actor.cpp).
void run_stage(Ctx* c, int s, int k, int t, int actor_index);

}  // namespace trainplan::sim::engine
