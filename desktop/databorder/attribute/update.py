"""Keyless updates of the country and ASN databases and the cloud ranges, and MaxMind downloads with an account.

Keyless (no account, `databorder geoip update` and Settings → Update, both through :func:`update_keyless`): the
country and ASN databases come from ip-location-db's GitHub release, each checked (published sha256 where there is
one, format, type, probe addresses, build date, size and node-count bounds) before the store adopts it with the
previous file kept (:func:`update_geoip_database`; docs/geoip-update.md). For the cloud ranges, cloudip-db
publishes, beside its daily compilation of the providers' range feeds (``cloudip.msgpack.gz``), a ``version.json``
with the data's date, size and sha256. Each download is checked before anything changes: the date is not older than
the ranges in use (an equal one means up to date) nor in the future, the sizes stay within bounds and match what
version.json says, the uncompressed data's sha256 is the published one, it decodes, names the same date, and holds
at least half as many ranges as the data in use. Fastly's public-ip-list (not in cloudip-db) is fetched beside it
and must read as Fastly's JSON, or nothing changes. It is then compiled to DataBorder's range file and swapped in
atomically by the store, the previous file kept for `databorder geoip rollback cloud`. Proxies come from the
environment (``HTTPS_PROXY``…), as for every download.

MaxMind (GeoLite2/GeoIP2, with the user's account), the documented way:

MaxMind's download permalinks: ``{base}/geoip/databases/{EDITION}/download?suffix=tar.gz`` with HTTP basic auth
(account ID, licence key) and ``suffix=tar.gz.sha256`` for the checksum. The tarball is streamed to a private
temporary file while hashed; only the ``.mmdb`` member is read out of it (never extracted by name), then adopted
through the store with the usual checks. Any failure leaves the database in use untouched. The licence key is
never written anywhere: not in messages, logs or files.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import shutil
import tarfile
import tempfile
import time
import zlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import maxminddb
import requests

from databorder.attribute import store
from databorder.attribute.cloud import FASTLY_URL, add_fastly, compile_ranges, decode_cloudip, parse_fastly
from databorder.attribute.geoip import AsnDatabase, CountryDatabase, DatabaseOrigin
from databorder.endpoints import sent_safely
from databorder.errors import DataBorderError, GeoIPDatabaseError
from databorder.model import DatabaseRef

DEFAULT_BASE = "https://download.maxmind.com"
#: Editions DataBorder knows, and the kind of database each is.
EDITIONS = {
    "GeoLite2-Country": "country",
    "GeoLite2-City": "country",
    "GeoLite2-ASN": "asn",
    "GeoIP2-Country": "country",
    "GeoIP2-City": "country",
    "GeoIP2-ISP": "asn",
}
LICENCE = (
    "MaxMind GeoLite2/GeoIP2 End User Licence Agreement "
    "(attribution: 'This product includes GeoLite2 data created by MaxMind')"
)
#: What `geoip update` and Settings → Download fetch when no edition is named.
DEFAULT_EDITIONS = ("GeoLite2-Country", "GeoLite2-ASN")
_MAX_WAIT = 120.0  # the longest Retry-After honoured before giving up

#: Where cloudip-db publishes its compilation (public, no account): version.json and cloudip.msgpack.gz.
CLOUD_BASE = "https://raw.githubusercontent.com/rezmoss/cloudip-db/main/data"
_VERSION_LIMIT = 64 * 1024
_DATA_LIMIT = 64 * 1024 * 1024  # the gzip'd data (0.8 MB in 2026)
_RAW_LIMIT = 256 * 1024 * 1024  # uncompressed (7.4 MB in 2026)
_FASTLY_LIMIT = 256 * 1024  # Fastly's public-ip-list (under 1 kB in 2026)


class UnreachableError(DataBorderError):
    """The update server could not be reached at all (no internet, or a proxy is needed)."""

    def __init__(self, host: str, unchanged: str) -> None:
        super().__init__(
            f"cannot reach {host} (no internet connection, or a proxy is needed: set HTTPS_PROXY); {unchanged}"
        )
        self.host = host


@dataclass(frozen=True)
class CloudUpdate:
    """What a keyless update of the cloud ranges did."""

    changed: bool
    version: str  # the date of the ranges now in use
    previous: str  # the date of the ranges before
    ranges: int  # ranges in the published data
    message: str


def update_cloud_ranges(
    *,
    base_url: str | None = None,
    fastly_url: str | None = None,
    timeout: float = 60.0,
    progress: Callable[[str, int, int], None] | None = None,
    cancelled: Callable[[], bool] = lambda: False,
) -> CloudUpdate:
    """Fetch the newest published cloud ranges if they are newer than those in use, check and adopt them.

    cloudip-db's compilation, with Fastly's public-ip-list (which cloudip-db lacks) fetched beside it when the
    compilation is newer: both must read, or nothing changes. ``fastly_url`` defaults to Fastly's own URL, or, for
    a mirror given as ``base_url``, to ``public-ip-list`` in the mirror's folder.
    """
    base = (base_url or CLOUD_BASE).rstrip("/")
    host = urlsplit(base).hostname or base
    fastly = fastly_url or (f"{base}/public-ip-list" if base_url else FASTLY_URL)
    fastly_host = urlsplit(fastly).hostname or fastly
    current = store.cloud_ranges_in_use()
    with requests.Session() as session:  # proxies from the environment (requests' trust_env)
        meta_bytes = _fetch(session, f"{base}/version.json", _VERSION_LIMIT, timeout, host, current.date)
        meta = _version_info(meta_bytes, host)
        version = meta["version"]
        published = dt.date.fromisoformat(version[:10])
        in_use = dt.date.fromisoformat(current.date)
        if published > dt.datetime.now(dt.UTC).date() + dt.timedelta(days=1):
            raise DataBorderError(f"{host}: the published cloud ranges are dated {version}, in the future; nothing was "
                                  "changed")  # fmt: skip
        if published < in_use:
            raise DataBorderError(
                f"{host}: the published cloud ranges ({version}) are older than the ones in use ({current.date}); "
                "nothing was changed"
            )
        if published == in_use:
            return CloudUpdate(False, current.date, current.date, current.ranges,
                               f"the cloud ranges in use (dated {current.date}) are the newest published")  # fmt: skip
        if cancelled():
            return CloudUpdate(False, current.date, current.date, current.ranges, "cancelled; nothing was changed")

        def report(done: int, total: int) -> None:
            if progress is not None:
                progress("cloud ranges", done, total)

        data = _fetch(session, f"{base}/cloudip.msgpack.gz", _DATA_LIMIT, timeout, host, current.date, report)
        fastly_list = _fetch(session, fastly, _FASTLY_LIMIT, timeout, fastly_host, current.date)
    try:
        fastly_cidrs = parse_fastly(fastly_list, where=fastly)
    except DataBorderError as exc:
        raise DataBorderError(f"{exc}; nothing was changed") from None
    expected_size = meta.get("size_gzip")
    if isinstance(expected_size, int) and expected_size != len(data):
        raise DataBorderError(f"{host}: the cloud range download is {len(data):,} bytes, not the {expected_size:,} "
                              "version.json announces (cut short or altered); nothing was changed")  # fmt: skip
    raw = _gunzip(data, host)
    digest = hashlib.sha256(raw).hexdigest()
    if digest != str(meta["sha256"]).lower():
        raise DataBorderError(
            f"{host}: the cloud range data does not match the published sha256 (got {digest[:12]}…, expected "
            f"{str(meta['sha256'])[:12]}…); nothing was changed"
        )
    try:
        database = decode_cloudip(raw, where=f"{host}/cloudip.msgpack.gz")
    except DataBorderError as exc:
        raise DataBorderError(f"{exc}; nothing was changed") from None
    count = len(database["ranges"]) if isinstance(database["ranges"], list) else 0
    if str(database["version"]) != version:
        raise DataBorderError(f"{host}: the data says it is of {database['version']}, version.json {version}; "
                              "nothing was changed")  # fmt: skip
    if count < current.ranges // 2:
        raise DataBorderError(
            f"{host}: the published data holds only {count:,} ranges, under half the {current.ranges:,} of the data "
            "in use; refused as damaged, nothing was changed"
        )
    fetched = dt.datetime.now(dt.UTC).date().isoformat()  # Fastly's list carries no date: the day it was read
    source = f"cloudip-db {version} ({host}) and Fastly's public-ip-list of {fetched} ({fastly_host})"
    try:
        compiled = compile_ranges(add_fastly(database, fastly_cidrs), source=source,
                                  where=f"{host}/cloudip.msgpack.gz")  # fmt: skip
    except DataBorderError as exc:
        raise DataBorderError(f"{exc}; nothing was changed") from None
    info = store.adopt_cloud_ranges(compiled, source=f"cloud providers' published ranges via {source}")
    message = f"cloud ranges of {info.version} now in use ({count:,} ranges; before: {current.date})"
    return CloudUpdate(True, info.version, current.date, count, message)


def _fetch(
    session: requests.Session,
    url: str,
    limit: int,
    timeout: float,
    host: str,
    in_use: str,
    progress: Callable[[int, int], None] | None = None,
) -> bytes:
    """The body of ``url``, at most ``limit`` bytes, or a sentence saying why not (the ranges in use stay)."""
    unchanged = f"the cloud ranges in use (dated {in_use}) are unchanged"
    with _get_public(session, url, timeout, unchanged) as response:
        return b"".join(_body(response, url, limit, unchanged, progress)[1])


def _body(
    response: requests.Response,
    url: str,
    limit: int,
    unchanged: str,
    progress: Callable[[int, int], None] | None,
) -> tuple[int, Iterator[bytes]]:
    """A download's announced size and its body in blocks.

    Refused at once when not HTTP 200 or announced over ``limit``; while streaming, when over ``limit`` or
    when it breaks off.
    """
    host, name = urlsplit(url).hostname or url, url.rsplit("/", 1)[-1]
    if response.status_code != 200:
        raise DataBorderError(f"{host} answered HTTP {response.status_code} for {name}; {unchanged}")
    announced = int(response.headers.get("Content-Length") or 0)
    if announced > limit:
        raise DataBorderError(f"{host}: {name} is {announced:,} bytes, more than it can be; {unchanged}")

    def blocks() -> Iterator[bytes]:
        done = 0
        try:
            for chunk in response.iter_content(chunk_size=1 << 16):
                done += len(chunk)
                if done > limit:
                    raise DataBorderError(f"{host}: {name} is larger than it can be ({limit:,} bytes); {unchanged}")
                if progress is not None:
                    progress(done, announced)
                yield chunk
        except requests.RequestException as exc:
            raise DataBorderError(
                f"{host}: the download of {name} broke off ({type(exc).__name__}); {unchanged}"
            ) from None

    return announced, blocks()


def _version_info(data: bytes, host: str) -> dict[str, Any]:
    try:
        meta = json.loads(data.decode("utf-8"))
        if not isinstance(meta, dict):
            raise ValueError("not an object")
        dt.date.fromisoformat(str(meta["version"])[:10])
        if not isinstance(meta["sha256"], str) or len(meta["sha256"]) != 64:
            raise ValueError("no sha256")
    except (UnicodeDecodeError, ValueError, KeyError) as exc:
        raise DataBorderError(
            f"{host}: version.json is not cloudip-db's version file ({exc}); nothing was changed"
        ) from None
    meta["version"] = str(meta["version"])
    return meta


def _gunzip(data: bytes, host: str) -> bytes:
    """Decompress with a bound, so a small file cannot expand into gigabytes."""
    inflater = zlib.decompressobj(wbits=zlib.MAX_WBITS | 16)
    try:
        raw = inflater.decompress(data, _RAW_LIMIT + 1)
    except zlib.error as exc:
        raise DataBorderError(f"{host}: cloudip.msgpack.gz is not gzip data ({exc}); nothing was changed") from None
    if len(raw) > _RAW_LIMIT or inflater.unconsumed_tail:
        raise DataBorderError(f"{host}: cloudip.msgpack.gz expands beyond {_RAW_LIMIT:,} bytes; nothing was changed")
    if not inflater.eof:
        raise DataBorderError(f"{host}: cloudip.msgpack.gz is cut short; nothing was changed")
    return raw


# --- keyless: the country and ASN databases from ip-location-db --------------------------------------------

#: ip-location-db's GitHub release ``latest`` (its package READMEs: npm updates "are completely deprecated and
#: will stop"; "download the latest data directly from our GitHub Releases"), and the release ``checksum`` that
#: holds one ``FILE.sha256`` per file (unverified from the publisher; used by several consumers).
GEOIP_BASE = "https://github.com/sapics/ip-location-db/releases/download/latest"
GEOIP_CHECKSUM_BASE = "https://github.com/sapics/ip-location-db/releases/download/checksum"
_MMDB_LIMIT = 256 * 1024 * 1024  # 7.8 MB (country) and 11 MB (ASN) in 2026
_CHECKSUM_LIMIT = 4096
#: Addresses every complete country or ASN database answers (Google and Cloudflare public DNS, IPv4 and IPv6).
PROBES = ("8.8.8.8", "1.1.1.1", "2001:4860:4860::8888")


@dataclass(frozen=True)
class PublicDatabase:
    """One database ip-location-db publishes without an account, and what DataBorder records about it."""

    kind: str  # "country" or "asn"
    file: str
    dataset: str
    licence: str
    attribution: str


#: What a keyless update fetches (docs/geoip-update.md says why). The country database is the embedded one's data
#: set; the release workflow builds no MMDB of the ``asn`` data set the embedded ASN file came from (its folder
#: does not match the script's ``*-asn``), so ``origin-asn`` (GeoLite2-ASN-shaped records) is used, PDDL 1.0 by
#: its package.json and SOURCES.md.
PUBLIC_DATABASES = (
    PublicDatabase(
        "country",
        "geo-whois-asn-country.mmdb",
        "geo-whois-asn-country",
        "CC BY 4.0",
        "IP-to-country data by ip-location-db (geo-whois-asn-country: GeoFeed + WHOIS + ASN), CC BY 4.0, "
        "with WHOIS and ASN data of the five RIRs provided by the NRO (https://www.nro.net/).",
    ),
    PublicDatabase(
        "asn",
        "origin-asn.mmdb",
        "origin-asn",
        "PDDL 1.0",
        "IP-to-ASN data by ip-location-db (origin-asn), PDDL 1.0, compiled from Route Views, RIPE RIS and the "
        "RIRs' delegated statistics (NRO).",
    ),
)
_KEYLESS_SOURCE = "ip-location-db"


@dataclass(frozen=True)
class DatabaseUpdate:
    """What a keyless update of one country or ASN database did."""

    kind: str
    changed: bool
    build_date: str  # of the database now in use
    previous: str  # of the database before
    message: str


def update_geoip_database(
    kind: str,
    *,
    base_url: str | None = None,
    checksum_url: str | None = None,
    timeout: float = 60.0,
    progress: Callable[[str, int, int], None] | None = None,
    cancelled: Callable[[], bool] = lambda: False,
) -> DatabaseUpdate:
    """Refresh the country or ASN database from ip-location-db (no account) if a newer one is published.

    A mirror (``base_url``) holds the files and, unless ``checksum_url`` names another folder, ``FILE.sha256``
    beside them. A database this user adopted from elsewhere (MaxMind…) is left alone. A download that fails a
    check raises a :class:`DataBorderError` and leaves the database in use untouched.
    """
    (public,) = [entry for entry in PUBLIC_DATABASES if entry.kind == kind]
    base = (base_url or GEOIP_BASE).rstrip("/")
    sums = (checksum_url or (base if base_url else GEOIP_CHECKSUM_BASE)).rstrip("/")
    with requests.Session() as session:  # proxies from the environment (requests' trust_env)
        return _update_database(session, public, base, sums, timeout, progress, cancelled)


@dataclass(frozen=True)
class KeylessUpdate:
    """What `databorder geoip update` (and Settings → Update) did: a line per part, and the parts that failed."""

    done: tuple[str, ...]
    problems: tuple[str, ...]


def update_keyless(
    *,
    cloud_url: str | None = None,
    geoip_url: str | None = None,
    geoip_checksum_url: str | None = None,
    timeout: float = 60.0,
    progress: Callable[[str, int, int], None] | None = None,
    cancelled: Callable[[], bool] = lambda: False,
) -> KeylessUpdate:
    """Refresh the cloud ranges, then the country and ASN databases, from their public sources (no account).

    Each part is checked and adopted on its own: one that fails leaves its data untouched and the others go on.
    When none of the servers can be reached at all, one :class:`UnreachableError` says so.
    """
    done: list[str] = []
    problems: list[str] = []
    unreachable: list[str] = []

    def cloud() -> str:
        return update_cloud_ranges(base_url=cloud_url, timeout=timeout, progress=progress, cancelled=cancelled).message

    def geoip(kind: str) -> Callable[[], str]:
        return lambda: update_geoip_database(
            kind, base_url=geoip_url, checksum_url=geoip_checksum_url, timeout=timeout, progress=progress,
            cancelled=cancelled,
        ).message  # fmt: skip

    parts = [cloud, *(geoip(public.kind) for public in PUBLIC_DATABASES)]
    for part in parts:
        if cancelled():
            problems.append("cancelled; the rest was not changed")
            break
        try:
            done.append(part())
        except UnreachableError as exc:
            unreachable.append(exc.host)
            problems.append(str(exc))
        except DataBorderError as exc:
            problems.append(str(exc))
    if unreachable and len(unreachable) == len(parts):
        hosts = " or ".join(dict.fromkeys(unreachable))
        raise UnreachableError(hosts, "the country, ASN and cloud data in use are unchanged")
    return KeylessUpdate(tuple(done), tuple(problems))


def _update_database(
    session: requests.Session,
    public: PublicDatabase,
    base: str,
    sums: str,
    timeout: float,
    progress: Callable[[str, int, int], None] | None,
    cancelled: Callable[[], bool],
) -> DatabaseUpdate:
    kind, noun = public.kind, "country" if public.kind == "country" else "ASN"
    path, origin = store.default_database(kind)
    current = _open(kind, path, origin)
    in_use = current[0]
    if store.active(kind) is not None and not origin.source.startswith(_KEYLESS_SOURCE):
        return _kept(kind, in_use, f"the {noun} database in use ({origin.source}) was adopted by you; a keyless "
                     "update leaves it (`databorder geoip rollback` goes back to the embedded one)")  # fmt: skip
    host = urlsplit(base).hostname or base
    unchanged = f"the {noun} database in use (built {in_use.build_date}) is unchanged"
    checksum = _published_sha256(session, f"{sums}/{public.file}.sha256", timeout, unchanged)
    if checksum is not None and checksum == in_use.sha256:
        return _kept(kind, in_use, f"the {noun} database in use (built {in_use.build_date}) is the newest published")

    def report(done: int, total: int) -> None:
        if progress is not None:
            progress(f"{noun} database", done, total)

    with tempfile.TemporaryDirectory(prefix="databorder-geoip-") as tmp:
        target = Path(tmp) / f"{kind}.mmdb"
        digest = _download_to(session, f"{base}/{public.file}", target, timeout, unchanged, report, cancelled)
        if digest is None:
            return _kept(kind, in_use, "cancelled; nothing was changed")
        where = f"{host}: {public.file}"
        if checksum is not None and digest != checksum:
            raise DataBorderError(f"{where} does not match the published sha256 (got {digest[:12]}…, expected "
                                  f"{checksum[:12]}…); it may be cut short or altered; {unchanged}")  # fmt: skip
        fresh, nodes, size = _open(kind, target, DatabaseOrigin(source=public.file), where=where, unchanged=unchanged)
        _check_fresh(fresh, nodes, size, current, where, noun, unchanged)
        if fresh.build_date == in_use.build_date:
            return _kept(
                kind, in_use, f"the {noun} database in use (built {in_use.build_date}) is the newest published"
            )
        signed = "checked against the published sha256" if checksum else "no sha256 published"
        ref = store.adopt(
            target,
            kind=kind,
            licence=public.licence,
            origin=f"{_KEYLESS_SOURCE} {public.dataset}, built {fresh.build_date} ({host}; {signed})",
            attribution=public.attribution,
        )
    return DatabaseUpdate(kind, True, ref.build_date or "", in_use.build_date or "",
                          f"{noun} database of {ref.build_date} now in use (ip-location-db {public.dataset}, "
                          f"{public.licence}; {signed}; before: {in_use.build_date})")  # fmt: skip


def _kept(kind: str, in_use: DatabaseRef, message: str) -> DatabaseUpdate:
    return DatabaseUpdate(kind, False, in_use.build_date or "", in_use.build_date or "", message)


def _open(
    kind: str, path: Path, origin: DatabaseOrigin, *, where: str = "", unchanged: str = ""
) -> tuple[DatabaseRef, int, int]:
    """The database's facts, its node count and size, after checking the probe addresses answer in its records."""
    reader = CountryDatabase if kind == "country" else AsnDatabase
    try:
        database = reader(path, origin)
    except GeoIPDatabaseError as exc:
        if not where:
            raise
        reason = str(exc).split(": ", 1)[-1]
        raise DataBorderError(f"{where} {reason}; {unchanged}") from None
    try:
        with maxminddb.open_database(str(path)) as opened:  # opened above, so it opens again
            meta = opened.metadata()
            nodes, ip_version = int(meta.node_count), int(meta.ip_version)
        if where and ip_version != 6:
            raise DataBorderError(f"{where} holds IPv4 only (an IPv4+IPv6 database is needed); {unchanged}")
        if isinstance(database, CountryDatabase):
            answers: list[object] = list(database.countries(PROBES))
        else:
            answers = [number for number, _ in database.asns(PROBES)]
    except GeoIPDatabaseError as exc:
        if not where:
            raise
        raise DataBorderError(f"{where} {str(exc).split(': ', 1)[-1]}; {unchanged}") from None
    finally:
        database.close()
    silent = [ip for ip, answer in zip(PROBES, answers, strict=True) if answer is None]
    if where and silent:
        what = "country code" if kind == "country" else "autonomous_system_number"
        raise DataBorderError(f"{where} gives no {what} for {', '.join(silent)} (not the record shape expected, "
                              f"or incomplete); {unchanged}")  # fmt: skip
    return database.ref, nodes, path.stat().st_size


