"""The endpoint probe against local servers only: a TLS server with certificates made here, an RDAP server."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from databorder.attribute.probe import (
    Prober,
    TlsResult,
    decide,
    probe_endpoints,
    rdap_attribution,
    tls_attribution,
    tls_port,
    unknown_operator,
)
from databorder.attribute.rdap import DomainBootstrap, DomainRegistration, RdapCache, RdapClient
from databorder.cli import main
from databorder.model import (
    AddressAttribution,
    AttributionConfidence,
    Endpoint,
    Evidence,
    Resolution,
    ServiceAttribution,
    ServiceBasis,
)
from tests.conftest import FixtureDatabases
from tests.helpers.dns_servers import Dnsmasq, SilentNameserver
from tests.helpers.netns import TestHost
from tests.helpers.schema import check_assessment
from tests.helpers.tls_servers import LOOPBACK, TestCA, TlsServer, closed_port, self_signed

HOST = "api.probe.test"


@pytest.fixture
def ca(tmp_path: Path) -> TestCA:
    return TestCA(tmp_path)


def domain_record(org: str | None = "Probe Example Pte. Ltd.", cc: str | None = "SG") -> dict[str, object]:
    """An RDAP domain object (RFC 9083) with a registrant whose vCard has an org and an address country."""
    card: list[list[object]] = [["version", {}, "text", "4.0"], ["fn", {}, "text", "Domain Admin"]]
    if org:
        card.append(["org", {}, "text", org])
    if cc:
        card.append(["adr", {"cc": cc}, "text", ["", "", "1 Example Road", "Singapore", "", "018989", ""]])
    return {
        "objectClassName": "domain",
        "ldhName": "probe.test",
        "entities": [
            {"objectClassName": "entity", "roles": ["registrar"],
             "vcardArray": ["vcard", [["fn", {}, "text", "Example Registrar Inc."]]]},
            {"objectClassName": "entity", "roles": ["registrant"], "vcardArray": ["vcard", card]},
        ],
    }  # fmt: skip


def rdap_client(server: HTTPServer, tmp_path: Path) -> RdapClient:
    return RdapClient(
        base_url=server.url_for("/rdap/"), cache=RdapCache(tmp_path / "rdap.json"), min_interval=0.0, timeout=2.0
    )


def endpoint(
    host: str = HOST, *, port: int = 443, ip: str = LOOPBACK, service: ServiceAttribution | None = None
) -> Endpoint:
    return Endpoint(
        host=host,
        ip=None,
        registrable_domain=host.split(".", 1)[1],
        relevance=1.0,
        evidence=(Evidence("list", "hosts.txt", "line 1", host),),
        resolution=Resolution(status="ok"),
        addresses=(AddressAttribution(ip, "local", None, None, None, None, False),),
        service=service,
        ports=(port,),
    )


# --- TLS -----------------------------------------------------------------------------------------------------


def test_a_verified_certificate_names_its_organisation_as_medium_evidence(ca: TestCA) -> None:
    issued = ca.issue((HOST, "probe.test"), organisation="Probe Example Pte. Ltd.", country="SG", locality="Singapore")
    with TlsServer(issued) as server:
        result = Prober(cafile=ca.pem, timeout=2).certificate(HOST, LOOPBACK, server.port)
    cert = result.certificate
    assert result.error is None and cert is not None and cert.verified and cert.verify_error is None
    assert (cert.organisation, cert.country, cert.locality) == ("Probe Example Pte. Ltd.", "SG", "Singapore")
    assert cert.names == (HOST, "probe.test") and cert.issuer == "DataBorder Tests"
    attribution = tls_attribution(cert)
    assert attribution is not None
    assert (attribution.operator, attribution.country) == ("Probe Example Pte. Ltd.", "SG")
    assert (attribution.basis, attribution.confidence) == ("tls", "medium")
    assert attribution.source.startswith(f"TLS certificate of {HOST}:{server.port} (at 127.0.0.1), subject O=Probe")
    assert "C=SG, L=Singapore, verified chain" in attribution.source


def test_a_certificate_that_does_not_verify_is_read_by_a_second_handshake_and_is_only_a_hint(
    ca: TestCA, tmp_path: Path
) -> None:
    issued = ca.issue((HOST,), organisation="Probe Example Pte. Ltd.", country="SG")
    with TlsServer(issued) as server:
        untrusted = Prober(timeout=2).certificate(HOST, LOOPBACK, server.port)  # the system store lacks our CA
        wrong_name = Prober(cafile=ca.pem, timeout=2).certificate("other.probe.test", LOOPBACK, server.port)
        assert server.connections == 4  # one verifying and one reading handshake each
    for result, why in ((untrusted, "self-signed certificate in certificate chain"), (wrong_name, "mismatch")):
        assert result.certificate is not None and not result.certificate.verified
        assert why in str(result.certificate.verify_error).lower()
        attribution = tls_attribution(result.certificate)
        assert attribution is not None and (attribution.basis, attribution.confidence) == ("tls", "low")
        assert "chain NOT verified" in attribution.source and "a hint only" in attribution.source
    with TlsServer(self_signed(tmp_path, HOST, organisation="Some Box")) as server:
        own = Prober(cafile=ca.pem, timeout=2).certificate(HOST, LOOPBACK, server.port)
    assert own.certificate is not None and "self-signed" in str(own.certificate.verify_error)
    assert own.certificate.organisation == "Some Box"


def test_a_certificate_without_an_organisation_names_nobody(ca: TestCA) -> None:
    with TlsServer(ca.issue((HOST,))) as server:  # a domain-validated certificate: names only
        result = Prober(cafile=ca.pem, timeout=2).certificate(HOST, LOOPBACK, server.port)
    assert result.certificate is not None and result.certificate.verified
    assert tls_attribution(result.certificate) is None


def test_refused_silent_and_not_tls_are_sentences_within_the_timeout(httpserver: HTTPServer) -> None:
    prober = Prober(timeout=0.5)
    port = closed_port()
    refused = prober.certificate(HOST, LOOPBACK, port)
    assert refused.certificate is None and refused.error == f"the connection to 127.0.0.1:{port} was refused"
    with SilentNameserver() as silent:
        started = time.monotonic()
        stuck = prober.certificate(HOST, LOOPBACK, silent.port)
        assert time.monotonic() - started < 2.0
    assert stuck.error is not None and "did not complete a TLS handshake within 0.5 s" in stuck.error
    plain = prober.certificate(HOST, LOOPBACK, httpserver.port)  # an HTTP server answers a ClientHello with text
    assert plain.certificate is None and plain.error is not None and "TLS handshake with 127.0.0.1:" in plain.error


def test_the_port_is_443_unless_the_app_used_only_another() -> None:
    assert tls_port(endpoint(port=443)) == 443
    assert tls_port(endpoint(port=8443)) == 8443
    assert tls_port(endpoint(port=80)) == 443


# --- RDAP ----------------------------------------------------------------------------------------------------


def test_a_domain_registrant_organisation_and_country_are_read(httpserver: HTTPServer, tmp_path: Path) -> None:
    httpserver.expect_request("/rdap/domain/probe.test").respond_with_json(domain_record())
    found = rdap_client(httpserver, tmp_path).lookup_domain("probe.test")
    assert found.error is None and found.organisation == "Probe Example Pte. Ltd." and found.country == "SG"
    assert found.registrar == "Example Registrar Inc." and str(found.url).endswith("/rdap/domain/probe.test")
    attribution = rdap_attribution(found)
    assert attribution is not None and (attribution.basis, attribution.confidence) == ("rdap", "low")
    assert "registrant organisation Probe Example Pte. Ltd., country SG" in attribution.source


def test_a_redacted_registrant_or_a_missing_domain_names_nobody(httpserver: HTTPServer, tmp_path: Path) -> None:
    httpserver.expect_request("/rdap/domain/hidden.test").respond_with_json(domain_record("REDACTED FOR PRIVACY"))
    httpserver.expect_request("/rdap/domain/nothing.test").respond_with_data("", status=404)
    httpserver.expect_request("/rdap/domain/odd.test").respond_with_data(json.dumps({"objectClassName": "entity"}))
    client = rdap_client(httpserver, tmp_path)
    hidden = client.lookup_domain("hidden.test")
    assert hidden.error is None and hidden.organisation is None and rdap_attribution(hidden) is None
    assert client.lookup_domain("nothing.test").error == "the registry has no record of this domain"
    assert "not a domain" in str(client.lookup_domain("odd.test").error)


def test_the_shipped_domain_bootstrap_names_registries_by_longest_suffix() -> None:
    shipped = DomainBootstrap.shipped()
    assert shipped.published and str(shipped.base_url("api.example.com")).startswith("https://")
    assert shipped.base_url("host.probe.test") is None
    own = DomainBootstrap({"test": "https://rdap.test/", "probe.test": "https://probe.rdap.test/"})
    assert (
        own.base_url("api.probe.test") == "https://probe.rdap.test/" and own.base_url("x.test") == "https://rdap.test/"
    )
    client = RdapClient(domains=own, cache=RdapCache(Path("/nonexistent/rdap.json")))
    assert "no RDAP service over https is known for .example" in str(client.lookup_domain("x.example").error)


# --- the decision ----------------------------------------------------------------------------------------------


def _inferred(basis: ServiceBasis, confidence: AttributionConfidence, operator: str) -> ServiceAttribution:
    return ServiceAttribution(operator, "SG", f"{basis} source", basis=basis, confidence=confidence)


def test_the_evidence_order_verified_tls_then_cctld_then_rdap_then_unverified_tls() -> None:
    verified, cctld = _inferred("tls", "medium", "Verified"), _inferred("cctld", "low", "ccTLD")
    rdap, unverified = _inferred("rdap", "low", "Registrant"), _inferred("tls", "low", "Unverified")
    decided = decide(cctld, verified, rdap)
    assert decided is not None and decided.operator == "Verified"
    assert decided.source == "tls source | cctld source | rdap source"  # the rest stay as further sources
    assert getattr(decide(cctld, unverified, rdap), "operator", None) == "ccTLD"
    assert getattr(decide(None, unverified, rdap), "operator", None) == "Registrant"
    assert getattr(decide(None, unverified, None), "operator", None) == "Unverified"
    assert decide(None, None, None) is None and decide(cctld, None, None) is cctld


# --- probing endpoints -----------------------------------------------------------------------------------------


def test_only_endpoints_no_table_knows_are_probed_and_each_gets_its_evidence(
    ca: TestCA, httpserver: HTTPServer, tmp_path: Path
) -> None:
    httpserver.expect_request("/rdap/domain/probe.test").respond_with_json(domain_record())
    known = ServiceAttribution(operator="Known Ltd", country="US", source="table", basis="operators")
    issued = ca.issue(
        (HOST, "www.probe.test", "known.probe.test"), organisation="Probe Example Pte. Ltd.", country="SG"
    )
    with TlsServer(issued) as server:
        endpoints = [
            endpoint(HOST, port=server.port),
            endpoint("known.probe.test", port=server.port, service=known),
            endpoint("down.probe.test", port=closed_port()),
        ]
        assert [unknown_operator(e) for e in endpoints] == [True, False, True]
        seen: list[tuple[int, int]] = []
        probed = probe_endpoints(
            endpoints,
            certificate=Prober(cafile=ca.pem, timeout=2).certificate,
            registration=rdap_client(httpserver, tmp_path).lookup_domain,
            progress=lambda done, total: seen.append((done, total)),
        )
        assert server.connections == 1  # the known endpoint was not contacted
    assert len(httpserver.log) == 1  # one RDAP query for the one domain
    first, second, third = probed.endpoints
    assert first.service is not None and (first.service.basis, first.service.confidence) == ("tls", "medium")
    assert "RDAP record of the domain probe.test" in first.service.source.split(" | ")[1]
    assert second.service is known
    assert third.service is not None and third.service.basis == "rdap"  # refused, the registrant remains
    assert any(n.startswith("probe down.probe.test: TLS: the connection to 127.0.0.1:") for n in probed.notes)
    assert any("2 of 2 endpoints no table knows were attributed" in n for n in probed.notes)
    assert seen[0] == (0, 3) and seen[-1] == (3, 3) and not probed.cancelled


def test_a_cancelled_probe_sends_nothing_and_says_so(ca: TestCA, httpserver: HTTPServer, tmp_path: Path) -> None:
    with TlsServer(ca.issue((HOST,), organisation="Probe Example Pte. Ltd.")) as server:
        probed = probe_endpoints(
            [endpoint(HOST, port=server.port)],
            certificate=Prober(cafile=ca.pem, timeout=2).certificate,
            registration=rdap_client(httpserver, tmp_path).lookup_domain,
            cancelled=lambda: True,
        )
        assert server.connections == 0
    assert httpserver.log == [] and probed.cancelled and probed.endpoints[0].service is None


def test_registry_errors_are_notes_and_the_probe_goes_on(tmp_path: Path, ca: TestCA) -> None:
    def no_registry(domain: str) -> DomainRegistration:
        return DomainRegistration(domain, url=None, error="the registry could not be reached (ConnectionError)")

    with TlsServer(ca.issue((HOST,), organisation="Probe Example Pte. Ltd.", country="SG")) as server:
        probed = probe_endpoints(
            [endpoint(HOST, port=server.port)], certificate=Prober(cafile=ca.pem).certificate, registration=no_registry
        )
    assert probed.endpoints[0].service is not None and probed.endpoints[0].service.basis == "tls"
    assert "probe api.probe.test: RDAP for probe.test: the registry could not be reached (ConnectionError)" in (
        probed.notes
    )


# --- end to end: `databorder assess --probe` -----------------------------------------------------------------


def test_assess_probe_off_sends_nothing_and_on_attributes_the_unknown_host(
    ca: TestCA,
    httpserver: HTTPServer,
    fixture_dbs: FixtureDatabases,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    httpserver.expect_request("/rdap/domain/probe.test").respond_with_json(domain_record("Probe Registrant Ltd", "HK"))
    issued = ca.issue((HOST,), organisation="Probe Example Co., Ltd.", country="CN", locality="Hangzhou")
    monkeypatch.setenv("SSL_CERT_FILE", str(ca.pem))  # the system trust store, as OpenSSL reads it, is our CA
    with Dnsmasq(host_records={HOST: [LOOPBACK]}) as dns, TlsServer(issued) as server:
        common = ["assess", f"https://{HOST}:{server.port}/v1", "--nameserver", dns.nameserver,
                  "--country-db", str(fixture_dbs.country), "--asn-db", str(fixture_dbs.asn),
                  "--rdap-url", httpserver.url_for("/rdap/"), "-q"]  # fmt: skip
        off = tmp_path / "off.json"
        main([*common, "--json", str(off)])
        assert server.connections == 0 and httpserver.log == []  # off: nothing is sent
        assert check_assessment(off)["endpoints"][0].get("service") is None
        on = tmp_path / "on.json"
        main([*common, "--probe", "--json", str(on)])
        assert server.connections == 1  # one verifying handshake, with the endpoint itself
    assert [entry[0].path for entry in httpserver.log] == ["/rdap/domain/probe.test"]
    saved = check_assessment(on)
    service = saved["endpoints"][0]["service"]
    assert (service["operator"], service["country"]) == ("Probe Example Co., Ltd.", "CN")
    assert (service["basis"], service["confidence"]) == ("tls", "medium")
    assert "verified chain" in service["source"] and "registrant organisation Probe Registrant Ltd" in service["source"]
    finding = next(f for f in saved["findings"] if f["facet"] == "service")
    assert finding["severity"] == "review"  # an inference asks for review, never prohibits
    assert "inference from the endpoint's TLS certificate, medium confidence" in finding["fact"]
    assert any("who runs it is inferred" in a for a in finding["adjustments"])
    assert any("probe: 1 of 1 endpoints no table knows were attributed" in n for n in saved["notes"])
    capsys.readouterr()


NAMESPACE_TLS_SERVER = """
import socket, ssl, sys
context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
context.load_cert_chain(sys.argv[2], sys.argv[3])
listener = socket.socket(); listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
listener.bind((sys.argv[1], 443)); listener.listen(8)
while True:
    connection, _ = listener.accept()
    try:
        with context.wrap_socket(connection, server_side=True):
            pass
    except (OSError, ssl.SSLError):
        pass
