"""Cloud ranges: compiling cloudip-db's data, looking addresses up, and which source places an address."""

from __future__ import annotations

import hashlib
import ipaddress
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from databorder.attribute.cloud import (
    NONE,
    CloudRanges,
    _flatten,
    add_fastly,
    compile_ranges,
    decide,
    decode_cloudip,
    embedded_path,
    parse_fastly,
    provenance,
)
from databorder.errors import GeoIPDatabaseError
from databorder.model import GeoipAnswer
from databorder.regions import cloud_providers
from tests.helpers.cloudip import database, packed, write_ranges


@pytest.fixture
def ranges(tmp_path: Path) -> CloudRanges:
    return CloudRanges(write_ranges(tmp_path / "cloud.bin"))


def test_the_most_specific_published_range_decides(ranges: CloudRanges) -> None:
    frankfurt = ranges.lookup("198.51.100.5")
    assert frankfurt is not None and frankfurt.in_words() == "AWS eu-central-1 (Frankfurt, DE)"
    assert frankfurt.service == "EC2"  # not the generic AMAZON entry for the same range
    assert (frankfurt.source, frankfurt.date) == ("AWS ip-ranges.json via test feed", "2026-11-20")
    edge = ranges.lookup("198.51.100.130")  # CloudFront's GLOBAL range inside the regional one
    assert edge is not None and edge.edge and edge.country is None
    assert edge.in_words() == "AWS GLOBAL (global/edge range: no evidence of where data rests)"
    assert ranges.lookup("198.51.100.200") == frankfurt  # after the nested range, the outer one again
    hong_kong = ranges.lookup("203.0.113.200")
    assert hong_kong is not None and (hong_kong.country, hong_kong.city, hong_kong.service) == ("HK", "Hong Kong", "S3")
    gcp = ranges.lookup("203.0.113.1")
    assert gcp is not None and gcp.in_words() == "Google Cloud europe-west3 (Frankfurt, DE)"


def test_edges_gaps_unlisted_regions_and_azure_service_names(ranges: CloudRanges) -> None:
    cloudflare = ranges.lookup("192.0.2.1")
    assert cloudflare is not None and cloudflare.edge and cloudflare.provider == "Cloudflare"
    assert cloudflare.in_words() == "Cloudflare (global/edge range: no evidence of where data rests)"
    unlisted = ranges.lookup("192.0.2.70")
    assert unlisted is not None and unlisted.country is None and unlisted.unverified == ("country", "city")
    assert unlisted.in_words() == "Oracle Cloud xx-nowhere-1"
    assert ranges.lookup("192.0.2.100") is None and ranges.lookup("192.0.2.191") is None
    azure = ranges.lookup("192.0.2.255")
    assert azure is not None and (azure.region, azure.service, azure.country) == ("germanywc", "STORAGE", "DE")
    assert azure.unverified == ("city",)  # Frankfurt comes from public tables, not Microsoft's own words
    assert ranges.lookup("8.8.8.8") is None and ranges.lookup("0.0.0.0") is None
    assert ranges.lookup("255.255.255.255") is None


def test_ipv6_and_ipaddress_objects_give_the_same_answers(ranges: CloudRanges) -> None:
    texts = ["2001:db8::1", "2001:db8:1::1", "2001:db8:1:2::9", "2001:db8:1:3::1", "2001:db9::1", "::1",
             "198.51.100.5", "192.0.2.255"]  # fmt: skip
    by_text = ranges.lookups(texts)
    assert by_text == ranges.lookups([ipaddress.ip_address(t) for t in texts])
    regions = [r.region if r else None for r in by_text]
    assert regions == ["westeurope", "DE-HE", "us-east-1", "DE-HE", None, None, "eu-central-1", "germanywc"]
    assert by_text[1] is not None and by_text[1].in_words() == "DigitalOcean DE-HE (Hesse, DE)"


