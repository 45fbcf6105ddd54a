"""``databorder-gui [FILE]``: the desktop app's entry point.

A saved assessment given as FILE opens straight into the result view; an app folder, archive or capture is
assessed, so the desktop entry and file managers can hand files to the app.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from databorder.gui.mainwindow import MainWindow


def build_parser() -> argparse.ArgumentParser:
    """The GUI's few command-line arguments."""
    parser = argparse.ArgumentParser(prog="databorder-gui", description="DataBorder, the desktop app.")
    parser.add_argument(
        "file", nargs="?", type=Path, help="a saved assessment (.json) to open, or an app/capture to assess"
    )
    parser.add_argument("--verbose", "-v", action="store_true", help="log details to stderr")
    parser.add_argument(
        "--quit-after-show",
        action="store_true",
        help="print the time to a shown, usable window and quit (for start-up measurements and smoke tests)",
    )
    return parser


def install_error_hook(window: MainWindow) -> None:
    """An exception escaping a slot becomes a dialog (traceback in the log file), never a silent or dead window."""
    import logging

    def hook(kind: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        logging.getLogger("databorder.gui").error("unexpected error", exc_info=(kind, exc, tb))
        if isinstance(exc, KeyboardInterrupt):
            sys.__excepthook__(kind, exc, tb)
            return
        window.report_error(exc, "doing what you asked")

    sys.excepthook = hook


def main(argv: Sequence[str] | None = None) -> int:
    """Start the app; returns its exit code."""
    started = time.perf_counter()
    args = build_parser().parse_args(argv)
    from databorder.logs import setup_logging

    log_file = setup_logging(args.verbose)
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from databorder.gui.mainwindow import MainWindow

    app = QApplication.instance() or QApplication([sys.argv[0]])
    assert isinstance(app, QApplication)
    app.setApplicationName("DataBorder")
    app.setApplicationDisplayName("DataBorder")
    app.setDesktopFileName("databorder")
    from PySide6.QtGui import QIcon

    from databorder.resources import resource_path

    # A PNG (drawn from resources/icons/databorder.svg): PNG support is built into Qt, SVG needs a plugin.
    app.setWindowIcon(QIcon(str(resource_path("icons", "databorder-128.png"))))
    window = MainWindow(log_file=log_file)
    install_error_hook(window)
    window.show()
    if args.file is not None:
        QTimer.singleShot(0, lambda: window.open_path(args.file.resolve()))
    if args.quit_after_show:

        def shown() -> None:
            print(f"window shown and usable after {time.perf_counter() - started:.3f} s", flush=True)
            app.quit()

        QTimer.singleShot(0, shown)  # runs once the event loop has painted the window
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
