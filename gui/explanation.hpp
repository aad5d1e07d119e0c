// The explanation of a plan in words (HTML for a QTextBrowser): its figures, where the step time
// goes and what the largest overhead comes from, what fills the memory, and what the search did.
#pragma once

#include <vector>

#include <QString>

#include "gui/plan_runner.hpp"

namespace trainplan::gui {

QString explanation_html(const PlanOutcome& outcome, const PlanRow& row);
// Two or more plans side by side: their figures (throughput with its band, step time, MFU, memory,
// cost) and every plan knob, the knobs that differ first and marked.
QString comparison_html(const std::vector<const PlanRow*>& rows);

}  // namespace trainplan::gui
