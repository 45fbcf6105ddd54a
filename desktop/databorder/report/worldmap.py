"""The world map: countries shaded by the worst finding on data hosted there or under their law; one painter.

The "hosted" layer marks addresses' countries, the "law" layer the service operator's and its owners'. The
same painter draws the PDF's map and the GUI's.

Allowed to use QtGui (like the PDF renderer, DESIGN.md), imported only when a map is drawn. Outlines: Natural
Earth 1:110m (public domain) via resources/map/, drawn in an equirectangular projection cut at 58° S.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from databorder.errors import ResourceError
from databorder.model import SEVERITY_ORDER, Assessment, Endpoint, Severity
from databorder.resources import resource_path

if TYPE_CHECKING:
    from PySide6.QtCore import QRectF
    from PySide6.QtGui import QPainter, QPainterPath

SOUTH, NORTH = -58.0, 84.0
COLOURS = {"prohibit": "#b3261e", "review": "#e0a100", "info": "#6f8fb8", "clean": "#7fb07f", "none": "#e3e6ea"}
LABELS = {"prohibit": "prohibit", "review": "review", "info": "information only", "clean": "data here, no finding",
          "none": "no data seen here"}  # fmt: skip
LAW_LABELS = {**LABELS, "clean": "law reaches data here, no finding", "none": "no operator from here"}


#: The map's layers: which countries an endpoint marks on each, and the legend's title saying which is shown.
Layer = Literal["hosted", "law"]
LAYERS: Mapping[Layer, str] = {
    "hosted": "Where it is hosted (the addresses' countries)",
    "law": "Whose law reaches it (the service operator's and its owners' countries)",
}


def country_severities(assessment: Assessment, layer: Layer = "hosted") -> dict[str, str]:
    """For each country of the layer: the worst severity of findings on the endpoints that mark it.

    ``hosted`` marks the countries of an endpoint's addresses; ``law`` marks the service operator's country and
    each owner's in its parent chain, so an assessment made offline or with DNS failing still shows whose law
    reaches the data.
    """
    worst: dict[str, list[Severity]] = {}
    for f in assessment.findings:
        worst.setdefault(f.endpoint, []).append(f.severity)
    result: dict[str, str] = {}
    for endpoint in assessment.endpoints:
        severities = worst.get(endpoint.key, [])
        level = max(severities, key=SEVERITY_ORDER.index) if severities else "clean"
        for country in _countries(endpoint, layer):
            result[country] = _stronger(result.get(country, "clean"), level)
    return result


def no_hosting_reason(assessment: Assessment) -> str | None:
    """Why the "hosted" layer marks no country, in words (offline, DNS failed…); None when it marks one.

    A view that finds the hosted layer empty shows the "law" layer instead and says this.
    """
    from databorder.policy.evaluate import UNRESOLVED

    if any(a.country for e in assessment.endpoints for a in e.addresses):
        return None
    if not assessment.endpoints:
        return "no endpoint was found"
    if assessment.offline:
        return "the assessment was made offline, so no address was looked up"
    statuses = {e.resolution.status for e in assessment.endpoints if e.host is not None}
    if statuses and statuses <= UNRESOLVED:
        return f"DNS gave no address for any endpoint ({', '.join(sorted(statuses))})"
    if "ok" not in statuses and not any(e.addresses for e in assessment.endpoints):
        return "no endpoint's address was looked up (the assessment stopped before DNS)"
    return "no address has a known country (local addresses, or none in the GeoIP database)"


def _countries(endpoint: Endpoint, layer: Layer) -> tuple[str, ...]:
    if layer == "law":
        return endpoint.service.countries if endpoint.service is not None else ()
    # An uncertain hosting country (two GeoIP databases disagree) marks each country the address may be in.
    return tuple(dict.fromkeys(c for a in endpoint.addresses for c in a.possible_countries))


def _unwrapped(ring: list[list[float]]) -> list[tuple[float, float]]:
    """A ring whose longitudes never jump across the antimeridian.

    A jump over 180° continues past the map edge instead (clipped there) rather than banding across the map.
    """
    result: list[tuple[float, float]] = []
    shift = 0.0
    previous: float | None = None
    for lon, lat in ring:
        if previous is not None and abs(lon - previous) > 180:
            shift += 360.0 if previous > lon else -360.0
        previous = lon
        result.append((lon + shift, lat))
    return result


def _stronger(a: str, b: str) -> str:
    order = ("clean", *SEVERITY_ORDER)
    return a if order.index(a) >= order.index(b) else b


@functools.cache
def outlines() -> Mapping[str, list[list[list[float]]]]:
    """Country polygons (lon, lat) by ISO code, read once per process."""
    path = resource_path("map", "countries-110m.json")
    try:
        return json.loads(path.read_text(encoding="utf-8"))["countries"]  # type: ignore[no-any-return]
    except (OSError, ValueError, KeyError) as exc:
        raise ResourceError(f"the world map outlines {path} are missing or damaged ({exc})") from None


@dataclass(frozen=True)
class MapFrame:
    """Where the map sits in a rectangle: its left and top edges, degrees → pixels, and the legend's height."""

    left: float
    top: float
    scale: float
    legend_height: float

    @classmethod
    def within(cls, x: float, y: float, width: float, height: float) -> MapFrame:
        """The frame of a map drawn into the rectangle (x, y, width, height), legend included."""
        legend_height = height * 0.08
        scale = min(width / 360.0, (height - legend_height) / (NORTH - SOUTH))
        return cls(x + (width - 360.0 * scale) / 2, y, scale, legend_height)

    def to_lonlat(self, x: float, y: float) -> tuple[float, float] | None:
        """The longitude and latitude under a point, or None outside the map."""
        lon = (x - self.left) / self.scale - 180.0
        lat = NORTH - (y - self.top) / self.scale
        return (lon, lat) if -180.0 <= lon <= 180.0 and SOUTH <= lat <= NORTH else None


