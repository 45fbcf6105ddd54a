"""Build the embedded, no-account GeoIP data that DataBorder ships in ``resources/geoip/`` — reproducibly.

Why a script
    The embedded databases are what every fresh install attributes addresses with, before anyone adopts a MaxMind
    database. Anyone must be able to rebuild them from pinned public inputs and check the result against the
    sha256 recorded in ``provenance.json``; a rebuild from the same pins gives byte-identical files.

Inputs (npm packages, pinned below by version and by tarball integrity; CC BY 4.0 data via ip-location-db)
    - ``@ip-location-db/geo-whois-asn-country-mmdb``: the country database, shipped *unchanged*. Its records are
      ``{"country_code": "US"}`` (database type ``country ipvAll``) and DataBorder reads them with ``maxminddb``.
    - ``@ip-location-db/asn``: ``asn-ipv4.csv`` and ``asn-ipv6.csv`` (no header; ``start,end,asn,org`` with
      inclusive ranges). ip-location-db publishes no ASN ``.mmdb`` on npm, so this script builds one with
      GeoLite2-ASN-shaped records (``autonomous_system_number``, ``autonomous_system_organization``).

How
    1. ``npm pack <name>@<version>`` each package into a temporary folder, check the tarball's sha512 against the
       pin, and unpack it, refusing absolute paths, ``..`` and anything that is not a plain file or folder.
    2. Copy the country database as is.
    3. Read the ASN CSVs (rows with ASN 0 or empty are skipped; organisation names are whitespace-trimmed). Where
       ranges overlap, the narrowest one wins, so the result does not depend on insertion order. Group ranges by
       (ASN, organisation), turn each group's ranges into CIDRs and insert ONE ``netaddr.IPSet`` per group, in
       sorted order (inserting networks one by one into mmdb-writer is far too slow). IPv4 goes into the IPv6 tree
       at ``::/96``, so IPv4 lookups work as in MaxMind's own databases.
    4. Stamp the data's own time (from the pinned version, ``...YYYYMMDDHH``, UTC) as the ASN database's
       ``build_epoch`` instead of the wall clock: the build date then says how old the data is, and rebuilds are
       byte-identical. Check a sample of ranges in the written database.
    5. Copy the packages' licence files and statements of modifications to ``licenses/<package>/`` and write
       ``provenance.json``. The upstream READMEs are not copied: their licence statement is quoted in
       resources/geoip/README.md, and the rest is download links that say nothing about DataBorder's copy.

Usage: ``python3 packaging/build_geoip.py [--out resources/geoip]``. Needs npm, mmdb-writer, netaddr and maxminddb
(the ``dev`` extra). Takes about a minute and about 0.5 GB of memory.
"""

from __future__ import annotations

import argparse
import base64
import csv
import datetime as dt
import hashlib
import itertools
import json
import os
import resource
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from importlib.metadata import version as installed_version
from pathlib import Path, PurePosixPath
from typing import Any, NamedTuple

import maxminddb
from mmdb_writer import MmdbU32, MMDBWriter
from netaddr import IPAddress, IPSet, iprange_to_cidrs

# Pins. Bumping one is a deliberate edit: change the version AND its integrity (`npm view <name>@<version>
# dist.integrity`), rebuild, and commit the new files together.
COUNTRY_PACKAGE = "@ip-location-db/geo-whois-asn-country-mmdb"
COUNTRY_VERSION = "2.3.2026061719"
COUNTRY_INTEGRITY = "sha512-xemBDNQl4mCYDuVbqe3jKGKsVDykZGkfvebhtOh/3VGLadq8vsp7t7ontpMUt3hH7sAGT0eLDyJ99SV+0waxZg=="
ASN_PACKAGE = "@ip-location-db/asn"
ASN_VERSION = "2.3.2026061719"
ASN_INTEGRITY = "sha512-PpqYi7wyEyWwunXBtl+y3Vi403SvNywotWwvmiYCOUtE0SVol/Sf492Ee+eErEznmGapxEQB2SAfrpXuZ9a+vQ=="

