"""CSV export: one row per endpoint address, with the columns of the GUI's endpoint table."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from databorder.model import SEVERITY_ORDER, AddressAttribution, Assessment
from databorder.report.output import replacing

COLUMNS = (
    "endpoint", "roles", "address", "scope", "hosting_country", "asn", "network_operator", "network_operator_country",
    "anycast", "service_operator", "service_jurisdiction", "worst_finding", "points", "relevance", "confidence",
    "dns_status", "registration_organisation", "registration_country", "cloud_region", "geoip_country",
    "hosting_uncertain", "geoip_answers",
)  # fmt: skip


def write_csv(assessment: Assessment, path: Path) -> int:
    """Write the CSV; returns the number of data rows. An endpoint without addresses gets one row."""
    with replacing(path, "CSV") as temporary, temporary.open("w", newline="", encoding="utf-8") as handle:
        return _write_rows(assessment, csv.writer(handle))


def _write_rows(assessment: Assessment, writer: Any) -> int:
    worst: dict[str, str] = {}
    points: dict[str, int] = {}
    for f in assessment.findings:
        if f.endpoint not in worst or SEVERITY_ORDER.index(f.severity) > SEVERITY_ORDER.index(worst[f.endpoint]):
            worst[f.endpoint] = f.severity
        points[f.endpoint] = points.get(f.endpoint, 0) + f.points
    rows = 0
    writer.writerow(COLUMNS)
    for e in assessment.endpoints:
        service = e.service
        common = {
            "endpoint": e.key,
            "roles": " ".join(e.roles),
            "service_operator": service.operator if service else "",
            "service_jurisdiction": (service.country or "") if service else "",
            "worst_finding": worst.get(e.key, ""),
            "points": points.get(e.key, 0),
            "relevance": e.relevance,
            "confidence": e.confidence,
            "dns_status": e.resolution.status,
        }
        for address in e.addresses or [None]:
            operator = address.network_operator if address else None
            row = {
                **common,
                "address": address.ip if address else "",
                "scope": address.scope if address else "",
                "hosting_country": (address.country or "") if address else "",
                "asn": address.asn if address and address.asn is not None else "",
                "network_operator": operator.name if operator else ((address.as_organization or "") if address else ""),
                "network_operator_country": (operator.country or "") if operator else "",
                "anycast": ("yes" if address.anycast else "no") if address else "",
                **_registration(address),
                # "AWS eu-central-1 (Frankfurt, DE)": the provider's published range, whose region decided
                "cloud_region": address.cloud.in_words() if address and address.cloud else "",
                "geoip_country": (address.geoip_country or "") if address else "",
                # Two GeoIP databases disagreeing: "user-supplied file GeoLite2-Country.mmdb: US; npm:…: DE"
                "hosting_uncertain": ("yes" if address.country_uncertain else "no") if address else "",
                "geoip_answers": "; ".join(f"{a.database}: {a.country or 'no answer'}" for a in address.geoip_answers)
                if address
                else "",
            }
            writer.writerow([_cell(row[c]) for c in COLUMNS])
            rows += 1
    return rows


def _registration(address: AddressAttribution | None) -> dict[str, str]:
    """RDAP columns: empty unless the assessment was made with --rdap."""
    registration = address.registration if address else None
    return {
        "registration_organisation": (registration.organisation or "") if registration else "",
        "registration_country": (registration.country or "") if registration else "",
    }


def _cell(value: object) -> object:
    # Spreadsheets run cells starting with = + - @ as formulas: a hostile host name must stay text.
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return value
