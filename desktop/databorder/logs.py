"""Logging set-up for every front-end: the log file in the user's log folder, and stderr with ``--verbose``."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import platformdirs

from databorder.redact import RedactingFormatter


def setup_logging(verbose: bool) -> Path | None:
    """Log to the log file (and stderr with --verbose); returns the log file, or None if it cannot be written."""
    root = logging.getLogger("databorder")
    root.setLevel(logging.DEBUG)
    log_file: Path | None = None
    try:
        folder = Path(platformdirs.user_log_dir("databorder"))
        folder.mkdir(parents=True, exist_ok=True)
        log_file = folder / "databorder.log"
        handler: logging.Handler = logging.FileHandler(log_file, encoding="utf-8")
        handler.setFormatter(RedactingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        root.addHandler(handler)
    except OSError:
        log_file = None  # a read-only home must not stop an assessment
    if verbose:
        stream = logging.StreamHandler(sys.stderr)
        stream.setLevel(logging.DEBUG)
        stream.setFormatter(RedactingFormatter())
        root.addHandler(stream)
    return log_file