def test_a_provider_region_decides_the_hosting_country_and_geoip_becomes_a_note(ranges: CloudRanges) -> None:
    frankfurt = ranges.lookup("198.51.100.5")
    assert decide("US", frankfurt) == (
        "DE", "US",
        ("GeoIP places it in US; the provider's published ranges put it in AWS eu-central-1 (Frankfurt, DE), "
         "which decides",),
        False, (),
    )  # fmt: skip
    assert decide("DE", frankfurt) == ("DE", "DE", (), False, ())
    assert decide(None, frankfurt) == ("DE", None, (), False, ())
    assert decide("US", ranges.lookup("198.51.100.130")) == ("US", None, (), False, ())  # an edge: GeoIP stays
    assert decide("US", ranges.lookup("192.0.2.70")) == ("US", None, (), False, ())  # a region of unknown country
    assert decide("FR", None) == ("FR", None, (), False, ())


MAXMIND, EMBEDDED = "user-supplied file GeoLite2-Country.mmdb", "the embedded database"


def answers(first: str | None, second: str | None) -> tuple[GeoipAnswer, GeoipAnswer]:
    return GeoipAnswer(MAXMIND, first), GeoipAnswer(EMBEDDED, second)


def test_two_geoip_databases_that_disagree_make_the_hosting_country_uncertain() -> None:
    hosting, geoip, notes, uncertain, shown = decide("US", None, answers("US", "DE"))
    assert (hosting, geoip, uncertain, shown) == ("US", None, True, answers("US", "DE"))
    assert notes == (
        f"the GeoIP databases disagree: {MAXMIND} places it in US, {EMBEDDED} in DE; the hosting country is "
        "uncertain and rules test both",
    )
    # Only the other one answered: it decides, not uncertain, and the note says which one had no answer.
    assert decide(None, None, answers(None, "DE")) == (
        "DE", None, (f"{MAXMIND} has no answer; {EMBEDDED} places it in DE, which decides",), False,
        answers(None, "DE"),
    )  # fmt: skip
    # Only the deciding one answered: the other adds nothing.
    assert decide("US", None, answers("US", None)) == ("US", None, (), False, ())
    # Agreeing answers are not shown twice.
    assert decide("US", None, answers("US", "US")) == ("US", None, (), False, ())


def test_a_provider_region_settles_two_disagreeing_geoip_databases(ranges: CloudRanges) -> None:
    frankfurt = ranges.lookup("198.51.100.5")
    hosting, geoip, notes, uncertain, shown = decide("US", frankfurt, answers("US", "DE"))
    assert (hosting, geoip, uncertain, shown) == ("DE", "US", False, answers("US", "DE"))
    assert notes and "which decides" in notes[0]
    # The deciding database has no answer: the other's is GeoIP's, and it agrees with the region.
    assert decide(None, frankfurt, answers(None, "DE")) == ("DE", "DE", (), False, answers(None, "DE"))
    # An edge range: GeoIP decides, and the two databases' disagreement stays uncertain.
    assert decide("US", ranges.lookup("198.51.100.130"), answers("US", "DE"))[3] is True


def test_a_rebuild_from_the_same_data_is_byte_identical_whatever_the_feed_order() -> None:
    decoded = database()
    shuffled = dict(decoded, ranges=list(reversed(decoded["ranges"])))  # type: ignore[call-overload]
    assert compile_ranges(decoded, source="s", where="w") == compile_ranges(shuffled, source="s", where="w")


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda b: b"NOTCLOUD" + b[8:], "does not start like"),
        (lambda b: b[:-3], "length does not match"),
        (lambda b: b + b"\0", "length does not match"),
        (lambda b: b[:20], "not a valid cloud range file"),
        (lambda b: b[:-2] + b"\xfe\xff", "names a record the header does not hold"),
    ],
)
def test_a_damaged_range_file_is_refused_with_a_sentence(tmp_path: Path, damage: object, message: str) -> None:
    good = write_ranges(tmp_path / "good.bin").read_bytes()
    bad = tmp_path / "bad.bin"
    bad.write_bytes(damage(good))  # type: ignore[operator]
    with pytest.raises(GeoIPDatabaseError, match=message) as caught:
        CloudRanges(bad)
    assert "bad.bin" in str(caught.value)
    with pytest.raises(GeoIPDatabaseError, match="does not exist"):
        CloudRanges(tmp_path / "missing.bin")


