// Google Benchmark: one full analytic prediction of a dense plan (GPT-3 175B on 1,024 A100).
// Issue target: >= 1 million predictions per second per core.
#include <benchmark/benchmark.h>

#include "model/analytic.hpp"
#include "model/spec/catalog.hpp"

namespace trainplan {
namespace {

JobSpec load_example(const char* name, Calibration& cal) {
  Catalog catalog(BENCH_CONFIG_DIR);
  Diagnostics diag;
  auto job = load_job_file(std::string(BENCH_CONFIG_DIR) + "/examples/" + name, catalog, diag);
  if (!job) throw std::runtime_error("cannot load example " + std::string(name));
  cal = load_calibration(catalog, job->cluster.node.gpu, "", diag);
  return *job;
}

void BM_PredictGpt3_175B(benchmark::State& state) {
  Calibration cal;
  JobSpec job = load_example("gpt3-175b-a100-1024.json", cal);
  AnalyticEvaluator ev;
  for (auto _ : state) {
    Evaluation e = ev.evaluate(job, cal);
    benchmark::DoNotOptimize(e.step_time);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_PredictGpt3_175B);

void BM_PredictMixtralMoe(benchmark::State& state) {
  Calibration cal;
  JobSpec job = load_example("mixtral-8x7b-h100-64.json", cal);
  AnalyticEvaluator ev;
  for (auto _ : state) {
    Evaluation e = ev.evaluate(job, cal);
    benchmark::DoNotOptimize(e.step_time);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_PredictMixtralMoe);

}  // namespace
}  // namespace trainplan

BENCHMARK_MAIN();
