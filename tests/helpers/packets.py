"""Packets and captures built from real protocol producers: dnspython for DNS, Python's ssl for TLS ClientHellos,
dpkt for the Ethernet/IP/TCP/UDP framing and the pcap/pcapng writers."""

from __future__ import annotations

import contextlib
import functools
import ipaddress
import ssl
import struct
from collections.abc import Iterable
from pathlib import Path

import dns.message
import dns.rrset
import dpkt

CLIENT = "192.168.1.20"
CLIENT6 = "fd00::20"


@functools.cache
def client_hello(server_name: str) -> bytes:
    """The exact bytes Python's TLS stack sends first when connecting to ``server_name``."""
    context = ssl.create_default_context()
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    tls = context.wrap_bio(incoming, outgoing, server_hostname=server_name)
    with contextlib.suppress(ssl.SSLWantReadError):
        tls.do_handshake()
    return outgoing.read()


def dns_response(name: str, *, a: Iterable[str] = (), aaaa: Iterable[str] = (), cname: str | None = None) -> bytes:
    """A DNS response for ``name`` (A query) with optional CNAME and answers, as a resolver sends it."""
    query = dns.message.make_query(name, "A")
    response = dns.message.make_response(query)
    owner = name + "."
    if cname:
        response.answer.append(dns.rrset.from_text(owner, 60, "IN", "CNAME", cname + "."))
        owner = cname + "."
    for address in a:
        response.answer.append(dns.rrset.from_text(owner, 60, "IN", "A", address))
    for address in aaaa:
        response.answer.append(dns.rrset.from_text(owner, 60, "IN", "AAAA", address))
    return response.to_wire()


def _ip(src: str, dst: str, proto: int, transport: bytes) -> bytes:
    s, d = ipaddress.ip_address(src), ipaddress.ip_address(dst)
    if s.version == 4:
        return bytes(dpkt.ip.IP(src=s.packed, dst=d.packed, p=proto, ttl=64, data=transport))
    return bytes(dpkt.ip6.IP6(src=s.packed, dst=d.packed, nxt=proto, hlim=64, plen=len(transport), data=transport))


def tcp(src: str, dst: str, sport: int, dport: int, payload: bytes = b"", *, syn: bool = False, seq: int = 1) -> bytes:
    """An IP packet carrying one TCP segment (a SYN, or data with ACK|PSH)."""
    flags = dpkt.tcp.TH_SYN if syn else dpkt.tcp.TH_ACK | dpkt.tcp.TH_PUSH
    segment = bytes(dpkt.tcp.TCP(sport=sport, dport=dport, flags=flags, seq=seq, data=payload))
    return _ip(src, dst, dpkt.ip.IP_PROTO_TCP, segment)


def udp(src: str, dst: str, sport: int, dport: int, payload: bytes) -> bytes:
    """An IP packet carrying one UDP datagram."""
    datagram = bytes(dpkt.udp.UDP(sport=sport, dport=dport, ulen=8 + len(payload), data=payload))
    return _ip(src, dst, dpkt.ip.IP_PROTO_UDP, datagram)


def ethernet(ip_packet: bytes, *, vlan: bool = False) -> bytes:
    """Frame an IP packet in Ethernet (optionally with an 802.1Q tag)."""
    ethertype = b"\x08\x00" if ip_packet[0] >> 4 == 4 else b"\x86\xdd"
    tag = b"\x81\x00\x00\x64" if vlan else b""
    return b"\x02\x00\x00\x00\x00\x02" + b"\x02\x00\x00\x00\x00\x01" + tag + ethertype + ip_packet


def linux_cooked(ip_packet: bytes) -> bytes:
    """Frame an IP packet as Linux 'any'-interface captures do (SLL v1)."""
    protocol = b"\x08\x00" if ip_packet[0] >> 4 == 4 else b"\x86\xdd"
    return struct.pack("!HHH", 4, 1, 6) + b"\x02\x00\x00\x00\x00\x01\x00\x00" + protocol + ip_packet


def write_pcap(path: Path, frames: Iterable[bytes], *, linktype: int = dpkt.pcap.DLT_EN10MB, ng: bool = False) -> Path:
    """Write frames to a pcap (or pcapng) file with dpkt's writers, one millisecond apart."""
    with path.open("wb") as handle:
        writer = dpkt.pcapng.Writer(handle, linktype=linktype) if ng else dpkt.pcap.Writer(handle, linktype=linktype)
        for index, frame in enumerate(frames):
            writer.writepkt(frame, ts=1_732_450_000 + index / 1000)
    return path


def app_session(hello_host: str = "api.chat.test") -> list[bytes]:
    """One AI app's traffic: a DNS lookup (with a CNAME), TLS to the answer, cleartext HTTP, a nameless
    connection, QUIC-like UDP, and IPv6 TLS — as IP packets."""
    return [
        udp("10.0.0.53", CLIENT, 53, 40000, dns_response("www.chat.test", a=["198.51.100.20"], cname="edge.cdn.test")),
        tcp(CLIENT, "198.51.100.20", 50000, 443, syn=True),
        tcp(CLIENT, "198.51.100.20", 50000, 443, client_hello("www.chat.test")),
        tcp(CLIENT, "203.0.113.10", 50001, 443, syn=True),
        tcp(CLIENT, "203.0.113.10", 50001, 443, client_hello(hello_host)),
        tcp(
            CLIENT, "192.0.2.140", 50002, 80, b"GET /v1/log HTTP/1.1\r\nHost: telemetry.app.test\r\nAccept: */*\r\n\r\n"
        ),
        tcp(CLIENT, "203.0.113.99", 50003, 8443, syn=True),
        udp(CLIENT, "198.51.100.140", 50004, 443, b"\xc0quic-ish"),
        tcp(CLIENT6, "2001:db8:1::5", 50005, 443, client_hello("v6.app.test")),
    ]
