"""The data every stage passes on, and its canonical JSON form (``schema_version`` 1).

Frozen dataclasses only: a stage takes plain data and returns new plain data, so each stage can be tested alone
and an :class:`Assessment` can be stored, compared and re-opened years later.

This module is the one home of the JSON contract.  Field names here are the JSON names, so the (de)serialiser
below needs no mapping table; a field is required in JSON when it has no default (or its default is given with
:func:`required`), and optional otherwise, read as its default when a file lacks it; a ``Literal`` is the list of
values a field may take; ``Annotated[..., Constraint(...)]`` adds the bounds, patterns and formats a JSON Schema
states.  ``resources/schema/assessment.schema.json`` is generated from these declarations
(:mod:`databorder.schema`, written by ``packaging/build_schema.py``, compared by a test), and
``docs/assessment-json.md`` describes them (a test checks it lists every field as required or optional).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import json
import math
import sys
import types
import typing
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, ClassVar, Literal, TypeVar, Union, get_args, get_origin, get_type_hints

from databorder.redact import redact_secrets

SCHEMA_VERSION = 1

T = TypeVar("T")

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
Role = Literal["api", "auth", "upload", "telemetry", "web", "docs", "cdn", "update"]
#: Where a rule pack was found: the organisation's system folder, the user's config folder, a folder the user
#: named (``--pack-dir``), the packs shipped with DataBorder, or a file named by path.
#: What decided who runs a service: the organisation's own table, the app catalog, the operator knowledge base,
#: or an inference from weaker evidence (a country-of-concern ccTLD, legal-entity text in a scanned bundle, the
#: endpoint's TLS certificate, the domain's registry record).
ServiceBasis = Literal["org-table", "catalog", "operators", "cctld", "bundle", "tls", "rdap"]
#: How sure the service attribution is: a sourced table row (high), a row matched only by the registrable
#: domain or with unverified facts (medium), an inference (low).
AttributionConfidence = Literal["high", "medium", "low"]
#: The bases that are inferences from weaker evidence, not a sourced row: they can ask for review, never prohibit.
INFERRED_BASES: frozenset[str] = frozenset({"cctld", "bundle", "tls", "rdap"})
#: Each basis in a person's words: who decided, or what an inference was made from.
BASIS_WORDS: Mapping[str, str] = types.MappingProxyType(
    {
        "org-table": "your organisation's table",
        "catalog": "the AI-app catalog",
        "operators": "DataBorder's operator knowledge base",
        "cctld": "from a country-of-concern ccTLD",
        "bundle": "from legal-entity text in the scanned bundle",
        "tls": "from the endpoint's TLS certificate",
        "rdap": "from the domain's registry record",
    }
)


def basis_in_words(basis: str) -> str:
    """Who decided, in words ("your organisation's table"; "inference from the endpoint's TLS certificate")."""
    words = BASIS_WORDS.get(basis, basis)
    return f"inference {words}" if basis in INFERRED_BASES else words


def chain_in_words(operator: str, country: str | None, owners: Sequence[ChainLink]) -> str:
    """The chain in words, e.g. "BytePlus Pte. Ltd. (SG), owned by ByteDance Ltd. (CN)"."""
    words = f"{operator} ({country or 'country unknown'})"
    for link in owners:
        words += f", owned by {link.name} ({link.country or 'country unknown'})"
    return words


PackOrigin = Literal["system", "user", "folder", "shipped", "file"]
#: The kind of customer a vendor's data-handling facts are read for: a free or consumer plan, a paid personal plan,
#: a business or enterprise plan, the developer API (docs/vendor-practices.md).
Tier = Literal["consumer", "paid", "business", "api"]
#: A data-handling fact about a vendor (docs/vendor-practices.md): whether it trains models on user content and
#: whether the user can opt out, how long it keeps prompts, whether people read conversations, which regions a
#: customer can choose, and its contracts (DPA, EU SCCs), EU-US DPF and UK Extension certification, and audits.
PracticeName = Literal[
    "trains_on_user_data",
    "training_opt_out",
    "retention",
    "human_review",
    "data_residency",
    "dpa",
    "eu_sccs",
    "eu_us_dpf",
    "uk_extension",
    "soc2_type2",
    "iso_27001",
    "iso_27701",
    "iso_42001",
]
#: What a data source is: the GeoIP country or ASN database, the cloud providers' published ranges, the operator or
#: service table, the AI-app catalog.
DatabaseKind = Literal["country", "asn", "cloud", "operators", "services", "catalog", "knowledge"]

#: Severity order, weakest first; the verdict is the strongest severity any finding reached.
SEVERITY_ORDER: tuple[Severity, ...] = ("info", "review", "prohibit")
#: Verdict order, best first.
VERDICT_ORDER: tuple[Verdict, ...] = ("allow", "review", "prohibit")

#: The most points a rule may add as written in its pack, and the most a pack's weight may multiply them by;
#: the rule-pack loader enforces both, so a finding never carries more than their product.
MAX_RULE_POINTS = 100
MAX_PACK_WEIGHT = 10.0


class Constraint:
    """JSON Schema keywords that narrow a field's type (bounds, a pattern, a format).

    Used as ``Annotated[type, Constraint(...)]``.  The schema generator states them; the reader checks types only.
    """

    __slots__ = ("keywords",)

    def __init__(self, **keywords: Any) -> None:
        self.keywords: Mapping[str, Any] = types.MappingProxyType(keywords)

    def __repr__(self) -> str:
        return f"Constraint({', '.join(f'{k}={v!r}' for k, v in self.keywords.items())})"


#: Lower-case hex SHA-256 of the exact bytes read.
Sha256 = Annotated[str, Constraint(pattern="^[0-9a-f]{64}$")]
#: ISO 3166-1 alpha-2 country code (upper case).
CountryCode = Annotated[str, Constraint(pattern="^[A-Z]{2}$")]
#: An IPv4 or IPv6 address in its text form.
IPAddress = Annotated[str, Constraint(anyOf=[{"format": "ipv4"}, {"format": "ipv6"}])]
#: A TCP/UDP port number.
Port = Annotated[int, Constraint(minimum=1, maximum=65535)]

_REQUIRED_IN_JSON = "databorder.required_in_json"


def required(default: T) -> T:
    """A dataclass default for code that builds the object, while the JSON must still carry the field.

    For fields every ``schema_version`` 1 file has had from the first release and that the schema always required
    (the version itself, a resolution's ``cname_chain``, an endpoint's ``addresses`` and ``service``).  Any other
    field with a default is optional in JSON, and a file without it reads as that default.
    """
    return dataclasses.field(default=default, metadata={_REQUIRED_IN_JSON: True})


def is_required(f: dataclasses.Field[Any]) -> bool:
    """Whether the JSON form must carry this dataclass field: it has no default, or was declared :func:`required`."""
    no_default = f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
    return no_default or bool(f.metadata.get(_REQUIRED_IN_JSON))


@dataclass(frozen=True, slots=True)
class Target:
    """What was assessed, in the user's words: a host list, a catalog app, a folder, a process, a capture."""

    kind: TargetKind
    name: str
    detail: str | None = None