COUNTRY_FILE = "geo-whois-asn-country.mmdb"  # the IPv4+IPv6 file of the package, shipped under the same name
ASN_CSVS = ("asn-ipv4.csv", "asn-ipv6.csv")
ASN_FILE = "asn.mmdb"
LICENCE = "CC BY 4.0"
# Wording from the packages' READMEs and licence files: the NRO asks for attribution to nro.net, RouteViews to
# routeviews.org, DB-IP to DB-IP.com with a link back ("IP Geolocation by DB-IP").
COUNTRY_ATTRIBUTION = (
    "IP-to-country data by ip-location-db (geo-whois-asn-country: GeoFeed + WHOIS + ASN), CC BY 4.0, "
    "with WHOIS and ASN data of the five RIRs provided by the NRO (https://www.nro.net/)."
)
ASN_ATTRIBUTION = (
    "IP-to-ASN data by ip-location-db (asn), CC BY 4.0, from RouteViews (https://www.routeviews.org/), "
    "the NRO (https://www.nro.net/) and IP Geolocation by DB-IP (https://db-ip.com), converted to MMDB by DataBorder."
)
SAMPLE_EVERY = 997  # every n-th ASN range is looked up again in the written database


class Range(NamedTuple):
    """One inclusive address range of the ASN CSVs, as integers (sorts by version, then address)."""

    version: int
    start: int
    end: int
    asn: int
    org: str


class DatedMMDBWriter(MMDBWriter):
    """An ``MMDBWriter`` that stamps a given ``build_epoch`` instead of the wall clock (reproducible output)."""

    def __init__(self, *, build_epoch: int, database_type: str, description: dict[str, str]) -> None:
        super().__init__(
            ip_version=6,
            ipv4_compatible=True,
            database_type=database_type,
            languages=sorted(description),
            description=description,
        )
        self.build_epoch = build_epoch

    def _build_meta(self) -> dict[str, Any]:
        return {**super()._build_meta(), "build_epoch": self.build_epoch}


def main() -> None:
    """Fetch the pinned packages, copy the country database, build the ASN database, write provenance."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--out",
        type=Path,
        default=Path(__file__).resolve().parents[1] / "resources" / "geoip",
        help="folder to write to (default: resources/geoip of this checkout)",
    )
    out: Path = parser.parse_args().out
    out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()

    with tempfile.TemporaryDirectory(prefix="databorder-geoip-") as tmp:
        work = Path(tmp)
        with step(f"fetch {COUNTRY_PACKAGE}@{COUNTRY_VERSION}"):
            country_pkg = fetch(COUNTRY_PACKAGE, COUNTRY_VERSION, COUNTRY_INTEGRITY, work)
        with step(f"fetch {ASN_PACKAGE}@{ASN_VERSION}"):
            asn_pkg = fetch(ASN_PACKAGE, ASN_VERSION, ASN_INTEGRITY, work)

        with step("country database: copy unchanged"):
            copy_country(country_pkg / COUNTRY_FILE, out / COUNTRY_FILE)

        csvs = [asn_pkg / name for name in ASN_CSVS]
        with step("ASN: read CSVs"):
            ranges = read_ranges(csvs)
        with step("ASN: resolve overlapping ranges"):
            ranges = resolve_overlaps(ranges)
        sample = ranges[::SAMPLE_EVERY]
        with step("ASN: build and write database"):
            build_asn(ranges, out / ASN_FILE)  # empties ranges once grouped
        with step("ASN: check a sample of ranges"):
            check_sample(sample, out / ASN_FILE)

        with step("licences and provenance"):
            licences = out / "licenses"
            shutil.rmtree(licences, ignore_errors=True)
            copy_licences(country_pkg, licences / short_name(COUNTRY_PACKAGE))
            copy_licences(asn_pkg, licences / short_name(ASN_PACKAGE))
            provenance = {
                "generated_by": "packaging/build_geoip.py",
                "databases": [
                    entry(
                        "country",
                        out / COUNTRY_FILE,
                        COUNTRY_PACKAGE,
                        COUNTRY_VERSION,
                        [country_pkg / COUNTRY_FILE],
                        COUNTRY_ATTRIBUTION,
                    ),
                    entry(
                        "asn",
                        out / ASN_FILE,
                        ASN_PACKAGE,
                        ASN_VERSION,
                        csvs,
                        ASN_ATTRIBUTION,
                        # the output bytes depend on these, so a rebuild that differs can be explained
                        built_with={name: installed_version(name) for name in ("mmdb-writer", "netaddr")},
                    ),
                ],
            }
            write_atomically(out / "provenance.json", (json.dumps(provenance, indent=2) + "\n").encode())

    for path in (out / COUNTRY_FILE, out / ASN_FILE):
        print(f"{path.name}: {path.stat().st_size:,} bytes, sha256 {sha256(path)}")
    print(f"done in {time.perf_counter() - started:.1f} s; peak memory {peak_mb():.0f} MB")


@contextmanager
def step(name: str) -> Iterator[None]:
    """Print how long a step took and the peak memory so far."""
    started = time.perf_counter()
    print(f"{name} …", flush=True)
    yield
    print(f"  {time.perf_counter() - started:6.1f} s  (peak memory so far {peak_mb():.0f} MB)", flush=True)


def peak_mb() -> float:
    """Peak resident memory of this process, in MB (ru_maxrss is KiB on Linux, bytes on macOS)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024 if sys.platform == "darwin" else 1024)


