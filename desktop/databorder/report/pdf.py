"""The PDF risk report, drawn with Qt's own PDF engine (QPdfWriter + QTextDocument): no browser involved.

The one engine module allowed to import Qt (QtGui only), imported lazily when a PDF is asked for; it works
headless (the offscreen platform is chosen when there is no display).  Every string from outside — host names,
evidence excerpts, pack messages — is escaped, stripped of control characters, shortened with an ellipsis and
isolated for bidirectional text, so it can neither inject markup nor break the layout.

The first page is the one to decide on: verdict, score, the strongest reasons, a small map, the jurisdictions
whose law reaches the data, what could not be attributed and the packs applied.  The rest is evidence: both map
layers, the findings grouped by rule, the endpoints, method, limits and the evidence appendix.

Text copies true.  Shaping that changes characters (the "fi" ligature, U+FB01, in a copied host name) is off
(``PreferNoShaping``, which still shapes the scripts that need it); host names and URLs wrap only after a dot, a
slash or a hyphen (zero-width break opportunities, for which Qt's PDF engine writes no character), never with a
hyphen added; and a table column with no value in any row is left out.
"""

from __future__ import annotations

import getpass
import html
import os
import platform
import re
import sys
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from databorder.errors import DataBorderError
from databorder.model import SEVERITY_ORDER, Assessment, Endpoint, Finding, Registration
from databorder.report.output import replacing

if TYPE_CHECKING:
    from PySide6.QtCore import QRectF, QSizeF
    from PySide6.QtGui import QFont, QPainter, QTextDocument

    from databorder.report.worldmap import Layer

PAPERS = ("a4", "letter")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069]")
#: Where a host name or URL may wrap: after a dot, a slash or a hyphen (not before the last character).
_NAME_BREAK = re.compile(r"(?<=[./-])(?=.)")
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
p.evidence { margin: 0 0 4pt 0; font-size: 8pt; }
.mono { font-family: 'DejaVu Sans Mono', monospace; font-size: 7.5pt; }
"""
#: The maps' places in the document: an image of this scheme stands where the painter draws the map.
_MAP_SCHEME = "databorder-map"
#: Height of a map over its width: the evidence pages' maps, and the first page's smaller one.
_MAP_RATIO, _SMALL_MAP_RATIO = 0.43, 0.3
#: QTextDocument sizes images in pixels of 96 dpi, whatever the paint device's resolution.
_HTML_DPI = 96
_FIRST_PAGE_NAMES = 12  # endpoints named on the first page before "… and N more"
_FIRST_PAGE_COUNTRIES = 8
_EVIDENCE_SHOWN = 2  # pieces of evidence per endpoint in the appendix (the JSON holds all)


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


def name(value: object, limit: int = 160) -> str:
    """A host name or URL as :func:`text` makes it, free to wrap only after its dots, slashes and hyphens.

    The break opportunities are zero-width spaces: Qt lays lines out at them and writes no character for them,
    so the name copied out of the PDF is the name (a line break aside), with no hyphen added.
    """
    return _NAME_BREAK.sub("\u200b", text(value, limit))


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
    from PySide6.QtCore import QMarginsF, QRectF, QSizeF, QUrl
    from PySide6.QtGui import (
        QFont,
        QImage,
        QPagedPaintDevice,
        QPageLayout,
        QPageSize,
        QPainter,
        QPdfWriter,
        QTextDocument,
    )

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
    document.setDefaultFont(_font(QFont, 9))
    page_rect = writer.pageLayout().paintRectPixels(writer.resolution())
    footer = 60  # pixels at 300 dpi, about 5 mm
    body = QSizeF(page_rect.width(), page_rect.height() - footer)
    document.setPageSize(body)
    blank = QImage(1, 1, QImage.Format.Format_ARGB32)
    blank.fill(0)
    for layer in ("hosted", "law"):
        document.addResource(QTextDocument.ResourceType.ImageResource, QUrl(f"{_MAP_SCHEME}:{layer}"), blank)
    width = body.width() * _HTML_DPI / writer.resolution()
    document.setHtml(report_html(assessment, organisation=organisation, logo=logo, width=width))
    pages = document.pageCount()
    maps = _map_places(document)

    painter = QPainter()
    if not painter.begin(writer):
        raise DataBorderError(f"{target}: cannot write the PDF report (is the folder writable?)")
    try:
        small = _font(QFont, 7)
        for page in range(pages):
            if page:
                writer.newPage()
            painter.save()
            painter.translate(0, -page * body.height())
            shown = QRectF(0, page * body.height(), body.width(), body.height())
            document.drawContents(painter, shown)
            for layer, rect in maps:
                if shown.contains(rect.center()):
                    _paint_map(painter, assessment, layer, rect)
            painter.restore()
            _footer(painter, assessment, body, footer, page + 1, pages, small)
    finally:
        painter.end()
    return pages


def _font(font_class: type[QFont], points: int) -> QFont:
    """The report's font: shaping that changes characters (ligatures) off, so copied text is the text."""
    font = font_class("DejaVu Sans", points)
    font.setStyleStrategy(font_class.StyleStrategy.PreferNoShaping)
    return font


