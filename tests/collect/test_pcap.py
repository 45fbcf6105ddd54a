from __future__ import annotations

import contextlib
import struct
from pathlib import Path

import dns.message
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from databorder.collect.pcap import read_pcap
from databorder.collect.quic import VERSION_1
from databorder.errors import CaptureFormatError
from databorder.model import Observation
from tests.collect.test_quic import chlo, crypto, protect
from tests.helpers.packets import (
    CLIENT,
    app_session,
    client_hello,
    dns_response,
    ethernet,
    linux_cooked,
    tcp,
    udp,
    write_pcap,
)


def by_host(observations: list[Observation]) -> dict[str, list[Observation]]:
    found: dict[str, list[Observation]] = {}
    for o in observations:
        found.setdefault(o.host or str(o.ip), []).append(o)
    return found


@pytest.mark.parametrize(
    ("linktype", "frame", "ng"),
    [(1, ethernet, False), (1, ethernet, True), (113, linux_cooked, False), (101, lambda p: p, True),
     (1, lambda p: ethernet(p, vlan=True), False)],
    ids=["ethernet-pcap", "ethernet-pcapng", "linux-cooked", "raw-ip-pcapng", "vlan"],
)  # fmt: skip
def test_dns_sni_http_and_nameless_flows(tmp_path: Path, linktype: int, frame: object, ng: bool) -> None:
    capture = write_pcap(tmp_path / "app.pcap", [frame(p) for p in app_session()], linktype=linktype, ng=ng)  # type: ignore[operator]
    observations, problems = read_pcap(capture)
    assert problems == []
    hosts = by_host(observations)
    assert set(hosts) == {"www.chat.test", "api.chat.test", "telemetry.app.test", "203.0.113.99",
                          "198.51.100.140", "v6.app.test"}  # fmt: skip
    www = hosts["www.chat.test"]
    assert any(o.evidence.excerpt == "DNS answer www.chat.test (via edge.cdn.test): 198.51.100.20" for o in www)
    assert any(o.evidence.excerpt == "TLS ClientHello SNI www.chat.test → 198.51.100.20:443" for o in www)
    assert any(o.evidence.excerpt.startswith("TCP connection to 198.51.100.20:443 (www.chat.test") for o in www)
    assert {a for o in www for a in o.seen_addresses} == {"198.51.100.20"}
    api = hosts["api.chat.test"][0]
    assert (api.port, api.scheme, api.seen_addresses, api.evidence.location) == (
        443,
        "https",
        ("203.0.113.10",),
        "packet 5",
    )
    telemetry = hosts["telemetry.app.test"][0]
    assert (telemetry.scheme, telemetry.port) == ("http", 80) and "(cleartext)" in telemetry.evidence.excerpt
    assert hosts["203.0.113.99"][0].evidence.excerpt == "TCP connection to 203.0.113.99:8443 (no name seen for it)"
    assert hosts["198.51.100.140"][0].scheme == "quic"
    assert hosts["v6.app.test"][0].seen_addresses == ("2001:db8:1::5",)
    assert all(o.evidence.collector == "pcap" and o.evidence.source == str(capture) for o in observations)


def test_a_client_hello_split_over_segments_is_reassembled(tmp_path: Path) -> None:
    hello = client_hello("split.app.test")
    packets = [
        tcp("10.0.0.2", "203.0.113.50", 40000, 443, hello[:40]),
        tcp("10.0.0.2", "203.0.113.50", 40000, 443, hello[40:]),
    ]
    observations, _ = read_pcap(write_pcap(tmp_path / "split.pcap", [ethernet(p) for p in packets]))
    assert [o.host for o in observations] == ["split.app.test"]
    assert observations[0].evidence.location == "packet 2"


