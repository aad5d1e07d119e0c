// trainplan-profile: measures the local GPU(s) and writes a calibration file (profiler/SCHEMA.md).
// Exit statuses are in options.hpp: 0 written, 2 usage, 3 no usable CUDA GPU, 4 failure.
#include <cublasLt.h>
#include <cuda_runtime.h>
#if TRAINPLAN_HAVE_CUDNN
#include <cudnn.h>
#endif
#if TRAINPLAN_HAVE_CUPTI
#include <cupti.h>
#endif

#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <iostream>
#include <sstream>

#include "profiler/benches.hpp"
#include "profiler/calibration_writer.hpp"
#include "profiler/cuda_check.hpp"
#include "profiler/device_key.hpp"
#include "profiler/options.hpp"

#ifndef TRAINPLAN_CONFIG_DIR
#define TRAINPLAN_CONFIG_DIR "configs"
#endif

namespace tp = trainplan::profiler;

namespace {

std::string read_text(const char* path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

tp::GpuInfo describe_gpu(int device, int device_count) {
  tp::GpuInfo g;
  cudaDeviceProp prop{};
  TP_CUDA(cudaGetDeviceProperties(&prop, device));
  g.name = prop.name;
  g.memory_gib = static_cast<double>(prop.totalGlobalMem) / (1024.0 * 1024.0 * 1024.0);
  const tp::GpuKey key = tp::gpu_key_for(g.name, g.memory_gib);
  g.key = key.key;
  g.key_in_catalog = key.in_catalog;
  g.compute_capability_major = prop.major;
  g.compute_capability_minor = prop.minor;
  g.sm_count = prop.multiProcessorCount;
  int khz = 0;
  if (cudaDeviceGetAttribute(&khz, cudaDevAttrClockRate, device) == cudaSuccess) g.sm_clock_max_mhz = khz / 1000;
  if (cudaDeviceGetAttribute(&khz, cudaDevAttrMemoryClockRate, device) == cudaSuccess) g.memory_clock_max_mhz = khz / 1000;
  int v = 0;
  cudaRuntimeGetVersion(&v);
  g.cuda = tp::cuda_version_string(v);
  cudaDriverGetVersion(&v);
  g.cuda_driver_api = tp::cuda_version_string(v);
  g.driver = tp::parse_nvidia_driver_version(read_text("/proc/driver/nvidia/version")).value_or("unknown");
  g.device_count = device_count;
  return g;
}

void describe_libraries(tp::MethodInfo& m, const std::string& nccl) {
  m.libraries.emplace_back("cublasLt", std::to_string(cublasLtGetVersion()));
#if TRAINPLAN_HAVE_CUDNN
  m.libraries.emplace_back("cudnn", std::to_string(cudnnGetVersion()));
#endif
#if TRAINPLAN_HAVE_CUPTI
  uint32_t cupti = 0;
  cuptiGetVersion(&cupti);
  m.libraries.emplace_back("cupti_api", std::to_string(cupti));
#endif
  m.libraries.emplace_back("nccl", nccl);
  for (const char* var : {"NCCL_ALGO", "NCCL_PROTO", "NCCL_P2P_DISABLE", "NCCL_NVLS_ENABLE", "CUDA_VISIBLE_DEVICES"}) {
    const char* val = std::getenv(var);
    m.environment.emplace_back(var, val ? val : "");
  }
}

int run(const tp::Options& opt) {
  int device_count = 0;
  const cudaError_t err = cudaGetDeviceCount(&device_count);
  if (err != cudaSuccess || device_count == 0) {
    std::fprintf(stderr,
                 "trainplan-profile: no usable CUDA GPU (%s); nothing was measured or written. "
                 "Run it on a machine with an NVIDIA GPU and driver (exit status 3).\n",
                 err != cudaSuccess ? cudaGetErrorString(err) : "no CUDA device found");
    return tp::kExitNoGpu;
  }
  if (opt.device >= device_count) {
    std::fprintf(stderr, "trainplan-profile: --device %d: only %d GPU(s) present\n", opt.device, device_count);
    return tp::kExitUsage;
  }
  TP_CUDA(cudaSetDevice(opt.device));

  tp::CalibrationFile file;
  file.gpu = describe_gpu(opt.device, device_count);
  file.date = tp::utc_iso8601(std::time(nullptr));
  file.method.quick = opt.quick;
  std::fprintf(stderr, "trainplan-profile: %s (%s), %d GPU(s), CUDA %s\n", file.gpu.name.c_str(), file.gpu.key.c_str(), device_count,
               file.gpu.cuda.c_str());
  if (!file.gpu.key_in_catalog)
    file.method.notes.push_back("GPU \"" + file.gpu.name + "\" is not in configs/gpus; key \"" + file.gpu.key + "\" is a slug of its name");

  auto timer = tp::make_kernel_timer();
  cudaStream_t stream = nullptr;
  TP_CUDA(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking));
  tp::BenchContext ctx;
  ctx.device = opt.device;
  ctx.stream = stream;
  ctx.timer = timer.get();
  ctx.quick = opt.quick;
  ctx.notes = &file.method.notes;

  const bool fp8 = file.gpu.compute_capability_major * 10 + file.gpu.compute_capability_minor >= 89;
  file.method.timing = timer->method();
  file.method.gemm = std::string(
                         "cuBLASLt matmul, TN layout, fp32 accumulate, first heuristic algorithm with a 32 MiB "
                         "workspace; bf16/fp16 write their input type, fp8 (E4M3 x E4M3, fast accumulation in "
                         "forward GEMMs) writes bf16; tflops = 2mnk / time") +
                     (fp8 ? "" : "; no fp8 (needs sm_89+)");
  file.method.attention = tp::kAttentionMethod;
  file.method.memory_bound = "the profiler's own CUDA kernels; bandwidth = minimum bytes moved / time (1 GB = 1e9 B)";
  file.method.copies = "synchronous cudaMemcpy, wall clock per copy after one warm-up; bandwidth = bytes / time";

  if (opt.sections.gemm) {
    const auto cases = tp::enumerate_gemm_cases(tp::default_shape_plan(opt.quick, fp8));
    file.gemm = tp::run_gemm_bench(ctx, cases);
  }
  if (opt.sections.attention) file.attention = tp::run_attention_bench(ctx, tp::enumerate_attention_cases(opt.quick));
  if (opt.sections.memory_bound) file.memory_bound = tp::run_memory_bench(ctx, tp::enumerate_memory_cases(opt.quick));
  if (opt.sections.copies) file.copies = tp::run_copy_bench(ctx);

  std::string nccl = "not run";
  if (opt.sections.collectives) {
    tp::CollectiveResult cr = tp::run_collective_bench(device_count, opt.quick);
    TP_CUDA(cudaSetDevice(opt.device));
    nccl = cr.nccl_version;
    file.collectives = std::move(cr.rows);
    file.method.collectives =
        "NCCL bf16 (sum), wall clock over 10-20 iterations after 5 warm-ups as nccl-tests "
        "BenchTime; algbw = size / time, busbw = algbw x nccl-tests factor. " +
        cr.status;
    if (device_count < 2) file.collectives = tp::default_collective_rows(file.gpu.key);
  } else {
    file.method.collectives = "not run (--only)";
  }
  describe_libraries(file.method, nccl);
  cudaStreamDestroy(stream);
  timer.reset();

  const std::string out = opt.out.empty() ? tp::default_output_path(TRAINPLAN_CONFIG_DIR, file.gpu.key) : opt.out;
  std::string error;
  if (!tp::write_file(out, tp::to_json(file), error)) {
    std::fprintf(stderr, "trainplan-profile: %s\n", error.c_str());
    return tp::kExitFailed;
  }
  std::fprintf(stderr, "trainplan-profile: wrote %s (%zu gemm, %zu attention, %zu memory-bound, %zu copy, %zu collective rows)\n",
               out.c_str(), file.gemm.size(), file.attention.size(), file.memory_bound.size(), file.copies.size(), file.collectives.size());
  return tp::kExitOk;
}

}  // namespace

int main(int argc, char** argv) {
  const tp::ParseResult parsed = tp::parse_options(argc, argv);
  if (parsed.exit_code) {
    std::fputs(parsed.message.c_str(), *parsed.exit_code == tp::kExitOk ? stdout : stderr);
    return *parsed.exit_code;
  }
  try {
    return run(parsed.options);
  } catch (const tp::CudaFailure& e) {
    std::fprintf(stderr, "trainplan-profile: %s; nothing was written (exit status 4)\n", e.what());
    return tp::kExitFailed;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "trainplan-profile: %s; nothing was written (exit status 4)\n", e.what());
    return tp::kExitFailed;
  }
}
