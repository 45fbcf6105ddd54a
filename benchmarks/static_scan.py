"""Static scan speed and memory on real AI CLIs, against ripgrep at its fastest, and what ranks on top.

Corpus (fetched with `npm pack` into a cache folder, never committed): AI coding CLIs and their platform
binaries — several single-file executables over 100 MB. Each package is unpacked once, so both tools read the
same bytes from the page cache. Compared in one run:
- DataBorder: `scan_path` over the unpacked corpus (both cores), in its own process for peak RSS;
- ripgrep 13 in ASCII mode (`(?-u)`, ~18x faster than its Unicode default on binaries), `-a` (binaries as text),
  with an equivalent URL-or-hostname regex, both cores (`-j 2`).
Then the top 20 endpoints of each package, for a person to judge which are noise.

    python3 benchmarks/static_scan.py [--cache DIR] [--top 20]
"""

from __future__ import annotations

import argparse
import shutil
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
    r"""(?-u)(?i)[a-z][a-z0-9+.-]{1,20}://[^\s"'<>`\\^{}|\x00-\x20\x7f-\xff]{3,1000}"""
    r"""|(?:["'`\x00]|//)(?:[a-z0-9](?:[a-z0-9_-]{0,61}[a-z0-9])?\.){1,10}[a-z][a-z0-9-]{0,61}[a-z0-9]"""
)
OURS = """
import resource, sys, time
from pathlib import Path
from databorder.collect.static import scan_path
from databorder.attribute.tables import ServiceTable
from databorder.catalog import load_catalog
known = ServiceTable(base=load_catalog().service_rows()).domains
started = time.perf_counter()
observations, problems = scan_path(Path(sys.argv[1]), known_domains=known)
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
    args = parser.parse_args()
    corpus = fetch(args.cache)
    total = size_of(corpus)
    biggest = max((p for p in corpus.rglob("*") if p.is_file()), key=lambda p: p.stat().st_size)
    print(f"corpus: {total / 2**20:,.0f} MB in {sum(1 for _ in corpus.rglob('*') if _.is_file()):,} files; "
          f"largest single file {biggest.stat().st_size / 2**20:,.0f} MB ({biggest.relative_to(corpus)})")  # fmt: skip
    subprocess.run(["cat", *map(str, [p for p in corpus.rglob("*") if p.is_file()])], stdout=subprocess.DEVNULL)

    rg = shutil.which("rg")
    if rg:
        started = time.perf_counter()
        subprocess.run([rg, "-a", "-o", "-I", "-N", "-j", "2", "--no-ignore", "--hidden", RG_PATTERN, str(corpus)],
                       stdout=subprocess.DEVNULL, check=False)  # fmt: skip
        rg_wall = time.perf_counter() - started
    result = subprocess.run([sys.executable, "-c", OURS, str(corpus)], capture_output=True, text=True, check=True)
    wall, own, workers, names = result.stdout.split()
    print(f"{'':<28}{'wall':>10}{'MB/s':>10}")
    print(f"{'DataBorder scan_path':<28}{float(wall):>9.2f}s{total / 2**20 / float(wall):>10,.0f}"
          f"   peak RSS: main {own} MB, largest worker {workers} MB; {names} names")  # fmt: skip
    if rg:
        print(f"{'ripgrep (?-u) -a -j2':<28}{rg_wall:>9.2f}s{total / 2**20 / rg_wall:>10,.0f}")
        print(f"ratio DataBorder / ripgrep: {float(wall) / rg_wall:.2f}x (goal <= 1.0x)")
    else:
        print("ripgrep not installed (apt-get install ripgrep): no baseline")
    print_top(corpus, args.top)


def print_top(corpus: Path, top: int) -> None:
    from databorder.attribute.tables import ServiceTable
    from databorder.catalog import load_catalog
    from databorder.collect.static import scan_path

    known = ServiceTable(base=load_catalog().service_rows()).domains
    for package in sorted(corpus.iterdir()):
        observations, _ = scan_path(package, known_domains=known)
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
