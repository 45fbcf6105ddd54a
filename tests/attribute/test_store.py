from __future__ import annotations

from pathlib import Path
from unittest import mock

import pytest

from databorder.attribute import store
from databorder.attribute.store import open_asn_database, open_country_database
from databorder.errors import DataBorderError, GeoIPDatabaseError
from tests.conftest import FixtureDatabases
from tests.helpers.mmdb import write_country_db


def country_of(ip: str) -> str | None:
    database = open_country_database(None)
    try:
        return database.country(ip)
    finally:
        database.close()


def test_adopt_use_and_roll_back(fixture_dbs: FixtureDatabases, tmp_path: Path) -> None:
    embedded = country_of("203.0.113.5")  # the real data puts this documentation address in a real country
    ref = store.adopt(fixture_dbs.country, licence="test data")
    assert ref.kind == "country" and country_of("203.0.113.5") == "CN"
    database = open_country_database(None)
    assert database.ref.source.startswith("adopted file country.mmdb") and database.ref.licence == "test data"
    database.close()
    second = write_country_db(tmp_path / "second.mmdb", {"203.0.113.0/24": "FR"})
    store.adopt(second)
    assert country_of("203.0.113.5") == "FR"
    assert store.rollback("country") == "the previous country database is back in use"
    assert country_of("203.0.113.5") == "CN"
    assert store.rollback("country") == "no previous country database was kept; the embedded one is in use again"
    assert country_of("203.0.113.5") == embedded
    with pytest.raises(DataBorderError, match="nothing to roll back"):
        store.rollback("country")


def test_kind_is_read_from_the_file_and_bad_files_change_nothing(fixture_dbs: FixtureDatabases, tmp_path: Path) -> None:
    assert store.adopt(fixture_dbs.asn).kind == "asn"
    asn = open_asn_database(None)
    assert asn.ref.source.startswith("adopted file asn.mmdb")
    asn.close()
    junk = tmp_path / "junk.mmdb"
    junk.write_text("not a database")
    with pytest.raises(GeoIPDatabaseError, match=r"junk\.mmdb"):
        store.adopt(junk)
    with pytest.raises(GeoIPDatabaseError, match="not a country"):
        store.adopt(fixture_dbs.asn, kind="country")
    with mock.patch("mmdb_writer.time.time", return_value=788_918_400.0):  # built on 1 Jan 1995
        ancient = write_country_db(tmp_path / "ancient.mmdb")
    with pytest.raises(GeoIPDatabaseError, match="implausible build date"):
        store.adopt(ancient)
    assert store.active("country") is None  # nothing was swapped in
    assert store.active("asn") is not None


def test_databases_in_use_names_each_database_an_assessment_would_open(fixture_dbs: FixtureDatabases) -> None:
    from databorder.attribute import Attributor

    embedded = store.databases_in_use(country_db=None, asn_db=None)
    assert [d.kind for d in embedded] == ["country", "asn", "cloud"]
    assert all(d.ref and d.age_days is not None for d in embedded)
    chosen = store.databases_in_use(country_db=fixture_dbs.country, asn_db=None)
    assert chosen[0].path == fixture_dbs.country and chosen[0].database_type == "GeoLite2-Country"
    attributor = Attributor.open(country_db=fixture_dbs.country, asn_db=None)
    try:
        # The chosen country file, the embedded one consulted beside it, the ASN database and the cloud ranges.
        assert [d.ref.sha256 for d in chosen if d.ref] == [r.sha256 for r in attributor.databases()][:4]
        assert [d.consulted for d in chosen] == [False, True, False, False]
    finally:
        attributor.close()
    broken = store.databases_in_use(country_db=None, asn_db=fixture_dbs.country)
    assert broken[1].ref is None and broken[1].problem and "not an ASN database" in broken[1].problem
