"""The static scan of a folder, file or archive: files listed, cut into work, scanned in parallel, merged.

``scan_path`` lists the regular files (never following symbolic links), hands them to one worker process per
core — small files in batches, big plain files in ranges searched in place, archives a node executable carries
opened on their own — and merges what the workers send back: per host, its most relevant sightings and a count
of the rest (``_Tally``), so memory grows with the number of distinct hosts, not with the input.

Workers are started by ``multiprocessing``: what they run (``_start_worker``, ``_scan_task``) and what they are
sent (``Piece``) are module-level names here, so they pickle by reference.
"""

from __future__ import annotations

import dataclasses
import functools
import heapq
import itertools
import mmap
import multiprocessing
import os
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any, NamedTuple

from databorder.collect import KEEP_PER_ENDPOINT, InputProblem, summary
from databorder.collect.static.containers import Budget, Capped, archive_kind, scan_stream
from databorder.collect.static.entities import EntityLinks, best
from databorder.collect.static.finding import MAP_FROM, Hit, Scanner
from databorder.collect.static.machine_code import code_ranges
from databorder.collect.static.ranking import SPREAD, reasons_in_words
from databorder.collect.static.sea import EXECUTABLE_HEADS, Asset, sea_assets
from databorder.endpoints import registrable_domain
from databorder.errors import InputFileError
from databorder.model import Evidence, LegalEntity, Observation

SPLIT = 64 * 1024 * 1024  # plain files above this are scanned in ranges, in parallel
_CANCEL_POLL = 0.1  # seconds between two looks at the cancel flag while the workers scan


def _files(root: Path) -> list[tuple[Path, int]]:
    """Every regular file under ``root`` with its size, not following symbolic links (no loops, no escaping)."""
    if root.is_file():
        return [(root, root.stat().st_size)]
    found: list[tuple[Path, int]] = []
    pending = [str(root)]
    while pending:  # depth first, names in order, as os.walk gave them; a folder's entries say their own type
        folder = pending.pop()
        try:
            with os.scandir(folder) as listing:
                entries = sorted(listing, key=lambda entry: entry.name)
        except OSError:
            continue  # unreadable or gone since its parent was listed
        subfolders = []
        for entry in entries:
            try:
                if entry.is_dir(follow_symlinks=False):
                    subfolders.append(entry.path)
                elif entry.is_file(follow_symlinks=False):  # a symbolic link is not a regular file
                    found.append((Path(entry.path), entry.stat(follow_symlinks=False).st_size))
            except OSError:
                continue  # gone since the folder was listed
        pending += reversed(subfolders)
    return found


#: The knowledge a scan ranks with: the domains known to carry data, and each vendor SDK's default endpoint by
#: package key (a manifest declaring that SDK is a sighting of its endpoint).  Hashable: it keys the cache below.
Known = tuple[frozenset[str], tuple[tuple[str, str], ...]]


@functools.cache
def _scanner(known: Known) -> Scanner:
    # One per worker process: parsing the Public Suffix List costs ~40 ms, far more than a small file's scan.
    domains, sdks = known
    return Scanner(domains, dict(sdks))


class Piece(NamedTuple):
    """What a worker scans of one file: all of it, a range of its plain bytes, or an archive embedded in it."""

    path: str
    source: str
    start: int = 0
    end: int = -1  # -1: the whole file
    embedded: bool = False  # bytes [start, end) are an archive (a node SEA asset), opened as one


Task = tuple[tuple[Piece, ...], Known]  # what one worker call scans, with what the scan knows
_BATCH_BYTES = 8 << 20  # small files travel to the workers in batches: one round trip per file cost more
_BATCH_FILES = 256


TaskResult = tuple[dict[str, "_PackedTally"], list[InputProblem], int, list[LegalEntity]]


