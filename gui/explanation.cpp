#include "gui/explanation.hpp"

#include <QStringList>
#include <algorithm>
#include <utility>
#include <vector>

#include "gui/format.hpp"
#include "model/spec/plan_knobs.hpp"
#include "model/spec/spec_json.hpp"

namespace trainplan::gui {
namespace {

QString pct(double part, double whole) { return QString::number(whole > 0 ? 100.0 * part / whole : 0.0, 'f', 0) + "%"; }

QString overhead_reason(const QString& what, const PlanRow& row) {
  const PlanSpec& p = row.job.plan;
  const long long m = row.eval.micro_batches;
  if (what == "pipeline bubble")
    return QStringLiteral("PP %1 with %2 micro-batches per step: fill and drain idle (p−1)/(m+p−1) of the pipeline%3.")
        .arg(p.pp)
        .arg(m)
        .arg(p.schedule == Schedule::kInterleaved ? QStringLiteral(", divided by the %1 virtual stages").arg(p.virtual_stages) : QString());
  if (what == "TP communication")
    return QStringLiteral("TP %1 all-gathers/reduce-scatters activations twice per layer and direction%2.")
        .arg(p.tp)
        .arg(p.tp_comm_overlap ? QString() : QStringLiteral("; TP communication overlap is off"));
  if (what == "DP communication")
    return QStringLiteral("the gradient reduction over DP %1%2 is not fully hidden behind the backward pass.")
        .arg(p.dp)
        .arg(p.effective_zero() >= 3 ? QStringLiteral(" (ZeRO-3 also gathers parameters)") : QString());
  if (what == "recomputation")
    return QStringLiteral("%1 recompute repeats forward work in the backward pass to save activation memory.")
        .arg(recompute_name(p.recompute));
  if (what == "PP communication") return QStringLiteral("activations and gradients sent between %1 pipeline stages.").arg(p.pp);
  if (what == "offload") return QStringLiteral("optimizer or parameter state moved over PCIe to host memory or NVMe.");
  if (what == "optimizer") return QStringLiteral("the optimizer step is memory bound on the GPU.");
  return QString();
}

}  // namespace

QString explanation_html(const PlanOutcome& outcome, const PlanRow& row) {
  const Evaluation& e = row.eval;
  const double step = e.step_time / s(1);
  QString h;
  h += QStringLiteral("<h3 style='margin:0'>%1</h3>").arg(plan_summary(row.job.plan).toHtmlEscaped());
  h += QStringLiteral("<p style='margin-top:4px'>%1 GPUs · global batch %2 × %3 tokens · %4 micro-batches per replica</p>")
           .arg(e.gpus)
           .arg(row.job.training.global_batch)
           .arg(row.job.training.sequence_length)
           .arg(e.micro_batches);
  if (!e.feasible) {
    h += QStringLiteral("<p style='color:#b03030'><b>Infeasible:</b><br>");
    for (const auto& why : e.reasons) h += QString::fromStdString(why.detail).toHtmlEscaped() + "<br>";
    h += "</p>";
  }
  h += QStringLiteral("<p><b>%1 s</b> per step · <b>%2</b> tokens/s (%3 per GPU) · MFU <b>%4%</b> · HFU %5% · %6 model TFLOP/s per GPU</p>")
           .arg(step, 0, 'f', 2)
           .arg(si_number(e.tokens_per_s))
           .arg(e.tokens_per_s_per_gpu, 0, 'f', 0)
           .arg(e.mfu_pct, 0, 'f', 1)
           .arg(e.hfu_pct, 0, 'f', 1)
           .arg(e.model_tflops_per_gpu, 0, 'f', 0);

  if (row.has_band)
    h += QStringLiteral("<p><b>Trust.</b> 80% band: %1 – %2 tokens/s, %3 – %4 s a step (%5).")
             .arg(si_number(row.band.tokens_lo), si_number(row.band.tokens_hi))
             .arg(row.band.step_lo, 0, 'f', 2)
             .arg(row.band.step_hi, 0, 'f', 2)
             .arg(QString::fromStdString(row.band.basis).toHtmlEscaped());
  else
    h += QStringLiteral("<p><b>Trust.</b> No band: no uncertainty data, or the plan does not run.");
  if (row.extrapolation.empty()) {
    h += QStringLiteral(" Inside the validated envelope.</p>");
  } else {
    h += QStringLiteral(" <span style='color:#c06a00'>Outside the validated envelope:</span><br>");
    for (const auto& f : row.extrapolation) h += QStringLiteral("• ") + QString::fromStdString(f).toHtmlEscaped() + "<br>";
    h += "</p>";
  }

  if (e.feasible) {
    const Goodput& g = row.goodput;
    h += QStringLiteral(
             "<p><b>Goodput.</b> %1% of wall time trains: %2 failures a day (MTBF %3 h), a %4 TB checkpoint every %5 s "
             "(%6 s stall), %7 s to recover. Lost: checkpoints %8%, work since the last checkpoint %9%, recovery %10%. "
             "The cost column includes it.</p>")
             .arg(100 * g.fraction, 0, 'f', 1)
             .arg(g.failures_per_day, 0, 'f', 2)
             .arg(g.mtbf.si() / 3600, 0, 'f', 1)
             .arg(g.checkpoint_bytes / 1e12, 0, 'f', 2)
             .arg(g.interval.si(), 0, 'f', 0)
             .arg(g.checkpoint_stall.si(), 0, 'f', 1)
             .arg(g.recovery.si(), 0, 'f', 0)
             .arg(100 * g.checkpoint_share, 0, 'f', 2)
             .arg(100 * g.lost_work_share, 0, 'f', 2)
             .arg(100 * g.recovery_share, 0, 'f', 2);
  }

  const TimeBreakdown& b = e.breakdown;
  std::vector<std::pair<QString, double>> overheads = {
      {"recomputation", b.recompute / s(1)}, {"TP communication", b.tp_comm / s(1)}, {"CP communication", b.cp_comm / s(1)},
      {"EP all-to-all", b.ep_comm / s(1)},   {"PP communication", b.pp_comm / s(1)}, {"DP communication", b.dp_comm / s(1)},
      {"pipeline bubble", b.bubble / s(1)},  {"optimizer", b.optimizer / s(1)},      {"offload", b.offload / s(1)}};
  std::sort(overheads.begin(), overheads.end(), [](const auto& x, const auto& y) { return x.second > y.second; });
  h += QStringLiteral("<p><b>Time.</b> Compute is %1 of the step.").arg(pct(b.compute / s(1), step));
  if (!overheads.empty() && overheads.front().second > 0) {
    const auto& [what, t] = overheads.front();
    h += QStringLiteral(" The largest overhead is the %1 (%2): %3").arg(what, pct(t, step), overhead_reason(what, row));
    if (overheads.size() > 1 && overheads[1].second > 0)
      h += QStringLiteral(" Next: %1 (%2).").arg(overheads[1].first, pct(overheads[1].second, step));
  }
  h += "</p>";

  const StageMemory& peak = e.stage(e.peak_stage);
  const double cap = row.job.cluster.node.gpu.memory / GiB(1);
  std::vector<std::pair<QString, double>> mem = {{"weights", peak.weights / GiB(1)},           {"gradients", peak.gradients / GiB(1)},
                                                 {"optimizer state", peak.optimizer / GiB(1)}, {"activations", peak.activations / GiB(1)},
                                                 {"buffers", peak.comm_buffers / GiB(1)},      {"framework", peak.framework / GiB(1)}};
  std::sort(mem.begin(), mem.end(), [](const auto& x, const auto& y) { return x.second > y.second; });
  h += QStringLiteral("<p><b>Memory.</b> Stage %1 is the fullest: %2 of %3 GiB (%4 GiB free); %5 take %6 GiB and %7 %8 GiB.</p>")
           .arg(e.peak_stage)
           .arg(e.peak_memory / GiB(1), 0, 'f', 1)
           .arg(cap, 0, 'f', 0)
           .arg(row.headroom_gib, 0, 'f', 1)
           .arg(mem[0].first)
           .arg(mem[0].second, 0, 'f', 1)
           .arg(mem[1].first)
           .arg(mem[1].second, 0, 'f', 1);

  if (outcome.kind == SpecKind::kProblem) {
    h += QStringLiteral("<p><b>Search.</b> %1 plans evaluated, %2 feasible%3.")
             .arg(outcome.evaluated)
             .arg(outcome.feasible)
             .arg(outcome.complete ? QString() : QStringLiteral(" (stopped early: the ranking covers what was evaluated)"));
    if (!outcome.infeasible_by_reason.empty()) {
      QStringList parts;
      for (const auto& [reason, n] : outcome.infeasible_by_reason)
        parts << QStringLiteral("%1 %2").arg(n).arg(QString::fromStdString(reason));
      h += QStringLiteral(" Rejected: %1.").arg(parts.join(", "));
    }
    h += QStringLiteral(" This plan is %1%2.</p>")
             .arg(row.rank > 0 ? QStringLiteral("#%1 by the objective").arg(row.rank) : QStringLiteral("outside the top list"))
             .arg(row.pareto ? QStringLiteral(" and on the Pareto front") : QString());
  }
  const Json& why = outcome.why_winner;
  if (why.is_object() && why.contains("summary") && why["summary"].is_string()) {
    h += QStringLiteral("<p><b>Why #1 wins.</b> %1.").arg(QString::fromStdString(why["summary"].get<std::string>()).toHtmlEscaped());
    if (why.contains("runner_up") && why["runner_up"].contains("knobs")) {
      QStringList effects;
      for (const Json& k : why["runner_up"]["knobs"]) {
        const Json& eff = k.value("effect_alone", Json::object());
        QString text =
            QStringLiteral("%1 %2→%3: ")
                .arg(QString::fromStdString(k.value("knob", std::string())), QString::fromStdString(k.value("winner", Json()).dump()),
                     QString::fromStdString(k.value("runner_up", Json()).dump()));
        if (eff.contains("tokens_per_s_change_pct"))
          text += QStringLiteral("%1% tokens/s").arg(eff["tokens_per_s_change_pct"].get<double>(), 0, 'f', 2);
        else
          text += QString::fromStdString(eff.value("alone", std::string("—")));
        effects << text.toHtmlEscaped();
      }
      if (!effects.isEmpty()) h += QStringLiteral(" Each of the runner-up's knobs alone: ") + effects.join("; ") + ".";
    }
    h += "</p>";
  }
  h += QStringLiteral("<p style='color:#707a86'>Evaluator: %1 · calibration: %2</p>")
           .arg(QString::fromStdString(outcome.evaluator), QString::fromStdString(outcome.cal.source).toHtmlEscaped());
  return h;
}

QString comparison_html(const std::vector<const PlanRow*>& rows) {
  QString h = QStringLiteral("<h3>%1 plans side by side</h3><table cellspacing=0 cellpadding=3 border=1><tr><th></th>").arg(rows.size());
  for (const PlanRow* r : rows)
    h += QStringLiteral("<th>%1</th>").arg(r->rank > 0 ? QStringLiteral("#%1").arg(r->rank) : QStringLiteral("front"));
  h += QStringLiteral("</tr>");
  auto line = [&](const QString& name, auto&& cell, bool differ) {
    h += QStringLiteral("<tr><td>%1%2</td>").arg(differ ? QStringLiteral("<b>≠</b> ") : QString(), name.toHtmlEscaped());
    for (const PlanRow* r : rows) h += QStringLiteral("<td align=right>%1</td>").arg(cell(*r).toHtmlEscaped());
    h += QStringLiteral("</tr>");
  };
  line(
      QStringLiteral("tokens/s"), [](const PlanRow& r) { return si_number(r.eval.tokens_per_s); }, false);
  line(
      QStringLiteral("80 % band"),
      [](const PlanRow& r) {
        return r.has_band ? si_number(r.band.tokens_lo) + QStringLiteral("–") + si_number(r.band.tokens_hi) : QStringLiteral("–");
      },
      false);
  line(
      QStringLiteral("step time"), [](const PlanRow& r) { return seconds_text(r.eval.step_time / s(1)); }, false);
  line(
      QStringLiteral("MFU %"), [](const PlanRow& r) { return QString::number(r.eval.mfu_pct, 'f', 1); }, false);
  line(
      QStringLiteral("GPUs"), [](const PlanRow& r) { return grouped(r.eval.gpus); }, false);
  line(
      QStringLiteral("peak memory GiB"), [](const PlanRow& r) { return QString::number(r.eval.peak_memory / GiB(1), 'f', 1); }, false);
  line(
      QStringLiteral("$ per M tokens"),
      [](const PlanRow& r) { return r.usd_per_mtok > 0 ? QString::number(r.usd_per_mtok, 'f', 3) : QStringLiteral("–"); }, false);
  line(
      QStringLiteral("extrapolation flags"), [](const PlanRow& r) { return QString::number(r.extrapolation.size()); }, false);
  // Every knob as the job JSON writes it (model/spec/plan_knobs.hpp), those that differ first.
  std::vector<std::pair<const KnobDecl*, bool>> knobs;
  for (const KnobDecl& k : kPlanKnobs) {
    bool differ = false;
    for (const PlanRow* r : rows) differ = differ || k.get(r->job.plan) != k.get(rows.front()->job.plan);
    knobs.emplace_back(&k, differ);
  }
  std::stable_partition(knobs.begin(), knobs.end(), [](const auto& k) { return k.second; });
  for (const auto& [k, differ] : knobs)
    line(
        QString::fromUtf8(k->name.data(), static_cast<int>(k->name.size())),
        [k = k](const PlanRow& r) { return QString::fromStdString(knob_json(*k, r.job.plan).dump()); }, differ);
  return h + QStringLiteral("</table>");
}

}  // namespace trainplan::gui
