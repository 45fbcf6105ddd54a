"""The entry points: `databorder-gui FILE` opens a saved assessment; `databorder --help` never loads Qt."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from databorder.report.jsonout import write_json
from tests.helpers.assessments import varied_assessment
from tests.helpers.schema import check_assessment

pytestmark = pytest.mark.gui


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args], capture_output=True, text=True, timeout=60,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen", **(env or {})},
    )  # fmt: skip


def test_the_window_shows_and_quits_with_a_saved_assessment(tmp_path: Path) -> None:
    saved = tmp_path / "a.json"
    write_json(varied_assessment(10), saved)
    check_assessment(saved)
    result = run("-m", "databorder.gui.app", str(saved), "--quit-after-show")
    assert result.returncode == 0, result.stderr
    assert "window shown and usable after" in result.stdout
    assert "Traceback" not in result.stderr


def test_the_cli_help_and_assessments_do_not_import_qt() -> None:
    code = "import sys; from databorder.cli import main\ntry:\n main(['--help'])\nexcept SystemExit: pass\n" \
           "print('PySide6' in sys.modules)"  # fmt: skip
    result = run("-c", code)
    assert result.stdout.strip().endswith("False"), result.stdout + result.stderr


def test_databorder_gui_subcommand_is_listed() -> None:
    result = run("-m", "databorder.cli", "--help")
    assert " gui " in result.stdout or "gui" in result.stdout.split("COMMAND")[1]


def test_an_exception_escaping_a_slot_becomes_a_dialog_and_a_log_entry(
    qtbot: QtBot, caplog: pytest.LogCaptureFixture
) -> None:
    from databorder.gui.app import install_error_hook
    from databorder.gui.mainwindow import MainWindow

    window = MainWindow(log_file=None)
    qtbot.addWidget(window)
    previous = sys.excepthook
    try:
        install_error_hook(window)
        try:
            raise ZeroDivisionError("boom")
        except ZeroDivisionError as exc:
            sys.excepthook(type(exc), exc, exc.__traceback__)
    finally:
        sys.excepthook = previous
    assert window.last_error is not None
    assert "a bug" in window.last_error.text() and "Traceback" not in window.last_error.text()
    assert any(record.exc_info for record in caplog.records)