def _scan_task(task: Task) -> TaskResult:
    """Some files, or one range of a big plain file, in a worker process.

    Its tallies, problems, bytes read, and the legal-entity text linked to hosts.
    """
    pieces, known = task
    scanner = _scanner(known)
    scanner.links.take()  # nothing left over from a task that failed in this process
    tallies: dict[str, _Tally] = {}
    problems: list[InputProblem] = []
    done = 0
    for piece in pieces:
        piece_problems, size = _scan_piece(scanner, piece, tallies)
        problems += piece_problems
        done += size
    return {key: tally.packed() for key, tally in tallies.items()}, problems, done, scanner.links.take()


def _scan_piece(scanner: Scanner, piece: Piece, tallies: dict[str, _Tally]) -> tuple[list[InputProblem], int]:
    path_text, source, start, end, embedded = piece
    path = Path(path_text)
    budget = Budget()
    try:
        with path.open("rb") as handle:
            if embedded:
                handle.seek(start)
                member = Capped(handle, end - start)
                _tally(tallies, scan_stream(scanner, member, source, end - start, budget, 1, seekable=False))
                return budget.problems, end - start
            if end < 0:
                size = path.stat().st_size
                _tally(tallies, scan_stream(scanner, handle, source, size, budget, 0, seekable=True))
                return budget.problems, size
            binary = b"\x00" in handle.read(8192)
            _tally(tallies, scanner.scan_mapped(handle, source, start, end, binary=binary))
            return budget.problems, end - start
    except OSError as exc:
        return [*budget.problems, InputProblem(source, None, f"cannot be read: {exc.strerror or exc}")], 0


class _Tally:
    """One host's sightings: the most relevant few kept whole, the others counted per port and scheme.

    Workers send tallies rather than every hit, so memory and what crosses between processes grow with the
    number of distinct hosts, not with how often a bundle repeats them (a 300 MB bundle held 4.6M sightings).
    """

    __slots__ = ("kept", "more", "sources")

    def __init__(self) -> None:
        self.kept: list[tuple[float, int, int, Hit]] = []  # min-heap (relevance, -offset, n): least relevant out
        self.more: dict[tuple[int | None, str | None], tuple[int, Hit]] = {}  # (port, scheme) → count, best
        self.sources: set[str] = set()  # up to _SPREAD_FILES: the spread bonus stops growing there

    def add(self, hit: Hit, times: int = 1) -> None:
        if len(self.sources) < _SPREAD_FILES:
            self.sources.add(hit.source)
        entry = (hit.relevance, -hit.offset, next(_ORDER), hit)  # on equal relevance the earlier sighting stays
        if len(self.kept) < KEEP_PER_ENDPOINT:
            heapq.heappush(self.kept, entry)
            if times == 1:
                return
            times -= 1
        elif entry[:2] > self.kept[0][:2]:
            entry = heapq.heapreplace(self.kept, entry)
        self._count(entry[3], times)

    def _count(self, hit: Hit, times: int) -> None:
        combo = (hit.port, hit.scheme)
        count, best = self.more.get(combo, (0, hit))
        self.more[combo] = (count + times, hit if hit.relevance > best.relevance else best)

    def packed(self) -> _PackedTally:
        """Plain tuples for the trip back from a worker.

        Unpickling them costs a sixth of unpickling the objects, and the receiving side holds the interpreter
        lock throughout (150 ms per result froze the desktop app).
        """
        return (
            [hit.fields() for *_, hit in self.kept],
            [(count, hit.fields()) for count, hit in self.more.values()],
            tuple(self.sources),
        )

    @classmethod
    def unpacked(cls, packed: _PackedTally) -> _Tally:
        kept, more, sources = packed
        tally = cls()
        for fields in kept:
            tally.add(Hit(*fields))
        for count, fields in more:
            tally._count(Hit(*fields), count)
        tally.sources.update(sources)
        return tally

    def merge(self, other: _Tally) -> None:
        """Fold in another worker's tally of the same host."""
        for *_, hit in other.kept:
            self.add(hit)
        for count, hit in other.more.values():
            self._count(hit, count)
        self.sources.update(list(other.sources)[: _SPREAD_FILES - len(self.sources)])