def _map_places(document: QTextDocument) -> list[tuple[Layer, QRectF]]:
    """Where the laid-out document holds a map's place (its layer and rectangle, in document coordinates)."""
    from PySide6.QtCore import QRectF

    places: list[tuple[Layer, QRectF]] = []
    layout = document.documentLayout()
    cursor = document.find("\ufffc")  # every image is this character in the text
    while not cursor.isNull():
        image = cursor.charFormat().toImageFormat()
        scheme, _, layer = image.name().partition(":")
        if scheme == _MAP_SCHEME and layer in ("hosted", "law"):
            # The place is the only thing in its paragraph, so it starts the block's first line.
            block = cursor.block()
            line = block.layout().lineAt(0)
            top = layout.blockBoundingRect(block).topLeft()
            scale = layout.paintDevice().logicalDpiX() / _HTML_DPI
            width, height = image.width() * scale, image.height() * scale
            bottom = top.y() + line.y() + line.ascent()  # an image stands on the line's baseline
            places.append((layer, QRectF(top.x() + line.x(), bottom - height, width, height)))  # type: ignore[arg-type]
        cursor = document.find("\ufffc", cursor)
    return places


def _paint_map(painter: QPainter, assessment: Assessment, layer: Layer, rect: QRectF) -> None:
    from databorder.report.worldmap import country_severities, paint_world_map

    paint_world_map(painter, rect, country_severities(assessment, layer), layer)


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


def _ensure_gui_application() -> None:
    """QtGui needs an application object; without a display, the offscreen platform draws just as well."""
    from PySide6.QtGui import QGuiApplication

    if QGuiApplication.instance() is None:
        if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY") and sys.platform.startswith("linux"):
            os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
        QGuiApplication(["databorder"])


def report_html(
    assessment: Assessment, *, organisation: str | None = None, logo: Path | None = None, width: float = 672
) -> str:
    """The report as the HTML subset QTextDocument lays out; every outside string goes through :func:`text`.

    ``width`` is the page body's width in the document's image units (pixels at 96 dpi): the maps' places
    are sized from it.
    """
    parts = [_decision_page(assessment, organisation, logo, width), _maps(assessment, width), _changes(assessment),
             _findings(assessment), _practices(assessment),
             _endpoints(assessment), _method(assessment), _limits(assessment), _appendix(assessment)]  # fmt: skip
    return "<html><body>" + "".join(parts) + "</body></html>"


# Tables.


@dataclass(frozen=True)
class Column:
    """A table column: its header and its share of the table's width."""

    header: str
    share: float


_LAW_COLUMNS = (Column("Worst", 10), Column("Law of", 8), Column("Companies in the operators' chains", 70),
                Column("Endpoints", 12))  # fmt: skip
_ENDPOINT_COLUMNS = (Column("Worst", 9), Column("Endpoint", 27), Column("Role", 9), Column("Hosting", 10),
                     Column("Network operator", 14), Column("Service operator", 31))  # fmt: skip
_UNATTRIBUTED_COLUMNS = (Column("Endpoint", 30), Column("Why it matters", 15), Column("What would settle it", 55))
_DATABASE_COLUMNS = (Column("Kind", 10), Column("Source", 50), Column("Built", 12), Column("sha256", 16),
                     Column("Licence", 12))  # fmt: skip
_PACK_COLUMNS = (Column("Pack", 22), Column("Version", 10), Column("Origin", 10), Column("sha256", 16),
                 Column("Title", 42))  # fmt: skip
