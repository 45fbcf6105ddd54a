"""Static scan speed and memory on real AI CLIs, against ripgrep at its fastest, and what ranks on top.

Corpus (fetched with `npm pack` into a cache folder, never committed): AI coding CLIs and their platform
binaries — several single-file executables over 100 MB. Each package is unpacked once, so both tools read the
same bytes from the page cache. Compared in one run:
- DataBorder: `scan_path` over the unpacked corpus (both cores), in its own process for peak RSS;
- the whole command a user runs, `databorder assess CORPUS --offline --json OUT` (scan, attribution, rules,
  console table and JSON), against ripgrep reading the same content;
- ripgrep 13 in ASCII mode (`(?-u)`, ~18x faster than its Unicode default on binaries), `-a` (binaries as text),
  with an equivalent URL-or-hostname regex, both cores (`-j 2`).
Two comparisons: the same bytes (our opening of archives inside executables switched off, the goal's
definition: both tools are given the same files; DataBorder skips executables' machine code, which holds no
strings, and the figure says how much that is), and the same content (ours as shipped, which also inflates and
reads the archives a node single-executable app carries as assets; ripgrep then also reads those archives
unpacked beforehand).
Then the top 20 endpoints of each package, for a person to judge which are noise.

    python3 benchmarks/static_scan.py [--cache DIR] [--top 20] [--repeat 5]
"""

from __future__ import annotations

import argparse
import mmap
import shutil
import statistics
import subprocess
import sys
import tarfile
import time
from pathlib import Path

PACKAGES = [
    "@anthropic-ai/claude-code@2.1.331",
    "@anthropic-ai/claude-code-linux-x64@2.1.331",
    "@openai/codex@0.169.0",
    "@openai/codex@0.169.0-linux-x64",
    "@github/copilot@1.0.102",
    "@github/copilot-linux-x64@1.0.102",
    "@google/gemini-cli@0.61.0",
    "@qwen-code/qwen-code@0.24.4",
    "opencode-linux-x64@1.18.34",
]
RG_PATTERN = (
    r"""(?-u)(?i)[a-z][a-z0-9+.-]{1,20}://[^\s"'<>`\\^|\x00-\x20\x7f-\xff]{3,1000}"""
    r"""|(?:["'`\x00]|//)(?:[a-z0-9](?:[a-z0-9_-]{0,61}[a-z0-9])?\.){1,10}[a-z][a-z0-9-]{0,61}[a-z0-9]"""
)
OURS = """
import resource, sys, time
from pathlib import Path
from databorder.collect.static import scan, scan_path
if sys.argv[2] == "plain":
    scan.sea_assets = lambda data: []  # the same bytes as ripgrep: archives inside executables stay closed
from databorder.attribute.tables import ServiceTable
from databorder.catalog import load_catalog
known = ServiceTable(base=load_catalog().service_rows()).domains
started = time.perf_counter()
observations, problems, _ = scan_path(Path(sys.argv[1]), known_domains=known)
wall = time.perf_counter() - started
children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024
own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
print(f"{wall:.2f} {own} {children} {len({o.host or o.ip for o in observations})}")
"""


def fetch(cache: Path) -> Path:
    """Download (once) and unpack every package under cache/corpus/<name>/."""
    corpus = cache / "corpus"
    tarballs = cache / "tarballs"
    tarballs.mkdir(parents=True, exist_ok=True)
    for spec in PACKAGES:
        folder = corpus / spec.replace("@", "").replace("/", "-")
        if folder.exists():
            continue
        result = subprocess.run(["npm", "pack", spec, "--silent"], cwd=tarballs, capture_output=True, text=True)
        if result.returncode != 0:
            print(f"skipped {spec}: {result.stderr.strip().splitlines()[-1:]}", file=sys.stderr)
            continue
        tarball = tarballs / result.stdout.strip().splitlines()[-1]
        folder.mkdir(parents=True)
        with tarfile.open(tarball) as archive:
            archive.extractall(folder, filter="data")
    return corpus


