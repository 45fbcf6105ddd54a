"""The detail pane's content for one endpoint: evidence, DNS, attribution with sources, and triggered rules."""

from __future__ import annotations

from collections.abc import Mapping
from html import escape as _escape

from databorder.model import (
    ENTITY_WORDS,
    Assessment,
    DatabaseKind,
    Endpoint,
    Finding,
    Registration,
    basis_in_words,
)

#: The most characters of one text the pane shows: a hostile saved assessment's megabyte message or excerpt
#: would freeze the UI thread laying it out, and nobody reads that far.
TEXT_LIMIT = 2000


def escape(text: str) -> str:
    """``text`` escaped for the pane's HTML, cut at :data:`TEXT_LIMIT` characters with a word of how much more."""
    if len(text) > TEXT_LIMIT:
        text = f"{text[:TEXT_LIMIT]}… ({len(text) - TEXT_LIMIT:,} more characters; see the JSON)"
    return _escape(text)


_MAX_EVIDENCE = 20


def endpoint_html(assessment: Assessment, endpoint: Endpoint) -> str:
    """Rich text (Qt's HTML subset) describing ``endpoint`` within ``assessment``; every value is escaped."""
    findings = [f for f in assessment.findings if f.endpoint == endpoint.key]
    parts = [f"<h2>{escape(endpoint.key)}</h2>", _summary(endpoint)]
    parts += _findings(findings)
    parts += _dns(endpoint)
    parts += _addresses(assessment, endpoint)
    parts += _service(endpoint)
    parts += _entities(endpoint)
    parts += _evidence(endpoint)
    parts += _practices(assessment, endpoint)
    return "\n".join(parts)


def _practices(assessment: Assessment, endpoint: Endpoint) -> list[str]:
    from databorder.report.practices import practices_html, practices_of

    vendor = practices_of(assessment, endpoint.host)
    return [practices_html(vendor)] if vendor is not None else []


def _summary(endpoint: Endpoint) -> str:
    bits = [f"confidence: {escape(endpoint.confidence)}", f"relevance {endpoint.relevance:.2f}"]
    if endpoint.roles:
        bits.append("role: " + escape(", ".join(endpoint.roles)))
    if endpoint.ports:
        bits.append("ports " + ", ".join(str(p) for p in endpoint.ports))
    if endpoint.schemes:
        bits.append("schemes " + escape(", ".join(endpoint.schemes)))
    summary = "<p>" + " · ".join(bits) + "</p>"
    if endpoint.relevance_reasons:
        summary += "<p><i>Ranked so because: " + escape("; ".join(endpoint.relevance_reasons)) + "</i></p>"
    return summary


def _findings(findings: list[Finding]) -> list[str]:
    if not findings:
        return ["<h3>Rules triggered</h3><p>None.</p>"]
    rows = ["<h3>Rules triggered</h3><ul>"]
    for f in sorted(findings, key=lambda f: (-("info", "review", "prohibit").index(f.severity), -f.points)):
        cite = f"<br/><i>Source: {escape(f.citation)}</i>" if f.citation else ""
        adjusted = "".join(f"<br/>Adjusted: {escape(a)}" for a in f.adjustments)
        rows.append(
            f"<li><b>{escape(f.severity)}</b> (+{f.points}) — {escape(f.message)}"
            f"<br/>rule <code>{escape(f.rule)}</code> of pack <code>{escape(f.pack)}</code>, "
            f"{escape(f.facet)} facet: {escape(f.fact)}{adjusted}{cite}</li>"
        )
    rows.append("</ul>")
    return rows


def _dns(endpoint: Endpoint) -> list[str]:
    if endpoint.host is None:
        return []
    r = endpoint.resolution
    text = f"status <b>{escape(r.status)}</b>"
    if r.cname_chain:
        text += "<br/>CNAME chain: " + " → ".join(escape(c) for c in (endpoint.host, *r.cname_chain))
    if r.nameserver:
        text += f"<br/>asked {escape(r.nameserver)}"
    if r.detail:
        text += f"<br/>{escape(r.detail)}"
    return [f"<h3>DNS</h3><p>{text}</p>"]