#: Sources repeat (one file, thousands of sightings): each is redacted once.
_redacted_source = functools.lru_cache(maxsize=4096)(redact_secrets)


@dataclass(frozen=True, slots=True)
class Evidence:
    """Where an endpoint was seen: which collector, in which file/process/capture, at which line or offset.

    Secrets in the excerpt and the source (a URL's user and password, credential-like query parameters, API keys
    and bearer tokens) are replaced by ``…redacted…`` as the evidence is made, so no report, view or saved file
    can show them (:func:`redact_secrets`).
    """

    collector: Collector
    source: str
    location: str | None
    excerpt: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "excerpt", redact_secrets(self.excerpt))
        object.__setattr__(self, "source", _redacted_source(self.source))


#: What legal-entity text a static scan found near a host: a Chinese ICP filing number (京ICP备18024657号), a
#: public-security filing number (京公网安备11010802020088号), a company name in a legal form that says so
#: (北京某某科技有限公司, 株式会社…), a copyright line naming a company (© 2025 Foo Technology Co., Ltd.).
EntityKind = Literal["icp-filing", "psb-filing", "company", "copyright"]
#: Each kind of legal-entity text in a person's words.
ENTITY_WORDS: Mapping[str, str] = types.MappingProxyType(
    {
        "icp-filing": "ICP filing",
        "psb-filing": "public-security filing",
        "company": "company name",
        "copyright": "copyright line",
    }
)