_CLOUD_COLUMNS = (Column("Address", 22), Column("Cloud region", 40), Column("Service", 20), Column("GeoIP", 18))
_UNCERTAIN_COLUMNS = (Column("Address", 24), Column("Deciding database says", 38), Column("Consulted beside it", 38))
_RDAP_COLUMNS = (Column("Address", 18), Column("Registry", 10), Column("Network", 24), Column("Registrant", 22),
                 Column("Registered in", 14), Column("GeoIP", 12))  # fmt: skip
_VARIANT_COLUMNS = (Column("In place of …", 38), Column("Adjusted", 20), Column("Endpoints", 42))


def _table(columns: Sequence[Column], rows: Sequence[Sequence[str]]) -> str:
    """A data table whose header row repeats on every page it spans (QTextDocument honours <thead>).

    Cells are HTML already made safe ('' for no value); a column with no value in any row is left out, and the
    others share its width. Rows are told apart by alternating backgrounds rather than cell borders: per-cell
    borders tripled the layout time of a 500-endpoint report (1.26 s against 0.56 s measured).
    """
    kept = [i for i in range(len(columns)) if any(row[i] for row in rows)]
    if not kept:
        return ""
    total = sum(columns[i].share for i in kept)
    head = "".join(f"<th align='left' width='{columns[i].share * 100 / total:.0f}%'>{columns[i].header}</th>"
                   for i in kept)  # fmt: skip
    body = "".join(
        ("<tr bgcolor='#f3f5f8'>" if n % 2 else "<tr>") + "".join(f"<td>{row[i]}</td>" for i in kept) + "</tr>"
        for n, row in enumerate(rows)
    )
    table = "<table class='data' width='100%' cellpadding='3' cellspacing='0'>"
    return f"{table}<thead><tr bgcolor='#e8edf2'>{head}</tr></thead>{body}</table>"


def _severity(severity: str | None, points: str = "") -> str:
    if not severity:
        return ""
    return f"<span style='color:{_SEVERITY_COLOUR[severity]}'><b>{severity}</b></span>{points}"


def _worst(findings: Iterable[Finding]) -> str:
    severities = [f.severity for f in findings]
    return max(severities, key=SEVERITY_ORDER.index) if severities else ""


# The first page: what to decide, and on what.


def _decision_page(a: Assessment, organisation: str | None, logo: Path | None, width: float) -> str:
    from databorder.report.worldmap import LAYERS, country_severities

    layer: Layer = "hosted" if country_severities(a, "hosted") else "law"
    why = "" if layer == "hosted" else " (no hosting country is known" + (", offline)" if a.offline else ")")
    return (
        _header(organisation, logo)
        + _verdict(a)
        + _reasons(a)
        + _map_place(layer, width, _SMALL_MAP_RATIO)
        + f"<p class='small'>The map: {text(LAYERS[layer])}{why}; both layers follow this page.</p>"
        + _law_reach(a)
        + _unattributed_names(a)
        + _applied(a)
    )


def _header(organisation: str | None, logo: Path | None) -> str:
    """The organisation's name and logo above the title; a logo that cannot be read is left out, not fatal."""
    parts = []
    if logo is not None and logo.is_file():
        parts.append(f"<img src='{html.escape(logo.resolve().as_uri(), quote=True)}' height='90'/>")
    if organisation:
        parts.append(f"<p style='font-size:11pt; color:#444'>{text(organisation, 120)}</p>")
    return "".join(parts)


def _verdict(a: Assessment) -> str:
    colour = _SEVERITY_COLOUR[a.verdict]
    incomplete = "" if a.complete else "<p><b>This assessment is incomplete</b> (see Limits).</p>"
    return (
        "<h1>DataBorder risk report</h1>"
        f"<p style='font-size:12pt'>{text(a.target.name, 200)}</p>"
        f"<table cellpadding='6' style='background:{colour}; color:white; width:100%'><tr><td>"
        f"<span style='font-size:16pt; font-weight:bold'>{_VERDICT_WORDS[a.verdict]}</span><br/>"
        f"Risk score {a.score}/100 ({text(a.band)}) from {len(a.findings)} findings on {len(a.endpoints)} endpoints"
        "</td></tr></table>"
        f"{incomplete}"
    )


def _reasons(a: Assessment) -> str:
    from databorder.policy.explain import strongest_reasons, verdict_reason

    reasons = strongest_reasons(a)
    if not reasons:
        return f"<h3>Why</h3><p>{text(verdict_reason(a), 400)}</p>"
    items = "".join(f"<li>{text(reason, 420)}</li>" for reason in reasons)
    return f"<h3>Why: the {len(reasons)} strongest reasons</h3><ol>{items}</ol>"