def _addresses(assessment: Assessment, endpoint: Endpoint) -> list[str]:
    if not endpoint.addresses:
        return ["<h3>Addresses</h3><p>None known.</p>"]
    sources: dict[DatabaseKind, str] = {}
    for d in assessment.databases:  # the first of a kind decides (a second country database is only consulted)
        sources.setdefault(d.kind, f"{d.source}" + (f", built {d.build_date}" if d.build_date else ""))
    rows = ["<h3>Addresses</h3><ul>"]
    for a in endpoint.addresses:
        if a.scope == "local":
            rows.append(f"<li>{escape(a.ip)}: local network, not geolocated</li>")
            continue
        lines = [f"<b>{escape(a.ip)}</b>"]
        country = escape(a.country or "unknown")
        cloud = a.cloud
        if cloud is not None and a.hosting_basis != "GeoIP":
            unverified = f"; unverified: {', '.join(cloud.unverified)}" if cloud.unverified else ""
            feed = f"{cloud.source}, {cloud.date or 'undated'}{unverified}"
            lines.append(f"hosted in {escape(cloud.in_words())}, service {escape(cloud.service or 'not named')} "
                         f"<i>({escape(feed)})</i>")  # fmt: skip
            lines.append(f"GeoIP says {escape(a.geoip_country or 'unknown')}" + _source(sources, "country"))
        elif a.country_uncertain:
            lines.append(f"hosting country uncertain: {escape(' or '.join(a.possible_countries))}")
        else:
            lines.append(f"hosting country {country}" + _source(sources, "country"))
            if cloud is not None:
                lines.append(f"in {escape(cloud.in_words())} <i>({escape(cloud.source)})</i>")
        if a.country_uncertain and cloud is not None:
            lines.append(f"in {escape(cloud.in_words())} <i>({escape(cloud.source)})</i>")
        lines.extend(f"{escape(g.database)} says {escape(g.country or 'nothing')}" for g in a.geoip_answers)
        lines.extend(escape(note) for note in a.notes)
        if a.asn is not None:
            lines.append(f"AS{a.asn} {escape(a.as_organization or '')}" + _source(sources, "asn"))
        if a.network_operator:
            op = a.network_operator
            parent = f", part of {escape(op.parent)}" if op.parent else ""
            home = f", home country {escape(op.country)}" if op.country else ""
            lines.append(
                f"network operator {escape(op.name)}{parent}{home}"
                + (f" <i>({escape(op.source)})</i>" if op.source else "")
            )
        if a.anycast:
            lines.append("anycast/CDN edge: the country says where the edge is, not where data rests")
        if a.registration is not None:
            lines.append(_registration_line(a.registration))
        rows.append("<li>" + "<br/>".join(lines) + "</li>")
    rows.append("</ul>")
    return rows


def _registration_line(r: Registration) -> str:
    if r.error:
        return f"registration (RDAP): not available — {escape(r.error)}"
    who = escape(r.organisation or r.network_name or "unnamed")
    where = f", {escape(r.country)}" if r.country else ""
    net = f" network {escape(r.network_name)}" if r.network_name else ""
    span = f" ({escape(r.range)})" if r.range else ""
    seen = "cached" if r.cached else "fetched"
    return (
        f"registered to {who}{where}{net}{span} <i>(RDAP, {escape(r.rir or '')}, {seen} {escape(r.fetched or '')})</i>"
    )


def _source(sources: Mapping[DatabaseKind, str], kind: DatabaseKind) -> str:
    return f" <i>({escape(sources[kind])})</i>" if kind in sources else ""


def _service(endpoint: Endpoint) -> list[str]:
    s = endpoint.service
    if s is None:
        from databorder.policy.evaluate import settles, unattributed

        if not unattributed(endpoint):
            return ["<h3>Service operator</h3><p>Not known for this domain.</p>"]
        steps = "".join(f"<li>{escape(step)}</li>" for step in settles(endpoint))
        return [
            "<h3>Service operator</h3><p><b>Could not attribute:</b> who runs this data endpoint is unknown, and "
            f"so is its hosting. What would settle it:</p><ul>{steps}</ul>"
        ]
    category = f" ({escape(s.category)}{', role ' + escape(s.role) if s.role else ''})" if s.category else ""
    basis = basis_in_words(s.basis)
    checked = f", checked {escape(s.checked)}" if s.checked else ""
    unverified = (
        f"<br/><b>Unverified:</b> {escape(', '.join(s.unverified))} (no source read confirmed these)"
        if s.unverified
        else ""
    )
    return [
        f"<h3>Service operator</h3><p>{escape(s.chain_in_words())}{category}<br/>"
        f"Decided by {escape(basis)} ({escape(s.confidence)} confidence{checked}){unverified}<br/>"
        f"<i>Source: {escape(s.source)}</i></p>"
    ]


def _entities(endpoint: Endpoint) -> list[str]:
    if not endpoint.entities:
        return []
    rows = [f"<h3>Legal-entity text nearby ({len(endpoint.entities)})</h3><ul>"]
    for e in endpoint.entities[:_MAX_EVIDENCE]:  # a scan keeps 4; a hostile saved file may hold any number
        points = f" (points to {escape(e.country)})" if e.country else " (names no country)"
        rows.append(
            f"<li>{escape(ENTITY_WORDS.get(e.kind, e.kind))} <b>{escape(e.text)}</b>{points}<br/>"
            f"in {escape(e.source)} @ offset {e.offset}, {e.distance:,} bytes from {escape(e.near)}</li>"
        )
    if len(endpoint.entities) > _MAX_EVIDENCE:
        rows.append(f"<li>… and {len(endpoint.entities) - _MAX_EVIDENCE} more</li>")
    rows.append(
        "</ul><p><i>Found in the scanned files: evidence of who may run it, not a sourced fact. It decides who runs "
        "the service only where it points to a country of concern and no table knows the host, and then it can "
        "ask for review, never prohibit.</i></p>"
    )
    return rows


def _evidence(endpoint: Endpoint) -> list[str]:
    rows = [f"<h3>Evidence ({len(endpoint.evidence)})</h3><ul>"]
    for ev in endpoint.evidence[:_MAX_EVIDENCE]:
        where = escape(ev.source) + (f" @ {escape(ev.location)}" if ev.location else "")
        rows.append(f"<li>{escape(ev.collector)}: {where}<br/><code>{escape(ev.excerpt)}</code></li>")
    if len(endpoint.evidence) > _MAX_EVIDENCE:
        rows.append(f"<li>… and {len(endpoint.evidence) - _MAX_EVIDENCE} more</li>")
    rows.append("</ul>")
    return rows