@dataclass(frozen=True, slots=True)
class LegalEntity:
    """Legal-entity text a static scan saw near a host's name: evidence of who may run it, never a sourced fact.

    ``country`` is the country the text itself points to (an ICP filing: CN; 香港…有限公司: HK; 株式会社: JP),
    None when it names none (``Inc.``, ``GmbH`` and ``Co., Ltd.`` are used in many countries).
    """

    kind: EntityKind
    text: str  # exactly what was seen, e.g. "京ICP备18024657号"
    name: str | None  # the entity the text names, if it names one
    country: CountryCode | None
    source: str  # the file (a member inside an archive written outer.tgz!package/dist/app.js)
    offset: Annotated[int, Constraint(minimum=0)]  # byte offset of the text in that file
    near: str  # the host whose sighting it was seen near
    distance: Annotated[int, Constraint(minimum=0)]  # bytes between the two


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
    relevance_reasons: tuple[str, ...] = ()  # why a static scan ranked this sighting so (short phrases)
    entities: tuple[LegalEntity, ...] = ()  # legal-entity text seen near it or its registrable domain (static scan)


@dataclass(frozen=True, slots=True)
class Resolution:
    """The DNS outcome for one hostname; ``cname_chain`` lists every alias followed, in order."""

    status: ResolutionStatus
    cname_chain: tuple[str, ...] = required(())
    nameserver: str | None = None
    detail: str | None = None


@dataclass(frozen=True, slots=True)
class NetworkOperator:
    """Who runs the network an address sits in, and the home country of its parent company."""

    name: str
    country: CountryCode | None
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
    country: CountryCode | None = None
    fetched: str | None = None
    cached: bool = False
    error: str | None = None


@dataclass(frozen=True, slots=True)
class CloudRegion:
    """The cloud provider whose published ranges hold an address, and the region (with its country) they name.

    ``region`` is the region id as the provider's feed writes it; ``country`` and ``city`` are where that region
    stands (resources/cloud/regions.toml: the city or area the provider names it by), None where unknown.
    ``edge`` marks a global, edge or anycast range: no evidence of where data rests.  ``source`` names the feed,
    ``date`` its date; ``unverified`` the facts of the region's row the provider's own words did not give.
    """

    provider: str  # the provider's name: AWS, Google Cloud, Azure, Oracle Cloud, DigitalOcean, Cloudflare
    region: str | None
    country: CountryCode | None
    city: str | None
    service: str | None  # as the feed names it: EC2, S3, CLOUDFRONT, STORAGE…
    source: str
    date: Annotated[str, Constraint(format="date")] | None
    edge: bool = False
    unverified: tuple[str, ...] = ()

    def in_words(self) -> str:
        """The words every view and report uses for a cloud region: "AWS eu-central-1 (Frankfurt, DE)".

        A global or edge range reads "Cloudflare (global/edge range: no evidence of where data rests)".
        """
        if self.edge or self.region is None:
            where = f" {self.region}" if self.region else ""
            return f"{self.provider}{where} (global/edge range: no evidence of where data rests)"
        place = ", ".join(p for p in (self.city, self.country) if p)
        return f"{self.provider} {self.region}" + (f" ({place})" if place else "")


@dataclass(frozen=True, slots=True)
class GeoipAnswer:
    """What one GeoIP country database says about an address, where two were consulted and they disagree.

    ``database`` is the database's source as the assessment's ``databases`` list names it.
    """

    database: str
    country: CountryCode | None


