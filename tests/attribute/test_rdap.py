"""RDAP enrichment against a local server playing the registries: answers, errors, cache, spacing, opt-in."""

from __future__ import annotations

import ipaddress
import itertools
import json
import threading
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from databorder.attribute.rdap import Bootstrap, RdapCache, RdapClient, RdapFormatError, parse_network
from databorder.cli import main
from tests.conftest import DnsZone, FixtureDatabases
from tests.helpers.schema import check_assessment


def network(
    start: str, end: str, *, name: str = "EXAMPLE-NET", country: str | None = "NL", org: str = "Example BV"
) -> dict[str, object]:
    return {
        "objectClassName": "ip network",
        "handle": f"{start} - {end}",
        "name": name,
        "startAddress": start,
        "endAddress": end,
        **({"country": country} if country else {}),
        "port43": "whois.example.test",
        "entities": [
            {"objectClassName": "entity", "roles": ["abuse"],
             "vcardArray": ["vcard", [["fn", {}, "text", "Abuse desk"]]]},
            {"objectClassName": "entity", "roles": ["registrant"],
             "vcardArray": ["vcard", [["version", {}, "text", "4.0"], ["fn", {}, "text", org]]]},
        ],
    }  # fmt: skip


def client(server: HTTPServer, tmp_path: Path, **kwargs: object) -> RdapClient:
    return RdapClient(
        base_url=server.url_for("/rdap/"),
        cache=RdapCache(tmp_path / "rdap.json"),
        min_interval=kwargs.pop("min_interval", 0.0),  # type: ignore[arg-type]
        timeout=kwargs.pop("timeout", 2.0),  # type: ignore[arg-type]
        **kwargs,  # type: ignore[arg-type]
    )


def test_a_registration_is_read_from_the_answer(httpserver: HTTPServer, tmp_path: Path) -> None:
    httpserver.expect_request("/rdap/ip/192.0.2.10").respond_with_json(network("192.0.2.0", "192.0.2.255"))
    found = client(httpserver, tmp_path).lookup("192.0.2.10")
    assert found.error is None
    assert found.organisation == "Example BV" and found.country == "NL" and found.network_name == "EXAMPLE-NET"
    assert found.range == "192.0.2.0 – 192.0.2.255" and found.url and found.url.endswith("/rdap/ip/192.0.2.10")
    assert found.rir == "whois.example.test" and not found.cached and found.fetched


def test_neighbours_come_from_the_cache_until_it_expires(httpserver: HTTPServer, tmp_path: Path) -> None:
    httpserver.expect_request("/rdap/ip/198.51.100.7").respond_with_json(network("198.51.100.0", "198.51.100.127"))
    rdap = client(httpserver, tmp_path)
    assert not rdap.lookup("198.51.100.7").cached
    again = rdap.lookup("198.51.100.99")  # same /25: no query
    assert again.cached and again.organisation == "Example BV"
    assert len(httpserver.log) == 1
    # A new client reads the cache from disk; an expired entry is asked again.
    assert client(httpserver, tmp_path).lookup("198.51.100.8").cached
    cache = RdapCache(tmp_path / "rdap.json", max_age_days=1)
    server = httpserver.url_for("/rdap/")
    assert cache.find(ipaddress.ip_address("198.51.100.8"), server=server) is not None
    assert cache.find(ipaddress.ip_address("198.51.100.8"), server=server, now=time.time() + 2 * 86400) is None


def test_queries_to_one_registry_are_spaced(httpserver: HTTPServer, tmp_path: Path) -> None:
    for last in (1, 2, 3):
        httpserver.expect_request(f"/rdap/ip/203.0.113.{last}").respond_with_json(
            network(f"203.0.113.{last}", f"203.0.113.{last}")
        )
    seen: list[float] = []
    rdap = client(httpserver, tmp_path, min_interval=0.3)
    for last in (1, 2, 3):
        rdap.lookup(f"203.0.113.{last}")
        seen.append(time.monotonic())
    assert len(httpserver.log) == 3
    assert min(b - a for a, b in itertools.pairwise(seen)) >= 0.28


