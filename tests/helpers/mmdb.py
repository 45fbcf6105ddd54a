"""Build small MaxMind-format databases for the documentation address ranges, as real .mmdb files.

Shapes follow MaxMind's own (GeoLite2-Country, GeoLite2-ASN) and ip-location-db's (``country_code``), so the
readers are tested against every shape they claim to read.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from mmdb_writer import MmdbU32, MMDBWriter
from netaddr import IPSet

#: network → country in the fixture country database.
FIXTURE_COUNTRIES: Mapping[str, str] = {
    "203.0.113.0/25": "CN",
    "203.0.113.128/25": "CN",  # a Cloudflare (anycast) edge in China
    "198.51.100.0/25": "US",
    "198.51.100.128/26": "DE",
    "198.51.100.192/26": "DE",  # a Cloudflare (anycast) edge in Germany
    "192.0.2.0/25": "RU",
    "192.0.2.128/26": "SG",
    "192.0.2.192/26": "IR",
    "2001:db8::/48": "CN",
    "2001:db8:1::/48": "FR",
}

#: network → (ASN, AS organisation) in the fixture ASN database; the ASNs are real operators' so the operator
#: table (shipped data) applies: 45102 Alibaba (registered US, parent CN), 13335 Cloudflare (anycast).
FIXTURE_ASNS: Mapping[str, tuple[int, str]] = {
    "203.0.113.0/25": (37963, "Hangzhou Alibaba Advertising Co.,Ltd."),
    "203.0.113.128/25": (13335, "Cloudflare, Inc."),
    "198.51.100.0/25": (45102, "Alibaba (US) Technology Co., Ltd."),
    "198.51.100.128/26": (64503, "Example Hosting GmbH"),
    "198.51.100.192/26": (13335, "Cloudflare, Inc."),
    "192.0.2.0/25": (64500, "Documentation AS"),
    "192.0.2.128/26": (64502, "Example Cloud Pte. Ltd."),
    "192.0.2.192/26": (64504, "Example Telecom Tehran"),
    "2001:db8::/48": (37963, "Hangzhou Alibaba Advertising Co.,Ltd."),
    "2001:db8:1::/48": (64501, "Example Networks SAS"),
}


def _writer(database_type: str) -> MMDBWriter:
    return MMDBWriter(
        ip_version=6,
        ipv4_compatible=True,
        database_type=database_type,
        languages=["en"],
        description={"en": f"DataBorder test fixture ({database_type})"},
    )


def write_country_db(path: Path, countries: Mapping[str, str] = FIXTURE_COUNTRIES, *, shape: str = "maxmind") -> Path:
    """A country database; ``shape`` 'maxmind' (GeoLite2-Country) or 'ip-location-db' (``country_code``)."""
    writer = _writer("GeoLite2-Country" if shape == "maxmind" else "country ipvAll")
    for network, code in countries.items():
        if shape == "maxmind":
            record = {
                "country": {"iso_code": code, "names": {"en": code}},
                "registered_country": {"iso_code": code},
            }
        else:
            record = {"country_code": code}
        writer.insert_network(IPSet([network]), record)
    writer.to_db_file(str(path))
    return path


def write_asn_db(path: Path, asns: Mapping[str, tuple[int, str]] = FIXTURE_ASNS) -> Path:
    """An ASN database in GeoLite2-ASN shape."""
    writer = _writer("GeoLite2-ASN")
    for network, (number, org) in asns.items():
        record = {"autonomous_system_number": MmdbU32(number), "autonomous_system_organization": org}
        writer.insert_network(IPSet([network]), record)
    writer.to_db_file(str(path))
    return path
