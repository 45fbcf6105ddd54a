"""The test servers must behave as they claim, or the DNS tests prove nothing."""

from __future__ import annotations

import asyncio
import time

import dns.asyncresolver
import dns.resolver
import pytest

from tests.conftest import DnsZone
from tests.helpers.dns_servers import DelayProxy


def resolver_for(nameserver: str, lifetime: float = 2.0) -> dns.resolver.Resolver:
    host, port = nameserver.split(":")
    resolver = dns.resolver.Resolver(configure=False)
    resolver.nameservers = [host]
    resolver.port = int(port)
    resolver.lifetime = lifetime
    return resolver


def test_dnsmasq_zone_servfail_and_silent_subdomains(dns_zone: DnsZone) -> None:
    resolver = resolver_for(dns_zone.nameserver)
    assert [r.to_text() for r in resolver.resolve("api.chat.test", "A")] == ["203.0.113.10"]
    with pytest.raises(dns.resolver.NXDOMAIN):
        resolver.resolve("unknown.chat.test", "A")
    with pytest.raises(dns.resolver.NoNameservers):
        resolver.resolve("x.fail.test", "A")
    resolver.lifetime = 0.5
    with pytest.raises(dns.resolver.LifetimeTimeout):
        resolver.resolve("x.slow.test", "A")


def test_delay_proxy_adds_latency_per_query_but_overlaps_queries(dns_zone: DnsZone) -> None:
    host, port = dns_zone.nameserver.split(":")
    with DelayProxy((host, int(port)), delay_ms=20) as proxy:
        resolver = resolver_for(proxy.nameserver)
        started = time.monotonic()
        resolver.resolve("api.chat.test", "A")
        assert time.monotonic() - started >= 0.02

        async def many() -> float:
            aresolver = dns.asyncresolver.Resolver(configure=False)
            aresolver.nameservers = [proxy.address]
            aresolver.port = proxy.port
            begin = time.monotonic()
            await asyncio.gather(*(aresolver.resolve("api.chat.test", "A") for _ in range(200)))
            return time.monotonic() - begin

        elapsed = asyncio.run(many())
        assert elapsed < 200 * 0.02 / 4, elapsed  # one by one would take 4 s
