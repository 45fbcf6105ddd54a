"""The packet-capture collector: pcap and pcapng files → names and addresses the app really used.

What it reads, per packet, without reassembling whole streams:
- DNS responses (UDP port 53, and TCP port 53 in either direction, messages put together across segments): the
  name asked, the CNAMEs and the A/AAAA answers, as far as a message cut by the snap length or a lost fragment
  goes (a problem counts those);
- TLS ClientHello (any TCP port): the SNI host name — a ClientHello split over segments is buffered per flow;
- QUIC and Google QUIC: the server name in the client's Initial packets (see :mod:`databorder.collect.quic`);
- HTTP/1.x requests of any method: the Host header (or the CONNECT target), which also shows the transport was
  cleartext; request headers split over segments are buffered per flow until they end;
- connections (TCP SYN, UDP to a service port) to addresses no name was seen for.

Link types, tunnels and IP fragments are unwrapped by :mod:`databorder.collect.frames`; frames of a link type it
does not read are counted and named in a problem.  Files (pcap, pcapng, also compressed) are read as a stream
with bounded state, so memory stays flat as captures grow.  A truncated or corrupt file yields what was read
before the damage plus a problem saying where it stopped.
"""

from __future__ import annotations

import ipaddress
import re
import struct
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from databorder.collect import InputProblem, ReadCancelled, Sightings, input_problems, open_input
from databorder.collect.dnswire import TcpMessages, parse_response
from databorder.collect.frames import LINK_TYPE_NAMES, Decapsulator
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
#: An HTTP/1.x request line: any method token (RFC 9110 §9: WebDAV's PROPFIND, SSDP's M-SEARCH…), a target.
_REQUEST_LINE = re.compile(rb"[A-Z][A-Z0-9_-]{0,23} [^\s]+ HTTP/1\.[019]\r?\n")
_REQUEST_START = re.compile(rb"[A-Z][A-Z0-9_-]{0,23} [^\s]")
_MAX_REQUEST_HEAD = 8192
_MAX_PENDING_REQUESTS = 4096
_MAX_DNS_STREAMS = 4096
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
    frames: Decapsulator = field(default_factory=Decapsulator)
    dns_streams: OrderedDict[tuple[bytes, bytes, int, int], TcpMessages] = field(default_factory=OrderedDict)
    requests: OrderedDict[tuple[bytes, bytes, int, int], bytearray] = field(default_factory=OrderedDict)
    dns_cut: int = 0  # DNS answers read only in part
    first_dns_cut: int | None = None
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
        except ReadCancelled as stop:
            problems.append(stop.problem)
        except _Truncated as exc:
            problems.append(
                InputProblem(
                    state.source,
                    None,
                    f"the capture is cut short after packet {state.packets}: {exc}; what was read before is kept",
                )
            )
        problems += input_problems(handle, state.source)
    for proto, src, dst, payload, cut in state.frames.finish():  # datagrams whose last fragments never came
        _segment(state, proto, src, dst, payload, cut)
    for stream in state.dns_streams.values():  # DNS over TCP answers the capture ends inside
        if rest := stream.rest():
            _dns(state, rest, cut=True)
    problems += _skipped(state)
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
        elif block_type == 2:  # obsolete packet block (pcapng 0.9, still written by old tools): 16-bit interface
            interface, _drops, _hi, _lo, caplen, _orig = struct.unpack_from(order + "HHIIII", body, 0)
            if interface < len(linktypes):
                yield linktypes[interface], body[20 : 20 + caplen]


# --- packets -----------------------------------------------------------------------------------------------------


def _packet(state: _State, linktype: int, data: bytes, problems: list[InputProblem]) -> None:
    for proto, src, dst, payload, cut in state.frames.segments(linktype, data):
        if proto == 6:
            _tcp(state, src, dst, payload)
        else:
            _udp(state, src, dst, payload, cut)


def _segment(state: _State, proto: int, src: bytes, dst: bytes, payload: bytes, cut: bool) -> None:
    if proto == 6:
        _tcp(state, src, dst, payload)
    else:
        _udp(state, src, dst, payload, cut)


