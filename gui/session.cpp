#include "gui/session.hpp"

#include <QFileInfo>
#include <QSettings>

namespace trainplan::gui {

Session::Session(const QString& file)
    : settings_(file.isEmpty() ? std::make_unique<QSettings>(QStringLiteral("trainplan"), QStringLiteral("trainplan-gui"))
                               : std::make_unique<QSettings>(file, QSettings::IniFormat)) {}

Session::~Session() = default;

QStringList Session::recent() const {
  QStringList out;
  for (const QString& p : settings_->value(QStringLiteral("recent")).toStringList())
    if (QFileInfo::exists(p) && !out.contains(p)) out << p;
  return out;
}

void Session::add_recent(const QString& path) {
  const QString abs = QFileInfo(path).absoluteFilePath();
  QStringList list = settings_->value(QStringLiteral("recent")).toStringList();
  list.removeAll(abs);
  list.prepend(abs);
  while (list.size() > kRecent) list.removeLast();
  settings_->setValue(QStringLiteral("recent"), list);
}

QString Session::last_spec() const { return settings_->value(QStringLiteral("session/spec")).toString(); }

void Session::set_last_spec(const QString& path) {
  settings_->setValue(QStringLiteral("session/spec"), path.isEmpty() ? QString() : QFileInfo(path).absoluteFilePath());
}

QByteArray Session::geometry() const { return settings_->value(QStringLiteral("session/geometry")).toByteArray(); }

void Session::set_geometry(const QByteArray& g) { settings_->setValue(QStringLiteral("session/geometry"), g); }

}  // namespace trainplan::gui
