from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from databorder.catalog import CatalogApp, load_catalog
from databorder.model import (
    AddressAttribution,
    Confidence,
    Endpoint,
    Evidence,
    Finding,
    NetworkOperator,
    PracticeFact,
    Resolution,
    ServiceAttribution,
    VendorPractices,
)
from databorder.policy import evaluate, find_pack, load_pack, score
from databorder.policy.evaluate import Context
from databorder.policy.packs import RulePack

VERDICTS = ("allow", "review", "prohibit")
ALIBABA = NetworkOperator(name="Alibaba Cloud (Aliyun)", country="CN", parent="Alibaba Group Holding Ltd.", source="t")
CLOUDFLARE = NetworkOperator(name="Cloudflare", country="US", parent="Cloudflare, Inc.", source="t")


def address(
    ip: str,
    country: str | None,
    asn: int | None,
    operator: NetworkOperator | None = None,
    *,
    anycast: bool = False,
    scope: str = "public",
) -> AddressAttribution:
    return AddressAttribution(ip, scope, country, asn, None, operator, anycast)  # type: ignore[arg-type]


def endpoint(host: str, *addresses: AddressAttribution, service: ServiceAttribution | None = None) -> Endpoint:
    return Endpoint(
        host=host,
        ip=None,
        registrable_domain=host,
        relevance=1.0,
        evidence=(Evidence("cli", "command line", "argument 1", host),),
        resolution=Resolution(status="ok"),
        addresses=addresses,
        service=service,
    )


def shipped() -> RulePack:
    return load_pack(*find_pack("us-countries-of-concern"))


def test_hosting_network_and_service_facets_each_trigger_with_their_fact() -> None:
    endpoints = [
        endpoint("cn.test", address("203.0.113.10", "CN", 37963, ALIBABA)),
        endpoint("us-alibaba.test", address("198.51.100.5", "US", 45102, ALIBABA)),
        endpoint(
            "svc.test",
            address("198.51.100.200", "DE", 13335, CLOUDFLARE),
            service=ServiceAttribution(operator="Chat Co", country="CN", source="services table"),
        ),
        endpoint("clean.test", address("198.51.100.6", "US", 64500)),
        endpoint("lan.test", address("10.0.0.1", None, None, scope="local")),
    ]
    findings = evaluate(endpoints, [shipped()])
    got = {(f.endpoint, f.rule, f.severity, f.points) for f in findings}
    assert got == {
        ("cn.test", "hosting-in-country-of-concern", "prohibit", 40),
        ("cn.test", "network-operator-from-country-of-concern", "review", 20),
        ("us-alibaba.test", "network-operator-from-country-of-concern", "review", 20),
        ("svc.test", "service-operator-from-country-of-concern", "prohibit", 40),
    }
    hosting = next(f for f in findings if f.rule == "hosting-in-country-of-concern")
    assert hosting.message == "cn.test is hosted in CN, a country of concern under 28 CFR 202.601"
    assert hosting.fact == "203.0.113.10 is hosted in CN (GeoIP)"
    assert hosting.citation == "28 CFR 202.601" and hosting.pack == "us-countries-of-concern"
    network = next(f for f in findings if f.endpoint == "us-alibaba.test")
    assert "AS45102" in network.fact and "Alibaba Group Holding Ltd." in network.fact
    assert score(findings) == (100, 120, "critical", "prohibit")


def test_anycast_edges_are_capped_at_review_with_half_points_and_say_why() -> None:
    edge = endpoint("edge.test", address("198.51.100.200", "RU", 13335, CLOUDFLARE, anycast=True))
    (finding,) = evaluate([edge], [shipped()])
    assert (finding.severity, finding.points) == ("review", 20)
    assert "anycast/CDN edge" in finding.fact
    mixed = endpoint(
        "mixed.test",
        address("198.51.100.200", "RU", 13335, CLOUDFLARE, anycast=True),
        address("203.0.113.10", "RU", 64500),
    )
    (finding,) = evaluate([mixed], [shipped()])
    assert (finding.severity, finding.points) == ("prohibit", 40)