def country_at(lon: float, lat: float) -> str | None:
    """The ISO code of the country whose outline holds (lon, lat), or None (sea)."""
    for code, rings in outlines().items():
        inside = False
        for ring in rings:  # even-odd rule, as the painter fills: holes cancel out
            for shift in (0.0, 360.0, -360.0):  # rings unwrapped across the antimeridian
                if _ring_contains(_unwrapped(ring), lon + shift, lat):
                    inside = not inside
                    break
        if inside:
            return code
    return None


def _ring_contains(ring: list[tuple[float, float]], x: float, y: float) -> bool:
    """Ray casting: True when the polygon ``ring`` contains the point."""
    inside = False
    j = len(ring) - 1
    for i, (xi, yi) in enumerate(ring):
        xj, yj = ring[j]
        if (yi > y) != (yj > y) and x < (xj - xi) * (y - yi) / (yj - yi) + xi:
            inside = not inside
        j = i
    return inside


def legend_labels(layer: Layer) -> Mapping[str, str]:
    """The legend's words for each shade on a layer."""
    return LAW_LABELS if layer == "law" else LABELS


@functools.cache
def _outline_paths() -> Mapping[str, QPainterPath]:
    """Each country's outline as a path in degrees: x = longitude + 180, y = degrees south of the northern edge.

    Built once per process (projecting every point took most of a map's drawing time, three maps per PDF).
    """
    from PySide6.QtCore import QPointF, Qt
    from PySide6.QtGui import QPainterPath, QPolygonF

    paths = {}
    for code, rings in outlines().items():
        if code == "AQ":
            continue  # below the map's southern edge
        path = QPainterPath()
        path.setFillRule(Qt.FillRule.OddEvenFill)
        for ring in rings:
            # One call per ring: PySide6 6.12 on Python 3.11 mis-counts references to None returned by void
            # methods such as lineTo, and ten thousand calls free None itself (the interpreter aborts).
            points = [QPointF(lon + 180.0, NORTH - max(SOUTH, min(NORTH, lat))) for lon, lat in _unwrapped(ring)]
            path.addPolygon(QPolygonF(points))
            path.closeSubpath()
        paths[code] = path
    return paths


def paint_world_map(painter: QPainter, rect: QRectF, levels: Mapping[str, str], layer: Layer = "hosted") -> None:
    """Draw the map into ``rect`` (vector paths), with a legend along its bottom edge naming the layer shown."""
    from PySide6.QtCore import QPointF, QRectF, Qt
    from PySide6.QtGui import QBrush, QColor, QFont, QPen

    frame = MapFrame.within(rect.x(), rect.y(), rect.width(), rect.height())
    legend_height, scale, left = frame.legend_height, frame.scale, frame.left
    area = QRectF(rect.x(), rect.y(), rect.width(), rect.height() - legend_height)

    painter.save()
    painter.setRenderHint(painter.RenderHint.Antialiasing, True)
    # The outlines are drawn in degrees (see _outline_paths), scaled into place: one set of paths per process.
    painter.translate(left, area.y())
    painter.scale(scale, scale)
    pen = QPen(QColor("#ffffff"))
    pen.setWidthF(max(0.5, scale * 0.08) / scale)
    painter.setPen(pen)
    painter.setClipRect(QRectF(0, 0, 360.0, NORTH - SOUTH))
    for code, path in _outline_paths().items():
        painter.setBrush(QBrush(QColor(COLOURS[levels.get(code, "none")])))
        painter.drawPath(path)
    painter.restore()
    painter.save()
    font = QFont("DejaVu Sans")
    font.setStyleStrategy(QFont.StyleStrategy.PreferNoShaping)  # no ligatures: the legend copies out of a PDF true
    font.setPixelSize(max(8, int(legend_height * 0.4)))
    painter.setFont(font)
    x = area.x()
    y = area.y() + (NORTH - SOUTH) * scale + legend_height * 0.25
    box = legend_height * 0.45
    bold = QFont(font)
    bold.setBold(True)
    painter.setFont(bold)
    painter.setPen(QColor("#333333"))
    title = "Hosted:" if layer == "hosted" else "Whose law:"
    painter.drawText(QPointF(x, y + box * 0.85), title)
    x += painter.fontMetrics().horizontalAdvance(title) + box
    painter.setFont(font)
    labels = legend_labels(layer)
    for key in ("prohibit", "review", "info", "clean", "none"):
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QBrush(QColor(COLOURS[key])))
        painter.drawRect(QRectF(x, y, box, box))
        painter.setPen(QColor("#333333"))
        label = labels[key]
        painter.drawText(QPointF(x + box * 1.4, y + box * 0.85), label)
        x += box * 2 + painter.fontMetrics().horizontalAdvance(label)
    painter.restore()
