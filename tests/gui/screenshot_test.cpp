// `trainplan-gui --screenshot FILE [SPEC]` renders the window with the spec loaded and exits 0;
// the PNG must not be blank: a real window with charts has many distinct colours.
#include <QImage>
#include <QProcess>
#include <QSet>
#include <QTemporaryDir>
#include <QtTest>

class ScreenshotTest : public QObject {
  Q_OBJECT

 private:
  static QImage render(const QStringList& extra) {
    QTemporaryDir dir;
    const QString png = dir.filePath(QStringLiteral("shot.png"));
    QProcess gui;
    gui.start(QStringLiteral(TRAINPLAN_GUI_EXE), QStringList{QStringLiteral("--screenshot"), png} + extra);
    if (!gui.waitForFinished(120000)) return {};
    if (gui.exitStatus() != QProcess::NormalExit || gui.exitCode() != 0) {
      qWarning() << gui.readAllStandardError();
      return {};
    }
    return QImage(png);
  }

  static int distinct_colours(const QImage& img) {
    QSet<QRgb> colours;
    for (int y = 0; y < img.height(); y += 2)
      for (int x = 0; x < img.width(); x += 2) colours.insert(img.pixel(x, y));
    return static_cast<int>(colours.size());
  }

 private slots:
  void default_plan_problem_renders_a_populated_window() {
    const QImage img = render({});
    QVERIFY2(!img.isNull(), "no PNG written");
    QCOMPARE(img.size(), QSize(1680, 1050));
    const int n = distinct_colours(img);
    qInfo() << "distinct colours:" << n;
    QVERIFY2(n > 300, "the screenshot looks blank");
  }

  void job_renders_too() {
    const QImage img =
        render({QStringLiteral("--size"), QStringLiteral("1280x800"), QStringLiteral(CONFIG_DIR "/examples/gpt3-175b-a100-1024.json")});
    QVERIFY(!img.isNull());
    QCOMPARE(img.size(), QSize(1280, 800));
    QVERIFY(distinct_colours(img) > 300);
  }

  // Issue 18 item 8: sizes out of range are refused with exit 2 and a message, never a crash.
  void bad_size_exits_2_with_the_range() {
    for (const char* bad : {"100000x100000", "0x0", "12x", "axb"}) {
      QTemporaryDir dir;
      QProcess gui;
      gui.start(QStringLiteral(TRAINPLAN_GUI_EXE), {QStringLiteral("--screenshot"), dir.filePath(QStringLiteral("x.png")),
                                                    QStringLiteral("--size"), QString::fromLatin1(bad)});
      QVERIFY(gui.waitForFinished(60000));
      QCOMPARE(gui.exitStatus(), QProcess::NormalExit);
      QCOMPARE(gui.exitCode(), 2);
      const QString err = QString::fromUtf8(gui.readAllStandardError());
      QVERIFY2(err.contains(QStringLiteral("--size: expected WxH with each side 320-8192 pixels")), qPrintable(err));
    }
  }

  void bad_spec_exits_2_without_crashing() {
    QTemporaryDir dir;
    const QString bad = dir.filePath(QStringLiteral("bad.json"));
    QFile f(bad);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write(R"({"model": "llama3-8b", "cluster": {"base": "dgx-h100-superpod", "nodes": 1},
               "training": {"global_batch": 8, "sequence_length": 2048, "precision": "bf17"}})");
    f.close();
    QProcess gui;
    gui.start(QStringLiteral(TRAINPLAN_GUI_EXE), {QStringLiteral("--screenshot"), dir.filePath(QStringLiteral("x.png")), bad});
    QVERIFY(gui.waitForFinished(60000));
    QCOMPARE(gui.exitStatus(), QProcess::NormalExit);
    QCOMPARE(gui.exitCode(), 2);
    const QString err = QString::fromUtf8(gui.readAllStandardError());
    QVERIFY2(err.contains(QStringLiteral("bad.json:/training/precision")), qPrintable(err));
  }
};

QTEST_GUILESS_MAIN(ScreenshotTest)
#include "screenshot_test.moc"
