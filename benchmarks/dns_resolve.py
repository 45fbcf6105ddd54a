"""DNS resolution speed: `databorder assess` of 1,000 names (A + AAAA) against one-by-one resolution.

Goal (engine walking-skeleton issue): <= 2 s wall, including start-up, through a resolver that adds ~10 ms per
query (as real recursive resolvers do), where dnspython's synchronous resolver asking one name at a time takes
~20 s. Also straight on loopback, where latency is nil and both are CPU-bound.

A real dnsmasq serves 1,000 `.test` names on 127.0.0.1; a UDP proxy adds the delay. Nothing leaves loopback.

    python3 benchmarks/dns_resolve.py [--names 1000] [--delay-ms 10]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import dns.resolver

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.helpers.dns_servers import DelayProxy, Dnsmasq


def names_and_records(count: int) -> dict[str, list[str]]:
    """``count`` names, each with one documentation-range IPv4 and IPv6 address."""
    return {f"n{i:05d}.bench.test": [f"198.51.100.{i % 250 + 1}", f"2001:db8::{i:x}"] for i in range(count)}


def databorder_assess(hosts: Path, nameserver: str) -> float:
    """Wall time of the whole CLI run, start-up included, as a user would see it."""
    started = time.perf_counter()
    subprocess.run(
        [
            "databorder",
            "assess",
            "--hosts",
            str(hosts),
            "--nameserver",
            nameserver,
            "--quiet",
            "--no-history",  # measured as before the history store; and the user's history is left alone
            "--json",
            str(hosts.with_suffix(".json")),
        ],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return time.perf_counter() - started


def one_by_one(names: list[str], nameserver: str) -> float:
    """dnspython's synchronous resolver, A then AAAA for each name, one query at a time."""
    host, port = nameserver.split(":")
    resolver = dns.resolver.Resolver(configure=False)
    resolver.nameservers = [host]
    resolver.port = int(port)
    resolver.lifetime = 5
    started = time.perf_counter()
    for name in names:
        for rdtype in ("A", "AAAA"):
            resolver.resolve(name, rdtype, search=False)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--names", type=int, default=1000)
    parser.add_argument("--delay-ms", type=float, default=10.0)
    args = parser.parse_args()
    records = names_and_records(args.names)
    names = list(records)
    with tempfile.TemporaryDirectory() as tmp, Dnsmasq(host_records=records) as dnsmasq:
        hosts = Path(tmp) / "hosts.txt"
        hosts.write_text("\n".join(names) + "\n", encoding="utf-8")
        host, port = dnsmasq.nameserver.split(":")
        with DelayProxy((host, int(port)), delay_ms=args.delay_ms) as proxy:
            print(f"{args.names:,} names, A + AAAA each ({2 * args.names:,} queries)")
            print(f"{'':<44}{'databorder assess':>20}{'one by one (sync)':>20}")
            delayed = (databorder_assess(hosts, proxy.nameserver), one_by_one(names, proxy.nameserver))
            print(f"{f'through a +{args.delay_ms:g} ms resolver':<44}{delayed[0]:>19.2f}s{delayed[1]:>19.2f}s")
        loopback = (databorder_assess(hosts, dnsmasq.nameserver), one_by_one(names, dnsmasq.nameserver))
        print(f"{'straight on loopback (no added latency)':<44}{loopback[0]:>19.2f}s{loopback[1]:>19.2f}s")
        started = time.perf_counter()
        subprocess.run(["databorder", "--version"], check=True, stdout=subprocess.DEVNULL)
        print(f"(of which start-up: `databorder --version` takes {time.perf_counter() - started:.2f} s)")


if __name__ == "__main__":
    main()
