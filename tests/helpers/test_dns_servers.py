"""The test servers must behave as they claim, or the DNS tests prove nothing."""

from __future__ import annotations

import asyncio
import socket
import time

import dns.asyncresolver
import dns.exception
import dns.message
import dns.query
import dns.rcode
import dns.resolver
import pytest

from tests.conftest import DnsZone
from tests.helpers.dns_servers import (
    LOOPBACK,
    DelayProxy,
    Dnsmasq,
    ServfailResponder,
    SilentNameserver,
    free_udp_tcp_port,
)


def resolver_for(nameserver: str, lifetime: float = 2.0) -> dns.resolver.Resolver:
    host, port = nameserver.split(":")
    resolver = dns.resolver.Resolver(configure=False)
    resolver.nameservers = [host]
    resolver.port = int(port)
    resolver.lifetime = lifetime
    return resolver


def addresses(resolver: dns.resolver.Resolver, name: str, rdtype: str, *, tcp: bool = False) -> set[str]:
    return {r.to_text() for r in resolver.resolve(name, rdtype, tcp=tcp)}


def rcode_of(nameserver: str, name: str, rdtype: str = "A") -> str:
    """The server's own rcode, because the resolver reports SERVFAIL and REFUSED alike (NoNameservers)."""
    host, port = nameserver.split(":")
    response = dns.query.udp(dns.message.make_query(name, rdtype), host, port=int(port), timeout=2)
    return dns.rcode.to_text(response.rcode())


def test_free_udp_tcp_port_is_free_for_both() -> None:
    port = free_udp_tcp_port()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp, socket.socket() as tcp:
        udp.bind((LOOPBACK, port))
        tcp.bind((LOOPBACK, port))


def test_dnsmasq_answers_a_aaaa_and_several_addresses(dns_zone: DnsZone) -> None:
    resolver = resolver_for(dns_zone.nameserver)
    assert addresses(resolver, "api.chat.test", "A") == {"203.0.113.10"}
    assert addresses(resolver, "api.chat.test", "AAAA") == {"2001:db8::10"}
    assert addresses(resolver, "multi.chat.test", "A") == {"192.0.2.10", "192.0.2.11"}
    assert addresses(resolver, "v6only.chat.test", "AAAA") == {"2001:db8::66"}
    assert addresses(resolver, "api.chat.test", "A", tcp=True) == {"203.0.113.10"}


def test_dnsmasq_gives_a_two_hop_cname_chain_in_one_answer(dns_zone: DnsZone) -> None:
    answer = resolver_for(dns_zone.nameserver).resolve("www.chat.test", "A")
    assert answer.canonical_name.to_text() == "host.cdn.test."
    chain = [(rrset.name.to_text(), rrset.to_text().split()[-1]) for rrset in answer.response.answer]
    assert chain == [
        ("www.chat.test.", "edge.cdn.test."),
        ("edge.cdn.test.", "host.cdn.test."),
        ("host.cdn.test.", "198.51.100.20"),
    ]


def test_dnsmasq_no_data_nxdomain_and_refused(dns_zone: DnsZone) -> None:
    resolver = resolver_for(dns_zone.nameserver)
    with pytest.raises(dns.resolver.NoAnswer):
        resolver.resolve("v6only.chat.test", "A")
    with pytest.raises(dns.resolver.NoAnswer):
        resolver.resolve("txtonly.chat.test", "A")
    with pytest.raises(dns.resolver.NXDOMAIN):
        resolver.resolve("unknown.chat.test", "A")
    assert rcode_of(dns_zone.nameserver, "unknown.chat.test") == "NXDOMAIN"
    assert rcode_of(dns_zone.nameserver, "example.com") == "REFUSED"  # nothing leaves loopback


def test_forwarded_subdomains_win_over_local_test(dns_zone: DnsZone) -> None:
    # SERVFAIL, not --local=/test/'s NXDOMAIN: the more specific server=/fail.test/ line wins.
    assert rcode_of(dns_zone.nameserver, "x.fail.test") == "SERVFAIL"
    resolver = resolver_for(dns_zone.nameserver)
    with pytest.raises(dns.resolver.NoNameservers):
        resolver.resolve("x.fail.test", "A")
    resolver.lifetime = 0.5
    started = time.monotonic()
    with pytest.raises(dns.exception.Timeout):
        resolver.resolve("x.slow.test", "A")
    assert time.monotonic() - started < 1.5


def test_dnsmasq_serves_thousands_of_names_and_takes_extra_args() -> None:
    records = {f"n{i:05d}.bulk.test": [f"198.51.100.{i % 250 + 1}", f"2001:db8::{i:x}"] for i in range(5000)}
    with Dnsmasq(host_records=records, extra_args=["--host-record=extra.bulk.test,192.0.2.99"]) as dnsmasq:
        resolver = resolver_for(dnsmasq.nameserver)
        assert addresses(resolver, "n00000.bulk.test", "A") == {"198.51.100.1"}
        assert addresses(resolver, "n04999.bulk.test", "AAAA") == {"2001:db8::1387"}
        assert addresses(resolver, "extra.bulk.test", "A") == {"192.0.2.99"}
        assert dnsmasq.address == LOOPBACK and dnsmasq.nameserver == f"{LOOPBACK}:{dnsmasq.port}"
    with pytest.raises(dns.exception.Timeout):
        resolver_for(dnsmasq.nameserver, lifetime=0.3).resolve("n00000.bulk.test", "A")  # stopped on exit


