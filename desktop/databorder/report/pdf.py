"""The PDF risk report, drawn with Qt's own PDF engine (QPdfWriter + QTextDocument): no browser involved.

The one engine module allowed to import Qt (QtGui only), imported lazily when a PDF is asked for; it works
headless (the offscreen platform is chosen when there is no display).  Every string from outside — host names,
evidence excerpts, pack messages — is escaped, stripped of control characters, shortened with an ellipsis and
isolated for bidirectional text, so it can neither inject markup nor break the layout.
"""

from __future__ import annotations

import getpass
import html
import os
import platform
import re
import sys
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from databorder.errors import DataBorderError
from databorder.model import SEVERITY_ORDER, Assessment, Endpoint, Finding, Registration
from databorder.report.output import replacing

if TYPE_CHECKING:
    from PySide6.QtCore import QSizeF
    from PySide6.QtGui import QFont, QPainter

PAPERS = ("a4", "letter")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069]")
_SEVERITY_COLOUR = {"prohibit": "#b3261e", "review": "#a15c00", "info": "#38598b", "allow": "#1e6b35"}
_VERDICT_WORDS = {
    "prohibit": "PROHIBIT — this app must not be used under the rules applied",
    "review": "REVIEW — a person must decide before this app is used",
    "allow": "ALLOW — nothing in the rules applied stands against this app",
}
_STYLE = """
body { font-family: 'DejaVu Sans', 'Noto Sans', 'Droid Sans Fallback', sans-serif; font-size: 9pt; color: #1b1b1b; }
h1 { font-size: 20pt; margin: 0 0 6pt 0; }
h2 { font-size: 13pt; margin: 14pt 0 4pt 0; color: #18324a; }
h3 { font-size: 10pt; margin: 8pt 0 2pt 0; }
table.data { border-collapse: collapse; width: 100%; }
table.data { font-size: 8pt; }
.small { font-size: 7.5pt; color: #4a4a4a; }
.mono { font-family: 'DejaVu Sans Mono', monospace; font-size: 7.5pt; }
"""


def text(value: object, limit: int = 160) -> str:
    """Outside text made safe for the report: no controls, at most ``limit`` characters, escaped, bidi-isolated."""
    raw = _CONTROL.sub("", "" if value is None else str(value))
    if len(raw) > limit:
        raw = raw[: limit - 1] + "…"
    escaped = html.escape(raw, quote=True)
    if raw.isascii():
        return escaped  # nothing in it can change text direction; isolates would only slow the layout
    # First-strong isolate: a right-to-left name cannot reorder the text around it.
    return "\u2068" + escaped + "\u2069"


def render_pdf(
    assessment: Assessment,
    path: Path,
    *,
    paper: str = "a4",
    pdf_a: bool = False,
    author: str | None = None,
    organisation: str | None = None,
    logo: Path | None = None,
) -> int:
    """Write the report to ``path``; returns the page count. Raises DataBorderError if it cannot be written.

    ``organisation`` and ``logo`` (from the organisation's policy) head the cover page.
    """
    if paper not in PAPERS:
        raise DataBorderError(f"paper must be one of {', '.join(PAPERS)}, not {paper!r}")
    with replacing(path, "PDF report") as temporary:
        return _render(assessment, temporary, path, paper=paper, pdf_a=pdf_a, author=author,
                       organisation=organisation, logo=logo)  # fmt: skip


