"""The packet-capture collector: pcap and pcapng files → names and addresses the app really used.

What it reads, per packet, without reassembling whole streams:
- DNS responses (UDP port 53): the name asked, the CNAMEs and the A/AAAA answers;
- TLS ClientHello (any TCP port): the SNI host name — a ClientHello split over segments is buffered per flow;
- HTTP requests: the Host header (or the CONNECT target), which also shows the transport was cleartext;
- connections (TCP SYN, UDP to a service port) to addresses no name was seen for.

Link types: Ethernet (with VLAN tags), Linux cooked v1/v2, raw IP, BSD loopback; IPv4 and IPv6.  Files are read
as a stream with bounded state, so memory stays flat as captures grow.  A truncated or corrupt file yields what
was read before the damage plus a problem saying where it stopped.
"""

from __future__ import annotations

import ipaddress
import struct
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import dpkt

from databorder.collect import InputProblem, Sightings, input_problems, open_input
from databorder.collect.quic import InitialReader
from databorder.endpoints import normalise_host
from databorder.errors import CaptureFormatError, EndpointSyntaxError
from databorder.model import Evidence, Observation

PCAP_MAGICS = {
    b"\xd4\xc3\xb2\xa1": "<",  # microsecond, little-endian
    b"\xa1\xb2\xc3\xd4": ">",
    b"\x4d\x3c\xb2\xa1": "<",  # nanosecond
    b"\xa1\xb2\x3c\x4d": ">",
}
PCAPNG_MAGIC = b"\x0a\x0d\x0d\x0a"
_HTTP_METHODS = (b"GET ", b"POST ", b"PUT ", b"HEAD ", b"DELETE ", b"OPTIONS ", b"PATCH ", b"CONNECT ")
_IGNORED_UDP = frozenset({53, 67, 68, 123, 137, 138, 1900, 5353, 5355})
_MAX_HELLO = 16_384
_MAX_PENDING_HELLOS = 4096
_SCHEME_BY_PORT = {443: "https", 80: "http", 8443: "https", 8080: "http"}


class _Truncated(Exception):
    """The file ends inside a packet record."""


@dataclass
class _State:
    """What one capture taught so far; bounded by distinct names, addresses and in-flight handshakes."""

    source: str
    sightings: Sightings = field(default_factory=Sightings)
    names_of: dict[str, dict[str, None]] = field(default_factory=dict)  # address → names DNS gave it
    named: set[str] = field(default_factory=set)  # addresses a name was seen with (SNI, Host, DNS)
    flows: dict[tuple[str, int, str], int] = field(default_factory=dict)  # (address, port, proto) → first packet
    hellos: dict[tuple[bytes, bytes, int, int], bytearray] = field(default_factory=dict)
    quic: InitialReader = field(default_factory=InitialReader)
    packets: int = 0


def read_pcap(path: Path) -> tuple[list[Observation], list[InputProblem]]:
    """Observations from a pcap or pcapng file, and the problems met (truncation, unknown link types)."""
    state = _State(source=str(path))
    problems: list[InputProblem] = []
    with open_input(path) as handle:
        magic = handle.read(4)
        if magic in PCAP_MAGICS:
            packets = _pcap_packets(handle, PCAP_MAGICS[magic], path)
        elif magic == PCAPNG_MAGIC:
            packets = _pcapng_packets(handle, path)
        else:
            raise CaptureFormatError(path, "is not a pcap or pcapng capture (unknown file signature)")
        try:
            for linktype, data in packets:
                state.packets += 1
                _packet(state, linktype, data, problems)
        except _Truncated as exc:
            problems.append(
                InputProblem(
                    state.source,
                    None,
                    f"the capture is cut short after packet {state.packets}: {exc}; what was read before is kept",
                )
            )
        problems += input_problems(handle, state.source)
    return _finish(state), problems


# --- file formats ------------------------------------------------------------------------------------------------


def _read_exact(handle: BinaryIO, size: int, what: str) -> bytes:
    data = handle.read(size)
    if len(data) != size:
        raise _Truncated(f"{what} needs {size} bytes, {len(data)} remain")
    return data


