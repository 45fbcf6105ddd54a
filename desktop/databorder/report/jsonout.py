"""Saved assessments: written atomically as canonical JSON, and read back with a sentence if they cannot be."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

from databorder.errors import DataBorderError
from databorder.model import Assessment


def write_json(assessment: Assessment, path: Path) -> None:
    """Write ``assessment`` to ``path`` (``-`` = stdout); an interrupted write never leaves half a file behind."""
    text = assessment.to_json() + "\n"
    if str(path) == "-":
        sys.stdout.write(text)
        return
    try:
        folder = path.parent if str(path.parent) else Path(".")
        with tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=folder, delete=False, suffix=".tmp") as tmp:
            tmp.write(text)
        os.replace(tmp.name, path)
    except OSError as exc:
        raise DataBorderError(f"{path}: cannot write the assessment JSON: {exc.strerror or exc}") from None


def read_json(path: Path) -> Assessment:
    """A saved assessment; raises :class:`DataBorderError` naming the file if it is not one."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise DataBorderError(f"{path}: cannot be read: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise DataBorderError(f"{path}: is not a DataBorder assessment (not UTF-8 text)") from None
    try:
        return Assessment.from_json(text)
    except (ValueError, TypeError, KeyError) as exc:
        raise DataBorderError(f"{path}: is not a DataBorder assessment ({exc})") from None
