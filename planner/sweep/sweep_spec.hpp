// A cluster-design sweep: a set of training jobs and hardware axes to vary. Every hardware point
// (the cartesian product of the axes) gets the planner's best plan for every job
// (planner/sweep/sweep_run.hpp), and the points are compared on cost against time-to-train.
//
// File format (JSON; units in values as everywhere in trainplan):
//   {
//     "description": "optional text",
//     "objective": "time-to-train",   how the planner picks each job's plan at a point:
//                                     "throughput" | "cost" | "time-to-train" (default) | "fewest-gpus"
//     "whole_cluster": false,         true: plans use every GPU of the point (search.min_gpus =
//                                     the point's GPUs), the question a cluster buyer asks; faster
//     "search": {...},                planner search settings for every job (planner/search/problem.hpp)
//     "jobs": [                       at least one
//       {"name": "70b",               optional, unique; default the model's catalog key or name
//        "model": "llama3-70b",       catalog key, object or {"hf_config": path} as in a job
//        "training": {...},           as in a job; "token_budget" (tokens) is REQUIRED here, and
//                                     "deadline" (e.g. "90d") is optional (reported as meets_deadline)
//        "search": {...}}             optional; replaces the top-level "search" for this job
//     ],
//     "hardware": {                   each axis: one value or an array of values (at least one)
//       "cluster": "dgx-h100-superpod",      REQUIRED; catalog key of configs/clusters, an object,
//                                            or {"base": key, ...overrides}; it names the GPU (via
//                                            its node) and every default below
//       "gpu": ["h100-sxm5-80gb"],           replaces the node's GPU (catalog key of configs/gpus or object)
//       "nodes": [16, 32],                   nodes in the cluster
//       "hourly_budget": ["640USD/h"],       instead of "nodes": as many nodes as the GPU-hour price buys
//       "nics_per_node": [4, 8],
//       "nic_rate": ["200Gbps", "400Gbps"],  per NIC
//       "scale_up_domain": [8, 72],          GPUs reachable at NVLink speed
//       "topology": ["fat-tree", "rail-optimized"],
//       "oversubscription": [1, 2, 4, 8],    fabric oversubscription (4 means 4:1), a number >= 1
//       "host_memory": ["1TiB", "2TiB"],     per node
//       "nvme": ["none", "30TB"],            per node: "none", a capacity (the node's NVMe bandwidth
//                                            is kept) or {"capacity": "30TB", "bandwidth": "25GB/s"}
//       "price_per_gpu_hour": ["2.50USD/h"]  replaces the GPU's price
//     }
//   }
// Points are numbered in a fixed axis order (the order above, "cluster" varying slowest) whatever
// the order of keys in the file, so point numbers are stable. Axes are applied to the cluster in
// that order, so "hourly_budget" sees the price set by "price_per_gpu_hour".
//
// Rules (each reported as file:/json/pointer: message, all in one pass; the CLI exits with 2):
//   unknown keys; "jobs" empty or missing; duplicate job names; a job without training.token_budget;
//   "hardware.cluster" missing; an axis given as an empty array; a bad value in an axis (with its
//   index in the pointer); "nodes" and "hourly_budget" both given; a budget that buys less than one
//   node; more than kMaxPoints points; the "cost" objective at a point whose GPU has no price.
//
// One-line what-ifs:
//   "nic_rate": ["200Gbps", "400Gbps"]                        what do 400G NICs buy for this model
//   "cluster": ["dgx-h100-superpod", "dgx-b200-superpod"], "hourly_budget": "640USD/h"
//                                                             H100 or B200 at equal budget
//   "oversubscription": [1, 2, 4, 8]                          how far can the fabric be oversubscribed
//
//   Diagnostics diag;
//   std::optional<SweepSpec> s = load_sweep_file("sweep.json", Catalog::from_default_dir(), diag);
//   if (!s) { for (auto& d : diag.items()) std::cerr << d.to_string() << "\n"; return 2; }
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "model/calibration.hpp"
#include "model/spec/catalog.hpp"
#include "model/uncertainty.hpp"
#include "planner/search/objective.hpp"
#include "planner/search/problem.hpp"

namespace trainplan::sweep {

inline constexpr long long kMaxPoints = 100000;

struct SweepJob {
  std::string name;
  ModelSpec model;
  TrainingSpec training;
  planner::SearchSettings search;
};

// One value of one axis: its label in tables and the change it makes to a cluster.
struct AxisValue {
  std::string label;
  std::function<void(ClusterSpec&)> apply;
};

struct Axis {
  std::string name;     // the key in "hardware"
  std::string pointer;  // /hardware/<name>
  std::vector<AxisValue> values;
};

// One hardware point: which value of every axis, and the cluster that results.
struct HardwarePoint {
  int index = 0;
  std::vector<int> values;  // per axis, index into Axis::values
  ClusterSpec cluster;
};

struct SweepSpec {
  std::string file;
  std::string description;
  planner::Objective objective = planner::Objective::kTimeToTrain;
  bool whole_cluster = false;
  std::vector<SweepJob> jobs;
  std::vector<Axis> axes;  // in the fixed order; absent axes are left out
  std::vector<HardwarePoint> points;
  std::map<std::string, Calibration> calibrations;  // per GPU key (defaults + the measured file)
  UncertaintyModel uncertainty;                     // configs/calibration/uncertainty.json: every result's band and flags

  // "axis=value" for every axis with more than one value; "base" when none varies.
  [[nodiscard]] std::string label(const HardwarePoint& p) const;
  [[nodiscard]] const Calibration& calibration(const GpuSpec& gpu) const { return calibrations.at(gpu.key); }
};

// base_dir resolves relative {"hf_config": path} models.
std::optional<SweepSpec> load_sweep_json(const Json& doc, const std::string& file, const Catalog& catalog, Diagnostics& diag,
                                         const std::string& base_dir = ".");
std::optional<SweepSpec> load_sweep_file(const std::string& path, const Catalog& catalog, Diagnostics& diag);

// The plan problem of one job at one point (the sweep's whole_cluster rule applied).
planner::PlanProblem make_problem(const SweepSpec& spec, const HardwarePoint& point, const SweepJob& job);

}  // namespace trainplan::sweep