def _check_fresh(
    fresh: DatabaseRef,
    nodes: int,
    size: int,
    current: tuple[DatabaseRef, int, int],
    where: str,
    noun: str,
    unchanged: str,
) -> None:
    """Refuse a database dated in the future or older than the one in use, or far smaller than it."""
    in_use, in_use_nodes, in_use_size = current
    built = dt.date.fromisoformat(fresh.build_date or "1970-01-01")
    if built > dt.datetime.now(dt.UTC).date() + dt.timedelta(days=1):
        raise DataBorderError(f"{where} says it was built on {fresh.build_date}, in the future; {unchanged}")
    if in_use.build_date and built < dt.date.fromisoformat(in_use.build_date):
        raise DataBorderError(f"{where} (built {fresh.build_date}) is older than the {noun} database in use "
                              f"(built {in_use.build_date}); {unchanged}")  # fmt: skip
    if nodes < in_use_nodes // 2 or size < in_use_size // 4:
        raise DataBorderError(
            f"{where} holds {nodes:,} nodes in {size:,} bytes, under half the {in_use_nodes:,} nodes of the "
            f"database in use; refused as damaged, {unchanged}"
        )


def _published_sha256(session: requests.Session, url: str, timeout: float, unchanged: str) -> str | None:
    """The publisher's sha256 of a file, or None where none is published (HTTP 404)."""
    host = urlsplit(url).hostname or url
    response = _get_public(session, url, timeout, unchanged)
    with response:
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            raise DataBorderError(f"{host} answered HTTP {response.status_code} for {url.rsplit('/', 1)[-1]}; "
                                  f"{unchanged}")  # fmt: skip
        text = response.raw.read(_CHECKSUM_LIMIT + 1, decode_content=True)
    token = (text[:_CHECKSUM_LIMIT].decode("ascii", "replace").split() or [""])[0].lower()
    if len(text) > _CHECKSUM_LIMIT or len(token) != 64 or any(c not in "0123456789abcdef" for c in token):
        raise DataBorderError(f"{host}: {url.rsplit('/', 1)[-1]} is not a sha256 checksum file; {unchanged}")
    return token


