// What the explorer remembers between runs: the recently opened specs (File → Open recent), the spec
// and window geometry of the last session. Kept in QSettings: the user's "trainplan/trainplan-gui"
// settings, or an INI file given to it (tests, and --settings).
//
//   Session s(QString());  s.add_recent(path);  QStringList r = s.recent();
#pragma once

#include <QByteArray>
#include <QString>
#include <QStringList>
#include <memory>

class QSettings;

namespace trainplan::gui {

class Session {
 public:
  static constexpr int kRecent = 8;
  // file: an INI file, or empty for the user's settings.
  explicit Session(const QString& file);
  ~Session();

  // Most recent first, without duplicates, existing files only.
  [[nodiscard]] QStringList recent() const;
  void add_recent(const QString& path);
  [[nodiscard]] QString last_spec() const;
  void set_last_spec(const QString& path);
  [[nodiscard]] QByteArray geometry() const;
  void set_geometry(const QByteArray& g);

 private:
  std::unique_ptr<QSettings> settings_;
};

}  // namespace trainplan::gui
