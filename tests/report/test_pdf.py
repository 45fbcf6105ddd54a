"""The PDF read back with poppler-utils, as an auditor's tools would read it."""

from __future__ import annotations

import dataclasses
import json
import re
import subprocess
import unicodedata
from pathlib import Path

import pytest

from databorder.model import AddressAttribution, Assessment, Endpoint, Evidence, Finding, Resolution
from databorder.report.pdf import name, render_pdf, text
from tests.model.test_model import sample_assessment


def pdftotext(path: Path, mode: str = "-layout", *pages: str) -> str:
    """The PDF's text, NFKC-normalised (see :func:`copied` for the characters as they are)."""
    return unicodedata.normalize("NFKC", copied(path, mode, *pages))


def copied(path: Path, mode: str = "-raw", *pages: str) -> str:
    """The text a reader copying out of the PDF gets, character for character."""
    command = ["pdftotext", mode, *pages, str(path), "-"]
    return subprocess.run(command, capture_output=True, text=True, check=True).stdout


def unwrapped(content: str) -> str:
    """Text with the line breaks a host name or URL may wrap at (after a dot, slash or hyphen) taken out."""
    return re.sub(r"(?<=[./-])\n", "", content)


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
    content = " ".join(pdftotext(path, "-raw").split())
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
    words = " ".join(unwrapped(copied(out)).split())
    assert "Chat Pte. Ltd. (SG), owned by Chat" in words and "Holdings Ltd. (CN)" in words  # a table cell wraps
    assert "Could not attribute (1)" in words and "api.nobody-knows.example" in words
    first = " ".join(unwrapped(copied(out, "-raw", "-l", "1")).split())
    assert "Whose law reaches the data" in first and "prohibit CN Chat Holdings Ltd. 1" in first  # the owner's law
    assert "prohibit SG Chat Pte. Ltd. 1" in first
    assert "they are not counted as allowed: api.nobody-knows.example." in first


def _named(hosts: list[str], source: str) -> Assessment:
    """Endpoints under these names, each with a finding whose words hold "fi", "fl" and "ffi"."""
    base = sample_assessment()
    template = base.endpoints[0]
    evidence = (Evidence(collector="static", source=source, location="offset 1", excerpt="official fixture"),)
    endpoints = tuple(dataclasses.replace(template, host=h, evidence=evidence) for h in hosts)
    findings = tuple(dataclasses.replace(base.findings[0], endpoint=h, message=f"{h}: the official file flow")
                     for h in hosts)  # fmt: skip
    return dataclasses.replace(base, endpoints=endpoints, findings=findings)


def test_text_copies_true_no_ligatures_no_zero_width_characters_names_wrap_only_at_separators(tmp_path: Path) -> None:
    hosts = [f"cn-hongkong{i}.fluffyfixtures.officialfiles.affinefinder.flowfiles.test" for i in range(3)]
    source = "package/dist/fixtures-and-files/official-configuration/flowfile-affinity-settings.js"
    path = tmp_path / "names.pdf"
    render_pdf(_named(hosts, source), path)
    raw = copied(path)
    assert "official" in raw and "fixture" in raw  # the words are there ...
    assert not re.search("[\ufb00-\ufb06]", raw)  # ... and no ligature stands for their letters
    assert not re.search("[\u200b-\u200d\u2060\ufeff]", raw)  # the break opportunities are not copied
    assert any(raw.count(h) < unwrapped(raw).count(h) for h in hosts)  # the names did wrap ...
    for h in [*hosts, source]:
        # ... only after a dot, slash or hyphen, with no hyphen added: every line break inside a name is one of those
        assert unwrapped(raw).count(h) == raw.replace("\n", "").count(h) > 1, h
    assert name("cn-hk.dash/v1") == "cn-\u200bhk.\u200bdash/\u200bv1"
    assert name("a.b.") == "a.\u200bb." and name("<x>.test") == "&lt;x&gt;.\u200btest"


def test_the_first_page_decides_and_the_maps_follow_with_both_layers(tmp_path: Path) -> None:
    from tests.helpers.assessments import who_runs_it_assessment

    hosted = tmp_path / "hosted.pdf"
    render_pdf(who_runs_it_assessment(), hosted)
    first = " ".join(unwrapped(copied(hosted, "-raw", "-l", "1")).split())
    for expected in (
        "PROHIBIT",
        "Risk score",
        "Why: the",
        "The map: Where it is hosted",
        "Hosted:",
        "Whose law reaches the data",
        "Could not attribute (1)",
        "Rule packs applied: ",
        "Page 1 of",
    ):
        assert expected in first.replace("applied ", "applied: "), expected  # fmt: skip
    assert "Findings by rule" not in first and "Appendix" not in first  # the rest is evidence
    second = " ".join(copied(hosted, "-raw", "-f", "2", "-l", "2").split())
    assert second.startswith("Where the data goes Where it is hosted (the addresses' countries)")
    assert "Hosted:" in second and "Whose law:" in second  # each map's legend names its layer
    assert "Whose law reaches it (the service operator's and its owners' countries)" in second
    base = who_runs_it_assessment()
    offline = dataclasses.replace(base, endpoints=tuple(dataclasses.replace(e, addresses=()) for e in base.endpoints))
    law = tmp_path / "law.pdf"
    render_pdf(offline, law)
    first = " ".join(copied(law, "-raw", "-l", "1").split())
    assert "The map: Whose law reaches it" in first and "(no hosting country is known, offline)" in first
    assert "Whose law:" in first and "Hosted:" not in first


def test_findings_are_one_entry_per_rule_and_the_json_keeps_one_per_endpoint(tmp_path: Path) -> None:
    assessment = many(40)
    path = tmp_path / "grouped.pdf"
    render_pdf(assessment, path)
    content = " ".join(unwrapped(copied(path)).split())
    assert content.count("r (p) — 40 endpoints, +1600 points") == 1
    assert content.count("(endpoint) is hosted in CN") == 1  # the rule's words, once
    assert "Endpoints h0000.chat.test, h0001.chat.test," in content and "h0039.chat.test" in content
    assert len(json.loads(assessment.to_json())["findings"]) == 40


def test_a_column_with_no_value_in_the_whole_table_is_left_out(tmp_path: Path) -> None:
    path = tmp_path / "full.pdf"
    render_pdf(sample_assessment(), path)
    words = " ".join(copied(path).split())
    assert "Worst Endpoint Hosting Network operator Service operator prohibit" in words  # no endpoint has a role
    base = sample_assessment()
    bare = dataclasses.replace(base.endpoints[0], addresses=(), service=None, roles=("api",))
    render_pdf(dataclasses.replace(base, endpoints=(bare,), offline=True), path)
    assert "Worst Endpoint Role prohibit api.chat.test api" in " ".join(copied(path).split())  # offline: no hosting


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


def test_the_method_section_says_which_geoip_database_decided(tmp_path: Path) -> None:
    from tests.helpers.assessments import EMBEDDED_SOURCE, MAXMIND_SOURCE, two_geoip_assessment

    path = tmp_path / "two.pdf"
    render_pdf(two_geoip_assessment(), path)
    content = " ".join(pdftotext(path).split())
    assert f"Two GeoIP databases were read: {MAXMIND_SOURCE} decided the hosting country" in content
    assert f"{EMBEDDED_SOURCE} was consulted beside it" in content and "1 address(es) are uncertain" in content
    assert "US or DE" in content and "(uncertain)" in content  # the endpoints table's hosting (wrapped)
    render_pdf(sample_assessment(), path)
    assert "The hosting country is GeoIP's answer from fixture" in " ".join(pdftotext(path).split())
