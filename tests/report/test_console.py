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


def render_big(*, full: bool) -> str:
    from tests.helpers.assessments import varied_assessment

    buffer = io.StringIO()
    print_assessment(varied_assessment(120), full=full, console=Console(file=buffer, width=250, color_system=None))
    return buffer.getvalue()


def test_a_big_assessment_shows_every_prohibited_endpoint_then_the_most_relevant_up_to_the_limit() -> None:
    from databorder.report.console import FINDING_LINES, TABLE_ROWS
    from tests.helpers.assessments import varied_assessment

    assessment = varied_assessment(120)
    worst = {f.endpoint: f.severity for f in assessment.findings if f.severity == "prohibit"}
    assert len(worst) > TABLE_ROWS  # the limit cannot hide a prohibited endpoint
    text = render_big(full=False)
    shown = {e.key for e in assessment.endpoints if f"│ {e.key} " in text}
    assert set(worst) <= shown and len(shown) == len(worst)
    assert f"{120 - len(shown)} more endpoints (" in text and "--full lists them all" in text
    weighty = sum(1 for f in assessment.findings if f.severity != "info")
    assert text.count("• PROHIBIT") + text.count("• REVIEW") == FINDING_LINES
    assert f"… {weighty - FINDING_LINES} more findings" in text


def test_full_prints_every_endpoint_and_finding() -> None:
    from tests.helpers.assessments import varied_assessment

    assessment = varied_assessment(120)
    text = render_big(full=True)
    assert all(f"│ {e.key} " in text for e in assessment.endpoints)
    assert "more endpoints" not in text and "more findings" not in text
    assert text.count("• PROHIBIT") + text.count("• REVIEW") == sum(f.severity != "info" for f in assessment.findings)


def test_a_small_assessment_is_printed_whole_in_its_own_order() -> None:
    from tests.helpers.assessments import varied_assessment

    assessment = varied_assessment(12)
    buffer = io.StringIO()
    print_assessment(assessment, console=Console(file=buffer, width=250, color_system=None))
    text = buffer.getvalue()
    places = [text.index(f"│ {e.key} ") for e in assessment.endpoints]
    assert places == sorted(places) and "more endpoints" not in text


def test_a_cloud_region_is_shown_as_provider_region_city_and_country() -> None:
    from tests.helpers.assessments import full_assessment

    buffer = io.StringIO()
    print_assessment(full_assessment(), console=Console(file=buffer, width=220, color_system=None), full=True)
    assert "AWS ap-east-1 (Hong Kong, HK)" in buffer.getvalue()
