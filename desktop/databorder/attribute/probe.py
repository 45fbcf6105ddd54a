"""The endpoint probe (``--probe``, off by default): who runs a host when every table is silent, asked online.

For each endpoint whose operator no table knows (no service attribution, or only the ccTLD hint), two sources:

* **TLS**: one handshake with the endpoint itself (its resolved address and port, SNI = the host; never a
  third party), verifying the chain against the system trust store for that host name; if verification fails, a
  second handshake that does not verify, only to read the certificate.  The subject's organisation (O), country
  (C) and locality (L) and the names (SANs) are read with ``cryptography``.
* **RDAP**: the domain's registrant organisation and country, where its registry publishes them (most redact
  people; companies often stay), from the registry IANA's ``dns.json`` names (:mod:`databorder.attribute.rdap`).

Which evidence decides is chosen in one place, :func:`decide` (strongest first): a verified certificate naming an
organisation (medium confidence) > the ccTLD hint > the RDAP registrant (low) > an unverified certificate naming
an organisation (low).  Every one of these is an inference (``model.INFERRED_BASES``): a rule it triggers can ask
for review, never prohibit.  Every failure (refused, timed out, a bad certificate, a registry error) becomes a
note for that host and the assessment goes on; handshakes time out in a few seconds, and a cancel stops the
probe between hosts.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import datetime as dt
import ipaddress
import logging
import socket
import ssl
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.x509.oid import NameOID

from databorder.attribute.rdap import DomainRegistration
from databorder.model import Endpoint, ServiceAttribution

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 3.0  # seconds for the connection and again for the handshake
DEFAULT_WORKERS = 8  # hosts probed at once


@dataclass(frozen=True)
class Certificate:
    """What the endpoint's certificate says about who holds it, and whether its chain verified for the host."""

    host: str
    address: str
    port: int
    organisation: str | None
    country: str | None
    locality: str | None
    common_name: str | None
    names: tuple[str, ...]  # the DNS names of its subject alternative names
    issuer: str | None
    verified: bool
    verify_error: str | None = None  # why verification failed (self-signed, another host's name, expired…)


@dataclass(frozen=True)
class TlsResult:
    """One endpoint's certificate, or a sentence saying why none was read."""

    certificate: Certificate | None
    error: str | None = None


class Prober:
    """Reads endpoints' certificates; the trust store is the system's unless a CA file is given (tests)."""

    def __init__(self, *, timeout: float = DEFAULT_TIMEOUT, cafile: Path | None = None) -> None:
        self.timeout = timeout
        self.cafile = cafile

    def certificate(self, host: str, address: str, port: int) -> TlsResult:
        """The certificate ``address:port`` presents for ``host`` (SNI), verified if it can be."""
        verifying = ssl.create_default_context(cafile=str(self.cafile) if self.cafile else None)
        where = _join(address, port)
        try:
            der = self._handshake(verifying, host, address, port)
            return TlsResult(_read(der, host=host, address=address, port=port, verified=True))
        except ssl.SSLCertVerificationError as exc:
            why = str(exc.verify_message or exc.reason or "the chain did not verify")
        except (OSError, ValueError) as exc:
            return TlsResult(None, _failure(exc, where, self.timeout))
        reading = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        reading.check_hostname = False
        reading.verify_mode = ssl.CERT_NONE
        try:
            der = self._handshake(reading, host, address, port)
            return TlsResult(_read(der, host=host, address=address, port=port, verified=False, verify_error=why))
        except (OSError, ValueError) as exc:
            return TlsResult(None, f"the certificate did not verify ({why}) and could not be read: "
                             f"{_failure(exc, where, self.timeout)}")  # fmt: skip

    def _handshake(self, context: ssl.SSLContext, host: str, address: str, port: int) -> bytes:
        with (
            socket.create_connection((address, port), timeout=self.timeout) as raw,
            context.wrap_socket(raw, server_hostname=host) as tls,
        ):
            der = tls.getpeercert(binary_form=True)
        if not der:
            raise ssl.SSLError("the server sent no certificate")
        return der


def _join(address: str, port: int) -> str:
    return f"[{address}]:{port}" if ":" in address else f"{address}:{port}"


def _failure(exc: BaseException, where: str, timeout: float) -> str:
    if isinstance(exc, ConnectionRefusedError):
        return f"the connection to {where} was refused"
    if isinstance(exc, TimeoutError | socket.timeout):
        return f"{where} did not complete a TLS handshake within {timeout:g} s"
    if isinstance(exc, ssl.SSLError):
        return f"the TLS handshake with {where} failed ({exc.reason or exc.strerror or type(exc).__name__})"
    if isinstance(exc, OSError):
        return f"{where} could not be reached ({exc.strerror or type(exc).__name__})"
    return f"the certificate from {where} could not be read ({exc})"


