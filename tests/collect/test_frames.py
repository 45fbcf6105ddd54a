from __future__ import annotations

import ipaddress
import struct

import dpkt
import pytest

from databorder.collect.frames import Decapsulator, Segment
from tests.helpers.packets import CLIENT, client_hello, dns_response, ethernet, tcp, udp

HELLO = tcp(CLIENT, "203.0.113.10", 50000, 443, client_hello("inner.tunnel.test"))
SERVER4 = ipaddress.ip_address("203.0.113.10").packed


def eth(ethertype: int, payload: bytes) -> bytes:
    return b"\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01" + struct.pack("!H", ethertype) + payload


def ipv4(proto: int, payload: bytes, src: str = "192.0.2.1", dst: str = "192.0.2.2") -> bytes:
    s, d = ipaddress.ip_address(src).packed, ipaddress.ip_address(dst).packed
    return bytes(dpkt.ip.IP(src=s, dst=d, p=proto, ttl=64, data=payload))


def ipv6(next_header: int, payload: bytes) -> bytes:
    s, d = ipaddress.ip_address("2001:db8::1").packed, ipaddress.ip_address("2001:db8::2").packed
    return bytes(dpkt.ip6.IP6(src=s, dst=d, nxt=next_header, hlim=64, plen=len(payload), data=payload))


def udp_raw(sport: int, dport: int, payload: bytes) -> bytes:
    return struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload


def the_hello(segments: list[Segment]) -> bool:
    return [(s[0], s[2], s[3] == HELLO[20:]) for s in segments] == [(6, SERVER4, True)]


ENCAPSULATIONS = {
    "qinq": (1, eth(0x88A8, b"\x00\x0a\x81\x00" + b"\x00\x14\x08\x00" + HELLO)),
    "pppoe": (1, eth(0x8864, b"\x11\x00\x00\x01" + struct.pack("!H", len(HELLO) + 2) + b"\x00\x21" + HELLO)),
    "vlan-in-vlan-pppoe": (1, eth(0x8100, b"\x00\x0a\x81\x00\x00\x14\x88\x64" + b"\x11\x00\x00\x01\x00\x00\x00\x21"
                                  + HELLO)),
    "mpls-two-labels": (1, eth(0x8847, b"\x00\x01\x00\x40" + b"\x00\x02\x01\x40" + HELLO)),
    "gtp-u": (1, eth(0x0800, ipv4(17, udp_raw(2152, 2152, b"\x30\xff" + struct.pack("!HI", len(HELLO), 1)
                                                   + HELLO)))),
    "gtp-u-extension": (1, eth(0x0800, ipv4(17, udp_raw(2152, 2152, b"\x34\xff" + struct.pack("!HI", 0, 1)
                                                             + b"\x00\x00\x00\x85" + b"\x01\x00\x01\x00" + HELLO)))),
    "6in4": (1, eth(0x0800, ipv4(41, tcp("2001:db8::5", "2001:db8::6", 50000, 443, b"\x16")))),
    "4in6": (1, eth(0x86DD, ipv6(4, HELLO))),
    "vxlan": (1, eth(0x0800, ipv4(17, udp_raw(50000, 4789, b"\x08\x00\x00\x00\x00\x00\x64\x00" + ethernet(HELLO))))),
    "gre": (1, eth(0x0800, ipv4(47, b"\x00\x00\x08\x00" + HELLO))),
    "gre-key-ethernet": (1, eth(0x0800, ipv4(47, b"\x20\x00\x65\x58" + b"\x00\x00\x00\x07" + ethernet(HELLO)))),
    "ppp": (9, b"\xff\x03\x00\x21" + HELLO),
    "linux-cooked-v2": (276, b"\x08\x00\x00\x00" + b"\x00\x00\x00\x02\x00\x01\x04\x06" + b"\x00" * 8 + HELLO),
    "nflog": (239, b"\x02\x00\x00\x00" + b"\x08\x00\x01\x00\x08\x00\x00\x00"
              + struct.pack("<HH", 4 + len(HELLO), 9) + HELLO),
    "pktap": (258, struct.pack("<II", 108, 1) + b"\x00" * 100 + ethernet(HELLO)),
    "loopback": (0, b"\x02\x00\x00\x00" + HELLO),
}  # fmt: skip


