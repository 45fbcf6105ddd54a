"""Evaluate: apply rule packs to attributed endpoints → findings, an explained 0–100 score and a verdict.

Every point of the score is a finding's points, and every finding names its rule, pack, endpoint and the fact
(address, database, table row) that triggered it, so the score can be read back line by line.  The model is
documented in docs/rule-packs.md:

- A facet yields *subjects*: ``hosting`` and ``network`` one per public address, ``service`` the service
  operator, ``any`` all of them.  Subject conditions (country, ASN, operator, category, anycast) must all hold
  for one subject; endpoint conditions (domain, role, unresolved, cleartext) must hold for the endpoint.
- Points = rule points × pack weight, halved for a hosting hit on anycast/CDN edges only (the edge's country is
  not where data rests), rounded half up.  Severity is capped at ``review`` for such edges, and for an endpoint
  seen only in a static scan with relevance below 0.5.  Each adjustment is written into the finding.
- Score = min(100, sum of finding points) — monotone: another violating endpoint never lowers it.  Verdict = the
  strongest finding severity (``info`` or none → allow).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, NamedTuple

from databorder.model import (
    BASIS_WORDS,
    INFERRED_BASES,
    AddressAttribution,
    Band,
    Endpoint,
    Facet,
    Finding,
    Severity,
    Tier,
    VendorPractices,
    Verdict,
    basis_in_words,
    strongest,
)
from databorder.policy.packs import ENDPOINT_CONDITIONS, PRACTICE_CONDITIONS, SUBJECT_CONDITIONS, Rule, RulePack
from databorder.practices import RISKY, fact_in_words
from databorder.regions import cloud_providers

if TYPE_CHECKING:
    from databorder.catalog import CatalogApp

#: Score bands, lowest first: (lower bound, name).
BANDS: tuple[tuple[int, Band], ...] = ((0, "low"), (20, "moderate"), (50, "high"), (80, "critical"))
#: Below this relevance, a possible-only (static scan) endpoint cannot by itself prohibit an app.
LOW_RELEVANCE = 0.5
CLEARTEXT_SCHEMES = frozenset({"http", "ws", "ftp", "telnet"})
UNRESOLVED = frozenset({"nxdomain", "nodata", "servfail", "timeout"})


#: Roles whose endpoints carry data: an endpoint with one of them (or likely to be a data endpoint) that nobody
#: can attribute is a finding of its own ("unknown is not allow").
DATA_ROLES = frozenset({"api", "auth", "upload", "telemetry"})


@dataclass(frozen=True)
class Context:
    """What rules test beyond the endpoints: vendors' facts for the tier in use, and the app declared.

    ``practices`` maps each domain to its vendor's data-handling facts for the tier; ``app`` is the catalog app
    whose declarations (where data is stored, whose models it uses) are compared with what was observed.
    """

    tier: Tier | None = None
    practices: Mapping[str, VendorPractices] = field(default_factory=dict)  # domain → its vendor's facts for the tier
    app: CatalogApp | None = None

    def vendor(self, host: str | None) -> VendorPractices | None:
        """The facts of the vendor whose domain ``host`` is, or is under."""
        labels = (host or "").split(".")
        for start in range(len(labels) - 1):
            found = self.practices.get(".".join(labels[start:]))
            if found is not None:
                return found
        return None


class _Subject(NamedTuple):
    """One thing a facet yields for an endpoint: an address (hosting or network view) or the service."""

    facet: Facet
    country: str | None
    asn: int | None
    operators: tuple[str, ...]
    category: str | None
    anycast: bool
    fact: str
    owners: tuple[str, ...] = ()  # the service operator's country and each owner's (the owner chain)
    inferred: str | None = None  # the inference that named the service operator, if it was one
    cloud_region: str | None = None  # "aws:eu-central-1": the provider's region whose published range holds it
    # Where the hosting country is uncertain (two GeoIP databases disagree): every country it may be in.
    possible: tuple[str, ...] = ()


def evaluate(endpoints: Sequence[Endpoint], packs: Sequence[RulePack], context: Context | None = None) -> list[Finding]:
    """All findings of ``packs`` over ``endpoints``: at most one per (defining pack, rule, endpoint).

    A rule on a vendor's data-handling facts yields at most one finding per vendor (on the vendor's first endpoint),
    so a vendor with many endpoints is not counted many times for one fact.
    """
    context = context or Context()
    findings: dict[tuple[str, str, str], Finding] = {}
    for pack in packs:
        for rule in pack.rules:
            per_vendor = any(c in PRACTICE_CONDITIONS for c in rule.when)
            for endpoint in endpoints:
                vendor = context.vendor(endpoint.host) if per_vendor else None
                subject = f"vendor {vendor.vendor} ({vendor.source_file})" if vendor else endpoint.key
                key = (rule.pack, rule.id, subject)
                if key not in findings:
                    finding = _apply(rule, pack, endpoint, context)
                    if finding is not None:
                        findings[key] = finding
    return list(findings.values())


def score(findings: Iterable[Finding]) -> tuple[int, int, Band, Verdict]:
    """(score 0–100, the uncapped sum of points, band, verdict) of some findings."""
    found = list(findings)
    total = sum(f.points for f in found)
    capped = min(100, total)
    band = next(name for bound, name in reversed(BANDS) if capped >= bound)
    worst = strongest(f.severity for f in found)
    verdict: Verdict = "allow" if worst in (None, "info") else worst  # type: ignore[assignment]
    return capped, total, band, verdict


def _apply(rule: Rule, pack: RulePack, endpoint: Endpoint, context: Context) -> Finding | None:
    endpoint_values = _endpoint_match(rule, pack.sets, endpoint, context)
    if endpoint_values is None:
        return None
    practice = _practice_match(rule, pack, endpoint, context)
    if practice is None:
        return None
    practice_values, practice_facts, practice_notes = practice
    endpoint_values += practice_values
    subject_conditions = {
        c: v for c, v in rule.when.items() if (c in SUBJECT_CONDITIONS or c == "anycast") and not isinstance(v, tuple)
    }
    matched: list[_Subject] = []
    values: list[str] = []
    if subject_conditions:
        for subject in _subjects(rule.facet, endpoint):
            shown = _subject_match(subject, subject_conditions, pack.sets)
            if shown is not None:
                matched.append(subject)
                values.extend(shown)
        if not matched:
            return None
    else:
        values = endpoint_values
    severity: Severity = rule.severity
    factor = pack.factor(rule.id)
    adjustments: list[str] = list(practice_notes)
    if pack.weight != 1:
        adjustments.append(f"pack weight {pack.weight:g}: points × {pack.weight:g}")
    if rule.id in pack.weights and pack.weights[rule.id] != 1:
        weight = pack.weights[rule.id]
        adjustments.append(f"rule weight {weight:g} in pack {pack.id}: points × {weight:g}")
    inferred = [s.inferred for s in matched if s.inferred]
    if inferred and len(inferred) == len(matched) and severity == "prohibit":
        severity = "review"
        # The probe leaves a host the bundle's text attributes alone (docs/knowledge-base.md): only a table settles it.
        bundle = inferred[0] == BASIS_WORDS["bundle"]
        settles = " or the knowledge base" if bundle else ", the knowledge base or --probe"
        adjustments.append(
            f"who runs it is inferred ({inferred[0]}), not read from a sourced table: capped at review until "
            f"an organisation's table{settles} settles it"
        )
    edge_only = matched and all(s.facet == "hosting" and s.anycast for s in matched)
    if edge_only and "anycast" not in rule.when:
        factor /= 2
        if severity == "prohibit":
            severity = "review"
        adjustments.append(
            "every matching address is an anycast/CDN edge, whose country is the edge's, not the data's: "
            "capped at review, half points"
        )
    if severity == "prohibit" and endpoint.confidence == "possible" and endpoint.relevance < LOW_RELEVANCE:
        severity = "review"
        adjustments.append(
            f"seen only in a static scan, with relevance {endpoint.relevance:g} (below {LOW_RELEVANCE:g}): "
            "capped at review until it is observed"
        )
    facts = list(dict.fromkeys([s.fact for s in matched] + _endpoint_facts(rule, endpoint, context) + practice_facts))
    service = endpoint.service
    message = rule.message.format(
        endpoint=endpoint.key,
        chain=service.chain_in_words() if service is not None else "an unknown operator",
        facet=rule.facet,
        values=", ".join(dict.fromkeys(sorted(values))),
        set=_first_set(rule),
        rule=rule.id,
        pack=rule.pack,
    )
    return Finding(
        rule=rule.id,
        pack=rule.pack,
        severity=severity,
        points=math.floor(rule.points * factor + 0.5),
        endpoint=endpoint.key,
        message=message,
        facet=rule.facet,
        fact="; ".join(facts),
        citation=rule.cite,
        adjustments=tuple(adjustments),
    )


def _first_set(rule: Rule) -> str:
    return next((str(v) for c, v in rule.when.items() if not isinstance(v, bool)), "")


def _subjects(facet: Facet, endpoint: Endpoint) -> Iterable[_Subject]:
    public = [a for a in endpoint.addresses if a.scope == "public"]
    if facet in ("hosting", "any"):
        for a in public:
            fact = _hosting_fact(a)
            yield _Subject("hosting", a.country, a.asn, (), None, a.anycast, fact, cloud_region=_cloud_key(a),
                           possible=a.possible_countries if a.country_uncertain else ())  # fmt: skip
    if facet in ("network", "any"):
        for a in public:
            asn = f"AS{a.asn} {a.as_organization or ''}".rstrip() if a.asn is not None else "no known AS"
            op = a.network_operator
            if op is None:
                yield _Subject("network", None, a.asn, (), None, a.anycast, f"{a.ip} is in {asn}")
            else:
                parent = f" (parent {op.parent}, based in {op.country or '?'})" if op.parent else ""
                names = tuple(dict.fromkeys((op.name, op.parent or op.name)))
                yield _Subject("network", op.country, a.asn, names, None, a.anycast,
                               f"{a.ip} is in {asn}, run by {op.name}{parent}")  # fmt: skip
    service = endpoint.service
    if facet in ("service", "any") and service is not None:
        owners = [link.name for link in service.parent_chain]
        # An inference says so in the fact itself ("inference from the endpoint's TLS certificate"), not as a code.
        basis = basis_in_words(service.basis) if service.basis in INFERRED_BASES else service.basis
        fact = f"service operator {service.chain_in_words()} ({basis}, {service.confidence} confidence"
        if service.unverified:
            fact += f"; unverified: {', '.join(service.unverified)}"
        first = service.source.split(" | ", 1)[0]  # the deciding row or table; every source is in the attribution
        fact += f"; {first if len(first) <= 240 else first[:239] + '…'})"
        inferred = BASIS_WORDS[service.basis] if service.basis in INFERRED_BASES else None
        yield _Subject("service", service.country, None, (service.operator, *owners), service.category, False,
                       fact, service.countries, inferred)  # fmt: skip


def _hosting_fact(a: AddressAttribution) -> str:
    """What a hosting finding states, and on what basis: the provider's published region, or GeoIP.

    E.g. "198.51.100.5 is hosted in DE (AWS eu-central-1 (Frankfurt, DE), the provider's published ranges;
    GeoIP: US)", or "203.0.113.9 is hosted in CN (GeoIP)".
    """
    edge = " (an anycast/CDN edge)" if a.anycast else ""
    if a.country_uncertain:
        said = "; ".join(f"{x.database}: {x.country or 'no answer'}" for x in a.geoip_answers)
        return f"{a.ip} is hosted in {' or '.join(a.possible_countries)} (GeoIP, uncertain: {said}){edge}"
    country = a.country or "an unknown country"
    cloud = a.cloud
    if cloud is not None and a.hosting_basis != "GeoIP":
        geoip = f"; GeoIP: {a.geoip_country}" if a.geoip_country and a.geoip_country != a.country else ""
        return f"{a.ip} is hosted in {country} ({cloud.in_words()}, the provider's published ranges{geoip})"
    if cloud is not None:
        return f"{a.ip} is hosted in {country} (GeoIP; {cloud.in_words()}){edge}"
    return f"{a.ip} is hosted in {country} (GeoIP){edge}"


def _cloud_key(a: AddressAttribution) -> str | None:
    """``provider:region`` of a regional cloud range (as a pack's cloud_regions set names it), else None."""
    cloud = a.cloud
    if cloud is None or cloud.edge or cloud.region is None:
        return None
    ids = {p.name: p.id for p in cloud_providers().values()}  # the name an attribution shows → a pack's id
    return f"{ids.get(cloud.provider, cloud.provider)}:{cloud.region}".casefold()


def _subject_match(
    subject: _Subject, conditions: Mapping[str, str | bool], sets: Mapping[str, frozenset[str]]
) -> list[str] | None:
    """The values to show if ``subject`` meets every condition, else None."""
    shown: list[str] = []
    for condition, value in conditions.items():
        if condition == "anycast":
            if subject.facet == "service" or subject.anycast != value:
                return None
            continue
        wanted = sets[str(value)]
        negate = condition.endswith("_not_in")
        if condition.startswith("country"):
            # An uncertain hosting country is each of its possible countries: the condition holds if it holds for
            # any of them (in: one is in the set; not_in: one is outside it), so uncertainty never reads as allowed.
            if subject.possible:
                outside = [c for c in subject.possible if c.casefold() not in wanted and c not in wanted]
                inside = [c for c in subject.possible if c not in outside]
                if not (outside if negate else inside):
                    return None
                shown.extend(outside if negate else inside)
                continue
            have = [subject.country] if subject.country else []
        elif condition.startswith("owner_country"):
            have = list(subject.owners)
        elif condition.startswith("asn"):
            have = [str(subject.asn)] if subject.asn is not None else []
        elif condition.startswith("operator"):
            have = list(subject.operators)
        elif condition.startswith("cloud_region"):
            have = [subject.cloud_region] if subject.cloud_region else []
        else:  # category_in
            have = [subject.category] if subject.category else []
        if not have:
            return None  # unknown values never match, not even "not in": absence of data is not a violation
        inside = [h for h in have if h.casefold() in wanted or h in wanted]
        if negate:
            if inside:
                return None
            shown.extend(have)
        elif not inside:
            return None
        else:
            shown.extend(inside)
    return shown


def _practice_match(
    rule: Rule, pack: RulePack, endpoint: Endpoint, context: Context
) -> tuple[list[str], list[str], list[str]] | None:
    """(values, facts, adjustments) if the endpoint's vendor has every fact value the rule tests, else None.

    A fact nobody read (unknown) matches a test for one of its risky values only in a pack that says
    ``unknown_is_risk = true``; the finding says so.
    """
    tests = {c: v for c, v in rule.when.items() if c in PRACTICE_CONDITIONS}
    if not tests:
        return [], [], []
    vendor = context.vendor(endpoint.host)
    if vendor is None:
        return None
    values: list[str] = []
    facts: list[str] = []
    notes: list[str] = []
    for fact, wanted in tests.items():
        have = vendor.value(fact)
        wanted_values = wanted if isinstance(wanted, tuple) else (str(wanted),)
        if have not in wanted_values:
            if not (have == "unknown" and pack.unknown_is_risk and RISKY[fact].intersection(wanted_values)):
                return None
            notes.append(f"{fact} is unknown (no source read); pack {pack.id} counts unknown as risk")
        values.append(f"{fact} = {have}")
        read = vendor.get(fact)
        words = fact_in_words(read) if read is not None else f"{fact}: unknown (no source read)"
        facts.append(f"{vendor.vendor}, {vendor.tier} tier: {words}")
    return values, facts, notes


def is_data_endpoint(endpoint: Endpoint) -> bool:
    """An endpoint with a data role (api, auth, upload, telemetry) or relevance 0.5 or more."""
    return bool(DATA_ROLES.intersection(endpoint.roles)) or endpoint.relevance >= LOW_RELEVANCE


def outside_declared(endpoint: Endpoint, app: CatalogApp | None) -> list[str]:
    """What puts a data endpoint outside the countries ``app`` declares it stores data in (empty: nothing).

    Hosting counts for addresses that are not anycast/CDN edges (an edge's country is not where data rests); the
    service operator's home country counts as the law it operates under.
    """
    if app is None or not app.stored_in or not is_data_endpoint(endpoint):
        return []
    found = [  # an uncertain country is outside if either of its possible countries is
        f"{a.ip} is hosted in {' or '.join(a.possible_countries)} (GeoIP{', uncertain' if a.country_uncertain else ''})"
        for a in endpoint.addresses
        if a.scope == "public" and not a.anycast and any(c not in app.stored_in for c in a.possible_countries)
    ]
    service = endpoint.service
    if service is not None and service.country and service.country not in app.stored_in:
        found.append(f"run by {service.chain_in_words()} ({basis_in_words(service.basis)})")
    return found


def other_vendor(endpoint: Endpoint, app: CatalogApp | None) -> bool:
    """Whether an API endpoint is another vendor's generative-AI service than the ones ``app`` is declared to use."""
    service = endpoint.service
    if app is None or service is None or service.category != "genai" or app.is_own(endpoint.host):
        return False
    names = {n.casefold() for n in (service.operator, *(link.name for link in service.parent_chain))}
    return app.vendor.casefold() not in names and "api" in endpoint.roles  # the model API, not its web or docs


def _declared(app: CatalogApp) -> str:
    return f"catalog {app.id} declares: data location '{app.data_location}' (checked {app.checked})"


def _seen(endpoint: Endpoint) -> str:
    first = endpoint.evidence[0]
    where = f"{first.source}" + (f" at {first.location}" if first.location else "")
    excerpt = first.excerpt if len(first.excerpt) <= 120 else first.excerpt[:119] + "…"
    return f"seen ({endpoint.confidence}): {where}: {excerpt}"


def _endpoint_match(
    rule: Rule, sets: Mapping[str, frozenset[str]], endpoint: Endpoint, context: Context
) -> list[str] | None:
    """The values to show if ``endpoint`` meets the rule's endpoint conditions (all of them), else None."""
    shown: list[str] = []
    for condition, value in rule.when.items():
        if condition in PRACTICE_CONDITIONS:
            continue
        if condition == "stored_outside_declared":
            outside = outside_declared(endpoint, context.app)
            if bool(outside) != value:
                return None
            shown.extend(outside or ["inside the declared countries"])
            continue
        if condition == "other_model_vendor":
            other = other_vendor(endpoint, context.app)
            if other != value:
                return None
            service = endpoint.service
            shown.append(service.operator if other and service else "a declared model vendor")
            continue
        if condition in ("domain_matches", "domain_not_matches"):
            matches = _matching_pattern(endpoint.host, sets[str(value)]) is not None
            if matches != (condition == "domain_matches") or endpoint.host is None:
                return None
            shown.append(endpoint.key)
        elif condition == "role_in":
            roles = [r for r in endpoint.roles if r in sets[str(value)]]
            if not roles:
                return None
            shown.extend(roles)
        elif condition == "unresolved":
            unresolved = endpoint.host is not None and endpoint.resolution.status in UNRESOLVED
            if unresolved != value:
                return None
            shown.append(endpoint.resolution.status)
        elif condition == "cleartext":
            cleartext = sorted(CLEARTEXT_SCHEMES.intersection(endpoint.schemes))
            if bool(cleartext) != value:
                return None
            shown.extend(cleartext or endpoint.schemes)
        elif condition == "unattributed":
            if unattributed(endpoint) != value:
                return None
            shown.append("operator and hosting unknown")
    return shown


def unattributed(endpoint: Endpoint) -> bool:
    """Whether nobody can say who runs a data endpoint: no service operator and no hosting country.

    A data endpoint is one with a data role (api, auth, upload, telemetry) or relevance 0.5 or more.
    """
    if endpoint.service is not None or any(a.country for a in endpoint.addresses if a.scope == "public"):
        return False
    if endpoint.addresses and all(a.scope == "local" for a in endpoint.addresses):
        return False  # the machine itself or its LAN: no foreign law reaches it
    return bool(DATA_ROLES.intersection(endpoint.roles)) or endpoint.relevance >= LOW_RELEVANCE


def could_not_attribute(endpoints: Iterable[Endpoint]) -> list[tuple[Endpoint, list[str]]]:
    """The data endpoints nobody could attribute, each with what would settle it (for every report and view)."""
    return [(e, settles(e)) for e in endpoints if unattributed(e)]


def settles(endpoint: Endpoint) -> list[str]:
    """What would settle who runs an endpoint nobody could attribute, in the user's words."""
    steps = []
    if endpoint.host is not None and endpoint.resolution.status == "skipped":
        steps.append("resolve it (run without --offline) so its hosting is known")
    elif endpoint.host is not None and endpoint.resolution.status in UNRESOLVED:
        steps.append(f"its DNS answer was {endpoint.resolution.status}: check the name, or capture the traffic")
    if endpoint.host is not None:
        steps.append(f"a row for {endpoint.registrable_domain or endpoint.host} in your organisation's operators table")
        steps.append("where your organisation allows online look-ups: assess with --probe (reads its TLS certificate "
                     "and its domain's registration; an inference, for review)")  # fmt: skip
    return steps


def _endpoint_facts(rule: Rule, endpoint: Endpoint, context: Context) -> list[str]:
    facts = []
    app = context.app
    for condition in rule.when:
        if condition in ("stored_outside_declared", "other_model_vendor") and app is not None:
            if condition == "stored_outside_declared":
                facts.append(f"{_declared(app)}, i.e. {', '.join(sorted(app.stored_in)[:12])}"
                             + ("…" if len(app.stored_in) > 12 else ""))  # fmt: skip
            else:
                vendors = ", ".join((app.vendor, *app.models_from))
                facts.append(f"catalog {app.id} declares the models of: {vendors}")
            facts.append(_seen(endpoint))
        if condition == "unresolved":
            r = endpoint.resolution
            facts.append(f"DNS: {r.status}" + (f" ({r.detail})" if r.detail else ""))
        elif condition == "cleartext":
            facts.append(f"schemes seen: {', '.join(endpoint.schemes) or 'none'}")
        elif condition == "role_in":
            facts.append(f"roles: {', '.join(endpoint.roles)}")
        elif condition == "unattributed":
            facts.append(
                f"no table or inference names its operator; hosting unknown (DNS: {endpoint.resolution.status}); "
                f"roles: {', '.join(endpoint.roles) or 'none'}; relevance {endpoint.relevance:g}"
            )
        elif condition.startswith("domain"):
            facts.append(f"host {endpoint.host}")
    return facts


def _matching_pattern(host: str | None, patterns: frozenset[str]) -> str | None:
    """The pattern ``host`` matches: ``example.com`` matches itself and subdomains, ``*.example.com`` only these."""
    if host is None:
        return None
    labels = host.split(".")
    for start in range(len(labels)):
        suffix = ".".join(labels[start:])
        if start == 0 and suffix in patterns:
            return suffix
        if start > 0 and (suffix in patterns or f"*.{suffix}" in patterns):
            return suffix
    return None


__all__ = [
    "BANDS",
    "DATA_ROLES",
    "ENDPOINT_CONDITIONS",
    "LOW_RELEVANCE",
    "Context",
    "evaluate",
    "is_data_endpoint",
    "other_vendor",
    "outside_declared",
    "score",
    "settles",
    "unattributed",
]
