"""From captured frames to transport segments: link types, tunnels and IP fragments, as captures have them.

Captures from DSL lines carry PPPoE, from carrier and cloud links MPLS, VXLAN, GRE or GTP-U (mobile cores), from
IPv6 transition 6in4/4in6, from switches one or two VLAN tags; Linux's NFLOG target and macOS's PKTAP wrap the
packet in a header of their own. Each is unwrapped here until an IPv4 or IPv6 packet shows, and that packet's TCP
or UDP payload is handed on as a :class:`Segment`.

IP fragments (IPv4, and IPv6's fragment header) are put back together with bounded memory: a few hundred
datagrams in flight, each at most 64 kB. A datagram that never completes still hands on what its first fragment
holds, marked ``cut``, as does a packet the capture's snap length cut short: a DNS answer there is read as far
as it goes. Frames of a link type not read here are counted by type, so the reader can say what it skipped.
"""

from __future__ import annotations

import collections
import contextlib
import struct
from collections import OrderedDict
from dataclasses import dataclass, field

_U16 = struct.Struct("!H").unpack_from
_UDP_PORTS = struct.Struct("!HH").unpack_from
_MAX_DEPTH = 8  # tunnels within tunnels, at most
_MAX_DATAGRAMS = 256  # IP datagrams being reassembled at once
_MAX_DATAGRAM = 65_535 + 8
_VLAN = (0x8100, 0x88A8, 0x9100)
VXLAN_PORT = 4789
GTP_U_PORT = 2152

#: Names of link types that carry no IP this reader can see, for the sentence saying they were skipped.
LINK_TYPE_NAMES = {
    7: "ARCnet",
    129: "ARCnet, Linux",
    105: "802.11",
    119: "802.11 Prism",
    127: "802.11 radiotap",
    163: "802.11 AVS",
    192: "PPI",
    195: "802.15.4",
    187: "Bluetooth HCI H4",
    201: "Bluetooth HCI H4 with phdr",
    189: "USB Linux",
    220: "USB Linux mmapped",
    249: "USBPcap",
    147: "user-defined",
}


#: A TCP (6) or UDP (17) payload: (protocol, source and destination address as raw bytes, payload, cut), where
#: ``cut`` says bytes are missing (a plain tuple: one is made per packet, and a class would cost 10 % of the speed).
Segment = tuple[int, bytes, bytes, bytes, bool]


@dataclass
class _Datagram:
    proto: int
    src: bytes
    dst: bytes
    pieces: dict[int, bytes] = field(default_factory=dict)
    total: int | None = None
    size: int = 0