@pytest.mark.parametrize("name", list(ENCAPSULATIONS))
def test_every_encapsulation_reaches_the_inner_segment(name: str) -> None:
    linktype, frame = ENCAPSULATIONS[name]
    segments = Decapsulator().segments(linktype, frame)
    if name == "6in4":
        assert [(s[0], s[2]) for s in segments] == [(6, ipaddress.ip_address("2001:db8::6").packed)]
    else:
        assert the_hello(segments), segments


def test_obsolete_or_unknown_link_types_are_counted_not_dropped_silently() -> None:
    frames = Decapsulator()
    for _ in range(3):
        assert frames.segments(105, b"\x08\x00" + b"\x00" * 40) == []
    assert frames.unread == {105: 3}


def test_ipv4_fragments_are_put_together_in_any_order() -> None:
    answer = udp(
        "10.0.0.53", CLIENT, 53, 40000, dns_response("big.frag.test", a=[f"198.51.100.{i}" for i in range(90)])
    )
    body = answer[20:]
    pieces = [body[:600], body[600:1200], body[1200:]]
    frames = Decapsulator()
    head = answer[:20]
    out: list[Segment] = []
    for index in (2, 0, 1):
        offset = sum(len(p) for p in pieces[:index])
        more = 0x2000 if index < 2 else 0
        packet = bytearray(head)
        packet[2:4] = struct.pack("!H", 20 + len(pieces[index]))
        packet[6:8] = struct.pack("!H", more | offset // 8)
        out += frames.segments(101, bytes(packet) + pieces[index])
    assert [(s[0], s[3], s[4]) for s in out] == [(17, body, False)]


def test_ipv6_fragments_and_an_incomplete_datagram_keep_its_start() -> None:
    body = udp_raw(53, 40000, dns_response("v6.frag.test", aaaa=["2001:db8::7"] * 80))
    frames = Decapsulator()
    first = b"\x11\x00" + struct.pack("!H", 0 | 1) + b"\x00\x00\x00\x2a" + body[:1000]
    second = b"\x11\x00" + struct.pack("!H", 1000) + b"\x00\x00\x00\x2a" + body[1000:]
    assert frames.segments(101, ipv6(44, first)) == []
    [whole] = frames.segments(101, ipv6(44, second))
    assert whole[3] == body and not whole[4]
    frames.segments(101, ipv6(44, first.replace(b"\x00\x00\x00\x2a", b"\x00\x00\x00\x2b", 1)))
    [left] = frames.finish()
    assert left[3] == body[:1000] and left[4]


def test_fragments_in_flight_are_bounded() -> None:
    frames = Decapsulator(max_datagrams=4)
    for ident in range(50):
        packet = bytearray(ipv4(17, udp_raw(53, 40000, b"x" * 64)))
        packet[4:6] = struct.pack("!H", ident)
        packet[6:8] = b"\x20\x00"
        frames.segments(101, bytes(packet))
    assert len(frames._datagrams) == 4
    assert len(frames.finish()) == 4


def test_a_packet_cut_by_the_snap_length_is_marked_cut() -> None:
    packet = udp("10.0.0.53", CLIENT, 53, 40000, dns_response("cut.snap.test", a=["198.51.100.1"] * 20))
    [segment] = Decapsulator().segments(101, packet[:120])
    assert segment[4] and len(segment[3]) == 100


@pytest.mark.parametrize("cut", range(0, 80, 3))
def test_frames_cut_anywhere_never_raise(cut: int) -> None:
    for linktype, frame in ENCAPSULATIONS.values():
        Decapsulator().segments(linktype, frame[:cut])