def test_truncated_capture_keeps_what_was_read(tmp_path: Path) -> None:
    capture = write_pcap(tmp_path / "app.pcap", [ethernet(p) for p in app_session()])
    data = capture.read_bytes()
    cut = tmp_path / "cut.pcap"
    cut.write_bytes(data[: len(data) - 30])
    observations, problems = read_pcap(cut)
    assert "www.chat.test" in by_host(observations)
    assert len(problems) == 1 and "cut short after packet 8" in problems[0].message
    assert "what was read before is kept" in problems[0].message


def test_repeated_sightings_are_counted_not_kept(tmp_path: Path) -> None:
    hello = client_hello("busy.app.test")
    packets = [tcp("10.0.0.2", "203.0.113.50", 40000 + i, 443, hello) for i in range(500)]
    observations, _ = read_pcap(write_pcap(tmp_path / "busy.pcap", [ethernet(p) for p in packets]))
    assert len(observations) == 11
    assert observations[-1].evidence.excerpt == "… and 490 more sightings on port 443 here"


def test_not_a_capture(tmp_path: Path) -> None:
    path = tmp_path / "x.pcap"
    path.write_bytes(b"GIF89a" + b"\x00" * 100)
    with pytest.raises(CaptureFormatError, match=r"x\.pcap: is not a pcap or pcapng capture"):
        read_pcap(path)
    path.write_bytes(b"\xd4\xc3\xb2\xa1\x02\x00")
    with pytest.raises(CaptureFormatError, match="cut short inside its header"):
        read_pcap(path)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(max_size=400), st.sampled_from([b"\xd4\xc3\xb2\xa1", b"\x0a\x0d\x0d\x0a", b""]))
def test_random_bytes_raise_only_capture_errors(tmp_path: Path, body: bytes, magic: bytes) -> None:
    path = tmp_path / "fuzz.pcap"
    path.write_bytes(magic + body)
    with contextlib.suppress(CaptureFormatError):
        read_pcap(path)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.data())
def test_damaged_real_captures_never_crash(tmp_path: Path, data: st.DataObject) -> None:
    good = write_pcap(tmp_path / "good.pcapng", [ethernet(p) for p in app_session()], ng=data.draw(st.booleans()))
    raw = bytearray(good.read_bytes())
    for _ in range(data.draw(st.integers(1, 8))):
        raw[data.draw(st.integers(0, len(raw) - 1))] = data.draw(st.integers(0, 255))
    cut = data.draw(st.integers(0, len(raw)))
    path = tmp_path / "bad.pcap"
    path.write_bytes(bytes(raw[:cut]))
    with contextlib.suppress(CaptureFormatError):
        read_pcap(path)


def test_quic_and_google_quic_server_names_are_read(tmp_path: Path) -> None:
    hello = client_hello("api.quic.test")[5:]
    initial = protect(VERSION_1, b"\x07" * 8, crypto(0, hello))
    gquic = b"\x09" + b"\x11" * 8 + b"Q043" + b"\x01" + b"\x00" * 12 + b"\xa0\x01"
    gquic += chlo({b"SNI\x00": b"g.quic.test", b"VER\x00": b"Q043"})
    packets = [udp(CLIENT, "203.0.113.30", 50000, 443, initial), udp(CLIENT, "203.0.113.31", 50001, 443, gquic)]
    observations, problems = read_pcap(write_pcap(tmp_path / "quic.pcap", [ethernet(p) for p in packets]))
    hosts = by_host(observations)
    assert problems == [] and set(hosts) == {"api.quic.test", "g.quic.test"}
    api = hosts["api.quic.test"][0]
    assert (api.scheme, api.port, api.seen_addresses) == ("quic", 443, ("203.0.113.30",))
    assert api.evidence.excerpt == "QUIC Initial SNI api.quic.test → 203.0.113.30:443"
    assert hosts["g.quic.test"][0].evidence.excerpt == "Google QUIC CHLO SNI g.quic.test → 203.0.113.31:443"