def _pcap_packets(handle: BinaryIO, order: str, path: Path) -> Iterator[tuple[int, bytes]]:
    header = handle.read(20)
    if len(header) != 20:
        raise CaptureFormatError(path, "is a pcap file cut short inside its header")
    linktype = struct.unpack(order + "HHiIII", header)[5] & 0x0FFFFFFF
    record = struct.Struct(order + "IIII")
    while True:
        head = handle.read(16)
        if not head:
            return
        if len(head) != 16:
            raise _Truncated("a packet header is incomplete")
        _sec, _frac, caplen, _origlen = record.unpack(head)
        if caplen > 262_144 * 4:
            raise _Truncated(f"a packet claims {caplen:,} bytes, so the file is corrupt from here")
        yield linktype, _read_exact(handle, caplen, "a packet")


def _pcapng_packets(handle: BinaryIO, path: Path) -> Iterator[tuple[int, bytes]]:
    order = "<"
    linktypes: list[int] = []
    first = True
    while True:
        head = handle.read(4) if not first else PCAPNG_MAGIC
        if not head:
            return
        if len(head) != 4:
            raise _Truncated("a block header is incomplete")
        length_bytes = _read_exact(handle, 4, "a block length")
        if head == PCAPNG_MAGIC:  # section header: its byte-order magic decides how to read the rest
            bom = _read_exact(handle, 4, "the byte-order magic")
            order = "<" if bom == b"\x4d\x3c\x2b\x1a" else ">" if bom == b"\x1a\x2b\x3c\x4d" else ""
            if not order:
                raise CaptureFormatError(path, "is not a valid pcapng capture (bad byte-order magic)")
            length = struct.unpack(order + "I", length_bytes)[0]
            if length < 28:
                raise CaptureFormatError(path, "is not a valid pcapng capture (bad section header)")
            _read_exact(handle, length - 12, "a section header")
            linktypes = []
            first = False
            continue
        block_type = struct.unpack(order + "I", head)[0]
        length = struct.unpack(order + "I", length_bytes)[0]
        if length < 12 or length % 4 or length > 16 * 1024 * 1024:
            raise _Truncated(f"a block claims {length:,} bytes, so the file is corrupt from here")
        body = _read_exact(handle, length - 8, "a block")[:-4]
        if block_type == 1:  # interface description: its link type applies to later packets
            linktypes.append(struct.unpack_from(order + "H", body, 0)[0])
        elif block_type == 6:  # enhanced packet
            interface, _hi, _lo, caplen, _orig = struct.unpack_from(order + "IIIII", body, 0)
            if interface < len(linktypes):
                yield linktypes[interface], body[20 : 20 + caplen]
        elif block_type == 3 and linktypes:  # simple packet
            yield linktypes[0], body[4:]


# --- packets -----------------------------------------------------------------------------------------------------


def _packet(state: _State, linktype: int, data: bytes, problems: list[InputProblem]) -> None:
    offset = _network_offset(linktype, data)
    if offset is None:
        return
    if offset < 0:
        if not any("link type" in p.message for p in problems):
            problems.append(InputProblem(state.source, None, f"link type {linktype} is not supported; skipped"))
        return
    ip = data[offset:]
    if len(ip) < 20:
        return
    version = ip[0] >> 4
    if version == 4:
        header = (ip[0] & 0x0F) * 4
        if struct.unpack_from("!H", ip, 6)[0] & 0x1FFF:  # a later fragment carries no transport header
            return
        proto, src, dst, payload = ip[9], ip[12:16], ip[16:20], ip[header:]
    elif version == 6 and len(ip) >= 40:
        proto, src, dst, payload = ip[6], ip[8:24], ip[24:40], ip[40:]
    else:
        return
    if proto == 6 and len(payload) >= 20:
        _tcp(state, src, dst, payload)
    elif proto == 17 and len(payload) >= 8:
        _udp(state, src, dst, payload)


