// The explanation of a plan in words (HTML for a QTextBrowser): its figures, where the step time
// goes and what the largest overhead comes from, what fills the memory, and what the search did.
#pragma once

#include <QString>

#include "gui/plan_runner.hpp"

namespace trainplan::gui {

QString explanation_html(const PlanOutcome& outcome, const PlanRow& row);

}  // namespace trainplan::gui
