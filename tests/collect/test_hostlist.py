from __future__ import annotations

import gzip
import os
from pathlib import Path

import pytest

from databorder.collect.hostlist import observations_from_args, read_host_list
from databorder.errors import InputFileError
from tests.helpers.packets import app_session, ethernet, write_pcap


def test_host_list_reads_entries_with_line_evidence_and_reports_bad_lines(tmp_path: Path) -> None:
    hosts = tmp_path / "hosts.txt"
    hosts.write_bytes(
        "\ufeff# AI endpoints\n"
        "api.chat.test\n"
        "\n"
        "https://www.chat.test/path#frag   # trailing comment\n"
        "not a host\n"
        "0.0.0.0 tracker.test telemetry.chat.test\n"
        "bad..name.test\n".encode()
        + b"\xff\xfe broken\n"
        + b"203.0.113.10\n"
    )
    observations, problems = read_host_list(hosts)
    assert [(o.host or o.ip) for o in observations] == [
        "api.chat.test",
        "www.chat.test",
        "tracker.test",
        "telemetry.chat.test",
        "203.0.113.10",
    ]
    www = observations[1]
    assert www.scheme == "https"
    assert www.evidence.collector == "list"
    assert www.evidence.source == str(hosts)
    assert www.evidence.location == "line 4"
    assert www.evidence.excerpt == "https://www.chat.test/path#frag"
    assert [(p.line, p.message.split(";")[0]) for p in problems] == [
        (5, "holds 3 entries"),
        (7, "'bad..name.test' is not a valid host name"),
        (8, "is not UTF-8 text"),
    ]
    assert str(problems[0]).startswith(f"{hosts}, line 5: ")


def test_command_line_arguments_become_observations() -> None:
    observations, problems = observations_from_args(["api.chat.test", "nope nope", "[2001:db8::1]:443"])
    assert [(o.host, o.ip, o.port) for o in observations] == [
        ("api.chat.test", None, None),
        (None, "2001:db8::1", 443),
    ]
    assert observations[1].evidence.location == "argument 3"
    assert len(problems) == 1 and "argument 2" in problems[0].message


def test_unreadable_host_files_raise_a_sentence_naming_the_file(tmp_path: Path) -> None:
    with pytest.raises(InputFileError, match=r"missing\.txt: does not exist"):
        read_host_list(tmp_path / "missing.txt")
    with pytest.raises(InputFileError, match="is a folder"):
        read_host_list(tmp_path)
    locked = tmp_path / "locked.txt"
    locked.write_text("api.chat.test\n")
    locked.chmod(0)
    if os.geteuid() != 0:  # root reads anything; the check is meaningful for ordinary users only
        with pytest.raises(InputFileError, match="permission denied"):
            read_host_list(locked)


def test_a_binary_file_is_never_read_as_a_host_list(tmp_path: Path) -> None:
    capture = write_pcap(tmp_path / "c.pcap", [ethernet(p) for p in app_session()])
    packed = tmp_path / "capture.txt"  # a gzip-compressed capture under a list's name
    packed.write_bytes(gzip.compress(capture.read_bytes()))
    with pytest.raises(InputFileError, match=r"capture\.txt: is binary data, not a text list of hosts \(a pcap"):
        read_host_list(packed)
    elf = tmp_path / "tool"
    elf.write_bytes(b"\x7fELF\x02\x01\x01" + bytes(range(256)) * 4)
    with pytest.raises(InputFileError, match=r"is binary data, not a text list of hosts \(an ELF executable\)"):
        read_host_list(elf)


def test_compressed_and_utf16_lists_are_read_as_text(tmp_path: Path) -> None:
    packed = tmp_path / "hosts.gz"
    packed.write_bytes(gzip.compress(b"api.chat.test\n# c\nwww.chat.test\n"))
    assert [o.host for o in read_host_list(packed)[0]] == ["api.chat.test", "www.chat.test"]
    for encoding in ("utf-16", "utf-16-le", "utf-16-be"):  # Notepad's "Unicode", with and without its mark
        listed = tmp_path / f"{encoding}.txt"
        listed.write_bytes("api.chat.test\r\nwww.chat.test\r\n".encode(encoding))
        observations, problems = read_host_list(listed)
        assert [o.host for o in observations] == ["api.chat.test", "www.chat.test"] and problems == [], encoding


def test_a_cut_compressed_list_loses_only_its_partial_last_line(tmp_path: Path) -> None:
    packed = gzip.compress(b"".join(b"h%d.chat.test\n" % i for i in range(20_000)))
    path = tmp_path / "cut.gz"
    path.write_bytes(packed[: len(packed) // 2])
    observations, problems = read_host_list(path)
    assert 1000 < len(observations) < 20_000
    assert all(o.host and o.host.endswith(".chat.test") for o in observations)  # no half line as a host
    assert [p.message.split(" after")[0] for p in problems] == ["its gzip compression is damaged or cut short"]