def _network_offset(linktype: int, data: bytes) -> int | None:
    """Where the IP header starts; None for non-IP frames; -1 for an unsupported link type."""
    if linktype == 1:  # Ethernet
        offset, ethertype = 14, data[12:14]
        while ethertype in (b"\x81\x00", b"\x88\xa8"):  # VLAN tags
            ethertype, offset = data[offset + 2 : offset + 4], offset + 4
        return offset if ethertype in (b"\x08\x00", b"\x86\xdd") else None
    if linktype == 113:  # Linux cooked v1
        return 16 if data[14:16] in (b"\x08\x00", b"\x86\xdd") else None
    if linktype == 276:  # Linux cooked v2
        return 20 if data[0:2] in (b"\x08\x00", b"\x86\xdd") else None
    if linktype in (101, 12, 14, 228, 229):  # raw IP
        return 0
    if linktype == 0:  # BSD loopback: a 4-byte address family
        return 4
    return -1


def _address(raw: bytes) -> str:
    return str(ipaddress.ip_address(raw))


def _tcp(state: _State, src: bytes, dst: bytes, segment: bytes) -> None:
    sport, dport = struct.unpack_from("!HH", segment, 0)
    flags = segment[13]
    payload = segment[(segment[12] >> 4) * 4 :]
    if flags & 0x12 == 0x02:  # SYN without ACK: a client opening a connection
        state.flows.setdefault((_address(dst), dport, "tcp"), state.packets)
    if not payload:
        return
    key = (src, dst, sport, dport)
    pending = state.hellos.get(key)
    if pending is not None:
        pending += payload
        _try_hello(state, key, dst, dport)
    elif payload[0] == 0x16 and payload[1:2] == b"\x03" and len(payload) > 5 and payload[5] == 1:
        if len(state.hellos) >= _MAX_PENDING_HELLOS:  # never let half-seen handshakes eat memory
            state.hellos.pop(next(iter(state.hellos)))
        state.hellos[key] = bytearray(payload)
        _try_hello(state, key, dst, dport)
    elif payload.startswith(_HTTP_METHODS):
        _http(state, payload, dst, dport)


def _try_hello(state: _State, key: tuple[bytes, bytes, int, int], dst: bytes, dport: int) -> None:
    data = state.hellos[key]
    needed = 5 + struct.unpack_from("!H", data, 3)[0]
    if len(data) < needed and len(data) < _MAX_HELLO:
        return
    del state.hellos[key]
    name = _sni(bytes(data[:needed]))
    if name is not None:
        address = _address(dst)
        _named(state, name, address, dport, _SCHEME_BY_PORT.get(dport, "tls"), f"TLS ClientHello SNI {name} → "
               f"{address}:{dport}")  # fmt: skip


def _sni(record: bytes) -> str | None:
    """The server_name of a TLS ClientHello record, or None (no SNI, or not a well-formed hello)."""
    try:
        pos = 5 + 4 + 2 + 32  # record header, handshake header, client_version, random
        pos += 1 + record[pos]  # session id
        pos += 2 + struct.unpack_from("!H", record, pos)[0]  # cipher suites
        pos += 1 + record[pos]  # compression methods
        end = pos + 2 + struct.unpack_from("!H", record, pos)[0]
        pos += 2
        while pos + 4 <= min(end, len(record)):
            ext_type, ext_len = struct.unpack_from("!HH", record, pos)
            pos += 4
            if ext_type == 0:  # server_name: list length, name type (0 = host_name), name length, name
                name_len = struct.unpack_from("!H", record, pos + 3)[0]
                return record[pos + 5 : pos + 5 + name_len].decode("ascii")
            pos += ext_len
    except (IndexError, struct.error, UnicodeDecodeError):
        return None
    return None


def _http(state: _State, payload: bytes, dst: bytes, dport: int) -> None:
    head = payload[:4096]
    request_line, _, rest = head.partition(b"\r\n")
    if request_line.startswith(b"CONNECT "):
        target = request_line.split(b" ")[1].decode("ascii", "replace")
        host = target.rsplit(":", 1)[0]
        excerpt = f"HTTP CONNECT {target} via proxy {_address(dst)}:{dport}"
        _named(state, host, None, None, None, excerpt)
        return
    for line in rest.split(b"\r\n"):
        if line[:5].lower() == b"host:":
            host = line[5:].strip().decode("ascii", "replace").rsplit(":", 1)[0] if b"]" not in line else ""
            address = _address(dst)
            method = request_line.split(b" ")[0].decode("ascii", "replace")
            _named(state, host, address, dport, "http", f"HTTP {method} Host: {host} → {address}:{dport} (cleartext)")
            return