def test_a_redirect_to_another_registry_is_followed(httpserver: HTTPServer, tmp_path: Path) -> None:
    httpserver.expect_request("/rdap/ip/192.0.2.20").respond_with_response(
        Response(status=301, headers={"Location": httpserver.url_for("/other/ip/192.0.2.20")})
    )
    httpserver.expect_request("/other/ip/192.0.2.20").respond_with_json(
        network("192.0.2.0", "192.0.2.63", country="SG")
    )
    found = client(httpserver, tmp_path).lookup("192.0.2.20")
    assert found.country == "SG" and found.url and "/other/" in found.url


@pytest.mark.parametrize(
    ("respond", "sentence"),
    [
        (lambda s: s.respond_with_data("nope", status=404), "no record for this address"),
        (lambda s: s.respond_with_data("down", status=500), "answered with an error (HTTP 500)"),
        (lambda s: s.respond_with_data("{not json", content_type="application/rdap+json"), "not valid JSON"),
        (lambda s: s.respond_with_json({"objectClassName": "domain", "ldhName": "x.test"}), "not an IP network"),
        (lambda s: s.respond_with_json([1, 2, 3]), "not an RDAP object"),
        (lambda s: s.respond_with_response(Response("slow", status=429, headers={"Retry-After": "600"})), "slow down"),
    ],
)
def test_failures_become_a_sentence_not_an_exception(
    httpserver: HTTPServer, tmp_path: Path, respond: object, sentence: str
) -> None:
    respond(httpserver.expect_request("/rdap/ip/192.0.2.30"))  # type: ignore[operator]
    found = client(httpserver, tmp_path).lookup("192.0.2.30")
    assert found.error is not None and sentence in found.error
    assert found.organisation is None
    assert not RdapCache(tmp_path / "rdap.json").entries  # failures are never cached


def test_a_429_with_a_short_retry_after_is_honoured_once(httpserver: HTTPServer, tmp_path: Path) -> None:
    httpserver.expect_ordered_request("/rdap/ip/192.0.2.40").respond_with_response(
        Response("wait", status=429, headers={"Retry-After": "1"})
    )
    httpserver.expect_ordered_request("/rdap/ip/192.0.2.40").respond_with_json(network("192.0.2.40", "192.0.2.40"))
    waited: list[float] = []
    found = client(httpserver, tmp_path, sleep=waited.append).lookup("192.0.2.40")
    assert found.error is None and waited == [1.0]


def test_a_server_that_does_not_answer_in_time(httpserver: HTTPServer, tmp_path: Path) -> None:
    release = threading.Event()

    def slow(request: Request) -> Response:
        release.wait(5)  # answers only once the client has given up
        return Response(json.dumps(network("192.0.2.50", "192.0.2.50")), content_type="application/json")

    httpserver.expect_request("/rdap/ip/192.0.2.50").respond_with_handler(slow)
    started = time.monotonic()
    found = client(httpserver, tmp_path, timeout=0.5).lookup("192.0.2.50")
    assert found.error == "the registry did not answer within 0.5 s"
    assert time.monotonic() - started < 1.4
    # Let the late answer finish here: logged after this test, it showed up in the next test's request log.
    release.set()
    deadline = time.monotonic() + 5
    while not httpserver.log and time.monotonic() < deadline:
        time.sleep(0.01)


def test_the_shipped_bootstrap_names_each_registry() -> None:
    bootstrap = Bootstrap.shipped()
    cases = {"8.8.8.8": "rdap.arin.net", "193.0.6.139": "rdap.db.ripe.net", "1.1.1.1": "rdap.apnic.net",
             "200.160.2.3": "rdap.lacnic.net", "41.1.1.1": "rdap.afrinic.net", "2a00:1450::1": "rdap.db.ripe.net",
             "2600::1": "rdap.arin.net"}  # fmt: skip
    for ip, host in cases.items():
        url = bootstrap.base_url(ipaddress.ip_address(ip))
        assert url is not None and url.startswith(f"https://{host}/"), (ip, url)
    assert bootstrap.base_url(ipaddress.ip_address("240.0.0.1")) is None  # reserved: no registry


def test_an_address_no_registry_covers_sends_nothing(httpserver: HTTPServer, tmp_path: Path) -> None:
    rdap = RdapClient(cache=RdapCache(tmp_path / "rdap.json"))
    found = rdap.lookup("240.0.0.1")
    assert found.error == "no regional registry is known for this address" and found.url is None