def _render(
    assessment: Assessment,
    path: Path,
    target: Path,
    *,
    paper: str,
    pdf_a: bool,
    author: str | None,
    organisation: str | None,
    logo: Path | None,
) -> int:
    """The report drawn into ``path`` (a temporary file that becomes ``target``); returns the page count."""
    _ensure_gui_application()
    from PySide6.QtCore import QMarginsF, QRectF, QSizeF
    from PySide6.QtGui import QFont, QPagedPaintDevice, QPageLayout, QPageSize, QPainter, QPdfWriter, QTextDocument

    writer = QPdfWriter(str(path))
    size = QPageSize(QPageSize.PageSizeId.A4 if paper == "a4" else QPageSize.PageSizeId.Letter)
    writer.setPageLayout(QPageLayout(size, QPageLayout.Orientation.Portrait, QMarginsF(16, 16, 16, 18),
                                     QPageLayout.Unit.Millimeter))  # fmt: skip
    writer.setResolution(300)
    writer.setTitle(f"DataBorder risk report: {assessment.target.name}")
    writer.setCreator(f"{assessment.tool.name} {assessment.tool.version}")
    writer.setAuthor(author or _who())
    if pdf_a:
        writer.setPdfVersion(QPagedPaintDevice.PdfVersion.PdfVersion_A1b)

    document = QTextDocument()
    # Lay out with the writer's metrics (300 dpi), or point sizes would be taken at screen resolution.
    document.documentLayout().setPaintDevice(writer)
    document.setDefaultStyleSheet(_STYLE)
    document.setDefaultFont(QFont("DejaVu Sans", 9))
    page_rect = writer.pageLayout().paintRectPixels(writer.resolution())
    footer = 60  # pixels at 300 dpi, about 5 mm
    body = QSizeF(page_rect.width(), page_rect.height() - footer)
    document.setPageSize(body)
    document.setHtml(report_html(assessment, organisation=organisation, logo=logo))
    pages = document.pageCount()

    painter = QPainter()
    if not painter.begin(writer):
        raise DataBorderError(f"{target}: cannot write the PDF report (is the folder writable?)")
    total = pages + 1  # the world map gets a page of its own, after the cover
    try:
        small = QFont("DejaVu Sans", 7)
        printed = 0
        for page in range(pages):
            if page:
                writer.newPage()
            painter.save()
            painter.translate(0, -page * body.height())
            document.drawContents(painter, QRectF(0, page * body.height(), body.width(), body.height()))
            painter.restore()
            printed += 1
            _footer(painter, assessment, body, footer, printed, total, small)
            if page == 0:
                writer.newPage()
                _map_page(painter, assessment, body)
                printed += 1
                _footer(painter, assessment, body, footer, printed, total, small)
    finally:
        painter.end()
    return total


def _footer(painter: QPainter, assessment: Assessment, body: QSizeF, footer: int, page: int, total: int,
            font: QFont) -> None:  # fmt: skip
    from PySide6.QtCore import QRectF, Qt

    painter.setFont(font)
    painter.setPen(Qt.GlobalColor.darkGray)
    line = QRectF(0, body.height() + 10, body.width(), footer - 10)
    painter.drawText(
        line, Qt.AlignmentFlag.AlignLeft, f"DataBorder — {assessment.target.name[:80]} — {assessment.created}"
    )
    painter.drawText(line, Qt.AlignmentFlag.AlignRight, f"Page {page} of {total}")


def _map_page(painter: QPainter, assessment: Assessment, body: QSizeF) -> None:
    """The world map page: where data lands, shaded by the worst finding there (vector, the GUI's painter)."""
    from PySide6.QtCore import QRectF, Qt
    from PySide6.QtGui import QFont

    from databorder.report.worldmap import country_severities, paint_world_map

    title = QFont("DejaVu Sans", 13)
    title.setBold(True)
    painter.setFont(title)
    painter.setPen(Qt.GlobalColor.black)
    painter.drawText(QRectF(0, 0, body.width(), 120), Qt.AlignmentFlag.AlignLeft, "Where the data goes")
    levels = country_severities(assessment)
    paint_world_map(painter, QRectF(0, 150, body.width(), body.width() * 0.55), levels)
    note = QFont("DejaVu Sans", 8)
    painter.setFont(note)
    painter.setPen(Qt.GlobalColor.darkGray)
    listed = ", ".join(f"{code} ({level})" for code, level in sorted(levels.items())) or "no hosting country known"
    text_top = 150 + body.width() * 0.55 + 40
    painter.drawText(QRectF(0, text_top, body.width(), body.height() - text_top), Qt.TextFlag.TextWordWrap,
                     f"Hosting countries (GeoIP of the addresses seen): {listed}. A CDN/anycast edge is shaded where "
                     "the edge stands, which need not be where data rests; see Limits.")  # fmt: skip


