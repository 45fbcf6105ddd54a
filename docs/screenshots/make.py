"""Open the desktop app on a fixture assessment and save screenshots of its main states, for a person to look at.

Run under a real X server, not the offscreen platform (it is what users see)::

    xvfb-run -a -s "-screen 0 1280x800x24" python3 docs/screenshots/make.py --out shots/

States: picker, running, result (on the map layer shown first, then the other), detail, a map country filter,
the "Could not attribute" filter, settings, error, about. The assessment is built by code (the same varied fixture
the GUI tests use), so no network or DNS is needed; ``--assessment`` shows a saved one instead (say, a real app's
package assessed with ``databorder assess FOLDER --offline --json OUT``).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))  # tests.helpers: the fixture assessment


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=Path("screenshots"), help="folder for the PNG files")
    parser.add_argument("--endpoints", type=int, default=60, help="endpoints in the fixture assessment")
    parser.add_argument("--assessment", type=Path, help="a saved assessment (JSON) to show instead of the fixture")
    parser.add_argument("--dark", action="store_true", help="ask Qt for the dark colour scheme (Fusion style)")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)

    from PySide6.QtCore import QEventLoop, QTimer
    from PySide6.QtWidgets import QApplication, QWidget
    from tests.helpers.assessments import varied_assessment

    from databorder.collect.targets import TargetRequest
    from databorder.errors import RulePackError
    from databorder.gui.endpoint_model import HOSTING
    from databorder.gui.mainwindow import MainWindow
    from databorder.gui.operations import StageProgress
    from databorder.report.jsonout import read_json

    app = QApplication(sys.argv[:1])
    if args.dark:  # what a dark desktop hands Qt (Xvfb has no platform theme to ask)
        from PySide6.QtGui import QColor, QPalette

        app.setStyle("Fusion")
        dark = QPalette()
        for role, colour in (
            (QPalette.ColorRole.Window, "#2b2b2b"), (QPalette.ColorRole.WindowText, "#e6e6e6"),
            (QPalette.ColorRole.Base, "#1e1e1e"), (QPalette.ColorRole.AlternateBase, "#262626"),
            (QPalette.ColorRole.Text, "#e6e6e6"), (QPalette.ColorRole.Button, "#353535"),
            (QPalette.ColorRole.ButtonText, "#e6e6e6"), (QPalette.ColorRole.Highlight, "#3d7bd9"),
            (QPalette.ColorRole.HighlightedText, "#ffffff"), (QPalette.ColorRole.PlaceholderText, "#9a9a9a"),
        ):  # fmt: skip
            dark.setColor(role, QColor(colour))
        app.setPalette(dark)
    window = MainWindow(log_file=None)
    window.show()

    def settle(ms: int = 300) -> None:
        loop = QEventLoop()
        QTimer.singleShot(ms, loop.quit)
        loop.exec()

    def shot(widget: QWidget, name: str) -> None:
        settle()
        path = args.out / f"{name}.png"
        widget.grab().save(str(path))
        print(path)

    settle(800)  # catalog and packs load after the window shows
    window.picker.search.setText("deep")
    window.picker.select_app("deepseek")
    shot(window, "1-picker")

    window.picker.search.clear()
    window.running.reset("DeepSeek (DeepSeek, CN) from the catalog")
    for progress in (StageProgress("collect", 12, 12), StageProgress("resolve", 7, 12)):
        window.running.show_progress(progress)
    window.pages.setCurrentWidget(window.running)
    shot(window, "2-running")

    assessment = read_json(args.assessment) if args.assessment else varied_assessment(args.endpoints)
    window.show_assessment(assessment)
    if window.last_error is not None:  # an incomplete assessment's notice
        window.last_error.close()
    results = window.results
    first = results.layer
    shot(window, f"3-result-{first}")
    results.layer_button["law" if first == "hosted" else "hosted"].click()
    shot(window, f"3b-result-{results.layer}")
    results.layer_button[first].click()

    proxy = results.proxy
    row = next((r for r in range(proxy.rowCount()) if proxy.index(r, HOSTING).data() == "SG"), min(3, proxy.rowCount()))
    results.table.selectRow(row)
    results.country.setCurrentIndex(0)
    shot(window, "4-detail")

    results.country.setCurrentIndex(max(0, results.country.findData("CN")))
    shot(window, f"5-filtered-by-map-country-{results.layer}")
    results.country.setCurrentIndex(0)
    if results.could_not_attribute.isEnabled():  # some endpoint nobody could attribute
        results.could_not_attribute.setChecked(True)
        shot(window, "5b-could-not-attribute")
        results.could_not_attribute.setChecked(False)

    from databorder.gui.settings import SettingsDialog

    settings = SettingsDialog({}, window.policy, window.geoip_status(), window)
    settings.show()
    shot(settings, "6-settings")
    settings.close()

    window.picker.choose(TargetRequest(hosts=("x.test",)), "x.test")
    window.report_error(
        RulePackError(Path("rules/org.toml"), "'severity' must be one of info, review, prohibit", line=12),
        "preparing the assessment",
    )
    assert window.last_error is not None
    shot(window.last_error, "7-error")
    window.last_error.close()

    from databorder import __version__
    from databorder.gui.settings import AboutDialog, about_html, runtime_versions

    about = AboutDialog(about_html(runtime_versions(__version__), [("country", "embedded", "2026-06-17", "credit")]))
    about.show()
    shot(about, "8-about")
    about.close()
    window.close()
    app.quit()
    return 0


if __name__ == "__main__":
    sys.exit(main())
