"""QUIC Initial packets → the client's hello, for the server name it asks for.

Chromium, Electron apps and most mobile apps reach Google, Facebook and many AI vendors over QUIC (HTTP/3), whose
TLS ClientHello travels in CRYPTO frames of the client's Initial packets. Those are encrypted, but with keys
anyone can derive: RFC 9001 §5.2 derives them from the Destination Connection ID the client chose and a salt
published per version. This module derives them (HKDF over SHA-256), removes header protection (AES-ECB), opens
the packet (AES-128-GCM, with the ``cryptography`` package) and puts the CRYPTO frames back in order, across
packets and across the coalesced packets of one datagram, until the whole ClientHello is there.

Versions: QUIC v1 (RFC 9000), v2 (RFC 9369, its own salt and labels), the drafts seen in the wild (22–34), the
mvfst versions of Facebook's apps, and Google's Q050/T050/T051 (an IETF header over Google's salts). Older
Google QUIC (Q039–Q046) sends its hello (CHLO) in the clear; its ``SNI`` tag is read directly.

A packet that does not open is skipped (a server's Initial, a damaged or cut datagram, an unknown version), and
in-flight hellos are bounded in number and size, so a capture of any size reads in flat memory.
"""

from __future__ import annotations

import hmac
import struct
from collections import OrderedDict
from dataclasses import dataclass, field
from functools import lru_cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers import Cipher, CipherContext, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from databorder.collect.frames import contiguous

_SALT_V1 = bytes.fromhex("38762cf7f55934b34d179ae6a4c80cadccbb7f0a")  # RFC 9001 §5.2; drafts 33 and 34
_SALT_V2 = bytes.fromhex("0dede3def700a6db819381be6e269dcbf9bd2ed9")  # RFC 9369 §3.3.1
_SALT_D29 = bytes.fromhex("afbfec289993d24c9e9786f19c6111e04390a899")  # drafts 29–32
_SALT_D23 = bytes.fromhex("c3eef712c72ebb5a11a7d2432bb46365bef9f502")  # drafts 23–28
_SALT_D22 = bytes.fromhex("7fbcdb0e7c66bbe9193a96cd21519ebd7a02644a")  # draft 22
_SALT_Q50 = bytes.fromhex("504574efd066fe2f9d945cfcdbd3a7f0d3b56b45")  # Google Q050
_SALT_T50 = bytes.fromhex("7ff579e5acd072915580304c43a2367c60488310")  # Google T050
_SALT_T51 = bytes.fromhex("7a4edef4e7ccee5fa4506c19124fc8ccda6e033d")  # Google T051

VERSION_1 = 0x00000001
VERSION_2 = 0x6B3343CF
_MAX_HELLO = 16_384  # bytes of CRYPTO data kept per connection
_MAX_PENDING = 1024  # connections whose hello is still incomplete
_MIN_INITIAL_DATAGRAM = 1000  # a client's Initial is padded to 1,200 bytes (RFC 9000 §14.1)


def salt_and_labels(version: int) -> tuple[bytes, str] | None:
    """The initial salt and the label prefix (``quic `` or ``quicv2 ``) of a QUIC version; None if unknown."""
    if version == VERSION_1:
        return _SALT_V1, "quic "
    if version in (VERSION_2, 0x709A50C4):  # v2 and its last draft
        return _SALT_V2, "quicv2 "
    if version >> 8 == 0xFF0000:  # IETF drafts
        draft = version & 0xFF
        salt = _SALT_V1 if draft >= 33 else _SALT_D29 if draft >= 29 else _SALT_D23 if draft >= 23 else None
        return (salt, "quic ") if salt else ((_SALT_D22, "quic ") if draft == 22 else None)
    if version & 0x0F0F0F0F == 0x0A0A0A0A:  # a reserved version forcing negotiation, sent with draft-29 keys
        return _SALT_D29, "quic "
    if version == 0xFACEB001:  # mvfst, draft 22
        return _SALT_D22, "quic "
    if version in (0xFACEB002, 0xFACEB00E, 0xFACEB010):  # mvfst, draft 27 and its experiments
        return _SALT_D23, "quic "
    if version == 0xFACEB003:  # mvfst, draft 29
        return _SALT_D29, "quic "
    return {0x51303530: (_SALT_Q50, "quic "), 0x54303530: (_SALT_T50, "quic "), 0x54303531: (_SALT_T51, "quic ")}.get(
        version
    )


