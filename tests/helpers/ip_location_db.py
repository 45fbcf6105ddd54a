"""ip-location-db's release as a local HTTP server serves it: the real shipped databases, restamped to a given date.

The release keeps each file under ``/latest/`` and its ``FILE.sha256`` under ``/checksum/``. Tests serve the
databases DataBorder ships (real files, 8 and 11 MB) with only their build date changed, so every check runs on
real data; the date is rewritten in place in the file's metadata (``build_epoch`` is a uint64 of four bytes for
any date from 1970-01-01 to 2106), which keeps the file valid.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping
from typing import Any

from pytest_httpserver import HTTPServer

from databorder.attribute.geoip import embedded_origins

COUNTRY, ASN = "geo-whois-asn-country.mmdb", "origin-asn.mmdb"
_METADATA_START = b"\xab\xcd\xefMaxMind.com"
_EPOCH_KEY = b"\x4bbuild_epoch\x04\x02"  # the key (a string of 11), then a uint64 (extended type 9) of 4 bytes


def shipped(kind: str) -> bytes:
    """The embedded database of ``kind`` as shipped."""
    return embedded_origins()[kind][0].read_bytes()


def restamped(data: bytes, built: dt.date) -> bytes:
    """``data`` (an .mmdb file) with its build date set to ``built`` (midnight UTC)."""
    start = data.rindex(_METADATA_START)
    at = data.index(_EPOCH_KEY, start) + len(_EPOCH_KEY)
    epoch = int(dt.datetime(built.year, built.month, built.day, tzinfo=dt.UTC).timestamp())
    return data[:at] + epoch.to_bytes(4, "big") + data[at + 4 :]


def sha256_line(data: bytes, name: str) -> str:
    """A checksum file as ``sha256sum`` writes it."""
    return f"{hashlib.sha256(data).hexdigest()}  {name}\n"


def serve_release(
    server: HTTPServer, files: Mapping[str, bytes], *, checksums: Mapping[str, str] | None = None, signed: bool = True
) -> None:
    """Serve ``files`` under /latest/ and, when ``signed``, their checksums (or the ``checksums`` given) under
    /checksum/; an unsigned file's checksum answers 404, as for a file the publisher gives none for."""
    for name, body in files.items():
        server.expect_request(f"/latest/{name}").respond_with_data(body, content_type="application/octet-stream")
        if signed:
            line = (checksums or {}).get(name) or sha256_line(body, name)
            server.expect_request(f"/checksum/{name}.sha256").respond_with_data(line)
        else:
            server.expect_request(f"/checksum/{name}.sha256").respond_with_data("Not Found", status=404)


def urls(server: HTTPServer) -> dict[str, Any]:
    """The keyword arguments that point an update at ``server``."""
    return {"base_url": server.url_for("/latest"), "checksum_url": server.url_for("/checksum")}