"""


def test_assess_probe_shakes_hands_with_a_test_host_at_a_documentation_address_on_port_443(
    ca: TestCA, httpserver: HTTPServer, fixture_dbs: FixtureDatabases, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The probe as deployed: the endpoint's own address (not loopback), its default port, a real route."""
    httpserver.expect_request("/rdap/domain/probe.test").respond_with_json(domain_record("Probe Registrant Ltd", "HK"))
    issued = ca.issue((HOST,), organisation="Probe Example Co., Ltd.", country="CN", locality="Hangzhou")
    monkeypatch.setenv("SSL_CERT_FILE", str(ca.pem))
    with TestHost() as host:
        host.serve(NAMESPACE_TLS_SERVER, host.address, str(issued.chain), str(issued.key), ready=0.5)
        with Dnsmasq(host_records={HOST: [host.address]}) as dns:
            out = tmp_path / "out.json"
            main(["assess", f"https://{HOST}/v1", "--nameserver", dns.nameserver, "--probe",
                  "--country-db", str(fixture_dbs.country), "--asn-db", str(fixture_dbs.asn),
                  "--rdap-url", httpserver.url_for("/rdap/"), "--json", str(out), "-q"])  # fmt: skip
    endpoint = check_assessment(out)["endpoints"][0]
    assert [a["ip"] for a in endpoint["addresses"]] == [host.address]
    service = endpoint["service"]
    assert (service["operator"], service["country"], service["basis"]) == ("Probe Example Co., Ltd.", "CN", "tls")
    assert f"{HOST}:443" in service["source"] or f"{host.address}:443" in service["source"]


