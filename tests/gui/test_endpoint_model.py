"""The endpoints table model and its filter proxy, over a 5,000-endpoint assessment."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from databorder.gui.endpoint_model import (
    COLUMNS,
    ENDPOINT,
    HOSTING,
    RELEVANCE,
    SEVERITY,
    WORST,
    EndpointFilter,
    EndpointFilterProxy,
    EndpointTableModel,
    build_rows,
)
from tests.helpers.assessments import varied_assessment

pytestmark = pytest.mark.gui


@pytest.fixture(scope="module")
def proxy(qapp: object) -> EndpointFilterProxy:
    model = EndpointTableModel()
    model.show(build_rows(varied_assessment(5000)))
    proxy = EndpointFilterProxy()
    proxy.setSourceModel(model)
    return proxy


def names(proxy: EndpointFilterProxy) -> list[str]:
    return [proxy.index(r, ENDPOINT).data() for r in range(proxy.rowCount())]


def test_rows_show_the_columns_a_reader_needs(proxy: EndpointFilterProxy) -> None:
    assert proxy.columnCount() == len(COLUMNS)
    assert COLUMNS[0] == "Severity"  # each endpoint's verdict is the first thing in its row
    first = [proxy.index(0, c).data() for c in range(len(COLUMNS))]
    assert first == ["prohibit", "api0.cn-app.test", "api", "CN", "Alibaba Cloud", "Vendor 0 (CN)", "0.05", "r"]
    anycast = proxy.index(4, HOSTING).data()
    assert anycast == "NL (anycast edge)"
    assert proxy.index(0, SEVERITY).data(Qt.ItemDataRole.ForegroundRole) is not None
    assert proxy.index(0, SEVERITY).data(Qt.ItemDataRole.FontRole).bold()  # prohibit is not told by colour alone
    worst = "Worst finding: prohibit: api0.cn-app.test is hosted in CN (rule p/r)"
    assert proxy.index(0, SEVERITY).data(Qt.ItemDataRole.ToolTipRole) == worst
    assert proxy.index(0, WORST).data(Qt.ItemDataRole.ToolTipRole) == worst  # the rule's cell tells it in words
    assert proxy.headerData(SEVERITY, Qt.Orientation.Horizontal, Qt.ItemDataRole.ToolTipRole).startswith("Severity")
    assert proxy.index(1, SEVERITY).data() == "none"  # US-hosted: no rule in the fixture
    assert proxy.index(1, SEVERITY).data(Qt.ItemDataRole.ToolTipRole) == "No rule was triggered for this endpoint"


@pytest.mark.parametrize(
    ("criteria", "expected"),
    [
        (EndpointFilter(), 5000),
        (EndpointFilter(country="DE"), 833),
        (EndpointFilter(severity="prohibit"), 1667),
        (EndpointFilter(severity="review"), 2500),
        (EndpointFilter(role="telemetry"), 834),
        (EndpointFilter(hide_low_relevance=True), 2750),
        (EndpointFilter(text="Hetzner"), 833),
        (EndpointFilter(text="ir-app", severity="prohibit"), 833),
        (EndpointFilter(country="CN", layer="law"), 1667),  # CN-hosted and SG-hosted by a CN operator
        (EndpointFilter(unattributed_only=True), 0),  # every fixture endpoint has a service operator
        (EndpointFilter(country="CN", role="auth"), 0),  # CN rows are all api endpoints (i % 6 == 0)
    ],
)
def test_filters_combine(proxy: EndpointFilterProxy, criteria: EndpointFilter, expected: int) -> None:
    proxy.set_filter(criteria)
    assert proxy.rowCount() == expected


def test_sorting_by_worst_finding_puts_prohibit_first_and_by_relevance_numerically(proxy: EndpointFilterProxy) -> None:
    proxy.set_filter(EndpointFilter())
    proxy.sort(SEVERITY, Qt.SortOrder.DescendingOrder)
    assert proxy.index(0, SEVERITY).data() == "prohibit" and proxy.index(0, RELEVANCE).data() == "1.00"
    assert proxy.index(proxy.rowCount() - 1, SEVERITY).data() == "none"
    proxy.sort(WORST, Qt.SortOrder.DescendingOrder)  # the finding's words sort by severity first too
    assert proxy.index(0, SEVERITY).data() == "prohibit"
    assert proxy.index(proxy.rowCount() - 1, WORST).data() == ""
    proxy.sort(RELEVANCE, Qt.SortOrder.DescendingOrder)
    assert proxy.index(0, RELEVANCE).data() == "1.00"
    proxy.sort(ENDPOINT, Qt.SortOrder.AscendingOrder)  # text without case
    assert names(proxy)[:2] == ["api0.cn-app.test", "api1002.cn-app.test"]
    assert proxy.endpoint_at(proxy.index(0, 0)) is not None
