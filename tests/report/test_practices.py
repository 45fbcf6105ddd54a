from __future__ import annotations

import dataclasses

from databorder.model import Assessment, PracticeFact, VendorPractices
from databorder.report.practices import practices_html, practices_of
from tests.model.test_model import sample_assessment

VENDOR = VendorPractices(
    vendor="Chat <Ltd>",
    tier="consumer",
    facts=(
        PracticeFact("trains_on_user_data", "yes", "https://docs.chat.test/terms", "2026-12-03", True, "by default"),
        PracticeFact("retention", "longer", "https://summary.example.test/chat", "2026-12-01", False),
        PracticeFact("dpa", "unknown"),
        PracticeFact("iso_42001", "unknown"),
    ),
    domains=("chat.test",),
)


def with_practices() -> Assessment:
    return dataclasses.replace(sample_assessment(), tier="consumer", tier_basis="given", practices=(VENDOR,))


def test_an_endpoint_has_the_facts_of_the_vendor_whose_domain_it_is_under() -> None:
    assessment = with_practices()
    assert practices_of(assessment, "api.chat.test") is VENDOR and practices_of(assessment, "chat.test") is VENDOR
    assert practices_of(assessment, "notchat.test") is None and practices_of(assessment, None) is None


def test_the_facts_read_with_their_source_date_and_whose_page_and_the_unknown_are_listed() -> None:
    html = practices_html(VENDOR)
    assert html.startswith("<h3>Vendor&#x27;s data practices: Chat &lt;Ltd&gt;, consumer tier (2 of 4 known)</h3>")
    assert (
        "<li><b>trains models on user content: yes</b>; by default <i>(vendor's page https://docs.chat.test/terms, "
        "checked 2026-12-03)</i></li>"
    ) in html.replace("&#x27;", "'")
    assert "keeps prompts and content: longer than a year</b> <i>(third party" in html.replace("&#x27;", "'")
    assert "Unknown (no source read): data processing agreement (DPA), ISO/IEC 42001 certification." in html
    assert practices_html(VENDOR, heading="h2").startswith("<h2>")


def test_a_long_note_is_cut_at_a_word_with_an_ellipsis() -> None:
    note = "the vendor's terms say " + "word " * 100
    long = dataclasses.replace(VENDOR, facts=(dataclasses.replace(VENDOR.facts[0], note=note),))
    html = practices_html(long, limit=60)
    shown = html.split("</b>; ")[1].split(" <i>")[0].replace("&#x27;", "'")
    assert shown == "the vendor's terms say word word word word word word word…"
    assert len(shown) <= 60
    assert "; by default <i>" in practices_html(VENDOR, limit=60)  # a short note is whole