def test_dnsmasq_refuses_a_zone_it_would_silently_misread() -> None:
    with pytest.raises(ValueError, match="not an IP address"):
        Dnsmasq(host_records={"typo.test": ["300.1.2.3"]})  # dnsmasq would take it for a second name
    with pytest.raises(ValueError, match="not a DNS name"):
        Dnsmasq(host_records={"a b.test": ["192.0.2.1"]})  # dnsmasq would serve a name with a space
    with pytest.raises(ValueError, match="not a DNS name"):
        Dnsmasq(host_records={}, cnames={"alias.test": ""})  # dnsmasq would answer CNAME to the root


def test_dnsmasq_that_cannot_start_says_why() -> None:
    with (
        pytest.raises(RuntimeError, match=r"dnsmasq did not start(.|\n)*bad command line options"),
        Dnsmasq(host_records={"a.test": ["192.0.2.1"]}, extra_args=["--no-such-option"]),
    ):
        pass


def test_servfail_responder_answers_servfail_to_everything() -> None:
    with ServfailResponder() as servfail:
        query = dns.message.make_query("anything.example", "AAAA")
        response = dns.query.udp(query, servfail.address, port=servfail.port, timeout=2)
        assert response.id == query.id and response.question == query.question
        assert response.rcode() == dns.rcode.SERVFAIL
        with pytest.raises(dns.resolver.NoNameservers):
            resolver_for(servfail.nameserver).resolve("api.chat.test", "A")


def test_silent_nameserver_never_answers_udp_or_tcp() -> None:
    with SilentNameserver() as silent:
        resolver = resolver_for(silent.nameserver, lifetime=0.5)
        for tcp in (False, True):
            started = time.monotonic()
            with pytest.raises(dns.exception.Timeout):
                resolver.resolve("api.chat.test", "A", tcp=tcp)
            assert time.monotonic() - started < 1.5
        # The TCP side accepts: a client gets a connection, then silence (not a refusal it could act on).
        with socket.create_connection((silent.address, silent.port), timeout=1) as connection:
            connection.settimeout(0.3)
            connection.sendall(b"\x00\x02hi")
            with pytest.raises(TimeoutError):
                connection.recv(1)


def test_delay_proxy_adds_the_delay_to_each_query_over_udp_and_tcp(dns_zone: DnsZone) -> None:
    host, port = dns_zone.nameserver.split(":")
    with DelayProxy((host, int(port))) as proxy:  # default: 10 ms
        resolver = resolver_for(proxy.nameserver)
        for tcp in (False, True):
            started = time.monotonic()
            assert addresses(resolver, "api.chat.test", "A", tcp=tcp) == {"203.0.113.10"}
            assert time.monotonic() - started >= 0.010
        with pytest.raises(dns.resolver.NXDOMAIN):  # the upstream's answer passes through as it is
            resolver.resolve("unknown.chat.test", "A")


def test_delay_proxy_delays_each_query_on_its_own_so_concurrent_queries_overlap(dns_zone: DnsZone) -> None:
    host, port = dns_zone.nameserver.split(":")
    with DelayProxy((host, int(port)), delay_ms=10) as proxy:

        async def many() -> tuple[float, list[set[str]]]:
            resolver = dns.asyncresolver.Resolver(configure=False)
            resolver.nameservers = [proxy.address]
            resolver.port = proxy.port
            resolver.lifetime = 5
            names = ["api.chat.test", "multi.chat.test"] * 100
            begin = time.monotonic()
            answers = await asyncio.gather(*(resolver.resolve(name, "A") for name in names))
            return time.monotonic() - begin, [{r.to_text() for r in answer} for answer in answers]

        elapsed, answers = asyncio.run(many())
        assert answers == [{"203.0.113.10"}, {"192.0.2.10", "192.0.2.11"}] * 100
        assert elapsed < 200 * 0.010 / 2, elapsed  # one by one would take at least 2 s; half that leaves room for load


def test_delay_proxy_loses_nothing_in_a_burst_of_a_thousand_queries(dns_zone: DnsZone) -> None:
    # The kernel drops datagrams a busy proxy cannot read in time; a lost query would show up as a client timeout.
    host, port = dns_zone.nameserver.split(":")
    with DelayProxy((host, int(port))) as proxy:

        async def burst() -> list[object]:
            resolver = dns.asyncresolver.Resolver(configure=False)
            resolver.nameservers = [proxy.address]
            resolver.port = proxy.port
            resolver.timeout = resolver.lifetime = 10  # no retry to hide a drop
            queries = (resolver.resolve("api.chat.test", "A") for _ in range(1000))
            return await asyncio.gather(*queries, return_exceptions=True)

        failures = [result for result in asyncio.run(burst()) if isinstance(result, BaseException)]
        assert not failures, failures[:3]
