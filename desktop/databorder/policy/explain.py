"""Explain: rule packs and their findings in plain language, for the compliance officer who signs off.

What a decision rests on is said here once, for every reader (PDF, console, GUI): a pack as sentences, the
findings grouped by rule, the strongest reasons for the verdict and the jurisdictions whose law reaches the data.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from databorder.model import SEVERITY_ORDER, Assessment, Endpoint, Finding, Severity
from databorder.policy.evaluate import CLEARTEXT_SCHEMES, LOW_RELEVANCE
from databorder.policy.packs import Rule, RulePack
from databorder.practices import FACT_WORDS

_SUBJECT = {
    "hosting": "the hosting country of one of its addresses (GeoIP)",
    "network": "the home country of the parent of the network operator carrying one of its addresses",
    "service": "the home country of the company running the service",
    "any": "the hosting country, the network operator's home country or the service operator's home country",
}
_LISTED = 12


@dataclass(frozen=True)
class RuleExplanation:
    """One rule as a sentence, with what it adds and where it comes from."""

    rule: str
    pack: str
    severity: str
    points: int
    condition: str
    message: str
    cite: str | None


def explain_rule(rule: Rule, pack: RulePack) -> RuleExplanation:
    """A rule of ``pack`` (possibly inherited) rendered as one plain sentence of conditions."""
    parts = [_condition(rule, name, value, pack) for name, value in rule.when.items()]
    return RuleExplanation(
        rule=rule.id,
        pack=rule.pack,
        severity=rule.severity,
        points=rule.points,
        condition="An endpoint matches when " + "; and ".join(parts) + ".",
        message=rule.message,
        cite=rule.cite,
    )


def explain_pack(pack: RulePack) -> list[str]:
    """The whole pack as lines of plain text: what it is, what it rests on, its sets and its rules."""
    lines = [f"{pack.id} {pack.version} — {pack.title}"]
    if pack.description:
        lines.append(pack.description)
    lines.append(f"File: {pack.path} ({pack.origin}), sha256 {pack.sha256}")
    if pack.extends:
        lines.append(f"Extends: {', '.join(pack.extends)} (their sets and rules apply unless replaced or disabled)")
    if pack.weight != 1:
        lines.append(f"Weight: points of this pack's findings are multiplied by {pack.weight:g}")
    for rule_id, factor in sorted(pack.weights.items()):
        lines.append(f"Rule weight: points of rule {rule_id} are multiplied by {factor:g}")
    if pack.unknown_is_risk:
        lines.append("Unknown is risk: a vendor fact nobody read counts as the risky value a rule tests")
    if pack.mandatory:
        lines.append("Mandatory: applied to every assessment on machines where it is deployed system-wide")
    lines.append("Sources:")
    lines += [f"  - {source}" for source in pack.sources]
    lines.append("Sets:")
    for name in sorted(pack.sets):
        lines.append(f"  {name} ({pack.set_kinds[name]}): {_listing(pack.sets[name])}")
    lines.append("Rules:")
    for rule in pack.rules:
        e = explain_rule(rule, pack)
        origin = f"  [from {e.pack}]" if e.pack != pack.id else ""
        lines.append(f"  {e.severity.upper()} +{e.points}  {e.rule}{origin}")
        lines.append(f"      {e.condition}")
        lines.append(f"      Message: {e.message}")
        if e.cite:
            lines.append(f"      Cites: {e.cite}")
    lines.append("How findings count:")
    lines += [
        "  - score = the sum of finding points, at most 100; the verdict is the strongest severity found",
        "  - a hosting hit on anycast/CDN edges only counts half and cannot prohibit (the edge is not where data is)",
        f"  - an endpoint seen only in a static scan with relevance below {LOW_RELEVANCE:g} cannot prohibit",
        "  - a rule on a vendor's data-handling facts counts once per vendor, for the assessment's tier",
        "  - a service operator inferred (from a ccTLD, a scanned bundle's text, a TLS certificate or a registry "
        "record) rather than read from a sourced table cannot prohibit on its own",
    ]
    return lines


def _condition(rule: Rule, name: str, value: str | bool | tuple[str, ...], pack: RulePack) -> str:
    if isinstance(value, bool):
        return _flag(name, value)
    if isinstance(value, tuple):
        unknown = " (or nobody read it: this pack counts unknown as risk)" if pack.unknown_is_risk else ""
        either = " or ".join(value)
        return f"its vendor's fact '{FACT_WORDS[name]}', for the tier in use, is {either}{unknown}"
    listing = f"{value} ({_listing(pack.sets[value])})"
    subject = _SUBJECT[rule.facet]
    phrases = {
        "country_in": f"{subject} is in {listing}",
        "country_not_in": f"{subject} is known and not in {listing}",
        "asn_in": f"one of its addresses is in an autonomous system of {listing}",
        "asn_not_in": f"one of its addresses is in a known autonomous system outside {listing}",
        "operator_in": f"the operator ({rule.facet} facet) or its parent is one of {listing}",
        "operator_not_in": f"the operator ({rule.facet} facet) is known and not one of {listing}",
        "category_in": f"the service is of a category in {listing}",
        "owner_country_in": f"the service operator, or a company owning it up to the ultimate parent, is in {listing}",
        "owner_country_not_in": f"the service operator and every owner are known and none is based in {listing}",
        "domain_matches": f"its host is, or is under, one of {listing}",
        "domain_not_matches": f"its host is not under any of {listing}",
        "role_in": f"its role (from the catalog) is one of {listing}",
        "cloud_region_in": f"a cloud provider's published range puts the address in one of the regions {listing}",
        "cloud_region_not_in": f"a cloud provider's published range puts the address in a region outside {listing}",
    }
    return phrases[name]


def _flag(name: str, value: bool) -> str:
    if name == "unresolved":
        return "its host name does not resolve in DNS" if value else "its host name resolves in DNS"
    if name == "anycast":
        return "the address is an anycast/CDN edge" if value else "the address is not an anycast/CDN edge"
    if name == "stored_outside_declared":
        return (
            "it carries data and is hosted (not on an anycast edge) or run outside the countries the assessed app's "
            "catalog entry declares it stores data in"
            if value
            else "it is hosted and run inside the countries the assessed app declares"
        )
    if name == "other_model_vendor":
        return (
            "it is the generative-AI API (role api) of a vendor other than the ones the assessed app is declared to use"
            if value
            else "it is not another vendor's generative-AI service"
        )
    if name == "unattributed":
        return (
            "it carries data (an api, auth, upload or telemetry role, or relevance 0.5 or more) and neither who "
            "runs it nor where it is hosted is known"
            if value
            else "who runs it or where it is hosted is known"
        )
    schemes = ", ".join(sorted(CLEARTEXT_SCHEMES))
    return f"it is reached over unencrypted transport ({schemes})" if value else "it is reached only over encryption"


def _listing(values: frozenset[str]) -> str:
    items = sorted(values)
    shown = ", ".join(items[:_LISTED])
    return shown + (f" … and {len(items) - _LISTED} more" if len(items) > _LISTED else "")


def verdict_reason(assessment: Assessment) -> str:
    """One sentence saying why the verdict is what it is: the strongest finding, or why nothing was found."""
    if not assessment.findings:
        reason = f"No rule was triggered by the {len(assessment.endpoints)} endpoints assessed."
    else:
        strongest = max(assessment.findings, key=lambda f: (SEVERITY_ORDER.index(f.severity), f.points))
        others = len(assessment.findings) - 1
        more = f" (and {others} more finding{'s' if others != 1 else ''})" if others else ""
        reason = f"{strongest.endpoint}: {strongest.message}{more}."
    if not assessment.complete:
        reason += " The assessment is incomplete, so it cannot say 'allow'."
    return reason


@dataclass(frozen=True)
class RuleVariant:
    """Findings of one rule that say the same thing of different endpoints (the same operator, say)."""

    example: Finding  # the strongest of them; its message names its own endpoint
    endpoints: tuple[str, ...]  # every endpoint it was said of, the example's first


@dataclass(frozen=True)
class RuleHits:
    """One rule and every finding it raised: what a reader signs off on, rather than one line per endpoint."""

    rule: str
    pack: str
    severity: Severity  # the strongest of its findings (an adjustment can lower one endpoint's)
    citation: str | None
    findings: tuple[Finding, ...]  # strongest first
    variants: tuple[RuleVariant, ...]

    @property
    def endpoints(self) -> tuple[str, ...]:
        """The endpoints the rule hit, in the order of its findings."""
        return tuple(dict.fromkeys(f.endpoint for f in self.findings))

    @property
    def points(self) -> int:
        """The points its findings add to the score, together."""
        return sum(f.points for f in self.findings)

    def wording(self, endpoint: str = "(endpoint)", elided: str = "…") -> tuple[str, list[str]]:
        """What the rule says of every endpoint, once, and what it says differently of each variant.

        The words all its variants share stay, ``endpoint`` stands for the endpoint's name and ``elided`` for
        the words that differ (cut at spaces); the list holds those words, variant by variant ('' where the
        variants differ only in severity or adjustments).
        """
        messages = [v.example.message.replace(v.example.endpoint, "\0") for v in self.variants]
        if len(set(messages)) == 1:
            return messages[0].replace("\0", endpoint), ["" for _ in messages]
        prefix = _common_prefix(messages)
        prefix = prefix[: prefix.rfind(" ") + 1]
        shortest = min(len(m) for m in messages) - len(prefix)
        suffix = _common_prefix([m[::-1] for m in messages])[::-1][-shortest:] if shortest > 0 else ""
        cut = min((i for i in (suffix.find(" "), suffix.find(",")) if i >= 0), default=len(suffix))
        suffix = suffix[cut:]
        middles = [m[len(prefix) : len(m) - len(suffix)].strip() for m in messages]
        return (prefix + elided + suffix).replace("\0", endpoint), middles


def _common_prefix(strings: list[str]) -> str:
    first, last = min(strings), max(strings)  # the two that differ soonest bound every other's agreement
    size = next((i for i, (a, b) in enumerate(zip(first, last, strict=False)) if a != b), len(first))
    return first[:size]


def findings_by_rule(findings: Iterable[Finding], endpoints: Iterable[Endpoint] = ()) -> list[RuleHits]:
    """The findings grouped by (pack, rule), strongest rule first (severity, then points together).

    Within a rule, findings whose message, severity and adjustments are the same once their endpoint's name is
    taken out are one variant: "run by X (CN)" said of ten endpoints is said once, with the ten names.  Among
    equally strong findings the most relevant of ``endpoints`` comes first (an API before its documentation site).
    """
    relevance = {e.key: e.relevance for e in endpoints}

    def strength(f: Finding) -> tuple[int, int, float, str]:
        return (-SEVERITY_ORDER.index(f.severity), -f.points, -relevance.get(f.endpoint, 0.0), f.endpoint)

    groups: dict[tuple[str, str], list[Finding]] = {}
    for f in sorted(findings, key=strength):
        groups.setdefault((f.pack, f.rule), []).append(f)
    result = []
    for (pack, rule), members in groups.items():
        variants: dict[tuple[object, ...], list[Finding]] = {}
        for f in members:
            key = (f.severity, f.message.replace(f.endpoint, "\0"), tuple(a.replace(f.endpoint, "\0")
                                                                         for a in f.adjustments))  # fmt: skip
            variants.setdefault(key, []).append(f)
        result.append(
            RuleHits(
                rule=rule,
                pack=pack,
                severity=members[0].severity,
                citation=next((f.citation for f in members if f.citation), None),
                findings=tuple(members),
                variants=tuple(
                    RuleVariant(v[0], tuple(dict.fromkeys(f.endpoint for f in v))) for v in variants.values()
                ),
            )
        )
    result.sort(key=lambda g: (-SEVERITY_ORDER.index(g.severity), -g.points, g.pack, g.rule))
    return result


def strongest_reasons(assessment: Assessment, count: int = 3) -> list[str]:
    """The ``count`` strongest reasons for the verdict, one sentence per rule (its strongest finding's words)."""
    reasons = []
    named: set[str] = set()
    for group in findings_by_rule(assessment.findings, assessment.endpoints)[:count]:
        # The example: one of the rule's strongest findings, on an endpoint no earlier reason named if there is one.
        strong = [f for f in group.findings if (f.severity, f.points) == (group.severity, group.findings[0].points)]
        first = next((f for f in strong if f.endpoint not in named), strong[0])
        named.add(first.endpoint)
        others = len(group.endpoints) - 1
        sentence = f"{group.severity.upper()}: {first.message.rstrip('.')}"
        if others:
            sentence += f"; the same rule ({group.rule}) hit {others} other endpoint{'s' if others != 1 else ''}"
        reasons.append(sentence + ".")
    return reasons


@dataclass(frozen=True)
class LawReach:
    """A country whose law reaches the data: the companies from there in the operators' chains, and where."""

    country: str
    companies: tuple[str, ...]  # service operators or owners based there, as the chains name them
    endpoints: tuple[str, ...]
    severity: Severity | None  # the worst finding on those endpoints, None when none


def law_reach(assessment: Assessment) -> list[LawReach]:
    """The jurisdictions reaching the data through the service operators' chains (operator, then its owners).

    Worst finding first, then the most endpoints; endpoints whose operator is unknown reach no country here
    (they are what :func:`databorder.policy.evaluate.could_not_attribute` lists).
    """
    worst: dict[str, int] = {}
    for f in assessment.findings:
        worst[f.endpoint] = max(worst.get(f.endpoint, -1), SEVERITY_ORDER.index(f.severity))
    companies: dict[str, dict[str, None]] = {}
    endpoints: dict[str, dict[str, None]] = {}
    for e in assessment.endpoints:
        if e.service is None:
            continue
        chain = [
            (e.service.operator, e.service.country),
            *((link.name, link.country) for link in e.service.parent_chain),
        ]
        for name, country in chain:
            if country:
                companies.setdefault(country, {})[name] = None
                endpoints.setdefault(country, {})[e.key] = None
    result = []
    for country, names in companies.items():
        level = max((worst.get(key, -1) for key in endpoints[country]), default=-1)
        result.append(LawReach(country, tuple(names), tuple(endpoints[country]),
                               SEVERITY_ORDER[level] if level >= 0 else None))  # fmt: skip
    result.sort(key=lambda r: (-(SEVERITY_ORDER.index(r.severity) if r.severity else -1), -len(r.endpoints), r.country))
    return result
