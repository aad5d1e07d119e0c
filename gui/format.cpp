#include "gui/format.hpp"

#include <QLocale>
#include <QStringList>
#include <algorithm>
#include <cmath>

namespace trainplan::gui {

QString plan_summary(const PlanSpec& p) {
  QStringList parts;
  parts << QStringLiteral("TP%1%2").arg(p.tp).arg(p.sequence_parallel ? QStringLiteral("+SP") : QString());
  if (p.pp > 1) {
    QString s = QStringLiteral("PP%1").arg(p.pp);
    if (p.schedule == Schedule::kInterleaved) s += QStringLiteral(" v%1").arg(p.virtual_stages);
    if (p.schedule == Schedule::kZeroBubble) s += QStringLiteral(" ZB");
    if (p.schedule == Schedule::kGpipe) s += QStringLiteral(" GPipe");
    parts << s;
  }
  parts << QStringLiteral("DP%1").arg(p.dp);
  if (p.cp > 1) parts << QStringLiteral("CP%1").arg(p.cp);
  if (p.ep > 1) parts << QStringLiteral("EP%1").arg(p.ep);
  if (p.fsdp != Fsdp::kNone)
    parts << QString::fromUtf8(fsdp_name(p.fsdp));
  else if (p.zero > 0)
    parts << QStringLiteral("ZeRO-%1").arg(p.zero);
  if (p.recompute == Recompute::kSelective) parts << QStringLiteral("sel. recomp");
  if (p.recompute == Recompute::kFull) parts << QStringLiteral("full recomp");
  if (p.optimizer_offload.device != OffloadDevice::kNone)
    parts << QStringLiteral("opt→%1").arg(QString::fromUtf8(offload_device_name(p.optimizer_offload.device)));
  if (p.param_offload.device != OffloadDevice::kNone)
    parts << QStringLiteral("param→%1").arg(QString::fromUtf8(offload_device_name(p.param_offload.device)));
  if (p.activation_offload.device != OffloadDevice::kNone)
    parts << QStringLiteral("act→%1").arg(QString::fromUtf8(offload_device_name(p.activation_offload.device)));
  parts << QStringLiteral("mb%1").arg(p.micro_batch);
  return parts.join(QStringLiteral(" · "));
}

QString si_number(double v, int digits) {
  // Fixed notation with `digits` significant digits under the largest prefix the value reaches
  // ('g' printed 9040 as "9.04e+03").
  struct Prefix {
    double scale;
    const char* text;
  };
  static constexpr Prefix kPrefixes[] = {{1e12, " T"}, {1e9, " G"}, {1e6, " M"}, {1e3, " k"}, {1, ""}};
  const double a = std::fabs(v);
  for (const Prefix& p : kPrefixes) {
    if (a < p.scale && p.scale > 1) continue;
    const double x = v / p.scale;
    const int whole = std::fabs(x) < 1 ? 1 : static_cast<int>(std::floor(std::log10(std::fabs(x)))) + 1;
    return QString::number(x, 'f', std::max(0, digits - whole)) + QString::fromUtf8(p.text);
  }
  return QString::number(v);
}

QString grouped(long long v) {
  QLocale locale;
  locale.setNumberOptions(QLocale::DefaultNumberOptions);  // the C locale omits group separators by default
  return locale.toString(v);
}

QString spec_heading(const ModelSpec& m, const ClusterSpec& c, const TrainingSpec& t, bool job) {
  QStringList parts;
  parts << QString::fromStdString(m.name.empty() ? m.key : m.name);
  parts << QStringLiteral("%1 × %2").arg(c.gpus()).arg(QString::fromStdString(c.node.gpu.name.empty() ? c.node.gpu.key : c.node.gpu.name));
  parts << QString::fromUtf8(precision_name(t.precision));
  if (t.framework != Framework::kUnstated) parts << QString::fromUtf8(framework_name(t.framework));
  parts << (job ? QStringLiteral("job") : QStringLiteral("plan problem (up to these GPUs)"));
  return parts.join(QStringLiteral(" · "));
}

QString seconds_text(double s) {
  if (s >= 1) return QString::number(s, 'f', 2) + QStringLiteral(" s");
  if (s >= 1e-3) return QString::number(s * 1e3, 'f', 1) + QStringLiteral(" ms");
  return QString::number(s * 1e6, 'f', 0) + QStringLiteral(" µs");
}

}  // namespace trainplan::gui