def _expand_label(secret: bytes, label: str, length: int) -> bytes:
    """HKDF-Expand-Label of TLS 1.3 (RFC 8446 §7.1) with an empty context; one HMAC block suffices (≤ 32)."""
    full = b"tls13 " + label.encode("ascii")
    info = struct.pack("!HB", length, len(full)) + full + b"\x00"
    return hmac.digest(secret, info + b"\x01", "sha256")[:length]


def client_initial_secret(version: int, dcid: bytes) -> bytes | None:
    """The client's Initial secret for a connection (RFC 9001 §5.2), or None for an unknown version."""
    params = salt_and_labels(version)
    if params is None:
        return None
    initial = hmac.digest(params[0], dcid, "sha256")  # HKDF-Extract(salt, DCID)
    return _expand_label(initial, "client in", 32)


def packet_protection(version: int, secret: bytes) -> tuple[bytes, bytes, bytes]:
    """The AEAD key, IV and header-protection key of a secret (``quic key``/``quic iv``/``quic hp``, or v2's)."""
    params = salt_and_labels(version)
    prefix = params[1] if params else "quic "
    return (
        _expand_label(secret, prefix + "key", 16),
        _expand_label(secret, prefix + "iv", 12),
        _expand_label(secret, prefix + "hp", 16),
    )


@dataclass(frozen=True)
class _Keys:
    aead: AESGCM
    iv: bytes
    mask: CipherContext


@lru_cache(maxsize=512)
def _client_keys(version: int, dcid: bytes) -> _Keys | None:
    secret = client_initial_secret(version, dcid)
    if secret is None:
        return None
    key, iv, hp = packet_protection(version, secret)
    return _Keys(AESGCM(key), iv, Cipher(algorithms.AES(hp), modes.ECB()).encryptor())


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    """A QUIC variable-length integer at ``pos`` and the position after it (RFC 9000 §16)."""
    first = data[pos]
    size = 1 << (first >> 6)
    if pos + size > len(data):
        raise IndexError("varint beyond the data")
    value = first & 0x3F
    for byte in data[pos + 1 : pos + size]:
        value = (value << 8) | byte
    return value, pos + size


def open_initial(datagram: bytes, start: int = 0, key_dcid: bytes | None = None) -> tuple[bytes, int, int] | None:
    """The decrypted payload of the client Initial packet at ``start``, its version and where the packet ends.

    The keys come from the packet's own Destination Connection ID, or from ``key_dcid`` (the ID the client's
    first Initial carried, which RFC 9001 §5.2 keys the whole connection with).

    None when the packet there is no long-header Initial this module can open (then the caller skips it); raises
    :class:`IndexError` or :class:`ValueError` on a packet too short for its own header.
    """
    first = datagram[start]
    if not first & 0x80:
        return None
    version = int.from_bytes(datagram[start + 1 : start + 5], "big")
    pos = start + 5
    dcid_len = datagram[pos]
    dcid = datagram[pos + 1 : pos + 1 + dcid_len]
    pos += 1 + dcid_len
    pos += 1 + datagram[pos]  # source connection id
    is_initial = (first >> 4) & 3 == (1 if version in (VERSION_2, 0x709A50C4) else 0)
    if is_initial:
        token_len, pos = _varint(datagram, pos)
        pos += token_len
    length, pos = _varint(datagram, pos)
    end = pos + length
    if not is_initial or end > len(datagram) or length < 20 or dcid_len > 20:
        return None
    keys = _client_keys(version, bytes(key_dcid if key_dcid is not None else dcid))
    if keys is None:
        return None
    mask = keys.mask.update(bytes(datagram[pos + 4 : pos + 20]))
    first_plain = first ^ (mask[0] & 0x0F)
    pn_len = (first_plain & 0x03) + 1
    pn_bytes = bytes(b ^ m for b, m in zip(datagram[pos : pos + pn_len], mask[1 : 1 + pn_len], strict=True))
    header = bytes([first_plain]) + bytes(datagram[start + 1 : pos]) + pn_bytes
    nonce = (int.from_bytes(keys.iv, "big") ^ int.from_bytes(pn_bytes, "big")).to_bytes(12, "big")
    try:
        payload = keys.aead.decrypt(nonce, bytes(datagram[pos + pn_len : end]), header)
    except InvalidTag:
        return None  # not a client Initial (a server's), or damaged
    return payload, version, end