def _ensure_gui_application() -> None:
    """QtGui needs an application object; without a display, the offscreen platform draws just as well."""
    from PySide6.QtGui import QGuiApplication

    if QGuiApplication.instance() is None:
        if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY") and sys.platform.startswith("linux"):
            os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
        QGuiApplication(["databorder"])


def report_html(assessment: Assessment, *, organisation: str | None = None, logo: Path | None = None) -> str:
    """The report as the HTML subset QTextDocument lays out; every outside string goes through :func:`text`."""
    parts = [_header(organisation, logo), _cover(assessment), _summary(assessment), _changes(assessment),
             _endpoints(assessment), _findings(assessment), _method(assessment), _limits(assessment),
             _appendix(assessment)]  # fmt: skip
    parts.insert(6, _practices(assessment))  # the vendors' data practices, after the findings
    return "<html><body>" + "".join(parts) + "</body></html>"


def _header(organisation: str | None, logo: Path | None) -> str:
    """The organisation's name and logo above the title; a logo that cannot be read is left out, not fatal."""
    parts = []
    if logo is not None and logo.is_file():
        parts.append(f"<img src='{html.escape(logo.resolve().as_uri(), quote=True)}' height='90'/>")
    if organisation:
        parts.append(f"<p style='font-size:11pt; color:#444'>{text(organisation, 120)}</p>")
    return "".join(parts)


def _cover(a: Assessment) -> str:
    colour = _SEVERITY_COLOUR[a.verdict]
    packs = ", ".join(f"{text(p.id)} {text(p.version)}" for p in a.packs)
    incomplete = "" if a.complete else "<p><b>This assessment is incomplete</b> (see Limits).</p>"
    return (
        "<h1>DataBorder risk report</h1>"
        f"<p style='font-size:12pt'>{text(a.target.name, 200)}</p>"
        f"<table cellpadding='6' style='background:{colour}; color:white; width:100%'><tr><td>"
        f"<span style='font-size:16pt; font-weight:bold'>{_VERDICT_WORDS[a.verdict]}</span><br/>"
        f"Risk score {a.score}/100 ({text(a.band)}) from {len(a.findings)} findings on {len(a.endpoints)} endpoints"
        "</td></tr></table>"
        f"<p>Rule packs applied: {packs}<br/>Assessed {text(a.created)} with {text(a.tool.name)} "
        f"{text(a.tool.version)}; DNS: {text(a.nameserver or ('not used (offline)' if a.offline else 'none'))}"
        f"<br/>Report made by {text(_who())} on {text(platform.node() or 'an unnamed machine')}</p>"
        f"{incomplete}"
    )


def _who() -> str:
    try:
        return getpass.getuser()
    except (OSError, KeyError):  # no login name (some containers): say so rather than fail the report
        return "an unknown user"


def _summary(a: Assessment) -> str:
    strongest = sorted(a.findings, key=lambda f: (-SEVERITY_ORDER.index(f.severity), -f.points, f.endpoint))[:3]
    countries = Counter(addr.country for e in a.endpoints for addr in e.addresses if addr.country)
    operators = Counter(e.service.operator for e in a.endpoints if e.service)
    laws = Counter(country for e in a.endpoints if e.service for country in e.service.countries)
    items = "".join(f"<li><b>{f.severity.upper()}</b>: {text(f.message, 300)}</li>" for f in strongest)
    where = ", ".join(f"{text(c)} ({n})" for c, n in countries.most_common(8)) or "no hosting country known"
    who = ", ".join(f"{text(o, 80)} ({n})" for o, n in operators.most_common(6)) or "no service operator known"
    return (
        "<h2>Summary</h2>"
        + (f"<p>The strongest reasons:</p><ul>{items}</ul>" if items else "<p>No rule was triggered.</p>")
        + f"<p>Data goes to servers in: {where}.<br/>Services are run by: {who}.<br/>"
        + "Whose law reaches the operators (their home countries and their owners'): "
        + (", ".join(f"{text(c)} ({n} endpoints)" for c, n in laws.most_common(8)) or "not known")
        + ".</p>"
    )


