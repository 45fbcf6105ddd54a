"""Explain: a rule pack in plain language, for the compliance officer who signs it off (CLI and GUI share it)."""

from __future__ import annotations

from dataclasses import dataclass

from databorder.model import SEVERITY_ORDER, Assessment
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
