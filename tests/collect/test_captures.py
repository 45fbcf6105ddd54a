from __future__ import annotations

import contextlib
import gzip
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from databorder.collect.captures import detect_format, read_capture
from databorder.errors import CaptureFormatError, DataBorderError
from tests.collect.test_logs import SQUID, ZEEK_DNS
from tests.helpers.fuzz import FUZZ, bounded, mutated
from tests.helpers.packets import app_session, ethernet, write_pcap


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("a.har", json.dumps({"log": {"version": "1.2", "creator": {}, "entries": []}}), "har"),
        ("access.log", SQUID, "squid"),
        ("dns.log", ZEEK_DNS, "zeek"),
        ("ssl.json", '{"ts": 1, "uid": "C1", "server_name": "x.test"}\n', "zeek"),
        ("export.csv", "host,count\napi.chat.test,3\n", "csv"),
        ("urls.csv", "\ufeffURL\nhttps://api.chat.test/v1\n", "csv"),  # one column: its header is no host
        ("hosts.txt", "# list\napi.chat.test\n", "hosts"),
    ],
)
def test_formats_are_recognised_from_content_not_name(tmp_path: Path, name: str, content: str, expected: str) -> None:
    path = tmp_path / ("renamed-" + name.replace(".", "_"))
    path.write_text(content)
    assert detect_format(path) == expected


def test_pcap_and_pcapng_are_recognised_and_read(tmp_path: Path) -> None:
    for ng in (False, True):
        path = write_pcap(tmp_path / f"c{ng}", [ethernet(p) for p in app_session()], ng=ng)
        observations, problems, fmt = read_capture(path)
        assert fmt == "pcap" and problems == [] and observations


def test_format_override_and_unknown_format(tmp_path: Path) -> None:
    path = tmp_path / "list.txt"
    path.write_text("host,count\napi.chat.test,3\n")
    assert read_capture(path, "hosts")[2] == "hosts"  # read as a list: the header line is reported, not a host
    with pytest.raises(CaptureFormatError, match="format 'xml' is not one DataBorder reads"):
        read_capture(path, "xml")


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.one_of(
        st.binary(max_size=300),
        st.builds(lambda t, cut: t[:cut], st.sampled_from([
            json.dumps({"log": {"entries": [{"request": {"url": "https://a.test/"}, "serverIPAddress": "1.2.3.4"}]}}),
            "#separator \\x09\n#fields\tquery\tanswers\na.test\t1.2.3.4\n",
            "1732450000.1 1 10.0.0.5 TCP_MISS/200 1 GET http://a.test/ - HIER_DIRECT/1.2.3.4 -\n",
            "host,count\na.test,1\n",
        ]).map(str.encode), st.integers(0, 200)),
    ),
    st.sampled_from([None, "har", "zeek", "squid", "csv", "hosts", "pcap"]),
)  # fmt: skip
def test_any_bytes_in_any_format_raise_only_databorder_errors(tmp_path: Path, data: bytes, fmt: str | None) -> None:
    path = tmp_path / "fuzz.bin"
    path.write_bytes(data)
    with contextlib.suppress(DataBorderError):
        observations, _, _ = read_capture(path, fmt)
        assert all(o.evidence.source == str(path) for o in observations)


@pytest.mark.parametrize("ng", [False, True], ids=["pcap", "pcapng"])
def test_compressed_captures_and_logs_are_read_by_content_whatever_their_name(tmp_path: Path, ng: bool) -> None:
    capture = write_pcap(tmp_path / "c", [ethernet(p) for p in app_session()], ng=ng)
    packed = tmp_path / "capture.txt"  # tcpdump | gzip, saved under any name
    packed.write_bytes(gzip.compress(capture.read_bytes()))
    observations, problems, fmt = read_capture(packed)
    assert fmt == "pcap" and problems == [] and "www.chat.test" in {o.host for o in observations}
    log = tmp_path / "access.log.1"
    log.write_bytes(gzip.compress(SQUID.encode()))
    assert detect_format(log) == "squid"


def test_binary_data_is_refused_in_one_sentence_not_read_as_hosts(tmp_path: Path) -> None:
    path = tmp_path / "blob.bin"
    path.write_bytes(b"MZ\x90\x00" + bytes(range(256)) * 8)
    with pytest.raises(CaptureFormatError, match=r"blob\.bin: is binary data, not a capture, log or host list \(a "
                       r"Windows executable\)$"):  # fmt: skip
        read_capture(path)


@FUZZ
@given(
    st.sampled_from(["hosts", "har", "pcap", "squid", "zeek", "csv"]).flatmap(
        lambda k: st.tuples(st.just(k), mutated(k))
    )
)
def test_fuzz_every_capture_reader_raises_only_its_sentences(tmp_path: Path, case: tuple[str, bytes]) -> None:
    """Damaged seeds of each capture kind, read as detected and as their own format: a result or a sentence."""
    kind, data = case
    path = tmp_path / "fuzz.input"
    path.write_bytes(data)
    fmt = {"hosts": "hosts", "har": "har", "pcap": "pcap", "squid": "squid", "zeek": "zeek", "csv": "csv"}[kind]
    for chosen in (None, fmt):
        found = bounded(lambda: read_capture(path, chosen))  # noqa: B023
        if found is not None:
            observations, problems, _ = found
            assert all(o.host or o.ip for o in observations)
            assert all(p.message for p in problems)
