"""Reference data on places: the named regions (EU, EEA, continents) and the ISO 3166-1 codes DataBorder accepts.

Read from resources/regions.toml. It sits low in the layers, beside ``model`` and ``resources``, because rule
packs (country sets with ``regions = [...]``), the catalog (an app's home jurisdiction) and the static scan
(country-code top-level domains) all check codes against it, and none of them should import another for that.
"""

from __future__ import annotations

import functools
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass

from databorder.errors import ResourceError
from databorder.resources import resource_path

_CONTINENTS = ("africa", "asia", "europe", "north-america", "south-america", "oceania", "antarctica")


@dataclass(frozen=True)
class Regions:
    """Named regions (EU, EEA, continents) and the list of country codes DataBorder accepts."""

    regions: Mapping[str, frozenset[str]]
    countries: frozenset[str]


@functools.cache
def regions() -> Regions:
    """The shipped region table (read once per process: it is immutable data)."""
    path = resource_path("regions.toml")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))["regions"]
        table = {name: frozenset(codes) for name, codes in data.items()}
        countries = frozenset().union(*(table[c] for c in _CONTINENTS))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, KeyError, TypeError) as exc:
        raise ResourceError(f"the region table {path} is missing or damaged ({exc})") from None
    return Regions(table, countries)