def _map_place(layer: Layer, width: float, ratio: float) -> str:
    """The place a map is painted into once the text is laid out (see :func:`_map_places`)."""
    return f"<p><img src='{_MAP_SCHEME}:{layer}' width='{width:.0f}' height='{width * ratio:.0f}'/></p>"


def _law_reach(a: Assessment) -> str:
    from databorder.policy.explain import law_reach

    reach = law_reach(a)
    if not reach:
        return "<h3>Whose law reaches the data</h3><p>No service operator is known, so no jurisdiction either.</p>"
    rows = [
        (_severity(r.severity), text(r.country), _listed(r.companies, 4), str(len(r.endpoints)))
        for r in reach[:_FIRST_PAGE_COUNTRIES]
    ]
    more = len(reach) - _FIRST_PAGE_COUNTRIES
    return (
        "<h3>Whose law reaches the data</h3><p class='small'>The service operators' countries and their owners', "
        "up to the ultimate parent, wherever the servers stand.</p>"
        + _table(_LAW_COLUMNS, rows)
        + (f"<p class='small'>… and {more} more countries (see Endpoints).</p>" if more > 0 else "")
    )


def _listed(names: Sequence[str], shown: int) -> str:
    """The first ``shown`` names, and how many more there are."""
    more = len(names) - shown
    return text("; ".join(names[:shown]), 80 * shown) + (f" … and {more} more" if more > 0 else "")


def _unattributed_names(a: Assessment) -> str:
    from databorder.policy.evaluate import could_not_attribute

    unknown = [e.key for e, _ in could_not_attribute(a.endpoints)]
    if not unknown:
        return "<h3>Could not attribute</h3><p>Every data endpoint has a known operator or hosting country.</p>"
    shown = ", ".join(name(key, 70) for key in unknown[:_FIRST_PAGE_NAMES])
    more = len(unknown) - _FIRST_PAGE_NAMES
    return (
        f"<h3>Could not attribute ({len(unknown)})</h3><p>Who runs these data endpoints is unknown, and so is their "
        f"hosting; they are not counted as allowed: {shown}" + (f" … and {more} more" if more > 0 else "") + ".</p>"
    )


def _applied(a: Assessment) -> str:
    packs = "; ".join(f"{text(p.id)} {text(p.version)}" + (f" ({text(p.title, 100)})" if p.title else "")
                      for p in a.packs)  # fmt: skip
    dns = a.nameserver or ("not used (offline)" if a.offline else "none")
    return (
        f"<h3>Rule packs applied</h3><p>{packs or 'none'}.<br/><span class='small'>Assessed {text(a.created)} with "
        f"{text(a.tool.name)} {text(a.tool.version)}; DNS: {text(dns)}; report made by {text(_who())} on "
        f"{text(platform.node() or 'an unnamed machine')}. The pages after this one are the evidence.</span></p>"
    )


def _who() -> str:
    try:
        return getpass.getuser()
    except (OSError, KeyError):  # no login name (some containers): say so rather than fail the report
        return "an unknown user"


# The evidence.


def _maps(a: Assessment, width: float) -> str:
    """Both map layers, each titled by what it shows and followed by its countries in words."""
    from databorder.report.worldmap import LAYERS, country_severities, legend_labels

    parts = ["<h2 style='page-break-before: always'>Where the data goes</h2>"]
    for layer in ("hosted", "law"):
        levels = country_severities(a, layer)
        labels = legend_labels(layer)
        listed = ", ".join(f"{text(code)} ({text(labels[level])})" for code, level in sorted(levels.items()))
        parts.append(f"<h3>{text(LAYERS[layer])}</h3>" + _map_place(layer, width, _MAP_RATIO))
        if layer == "hosted":
            listed = listed or ("none known: DNS was not used (offline)" if a.offline else "none known")
            parts.append(
                f"<p class='small'>Hosting countries (GeoIP of the addresses seen): {listed}. A CDN/anycast "
                "edge is shaded where it stands, which need not be where data rests; see Limits.</p>"
            )
        else:
            parts.append(f"<p class='small'>Countries of the service operators and their owners: "
                         f"{listed or 'no service operator is known'}.</p>")  # fmt: skip
    countries = Counter(addr.country for e in a.endpoints for addr in e.addresses if addr.country)
    operators = Counter(e.service.operator for e in a.endpoints if e.service)
    where = ", ".join(f"{text(c)} ({n})" for c, n in countries.most_common(8)) or "no hosting country known"
    who = ", ".join(f"{text(o, 80)} ({n})" for o, n in operators.most_common(8)) or "no service operator known"
    parts.append(f"<p>Data goes to servers in: {where}.<br/>Services are run by: {who}.</p>")
    return "".join(parts)


