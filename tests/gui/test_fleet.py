"""The History and "This computer" windows over a real history store and a home and root laid out as programs do."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from databorder.gui.fleet import ComputerWindow, HistoryWindow
from databorder.gui.mainwindow import MainWindow
from databorder.history import HistoryStore, history_path, record
from tests.helpers.assessments import varied_assessment
from tests.helpers.installs import plant

pytestmark = pytest.mark.gui


def test_the_history_window_lists_kept_assessments_says_what_changed_and_opens_one(
    qtbot: QtBot, window: MainWindow
) -> None:
    window.open_history()
    qtbot.waitUntil(lambda: window.history_window.summary.text() == "No assessment is kept yet.", timeout=5000)
    assert not history_path().exists()
    old = varied_assessment(8)
    record(old)
    record(dataclasses.replace(old, endpoints=old.endpoints[:6], created="2026-12-02T10:00:00+00:00"))
    window.open_history()  # again: it reads the history anew
    history = window.history_window
    assert isinstance(history, HistoryWindow)
    qtbot.waitUntil(lambda: history.model.rowCount() == 2, timeout=5000)
    assert history.summary.text() == "2 assessments kept on this computer"
    assert history.model.item(0, 0).text() == "2"  # newest first
    history.select_row(0)
    qtbot.waitUntil(lambda: history.selected is not None, timeout=5000)
    text = history.changes.toPlainText()
    assert "What changed since #1" in text and "endpoints gone (2)" in text
    qtbot.mouseClick(history.open_button, Qt.MouseButton.LeftButton)
    assert window.assessment is not None and len(window.assessment.endpoints) == 6
    assert window.pages.currentWidget() is window.results
    assert window.results.changes.isVisibleTo(window.results)  # the result view says it too
    assert window.results.changes.text().startswith("What changed since #1 (") and "endpoints gone (2)" in (
        window.results.changes.text()
    )
    history.select_row(1)  # the first one: nothing to compare with
    qtbot.waitUntil(lambda: history.selected is not None and history.selected.changes_since is None, timeout=5000)
    qtbot.mouseClick(history.open_button, Qt.MouseButton.LeftButton)
    assert not window.results.changes.isVisibleTo(window.results)


def test_this_computer_finds_the_apps_and_assesses_each_into_the_history(
    qtbot: QtBot, window: MainWindow, tmp_path: Path
) -> None:
    home, root = tmp_path / "home", tmp_path / "root"
    plant(home, root)
    (root / "usr/local/lib/node_modules/@anthropic-ai/claude-code/cli.js").write_text(
        'fetch("https://api.anthropic.com/v1/messages")\n', encoding="utf-8"
    )
    window.open_computer()
    computer = window.computer_window
    assert isinstance(computer, ComputerWindow)
    computer.find_apps(home=home, root=root)
    qtbot.waitUntil(lambda: computer.model.rowCount() > 0 and computer.find_button.isEnabled(), timeout=10_000)
    assert computer.status.text() == "12 known AI apps and 11 unknown ones."
    apps = {computer.model.item(r, 0).text() for r in range(computer.model.rowCount())}
    assert {"claude-code", "github-copilot", "qwen", "unknown"} <= apps
    qtbot.mouseClick(computer.assess_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(computer.assessed), timeout=60_000)
    row = next(r for r in range(computer.model.rowCount()) if computer.model.item(r, 0).text() == "claude-code")
    verdict = computer.model.item(row, ComputerWindow.VERDICT).text()
    assert verdict.split()[0] in ("allow", "review") and "(#" in verdict
    with HistoryStore() as store:
        assert store.count() == sum(r.assessment is not None for r in computer.assessed) > 0
    assert "apps assessed; each is kept in the history" in computer.status.text()
