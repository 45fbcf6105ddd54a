from __future__ import annotations

import ipaddress
from pathlib import Path

import pytest

from databorder.attribute import Attributor, unattributed
from databorder.endpoints import is_local
from tests.conftest import FixtureDatabases
from tests.helpers.cloudip import write_ranges


@pytest.mark.parametrize(
    "text",
    [
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "127.0.0.1",
        "169.254.1.1",
        "100.64.0.1",
        "0.0.0.0",
        "224.0.0.251",
        "::1",
        "::",
        "fe80::1",
        "fd00::1",
        "ff02::1",
    ],
)
def test_local_addresses(text: str) -> None:
    assert is_local(ipaddress.ip_address(text))


@pytest.mark.parametrize("text", ["192.0.2.1", "198.51.100.1", "203.0.113.1", "2001:db8::1", "8.8.8.8", "100.128.0.1"])
def test_public_addresses_including_documentation_ranges(text: str) -> None:
    # ipaddress calls the documentation ranges "private"; DataBorder must not, or no fixture could be geolocated.
    assert not is_local(ipaddress.ip_address(text))


def test_attributor_combines_country_asn_and_operator(fixture_dbs: FixtureDatabases) -> None:
    attributor = Attributor.open(country_db=fixture_dbs.country, asn_db=fixture_dbs.asn)
    a = attributor.address("198.51.100.5")
    assert (a.scope, a.country, a.asn) == ("public", "US", 45102)
    assert a.network_operator is not None and a.network_operator.country == "CN"
    assert not a.anycast
    edge = attributor.address("198.51.100.200")
    assert edge.anycast and edge.network_operator is not None and edge.network_operator.name == "Cloudflare"
    unknown_operator = attributor.address("192.0.2.7")
    assert (unknown_operator.country, unknown_operator.asn, unknown_operator.network_operator) == ("RU", 64500, None)
    local = attributor.address("192.168.0.10")
    assert (local.scope, local.country, local.asn) == ("local", None, None)
    mapped = attributor.address("::ffff:203.0.113.5")
    assert (mapped.ip, mapped.country) == ("203.0.113.5", "CN")
    kinds = [d.kind for d in attributor.databases()]
    # A MaxMind-format file decides the country; the embedded database is consulted beside it.
    assert kinds[:6] == ["country", "country", "asn", "cloud", "operators", "catalog"]
    assert set(kinds[6:]) == {"knowledge"}
    attributor.close()


def test_unattributed_keeps_the_address_and_its_scope() -> None:
    assert unattributed("10.0.0.1").scope == "local"
    bare = unattributed("203.0.113.1")
    assert (bare.ip, bare.scope, bare.country, bare.asn) == ("203.0.113.1", "public", None, None)


def test_batches_pause_the_cyclic_collector_and_restore_its_state(fixture_dbs: FixtureDatabases) -> None:
    import gc

    attributor = Attributor.open(country_db=fixture_dbs.country, asn_db=fixture_dbs.asn)
    assert gc.isenabled()
    assert [a.country for a in attributor.addresses(["203.0.113.5", "10.0.0.1", "2001:db8:1::1"])] == ["CN", None, "FR"]
    assert gc.isenabled()
    gc.disable()
    try:
        attributor.addresses(["203.0.113.5"])
        assert not gc.isenabled()  # a caller's choice is kept
    finally:
        gc.enable()
    attributor.close()


def test_a_cloud_providers_region_decides_the_hosting_country(fixture_dbs: FixtureDatabases, tmp_path: Path) -> None:
    ranges = write_ranges(tmp_path / "cloud.bin")
    attributor = Attributor.open(country_db=fixture_dbs.country, asn_db=fixture_dbs.asn, cloud_ranges=ranges)
    try:
        hong_kong, frankfurt, edge, outside = attributor.addresses(
            ["203.0.113.200", "198.51.100.5", ipaddress.ip_address("198.51.100.130"), "192.0.2.100"]
        )
        kinds = [d.kind for d in attributor.databases()]
    finally:
        attributor.close()
    # GeoIP says CN for AWS ap-east-1 (the example): the provider's own feed says Hong Kong, and decides.
    assert (hong_kong.country, hong_kong.geoip_country) == ("HK", "CN")
    assert hong_kong.hosting_basis == "AWS's published ranges"
    assert hong_kong.cloud is not None and hong_kong.cloud.in_words() == "AWS ap-east-1 (Hong Kong, HK)"
    assert hong_kong.notes and "GeoIP places it in CN" in hong_kong.notes[0]
    assert (frankfurt.country, frankfurt.geoip_country, frankfurt.asn) == ("DE", "US", 45102)
    assert frankfurt.network_operator is not None  # the network facet is untouched
    assert edge.anycast and edge.cloud is not None and edge.cloud.edge
    assert (edge.country, edge.geoip_country, edge.hosting_basis) == ("DE", None, "GeoIP")
    # An edge leaves the country to GeoIP, and the two GeoIP databases disagree there (the embedded one reads the
    # documentation range 198.51.100.0/24 as AU): uncertain, both kept.
    assert edge.country_uncertain and edge.possible_countries == ("DE", "AU")
    assert edge.notes and "the GeoIP databases disagree" in edge.notes[0]
    assert (outside.cloud, outside.country, outside.notes) == (None, "RU", ())
    assert "cloud" in kinds
