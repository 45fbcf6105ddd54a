from __future__ import annotations

import time

from databorder.nameserver import Nameserver
from databorder.resolve import resolve_names
from tests.conftest import DnsZone
from tests.helpers.dns_servers import GarbageResponder


def ns(text: str) -> Nameserver:
    return Nameserver.parse(text)


def test_a_aaaa_cname_chain_nxdomain_nodata_against_real_dnsmasq(dns_zone: DnsZone) -> None:
    names = [
        "api.chat.test",
        "www.chat.test",
        "v6only.chat.test",
        "nope.chat.test",
        "txtonly.chat.test",
        "multi.chat.test",
    ]
    reach, results = resolve_names(names, ns(dns_zone.nameserver), timeout=2)
    assert reach.reachable and not reach.resolves_public_names  # dnsmasq serves .test only
    api = results["api.chat.test"]
    assert api.resolution.status == "ok" and set(api.addresses) == {"203.0.113.10", "2001:db8::10"}
    assert api.resolution.nameserver == dns_zone.nameserver
    www = results["www.chat.test"]
    assert www.resolution.status == "ok"
    assert www.resolution.cname_chain == ("edge.cdn.test", "host.cdn.test")
    assert www.addresses == ("198.51.100.20",)
    v6 = results["v6only.chat.test"]  # A gives NOERROR/no data, AAAA an address: the name resolves
    assert (v6.resolution.status, v6.addresses) == ("ok", ("2001:db8::66",))
    assert results["nope.chat.test"].resolution.status == "nxdomain"
    assert results["txtonly.chat.test"].resolution.status == "nodata"
    assert sorted(results["multi.chat.test"].addresses) == ["192.0.2.10", "192.0.2.11"]


def test_servfail_and_timeout_are_typed_and_timeouts_are_quick(dns_zone: DnsZone) -> None:
    started = time.monotonic()
    _, results = resolve_names(["x.fail.test", "y.slow.test", "api.chat.test"], ns(dns_zone.nameserver), timeout=0.5)
    elapsed = time.monotonic() - started
    fail = results["x.fail.test"].resolution
    assert fail.status == "servfail" and fail.detail is not None and "SERVFAIL" in fail.detail
    slow = results["y.slow.test"].resolution
    assert slow.status == "timeout" and slow.detail is not None and "no answer within" in slow.detail
    assert results["api.chat.test"].resolution.status == "ok"
    assert elapsed < 3, elapsed  # the slow name costs one timeout, in parallel with the rest


def test_unreachable_nameserver_is_said_once_and_nothing_is_resolved(dns_zone: DnsZone) -> None:
    started = time.monotonic()
    names = [f"n{i}.chat.test" for i in range(200)]
    reach, results = resolve_names(names, ns(dns_zone.silent), timeout=3)
    elapsed = time.monotonic() - started
    assert not reach.reachable
    assert "DNS is unreachable" in reach.sentence and dns_zone.silent in reach.sentence
    assert {r.resolution.status for r in results.values()} == {"skipped"}
    assert elapsed < 3.5, elapsed  # one probe (2 x 1.5 s), not 200 timeouts


def test_a_nameserver_answering_garbage_is_reported_and_costs_one_timeout() -> None:
    with GarbageResponder() as garbage:
        started = time.monotonic()
        reach, results = resolve_names([f"n{i}.chat.test" for i in range(20)], ns(garbage.nameserver), timeout=0.5)
    assert reach.reachable and not reach.resolves_public_names
    assert "malformed reply" in reach.sentence
    assert {r.resolution.status for r in results.values()} == {"timeout"}
    assert time.monotonic() - started < 2


def test_many_names_concurrently_with_progress(dns_zone: DnsZone) -> None:
    seen: list[tuple[int, int]] = []
    names = ["api.chat.test", "www.chat.test"] + [f"missing{i}.chat.test" for i in range(300)]
    _, results = resolve_names(
        names, ns(dns_zone.nameserver), concurrency=50, progress=lambda d, t: seen.append((d, t))
    )
    assert len(results) == 302
    assert seen[-1] == (302, 302) and len(seen) == 302
    assert sum(r.resolution.status == "nxdomain" for r in results.values()) == 300


def test_cancel_stops_within_a_second_and_keeps_what_was_resolved(dns_zone: DnsZone) -> None:
    started = time.monotonic()
    names = ["api.chat.test"] + [f"n{i}.slow.test" for i in range(20)]
    _, results = resolve_names(
        names, ns(dns_zone.nameserver), timeout=10, cancelled=lambda: time.monotonic() - started > 0.3
    )
    elapsed = time.monotonic() - started
    assert elapsed < 1.5, elapsed
    assert results["api.chat.test"].resolution.status == "ok"
    assert {results[n].resolution.detail for n in names[1:]} == {"cancelled"}
