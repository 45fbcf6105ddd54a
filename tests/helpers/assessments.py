"""Assessments of any size with the variety a real one has (countries, roles, severities, relevance, evidence),
and one that fills every field the model has (for the tests that walk the JSON contract field by field)."""

from __future__ import annotations

import dataclasses

from databorder.model import (
    AddressAttribution,
    Assessment,
    ChainLink,
    ChangesSince,
    CloudRegion,
    DatabaseRef,
    Endpoint,
    Evidence,
    Finding,
    GeoipAnswer,
    LegalEntity,
    NetworkOperator,
    PackRef,
    PracticeFact,
    PreviousAssessment,
    Registration,
    Resolution,
    Role,
    ServiceAttribution,
    VendorPractices,
    VerdictChange,
)
from tests.model.test_model import sample_assessment

# (country, first address, ASN, operator, operator's home country, anycast)
_PLACES = [
    ("CN", "203.0.113.", 37963, "Alibaba Cloud", "CN", False),
    ("US", "198.51.100.", 16509, "Amazon Web Services", "US", False),
    ("DE", "198.51.100.", 24940, "Hetzner Online", "DE", False),
    ("SG", "192.0.2.", 45102, "Alibaba Cloud", "CN", False),
    ("NL", "192.0.2.", 13335, "Cloudflare", "US", True),
    ("IR", "192.0.2.", 64504, "Example Telecom Tehran", "IR", False),
]
_ROLES: list[tuple[Role, ...]] = [("api",), ("telemetry",), ("auth",), ("cdn",), ("web",), ()]
_SEVERITY = {"CN": ("prohibit", 40), "IR": ("prohibit", 40), "SG": ("review", 15), "NL": ("info", 0)}


def varied_assessment(count: int) -> Assessment:
    """``count`` endpoints over six countries, six roles, three severities and relevance 0.05–1.0."""
    base = sample_assessment()
    endpoints: list[Endpoint] = []
    findings: list[Finding] = []
    for i in range(count):
        country, prefix, asn, operator, home, anycast = _PLACES[i % len(_PLACES)]
        host = f"{('api', 'telemetry', 'auth', 'cdn', 'www', 'docs')[i % 6]}{i}.{country.lower()}-app.test"
        address = AddressAttribution(
            ip=f"{prefix}{i % 250 + 1}",
            scope="public",
            country=country,
            asn=asn,
            as_organization=operator,
            network_operator=NetworkOperator(name=operator, country=home, source="fixture"),
            anycast=anycast,
        )
        endpoints.append(
            Endpoint(
                host=host,
                ip=None,
                registrable_domain=host.split(".", 1)[1],
                relevance=round(0.05 + (i % 20) * 0.05, 2),
                evidence=(
                    Evidence("static", f"app.asar!dist/main{i % 7}.js", f"offset {i * 97}", f'"https://{host}/v1"'),
                ),
                resolution=Resolution(status="ok", nameserver="127.0.0.1:53"),
                addresses=(address,),
                service=ServiceAttribution(operator=f"Vendor {i % 9}", country=home, source="fixture table"),
                roles=_ROLES[i % len(_ROLES)],
            )
        )
        if country in _SEVERITY:
            severity, points = _SEVERITY[country]
            findings.append(
                dataclasses.replace(
                    base.findings[0],
                    severity=severity,  # type: ignore[arg-type]
                    points=points,
                    endpoint=host,
                    message=f"{host} is hosted in {country}",
                    fact=f"{address.ip} is hosted in {country}",
                )
            )
    return dataclasses.replace(base, endpoints=tuple(endpoints), findings=tuple(findings), complete=True, warnings=())


