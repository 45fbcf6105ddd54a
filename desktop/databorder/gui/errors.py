"""Errors as a person sees them: a dialog with one sentence and a "Details" expander; the traceback goes to the log."""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox, QWidget

from databorder.errors import DataBorderError

log = logging.getLogger(__name__)


def describe(exc: BaseException, *, doing: str, log_file: Path | None) -> tuple[str, str]:
    """The sentence and the details for an error met while ``doing`` something (e.g. "assessing")."""
    where = f"The log file has the details: {log_file}" if log_file else "Run with --verbose for details."
    if isinstance(exc, DataBorderError):
        return f"DataBorder could not finish {doing}.", f"{exc}\n\n{where}"
    if isinstance(exc, MemoryError):
        return f"DataBorder ran out of memory while {doing}.", where
    if isinstance(exc, OSError):
        return f"A file could not be used while {doing}.", f"{exc.strerror or exc}: {exc.filename or ''}\n\n{where}"
    log.error("internal error while %s", doing, exc_info=exc)
    return (
        f"Something went wrong inside DataBorder while {doing} (a bug). Nothing you had open was lost.",
        f"{type(exc).__name__}: {exc}\n\n{where}",
    )


def show_error(parent: QWidget | None, exc: BaseException, *, doing: str, log_file: Path | None) -> QMessageBox:
    """Show the error dialog (non-blocking) and return it; the message names the problem in the user's terms."""
    sentence, details = describe(exc, doing=doing, log_file=log_file)
    if isinstance(exc, DataBorderError):
        log.info("refused while %s: %s", doing, exc)
        sentence = f"{sentence}\n\n{exc}"
    box = QMessageBox(parent)
    box.setObjectName("errorDialog")
    box.setIcon(QMessageBox.Icon.Warning)
    box.setWindowTitle("DataBorder")
    box.setText(sentence)
    box.setDetailedText(details)
    box.setStandardButtons(QMessageBox.StandardButton.Ok)
    box.setAccessibleName("Error")
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)  # a dismissed dialog is gone, not kept hidden for ever
    box.open()
    return box
