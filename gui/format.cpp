#include "gui/format.hpp"

#include <QStringList>
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
  const double a = std::fabs(v);
  if (a >= 1e12) return QString::number(v / 1e12, 'g', digits) + QStringLiteral(" T");
  if (a >= 1e9) return QString::number(v / 1e9, 'g', digits) + QStringLiteral(" G");
  if (a >= 1e6) return QString::number(v / 1e6, 'g', digits) + QStringLiteral(" M");
  if (a >= 1e4) return QString::number(v / 1e3, 'g', digits) + QStringLiteral(" k");
  return QString::number(v, 'g', digits);
}

QString seconds_text(double s) {
  if (s >= 1) return QString::number(s, 'f', 2) + QStringLiteral(" s");
  if (s >= 1e-3) return QString::number(s * 1e3, 'f', 1) + QStringLiteral(" ms");
  return QString::number(s * 1e6, 'f', 0) + QStringLiteral(" µs");
}

}  // namespace trainplan::gui
