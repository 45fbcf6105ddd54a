"""Machine code in executables: its ranges read from ELF, PE and Mach-O headers, never trusted, skipped by the scan."""

from __future__ import annotations

import os
import struct
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from databorder.collect.static import scan, scan_path
from databorder.collect.static.machine_code import MIN_SECTION, code_ranges

CODE = 2 * MIN_SECTION


def elf(sections: list[tuple[int, int, bytes]], *, wide: bool = True, order: str = "<") -> bytes:
    """An ELF file with these (type, flags, bytes) sections after a 4 KB head, and its section header table."""
    body = b""
    headers = [b"\x00" * (0x40 if wide else 0x28)]  # section 0 is null
    offset = 4096
    for kind, flags, data in sections:
        layout = order + ("IIQQQQIIQQ" if wide else "IIIIIIIIII")
        headers.append(struct.pack(layout, 0, kind, flags, 0, offset + len(body), len(data), 0, 0, 1, 0))
        body += data
    shoff = offset + len(body)
    ident = b"\x7fELF" + bytes([2 if wide else 1, 1 if order == "<" else 2, 1]) + b"\x00" * 9
    if wide:
        head = ident + struct.pack(order + "HHIQQQIHHHHHH", 2, 62, 1, 0, 0, shoff, 0, 64, 56, 0, 64,
                                   len(headers), 0)  # fmt: skip
    else:
        head = ident + struct.pack(order + "HHIIIIIHHHHHH", 2, 3, 1, 0, 0, shoff, 0, 52, 32, 0, 40,
                                   len(headers), 0)  # fmt: skip
    return head.ljust(offset, b"\x00") + body + b"".join(headers)


def pe(sections: list[tuple[bytes, int, bytes]]) -> bytes:
    """A PE file with these (name, characteristics, bytes) sections."""
    pe_at = 0x80
    optional = b"\x00" * 240
    table_end = pe_at + 24 + len(optional) + 40 * len(sections)
    offset = (table_end + 511) // 512 * 512
    table, body = b"", b""
    for name, characteristics, data in sections:
        table += name.ljust(8, b"\x00") + struct.pack("<IIIIIIHHI", len(data), 0x1000, len(data),
                                                      offset + len(body), 0, 0, 0, 0, characteristics)  # fmt: skip
        body += data
    head = b"MZ".ljust(0x3C, b"\x00") + struct.pack("<I", pe_at)
    coff = b"PE\x00\x00" + struct.pack("<HHIIIHH", 0x8664, len(sections), 0, 0, 0, len(optional), 0x22)
    return (head.ljust(pe_at, b"\x00") + coff + optional + table).ljust(offset, b"\x00") + body


def macho(text: bytes, cstring: bytes) -> bytes:
    """A 64-bit Mach-O with a __TEXT segment holding __text (pure instructions) and __cstring."""
    header_size = 32 + 72 + 2 * 80
    text_at = 4096
    cstring_at = text_at + len(text)
    command = struct.pack("<II16sQQQQIIII", 0x19, 72 + 2 * 80, b"__TEXT", 0, 0, 0, 0, 7, 5, 2, 0)
    command += struct.pack("<16s16sQQIIIIIIII", b"__text", b"__TEXT", 0, len(text), text_at, 4, 0, 0,
                           0x80000400, 0, 0, 0)  # fmt: skip
    command += struct.pack("<16s16sQQIIIIIIII", b"__cstring", b"__TEXT", 0, len(cstring), cstring_at, 0, 0, 0,
                           0x2, 0, 0, 0)  # fmt: skip
    head = struct.pack("<IiiIIIII", 0xFEEDFACF, 0x01000007, 3, 2, 1, len(command), 0, 0) + command
    assert len(head) == header_size
    return head.ljust(text_at, b"\x00") + text + cstring