def test_dns_over_tcp_in_both_directions_across_segments(tmp_path: Path) -> None:
    answer = dns_response("tcp.dns.test", a=["198.51.100.53"])
    framed = len(answer).to_bytes(2, "big") + answer
    query = dns.message.make_query("tcp.dns.test", "A").to_wire()
    packets = [
        tcp(CLIENT, "10.0.0.53", 40000, 53, len(query).to_bytes(2, "big") + query),
        tcp("10.0.0.53", CLIENT, 53, 40000, framed[:20], seq=1),
        tcp("10.0.0.53", CLIENT, 53, 40000, framed[20:], seq=21),
    ]
    observations, problems = read_pcap(write_pcap(tmp_path / "tcp-dns.pcap", [ethernet(p) for p in packets]))
    [seen] = [o for o in observations if o.host == "tcp.dns.test"]
    assert seen.evidence.excerpt == "DNS answer tcp.dns.test: 198.51.100.53" and seen.evidence.location == "packet 3"
    assert problems == []


def test_a_dns_answer_cut_by_the_snap_length_is_kept_with_a_note(tmp_path: Path) -> None:
    packet = ethernet(udp("10.0.0.53", CLIENT, 53, 40000, dns_response("snap.dns.test", a=["198.51.100.1"] * 30)))
    observations, problems = read_pcap(write_pcap(tmp_path / "snap.pcap", [packet[:200]]))
    assert [o.host for o in observations] == ["snap.dns.test"]
    assert observations[0].evidence.excerpt.endswith("(cut short)")
    assert [p.message.split(",")[0] for p in problems] == ["1 DNS answers are cut short (by the snap length"]


def test_http_host_in_a_later_segment_and_any_method(tmp_path: Path) -> None:
    packets = [
        tcp(CLIENT, "192.0.2.80", 50000, 80, b"PROPFIND /dav/ HTTP/1.1\r\nDepth: 1\r\nUser-Agent: x"),
        tcp(CLIENT, "192.0.2.80", 50000, 80, b"\r\nHost: dav.http.test\r\n\r\n"),
        tcp(CLIENT, "192.0.2.81", 50001, 80, b"M-SEARCH * HTTP/1.1\r\nHost: ssdp.http.test:1900\r\n\r\n"),
        tcp(CLIENT, "192.0.2.83", 50003, 80, b"NOT HTTP at all, just words\r\nHost: fake.http.test\r\n"),
    ]
    observations, _ = read_pcap(write_pcap(tmp_path / "http.pcap", [ethernet(p) for p in packets]))
    hosts = by_host(observations)
    assert {"dav.http.test", "ssdp.http.test"} <= set(hosts) and "fake.http.test" not in hosts
    assert hosts["dav.http.test"][0].evidence.excerpt.startswith("HTTP PROPFIND Host: dav.http.test → 192.0.2.80:80")
    assert hosts["dav.http.test"][0].evidence.location == "packet 2"


def test_pcapng_obsolete_packet_blocks_and_unread_link_types(tmp_path: Path) -> None:
    frame = ethernet(tcp(CLIENT, "203.0.113.10", 50000, 443, client_hello("old.block.test")))
    section = struct.pack("<IIIHHq", 0x0A0D0D0A, 28, 0x1A2B3C4D, 1, 0, -1) + struct.pack("<I", 28)
    interfaces = b"".join(struct.pack("<IIHHII", 1, 20, lt, 0, 65535, 20) for lt in (1, 105))
    padded = frame + b"\x00" * (-len(frame) % 4)
    old = struct.pack("<IIHHIIII", 2, 32 + len(padded), 0, 0, 0, 0, len(frame), len(frame)) + padded
    old += struct.pack("<I", 32 + len(padded))
    radio = struct.pack("<IIIIIII", 6, 32 + 8, 1, 0, 0, 8, 8) + b"\x00" * 8 + struct.pack("<I", 40)
    path = tmp_path / "old.pcapng"
    path.write_bytes(section + interfaces + old + radio + radio)
    observations, problems = read_pcap(path)
    assert [o.host for o in observations] == ["old.block.test"]
    assert [p.message for p in problems] == ["2 frames of link type 105 (802.11): not read"]