def _table(headers: list[str], rows: str) -> str:
    """A data table whose header row repeats on every page it spans (QTextDocument honours <thead>).

    Rows are told apart by alternating backgrounds rather than cell borders: per-cell borders tripled the
    layout time of a 500-endpoint report (1.26 s against 0.56 s measured). Outside text in cells is escaped,
    so every "<tr>" here is a row of ours.
    """
    head = "".join(f"<th align='left'>{h}</th>" for h in headers)
    count = iter(range(1 << 30))
    striped = re.sub("<tr>", lambda _: "<tr bgcolor='#f3f5f8'>" if next(count) % 2 else "<tr>", rows)
    table = "<table class='data' width='100%' cellpadding='3' cellspacing='0'>"
    return f"{table}<thead><tr bgcolor='#e8edf2'>{head}</tr></thead>{striped}</table>"


def _worst(findings: Iterable[Finding]) -> str:
    severities = [f.severity for f in findings]
    return max(severities, key=SEVERITY_ORDER.index) if severities else ""


def _endpoints(a: Assessment) -> str:
    by_endpoint: dict[str, list[Finding]] = {}
    for f in a.findings:
        by_endpoint.setdefault(f.endpoint, []).append(f)

    def order(e: Endpoint) -> tuple[int, float, str]:
        worst = _worst(by_endpoint.get(e.key, []))
        return (-(SEVERITY_ORDER.index(worst) + 1 if worst else 0), -e.relevance, e.key)

    rows = []
    for e in sorted(a.endpoints, key=order):
        worst = _worst(by_endpoint.get(e.key, []))
        places = [("local" if x.scope == "local" else (x.country or "?")) + (" (edge)" if x.anycast else "")
                  for x in e.addresses]  # fmt: skip
        countries = ", ".join(dict.fromkeys(places)) or e.resolution.status
        networks = ", ".join(dict.fromkeys(
            (x.network_operator.name if x.network_operator else (x.as_organization or "")) for x in e.addresses
        ))  # fmt: skip
        service = e.service.chain_in_words() if e.service else ""
        colour = _SEVERITY_COLOUR.get(worst, "#1b1b1b")
        rows.append(
            f"<tr><td>{text(e.key, 70)}</td><td>{text(', '.join(e.roles))}</td><td>{text(countries, 60)}</td>"
            f"<td>{text(networks, 60)}</td><td>{text(service, 160)}</td>"
            f"<td style='color:{colour}'><b>{worst}</b></td></tr>"
        )
    headers = ["Endpoint", "Role", "Hosting", "Network operator", "Service operator", "Worst"]
    return "<h2>Endpoints</h2>" + _table(headers, "".join(rows)) + _unattributed(a)


def _unattributed(a: Assessment) -> str:
    from databorder.policy.evaluate import could_not_attribute

    unknown = could_not_attribute(a.endpoints)
    if not unknown:
        return ""
    rows = "".join(
        f"<tr><td>{text(e.key, 70)}</td><td>{text(', '.join(e.roles) or f'relevance {e.relevance:g}')}</td>"
        f"<td>{text('; or '.join(steps), 300)}</td></tr>"
        for e, steps in unknown
    )
    return (
        f"<h3>Could not attribute ({len(unknown)})</h3><p>Who runs these data endpoints is unknown, and so is "
        "their hosting: they are not counted as allowed.</p>"
        + _table(["Endpoint", "Why it matters", "What would settle it"], rows)
    )


