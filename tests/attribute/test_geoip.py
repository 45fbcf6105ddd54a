from __future__ import annotations

import ipaddress
from pathlib import Path

import pytest
from hypothesis import given

from databorder.attribute.geoip import AsnDatabase, CountryDatabase, DatabaseOrigin
from databorder.errors import GeoIPDatabaseError
from tests.conftest import FixtureDatabases
from tests.helpers.fuzz import FUZZ, bounded, mutated

ORIGIN = DatabaseOrigin(source="test fixture", licence="CC0", attribution="nobody")


def ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    return ipaddress.ip_address(text)


@pytest.mark.parametrize("shape", ["country", "country_flat"])
def test_country_database_reads_both_record_shapes(fixture_dbs: FixtureDatabases, shape: str) -> None:
    db = CountryDatabase(getattr(fixture_dbs, shape), ORIGIN)
    assert db.country(ip("203.0.113.99")) == "CN"
    assert db.country(ip("198.51.100.1")) == "US"
    assert db.country(ip("198.51.100.129")) == "DE"
    assert db.country(ip("2001:db8:1::5")) == "FR"
    assert db.country(ip("8.8.8.8")) is None  # not in the fixture
    assert db.ref.kind == "country" and db.ref.source == "test fixture" and len(db.ref.sha256) == 64
    assert db.ref.build_date is not None and len(db.ref.build_date) == 10


def test_asn_database(fixture_dbs: FixtureDatabases) -> None:
    db = AsnDatabase(fixture_dbs.asn, ORIGIN)
    assert db.asn(ip("198.51.100.7")) == (45102, "Alibaba (US) Technology Co., Ltd.")
    assert db.asn(ip("2001:db8::1")) == (37963, "Hangzhou Alibaba Advertising Co.,Ltd.")
    assert db.asn(ip("8.8.8.8")) == (None, None)


def test_wrong_kind_missing_and_corrupt_databases_are_refused_with_the_file_name(
    fixture_dbs: FixtureDatabases, tmp_path: Path
) -> None:
    with pytest.raises(GeoIPDatabaseError, match=r"asn\.mmdb: is a 'GeoLite2-ASN' database, not a country"):
        CountryDatabase(fixture_dbs.asn, ORIGIN)
    with pytest.raises(GeoIPDatabaseError, match=r"country\.mmdb: is a 'GeoLite2-Country' database, not an ASN"):
        AsnDatabase(fixture_dbs.country, ORIGIN)
    with pytest.raises(GeoIPDatabaseError, match=r"nope\.mmdb: country database does not exist"):
        CountryDatabase(tmp_path / "nope.mmdb", ORIGIN)
    truncated = tmp_path / "truncated.mmdb"
    truncated.write_bytes(fixture_dbs.country.read_bytes()[:300])
    with pytest.raises(GeoIPDatabaseError, match=r"truncated\.mmdb: is not a valid MaxMind-format"):
        CountryDatabase(truncated, ORIGIN)
    text = tmp_path / "text.mmdb"
    text.write_text("hello")
    with pytest.raises(GeoIPDatabaseError, match="is not a valid MaxMind-format"):
        AsnDatabase(text, ORIGIN)


@FUZZ
@given(mutated("mmdb"))
def test_fuzz_a_damaged_database_opens_and_answers_or_raises_a_database_error(tmp_path: Path, data: bytes) -> None:
    """One flipped byte in a MaxMind reader's tree or metadata once ended in a SIGSEGV."""
    path = tmp_path / "fuzz.mmdb"
    path.write_bytes(data)

    def read() -> list[str | None]:
        database = CountryDatabase(path, DatabaseOrigin(source="fuzz"))
        try:
            return database.countries(["203.0.113.9", "198.51.100.4", "2001:db8::1", "192.0.2.1"])
        finally:
            database.close()

    found = bounded(read)
    assert found is None or all(c is None or (len(c) == 2 and c.isupper()) for c in found)