def short_name(package: str) -> str:
    """``@scope/name`` → ``name``."""
    return package.rsplit("/", 1)[-1]


def fetch(package: str, version: str, integrity: str, work: Path) -> Path:
    """``npm pack`` one pinned package, check it against its pinned integrity, unpack it safely; its folder."""
    try:
        result = subprocess.run(
            ["npm", "pack", f"{package}@{version}", "--json", "--pack-destination", str(work)],
            check=True,
            capture_output=True,
            text=True,
        )
    except FileNotFoundError:
        raise SystemExit("npm was not found; it is needed to fetch the pinned packages") from None
    except subprocess.CalledProcessError as exc:
        raise SystemExit(f"npm pack {package}@{version} failed:\n{exc.stderr}") from None
    tarball = work / json.loads(result.stdout)[0]["filename"]
    algorithm, _, expected = integrity.partition("-")
    actual = base64.b64encode(hashlib.new(algorithm, tarball.read_bytes()).digest()).decode()
    if actual != expected:
        raise SystemExit(f"{tarball.name}: integrity {algorithm}-{actual} is not the pinned {integrity}")
    target = work / short_name(package)
    safe_extract(tarball, target)
    return target / "package"  # npm tarballs keep everything under package/


def safe_extract(tarball: Path, target: Path) -> None:
    """Unpack a tarball, refusing absolute paths, ``..`` and anything but plain files and folders."""
    with tarfile.open(tarball, "r:gz") as archive:
        members = archive.getmembers()
        for member in members:
            name = PurePosixPath(member.name)
            if (
                name.is_absolute()
                or ".." in name.parts
                or "\\" in member.name
                or not (member.isfile() or member.isdir())
            ):
                raise SystemExit(f"{tarball.name}: refusing unsafe member {member.name!r}")
        target.mkdir(parents=True)
        archive.extractall(target, members=members, filter="data")  # the "data" filter re-checks all of the above


def copy_country(source: Path, target: Path) -> None:
    """Copy the country database unchanged, after checking it is the IPv4+IPv6 file with country records."""
    with maxminddb.open_database(str(source)) as reader:
        metadata = reader.metadata()
        if metadata.ip_version != 6 or "country" not in metadata.database_type:
            raise SystemExit(f"{source.name}: unexpected database {metadata.database_type!r}, IPv{metadata.ip_version}")
    write_atomically(target, source.read_bytes())
    print(f"  {target.name}: {metadata.database_type!r}, {metadata.node_count:,} nodes")