def _findings(a: Assessment) -> str:
    """One entry per rule: what it says (once, the words that differ per variant beside their endpoints), why."""
    from databorder.policy.explain import findings_by_rule

    if not a.findings:
        return "<h2>Findings</h2><p>None.</p>"
    groups = findings_by_rule(a.findings, a.endpoints)
    parts = [f"<h2>Findings by rule</h2><p class='small'>{len(a.findings)} findings from {len(groups)} rules, one "
             "entry per rule; the fact behind each finding and where each endpoint was seen are in the appendix."
             "</p>"]  # fmt: skip
    for group in groups:
        count = len(group.endpoints)
        pattern, differing = group.wording()
        parts.append(
            f"<h3>{_severity(group.severity)} · {text(group.rule)} <span class='small'>({text(group.pack)}) — "
            f"{count} endpoint{'s' if count != 1 else ''}, +{group.points} points</span></h3>"
            f"<p>{text(pattern, 400)}"
            + (f"<br/><span class='small'>Cites: {text(group.citation, 300)}</span>" if group.citation else "")
            + "</p>"
        )
        rows = []
        for words, variant in zip(differing, group.variants, strict=True):
            f = variant.example
            capped = f"{f.severity}, +{f.points} each" if f.severity != group.severity else ""
            adjusted = "; ".join(f.adjustments)
            notes = "<br/>".join(text(n, 240) for n in (capped, adjusted) if n)
            rows.append((text(words, 240), f"<span class='small'>{notes}</span>" if notes else "",
                         ", ".join(name(key, 70) for key in variant.endpoints)))  # fmt: skip
        parts.append(_table(_VARIANT_COLUMNS, rows))
    parts.append(f"<p class='small'>Score = min(100, sum of finding points = {a.points_total}).</p>")
    return "".join(parts)


def _endpoints(a: Assessment) -> str:
    by_endpoint: dict[str, list[Finding]] = {}
    for f in a.findings:
        by_endpoint.setdefault(f.endpoint, []).append(f)

    def order(e: Endpoint) -> tuple[int, float, str]:
        worst = _worst(by_endpoint.get(e.key, []))
        return (-(SEVERITY_ORDER.index(worst) + 1 if worst else 0), -e.relevance, e.key)

    rows = []
    for e in sorted(a.endpoints, key=order):
        places = [("local" if x.scope == "local" else (" or ".join(x.possible_countries) or "?"))
                  + (" (uncertain)" if x.country_uncertain else "") + (" (edge)" if x.anycast else "")
                  for x in e.addresses]  # fmt: skip
        failed = e.resolution.status in ("nxdomain", "nodata", "servfail", "timeout")
        hosting = ", ".join(dict.fromkeys(places)) or (f"DNS: {e.resolution.status}" if failed else "")
        networks = ", ".join(dict.fromkeys(
            n for x in e.addresses if (n := x.network_operator.name if x.network_operator else x.as_organization)
        ))  # fmt: skip
        service = e.service.chain_in_words() if e.service else ""
        rows.append((_severity(_worst(by_endpoint.get(e.key, []))), name(e.key, 70), text(", ".join(e.roles)),
                     text(hosting, 60), text(networks, 60), text(service, 160)))  # fmt: skip
    offline = " Hosting and network operators are unknown: DNS was not used (offline)." if a.offline else ""
    return (
        f"<h2>Endpoints</h2><p class='small'>Worst finding first; a column no endpoint has a value for is left "
        f"out.{offline}</p>" + _table(_ENDPOINT_COLUMNS, rows) + _unattributed(a)
    )