def _get_public(session: requests.Session, url: str, timeout: float, unchanged: str) -> requests.Response:
    host = urlsplit(url).hostname or url
    try:
        return session.get(url, timeout=timeout, stream=True)
    except requests.exceptions.SSLError:
        raise DataBorderError(f"{host}: its TLS certificate could not be verified; {unchanged}") from None
    except requests.Timeout:
        raise DataBorderError(f"{host} did not answer within {timeout:g} s; {unchanged}") from None
    except requests.RequestException:
        raise UnreachableError(host, unchanged) from None


def _download_to(
    session: requests.Session,
    url: str,
    target: Path,
    timeout: float,
    unchanged: str,
    progress: Callable[[int, int], None],
    cancelled: Callable[[], bool],
) -> str | None:
    """Stream ``url`` into ``target`` within the size limit; its sha256, or None when cancelled."""
    host, name = urlsplit(url).hostname or url, url.rsplit("/", 1)[-1]
    digest = hashlib.sha256()
    done = 0
    with _get_public(session, url, timeout, unchanged) as response:
        announced, blocks = _body(response, url, _MMDB_LIMIT, unchanged, progress)
        with target.open("wb") as handle:
            for chunk in blocks:
                handle.write(chunk)
                digest.update(chunk)
                done += len(chunk)
                if cancelled():
                    return None
    if announced and done != announced:
        raise DataBorderError(f"{host}: {name} is {done:,} bytes, not the {announced:,} announced; {unchanged}")
    return digest.hexdigest()


