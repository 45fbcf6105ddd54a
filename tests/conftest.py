"""Shared fixtures: real .mmdb databases built by code, and the JSON Schema every assessment written must satisfy."""

from __future__ import annotations

import os

# No display on test machines: Qt (the PDF renderer, the GUI tests) draws offscreen. Set before any Qt import.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from databorder.model import Assessment
from tests.helpers.dns_servers import Dnsmasq, ServfailResponder, SilentNameserver
from tests.helpers.mmdb import write_asn_db, write_country_db
from tests.helpers.schema import check_assessment


@pytest.fixture(autouse=True, scope="session")
def _one_qt_application(qapp: object) -> object:
    """One QApplication (widgets included) for the whole run, made before any test can make a plain
    QGuiApplication (the PDF renderer does, when it runs alone), which widget tests could not use."""
    return qapp


@pytest.fixture(autouse=True)
def private_settings(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test gets empty user, system and data folders: nothing on the developer's machine leaks in or out."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "data"))
    monkeypatch.setenv("XDG_STATE_HOME", str(home / "state"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / "cache"))
    monkeypatch.setenv("DATABORDER_SYSTEM_CONFIG", str(home / "etc-databorder"))


@dataclass(frozen=True)
class FixtureDatabases:
    country: Path
    country_flat: Path
    asn: Path


@pytest.fixture(scope="session")
def fixture_dbs(tmp_path_factory: pytest.TempPathFactory) -> FixtureDatabases:
    folder = tmp_path_factory.mktemp("mmdb")
    return FixtureDatabases(
        country=write_country_db(folder / "country.mmdb"),
        country_flat=write_country_db(folder / "country-flat.mmdb", shape="ip-location-db"),
        asn=write_asn_db(folder / "asn.mmdb"),
    )


@pytest.fixture(autouse=True)
def every_assessment_json_satisfies_the_schema(monkeypatch: pytest.MonkeyPatch) -> None:
    """Whatever a test has the code write as JSON (``--json``, a GUI export, the self-test) is checked as written.

    A safety net under the explicit checks: ``Assessment.to_json`` is the one writer, so wrapping it covers tests
    that do not think of the schema, and a field or value the schema lacks fails the test that produced it.
    """
    original = Assessment.to_json

    def checked(self: Assessment) -> str:
        text = original(self)
        check_assessment(text)
        return text

    monkeypatch.setattr(Assessment, "to_json", checked)


@pytest.fixture(scope="session")
def check_schema() -> object:
    """:func:`tests.helpers.schema.check_assessment` as a fixture: validates an assessment against the schema."""
    return check_assessment


# The .test zone every DNS test reads; names are the product's kind of data (an AI app's API, CDN, telemetry).
ZONE_RECORDS: dict[str, list[str]] = {
    "api.chat.test": ["203.0.113.10", "2001:db8::10"],
    "host.cdn.test": ["198.51.100.20"],
    "v6only.chat.test": ["2001:db8::66"],
    "multi.chat.test": ["192.0.2.10", "192.0.2.11"],
    "edge.chat.test": ["198.51.100.200"],
    "lan.chat.test": ["10.20.30.40"],
    # One AI app's endpoints in every situation a rule pack must judge (fixture countries: tests/helpers/mmdb.py).
    "cn-hosted.app.test": ["203.0.113.20"],  # CN, Alibaba
    "us-edge-cn.app.test": ["203.0.113.200"],  # CN, but a Cloudflare anycast edge
    "cn-company-sg.app.test": ["192.0.2.140"],  # SG
    "eu.app.test": ["198.51.100.140"],  # DE
    "ir.app.test": ["192.0.2.200"],  # IR
}
ZONE_CNAMES: dict[str, str] = {"edge.cdn.test": "host.cdn.test", "www.chat.test": "edge.cdn.test"}
ZONE_TXT: dict[str, str] = {"txtonly.chat.test": "a name with no address records"}


@dataclass(frozen=True)
class DnsZone:
    """The running test nameservers: dnsmasq (with SERVFAIL and silent subdomains), and a dead server."""

    nameserver: str  # dnsmasq, IP:PORT
    silent: str  # a server that never answers anything, IP:PORT


@pytest.fixture(scope="session")
def dns_zone() -> Iterator[DnsZone]:
    with ServfailResponder() as servfail, SilentNameserver() as silent:
        forward = {"fail.test": (servfail.address, servfail.port), "slow.test": (silent.address, silent.port)}
        with Dnsmasq(host_records=ZONE_RECORDS, cnames=ZONE_CNAMES, forward=forward, txt_records=ZONE_TXT) as dnsmasq:
            yield DnsZone(nameserver=dnsmasq.nameserver, silent=silent.nameserver)
