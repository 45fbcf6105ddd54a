"""The result view: verdict banner, filterable endpoints table, detail pane and world map."""

from __future__ import annotations

from PySide6.QtCore import QItemSelection, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QSplitter,
    QTableView,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from databorder.gui.detail import endpoint_html
from databorder.gui.endpoint_model import EndpointFilter, EndpointFilterProxy, EndpointTableModel, build_rows
from databorder.gui.mapwidget import WorldMapWidget
from databorder.model import SEVERITY_ORDER, Assessment
from databorder.policy.evaluate import could_not_attribute
from databorder.policy.explain import verdict_reason
from databorder.report.worldmap import country_severities

#: Banner colours by verdict: (background, text); readable in light and dark themes alike.
BANNER = {"allow": ("#1e6b34", "#ffffff"), "review": ("#8a5a00", "#ffffff"), "prohibit": ("#9b1c1c", "#ffffff")}
ANY = "any"


class ResultView(QWidget):
    """Shows one Assessment; holds no logic beyond choosing what to display."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.assessment: Assessment | None = None

        self.banner = QFrame()
        self.banner.setObjectName("verdictBanner")
        self.verdict = QLabel()
        self.verdict.setObjectName("verdictText")
        self.reason = QLabel()
        self.reason.setObjectName("verdictReason")
        self.reason.setWordWrap(True)
        self.reason.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        banner_layout = QVBoxLayout(self.banner)
        banner_layout.addWidget(self.verdict)
        banner_layout.addWidget(self.reason)
        self.unattributed = QLabel()
        self.unattributed.setObjectName("couldNotAttribute")
        self.unattributed.setWordWrap(True)
        self.unattributed.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.unattributed.setVisible(False)
        banner_layout.addWidget(self.unattributed)
        self.changes = QLabel()  # what changed since this target's previous assessment (docs/history.md)
        self.changes.setObjectName("changesSince")
        self.changes.setWordWrap(True)
        self.changes.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.changes.setVisible(False)
        banner_layout.addWidget(self.changes)

        self.text_filter = QLineEdit(placeholderText="Filter endpoints, operators, countries, rules…")
        self.text_filter.setObjectName("textFilter")
        self.text_filter.setAccessibleName("Filter text")
        self.text_filter.setClearButtonEnabled(True)
        self.country = self._combo("countryFilter", "Hosting country")
        self.severity = self._combo("severityFilter", "Worst finding at least")
        self.role = self._combo("roleFilter", "Role")
        self.hide_low = QCheckBox("&Hide low relevance")
        self.hide_low.setObjectName("hideLowRelevance")
        filters = QHBoxLayout()
        filters.addWidget(self.text_filter, 2)
        for label, combo in (("&Country", self.country), ("&Severity", self.severity), ("&Role", self.role)):
            caption = QLabel(label)
            caption.setBuddy(combo)
            filters.addWidget(caption)
            filters.addWidget(combo)
        filters.addWidget(self.hide_low)
        self.shown = QLabel()
        self.shown.setObjectName("shownCount")
        filters.addWidget(self.shown)

        self.model = EndpointTableModel(self)
        self.proxy = EndpointFilterProxy(self)
        self.proxy.setSourceModel(self.model)
        self.table = QTableView()
        self.table.setObjectName("endpointTable")
        self.table.setAccessibleName("Endpoints")
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setWordWrap(False)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        header.setResizeContentsPrecision(200)  # size columns from the first rows, not all 5,000
        self.table.verticalHeader().setDefaultSectionSize(self.table.fontMetrics().height() + 8)
        self.table.selectionModel().selectionChanged.connect(self._selected)

        self.detail = QTextBrowser()
        self.detail.setObjectName("endpointDetail")
        self.detail.setAccessibleName("Endpoint details")
        self.detail.setOpenExternalLinks(False)
        self.detail.setPlaceholderText("Select an endpoint to see its evidence, DNS, attribution and rules.")

        self.map = WorldMapWidget()
        self.map.country_clicked.connect(self._country_clicked)

        top = QSplitter(Qt.Orientation.Horizontal)
        top.addWidget(self.table)
        top.addWidget(self.detail)
        top.setStretchFactor(0, 3)
        top.setStretchFactor(1, 2)
        body = QSplitter(Qt.Orientation.Vertical)
        body.setObjectName("resultSplitter")
        body.addWidget(top)
        body.addWidget(self.map)
        body.setStretchFactor(0, 3)
        body.setStretchFactor(1, 1)
        body.setSizes([520, 240])  # the table is what people read; the map is the overview

        layout = QVBoxLayout(self)
        layout.addWidget(self.banner)
        layout.addLayout(filters)
        layout.addWidget(body, 1)

        self.text_filter.textChanged.connect(self._refilter)
        for combo in (self.country, self.severity, self.role):
            combo.currentIndexChanged.connect(self._refilter)
        self.hide_low.toggled.connect(self._refilter)

    def _combo(self, name: str, accessible: str) -> QComboBox:
        combo = QComboBox()
        combo.setObjectName(name)
        combo.setAccessibleName(accessible)
        combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        return combo

    # --- showing an assessment ------------------------------------------------------------------------------------

    def show_assessment(self, assessment: Assessment) -> None:
        """Display ``assessment`` in full, filters reset."""
        self.assessment = assessment
        background, foreground = BANNER[assessment.verdict]
        self.banner.setStyleSheet(f"#verdictBanner {{ background: {background}; border-radius: 6px; }}"
                                  f"#verdictBanner QLabel {{ color: {foreground}; }}")  # fmt: skip
        incomplete = " — incomplete" if not assessment.complete else ""
        self.verdict.setText(
            f"<span style='font-size:16pt; font-weight:600'>{assessment.verdict.upper()}</span>"
            f"&nbsp;&nbsp;score {assessment.score}/100 ({assessment.band}){incomplete}"
        )
        self.verdict.setAccessibleName(f"Verdict {assessment.verdict}, score {assessment.score} of 100")
        reason = verdict_reason(assessment)
        self.reason.setText(reason if len(reason) <= 600 else reason[:600] + "… (see the findings)")
        unknown = could_not_attribute(assessment.endpoints)
        self.unattributed.setVisible(bool(unknown))
        names = ", ".join(e.key for e, _ in unknown[:8]) + (f" and {len(unknown) - 8} more" if len(unknown) > 8 else "")
        self.unattributed.setText(
            f"Could not attribute {len(unknown)} data endpoint{'s' if len(unknown) != 1 else ''}: {names} "
            "(select one for what would settle it)"
        )
        changes = assessment.changes_since
        self.changes.setVisible(changes is not None)
        self.changes.setText(f"What changed {changes.since()}: {'; '.join(changes.in_words())}" if changes else "")
        rows = build_rows(assessment)
        self.model.show(rows)
        self._fill(self.country, sorted({c for r in rows for c in r.countries}))
        self._fill(self.severity, [s for s in reversed(SEVERITY_ORDER)])
        self._fill(self.role, sorted({role for r in rows for role in r.roles}))
        self.text_filter.clear()
        self.hide_low.setChecked(False)
        self.map.show_levels(country_severities(assessment))
        self.table.sortByColumn(5, Qt.SortOrder.DescendingOrder)  # worst first, and the header shows it
        self.table.resizeColumnsToContents()
        for column in range(self.model.columnCount()):
            self.table.setColumnWidth(column, min(self.table.columnWidth(column), 260))
        self.detail.clear()
        self._refilter()
        if self.proxy.rowCount():
            self.table.selectRow(0)

    def _fill(self, combo: QComboBox, values: list[str]) -> None:
        combo.blockSignals(True)
        combo.clear()
        combo.addItem(ANY, "")
        for value in values:
            combo.addItem(value, value)
        combo.blockSignals(False)

    # --- filtering and selection --------------------------------------------------------------------------------

    def current_filter(self) -> EndpointFilter:
        """The filter the controls describe."""
        return EndpointFilter(
            text=self.text_filter.text().strip(),
            country=self.country.currentData() or "",
            severity=self.severity.currentData() or "",
            role=self.role.currentData() or "",
            hide_low_relevance=self.hide_low.isChecked(),
        )

    def _refilter(self) -> None:
        self.proxy.set_filter(self.current_filter())
        self.shown.setText(f"{self.proxy.rowCount()} of {self.model.rowCount()} endpoints")

    def _country_clicked(self, code: str) -> None:
        index = self.country.findData(code) if code else 0
        self.country.setCurrentIndex(max(0, index))

    def _selected(self, selected: QItemSelection, deselected: QItemSelection) -> None:
        rows = self.table.selectionModel().selectedRows()
        endpoint = self.proxy.endpoint_at(rows[0]) if rows else None
        if endpoint is None or self.assessment is None:
            self.detail.clear()
            return
        self.detail.setHtml(endpoint_html(self.assessment, endpoint))
