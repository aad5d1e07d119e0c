// Collective bandwidth as nccl-tests defines it (docs/interfaces.md §7; NVIDIA/nccl-tests src/<coll>.cu
// *GetBw and *GetCollByteCount). The profiler times NCCL calls and reports algbw and busbw with these
// definitions so that its numbers read like the `all_reduce_perf` columns.
//
//   size  = the nccl-tests "size" column in bytes: the per-rank buffer for all_reduce and sendrecv,
//           n × the per-rank piece for all_gather / reduce_scatter / alltoall
//   algbw = size / time            (GB/s, 1 GB = 1e9 B)
//   busbw = algbw × bus_factor(collective, n)
//
//   double f = bus_factor(Collective::kAllReduce, 8);        // 2·7/8 = 1.75
//   Bandwidth bw = bandwidth(Collective::kAllGather, 1 << 30, 2.5e-3, 8);
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace trainplan::profiler {

enum class Collective { kAllReduce, kAllGather, kReduceScatter, kAllToAll, kSendRecv, kBroadcast, kReduce };

inline constexpr Collective kAllCollectives[] = {Collective::kAllReduce, Collective::kAllGather, Collective::kReduceScatter,
                                                 Collective::kAllToAll,  Collective::kSendRecv,  Collective::kBroadcast,
                                                 Collective::kReduce};

// nccl-tests program stem: "all_reduce", "all_gather", "reduce_scatter", "alltoall", "sendrecv", ...
std::string_view collective_name(Collective c) noexcept;
std::optional<Collective> find_collective(std::string_view name) noexcept;

// busbw / algbw. all_reduce 2(n-1)/n; all_gather, reduce_scatter, alltoall (n-1)/n; sendrecv,
// broadcast, reduce 1. ranks must be >= 1 (a single rank gives 0 for the n-dependent ones).
double bus_factor(Collective c, int ranks) noexcept;

struct Bandwidth {
  double algbw_gbps = 0;
  double busbw_gbps = 0;
};
Bandwidth bandwidth(Collective c, double size_bytes, double time_s, int ranks) noexcept;

// The element count argument of the NCCL call that moves `size_bytes` (nccl-tests "size") on `ranks`
// ranks: all_reduce/sendrecv/broadcast/reduce count = size/typesize; all_gather sendcount,
// reduce_scatter recvcount and alltoall per-peer count = size/(typesize·n). Rounded down as
// nccl-tests does ((count/n)·n).
std::int64_t nccl_count(Collective c, std::int64_t size_bytes, int type_size, int ranks) noexcept;
// The size nccl-tests reports after that rounding (nccl_count × typesize, × n where per-rank).
std::int64_t effective_size(Collective c, std::int64_t size_bytes, int type_size, int ranks) noexcept;

// Sizes min, min·factor, ... up to and including max (nccl-tests -b/-e/-f). factor >= 2.
std::vector<std::int64_t> size_sweep(std::int64_t min_bytes, std::int64_t max_bytes, int factor);

}  // namespace trainplan::profiler
