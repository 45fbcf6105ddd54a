from __future__ import annotations

import itertools
import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from databorder.collect import InputProblem, reads_cancelled_by, text_encoding


def test_input_problems_read_as_file_line_message() -> None:
    assert str(InputProblem("hosts.txt", 3, "bad entry")) == "hosts.txt, line 3: bad entry"
    assert str(InputProblem("command line", None, "argument 2: bad")) == "command line: argument 2: bad"


@pytest.mark.parametrize(
    ("head", "expected"),
    [(b"api.chat.test\n", "utf-8"), ("# caf\u00e9\n".encode("latin-1") + b"x.test\n" * 10, "utf-8"), (b"", "utf-8"),
     ("x.test\n".encode("utf-16"), "utf-16-le"), ("x.test\n".encode("utf-16-be"), "utf-16-be"),
     ("x.test\n".encode("utf-16-le"), "utf-16-le"), (b"\x1f\x8b\x08\x00\x00\x00", None),
     (b"\xd4\xc3\xb2\xa1\x02\x00\x04\x00", None), (bytes(range(1, 32)) * 4, None),
     (bytes(range(128, 256)) * 4, None)],
    ids=["ascii", "latin1-comment", "empty", "utf16-bom", "utf16be-bom", "utf16le-no-bom", "gzip", "pcap",
         "controls", "high-bytes"],
)  # fmt: skip
def test_text_is_told_from_binary_data(head: bytes, expected: str | None) -> None:
    assert text_encoding(head) == expected


def _cancel_after(reads: int) -> Callable[[], bool]:
    """A cancel flag that turns on at the reader's ``reads``-th look (each look is one read of 256 KB at most)."""
    looks = itertools.count(1)
    return lambda: next(looks) > reads


def _big_inputs(tmp_path: Path) -> dict[str, Path]:
    """Inputs of each kind 0.1 to 3 MB long, a new host every few hundred lines or entries.

    A cancel after the first read leaves most of each unread.
    """
    hosts = tmp_path / "hosts.txt"
    hosts.write_text("".join(f"h{n // 500}.vendor.test\n" for n in range(8_000)), encoding="utf-8")
    squid = tmp_path / "access.log"
    line = "1700000000.000 120 10.0.0.1 TCP_TUNNEL/200 5000 CONNECT api{}.vendor.test:443 - HIER_DIRECT/203.0.113.9 -\n"
    squid.write_text("".join(line.format(n // 200) for n in range(15_000)), encoding="utf-8")
    entries = [{"request": {"method": "GET", "url": f"https://api{n // 50}.vendor.test/v1", "headers": [
        {"name": "x", "value": "p" * 300}]}} for n in range(4_000)]  # fmt: skip
    har = tmp_path / "big.har"
    har.write_text(json.dumps({"log": {"version": "1.2", "creator": {"name": "t"}, "entries": entries}}))
    from tests.helpers.packets import client_hello, ethernet, tcp, write_pcap

    frames = [ethernet(tcp("10.0.0.2", "203.0.113.9", 20000 + n % 30000, 443, client_hello(f"s{n // 50}.vendor.test")))
              for n in range(5_000)]  # fmt: skip
    return {"hosts": hosts, "squid": squid, "har": har, "pcap": write_pcap(tmp_path / "big.pcap", frames)}


@pytest.mark.parametrize("kind", ["hosts", "squid", "har", "pcap"])
def test_a_cancel_mid_file_keeps_what_was_read_and_says_where_it_stopped(tmp_path: Path, kind: str) -> None:
    from databorder.collect.captures import read_capture

    path = _big_inputs(tmp_path)[kind]
    whole, _, _ = read_capture(path, kind)
    with reads_cancelled_by(_cancel_after(1)):
        found, problems, _ = read_capture(path, kind)
    assert 0 < len(found) <= len(whole)
    kept = {o.host for o in found}
    assert kept and kept < {o.host for o in whole}  # part of the file, not all of it, and nothing invented
    stop = [p for p in problems if "reading was cancelled" in p.message]
    assert len(stop) == 1 and stop[0].source == str(path)
    assert (
        re.search(r"after [0-9,.]+ (bytes|MB) of [0-9,.]+ (bytes|MB) \(\d+%\)", stop[0].message)
        and "the rest of the file was not read" in stop[0].message
    )
    assert not [p for p in problems if "cut short" in p.message or "valid JSON" in p.message]


def test_outside_a_cancellable_block_a_file_is_read_whole(tmp_path: Path) -> None:
    from databorder.collect.hostlist import read_host_list

    path = _big_inputs(tmp_path)["hosts"]
    with reads_cancelled_by(lambda: False):
        inside, _ = read_host_list(path)
    found, problems = read_host_list(path)
    assert len(found) == len(inside) == 8_000 and not problems
