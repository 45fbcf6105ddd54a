from __future__ import annotations

import gzip
import json
import resource
from pathlib import Path

import pytest

from databorder.collect.captures import detect_format
from databorder.collect.har import read_har
from databorder.errors import CaptureFormatError


def har(entries: list[dict[str, object]]) -> dict[str, object]:
    return {"log": {"version": "1.2", "creator": {"name": "test", "version": "1"}, "entries": entries}}


def entry(url: str, server: str | None = None, method: str = "GET") -> dict[str, object]:
    item: dict[str, object] = {
        "startedDateTime": "2026-11-24T10:00:00.000Z",
        "request": {"method": method, "url": url, "headers": []},
        "response": {"status": 200},
        "timings": {"send": 1, "wait": 20, "receive": 3},
    }
    if server is not None:
        item["serverIPAddress"] = server
    return item


def test_requests_become_observations_with_server_addresses(tmp_path: Path) -> None:
    path = tmp_path / "session.har"
    path.write_text(json.dumps(har([
        entry("https://api.chat.test/v1/chat", "203.0.113.10", "POST"),
        entry("http://telemetry.app.test:8080/log", "[2001:db8::7]"),
        entry("data:image/png;base64,AAAA"),
        entry("https://198.51.100.5/raw"),
        {"request": {}},
        entry("https://bad host/"),
    ])))  # fmt: skip
    observations, problems = read_har(path)
    got = [(o.host, o.ip, o.port, o.scheme, o.seen_addresses) for o in observations]
    assert got == [
        ("api.chat.test", None, None, "https", ("203.0.113.10",)),
        ("telemetry.app.test", None, 8080, "http", ("2001:db8::7",)),
        (None, "198.51.100.5", None, "https", ()),
    ]
    first = observations[0].evidence
    assert (first.collector, first.location) == ("har", "entry 1 (2026-11-24T10:00:00.000Z)")
    assert first.excerpt == "POST https://api.chat.test/v1/chat → 203.0.113.10 (24 ms)"
    assert [p.message.split(";")[0] for p in problems] == [
        "entry 5 has no request URL",
        "entry 6: 'https://bad host/' contains spaces",
    ]


def test_truncated_har_keeps_the_entries_before_the_cut(tmp_path: Path) -> None:
    text = json.dumps(har([entry(f"https://h{i}.app.test/") for i in range(5)]))
    path = tmp_path / "cut.har"
    path.write_text(text[: text.index("h4.app.test") - 20])
    observations, problems = read_har(path)
    assert [o.host for o in observations] == ["h0.app.test", "h1.app.test", "h2.app.test", "h3.app.test"]
    assert len(problems) == 1 and "stops being valid JSON after entry 4" in problems[0].message


def test_not_a_har(tmp_path: Path) -> None:
    path = tmp_path / "x.har"
    path.write_text('{"hello": [1, 2, 3]}')
    with pytest.raises(CaptureFormatError, match="is not a HAR file"):
        read_har(path)
    path.write_text("garbage{")
    with pytest.raises(CaptureFormatError, match="is not a HAR file"):
        read_har(path)


def test_a_large_har_streams_in_bounded_memory(tmp_path: Path) -> None:
    path = tmp_path / "big.har"
    padding = "x" * 2000
    with path.open("w") as handle:  # ~80 MB: twice the memory growth allowed below
        handle.write('{"log": {"version": "1.2", "entries": [')
        for i in range(40_000):
            if i:
                handle.write(",")
            handle.write(json.dumps(entry(f"https://h{i % 50}.app.test/{padding}", "203.0.113.9")))
        handle.write("]}}")
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    observations, problems = read_har(path)
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert problems == [] and len({o.host for o in observations}) == 50
    assert len(observations) == 50 * 11  # ten kept per host and one summary
    assert grown_mb < 40, grown_mb


def test_a_number_of_thousands_of_digits_stops_the_read_with_a_sentence_not_a_crash(tmp_path: Path) -> None:
    # ijson's C backend dies by SIGSEGV on such a number; entries before it are kept.
    good = entry("https://api.vendor.test/v1", "203.0.113.9")
    bad = {**entry("https://other.vendor.test/v1"), "response": {"status": 10**999 * 9}}
    path = tmp_path / "huge.har"
    path.write_text(json.dumps(har([good, bad])), encoding="utf-8")
    observations, problems = read_har(path)
    assert {o.host for o in observations} == {"api.vendor.test"}
    assert len(problems) == 1 and "a number of more than 1,000 digits at byte" in str(problems[0])
    long_text = entry("https://api.vendor.test/" + "7" * 5000)  # digits in a string are no number
    path.write_text(json.dumps(har([long_text])), encoding="utf-8")
    assert read_har(path)[1] == []


@pytest.mark.parametrize(
    ("encoding", "packing"),
    [("utf-8-sig", None), ("utf-16", None), ("utf-16-le", None), ("utf-16-be", None), ("utf-8", "gzip"),
     ("utf-8-sig", "gzip")],
    ids=["utf8-bom-fiddler", "utf16-bom", "utf16le-no-bom", "utf16be-no-bom", "gzip", "gzip-utf8-bom"],
)  # fmt: skip
def test_hars_as_browsers_and_proxies_write_them(tmp_path: Path, encoding: str, packing: str | None) -> None:
    text = json.dumps(har([entry("https://api.chat.test/v1", "203.0.113.10"), entry("https://ü.chat.test/")]))
    data = text.encode(encoding)
    path = tmp_path / "export"
    path.write_bytes(gzip.compress(data) if packing else data)
    observations, problems = read_har(path)
    assert [o.host for o in observations] == ["api.chat.test", "xn--tda.chat.test"] and problems == []
    assert detect_format(path) == "har"


def test_a_url_that_is_not_absolute_is_a_skipped_entry_with_a_warning(tmp_path: Path) -> None:
    path = tmp_path / "fiddler.har"
    connect = entry("api.chat.test:443", method="CONNECT")  # a proxy's tunnel: host:port is the whole target
    path.write_text(json.dumps(har([entry("XML"), entry("/v1/chat"), connect, entry("https://ok.chat.test/")])))
    observations, problems = read_har(path)
    assert [(o.host, o.port) for o in observations] == [("api.chat.test", 443), ("ok.chat.test", None)]
    assert [p.message for p in problems] == [
        "entry 1: the URL 'XML' is not absolute; skipped",
        "entry 2: the URL '/v1/chat' is not absolute; skipped",
    ]


def test_server_addresses_with_a_port_are_read(tmp_path: Path) -> None:
    path = tmp_path / "ports.har"
    path.write_text(json.dumps(har([entry("https://a.chat.test/", "203.0.113.10:443"),
                                    entry("https://b.chat.test/", "[2001:db8::7]:443")])))  # fmt: skip
    assert [o.seen_addresses for o in read_har(path)[0]] == [("203.0.113.10",), ("2001:db8::7",)]


def test_a_jsonp_wrapped_har_as_har_viewer_writes_it(tmp_path: Path) -> None:
    path = tmp_path / "session.harp"
    body = json.dumps(har([entry(f"https://h{i}.chat.test/" + "x" * 50) for i in range(40)]))
    path.write_text("onInputData(" + body + ");\n")
    observations, problems = read_har(path)
    assert problems == [] and len({o.host for o in observations}) == 40
    assert detect_format(path) == "har"
