"""The desktop app's three figures, each beside its baseline.

1. Cold start of ``databorder-gui`` to a shown, usable window (goal <= 0.8 s), vs an empty PySide6 window.
2. The UI thread's longest stall while a large static scan runs through the app's background operation
   (goal <= 100 ms), from a 5 ms heartbeat timer on the UI thread.
3. Filtering a 5,000-endpoint result table (goal <= 100 ms per filter change).

    python3 benchmarks/gui.py [--scan PATH] [--runs 5]

PATH for (2) is any large app folder or archive (the static-scan benchmark's corpus works); without it a
300 MB file of minified-JavaScript-like text with embedded hostnames is generated in a temp folder.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

EMPTY_WINDOW = """
import time; t = time.perf_counter()
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMainWindow
app = QApplication([]); w = QMainWindow(); w.resize(1280, 800); w.show()
QTimer.singleShot(0, lambda: (print(time.perf_counter() - t, flush=True), app.quit())); app.exec()
"""


def wall(cmd: list[str], env: dict[str, str]) -> float:
    """Seconds from spawning ``cmd`` until it exits (it quits once its window is shown)."""
    started = time.perf_counter()
    subprocess.run(cmd, check=True, env=env, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def cold_start(runs: int) -> None:
    env = {**os.environ, "QT_QPA_PLATFORM": os.environ.get("QT_QPA_PLATFORM", "offscreen")}
    gui = [sys.executable, "-m", "databorder.gui.app", "--quit-after-show"]
    empty = [sys.executable, "-c", EMPTY_WINDOW]
    ours = [wall(gui, env) for _ in range(runs)]
    base = [wall(empty, env) for _ in range(runs)]
    print(f"cold start to a shown window ({env['QT_QPA_PLATFORM']}), whole process, best/median of {runs}:")
    print(f"  databorder-gui      {min(ours):.3f} / {statistics.median(ours):.3f} s   (goal <= 0.8 s)")
    print(f"  empty PySide6 window {min(base):.3f} / {statistics.median(base):.3f} s   (baseline)")


def make_corpus(folder: Path, megabytes: int = 300) -> Path:
    path = folder / "bundle.js"
    chunk = "".join(
        f'var a{i}="https://api{i}.vendor{i % 97}.com/v1/x";function f{i}(e){{return e+{i}}};' for i in range(2000)
    )
    with path.open("w", encoding="utf-8") as handle:
        written = 0
        while written < megabytes * 1_000_000:
            handle.write(chunk)
            written += len(chunk)
    return path


def stall_during_scan(path: Path) -> None:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QElapsedTimer, QEventLoop, QTimer
    from PySide6.QtWidgets import QApplication

    from databorder.collect.static import scan_path
    from databorder.gui.operations import BackgroundOperation, OperationProgress

    app = QApplication.instance() or QApplication([])
    gaps: list[float] = []
    clock = QElapsedTimer()
    clock.start()
    last = [clock.elapsed()]

    def beat() -> None:
        now = clock.elapsed()
        gaps.append(now - last[0])
        last[0] = now

    heartbeat = QTimer()
    heartbeat.setInterval(5)
    heartbeat.timeout.connect(beat)

    def work(progress: OperationProgress) -> int:
        found, _, _ = scan_path(path, progress=lambda d, t: progress.report("collect", d, t), cancelled=lambda: False)
        return len(found)

    operation: BackgroundOperation[int] = BackgroundOperation(work)
    loop = QEventLoop()
    operation.done.connect(lambda _: loop.quit())

    def failed(exc: object) -> None:
        print("scan failed:", exc)
        loop.quit()

    operation.failed.connect(failed)
    started = time.perf_counter()
    heartbeat.start()
    operation.start()
    loop.exec()
    heartbeat.stop()
    took = time.perf_counter() - started
    size = sum(p.stat().st_size for p in ([path] if path.is_file() else path.rglob("*")) if p.is_file())
    gaps.sort()
    print(f"UI heartbeat (5 ms timer) during a static scan of {size / 1e6:,.0f} MB ({took:.1f} s):")
    print(f"  longest stall {gaps[-1]:.0f} ms, 99th percentile {gaps[int(len(gaps) * 0.99)]:.0f} ms, "
          f"{len(gaps):,} beats   (goal: longest <= 100 ms)")  # fmt: skip
    del app


def filter_speed(runs: int) -> None:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication
    from tests.helpers.assessments import varied_assessment

    from databorder.gui.endpoint_model import EndpointFilter, EndpointFilterProxy, EndpointTableModel, build_rows
    from databorder.gui.results import ResultView

    app = QApplication.instance() or QApplication([])
    assessment = varied_assessment(5000)
    started = time.perf_counter()
    view = ResultView()
    view.resize(1280, 800)
    view.show()
    view.show_assessment(assessment)
    app.processEvents()
    shown = time.perf_counter() - started
    model = EndpointTableModel()
    model.show(build_rows(assessment))
    proxy = EndpointFilterProxy()
    proxy.setSourceModel(model)
    filters = [
        EndpointFilter(text="hetzner"),
        EndpointFilter(text="api1"),
        EndpointFilter(country="CN"),
        EndpointFilter(severity="review", hide_low_relevance=True),
        EndpointFilter(role="telemetry", text="us-app"),
        EndpointFilter(),
    ]
    times: list[float] = []
    for _ in range(runs):
        for criteria in filters:
            t = time.perf_counter()
            proxy.set_filter(criteria)
            times.append(time.perf_counter() - t)
    # The same through the real view: typing into the filter box (proxy + view relayout, processed events).
    typed: list[float] = []
    for text in ("h", "he", "het", "hetz", ""):
        t = time.perf_counter()
        view.text_filter.setText(text)
        app.processEvents()
        typed.append(time.perf_counter() - t)
    print("5,000-endpoint table:")
    print(f"  result view filled and shown: {shown * 1000:.0f} ms")
    print(f"  filter change (proxy): worst {max(times) * 1000:.1f} ms, median {statistics.median(times) * 1000:.1f} ms "
          f"over {len(times)} changes   (goal <= 100 ms)")  # fmt: skip
    print(f"  typing in the filter box (view + events): worst {max(typed) * 1000:.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scan", type=Path, help="a large app folder or archive for the stall measurement")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--only", choices=["start", "stall", "filter"])
    args = parser.parse_args()
    if args.only in (None, "start"):
        cold_start(args.runs)
    if args.only in (None, "filter"):
        filter_speed(args.runs)
    if args.only in (None, "stall"):
        if args.scan:
            stall_during_scan(args.scan)
        else:
            with tempfile.TemporaryDirectory() as tmp:
                stall_during_scan(make_corpus(Path(tmp)))


if __name__ == "__main__":
    main()
