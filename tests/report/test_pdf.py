"""The PDF read back with poppler-utils, as an auditor's tools would read it."""

from __future__ import annotations

import dataclasses
import subprocess
import unicodedata
from pathlib import Path

import pytest

from databorder.model import AddressAttribution, Assessment, Endpoint, Evidence, Finding, Resolution
from databorder.report.pdf import render_pdf, text
from tests.model.test_model import sample_assessment


def pdftotext(path: Path) -> str:
    out = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout
    return unicodedata.normalize("NFKC", out)


def pdfinfo(path: Path, *extra: str) -> str:
    return subprocess.run(["pdfinfo", *extra, str(path)], capture_output=True, text=True, check=True).stdout


def many(count: int, hostile: bool = False) -> Assessment:
    base = sample_assessment()
    template = base.endpoints[0]
    endpoints = []
    findings = []
    for i in range(count):
        host = f"h{i:04d}.chat.test"
        endpoints.append(dataclasses.replace(template, host=host))
        findings.append(dataclasses.replace(base.findings[0], endpoint=host, message=f"{host} is hosted in CN"))
    if hostile:
        nasty = "<b>bold</b>&amp;" + "x" * 500
        short = "<b>bold</b>&amp; 中文测试 \u202e\u0627\u0644\u0639\u0631\u0628\u064a\u0629 \x07"
        endpoints.append(
            Endpoint(host="evil.test", ip=None, registrable_domain=None, relevance=0.5,
                     evidence=(Evidence("static", nasty, "offset 1", nasty),), resolution=Resolution("ok"),
                     addresses=(AddressAttribution("203.0.113.9", "public", "CN", None, nasty, None, False),))
        )  # fmt: skip
        findings.append(Finding("r", "p", "review", 5, "evil.test", short, "hosting", nasty, "<i>cite</i>"))
    return dataclasses.replace(base, endpoints=tuple(endpoints), findings=tuple(findings))


def test_report_contents_metadata_and_citations(tmp_path: Path) -> None:
    path = tmp_path / "r.pdf"
    pages = render_pdf(sample_assessment(), path)
    content = pdftotext(path)
    for expected in (
        "DataBorder risk report",
        "PROHIBIT",
        "Risk score 60/100 (high)",
        "api.chat.test",
        "Chat Ltd",
        "CN",
        "Method and provenance",
        "Limits",
        "Appendix: evidence",
        f"Page 1 of {pages}",
    ):
        assert expected in content, expected  # fmt: skip
    info = pdfinfo(path)
    assert "Title:           DataBorder risk report: hosts.txt" in info
    assert "Creator:         DataBorder 0.1.0" in info and f"Pages:           {pages}" in info


def test_pages_grow_with_endpoints_and_headers_repeat(tmp_path: Path) -> None:
    small, large = tmp_path / "s.pdf", tmp_path / "l.pdf"
    few = render_pdf(many(5), small)
    lots = render_pdf(many(300), large)
    assert lots > few + 3
    content = pdftotext(large)
    assert content.count("Endpoint") > 5  # the table header repeats on the pages it spans
    assert "h0299.chat.test" in content


def test_hostile_strings_are_escaped_shortened_and_cannot_inject_markup(tmp_path: Path) -> None:
    path = tmp_path / "h.pdf"
    render_pdf(many(1, hostile=True), path)
    content = pdftotext(path)
    assert "<b>bold</" in content  # shown as text, not interpreted (and wrapped where it is long)
    assert "x" * 600 not in content.replace("\n", "")
    assert "..." in content  # the ellipsis, after NFKC
    assert "中文测试" in content  # CJK glyphs exist (a font with them is installed)
    assert text("a\x07b<c") == "ab&lt;c"
    assert text("\u0627<") == "\u2068\u0627&lt;\u2069"  # right-to-left text is isolated


def test_pdf_a_and_letter_paper(tmp_path: Path) -> None:
    path = tmp_path / "a.pdf"
    render_pdf(sample_assessment(), path, pdf_a=True, paper="letter")
    meta = pdfinfo(path, "-meta")
    assert "pdfaid:part" in meta and "1" in meta.split("pdfaid:part")[1][:10]
    assert "pdfaid:conformance" in meta
    assert "612 x 792 pts (letter)" in pdfinfo(path)