def _unattributed(a: Assessment) -> str:
    from databorder.policy.evaluate import could_not_attribute

    unknown = could_not_attribute(a.endpoints)
    if not unknown:
        return ""
    rows = [
        (name(e.key, 70), text(", ".join(e.roles) or f"relevance {e.relevance:g}"), text("; or ".join(steps), 300))
        for e, steps in unknown
    ]
    return (
        f"<h3>Could not attribute ({len(unknown)})</h3><p>Who runs these data endpoints is unknown, and so is "
        "their hosting: they are not counted as allowed.</p>" + _table(_UNATTRIBUTED_COLUMNS, rows)
    )


def _method(a: Assessment) -> str:
    collectors = sorted({ev.collector for e in a.endpoints for ev in e.evidence})
    databases = [
        (text(d.kind), text(d.source, 120) + (f"<br/><span class='small'>{text(d.attribution, 300)}</span>"
                                              if d.attribution else ""),
         text(d.build_date or ""), f"<span class='mono'>{text(d.sha256[:16])}…</span>", text(d.licence or ""))
        for d in a.databases
    ]  # fmt: skip
    packs = [
        (text(p.id), text(p.version), text(p.origin), f"<span class='mono'>{text(p.sha256[:16])}…</span>",
         text(p.title, 120))
        for p in a.packs
    ]  # fmt: skip
    return (
        "<h2>Method and provenance</h2>"
        f"<p>Collectors: {text(', '.join(collectors) or 'none')}. DNS: "
        f"{text(a.nameserver or ('not used (offline)' if a.offline else 'none'))}.</p>"
        "<h3>Data sources</h3>"
        + _table(_DATABASE_COLUMNS, databases)
        + _deciding(a)
        + "<h3>Rule packs</h3>"
        + _table(_PACK_COLUMNS, packs)
        + _registrations(a)
        + _clouds(a)
        + ("<h3>Notes</h3><ul>" + "".join(f"<li>{text(n, 400)}</li>" for n in a.notes) + "</ul>" if a.notes else "")
    )


def _deciding(a: Assessment) -> str:
    """Which source decided each address's hosting country, and the addresses two GeoIP databases disagree on."""
    countries = [d for d in a.databases if d.kind == "country"]
    if not countries:
        return ""
    clouds = " A cloud provider's published region, where one holds the address, decides over GeoIP."
    first = text(countries[0].source, 120)
    if len(countries) == 1:
        return f"<h3>Hosting country</h3><p>The hosting country is GeoIP's answer from {first}.{clouds}</p>"
    uncertain = {x.ip: x for e in a.endpoints for x in e.addresses if x.country_uncertain}
    rows = [
        (f"<span class='mono'>{text(ip)}</span>",
         *(f"{text(g.country or 'no answer')} <span class='small'>({text(g.database, 80)})</span>"
           for g in x.geoip_answers[:2]))
        for ip, x in uncertain.items()
    ]  # fmt: skip
    return (
        f"<h3>Hosting country</h3><p>Two GeoIP databases were read: {first} decided the hosting country, and "
        f"{text(countries[1].source, 120)} was consulted beside it (it decided only where the first had no "
        f"answer).{clouds} Where the two disagree, both answers are shown and the hosting country is marked "
        f"uncertain: a country rule holds if it holds for either, so an uncertain country is never read as an "
        f"allowed one. {len(uncertain)} address(es) are uncertain.</p>"
        + (_table(_UNCERTAIN_COLUMNS, rows) if rows else "")
    )


def _clouds(a: Assessment) -> str:
    """Addresses in a cloud provider's published ranges: the region (which decides the hosting country) and GeoIP."""
    seen = {x.ip: x for e in a.endpoints for x in e.addresses if x.cloud is not None}
    if not seen:
        return ""
    rows = [
        (f"<span class='mono'>{text(ip)}</span>", text(x.cloud.in_words(), 90), text(x.cloud.service or ""),
         text(x.geoip_country or x.country or "?"))
        for ip, x in seen.items() if x.cloud is not None
    ]  # fmt: skip
    return (
        "<h3>Cloud regions</h3><p class='small'>The cloud providers publish their own address ranges with regions; "
        "for a provider's own regional range the region's country is the hosting country, and GeoIP's answer is "
        "shown beside it. A global, edge or anycast range gives no evidence of where data rests.</p>"
        + _table(_CLOUD_COLUMNS, rows)
    )


