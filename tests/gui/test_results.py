from __future__ import annotations

import dataclasses

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from databorder.gui.endpoint_model import ENDPOINT, HOSTING, NETWORK, SEVERITY
from databorder.gui.results import ResultView
from databorder.model import Assessment, Resolution
from databorder.policy.evaluate import could_not_attribute
from databorder.report.worldmap import country_severities
from tests.helpers.assessments import varied_assessment

pytestmark = pytest.mark.gui


def test_banner_filters_and_detail_follow_the_assessment(qtbot: QtBot) -> None:
    view = ResultView()
    qtbot.addWidget(view)
    assessment = varied_assessment(60)
    view.show_assessment(assessment)
    assert "PROHIBIT" in view.verdict.text() and "score 60/100" in view.verdict.text()
    assert view.reason.text().endswith("more findings).")
    assert view.shown.text() == "60 of 60 endpoints"
    assert [view.country.itemData(i) for i in range(view.country.count())] == ["", "CN", "DE", "IR", "NL", "SG", "US"]
    assert view.detail.toPlainText()  # the first (worst) row is selected and described
    view.role.setCurrentIndex(view.role.findData("telemetry"))
    assert view.shown.text() == "10 of 60 endpoints"
    view.hide_low.setChecked(True)
    assert view.proxy.rowCount() < 10
    # A new assessment resets the filters.
    view.show_assessment(dataclasses.replace(assessment, verdict="allow", findings=(), score=0, band="low"))
    assert view.role.currentIndex() == 0 and not view.hide_low.isChecked()
    assert "ALLOW" in view.verdict.text() and "No rule was triggered" in view.reason.text()
    assert "#1e6b34" in view.banner.styleSheet()


def test_the_chain_and_could_not_attribute_are_shown(qtbot: QtBot) -> None:
    from tests.helpers.assessments import who_runs_it_assessment

    view = ResultView()
    qtbot.addWidget(view)
    view.show_assessment(who_runs_it_assessment())
    assert not view.unattributed.isHidden()
    assert "Could not attribute 1 data endpoint: api.nobody-knows.example" in view.unattributed.text()
    rows = {view.proxy.index(r, ENDPOINT).data(): r for r in range(view.proxy.rowCount())}
    view.table.selectRow(rows["api.nobody-knows.example"])
    assert "who runs this data endpoint is unknown" in view.detail.toPlainText()
    view.table.selectRow(rows[next(k for k in rows if k != "api.nobody-knows.example")])
    detail = view.detail.toPlainText()
    assert "Chat Pte. Ltd. (SG), owned by Chat Holdings Ltd. (CN)" in detail and "Unverified: parent" in detail


def offline(assessment: Assessment) -> Assessment:
    """``assessment`` as if made offline: no address looked up, so nothing is known of where it is hosted."""
    skipped = Resolution(status="skipped", detail="offline: DNS was not used")
    endpoints = tuple(dataclasses.replace(e, addresses=(), resolution=skipped) for e in assessment.endpoints)
    return dataclasses.replace(assessment, endpoints=endpoints, offline=True)


def shown_layer(view: ResultView) -> str:
    return view.layer


def names(view: ResultView) -> list[str]:
    return [view.proxy.index(r, ENDPOINT).data() for r in range(view.proxy.rowCount())]


def test_the_map_switches_between_where_it_is_hosted_and_whose_law_reaches_it(qtbot: QtBot) -> None:
    view = ResultView()
    qtbot.addWidget(view)
    view.show_layer("law")  # before any assessment: the button follows, nothing to draw
    assert view.layer_button["law"].isChecked() and view.map.levels == {}
    assessment = varied_assessment(60)
    view.show_assessment(assessment)
    hosted, law = view.layer_button["hosted"], view.layer_button["law"]
    assert hosted.objectName() == "layer-hosted" and "&law" in law.text()
    assert view.layer == "hosted" and hosted.isChecked() and not law.isChecked()
    assert view.layer_note.isHidden()  # there is hosting data: nothing to explain
    assert view.map.levels == country_severities(assessment, "hosted")
    law.click()
    assert shown_layer(view) == "law" and view.map.layer == "law"
    assert view.map.levels == country_severities(assessment, "law") == {"CN": "prohibit", "US": "info",
                                                                        "DE": "clean", "IR": "prohibit"}  # fmt: skip
    assert view.country_caption.text() == "&Country (whose law)"
    assert view.country.accessibleName() == "Country whose law reaches it"
    assert [view.country.itemData(i) for i in range(view.country.count())] == ["", "CN", "DE", "IR", "US"]
    # CN's law reaches the CN-hosted endpoints and the SG-hosted ones of an operator whose home is CN.
    view.country.setCurrentIndex(view.country.findData("CN"))
    assert view.shown.text() == "20 of 60 endpoints"
    assert {n.split(".")[1] for n in names(view)} == {"cn-app", "sg-app"}
    hosted.click()  # back: the country filter is one of the hosted layer's again, reset
    assert shown_layer(view) == "hosted" and view.country.currentIndex() == 0
    assert view.shown.text() == "60 of 60 endpoints"
    view.country.setCurrentIndex(view.country.findData("CN"))
    assert view.shown.text() == "10 of 60 endpoints"


