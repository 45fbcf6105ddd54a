"""One reusable way to run engine work off the UI thread, with delayed progress and a cancel that sticks.

Modelled on Anki's ``CollectionOp``: the work is a plain function taking an :class:`OperationProgress` (which
satisfies the engine's ``Progress`` protocol), run on the global ``QThreadPool``; its result or error comes back
on the UI thread, to typed callbacks::

    operations.run(work, kind="assess").success(self.show_assessment).failure(self.failed)

Several operations can run at once (an assessment and a database download, say); :class:`Operations` keeps
them by kind, so each is cancelled on its own, and releases each one when it has finished.  The engine reports
progress from the worker thread into a lock-protected slot; the UI polls it on a timer, so a chatty engine never
floods the event loop, and a progress display appears only after a short delay, so quick work never flashes a
dialog.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from PySide6.QtCore import QObject, QRunnable, QThreadPool, QTimer, Signal

log = logging.getLogger(__name__)

T = TypeVar("T")

#: How long work may run before its progress is shown (Anki waits about half a second).
SHOW_PROGRESS_AFTER_MS = 400
#: How often the UI reads the latest progress.
POLL_MS = 100


@dataclass(frozen=True)
class StageProgress:
    """The latest progress the engine reported: which stage, and how far (total 0 = unknown)."""

    stage: str
    done: int
    total: int


class OperationProgress:
    """Thread-safe progress and cancel flag handed to engine functions (the engine's ``Progress`` protocol)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._latest: StageProgress | None = None
        self._cancelled = threading.Event()

    def report(self, stage: str, done: int, total: int) -> None:
        """Called by the engine, from the worker thread."""
        with self._lock:
            self._latest = StageProgress(stage, done, total)

    @property
    def cancelled(self) -> bool:
        """True once the user pressed Cancel."""
        return self._cancelled.is_set()

    def cancel(self) -> None:
        """Ask the engine to stop at its next check (it keeps what it gathered)."""
        self._cancelled.set()

    def latest(self) -> StageProgress | None:
        """The most recent report, read by the UI thread."""
        with self._lock:
            return self._latest


class _Signals(QObject):
    succeeded = Signal(object)
    failed = Signal(object)


class _Runnable(QRunnable):
    def __init__(self, work: Callable[[OperationProgress], Any], progress: OperationProgress, signals: _Signals):
        super().__init__()
        self.setAutoDelete(True)
        self._work = work
        self._progress = progress
        self._signals = signals

    def run(self) -> None:
        try:
            result = self._work(self._progress)
        except BaseException as exc:  # everything goes back to the UI thread, which decides what to show
            log.debug("background operation failed", exc_info=True)
            self._signals.failed.emit(exc)
        else:
            self._signals.succeeded.emit(result)


class BackgroundOperation(QObject, Generic[T]):
    """Run ``work(progress)`` on the thread pool; ``done``/``failed`` fire on the UI thread.

    ``progress_changed`` fires (on the UI thread, at most every ``POLL_MS``) once the work has run longer than
    ``SHOW_PROGRESS_AFTER_MS``; ``show_progress`` fires once at that moment so a view can reveal its progress bar.
    """

    show_progress = Signal()
    progress_changed = Signal(object)  # StageProgress
    done = Signal(object)
    failed = Signal(object)  # the exception
    finished = Signal()  # after done or failed (and their callbacks)

    def __init__(self, work: Callable[[OperationProgress], T], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.progress = OperationProgress()
        self._work = work
        self._signals = _Signals(self)
        self._signals.succeeded.connect(self._finish_ok)
        self._signals.failed.connect(self._finish_error)
        self._poll = QTimer(self)
        self._poll.setInterval(POLL_MS)
        self._poll.timeout.connect(self._read_progress)
        self._reveal = QTimer(self)
        self._reveal.setSingleShot(True)
        self._reveal.timeout.connect(self._start_showing)
        self.running = False

    def success(self, callback: Callable[[T], object]) -> BackgroundOperation[T]:
        """Call ``callback`` with the work's result, on the UI thread."""
        self.done.connect(callback)
        return self

    def failure(self, callback: Callable[[BaseException], object]) -> BackgroundOperation[T]:
        """Call ``callback`` with the exception the work raised, on the UI thread."""
        self.failed.connect(callback)
        return self

    def start(self, pool: QThreadPool | None = None) -> None:
        """Queue the work; returns at once."""
        self.running = True
        self._reveal.start(SHOW_PROGRESS_AFTER_MS)
        (pool or QThreadPool.globalInstance()).start(_Runnable(self._work, self.progress, self._signals))

    def cancel(self) -> None:
        """Ask the work to stop; ``done`` still fires with what it gathered."""
        self.progress.cancel()

    def _start_showing(self) -> None:
        if self.running:
            self.show_progress.emit()
            self._read_progress()
            self._poll.start()

    def _read_progress(self) -> None:
        latest = self.progress.latest()
        if latest is not None:
            self.progress_changed.emit(latest)

    def _stop(self) -> None:
        self.running = False
        self._reveal.stop()
        self._poll.stop()

    def _finish_ok(self, result: object) -> None:
        self._stop()
        self.done.emit(result)
        self.finished.emit()

    def _finish_error(self, exc: object) -> None:
        self._stop()
        self.failed.emit(exc)
        self.finished.emit()


class Operations(QObject):
    """The window's background operations, by kind; each runs, is cancelled and is released on its own."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._running: dict[str, BackgroundOperation[Any]] = {}

    def run(self, work: Callable[[OperationProgress], T], *, kind: str) -> BackgroundOperation[T]:
        """Start ``work`` as the operation of ``kind``; refused (ValueError) while one of that kind runs.

        Callbacks added with ``success``/``failure`` before control returns to the event loop are called: the
        result cannot arrive sooner.
        """
        if kind in self._running:
            raise ValueError(f"a {kind} operation is already running")
        operation: BackgroundOperation[T] = BackgroundOperation(work, self)
        self._running[kind] = operation
        operation.finished.connect(lambda: self._release(kind, operation))
        operation.start()
        return operation

    def current(self, kind: str) -> BackgroundOperation[Any] | None:
        """The running operation of ``kind``, if any."""
        return self._running.get(kind)

    def busy(self, kind: str) -> bool:
        """Whether an operation of ``kind`` is running."""
        return kind in self._running

    def cancel(self, kind: str) -> None:
        """Ask the operation of ``kind`` to stop (it keeps what it gathered); the others go on."""
        operation = self._running.get(kind)
        if operation is not None:
            operation.cancel()

    def cancel_all(self) -> None:
        """Ask every running operation to stop (the window is closing)."""
        for operation in list(self._running.values()):
            operation.cancel()

    def kinds(self) -> list[str]:
        """The kinds running now."""
        return list(self._running)

    def _release(self, kind: str, operation: BackgroundOperation[Any]) -> None:
        if self._running.get(kind) is operation:
            del self._running[kind]
        operation.deleteLater()  # its timers and signals go with it; nothing of a finished operation is kept
