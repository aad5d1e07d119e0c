#if TRAINPLAN_HAVE_NCCL
#include <nccl.h>
#endif

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <vector>

#include "profiler/benches.hpp"
#include "profiler/cuda_check.hpp"

#define TP_NCCL(call)                                                                                                         \
  do {                                                                                                                        \
    ncclResult_t tp_res_ = (call);                                                                                            \
    if (tp_res_ != ncclSuccess) ::trainplan::profiler::throw_failure(#call, ncclGetErrorString(tp_res_), __FILE__, __LINE__); \
  } while (0)

namespace trainplan::profiler {

#if TRAINPLAN_HAVE_NCCL
namespace {

std::string nccl_version_string() {
  int v = 0;
  if (ncclGetVersion(&v) != ncclSuccess) return "unknown";
  // NCCL_VERSION(X,Y,Z) = X*10000 + Y*100 + Z since 2.9 (X*1000 + Y*100 + Z before).
  const int major = v >= 10000 ? v / 10000 : v / 1000;
  const int minor = v >= 10000 ? (v / 100) % 100 : (v / 100) % 10;
  return std::to_string(major) + "." + std::to_string(minor) + "." + std::to_string(v % 100);
}

// One communicator per local GPU, driven from this thread as nccl-tests -g N does.
struct Comms {
  std::vector<ncclComm_t> comms;
  std::vector<cudaStream_t> streams;
  std::vector<void*> send, recv;
  ~Comms() {
    for (size_t i = 0; i < comms.size(); ++i) {
      cudaSetDevice(static_cast<int>(i));
      if (send[i]) cudaFree(send[i]);
      if (recv[i]) cudaFree(recv[i]);
      if (streams[i]) cudaStreamDestroy(streams[i]);
      if (comms[i]) ncclCommDestroy(comms[i]);
    }
  }
};

void launch(Collective c, Comms& k, std::int64_t count, int n) {
  TP_NCCL(ncclGroupStart());
  for (int r = 0; r < n; ++r) {
    void* s = k.send[r];
    void* d = k.recv[r];
    ncclComm_t comm = k.comms[r];
    cudaStream_t st = k.streams[r];
    const size_t cnt = static_cast<size_t>(count);
    switch (c) {
      case Collective::kAllReduce: TP_NCCL(ncclAllReduce(s, d, cnt, ncclBfloat16, ncclSum, comm, st)); break;
      case Collective::kAllGather: TP_NCCL(ncclAllGather(s, d, cnt, ncclBfloat16, comm, st)); break;
      case Collective::kReduceScatter: TP_NCCL(ncclReduceScatter(s, d, cnt, ncclBfloat16, ncclSum, comm, st)); break;
      case Collective::kAllToAll:  // nccl-tests src/alltoall.cu: grouped send/recv to every peer
        for (int p = 0; p < n; ++p) {
          TP_NCCL(ncclSend(static_cast<char*>(s) + p * cnt * 2, cnt, ncclBfloat16, p, comm, st));
          TP_NCCL(ncclRecv(static_cast<char*>(d) + p * cnt * 2, cnt, ncclBfloat16, p, comm, st));
        }
        break;
      case Collective::kSendRecv:  // nccl-tests src/sendrecv.cu: send to r+1, receive from r-1
        TP_NCCL(ncclSend(s, cnt, ncclBfloat16, (r + 1) % n, comm, st));
        TP_NCCL(ncclRecv(d, cnt, ncclBfloat16, (r - 1 + n) % n, comm, st));
        break;
      case Collective::kBroadcast: TP_NCCL(ncclBroadcast(s, d, cnt, ncclBfloat16, 0, comm, st)); break;
      case Collective::kReduce: TP_NCCL(ncclReduce(s, d, cnt, ncclBfloat16, ncclSum, 0, comm, st)); break;
    }
  }
  TP_NCCL(ncclGroupEnd());
}

void sync_all(Comms& k) {
  for (size_t i = 0; i < k.streams.size(); ++i) {
    TP_CUDA(cudaSetDevice(static_cast<int>(i)));
    TP_CUDA(cudaStreamSynchronize(k.streams[i]));
  }
}

}  // namespace

CollectiveResult run_collective_bench(int device_count, bool quick) {
  CollectiveResult result;
  result.nccl_version = nccl_version_string();
  if (device_count < 2) {
    result.status = "single GPU: no collective measured; the entries are documented defaults (measured=false)";
    return result;
  }
  const int n = device_count;
  // The largest nccl-tests size that leaves room: send + recv buffers of that size on every GPU.
  size_t min_free = SIZE_MAX;
  for (int i = 0; i < n; ++i) {
    TP_CUDA(cudaSetDevice(i));
    min_free = std::min(min_free, free_device_bytes());
  }
  std::int64_t max_bytes = quick ? (std::int64_t{1} << 28) : (std::int64_t{1} << 32);
  while (max_bytes > (1 << 20) && static_cast<size_t>(max_bytes) * 2 > min_free * 6 / 10) max_bytes /= 2;

  Comms k;
  k.comms.assign(n, nullptr);
  k.streams.assign(n, nullptr);
  k.send.assign(n, nullptr);
  k.recv.assign(n, nullptr);
  std::vector<int> devs(n);
  for (int i = 0; i < n; ++i) devs[i] = i;
  TP_NCCL(ncclCommInitAll(k.comms.data(), n, devs.data()));
  for (int i = 0; i < n; ++i) {
    TP_CUDA(cudaSetDevice(i));
    TP_CUDA(cudaStreamCreateWithFlags(&k.streams[i], cudaStreamNonBlocking));
    TP_CUDA(cudaMalloc(&k.send[i], static_cast<size_t>(max_bytes)));
    TP_CUDA(cudaMalloc(&k.recv[i], static_cast<size_t>(max_bytes)));
    TP_CUDA(cudaMemset(k.send[i], 0, static_cast<size_t>(max_bytes)));
  }

  const auto sizes = size_sweep(1024, max_bytes, quick ? 4 : 2);
  for (Collective c :
       {Collective::kAllReduce, Collective::kAllGather, Collective::kReduceScatter, Collective::kAllToAll, Collective::kSendRecv}) {
    std::fprintf(stderr, "trainplan-profile: %s on %d GPUs\n", std::string(collective_name(c)).c_str(), n);
    for (std::int64_t size : sizes) {
      const std::int64_t count = nccl_count(c, size, 2, n);
      if (count == 0) continue;
      const std::int64_t bytes = effective_size(c, size, 2, n);
      const int warmup = 5;
      const int iters = bytes >= (std::int64_t{1} << 28) ? 10 : (quick ? 10 : 20);  // nccl-tests -n 20
      for (int i = 0; i < warmup; ++i) launch(c, k, count, n);
      sync_all(k);
      // nccl-tests BenchTime: wall clock over the iterations, streams synchronized at the end.
      const auto t0 = std::chrono::steady_clock::now();
      for (int i = 0; i < iters; ++i) launch(c, k, count, n);
      sync_all(k);
      const double t = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() / iters;
      const Bandwidth bw = bandwidth(c, static_cast<double>(bytes), t, n);
      CollectiveRow row;
      row.collective = c;
      row.ranks = n;
      row.bytes = bytes;
      row.count = count;
      row.time_us = t * 1e6;
      row.algbw_gbps = bw.algbw_gbps;
      row.busbw_gbps = bw.busbw_gbps;
      row.measured = true;
      row.source = "measured";
      result.rows.push_back(row);
    }
  }
  result.status = "measured on " + std::to_string(n) + " local GPUs in one process (ncclCommInitAll), sizes 1 KiB to " +
                  std::to_string(max_bytes) + " B";
  return result;
}

#else   // no NCCL at build time

CollectiveResult run_collective_bench(int device_count, bool quick) {
  (void)quick;
  CollectiveResult result;
  result.nccl_version = "not built";
  result.status = device_count < 2 ? "single GPU: no collective measured; the entries are documented defaults (measured=false)"
                                   : "NCCL was not found when trainplan-profile was built: no collective measured";
  return result;
}
#endif  // TRAINPLAN_HAVE_NCCL

}  // namespace trainplan::profiler