def test_not_in_operator_and_asn_conditions(tmp_path: Path) -> None:
    path = tmp_path / "eea.toml"
    path.write_text(
        """
[pack]
id = "eea-only"
title = "EEA only"
version = "1"
sources = ["GDPR chapter V"]

[sets]
eea = { countries = ["DE", "FR"] }
chinese_clouds = { operators = ["Alibaba Group Holding Ltd."] }
cloudflare = { asns = [13335] }

[[rules]]
id = "outside-eea"
facet = "hosting"
when = { country_not_in = "eea" }
severity = "review"
points = 15
message = "{endpoint}: data may leave the EEA ({values})"

[[rules]]
id = "chinese-cloud"
facet = "network"
when = { operator_in = "chinese_clouds" }
severity = "prohibit"
points = 30
message = "{endpoint} runs on {values}"

[[rules]]
id = "cloudflare"
facet = "network"
when = { asn_in = "cloudflare" }
severity = "info"
points = 0
message = "{endpoint} is behind AS{values}"
""",
        encoding="utf-8",
    )
    pack = load_pack(path)
    endpoints = [
        endpoint("de.test", address("198.51.100.200", "DE", 13335, CLOUDFLARE)),
        endpoint("us.test", address("198.51.100.5", "US", 45102, ALIBABA)),
    ]
    got = {(f.endpoint, f.rule, f.message) for f in evaluate(endpoints, [pack])}
    assert got == {
        ("de.test", "cloudflare", "de.test is behind AS13335"),
        ("us.test", "outside-eea", "us.test: data may leave the EEA (US)"),
        ("us.test", "chinese-cloud", "us.test runs on Alibaba Group Holding Ltd."),
    }


def test_score_bands_and_verdicts() -> None:
    assert score([]) == (0, 0, "low", "allow")
    edge = endpoint("x.test", address("198.51.100.200", "RU", 13335, CLOUDFLARE, anycast=True))
    assert score(evaluate([edge], [shipped()])) == (20, 20, "moderate", "review")
    many = [endpoint(f"h{i}.test", address(f"203.0.113.{i}", "CN", 64500)) for i in range(1, 4)]
    assert score(evaluate(many, [shipped()])) == (100, 120, "critical", "prohibit")  # 3 x 40 capped at 100


# --- the complete language: endpoint conditions, flags, facet any, weights, confidence ------------------------

LANGUAGE = """
[pack]
id = "lang"
title = "Language"
version = "1"
sources = ["test"]
weight = 1.5

[sets]
concern = { countries = ["CN"] }
home = { regions = ["eea"] }
ai = { domains = ["chat.test"] }
approved = { domains = ["ok.chat.test"] }
telemetry = { roles = ["telemetry"] }
genai = { categories = ["genai"] }
cloudflare = { asns = [13335] }

[[rules]]
id = "any-facet"
facet = "any"
when = { country_in = "concern" }
severity = "review"
points = 10
message = "{endpoint}: {values} via {facet}"

[[rules]]
id = "unapproved-ai"
facet = "service"
when = { domain_matches = "ai", domain_not_matches = "approved", category_in = "genai" }
severity = "review"
points = 7
message = "{endpoint} unapproved"

[[rules]]
id = "telemetry-abroad"
facet = "hosting"
when = { role_in = "telemetry", country_not_in = "home" }
severity = "prohibit"
points = 20
message = "{endpoint} telemetry to {values}"

[[rules]]
id = "unresolved"
when = { unresolved = true }
severity = "info"
points = 0
message = "{endpoint}: {values}"

[[rules]]
id = "cleartext"
when = { cleartext = true }
severity = "review"
points = 3
message = "{endpoint} over {values}"

[[rules]]
id = "edge"
facet = "hosting"
when = { anycast = true, asn_in = "cloudflare" }
severity = "info"
points = 1
message = "{endpoint} behind {values}"
"""


@pytest.fixture
def language(tmp_path: Path) -> RulePack:
    path = tmp_path / "lang.toml"
    path.write_text(LANGUAGE, encoding="utf-8")
    return load_pack(path)


def hits(endpoints: list[Endpoint], pack: RulePack) -> dict[tuple[str, str], Finding]:
    return {(f.endpoint, f.rule): f for f in evaluate(endpoints, [pack])}


