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


def test_every_cloud_region_row_has_a_dated_source_and_a_known_country_or_says_it_is_unverified() -> None:
    from databorder.regions import cloud_providers

    table = cloud_providers()
    assert set(table) == {"aws", "gcp", "azure", "oracle", "digitalocean", "cloudflare", "fastly"}
    assert not table["fastly"].regions  # every Fastly range is an edge: no evidence of where data rests
    frankfurt = table["aws"].regions["eu-central-1"]
    assert (frankfurt.country, frankfurt.city, frankfurt.unverified) == ("DE", "Frankfurt", ())
    assert "partitions.json" in frankfurt.source and frankfurt.checked == "2026-12-04"
    saudi = table["aws"].regions["me-west-1"]  # described in the SDK as "Middle East (Saudi Arabia)"
    assert (saudi.country, saudi.city, saudi.unverified) == ("SA", None, ())
    assert table["aws"].edge == {"GLOBAL"} and table["gcp"].edge == {"global"}
    for provider in table.values():
        assert provider.source and provider.checked
        for row in provider.regions.values():
            assert row.country is not None or "country" in row.unverified, row
            assert set(row.unverified) <= {"country", "city"}, row


@pytest.mark.parametrize(
    "text",
    [
        None,
        "[aws\n",
        '[aws]\nname = "AWS"\n',
        '[aws]\nname="A"\nsource="s"\nchecked="d"\nedge=[]\nregions=[{id="x", country="XX"}]\n',
    ],
    ids=["missing", "not TOML", "no regions", "not a country"],
)
def test_a_missing_or_damaged_cloud_region_table_is_a_resource_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str | None
) -> None:
    from databorder.regions import cloud_providers

    (tmp_path / "resources" / "cloud").mkdir(parents=True)
    (tmp_path / "rules").mkdir()
    if text is not None:
        (tmp_path / "resources" / "cloud" / "regions.toml").write_text(text, encoding="utf-8")
    regions()  # the country list stays the shipped one: only the cloud table is damaged here
    monkeypatch.setenv("DATABORDER_DATA", str(tmp_path))
    cloud_providers.cache_clear()
    try:
        with pytest.raises(ResourceError, match=r"the cloud region table .*cloud/regions\.toml is missing or damaged"):
            cloud_providers()
    finally:
        monkeypatch.undo()
        cloud_providers.cache_clear()