def test_assess_probe_errors_are_notes_and_the_assessment_goes_on(
    fixture_dbs: FixtureDatabases, tmp_path: Path, httpserver: HTTPServer
) -> None:
    httpserver.expect_request("/rdap/domain/probe.test").respond_with_data("busy", status=503)
    with Dnsmasq(host_records={HOST: [LOOPBACK]}) as dns:
        out = tmp_path / "out.json"
        main(["assess", f"https://{HOST}:{closed_port()}/", "--nameserver", dns.nameserver, "--probe",
              "--country-db", str(fixture_dbs.country), "--asn-db", str(fixture_dbs.asn),
              "--rdap-url", httpserver.url_for("/rdap/"), "--json", str(out), "-q"])  # fmt: skip
    saved = check_assessment(out)
    assert saved["endpoints"][0].get("service") is None and saved["complete"] is True
    notes = saved["notes"]
    assert any(n.startswith(f"probe {HOST}: TLS: the connection to 127.0.0.1:") and "refused" in n for n in notes)
    assert f"probe {HOST}: RDAP for probe.test: the registry answered with an error (HTTP 503)" in notes


def test_a_probe_that_breaks_is_a_note_not_a_crash(caplog: pytest.LogCaptureFixture) -> None:
    def broken(domain: str) -> DomainRegistration:
        raise RuntimeError("a bug")

    def refused(host: str, address: str, port: int) -> TlsResult:
        return TlsResult(None, f"the connection to {address}:{port} was refused")

    probed = probe_endpoints([endpoint(HOST)], certificate=refused, registration=broken)
    assert probed.endpoints[0].service is None and not probed.cancelled
    assert "probe probe.test: RDAP failed unexpectedly (RuntimeError; see the log)" in probed.notes
    assert "probe api.probe.test: TLS: the connection to 127.0.0.1:443 was refused" in probed.notes
    assert "a bug" in caplog.text


def test_a_host_the_bundle_text_attributes_is_not_probed() -> None:
    # The bundle inference already asks for review; a certificate naming a non-Chinese arm must not undo it.
    bundle = ServiceAttribution(operator="unknown operator (likely under CN law: ICP filing 京ICP备18024657号)",
                                country="CN", source="ICP filing", basis="bundle", confidence="low")  # fmt: skip
    hint = ServiceAttribution(operator="unknown operator (likely under CN law: ccTLD .cn)", country="CN",
                              source="ccTLD", basis="cctld", confidence="low")  # fmt: skip
    assert not unknown_operator(endpoint("api.vendor.test", service=bundle))
    assert unknown_operator(endpoint("api.vendor.cn", service=hint))