def test_facet_any_and_combined_endpoint_conditions(language: RulePack) -> None:
    genai = ServiceAttribution(operator="AI Co", country="US", source="t", category="genai")
    found = hits(
        [
            endpoint("api.chat.test", address("198.51.100.5", "US", 45102, ALIBABA), service=genai),
            endpoint("ok.chat.test", address("198.51.100.6", "US", 64500), service=genai),
            endpoint("other.test", address("198.51.100.7", "US", 64500), service=genai),
        ],
        language,
    )
    assert set(found) == {("api.chat.test", "any-facet"), ("api.chat.test", "unapproved-ai")}
    any_facet = found[("api.chat.test", "any-facet")]
    assert any_facet.message == "api.chat.test: CN via any" and "run by Alibaba Cloud" in any_facet.fact
    assert any_facet.points == 15 and any_facet.adjustments == ("pack weight 1.5: points × 1.5",)
    assert found[("api.chat.test", "unapproved-ai")].points == 11  # 7 × 1.5 = 10.5, rounded half up


def test_roles_unresolved_cleartext_and_anycast_flags(language: RulePack) -> None:
    telemetry = dataclasses.replace(
        endpoint("t.example.test", address("198.51.100.5", "US", 64500)), roles=("telemetry",), schemes=("http",)
    )
    eu_telemetry = dataclasses.replace(endpoint("eu.example.test", address("198.51.100.130", "DE", 1)),
                                       roles=("telemetry",))  # fmt: skip
    dead = dataclasses.replace(
        endpoint("dead.example.test"), resolution=Resolution(status="nxdomain", nameserver="127.0.0.1:53")
    )
    edge = endpoint("edge.example.test", address("198.51.100.200", "DE", 13335, CLOUDFLARE, anycast=True))
    found = hits([telemetry, eu_telemetry, dead, edge], language)
    assert set(found) == {
        ("t.example.test", "telemetry-abroad"),
        ("t.example.test", "cleartext"),
        ("dead.example.test", "unresolved"),
        ("edge.example.test", "edge"),
    }
    assert found[("t.example.test", "telemetry-abroad")].message == "t.example.test telemetry to US"
    assert found[("t.example.test", "cleartext")].message == "t.example.test over http"
    assert found[("dead.example.test", "unresolved")].fact == "DNS: nxdomain"
    # A rule about anycast edges is not itself halved for being about an edge.
    assert found[("edge.example.test", "edge")].points == 2 and found[("edge.example.test", "edge")].severity == "info"


def test_unknown_values_never_match_not_in(language: RulePack) -> None:
    unknown = dataclasses.replace(endpoint("x.test", address("198.51.100.5", None, None)), roles=("telemetry",))
    assert hits([unknown], language) == {}


@pytest.mark.parametrize(
    ("confidence", "relevance", "severity"),
    [("possible", 0.3, "review"), ("possible", 0.5, "prohibit"), ("declared", 0.1, "prohibit"),
     ("observed", 0.1, "prohibit")],
)  # fmt: skip
def test_a_possible_low_relevance_endpoint_cannot_prohibit(
    confidence: Confidence, relevance: float, severity: str
) -> None:
    cn = dataclasses.replace(
        endpoint("cn.test", address("203.0.113.10", "CN", 64500)), confidence=confidence, relevance=relevance
    )
    (finding,) = [f for f in evaluate([cn], [shipped()]) if f.rule == "hosting-in-country-of-concern"]
    assert finding.severity == severity
    if severity == "review":
        assert finding.adjustments == (
            "seen only in a static scan, with relevance 0.3 (below 0.5): capped at review until it is observed",
        )
        assert finding.points == 40  # the points stand; only the verdict waits for an observation


# --- scoring properties ---------------------------------------------------------------------------------------

_countries = st.sampled_from(["CN", "US", "DE", "RU", "SG", "IR", None])
_address = st.builds(
    lambda i, country, anycast: address(f"198.51.100.{i}", country, 13335 if anycast else 64500,
                                        CLOUDFLARE if anycast else None, anycast=anycast),
    st.integers(1, 254), _countries, st.booleans(),
)  # fmt: skip
_endpoints = st.lists(
    st.builds(
        lambda n, addrs, svc, conf, rel: dataclasses.replace(
            endpoint(f"h{n}.test", *addrs, service=ServiceAttribution("Op", svc, "t") if svc else None),
            confidence=conf,
            relevance=rel,
        ),
        st.integers(0, 10_000),
        st.lists(_address, max_size=3),
        _countries,
        st.sampled_from(["observed", "declared", "possible"]),
        st.sampled_from([0.1, 0.5, 1.0]),
    ),
    max_size=6,
    unique_by=lambda e: e.key,
)


