"""Evaluate: apply rule packs to attributed endpoints → findings, an explained 0–100 score and a verdict.

Every point of the score is a finding's points, and every finding names its rule, pack, endpoint and the fact
(address, database, table row) that triggered it, so the score can be read back line by line.

Scoring: score = min(100, sum of finding points); verdict = the strongest severity among findings (``info`` or
none → allow).  A hosting-facet hit whose every matching address is an anycast/CDN edge says where the edge is,
not where data rests: it is capped at ``review`` and counts half its points, and the finding says so.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import NamedTuple

from databorder.model import AddressAttribution, Endpoint, Finding, Verdict, strongest
from databorder.policy.packs import Rule, RulePack

#: Score bands, lowest first: (lower bound, name).
BANDS: tuple[tuple[int, str], ...] = ((0, "low"), (20, "moderate"), (50, "high"), (80, "critical"))


def evaluate(endpoints: Sequence[Endpoint], packs: Sequence[RulePack]) -> list[Finding]:
    """All findings of ``packs`` over ``endpoints``: at most one per (pack, rule, endpoint)."""
    findings: list[Finding] = []
    for pack in packs:
        for rule in pack.rules:
            for endpoint in endpoints:
                finding = _apply(rule, pack, endpoint)
                if finding is not None:
                    findings.append(finding)
    return findings


def score(findings: Iterable[Finding]) -> tuple[int, str, Verdict]:
    """The assessment's score (0–100, higher is riskier), its band, and the verdict."""
    found = list(findings)
    total = min(100, sum(f.points for f in found))
    band = next(name for bound, name in reversed(BANDS) if total >= bound)
    worst = strongest(f.severity for f in found)
    verdict: Verdict = "allow" if worst in (None, "info") else worst  # type: ignore[assignment]
    return total, band, verdict


class _Value(NamedTuple):
    """A value a condition compares (``key``, as sets store it), how to show it, and the fact stating it."""

    key: str
    shown: str
    fact: str
    anycast: bool


def _apply(rule: Rule, pack: RulePack, endpoint: Endpoint) -> Finding | None:
    wanted = pack.sets[rule.set_name]
    negate = rule.condition == "country_not_in"
    matches = [v for v in _facet_values(rule, endpoint) if (v.key not in wanted if negate else v.key in wanted)]
    if not matches:
        return None
    severity = rule.severity
    points = rule.points
    facts = list(dict.fromkeys(v.fact for v in matches))
    if rule.facet == "hosting" and all(v.anycast for v in matches):
        if severity == "prohibit":
            severity = "review"
        points = (points + 1) // 2
        facts.append("every matching address is an anycast/CDN edge: its country is the edge's, not the data's")
    values = ", ".join(sorted({v.shown for v in matches}))
    message = rule.message.format(
        endpoint=endpoint.key, facet=rule.facet, values=values, set=rule.set_name, rule=rule.id, pack=pack.id
    )
    return Finding(
        rule=rule.id,
        pack=pack.id,
        severity=severity,
        points=points,
        endpoint=endpoint.key,
        message=message,
        facet=rule.facet,
        fact="; ".join(facts),
        citation=rule.cite,
    )


def _facet_values(rule: Rule, endpoint: Endpoint) -> Iterable[_Value]:
    """The values ``rule``'s condition compares for one endpoint, each with the fact that states it."""
    if rule.facet == "service":
        service = endpoint.service
        if service is None:
            return
        fact = f"service operator {service.operator} is based in {service.country or '?'} ({service.source})"
        if rule.condition == "operator_in":
            yield _Value(service.operator.casefold(), service.operator, fact, False)
        elif rule.condition.startswith("country") and service.country:
            yield _Value(service.country, service.country, fact, False)
        return
    for addr in endpoint.addresses:
        if addr.scope != "public":
            continue
        if rule.facet == "hosting":
            yield from _hosting_values(rule, addr)
        else:
            yield from _network_values(rule, addr)


def _hosting_values(rule: Rule, addr: AddressAttribution) -> Iterable[_Value]:
    if rule.condition.startswith("country") and addr.country:
        yield _Value(addr.country, addr.country, f"{addr.ip} is hosted in {addr.country} (GeoIP)", addr.anycast)
    elif rule.condition == "asn_in":
        yield from _network_values(rule, addr)


def _network_values(rule: Rule, addr: AddressAttribution) -> Iterable[_Value]:
    asn_text = f"AS{addr.asn} {addr.as_organization or ''}".rstrip() if addr.asn is not None else "no known AS"
    if rule.condition == "asn_in":
        if addr.asn is not None:
            yield _Value(str(addr.asn), str(addr.asn), f"{addr.ip} is in {asn_text}", addr.anycast)
        return
    operator = addr.network_operator
    if operator is None:
        return
    fact = f"{addr.ip} is in {asn_text}, run by {operator.name}" + (
        f" (parent {operator.parent}, based in {operator.country})" if operator.parent else ""
    )
    if rule.condition == "operator_in":
        for name in dict.fromkeys((operator.name, operator.parent or operator.name)):
            yield _Value(name.casefold(), name, fact, addr.anycast)
    elif rule.condition.startswith("country") and operator.country:
        yield _Value(operator.country, operator.country, fact, addr.anycast)