@settings(max_examples=200, deadline=None)
@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=20),
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=15), inner, max_size=5),
        max_leaves=20,
    )
)
def test_odd_json_never_raises_anything_but_a_format_error(data: object) -> None:
    try:
        parsed = parse_network(data, url="https://rdap.example.test/ip/192.0.2.1")
    except RdapFormatError:
        return
    assert set(parsed) >= {"organisation", "country", "network_name"}


def test_off_by_default_and_on_with_rdap(
    capsys: pytest.CaptureFixture[str], httpserver: HTTPServer, dns_zone: DnsZone, fixture_dbs: FixtureDatabases,
    tmp_path: Path,
) -> None:  # fmt: skip
    httpserver.expect_request("/rdap/ip/198.51.100.140").respond_with_json(
        network("198.51.100.128", "198.51.100.191", country="NL", org="Example Hosting BV")
    )
    common = ["assess", "eu.app.test", "--nameserver", dns_zone.nameserver, "--country-db", str(fixture_dbs.country),
              "--asn-db", str(fixture_dbs.asn), "--rdap-url", httpserver.url_for("/rdap/")]  # fmt: skip
    off = tmp_path / "off.json"
    assert main([*common, "--json", str(off), "-q"]) == 0
    assert httpserver.log == []  # nothing is sent unless asked
    assert check_assessment(off)["endpoints"][0]["addresses"][0].get("registration") is None
    on = tmp_path / "on.json"
    assert main([*common, "--rdap", "--json", str(on), "-q"]) == 0
    requests = [entry[0] for entry in httpserver.log]
    assert [r.path for r in requests] == ["/rdap/ip/198.51.100.140"]
    assert all("eu.app.test" not in r.url for r in requests)  # addresses only, never host names
    saved = check_assessment(on)  # with the RDAP registration
    address = saved["endpoints"][0]["addresses"][0]
    assert address["country"] == "DE"  # GeoIP stays the hosting country
    assert address["registration"]["organisation"] == "Example Hosting BV"
    assert address["registration"]["country"] == "NL"
    assert any("records NL for the network, GeoIP places it in DE" in note for note in saved["notes"])
    csv = tmp_path / "on.csv"
    assert main(["report", str(on), "--csv", str(csv)]) == 0
    assert "Example Hosting BV" in csv.read_text(encoding="utf-8")


def test_a_policy_forbidding_online_enrichment_refuses_rdap(capsys: pytest.CaptureFixture[str]) -> None:
    from tests.helpers.orgpolicy import write_policy

    write_policy("[enrichment]\nonline = false\n")
    assert main(["assess", "x.test", "--offline", "--rdap"]) == 3
    assert "turned off by your organisation" in capsys.readouterr().err


def test_registrations_sit_beside_geoip_and_a_disagreement_is_a_note() -> None:
    from databorder.attribute.rdap import add_registrations
    from databorder.model import AddressAttribution, Endpoint, Registration, Resolution

    def address(ip: str, scope: str, country: str | None) -> AddressAttribution:
        return AddressAttribution(ip, scope, country, None, None, None, False)  # type: ignore[arg-type]

    endpoint = Endpoint(
        host="a.test", ip=None, registrable_domain="a.test", relevance=1.0, evidence=(),
        resolution=Resolution(status="ok"),
        addresses=(address("192.0.2.1", "public", "DE"), address("10.0.0.1", "local", None)),
    )  # fmt: skip
    asked: list[str] = []

    def lookup(ip: str) -> Registration:
        asked.append(ip)
        return Registration(url="https://rdap.test/ip/" + ip, rir="ARIN", network_name="NET-TEST", country="US")

    found = add_registrations([endpoint], lookup)
    assert asked == ["192.0.2.1"]  # local addresses are never sent to a registry
    first, local = found.endpoints[0].addresses
    assert first.registration is not None and first.country == "DE"  # the hosting country stays GeoIP's
    assert local.registration is None and not found.cancelled
    assert any("records US for the network, GeoIP places it in DE" in n for n in found.notes)
    stopped = add_registrations([endpoint], lookup, cancelled=lambda: True)
    assert stopped.cancelled and stopped.endpoints[0].addresses[0].registration is None


