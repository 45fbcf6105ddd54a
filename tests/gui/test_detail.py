from __future__ import annotations

import dataclasses

from databorder.gui.detail import endpoint_html
from databorder.model import Evidence, LegalEntity, ServiceAttribution
from tests.model.test_model import sample_assessment


def test_the_detail_names_evidence_dns_attribution_sources_and_rules() -> None:
    assessment = sample_assessment()
    html = endpoint_html(assessment, assessment.endpoints[0])
    for expected in (
        "api.chat.test → edge.cdn.test",  # the CNAME chain
        "hosting country CN",
        "(fixture, built 2026-06-17)",  # the database the country came from
        "AS37963",
        "network operator Alibaba Cloud, part of Alibaba Group, home country CN",
        "Chat Ltd",
        "rule <code>r</code> of pack <code>p</code>",
        "203.0.113.10 is hosted in CN",
        "hosts.txt @ line 2",
    ):
        assert expected in html, expected


def test_everything_from_outside_is_escaped_and_long_evidence_is_cut() -> None:
    assessment = sample_assessment()
    hostile = Evidence("static", "<script>alert(1)</script>.js", "offset 1", "<b>not bold</b>")
    endpoint = dataclasses.replace(assessment.endpoints[0], evidence=(hostile,) * 25)
    html = endpoint_html(assessment, endpoint)
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "<b>not bold</b>" not in html
    assert "… and 5 more" in html


def test_an_operator_from_the_probe_reads_as_an_inference() -> None:
    from databorder.model import ServiceAttribution, ServiceBasis

    assessment = sample_assessment()
    cases: tuple[tuple[ServiceBasis, str], ...] = (
        ("tls", "the endpoint's TLS certificate"),
        ("rdap", "the domain's registry record"),
    )
    for basis, words in cases:
        inferred = ServiceAttribution(
            operator="Probe Example Pte. Ltd.", country="SG", source=f"{basis} evidence", basis=basis,
            confidence="medium" if basis == "tls" else "low", checked="2026-12-03",
        )  # fmt: skip
        html = endpoint_html(assessment, dataclasses.replace(assessment.endpoints[0], service=inferred))
        assert f"Decided by inference from {words}".replace("'", "&#x27;") in html
        assert "Probe Example Pte. Ltd. (SG)" in html


def test_the_reasons_a_scan_ranked_an_endpoint_are_shown_escaped() -> None:
    assessment = sample_assessment()
    endpoint = dataclasses.replace(assessment.endpoints[0], relevance_reasons=("a URL", "an API-like path <v1>"))
    html = endpoint_html(assessment, endpoint)
    assert "Ranked so because: a URL; an API-like path &lt;v1&gt;" in html
    assert "Ranked so because" not in endpoint_html(assessment, assessment.endpoints[0])


def test_legal_entity_text_and_the_bundle_inference_read_as_evidence_not_fact() -> None:
    assessment = sample_assessment()
    icp = LegalEntity("icp-filing", "京ICP备18024657号", None, "CN", "app/main.js", 310, "api.chat.test", 40)
    name = LegalEntity("copyright", "© 2025 <Chat> Co., Ltd.", "<Chat> Co., Ltd.", None, "app/main.js", 400,
                       "api.chat.test", 130)  # fmt: skip
    service = ServiceAttribution(
        operator="<Chat> Co., Ltd. (likely under CN law: ICP filing 京ICP备18024657号)",
        country="CN",
        source="ICP filing 京ICP备18024657号 in app/main.js (offset 310), 40 bytes from api.chat.test",
        basis="bundle",
        confidence="low",
    )
    endpoint = dataclasses.replace(assessment.endpoints[0], entities=(icp, name), service=service)
    html = endpoint_html(assessment, endpoint)
    for expected in (
        "Decided by inference from legal-entity text in the scanned bundle (low confidence)",
        "Legal-entity text nearby (2)",
        "ICP filing <b>京ICP备18024657号</b> (points to CN)",
        "copyright line <b>© 2025 &lt;Chat&gt; Co., Ltd.</b> (names no country)",
        "in app/main.js @ offset 310, 40 bytes from api.chat.test",
        "not a sourced fact",
    ):
        assert expected in html, expected
    many = endpoint_html(assessment, dataclasses.replace(endpoint, entities=(icp,) * 25))
    assert many.count("ICP filing <b>") == 20 and "… and 5 more" in many


def test_a_megabyte_message_or_excerpt_is_cut_for_the_pane() -> None:
    from databorder.gui.detail import TEXT_LIMIT

    assessment = sample_assessment()
    huge = "x" * 1_000_000
    finding = dataclasses.replace(assessment.findings[0], message=huge)
    endpoint = dataclasses.replace(assessment.endpoints[0], evidence=(Evidence("static", "a.js", "offset 1", huge),))
    html = endpoint_html(dataclasses.replace(assessment, findings=(finding,)), endpoint)
    assert len(html) < 20 * TEXT_LIMIT and f"{1_000_000 - TEXT_LIMIT:,} more characters" in html


def test_a_cloud_region_decides_and_geoips_disagreement_is_shown_beside_it() -> None:
    from tests.helpers.assessments import full_assessment

    assessment = full_assessment()
    html = endpoint_html(assessment, assessment.endpoints[0])
    assert "hosted in AWS ap-east-1 (Hong Kong, HK), service EC2" in html
    assert "AWS ip-ranges.json via a test feed, 2026-10-26; unverified: city" in html
    assert "GeoIP says CN" in html and "GeoIP places it in CN" in html


def test_the_vendors_data_practices_are_a_section_of_the_detail() -> None:
    from tests.report.test_practices import with_practices

    assessment = with_practices()
    html = endpoint_html(assessment, assessment.endpoints[0])
    assert "Vendor&#x27;s data practices: Chat &lt;Ltd&gt;, consumer tier (2 of 4 known)" in html
    assert "https://docs.chat.test/terms" in html
    assert "Vendor&#x27;s data practices" not in endpoint_html(sample_assessment(), assessment.endpoints[0])


def test_two_disagreeing_geoip_databases_are_both_shown() -> None:
    from tests.helpers.assessments import EMBEDDED_SOURCE, MAXMIND_SOURCE, two_geoip_assessment

    assessment = two_geoip_assessment()
    html = endpoint_html(assessment, assessment.endpoints[0])
    assert "hosting country uncertain: US or DE" in html
    assert f"{MAXMIND_SOURCE} says US" in html and f"{EMBEDDED_SOURCE} says DE" in html
    assert "the GeoIP databases disagree" in html
