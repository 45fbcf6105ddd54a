"""The data every stage passes on, and its canonical JSON form (``schema_version`` 1).

Frozen dataclasses only: a stage takes plain data and returns new plain data, so each stage can be tested alone
and an :class:`Assessment` can be stored, compared and re-opened years later.  The JSON contract is documented
in ``docs/assessment-json.md`` and enforced by ``resources/schema/assessment.schema.json``; field names here are
the JSON names, so the (de)serialiser below needs no mapping table.
"""

from __future__ import annotations

import dataclasses
import json
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, TypeVar, Union, get_args, get_origin, get_type_hints

SCHEMA_VERSION = 1

# The closed vocabularies of the JSON contract. Each value here is a value a user sees (in the GUI, the CLI, the
# PDF and the JSON alike); the JSON Schema's enums are generated from these (databorder.schema) and the reader
# refuses anything else, so a new value is added here, once, and the schema regenerated.

#: The outcome of an assessment: the strongest severity among its findings (``info`` or none → ``allow``).
Verdict = Literal["allow", "review", "prohibit"]
#: How serious one finding is.
Severity = Literal["info", "review", "prohibit"]
#: The score's band (lower bounds in databorder.policy.evaluate.BANDS).
Band = Literal["low", "moderate", "high", "critical"]
#: What a rule looks at: where the address is hosted, whose network it is in, who runs the service, or any.
Facet = Literal["hosting", "network", "service", "any"]
#: What was assessed: a host list, a catalog app, a folder/archive/binary, a running process, a capture file.
TargetKind = Literal["hosts", "catalog", "path", "process", "capture"]
#: Which collector saw an endpoint: typed on the command line, a host list, a HAR file, a packet capture, a Squid
#: or Zeek log, a CSV/TSV table with a host column, live sockets, the AI-app catalog, a static scan of files.
Collector = Literal["cli", "list", "har", "pcap", "squid", "zeek", "table", "live", "catalog", "static"]
#: The DNS outcome for a hostname (``skipped``: offline, cancelled, or a bare IP address).
ResolutionStatus = Literal["ok", "nxdomain", "nodata", "servfail", "timeout", "skipped"]
#: ``local`` for private, loopback, link-local, CGNAT, unique-local, multicast and unspecified addresses.
AddressScope = Literal["public", "local"]
#: How sure we are the app talks to an endpoint: seen doing so (live, capture, a list of observed hosts),
#: declared by the vendor (catalog), or merely possible (found in a static scan of the app's files).
Confidence = Literal["observed", "declared", "possible"]
#: What an endpoint is for, as the AI-app catalog declares it.
Role = Literal["api", "auth", "telemetry", "web", "cdn", "update"]
#: Where a rule pack was found: the organisation's system folder, the user's config folder, a folder the user
#: named (``--pack-dir``), the packs shipped with DataBorder, or a file named by path.
PackOrigin = Literal["system", "user", "folder", "shipped", "file"]
#: What a data source is: the GeoIP country or ASN database, the operator or service table, the AI-app catalog.
DatabaseKind = Literal["country", "asn", "operators", "services", "catalog"]

#: Severity order, weakest first; the verdict is the strongest severity any finding reached.
SEVERITY_ORDER: tuple[Severity, ...] = ("info", "review", "prohibit")


@dataclass(frozen=True, slots=True)
class Target:
    """What was assessed, in the user's words: a host list, a catalog app, a folder, a process, a capture."""

    kind: TargetKind
    name: str
    detail: str | None = None


@dataclass(frozen=True, slots=True)
class Evidence:
    """Where an endpoint was seen: which collector, in which file/process/capture, at which line or offset."""

    collector: Collector
    source: str
    location: str | None
    excerpt: str


@dataclass(frozen=True, slots=True)
class Observation:
    """One sighting of a host or address by a collector, before sightings are merged into endpoints."""

    host: str | None
    ip: str | None
    port: int | None
    scheme: str | None
    evidence: Evidence
    relevance: float = 1.0
    seen_addresses: tuple[str, ...] = ()  # addresses the app was seen using for this host (captures, live)


