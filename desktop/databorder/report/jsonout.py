"""Saved assessments: written atomically as canonical JSON, and read back with a sentence if they cannot be."""

from __future__ import annotations

import sys
from pathlib import Path

from databorder.errors import DataBorderError
from databorder.inputs import ASSESSMENT_LIMIT, decode_utf8, read_bounded
from databorder.model import Assessment
from databorder.report.output import replacing


def write_json(assessment: Assessment, path: Path) -> None:
    """Write ``assessment`` to ``path`` (``-`` = stdout); an interrupted write never leaves half a file behind."""
    text = assessment.to_json() + "\n"
    if str(path) == "-":
        try:
            sys.stdout.write(text)
            sys.stdout.flush()
        except OSError as exc:  # a full disk or a closed pipe behind stdout
            reason = exc.strerror or exc
            raise DataBorderError(f"cannot write the assessment JSON to standard output: {reason}") from None
        return
    with replacing(path, "assessment JSON") as temporary:
        temporary.write_text(text, encoding="utf-8")


def read_json(path: Path) -> Assessment:
    """A saved assessment; raises :class:`DataBorderError` naming the file if it is not one."""
    try:
        text = decode_utf8(read_bounded(path, ASSESSMENT_LIMIT))
    except OSError as exc:
        raise DataBorderError(f"{path}: cannot be read: {exc.strerror or exc}") from None
    except ValueError as exc:
        raise DataBorderError(f"{path}: is not a DataBorder assessment ({exc})") from None
    try:
        return Assessment.from_json(text)
    except (ValueError, TypeError, KeyError) as exc:
        raise DataBorderError(f"{path}: is not a DataBorder assessment ({exc})") from None
