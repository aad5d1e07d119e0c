#include "profiler/kernel_timer.hpp"

#if TRAINPLAN_HAVE_CUPTI
#include <cupti.h>
#endif

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <mutex>
#include <vector>

#include "profiler/cuda_check.hpp"

namespace trainplan::profiler {

namespace {

#if TRAINPLAN_HAVE_CUPTI
#if CUPTI_API_VERSION >= 130000
using KernelRecord = CUpti_ActivityKernel10;
#else
using KernelRecord = CUpti_ActivityKernel9;  // CUDA 12.x
#endif

// CUPTI's buffer callbacks take no user pointer, so the records land in this one sink; only the
// single CuptiKernelTimer (make_kernel_timer) registers the callbacks.
struct Sink {
  std::mutex mutex;
  std::uint64_t kernels = 0;
  std::uint64_t total_ns = 0;
  std::uint64_t dropped = 0;
};
Sink g_sink;

constexpr size_t kBufferBytes = 8u << 20;
constexpr size_t kAlign = 8;

void CUPTIAPI buffer_requested(uint8_t** buffer, size_t* size, size_t* max_records) {
  *buffer = static_cast<uint8_t*>(std::aligned_alloc(kAlign, kBufferBytes));
  *size = *buffer ? kBufferBytes : 0;
  *max_records = 0;
}

void CUPTIAPI buffer_completed(CUcontext, uint32_t stream_id, uint8_t* buffer, size_t, size_t valid) {
  (void)stream_id;
  std::uint64_t kernels = 0, ns = 0;
  CUpti_Activity* record = nullptr;
  while (cuptiActivityGetNextRecord(buffer, valid, &record) == CUPTI_SUCCESS) {
    if (record->kind == CUPTI_ACTIVITY_KIND_CONCURRENT_KERNEL || record->kind == CUPTI_ACTIVITY_KIND_KERNEL) {
      const auto* k = reinterpret_cast<const KernelRecord*>(record);
      if (k->end > k->start) ns += k->end - k->start;
      ++kernels;
    }
  }
  std::lock_guard<std::mutex> lock(g_sink.mutex);
  g_sink.kernels += kernels;
  g_sink.total_ns += ns;
  std::free(buffer);
}
#endif  // TRAINPLAN_HAVE_CUPTI

class EventTimer final : public KernelTimer {
 public:
  Timing time(const std::function<void()>& work, int iters, cudaStream_t stream) override {
    work();
    cudaEvent_t start, stop;
    TP_CUDA(cudaEventCreate(&start));
    TP_CUDA(cudaEventCreate(&stop));
    TP_CUDA(cudaEventRecord(start, stream));
    for (int i = 0; i < iters; ++i) work();
    TP_CUDA(cudaEventRecord(stop, stream));
    TP_CUDA(cudaEventSynchronize(stop));
    float ms = 0;
    TP_CUDA(cudaEventElapsedTime(&ms, start, stop));
    cudaEventDestroy(start);
    cudaEventDestroy(stop);
    return {ms * 1e-3 / std::max(iters, 1), 0};
  }
  std::string method() const override { return "cudaEvent elapsed time on the stream (CUPTI unavailable)"; }
};

#if TRAINPLAN_HAVE_CUPTI
class CuptiKernelTimer final : public KernelTimer {
 public:
  Timing time(const std::function<void()>& work, int iters, cudaStream_t stream) override {
    work();
    TP_CUDA(cudaDeviceSynchronize());
    cuptiActivityFlushAll(CUPTI_ACTIVITY_FLAG_FLUSH_FORCED);
    {
      std::lock_guard<std::mutex> lock(g_sink.mutex);
      g_sink.kernels = 0;
      g_sink.total_ns = 0;
    }
    for (int i = 0; i < iters; ++i) work();
    TP_CUDA(cudaDeviceSynchronize());
    cuptiActivityFlushAll(CUPTI_ACTIVITY_FLAG_FLUSH_FORCED);
    std::uint64_t kernels, ns;
    {
      std::lock_guard<std::mutex> lock(g_sink.mutex);
      kernels = g_sink.kernels;
      ns = g_sink.total_ns;
    }
    if (kernels == 0) return fallback_.time(work, iters, stream);  // e.g. copies only
    const double n = std::max(iters, 1);
    return {static_cast<double>(ns) * 1e-9 / n, static_cast<double>(kernels) / n};
  }
  std::string method() const override {
    return "CUPTI Activity API, CUPTI_ACTIVITY_KIND_CONCURRENT_KERNEL: sum of kernel durations per call, "
           "after one warm-up call";
  }
  ~CuptiKernelTimer() override {
    cuptiActivityFlushAll(CUPTI_ACTIVITY_FLAG_FLUSH_FORCED);
    cuptiActivityDisable(CUPTI_ACTIVITY_KIND_CONCURRENT_KERNEL);
  }

 private:
  EventTimer fallback_;
};
#endif  // TRAINPLAN_HAVE_CUPTI

}  // namespace

std::unique_ptr<KernelTimer> make_kernel_timer() {
#if TRAINPLAN_HAVE_CUPTI
  if (cuptiActivityRegisterCallbacks(buffer_requested, buffer_completed) == CUPTI_SUCCESS &&
      cuptiActivityEnable(CUPTI_ACTIVITY_KIND_CONCURRENT_KERNEL) == CUPTI_SUCCESS)
    return std::make_unique<CuptiKernelTimer>();
#endif
  return std::make_unique<EventTimer>();
}

int iterations_for(double one_call_s, double target_s, int lo, int hi) noexcept {
  if (!(one_call_s > 0)) return hi;
  const double n = std::ceil(target_s / one_call_s);
  return static_cast<int>(std::clamp(n, static_cast<double>(lo), static_cast<double>(hi)));
}

}  // namespace trainplan::profiler
