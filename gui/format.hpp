// Short texts for figures and plans, shared by the table, the charts and the explanation.
#pragma once

#include <QString>

#include "model/spec/job.hpp"

namespace trainplan::gui {

// "TP8+SP · PP4 v5 · DP2 · ZeRO-1 · sel. recomp · mb1"
QString plan_summary(const PlanSpec& p);
// 1234567 -> "1.23 M"
QString si_number(double v, int digits = 3);
// 16384 -> "16,384" (the locale's group separator)
QString grouped(long long v);
QString seconds_text(double s);
// "Llama 3 70B · 64 × NVIDIA H100 SXM · bf16 · megatron-core · job": what the spec describes now
// (the window's heading; the file's description can be stale after edits).
QString spec_heading(const ModelSpec& m, const ClusterSpec& c, const TrainingSpec& t, bool job);

}  // namespace trainplan::gui