def test_cloudip_data_is_decoded_or_refused() -> None:
    raw, gz = packed(database())
    assert decode_cloudip(gz, where="x")["version"] == decode_cloudip(raw, where="x")["version"] == "2026-11-20"
    with pytest.raises(GeoIPDatabaseError, match="not a cloudip-db database"):
        decode_cloudip(b"\x1f\x8bnot gzip", where="feed.gz")
    with pytest.raises(GeoIPDatabaseError, match="no version, providers and ranges"):
        decode_cloudip(packed({"hello": 1})[1], where="feed.gz")
    with pytest.raises(GeoIPDatabaseError, match="range entry DataBorder cannot read"):
        compile_ranges(database([("not a cidr", "aws", None, None)]), source="s", where="feed.gz")


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 255), st.integers(24, 32), st.integers(0, 5)), min_size=1, max_size=30))
def test_flattened_spans_give_the_most_specific_range_for_every_address(prefixes: list[tuple[int, int, int]]) -> None:
    base = int(ipaddress.IPv4Address("192.0.2.0"))
    chosen: dict[tuple[int, int], int] = {}
    for offset, length, record in prefixes:
        net = ipaddress.ip_network(f"{ipaddress.IPv4Address(base + offset)}/{length}", strict=False)
        chosen[(int(net.network_address), int(net.broadcast_address))] = record
    spans = sorted(((s, e, r) for (s, e), r in chosen.items()), key=lambda s: (s[0], -s[1]))
    bounds = _flatten(spans)
    starts = [s for s, _ in bounds]
    assert starts == sorted(set(starts)) and bounds[0][0] == 0
    for address in range(base - 1, base + 257):
        covering = [(e - s, r) for (s, e), r in chosen.items() if s <= address <= e]
        expected = min(covering)[1] if covering else NONE
        index = max(i for i, s in enumerate(starts) if s <= address)
        assert bounds[index][1] == expected, address


def test_the_shipped_ranges_cover_every_provider_and_name_a_known_region_for_nearly_all() -> None:
    shipped = CloudRanges(embedded_path())
    facts = provenance()
    assert facts["sha256"] == hashlib.sha256(embedded_path().read_bytes()).hexdigest()
    assert shipped.info.date == facts["version"] and shipped.ref.kind == "cloud"
    assert set(shipped.info.providers) == {"aws", "gcp", "azure", "oracle", "digitalocean", "cloudflare", "fastly"}
    records = shipped._header["records"]
    table = cloud_providers()
    regional = [(p, r) for p, r, _ in records if r and r not in table[p].edge]
    listed = [pr for pr in regional if pr[1] in table[pr[0]].regions]
    assert len(listed) == len(regional), sorted(set(regional) - set(listed))
    assert all(info.country is not None or "country" in info.unverified
               for provider in table.values() for info in provider.regions.values())  # fmt: skip


SHIPPED = CloudRanges(embedded_path())

#: Fastly's public-ip-list in its own shape, documentation ranges (192.0.2.96–.191 is in no range of the fixture).
FASTLY_LIST = {"addresses": ["192.0.2.160/27", " 192.0.2.128/27"], "ipv6_addresses": ["2001:db8:2::/48"]}