@dataclass(frozen=True, slots=True)
class AddressAttribution:
    """One IP address with its hosting country, ASN and network operator.

    ``scope`` is ``local`` for private, loopback, link-local, CGNAT and unique-local addresses, which are never
    geolocated.  ``anycast`` marks CDN/anycast edges whose GeoIP country says where the edge is, not where data
    rests.  ``cloud`` is the cloud provider's published range holding the address, when one does: its region's
    country is then the hosting ``country``, and ``geoip_country`` keeps what GeoIP said, with a note when the
    two disagree.  Where two GeoIP country databases were consulted (a MaxMind file beside the embedded one) and
    they disagree, ``geoip_answers`` holds each one's answer, the deciding database's first; when GeoIP decides
    the hosting country and both answered, differently, ``country_uncertain`` is set and the rules test both
    countries (:attr:`possible_countries`).
    """

    ip: IPAddress
    scope: AddressScope
    country: CountryCode | None
    asn: Annotated[int, Constraint(minimum=0)] | None
    as_organization: str | None
    network_operator: NetworkOperator | None
    anycast: bool
    registration: Registration | None = None  # RDAP, only when the user turned it on
    cloud: CloudRegion | None = None  # the provider's published range holding the address
    geoip_country: CountryCode | None = None  # GeoIP's country, kept where the cloud region decided ``country``
    notes: tuple[str, ...] = ()  # e.g. GeoIP disagreeing with the provider's region
    country_uncertain: bool = False  # the GeoIP databases disagree and GeoIP decides: either may be right
    geoip_answers: tuple[GeoipAnswer, ...] = ()  # each GeoIP database's answer where two disagree, deciding first

    @property
    def possible_countries(self) -> tuple[str, ...]:
        """Every country the address may be hosted in: ``country``, and where uncertain each GeoIP answer."""
        if not self.country_uncertain:
            return (self.country,) if self.country else ()
        return tuple(dict.fromkeys(c for c in (self.country, *(a.country for a in self.geoip_answers)) if c))

    def hosting_in_words(self) -> str:
        """Where the address is hosted, as every view shows it: "AWS eu-central-1 (Frankfurt, DE)", "DE", "local".

        A global/edge cloud range or another anycast edge shows GeoIP's country marked as an edge.
        """
        if self.scope == "local":
            return "local"
        cloud = self.cloud
        if cloud is not None and not cloud.edge and cloud.region is not None:
            if cloud.country is not None:
                return cloud.in_words()
            return f"{self.country or '?'} (GeoIP; {cloud.in_words()}, a region of unknown country)"
        country = " or ".join(self.possible_countries) or "?"
        if self.country_uncertain:
            country += " (uncertain: the GeoIP databases disagree)"
        if cloud is not None:
            return f"{country} (anycast; {cloud.provider} global/edge range)"
        return country + (" (anycast)" if self.anycast else "")

    @property
    def hosting_basis(self) -> str:
        """What decided the hosting country: the provider's published region, or GeoIP."""
        if self.cloud is not None and self.cloud.country is not None and not self.cloud.edge:
            return f"{self.cloud.provider}'s published ranges"
        return "GeoIP"


# Each field's slot, set directly: a frozen dataclass's own __init__ goes through object.__setattr__ for each of
# its 13 fields, about twice the cost (measured 1.0 µs against 0.5 µs an address, a sixth of attribution's).
# Unpacking fails at import if a field is added or removed without this line following.
(_SET_IP, _SET_SCOPE, _SET_COUNTRY, _SET_ASN, _SET_AS_ORG, _SET_OPERATOR, _SET_ANYCAST, *_SET_REST) = (
    getattr(AddressAttribution, f.name).__set__ for f in dataclasses.fields(AddressAttribution)
)
_REST_DEFAULTS = tuple(f.default for f in dataclasses.fields(AddressAttribution)[7:])
(_SET_REGISTRATION, _SET_CLOUD, _SET_GEOIP_COUNTRY, _SET_NOTES, _SET_UNCERTAIN, _SET_ANSWERS) = _SET_REST
(_NO_REGISTRATION, _NO_CLOUD, _NO_GEOIP_COUNTRY, _NO_NOTES, _NOT_UNCERTAIN, _NO_ANSWERS) = _REST_DEFAULTS


def public_address(
    ip: str, country: str | None, asn: int | None, as_organization: str | None,
    network_operator: NetworkOperator | None, anycast: bool,
) -> AddressAttribution:  # fmt: skip
    """``AddressAttribution(ip, "public", country, …, anycast)`` with every other field at its default, made faster.

    For attribution's hot path (one per public address outside the cloud ranges); equal to what the dataclass's
    own constructor makes (tests/model compare them).
    """
    made: AddressAttribution = object.__new__(AddressAttribution)
    _SET_IP(made, ip)
    _SET_SCOPE(made, "public")
    _SET_COUNTRY(made, country)
    _SET_ASN(made, asn)
    _SET_AS_ORG(made, as_organization)
    _SET_OPERATOR(made, network_operator)
    _SET_ANYCAST(made, anycast)
    _SET_REGISTRATION(made, _NO_REGISTRATION)
    _SET_CLOUD(made, _NO_CLOUD)
    _SET_GEOIP_COUNTRY(made, _NO_GEOIP_COUNTRY)
    _SET_NOTES(made, _NO_NOTES)
    _SET_UNCERTAIN(made, _NOT_UNCERTAIN)
    _SET_ANSWERS(made, _NO_ANSWERS)
    return made


@dataclass(frozen=True, slots=True)
class ChainLink:
    """One owner in a service operator's parent chain: the entity and its home country."""

    name: str
    country: CountryCode | None


