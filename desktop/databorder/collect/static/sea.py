"""Node.js single executable applications (SEA): where the assets of an injected blob lie in the file.

``node --experimental-sea-config`` (or ``--build-sea``) packs an app's main script, an optional V8 code cache and
its assets into one blob that postject injects into a copy of the node binary (an ELF note, a Mach-O section, a
PE resource) and marks by flipping a fuse string's last character to ``1``. The main script is plain text that
the scan reads in place like any string in a binary. An asset, though, may be an archive — GitHub's Copilot CLI
ships its whole program as ``copilot.tgz`` inside the executable — whose host names show only once it is opened.

Blob layout (node's src/node_sea.cc; little-endian, every length a u64 before its bytes)::

    u32 magic 0x0143DA20, u32 flags, [u8 exec-argv extension (node 22.20+)], [u8 main-code format (node 26+)],
    code path, main code or snapshot, [code cache: flags & 4], [u64 count, then name and bytes each: flags & 8],
    [exec argv: flags & 16]

Node versions differ in how many one-byte header fields follow the flags; the code path (short, printable)
tells which layout a blob has. Nothing here trusts a length: each is checked against the file's size.
"""

from __future__ import annotations

import mmap
import struct
from collections.abc import Iterator
from dataclasses import dataclass

MAGIC = struct.pack("<I", 0x0143DA20)
FUSE = b"NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2:1"  # postject's sentinel, as it leaves an injected binary
_ELF, _MACHO_64, _MACHO_32, _MACHO_FAT = b"\x7fELF", b"\xcf\xfa\xed\xfe", b"\xce\xfa\xed\xfe", b"\xca\xfe\xba\xbe"
EXECUTABLE_HEADS = (_ELF, b"MZ", _MACHO_64, _MACHO_32, _MACHO_FAT)

_USE_CODE_CACHE = 1 << 2
_INCLUDE_ASSETS = 1 << 3
_KNOWN_FLAGS = 0b11111
_MAX_CANDIDATES = 64  # magic numbers tried, from the end of the file (postject appends the blob)
_MAX_ASSETS = 100_000
_MAX_NAME = 4096
_NOTE_NAME = b"NODE_SEA_BLOB"


@dataclass(frozen=True, slots=True)
class Asset:
    """One asset of a SEA blob: its name and where its bytes lie in the executable."""

    name: str
    offset: int
    size: int

    @property
    def end(self) -> int:
        return self.offset + self.size


def sea_assets(data: bytes | mmap.mmap) -> list[Asset]:
    """The assets of the SEA blob injected into this executable's bytes; none when it is not a node SEA."""
    if not data[:4].startswith(EXECUTABLE_HEADS):
        return []
    try:
        for at in _blob_starts(data):
            assets = _parse(data, at)
            if assets is not None:
                return assets
    except struct.error:  # headers cut short or pointing past the end: not a blob we can read, only bytes
        pass
    return []


def _blob_starts(data: bytes | mmap.mmap) -> Iterator[int]:
    """Where the blob may start.

    Read from an ELF's notes or a 64-bit Mach-O's load commands (a few hundred bytes, not a search through a
    200 MB binary); in a PE (or 32-bit Mach-O) file, the magic numbers found searching back from the end, once the
    fuse says it is a SEA.
    """
    head = data[:4]
    if head == _ELF:
        yield from _elf_note(data)
    elif head in (_MACHO_64, _MACHO_FAT):
        yield from _macho_section(data, 0, fat=head == _MACHO_FAT)
    elif data.find(FUSE) >= 0:
        end = len(data)
        for _ in range(_MAX_CANDIDATES):
            at = data.rfind(MAGIC, 0, end)
            if at < 0:
                return
            yield at
            end = at + len(MAGIC) - 1  # the next candidate may overlap this one's bytes


def _elf_note(data: bytes | mmap.mmap) -> Iterator[int]:
    """The start of the NODE_SEA_BLOB note's data in a little-endian ELF's PT_NOTE segments."""
    if data[5:6] != b"\x01":
        return  # big-endian: not a node build anyone ships
    wide = data[4:5] == b"\x02"
    phoff, phentsize, phnum = (struct.unpack_from("<Q", data, 0x20)[0], *struct.unpack_from("<HH", data, 0x36)) \
        if wide else (struct.unpack_from("<I", data, 0x1C)[0], *struct.unpack_from("<HH", data, 0x2A))  # fmt: skip
    size = len(data)
    for index in range(min(phnum, 4096)):
        entry = phoff + index * phentsize
        if entry + (0x38 if wide else 0x20) > size:
            return
        kind, offset, filesize = (
            (struct.unpack_from("<I", data, entry)[0], *struct.unpack_from("<QQQQ", data, entry + 8)[0::3])
            if wide else (struct.unpack_from("<I", data, entry)[0], *struct.unpack_from("<IIII", data, entry + 4)[0::3])
        )  # fmt: skip
        if kind == 4:  # PT_NOTE
            yield from _notes(data, offset, min(size, offset + filesize))


