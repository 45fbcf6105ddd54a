"""From what the user picked to observations: one function both the CLI and the GUI call.

A request may mix kinds (a catalog app plus a capture of it, say); every collector it names runs in turn and
their observations are assessed together.  What a collector skips becomes a problem in the result — a sentence
naming the file and line — and never stops the others.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from databorder.catalog import CatalogApp
from databorder.collect import CaptureFormat, InputProblem, ReadCancelled, reads_cancelled_by
from databorder.model import Observation, Target, TargetKind

#: Default relevance a name found by a static scan needs to be assessed (``--min-relevance``).
DEFAULT_MIN_RELEVANCE = 0.2
#: Default time to watch a running app's sockets (``--duration``).
DEFAULT_WATCH_SECONDS = 30.0


@dataclass(frozen=True)
class TargetRequest:
    """What to collect from, in the user's terms; any mix of fields may be set."""

    apps: tuple[str, ...] = ()  # catalog app ids
    paths: tuple[Path, ...] = ()  # installed app folders, files or archives to scan
    hosts: tuple[str, ...] = ()  # hosts, URLs or addresses typed by the user
    host_files: tuple[Path, ...] = ()  # files with one host per line
    captures: tuple[Path, ...] = ()  # HAR, pcap/pcapng, proxy logs, CSV
    capture_format: CaptureFormat | None = None  # read every capture as this instead of recognising it
    pids: tuple[int, ...] = ()  # running processes to watch (with their children)
    process_names: tuple[str, ...] = ()  # process names (or catalog ids standing for theirs) to watch
    duration: float = DEFAULT_WATCH_SECONDS
    min_relevance: float = DEFAULT_MIN_RELEVANCE
    all_names: bool = False  # assess every name a scan found, whatever its relevance
    missing: tuple[str, ...] = ()  # arguments written as paths that name nothing on disk (never sent to DNS)

    @property
    def empty(self) -> bool:
        """True when nothing at all was asked for."""
        return not (self.apps or self.paths or self.hosts or self.host_files or self.captures or self.pids) and not (
            self.process_names or self.missing
        )


@dataclass
class Collected:
    """What the collectors gathered, ready for :func:`databorder.assess.assess`."""

    target: Target
    observations: list[Observation]
    problems: list[str] = field(default_factory=list)  # skipped input, one sentence each
    notes: list[str] = field(default_factory=list)  # what was deliberately left out, and why


def split_arguments(values: list[str]) -> TargetRequest:
    """Sort free-form arguments into catalog ids, existing paths and hosts (the CLI's positional arguments)."""
    from databorder.catalog import load_catalog

    apps = load_catalog().apps
    ids = tuple(v.lower() for v in values if v.lower() in apps)
    rest = [v for v in values if v.lower() not in apps]
    on_disk = {v for v in rest if _exists(v)}
    absent = [v for v in rest if v not in on_disk]
    return TargetRequest(
        apps=ids,
        paths=tuple(Path(v) for v in rest if v in on_disk),
        hosts=tuple(v for v in absent if not looks_like_path(v)),
        missing=tuple(v for v in absent if looks_like_path(v)),
    )


#: Endings of the files people scan: a missing ``app.zip`` or ``Tool.app`` is a path mistyped, not a host under
#: the .zip or .app top-level domain (written ``https://app.zip`` it is a host).
_FILE_ENDINGS = (".zip", ".tgz", ".tar", ".tar.gz", ".gz", ".asar", ".vsix", ".whl", ".crx", ".xpi", ".appimage",
                 ".deb", ".rpm", ".dmg", ".pkg", ".exe", ".msi", ".jar", ".app", ".har", ".pcap", ".pcapng",
                 ".log", ".csv", ".json", ".txt")  # fmt: skip


def looks_like_path(value: str) -> bool:
    r"""Whether an argument is written as a file or folder (``./app``, ``/opt/x``, ``~/x``, ``C:\x``, ``app.zip``)."""
    if "://" in value:
        return False
    return (
        value.startswith(("/", "./", "../", "~", ".\\", "..\\"))
        or "\\" in value
        or (len(value) > 2 and value[1] == ":" and value[0].isalpha() and value[2] in "/\\")
        or value.lower().endswith(_FILE_ENDINGS)
    )


def _exists(value: str) -> bool:
    """Whether an argument names something on disk; a name too long (or too odd) to be a path is not one."""
    try:
        return Path(value).exists()
    except (OSError, ValueError):  # ENAMETOOLONG, a NUL byte
        return False


def collect_target(
    request: TargetRequest,
    *,
    progress: Callable[[int, int], None] = lambda done, total: None,
    cancelled: Callable[[], bool] = lambda: False,
    known_domains: frozenset[str] | None = None,
    sdk_endpoints: Mapping[str, str] | None = None,
) -> Collected:
    """Run every collector ``request`` names; progress is reported as (done, total) of the current collector.

    ``known_domains`` are the domains the knowledge layers (catalog, service tables) know an operator for; a
    static scan ranks names under them as data endpoints.  By default, the catalog's own domains.
    ``sdk_endpoints`` are the vendors' SDK packages and their default endpoints: a scanned manifest that declares
    one is a sighting of that endpoint.
    """
    from databorder.catalog import load_catalog
    from databorder.collect.hostlist import observations_from_args

    catalog = load_catalog()
    observations, problems = observations_from_args(list(request.hosts))
    gathered = _Gathered(observations, list(problems))
    gathered.problems += [f"{value}: no such file or folder" for value in request.missing]
    if request.hosts:
        gathered.source("command line", "hosts")
    for app_id in request.apps:
        app = catalog.apps[app_id]
        gathered.observations += app.observations()
        gathered.source(f"{app.name} (catalog)", "catalog")
    if request.paths:
        known = known_domains if known_domains is not None else frozenset(d for d, _ in catalog.service_rows())
        _scan(request, gathered, known, sdk_endpoints or {}, progress, cancelled)
    with reads_cancelled_by(cancelled):  # a cancel stops a file mid-read; what was read before is kept
        _read_files(request, gathered, cancelled)
    if request.pids or request.process_names:
        _watch(request, gathered, catalog.apps, progress, cancelled)
    return gathered.result()


