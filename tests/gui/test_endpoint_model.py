"""The endpoints table model and its filter proxy, over a 5,000-endpoint assessment."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from databorder.gui.endpoint_model import (
    COLUMNS,
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
    return [proxy.index(r, 0).data() for r in range(proxy.rowCount())]


def test_rows_show_the_columns_a_reader_needs(proxy: EndpointFilterProxy) -> None:
    assert proxy.columnCount() == len(COLUMNS)
    first = [proxy.index(0, c).data() for c in range(len(COLUMNS))]
    assert first[0] == "api0.cn-app.test"
    assert first[1] == "api" and first[2] == "CN" and first[3] == "Alibaba Cloud"
    assert first[4] == "Vendor 0 (CN)" and first[5].startswith("prohibit: ")
    anycast = proxy.index(4, 2).data()
    assert anycast == "NL (anycast edge)"
    assert proxy.index(0, 5).data(Qt.ItemDataRole.ForegroundRole) is not None


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
        (EndpointFilter(country="CN", role="auth"), 0),  # CN rows are all api endpoints (i % 6 == 0)
    ],
)
def test_filters_combine(proxy: EndpointFilterProxy, criteria: EndpointFilter, expected: int) -> None:
    proxy.set_filter(criteria)
    assert proxy.rowCount() == expected


def test_sorting_by_worst_finding_puts_prohibit_first_and_by_relevance_numerically(proxy: EndpointFilterProxy) -> None:
    proxy.set_filter(EndpointFilter())
    proxy.sort(5, Qt.SortOrder.DescendingOrder)
    assert proxy.index(0, 5).data().startswith("prohibit")
    assert proxy.index(proxy.rowCount() - 1, 5).data() == ""
    proxy.sort(6, Qt.SortOrder.DescendingOrder)
    assert proxy.index(0, 6).data() == "1.00"
    assert proxy.endpoint_at(proxy.index(0, 0)) is not None