def _findings(a: Assessment) -> str:
    if not a.findings:
        return "<h2>Findings</h2><p>None.</p>"
    ordered = sorted(a.findings, key=lambda f: (-SEVERITY_ORDER.index(f.severity), -f.points, f.endpoint))
    rows = "".join(
        f"<tr><td style='color:{_SEVERITY_COLOUR[f.severity]}'><b>{f.severity}</b> +{f.points}</td>"
        f"<td>{text(f.message, 400)}<br/><span class='small'>{text(f.fact, 300)}"
        + "".join(f"<br/>adjusted: {text(adj, 200)}" for adj in f.adjustments)
        + f"</span></td><td class='small'>{text(f.pack)}/{text(f.rule)}<br/>{text(f.citation or '')}</td></tr>"
        for f in ordered
    )
    return (
        "<h2>Findings</h2>"
        + _table(["Severity", "What and why", "Rule and citation"], rows)
        + f"<p class='small'>Score = min(100, sum of finding points = {a.points_total}).</p>"
    )


def _method(a: Assessment) -> str:
    collectors = sorted({ev.collector for e in a.endpoints for ev in e.evidence})
    databases = "".join(
        f"<tr><td>{text(d.kind)}</td><td>{text(d.source, 120)}<br/><span class='small'>{text(d.attribution or '', 300)}"
        f"</span></td><td>{text(d.build_date or '')}</td><td class='mono'>{text(d.sha256[:16])}…</td>"
        f"<td>{text(d.licence or '')}</td></tr>"
        for d in a.databases
    )
    packs = "".join(
        f"<tr><td>{text(p.id)}</td><td>{text(p.version)}</td><td>{text(p.origin)}</td>"
        f"<td class='mono'>{text(p.sha256[:16])}…</td><td>{text(p.title, 120)}</td></tr>"
        for p in a.packs
    )
    return (
        "<h2>Method and provenance</h2>"
        f"<p>Collectors: {text(', '.join(collectors) or 'none')}. DNS: "
        f"{text(a.nameserver or ('not used (offline)' if a.offline else 'none'))}.</p>"
        "<h3>Data sources</h3>"
        + _table(["Kind", "Source", "Built", "sha256", "Licence"], databases)
        + "<h3>Rule packs</h3>"
        + _table(["Pack", "Version", "Origin", "sha256", "Title"], packs)
        + _registrations(a)
        + _clouds(a)
        + ("<h3>Notes</h3><ul>" + "".join(f"<li>{text(n, 400)}</li>" for n in a.notes) + "</ul>" if a.notes else "")
    )


def _clouds(a: Assessment) -> str:
    """Addresses in a cloud provider's published ranges: the region (which decides the hosting country) and GeoIP."""
    seen = {x.ip: x for e in a.endpoints for x in e.addresses if x.cloud is not None}
    if not seen:
        return ""
    rows = "".join(
        f"<tr><td class='mono'>{text(ip)}</td><td>{text(x.cloud.in_words(), 90)}</td>"
        f"<td>{text(x.cloud.service or '')}</td><td>{text(x.geoip_country or x.country or '?')}</td></tr>"
        for ip, x in seen.items() if x.cloud is not None
    )  # fmt: skip
    return (
        "<h3>Cloud regions</h3><p class='small'>The cloud providers publish their own address ranges with regions; "
        "for a provider's own regional range the region's country is the hosting country, and GeoIP's answer is "
        "shown beside it. A global, edge or anycast range gives no evidence of where data rests.</p>"
        + _table(["Address", "Cloud region", "Service", "GeoIP"], rows)
    )