def update_editions(
    editions: Sequence[str] = DEFAULT_EDITIONS,
    *,
    base_url: str | None = None,
    progress: Callable[[str, int, int], None] | None = None,
    cancelled: Callable[[], bool] = lambda: False,
) -> Iterator[tuple[str, DatabaseRef]]:
    """Download each edition with the stored MaxMind account and adopt it; yields ``(edition, ref)`` as each is.

    The account comes from the keyring (or the environment, for one run); without one this raises a
    :class:`DataBorderError` that says how to store it.  An edition that fails leaves its database untouched.
    """
    from databorder.secrets import maxmind_account

    account = maxmind_account()
    if account is None:
        raise DataBorderError(
            "no MaxMind account: store one with `databorder secrets set maxmind` (or Settings → MaxMind account), "
            "or set MAXMIND_ACCOUNT_ID and MAXMIND_LICENSE_KEY for this run"
        )
    for edition in editions:
        if cancelled():
            return

        def report(done: int, total: int, edition: str = edition) -> None:
            if progress is not None:
                progress(edition, done, total)

        ref = update(
            edition,
            account_id=account.account_id,
            licence_key=account.licence_key,
            base_url=base_url or DEFAULT_BASE,
            progress=report,
        )
        yield edition, ref


def update(
    edition: str,
    *,
    account_id: str,
    licence_key: str,
    base_url: str = DEFAULT_BASE,
    timeout: float = 60.0,
    progress: Callable[[int, int], None] | None = None,
) -> DatabaseRef:
    """Download ``edition``, verify it and make it the active database of its kind."""
    kind = EDITIONS.get(edition)
    if kind is None:
        raise DataBorderError(f"unknown edition {edition!r}; known: {', '.join(EDITIONS)}")
    url = f"{base_url.rstrip('/')}/geoip/databases/{edition}/download"
    if not sent_safely(url):
        raise DataBorderError(
            f"{base_url}: a download server over plain http would receive your MaxMind licence key in clear text; "
            "name an https:// mirror (plain http is accepted only for a server on this machine)"
        )
    with requests.Session() as session:  # proxies come from the environment (requests' trust_env)
        session.auth = (account_id, licence_key)
        with _get(session, url, "tar.gz.sha256", timeout, edition) as response:
            expected = (response.text.split() or [""])[0].lower()
        with tempfile.TemporaryDirectory(prefix="databorder-geoip-") as tmp:
            tarball = Path(tmp) / f"{edition}.tar.gz"
            digest = _download(session, url, tarball, timeout, edition, progress)
            if digest != expected:
                raise DataBorderError(
                    f"{edition}: the download does not match MaxMind's checksum (got {digest[:12]}…, expected "
                    f"{expected[:12]}…); it may be cut short or altered; the database in use is unchanged"
                )
            database = _extract_mmdb(tarball, Path(tmp) / f"{edition}.mmdb", edition)
            return store.adopt(database, kind=kind, licence=LICENCE)