_SPREAD_FILES = 4
_PackedTally = tuple[list[tuple[Any, ...]], list[tuple[int, tuple[Any, ...]]], tuple[str, ...]]
_ORDER = itertools.count()  # breaks ties in the heap, so hits themselves are never compared


def _tally(tallies: dict[str, _Tally], hits: Iterable[Hit]) -> None:
    for hit in hits:
        key = hit.host or str(hit.ip)
        tally = tallies.get(key)
        if tally is None:
            tally = tallies[key] = _Tally()
        tally.add(hit)


def _tasks(root: Path, files: list[tuple[Path, int]], known: Known) -> list[Task]:
    """Work for the worker processes, biggest first so that no core is left with a big file at the end.

    Big plain files are cut into ranges so every core helps; small files are batched.
    """
    label = root.name or str(root)
    folder = root.is_dir()  # asked once: a stat per file cost 20 ms on 9,000 files
    work: list[tuple[int, tuple[Piece, ...]]] = []  # (bytes, pieces)
    batch: list[Piece] = []
    batch_bytes = 0
    for path, size in files:
        source = str(Path(label) / path.relative_to(root)) if folder else label
        if size >= MAP_FROM:
            plain, assets, code = _plain_and_embedded(path)
            # An embedded archive is opened by a worker of its own; its compressed bytes are not searched as text.
            # Weighed at three times its size (it is inflated, then scanned), so it is handed out first.
            work += [(3 * asset.size, (Piece(str(path), f"{source}!{asset.name}", asset.offset, asset.end,
                                             embedded=True),)) for asset in assets]  # fmt: skip
            if plain and (size > SPLIT or assets or code):
                # Machine code holds no strings (machine_code): only the rest of an executable is searched.
                skipped = [(a.offset, a.end) for a in assets] + code
                work += [(stop - begin, (Piece(str(path), source, begin, stop),))
                         for begin, stop in _ranges(size, skipped)]  # fmt: skip
                continue
        if size >= _BATCH_BYTES:
            work.append((size, (Piece(str(path), source),)))
            continue
        batch.append(Piece(str(path), source))
        batch_bytes += size
        if batch_bytes >= _BATCH_BYTES or len(batch) >= _BATCH_FILES:
            work.append((batch_bytes, tuple(batch)))
            batch, batch_bytes = [], 0
    if batch:
        work.append((batch_bytes, tuple(batch)))
    work.sort(key=lambda item: -item[0])
    return [(pieces, known) for _, pieces in work]


def _plain_and_embedded(path: Path) -> tuple[bool, list[Asset], list[tuple[int, int]]]:
    """Whether a file is plain bytes (not an archive), its archives (node SEA assets) and machine code ranges."""
    try:
        with path.open("rb") as handle:
            head = handle.read(512)
            if archive_kind(head) != "file":
                return False, [], []
            if not head.startswith(EXECUTABLE_HEADS):  # bundles, data files: nothing to map
                return True, [], []
            with mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as data:
                assets = sea_assets(data)
                archives = [
                    asset for asset in assets if archive_kind(data[asset.offset : asset.offset + 512]) != "file"
                ]
                return True, archives, code_ranges(data)
    except (OSError, ValueError):  # gone or cut short since it was listed: the worker reports it as unreadable
        return False, [], []


def _ranges(size: int, skipped: list[tuple[int, int]]) -> Iterator[tuple[int, int]]:
    """[0, size) without the skipped intervals, in pieces of at most SPLIT bytes."""
    begin = 0
    for skip_start, skip_end in [*sorted(skipped), (size, size)]:
        for start in range(begin, max(begin, skip_start), SPLIT):
            yield start, min(start + SPLIT, skip_start)
        begin = max(begin, skip_end)