def test_with_no_hosting_data_the_law_layer_is_shown_and_says_why(qtbot: QtBot) -> None:
    view = ResultView()
    qtbot.addWidget(view)
    assessment = offline(varied_assessment(60))
    view.show_assessment(assessment)
    assert view.layer == "law" and view.layer_button["law"].isChecked()
    assert view.map.levels == country_severities(assessment, "law") and view.map.levels
    assert not view.layer_note.isHidden()
    assert view.layer_note.text() == (
        "No hosting data: the assessment was made offline, so no address was looked up; "
        "it shows whose law reaches the data."
    )
    view.layer_button["hosted"].click()
    assert view.map.levels == {} and view.layer_note.text().endswith("the hosted layer is empty.")
    assert view.country.count() == 1  # only "any": no hosting country is known
    # The same when DNS failed for every name, online.
    failed = dataclasses.replace(
        assessment,
        offline=False,
        endpoints=tuple(dataclasses.replace(e, resolution=Resolution("servfail")) for e in assessment.endpoints),
    )
    view.show_assessment(failed)
    assert shown_layer(view) == "law" and "DNS gave no address for any endpoint (servfail)" in view.layer_note.text()
    # Offline, the network operator column has no value in any row: it is hidden, the others are not.
    assert view.table.isColumnHidden(NETWORK) and not view.table.isColumnHidden(SEVERITY)
    view.show_assessment(varied_assessment(6))
    assert shown_layer(view) == "hosted" and view.layer_note.isHidden() and not view.table.isColumnHidden(NETWORK)


def test_could_not_attribute_filters_to_the_engines_unattributed_endpoints(qtbot: QtBot) -> None:
    base = varied_assessment(30)
    nobody = tuple(
        dataclasses.replace(e, service=None, addresses=(), roles=("api",)) if i % 5 == 0 else e
        for i, e in enumerate(base.endpoints)
    )
    assessment = dataclasses.replace(base, endpoints=nobody)
    unknown = sorted(e.key for e, _ in could_not_attribute(assessment.endpoints))
    assert len(unknown) == 6
    view = ResultView()
    qtbot.addWidget(view)
    view.show_assessment(assessment)
    box = view.could_not_attribute
    assert box.text() == "Could not &attribute (6)" and box.isEnabled() and not box.isChecked()
    box.setChecked(True)
    assert sorted(names(view)) == unknown and view.shown.text() == "6 of 30 endpoints"
    view.text_filter.setText("api0.")  # combines with the other filters
    assert names(view) == ["api0.cn-app.test"]
    tip = view.proxy.index(0, HOSTING).data(Qt.ItemDataRole.ToolTipRole)
    assert tip == "hosting unknown; could not attribute who runs it"
    view.text_filter.clear()
    box.setChecked(False)
    assert view.proxy.rowCount() == 30
    # The banner's "show only them" link turns the filter on.
    assert "show only them" in view.unattributed.text()
    view.unattributed.linkActivated.emit("#could-not-attribute")
    assert box.isChecked() and view.proxy.rowCount() == 6
    # A new assessment starts unfiltered.
    view.show_assessment(base)
    assert not box.isChecked() and box.text() == "Could not &attribute (0)" and view.proxy.rowCount() == 30
    assert not box.isEnabled()  # nothing to filter to


def test_a_click_on_the_law_layer_filters_by_whose_law(qtbot: QtBot) -> None:
    from PySide6.QtCore import QPoint

    from databorder.report.worldmap import MapFrame

    view = ResultView()
    qtbot.addWidget(view)
    view.resize(1260, 740)
    view.show()
    qtbot.waitExposed(view)
    view.show_assessment(offline(varied_assessment(60)))
    assert shown_layer(view) == "law"
    frame = MapFrame.within(0, 0, view.map.width(), view.map.height())
    china = QPoint(round(frame.left + (105 + 180) * frame.scale), round(frame.top + (84 - 35) * frame.scale))
    assert view.map.tooltip_for(view.map.country_under(china.x(), china.y())) == "Under the law of CN: prohibit"
    qtbot.mouseClick(view.map, Qt.MouseButton.LeftButton, pos=china)
    assert view.country.currentData() == "CN" and view.shown.text() == "20 of 60 endpoints"
    qtbot.mouseClick(view.map, Qt.MouseButton.LeftButton, pos=china)  # again: clears
    assert view.country.currentIndex() == 0 and view.shown.text() == "60 of 60 endpoints"