def crypto_frames(payload: bytes, *, google: bool = False) -> list[tuple[int, bytes]]:
    """The CRYPTO frames (offset, data) of a decrypted Initial payload, in the order they came.

    Google's Q050/T050/T051 number their CRYPTO frame 0x08 (a STREAM frame in IETF QUIC, never in an Initial).
    """
    crypto = 0x08 if google else 0x06
    frames: list[tuple[int, bytes]] = []
    pos, size = 0, len(payload)
    while pos < size:
        kind = payload[pos]
        if kind == 0x00:  # PADDING, often hundreds of bytes
            stripped = payload[pos:].lstrip(b"\x00")
            pos = size - len(stripped)
            continue
        pos += 1
        if kind == 0x01:  # PING
            continue
        if kind in (0x02, 0x03):  # ACK
            _, pos = _varint(payload, pos)
            _, pos = _varint(payload, pos)
            ranges, pos = _varint(payload, pos)
            _, pos = _varint(payload, pos)
            for _ in range(2 * ranges + (3 if kind == 0x03 else 0)):
                _, pos = _varint(payload, pos)
        elif kind == crypto:
            offset, pos = _varint(payload, pos)
            length, pos = _varint(payload, pos)
            frames.append((offset, payload[pos : pos + length]))
            pos += length
        else:  # CONNECTION_CLOSE or a frame an Initial does not carry: nothing more to read
            break
    return frames


def chlo_server_name(message: bytes) -> str | None:
    """The ``SNI`` tag of a Google QUIC crypto handshake message (``CHLO``), or None."""
    try:
        count = struct.unpack_from("<H", message, 4)[0]
        if message[:4] != b"CHLO" or not 0 < count <= 128:
            return None
        values = 8 + 8 * count
        previous = 0
        for index in range(count):
            tag, end = struct.unpack_from("<4sI", message, 8 + 8 * index)
            if end < previous:
                return None
            if tag == b"SNI\x00":
                if values + end > len(message):
                    return None
                return message[values + previous : values + end].decode("ascii")
            previous = end
    except (struct.error, UnicodeDecodeError):
        return None
    return None


@dataclass
class _Pending:
    pieces: dict[int, bytes] = field(default_factory=dict)
    size: int = 0


