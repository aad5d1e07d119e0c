// Google Benchmark: the planner. Issue targets: >= 1 million plans evaluated per second per core;
// the Turing-NLG 530B problem (5,120 A100, global batch 2520) searched in <= 1 s on 2 cores.
// items_per_second counts plans decided (evaluated, or out of memory by the exact floor);
// the evaluator_calls counter is the analytic evaluations actually run. The per-core rate is
// measured on the exhaustive search (no branch and bound), which decides every plan; the Turing
// search runs as `trainplan plan` does (bounded) and, for comparison, exhaustively.
#include <benchmark/benchmark.h>

#include <stdexcept>

#include "model/calibration.hpp"
#include "planner/search/problem.hpp"
#include "planner/search/search.hpp"

namespace trainplan::planner {
namespace {

struct Loaded {
  PlanProblem problem;
  Calibration cal;
};

Loaded load_problem(const std::string& path) {
  Catalog catalog(BENCH_CONFIG_DIR);
  Diagnostics diag;
  auto p = load_problem_file(path, catalog, diag);
  if (!p) throw std::runtime_error("cannot load " + path);
  Calibration cal = load_calibration(catalog, p->cluster.node.gpu, "", diag);
  return {*p, cal};
}

void run(benchmark::State& state, const Loaded& l, int threads, bool prune, SearchOptions so = {}) {
  long long evaluated = 0, calls = 0;
  for (auto _ : state) {
    so.threads = threads;
    so.prune = prune;
    const SearchResult r = run_search(l.problem, l.cal, so);
    evaluated += r.evaluated;
    calls += r.evaluator_calls;
    benchmark::DoNotOptimize(r.top.data());
  }
  state.SetItemsProcessed(evaluated);
  state.counters["evaluator_calls"] = benchmark::Counter(static_cast<double>(calls), benchmark::Counter::kIsRate);
}

// One thread on a small problem (GPT-3 6.7B on up to 64 A100): plans per second per core.
void BM_PlannerPlansPerSecondOneCore(benchmark::State& state) {
  Loaded l = load_problem(std::string(BENCH_CONFIG_DIR) + "/examples/turing-530b-a100-5120-plan.json");
  Diagnostics diag;
  l.problem.model = *load_model_file(std::string(BENCH_CONFIG_DIR) + "/models/gpt3-6.7b.json", Catalog(BENCH_CONFIG_DIR), diag);
  l.problem.cluster.nodes = 8;
  l.problem.training.global_batch = 512;
  run(state, l, 1, /*prune=*/false);
}
BENCHMARK(BM_PlannerPlansPerSecondOneCore)->Unit(benchmark::kMillisecond)->UseRealTime();

// The contract's Turing-NLG 530B problem, the full joint search on 2 threads (branch and bound).
void BM_PlannerTuring530B(benchmark::State& state) {
  const Loaded l = load_problem(std::string(BENCH_CONFIG_DIR) + "/examples/turing-530b-a100-5120-plan.json");
  run(state, l, 2, /*prune=*/true);
}
BENCHMARK(BM_PlannerTuring530B)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(5);

// The same search with the validated envelope (model/uncertainty.hpp), as `trainplan plan` runs
// it with --within-envelope and with --rank conservative: every evaluated plan's extrapolation
// flags are counted. Issue target (uncertainty): the 530B problem still <= 0.2 s on 2 cores.
UncertaintyModel shipped_uncertainty() {
  Diagnostics diag;
  UncertaintyModel u = load_uncertainty(Catalog(BENCH_CONFIG_DIR), diag);
  if (!u.loaded) throw std::runtime_error("configs/calibration/uncertainty.json did not load");
  return u;
}

void BM_PlannerTuring530BWithinEnvelope(benchmark::State& state) {
  const Loaded l = load_problem(std::string(BENCH_CONFIG_DIR) + "/examples/turing-530b-a100-5120-plan.json");
  const UncertaintyModel u = shipped_uncertainty();
  run(state, l, 2, /*prune=*/true, {.uncertainty = &u, .within_envelope = true});
}
BENCHMARK(BM_PlannerTuring530BWithinEnvelope)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(5);

void BM_PlannerTuring530BConservative(benchmark::State& state) {
  const Loaded l = load_problem(std::string(BENCH_CONFIG_DIR) + "/examples/turing-530b-a100-5120-plan.json");
  const UncertaintyModel u = shipped_uncertainty();
  run(state, l, 2, /*prune=*/true, {.uncertainty = &u, .ranking = Ranking::kConservative});
}
BENCHMARK(BM_PlannerTuring530BConservative)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(5);

// The same problem with every plan evaluated (trainplan plan --exhaustive).
void BM_PlannerTuring530BExhaustive(benchmark::State& state) {
  const Loaded l = load_problem(std::string(BENCH_CONFIG_DIR) + "/examples/turing-530b-a100-5120-plan.json");
  run(state, l, 2, /*prune=*/false);
}
BENCHMARK(BM_PlannerTuring530BExhaustive)->Unit(benchmark::kSecond)->UseRealTime()->Iterations(1);

}  // namespace
}  // namespace trainplan::planner
