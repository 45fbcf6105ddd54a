from __future__ import annotations

import bz2
import gzip
import io
import lzma
from collections.abc import Callable
from pathlib import Path

import pytest

from databorder.collect import input_problems, open_input
from databorder.collect.compressed import compression_name, compression_of, open_decompressed, zstd
from databorder.collect.hostlist import read_host_list
from databorder.collect.pcap import read_pcap
from tests.helpers.packets import app_session, ethernet, write_pcap

COMPRESSORS: dict[str, Callable[[bytes], bytes]] = {
    "gzip": gzip.compress,
    "zstd": zstd.compress,
    "xz": lzma.compress,
    "bzip2": lambda data: bz2.compress(data, 1),  # 100 kB blocks: a cut stream still has whole blocks
}


@pytest.mark.parametrize("name", list(COMPRESSORS))
def test_each_compression_is_told_by_its_magic_and_read_as_a_stream(tmp_path: Path, name: str) -> None:
    plain = b"api.chat.test\n" * 10_000
    path = tmp_path / "no-telling-suffix"
    path.write_bytes(COMPRESSORS[name](plain))
    assert compression_of(path.read_bytes()[:16]) == name
    with open_input(path) as handle:
        assert compression_name(handle) == name
        assert handle.read(14) == b"api.chat.test\n"
        assert handle.read() == plain[14:]
        assert input_problems(handle, "x") == []


def test_plain_files_are_handed_back_unchanged(tmp_path: Path) -> None:
    path = tmp_path / "plain.gz"  # a name says nothing: the content is not compressed
    path.write_bytes(b"BZh9 is not a bzip2 stream\n")
    with path.open("rb") as raw:
        assert open_decompressed(raw, 1 << 20) is raw
    assert compression_of(b"BZh9\x31\x41\x59\x26\x53\x59") == "bzip2"
    assert compression_of(b"BZh0\x31\x41\x59\x26\x53\x59") is None


def test_gzip_members_one_after_another_are_one_stream(tmp_path: Path) -> None:
    path = tmp_path / "rotated.gz"
    path.write_bytes(gzip.compress(b"a.test\n") + gzip.compress(b"b.test\n"))
    observations, problems = read_host_list(path)
    assert [o.host for o in observations] == ["a.test", "b.test"] and problems == []


def test_a_bomb_stops_at_the_limit_and_keeps_what_came_before(tmp_path: Path) -> None:
    path = tmp_path / "bomb.zst"
    path.write_bytes(zstd.compress(b"bomb.test\n" + b"\n" * (64 << 20)))
    assert path.stat().st_size < 1 << 20
    with open_input(path, limit=4 << 20) as handle:
        data = handle.read()
        problems = input_problems(handle, str(path))
    assert len(data) == 4 << 20 and data.startswith(b"bomb.test\n")
    assert [p.message for p in problems] == [
        "it decompresses (zstd) to more than 4 MB, more than such a file can be; read up to there"
    ]


@pytest.mark.parametrize("name", list(COMPRESSORS))
def test_a_damaged_or_cut_stream_ends_with_a_sentence_not_an_error(tmp_path: Path, name: str) -> None:
    capture = write_pcap(tmp_path / "c.pcap", [ethernet(p) for p in app_session()] * 800)
    packed = COMPRESSORS[name](capture.read_bytes())
    path = tmp_path / "cut"
    path.write_bytes(packed[: len(packed) * 2 // 3])
    observations, problems = read_pcap(path)
    assert "www.chat.test" in {o.host for o in observations}  # what was read before the cut is kept
    assert any(f"its {name} compression is damaged or cut short" in p.message for p in problems), problems


def test_buffered_reads_of_any_size_see_the_same_bytes(tmp_path: Path) -> None:
    plain = bytes(range(256)) * 4096
    path = tmp_path / "data.xz"
    path.write_bytes(lzma.compress(plain))
    out = io.BytesIO()
    with open_input(path) as handle:
        size = 1
        while chunk := handle.read(size):
            out.write(chunk)
            size = size * 3 % 70_001 + 1
    assert out.getvalue() == plain


def test_a_deflate_stream_with_an_invalid_lookback_is_a_sentence_not_an_internal_error(tmp_path: Path) -> None:
    """The bad-input campaign's gzip log: isal raises IsalError (not an OSError) on an invalid lookback distance."""
    path = tmp_path / "access.log.gz"
    path.write_bytes(bytes.fromhex(
        "1f8b080034c2001b5b33316d0d116b02ff33343780023d205600024323030543200f080d15429c03e24342fdfc5c7df48d80d2a6"
        "2035cefe40be7388426241a65e596a5e4a7e915e496a7189958989b182ae8287a76b50bc8b67105005508b31c81443633d4b055d"
        "2ec351ab46ad1ab56ad4aa51ab46ad1ab56af85b050066c300055c080000"
    ))  # fmt: skip
    with open_input(path) as handle:
        handle.read()
        problems = input_problems(handle, str(path))
    assert len(problems) == 1 and "its gzip compression is damaged or cut short" in problems[0].message