def test_a_redirect_is_followed_only_to_https_and_a_local_one_is_followed(
    httpserver: HTTPServer, tmp_path: Path
) -> None:
    httpserver.expect_request("/rdap/ip/192.0.2.20").respond_with_data(
        "", status=302, headers={"Location": "http://rdap.registry.test/ip/192.0.2.20?token=x"}
    )
    found = client(httpserver, tmp_path).lookup("192.0.2.20")  # nothing is sent to the plain-http address
    assert found.error == (
        "the registry redirected to http://rdap.registry.test/ip/192.0.2.20 (not https); DataBorder did not follow it"
    )
    httpserver.expect_request("/rdap/ip/192.0.2.21").respond_with_data(
        "", status=301, headers={"Location": httpserver.url_for("/moved/ip/192.0.2.21")}
    )  # this machine (a test server or a local mirror) may be plain http
    httpserver.expect_request("/moved/ip/192.0.2.21").respond_with_json(network("192.0.2.0", "192.0.2.255"))
    assert client(httpserver, tmp_path).lookup("192.0.2.21").organisation == "Example BV"


@pytest.mark.parametrize(
    ("start", "end", "address", "sentence"),
    [
        ("0.0.0.0", "255.255.255.255", "198.51.100.30", "claims 0.0.0.0 – 255.255.255.255, wider than the /8"),
        ("128.0.0.0", "255.255.255.255", "198.51.100.30", "wider than the /8"),
        ("198.0.0.0", "199.0.0.0", "198.51.100.30", "wider than the /8"),  # a /8 and one address more
        ("::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "2001:db8::30", "wider than the /12"),
        ("203.0.113.0", "203.0.113.255", "198.51.100.30", "which does not hold 198.51.100.30"),
        ("198.51.100.0", "2001:db8::", "198.51.100.30", "has no valid address range"),
        ("198.51.100.255", "198.51.100.0", "198.51.100.30", "has no valid address range"),
    ],
)
def test_an_answer_claiming_an_implausible_range_is_refused_and_not_cached(
    httpserver: HTTPServer, tmp_path: Path, start: str, end: str, address: str, sentence: str
) -> None:
    httpserver.expect_request(f"/rdap/ip/{address}").respond_with_json(network(start, end))
    rdap = client(httpserver, tmp_path)
    found = rdap.lookup(address)
    assert found.error is not None and sentence in found.error and found.organisation is None
    assert not RdapCache(tmp_path / "rdap.json").entries
    neighbour = str(ipaddress.ip_address(address) + 1)
    httpserver.expect_request(f"/rdap/ip/{neighbour}").respond_with_json(network(neighbour, neighbour))
    assert not rdap.lookup(neighbour).cached  # asked, not taken from the refused answer
    assert len(httpserver.log) == 2


def test_a_plausible_wide_range_is_cached_for_its_neighbours(httpserver: HTTPServer, tmp_path: Path) -> None:
    httpserver.expect_request("/rdap/ip/198.51.100.30").respond_with_json(network("198.0.0.0", "198.255.255.255"))
    rdap = client(httpserver, tmp_path)
    assert rdap.lookup("198.51.100.30").organisation == "Example BV"
    assert rdap.lookup("198.18.0.1").cached  # a /8, as IANA hands a registry: plausible


def test_the_cache_is_keyed_by_the_server_asked(httpserver: HTTPServer, tmp_path: Path) -> None:
    """A range one server claimed never answers a lookup sent to another server."""
    httpserver.expect_request("/rdap/ip/198.51.100.7").respond_with_json(
        network("198.51.100.0", "198.51.100.255", org="First Registry Customer")
    )
    other = HTTPServer(host="127.0.0.1", port=0)
    other.start()
    try:
        other.expect_request("/rdap/ip/198.51.100.8").respond_with_json(
            network("198.51.100.0", "198.51.100.255", org="Second Registry Customer")
        )
        first = client(httpserver, tmp_path)
        assert first.lookup("198.51.100.7").organisation == "First Registry Customer"
        second = client(other, tmp_path)  # the same cache file
        found = second.lookup("198.51.100.8")
        assert not found.cached and found.organisation == "Second Registry Customer"
        assert len(other.log) == 1
        # Each server's answer now serves its own neighbours.
        assert client(httpserver, tmp_path).lookup("198.51.100.9").organisation == "First Registry Customer"
        assert client(other, tmp_path).lookup("198.51.100.9").organisation == "Second Registry Customer"
        assert len(httpserver.log) == 1 and len(other.log) == 1
        servers = {e.server for e in RdapCache(tmp_path / "rdap.json").entries}
        assert servers == {httpserver.url_for("/rdap/"), other.url_for("/rdap/")}
    finally:
        other.clear()
        other.stop()


def test_a_cache_file_holds_only_what_databorder_would_have_stored(httpserver: HTTPServer, tmp_path: Path) -> None:
    """Entries without a server (the first format), of the wrong shape or with an implausible range are dropped."""
    server = httpserver.url_for("/rdap/")
    good = {"network_name": "GOOD", "organisation": "Good BV", "url": "https://rdap.example.test/ip/198.51.100.1"}
    entries = [
        {"network": "0.0.0.0/0", "fetched": time.time(), "registration": {"organisation": "Everyone"}},
        {"server": server, "network": "0.0.0.0/0", "fetched": time.time(), "registration": {"organisation": "All"}},
        {"server": server, "network": "2001:db8::/8", "fetched": time.time(), "registration": {}},
        {"server": server, "network": "198.51.100.0/24", "fetched": "yesterday", "registration": {}},
        {"server": server, "network": "198.51.100.0/24", "fetched": time.time(), "registration": {"rir": 7}},
        {"server": server, "network": [1], "fetched": time.time(), "registration": {}},
        "not an entry",
        {"server": server, "network": "198.51.100.0/24", "fetched": time.time(), "registration": good},
    ]
    (tmp_path / "rdap.json").write_text(json.dumps({"entries": entries}), encoding="utf-8")
    cache = RdapCache(tmp_path / "rdap.json")
    assert [(e.server, str(e.network)) for e in cache.entries] == [(server, "198.51.100.0/24")]
    found = client(httpserver, tmp_path).lookup("198.51.100.1")
    assert found.cached and found.organisation == "Good BV"
    httpserver.expect_request("/rdap/ip/203.0.113.1").respond_with_json(network("203.0.113.0", "203.0.113.255"))
    assert not client(httpserver, tmp_path).lookup("203.0.113.1").cached  # not from the dropped /0 entries


def test_the_cache_keeps_at_most_its_bound_newest_first(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from databorder.attribute import rdap as module

    monkeypatch.setattr(module, "MAX_CACHE_ENTRIES", 3)
    cache = RdapCache(tmp_path / "rdap.json")
    for last in range(5):
        cache.store(ipaddress.ip_network(f"192.0.2.{last}/32"), {"organisation": str(last)}, server="https://a.test/")
    kept = RdapCache(tmp_path / "rdap.json").entries
    assert [str(e.network) for e in kept] == ["192.0.2.2/32", "192.0.2.3/32", "192.0.2.4/32"]
    with pytest.raises(ValueError, match="wider than any registry allocates"):
        cache.store(ipaddress.ip_network("0.0.0.0/0"), {}, server="https://a.test/")


@pytest.mark.parametrize("content", [b"{", b"[1, 2]", b'{"entries": 5}', b"\xff\xfe", b"[" * 100_000])
def test_a_damaged_cache_file_is_ignored(httpserver: HTTPServer, tmp_path: Path, content: bytes) -> None:
    (tmp_path / "rdap.json").write_bytes(content)
    assert RdapCache(tmp_path / "rdap.json").entries == []
    httpserver.expect_request("/rdap/ip/192.0.2.60").respond_with_json(network("192.0.2.0", "192.0.2.255"))
    assert client(httpserver, tmp_path).lookup("192.0.2.60").organisation == "Example BV"


def test_an_oversized_answer_is_not_read_whole(httpserver: HTTPServer, tmp_path: Path) -> None:
    from databorder.attribute import rdap as module

    httpserver.expect_request("/rdap/ip/192.0.2.40").respond_with_data(b"{" + b" " * (module._MAX_BODY + 10) + b"}")
    assert client(httpserver, tmp_path).lookup("192.0.2.40").error == (
        "the registry's answer is far larger than an RDAP record; ignored"
    )