def _changes(a: Assessment) -> str:
    """Since the last assessment of the same target kept on this computer (docs/history.md), when there was one."""
    changes = a.changes_since
    if changes is None:
        return ""
    items = "".join(f"<li>{text(line, 400)}</li>" for line in changes.in_words())
    return f"<h2>Since the last assessment</h2><p>What changed {text(changes.since(), 200)}:</p><ul>{items}</ul>"


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
        address = f"<span class='mono'>{text(ip)}</span>"
        if r.error:
            rows.append((address, "", f"not available: {text(r.error, 200)}", "", "", text(geoip or "?")))
            continue
        differs = " (differs)" if r.country and geoip and r.country != geoip else ""
        network = text(r.network_name or "", 60) + (f"<br/><span class='small'>{text(r.range, 80)}</span>"
                                                    if r.range else "")  # fmt: skip
        rows.append((address, text(r.rir or ""), network, text(r.organisation or "", 80),
                     f"{text(r.country or '?')}{differs}", text(geoip or "?")))  # fmt: skip
    return (
        "<h3>Registry records (RDAP)</h3>"
        "<p class='small'>Asked of the regional internet registries because the user turned RDAP on; a registry "
        "records where a network's holder is registered, not where the address is used, so the hosting country "
        "stays the GeoIP one.</p>" + _table(_RDAP_COLUMNS, rows)
    )


def _limits(a: Assessment) -> str:
    edges = sorted({e.key for e in a.endpoints for x in e.addresses if x.anycast})
    unresolved = sorted(e.key for e in a.endpoints if e.resolution.status in ("nxdomain", "nodata", "servfail",
                                                                               "timeout"))  # fmt: skip
    possible = sorted(e.key for e in a.endpoints if e.confidence == "possible")
    items = [
        f"Anycast/CDN edges ({len(edges)}): the country shown is the edge's, not where data rests: "
        + ", ".join(name(key, 70) for key in edges[:30])
        if edges
        else "",
        f"Names that did not resolve ({len(unresolved)}): their hosting is unknown: "
        + ", ".join(name(key, 70) for key in unresolved[:30])
        if unresolved
        else "",
        f"Endpoints seen only in a static scan ({len(possible)}): the app can reach them; nothing shows it does."
        if possible
        else "",
        "Offline: DNS was not used, so no endpoint's hosting is known; the service operators' chains still say "
        "whose law reaches the data."
        if a.offline
        else "",
        *(text(w, 400) for w in a.warnings),
    ]
    body = "".join(f"<li>{item}</li>" for item in items if item)
    return "<h2>Limits</h2>" + (f"<ul>{body}</ul>" if body else "<p>None noted.</p>")


def _appendix(a: Assessment) -> str:
    """The facts behind the findings, each said once with its rules and endpoints; then where each endpoint was seen."""
    facts: dict[str, tuple[dict[str, None], dict[str, None]]] = {}  # fact → its rules, its endpoints
    for f in sorted(a.findings, key=lambda f: (-SEVERITY_ORDER.index(f.severity), -f.points)):
        rules, endpoints = facts.setdefault(f.fact.replace(f.endpoint, "(endpoint)"), ({}, {}))
        rules[f.rule] = None
        endpoints[f.endpoint] = None
    behind = "".join(
        f"<li>{text(fact, 300)}<br/><span class='small'><b>{text(', '.join(rules), 200)}</b> on "
        + ", ".join(name(key, 70) for key in endpoints) + "</span></li>"
        for fact, (rules, endpoints) in facts.items()
    )  # fmt: skip
    # Paragraphs rather than a table: a 500-endpoint table of evidence took five times as long to lay out.
    seen = "".join(
        f"<p class='evidence'><b>{name(e.key, 70)}</b>"
        + "".join(
            f"<br/>{text(ev.collector)} · {name(ev.source, 90)}" + (f" · {text(ev.location)}" if ev.location else "")
            + (f"<br/><span class='mono'>{text(ev.excerpt, 120)}</span>" if ev.excerpt else "")
            for ev in e.evidence[:_EVIDENCE_SHOWN]
        )
        + "</p>"
        for e in a.endpoints
    )  # fmt: skip
    return (
        "<h2>Appendix: evidence</h2>"
        + (f"<h3>The facts behind the findings</h3><ul>{behind}</ul>" if behind else "")
        + f"<h3>Where each endpoint was seen</h3>{seen}"
        + f"<p class='small'>Up to {_EVIDENCE_SHOWN} pieces of evidence per endpoint; the JSON assessment holds "
        "all of them, and one finding per endpoint and rule.</p>"
    )


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
