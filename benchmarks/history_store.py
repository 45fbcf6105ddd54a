"""The history store at 1,000 assessments: how long `history`, `diff` and `export` take, and the store's size.

Goals (fleet issue): `history` <= 0.2 s, `diff` <= 0.1 s, `export` of all <= 2 s. Each figure is the command's
own function run in this process (the store opened, the work done, the output written), best of 5; the
assessments are the test suite's varied ones (40 endpoints over six countries, with findings) spread over 50
targets, each a little different from the one before, so every `changes_since` has something in it.

    python3 benchmarks/history_store.py [--count 1000] [--endpoints 40]
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import io
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parents[1]), str(Path(__file__).resolve().parent)]
from tests.helpers.assessments import varied_assessment  # noqa: E402

from attribution import best_of  # noqa: E402  (benchmarks/attribution.py)
from databorder.cli import main as cli  # noqa: E402
from databorder.history import HistoryStore, history_path  # noqa: E402
from databorder.model import Target  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--endpoints", type=int, default=40)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="databorder-history-"))
    os.environ["XDG_DATA_HOME"] = str(folder)
    base = varied_assessment(args.endpoints + 5)
    started = time.perf_counter()
    with HistoryStore() as store:
        for i in range(args.count):
            endpoints = base.endpoints[i % 5 : i % 5 + args.endpoints]  # a few endpoints come and go
            store.record(
                dataclasses.replace(
                    base,
                    target=Target(kind="path", name=f"app-{i % 50}"),
                    created=f"2026-{1 + i * 12 // args.count:02d}-01T00:00:00+00:00",
                    endpoints=endpoints,
                )
            )
    filled = time.perf_counter() - started
    size = sum(p.stat().st_size for p in history_path().parent.glob("history.sqlite3*"))
    out = folder / "all.ndjson"

    def quiet(*argv: str) -> Callable[[], object]:
        def run() -> object:
            with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
                return cli(list(argv))

        return run

    figures = [
        ("history (50 newest listed)", best_of(5, quiet("history")), 0.2),
        ("history app-7 (20 of 1,000)", best_of(5, quiet("history", "app-7")), 0.2),
        ("diff 1 951", best_of(5, quiet("diff", "1", str(args.count - 49))), 0.1),
        ("export --format ecs (all)", best_of(3, quiet("export", "--format", "ecs", "--out", str(out))), 2.0),
        ("export --format ocsf (all)", best_of(3, quiet("export", "--format", "ocsf", "--out", str(out))), 2.0),
    ]
    print(f"{args.count:,} assessments of {args.endpoints} endpoints kept in {filled:.1f} s "
          f"({filled / args.count * 1000:.1f} ms each, WAL, synchronous=FULL)")  # fmt: skip
    print(f"store size: {size / 1e6:.1f} MB ({size / args.count / 1e3:.1f} kB an assessment)")
    for label, seconds, goal in figures:
        print(f"{label:32} {seconds:7.3f} s   goal <= {goal:g} s   {'ok' if seconds <= goal else 'SLOWER'}")
    print(f"last export: {out.stat().st_size / 1e6:.1f} MB, {sum(1 for _ in out.open()):,} lines")
    shutil.rmtree(folder)


if __name__ == "__main__":
    main()