def _registrations(a: Assessment) -> str:
    """Registry records (RDAP, opt-in) beside the GeoIP country they never replace."""
    seen: dict[str, tuple[str | None, Registration]] = {}  # address → (GeoIP country, registry record)
    for e in a.endpoints:
        for x in e.addresses:
            if x.registration is not None:
                seen.setdefault(x.ip, (x.country, x.registration))
    if not seen:
        return ""
    rows = []
    for ip, (geoip, r) in seen.items():
        if r.error:
            rows.append(f"<tr><td class='mono'>{text(ip)}</td><td colspan='4'>not available: {text(r.error, 200)}"
                        f"</td><td>{text(geoip or '?')}</td></tr>")  # fmt: skip
            continue
        differs = " (differs)" if r.country and geoip and r.country != geoip else ""
        rows.append(
            f"<tr><td class='mono'>{text(ip)}</td><td>{text(r.rir or '')}</td><td>{text(r.network_name or '', 60)}"
            f"<br/><span class='small'>{text(r.range or '', 80)}</span></td><td>{text(r.organisation or '', 80)}</td>"
            f"<td>{text(r.country or '?')}{differs}</td><td>{text(geoip or '?')}</td></tr>"
        )
    return (
        "<h3>Registry records (RDAP)</h3>"
        "<p class='small'>Asked of the regional internet registries because the user turned RDAP on; a registry "
        "records where a network's holder is registered, not where the address is used, so the hosting country "
        "stays the GeoIP one.</p>"
        + _table(["Address", "Registry", "Network", "Registrant", "Registered in", "GeoIP"], "".join(rows))
    )


def _limits(a: Assessment) -> str:
    edges = sorted({e.key for e in a.endpoints for x in e.addresses if x.anycast})
    unresolved = sorted(e.key for e in a.endpoints if e.resolution.status in ("nxdomain", "nodata", "servfail",
                                                                               "timeout"))  # fmt: skip
    possible = sorted(e.key for e in a.endpoints if e.confidence == "possible")
    items = [
        f"Anycast/CDN edges ({len(edges)}): the country shown is the edge's, not where data rests: "
        f"{text(', '.join(edges[:30]), 600)}"
        if edges
        else "",
        f"Names that did not resolve ({len(unresolved)}): their hosting is unknown: "
        f"{text(', '.join(unresolved[:30]), 600)}"
        if unresolved
        else "",
        f"Endpoints seen only in a static scan ({len(possible)}): the app can reach them; nothing shows it does."
        if possible
        else "",
        *(text(w, 400) for w in a.warnings),
    ]
    body = "".join(f"<li>{item}</li>" for item in items if item)
    return "<h2>Limits</h2>" + (f"<ul>{body}</ul>" if body else "<p>None noted.</p>")


def _appendix(a: Assessment) -> str:
    rows = "".join(
        f"<tr><td>{text(e.key, 60)}</td><td>{text(ev.collector)}</td><td>{text(ev.source, 90)}</td>"
        f"<td>{text(ev.location or '')}</td><td class='mono'>{text(ev.excerpt, 140)}</td></tr>"
        for e in a.endpoints
        for ev in e.evidence[:3]
    )
    return (
        "<h2>Appendix: evidence</h2>"
        + _table(["Endpoint", "Collector", "Source", "Where", "Excerpt"], rows)
        + "<p class='small'>Up to three pieces of evidence per endpoint; the JSON assessment holds all of them.</p>"
    )


def _changes(a: Assessment) -> str:
    """Since the last assessment of the same target kept on this computer (docs/history.md), when there was one."""
    changes = a.changes_since
    if changes is None:
        return ""
    items = "".join(f"<li>{text(line, 400)}</li>" for line in changes.in_words())
    return f"<h2>Since the last assessment</h2><p>What changed {text(changes.since(), 200)}:</p><ul>{items}</ul>"


def _practices(a: Assessment) -> str:
    """What the vendors do with the data: each vendor's facts for the tier, with sources and dates."""
    from databorder.report.practices import practices_html

    if not a.practices:
        return ""
    basis = f" ({text(a.tier_basis, 200)})" if a.tier_basis else ""
    return (
        "<h2>Vendors' data practices</h2>"
        f"<p>Facts read for the {text(a.tier or '?')} tier{basis}; unknown means no source was read.</p>"
        + "".join(practices_html(v) for v in a.practices)
    )
