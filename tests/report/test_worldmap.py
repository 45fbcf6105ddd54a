from __future__ import annotations

import dataclasses

import pytest

from databorder.model import AddressAttribution
from databorder.report.pdf import _ensure_gui_application
from databorder.report.worldmap import COLOURS, MapFrame, country_at, country_severities, outlines, paint_world_map
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


@pytest.mark.parametrize(
    ("lon", "lat", "code"),
    [(2.35, 48.85, "FR"), (116.4, 39.9, "CN"), (-100.0, 40.0, "US"), (139.7, 35.7, "JP"), (170.0, -45.0, "NZ"),
     (0.0, 0.0, None), (-30.0, 30.0, None)],
)  # fmt: skip
def test_country_at_finds_the_outline_under_a_point(lon: float, lat: float, code: str | None) -> None:
    assert country_at(lon, lat) == code


def test_country_at_handles_outlines_that_cross_the_antimeridian() -> None:
    assert country_at(179.0, 66.0) == "RU"  # Chukotka, drawn past the map's right edge
    assert country_at(-179.5, 67.0) == "RU"


def test_the_frame_turns_positions_back_into_longitude_and_latitude() -> None:
    frame = MapFrame.within(0, 0, 720, 300)
    x = frame.left + (10 + 180) * frame.scale
    y = frame.top + (84 - 51) * frame.scale
    lon, lat = frame.to_lonlat(x, y) or (None, None)
    assert lon == pytest.approx(10) and lat == pytest.approx(51)
    assert frame.to_lonlat(frame.left - 5, 10) is None  # left of the map
    assert frame.to_lonlat(x, 299) is None  # in the legend band


def test_the_law_layer_marks_the_operator_and_owner_countries_even_with_no_address() -> None:
    from databorder.model import ChainLink, ServiceAttribution

    sample = sample_assessment()
    endpoint = sample.endpoints[0]
    service = ServiceAttribution(
        "BytePlus Pte. Ltd.", "SG", "operators", parent_chain=(ChainLink("ByteDance Ltd.", "CN"),)
    )
    offline = dataclasses.replace(endpoint, addresses=(), service=service)
    assessment = dataclasses.replace(sample, endpoints=(offline,))
    assert country_severities(assessment) == {}
    assert country_severities(assessment, "law") == {"SG": "prohibit", "CN": "prohibit"}


def test_an_empty_hosted_layer_says_why() -> None:
    from databorder.model import Resolution
    from databorder.report.worldmap import no_hosting_reason

    sample = sample_assessment()
    assert no_hosting_reason(sample) is None  # its endpoint's address has a country
    bare = dataclasses.replace(sample.endpoints[0], addresses=())
    offline = dataclasses.replace(sample, endpoints=(bare,), offline=True)
    assert no_hosting_reason(offline) == "the assessment was made offline, so no address was looked up"
    failed = dataclasses.replace(
        offline,
        offline=False,
        endpoints=(
            dataclasses.replace(bare, resolution=Resolution(status="timeout")),
            dataclasses.replace(bare, host="b.test", resolution=Resolution(status="nxdomain")),
        ),
    )
    assert no_hosting_reason(failed) == "DNS gave no address for any endpoint (nxdomain, timeout)"
    stopped = dataclasses.replace(failed, endpoints=(dataclasses.replace(bare, resolution=Resolution("skipped")),))
    assert no_hosting_reason(stopped) == "no endpoint's address was looked up (the assessment stopped before DNS)"
    local = AddressAttribution("192.168.1.5", "local", None, None, None, None, False)
    lan = dataclasses.replace(failed, endpoints=(dataclasses.replace(bare, addresses=(local,)),))
    assert no_hosting_reason(lan) == "no address has a known country (local addresses, or none in the GeoIP database)"
    assert no_hosting_reason(dataclasses.replace(sample, endpoints=())) == "no endpoint was found"


def test_an_uncertain_hosting_country_marks_both_countries_it_may_be_in() -> None:
    from tests.helpers.assessments import two_geoip_assessment

    levels = country_severities(two_geoip_assessment())
    assert levels["US"] == levels["DE"] == "prohibit"  # the deciding file says US, the embedded database DE
