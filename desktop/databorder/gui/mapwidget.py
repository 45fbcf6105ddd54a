"""The world map in the result view: the PDF's painter on screen, and a click on a country filters the table.

It shows one layer at a time: where the data is hosted, or whose law reaches it (report.worldmap.LAYERS).
"""

from __future__ import annotations

from collections.abc import Mapping

from PySide6.QtCore import QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QMouseEvent, QPainter, QPaintEvent
from PySide6.QtWidgets import QSizePolicy, QWidget

from databorder.report.worldmap import LAYERS, Layer, MapFrame, country_at, legend_labels, paint_world_map


class WorldMapWidget(QWidget):
    """Countries shaded by the worst severity on one layer; ``country_clicked`` gives an ISO code or ""."""

    country_clicked = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.levels: dict[str, str] = {}
        self.layer: Layer = "hosted"
        self.selected = ""
        self.setObjectName("worldMap")
        self._describe()
        self.setMinimumSize(320, 140)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.setMouseTracking(True)
        self.setCursor(Qt.CursorShape.PointingHandCursor)

    def sizeHint(self) -> QSize:
        return QSize(520, 260)

    def hasHeightForWidth(self) -> bool:
        return True

    def heightForWidth(self, width: int) -> int:
        return max(160, width // 2)

    def show_levels(self, levels: Mapping[str, str], layer: Layer = "hosted") -> None:
        """Shade each country by its level (prohibit, review, info, clean) on ``layer``; the legend names it."""
        self.levels = dict(levels)
        self.layer = layer
        self.selected = ""
        self._describe()
        self.update()

    def country_under(self, x: float, y: float) -> str:
        """The ISO code of the country drawn at a widget position, or ""."""
        frame = MapFrame.within(0, 0, self.width(), self.height())
        where = frame.to_lonlat(x, y)
        return (country_at(*where) or "") if where else ""

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        try:
            # The map is a light card in light and dark themes alike: its colours and legend are the PDF's.
            painter.fillRect(self.rect(), QColor("#f7f8fa"))
            paint_world_map(painter, QRectF(self.rect()), self.levels, layer=self.layer)
        finally:
            painter.end()

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() != Qt.MouseButton.LeftButton:
            return
        code = self.country_under(event.position().x(), event.position().y())
        self.selected = "" if code == self.selected or code not in self.levels else code
        self.country_clicked.emit(self.selected)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        code = self.country_under(event.position().x(), event.position().y())
        self.setToolTip(self.tooltip_for(code))

    def tooltip_for(self, code: str) -> str:
        """What hovering over a country says on the layer shown: its code and shade in the legend's words."""
        if not code:
            return ""
        level = self.levels.get(code, "none")
        where = "Hosted in" if self.layer == "hosted" else "Under the law of"
        return f"{where} {code}: {legend_labels(self.layer)[level]}"

    def _describe(self) -> None:
        # Screen readers cannot see colours: say in words which layer is shown and what it shows.
        labels = legend_labels(self.layer)
        self.setAccessibleName(f"World map: {LAYERS[self.layer]}")
        parts = [f"{code} {labels[level]}" for code, level in sorted(self.levels.items())]
        empty = "no hosting country known" if self.layer == "hosted" else "no operator's country known"
        self.setAccessibleDescription(f"{LAYERS[self.layer]}: " + ("; ".join(parts) or empty))