@dataclass(frozen=True, slots=True)
class ServiceAttribution:
    """Who runs the service behind a domain, who owns that operator, and the country whose law reaches each."""

    operator: str
    country: CountryCode | None
    source: str
    category: str | None = None  # genai, telemetry, analytics, error-reporting, feature-flags…
    parent_chain: tuple[ChainLink, ...] = ()  # the operator's owners, nearest first, ultimate parent last
    basis: ServiceBasis = "operators"  # what decided it
    confidence: AttributionConfidence = "high"
    checked: Annotated[str, Constraint(format="date")] | None = None  # when the deciding row's facts were read
    unverified: tuple[str, ...] = ()  # facts of the deciding row no source confirmed (country, parent, name…)
    role: Role | None = None  # the role the deciding row gives this domain (api, auth, upload, telemetry…)

    @property
    def countries(self) -> tuple[str, ...]:
        """The operator's country and each owner's, nearest first (what the owner-chain rules test)."""
        found = [self.country, *(link.country for link in self.parent_chain)]
        return tuple(dict.fromkeys(c for c in found if c))

    def chain_in_words(self) -> str:
        """The chain in words, e.g. "BytePlus Pte. Ltd. (SG), owned by ByteDance Ltd. (CN)"."""
        return chain_in_words(self.operator, self.country, self.parent_chain)


@dataclass(frozen=True, slots=True)
class Endpoint:
    """A host (or bare IP) the app talks to, with all the evidence for it and what was learnt about it."""

    host: str | None
    ip: str | None
    registrable_domain: str | None
    relevance: Annotated[float, Constraint(minimum=0, maximum=1)]
    evidence: Annotated[tuple[Evidence, ...], Constraint(minItems=1)]
    resolution: Resolution
    addresses: tuple[AddressAttribution, ...] = required(())
    service: ServiceAttribution | None = required(None)  # noqa: RUF009 - required() returns a dataclass field
    ports: tuple[Port, ...] = ()
    schemes: tuple[str, ...] = ()
    confidence: Confidence = "observed"
    roles: tuple[Role, ...] = ()
    observed_addresses: tuple[str, ...] = ()  # seen in captures or live sockets; attributed with DNS's answers
    #: Why a static scan gave its relevance: short phrases for its best sighting ("a URL", "API-like path", "in a
    #: code comment"…); empty for endpoints no scan ranked.
    relevance_reasons: tuple[str, ...] = ()
    entities: tuple[LegalEntity, ...] = ()  # legal-entity text a static scan saw near its registrable domain

    #: Beyond the fields: an endpoint is named by its host, or else by its bare IP address (see :attr:`key`).
    SCHEMA_RULES: ClassVar[Mapping[str, Any]] = {
        "anyOf": [
            {"properties": {"host": {"type": "string"}}},
            {"properties": {"ip": {"type": "string"}}, "required": ["ip"]},
        ]
    }

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
    points: Annotated[int, Constraint(minimum=0, maximum=int(MAX_RULE_POINTS * MAX_PACK_WEIGHT))]
    endpoint: str
    message: str
    facet: Facet
    fact: str
    citation: str | None = None
    adjustments: tuple[str, ...] = ()  # why severity or points differ from the rule as written


@dataclass(frozen=True, slots=True)
class PracticeFact:
    """One data-handling fact about a vendor for one tier, with where it was read and when.

    ``value`` is yes / no / unknown; for ``retention`` one of none, 30-days, 1-year, longer, unknown; for
    ``data_residency`` the regions a customer can choose, comma-separated, or unknown.  ``by_vendor`` is false when
    the source is not the vendor's own page (a third party's summary: weaker, and said so).
    """

    fact: PracticeName
    value: str
    source: str | None = None
    checked: Annotated[str, Constraint(format="date")] | None = None
    by_vendor: bool = False
    note: str | None = None


@dataclass(frozen=True, slots=True)
class VendorPractices:
    """What a vendor does with the data, as read for one tier: every fact, unknown ones included."""

    vendor: str
    tier: Tier
    facts: tuple[PracticeFact, ...]
    apps: tuple[str, ...] = ()  # the catalog apps these facts are about
    source_file: str = ""  # the practices file they were read from
    domains: tuple[str, ...] = ()  # the domains the vendor runs (an endpoint under one gets these facts)

    def value(self, fact: str) -> str:
        """The value of one fact (``unknown`` when it was not read)."""
        return next((f.value for f in self.facts if f.fact == fact), "unknown")

    def get(self, fact: str) -> PracticeFact | None:
        """One fact, if the vendor's facts hold it."""
        return next((f for f in self.facts if f.fact == fact), None)