def _get(session: requests.Session, url: str, suffix: str, timeout: float, edition: str) -> requests.Response:
    for attempt in range(2):
        try:
            response = session.get(url, params={"suffix": suffix}, timeout=timeout, stream=suffix == "tar.gz")
        except requests.Timeout:
            raise DataBorderError(f"{edition}: MaxMind did not answer within {timeout:g} s; try again later") from None
        except requests.RequestException as exc:
            raise DataBorderError(f"{edition}: cannot reach the download server ({type(exc).__name__})") from None
        if response.status_code == 429 and attempt == 0:
            wait = _retry_after(response)
            if wait is not None and wait <= _MAX_WAIT:
                response.close()
                time.sleep(wait)
                continue
        try:
            _check(response, edition)
        except DataBorderError:
            response.close()
            raise
        return response
    raise AssertionError("unreachable")  # pragma: no cover - the loop returns or raises


def _check(response: requests.Response, edition: str) -> None:
    status = response.status_code
    if status in (401, 403):
        raise DataBorderError(
            f"{edition}: MaxMind refused the account ID or licence key (HTTP {status}); check them, and that the "
            "account may download this edition"
        )
    if status == 429:
        raise DataBorderError(f"{edition}: MaxMind's download limit is reached (HTTP 429); try again later")
    if status >= 500:
        raise DataBorderError(f"{edition}: MaxMind's server failed (HTTP {status}); try again later")
    if status != 200:
        raise DataBorderError(f"{edition}: the download failed (HTTP {status})")


