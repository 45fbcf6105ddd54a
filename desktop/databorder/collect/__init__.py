"""Collectors: each turns one kind of target into observations with evidence of where they were seen."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Literal, get_args

from databorder.errors import InputFileError
from databorder.inputs import check_regular
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


@contextmanager
def open_input(path: Path) -> Iterator[BinaryIO]:
    """Open an input file for reading, turning OS errors into one sentence naming the file."""
    try:
        check_regular(path)
        handle = path.open("rb")
    except IsADirectoryError:
        raise InputFileError(path, "is a folder, not a file") from None
    except FileNotFoundError:
        raise InputFileError(path, "does not exist") from None
    except PermissionError:
        raise InputFileError(path, "cannot be read: permission denied") from None
    except OSError as exc:
        raise InputFileError(path, f"cannot be read: {exc.strerror or exc}") from None
    with handle:
        yield handle


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
            for (port, scheme), residual in combos.items():
                first = residual.first
                where = f" on port {port}" if port else ""
                result.append(
                    Observation(
                        host=first.host,
                        ip=first.ip,
                        port=port,
                        scheme=scheme,
                        evidence=Evidence(
                            first.evidence.collector,
                            first.evidence.source,
                            None,
                            f"… and {residual.count:,} more sightings{where} here",
                        ),
                        relevance=first.relevance,
                        seen_addresses=tuple(residual.addresses),
                        relevance_reasons=first.relevance_reasons,
                    )
                )
        return result


class _Residual:
    def __init__(self, first: Observation) -> None:
        self.first = first
        self.count = 0
        self.addresses: dict[str, None] = {}