def _read(
    der: bytes, *, host: str, address: str, port: int, verified: bool, verify_error: str | None = None
) -> Certificate:
    cert = x509.load_der_x509_certificate(der)
    try:
        sans = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        names = tuple(sans.get_values_for_type(x509.DNSName))
    except x509.ExtensionNotFound:
        names = ()
    issuer = _attribute(cert.issuer, NameOID.ORGANIZATION_NAME) or _attribute(cert.issuer, NameOID.COMMON_NAME)
    country = _attribute(cert.subject, NameOID.COUNTRY_NAME)
    return Certificate(
        host=host,
        address=address,
        port=port,
        organisation=_attribute(cert.subject, NameOID.ORGANIZATION_NAME),
        country=country.upper() if country and len(country) == 2 and country.isalpha() else None,
        locality=_attribute(cert.subject, NameOID.LOCALITY_NAME),
        common_name=_attribute(cert.subject, NameOID.COMMON_NAME),
        names=names,
        issuer=issuer,
        verified=verified,
        verify_error=verify_error,
    )


def _attribute(name: x509.Name, oid: x509.ObjectIdentifier) -> str | None:
    found = name.get_attributes_for_oid(oid)
    value = found[0].value if found else None
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    return value.strip()[:200] or None if isinstance(value, str) else None


# --- evidence → attribution ----------------------------------------------------------------------------------


def tls_attribution(certificate: Certificate) -> ServiceAttribution | None:
    """The operator a certificate names (its subject O and C), or None when it names no organisation.

    A chain that verified for the host is evidence (medium confidence); an unverified one only a hint (low).
    """
    if certificate.organisation is None:
        return None
    subject = f"O={certificate.organisation}"
    subject += f", C={certificate.country}" if certificate.country else ""
    subject += f", L={certificate.locality}" if certificate.locality else ""
    names = ", ".join(certificate.names[:6]) + (", …" if len(certificate.names) > 6 else "")
    chain = (
        "verified chain"
        if certificate.verified
        else f"chain NOT verified ({certificate.verify_error or 'unknown reason'}): a hint only"
    )
    source = (
        f"TLS certificate of {certificate.host}:{certificate.port} (at {certificate.address}), subject {subject}, "
        f"{chain}; issued by {certificate.issuer or 'an unnamed issuer'}" + (f"; names {names}" if names else "")
    )
    return ServiceAttribution(
        operator=certificate.organisation,
        country=certificate.country,
        source=source,
        basis="tls",
        confidence="medium" if certificate.verified else "low",
        checked=dt.date.today().isoformat(),
    )


def rdap_attribution(registration: DomainRegistration) -> ServiceAttribution | None:
    """The registrant organisation a domain's registry publishes (low confidence), or None if it publishes none."""
    if registration.error is not None or registration.organisation is None:
        return None
    country = f", country {registration.country}" if registration.country else ""
    registrar = f"; registrar {registration.registrar}" if registration.registrar else ""
    return ServiceAttribution(
        operator=registration.organisation,
        country=registration.country,
        source=f"RDAP record of the domain {registration.domain} ({registration.url}): registrant organisation "
        f"{registration.organisation}{country}{registrar}",
        basis="rdap",
        confidence="low",
        checked=dt.date.today().isoformat(),
    )


def _rank(attribution: ServiceAttribution) -> int:
    """The evidence order, strongest first (see :func:`decide`)."""
    if attribution.basis == "tls" and attribution.confidence == "medium":
        return 0
    if attribution.basis == "cctld":
        return 1
    if attribution.basis == "rdap":
        return 2
    return 3  # an unverified certificate


def decide(
    current: ServiceAttribution | None, tls: ServiceAttribution | None, rdap: ServiceAttribution | None
) -> ServiceAttribution | None:
    """The one decision between the inferences about a host no table knows: which evidence names its operator.

    Strongest first: a verified TLS certificate naming an organisation (medium) > the ccTLD hint (``current``,
    from :mod:`databorder.attribute.service`) > the domain's RDAP registrant (low) > an unverified certificate
    naming an organisation (low).  The other evidence is kept as further sources (``" | "``-separated).
    """
    found = sorted((a for a in (current, tls, rdap) if a is not None), key=_rank)
    if not found:
        return None
    best, others = found[0], found[1:]
    if not others:
        return best
    return dataclasses.replace(best, source=" | ".join([best.source, *(o.source for o in others)]))


# --- probing an assessment's endpoints -----------------------------------------------------------------------


def unknown_operator(endpoint: Endpoint) -> bool:
    """True for a named endpoint whose operator no table knows (nothing, or only the ccTLD hint)."""
    if endpoint.host is None or _is_address(endpoint.host):
        return False
    return endpoint.service is None or endpoint.service.basis == "cctld"


