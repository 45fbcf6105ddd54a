"""Endpoints: understand a host, URL or address as people write it, and merge sightings into endpoints.

Hosts are normalised the way DNS sees them (lower case, IDNA/punycode, no trailing dot); the registrable domain
comes from the Public Suffix List (the maintained ``publicsuffixlist`` package, private section included, so that
``bucket.s3.amazonaws.com`` stays whole: each bucket has its own owner).
"""

from __future__ import annotations

import dataclasses
import functools
import ipaddress
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

import idna
from publicsuffixlist import PublicSuffixList

from databorder.errors import EndpointSyntaxError
from databorder.model import Collector, Confidence, Endpoint, Evidence, LegalEntity, Observation, Resolution

# A DNS label as found in real host names: letters, digits, hyphen, and underscore (``_dmarc``-style service
# labels do occur in apps); no leading or trailing hyphen.
_LABEL = r"[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?"
_HOST_RE = re.compile(rf"^{_LABEL}(?:\.{_LABEL})*$")
_SCHEME_RE = re.compile(r"^[a-z][a-z0-9+.-]*$")
_SPACE_RE = re.compile(r"\s")

# (network, mask) pairs as integers: a few integer comparisons are ~10x faster than ipaddress's is_private,
# and is_private would wrongly call the documentation ranges (192.0.2.0/24, 2001:db8::/32) local.
_LOCAL_V4 = [
    ipaddress.ip_network(n)
    for n in (
        "0.0.0.0/8",  # "this network"
        "10.0.0.0/8",
        "100.64.0.0/10",  # CGNAT
        "127.0.0.0/8",
        "169.254.0.0/16",
        "172.16.0.0/12",
        "192.168.0.0/16",
        "224.0.0.0/4",  # multicast
        "240.0.0.0/4",  # reserved, incl. broadcast
    )
]
_LOCAL_V6 = [
    ipaddress.ip_network(n)
    for n in (
        "::/127",
        "fe80::/10",
        "fc00::/7",
        "ff00::/8",
    )  # unspecified + loopback, link-local, ULA, multicast
]
_LOCAL_V4_INT = [(int(n.network_address), int(n.netmask)) for n in _LOCAL_V4]
_LOCAL_V6_INT = [(int(n.network_address), int(n.netmask)) for n in _LOCAL_V6]


