"""The live collector: the sockets of a running AI app and its child processes, sampled over a while.

Electron apps, language servers and CLIs spawn helpers; the process *tree* is watched, re-read at every sample
so helpers started later are caught.  Each remote address becomes an observation; the orchestrator later gives
it a name (a host resolved in the same assessment, else a forward-confirmed PTR), and loopback or LAN peers are
attributed as local.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import psutil

from databorder.collect import InputProblem, Sightings
from databorder.errors import ProcessAccessError
from databorder.model import Evidence, Observation

_SCHEME_BY_PORT = {443: "https", 80: "http", 8443: "https", 8080: "http"}
_PERMISSION_HINT = (
    "run DataBorder as the user who owns it, or as an administrator (sudo on Linux and macOS); on Linux, "
    "granting CAP_SYS_PTRACE is enough"
)


@dataclass(frozen=True)
class WatchedProcess:
    """A process chosen to watch, named as the user knows it."""

    pid: int
    name: str


def running_processes() -> list[WatchedProcess]:
    """Every process this user may inspect, by name (for a picker); ones that vanish meanwhile are skipped."""
    found = []
    for proc in psutil.process_iter(["pid", "name"]):
        name = proc.info.get("name")
        if name:
            found.append(WatchedProcess(pid=proc.info["pid"], name=name))
    return sorted(found, key=lambda p: (p.name.lower(), p.pid))


def find_processes(*, pids: Iterable[int] = (), names: Iterable[str] = ()) -> list[WatchedProcess]:
    """The processes to watch: by pid, and every process whose name or executable matches a name.

    Raises :class:`ProcessAccessError` with a sentence when a pid is not running or a name matches nothing.
    """
    found: dict[int, WatchedProcess] = {}
    for pid in pids:
        try:
            found[pid] = WatchedProcess(pid, psutil.Process(pid).name())
        except psutil.NoSuchProcess:
            raise ProcessAccessError(f"process {pid} is not running (it may have exited)") from None
        except psutil.AccessDenied:
            raise ProcessAccessError(f"not allowed to look at process {pid}: {_PERMISSION_HINT}") from None
    for name in names:
        wanted = name.casefold()
        matches = [
            WatchedProcess(p.info["pid"], p.info["name"] or name)
            for p in psutil.process_iter(["pid", "name", "exe"])
            if wanted in {(p.info["name"] or "").casefold(), (p.info["exe"] or "").rsplit("/", 1)[-1].casefold()}
        ]
        if not matches:
            raise ProcessAccessError(f"no running process is named {name!r}; is the app started?")
        found.update({m.pid: m for m in matches})
    return list(found.values())


def watch(
    processes: list[WatchedProcess],
    *,
    duration: float,
    interval: float = 0.5,
    progress: Callable[[float, float], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> tuple[list[Observation], list[InputProblem]]:
    """Sample the sockets of ``processes`` and their descendants for ``duration`` seconds (at least once)."""
    sightings = Sightings()
    problems: list[InputProblem] = []
    seen: set[tuple[int, str, int]] = set()
    started = time.monotonic()
    alive = True
    while alive:
        elapsed = time.monotonic() - started
        alive = _sample(processes, elapsed, sightings, problems, seen)
        if progress is not None:
            progress(min(elapsed, duration), duration)
        if elapsed >= duration or (cancelled is not None and cancelled()):
            break
        time.sleep(min(interval, max(0.0, duration - elapsed)))
    if not alive:
        problems.append(InputProblem("live", None, "every watched process has exited; sockets seen before are kept"))
    if progress is not None:
        progress(duration, duration)
    return sightings.observations(), problems


def _sample(
    roots: list[WatchedProcess],
    elapsed: float,
    sightings: Sightings,
    problems: list[InputProblem],
    seen: set[tuple[int, str, int]],
) -> bool:
    """One look at every watched process tree; False when all of them are gone."""
    any_alive = False
    for root in roots:
        try:
            tree = [psutil.Process(root.pid)]
            if tree[0].status() == psutil.STATUS_ZOMBIE:
                continue  # exited, only not yet reaped by its parent
            tree += tree[0].children(recursive=True)
        except psutil.NoSuchProcess:
            continue
        except psutil.AccessDenied:
            _deny(problems, root.pid)
            continue
        any_alive = True
        for process in tree:
            try:
                connections = process.net_connections(kind="inet")
                name = process.name()
            except psutil.NoSuchProcess:
                continue  # a helper that exited between listing and reading
            except psutil.AccessDenied:
                _deny(problems, process.pid)
                continue
            for conn in connections:
                if not conn.raddr:
                    continue  # listening or unconnected sockets reach nobody
                key = (process.pid, conn.raddr.ip, conn.raddr.port)
                if key in seen:
                    continue
                seen.add(key)
                proto = "TCP" if conn.type == 1 else "UDP"
                excerpt = f"{proto} {conn.laddr.ip}:{conn.laddr.port} → {conn.raddr.ip}:{conn.raddr.port}"
                if conn.status and conn.status != "NONE":
                    excerpt += f" ({conn.status})"
                evidence = Evidence("live", f"process {name} (pid {process.pid})", f"at {elapsed:.1f} s", excerpt)
                sightings.add(
                    Observation(
                        host=None,
                        ip=_canonical(conn.raddr.ip),
                        port=conn.raddr.port,
                        scheme=_SCHEME_BY_PORT.get(conn.raddr.port) if proto == "TCP" else None,
                        evidence=evidence,
                    )
                )
    return any_alive


def _canonical(ip: str) -> str:
    # Dual-stack sockets report IPv4 peers as ::ffff:a.b.c.d; the rest of DataBorder speaks plain IPv4.
    return ip[7:] if ip.startswith("::ffff:") and "." in ip else ip.split("%", 1)[0]


def _deny(problems: list[InputProblem], pid: int) -> None:
    message = f"not allowed to read the sockets of process {pid}: {_PERMISSION_HINT}"
    if not any(p.message == message for p in problems):
        problems.append(InputProblem("live", None, message))
