"""The region table: named regions and the country codes DataBorder accepts, read from resources/regions.toml."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from databorder.errors import ResourceError
from databorder.regions import regions


@pytest.fixture
def fresh_table() -> Iterator[None]:
    """The table is read once per process: tests that point it elsewhere read it anew, and leave no copy behind."""
    regions.cache_clear()
    yield
    regions.cache_clear()


def test_the_accepted_countries_are_the_iso_codes_of_every_continent() -> None:
    table = regions()
    assert len(table.countries) == 249  # ISO 3166-1 alpha-2, as GeoIP databases use it
    assert {"US", "CN", "HK", "MO", "TW", "AQ", "GB", "CH"} <= table.countries
    assert not {"XX", "EU", "UK"} & table.countries  # neither unassigned nor GeoIP's pseudo-codes
    for name, codes in table.regions.items():
        assert codes <= table.countries, name


def test_the_eea_is_the_eu_with_iceland_liechtenstein_and_norway() -> None:
    table = regions()
    assert len(table.regions["eu"]) == 27
    assert table.regions["eea"] == table.regions["eu"] | {"IS", "LI", "NO"}
    assert "CY" in table.regions["asia"] and "CY" in table.regions["eu"]  # UN M49 puts Cyprus in Asia


def test_the_table_is_read_once() -> None:
    assert regions() is regions()


@pytest.mark.parametrize(
    "text",
    [None, "[regions\n", 'version = "1"\n', "[regions]\neu = 3\n", '[regions]\neu = ["DE"]\n'],
    ids=["missing", "not TOML", "no regions", "not a list", "no continents"],
)
def test_a_missing_or_damaged_table_is_a_resource_error_naming_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fresh_table: None, text: str | None
) -> None:
    (tmp_path / "resources").mkdir()
    (tmp_path / "rules").mkdir()
    if text is not None:
        (tmp_path / "resources" / "regions.toml").write_text(text, encoding="utf-8")
    monkeypatch.setenv("DATABORDER_DATA", str(tmp_path))
    with pytest.raises(ResourceError, match=r"regions\.toml is missing or damaged"):
        regions()