def _udp(state: _State, src: bytes, dst: bytes, datagram: bytes) -> None:
    sport, dport = struct.unpack_from("!HH", datagram, 0)
    if sport == 53:
        _dns(state, datagram[8:])
        return
    payload = datagram[8:]
    if len(payload) > 16 and (payload[0] & 0x80 or payload[0] & 0x89 == 0x09):  # QUIC long header, gQUIC public
        for kind, hello in state.quic.datagram((src, sport), payload):
            name = hello if isinstance(hello, str) else _sni(b"\x16\x03\x01" + len(hello).to_bytes(2, "big") + hello)
            if name is not None:
                address = _address(dst)
                what = "QUIC Initial" if kind == "tls" else "Google QUIC CHLO"
                _named(state, name, address, dport, "quic", f"{what} SNI {name} → {address}:{dport}")
    if dport not in _IGNORED_UDP and sport not in _IGNORED_UDP and dport < sport:
        address = _address(dst)
        if not ipaddress.ip_address(address).is_multicast and address != "255.255.255.255":
            state.flows.setdefault((address, dport, "udp"), state.packets)


def _dns(state: _State, message: bytes) -> None:
    try:
        dns = dpkt.dns.DNS(message)
    except (dpkt.UnpackError, IndexError, ValueError, struct.error):
        return  # a malformed DNS message is skipped, as a resolver would
    if dns.qr != dpkt.dns.DNS_R or not dns.qd:
        return
    qname = dns.qd[0].name
    addresses: list[str] = []
    chain: list[str] = []
    for rr in dns.an:
        if (rr.type == dpkt.dns.DNS_A and len(rr.rdata) == 4) or (rr.type == dpkt.dns.DNS_AAAA and len(rr.rdata) == 16):
            addresses.append(_address(rr.rdata))
        elif rr.type == dpkt.dns.DNS_CNAME:
            chain.append(rr.cname)
    if not addresses and not chain:
        return
    via = f" (via {' → '.join(chain)})" if chain else ""
    excerpt = f"DNS answer {qname}{via}: {', '.join(addresses) or 'no address'}"
    host = _host(qname)
    if host is None:
        return
    for address in addresses:
        state.names_of.setdefault(address, {})[host] = None
    _observe(state, host, None, None, tuple(addresses), excerpt)


def _named(state: _State, name: str, address: str | None, port: int | None, scheme: str | None, excerpt: str) -> None:
    host = _host(name)
    if host is None:
        return
    if address is not None:
        state.named.add(address)
        state.names_of.setdefault(address, {})[host] = None
    _observe(state, host, port, scheme, (address,) if address else (), excerpt)


def _host(name: str) -> str | None:
    try:
        return normalise_host(name)
    except EndpointSyntaxError:
        return None


def _observe(
    state: _State, host: str, port: int | None, scheme: str | None, addresses: tuple[str, ...], excerpt: str
) -> None:
    evidence = Evidence(collector="pcap", source=state.source, location=f"packet {state.packets}", excerpt=excerpt)
    state.sightings.add(
        Observation(host=host, ip=None, port=port, scheme=scheme, evidence=evidence, seen_addresses=addresses)
    )


def _finish(state: _State) -> list[Observation]:
    """Connections: to a name when DNS or SNI named their address, else to the bare address."""
    for (address, port, proto), packet in state.flows.items():
        names = state.names_of.get(address)
        evidence = Evidence(
            collector="pcap",
            source=state.source,
            location=f"packet {packet}",
            excerpt=f"{proto.upper()} connection to {address}:{port}"
            + (f" ({', '.join(names)} per the capture)" if names else " (no name seen for it)"),
        )
        scheme = _SCHEME_BY_PORT.get(port) if proto == "tcp" else ("quic" if port == 443 else None)
        if names:
            for host in names:
                state.sightings.add(Observation(host, None, port, scheme, evidence, seen_addresses=(address,)))
        else:
            state.sightings.add(Observation(None, address, port, scheme, evidence))
    return state.sightings.observations()
