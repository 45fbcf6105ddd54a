"""How a file someone names is read: only a regular file, and no more of it than its kind can be.

``--pack /dev/zero`` read until the kernel stopped it at 23 GiB, and a FIFO given as ``--hosts`` waited forever.
Every reader of outside input reads through :func:`read_bounded` (or opens through :func:`check_regular`), which
refuse a device, a pipe, a socket or a folder before opening it, and a file larger than the reader's limit. Both
raise :class:`OSError` with a sentence in ``strerror``, which each reader already turns into its own error naming
the file; a missing file stays :class:`FileNotFoundError`.
"""

from __future__ import annotations

import codecs
import errno
import os
import stat
from pathlib import Path

from databorder.errors import InputFileError

MB = 1 << 20
#: Limits per kind of input, far above any real file of the kind.
PACK_LIMIT = 4 * MB
POLICY_LIMIT = 1 * MB
SETTINGS_LIMIT = 1 * MB
TABLE_LIMIT = 64 * MB  # the organisation's operators and services tables
HOST_LIST_LIMIT = 256 * MB
#: Decompressed bytes of a compressed capture, HAR or log (a plain one streams, whatever its size): a bomb stops here.
DECOMPRESSED_LIMIT = 8192 * MB
#: A saved assessment: the 17 real AI apps of the static benchmark (1,361 MB, 2,800 endpoints) give 5.3 MB; 128 MB
#: holds some 60,000 endpoints. Joining the text of a larger file is one step that holds the interpreter lock
#: (1.9 s for 372 MB), and the GUI would freeze while its worker read it.
ASSESSMENT_LIMIT = 128 * MB
DATABASE_LIMIT = 2048 * MB  # a MaxMind-format database


def check_regular(path: Path) -> os.stat_result:
    """The file's status, or :class:`OSError` when it is not a regular file (following symbolic links)."""
    try:
        info = os.stat(path)
    except OSError as exc:
        if exc.errno == errno.ENAMETOOLONG:
            raise OSError(errno.ENAMETOOLONG, "the name is too long to be a file") from None
        raise
    if stat.S_ISDIR(info.st_mode):
        raise IsADirectoryError(errno.EISDIR, "it is a folder, not a file")
    if not stat.S_ISREG(info.st_mode):
        raise OSError(errno.EINVAL, "it is not a regular file (a device, pipe or socket); name a file")
    return info


def read_bounded(path: Path, limit: int) -> bytes:
    """The whole of a regular file of at most ``limit`` bytes."""
    info = check_regular(path)
    if info.st_size > limit:
        raise OSError(
            errno.EFBIG, f"it is {info.st_size / MB:,.0f} MB, more than such a file can be ({limit // MB} MB)"
        )
    with path.open("rb") as handle:
        data = handle.read(limit + 1)  # a file that grew since it was looked at is still cut at the limit
    if len(data) > limit:
        raise OSError(errno.EFBIG, f"it is more than such a file can be ({limit // MB} MB)")
    return data


#: Bytes decoded at once by :func:`decode_utf8`: a few milliseconds of work between chances for other threads.
DECODE_BLOCK = 4 * MB


def decode_utf8(data: bytes, block: int = DECODE_BLOCK) -> str:
    """``data`` as UTF-8 text, decoded in blocks so that other threads run meanwhile.

    One ``bytes.decode`` of a 372 MB saved assessment held the interpreter lock for 1.8 s, and the GUI froze
    while its worker read the file. Raises :class:`ValueError` naming the byte offset of the first bad sequence.
    """
    decoder = codecs.getincrementaldecoder("utf-8")()
    view = memoryview(data)
    parts: list[str] = []
    for start in range(0, len(data), block):
        try:
            parts.append(decoder.decode(view[start : start + block]))
        except UnicodeDecodeError as exc:
            pending = len(decoder.getstate()[0])
            raise ValueError(f"not UTF-8 text at byte {start - pending + exc.start:,}") from None
    try:
        parts.append(decoder.decode(b"", final=True))
    except UnicodeDecodeError:
        raise ValueError(f"not UTF-8 text at byte {len(data) - len(decoder.getstate()[0]):,} (cut off)") from None
    return "".join(parts)


def read_input(path: Path, limit: int, error: type[InputFileError], what: str) -> bytes:
    """:func:`read_bounded`, with a missing or unreadable file raised as ``error`` naming it.

    The sentences are "<what> does not exist" and "<what> cannot be read: <why>".
    """
    try:
        return read_bounded(path, limit)
    except FileNotFoundError:
        raise error(path, f"{what} does not exist") from None
    except OSError as exc:
        raise error(path, f"{what} cannot be read: {exc.strerror or exc}") from None