@dataclass(frozen=True, slots=True)
class Resolution:
    """The DNS outcome for one hostname; ``cname_chain`` lists every alias followed, in order."""

    status: ResolutionStatus
    cname_chain: tuple[str, ...] = ()
    nameserver: str | None = None
    detail: str | None = None


@dataclass(frozen=True, slots=True)
class NetworkOperator:
    """Who runs the network an address sits in, and the home country of its parent company."""

    name: str
    country: str | None
    parent: str | None = None
    source: str | None = None


@dataclass(frozen=True, slots=True)
class Registration:
    """What a regional registry's RDAP service says about the network holding an address (opt-in, online).

    A separate source beside the GeoIP country, never replacing it; ``error`` says why it is missing.
    """

    url: str | None
    rir: str | None = None
    network_name: str | None = None
    handle: str | None = None
    range: str | None = None
    organisation: str | None = None
    country: str | None = None
    fetched: str | None = None
    cached: bool = False
    error: str | None = None


@dataclass(frozen=True, slots=True)
class AddressAttribution:
    """One IP address with its hosting country (GeoIP), ASN and network operator.

    ``scope`` is ``local`` for private, loopback, link-local, CGNAT and unique-local addresses, which are never
    geolocated.  ``anycast`` marks CDN/anycast edges whose GeoIP country says where the edge is, not where data
    rests.
    """

    ip: str
    scope: AddressScope
    country: str | None
    asn: int | None
    as_organization: str | None
    network_operator: NetworkOperator | None
    anycast: bool
    registration: Registration | None = None  # RDAP, only when the user turned it on


@dataclass(frozen=True, slots=True)
class ServiceAttribution:
    """Who runs the service behind a domain, and the country whose law that operator lives under."""

    operator: str
    country: str | None
    source: str
    category: str | None = None  # genai, telemetry, analytics, error-reporting, feature-flags…


@dataclass(frozen=True, slots=True)
class Endpoint:
    """A host (or bare IP) the app talks to, with all the evidence for it and what was learnt about it."""

    host: str | None
    ip: str | None
    registrable_domain: str | None
    relevance: float
    evidence: tuple[Evidence, ...]
    resolution: Resolution
    addresses: tuple[AddressAttribution, ...] = ()
    service: ServiceAttribution | None = None
    ports: tuple[int, ...] = ()
    schemes: tuple[str, ...] = ()
    confidence: Confidence = "observed"
    roles: tuple[Role, ...] = ()
    observed_addresses: tuple[str, ...] = ()  # seen in captures or live sockets; attributed with DNS's answers

    @property
    def key(self) -> str:
        """The name findings use for this endpoint: the host, else the bare IP."""
        return self.host if self.host is not None else str(self.ip)


@dataclass(frozen=True, slots=True)
class Finding:
    """One rule that one endpoint triggered, with the points it adds and the fact that triggered it."""

    rule: str
    pack: str
    severity: Severity
    points: int
    endpoint: str
    message: str
    facet: Facet
    fact: str
    citation: str | None = None
    adjustments: tuple[str, ...] = ()  # why severity or points differ from the rule as written


@dataclass(frozen=True, slots=True)
class Tool:
    """The program that produced an assessment."""

    name: str
    version: str


@dataclass(frozen=True, slots=True)
class PackRef:
    """A rule pack as applied: its id, version and the sha256 of the file read."""

    id: str
    version: str
    sha256: str
    title: str = ""
    source: str = ""
    origin: PackOrigin = "file"
    weight: float = 1.0


@dataclass(frozen=True, slots=True)
class DatabaseRef:
    """A data source an attribution relied on (GeoIP, ASN, operator table), precisely enough to audit."""

    kind: DatabaseKind
    source: str
    build_date: str | None
    sha256: str
    file: str = ""
    licence: str | None = None
    attribution: str | None = None