def _notes(data: bytes | mmap.mmap, pos: int, end: int) -> Iterator[int]:
    while pos + 12 <= end:
        namesz, descsz, _kind = struct.unpack_from("<III", data, pos)
        name_at = pos + 12
        desc_at = name_at + (namesz + 3) // 4 * 4
        if data[name_at : name_at + namesz].rstrip(b"\x00") == _NOTE_NAME:
            yield desc_at
            return
        pos = desc_at + (descsz + 3) // 4 * 4


def _macho_section(data: bytes | mmap.mmap, base: int, *, fat: bool) -> Iterator[int]:
    """The __NODE_SEA_BLOB section's file offset in a 64-bit Mach-O, or in each slice of a universal binary."""
    if fat:
        (count,) = struct.unpack_from(">I", data, 4)
        for index in range(min(count, 16)):
            (offset,) = struct.unpack_from(">I", data, 8 + index * 20 + 8)
            if data[offset : offset + 4] == _MACHO_64:
                yield from _macho_section(data, offset, fat=False)
        return
    (ncmds,) = struct.unpack_from("<I", data, base + 16)
    pos = base + 32
    for _ in range(min(ncmds, 4096)):
        command, command_size = struct.unpack_from("<II", data, pos)
        if command == 0x19 and data[pos + 8 : pos + 24].rstrip(b"\x00") == b"NODE_SEA":  # LC_SEGMENT_64
            (sections,) = struct.unpack_from("<I", data, pos + 64)
            for index in range(min(sections, 256)):
                section = pos + 72 + index * 80
                if data[section : section + 16].rstrip(b"\x00") == b"__NODE_SEA_BLOB":
                    yield base + struct.unpack_from("<I", data, section + 48)[0]
        if command_size < 8:
            return
        pos += command_size


def _parse(data: bytes | mmap.mmap, at: int) -> list[Asset] | None:
    """The blob's assets if a well-formed blob starts at ``at``, else None."""
    size = len(data)
    if at + 8 > size:
        return None
    (flags,) = struct.unpack_from("<I", data, at + 4)
    if flags & ~_KNOWN_FLAGS:
        return None
    for header_bytes in (0, 1, 2):  # the one-byte fields newer node versions add after the flags
        reader = _Reader(data, at + 8 + header_bytes, size)
        path = reader.bytes(_MAX_NAME)
        if path is None or not _printable(data[path[0] : path[0] + path[1]]):
            continue
        if reader.bytes() is None:  # main code, or the startup snapshot
            return None
        if flags & _USE_CODE_CACHE and reader.bytes() is None:
            return None
        return _assets(reader) if flags & _INCLUDE_ASSETS else []
    return None


def _assets(reader: _Reader) -> list[Asset] | None:
    count = reader.u64()
    if count is None or count > _MAX_ASSETS:
        return None
    assets = []
    for _ in range(count):
        name, value = reader.bytes(_MAX_NAME), reader.bytes()
        if name is None or value is None:
            return None
        text = bytes(reader.data[name[0] : name[0] + name[1]]).decode("utf-8", "replace")
        assets.append(Asset(text, value[0], value[1]))
    return assets


def _printable(raw: bytes) -> bool:
    return bool(raw) and all(32 <= byte < 127 for byte in raw)


class _Reader:
    """Length-prefixed fields read forward from ``pos``, each checked against the end of the file."""

    def __init__(self, data: bytes | mmap.mmap, pos: int, size: int) -> None:
        self.data, self.pos, self.size = data, pos, size

    def u64(self) -> int | None:
        if self.pos + 8 > self.size:
            return None
        (value,) = struct.unpack_from("<Q", self.data, self.pos)
        self.pos += 8
        return int(value)

    def bytes(self, limit: int | None = None) -> tuple[int, int] | None:
        """(offset, length) of the next length-prefixed field, or None if it runs past the end or the limit."""
        length = self.u64()
        if length is None or self.pos + length > self.size or (limit is not None and not 0 < length <= limit):
            return None
        start, self.pos = self.pos, self.pos + length
        return start, length
