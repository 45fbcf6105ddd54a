from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from databorder.catalog import load_catalog
from databorder.collect.live import WatchedProcess
from databorder.collect.targets import TargetRequest
from databorder.gui.picker import PackChoice, ProcessDialog, TargetPicker

pytestmark = pytest.mark.gui


@pytest.fixture
def picker(qtbot: QtBot) -> TargetPicker:
    widget = TargetPicker()
    qtbot.addWidget(widget)
    widget.show_catalog(load_catalog())
    return widget


def test_the_catalog_searches_name_vendor_and_jurisdiction(picker: TargetPicker) -> None:
    total = picker.filtered.rowCount()
    assert total >= 20
    picker.search.setText("openai")
    found = {picker.filtered.index(r, 0).data() for r in range(picker.filtered.rowCount())}
    assert "ChatGPT" in found and len(found) < total
    picker.search.setText("CN")
    jurisdictions = {picker.filtered.index(r, 2).data() for r in range(picker.filtered.rowCount())}
    assert "CN" in jurisdictions


def test_assess_emits_the_chosen_target_with_the_ticked_packs(qtbot: QtBot, picker: TargetPicker) -> None:
    picker.show_packs(
        [
            PackChoice("us-countries-of-concern", "US", "shipped", checked=True),
            PackChoice("org-baseline", "Org", "system", locked=True),
            PackChoice("eu-gdpr-transfers", "EU", "shipped"),
        ],
        note="Packs marked as required are managed by your organisation.",
    )
    assert not picker.assess_button.isEnabled()
    locked = picker.pack_box("org-baseline")
    assert locked.isChecked() and not locked.isEnabled() and "required by your organisation" in locked.text()
    picker.select_app("deepseek")
    with qtbot.waitSignal(picker.assess_requested) as blocker:
        qtbot.mouseClick(picker.assess_button, Qt.MouseButton.LeftButton)
    assert blocker.args == [TargetRequest(apps=("deepseek",)), ("us-countries-of-concern", "org-baseline")]


def test_a_dropped_capture_is_imported_and_a_folder_scanned(picker: TargetPicker, tmp_path: Path) -> None:
    har = tmp_path / "session.har"
    har.write_text("{}", encoding="utf-8")
    picker.choose_path(har)
    assert picker.request == TargetRequest(captures=(har,))
    assert "import capture" in picker.chosen.text()
    picker.choose_path(tmp_path)
    assert picker.request == TargetRequest(paths=(tmp_path,))


def test_the_process_dialog_searches_and_builds_a_watch_request(qtbot: QtBot) -> None:
    dialog = ProcessDialog([WatchedProcess(10, "bash"), WatchedProcess(4242, "claude"), WatchedProcess(77, "ollama")])
    qtbot.addWidget(dialog)
    assert dialog.chosen() is None
    dialog.search.setText("oll")
    assert dialog.filtered.rowCount() == 1
    dialog.search.clear()
    dialog.select_pid(4242)
    dialog.duration.setValue(5)
    chosen = dialog.chosen()
    assert chosen is not None
    assert chosen[0] == TargetRequest(pids=(4242,), duration=5.0)
    assert "claude (pid 4242)" in chosen[1]