class Decapsulator:
    """Turns frames of a capture into transport segments; keeps the fragments in flight between frames."""

    def __init__(self, max_datagrams: int = _MAX_DATAGRAMS) -> None:
        self.max_datagrams = max_datagrams
        self.unread: collections.Counter[int] = collections.Counter()  # link type → frames not read
        self._datagrams: OrderedDict[tuple[object, ...], _Datagram] = OrderedDict()
        self._out: list[Segment] = []

    def segments(self, linktype: int, frame: bytes) -> list[Segment]:
        """The TCP/UDP segments in one captured frame (none, one, or several when datagrams complete)."""
        if linktype == 1 and frame[12:14] == b"\x08\x00" and len(frame) >= 54 and frame[14] == 0x45:
            # the common case, read without a call per layer: Ethernet, IPv4 without options, not a fragment
            proto = frame[23]
            if not frame[20] & 0x3F and not frame[21] and proto in (6, 17):
                end = 14 + _U16(frame, 16)[0]
                cut = end > len(frame)
                body = frame[34:end]
                if proto == 6 and len(body) >= 20:
                    return [(6, frame[26:30], frame[30:34], body, cut)]
                if (
                    proto == 17
                    and len(body) >= 8
                    and _U16(body, 2)[0] != VXLAN_PORT
                    and GTP_U_PORT not in _UDP_PORTS(body)
                ):
                    return [(17, frame[26:30], frame[30:34], body, cut)]
        out: list[Segment] = []
        self._out = out
        with contextlib.suppress(IndexError):  # a frame cut inside a header: what it held before is kept
            self._link(linktype, frame, 0)
        return out

    def finish(self) -> list[Segment]:
        """What the datagrams still incomplete at the end hold from their start, marked cut."""
        out: list[Segment] = []
        self._out = out
        while self._datagrams:
            self._give_up(self._datagrams.popitem(last=False)[1])
        return out

    # --- link layers ---------------------------------------------------------------------------------------------

    def _link(self, linktype: int, data: bytes, depth: int) -> None:
        if linktype == 1:  # Ethernet
            self._ethernet(data, depth)
        elif linktype == 113:  # Linux cooked v1
            self._ethertype(int.from_bytes(data[14:16], "big"), data[16:], depth)
        elif linktype == 276:  # Linux cooked v2
            self._ethertype(int.from_bytes(data[0:2], "big"), data[20:], depth)
        elif linktype in (101, 12, 14, 228, 229):  # raw IP
            self._ip(data, depth)
        elif linktype in (0, 108):  # BSD loopback and OpenBSD loop: a 4-byte address family
            self._ip(data[4:], depth)
        elif linktype in (9, 50, 204):  # PPP, PPP in HDLC framing, PPP with direction
            self._ppp_frame(data[1:] if linktype == 204 else data, depth)
        elif linktype == 239:  # Linux NFLOG
            self._nflog(data, depth)
        elif linktype == 258 and depth == 0:  # Apple PKTAP: a header naming the inner frame's link type
            header = int.from_bytes(data[0:4], "little")
            self._link(int.from_bytes(data[4:8], "little"), data[header:], depth + 1)
        else:
            self.unread[linktype] += 1

    def _ethernet(self, frame: bytes, depth: int) -> None:
        self._ethertype(int.from_bytes(frame[12:14], "big"), frame[14:], depth)

    def _ethertype(self, ethertype: int, payload: bytes, depth: int) -> None:
        while ethertype in _VLAN and len(payload) >= 4:  # 802.1Q, QinQ (802.1ad) and the older 0x9100
            ethertype, payload = int.from_bytes(payload[2:4], "big"), payload[4:]
        if ethertype in (0x0800, 0x86DD):
            self._ip(payload, depth)
        elif ethertype == 0x8864:  # PPPoE session: 6 bytes, then the PPP protocol
            self._ppp(int.from_bytes(payload[6:8], "big"), payload[8:], depth)
        elif ethertype in (0x8847, 0x8848):  # MPLS: labels until the bottom of the stack
            pos = 0
            while pos + 4 <= len(payload) and not payload[pos + 2] & 0x01:
                pos += 4
            self._ip(payload[pos + 4 :], depth)  # an IP packet tells itself by its version nibble

    def _ppp_frame(self, data: bytes, depth: int) -> None:
        if data[:2] == b"\xff\x03":  # HDLC address and control
            data = data[2:]
        if data[0] & 0x01:  # a compressed one-byte protocol field
            self._ppp(data[0], data[1:], depth)
        else:
            self._ppp(int.from_bytes(data[0:2], "big"), data[2:], depth)

    def _ppp(self, protocol: int, data: bytes, depth: int) -> None:
        if protocol in (0x0021, 0x0057):  # IPv4, IPv6
            self._ip(data, depth)

    def _nflog(self, data: bytes, depth: int) -> None:
        pos = 4  # family, version, resource id; then TLVs (little-endian length and type, 4-byte aligned)
        while pos + 4 <= len(data):
            length, kind = (
                int.from_bytes(data[pos : pos + 2], "little"),
                int.from_bytes(data[pos + 2 : pos + 4], "little"),
            )
            if length < 4:
                return
            if kind == 9:  # NFULA_PAYLOAD: the packet, from its IP header
                self._ip(data[pos + 4 : pos + length], depth)
                return
            pos += (length + 3) & ~3

    # --- IP, fragments and tunnels -----------------------------------------------------------------------------

    def _ip(self, packet: bytes, depth: int) -> None:
        if depth > _MAX_DEPTH or len(packet) < 20:
            return
        version = packet[0] >> 4
        if version == 4:
            header = (packet[0] & 0x0F) * 4
            total = int.from_bytes(packet[2:4], "big")
            cut = total > len(packet)
            body = packet[header:total] if total >= header else packet[header:]
            proto, src, dst = packet[9], packet[12:16], packet[16:20]
            flags = int.from_bytes(packet[6:8], "big")
            if flags & 0x3FFF:  # more fragments, or a fragment offset
                key: tuple[object, ...] = (4, src, dst, packet[4:6], proto)
                whole = self._fragment(key, proto, src, dst, (flags & 0x1FFF) * 8, bool(flags & 0x2000), body)
                if whole is None:
                    return
                body, cut = whole, False
        elif version == 6 and len(packet) >= 40:
            length = int.from_bytes(packet[4:6], "big")
            cut = 40 + length > len(packet)
            body = packet[40 : 40 + length] if length else packet[40:]
            proto, src, dst = packet[6], packet[8:24], packet[24:40]
            while proto in (0, 43, 60, 44) and len(body) >= 8:  # hop-by-hop, routing, destination, fragment
                if proto == 44:
                    offset_flags = int.from_bytes(body[2:4], "big")
                    key = (6, src, dst, body[4:8])
                    proto = body[0]
                    whole = self._fragment(
                        key, proto, src, dst, offset_flags & 0xFFF8, bool(offset_flags & 1), body[8:]
                    )
                    if whole is None:
                        return
                    body, cut = whole, False
                else:
                    proto, body = body[0], body[(body[1] + 1) * 8 :]
        else:
            return
        self._transport(proto, src, dst, body, cut, depth)

    def _transport(self, proto: int, src: bytes, dst: bytes, body: bytes, cut: bool, depth: int) -> None:
        if proto == 6 and len(body) >= 20:
            self._out.append((6, src, dst, body, cut))
        elif proto == 17 and len(body) >= 8:
            sport, dport = int.from_bytes(body[0:2], "big"), int.from_bytes(body[2:4], "big")
            if dport == VXLAN_PORT and len(body) >= 16 + 14 and body[8] & 0x08:  # VXLAN: flags with a valid VNI
                self._ethernet(body[16:], depth + 1)
            elif GTP_U_PORT in (sport, dport) and len(body) > 16 and body[8] >> 5 == 1 and body[9] == 0xFF:
                self._gtp(body[8:], depth)
            else:
                self._out.append((17, src, dst, body, cut))
        elif proto in (4, 41):  # IPv4 in IP (also 4in6), IPv6 in IPv4 (6in4)
            self._ip(body, depth + 1)
        elif proto == 47 and len(body) >= 4:
            self._gre(body, depth)

    def _gtp(self, gtp: bytes, depth: int) -> None:
        """A GTP-U G-PDU (mobile core): its header and extension headers, then the user's IP packet."""
        flags = gtp[0]
        pos = 8
        if flags & 0x07:  # sequence number, N-PDU number, next extension header type
            pos = 12
            kind = gtp[11] if flags & 0x04 else 0
            while kind:
                size = gtp[pos] * 4
                if size == 0:
                    return
                kind = gtp[pos + size - 1]
                pos += size
        self._ip(gtp[pos:], depth + 1)

    def _gre(self, gre: bytes, depth: int) -> None:
        flags, protocol = int.from_bytes(gre[0:2], "big"), int.from_bytes(gre[2:4], "big")
        version = flags & 0x07
        pos = 4 + 4 * bool(flags & 0x8000) + 4 * bool(flags & 0x2000) + 4 * bool(flags & 0x1000)
        if version == 1:  # PPTP's enhanced GRE: an acknowledgment number may follow, then PPP
            pos += 4 * bool(flags & 0x0080)
            if protocol == 0x880B and pos < len(gre):
                self._ppp_frame(gre[pos:], depth + 1)
            return
        payload = gre[pos:]
        if protocol == 0x6558:  # transparent Ethernet bridging
            self._ethernet(payload, depth + 1)
        elif protocol == 0x88BE:  # ERSPAN type II: an 8-byte header, then the mirrored frame
            self._ethernet(payload[8:], depth + 1)
        else:
            self._ethertype(protocol, payload, depth + 1)

    def _fragment(
        self, key: tuple[object, ...], proto: int, src: bytes, dst: bytes, offset: int, more: bool, data: bytes
    ) -> bytes | None:
        """The whole datagram once its last missing fragment arrives, else None (the piece is kept)."""
        datagram = self._datagrams.get(key)
        if datagram is None:
            if len(self._datagrams) >= self.max_datagrams:
                self._give_up(self._datagrams.popitem(last=False)[1])
            datagram = self._datagrams[key] = _Datagram(proto, src, dst)
        if offset + len(data) > _MAX_DATAGRAM or offset in datagram.pieces:
            return None
        datagram.pieces[offset] = data
        datagram.size += len(data)
        if not more:
            datagram.total = offset + len(data)
        if datagram.total is None or datagram.size < datagram.total:
            return None
        whole = contiguous(datagram.pieces)
        if len(whole) < datagram.total:
            return None
        del self._datagrams[key]
        return whole[: datagram.total]

    def _give_up(self, datagram: _Datagram) -> None:
        start = contiguous(datagram.pieces)
        if start:
            self._transport(datagram.proto, datagram.src, datagram.dst, start, True, 0)


def contiguous(pieces: dict[int, bytes]) -> bytes:
    """The bytes from offset 0 as far as the pieces (offset → bytes, overlaps allowed) reach without a gap."""
    out = bytearray()
    for offset in sorted(pieces):
        if offset > len(out):
            break
        out += pieces[offset][len(out) - offset :]
    return bytes(out)
