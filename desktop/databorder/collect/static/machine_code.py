"""Where an executable keeps its machine code: byte ranges the static scan need not search for names.

Compilers put string literals (URLs and host names among them) in data sections (.rodata, .data, __cstring,
.rdata) and instructions in code sections. A code section holds no string a program reads as text, so the scan
skips it: on the real AI CLIs of benchmarks/static_scan.py code sections are 464 of 1,361 MB (codex's Rust
binary: 233 of 280 MB), and searching them found one host name, also found outside them.

A section counts as code by the flags its format gives it: ELF ``SHF_EXECINSTR``, Mach-O
``S_ATTR_PURE_INSTRUCTIONS``, and in a PE file the ``.text`` section marked ``IMAGE_SCN_CNT_CODE`` or
``IMAGE_SCN_MEM_EXECUTE`` when the file also has an ``.rdata`` section for its literals. Nothing here trusts a
header: a count, offset or size that does not fit the file means "no code sections known", and the whole file is
searched as before. Only sections of at least ``MIN_SECTION`` bytes are reported (skipping a small one saves
nothing).
"""

from __future__ import annotations

import mmap
import struct

MIN_SECTION = 64 * 1024
_MAX_SECTIONS = 65_536
_ELF, _MACHO_64, _MACHO_FAT = b"\x7fELF", b"\xcf\xfa\xed\xfe", b"\xca\xfe\xba\xbe"

_SHF_EXECINSTR = 0x4
_SHT_NOBITS = 8
_IMAGE_SCN_CNT_CODE = 0x20
_IMAGE_SCN_MEM_EXECUTE = 0x20000000
_S_ATTR_PURE_INSTRUCTIONS = 0x80000000
_LC_SEGMENT_64 = 0x19

Buffer = bytes | mmap.mmap


def code_ranges(data: Buffer) -> list[tuple[int, int]]:
    """The [start, end) file ranges of an executable's code sections, sorted and merged; [] when none are known."""
    head = bytes(data[:4])
    try:
        if head == _ELF:
            found = _elf(data)
        elif head[:2] == b"MZ":
            found = _pe(data)
        elif head == _MACHO_64:
            found = _macho(data, 0)
        elif head == _MACHO_FAT:
            found = _fat(data)
        else:
            return []
    except (struct.error, ValueError, OverflowError):  # headers cut short or pointing past the end
        return []
    if found is None:
        return []
    size = len(data)
    ranges = sorted((start, start + length) for start, length in found if length >= MIN_SECTION)
    if any(start < 0 or end > size for start, end in ranges):
        return []  # a header pointing outside the file: trust none of it
    merged: list[tuple[int, int]] = []
    for start, end in ranges:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _elf(data: Buffer) -> list[tuple[int, int]] | None:
    wide = data[4] == 2
    order = "<" if data[5] == 1 else ">"
    if data[4] not in (1, 2) or data[5] not in (1, 2):
        return None
    if wide:
        (shoff,) = struct.unpack_from(order + "Q", data, 0x28)
        shentsize, shnum = struct.unpack_from(order + "HH", data, 0x3A)
        layout, need = order + "IIQQQQ", 0x40
    else:
        (shoff,) = struct.unpack_from(order + "I", data, 0x20)
        shentsize, shnum = struct.unpack_from(order + "HH", data, 0x2E)
        layout, need = order + "IIIIII", 0x28
    if shoff == 0 or shnum == 0 or shentsize < need or shoff + shnum * shentsize > len(data):
        return None
    found = []
    for index in range(min(shnum, _MAX_SECTIONS)):
        _name, kind, flags, _address, offset, size = struct.unpack_from(layout, data, shoff + index * shentsize)
        if flags & _SHF_EXECINSTR and kind != _SHT_NOBITS:
            found.append((offset, size))
    return found


def _pe(data: Buffer) -> list[tuple[int, int]] | None:
    (pe_at,) = struct.unpack_from("<I", data, 0x3C)
    if data[pe_at : pe_at + 4] != b"PE\x00\x00":
        return None
    sections, _stamp, _symbols, _count, optional_size = struct.unpack_from("<HIIIH", data, pe_at + 6)
    table = pe_at + 24 + optional_size
    found = []
    names = set()
    for index in range(min(sections, 96)):  # the PE format allows at most 96 sections
        entry = table + index * 40
        name = bytes(data[entry : entry + 8]).rstrip(b"\x00")
        names.add(name)
        raw_size, raw_offset = struct.unpack_from("<II", data, entry + 16)
        (characteristics,) = struct.unpack_from("<I", data, entry + 36)
        if name == b".text" and characteristics & (_IMAGE_SCN_CNT_CODE | _IMAGE_SCN_MEM_EXECUTE):
            found.append((raw_offset, raw_size))
    # Some toolchains (Delphi's among them) keep string literals in the code section: only where the literals
    # have a read-only data section of their own, as MSVC, MinGW, Go and Rust lay them out, is .text code alone.
    return found if b".rdata" in names else None


def _fat(data: Buffer) -> list[tuple[int, int]] | None:
    (count,) = struct.unpack_from(">I", data, 4)
    if count > 16:
        return None  # also Java's class files start with 0xCAFEBABE (their version makes this count large)
    found: list[tuple[int, int]] = []
    for index in range(count):
        (offset,) = struct.unpack_from(">I", data, 8 + index * 20 + 8)
        if data[offset : offset + 4] == _MACHO_64:
            found += _macho(data, offset) or []
    return found


def _macho(data: Buffer, base: int) -> list[tuple[int, int]] | None:
    (ncmds,) = struct.unpack_from("<I", data, base + 16)
    pos = base + 32
    found = []
    for _ in range(min(ncmds, 4096)):
        command, command_size = struct.unpack_from("<II", data, pos)
        if command == _LC_SEGMENT_64:
            (sections,) = struct.unpack_from("<I", data, pos + 64)
            for index in range(min(sections, 256)):
                section = pos + 72 + index * 80
                size, offset = struct.unpack_from("<QI", data, section + 40)
                (flags,) = struct.unpack_from("<I", data, section + 64)
                if flags & _S_ATTR_PURE_INSTRUCTIONS and offset:
                    found.append((base + offset, size))
        if command_size < 8:
            return None
        pos += command_size
    return found