@settings(max_examples=150, deadline=None)
@given(_endpoints, _endpoints)
def test_score_is_monotone_deterministic_and_the_sum_of_points(first: list[Endpoint], more: list[Endpoint]) -> None:
    packs = [shipped(), load_pack(*find_pack("sanctions-ofac"))]
    more = [e for e in more if e.key not in {f.key for f in first}]
    base = evaluate(first, packs)
    grown = evaluate(first + more, packs)
    s1, total1, _, verdict1 = score(base)
    s2, total2, _, verdict2 = score(grown)
    assert s2 >= s1 and total2 >= total1
    assert VERDICTS.index(verdict2) >= VERDICTS.index(verdict1)
    assert s1 == min(100, sum(f.points for f in base)) and total1 == sum(f.points for f in base)
    assert evaluate(first, packs) == base  # deterministic


def test_a_foreign_arm_of_a_covered_parent_is_prohibited_and_the_finding_says_the_chain() -> None:
    from databorder.model import ChainLink

    arm = ServiceAttribution(
        operator="BytePlus Pte. Ltd.",
        country="SG",
        source="knowledge base",
        category="genai",
        parent_chain=(ChainLink("ByteDance Ltd.", "CN"),),
    )
    us = ServiceAttribution(operator="US Co", country="US", source="kb", parent_chain=(ChainLink("US Parent", "US"),))
    endpoints = [
        endpoint("ark.test", address("198.51.100.7", "SG", 64500), service=arm),
        endpoint("us.test", address("198.51.100.8", "US", 64500), service=us),
    ]
    findings = evaluate(endpoints, [shipped(), load_pack(*find_pack("us-navy-genai"))])
    by_rule = {(f.endpoint, f.rule): f for f in findings}
    covered = by_rule[("ark.test", "service-operator-from-country-of-concern")]
    assert covered.severity == "prohibit" and "BytePlus Pte. Ltd. (SG), owned by ByteDance Ltd. (CN)" in covered.message
    assert "ByteDance Ltd. (CN)" in covered.fact
    assert by_rule[("ark.test", "genai-from-country-of-concern")].severity == "prohibit"
    assert not any(f.endpoint == "us.test" and f.severity == "prohibit" for f in findings)


def test_an_inferred_operator_asks_for_review_but_cannot_prohibit() -> None:
    hint = ServiceAttribution(
        operator="unknown operator (likely under CN law: ccTLD .cn)",
        country="CN",
        source="ccTLD",
        basis="cctld",
        confidence="low",
    )
    (finding,) = evaluate([endpoint("x.example.cn", service=hint)], [shipped()])
    assert finding.rule == "service-operator-from-country-of-concern" and finding.severity == "review"
    assert any("inferred (from a country-of-concern ccTLD)" in a for a in finding.adjustments)


def test_unknown_is_not_allow_for_data_endpoints_only() -> None:
    from databorder.policy.evaluate import settles, unattributed

    nobody = dataclasses.replace(
        endpoint("api.unknown.example"), resolution=Resolution(status="skipped", detail="offline")
    )
    low = dataclasses.replace(nobody, host="docs.unknown.example", relevance=0.3)
    low_api = dataclasses.replace(low, host="upload.unknown.example", roles=("upload",))
    hosted = endpoint("api.hosted.example", address("198.51.100.9", "DE", 64500))
    lan = endpoint("printer.lan.example", address("10.0.0.9", None, None, scope="local"))
    assert [unattributed(e) for e in (nobody, low, low_api, hosted, lan)] == [True, False, True, False, False]
    for pack_id in ("us-countries-of-concern", "us-navy-genai", "eu-gdpr-transfers", "uk-gdpr-transfers",
                    "sanctions-ofac"):  # fmt: skip
        findings = evaluate([nobody, low, hosted], [load_pack(*find_pack(pack_id))])
        unknown = [f for f in findings if f.rule == "operator-unknown"]
        assert [f.endpoint for f in unknown] == ["api.unknown.example"], pack_id
        assert unknown[0].severity == "review" and score(findings)[3] != "allow"
        assert "who runs api.unknown.example is unknown" in unknown[0].message
    assert any("--offline" in step for step in settles(nobody))
    assert any("operators table" in step for step in settles(nobody))
    assert any("assess with --probe" in step for step in settles(nobody))


