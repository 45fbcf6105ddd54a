from __future__ import annotations

import dataclasses
import io

from rich.console import Console

from databorder.report.console import print_assessment
from tests.model.test_model import sample_assessment


def render(**kwargs: bool) -> str:
    sample = sample_assessment()
    finding = dataclasses.replace(sample.findings[0], adjustments=("pack weight 2: points × 2",))
    sample = dataclasses.replace(sample, findings=(finding,), notes=("pack a is applied through b",))
    buffer = io.StringIO()
    print_assessment(sample, console=Console(file=buffer, width=200, color_system=None), **kwargs)
    return buffer.getvalue()


def test_table_findings_warnings_and_verdict_are_printed() -> None:
    text = render()
    assert "api.chat.test" in text and "→ edge.cdn.test" in text and "203.0.113.10" in text
    assert "AS37963 Alibaba Cloud (CN)" in text and "Chat Ltd (CN)" in text and "prohibit +40" in text
    assert "• PROHIBIT +40 m  [p/r]" in text
    assert "adjusted: pack weight 2: points × 2" in text and "note: pack a is applied through b" in text
    assert "warning: w" in text
    assert text.rstrip().endswith("Verdict: PROHIBIT — score 60/100 (high); packs: p 1")


def test_quiet_prints_only_the_verdict() -> None:
    assert render(quiet=True).strip() == "Verdict: PROHIBIT — score 60/100 (high); packs: p 1"


def test_information_findings_are_grouped_per_rule() -> None:
    sample = sample_assessment()
    info = [
        dataclasses.replace(sample.findings[0], severity="info", points=0, endpoint=f"h{i}.test", rule="unknown",
                            message=f"h{i}.test did not resolve")
        for i in range(8)
    ]  # fmt: skip
    buffer = io.StringIO()
    print_assessment(dataclasses.replace(sample, findings=(sample.findings[0], *info)),
                     console=Console(file=buffer, width=300, color_system=None))  # fmt: skip
    text = buffer.getvalue()
    assert "• PROHIBIT +40 m  [p/r]" in text
    assert "• INFO 8 endpoints: h0.test, h1.test, h2.test, h3.test, h4.test, h5.test and 2 more" in text
    assert text.count("INFO") == 1
