"""Assessments of any size with the variety a real one has (countries, roles, severities, relevance, evidence)."""

from __future__ import annotations

import dataclasses

from databorder.model import (
    AddressAttribution,
    Assessment,
    Endpoint,
    Evidence,
    Finding,
    NetworkOperator,
    Resolution,
    Role,
    ServiceAttribution,
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
