"""The packaged app's figures, beside their goals: installed size, CLI start, GUI cold start, .deb size.

    python3 benchmarks/frozen_app.py [--frozen dist/databorder] [--deb dist/databorder_0.1.0_amd64.deb] [--runs 5]

Build first with packaging/build_frozen.sh (and packaging/build_deb.py for the .deb figure).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def size_mb(folder: Path) -> float:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink()) / 1e6


def timed(cmd: list[str], runs: int) -> list[float]:
    env = {**os.environ, "QT_QPA_PLATFORM": os.environ.get("QT_QPA_PLATFORM", "offscreen")}
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(cmd, check=True, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times.append(time.perf_counter() - started)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--frozen", type=Path, default=ROOT / "dist" / "databorder")
    parser.add_argument("--deb", type=Path, default=None)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    cli = timed([str(args.frozen / "databorder"), "--version"], args.runs)
    gui = timed([str(args.frozen / "databorder-gui"), "--quit-after-show"], args.runs)
    print(f"onedir installed size: {size_mb(args.frozen):.0f} MB   (goal <= 160 MB)")
    print(
        f"frozen `databorder --version`: best {min(cli):.2f} s, median {statistics.median(cli):.2f} s   (goal <= 0.5 s)"
    )
    print(f"frozen `databorder-gui` to a shown window (whole process): best {min(gui):.2f} s, "
          f"median {statistics.median(gui):.2f} s   (goal <= 1 s)")  # fmt: skip
    deb = args.deb or next(iter(sorted((ROOT / "dist").glob("databorder_*_amd64.deb"))), None)
    if deb is not None:
        print(f".deb: {deb.name} {deb.stat().st_size / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
