from __future__ import annotations

import dataclasses

import pytest
from pytestqt.qtbot import QtBot

from databorder.gui.results import ResultView
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
    rows = {view.proxy.index(r, 0).data(): r for r in range(view.proxy.rowCount())}
    view.table.selectRow(rows["api.nobody-knows.example"])
    assert "who runs this data endpoint is unknown" in view.detail.toPlainText()
    view.table.selectRow(rows[next(k for k in rows if k != "api.nobody-knows.example")])
    detail = view.detail.toPlainText()
    assert "Chat Pte. Ltd. (SG), owned by Chat Holdings Ltd. (CN)" in detail and "Unverified: parent" in detail
