"""The background-operation helper: results and errors come back on the UI thread; progress shows late."""

from __future__ import annotations

import threading
import time

import pytest
from PySide6.QtCore import QThread
from pytestqt.qtbot import QtBot

from databorder.errors import DataBorderError
from databorder.gui.operations import SHOW_PROGRESS_AFTER_MS, BackgroundOperation, OperationProgress, StageProgress

pytestmark = pytest.mark.gui


def test_the_result_arrives_on_the_ui_thread_and_quick_work_shows_no_progress(qtbot: QtBot) -> None:
    ui_thread = QThread.currentThread()
    worker_threads: list[int] = []

    def work(progress: OperationProgress) -> int:
        worker_threads.append(threading.get_ident())
        return 42

    operation: BackgroundOperation[int] = BackgroundOperation(work)
    shown: list[bool] = []
    operation.show_progress.connect(lambda: shown.append(True))
    with qtbot.waitSignal(operation.done, timeout=5000) as blocker:
        operation.start()
    assert blocker.args == [42]
    assert worker_threads and worker_threads[0] != threading.get_ident()
    assert QThread.currentThread() is ui_thread
    qtbot.wait(SHOW_PROGRESS_AFTER_MS + 100)
    assert not shown and not operation.running


def test_slow_work_shows_progress_after_the_delay_and_cancel_reaches_the_worker(qtbot: QtBot) -> None:
    def work(progress: OperationProgress) -> str:
        for i in range(200):
            if progress.cancelled:
                return f"stopped at {i}"
            progress.report("resolve", i, 200)
            time.sleep(0.02)
        return "finished"

    operation: BackgroundOperation[str] = BackgroundOperation(work)
    seen: list[StageProgress] = []
    operation.progress_changed.connect(seen.append)
    with qtbot.waitSignal(operation.show_progress, timeout=3000):
        started = time.monotonic()
        operation.start()
    assert time.monotonic() - started >= SHOW_PROGRESS_AFTER_MS / 1000 - 0.05
    qtbot.waitUntil(lambda: len(seen) >= 2, timeout=3000)
    assert seen[-1].stage == "resolve" and 0 < seen[-1].done < 200 and seen[-1].total == 200
    with qtbot.waitSignal(operation.done, timeout=2000) as blocker:
        operation.cancel()
    assert str(blocker.args[0]).startswith("stopped at")


def test_an_error_in_the_work_comes_back_as_a_signal_not_a_crash(qtbot: QtBot) -> None:
    def work(progress: OperationProgress) -> None:
        raise DataBorderError("the rule pack x.toml, line 3: is broken")

    operation: BackgroundOperation[None] = BackgroundOperation(work)
    with qtbot.waitSignal(operation.failed, timeout=5000) as blocker:
        operation.start()
    assert isinstance(blocker.args[0], DataBorderError)
    assert not operation.running
