from __future__ import annotations

from pathlib import Path

from databorder.model import (
    AddressAttribution,
    Endpoint,
    Evidence,
    NetworkOperator,
    Resolution,
    ServiceAttribution,
)
from databorder.policy import evaluate, find_pack, load_pack, score
from databorder.policy.packs import RulePack

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
