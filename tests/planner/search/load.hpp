// A plan problem file with its GPU's calibration: the common ground of the planner tests.
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "model/calibration.hpp"
#include "planner/search/problem.hpp"

namespace trainplan::planner::test {

struct Loaded {
  PlanProblem problem;
  Calibration cal;
};

inline Loaded load(const std::string& path) {
  Catalog catalog(CONFIG_DIR);
  Diagnostics diag;
  auto p = load_problem_file(path, catalog, diag);
  EXPECT_TRUE(p.has_value()) << (diag.items().empty() ? "" : diag.items().front().to_string());
  Calibration cal = load_calibration(catalog, p->cluster.node.gpu, "", diag);
  return {*p, cal};
}

}  // namespace trainplan::planner::test
