"""Node.js single executable apps: the blob's assets located in ELF, Mach-O and PE files, and opened by the scan."""

from __future__ import annotations

import struct
from collections.abc import Callable
from pathlib import Path

import pytest

from databorder.collect.static import scan_path
from databorder.collect.static.sea import Asset, sea_assets
from tests.helpers.archives import tgz


def _field(raw: bytes) -> bytes:
    return struct.pack("<Q", len(raw)) + raw


def sea_blob(assets: dict[str, bytes], header_bytes: int) -> bytes:
    """A node SEA blob as node's serializer writes it: flags = no warning | assets | exec argv."""
    blob = struct.pack("<II", 0x0143DA20, 0b11001) + b"\x02" * header_bytes
    blob += _field(b"sea-loader.js") + _field(b'require("node:sea").getAsset("app.tgz")')
    blob += struct.pack("<Q", len(assets)) + b"".join(_field(n.encode()) + _field(v) for n, v in assets.items())
    return blob + struct.pack("<Q", 0)  # no exec argv


FUSE = b"NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2:1"
PADDING = 1 << 20  # the executable's own code: the file must reach the size from which it is mapped


def elf_sea(blob: bytes) -> bytes:
    """An ELF64 whose one PT_NOTE segment holds the NODE_SEA_BLOB note, where postject puts it."""
    note = struct.pack("<III", 14, len(blob), 0) + b"NODE_SEA_BLOB\x00\x00\x00" + blob
    note_at = 64 + 56 + PADDING
    header = b"\x7fELF\x02\x01\x01" + b"\x00" * 25 + struct.pack("<Q", 64) + b"\x00" * 14 + struct.pack("<HH", 56, 1)
    header += b"\x00" * (64 - len(header))
    program = struct.pack("<IIQQQQQQ", 4, 4, note_at, 0, 0, len(note), len(note), 4)
    return header + program + FUSE + b"\x00" * (PADDING - len(FUSE)) + note


def macho_sea(blob: bytes) -> bytes:
    """A 64-bit Mach-O with the blob in section __NODE_SEA_BLOB of segment NODE_SEA."""
    blob_at = 32 + 72 + 80 + PADDING
    segment = struct.pack("<II16sQQQQIIII", 0x19, 72 + 80, b"NODE_SEA", 0, 0, blob_at, len(blob), 1, 1, 1, 0)
    section = struct.pack("<16s16sQQI", b"__NODE_SEA_BLOB", b"NODE_SEA", 0, len(blob), blob_at) + b"\x00" * 28
    header = struct.pack("<IiiIIIII", 0xFEEDFACF, 0x01000007, 3, 2, 1, 72 + 80, 0, 0)
    return header + segment + section + b"\x00" * PADDING + blob


def pe_sea(blob: bytes) -> bytes:
    """A PE file (only its "MZ"): the blob is found from the fuse and the magic number, searching from the end."""
    fake_magic = struct.pack("<I", 0x0143DA20) + b"\xff" * 12  # a magic number in code, not a blob: skipped
    return b"MZ" + FUSE + fake_magic + b"\x00" * PADDING + blob + b"\x00" * 64


@pytest.mark.parametrize(
    ("layout", "header_bytes"), [(elf_sea, 1), (elf_sea, 0), (elf_sea, 2), (macho_sea, 1), (pe_sea, 1)]
)
def test_archives_a_node_executable_carries_as_assets_are_opened(
    tmp_path: Path, layout: Callable[[bytes], bytes], header_bytes: int
) -> None:
    # GitHub's Copilot CLI ships its program as copilot.tgz inside a node SEA: its hosts are only in there.
    cli = b'const client={baseURL:"https://api.vendorx.com/v1/chat"};'
    assets = {"app.tgz": tgz({"package/cli.js": cli}), "notes.txt": b'"plain.vendorx.com"'}
    path = tmp_path / "vendorx"
    path.write_bytes(layout(sea_blob(assets, header_bytes)))
    observations, problems, _ = scan_path(path, workers=2)
    assert problems == []
    hits = {o.host: o for o in observations}
    api = hits["api.vendorx.com"]
    assert api.evidence.source == "vendorx!app.tgz!package/cli.js"
    assert api.evidence.location == f"offset {cli.index(b'https://')}"
    assert api.relevance >= 0.8
    assert hits["plain.vendorx.com"].evidence.source == "vendorx"  # a plain asset is read in place, as text


def test_a_sea_blob_whose_lengths_run_past_the_end_is_scanned_as_plain_bytes(tmp_path: Path) -> None:
    blob = sea_blob({"app.tgz": tgz({"package/cli.js": b'"https://api.vendorx.com/v1/x"'})}, 1)
    blob = blob[:-200] + b'"https://api.cut.vendorx.com/v1/x"'  # the asset claims more bytes than remain
    path = tmp_path / "vendorx"
    path.write_bytes(elf_sea(blob))
    observations, problems, _ = scan_path(path)
    assert problems == []
    assert "api.cut.vendorx.com" in {o.host for o in observations}  # nothing opened, nothing lost: the bytes are text


@pytest.mark.parametrize("layout", [elf_sea, macho_sea, pe_sea])
def test_each_layout_gives_the_assets_where_they_lie(layout: Callable[[bytes], bytes]) -> None:
    blob = sea_blob({"app.tgz": b"\x1f\x8b" + b"z" * 30, "notes.txt": b"hello"}, 1)
    data = layout(blob)
    assets = sea_assets(data)
    assert [a.name for a in assets] == ["app.tgz", "notes.txt"]
    assert [data[a.offset : a.offset + a.size] for a in assets] == [b"\x1f\x8b" + b"z" * 30, b"hello"]
    assert all(isinstance(a, Asset) for a in assets)


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\x7fELF\x02\x01",  # an ELF header cut short
        b"MZ" + b"\x00" * 100,  # a PE file without the fuse: not a SEA, nothing searched
        elf_sea(sea_blob({"a": b"x"}, 1))[:-9],  # the blob cut short: the asset's length runs past the end
        b"plain text " + struct.pack("<I", 0x0143DA20) + FUSE,  # not an executable
    ],
    ids=["empty", "elf-cut-short", "pe-without-fuse", "blob-cut-short", "not-an-executable"],
)
def test_anything_else_has_no_assets(data: bytes) -> None:
    assert sea_assets(data) == []
