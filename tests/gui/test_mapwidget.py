from __future__ import annotations

import pytest
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QColor, QMouseEvent
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from databorder.gui.mapwidget import WorldMapWidget
from databorder.report.worldmap import COLOURS, LAYERS, MapFrame

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


def test_the_layer_shown_is_named_to_screen_readers_and_in_tooltips(qtbot: QtBot) -> None:
    widget = WorldMapWidget()
    qtbot.addWidget(widget)
    widget.resize(800, 400)
    assert widget.accessibleName() == f"World map: {LAYERS['hosted']}"
    assert widget.accessibleDescription().endswith("no hosting country known")
    widget.show_levels({"CN": "prohibit", "US": "clean"}, "law")
    assert widget.layer == "law"
    assert widget.accessibleName() == f"World map: {LAYERS['law']}"
    assert widget.accessibleDescription() == f"{LAYERS['law']}: CN prohibit; US law reaches data here, no finding"
    assert widget.tooltip_for("CN") == "Under the law of CN: prohibit"
    assert widget.tooltip_for("FR") == "Under the law of FR: no operator from here"
    image = widget.grab().toImage()
    assert image.pixelColor(position(widget, 105, 35)) == QColor(COLOURS["prohibit"])
    where = QPointF(position(widget, -100, 40))
    move = QMouseEvent(QEvent.Type.MouseMove, where, where, Qt.MouseButton.NoButton, Qt.MouseButton.NoButton,
                       Qt.KeyboardModifier.NoModifier)  # fmt: skip
    QApplication.sendEvent(widget, move)
    assert widget.toolTip() == "Under the law of US: law reaches data here, no finding"
    widget.show_levels({"DE": "review"})
    assert widget.tooltip_for("DE") == "Hosted in DE: review" and widget.tooltip_for("") == ""
