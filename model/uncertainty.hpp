// How far to trust a prediction: the 80 % band of cross-validated errors on runs like it, and
// each way the plan lies outside what validated runs cover (contract: `interval`,
// `extrapolation`). The data is configs/calibration/uncertainty.json, written by
// `trainplan validate RUNS --fit --uncertainty-out FILE` (validate/uncertainty_fit.hpp); this
// file only reads it and applies it, so the model stays free of the validator.
//
// The method (README, "How far to trust a number"):
//   * r = ln(measured step time / predicted step time) of every public run, each predicted with
//     constants fitted without the run's source (leave-one-source-out). A run measured in a rate
//     (tokens/s, TFLOP/s, MFU) gives r = ln(predicted rate / measured rate), the same ratio.
//   * A plan's base band [lo, hi] is the 10 % and 90 % quantiles of r over the runs of its GPU
//     generation and precision class when there are at least `min_class_rows` of them, else over
//     all runs; never narrower than ±z·σ, σ the standard error of ln η for that class from the
//     fit's covariance (z = 1.2816, the normal 80 % two-sided quantile).
//   * Each extrapolation flag widens both sides: a side at distance a from zero becomes
//     sqrt(a² + n·δ²) for n flags, δ the 80 % quantile of |r| when each framework's runs are
//     predicted with constants fitted without that framework (leave-one-framework-out): leaving
//     validated territory is charged what leaving a framework cost in cross-validation.
//   * The step time lies in [t·e^lo, t·e^hi] and tokens/s in [x·e^-hi, x·e^-lo].
//
//   Diagnostics diag;
//   UncertaintyModel u = load_uncertainty(catalog, diag);
//   std::vector<std::string> flags;
//   extrapolation(u, job, evaluation, &flags);
//   PredictionInterval band = prediction_interval(u, job, evaluation, static_cast<int>(flags.size()));
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "model/evaluation.hpp"
#include "model/json_reader.hpp"
#include "model/spec/catalog.hpp"
#include "model/spec/job.hpp"

namespace trainplan {

// Quantiles of r (above) over `rows` cross-validated runs.
struct ResidualBand {
  int rows = 0;
  double lo = 0, hi = 0;
};

// What the validated runs cover, each as the plans the validator predicted them with.
struct Envelope {
  std::set<std::string> gpus;                   // GPU catalog keys
  std::set<std::string> classes;                // "hopper/bf16" (precision_class_key)
  std::set<std::string> frameworks;             // framework names
  std::set<std::string> features;               // plan_features() names
  std::map<std::string, long long> max_degree;  // "tp", "pp", "dp", "cp", "ep", "virtual_stages", "gpus", "sequence_length"
  int min_chunk_layers = 1;                     // fewest transformer layers on one model chunk (a stage, or a virtual stage)
  std::map<std::string, double> max_mfu_pct;    // per class: the highest MFU measured (model FLOPs at the measured time)
};

struct UncertaintyModel {
  bool loaded = false;  // false: no file; every prediction then says so (one flag) and gets no band
  std::string source;
  double level = 0.8;
  int min_class_rows = 5;
  std::map<std::string, ResidualBand> bands;  // per class, and "all"
  std::map<std::string, double> param_sigma;  // per class: σ of ln η from the fit's covariance
  double flag_widening = 0;                   // δ (above)
  Envelope envelope;
};

struct PredictionInterval {
  double level = 0.8;
  double step_lo = 0, step_hi = 0;      // seconds
  double tokens_lo = 0, tokens_hi = 0;  // tokens/s
  std::string basis;                    // which runs the band comes from
};

// "hopper/bf16": the GPU generation and precision class (fp16 with bf16) a band is kept for.
std::string precision_class_key(const std::string& architecture, Precision p);
// The named features a plan uses that validated runs may or may not cover ("schedule:zero-bubble",
// "zero:3", "offload:params:nvme", "context_parallel", "moe", ...).
std::vector<std::string> plan_features(const JobSpec& job);
// The fewest transformer layers on one model chunk: a stage kind's layers over its virtual stages.
int min_chunk_layers(const Evaluation& e, int virtual_stages);
// The degrees the envelope bounds: "tp", "pp", "dp", "cp", "ep", "virtual_stages", "gpus", "sequence_length".
std::map<std::string, long long> envelope_degrees(const JobSpec& job);
// The number of ways the plan lies outside the envelope; their descriptions go to `out` when given.
int extrapolation(const UncertaintyModel& u, const JobSpec& job, const Evaluation& e, std::vector<std::string>* out);
// The band of ln(measured / predicted step time) for a class with `flags` extrapolation flags.
std::pair<double, double> log_band(const UncertaintyModel& u, const std::string& class_key, int flags);
PredictionInterval prediction_interval(const UncertaintyModel& u, const JobSpec& job, const Evaluation& e, int flags);
// {"level", "step_time_s": [lo, hi], "tokens_per_s": [lo, hi], "basis"}; null when no model is loaded.
Json interval_json(const UncertaintyModel& u, const PredictionInterval& band);
// The contract's two keys, "interval" and "extrapolation", for one prediction.
void add_trust_keys(const UncertaintyModel& u, const JobSpec& job, const Evaluation& e, Json& out);

UncertaintyModel read_uncertainty(const Json& doc, const std::string& file, Diagnostics& diag);
Json uncertainty_to_json(const UncertaintyModel& u);
// configs/calibration/uncertainty.json through the catalog; loaded = false when there is none.
UncertaintyModel load_uncertainty(const Catalog& catalog, Diagnostics& diag);

}  // namespace trainplan
