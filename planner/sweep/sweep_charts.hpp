// SVG charts of a sweep report (sweep_report.hpp), written by hand (no plotting dependency):
//   pareto.svg          every point that runs all jobs, total cost (USD) against total
//                       time-to-train (days); the Pareto front highlighted and joined
//   axis-<name>.svg     for each axis with several values: the mean time-to-train and mean cost
//                       of each job at each value (grouped bars), i.e. the axis's main effect
// The SVG text depends on the report alone, so the charts are byte-identical run to run.
//
//   std::vector<std::string> files = chart_svgs(report);   // {name, svg, name, svg, ...}
//   std::string error = write_charts(report, "charts/");    // empty on success
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "model/json_reader.hpp"

namespace trainplan::sweep {

// (file name, SVG text) for every chart of the report.
std::vector<std::pair<std::string, std::string>> chart_svgs(const Json& report);

// Writes the charts into dir (created if needed); returns an error message, empty on success.
std::string write_charts(const Json& report, const std::string& dir);

}  // namespace trainplan::sweep
