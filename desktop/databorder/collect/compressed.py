"""Compressed inputs read as streams: a ``.pcap.gz`` is a capture, not a host list of stray bytes.

People keep captures and logs gzip-compressed (tcpdump rotations, Wireshark's "compress with gzip"), and newer
tools write zstd, xz or bzip2. The compression is recognised by its magic bytes, never by the file name, and
the decompressed bytes are handed to the reader as one stream, so memory stays flat.

A decompression bomb is bounded: no more than the reader's limit of decompressed bytes is read
(:data:`databorder.inputs.CAPTURE_LIMIT` for captures and logs, the host list's own limit for lists); what came
before the limit is kept and a sentence says where reading stopped. A compressed stream that is damaged or cut
short likewise ends the input where the damage is, with a sentence, instead of an error from the decompressor.
"""

from __future__ import annotations

import bz2
import io
import lzma
import sys
import zlib
from typing import BinaryIO, cast

from isal import igzip, igzip_lib

if sys.version_info >= (3, 14):
    from compression import zstd
else:
    from backports import zstd

__all__ = ["compression_name", "compression_note", "compression_of", "open_decompressed", "zstd"]

from databorder.inputs import MB

#: Magic bytes → compression name. bzip2's "BZh" is followed by the block size digit and a block or end magic.
_MAGICS = (
    (b"\x1f\x8b", "gzip"),
    (b"\x28\xb5\x2f\xfd", "zstd"),
    (b"\xfd7zXZ\x00", "xz"),
)
_BZIP2_BLOCK = (b"\x31\x41\x59\x26\x53\x59", b"\x17\x72\x45\x38\x50\x90")
_CHUNK = 1 << 16
#: What the decompressors raise on damaged or truncated data (``igzip`` raises ``BadGzipFile``, an OSError, or, on
#: a damaged deflate stream such as an invalid lookback distance, ``IsalError``, which is no OSError).
_ISAL_ERROR = cast("type[Exception]", igzip_lib.IsalError)  # a class, though isal's stubs call it an instance
_DAMAGE = (OSError, EOFError, zlib.error, lzma.LZMAError, zstd.ZstdError, ValueError, _ISAL_ERROR)


def compression_of(head: bytes) -> str | None:
    """The compression whose magic bytes ``head`` starts with (``gzip``, ``zstd``, ``xz``, ``bzip2``), or None."""
    for magic, name in _MAGICS:
        if head.startswith(magic):
            return name
    if head[:3] == b"BZh" and head[3:4] in b"123456789" and len(head[3:4]) == 1 and head[4:10] in _BZIP2_BLOCK:
        return "bzip2"
    return None


class _Decompressing(io.RawIOBase):
    """The decompressed bytes of ``source``, stopping (with :attr:`stopped` set) at damage or the limit."""

    def __init__(self, source: BinaryIO, compression: str, limit: int) -> None:
        super().__init__()
        self.compression = compression
        self.limit = limit
        self.produced = 0
        self.stopped: str | None = None
        self._stream: io.BufferedIOBase
        if compression == "gzip":
            self._stream = igzip.GzipFile(fileobj=source, mode="rb")  # type: ignore[no-untyped-call]
        elif compression == "zstd":
            self._stream = zstd.ZstdFile(source)
        elif compression == "xz":
            self._stream = lzma.LZMAFile(source)  # noqa: SIM115 - closed with this stream
        else:
            self._stream = bz2.BZ2File(source)

    def close(self) -> None:
        if not self.closed:
            self._stream.close()  # the decompressor only: the file itself is its opener's to close
        super().close()

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        if self.stopped is not None:
            return 0
        room = self.limit - self.produced
        if room <= 0:
            self.stopped = (
                f"it decompresses ({self.compression}) to more than {self.limit // MB:,} MB, more than such a file "
                f"can be; read up to there"
            )
            return 0
        view = memoryview(buffer).cast("B")
        try:
            # read1: what one step of the decompressor gives, so damage further on cannot lose it
            data = self._stream.read1(min(len(view), room))
        except _DAMAGE as exc:
            self.stopped = (
                f"its {self.compression} compression is damaged or cut short after {self.produced:,} decompressed "
                f"bytes ({exc or type(exc).__name__}); what came before is kept"
            )
            return 0
        count = len(data)
        view[:count] = data
        self.produced += count
        return count


def open_decompressed(handle: BinaryIO, limit: int) -> BinaryIO:
    """``handle`` itself for an uncompressed file, else a buffered stream of its decompressed bytes.

    ``handle`` must be a buffered file (it is peeked at, not consumed).
    """
    peek = getattr(handle, "peek", None)
    head = peek(16)[:16] if peek is not None else b""
    compression = compression_of(head)
    if compression is None:
        return handle
    return io.BufferedReader(_Decompressing(handle, compression, limit), _CHUNK)


def compression_note(handle: BinaryIO) -> str | None:
    """Why a decompressed stream stopped before its end (damage, or the size limit); None when it did not."""
    raw = getattr(handle, "raw", None)
    return raw.stopped if isinstance(raw, _Decompressing) else None


def compression_name(handle: BinaryIO) -> str | None:
    """The compression a stream from :func:`open_decompressed` undoes, or None for a plain file."""
    raw = getattr(handle, "raw", None)
    return raw.compression if isinstance(raw, _Decompressing) else None
