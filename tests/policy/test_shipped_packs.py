"""Each shipped pack against one AI app's endpoints, end to end: real DNS (dnsmasq), fixture GeoIP/ASN databases,
a services table naming who runs each endpoint. The expected verdicts are written here, per pack and endpoint."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from databorder.assess import AssessOptions, assess
from databorder.collect.hostlist import observations_from_args
from databorder.model import SEVERITY_ORDER, Assessment, Target
from databorder.nameserver import Nameserver
from tests.conftest import DnsZone, FixtureDatabases

SERVICES = """
[[services]]
domains = ["cn-hosted.app.test"]
operator = "Example Chat (Beijing) Co., Ltd."
country = "CN"
category = "genai"
source = "test"

[[services]]
domains = ["us-edge-cn.app.test", "nope.app.test"]
operator = "Example AI, Inc."
country = "US"
category = "genai"
source = "test"

[[services]]
domains = ["cn-company-sg.app.test"]
operator = "Example Hangzhou AI Co., Ltd."
country = "CN"
category = "genai"
source = "test"

[[services]]
domains = ["eu.app.test"]
operator = "Exemple IA SAS"
country = "FR"
category = "genai"
source = "test"

[[services]]
domains = ["ir.app.test"]
operator = "Example Tehran Software"
country = "IR"
category = "telemetry"
source = "test"
"""

HOSTS = ["cn-hosted", "us-edge-cn", "cn-company-sg", "eu", "ir", "nope"]
PACKS = ["us-countries-of-concern", "us-navy-genai", "eu-gdpr-transfers", "uk-gdpr-transfers", "sanctions-ofac",
         "rules/examples/custom.toml"]  # fmt: skip
# Rows: endpoint; columns: packs, in the order above. p = prohibit, r = review, a = allow.
EXPECTED = {
    "cn-hosted": "pprrap",  # hosted in CN by a CN company
    "us-edge-cn": "rrrrar",  # a US company's endpoint served from a CN anycast edge: the edge cannot prohibit
    "cn-company-sg": "pprrap",  # a CN company hosted in Singapore: who runs it matters
    # An EU company hosted in Germany by the fixture's country file; the embedded database, consulted beside it,
    # reads the documentation range as AU: the hosting country is uncertain, and the GDPR packs review the AU side.
    "eu": "arrrar",
    "ir": "pprrpp",  # hosted in Iran: a country of concern and under a comprehensive embargo
    "nope": "arrrar",  # does not resolve: hosting unknown (said as info), the US operator still judged
}
LETTER = {"p": "prohibit", "r": "review", "a": "allow"}


@pytest.fixture(scope="module")
def assessments(
    dns_zone: DnsZone, fixture_dbs: FixtureDatabases, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Assessment]:
    services = tmp_path_factory.mktemp("services") / "services.toml"
    services.write_text(SERVICES, encoding="utf-8")
    observations, _ = observations_from_args([f"https://{host}.app.test/v1" for host in HOSTS])
    results = {}
    for pack in PACKS:
        options = AssessOptions(
            nameserver=Nameserver.parse(dns_zone.nameserver),
            country_db=fixture_dbs.country,
            asn_db=fixture_dbs.asn,
            packs=(str(Path(__file__).resolve().parents[2] / pack) if pack.endswith(".toml") else pack,),
            services=(services,),
        )
        results[pack] = assess(target=Target(kind="hosts", name="test app"), observations=observations, options=options)
    return results


def endpoint_verdict(assessment: Assessment, host: str) -> str:
    severities = [f.severity for f in assessment.findings if f.endpoint == f"{host}.app.test"]
    worst = max(severities, key=SEVERITY_ORDER.index, default="info")
    return "allow" if worst == "info" else worst


@pytest.mark.parametrize("pack", PACKS)
@pytest.mark.parametrize("host", HOSTS)
def test_expected_verdict_per_pack_and_endpoint(
    assessments: dict[str, Assessment], host: str, pack: str, check_schema: Callable[[object], object]
) -> None:
    assessment = assessments[pack]
    check_schema(assessment)
    expected = LETTER[EXPECTED[host][PACKS.index(pack)]]
    findings = [f"{f.severity} {f.rule}: {f.message}" for f in assessment.findings if f.endpoint == f"{host}.app.test"]
    assert endpoint_verdict(assessment, host) == expected, findings


def test_the_whole_app_gets_the_strongest_verdict_and_a_traceable_score(assessments: dict[str, Assessment]) -> None:
    for pack, assessment in assessments.items():
        column = PACKS.index(pack)
        strongest = max((LETTER[row[column]] for row in EXPECTED.values()), key=("allow", "review", "prohibit").index)
        assert assessment.verdict == strongest, pack
        assert (
            assessment.score
            == min(100, assessment.points_total)
            == min(100, sum(f.points for f in assessment.findings))
        )
    nope = [f for f in assessments["us-countries-of-concern"].findings if f.endpoint == "nope.app.test"]
    assert [(f.rule, f.severity, f.points) for f in nope] == [("hosting-unknown", "info", 0)]
    edge = next(f for f in assessments["us-countries-of-concern"].findings if f.endpoint == "us-edge-cn.app.test")
    assert edge.severity == "review" and "anycast/CDN edge" in " ".join(edge.adjustments)


def test_declared_storage_and_model_vendors_against_observed_hosting_and_operators(
    dns_zone: DnsZone, fixture_dbs: FixtureDatabases, tmp_path: Path, check_schema: Callable[[object], object]
) -> None:
    """An app declared to keep data in the EU and the US (the catalog's Mistral Le Chat) seen talking to these
    endpoints: those hosted or run elsewhere, and every other vendor's AI service, are findings with both sides."""
    services = tmp_path / "services.toml"
    services.write_text(SERVICES, encoding="utf-8")
    observations, _ = observations_from_args([f"https://{host}.app.test/v1" for host in HOSTS])
    options = AssessOptions(
        nameserver=Nameserver.parse(dns_zone.nameserver),
        country_db=fixture_dbs.country,
        asn_db=fixture_dbs.asn,
        packs=("vendor-data-practices", "eu-gdpr-transfers"),
        services=(services,),
        app="mistral-le-chat",
    )
    result = assess(target=Target(kind="capture", name="capture"), observations=observations, options=options)
    check_schema(result)
    assert result.app == "mistral-le-chat"
    moved = {(f.pack, f.endpoint): f for f in result.findings if f.rule == "stored-outside-declared"}
    # Hosted or run in CN, SG, IR; the CN edge is not; the DE one may be in AU (the embedded database says so).
    outside = {"cn-hosted", "cn-company-sg", "ir", "eu"}
    assert {endpoint for _, endpoint in moved} == {f"{host}.app.test" for host in outside}
    assert {pack for pack, _ in moved} == {"vendor-data-practices", "eu-gdpr-transfers"}
    sg = moved[("vendor-data-practices", "cn-company-sg.app.test")]
    assert "is hosted in SG (GeoIP)" in sg.message and "run by Example Hangzhou AI Co., Ltd. (CN)" in sg.message
    assert sg.fact.startswith("catalog mistral-le-chat declares: data location 'European Union by default")
    assert "seen (observed): command line" in sg.fact and sg.severity == "review"
    assert not [f for f in result.findings if f.rule == "other-model-vendor"]  # no endpoint has the api role


def test_an_app_checking_github_for_updates_is_not_using_another_vendors_models() -> None:
    """GitHub is a model vendor (Copilot) and a code host: an update checker's calls to its REST API and release
    pages (the shape of a public app's ``UpdateChecker``: ``https://api.github.com/repos/$_owner/$_repo/releases/
    latest`` and ``https://github.com/$_owner/$_repo/releases.atom``) are not another vendor's model API, while a
    call to Copilot's is."""
    update_checks = [
        "https://api.github.com/repos/ray5378/MusicFlow-client/releases/latest",
        "https://github.com/ray5378/MusicFlow-client/releases.atom",
        "https://github.com/ray5378/MusicFlow-client/releases/download/v1.0.0/latest.yml",
        "https://objects.githubusercontent.com/github-production-release-asset-2e65be/1",
        "https://raw.githubusercontent.com/ray5378/MusicFlow-client/main/version.json",
    ]
    options = AssessOptions(offline=True, packs=("vendor-data-practices",), app="mistral-le-chat", history=False)

    def other_vendors(urls: list[str]) -> list[str]:
        observations, _ = observations_from_args(urls)
        result = assess(target=Target(kind="capture", name="capture"), observations=observations, options=options)
        return [f.endpoint for f in result.findings if f.rule == "other-model-vendor"]

    assert other_vendors(update_checks) == []
    assert other_vendors([*update_checks, "https://api.githubcopilot.com/chat/completions"]) == [
        "api.githubcopilot.com"
    ]
