// trainplan-gui [--screenshot FILE] [SPEC]: the composition root of the Qt explorer.
//
// With --screenshot the window loads SPEC (default: the Llama 3 70B plan problem), runs the
// prediction or the search synchronously, renders itself to FILE (PNG) and exits; it sets
// QT_QPA_PLATFORM=offscreen itself when no display is available.
#include <QApplication>
#include <QCommandLineParser>
#include <QEventLoop>
#include <QFont>
#include <QPixmap>
#include <QStyle>
#include <QStyleFactory>
#include <QTimer>
#include <cstdlib>
#include <iostream>

#include "gui/main_window.hpp"

namespace {

bool has_display() {
  const char* x = std::getenv("DISPLAY");
  const char* w = std::getenv("WAYLAND_DISPLAY");
  return (x && *x) || (w && *w);
}

bool wants_screenshot(int argc, char** argv) {
  for (int i = 1; i < argc; ++i)
    if (std::string_view(argv[i]) == "--screenshot" || std::string_view(argv[i]).starts_with("--screenshot=")) return true;
  return false;
}

void style_application(QApplication& app) {
  app.setStyle(QStyleFactory::create(QStringLiteral("Fusion")));
  QFont font(QStringLiteral("DejaVu Sans"));
  font.setPointSizeF(9.5);
  app.setFont(font);
  QPalette pal = app.style()->standardPalette();
  pal.setColor(QPalette::Highlight, QColor(0x1f, 0x6f, 0xd1));
  pal.setColor(QPalette::AlternateBase, QColor(0xf3, 0xf6, 0xfa));
  app.setPalette(pal);
}

}  // namespace

int main(int argc, char** argv) {
  if (wants_screenshot(argc, argv) && !has_display() && !std::getenv("QT_QPA_PLATFORM")) setenv("QT_QPA_PLATFORM", "offscreen", 1);
  QApplication app(argc, argv);
  QApplication::setApplicationName(QStringLiteral("trainplan-gui"));
  QApplication::setApplicationVersion(QStringLiteral(TRAINPLAN_VERSION));
  style_application(app);

  QCommandLineParser parser;
  parser.setApplicationDescription(
      QStringLiteral("The trainplan explorer: plans, Pareto front, time and memory per stage, step timeline."));
  parser.addHelpOption();
  parser.addVersionOption();
  QCommandLineOption screenshot(QStringLiteral("screenshot"), QStringLiteral("Render the window with SPEC loaded to FILE (PNG) and exit."),
                                QStringLiteral("FILE"));
  QCommandLineOption size(QStringLiteral("size"), QStringLiteral("Window size for --screenshot (default 1680x1050)."),
                          QStringLiteral("WxH"), QStringLiteral("1680x1050"));
  parser.addOption(screenshot);
  parser.addOption(size);
  parser.addPositionalArgument(QStringLiteral("SPEC"), QStringLiteral("A job or plan problem (JSON) to open."), QStringLiteral("[SPEC]"));
  parser.process(app);

  const trainplan::Catalog catalog = trainplan::Catalog::from_default_dir();
  const QStringList args = parser.positionalArguments();
  if (args.size() > 1) {
    std::cerr << "trainplan-gui: expected at most one SPEC (got " << args.size() << ")\n";
    return 2;
  }

  if (parser.isSet(screenshot)) {
    const QString spec = args.isEmpty() ? QStringLiteral(TRAINPLAN_GUI_DEFAULT_SPEC) : args.front();
    trainplan::gui::MainWindow window(catalog, {.interactive = false});
    // WxH, each side 320-8192 pixels: 100000x100000 once crashed allocating the pixmap, 0x0 was
    // silently replaced by the default.
    const QStringList wh = parser.value(size).split('x');
    bool ok_w = false, ok_h = false;
    const int w = wh.size() == 2 ? wh[0].toInt(&ok_w) : 0, h = wh.size() == 2 ? wh[1].toInt(&ok_h) : 0;
    constexpr int kMinSide = 320, kMaxSide = 8192;
    if (!ok_w || !ok_h || w < kMinSide || h < kMinSide || w > kMaxSide || h > kMaxSide) {
      std::cerr << "trainplan-gui: --size: expected WxH with each side " << kMinSide << "-" << kMaxSide << " pixels (got \""
                << parser.value(size).toStdString() << "\")\n";
      return 2;
    }
    window.resize(w, h);
    window.show();
    if (!window.open_spec(spec)) return 2;
    if (!window.run_now()) return 1;
    // Show the pipeline at work: the best plan with more than one stage, when the top list has one.
    const auto& rows = window.outcome()->rows;
    for (int i = 0; i < static_cast<int>(rows.size()) && i < 10; ++i)
      if (rows[static_cast<size_t>(i)].job.plan.pp > 1) {
        window.select_plan(i);
        break;
      }
    // Let the charts lay themselves out (Qt Charts does it on posted events) before rendering.
    QEventLoop settle;
    QTimer::singleShot(300, &settle, &QEventLoop::quit);
    settle.exec();
    const QPixmap shot = window.grab();
    if (!shot.save(parser.value(screenshot), "PNG")) {
      std::cerr << "trainplan-gui: cannot write " << parser.value(screenshot).toStdString() << "\n";
      return 2;
    }
    return 0;
  }

  trainplan::gui::MainWindow window(catalog, {});
  window.resize(1600, 1000);
  window.restore_geometry();
  window.show();
  // The spec given, else the last session's.
  const QString spec = !args.isEmpty() ? args.front() : window.last_session_spec();
  if (!spec.isEmpty()) {
    QTimer::singleShot(0, &window, [&window, spec] {
      if (window.open_spec(spec)) window.run();
    });
  }
  return app.exec();
}