def in_cloud(
    ip: str, geoip: str, provider: str, region: str, country: str | None, *, edge: bool = False
) -> AddressAttribution:
    from databorder.attribute.cloud import decide
    from databorder.model import CloudRegion

    cloud = CloudRegion(provider, region, country, None, "EC2", "test feed", "2026-11-20", edge)
    hosting, geoip_country, notes, _, _ = decide(geoip, cloud)
    return AddressAttribution(ip, "public", hosting, 16509, "AMAZON-02", None, edge, None, cloud, geoip_country, notes)


def test_the_gdpr_pack_judges_a_cloud_address_by_its_regions_country() -> None:
    gdpr = load_pack(*find_pack("eu-gdpr-transfers"))
    frankfurt = endpoint("eu.api.test", in_cloud("198.51.100.5", "US", "AWS", "eu-central-1", "DE"))
    virginia = endpoint("us.api.test", in_cloud("198.51.100.6", "DE", "AWS", "us-east-1", "US"))
    found = {(f.endpoint, f.rule): f for f in evaluate([frankfurt, virginia], [gdpr])}
    assert ("eu.api.test", "hosting-in-us") not in found  # GeoIP's US is overruled by the provider's region
    us = found[("us.api.test", "hosting-in-us")]
    assert us.fact == "198.51.100.6 is hosted in US (AWS us-east-1 (US), the provider's published ranges; GeoIP: DE)"


def test_a_pack_can_allow_only_the_eu_regions_of_approved_clouds(tmp_path: Path) -> None:
    path = tmp_path / "clouds.toml"
    path.write_text(
        '[pack]\nid = "clouds"\ntitle = "T"\nversion = "1"\nsources = ["s"]\n'
        '[sets]\napproved_eu = { cloud_regions = ["aws", "gcp"], regions = ["eu"] }\n'
        '[[rules]]\nid = "outside"\nfacet = "hosting"\nwhen = { cloud_region_not_in = "approved_eu" }\n'
        'severity = "prohibit"\npoints = 20\nmessage = "{endpoint} runs in {values}"\n',
        encoding="utf-8",
    )
    pack = load_pack(path)
    endpoints = [
        endpoint("frankfurt.test", in_cloud("198.51.100.5", "US", "AWS", "eu-central-1", "DE")),
        endpoint("zurich.test", in_cloud("198.51.100.6", "CH", "AWS", "eu-central-2", "CH")),
        endpoint("azure.test", in_cloud("198.51.100.7", "NL", "Azure", "westeurope", "NL")),
        endpoint("edge.test", in_cloud("198.51.100.8", "US", "AWS", "GLOBAL", None, edge=True)),
        endpoint("plain.test", address("198.51.100.9", "US", 64500)),
    ]
    found = {f.endpoint: f for f in evaluate(endpoints, [pack])}
    assert set(found) == {"zurich.test", "azure.test"}  # outside the approved EU regions; unknown never matches
    assert found["zurich.test"].message == "zurich.test runs in aws:eu-central-2"


def practices_pack(tmp_path: Path, *, extra: str = "", weights: str = "") -> RulePack:
    path = tmp_path / "practices.toml"
    path.write_text(
        '[pack]\nid = "practices"\ntitle = "T"\nversion = "1"\nsources = ["s"]\n' + extra + "\n"
        '[[rules]]\nid = "trains"\nfacet = "service"\nwhen = { trains_on_user_data = "yes" }\nseverity = "review"\n'
        'points = 10\nmessage = "{endpoint}: {values}"\n'
        '[[rules]]\nid = "no-transfer"\nfacet = "service"\nwhen = { eu_us_dpf = "no", eu_sccs = "no" }\n'
        'severity = "review"\npoints = 15\nmessage = "{endpoint}: {values}"\n'
        '[[rules]]\nid = "moved"\nfacet = "any"\nwhen = { stored_outside_declared = true }\nseverity = "review"\n'
        'points = 10\nmessage = "{endpoint}: {values}"\n'
        '[[rules]]\nid = "other"\nfacet = "service"\nwhen = { other_model_vendor = true }\nseverity = "review"\n'
        'points = 10\nmessage = "{endpoint}: {values}"\n' + weights,
        encoding="utf-8",
    )
    return load_pack(path)


def vendor_facts(**values: str) -> VendorPractices:
    facts = tuple(
        PracticeFact(
            fact=name,  # type: ignore[arg-type]
            value=value,
            source="https://docs.vendor.test/terms",
            checked="2026-12-03",
            by_vendor=True,
        )
        for name, value in values.items()
    )
    return VendorPractices(vendor="Vendor AI, Inc.", tier="consumer", facts=facts, source_file="practices/v.toml")


