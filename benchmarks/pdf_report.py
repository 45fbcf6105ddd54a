"""PDF report speed: the whole `databorder report A.json --pdf OUT` command for a 500-endpoint assessment.

Goal (report issue): <= 1.5 s wall on this machine; baseline: a plain 500-row QPdfWriter table takes ~0.4 s here
(measured side by side below, in the same run, as the floor).

    python3 benchmarks/pdf_report.py [--endpoints 500]
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.model.test_model import sample_assessment

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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--endpoints", type=int, default=500)
    args = parser.parse_args()
    base = sample_assessment()
    endpoints = [dataclasses.replace(base.endpoints[0], host=f"h{i:04d}.chat.test") for i in range(args.endpoints)]
    findings = [dataclasses.replace(base.findings[0], endpoint=e.key, message=f"{e.key} is hosted in CN")
                for e in endpoints]  # fmt: skip
    assessment = dataclasses.replace(base, endpoints=tuple(endpoints), findings=tuple(findings))
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "a.json"
        source.write_text(assessment.to_json(), encoding="utf-8")
        env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
        started = time.perf_counter()
        subprocess.run(["databorder", "report", str(source), "--pdf", str(Path(tmp) / "r.pdf")], check=True, env=env)
        whole = time.perf_counter() - started
        pages = subprocess.run(["pdfinfo", str(Path(tmp) / "r.pdf")], capture_output=True, text=True).stdout
        floor = subprocess.run(
            [sys.executable, "-c", FLOOR, str(Path(tmp) / "f.pdf"), str(args.endpoints)],
            capture_output=True,
            text=True,
            env=env,
        ).stdout
    page_count = next((line.split()[-1] for line in pages.splitlines() if line.startswith("Pages:")), "?")
    print(f"databorder report --pdf, {args.endpoints} endpoints + findings ({page_count} pages): {whole:.2f} s "
          f"whole command (goal <= 1.5 s)")  # fmt: skip
    print(f"floor: a plain {args.endpoints}-row QTextDocument table printed by QPdfWriter: {float(floor):.2f} s")


if __name__ == "__main__":
    main()
