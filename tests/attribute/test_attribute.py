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


def test_a_maxmind_file_decides_and_the_embedded_database_is_read_beside_it(tmp_path: Path) -> None:
    from databorder.attribute import store
    from databorder.attribute.geoip import CountryDatabase, embedded_origins
    from tests.helpers.mmdb import write_country_db

    embedded = CountryDatabase(*embedded_origins()["country"])
    try:
        said = {ip: embedded.country(ip) for ip in ("8.8.8.8", "9.9.9.9", "2a00:1450:4001::1", "1.1.1.1")}
        source = embedded.ref.source
    finally:
        embedded.close()
    assert all(said.values())  # the shipped database places each of these
    other = {ip: "CH" if said[ip] != "CH" else "AT" for ip in said}
    maxmind = write_country_db(
        tmp_path / "GeoLite2-Country.mmdb",
        {"8.8.8.0/24": str(said["8.8.8.8"]), "9.9.9.0/24": other["9.9.9.9"],
         "2a00:1450:4001::/48": other["2a00:1450:4001::1"]},  # nothing for 1.1.1.1
    )  # fmt: skip
    file = "user-supplied file GeoLite2-Country.mmdb"
    for opened in (Attributor.open(country_db=maxmind), None):
        if opened is None:  # the same file adopted in the store instead of given
            store.adopt(maxmind, kind="country")
            file = "adopted file GeoLite2-Country.mmdb"
            opened = Attributor.open()
        try:
            agree, differ, v6, alone = opened.addresses(list(said))
            refs = [d for d in opened.databases() if d.kind == "country"]
        finally:
            opened.close()
        assert [r.source.split(" (")[0] for r in refs] == [file, source]  # the deciding one first
        assert (agree.country, agree.country_uncertain, agree.geoip_answers, agree.notes) == (said["8.8.8.8"], False,
                                                                                              (), ())  # fmt: skip
        assert (differ.country, differ.country_uncertain) == (other["9.9.9.9"], True)
        assert differ.possible_countries == (other["9.9.9.9"], said["9.9.9.9"])
        assert [(g.database.split(" (")[0], g.country) for g in differ.geoip_answers] == [
            (file, other["9.9.9.9"]), (source, said["9.9.9.9"])]  # fmt: skip
        assert differ.hosting_in_words() == (
            f"{other['9.9.9.9']} or {said['9.9.9.9']} (uncertain: the GeoIP databases disagree)"
        )
        assert "the GeoIP databases disagree" in differ.notes[0]
        assert v6.country_uncertain and v6.country == other["2a00:1450:4001::1"]
        # The file has no answer: the embedded one decides, certain, and a note says which one answered.
        assert (alone.country, alone.country_uncertain) == (said["1.1.1.1"], False)
        assert alone.notes and "has no answer" in alone.notes[0]


def test_the_embedded_database_given_as_the_country_file_is_read_once() -> None:
    from databorder.attribute.geoip import embedded_origins

    attributor = Attributor.open(country_db=embedded_origins()["country"][0])
    try:
        assert attributor.second_country_db is None
        assert [d.kind for d in attributor.databases()].count("country") == 1
    finally:
        attributor.close()


def _plain_code(value: object) -> str | None:
    return value.upper() if isinstance(value, str) and len(value) == 2 and value.isascii() and value.isalpha() else None


def test_the_batch_gives_the_answers_a_plain_reading_of_the_shipped_data_gives() -> None:
    """The hot path's shortcuts (no parsing of public text, memoised codes, the cloud file's /12 buckets and /16
    set, building results slot by slot) change no answer: each address read the plain way, one at a time."""
    import bisect
    import random

    import maxminddb

    from databorder.attribute.cloud import decide
    from databorder.attribute.geoip import embedded_origins
    from databorder.model import AddressAttribution

    rng = random.Random(20261203)
    attributor = Attributor.open()
    assert attributor.cloud is not None
    starts = attributor.cloud._starts4
    texts = [str(ipaddress.IPv4Address(rng.randrange(1 << 32))) for _ in range(8000)]
    texts += [str(ipaddress.IPv6Address((0x2 << 124) | rng.getrandbits(125) >> 4)) for _ in range(2000)]
    for i in rng.sample(range(1, len(starts)), 2000):  # both ends of cloud spans: where a bisect can be off by one
        texts += [str(ipaddress.IPv4Address(starts[i])), str(ipaddress.IPv4Address(starts[i] - 1))]
    texts += ["10.1.2.3", "::ffff:8.8.8.8", "fe80::1", "100.64.0.1", "224.0.0.1", "1.1.1.1", "2606:4700::1111"]
    country = maxminddb.open_database(str(embedded_origins()["country"][0]))
    asn = maxminddb.open_database(str(embedded_origins()["asn"][0]))
    try:
        batch = attributor.addresses(texts)
        expected = []
        for text in texts:
            addr = ipaddress.ip_address(text)
            if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
                addr = addr.ipv4_mapped
            if is_local(addr):
                expected.append(AddressAttribution(str(addr), "local", None, None, None, None, False))
                continue
            record = country.get(addr)
            code = _plain_code(record.get("country_code")) if isinstance(record, dict) else None
            numbers = asn.get(addr)
            numbers = numbers if isinstance(numbers, dict) else {}
            raw_number, raw_org = numbers.get("autonomous_system_number"), numbers.get("autonomous_system_organization")
            number = raw_number if isinstance(raw_number, int) and raw_number >= 0 else None
            org = raw_org[:200] if isinstance(raw_org, str) else None
            entry = attributor.operators.lookup(number)
            cloud = attributor.cloud.lookup(addr)  # an object: parsed, no /16 shortcut
            if addr.version == 4:  # and against a bisect over every span start, without the /12 buckets
                record_index = attributor.cloud._recs4[bisect.bisect_right(starts, int(addr)) - 1]
                assert (cloud is None) == (record_index == 0xFFFF)
            operator, anycast = (entry.operator, entry.anycast) if entry else (None, False)
            if cloud is None:
                expected.append(AddressAttribution(str(addr), "public", code, number, org, operator, anycast))
            else:
                hosting, geoip, notes, _, _ = decide(code, cloud)
                expected.append(AddressAttribution(str(addr), "public", hosting, number, org, operator,
                                                   anycast or cloud.edge, None, cloud, geoip, notes))  # fmt: skip
    finally:
        country.close()
        asn.close()
        attributor.close()
    assert sum(1 for a in batch if a.cloud is not None) > 1000  # the cloud path is well exercised
    assert batch == expected
