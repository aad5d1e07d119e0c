// Short texts for figures and plans, shared by the table, the charts and the explanation.
#pragma once

#include <QString>

#include "model/spec/job.hpp"

namespace trainplan::gui {

// "TP8+SP · PP4 v5 · DP2 · ZeRO-1 · sel. recomp · mb1"
QString plan_summary(const PlanSpec& p);
// 1234567 -> "1.23 M"
QString si_number(double v, int digits = 3);
QString seconds_text(double s);

}  // namespace trainplan::gui
