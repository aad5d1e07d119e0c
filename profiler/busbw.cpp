#include "profiler/busbw.hpp"

namespace trainplan::profiler {

namespace {

struct CollectiveName {
  Collective c;
  std::string_view name;
};
constexpr CollectiveName kNames[] = {
    {Collective::kAllReduce, "all_reduce"}, {Collective::kAllGather, "all_gather"}, {Collective::kReduceScatter, "reduce_scatter"},
    {Collective::kAllToAll, "alltoall"},    {Collective::kSendRecv, "sendrecv"},    {Collective::kBroadcast, "broadcast"},
    {Collective::kReduce, "reduce"},
};

// The collectives whose nccl-tests "size" is n × the per-rank piece.
bool size_is_total(Collective c) noexcept {
  return c == Collective::kAllGather || c == Collective::kReduceScatter || c == Collective::kAllToAll;
}

}  // namespace

std::string_view collective_name(Collective c) noexcept {
  for (const auto& n : kNames)
    if (n.c == c) return n.name;
  return "?";
}

std::optional<Collective> find_collective(std::string_view name) noexcept {
  for (const auto& n : kNames)
    if (n.name == name) return n.c;
  return std::nullopt;
}

double bus_factor(Collective c, int ranks) noexcept {
  const double n = ranks < 1 ? 1.0 : static_cast<double>(ranks);
  switch (c) {
    case Collective::kAllReduce:  // src/all_reduce.cu AllReduceGetBw
      return 2.0 * (n - 1.0) / n;
    case Collective::kAllGather:      // src/all_gather.cu
    case Collective::kReduceScatter:  // src/reduce_scatter.cu
    case Collective::kAllToAll:       // src/alltoall.cu
      return (n - 1.0) / n;
    case Collective::kSendRecv:   // src/sendrecv.cu
    case Collective::kBroadcast:  // src/broadcast.cu
    case Collective::kReduce:     // src/reduce.cu
      return 1.0;
  }
  return 1.0;
}

Bandwidth bandwidth(Collective c, double size_bytes, double time_s, int ranks) noexcept {
  Bandwidth b;
  if (time_s <= 0) return b;
  b.algbw_gbps = size_bytes / 1e9 / time_s;
  b.busbw_gbps = b.algbw_gbps * bus_factor(c, ranks);
  return b;
}

std::int64_t nccl_count(Collective c, std::int64_t size_bytes, int type_size, int ranks) noexcept {
  if (type_size <= 0 || ranks <= 0) return 0;
  const std::int64_t count = size_bytes / type_size;
  return size_is_total(c) ? count / ranks : count;
}

std::int64_t effective_size(Collective c, std::int64_t size_bytes, int type_size, int ranks) noexcept {
  const std::int64_t count = nccl_count(c, size_bytes, type_size, ranks);
  return size_is_total(c) ? count * type_size * ranks : count * type_size;
}

std::vector<std::int64_t> size_sweep(std::int64_t min_bytes, std::int64_t max_bytes, int factor) {
  std::vector<std::int64_t> sizes;
  if (min_bytes <= 0 || factor < 2) return sizes;
  for (std::int64_t s = min_bytes; s <= max_bytes; s *= factor) sizes.push_back(s);
  return sizes;
}

}  // namespace trainplan::profiler
