// Error checks for the CUDA-side code of the profiler: a failed call throws CudaFailure naming the
// call, which main() turns into exit status 4 (kExitFailed). Host-only header.
#pragma once

#include <stdexcept>
#include <string>

#include <cuda_runtime.h>

namespace trainplan::profiler {

class CudaFailure : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

[[noreturn]] inline void throw_failure(const char* what, const std::string& detail, const char* file, int line) {
  throw CudaFailure(std::string(what) + " failed: " + detail + " (" + file + ":" + std::to_string(line) + ")");
}

}  // namespace trainplan::profiler

#define TP_CUDA(call)                                                                                                         \
  do {                                                                                                                        \
    cudaError_t tp_err_ = (call);                                                                                             \
    if (tp_err_ != cudaSuccess) ::trainplan::profiler::throw_failure(#call, cudaGetErrorString(tp_err_), __FILE__, __LINE__); \
  } while (0)
