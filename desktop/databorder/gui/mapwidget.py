"""The world map in the result view: the PDF's painter on screen, and a click on a country filters the table."""

from __future__ import annotations

from collections.abc import Mapping

from PySide6.QtCore import QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QMouseEvent, QPainter, QPaintEvent
from PySide6.QtWidgets import QSizePolicy, QWidget

from databorder.report.worldmap import LABELS, MapFrame, country_at, paint_world_map


class WorldMapWidget(QWidget):
    """Countries shaded by the worst severity of data landing there; ``country_clicked`` gives an ISO code or ""."""

    country_clicked = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.levels: dict[str, str] = {}
        self.selected = ""
        self.setObjectName("worldMap")
        self.setAccessibleName("World map of hosting countries")
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

    def show_levels(self, levels: Mapping[str, str]) -> None:
        """Shade each country by its level (prohibit, review, info, clean)."""
        self.levels = dict(levels)
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
            paint_world_map(painter, QRectF(self.rect()), self.levels)
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
        level = self.levels.get(code)
        self.setToolTip(f"{code}: {LABELS[level]}" if code and level else code)

    def _describe(self) -> None:
        # Screen readers cannot see colours: say in words what the map shows.
        parts = [f"{code} {LABELS[level]}" for code, level in sorted(self.levels.items())]
        self.setAccessibleDescription("; ".join(parts) or "no hosting country known")
