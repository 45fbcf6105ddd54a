"""Build the embedded, no-account GeoIP data DataBorder ships in resources/geoip/ — reproducibly.

Why a script: the embedded databases are what every fresh install attributes with, so anyone must be able to
rebuild them byte for byte from pinned public inputs and check the sha256 in provenance.json.

Inputs (npm packages, pinned below; CC BY 4.0 data by NRO, DB-IP and RouteViews, via ip-location-db):
- ``@ip-location-db/geo-whois-asn-country-mmdb`` — the country database, shipped *unchanged* (its records are
  ``{"country_code": "US"}``; DataBorder reads that shape directly).
- ``@ip-location-db/asn`` — ASN CSVs (``start,end,asn,org``, inclusive ranges) turned here into a MaxMind-format
  ASN database with GeoLite2-ASN-shaped records.

Usage: ``python3 packaging/build_geoip.py [--out resources/geoip]`` (needs npm, mmdb-writer and netaddr).
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import hashlib
import json
import resource
import shutil
import subprocess
import tarfile
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from unittest import mock

ASN_PACKAGE = "@ip-location-db/asn"
COUNTRY_PACKAGE = "@ip-location-db/geo-whois-asn-country-mmdb"
VERSION = "2.3.2026061719"  # both packages are published together under one version

COUNTRY_FILE = "geo-whois-asn-country.mmdb"
ASN_FILE = "asn.mmdb"
ATTRIBUTION_COUNTRY = (
    "IP-to-country data: ip-location-db geo-whois-asn-country (GeoFeed + Whois + ASN), "
    "CC BY 4.0, from the NRO (https://www.nro.net/) and the five RIRs."
)
ATTRIBUTION_ASN = (
    "IP-to-ASN data: ip-location-db asn, CC BY 4.0, by RouteViews (https://www.routeviews.org/), "
    "DB-IP (IP to ASN Lite, https://db-ip.com) and the NRO (https://www.nro.net/)."
)


def main() -> None:
    """Fetch the pinned packages, copy the country database, build the ASN database, write provenance."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parents[1] / "resources" / "geoip")
    args = parser.parse_args()
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        country_pkg = fetch(COUNTRY_PACKAGE, work)
        asn_pkg = fetch(ASN_PACKAGE, work)

        started = time.monotonic()
        shutil.copyfile(country_pkg / COUNTRY_FILE, out / COUNTRY_FILE)
        copy_licences(country_pkg, out / "licenses" / "geo-whois-asn-country")
        copy_licences(asn_pkg, out / "licenses" / "asn")
        print(f"country database copied ({(out / COUNTRY_FILE).stat().st_size:,} bytes)")

        csvs = [asn_pkg / "asn-ipv4.csv", asn_pkg / "asn-ipv6.csv"]
        build_asn(csvs, out / ASN_FILE)
        print(f"ASN database built in {time.monotonic() - started:.1f} s ({(out / ASN_FILE).stat().st_size:,} bytes)")

        provenance = {
            "generated_by": "packaging/build_geoip.py",
            "databases": [
                entry("country", COUNTRY_FILE, COUNTRY_PACKAGE, [country_pkg / COUNTRY_FILE], out, ATTRIBUTION_COUNTRY),
                entry("asn", ASN_FILE, ASN_PACKAGE, csvs, out, ATTRIBUTION_ASN),
            ],
        }
        (out / "provenance.json").write_text(json.dumps(provenance, indent=2) + "\n", encoding="utf-8")
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"done; peak memory {peak_mb:.0f} MB")


def fetch(package: str, work: Path) -> Path:
    """``npm pack`` one pinned package and unpack it safely; returns its folder."""
    result = subprocess.run(
        ["npm", "pack", f"{package}@{VERSION}", "--silent"], cwd=work, check=True, capture_output=True, text=True
    )
    tarball = work / result.stdout.strip().splitlines()[-1]
    target = work / package.replace("@", "").replace("/", "-")
    with tarfile.open(tarball) as archive:
        for member in archive.getmembers():
            name = Path(member.name)
            if name.is_absolute() or ".." in name.parts or not (member.isfile() or member.isdir()):
                raise SystemExit(f"refusing unsafe member {member.name!r} in {tarball.name}")
        archive.extractall(target, filter="data")
    return target / "package"


def copy_licences(package: Path, target: Path) -> None:
    """Copy the package's licence files and README (which states the licence) beside the data."""
    target.mkdir(parents=True, exist_ok=True)
    for path in sorted(package.iterdir()):
        if "LICENSE" in path.name or path.name in ("README.md", "MODIFICATIONS"):
            shutil.copyfile(path, target / path.name)


def build_asn(csv_paths: list[Path], target: Path) -> None:
    """One IPSet per (ASN, organisation): inserting networks one by one into mmdb-writer is far too slow."""
    from mmdb_writer import MmdbU32, MMDBWriter
    from netaddr import IPAddress, IPSet, iprange_to_cidrs

    groups: dict[tuple[int, str], list[object]] = defaultdict(list)
    rows = 0
    for path in csv_paths:
        with path.open(newline="", encoding="utf-8") as handle:
            for start, end, asn_text, org in csv.reader(handle):
                asn = int(asn_text) if asn_text.isdigit() else 0
                if asn == 0:
                    continue
                groups[(asn, org)].extend(iprange_to_cidrs(IPAddress(start), IPAddress(end)))
                rows += 1
    print(f"{rows:,} ranges in {len(groups):,} (ASN, organisation) groups")
    writer = MMDBWriter(
        ip_version=6,
        ipv4_compatible=True,
        database_type="DataBorder-ASN",
        languages=["en"],
        description={"en": f"ASN and AS organisation, built by DataBorder from {ASN_PACKAGE} {VERSION} (CC BY 4.0)"},
    )
    for (asn, org), networks in sorted(groups.items()):
        writer.insert_network(
            IPSet(networks), {"autonomous_system_number": MmdbU32(asn), "autonomous_system_organization": org}
        )
    # mmdb-writer stamps the wall clock as build_epoch; stamp the data's own date instead, so that a rebuild
    # from the same inputs is byte-identical and the build date says how old the data is, not the build.
    data_epoch = dt.datetime.strptime(VERSION.split(".")[-1], "%Y%m%d%H").replace(tzinfo=dt.UTC).timestamp()
    with mock.patch("mmdb_writer.time.time", return_value=data_epoch):
        writer.to_db_file(str(target))


def entry(kind: str, file: str, package: str, inputs: list[Path], out: Path, attribution: str) -> dict[str, object]:
    """The provenance record of one shipped database."""
    import maxminddb

    with maxminddb.open_database(str(out / file)) as reader:
        build_epoch = reader.metadata().build_epoch
    return {
        "kind": kind,
        "file": file,
        "source": f"npm:{package}@{VERSION}",
        "upstream_files": [p.name for p in inputs],
        "upstream_sha256": {p.name: sha256(p) for p in inputs},
        "sha256": sha256(out / file),
        "build_date": dt.datetime.fromtimestamp(build_epoch, dt.UTC).date().isoformat(),
        "licence": "CC BY 4.0",
        "attribution": attribution,
    }


def sha256(path: Path) -> str:
    """Hex sha256 of a file."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


if __name__ == "__main__":
    main()
