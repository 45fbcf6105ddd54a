from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QColor
from pytestqt.qtbot import QtBot

from databorder.gui.mapwidget import WorldMapWidget
from databorder.report.worldmap import COLOURS, MapFrame

pytestmark = pytest.mark.gui


def position(widget: WorldMapWidget, lon: float, lat: float) -> QPoint:
    frame = MapFrame.within(0, 0, widget.width(), widget.height())
    return QPoint(round(frame.left + (lon + 180) * frame.scale), round(frame.top + (84 - lat) * frame.scale))


def test_countries_are_shaded_and_a_click_selects_then_clears(qtbot: QtBot) -> None:
    widget = WorldMapWidget()
    qtbot.addWidget(widget)
    widget.resize(800, 400)
    widget.show_levels({"CN": "prohibit", "DE": "clean"})
    image = widget.grab().toImage()
    china = position(widget, 105, 35)
    assert image.pixelColor(china) == QColor(COLOURS["prohibit"])
    assert image.pixelColor(position(widget, -100, 40)) == QColor(COLOURS["none"])  # no data in the US
    with qtbot.waitSignal(widget.country_clicked) as blocker:
        qtbot.mouseClick(widget, Qt.MouseButton.LeftButton, pos=china)
    assert blocker.args == ["CN"]
    with qtbot.waitSignal(widget.country_clicked) as blocker:
        qtbot.mouseClick(widget, Qt.MouseButton.LeftButton, pos=china)
    assert blocker.args == [""]
    with qtbot.waitSignal(widget.country_clicked) as blocker:  # a country with no data selects nothing
        qtbot.mouseClick(widget, Qt.MouseButton.LeftButton, pos=position(widget, -100, 40))
    assert blocker.args == [""]
    assert "CN prohibit" in widget.accessibleDescription()
