"""Named files are read only when regular and within their kind's limit."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from databorder.errors import DataBorderError, GeoIPDatabaseError
from databorder.inputs import MB, check_regular, decode_utf8, read_bounded, read_input


def test_a_regular_file_within_the_limit_is_read_whole(tmp_path: Path) -> None:
    path = tmp_path / "a.toml"
    path.write_bytes(b"x" * 1000)
    assert read_bounded(path, MB) == b"x" * 1000


def test_devices_pipes_folders_long_names_and_big_files_are_sentences_not_hangs(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    for path, words in ((fifo, "not a regular file"), (Path("/dev/zero"), "not a regular file"),
                        (tmp_path, "a folder"), (Path("x" * 5000), "too long")):  # fmt: skip
        with pytest.raises(OSError, match=words):
            read_bounded(path, MB)
    big = tmp_path / "big"
    with big.open("wb") as handle:
        handle.truncate(3 * MB)  # sparse: nothing is written
    with pytest.raises(OSError, match="3 MB, more than such a file can be"):
        read_bounded(big, MB)
    with pytest.raises(FileNotFoundError):
        check_regular(tmp_path / "missing")


@pytest.mark.parametrize(
    "reader",
    [
        lambda p: __import__("databorder.policy.packs", fromlist=["load_pack"]).load_pack(p),
        lambda p: __import__("databorder.orgpolicy", fromlist=["load_org_policy"]).load_org_policy(p),
        lambda p: __import__("databorder.report.jsonout", fromlist=["read_json"]).read_json(p),
        lambda p: __import__("databorder.options", fromlist=["load_settings"]).load_settings(p),
    ],
)
def test_every_reader_refuses_a_device_with_its_own_sentence(reader: object) -> None:
    with pytest.raises(DataBorderError, match="not a regular file"):
        reader(Path("/dev/zero"))  # type: ignore[operator]


def test_read_input_names_the_file_in_the_readers_own_error(tmp_path: Path) -> None:
    missing = tmp_path / "gone.mmdb"
    with pytest.raises(GeoIPDatabaseError, match=r"gone\.mmdb: country database does not exist$"):
        read_input(missing, MB, GeoIPDatabaseError, "country database")
    fifo = tmp_path / "pipe.mmdb"
    os.mkfifo(fifo)
    with pytest.raises(GeoIPDatabaseError, match=r"pipe\.mmdb: cloud range file cannot be read: .+"):
        read_input(fifo, MB, GeoIPDatabaseError, "cloud range file")
    (tmp_path / "ok.mmdb").write_bytes(b"data")
    assert read_input(tmp_path / "ok.mmdb", MB, GeoIPDatabaseError, "country database") == b"data"


@given(st.text(), st.integers(min_value=1, max_value=7))
def test_text_decoded_in_blocks_is_the_text(text: str, block: int) -> None:
    assert decode_utf8(text.encode("utf-8"), block) == text  # a character cut by a block's end is not lost


@given(st.binary(max_size=64), st.integers(min_value=1, max_value=7))
def test_bytes_that_are_not_utf8_name_the_offset_the_codec_names(data: bytes, block: int) -> None:
    try:
        expected = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        with pytest.raises(ValueError, match=f"not UTF-8 text at byte {exc.start:,}"):
            decode_utf8(data, block)
    else:
        assert decode_utf8(data, block) == expected


def test_the_documented_limits_are_the_limits_in_force() -> None:
    from databorder import inputs

    doc = (Path(__file__).parents[2] / "docs" / "input-limits.md").read_text(encoding="utf-8")
    documented = [int(cell) for cell in re.findall(r"\| (\d+) MB \|", doc)]
    names = ("PACK", "POLICY", "SETTINGS", "TABLE", "HOST_LIST", "DECOMPRESSED", "ASSESSMENT", "DATABASE")
    limits = [getattr(inputs, f"{name}_LIMIT") for name in names]
    assert documented == [limit // MB for limit in limits]
