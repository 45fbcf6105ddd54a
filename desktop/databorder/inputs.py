"""How a file someone names is read: only a regular file, and no more of it than its kind can be.

``--pack /dev/zero`` read until the kernel stopped it at 23 GiB, and a FIFO given as ``--hosts`` waited forever.
Every reader of outside input reads through :func:`read_bounded` (or opens through :func:`check_regular`), which
refuse a device, a pipe, a socket or a folder before opening it, and a file larger than the reader's limit. Both
raise :class:`OSError` with a sentence in ``strerror``, which each reader already turns into its own error naming
the file; a missing file stays :class:`FileNotFoundError`.
"""

from __future__ import annotations

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
ASSESSMENT_LIMIT = 1024 * MB
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
