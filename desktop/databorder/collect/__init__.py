"""Collectors: each turns one kind of target into observations with evidence of where they were seen."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Literal, get_args

from databorder.collect.compressed import compression_note, open_decompressed
from databorder.errors import DataBorderError, InputFileError
from databorder.inputs import DECOMPRESSED_LIMIT, MB, check_regular
from databorder.model import Evidence, Observation

#: The capture formats a file can be read as (``--capture-format``); recognised from content otherwise.
CaptureFormat = Literal["har", "pcap", "squid", "zeek", "csv", "hosts"]
CAPTURE_FORMATS: tuple[str, ...] = get_args(CaptureFormat)

#: Sightings kept per endpoint by a collector; later ones are counted (a capture may show a host 100,000 times).
KEEP_PER_ENDPOINT = 10


@dataclass(frozen=True)
class InputProblem:
    """Something in the input that was skipped, said so that a person can find and fix it."""

    source: str
    line: int | None
    message: str

    def __str__(self) -> str:
        where = f"{self.source}, line {self.line}" if self.line is not None else self.source
        return f"{where}: {self.message}"


class ReadCancelled(DataBorderError):
    """The user cancelled while a file was read; raised by the file's read, caught by its reader.

    Each reader keeps what it read before, as for a file cut short, and records :attr:`problem` so the
    assessment says it is partial and where reading stopped.
    """

    def __init__(self, path: Path, offset: int, size: int) -> None:
        share = f" ({offset / size:.0%})" if size else ""
        self.problem = InputProblem(
            str(path), None, f"reading was cancelled after {_amount(offset)} of {_amount(size)}{share}; "
            "what was read before is kept, the rest of the file was not read",
        )  # fmt: skip
        super().__init__(str(self.problem))


def _amount(size: int) -> str:
    return f"{size / MB:,.1f} MB" if size >= MB else f"{size:,} bytes"


#: What the readers of this thread (or task) ask before each read: whether the user has cancelled.
_CANCELLED: ContextVar[Callable[[], bool] | None] = ContextVar("databorder_read_cancelled", default=None)
#: Bytes read between two looks at the cancel flag: a read stops within milliseconds of a cancel.
_READ_CHUNK = 256 * 1024


@contextmanager
def reads_cancelled_by(cancelled: Callable[[], bool]) -> Iterator[None]:
    """Within this block, every input opened by :func:`open_input` stops with :class:`ReadCancelled` on cancel."""
    token = _CANCELLED.set(cancelled)
    try:
        yield
    finally:
        _CANCELLED.reset(token)


class _CancellableFile(io.RawIOBase):
    """A file whose every read first looks at the cancel flag (the readers see an ordinary buffered file)."""

    def __init__(self, raw: io.FileIO, path: Path, size: int, cancelled: Callable[[], bool]) -> None:
        super().__init__()
        self._raw, self._path, self._size, self._cancelled = raw, path, size, cancelled

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return self._raw.seekable()

    def seek(self, offset: int, whence: int = 0) -> int:
        return self._raw.seek(offset, whence)

    def tell(self) -> int:
        return self._raw.tell()

    def fileno(self) -> int:
        return self._raw.fileno()

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        if self._cancelled():
            raise ReadCancelled(self._path, self._raw.tell(), self._size)
        view = memoryview(buffer).cast("B")
        return self._raw.readinto(view[:_READ_CHUNK]) or 0

    def close(self) -> None:
        self._raw.close()
        super().close()


@contextmanager
def open_input(path: Path, *, limit: int = DECOMPRESSED_LIMIT) -> Iterator[BinaryIO]:
    """Open an input file for reading, turning OS errors into one sentence naming the file.

    A gzip-, zstd-, xz- or bzip2-compressed file (told by its magic bytes) is read as its decompressed stream, of
    at most ``limit`` bytes; :func:`input_problems` says afterwards whether it stopped early and why.

    Inside :func:`reads_cancelled_by`, a read after a cancel raises :class:`ReadCancelled` (the compressed file's
    reads, for a compressed one).
    """
    try:
        info = check_regular(path)
        cancelled = _CANCELLED.get()
        if cancelled is None:
            handle: BinaryIO = path.open("rb")
        else:
            raw = io.FileIO(path, "rb")
            handle = io.BufferedReader(_CancellableFile(raw, path, info.st_size, cancelled), 64 * 1024)
    except IsADirectoryError:
        raise InputFileError(path, "is a folder, not a file") from None
    except FileNotFoundError:
        raise InputFileError(path, "does not exist") from None
    except PermissionError:
        raise InputFileError(path, "cannot be read: permission denied") from None
    except OSError as exc:
        raise InputFileError(path, f"cannot be read: {exc.strerror or exc}") from None
    with handle:
        yield open_decompressed(handle, limit)


def text_encoding(head: bytes) -> str | None:
    """The encoding the first bytes of a file are text in (``utf-8``, ``utf-16-le``, ``utf-16-be``), or None.

    None means binary data: NUL bytes outside UTF-16, many control bytes, or mostly not UTF-8. UTF-16 is told by
    its byte-order mark or, without one, by the NUL byte beside each ASCII character. A few bad bytes in a UTF-8
    text (a Latin-1 comment) leave it text, so that its lines are reported one by one instead.
    """
    if head[:2] == b"\xff\xfe":
        return "utf-16-le"
    if head[:2] == b"\xfe\xff":
        return "utf-16-be"
    if len(head) >= 4 and b"\x00" in head:
        even, odd = head[0::2], head[1::2]
        if odd.count(0) * 10 >= len(odd) * 9 and even.count(0) * 10 < len(even):
            return "utf-16-le"
        if even.count(0) * 10 >= len(even) * 9 and odd.count(0) * 10 < len(odd):
            return "utf-16-be"
    if b"\x00" in head:
        return None
    controls = sum(head.count(c) for c in _CONTROL_BYTES)
    if controls * 100 > len(head):
        return None
    undecodable = head.decode("utf-8", "replace").count("\ufffd") - head.count("\ufffd".encode())
    return "utf-8" if undecodable * 20 <= len(head) else None


_CONTROL_BYTES = [bytes([c]) for c in (*range(1, 9), *range(14, 32), 127)]


def input_problems(handle: BinaryIO, source: str) -> list[InputProblem]:
    """The problem to report when a compressed input stopped before its end (damage or the size limit)."""
    note = compression_note(handle)
    return [InputProblem(source, None, note)] if note else []


class Sightings:
    """Collects observations with bounded memory: the first few per endpoint are kept whole, the rest counted.

    What later sightings add is never lost: each new port/scheme combination and every address seen is carried
    by one summary observation (whose evidence has no location), so cleartext use or a new server shows.
    """

    def __init__(self, keep: int = KEEP_PER_ENDPOINT) -> None:
        self.keep = keep
        self._kept: dict[str, list[Observation]] = {}
        self._more: dict[str, dict[tuple[int | None, str | None], _Residual]] = {}

    def add(self, observation: Observation, *, times: int = 1) -> None:
        """One sighting, or ``times`` alike ones a collector counted itself (one is kept whole if room is left)."""
        key = observation.host or observation.ip
        if key is None:
            return
        kept = self._kept.setdefault(key, [])
        if len(kept) < self.keep:
            kept.append(observation)
            times -= 1
            if times <= 0:
                return
        combos = self._more.setdefault(key, {})
        combo = (observation.port, observation.scheme)
        residual = combos.get(combo)
        if residual is None:
            residual = combos[combo] = _Residual(observation)
        residual.count += times
        residual.addresses.update(dict.fromkeys(observation.seen_addresses))

    def observations(self) -> list[Observation]:
        """Everything collected: kept observations, then one summary per endpoint and port/scheme."""
        result = [o for kept in self._kept.values() for o in kept]
        for combos in self._more.values():
            for residual in combos.values():
                result.append(summary(residual.first, residual.count, tuple(residual.addresses)))
        return result


def summary(first: Observation, count: int, addresses: tuple[str, ...] = ()) -> Observation:
    """The one observation standing for ``count`` sightings alike ``first`` (same endpoint, port and scheme)."""
    where = f" on port {first.port}" if first.port else ""
    return Observation(
        host=first.host,
        ip=first.ip,
        port=first.port,
        scheme=first.scheme,
        evidence=Evidence(
            first.evidence.collector, first.evidence.source, None, f"… and {count:,} more sightings{where} here"
        ),
        relevance=first.relevance,
        seen_addresses=addresses,
        relevance_reasons=first.relevance_reasons,
    )


class _Residual:
    def __init__(self, first: Observation) -> None:
        self.first = first
        self.count = 0
        self.addresses: dict[str, None] = {}
