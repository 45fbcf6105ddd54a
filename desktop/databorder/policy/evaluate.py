"""Evaluate: apply rule packs to attributed endpoints → findings, an explained 0–100 score and a verdict.

Every point of the score is a finding's points, and every finding names its rule, pack, endpoint and the fact
(address, database, table row) that triggered it, so the score can be read back line by line.

Scoring: score = min(100, sum of finding points); verdict = the strongest severity among findings (``info`` or
none → allow).  A hosting-facet hit whose every matching address is an anycast/CDN edge says where the edge is,
not where data rests: it is capped at ``review`` and counts half its points, and the finding says so.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

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


def _apply(rule: Rule, pack: RulePack, endpoint: Endpoint) -> Finding | None:
    wanted = pack.sets[rule.set_name]
    negate = rule.condition == "country_not_in"
    matches: list[tuple[str, str, bool]] = []  # (value, fact, is anycast edge)
    for value, fact, anycast in _facet_values(rule, endpoint):
        if (value not in wanted) if negate else (value in wanted):
            matches.append((value, fact, anycast))
    if not matches:
        return None
    severity = rule.severity
    points = rule.points
    facts = [fact for _, fact, _ in matches]
    if rule.facet == "hosting" and all(anycast for _, _, anycast in matches):
        if severity == "prohibit":
            severity = "review"
        points = (points + 1) // 2
        facts.append("every matching address is an anycast/CDN edge: its country is the edge's, not the data's")
    values = ", ".join(sorted({value for value, _, _ in matches}))
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


def _facet_values(rule: Rule, endpoint: Endpoint) -> Iterable[tuple[str, str, bool]]:
    """(value the condition compares, the fact stating it, whether it is an anycast edge) for one endpoint."""
    if rule.facet == "service":
        service = endpoint.service
        if service is None:
            return
        if rule.condition == "operator_in":
            yield service.operator.casefold(), f"service operator {service.operator} ({service.source})", False
        elif service.country:
            yield service.country, f"service operator {service.operator} is based in {service.country} " \
                f"({service.source})", False
        return
    for addr in endpoint.addresses:
        if addr.scope != "public":
            continue
        if rule.facet == "hosting":
            yield from _hosting_values(rule, addr)
        else:
            yield from _network_values(rule, addr)


def _hosting_values(rule: Rule, addr: AddressAttribution) -> Iterable[tuple[str, str, bool]]:
    if rule.condition == "asn_in" and addr.asn is not None:
        yield str(addr.asn), f"{addr.ip} is in AS{addr.asn} {addr.as_organization or ''}".rstrip(), addr.anycast
    elif rule.condition.startswith("country") and addr.country:
        yield addr.country, f"{addr.ip} is hosted in {addr.country} (GeoIP)", addr.anycast


def _network_values(rule: Rule, addr: AddressAttribution) -> Iterable[tuple[str, str, bool]]:
    asn_text = f"AS{addr.asn} {addr.as_organization or ''}".rstrip() if addr.asn is not None else "no known AS"
    if rule.condition == "asn_in":
        if addr.asn is not None:
            yield str(addr.asn), f"{addr.ip} is in {asn_text}", addr.anycast
        return
    operator = addr.network_operator
    if operator is None:
        return
    fact = f"{addr.ip} is in {asn_text}, run by {operator.name}" + (
        f" (parent {operator.parent}, based in {operator.country})" if operator.parent else ""
    )
    if rule.condition == "operator_in":
        for name in {operator.name.casefold(), (operator.parent or operator.name).casefold()}:
            yield name, fact, addr.anycast
    elif operator.country:
        yield operator.country, fact, addr.anycast
