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


@dataclass(frozen=True)
class CloudRegionInfo:
    """Where one region of a cloud provider stands, as resources/cloud/regions.toml says, with its source."""

    provider: str  # the feed's provider id: aws, gcp, azure, oracle, digitalocean, cloudflare
    region: str  # the region id exactly as the provider's range feed writes it
    country: str | None
    city: str | None  # the city or area the provider names the region by
    source: str
    checked: str
    unverified: tuple[str, ...] = ()


@dataclass(frozen=True)
class CloudProvider:
    """A cloud provider whose published ranges DataBorder reads: its name, regions and edge (global) values."""

    id: str
    name: str
    source: str
    checked: str
    regions: Mapping[str, CloudRegionInfo]
    edge: frozenset[str]  # region values that name no region: global, edge and anycast ranges


@functools.cache
def cloud_providers() -> Mapping[str, CloudProvider]:
    """The shipped cloud-region table, by provider id (read once per process)."""
    path = resource_path("cloud", "regions.toml")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        known = regions().countries
        found: dict[str, CloudProvider] = {}
        for provider, body in data.items():
            if not isinstance(body, dict):
                continue  # the table's version
            rows: dict[str, CloudRegionInfo] = {}
            for row in body["regions"]:
                country = row.get("country")
                if country is not None and country not in known:
                    raise ValueError(f"{provider} {row['id']}: {country!r} is not a country code")
                rows[row["id"]] = CloudRegionInfo(
                    provider, row["id"], country, row.get("city"), row.get("source", body["source"]),
                    body["checked"], tuple(row.get("unverified", ())),
                )  # fmt: skip
            found[provider] = CloudProvider(
                provider, body["name"], body["source"], body["checked"], rows, frozenset(body["edge"])
            )
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, KeyError, TypeError, ValueError) as exc:
        raise ResourceError(f"the cloud region table {path} is missing or damaged ({exc})") from None
    return found
