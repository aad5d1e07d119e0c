// `trainplan validate`: predicts every run of a validation file (schema trainplan-validation-runs/1,
// configs/validation/public-runs.README.md) from its system, model, parallelism and training fields
// alone, and compares with what was measured.
//
// Unstated knobs (micro-batch, recompute, virtual stages, ZeRO stage, sequence parallel, TP and DP
// overlap) are filled as the contract says (validate/fill.hpp): the run's framework's published
// recipe or argument defaults within what it had at its date (model/spec/era.hpp), and only where
// that does not fit, its documented memory savings one at a time; never the fastest completion.
//
//   ValidationReport r = validate_runs(runs_json, "public-runs.json", catalog, evaluator, diag);
//   Json out = report_to_json(r);
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "model/calibration.hpp"
#include "model/evaluator.hpp"
#include "model/spec/catalog.hpp"
#include "model/spec/era.hpp"
#include "model/uncertainty.hpp"

namespace trainplan {

enum class RowStatus { kPredicted, kInfeasible, kUnsupported, kUnusable };
const char* row_status_name(RowStatus s);

struct ValidationRow {
  std::string id;
  std::string source_id;  // read only after predicting, to group errors (leave-one-source-out)
  std::string gpu_architecture;
  RowStatus status = RowStatus::kUnusable;
  std::string reason;
  std::string metric;
  double measured = 0;
  double predicted = 0;
  double error_pct = 0;
  Json chosen = Json::object();
  Json chosen_why = Json::object();  // for each filled key of `chosen`: "default", "recipe" or "to fit" (fill.hpp)
  // Every knob that changes the predicted time was stated by the run (none filled; a ZeRO stage
  // without data parallelism and the gradient-reduction precision do not count).
  bool fully_stated = false;
  int filled_knobs = 0;                  // knobs that change the time which the fill gave a value (fully_stated: none)
  std::optional<JobSpec> job;            // the job predicted (with chosen knobs)
  std::optional<Evaluation> evaluation;  // its prediction (step time, breakdown, memory)
};

// The extrapolation flag of a row whose plan the fill completed (a knob that changes the time
// filled): the run's own values are unknown and its framework's defaults stand in, so its band is
// widened as for any other way the plan leaves what was validated (model/uncertainty.hpp). One
// flag, not one per filled knob: on the public runs the band then holds 44 of 52 unseen runs
// (84.6 %); one per knob holds 47 (90.4 %, wider than 80 % claims), none 35 (67.3 %) (README).
inline int filled_flag(const ValidationRow& row) { return row.filled_knobs > 0 ? 1 : 0; }

struct ValidationReport {
  std::vector<ValidationRow> rows;
  int usable = 0, predicted = 0, infeasible = 0, unsupported = 0, unusable = 0;
  double mape_pct = 0, max_abs_error_pct = 0;
};

// Turns one run into a job with the catalog's hardware; the unstated knobs are left at their
// defaults and listed in `free_knobs`. Returns nullopt with a reason when the row cannot be a job.
struct RowJob {
  JobSpec job;
  bool free_micro_batch = false, free_recompute = false, free_virtual = false, free_zero = false, free_sp = false;
  bool free_tp_overlap = false;  // TP communication overlap: never stated by a run (TP > 1, on a
                                 // GPU with Transformer Engine userbuffers)
  SoftwareEra era;               // what the run's framework could do at its date (model/spec/era.hpp)
  // Full recomputation of every layer read from the source's FLOP count: `hardware` FLOPs are
  // Narayanan et al. 2021 Eq. 3, whose factor 96 counts one recomputed forward pass of every layer.
  bool recompute_from_flop_count = false;
  bool mla_assumed = false;       // multi-latent attention with DeepSeek-V2/V3's dimensions (the row has none)
  bool uneven_layout = false;     // layers not divisible by pp: uneven first/last stages
  bool layers_accounted = false;  // a stated interleaving the layers fill only with the embedding and loss counted
};
// What every row reads, loaded once per validation file: the catalog, the framework profiles
// (model/spec/era.hpp) and the GPU → node map (configs/validation/gpu-nodes.json).
struct GpuNode {
  std::string gpu, node;
  std::optional<std::vector<std::string>> scale_up;  // none: any
};
struct RowContext {
  const Catalog* catalog = nullptr;
  FrameworkProfiles profiles;
  std::vector<GpuNode> nodes;
};
std::optional<RowContext> load_row_context(const Catalog& catalog, Diagnostics& diag);
// The catalog node for a run's GPU and scale-up fabric ("" when the map has none).
std::string node_for(const std::vector<GpuNode>& nodes, const std::string& gpu, const std::string& scale_up);

std::optional<RowJob> row_to_job(const Json& run, const RowContext& ctx, std::string& reason);
// The same, loading the context for this one row (tests).
std::optional<RowJob> row_to_job(const Json& run, const Catalog& catalog, std::string& reason);

// Calibration supplier per GPU (so that fitting can vary it).
using CalibrationFor = std::function<Calibration(const GpuSpec&)>;

// `evaluator` predicts the plan with the unstated knobs filled by the run's framework's defaults
// and recipes (validate/fill.hpp); when `predictor`
// is given (the simulator), the chosen plan is predicted again by it and that prediction counts.
ValidationReport validate_runs(const Json& doc, const std::string& file, const Catalog& catalog, const Evaluator& evaluator,
                               const CalibrationFor& calibration_for, Diagnostics& diag, const Evaluator* predictor = nullptr);
// With `u`, each predicted row carries `interval`: the 80 % band of its compared metric.
Json report_to_json(const ValidationReport& r, const UncertaintyModel* u = nullptr);
// ln(measured / predicted step time) of a predicted row; a rate (tokens/s, TFLOP/s, MFU) gives
// ln(predicted / measured), the same ratio. nullopt for a row not predicted.
std::optional<double> log_residual(const ValidationRow& row);
// Recomputes the summary of a report from its rows.
void summarize(ValidationReport& r);

}  // namespace trainplan