class _Gathered:
    """Observations, problems, notes and a description of the sources, built up collector by collector."""

    def __init__(self, observations: list[Observation], problems: list[InputProblem | str]) -> None:
        self.observations = observations
        self.problems = problems
        self.notes: list[str] = []
        self.sources: list[str] = []
        self.kinds: list[TargetKind] = []

    def source(self, name: str, kind: TargetKind) -> None:
        self.sources.append(name)
        self.kinds.append(kind)

    def result(self) -> Collected:
        # One word for a mixed target: the most specific kind wins (a process watched beats its catalog entry).
        kinds = self.kinds or ["hosts"]
        specific = ("process", "capture", "path", "catalog")
        kind = kinds[0] if len(set(kinds)) == 1 else next(k for k in specific if k in kinds)
        target = Target(kind=kind, name=", ".join(self.sources), detail=f"{len(self.observations)} observations")
        return Collected(target, self.observations, [str(p) for p in self.problems], self.notes)


def _scan(
    request: TargetRequest,
    gathered: _Gathered,
    known: frozenset[str],
    sdks: Mapping[str, str],
    progress: Callable[[int, int], None],
    cancelled: Callable[[], bool],
) -> None:
    from databorder.collect.static import scan_path

    threshold = 0.0 if request.all_names else request.min_relevance
    for path in request.paths:
        if cancelled():
            gathered.problems.append(InputProblem(str(path), None, "not scanned: cancelled before it"))
            continue
        kept, scan_problems, hidden = scan_path(
            path, known_domains=known, sdk_endpoints=sdks, min_relevance=threshold, progress=progress,
            cancelled=cancelled,
        )  # fmt: skip
        if hidden:
            gathered.notes.append(
                f"{path}: {hidden} names below relevance {threshold:g} are not assessed (--all shows them)"
            )
        gathered.observations += kept
        gathered.problems += scan_problems
        gathered.source(str(path), "path")


def _read_files(request: TargetRequest, gathered: _Gathered, cancelled: Callable[[], bool]) -> None:
    """Host lists, then captures; after a cancel, the files not yet opened are named as not read."""
    files = [(path, False) for path in request.host_files] + [(path, True) for path in request.captures]
    for index, (path, capture) in enumerate(files):
        if cancelled():
            gathered.problems += [InputProblem(str(p), None, "not read: cancelled before it") for p, _ in files[index:]]
            return
        try:
            if capture:
                from databorder.collect.captures import read_capture  # with the pcap reader: only when read

                found, file_problems, fmt = read_capture(path, request.capture_format)
                gathered.source(f"{path} ({fmt})", "capture")
            else:
                from databorder.collect.hostlist import read_host_list

                found, file_problems = read_host_list(path)
                gathered.source(str(path), "hosts")
        except ReadCancelled as stop:  # cancelled while the format was being recognised
            gathered.problems.append(stop.problem)
            continue
        gathered.observations += found
        gathered.problems += file_problems


def _watch(
    request: TargetRequest,
    gathered: _Gathered,
    apps: dict[str, CatalogApp],
    progress: Callable[[int, int], None],
    cancelled: Callable[[], bool],
) -> None:
    from databorder.collect.live import find_processes, watch

    # A catalog app id stands for the process names the catalog knows for that app.
    names = [n for value in request.process_names for n in (apps[value].processes if value in apps else [value])]
    processes = find_processes(pids=list(request.pids), names=names)
    found, live_problems = watch(
        processes,
        duration=request.duration,
        progress=lambda done, total: progress(round(done), round(total)),
        cancelled=cancelled,
    )
    gathered.observations += found
    gathered.problems += live_problems
    for p in processes:
        gathered.source(f"process {p.name} (pid {p.pid})", "process")
    if not processes:
        gathered.kinds.append("process")


#: File endings that are captures or logs rather than an app to scan.
CAPTURE_SUFFIXES = frozenset({".har", ".pcap", ".pcapng", ".cap", ".log", ".csv", ".tsv"})


def request_for_path(path: Path) -> TargetRequest:
    """What to do with a file or folder a person dropped or opened: import a capture, or scan an app."""
    if path.is_file() and path.suffix.lower() in CAPTURE_SUFFIXES:
        return TargetRequest(captures=(path,))
    return TargetRequest(paths=(path,))


def is_assessment_file(path: Path) -> bool:
    """True if ``path`` looks like a saved DataBorder assessment (JSON with a verdict and a schema version)."""
    if path.suffix.lower() != ".json" or not path.is_file():
        return False
    try:
        with path.open("rb") as handle:
            head = handle.read(4096).decode("utf-8", "replace")
    except OSError:
        return False
    return head.lstrip().startswith("{") and '"verdict"' in head and '"tool"' in head