def size_of(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cache", type=Path, default=Path.home() / ".cache" / "databorder-bench")
    parser.add_argument("--top", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=5, help="rounds of the whole command against ripgrep")
    args = parser.parse_args()
    corpus = fetch(args.cache)
    total = size_of(corpus)
    biggest = max((p for p in corpus.rglob("*") if p.is_file()), key=lambda p: p.stat().st_size)
    print(f"corpus: {total / 2**20:,.0f} MB in {sum(1 for _ in corpus.rglob('*') if _.is_file()):,} files; "
          f"largest single file {biggest.stat().st_size / 2**20:,.0f} MB ({biggest.relative_to(corpus)})")  # fmt: skip
    subprocess.run(["cat", *map(str, [p for p in corpus.rglob("*") if p.is_file()])], stdout=subprocess.DEVNULL)

    print(f"machine code in executables: {machine_code(corpus) / 2**20:,.0f} MB (not searched by DataBorder: it "
          "holds no strings; ripgrep reads it)")  # fmt: skip
    embedded = unpack_embedded(args.cache, corpus)
    subprocess.run(["cat", *map(str, [p for p in embedded.rglob("*") if p.is_file()])], stdout=subprocess.DEVNULL)
    extra = size_of(embedded)
    print(f"archives inside executables: {extra / 2**20:,.0f} MB unpacked (read by ours; by ripgrep from a copy)")
    print(f"{'':<44}{'wall':>10}{'MB/s':>10}")
    rg = shutil.which("rg")
    for label, mode, folders, size in (("same bytes", "plain", [corpus], total),
                                       ("same content", "shipped", [corpus, embedded], total + extra)):  # fmt: skip
        wall, own, workers, names = run_ours(corpus, mode)
        print(f"{'DataBorder, ' + label:<44}{wall:>9.2f}s{size / 2**20 / wall:>10,.0f}"
              f"   peak RSS: main {own} MB, largest worker {workers} MB; {names} names")  # fmt: skip
        if rg:
            rg_wall = run_rg(rg, folders)
            print(f"{'ripgrep (?-u) -a -j2, ' + label:<44}{rg_wall:>9.2f}s{size / 2**20 / rg_wall:>10,.0f}")
            print(f"  ratio DataBorder / ripgrep, {label}: {wall / rg_wall:.2f}x (goal <= 1.0x)")
    if not rg:
        print("ripgrep not installed (apt-get install ripgrep): no baseline")
    else:
        compare_whole(rg, corpus, embedded, args.repeat)
    print_top(corpus, args.top)


def compare_whole(rg: str, corpus: Path, embedded: Path, repeat: int) -> None:
    """The whole command against ripgrep, interleaved round by round, wall and CPU (user + system, children too).

    The machine is shared: each round runs the four side by side, and the medians of the per-round ratios are
    what to compare. "Same bytes": the command with archives inside executables left closed, ripgrep on the
    corpus; "same content": the command as shipped, ripgrep also on the archives unpacked beforehand.
    """
    rows: dict[str, list[tuple[float, float, int]]] = {key: [] for key in ("rg bytes", "ours bytes", "rg content",
                                                                            "ours content")}  # fmt: skip
    for round_number in range(1, repeat + 1):
        rows["rg bytes"].append(timed([rg, *RG_ARGS, RG_PATTERN, str(corpus)]))
        rows["ours bytes"].append(timed([sys.executable, "-c", WHOLE, "plain", str(corpus)]))
        rows["rg content"].append(timed([rg, *RG_ARGS, RG_PATTERN, str(corpus), str(embedded)]))
        rows["ours content"].append(timed([sys.executable, "-c", WHOLE, "shipped", str(corpus)]))
        latest = [(key, *values[-1][:2]) for key, values in rows.items()]
        print(f"round {round_number}: " + "; ".join(f"{key} {wall:.2f}s wall {cpu:.2f}s CPU" for key, wall, cpu in
                                                    latest))  # fmt: skip
    for label, key in (("same bytes", "bytes"), ("same content", "content")):
        ours, base = rows[f"ours {key}"], rows[f"rg {key}"]
        wall = statistics.median(o[0] / b[0] for o, b in zip(ours, base, strict=True))
        cpu = statistics.median(o[1] / b[1] for o, b in zip(ours, base, strict=True))
        print(f"databorder assess CORPUS --offline --json vs ripgrep, {label}: median of {repeat} rounds "
              f"{wall:.2f}x wall, {cpu:.2f}x CPU (goal <= 1.0x wall); peak RSS of the command "
              f"{max(o[2] for o in ours)} MB")  # fmt: skip


#: The whole command a user runs; "plain" leaves the archives inside executables closed (the same bytes as rg).
WHOLE = """
import sys, tempfile
if sys.argv[1] == "plain":
    from databorder.collect.static import scan
    scan.sea_assets = lambda data: []
from databorder.cli import main
with tempfile.TemporaryDirectory() as tmp:
    raise SystemExit(main(["assess", sys.argv[2], "--offline", "--no-history", "--json", f"{tmp}/a.json"]))
"""


def timed(command: list[str]) -> tuple[float, float, int]:
    """Wall seconds, CPU seconds (user + system, with its children) and peak RSS (MB) of one process."""
    import os

    started = time.perf_counter()
    child = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - started
    code = os.waitstatus_to_exitcode(status)
    if code not in (0, 1) or (code == 1 and "rg" not in Path(command[0]).name):  # rg says 1 for "no match"
        raise SystemExit(f"{command[0]} failed with status {code}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss // 1024


def run_ours(corpus: Path, mode: str) -> tuple[float, str, str, str]:
    result = subprocess.run([sys.executable, "-c", OURS, str(corpus), mode], capture_output=True, text=True,
                            check=True)  # fmt: skip
    wall, own, workers, names = result.stdout.split()
    return float(wall), own, workers, names


RG_ARGS = ["-a", "-o", "-I", "-N", "-j", "2", "--no-ignore", "--hidden"]


def run_rg(rg: str, folders: list[Path]) -> float:
    started = time.perf_counter()
    subprocess.run([rg, *RG_ARGS, RG_PATTERN, *map(str, folders)], stdout=subprocess.DEVNULL, check=False)
    return time.perf_counter() - started


def machine_code(corpus: Path) -> int:
    """Bytes of the corpus's executables that are machine code (collect/static/machine_code.py)."""
    from databorder.collect.static.machine_code import code_ranges

    total = 0
    for path in corpus.rglob("*"):
        if path.is_file() and not path.is_symlink() and path.stat().st_size >= 1 << 20:
            with path.open("rb") as handle, mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as data:
                total += sum(end - start for start, end in code_ranges(data))
    return total


def unpack_embedded(cache: Path, corpus: Path) -> Path:
    """Unpack (once) the archives node executables in the corpus carry as assets, for ripgrep to read."""
    from databorder.collect.static.sea import sea_assets

    target = cache / "embedded"
    if target.exists():
        return target
    target.mkdir()
    for path in corpus.rglob("*"):
        if not path.is_file() or path.is_symlink() or path.stat().st_size < 1 << 20:
            continue
        with path.open("rb") as handle, mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as data:
            assets = sea_assets(data)
        for asset in assets:
            # Streamed, not read whole: this process's peak memory is inherited by the measured ones it starts.
            with path.open("rb") as handle:
                handle.seek(asset.offset)
                try:
                    with tarfile.open(fileobj=handle, mode="r|*") as archive:
                        archive.extractall(target / f"{path.name}!{asset.name}", filter="data")
                except tarfile.TarError:
                    continue  # not an archive: ripgrep reads it in the executable already
    return target


def print_top(corpus: Path, top: int) -> None:
    from databorder.attribute.tables import ServiceTable
    from databorder.catalog import load_catalog
    from databorder.collect.static import scan_path

    known = ServiceTable(base=load_catalog().service_rows()).domains
    for package in sorted(corpus.iterdir()):
        observations, _, _ = scan_path(package, known_domains=known)
        best: dict[str, tuple[float, str]] = {}
        for o in observations:
            key = o.host or str(o.ip)
            if o.relevance > best.get(key, (0.0, ""))[0]:
                best[key] = (o.relevance, o.evidence.source.rsplit("/", 1)[-1])
        ranked = sorted(best.items(), key=lambda item: -item[1][0])[:top]
        print(f"\n{package.name}: top {len(ranked)} of {len(best)} names")
        for name, (relevance, where) in ranked:
            print(f"  {relevance:.2f}  {name:<45} {where}")


if __name__ == "__main__":
    main()
