"""The vendors' data practices in a report: which vendor's facts an endpoint has, and the facts as HTML.

One home for both readers of an assessment that show them, the desktop app's detail pane and the PDF report.
"""

from __future__ import annotations

from html import escape

from databorder.model import Assessment, VendorPractices
from databorder.practices import FACT_WORDS, RETENTION_WORDS


def practices_of(assessment: Assessment, host: str | None) -> VendorPractices | None:
    """The facts of the vendor whose domain ``host`` is, or is under, as the assessment recorded them."""
    for vendor in assessment.practices:
        if host is not None and any(host == d or host.endswith("." + d) for d in vendor.domains):
            return vendor
    return None


def practices_html(vendor: VendorPractices, *, heading: str = "h3", limit: int = 400) -> str:
    """The vendor's facts for the tier as Qt rich text: each known fact with its source and date, then the unknown."""
    known = [f for f in vendor.facts if f.value != "unknown"]
    unknown = [f for f in vendor.facts if f.value == "unknown"]
    title = f"Vendor's data practices: {vendor.vendor}, {vendor.tier} tier ({len(known)} of {len(vendor.facts)} known)"
    rows = [f"<{heading}>{escape(title)}</{heading}>"]
    if known:
        rows.append("<ul>")
        for fact in known:
            value = RETENTION_WORDS.get(fact.value, fact.value) if fact.fact == "retention" else fact.value
            whose = "vendor's page" if fact.by_vendor else "third party's page"
            note = f"; {_clip(fact.note, limit)}" if fact.note else ""
            rows.append(
                f"<li><b>{escape(FACT_WORDS.get(fact.fact, fact.fact))}: {escape(value[:limit])}</b>{escape(note)} "
                f"<i>({whose} {escape((fact.source or '')[:limit])}, checked {escape(fact.checked or '?')})</i></li>"
            )
        rows.append("</ul>")
    if unknown:
        names = ", ".join(FACT_WORDS.get(f.fact, f.fact) for f in unknown)
        rows.append(f"<p>Unknown (no source read): {escape(names)}.</p>")
    return "".join(rows)


def _clip(text: str, limit: int) -> str:
    """``text`` whole if it fits in ``limit`` characters, else cut at the last word that fits, with an ellipsis."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    return (cut[:space] if space > limit // 2 else cut).rstrip(" ,;:") + "…"
