"""``databorder selftest``: prove an installed (or frozen) DataBorder works, without network or display.

It assesses the bundled example host list offline with the shipped packs and databases, writes the JSON and the
PDF report to a temporary folder, reads them back and checks them, keeps the assessment in a history store of its
own there, and (where Qt widgets are present) opens the desktop window offscreen.  Each check prints one line;
any failure makes the exit code non-zero.  IT staff run it after installing the package; CI runs it on the frozen
build and on the unpacked .deb.
"""

from __future__ import annotations

import os
import re
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from databorder.errors import DataBorderError


@dataclass(frozen=True)
class Check:
    """One thing checked, and what was found."""

    name: str
    ok: bool
    detail: str


def run_selftest(*, gui: bool = True, keep: Path | None = None, say: Callable[[str], None] = print) -> bool:
    """Run every check, print one line each, and return True if all passed."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # no display needed (CI, a server, a fresh install)
    results: list[Check] = []
    if gui:  # the one application object must be a widgets one before the PDF renderer makes a plain one
        _widgets_application()
    with tempfile.TemporaryDirectory(prefix="databorder-selftest-") as tmp:
        folder = keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        checks: list[Callable[[Path], Check]] = [_data, _captures, _assessment, _json, _history, _pdf]
        if gui:
            checks.append(_window)
        for check in checks:
            started = time.perf_counter()
            try:
                result = check(folder)
            except Exception as exc:  # a self-test reports every failure as a line, whatever it is
                result = Check(check.__name__.strip("_"), False, f"{type(exc).__name__}: {exc}")
            results.append(result)
            mark = "ok  " if result.ok else "FAIL"
            say(f"{mark} {result.name:<11} {result.detail} ({time.perf_counter() - started:.2f} s)")
    passed = all(r.ok for r in results)
    say("selftest passed" if passed else f"selftest FAILED: {sum(not r.ok for r in results)} of {len(results)} checks")
    return passed


def _data(folder: Path) -> Check:
    """The shipped resources, rule packs and databases are where the one resource-locating function says."""
    from databorder.attribute.store import open_asn_database, open_cloud_ranges, open_country_database
    from databorder.policy import available_packs
    from databorder.resources import data_root

    packs = [pack_id for pack_id, _, origin in available_packs() if origin == "shipped"]
    built = []
    for opener in (open_country_database, open_asn_database):
        database = opener(None)
        built.append(f"{database.ref.kind} built {database.ref.build_date}")
        database.close()
    cloud = open_cloud_ranges(None)  # the range file, its region table, and msgpack (a keyless update needs it)
    import msgpack  # noqa: F401

    region = cloud.lookup("3.120.0.1")  # a published AWS eu-central-1 address of the shipped data
    built.append(f"cloud ranges of {cloud.info.date}" + (f" ({region.in_words()})" if region else ""))
    ok = len(packs) >= 5 and len(built) == 3 and region is not None and region.country == "DE"
    return Check("data", ok, f"{data_root()}: {len(packs)} shipped packs, {', '.join(built)}")


def _captures(folder: Path) -> Check:
    """Compressed captures open with every decompressor, and QUIC Initial keys come out as RFC 9001 A.1 says."""
    import bz2
    import gzip
    import lzma

    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    from databorder.collect.captures import read_capture
    from databorder.collect.compressed import zstd
    from databorder.collect.quic import VERSION_1, client_initial_secret, packet_protection

    text = b"api.selftest.test\n"
    read = []
    for name, pack in (
        ("gzip", gzip.compress),
        ("zstd", zstd.compress),
        ("xz", lzma.compress),
        ("bzip2", bz2.compress),
    ):
        path = folder / f"hosts-{name}"
        path.write_bytes(pack(text))
        observations, _, fmt = read_capture(path)
        if fmt == "hosts" and [o.host for o in observations] == ["api.selftest.test"]:
            read.append(name)
    secret = client_initial_secret(VERSION_1, bytes.fromhex("8394c8f03e515708"))
    key = packet_protection(VERSION_1, secret)[0] if secret else b""
    AESGCM(key or bytes(16))
    quic = key.hex() == "1f369613dd76d5467730efcbe3b1a22d"
    ok = len(read) == 4 and quic
    return Check("captures", ok, f"read {', '.join(read) or 'no'} compressed lists; QUIC Initial keys "
                 f"{'as' if quic else 'NOT as'} RFC 9001 A.1")  # fmt: skip


def _example() -> Path:
    from databorder.resources import resource_path

    return resource_path("examples", "ai-app-hosts.txt")


def _assess(folder: Path) -> object:
    from databorder.assess import AssessOptions, assess_request
    from databorder.collect.targets import TargetRequest

    options = AssessOptions(offline=True, packs=("us-navy-genai",), history=False)  # a check, not an assessment to keep
    return assess_request(TargetRequest(host_files=(_example(),)), options)


def _assessment(folder: Path) -> Check:
    from databorder.model import Assessment
    from databorder.report.jsonout import write_json

    assessment = _assess(folder)
    assert isinstance(assessment, Assessment)
    write_json(assessment, folder / "selftest.json")
    # The example holds DeepSeek's endpoints: the catalog and service table know their PRC operator even offline.
    ok = assessment.verdict == "prohibit" and len(assessment.endpoints) >= 10 and assessment.offline
    return Check(
        "assessment",
        ok,
        f"offline, example host list: {len(assessment.endpoints)} endpoints, verdict {assessment.verdict} "
        f"(expected prohibit), score {assessment.score}",
    )


def _json(folder: Path) -> Check:
    from databorder.report.jsonout import read_json

    path = folder / "selftest.json"
    again = read_json(path)
    ok = again.schema_version >= 1 and bool(again.findings) and all(f.pack and f.rule for f in again.findings)
    return Check("json", ok, f"{path.name}: {path.stat().st_size:,} bytes, read back, {len(again.findings)} findings")


def _history(folder: Path) -> Check:
    """The history store works here (SQLite in WAL mode): a store in the check's folder, never the user's."""
    from databorder.history import HistoryStore
    from databorder.report.jsonout import read_json

    assessment = read_json(folder / "selftest.json")
    path = folder / "selftest-history.sqlite3"
    path.unlink(missing_ok=True)
    with HistoryStore(path) as store:
        first, _ = store.record(assessment)
        second, again = store.record(assessment)
        kept = store.get(second)
        version = store.version
    ok = kept == again and again.changes_since is not None and again.changes_since.nothing and second == first + 1
    return Check("history", ok, f"{path.name}: store version {version}, kept twice and read back, nothing changed")


def _pdf(folder: Path) -> Check:
    from databorder.report.jsonout import read_json
    from databorder.report.pdf import render_pdf

    path = folder / "selftest.pdf"
    pages = render_pdf(read_json(folder / "selftest.json"), path)
    data = path.read_bytes()
    counted = len(re.findall(rb"/Type\s*/Page[^s]", data))
    ok = data.startswith(b"%PDF-") and b"%%EOF" in data[-1024:] and counted == pages >= 3
    return Check("pdf", ok, f"{path.name}: {len(data):,} bytes, {counted} pages (expected {pages})")


def _widgets_application() -> object:
    try:
        from PySide6.QtWidgets import QApplication
    except ImportError as exc:  # pragma: no cover - a build without widgets
        raise DataBorderError(f"the desktop app cannot load Qt widgets: {exc}") from None
    return QApplication.instance() or QApplication(["databorder-selftest"])


def _window(folder: Path) -> Check:
    from PySide6.QtGui import QGuiApplication
    from PySide6.QtWidgets import QApplication

    from databorder.gui.mainwindow import MainWindow
    from databorder.report.jsonout import read_json

    app = _widgets_application()
    if not isinstance(app, QApplication):
        raise DataBorderError("Qt was started without widgets, so the window cannot be opened")
    window = MainWindow(log_file=None)
    window.show()
    window.load_data()
    window.show_assessment(read_json(folder / "selftest.json"))
    app.processEvents()
    rows = window.results.model.rowCount()
    apps = window.picker.apps.rowCount()
    window.close()
    return Check(
        "window",
        rows > 0 and apps >= 20,
        f"desktop window ({QGuiApplication.platformName()}): {apps} catalog apps, {rows} result rows",
    )