def test_a_rule_on_vendor_facts_counts_once_per_vendor_with_the_fact_and_its_source(tmp_path: Path) -> None:
    pack = practices_pack(tmp_path)
    facts = vendor_facts(trains_on_user_data="yes", eu_us_dpf="no", eu_sccs="unknown")
    context = Context(tier="consumer", practices={"vendor.test": facts})
    endpoints = [endpoint("api.vendor.test"), endpoint("chat.vendor.test"), endpoint("other.test")]
    findings = evaluate(endpoints, [pack], context)
    assert [(f.rule, f.endpoint, f.points) for f in findings] == [("trains", "api.vendor.test", 10)]
    trains = findings[0]
    assert trains.message == "api.vendor.test: trains_on_user_data = yes"
    assert trains.fact == (
        "Vendor AI, Inc., consumer tier: trains models on user content: yes (the vendor's page "
        "https://docs.vendor.test/terms, checked 2026-12-03)"
    )
    assert evaluate(endpoints, [pack]) == []  # without the vendors' facts, no rule on them can match


def test_unknown_counts_as_risk_only_where_the_pack_says_so_and_rule_weights_multiply(tmp_path: Path) -> None:
    facts = vendor_facts(eu_us_dpf="no")  # eu_sccs was not read: unknown
    context = Context(tier="api", practices={"vendor.test": facts})
    endpoints = [endpoint("api.vendor.test")]
    assert evaluate(endpoints, [practices_pack(tmp_path)], context) == []
    strict = practices_pack(
        tmp_path, extra="unknown_is_risk = true\nweight = 2\n", weights="[weights]\nno-transfer = 3\n"
    )
    findings = evaluate(endpoints, [strict], context)
    assert {f.rule for f in findings} == {"trains", "no-transfer"}  # trains_on_user_data is unknown too
    transfer = next(f for f in findings if f.rule == "no-transfer")
    assert transfer.points == 90 and transfer.message == "api.vendor.test: eu_sccs = unknown, eu_us_dpf = no"
    assert transfer.adjustments == (
        "eu_sccs is unknown (no source read); pack practices counts unknown as risk",
        "pack weight 2: points × 2",
        "rule weight 3 in pack practices: points × 3",
    )
    assert "eu_sccs: unknown (no source read)" in transfer.fact
    assert next(f for f in findings if f.rule == "trains").points == 20


def declared_app(**changes: object) -> CatalogApp:
    app = load_catalog().get("mistral-le-chat")  # declares EU and US storage
    return dataclasses.replace(app, domains=("vendor.test",), **changes)  # type: ignore[arg-type]


def test_an_endpoint_hosted_or_run_outside_the_declared_countries_is_a_finding_with_both_sides(tmp_path: Path) -> None:
    pack = practices_pack(tmp_path)
    app = declared_app()
    context = Context(app=app)
    cn = ServiceAttribution(operator="Example Beijing Co., Ltd.", country="CN", source="t", category="telemetry")
    endpoints = [
        endpoint("api.vendor.test", address("203.0.113.10", "CN", 37963)),
        endpoint("edge.vendor.test", address("203.0.113.11", "CN", 13335, anycast=True)),
        endpoint("eu.vendor.test", address("198.51.100.1", "FR", 64500)),
        endpoint("metrics.example.test", service=cn),
        dataclasses.replace(endpoint("docs.example.test", service=cn), relevance=0.3),
    ]
    findings = {f.endpoint: f for f in evaluate(endpoints, [pack], context) if f.rule == "moved"}
    assert set(findings) == {"api.vendor.test", "metrics.example.test"}  # not an edge, not a docs link
    hosted = findings["api.vendor.test"]
    assert hosted.message == "api.vendor.test: 203.0.113.10 is hosted in CN (GeoIP)"
    assert hosted.fact.startswith("catalog mistral-le-chat declares: data location 'European Union by default")
    assert "seen (observed): command line at argument 1: api.vendor.test" in hosted.fact
    assert findings["metrics.example.test"].message.endswith(
        "run by Example Beijing Co., Ltd. (CN) (DataBorder's operator knowledge base)"
    )
    assert evaluate(endpoints, [pack], Context(app=declared_app(stored_in=frozenset()))) == []


