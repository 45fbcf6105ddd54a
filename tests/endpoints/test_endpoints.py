from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from databorder.endpoints import build_endpoints, normalise_host, parse_endpoint, registrable_domain
from databorder.errors import EndpointSyntaxError
from databorder.model import Evidence, Observation


@pytest.mark.parametrize(
    ("text", "host", "ip", "port", "scheme"),
    [
        ("api.deepseek.com", "api.deepseek.com", None, None, None),
        ("API.DeepSeek.COM.", "api.deepseek.com", None, None, None),
        ("https://api.openai.com/v1/chat?x=1#frag", "api.openai.com", None, None, "https"),
        ("HTTP://user:pw@Example.COM:8080/path", "example.com", None, 8080, "http"),
        ("wss://realtime.example.test:443", "realtime.example.test", None, 443, "wss"),
        ("api.anthropic.com:443", "api.anthropic.com", None, 443, None),
        ("203.0.113.5", None, "203.0.113.5", None, None),
        ("203.0.113.5:8443", None, "203.0.113.5", 8443, None),
        ("2001:db8::1", None, "2001:db8::1", None, None),
        ("[2001:DB8::1]:443", None, "2001:db8::1", 443, None),
        ("https://[2001:db8::a]/x", None, "2001:db8::a", None, "https"),
        ("::ffff:198.51.100.7", None, "198.51.100.7", None, None),
        ("bücher.example", "xn--bcher-kva.example", None, None, None),
        ("https://Bücher.Example/straße", "xn--bcher-kva.example", None, None, "https"),
        ("_dmarc.example.test", "_dmarc.example.test", None, None, None),
        ("localhost", "localhost", None, None, None),
    ],
)
def test_parse_endpoint_normalises(
    text: str, host: str | None, ip: str | None, port: int | None, scheme: str | None
) -> None:
    parsed = parse_endpoint(text)
    assert (parsed.host, parsed.ip, parsed.port, parsed.scheme) == (host, ip, port, scheme)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("", "empty"),
        ("two words", "spaces"),
        ("*.openai.com", "wildcard"),
        ("api.example.com:99999", "invalid port"),
        ("api.example.com:http", "invalid port"),
        ("[2001:db8::1", "never closes"),
        ("[not-ip]:80", "not an IPv6 address"),
        ("-bad-.example", "not a valid host name"),
        ("300.1.2.3", "neither a valid IP address nor a host name"),
        ("a" * 64 + ".example", "not a valid host name"),
        ("1http://x.example", "invalid URL scheme"),
        ("fe80::1%eth0", "not a valid host name"),
    ],
)
def test_parse_endpoint_rejects_with_a_sentence(text: str, fragment: str) -> None:
    with pytest.raises(EndpointSyntaxError, match=fragment):
        parse_endpoint(text)


def test_registrable_domain_uses_the_public_suffix_list() -> None:
    assert registrable_domain("api.deepseek.com") == "deepseek.com"
    assert registrable_domain("a.b.example.co.uk") == "example.co.uk"
    # Private-section suffixes keep each customer's name whole: a bucket is its owner's, not Amazon's.
    assert registrable_domain("foo.s3.amazonaws.com") == "foo.s3.amazonaws.com"
    assert registrable_domain("com") is None


def _obs(
    host: str | None, ip: str | None, *, line: int, relevance: float = 1.0, port: int | None = None
) -> Observation:
    evidence = Evidence(collector="list", source="hosts.txt", location=f"line {line}", excerpt=host or str(ip))
    return Observation(host=host, ip=ip, port=port, scheme=None, evidence=evidence, relevance=relevance)


def test_build_endpoints_merges_evidence_and_ranks_by_relevance() -> None:
    endpoints = build_endpoints(
        [
            _obs("docs.example.test", None, line=1, relevance=0.2),
            _obs("api.example.test", None, line=2, relevance=0.9, port=443),
            _obs("api.example.test", None, line=3, relevance=0.5, port=8443),
            _obs(None, "203.0.113.9", line=4, relevance=0.5),
        ]
    )
    assert [e.key for e in endpoints] == ["api.example.test", "203.0.113.9", "docs.example.test"]
    api = endpoints[0]
    assert api.relevance == 0.9
    assert [ev.location for ev in api.evidence] == ["line 2", "line 3"]
    assert api.ports == (443, 8443)
    assert api.registrable_domain == "example.test"
    bare = endpoints[1]
    assert bare.host is None and bare.ip == "203.0.113.9" and bare.registrable_domain is None
    assert bare.resolution.status == "skipped"


_label = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?", fullmatch=True)