@dataclass(frozen=True, slots=True)
class Tool:
    """The program that produced an assessment."""

    name: str
    version: str


@dataclass(frozen=True, slots=True)
class PackRef:
    """A rule pack as applied: its id, version and the sha256 of the file read."""

    id: Annotated[str, Constraint(minLength=1)]
    version: str
    sha256: Sha256
    title: str = ""
    source: str = ""
    origin: PackOrigin = "file"
    weight: Annotated[float, Constraint(minimum=0, maximum=MAX_PACK_WEIGHT)] = 1.0


@dataclass(frozen=True, slots=True)
class DatabaseRef:
    """A data source an attribution relied on (GeoIP, ASN, operator table), precisely enough to audit."""

    kind: DatabaseKind
    source: str
    build_date: Annotated[str, Constraint(format="date")] | None
    sha256: Sha256
    file: str = ""
    licence: str | None = None
    attribution: str | None = None


@dataclass(frozen=True, slots=True)
class PreviousAssessment:
    """The earlier assessment a comparison starts from: its id in the history store, when it ran, what it said.

    ``id`` is null when the earlier assessment is a file that was never in this computer's history.
    """

    id: Annotated[int, Constraint(minimum=1)] | None
    created: Annotated[str, Constraint(format="date-time")]
    verdict: Verdict
    score: Annotated[int, Constraint(minimum=0, maximum=100)]


@dataclass(frozen=True, slots=True)
class VerdictChange:
    """The verdict and score before and after, when the verdict changed."""

    old: Verdict
    new: Verdict
    old_score: Annotated[int, Constraint(minimum=0, maximum=100)]
    new_score: Annotated[int, Constraint(minimum=0, maximum=100)]

    @property
    def worse(self) -> bool:
        """Whether the verdict got more severe."""
        return VERDICT_ORDER.index(self.new) > VERDICT_ORDER.index(self.old)


@dataclass(frozen=True, slots=True)
class ChangesSince:
    """What changed since the previous assessment of the same target (``databorder diff`` says the same).

    Endpoints are compared by their key (host, else bare IP); countries are the public addresses' hosting countries;
    regions are the named regions (EU, EEA, continents) those countries first reach; operators are the service
    operators; jurisdictions are the countries whose law reaches the data (each service operator's and its owners'
    countries, and each network operator's parent's).
    """

    previous: PreviousAssessment
    new_endpoints: tuple[str, ...] = ()
    removed_endpoints: tuple[str, ...] = ()
    new_countries: tuple[CountryCode, ...] = ()
    removed_countries: tuple[CountryCode, ...] = ()
    new_regions: tuple[str, ...] = ()
    new_operators: tuple[str, ...] = ()
    removed_operators: tuple[str, ...] = ()
    new_jurisdictions: tuple[CountryCode, ...] = ()
    verdict_change: VerdictChange | None = None
    new_findings: Annotated[int, Constraint(minimum=0)] = 0  # findings (rule × endpoint) the previous lacked
    resolved_findings: Annotated[int, Constraint(minimum=0)] = 0  # findings of the previous gone now

    @property
    def nothing(self) -> bool:
        """True when nothing a reader is told about changed."""
        return not (
            self.new_endpoints
            or self.removed_endpoints
            or self.new_countries
            or self.removed_countries
            or self.new_operators
            or self.removed_operators
            or self.new_jurisdictions
            or self.verdict_change
            or self.new_findings
            or self.resolved_findings
        )

    def since(self) -> str:
        """What the changes are counted from: "since #12 (2026-12-01 09:30 UTC, review 35/100)"."""
        previous = self.previous
        number = f"#{previous.id} " if previous.id is not None else ""
        try:
            when = dt.datetime.fromisoformat(previous.created).astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
        except ValueError:
            when = previous.created
        return f"since {number}({when}, {previous.verdict} {previous.score}/100)"

    def in_words(self, *, limit: int = 8) -> list[str]:
        """The changes as lines for a person; the console, the GUI's History tab and the PDF say the same."""
        lines: list[str] = []
        if self.verdict_change is not None:
            v = self.verdict_change
            lines.append(
                f"verdict {v.old} → {v.new} ({'worse' if v.worse else 'better'}; score {v.old_score} → {v.new_score})"
            )
        listed = (
            ("new endpoints", self.new_endpoints),
            ("endpoints gone", self.removed_endpoints),
            ("new hosting countries", self.new_countries),
            ("new regions reached", self.new_regions),
            ("hosting countries no longer used", self.removed_countries),
            ("new operators", self.new_operators),
            ("operators gone", self.removed_operators),
            ("new jurisdictions whose law reaches the data", self.new_jurisdictions),
        )
        for label, items in listed:
            if items:
                more = f" and {len(items) - limit} more" if len(items) > limit else ""
                lines.append(f"{label} ({len(items)}): {', '.join(items[:limit])}{more}")
        if self.new_findings or self.resolved_findings:
            lines.append(f"findings: {self.new_findings} new, {self.resolved_findings} no longer raised")
        return lines or ["nothing changed"]


