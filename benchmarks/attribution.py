"""Attribution throughput: country + ASN + operator + cloud region per address with the embedded data (C reader).

Goal (engine walking-skeleton issue, and issue 18 with the cloud ranges on): >= 300,000 addresses/s. Printed side
by side with the two raw maxminddb lookups alone: the ceiling any attribution can reach with these files, whatever
it adds.  Also the cost of two GeoIP sources at once (a country file with the embedded database read beside it;
here the embedded file stands in for the MaxMind one, so every answer agrees and nothing is uncertain).  Each figure
is the best of 5 runs over the same seeded addresses (80 % IPv4, 20 % IPv6, all public, all distinct).

Also the service facet with the operator knowledge base: who runs each of as many host names (a mix of listed
domains, subdomains of them and names nobody lists), beside a plain dict lookup of the same names.

    python3 benchmarks/attribution.py [--count 200000]
"""

from __future__ import annotations

import argparse
import ipaddress
import random
import time
from collections.abc import Callable

import maxminddb

from databorder.attribute import Attributor
from databorder.attribute.geoip import CountryDatabase, embedded_origins


def addresses(count: int) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    """Seeded random public addresses: 80 % IPv4, 20 % IPv6 in 2000::/3 (global unicast)."""
    rng = random.Random(20261124)
    result: list[ipaddress.IPv4Address | ipaddress.IPv6Address] = []
    while len(result) < count:
        if rng.random() < 0.8:
            result.append(ipaddress.IPv4Address(rng.randrange(1 << 24, 224 << 24)))
        else:
            result.append(ipaddress.IPv6Address((0x2 << 124) | rng.getrandbits(125) >> 4))
    return result


def best_of(runs: int, work: Callable[[], object]) -> float:
    best = float("inf")
    for _ in range(runs):
        started = time.perf_counter()
        work()
        best = min(best, time.perf_counter() - started)
    return best


def rate(label: str, count: int, seconds: float) -> None:
    print(f"{label:<62} {count / seconds:>10,.0f} addresses/s  ({seconds:.3f} s for {count:,})")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=200_000)
    args = parser.parse_args()
    ips = addresses(args.count)
    texts = [str(ip) for ip in ips]
    origins = embedded_origins()
    print(f"maxminddb C extension in use: {maxminddb.MODE_AUTO == 0 and _has_extension()}")

    attributor = Attributor.open()
    rate(
        "DataBorder Attributor.addresses, canonical text (as assess)",
        len(texts),
        best_of(5, lambda: attributor.addresses(texts)),
    )
    rate("DataBorder Attributor.addresses, ipaddress objects", len(ips), best_of(5, lambda: attributor.addresses(ips)))
    cloud, attributor.cloud = attributor.cloud, None
    rate(
        "the same, canonical text, without cloud ranges (cloud issue)",
        len(texts),
        best_of(5, lambda: attributor.addresses(texts)),
    )
    attributor.cloud = cloud
    attributor.second_country_db = CountryDatabase(*origins["country"])
    rate(
        "the same, with a second country database read beside it",
        len(texts),
        best_of(5, lambda: attributor.addresses(texts)),
    )
    attributor.second_country_db.close()
    attributor.second_country_db = None
    rate(
        "DataBorder Attributor.address, one call per address",
        len(texts),
        best_of(5, lambda: [attributor.address(t) for t in texts]),
    )

    country = maxminddb.open_database(str(origins["country"][0]))
    asn = maxminddb.open_database(str(origins["asn"][0]))
    rate(
        "ceiling: the two raw maxminddb lookups, nothing else",
        len(texts),
        best_of(5, lambda: [(country.get(t), asn.get(t)) for t in texts]),
    )

    hosts = host_names(len(texts), attributor)
    rate_hosts("DataBorder Attributor.service, one host at a time", len(hosts),
               best_of(5, lambda: [attributor.service(h) for h in hosts]))  # fmt: skip
    table = dict.fromkeys(hosts)
    rate_hosts(
        "baseline: a plain dict lookup of each name", len(hosts), best_of(5, lambda: [table.get(h) for h in hosts])
    )
    attributor.close()


def host_names(count: int, attributor: Attributor) -> list[str]:
    """Seeded names: a third listed domains, a third subdomains of them, a third under domains nobody lists."""
    rng = random.Random(20261203)
    listed = sorted(attributor.services.knowledge.domains)
    names = []
    for i in range(count):
        domain = listed[rng.randrange(len(listed))]
        kind = i % 3
        names.append(domain if kind == 0 else f"r{rng.randrange(10**6)}.{domain}" if kind == 1 else
                     f"api.vendor{rng.randrange(10**6)}.example")  # fmt: skip
    return names


def rate_hosts(label: str, count: int, seconds: float) -> None:
    print(f"{label:<62} {count / seconds:>10,.0f} hosts/s      ({seconds:.3f} s for {count:,})")


def _has_extension() -> bool:
    try:
        import maxminddb.extension  # noqa: F401
    except ImportError:
        return False
    return True


if __name__ == "__main__":
    main()