def api(host: str, service: ServiceAttribution) -> Endpoint:
    return dataclasses.replace(endpoint(host, service=service), roles=("api",))


def test_another_vendors_ai_service_than_the_declared_ones_is_a_finding(tmp_path: Path) -> None:
    pack = practices_pack(tmp_path)
    app = declared_app(models_from=("partner.test",))
    genai = ServiceAttribution(operator="Other AI, Inc.", country="FR", source="t", category="genai")
    own = dataclasses.replace(genai, operator=app.vendor)
    endpoints = [
        api("api.other.test", service=genai),
        api("api.partner.test", service=genai),
        api("api.vendor.test", service=genai),
        api("models.elsewhere.test", service=own),
        api("telemetry.other.test", service=dataclasses.replace(genai, category="telemetry")),
        endpoint("www.other.test", service=genai),  # its web site, not its model API
    ]
    findings = [f for f in evaluate(endpoints, [pack], Context(app=app)) if f.rule == "other"]
    assert [(f.endpoint, f.message) for f in findings] == [("api.other.test", "api.other.test: Other AI, Inc.")]
    assert findings[0].fact.startswith("catalog mistral-le-chat declares the models of: Mistral AI SAS, partner.test")


def uncertain(ip: str, deciding: str | None, other: str | None) -> AddressAttribution:
    """An address two GeoIP databases place differently, as the attributor makes it (through ``decide``)."""
    from databorder.attribute.cloud import decide
    from databorder.model import GeoipAnswer

    answers = (GeoipAnswer("user-supplied file GeoLite2-Country.mmdb", deciding), GeoipAnswer("embedded", other))
    hosting, _, notes, is_uncertain, shown = decide(deciding, None, answers)
    return AddressAttribution(ip, "public", hosting, 64500, None, None, False, None, None, None, notes, is_uncertain,
                              shown)  # fmt: skip


def test_an_uncertain_hosting_country_meets_a_country_rule_if_either_of_its_countries_does(tmp_path: Path) -> None:
    path = tmp_path / "countries.toml"
    path.write_text(
        '[pack]\nid = "countries"\ntitle = "T"\nversion = "1"\nsources = ["s"]\n'
        '[sets]\neu = { regions = ["eu"] }\nconcern = { countries = ["CN"] }\n'
        '[[rules]]\nid = "outside-eu"\nfacet = "hosting"\nwhen = { country_not_in = "eu" }\n'
        'severity = "review"\npoints = 10\nmessage = "{endpoint} may be hosted in {values}"\n'
        '[[rules]]\nid = "in-concern"\nfacet = "hosting"\nwhen = { country_in = "concern" }\n'
        'severity = "prohibit"\npoints = 40\nmessage = "{endpoint} may be hosted in {values}"\n',
        encoding="utf-8",
    )
    pack = load_pack(path)
    endpoints = [
        endpoint("de-or-us.test", uncertain("198.51.100.1", "DE", "US")),  # the deciding file says DE
        endpoint("us-or-cn.test", uncertain("198.51.100.2", "US", "CN")),  # the other database says CN
        endpoint("de-or-fr.test", uncertain("198.51.100.3", "DE", "FR")),  # both in the EU: nothing to say
        endpoint("de.test", uncertain("198.51.100.4", "DE", None)),  # only the deciding one answers: certain
    ]
    assert endpoints[0].addresses[0].country_uncertain and endpoints[0].addresses[0].country == "DE"
    found = {(f.endpoint, f.rule): f for f in evaluate(endpoints, [pack])}
    assert set(found) == {("de-or-us.test", "outside-eu"), ("us-or-cn.test", "outside-eu"),
                          ("us-or-cn.test", "in-concern")}  # fmt: skip
    assert found[("de-or-us.test", "outside-eu")].message == "de-or-us.test may be hosted in US"
    assert found[("us-or-cn.test", "in-concern")].message == "us-or-cn.test may be hosted in CN"
    fact = found[("us-or-cn.test", "in-concern")].fact
    assert fact == ("198.51.100.2 is hosted in US or CN (GeoIP, uncertain: user-supplied file GeoLite2-Country.mmdb: "
                    "US; embedded: CN)")  # fmt: skip
    # The verdict is not allow for an app whose deciding database places everything in the EU.
    assert score(evaluate(endpoints[:1], [pack]))[3] == "review"
