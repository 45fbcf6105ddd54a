"""The one place that knows where DataBorder's shipped data (resources/ and rules/) lives at run time.

Nothing else builds paths to shipped data, and nothing is relative to the working directory. The repository's
top-level ``resources/`` and ``rules/`` are the source of truth; every built distribution (wheel, and so an
installed sdist, and the frozen app) carries a copy inside the package as ``databorder/_data/``, which
``importlib.resources`` finds wherever the package was installed. An editable install or a plain checkout has no
copy and reads the source tree itself.
"""

from __future__ import annotations

import importlib.resources
import os
import sys
from pathlib import Path

import platformdirs

from databorder.errors import ResourceError

_ENV = "DATABORDER_DATA"


def data_root() -> Path:
    """The folder holding ``resources/`` and ``rules/``.

    Looked for, in order: ``$DATABORDER_DATA``; the copy inside the installed package (``databorder/_data``,
    through importlib.resources: a wheel, an installed sdist, the frozen app's bundle); the source tree this
    package sits in (``desktop/databorder`` → the repository root: a checkout or an editable install).
    """
    candidates: list[Path] = []
    if os.environ.get(_ENV):
        candidates.append(Path(os.environ[_ENV]))
    packaged = _packaged_data()
    if packaged is not None:
        candidates.append(packaged)
    candidates.append(Path(__file__).resolve().parents[2])
    for root in candidates:
        if (root / "resources").is_dir() and (root / "rules").is_dir():
            return root
    tried = ", ".join(str(c) for c in candidates)
    raise ResourceError(f"DataBorder's shipped data (resources/ and rules/) was not found; looked in {tried}")


def _packaged_data() -> Path | None:
    """``databorder/_data`` as importlib.resources sees it, when that is a folder on disk.

    Installed packages and PyInstaller's bundle are plain folders, so the Traversable is a Path; a package
    imported from a zip is not, and everything downstream needs real files (the GeoIP reader maps them).
    """
    folder = importlib.resources.files("databorder") / "_data"
    return folder if isinstance(folder, Path) else None


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


def user_data_dir() -> Path:
    """The user's own data folder (platformdirs; ~/.local/share/databorder on Linux): adopted databases, history."""
    return Path(platformdirs.user_data_dir("databorder", appauthor=False))