def full_assessment() -> Assessment:
    """An assessment in which every optional object and list is present, with every kind of value filled in.

    A bare-IP endpoint beside a named one, an address with an RDAP registration and one local address, a service
    with a category, a pack found through ``--pack-dir`` (origin ``folder``), a weighted finding above 100 points.
    """
    base = sample_assessment()
    named = base.endpoints[0]
    registered = dataclasses.replace(
        named.addresses[0],
        registration=Registration(
            url="https://rdap.test/ip/203.0.113.10",
            rir="apnic",
            network_name="ALIBABA-CN-NET",
            handle="203.0.113.0 - 203.0.113.255",
            range="203.0.113.0/24",
            organisation="Alibaba Cloud",
            country="CN",
            fetched="2026-11-24T11:59:00+00:00",
            cached=True,
            error=None,
        ),
        cloud=CloudRegion(
            provider="AWS",
            region="ap-east-1",
            country="HK",
            city="Hong Kong",
            service="EC2",
            source="AWS ip-ranges.json via a test feed",
            date="2026-10-26",
            edge=False,
            unverified=("city",),
        ),
        geoip_country="CN",
        notes=("GeoIP places it in CN; the provider's published ranges put it in AWS ap-east-1 (Hong Kong, HK)",),
        # Two GeoIP databases disagreeing (the region decides, so the country is not uncertain).
        geoip_answers=(GeoipAnswer("user-supplied file GeoLite2-Country.mmdb", "CN"), GeoipAnswer("embedded", "HK")),
    )
    local = AddressAttribution(
        ip="fd00::1",
        scope="local",
        country=None,
        asn=None,
        as_organization=None,
        network_operator=None,
        anycast=False,
    )
    named = dataclasses.replace(
        named,
        addresses=(registered, local),
        service=ServiceAttribution(
            operator="Chat Pte. Ltd.",
            country="SG",
            source="test knowledge base ai.toml: chat.test",
            category="genai",
            parent_chain=(ChainLink("Chat Holdings Ltd.", "CN"),),
            basis="operators",
            confidence="medium",
            checked="2026-12-03",
            unverified=("parent",),
            role="api",
        ),
        confidence="declared",
        roles=("api", "telemetry"),
        observed_addresses=("203.0.113.10",),
        entities=(
            LegalEntity(
                kind="icp-filing",
                text="京ICP备18024657号",
                name=None,
                country="CN",
                source="app.asar!main.js",
                offset=310,
                near="chat.test",
                distance=42,
            ),
        ),
    )
    bare = Endpoint(
        host=None,
        ip="198.51.100.7",
        registrable_domain=None,
        relevance=0.4,
        evidence=(Evidence(collector="static", source="app.asar!main.js", location=None, excerpt="198.51.100.7"),),
        resolution=Resolution(status="skipped", detail="a bare IP address needs no DNS lookup"),
        confidence="possible",
    )
    weighted = dataclasses.replace(
        base.findings[0],
        pack="org-strict",
        points=120,
        citation="28 CFR 202.601",
        adjustments=("pack weight 3: points × 3",),
    )
    return dataclasses.replace(
        base,
        target=dataclasses.replace(base.target, kind="path", name="/opt/chat", detail="a folder"),
        packs=(
            *base.packs,
            PackRef(
                id="org-strict",
                version="2",
                sha256="b" * 64,
                title="Org",
                source="org-strict.toml",
                origin="folder",
                weight=3.0,
            ),
        ),
        databases=(
            *base.databases,
            dataclasses.replace(
                base.databases[0],
                kind="services",
                build_date=None,
                licence="CC BY 4.0",
                attribution="fixture",
                file="s.toml",
            ),
        ),
        endpoints=(named, bare),
        findings=(*base.findings, weighted),
        score=100,
        band="critical",
        points_total=160,
        complete=False,
        warnings=("DNS was unreachable",),
        nameserver="127.0.0.1:5353",
        notes=("a note",),
        changes_since=ChangesSince(
            previous=PreviousAssessment(id=7, created="2026-11-20T09:30:00+00:00", verdict="review", score=35),
            new_endpoints=("api.chat.test",),
            removed_endpoints=("old.chat.test",),
            new_countries=("CN",),
            removed_countries=("DE",),
            new_regions=("asia",),
            new_operators=("Chat Ltd",),
            removed_operators=("Old Vendor GmbH",),
            new_jurisdictions=("CN",),
            verdict_change=VerdictChange(old="review", new="prohibit", old_score=35, new_score=100),
            new_findings=2,
            resolved_findings=1,
        ),
        tier="api",
        tier_basis="given",
        app="claude-code",
        practices=(
            VendorPractices(
                vendor="Example AI, Inc.",
                tier="api",
                facts=(
                    PracticeFact(
                        fact="trains_on_user_data",
                        value="no",
                        source="https://docs.example.test/data",
                        checked="2026-12-03",
                        by_vendor=True,
                        note="unless the customer opts in",
                    ),
                    PracticeFact(fact="retention", value="unknown"),
                ),
                apps=("example",),
                source_file="practices/example.toml",
                domains=("example.test",),
            ),
        ),
    )


def who_runs_it_assessment() -> Assessment:
    """A foreign arm of a Chinese parent (with its chain) and a data endpoint nobody can attribute, offline."""
    from databorder.model import Resolution

    base = full_assessment()
    arm = next(e for e in base.endpoints if e.service is not None and e.service.parent_chain)
    nobody = dataclasses.replace(
        arm,
        host="api.nobody-knows.example",
        registrable_domain="nobody-knows.example",
        addresses=(),
        service=None,
        roles=("api",),
        resolution=Resolution(status="skipped", detail="offline: DNS was not used"),
    )
    return dataclasses.replace(base, endpoints=(arm, nobody), offline=True)


MAXMIND_SOURCE = "user-supplied file GeoLite2-Country.mmdb"
EMBEDDED_SOURCE = "embedded geo-whois-asn-country"


def two_geoip_assessment() -> Assessment:
    """The sample assessment read with a MaxMind file (US) beside the embedded database (DE), which disagree."""
    from databorder.attribute.cloud import decide

    base = sample_assessment()
    first = base.endpoints[0]
    answers = (GeoipAnswer(MAXMIND_SOURCE, "US"), GeoipAnswer(EMBEDDED_SOURCE, "DE"))
    hosting, _, notes, uncertain, shown = decide("US", None, answers)
    address = dataclasses.replace(
        first.addresses[0], country=hosting, notes=notes, country_uncertain=uncertain, geoip_answers=shown
    )
    country = DatabaseRef(kind="country", source=MAXMIND_SOURCE, build_date="2026-11-24", sha256="b" * 64)
    embedded = DatabaseRef(kind="country", source=EMBEDDED_SOURCE, build_date="2026-06-17", sha256="c" * 64)
    return dataclasses.replace(
        base,
        endpoints=(dataclasses.replace(first, addresses=(address,)), *base.endpoints[1:]),
        databases=(country, embedded, *(d for d in base.databases if d.kind != "country")),
    )
