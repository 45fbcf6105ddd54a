"""The one place that knows where DataBorder's shipped data (resources/ and rules/) lives at run time.

Nothing else builds paths to shipped data, and nothing is relative to the working directory, so the same code
works from a source checkout, an editable install and (later) a frozen build.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import platformdirs

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


def system_config_dir() -> Path:
    """The organisation's settings folder: /etc/databorder on Linux; the platform's machine-wide config elsewhere.

    ``$DATABORDER_SYSTEM_CONFIG`` relocates it (for tests, and for admins who stage a policy before deploying).
    """
    override = os.environ.get("DATABORDER_SYSTEM_CONFIG")
    if override:
        return Path(override)
    if sys.platform.startswith("linux"):
        return Path("/etc/databorder")
    return Path(platformdirs.site_config_dir("DataBorder", appauthor=False))


def user_config_dir() -> Path:
    """The user's own settings folder (platformdirs; ~/.config/databorder on Linux)."""
    return Path(platformdirs.user_config_dir("databorder", appauthor=False))