def read_ranges(paths: Iterable[Path]) -> list[Range]:
    """The ranges of the ASN CSVs (``start,end,asn,org``, no header), skipping rows without an ASN."""
    ranges: list[Range] = []
    skipped = 0
    for path in paths:
        with path.open(newline="", encoding="utf-8") as handle:
            for line, row in enumerate(csv.reader(handle), start=1):
                if len(row) != 4:
                    raise SystemExit(f"{path.name}:{line}: expected start,end,asn,org, got {row!r}")
                start, end, asn_text, org = row
                asn = int(asn_text) if asn_text.strip().isdigit() else 0
                if asn == 0:
                    skipped += 1
                    continue
                first, last = IPAddress(start), IPAddress(end)
                if first.version != last.version or first > last:
                    raise SystemExit(f"{path.name}:{line}: bad range {start} – {end}")
                ranges.append(Range(first.version, int(first), int(last), asn, org.strip()))
    print(f"  {len(ranges):,} ranges read, {skipped:,} without an ASN skipped")
    return ranges


def resolve_overlaps(ranges: list[Range]) -> list[Range]:
    """Sorted, non-overlapping ranges: where ranges overlap, the narrowest wins (ties: the lowest ASN, then org).

    mmdb-writer lets the last insert win, and groups are inserted by ASN, so without this an overlap would be
    decided by ASN order. Overlaps are rare (one in the pinned data), so each cluster is resolved naively.
    """
    resolved: list[Range] = []
    clusters = 0
    cluster: list[Range] = []
    cluster_end = -1
    for current in sorted(ranges):
        if cluster and current.version == cluster[0].version and current.start <= cluster_end:
            cluster.append(current)
            cluster_end = max(cluster_end, current.end)
            continue
        if len(cluster) > 1:
            clusters += 1
            resolved.extend(_paint(cluster))
        else:
            resolved.extend(cluster)
        cluster, cluster_end = [current], current.end
    if len(cluster) > 1:
        clusters += 1
        resolved.extend(_paint(cluster))
    else:
        resolved.extend(cluster)
    print(f"  {clusters:,} cluster(s) of overlapping ranges resolved; {len(resolved):,} ranges")
    return resolved


def _paint(cluster: list[Range]) -> list[Range]:
    """The pieces of one cluster of overlapping ranges, each owned by the narrowest range covering it."""
    for row in cluster:
        print(f"    overlap: {_show(row)}")
    bounds = sorted({row.start for row in cluster} | {row.end + 1 for row in cluster})
    pieces: list[Range] = []
    for low, high in itertools.pairwise(bounds):
        covering = [row for row in cluster if row.start <= low and high - 1 <= row.end]
        if not covering:
            continue
        owner = min(covering, key=lambda row: (row.end - row.start, row.asn, row.org))
        if pieces and pieces[-1].end + 1 == low and (pieces[-1].asn, pieces[-1].org) == (owner.asn, owner.org):
            pieces[-1] = pieces[-1]._replace(end=high - 1)
        else:
            pieces.append(Range(owner.version, low, high - 1, owner.asn, owner.org))
    for piece in pieces:
        print(f"    → {_show(piece)}")
    return pieces


def _show(row: Range) -> str:
    """A range for the build log."""
    return f"{IPAddress(row.start, row.version)} – {IPAddress(row.end, row.version)} AS{row.asn} {row.org}"


def data_epoch(version: str) -> int:
    """The data's own time from an ip-location-db version ``major.minor.YYYYMMDDHH`` (UTC)."""
    stamp = version.rsplit(".", 1)[-1]
    try:
        when = dt.datetime.strptime(stamp, "%Y%m%d%H").replace(tzinfo=dt.UTC)
    except ValueError:
        raise SystemExit(f"cannot read a date from version {version!r} (expected ….YYYYMMDDHH)") from None
    return int(when.timestamp())