def _is_address(text: str) -> bool:
    try:
        ipaddress.ip_address(text.strip("[]"))
    except ValueError:
        return False
    return True


def tls_port(endpoint: Endpoint) -> int:
    """The port to read the certificate on: 443, unless the app was seen using only other ports (not 80)."""
    others = [p for p in endpoint.ports if p != 80]
    return 443 if 443 in endpoint.ports or not others else others[0]


@dataclass(frozen=True)
class Probed:
    """The endpoints with what the probe found, what the run should note, and whether it was cancelled."""

    endpoints: list[Endpoint]
    notes: list[str]
    cancelled: bool


def probe_endpoints(
    endpoints: Sequence[Endpoint],
    *,
    certificate: Callable[[str, str, int], TlsResult],
    registration: Callable[[str], DomainRegistration],
    progress: Callable[[int, int], None] = lambda done, total: None,
    cancelled: Callable[[], bool] = lambda: False,
    workers: int = DEFAULT_WORKERS,
) -> Probed:
    """Probe each endpoint whose operator is unknown: its certificate and its domain's registrant, several at once.

    ``certificate(host, address, port)`` and ``registration(domain)`` do the asking (a :class:`Prober` and an
    :class:`~databorder.attribute.rdap.RdapClient`); only unknown endpoints are probed, each domain is asked once.
    """
    targets = [e for e in endpoints if unknown_operator(e)]
    domains = list(dict.fromkeys(e.registrable_domain or str(e.host) for e in targets))
    notes: list[str] = []
    jobs: list[tuple[str, str]] = [("tls", str(e.host)) for e in targets if e.addresses] + [
        ("rdap", d) for d in domains
    ]
    no_address = [str(e.host) for e in targets if not e.addresses]
    if no_address:
        more = f" and {len(no_address) - 5} more" if len(no_address) > 5 else ""
        notes.append(f"probe: no address to read a certificate from for {', '.join(no_address[:5])}{more}")
    by_host = {str(e.host): e for e in targets}
    stopped = False

    def work(kind: str, name: str) -> TlsResult | DomainRegistration | None:
        if cancelled():
            return None
        if kind == "rdap":
            return registration(name)
        endpoint = by_host[name]
        return certificate(name, endpoint.addresses[0].ip, tls_port(endpoint))

    results: dict[tuple[str, str], TlsResult | DomainRegistration] = {}
    progress(0, len(jobs))
    if jobs:
        with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="probe") as pool:
            futures = {pool.submit(work, *job): job for job in jobs}
            for done, future in enumerate(concurrent.futures.as_completed(futures), start=1):
                try:
                    result = future.result()
                except Exception as exc:  # a bug in one host's probe must not end the assessment
                    kind, name = futures[future]
                    log.exception("probing %s (%s) failed", name, kind)
                    broke = type(exc).__name__
                    notes.append(f"probe {name}: {kind.upper()} failed unexpectedly ({broke}; see the log)")
                    progress(done, len(jobs))
                    continue
                if result is None:
                    stopped = True
                else:
                    results[futures[future]] = result
                progress(done, len(jobs))
    stopped = stopped or (cancelled() and len(results) < len(jobs))

    attributed = 0
    changed: list[Endpoint] = []
    for endpoint in endpoints:
        if not unknown_operator(endpoint):
            changed.append(endpoint)
            continue
        host = str(endpoint.host)
        domain = endpoint.registrable_domain or host
        tls = results.get(("tls", host))
        rdap = results.get(("rdap", domain))
        from_tls = from_rdap = None
        if isinstance(tls, TlsResult):
            if tls.error is not None:
                notes.append(f"probe {host}: TLS: {tls.error}")
            elif tls.certificate is not None:
                from_tls = tls_attribution(tls.certificate)
                if from_tls is None:
                    notes.append(f"probe {host}: its certificate names no organisation")
        if isinstance(rdap, DomainRegistration):
            from_rdap = rdap_attribution(rdap)
            if rdap.error is not None:
                notes.append(f"probe {host}: RDAP for {domain}: {rdap.error}")
        decided = decide(endpoint.service, from_tls, from_rdap)
        if decided is not None and decided is not endpoint.service and decided.basis != "cctld":
            attributed += 1
        changed.append(dataclasses.replace(endpoint, service=decided) if decided is not endpoint.service else endpoint)
    if targets:
        notes.append(
            f"probe: {attributed} of {len(targets)} endpoints no table knows were attributed from their TLS "
            "certificates or their domains' RDAP records (inferences: review, never prohibit)"
        )
    return Probed(changed, notes, stopped)
