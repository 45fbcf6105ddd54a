"""PDF report speed and size on real assessments: the whole `databorder report A.json --pdf OUT` command.

Inputs are assessments made from real packages, never committed, e.g. Qwen Code's npm package:

    npm pack @qwen-code/qwen-code && mkdir q && tar xzf qwen-code-qwen-code-*.tgz -C q
    databorder assess q/package --offline --pack us-navy-genai --json qwen.json

For each assessment given: pages, the whole command's wall time (median and best of --runs), and whether the
PDF's text copies true (no ligature U+FB00–U+FB06, no zero-width character).  Then one of --endpoints N
(default 500) made from the first assessment: its N most relevant endpoints and their findings when it has that
many, else its endpoints repeated under renamed hosts (the output says which).  Goal (report issue): <= 1.5 s
wall for 500 endpoints; the floor beside it is a plain N-row QTextDocument table printed by QPdfWriter.

    python3 benchmarks/pdf_report.py A.json [B.json ...] [--endpoints 500] [--runs 5]
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

_CODE = Path(__file__).resolve().parents[1] / "desktop"  # this checkout's code, in this process and the commands
sys.path.insert(0, str(_CODE))
from databorder.model import Assessment, Endpoint, Finding  # noqa: E402 - after the path to this checkout's code

FLOOR = """
import sys, time
from PySide6.QtGui import QGuiApplication, QPdfWriter, QTextDocument, QPainter
app = QGuiApplication(["x"])
started = time.perf_counter()
writer = QPdfWriter(sys.argv[1]); doc = QTextDocument()
doc.documentLayout().setPaintDevice(writer)
row = "<tr><td>h{}.chat.test</td><td>CN</td><td>Alibaba</td><td>prohibit</td></tr>"
rows = "".join(row.format(i) for i in range(int(sys.argv[2])))
doc.setHtml(f"<table><thead><tr><th>a</th><th>b</th><th>c</th><th>d</th></tr></thead>{rows}</table>")
doc.print_(writer)
print(time.perf_counter() - started)
"""
_ENV = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(_CODE)}


def sized(assessment: Assessment, count: int) -> tuple[Assessment, str]:
    """An assessment of ``count`` endpoints made from a real one, and how it was made."""
    real = len(assessment.endpoints)
    if real >= count:
        kept = sorted(assessment.endpoints, key=lambda e: (-e.relevance, e.key))[:count]
        keys = {e.key for e in kept}
        findings = tuple(f for f in assessment.findings if f.endpoint in keys)
        how = f"its {count} most relevant of {real} real endpoints, with their {len(findings)} findings"
        return dataclasses.replace(assessment, endpoints=tuple(kept), findings=findings), how
    endpoints: list[Endpoint] = []
    repeated: list[Finding] = []
    for i in range(count):
        e = assessment.endpoints[i % real]
        host = e.key if i < real else f"r{i // real}.{e.key}"
        endpoints.append(dataclasses.replace(e, host=host, ip=None if e.host is None and i >= real else e.ip))
        repeated += [dataclasses.replace(f, endpoint=host, message=f.message.replace(e.key, host))
                     for f in assessment.findings if f.endpoint == e.key]  # fmt: skip
    how = f"its {real} real endpoints repeated under renamed hosts to {count}, with {len(repeated)} findings"
    return dataclasses.replace(assessment, endpoints=tuple(endpoints), findings=tuple(repeated)), how


def measure(source: Path, out: Path, runs: int) -> tuple[list[float], str, str]:
    """Wall times of the whole command, the page count and what pdftotext finds that would not copy true."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "databorder", "report", str(source), "--pdf", str(out)], check=True,
                       env=_ENV)  # fmt: skip
        times.append(time.perf_counter() - started)
    info = subprocess.run(["pdfinfo", str(out)], capture_output=True, text=True, check=True).stdout
    pages = next((line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")), "?")
    copied = subprocess.run(["pdftotext", str(out), "-"], capture_output=True, text=True, check=True).stdout
    ligatures = len(re.findall("[\ufb00-\ufb06]", copied))
    hidden = len(re.findall("[\u200b-\u200d\u2060\ufeff]", copied))
    return times, pages, f"{ligatures} ligatures, {hidden} zero-width characters in its text"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("assessments", nargs="+", type=Path, help="assessment JSON files made from real packages")
    parser.add_argument("--endpoints", type=int, default=500)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        first = Assessment.from_json(args.assessments[0].read_text(encoding="utf-8"))
        made, how = sized(first, args.endpoints)
        big = Path(tmp) / f"{args.endpoints}.json"
        big.write_text(made.to_json(), encoding="utf-8")
        for source in [*args.assessments, big]:
            a = Assessment.from_json(source.read_text(encoding="utf-8"))
            times, pages, copies = measure(source, Path(tmp) / "r.pdf", args.runs)
            label = f"{args.assessments[0].name}: {how}" if source == big else source.name
            print(f"{label}\n  {len(a.endpoints)} endpoints, {len(a.findings)} findings -> {pages} pages; "
                  f"report --pdf {statistics.median(times):.2f} s median, {min(times):.2f} s best of {args.runs}; "
                  f"{copies}")  # fmt: skip
        floor = subprocess.run([sys.executable, "-c", FLOOR, str(Path(tmp) / "f.pdf"), str(args.endpoints)],
                               capture_output=True, text=True, env=_ENV, check=True).stdout  # fmt: skip
    print(f"goal: <= 1.5 s for {args.endpoints} endpoints; floor, a plain {args.endpoints}-row QTextDocument table "
          f"printed by QPdfWriter (no start-up): {float(floor):.2f} s")  # fmt: skip


if __name__ == "__main__":
    main()
