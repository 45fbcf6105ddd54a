"""A real TLS server on 127.0.0.1 with certificates the test makes: a CA and leaves with an organisation.

No mocks: the probe under test makes real handshakes over loopback and reads the certificate it was sent. The
certificates are written by code (``cryptography``), so a reader sees exactly what the server presents.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import socket
import ssl
import threading
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Self

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

LOOPBACK = "127.0.0.1"


@dataclass(frozen=True)
class Issued:
    """A certificate and its key as PEM files (``chain`` holds the leaf, then its issuer, when there is one)."""

    chain: Path
    key: Path


def _name(common_name: str, organisation: str | None, country: str | None, locality: str | None) -> x509.Name:
    parts = [x509.NameAttribute(NameOID.COMMON_NAME, common_name)]
    if organisation:
        parts.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation))
    if country:
        parts.append(x509.NameAttribute(NameOID.COUNTRY_NAME, country))
    if locality:
        parts.append(x509.NameAttribute(NameOID.LOCALITY_NAME, locality))
    return x509.Name(parts)


class TestCA:
    """A certificate authority of the test's own: its certificate is the trust store the test hands the probe."""

    __test__ = False  # not a pytest test class

    def __init__(self, folder: Path, *, name: str = "DataBorder Test CA") -> None:
        self.folder = folder
        self.key = ec.generate_private_key(ec.SECP256R1())
        subject = _name(name, "DataBorder Tests", None, None)
        now = dt.datetime.now(dt.UTC)
        self.certificate = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(subject)
            .public_key(self.key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=30))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(self.key.public_key()), critical=False)
            .sign(self.key, hashes.SHA256())
        )
        self.pem = folder / "ca.pem"
        self.pem.write_bytes(self.certificate.public_bytes(serialization.Encoding.PEM))

    def issue(
        self,
        names: tuple[str, ...],
        *,
        organisation: str | None = None,
        country: str | None = None,
        locality: str | None = None,
        file: str = "leaf",
    ) -> Issued:
        """A server certificate for ``names`` (SANs; the first is also the CN) signed by this CA."""
        key = ec.generate_private_key(ec.SECP256R1())
        now = dt.datetime.now(dt.UTC)
        sans: list[x509.GeneralName] = []
        for n in names:
            try:
                sans.append(x509.IPAddress(ipaddress.ip_address(n)))
            except ValueError:
                sans.append(x509.DNSName(n))
        leaf = (
            x509.CertificateBuilder()
            .subject_name(_name(names[0], organisation, country, locality))
            .issuer_name(self.certificate.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=10))
            .add_extension(x509.SubjectAlternativeName(sans), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(self.key.public_key()), critical=False)
            .sign(self.key, hashes.SHA256())
        )
        return _write(self.folder, file, key, [leaf, self.certificate])


def self_signed(folder: Path, name: str, *, organisation: str, country: str | None = None) -> Issued:
    """A certificate that signs itself, as a device or a test box presents."""
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    subject = _name(name, organisation, country, None)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=10))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .sign(key, hashes.SHA256())
    )
    return _write(folder, "self-signed", key, [cert])


def _write(folder: Path, file: str, key: ec.EllipticCurvePrivateKey, chain: list[x509.Certificate]) -> Issued:
    pem = folder / f"{file}.pem"
    pem.write_bytes(b"".join(c.public_bytes(serialization.Encoding.PEM) for c in chain))
    key_file = folder / f"{file}.key"
    key_file.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return Issued(chain=pem, key=key_file)


class TlsServer:
    """Accepts TLS connections on 127.0.0.1, completes the handshake with ``issued``, and hangs up.

    ``handshakes`` counts the connections it accepted, so a test can tell that nothing was sent.
    """

    def __init__(self, issued: Issued, *, address: str = LOOPBACK) -> None:
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.context.load_cert_chain(issued.chain, issued.key)
        self.address = address
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.bind((address, 0))
        self.port = int(self._socket.getsockname()[1])
        self.connections = 0
        self._running = False
        self._thread = threading.Thread(target=self._serve, daemon=True, name="TlsServer")

    def __enter__(self) -> Self:
        self._socket.listen(16)
        self._socket.settimeout(0.1)
        self._running = True
        self._thread.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self._running = False
        self._thread.join(timeout=2)
        self._socket.close()

    def _serve(self) -> None:
        while self._running:
            try:
                connection, _ = self._socket.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.connections += 1
            connection.settimeout(2)
            try:
                with self.context.wrap_socket(connection, server_side=True):
                    pass  # the handshake is all a probe asks for
            except (OSError, ssl.SSLError):
                pass  # a client that refused the certificate hangs up mid-handshake
            finally:
                connection.close()


def closed_port() -> int:
    """A port on 127.0.0.1 nobody listens on (connections are refused)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((LOOPBACK, 0))
        return int(probe.getsockname()[1])