@dataclass(frozen=True, slots=True)
class Assessment:
    """The result of one run: what was assessed, with which data and rules, and what came out."""

    tool: Tool
    created: Annotated[str, Constraint(format="date-time")]
    target: Target
    verdict: Verdict
    score: Annotated[int, Constraint(minimum=0, maximum=100)]
    band: Band
    packs: tuple[PackRef, ...]
    databases: tuple[DatabaseRef, ...]
    endpoints: tuple[Endpoint, ...]
    findings: tuple[Finding, ...]
    complete: bool = True
    warnings: tuple[str, ...] = ()
    nameserver: str | None = None
    offline: bool = False
    points_total: Annotated[
        int, Constraint(minimum=0, description="sum of finding points; score = min(100, points_total)")
    ] = 0
    notes: tuple[str, ...] = ()  # things a reader should know that are not problems (e.g. packs folded)
    changes_since: ChangesSince | None = None  # what changed since this target's previous assessment (history)
    tier: Tier | None = None  # the tier whose vendor facts the rules tested
    tier_basis: str | None = None  # why that tier: given, or the default for the kind of app
    app: str | None = None  # the catalog app whose declarations were compared with what was observed
    practices: tuple[VendorPractices, ...] = ()  # the data-handling facts of the vendors this app talks to
    schema_version: Annotated[int, Constraint(const=SCHEMA_VERSION)] = required(SCHEMA_VERSION)

    def to_json(self) -> str:
        """The canonical JSON text of this assessment (two-space indent, UTF-8 characters as they are).

        Encoded by orjson, which reads the dataclasses directly: byte for byte what
        ``json.dumps(to_jsonable(self), indent=2, ensure_ascii=False)`` gives, eight times faster (0.16 s against
        0.02 s for a scan of 3,200 endpoints).
        """
        import orjson

        return orjson.dumps(self, option=orjson.OPT_INDENT_2).decode("utf-8")

    @classmethod
    def from_json(cls, text: str) -> Assessment:
        """Read an assessment back from its JSON text (as written by :meth:`to_json`)."""
        try:
            data = json.loads(text, object_hook=_as_read)
        except RecursionError:
            raise ValueError("it is nested far deeper than an assessment is") from None
        if not isinstance(data, dict):
            raise ValueError("an assessment must be a JSON object")
        version = data.get("schema_version")
        if version != SCHEMA_VERSION:
            shown = repr(version)[:40]
            raise ValueError(f"unsupported assessment schema_version {shown} (this build reads {SCHEMA_VERSION})")
        return from_jsonable(cls, data)


def _as_read(obj: dict[str, Any]) -> dict[str, Any]:
    """Every JSON object as parsed, unchanged.

    Being a Python call, it lets other threads run: the C parser alone holds the interpreter lock to the end,
    and the GUI froze while its worker parsed a saved assessment of hundreds of MB.
    """
    return obj