def _skipped(state: _State) -> list[InputProblem]:
    """Sentences for what the capture holds and this reader does not read."""
    problems = []
    for linktype, count in state.frames.unread.most_common():
        name = LINK_TYPE_NAMES.get(linktype, "not one DataBorder reads")
        problems.append(
            InputProblem(state.source, None, f"{count:,} frames of link type {linktype} ({name}): not read")
        )
    if state.dns_cut:
        problems.append(
            InputProblem(
                state.source,
                None,
                f"{state.dns_cut:,} DNS answers are cut short (by the snap length, a lost IP fragment or damage), the "
                f"first at packet {state.first_dns_cut}; the names and addresses before the cut are kept",
            )
        )
    return problems


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
    if sport == 53 or dport == 53:
        _dns_tcp(state, key, struct.unpack_from("!I", segment, 4)[0], payload)
        return
    pending = state.hellos.get(key)
    if pending is not None:
        pending += payload
        _try_hello(state, key, dst, dport)
    elif payload[0] == 0x16 and payload[1:2] == b"\x03" and len(payload) > 5 and payload[5] == 1:
        if len(state.hellos) >= _MAX_PENDING_HELLOS:  # never let half-seen handshakes eat memory
            state.hellos.pop(next(iter(state.hellos)))
        state.hellos[key] = bytearray(payload)
        _try_hello(state, key, dst, dport)
    elif (request := state.requests.get(key)) is not None:
        request += payload
        _try_request(state, key, dst, dport)
    elif payload[:1].isupper() and _REQUEST_START.match(payload):
        if len(state.requests) >= _MAX_PENDING_REQUESTS:
            state.requests.popitem(last=False)
        state.requests[key] = bytearray(payload)
        _try_request(state, key, dst, dport)


def _try_request(state: _State, key: tuple[bytes, bytes, int, int], dst: bytes, dport: int) -> None:
    """Read an HTTP request's head once its Host line (or its end) is there; wait for more segments until then."""
    data = state.requests[key]
    line_end = data.find(b"\n")
    if line_end < 0:
        if len(data) > _MAX_REQUEST_HEAD:  # a request line longer than any head: not HTTP
            del state.requests[key]
        return
    if not _REQUEST_LINE.match(data, 0, line_end + 1):
        del state.requests[key]
        return
    finished = data.find(b"\r\n\r\n") >= 0 or data.find(b"\n\n") >= 0 or len(data) >= _MAX_REQUEST_HEAD
    lines = bytes(data[: data.rfind(b"\n") + 1][:_MAX_REQUEST_HEAD])
    if _http(state, lines, dst, dport) or finished:
        del state.requests[key]


def _dns_tcp(state: _State, key: tuple[bytes, bytes, int, int], seq: int, payload: bytes) -> None:
    stream = state.dns_streams.get(key)
    if stream is None:
        if len(state.dns_streams) >= _MAX_DNS_STREAMS:
            state.dns_streams.popitem(last=False)
        stream = state.dns_streams[key] = TcpMessages()
    for message in stream.feed(seq, payload):
        _dns(state, message)


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


def _http(state: _State, head: bytes, dst: bytes, dport: int) -> bool:
    """Report the Host (or CONNECT target) of a request head made of whole lines; False if none is there yet."""
    request_line, _, rest = head.partition(b"\n")
    request_line = request_line.rstrip(b"\r")
    if request_line.startswith(b"CONNECT "):
        target = request_line.split(b" ")[1].decode("ascii", "replace")
        host = target.rsplit(":", 1)[0]
        excerpt = f"HTTP CONNECT {target} via proxy {_address(dst)}:{dport}"
        _named(state, host, None, None, None, excerpt)
        return True
    for line in rest.split(b"\n"):
        if line[:5].lower() == b"host:":
            line = line.rstrip(b"\r")
            host = line[5:].strip().decode("ascii", "replace").rsplit(":", 1)[0] if b"]" not in line else ""
            address = _address(dst)
            method = request_line.split(b" ")[0].decode("ascii", "replace")
            _named(state, host, address, dport, "http", f"HTTP {method} Host: {host} → {address}:{dport} (cleartext)")
            return True
    return False


def _udp(state: _State, src: bytes, dst: bytes, datagram: bytes, cut: bool = False) -> None:
    sport, dport, length = struct.unpack_from("!HHH", datagram, 0)
    if sport == 53:
        _dns(state, datagram[8:length] if length >= 8 else datagram[8:], cut=cut or length > len(datagram))
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


def _dns(state: _State, message: bytes, *, cut: bool = False) -> None:
    answer = parse_response(message, cut=cut)
    if answer is None:
        return  # a query, or not DNS after all
    if answer.cut:
        state.dns_cut += 1
        if state.first_dns_cut is None:
            state.first_dns_cut = state.packets
    addresses, chain = list(answer.addresses), list(answer.cnames)
    if not addresses and not chain:
        return
    qname = answer.name
    via = f" (via {' → '.join(chain)})" if chain else ""
    excerpt = f"DNS answer {qname}{via}: {', '.join(addresses) or 'no address'}" + (
        " (cut short)" if answer.cut else ""
    )
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