@dataclass(frozen=True, slots=True)
class Assessment:
    """The result of one run: what was assessed, with which data and rules, and what came out."""

    tool: Tool
    created: str
    target: Target
    verdict: Verdict
    score: int
    band: Band
    packs: tuple[PackRef, ...]
    databases: tuple[DatabaseRef, ...]
    endpoints: tuple[Endpoint, ...]
    findings: tuple[Finding, ...]
    complete: bool = True
    warnings: tuple[str, ...] = ()
    nameserver: str | None = None
    offline: bool = False
    points_total: int = 0  # the sum of finding points; score = min(100, points_total)
    notes: tuple[str, ...] = ()  # things a reader should know that are not problems (e.g. packs folded)
    schema_version: int = SCHEMA_VERSION

    def to_json(self, *, indent: int | None = 2) -> str:
        """The canonical JSON text of this assessment."""
        return json.dumps(to_jsonable(self), indent=indent, ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> Assessment:
        """Read an assessment back from its JSON text (as written by :meth:`to_json`)."""
        data = json.loads(text)
        if not isinstance(data, dict):
            raise ValueError("an assessment must be a JSON object")
        version = data.get("schema_version")
        if version != SCHEMA_VERSION:
            raise ValueError(f"unsupported assessment schema_version {version!r} (this build reads {SCHEMA_VERSION})")
        return from_jsonable(cls, data)


def to_jsonable(value: Any) -> Any:
    """Turn model objects into JSON-ready dicts and lists; dataclass field names are the JSON names."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, tuple | list):
        return [to_jsonable(v) for v in value]
    return value


T = TypeVar("T")


def from_jsonable(cls: type[T], data: Mapping[str, Any]) -> T:
    """Build a model dataclass from JSON data, recursing by the type hints; unknown keys are ignored.

    Ignoring unknown keys lets a newer DataBorder's JSON (fields may be added, never renamed) open here.
    """
    hints = _hints(cls)
    kwargs: dict[str, Any] = {}
    for f in dataclasses.fields(cls):  # type: ignore[arg-type]
        if f.name in data:
            kwargs[f.name] = _convert(hints[f.name], data[f.name])
    return cls(**kwargs)


_HINTS_CACHE: dict[type, dict[str, Any]] = {}


def _hints(cls: type) -> dict[str, Any]:
    hints = _HINTS_CACHE.get(cls)
    if hints is None:
        hints = get_type_hints(cls)
        _HINTS_CACHE[cls] = hints
    return hints


def _convert(tp: Any, value: Any) -> Any:
    origin = get_origin(tp)
    if origin in (Union, types.UnionType):
        if value is None:
            return None
        options = [a for a in get_args(tp) if a is not type(None)]
        if len(options) == 1:
            return _convert(options[0], value)
        return value  # a union of plain JSON types: already the right value
    if origin is tuple:
        (item_type, _ellipsis) = get_args(tp)
        return tuple(_convert(item_type, v) for v in value)
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        return from_jsonable(tp, value)
    if origin is typing.Literal:
        if value not in get_args(tp):
            raise ValueError(f"{value!r} is not one of {get_args(tp)}")
        return value
    if tp is float and isinstance(value, int):
        return float(value)
    return value


def strongest(severities: typing.Iterable[Severity]) -> Severity | None:
    """The strongest of some severities (``None`` for none)."""
    best: Severity | None = None
    for s in severities:
        if best is None or SEVERITY_ORDER.index(s) > SEVERITY_ORDER.index(best):
            best = s
    return best


__all__ = [
    "SCHEMA_VERSION",
    "SEVERITY_ORDER",
    "AddressAttribution",
    "AddressScope",
    "Assessment",
    "Band",
    "Collector",
    "Confidence",
    "DatabaseKind",
    "DatabaseRef",
    "Endpoint",
    "Evidence",
    "Facet",
    "Finding",
    "NetworkOperator",
    "Observation",
    "PackOrigin",
    "PackRef",
    "Registration",
    "Resolution",
    "ResolutionStatus",
    "Role",
    "ServiceAttribution",
    "Severity",
    "Target",
    "TargetKind",
    "Tool",
    "Verdict",
    "strongest",
]