def is_local(addr: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """True for addresses that never leave the local network or machine, so have no hosting country."""
    value = int(addr)
    table = _LOCAL_V4_INT if addr.version == 4 else _LOCAL_V6_INT
    return any(value & mask == network for network, mask in table)


def sent_safely(url: str) -> bool:
    """Whether credentials or lookups may go to ``url``: over https, or over plain http to this machine only.

    Plain http is for a local mirror or a test server; never clear text across a network.
    """
    parts = urlsplit(url)
    if parts.scheme == "https":
        return True
    if parts.scheme != "http" or not parts.hostname:
        return False
    if parts.hostname == "localhost":
        return True
    try:
        return ipaddress.ip_address(parts.hostname).is_loopback
    except ValueError:
        return False


#: Evidence kept per endpoint and source; the rest is counted in one summary line.
MAX_EVIDENCE_PER_SOURCE = 10

#: Confidence a collector's evidence gives (strongest first); collectors not listed saw real traffic or a list
#: of observed hosts, so they count as observed.
_CONFIDENCE_ORDER: tuple[Confidence, ...] = ("observed", "declared", "possible")
_COLLECTOR_CONFIDENCE: dict[Collector, Confidence] = {"catalog": "declared", "static": "possible"}


def confidence_of(evidence: Iterable[Evidence]) -> Confidence:
    """The strongest confidence any piece of evidence gives: observed > declared (catalog) > possible (static)."""
    levels = {_COLLECTOR_CONFIDENCE.get(e.collector, "observed") for e in evidence}
    return next((level for level in _CONFIDENCE_ORDER if level in levels), "possible")


@dataclass(frozen=True)
class ParsedEndpoint:
    """A host or IP address with the port and scheme it was written with, if any."""

    host: str | None
    ip: str | None
    port: int | None
    scheme: str | None


def parse_endpoint(text: str) -> ParsedEndpoint:
    """Parse ``text`` (host, ``host:port``, URL of any scheme, IPv4/IPv6 literal) into a normalised form.

    Raises :class:`EndpointSyntaxError` with a sentence saying what is wrong.
    """
    s = text.strip()
    if not s:
        raise EndpointSyntaxError("empty entry")
    if _SPACE_RE.search(s):
        raise EndpointSyntaxError(f"{_shorten(s)!r} contains spaces; give one host or URL per entry")
    scheme: str | None = None
    hostport = s
    if "://" in s:
        scheme_text, _, _rest = s.partition("://")
        scheme = scheme_text.lower()
        if not _SCHEME_RE.match(scheme):
            raise EndpointSyntaxError(f"{_shorten(s)!r} has an invalid URL scheme {scheme_text!r}")
        try:
            hostport = urlsplit(s).netloc
        except ValueError as exc:
            raise EndpointSyntaxError(f"{_shorten(s)!r} is not a valid URL ({exc})") from None
        hostport = hostport.rpartition("@")[2]  # drop user:password@
    else:
        hostport = re.split(r"[/?#]", s, maxsplit=1)[0]
    host_text, port = _split_port(hostport, original=s)
    ip = _as_ip(host_text)
    if ip is not None:
        return ParsedEndpoint(host=None, ip=ip, port=port, scheme=scheme)
    return ParsedEndpoint(host=normalise_host(host_text), ip=None, port=port, scheme=scheme)


def normalise_host(text: str) -> str:
    """Lower-case, IDNA-encode and check a host name; raises :class:`EndpointSyntaxError` if it is not one."""
    host = text.strip().rstrip(".")
    if not host:
        raise EndpointSyntaxError("empty host name")
    if host.startswith("*."):
        raise EndpointSyntaxError(f"{_shorten(text)!r} is a wildcard pattern, not a host name")
    if not host.isascii():
        try:
            host = idna.encode(host, uts46=True, transitional=False).decode("ascii")
        except idna.IDNAError as exc:
            raise EndpointSyntaxError(f"{_shorten(text)!r} is not a valid internationalised name ({exc})") from None
    host = host.lower()
    if len(host) > 253 or not _HOST_RE.match(host):
        raise EndpointSyntaxError(f"{_shorten(text)!r} is not a valid host name")
    if host.rsplit(".", 1)[-1].isdigit():
        raise EndpointSyntaxError(f"{_shorten(text)!r} is neither a valid IP address nor a host name")
    return host


@functools.cache
def _public_suffix_list() -> PublicSuffixList:
    # Parsing the list takes ~40 ms; it is immutable data, so one parsed copy per process is enough.
    return PublicSuffixList()


@functools.lru_cache(maxsize=1 << 16)  # an assessment asks of each host several times (scan, merge, lookup)
def registrable_domain(host: str) -> str | None:
    """The registrable domain of ``host`` (e.g. ``deepseek.com`` for ``api.deepseek.com``); None for a suffix."""
    result: str | None = _public_suffix_list().privatesuffix(host)
    return result


def build_endpoints(observations: Iterable[Observation], *, unresolved: Resolution | None = None) -> list[Endpoint]:
    """Merge sightings of the same host (or bare IP) into one endpoint carrying all their evidence.

    Endpoints come out most relevant first, then by name, so the likely data endpoints lead every table.
    A host's resolution is ``unresolved`` (by default a placeholder) until the resolve stage fills it in: an
    offline assessment gives its final one here, rather than replacing every endpoint after.
    """
    pending = unresolved or _NOT_RESOLVED
    merged: dict[str, _Draft] = {}
    for obs in observations:
        key = obs.host if obs.host is not None else obs.ip
        if key is None:
            continue
        draft = merged.get(key)
        if draft is None:
            draft = merged[key] = _Draft(host=obs.host, ip=obs.ip)
        draft.add(obs)
    endpoints = [d.freeze(pending) for d in merged.values()]
    endpoints.sort(key=lambda e: (-e.relevance, e.key))
    return endpoints


_NOT_RESOLVED = Resolution(status="skipped", detail="not resolved yet")


class _Draft:
    """Mutable accumulator used only inside :func:`build_endpoints`."""

    def __init__(self, *, host: str | None, ip: str | None) -> None:
        self.host = host
        self.ip = ip
        self.relevance = 0.0
        self.reasons: tuple[str, ...] = ()  # those of the most relevant sighting
        self.evidence: list[Evidence] = []
        self.per_source: dict[tuple[Collector, str], int] = {}
        self.ports: set[int] = set()
        self.schemes: set[str] = set()
        self.seen: dict[str, None] = {}
        self.entities: dict[LegalEntity, None] = {}

    def add(self, obs: Observation) -> None:
        if obs.relevance > self.relevance or (obs.relevance == self.relevance and not self.reasons):
            self.reasons = obs.relevance_reasons
        self.relevance = max(self.relevance, obs.relevance)
        self._evidence(obs.evidence)
        self.seen.update(dict.fromkeys(obs.seen_addresses))
        self.entities.update(dict.fromkeys(obs.entities))
        if obs.port is not None:
            self.ports.add(obs.port)
        if obs.scheme is not None:
            self.schemes.add(obs.scheme)

    def absorb(self, endpoint: Endpoint, *, note: str | None = None) -> None:
        """Take in a whole endpoint (its evidence under the same cap, ``note`` appended to each excerpt)."""
        if endpoint.relevance > self.relevance or (endpoint.relevance == self.relevance and not self.reasons):
            self.reasons = endpoint.relevance_reasons
        self.relevance = max(self.relevance, endpoint.relevance)
        for evidence in endpoint.evidence:
            self._evidence(dataclasses.replace(evidence, excerpt=f"{evidence.excerpt} — {note}") if note else evidence)
        self.seen.update(dict.fromkeys(endpoint.observed_addresses))
        self.entities.update(dict.fromkeys(endpoint.entities))
        if endpoint.host is None and endpoint.ip is not None and self.host is not None:
            self.seen[endpoint.ip] = None  # a named address: the host was seen using it
        self.ports.update(endpoint.ports)
        self.schemes.update(endpoint.schemes)

    def _evidence(self, evidence: Evidence) -> None:
        key = (evidence.collector, evidence.source)
        count = self.per_source.get(key, 0)
        if evidence.location is None:  # a collector's own summary of sightings it counted: always kept
            if evidence not in self.evidence:
                self.evidence.append(evidence)
        elif count >= MAX_EVIDENCE_PER_SOURCE:
            self.per_source[key] = count + 1  # counted, not kept: a capture may show a host 100,000 times
        elif evidence not in self.evidence:
            self.evidence.append(evidence)
            self.per_source[key] = count + 1

    def freeze(self, unresolved: Resolution = _NOT_RESOLVED) -> Endpoint:
        if self.host is not None:
            resolution = unresolved
            domain = registrable_domain(self.host)
        else:
            resolution = Resolution(status="skipped", detail="a bare IP address needs no DNS lookup")
            domain = None
        more = [
            Evidence(collector, source, None, f"… and {count - MAX_EVIDENCE_PER_SOURCE:,} more sightings here")
            for (collector, source), count in self.per_source.items()
            if count > MAX_EVIDENCE_PER_SOURCE
        ]
        return Endpoint(
            host=self.host,
            ip=self.ip,
            registrable_domain=domain,
            relevance=round(self.relevance, 3),
            evidence=tuple(self.evidence + more),
            resolution=resolution,
            ports=tuple(sorted(self.ports)),
            schemes=tuple(sorted(self.schemes)),
            confidence=confidence_of(self.evidence),
            observed_addresses=tuple(self.seen),
            relevance_reasons=self.reasons,
            entities=tuple(self.entities),
        )


def rename_endpoints(
    endpoints: Sequence[Endpoint], names: Mapping[str, tuple[str, str]], resolutions: Mapping[str, Resolution]
) -> list[Endpoint]:
    """Move the evidence of named addresses onto their hosts, creating host endpoints where needed.

    ``names`` maps an address to ``(host, how it was named)``; the "how" is appended to each piece of evidence.
    The merge is the one :func:`build_endpoints` does (same evidence cap); a host endpoint that already exists
    keeps its resolution and attribution, a new one takes ``resolutions[host]``.
    """
    result: list[Endpoint] = []
    moved: dict[str, list[Endpoint]] = {}
    for endpoint in endpoints:
        named = names.get(str(endpoint.ip)) if endpoint.host is None else None
        if named is None:
            result.append(endpoint)
        else:
            moved.setdefault(named[0], []).append(endpoint)
    for host, sources in moved.items():
        index = next((i for i, e in enumerate(result) if e.host == host), None)
        target = result[index] if index is not None else None
        draft = _Draft(host=host, ip=None)
        if target is not None:
            draft.absorb(target)
        for source in sources:
            draft.absorb(source, note=names[str(source.ip)][1])
        merged = draft.freeze()
        if target is not None:
            result[index] = dataclasses.replace(  # type: ignore[index]
                target,
                evidence=merged.evidence,
                observed_addresses=merged.observed_addresses,
                entities=merged.entities,
                ports=merged.ports,
                schemes=merged.schemes,
                relevance=merged.relevance,
                confidence=merged.confidence,
            )
        else:
            resolution = resolutions.get(host, Resolution(status="skipped", detail="named from an address"))
            result.append(dataclasses.replace(merged, resolution=resolution))
    return result


def _split_port(hostport: str, *, original: str) -> tuple[str, int | None]:
    if hostport.startswith("["):
        inner, sep, rest = hostport[1:].partition("]")
        if not sep:
            raise EndpointSyntaxError(f"{_shorten(original)!r} opens an IPv6 bracket but never closes it")
        if _as_ip(inner) is None or ":" not in inner:
            raise EndpointSyntaxError(f"{_shorten(original)!r} has {inner!r} in brackets, which is not an IPv6 address")
        if rest == "":
            return inner, None
        if not rest.startswith(":"):
            raise EndpointSyntaxError(f"{_shorten(original)!r} has text after the IPv6 address")
        return inner, _port(rest[1:], original)
    if hostport.count(":") > 1:  # a bare IPv6 address: its colons are not a port separator
        return hostport, None
    host, sep, port_text = hostport.partition(":")
    return host, (_port(port_text, original) if sep else None)


def _port(text: str, original: str) -> int:
    if not (text.isascii() and text.isdigit()) or not 0 < int(text) < 65536:  # not "²": isdigit, but no number
        raise EndpointSyntaxError(f"{_shorten(original)!r} has an invalid port {text!r}")
    return int(text)


def _as_ip(text: str) -> str | None:
    """The canonical text of an IP literal (IPv4-mapped IPv6 becomes IPv4), or None if ``text`` is not one."""
    if "%" in text or not (text[:1].isdigit() or ":" in text):
        return None  # scoped link-local addresses mean nothing elsewhere; other text without a digit or ':' is a name
    try:
        addr = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        return str(addr.ipv4_mapped)
    return str(addr)


def _shorten(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


#: First labels of a vendor's pages for people (docs, consoles, status pages): role "web", and a static scan
#: ranks them under the same vendor's data endpoints.
WEB_LABELS = frozenset({"docs", "doc", "console", "help", "platform", "dashboard", "status", "community", "www",
                        "blog", "support", "forum", "learn", "developer", "developers", "cookbook"})  # fmt: skip


def is_web_page(host: str | None) -> bool:
    """Whether a host names a page for people under a vendor's domain (``docs.vendor.com``).

    Any label before the last two counts: ``bailian.console.aliyun.com`` is a console page too.
    """
    if not host:
        return False
    labels = host.split(".")
    return any(label in WEB_LABELS for label in labels[:-2])
