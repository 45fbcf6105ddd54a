from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

from databorder.errors import RulePackError
from databorder.gui.errors import describe, show_error

pytestmark = pytest.mark.gui


def test_a_sentence_for_the_person_and_details_without_a_traceback(qtbot: QtBot) -> None:
    box = show_error(None, RulePackError("packs/x.toml", "'severity' must be one of info, review, prohibit", line=7),
                     doing="assessing", log_file=Path("databorder.log"))  # fmt: skip
    qtbot.addWidget(box)
    assert isinstance(box, QMessageBox)
    assert "could not finish assessing" in box.text()
    assert "packs/x.toml, line 7" in box.text()
    assert "databorder.log" in box.detailedText()
    assert "Traceback" not in box.text() + box.detailedText()


@pytest.mark.parametrize(
    ("exc", "words"),
    [
        (ZeroDivisionError("division by zero"), "a bug"),
        (MemoryError(), "out of memory"),
        (PermissionError(13, "Permission denied", "/x/y"), "could not be used"),
    ],
)
def test_unexpected_errors_are_described_too(exc: BaseException, words: str) -> None:
    sentence, details = describe(exc, doing="exporting", log_file=None)
    assert words in sentence
    assert "--verbose" in details