def to_jsonable(value: Any) -> Any:
    """Turn model objects into JSON-ready dicts and lists; dataclass field names are the JSON names."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, tuple | list):
        return [to_jsonable(v) for v in value]
    return value


def from_jsonable(cls: type[T], data: object, where: str = "") -> T:
    """Build a model dataclass from JSON data, recursing by the type hints; unknown keys are ignored.

    Ignoring unknown keys lets a newer DataBorder's JSON (fields may be added, never renamed) open here.  A
    required field (:func:`is_required`) that is missing, a value of the wrong JSON type or a value outside its
    ``Literal`` raises :class:`ValueError` naming where it is (``endpoints[2].addresses[0].scope``); an optional
    field that is missing takes its default.
    """
    if not isinstance(data, Mapping):
        raise ValueError(f"{where or 'the assessment'} must be a JSON object, not {_json_type(data)}")
    hints = _hints(cls)
    kwargs: dict[str, Any] = {}
    for f in dataclasses.fields(cls):  # type: ignore[arg-type]
        here = f"{where}.{f.name}" if where else f.name
        if f.name in data:
            kwargs[f.name] = _convert(hints[f.name], data[f.name], here)
        elif is_required(f):
            raise ValueError(f"the required field {here} is missing")
    return cls(**kwargs)


_HINTS_CACHE: dict[type, dict[str, Any]] = {}


def _hints(cls: type) -> dict[str, Any]:
    hints = _HINTS_CACHE.get(cls)
    if hints is None:
        hints = get_type_hints(cls)  # Annotated constraints stripped: the reader checks types, not bounds
        _HINTS_CACHE[cls] = hints
    return hints


_JSON_TYPES: dict[type, str] = {str: "a string", int: "an integer", float: "a number", bool: "true or false"}


_FLOAT_MAX = int(sys.float_info.max)


def _convert(tp: Any, value: Any, where: str) -> Any:
    origin = get_origin(tp)
    if origin in (Union, types.UnionType):
        options = [a for a in get_args(tp) if a is not type(None)]
        if len(options) != 1:
            raise TypeError(f"{where}: the model may only use X | None unions, not {tp}")
        return None if value is None else _convert(options[0], value, where)
    if origin is tuple:
        (item_type, _ellipsis) = get_args(tp)
        if not isinstance(value, list):
            raise ValueError(f"{where} must be a list, not {_json_type(value)}")
        return tuple(_convert(item_type, v, f"{where}[{i}]") for i, v in enumerate(value))
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        return from_jsonable(tp, value, where)
    if origin is typing.Literal:
        if value not in get_args(tp):
            shown = repr(value) if len(repr(value)) <= 80 else f"{repr(value)[:80]}… ({len(repr(value)):,} characters)"
            raise ValueError(f"{where}: {shown} is not one of {', '.join(map(repr, get_args(tp)))}")
        return value
    if tp in _JSON_TYPES:
        if tp is float and isinstance(value, int) and not isinstance(value, bool):
            if abs(value) > _FLOAT_MAX:
                raise ValueError(f"{where} is a number too large to be one ({len(str(abs(value)))} digits)")
            return float(value)
        if tp is float and isinstance(value, float) and not math.isfinite(value):
            raise ValueError(f"{where} must be a finite number, not {value}")
        if tp is int and isinstance(value, float) and value.is_integer():
            return int(value)  # JSON does not tell 60 from 60.0, and neither does JSON Schema's "integer"
        if not isinstance(value, tp) or (tp is int and isinstance(value, bool)):
            raise ValueError(f"{where} must be {_JSON_TYPES[tp]}, not {_json_type(value)}")
        return value
    raise TypeError(f"{where}: the model uses {tp}, which has no JSON form")


def _json_type(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true or false"
    return {dict: "an object", list: "a list", str: "a string", int: "an integer", float: "a number"}.get(
        type(value), type(value).__name__
    )


def strongest(severities: typing.Iterable[Severity]) -> Severity | None:
    """The strongest of some severities (``None`` for none)."""
    best: Severity | None = None
    for s in severities:
        if best is None or SEVERITY_ORDER.index(s) > SEVERITY_ORDER.index(best):
            best = s
    return best


__all__ = [
    "MAX_PACK_WEIGHT",
    "MAX_RULE_POINTS",
    "SCHEMA_VERSION",
    "SEVERITY_ORDER",
    "AddressAttribution",
    "AddressScope",
    "Assessment",
    "Band",
    "ChangesSince",
    "CloudRegion",
    "Collector",
    "Confidence",
    "Constraint",
    "CountryCode",
    "DatabaseKind",
    "DatabaseRef",
    "Endpoint",
    "Evidence",
    "Facet",
    "Finding",
    "GeoipAnswer",
    "IPAddress",
    "NetworkOperator",
    "Observation",
    "PackOrigin",
    "PackRef",
    "Port",
    "PracticeFact",
    "PracticeName",
    "PreviousAssessment",
    "Registration",
    "Resolution",
    "ResolutionStatus",
    "Role",
    "ServiceAttribution",
    "Severity",
    "Sha256",
    "Target",
    "TargetKind",
    "Tier",
    "Tool",
    "VendorPractices",
    "Verdict",
    "VerdictChange",
    "from_jsonable",
    "is_required",
    "required",
    "strongest",
    "to_jsonable",
]
