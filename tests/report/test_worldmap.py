from __future__ import annotations

import dataclasses

from databorder.model import AddressAttribution
from databorder.report.pdf import _ensure_gui_application
from databorder.report.worldmap import COLOURS, country_severities, outlines, paint_world_map
from tests.model.test_model import sample_assessment


def test_countries_take_the_worst_severity_of_endpoints_hosted_there() -> None:
    sample = sample_assessment()
    endpoint = sample.endpoints[0]
    clean = dataclasses.replace(
        endpoint,
        host="clean.test",
        addresses=(AddressAttribution("198.51.100.1", "public", "DE", 1, None, None, False),),
    )
    levels = country_severities(dataclasses.replace(sample, endpoints=(endpoint, clean)))
    assert levels == {"CN": "prohibit", "DE": "clean"}
    assert {"CN", "US", "DE", "FR", "RU"} <= set(outlines())


def test_the_painter_shades_countries_where_they_are() -> None:
    _ensure_gui_application()
    from PySide6.QtCore import QRectF
    from PySide6.QtGui import QColor, QImage, QPainter

    image = QImage(720, 400, QImage.Format.Format_RGB32)
    image.fill(QColor("white"))
    painter = QPainter(image)
    paint_world_map(painter, QRectF(0, 0, 720, 400), {"CN": "prohibit", "BR": "review"})
    painter.end()
    scale = min(720 / 360, 368 / (84 + 58))  # the painter's own projection: 8 % of the height is the legend

    def pixel(lon: float, lat: float) -> str:
        x = (720 - 360 * scale) / 2 + (lon + 180) * scale
        y = (84 - lat) * scale
        return str(QColor(image.pixel(int(x), int(y))).name())

    assert pixel(104, 35) == COLOURS["prohibit"]  # central China
    assert pixel(-50, -10) == COLOURS["review"]  # Brazil
    assert pixel(-100, 40) == COLOURS["none"]  # the United States: no data seen there
    assert pixel(-30, 0) == "#ffffff"  # the Atlantic