def test_unwritable_target_is_one_sentence(tmp_path: Path) -> None:
    from databorder.errors import DataBorderError

    with pytest.raises(DataBorderError, match=r"cannot write the PDF report: the folder .* does not exist"):
        render_pdf(sample_assessment(), tmp_path / "missing-folder" / "r.pdf")
    with pytest.raises(DataBorderError, match="paper must be one of"):
        render_pdf(sample_assessment(), tmp_path / "r.pdf", paper="a5")


def test_registry_records_and_notes_are_in_the_method_section(tmp_path: Path) -> None:
    from databorder.model import Registration

    base = sample_assessment()
    first = base.endpoints[0]
    record = Registration(
        url="https://rdap.test/ip/203.0.113.10",
        rir="APNIC",
        network_name="CHATNET-CN",
        range="203.0.113.0 – 203.0.113.255",
        organisation="Chat Networks Ltd",
        country="HK",
    )
    failed = Registration(url="https://rdap.test/ip/2001:db8::10", error="the registry has no record for this address")
    addresses = (
        dataclasses.replace(first.addresses[0], registration=record),
        AddressAttribution("2001:db8::10", "public", "CN", None, None, None, False, registration=failed),
    )
    assessment = dataclasses.replace(
        base,
        endpoints=(dataclasses.replace(first, addresses=addresses), *base.endpoints[1:]),
        notes=("203.0.113.10: its registry (APNIC) records HK for the network, GeoIP places it in CN",),
    )
    path = tmp_path / "r.pdf"
    render_pdf(assessment, path)
    content = " ".join(pdftotext(path).split())
    assert "Registry records (RDAP)" in content
    assert "Chat Networks Ltd" in content and "CHATNET-CN" in content and "HK (differs)" in content
    assert "GeoIP places it in CN" in content  # the note
    assert "not available: the registry has no record for this address" in content
    plain = tmp_path / "plain.pdf"
    render_pdf(base, plain)
    assert "Registry records" not in pdftotext(plain)  # only when RDAP was used


def test_the_owner_chain_and_what_could_not_be_attributed_are_in_the_report(tmp_path: Path) -> None:
    from tests.helpers.assessments import who_runs_it_assessment

    out = tmp_path / "who.pdf"
    render_pdf(who_runs_it_assessment(), out)
    words = " ".join(pdftotext(out).split())
    assert "Chat Pte. Ltd. (SG), owned by Chat" in words and "Holdings Ltd. (CN)" in words  # a table cell wraps
    assert "Could not attribute (1)" in words and "api.nobody-knows.example" in words
    assert "Whose law reaches the operators" in words and "CN (1 endpoints)" in words


def test_cloud_regions_are_listed_beside_geoip(tmp_path: Path) -> None:
    from tests.helpers.assessments import full_assessment

    path = tmp_path / "cloud.pdf"
    render_pdf(full_assessment(), path)
    content = " ".join(pdftotext(path).split())
    assert "Cloud regions" in content and "AWS ap-east-1 (Hong Kong, HK)" in content


def test_a_section_says_what_changed_since_the_last_assessment(tmp_path: Path) -> None:
    from databorder.history import compare

    old = sample_assessment()
    new = dataclasses.replace(old, verdict="review", score=20, endpoints=(), findings=())
    path = tmp_path / "r.pdf"
    render_pdf(dataclasses.replace(new, changes_since=compare(old, new, previous_id=3)), path)
    content = " ".join(pdftotext(path).split())
    assert "Since the last assessment" in content
    assert "What changed since #3 (2026-11-24 12:00 UTC, prohibit 60/100)" in content
    assert (
        "verdict prohibit → review (better; score 60 → 20)" in content
        and "endpoints gone (1): api.chat.test" in content
    )
    render_pdf(old, path)
    assert "Since the last assessment" not in pdftotext(path)


def test_the_vendors_data_practices_are_a_section_with_sources_and_dates(tmp_path: Path) -> None:
    from tests.report.test_practices import with_practices

    path = tmp_path / "p.pdf"
    render_pdf(with_practices(), path)
    content = " ".join(pdftotext(path).split())
    assert "Vendors' data practices" in content and "Facts read for the consumer tier (given)" in content
    assert "https://docs.chat.test/terms, checked 2026-12-03" in content
    assert "Unknown (no source read): data processing agreement (DPA)" in content
