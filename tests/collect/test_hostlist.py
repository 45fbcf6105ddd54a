from __future__ import annotations

import os
from pathlib import Path

import pytest

from databorder.collect.hostlist import observations_from_args, read_host_list
from databorder.errors import InputFileError


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