def test_code_sections_are_found_in_elf_pe_and_mach_o_files() -> None:
    code, strings = b"\x90" * CODE, b'"https://api.vendor.test/v1"\x00'.ljust(MIN_SECTION, b"\x00")
    for wide in (True, False):
        for order in ("<", ">"):
            data = elf([(1, 0x6, code), (1, 0x2, strings), (8, 0x6, b"")], wide=wide, order=order)
            assert code_ranges(data) == [(4096, 4096 + CODE)], (wide, order)
    with_rdata = pe([(b".text", 0x60000020, code), (b".rdata", 0x40000040, strings)])
    ((start, end),) = code_ranges(with_rdata)
    assert end - start == CODE and with_rdata[start:end] == code
    assert code_ranges(macho(code, strings)) == [(4096, 4096 + CODE)]


def test_what_may_hold_strings_is_never_skipped() -> None:
    code = b"\x90" * CODE
    # A PE without a separate read-only data section (Delphi keeps its literals in the code section).
    assert code_ranges(pe([(b".text", 0x60000020, code), (b".data", 0xC0000040, code)])) == []
    assert code_ranges(elf([(1, 0x6, b"\x90" * (MIN_SECTION - 1))])) == []  # too small to be worth skipping
    assert code_ranges(b"\xca\xfe\xba\xbe\x00\x00\x00\x34" + b"\x00" * 64) == []  # a Java class file
    assert code_ranges(b"plain text, not an executable") == []


def test_headers_that_do_not_fit_the_file_mean_no_code_is_known() -> None:
    data = elf([(1, 0x6, b"\x90" * CODE)])
    assert code_ranges(data[: len(data) - 10]) == []  # the section table cut short
    lying = bytearray(data)
    struct.pack_into("<Q", lying, 4096 + CODE + 64 + 24, len(data) + 1)  # .text's offset past the end
    assert code_ranges(bytes(lying)) == []


@settings(max_examples=300, deadline=None)
@given(head=st.sampled_from([b"\x7fELF\x02\x01", b"\x7fELF\x01\x02", b"MZ", b"\xcf\xfa\xed\xfe", b"\xca\xfe\xba\xbe"]),
       rest=st.binary(max_size=512))  # fmt: skip
def test_any_bytes_after_an_executable_head_give_ranges_inside_the_file_or_none(head: bytes, rest: bytes) -> None:
    data = head + rest
    for start, end in code_ranges(data):
        assert 0 <= start < end <= len(data)


def test_the_scan_skips_machine_code_and_finds_every_name_outside_it(tmp_path: Path) -> None:
    code = b"\x90" * (CODE // 2) + b'\x00"https://in-code.vendor.test/"\x00' + b"\x90" * (CODE // 2)
    strings = b'\x00"https://api.vendor.test/v1"\x00'.ljust(MIN_SECTION, b"\x00")
    program = tmp_path / "app"
    program.write_bytes(elf([(1, 0x6, code), (1, 0x2, strings)]).ljust(2 << 20, b"\x00"))
    hosts = {o.host for o in scan_path(program, workers=1).observations}
    assert "api.vendor.test" in hosts
    assert "in-code.vendor.test" not in hosts  # in instructions a name is no string a program reads


def test_skipping_machine_code_loses_no_name_in_this_python_interpreter(monkeypatch: pytest.MonkeyPatch) -> None:
    """A real executable of the machine: the scan with and without skipping finds the same names, ranked alike."""
    program = Path(os.path.realpath(sys.executable))
    library = next(iter(sorted(program.parent.parent.glob("lib/libpython3*.so*"))), None)
    real = [path for path in (program, library) if path is not None and path.stat().st_size >= 1 << 20]
    assert real, "no interpreter binary of 1 MB or more to scan"
    skips = 0
    for binary in real:
        with binary.open("rb") as handle:
            head = handle.read(4)
        assert head == b"\x7fELF"
        with binary.open("rb") as handle:
            skips += len(code_ranges(handle.read()))
        skipped = scan_path(binary, workers=1).observations
        with monkeypatch.context() as patched:
            patched.setattr(scan, "code_ranges", lambda data: [])
            whole = scan_path(binary, workers=1).observations
        assert {(o.host, o.ip, o.relevance) for o in skipped} == {(o.host, o.ip, o.relevance) for o in whole}
    assert skips, "the interpreter's machine code was not found, so nothing was compared"