def build_asn(ranges: list[Range], target: Path) -> None:
    """One IPSet per (ASN, organisation), inserted in sorted order, stamped with the data's own time.

    Empties ``ranges`` once they are grouped (and the groups once inserted), to keep the peak memory down.
    """
    started = time.perf_counter()
    groups: dict[tuple[int, str], list[Any]] = defaultdict(list)
    for row in ranges:
        groups[(row.asn, row.org)].extend(
            iprange_to_cidrs(IPAddress(row.start, row.version), IPAddress(row.end, row.version))
        )
    ranges.clear()
    cidrs = sum(map(len, groups.values()))
    print(f"  {len(groups):,} (ASN, organisation) groups, {cidrs:,} CIDRs ({time.perf_counter() - started:.1f} s)")
    started = time.perf_counter()
    writer = DatedMMDBWriter(
        build_epoch=data_epoch(ASN_VERSION),
        database_type="DataBorder-ASN",
        description={
            "en": f"ASN + AS organisation, built by DataBorder from {ASN_PACKAGE} {ASN_VERSION} "
            f"(CC BY 4.0: RouteViews, DB-IP, NRO)"
        },
    )
    for (asn, org), networks in sorted(groups.items()):
        writer.insert_network(
            IPSet(networks), {"autonomous_system_number": MmdbU32(asn), "autonomous_system_organization": org}
        )
    groups.clear()
    print(f"  inserted ({time.perf_counter() - started:.1f} s)")
    started = time.perf_counter()
    partial = target.with_name(target.name + ".partial")
    writer.to_db_file(str(partial))
    os.replace(partial, target)
    print(f"  written ({time.perf_counter() - started:.1f} s)")


def check_sample(sample: list[Range], path: Path) -> None:
    """Look the first and last address of each sampled range up again in the written database."""
    with maxminddb.open_database(str(path)) as reader:
        for row in sample:
            for address in (row.start, row.end):
                ip = str(IPAddress(address, row.version))
                record = reader.get(ip)
                expected = {"autonomous_system_number": row.asn, "autonomous_system_organization": row.org}
                if record != expected:
                    raise SystemExit(f"{path.name}: {ip} gives {record!r}, expected {expected!r}")
    print(f"  {len(sample):,} ranges checked at both ends")


def copy_licences(package: Path, target: Path) -> None:
    """Copy a package's licence files and its statement of modifications."""
    target.mkdir(parents=True)
    for path in sorted(package.iterdir()):
        if "LICENSE" in path.name.upper() or path.name == "MODIFICATIONS":
            shutil.copyfile(path, target / path.name)
            print(f"  {target.name}/{path.name}")


def entry(
    kind: str,
    shipped: Path,
    package: str,
    version: str,
    inputs: list[Path],
    attribution: str,
    built_with: dict[str, str] | None = None,
) -> dict[str, object]:
    """The provenance record of one shipped database."""
    with maxminddb.open_database(str(shipped)) as reader:
        build_epoch = reader.metadata().build_epoch
    record: dict[str, object] = {
        "kind": kind,
        "file": shipped.name,
        "source": f"npm:{package}@{version}",
        "upstream_files": [path.name for path in inputs],
        "upstream_sha256": {path.name: sha256(path) for path in inputs},
        "sha256": sha256(shipped),
        "build_date": dt.datetime.fromtimestamp(build_epoch, dt.UTC).date().isoformat(),
        "licence": LICENCE,
        "attribution": attribution,
    }
    if built_with:
        record["built_with"] = built_with
    return record


def write_atomically(target: Path, data: bytes) -> None:
    """Write a file so that readers see the old or the new content, never half of it."""
    partial = target.with_name(target.name + ".partial")
    partial.write_bytes(data)
    os.replace(partial, target)


def sha256(path: Path) -> str:
    """Hex sha256 of a file."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


if __name__ == "__main__":
    main()
