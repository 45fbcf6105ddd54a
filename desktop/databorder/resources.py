"""The one place that knows where DataBorder's shipped data (resources/ and rules/) lives at run time.

Nothing else builds paths to shipped data, and nothing is relative to the working directory, so the same code
works from a source checkout, an editable install and (later) a frozen build.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from databorder.errors import ResourceError

_ENV = "DATABORDER_DATA"


def data_root() -> Path:
    """The folder holding ``resources/`` and ``rules/``.

    Looked for, in order: ``$DATABORDER_DATA``; a frozen app's bundle folder; the source tree this package sits
    in (``desktop/databorder`` → the repository root).
    """
    candidates: list[Path] = []
    if os.environ.get(_ENV):
        candidates.append(Path(os.environ[_ENV]))
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle:
        candidates.append(Path(bundle))
    candidates.append(Path(__file__).resolve().parents[2])
    for root in candidates:
        if (root / "resources").is_dir() and (root / "rules").is_dir():
            return root
    tried = ", ".join(str(c) for c in candidates)
    raise ResourceError(f"DataBorder's shipped data (resources/ and rules/) was not found; looked in {tried}")


def resource_path(*parts: str) -> Path:
    """A path inside the shipped ``resources/`` folder."""
    return data_root().joinpath("resources", *parts)


def rules_dir() -> Path:
    """The folder of shipped rule packs."""
    return data_root() / "rules"