@given(st.lists(_label, min_size=2, max_size=5), st.booleans(), st.sampled_from(["", "https://", "ftp://"]))
def test_valid_host_names_survive_case_and_trailing_dot(labels: list[str], upper: bool, scheme: str) -> None:
    host = ".".join(labels)
    if host.rsplit(".", 1)[-1].isdigit():
        return  # an all-digit last label is not a host name (and may be an IP address)
    text = scheme + (host.upper() if upper else host) + "."
    assert parse_endpoint(text).host == host


@given(st.text(max_size=60))
def test_parse_endpoint_never_fails_with_anything_but_a_sentence(text: str) -> None:
    try:
        parsed = parse_endpoint(text)
    except EndpointSyntaxError as exc:
        assert str(exc)
    else:
        assert (parsed.host is None) != (parsed.ip is None)
        if parsed.host is not None:
            assert normalise_host(parsed.host) == parsed.host


def test_evidence_is_capped_per_source_and_observed_addresses_merge() -> None:
    sightings = [
        Observation(
            host="api.chat.test", ip=None, port=443, scheme="https",
            evidence=Evidence("pcap", "cap.pcap", f"packet {n}", "TLS SNI api.chat.test"),
            seen_addresses=("203.0.113.10",) if n % 2 else ("203.0.113.11",),
        )
        for n in range(1, 26)
    ] + [_obs("api.chat.test", None, line=1)]  # fmt: skip
    (endpoint,) = build_endpoints(sightings)
    pcap = [e for e in endpoint.evidence if e.collector == "pcap"]
    assert len(pcap) == 11 and pcap[-1].excerpt == "… and 15 more sightings here" and pcap[-1].location is None
    assert [e.collector for e in endpoint.evidence].count("list") == 1
    assert endpoint.observed_addresses == ("203.0.113.10", "203.0.113.11")


def test_named_addresses_merge_into_their_host_under_the_same_evidence_cap() -> None:
    from databorder.endpoints import MAX_EVIDENCE_PER_SOURCE, rename_endpoints
    from databorder.model import Resolution

    sightings = [
        Observation(None, "198.51.100.9", 443, None, Evidence("pcap", "cap.pcap", str(i), "tcp 443"))
        for i in range(3 * MAX_EVIDENCE_PER_SOURCE)
    ]
    host = Observation("api.x.test", None, None, "https", Evidence("list", "hosts.txt", "1", "api.x.test"))
    other = Observation(None, "203.0.113.5", 53, None, Evidence("pcap", "cap.pcap", "1", "udp 53"))
    endpoints = build_endpoints([*sightings, host, other])
    names = {"198.51.100.9": ("api.x.test", "named api.x.test: it resolved to this address")}
    renamed = rename_endpoints(endpoints, names, {})
    assert {e.key for e in renamed} == {"api.x.test", "203.0.113.5"}
    merged = next(e for e in renamed if e.host == "api.x.test")
    pcap = [ev for ev in merged.evidence if ev.collector == "pcap" and ev.location is not None]
    assert len(pcap) == MAX_EVIDENCE_PER_SOURCE  # the cap build_endpoints applies (the old second merge skipped it)
    assert all("named api.x.test" in ev.excerpt for ev in pcap)
    assert merged.observed_addresses == ("198.51.100.9",) and merged.ports == (443,) and merged.schemes == ("https",)
    assert merged.confidence == "observed"
    assert merged.resolution == next(e for e in endpoints if e.host == "api.x.test").resolution
    new = rename_endpoints(
        build_endpoints(sightings[:2]), {"198.51.100.9": ("new.x.test", "named new.x.test: its PTR name")},
        {"new.x.test": Resolution(status="ok")},
    )  # fmt: skip
    assert [e.host for e in new] == ["new.x.test"] and new[0].resolution.status == "ok"


def test_pages_for_people_are_told_by_their_first_label_under_a_domain() -> None:
    from databorder.endpoints import is_web_page

    assert is_web_page("docs.vendor.com") and is_web_page("www.vendor.co.uk")
    assert is_web_page("bailian.console.aliyun.com")  # a console page, whatever comes before
    assert not is_web_page("docs.com") and not is_web_page("api.vendor.com") and not is_web_page(None)


def test_credentials_go_only_over_https_or_to_this_machine() -> None:
    from databorder.endpoints import sent_safely

    assert sent_safely("https://download.example.test/x") and sent_safely("http://127.0.0.1:8080/x")
    assert sent_safely("http://localhost/x") and sent_safely("http://[::1]:9/x")
    assert not sent_safely("http://mirror.example.test/x") and not sent_safely("http://192.0.2.1/x")
    assert not sent_safely("ftp://127.0.0.1/x") and not sent_safely("file:///etc/passwd")