class InitialReader:
    """Client hellos out of QUIC datagrams, one connection's CRYPTO frames put together across packets.

    :meth:`datagram` returns, for each hello completed by a datagram, either ``("tls", message)`` with the TLS
    ClientHello handshake message, or ``("sni", name)`` for a Google QUIC CHLO's server name.
    """

    def __init__(self, max_pending: int = _MAX_PENDING) -> None:
        self.max_pending = max_pending
        self._pending: OrderedDict[object, _Pending] = OrderedDict()
        self._first_dcid: OrderedDict[object, bytes] = OrderedDict()  # per client flow, bounded alike

    def _remember(self, flow: object, dcid: bytes) -> None:
        if len(self._first_dcid) >= 4 * self.max_pending:
            self._first_dcid.popitem(last=False)
        self._first_dcid[flow] = dcid

    def datagram(self, flow: object, data: bytes) -> list[tuple[str, bytes | str]]:
        """What the UDP payload ``data`` of ``flow`` (any hashable naming the client's side) completes."""
        if len(data) < 16:
            return []
        google_long = data[0] & 0x80 and data[1:3] == b"Q0" and data[1:5] != b"Q050"  # Q046: IETF-like header
        google_public = data[0] & 0x89 == 0x09 and data[9:11] == b"Q0"  # Q043 and before: version after the CID
        if google_long or google_public:
            return self._clear_chlo(data)
        if len(data) < _MIN_INITIAL_DATAGRAM or data[0] & 0xC0 != 0xC0:
            return []
        found: list[tuple[str, bytes | str]] = []
        pos = 0
        try:
            while pos < len(data) and data[pos] & 0x80:
                opened = open_initial(data, pos)
                first_dcid = self._first_dcid.get(flow)
                if opened is None and first_dcid is not None:
                    opened = open_initial(data, pos, first_dcid)
                elif opened is not None and first_dcid is None:
                    self._remember(flow, bytes(data[pos + 6 : pos + 6 + data[pos + 5]]))
                if opened is None:
                    pos = self._skip(data, pos)
                    continue
                payload, version, pos = opened
                frames = crypto_frames(payload, google=version >> 24 in (0x51, 0x54))  # "Q", "T"
                hello = self._add(flow, frames)
                if hello is not None:
                    found.append(hello)
        except (IndexError, ValueError):
            pass  # a datagram cut short, or not QUIC after all: what it completed is kept
        return found

    @staticmethod
    def _skip(data: bytes, start: int) -> int:
        """Where the long-header packet at ``start`` ends (its Length field), or the datagram's end."""
        version = int.from_bytes(data[start + 1 : start + 5], "big")
        if version == 0:
            return len(data)  # version negotiation: the rest is versions
        pos = start + 6 + data[start + 5]
        pos += 1 + data[pos]
        kind = (data[start] >> 4) & 3
        if kind == (1 if version in (VERSION_2, 0x709A50C4) else 0):
            token_len, pos = _varint(data, pos)
            pos += token_len
        elif kind == (0 if version in (VERSION_2, 0x709A50C4) else 3):  # Retry: no length, to the end
            return len(data)
        length, pos = _varint(data, pos)
        return pos + length

    def _add(self, flow: object, frames: list[tuple[int, bytes]]) -> tuple[str, bytes | str] | None:
        # Keyed by the client's address and port, not the connection ID: a client may change the ID it sends to
        # between the packets of one hello (each packet still opens with the keys of its own ID).
        if not frames:
            return None
        key = flow
        pending = self._pending.get(key)
        if pending is None:
            if len(self._pending) >= self.max_pending:
                self._pending.popitem(last=False)
            pending = self._pending[key] = _Pending()
        for offset, piece in frames:
            if offset + len(piece) <= _MAX_HELLO and offset not in pending.pieces:
                pending.pieces[offset] = piece
                pending.size += len(piece)
        data = contiguous(pending.pieces)
        if data.startswith(b"CHLO"):
            name = chlo_server_name(data)
            if name is not None:
                del self._pending[key]
                return ("sni", name)
            return None
        if len(data) >= 4 and data[0] == 0x01:
            needed = 4 + int.from_bytes(data[1:4], "big")
            if len(data) >= needed or needed > _MAX_HELLO:
                del self._pending[key]
                return ("tls", data[:needed])
        elif data:
            del self._pending[key]  # not a ClientHello: nothing to wait for
        return None

    @staticmethod
    def _clear_chlo(data: bytes) -> list[tuple[str, bytes | str]]:
        at = data.find(b"CHLO")
        name = chlo_server_name(data[at:]) if at >= 0 else None
        return [("sni", name)] if name else []