def _retry_after(response: requests.Response) -> float | None:
    value = response.headers.get("Retry-After", "")
    return float(value) if value.strip().isdigit() else None


def _download(
    session: requests.Session,
    url: str,
    target: Path,
    timeout: float,
    edition: str,
    progress: Callable[[int, int], None] | None,
) -> str:
    response = _get(session, url, "tar.gz", timeout, edition)
    total = int(response.headers.get("Content-Length") or 0)
    digest = hashlib.sha256()
    done = 0
    try:
        with response, target.open("wb") as handle:
            for block in response.iter_content(chunk_size=1 << 16):
                done += len(block)
                if done > _MMDB_LIMIT:  # the URL is never quoted: it holds the licence key
                    raise DataBorderError(
                        f"{edition}: the download is larger than it can be ({_MMDB_LIMIT:,} bytes); nothing was changed"
                    )
                handle.write(block)
                digest.update(block)
                if progress is not None:
                    progress(done, total)
    except requests.RequestException as exc:
        raise DataBorderError(
            f"{edition}: the download broke off ({type(exc).__name__}); nothing was changed"
        ) from None
    return digest.hexdigest()


def _extract_mmdb(tarball: Path, target: Path, edition: str) -> Path:
    """Copy the one ``.mmdb`` member out of the tarball by streaming it; names in the archive are never used."""
    try:
        with tarfile.open(tarball, "r:gz") as archive:
            for member in archive:
                if member.isfile() and member.name.endswith(".mmdb"):
                    source = archive.extractfile(member)
                    if source is None:
                        break
                    with target.open("wb") as handle:
                        shutil.copyfileobj(source, handle)
                    return target
    except (tarfile.TarError, EOFError, OSError) as exc:
        raise DataBorderError(f"{edition}: the download is not a valid tar.gz ({exc}); nothing was changed") from None
    raise DataBorderError(f"{edition}: the download holds no .mmdb database; nothing was changed")
