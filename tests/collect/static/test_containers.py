"""Archives read by content as streams: nested archives named, hostile and damaged ones refused, never a crash."""

from __future__ import annotations

import functools
import gzip
import io
import tarfile
import zipfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from databorder.collect.static import scan_path
from databorder.collect.static.containers import Budget, archive_kind, scan_stream
from databorder.collect.static.finding import Scanner
from databorder.errors import InputFileError
from tests.helpers.archives import asar, tgz
from tests.helpers.bundles import MINIFIED_JS, best
from tests.helpers.fuzz import FUZZ, bounded, mutated


def test_archives_nested_in_archives_name_their_members(tmp_path: Path) -> None:
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w") as z:
        z.writestr("lib/sdk.js", b'x="https://api.innervendor.com/v1/chat"')
    package = tmp_path / "pkg.tgz"
    package.write_bytes(tgz({
        "package/dist/cli.js": MINIFIED_JS,
        "package/vendor/sdk.zip": inner.getvalue(),
        "package/app.asar": asar({"out/main.js": b'h="https://api.asarvendor.com/v1/x"'}),
    }))  # fmt: skip
    observations, problems, _ = scan_path(package)
    sources = {o.host: o.evidence.source for o in observations}
    assert problems == []
    assert sources["api.chatvendor.com"] == "pkg.tgz!package/dist/cli.js"
    assert sources["api.innervendor.com"] == "pkg.tgz!package/vendor/sdk.zip!lib/sdk.js"
    assert sources["api.asarvendor.com"] == "pkg.tgz!package/app.asar!out/main.js"


def test_hostile_archives_are_refused_member_by_member(tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.zip"
    with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("zeros.bin", b"\x00" * (64 * 1024 * 1024))
        z.writestr("../../etc/evil.js", b'u="https://api.evilvendor.com/v1"')  # a path-traversal name
    observations, problems, _ = scan_path(bomb)
    assert any("a zip bomb?" in p.message for p in problems)
    assert [o.evidence.source for o in observations] == ["bomb.zip!../../etc/evil.js"]  # read, never extracted
    assert not (tmp_path.parent / "etc").exists()
    corrupt = tmp_path / "corrupt.zip"
    corrupt.write_bytes(bomb.read_bytes()[:200])
    _, problems, _ = scan_path(corrupt)
    assert problems and "is a damaged zip archive" in problems[0].message
    with pytest.raises(InputFileError, match="does not exist"):
        scan_path(tmp_path / "nope")


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=2000), st.sampled_from([b"", b"PK\x03\x04", b"\x1f\x8b", b"\x04\x00\x00\x00"]))
def test_random_bytes_never_crash_the_scanner(body: bytes, magic: bytes) -> None:
    # The container readers in this process (a worker pool per example cost 0.2 s each); scan_path is the same
    # code behind a process boundary, tried on hostile files below.
    data = magic + body
    budget = Budget()
    list(scan_stream(_fuzz_scanner(), io.BytesIO(data), "fuzz.bin", len(data), budget, 0, seekable=False))
    assert all(problem.source.startswith("fuzz.bin") for problem in budget.problems)


@functools.cache
def _fuzz_scanner() -> Scanner:
    return Scanner()  # the suffix list is parsed once for every example


def test_gzip_of_a_tar_is_read_as_a_stream(tmp_path: Path) -> None:
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w") as t:
        info = tarfile.TarInfo("x.js")
        info.size = len(MINIFIED_JS)
        t.addfile(info, io.BytesIO(MINIFIED_JS))
    path = tmp_path / "x.tar.gz"
    path.write_bytes(gzip.compress(raw.getvalue()))
    assert "api.chatvendor.com" in best(scan_path(path)[0])


def test_a_gzip_with_corrupt_deflate_data_is_a_problem_not_a_crash(tmp_path: Path) -> None:
    data = bytearray(gzip.compress(MINIFIED_JS * 50))
    data[30:60] = b"\xff" * 30
    path = tmp_path / "broken.gz"
    path.write_bytes(bytes(data))
    _, problems, _ = scan_path(path)
    assert problems and "damaged gzip archive" in problems[0].message


def test_a_gzip_that_is_not_a_tar_is_read_as_one_file(tmp_path: Path) -> None:
    path = tmp_path / "bundle.js.gz"
    path.write_bytes(gzip.compress(MINIFIED_JS))
    observations, problems, _ = scan_path(path)
    assert problems == []
    api = next(o for o in observations if o.host == "api.chatvendor.com")
    assert api.evidence.source == "bundle.js.gz!(gunzipped)"


@pytest.mark.parametrize(
    ("head", "kind"),
    [
        (b"PK\x03\x04rest", "zip"),
        (b"PK\x05\x06", "zip"),  # an empty zip: its end record only
        (b"\x1f\x8b\x08", "gzip"),
        (b"\x00" * 257 + b"ustar\x0000", "tar"),
        (b"\x04\x00\x00\x00" + b"\x00" * 12 + b'{"files":{}}', "asar"),
        (b"\x7fELF\x02\x01\x01", "file"),
        (b"PK", "file"),  # too short to say
        (b"", "file"),
    ],
)
def test_archives_are_told_by_their_first_bytes(head: bytes, kind: str) -> None:
    assert archive_kind(head) == kind


def test_a_member_zipfile_cannot_decompress_is_skipped_and_the_others_are_read(tmp_path: Path) -> None:
    raw = io.BytesIO()
    with zipfile.ZipFile(raw, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("a.js", '"https://api.first.vendorz.com/v1"')
        archive.writestr("b.js", '"https://api.second.vendorz.com/v1"')
    data = bytearray(raw.getvalue())
    # The first member's compression method, in its local header (offset 8) and its central-directory entry
    # (offset 10 of the first PK\1\2 record), set to 99: a method zipfile does not implement.
    data[8:10] = (99).to_bytes(2, "little")
    central = data.index(b"PK\x01\x02")
    data[central + 10 : central + 12] = (99).to_bytes(2, "little")
    path = tmp_path / "odd.zip"
    path.write_bytes(bytes(data))
    observations, problems, _ = scan_path(path, workers=1)
    assert {o.host for o in observations} == {"api.second.vendorz.com"}
    assert len(problems) == 1 and "odd.zip!a.js: cannot be read" in str(problems[0])


@FUZZ
@given(mutated("archive"))
def test_fuzz_damaged_zip_tar_and_asar_archives_give_hits_and_problems_only(data: bytes) -> None:
    budget = Budget()
    stream = io.BytesIO(data)
    bounded(lambda: list(scan_stream(_fuzz_scanner(), stream, "fuzz.bin", len(data), budget, 0, seekable=True)))
    assert all(problem.source.startswith("fuzz.bin") for problem in budget.problems)
