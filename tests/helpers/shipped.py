"""Facts about the shipped data read from the shipped files themselves, for tests that check the program reports
them: database build dates, the number of catalog apps, pack versions. A data refresh changes these; a test that
wrote them down would then fail for no fault of the code, so tests ask here instead.

Read straight from the files (JSON, TOML), not through the engine, so a test still compares the engine's answer
with something it did not compute.
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any

from databorder.resources import resource_path, rules_dir


def geoip_provenance(kind: str) -> dict[str, Any]:
    """The provenance entry of the embedded database of ``kind`` ("country" or "asn")."""
    provenance = json.loads(resource_path("geoip", "provenance.json").read_text(encoding="utf-8"))
    entries: list[dict[str, Any]] = [entry for entry in provenance["databases"] if entry["kind"] == kind]
    assert len(entries) == 1, f"provenance.json lists {len(entries)} {kind} databases"
    return entries[0]


def catalog_app_ids() -> list[str]:
    """The ids of the shipped catalog's apps, one TOML file each."""
    return sorted(_toml(path)["id"] for path in resource_path("catalog").glob("*.toml"))


def pack_version(pack_id: str) -> str:
    """The version a shipped rule pack declares."""
    version: str = _toml(rules_dir() / f"{pack_id}.toml")["pack"]["version"]
    return version


def _toml(path: Path) -> dict[str, Any]:
    return tomllib.loads(path.read_text(encoding="utf-8"))
