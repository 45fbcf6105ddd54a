from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from databorder.collect.logs import read_squid, read_table, read_zeek
from databorder.errors import CaptureFormatError

SQUID = """\
1732450000.123     45 10.0.0.5 TCP_TUNNEL/200 5512 CONNECT api.chat.test:443 - HIER_DIRECT/203.0.113.10 -
1732450001.456    120 10.0.0.5 TCP_MISS/200 812 GET http://telemetry.app.test/v1/log - HIER_DIRECT/192.0.2.140 -
this is not squid
1732450002.000      3 10.0.0.5 TCP_DENIED/403 0 GET http://blocked.app.test/ - HIER_NONE/- text/html
"""

ZEEK_DNS = """\
#separator \\x09
#path\tdns
#fields\tts\tuid\tid.orig_h\tid.resp_h\tquery\tanswers
1732450000.1\tCx1\t10.0.0.5\t10.0.0.53\tapi.chat.test\t203.0.113.10,2001:db8::10
1732450000.2\tCx2\t10.0.0.5\t10.0.0.53\tnothing.app.test\t-
"""

ZEEK_CONN = """\
#separator \\x09
#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto
1732450000.1\tCx1\t10.0.0.5\t50000\t198.51.100.140\t443\ttcp
"""


def test_squid_access_log(tmp_path: Path) -> None:
    path = tmp_path / "access.log"
    path.write_text(SQUID)
    observations, problems = read_squid(path)
    got = [(o.host, o.port, o.scheme, o.seen_addresses, o.evidence.location) for o in observations]
    assert got == [
        ("api.chat.test", 443, None, ("203.0.113.10",), "line 1"),
        ("telemetry.app.test", None, "http", ("192.0.2.140",), "line 2"),
        ("blocked.app.test", None, "http", (), "line 4"),
    ]
    assert [(p.line, p.message) for p in problems] == [(3, "is not a Squid access.log line; skipped")]


def test_zeek_tsv_and_json_lines(tmp_path: Path) -> None:
    dns_log = tmp_path / "dns.log"
    dns_log.write_text(ZEEK_DNS)
    observations, problems = read_zeek(dns_log)
    assert [(o.host, o.seen_addresses) for o in observations] == [
        ("api.chat.test", ("203.0.113.10", "2001:db8::10")),
        ("nothing.app.test", ()),
    ]
    conn = tmp_path / "conn.log"
    conn.write_text(ZEEK_CONN)
    observations, _ = read_zeek(conn)
    assert [(o.ip, o.port) for o in observations] == [("198.51.100.140", 443)]
    ssl_json = tmp_path / "ssl.json"
    ssl_json.write_text(json.dumps({"id.resp_h": "203.0.113.10", "id.resp_p": 443, "server_name": "api.chat.test"})
                        + "\n{broken\n")  # fmt: skip
    observations, problems = read_zeek(ssl_json)
    assert [(o.host, o.port, o.seen_addresses) for o in observations] == [("api.chat.test", 443, ("203.0.113.10",))]
    assert [(p.line, p.message) for p in problems] == [(2, "is not valid JSON; skipped")]


def test_csv_and_tsv_with_a_host_column(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_text("time,Destination,bytes\n1,api.chat.test,10\n2,,5\n3,https://x.app.test/a,1\n")
    observations, problems = read_table(path)
    assert [o.host for o in observations] == ["api.chat.test", "x.app.test"]
    assert [(p.line, p.message) for p in problems] == [(3, "has no value in column 'destination'")]
    tsv = tmp_path / "export.tsv"
    tsv.write_text("sni\tcount\nv6.app.test\t3\n")
    assert [o.host for o in read_table(tsv)[0]] == ["v6.app.test"]
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b\n1,2\n")
    with pytest.raises(CaptureFormatError, match=r"bad\.csv, line 1: has no host column"):
        read_table(bad)


def test_a_byte_order_mark_and_lone_cr_line_ends_lose_nothing(tmp_path: Path) -> None:
    table = tmp_path / "hosts.csv"
    table.write_bytes(b"\xef\xbb\xbfhost,count\napi.bomvendor.com,3\n")  # a spreadsheet's export
    assert [o.host for o in read_table(table)[0]] == ["api.bomvendor.com"]
    zeek = tmp_path / "dns.log"
    zeek.write_bytes(
        b'\xef\xbb\xbf{"ts":1.0,"id.orig_h":"10.0.0.1","id.resp_h":"203.0.113.9","query":"a.bomzeek.com"}\n'
    )
    assert "a.bomzeek.com" in {o.host for o in read_zeek(zeek)[0]}
    squid = tmp_path / "access.log"
    line = "1700000000.000 120 10.0.0.1 TCP_TUNNEL/200 5000 CONNECT api.cr{}.com:443 - HIER_DIRECT/203.0.113.9 -"
    squid.write_bytes("\r".join(line.format(i) for i in range(3)).encode() + b"\r")
    observations, problems = read_squid(squid)
    assert {o.host for o in observations} == {"api.cr0.com", "api.cr1.com", "api.cr2.com"} and problems == []


def test_a_cut_compressed_log_keeps_its_whole_lines_and_says_where_it_stopped(tmp_path: Path) -> None:
    lines = "".join(
        f"1732450000.{i:03d}     45 10.0.0.5 TCP_MISS/200 1 GET http://h{i}.chat.test/v1 - HIER_DIRECT/203.0.113.1 -\n"
        for i in range(3000)
    )
    packed = gzip.compress(lines.encode())
    path = tmp_path / "access.log.gz"
    path.write_bytes(packed[: len(packed) // 2])
    observations, problems = read_squid(path)
    assert 100 < len(observations) < 3000
    assert all(o.host and o.host.endswith(".chat.test") for o in observations)
    assert [p.message.split(" after")[0] for p in problems] == ["its gzip compression is damaged or cut short"]