def test_fastly_ranges_are_attributed_to_fastly_and_flagged_as_edge(tmp_path: Path) -> None:
    cidrs = parse_fastly(json.dumps(FASTLY_LIST).encode(), where="public-ip-list")
    assert cidrs == ["192.0.2.128/27", "192.0.2.160/27", "2001:db8:2::/48"]
    twice = add_fastly(add_fastly(database(), cidrs), cidrs[1:])  # a later list replaces the earlier one
    ranges = CloudRanges(tmp_path / "c.bin", data=compile_ranges(twice, source="t", where="t"))
    for ip in ("192.0.2.170", ipaddress.ip_address("192.0.2.170"), "2001:db8:2::5"):
        fastly = ranges.lookup(ip)
        assert fastly is not None and fastly.provider == "Fastly" and fastly.service == "CDN"
        assert fastly.edge and fastly.country is None and fastly.region is None
        assert fastly.in_words() == "Fastly (global/edge range: no evidence of where data rests)"
        assert decide("US", fastly) == ("US", None, (), False, ())  # an edge range: GeoIP keeps deciding
    assert ranges.lookup("192.0.2.130") is None  # dropped from the later list
    assert ranges.lookup("192.0.2.1").provider == "Cloudflare"  # type: ignore[union-attr]  # the rest untouched
    assert ranges.info.providers == ("aws", "azure", "cloudflare", "digitalocean", "fastly", "gcp", "oracle")


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"<html>no</html>", "is not Fastly's public IP list"),
        (b'["151.101.0.0/16"]', "not an object with addresses and ipv6_addresses"),
        (b'{"addresses": [], "ipv6_addresses": ["2001:db8::/32"]}', "addresses is not a non-empty list"),
        (b'{"addresses": ["192.0.2.0/24"], "ipv6_addresses": [7]}', "ipv6_addresses is not a non-empty list"),
        (b'{"addresses": ["2001:db8::/32"], "ipv6_addresses": ["2001:db8::/32"]}', "is listed under addresses"),
        (b'{"addresses": ["192.0.2.0/33"], "ipv6_addresses": ["2001:db8::/32"]}', "192.0.2.0/33"),
        (b"\xff\xfe", "is not Fastly's public IP list"),
    ],
)
def test_a_broken_fastly_list_is_refused_with_a_sentence(body: bytes, message: str) -> None:
    with pytest.raises(GeoIPDatabaseError, match=message):
        parse_fastly(body, where="public-ip-list")


def test_the_shipped_fastly_ranges_are_fastly_s_published_list_all_edge() -> None:
    facts = provenance()
    assert facts["fastly_ranges"] == 19 and facts["fastly_date"] == "2026-09-01"
    # Addresses in Fastly's published 151.101.0.0/16, 199.232.0.0/16 and 2a04:4e42::/32 (a look-up sends nothing).
    for ip in ("151.101.1.195", "199.232.64.1", "2a04:4e42::1"):
        found = SHIPPED.lookup(ip)
        assert found is not None and found.provider == "Fastly" and found.edge and found.country is None
    regions = [r for p, r, _ in SHIPPED._header["records"] if p == "fastly"]
    assert regions == [None]  # one record: no region, service CDN


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.integers(0, 2**32 - 1), st.integers(0, 2**128 - 1), st.integers(0x2600 << 112, 0x2A06 << 112)))
def test_text_and_address_objects_agree_on_the_shipped_ranges(number: int) -> None:
    # The text path skips /16s no range reaches by their first octets or group; the object path never skips.
    address = ipaddress.ip_address(number) if number < 2**32 else ipaddress.IPv6Address(number)
    assert SHIPPED.lookup(str(address)) == SHIPPED.lookup(address)


def test_a_header_naming_impossible_16s_is_refused() -> None:
    from databorder.attribute.cloud import _encode

    header = {"format": 1, "version": "2026-11-20", "date": "2026-11-20", "records": [], "v4_16": ["x"]}
    with pytest.raises(GeoIPDatabaseError, match="v4_16 is not a list of /16 numbers"):
        CloudRanges(Path("bad.bin"), data=_encode(header, [(0, NONE)], [(0, NONE)]))
    empty = CloudRanges(Path("empty.bin"), data=_encode({**header, "v4_16": []}, [], []))
    assert empty.lookup("198.51.100.1") is None and empty.lookup("2001:db8::1") is None
