// Kernel timing: the profiler backend seam. CuptiKernelTimer sums the GPU durations of the kernels
// that CUPTI's Activity API records (CUPTI_ACTIVITY_KIND_CONCURRENT_KERNEL) while the work runs;
// EventTimer is the fallback (cudaEvent elapsed time on the stream) where CUPTI cannot be enabled.
//
//   std::unique_ptr<KernelTimer> timer = make_kernel_timer();
//   Timing t = timer->time([&] { launch_gemm(stream); }, /*iters=*/20, stream);
//   double seconds_per_call = t.seconds;
#pragma once

#include <functional>
#include <memory>
#include <string>

#include <cuda_runtime.h>

namespace trainplan::profiler {

struct Timing {
  double seconds = 0;           // per call
  double kernels_per_call = 0;  // CUPTI only; 0 with events
};

class KernelTimer {
 public:
  virtual ~KernelTimer() = default;
  // Runs `work` `iters` times on `stream` (after one untimed warm-up call) and returns the time per call.
  virtual Timing time(const std::function<void()>& work, int iters, cudaStream_t stream) = 0;
  virtual std::string method() const = 0;
};

// CUPTI when it can be enabled, else events. The CUPTI timer owns the process's activity callbacks:
// create at most one.
std::unique_ptr<KernelTimer> make_kernel_timer();

// How many calls fill about `target_s` given one call of `one_call_s`, within [lo, hi].
int iterations_for(double one_call_s, double target_s, int lo, int hi) noexcept;

}  // namespace trainplan::profiler
