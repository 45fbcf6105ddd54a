"""DNS responses read from the wire as far as they go: the name asked, its CNAMEs and its addresses.

A DNS answer in a capture is not always whole: the snap length cuts it, a fragment is lost, a server sends a
malformed record after good ones. A strict parser drops all of it; this one keeps every record read before the
damage and says the message was ``cut``. DNS over TCP comes as a stream of messages, each after a two-byte
length (RFC 1035 §4.2.2, RFC 7766), and :class:`TcpMessages` splits a connection's bytes into them.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

_A, _CNAME, _AAAA = 1, 5, 28
_MAX_POINTERS = 32  # compression pointers followed in one name (a loop would be endless)
_MAX_TCP_BUFFER = 65_537  # one DNS message over TCP, with its length


@dataclass(frozen=True)
class Answer:
    """The useful part of a DNS response: what was asked and what came back, and whether bytes were missing."""

    name: str
    addresses: tuple[str, ...]
    cnames: tuple[str, ...]
    cut: bool


class _Cut(Exception):
    """The message ends inside a record."""


def _name(message: bytes, pos: int) -> tuple[str, int]:
    """The (decompressed) domain name at ``pos`` and the position after it in the message."""
    labels: list[str] = []
    end: int | None = None
    for _ in range(_MAX_POINTERS):
        if pos >= len(message):
            raise _Cut
        length = message[pos]
        if length & 0xC0 == 0xC0:
            if pos + 1 >= len(message):
                raise _Cut
            if end is None:
                end = pos + 2
            pos = ((length & 0x3F) << 8) | message[pos + 1]
            continue
        if length & 0xC0:
            raise ValueError("a label type DNS does not use")
        if length == 0:
            return ".".join(labels), end if end is not None else pos + 1
        if pos + 1 + length > len(message):
            raise _Cut
        labels.append(message[pos + 1 : pos + 1 + length].decode("ascii", "replace"))
        pos += 1 + length
    raise ValueError("too many compression pointers")


def parse_response(message: bytes, *, cut: bool = False) -> Answer | None:
    """The answer in a DNS response message, read as far as it goes; None for a query or no question at all.

    ``cut`` says the caller already knows bytes are missing (a snap length, a lost fragment).
    """
    if len(message) < 12 or not message[2] & 0x80 or message[2] & 0x78:  # a response to a standard query
        return None
    questions = int.from_bytes(message[4:6], "big")
    answers = int.from_bytes(message[6:8], "big")
    if questions < 1:
        return None
    try:
        qname, pos = _name(message, 12)
    except (_Cut, ValueError):
        return None
    pos += 4
    for _ in range(questions - 1):
        try:
            pos = _name(message, pos)[1] + 4
        except (_Cut, ValueError):
            return Answer(qname, (), (), True)
    addresses: list[str] = []
    cnames: list[str] = []
    try:
        for _ in range(answers):
            _owner, pos = _name(message, pos)
            if pos + 10 > len(message):
                raise _Cut
            kind = int.from_bytes(message[pos : pos + 2], "big")
            size = int.from_bytes(message[pos + 8 : pos + 10], "big")
            pos += 10
            if pos + size > len(message):
                raise _Cut
            if (kind == _A and size == 4) or (kind == _AAAA and size == 16):
                addresses.append(str(ipaddress.ip_address(message[pos : pos + size])))
            elif kind == _CNAME:
                cnames.append(_name(message, pos)[0])
            pos += size
    except _Cut:
        cut = True
    except ValueError:
        cut = True  # a damaged record: the ones before it stand
    return Answer(qname, tuple(addresses), tuple(cnames), cut)


class TcpMessages:
    """DNS messages out of one direction of a TCP connection, each after its two-byte length."""

    def __init__(self) -> None:
        self.buffer = bytearray()
        self.next_seq: int | None = None

    def feed(self, seq: int, payload: bytes) -> list[bytes]:
        """The messages the segment ``payload`` (at sequence number ``seq``) completes."""
        if self.next_seq is not None and seq != self.next_seq:
            if (seq - self.next_seq) % (1 << 32) > 1 << 31:
                return []  # a retransmission of bytes already read
            self.buffer.clear()  # a gap: bytes were lost; start again from this segment
        self.next_seq = (seq + len(payload)) % (1 << 32)
        self.buffer += payload
        messages: list[bytes] = []
        while len(self.buffer) >= 2:
            size = int.from_bytes(self.buffer[:2], "big")
            if len(self.buffer) < 2 + size:
                break
            messages.append(bytes(self.buffer[2 : 2 + size]))
            del self.buffer[: 2 + size]
        if len(self.buffer) > _MAX_TCP_BUFFER:
            self.buffer.clear()
        return messages

    def rest(self) -> bytes:
        """The start of a message the connection never finished (read as a cut message)."""
        return bytes(self.buffer[2:]) if len(self.buffer) > 14 else b""