class ScanResult(NamedTuple):
    """What ``scan_path`` found: observations, the problems met, and how many hosts ranked under the threshold."""

    observations: list[Observation]
    problems: list[InputProblem]
    hidden: int


def scan_path(
    root: Path,
    *,
    known_domains: frozenset[str] = frozenset(),
    sdk_endpoints: Mapping[str, str] | None = None,
    workers: int | None = None,
    min_relevance: float = 0.0,
    progress: Callable[[int, int], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> ScanResult:
    """Observations (collector ``static``) for every host found under ``root``, ranked, and the problems met.

    Files are scanned in parallel on every core; ``progress`` is told bytes done and total.  ``sdk_endpoints``
    maps a vendor SDK's package key (:func:`databorder.knowledge.package_key`) to the endpoint it calls: a
    manifest declaring that dependency is a sighting of the endpoint.  Sightings under ``min_relevance`` are
    left out; ``hidden`` counts the hosts that had no other.
    """
    if not root.exists():
        raise InputFileError(root, "does not exist")
    problems: list[InputProblem] = []
    tallies: dict[str, _Tally] = {}
    links = EntityLinks()
    done = 0
    count = workers or os.cpu_count() or 1
    known: Known = (known_domains, tuple(sorted((sdk_endpoints or {}).items())))
    with ProcessPoolExecutor(max_workers=count, initializer=_start_worker, initargs=(known,)) as pool:
        pool.submit(os.getpid)  # starts the workers now: they load the suffix list while the files are listed
        files = _files(root)
        total = sum(size for _, size in files)
        tasks = _tasks(root, files, known)
        try:
            for found, file_problems, size, entities in _results(pool, tasks, cancelled):
                problems += file_problems
                links.update(entities)
                for key, packed in found.items():
                    tally = _Tally.unpacked(packed)
                    if key in tallies:
                        tallies[key].merge(tally)
                    else:
                        tallies[key] = tally
                done += size
                if progress is not None:
                    progress(done, total)
        except _Cancelled:
            problems.append(InputProblem(str(root), None, "the scan was cancelled; files scanned before are kept"))
            _stop_workers(pool)
        except BrokenProcessPool:  # e.g. a mapped file cut short by another program while it was read (SIGBUS)
            problems.append(InputProblem(str(root), None, "the scan stopped early: a scanning process ended "
                                         "unexpectedly (was a file changed while it was read?); what was "
                                         "scanned before is kept"))  # fmt: skip
    observations, hidden = _observations(tallies, _by_domain(links.take()), min_relevance)
    return ScanResult(observations, problems, hidden)


class _Cancelled(Exception):
    """The user cancelled while the workers scanned."""


def _results(
    pool: ProcessPoolExecutor, tasks: list[Task], cancelled: Callable[[], bool] | None
) -> Iterator[TaskResult]:
    """Each task's result in order (as ``pool.map``), looking at the cancel flag while waiting for one.

    A task may be a 64 MB range or a whole archive: waiting for it to end before looking would keep a cancel
    waiting for seconds.
    """
    futures = [pool.submit(_scan_task, task) for task in tasks]
    for future in futures:
        while True:
            if cancelled is not None and cancelled():
                raise _Cancelled
            try:
                result = future.result(timeout=_CANCEL_POLL)
            except TimeoutError:
                continue
            break
        yield result
        if cancelled is not None and cancelled():
            raise _Cancelled


def _stop_workers(pool: ProcessPoolExecutor) -> None:
    """End the scan now: queued tasks are dropped and the workers, mid-file, are stopped (they hold no state)."""
    # No public way before Python 3.14's terminate_workers(); shutdown() forgets the workers, so they are taken
    # first. The pool then finds them gone and ends its manager thread, which the interpreter's exit waits for.
    processes: dict[int, multiprocessing.Process] = dict(getattr(pool, "_processes", None) or {})
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes.values():
        process.terminate()


def _start_worker(known: Known) -> None:
    """Workers run at a lower priority (one per core would keep a window from repainting) and load early."""
    if hasattr(os, "nice"):
        os.nice(5)
    _scanner(known)


def _by_domain(entities: list[LegalEntity]) -> dict[str, list[LegalEntity]]:
    """Entity text by the registrable domain of the host it was seen near: it counts for every host under it."""
    found: dict[str, list[LegalEntity]] = {}
    for entity in entities:
        found.setdefault(registrable_domain(entity.near) or entity.near, []).append(entity)
    return found


def _observations(
    tallies: dict[str, _Tally], entities: dict[str, list[LegalEntity]], threshold: float = 0.0
) -> tuple[list[Observation], int]:
    """Sightings per host, best first, those of at least ``threshold`` relevance, and the hosts left with none.

    A host's relevance rises a little with each distinct file using it.  The most relevant sighting of a host
    carries the entity text linked to its registrable domain.  What comes out is what ``Sightings`` would keep
    of every sighting, less those under the threshold, which are never made into observations at all (in a
    real app's scan most are: 10k of 17k, each with its evidence and the redaction of its excerpt).
    """
    kept: list[Observation] = []
    summaries: list[Observation] = []
    hidden = 0
    for key, tally in tallies.items():
        bonus = min(0.15, 0.05 * (len(tally.sources) - 1))
        linked = _linked(key, entities) if entities and tally.kept[0][3].host else None
        slots = KEEP_PER_ENDPOINT  # as Sightings keeps them: the first few whole, the rest counted per combination
        shown = len(kept) + len(summaries)
        residual: dict[tuple[int | None, str | None], list[Any]] = {}  # (port, scheme) → [first hit, count]
        sightings = [(1, hit) for *_, hit in sorted(tally.kept, reverse=True, key=lambda entry: entry[:2])]
        for times, hit in [*sightings, *tally.more.values()]:
            if slots:
                slots -= 1
                times -= 1
                relevance = _relevance(hit, bonus)
                if relevance >= threshold:
                    observation = _observation(hit, bonus, relevance)
                    if linked:
                        observation = dataclasses.replace(observation, entities=best(linked))
                    kept.append(observation)
                linked = None
                if times <= 0:
                    continue
            entry = residual.setdefault((hit.port, hit.scheme), [hit, 0])
            entry[1] += times
        for first, count in residual.values():
            relevance = _relevance(first, bonus)
            if relevance >= threshold:
                summaries.append(summary(_observation(first, bonus, relevance), count))
        hidden += len(kept) + len(summaries) == shown
    return kept + summaries, hidden


def _linked(host: str, entities: dict[str, list[LegalEntity]]) -> list[LegalEntity] | None:
    """The entity text linked to ``host``'s registrable domain (or to the host itself, if it has none)."""
    # The suffix list is asked only about hosts under a domain some entity text is linked to, not about all.
    labels = host.split(".")
    if not any(".".join(labels[start:]) in entities for start in range(len(labels))):
        return None
    return entities.get(registrable_domain(host) or host)


def _relevance(hit: Hit, bonus: float) -> float:
    """A sighting's relevance as its observation says it: use in many files supports a likely endpoint."""
    return round(min(1.0, hit.relevance + (bonus if bonus > 0 and hit.relevance >= 0.2 else 0)), 3)


def _observation(hit: Hit, bonus: float, relevance: float) -> Observation:
    evidence = Evidence("static", hit.source, f"offset {hit.offset}", hit.excerpt)
    lifted = bonus > 0 and hit.relevance >= 0.2  # use in many files lifts a likely endpoint, never noise
    reasons = reasons_in_words(hit.why | (SPREAD if lifted else 0))
    return Observation(hit.host, hit.ip, hit.port, hit.scheme, evidence, relevance, relevance_reasons=reasons)
