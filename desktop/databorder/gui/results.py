"""The result view: verdict banner, filterable endpoints table, detail pane and world map."""

from __future__ import annotations

from html import escape

from PySide6.QtCore import QEvent, QItemSelection, QModelIndex, QObject, QPersistentModelIndex, Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QRadioButton,
    QSplitter,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from databorder.gui.detail import endpoint_html
from databorder.gui.endpoint_model import (
    COLUMNS,
    ENDPOINT,
    HOSTING,
    NETWORK,
    RELEVANCE,
    ROLE,
    SERVICE,
    SEVERITY,
    WORST,
    EndpointFilter,
    EndpointFilterProxy,
    EndpointTableModel,
    Row,
    build_rows,
)
from databorder.gui.mapwidget import WorldMapWidget
from databorder.model import SEVERITY_ORDER, Assessment
from databorder.policy.evaluate import could_not_attribute
from databorder.policy.explain import verdict_reason
from databorder.report.worldmap import LAYERS, Layer, country_severities, no_hosting_reason

#: Banner colours by verdict: (background, text); readable in light and dark themes alike.
BANNER = {"allow": ("#1e6b34", "#ffffff"), "review": ("#8a5a00", "#ffffff"), "prohibit": ("#9b1c1c", "#ffffff")}
ANY = "any"
#: The map layer switch's words: what each layer answers, in the user's question.
LAYER_CHOICES: dict[Layer, str] = {"hosted": "&Where it is hosted", "law": "Whose &law reaches it"}
#: Columns that keep their content's width (short words and numbers).
FIXED = (SEVERITY, ROLE, HOSTING, RELEVANCE)
#: The widest a column is sized to its content, and the others' order of giving way when the table is narrow,
#: each down to its floor: the worst finding's rule first (its tooltip and the detail pane tell it in full), then
#: the network operator (hosting's detail), the service operator, then the same again to lower floors; the
#: endpoint's name last.
CAPS = {ENDPOINT: 300, HOSTING: 180, NETWORK: 200, SERVICE: 300, WORST: 300}
GIVE_WAY = (
    *((WORST, 120), (NETWORK, 100), (SERVICE, 170)),
    *((WORST, 60), (NETWORK, 60), (SERVICE, 120)),
    *((ENDPOINT, 200), (ENDPOINT, 140)),
)


class _ElideRight(QStyledItemDelegate):
    """Cells cut at their end (the view cuts the others in the middle)."""

    def initStyleOption(self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> None:
        super().initStyleOption(option, index)
        option.textElideMode = Qt.TextElideMode.ElideRight


class ResultView(QWidget):
    """Shows one Assessment; holds no logic beyond choosing what to display."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.assessment: Assessment | None = None
        self.hosting_gap: str | None = None  # why the hosted map layer is empty (offline, DNS failed), or None

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
        self.unattributed.setTextFormat(Qt.TextFormat.RichText)
        self.unattributed.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse | Qt.TextInteractionFlag.LinksAccessibleByMouse
            | Qt.TextInteractionFlag.LinksAccessibleByKeyboard
        )  # fmt: skip
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
        self.could_not_attribute = QCheckBox("Could not &attribute")
        self.could_not_attribute.setObjectName("couldNotAttributeFilter")
        self.could_not_attribute.setToolTip(
            "Only the data endpoints nobody could attribute: no table, catalog or inference names who runs "
            "them, and their hosting is unknown"
        )
        filters = QHBoxLayout()
        filters.addWidget(self.text_filter, 2)
        self.country_caption = QLabel()
        widest = self.country_caption.fontMetrics().horizontalAdvance("Country (whose law)")
        self.country_caption.setMinimumWidth(widest)  # the filter row does not shift when the layer changes
        for caption, combo in (
            (self.country_caption, self.country),
            (QLabel("&Severity"), self.severity),
            (QLabel("&Role"), self.role),
        ):
            caption.setBuddy(combo)
            filters.addWidget(caption)
            filters.addWidget(combo)
        filters.addWidget(self.hide_low)
        filters.addWidget(self.could_not_attribute)
        self.shown = QLabel()
        self.shown.setObjectName("shownCount")
        filters.addWidget(self.shown)

        self.model = EndpointTableModel(self)
        self.proxy = EndpointFilterProxy(self)
        self.proxy.setSourceModel(self.model)
        self.table = QTableView()
        self.table.setObjectName("endpointTable")
        self.table.setTextElideMode(Qt.TextElideMode.ElideMiddle)  # a host's or operator's ends say the most
        self.table.setItemDelegateForColumn(WORST, _ElideRight(self.table))  # a rule id: its start says most
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
        self.table.viewport().installEventFilter(self)  # refit the columns when the table's width changes
        self.content_widths: dict[int, int] = {}

        self.detail = QTextBrowser()
        self.detail.setObjectName("endpointDetail")
        self.detail.setAccessibleName("Endpoint details")
        self.detail.setOpenExternalLinks(False)
        self.detail.setPlaceholderText("Select an endpoint to see its evidence, DNS, attribution and rules.")

        self.map = WorldMapWidget()
        self.map.country_clicked.connect(self._country_clicked)
        self.layer_buttons = QButtonGroup(self)
        self.layer_button: dict[Layer, QRadioButton] = {}
        layer_bar = QHBoxLayout()
        layer_bar.setContentsMargins(0, 0, 0, 0)
        caption = QLabel("Map:")
        layer_bar.addWidget(caption)
        for layer, text in LAYER_CHOICES.items():
            button = QRadioButton(text)
            button.setObjectName(f"layer-{layer}")
            button.setToolTip(LAYERS[layer])
            button.setAccessibleDescription(f"Show on the map {LAYERS[layer][0].lower()}{LAYERS[layer][1:]}")
            self.layer_buttons.addButton(button)
            self.layer_button[layer] = button
            layer_bar.addWidget(button)
        self.layer_note = QLabel()
        self.layer_note.setObjectName("layerNote")
        self.layer_note.setWordWrap(True)
        self.layer_note.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.layer_note.setVisible(False)
        layer_bar.addWidget(self.layer_note, 1)
        layer_bar.addStretch()  # the buttons stay together when there is no note
        self.layer_buttons.buttonToggled.connect(self._layer_toggled)
        map_panel = QWidget()
        map_panel.setObjectName("mapPanel")
        map_layout = QVBoxLayout(map_panel)
        map_layout.setContentsMargins(0, 0, 0, 0)
        map_layout.setSpacing(2)
        map_layout.addLayout(layer_bar)
        map_layout.addWidget(self.map, 1)

        top = QSplitter(Qt.Orientation.Horizontal)
        top.setObjectName("tableSplitter")
        top.addWidget(self.table)
        top.addWidget(self.detail)
        top.setStretchFactor(0, 3)
        top.setStretchFactor(1, 2)
        top.setSizes([920, 340])  # at 1280 wide the table's columns fit without scrolling; the detail reads well
        body = QSplitter(Qt.Orientation.Vertical)
        body.setObjectName("resultSplitter")
        body.addWidget(top)
        body.addWidget(map_panel)
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
        self.could_not_attribute.toggled.connect(self._refilter)
        self.unattributed.linkActivated.connect(lambda _: self.could_not_attribute.setChecked(True))
        self._set_country_caption("hosted")

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
            escape(f"Could not attribute {len(unknown)} data endpoint{'s' if len(unknown) != 1 else ''}: {names} ")
            + "(<a href='#could-not-attribute' style='color: inherit'>show only them</a>; "
            "select one for what would settle it)"
        )
        self.could_not_attribute.setText(f"Could not &attribute ({len(unknown)})")
        self.could_not_attribute.setEnabled(bool(unknown))
        changes = assessment.changes_since
        self.changes.setVisible(changes is not None)
        self.changes.setText(f"What changed {changes.since()}: {'; '.join(changes.in_words())}" if changes else "")
        rows = build_rows(assessment)
        self.model.show(rows)
        self._fill(self.severity, [s for s in reversed(SEVERITY_ORDER)])
        self._fill(self.role, sorted({role for r in rows for role in r.roles}))
        self.text_filter.clear()
        self.hide_low.setChecked(False)
        self.could_not_attribute.setChecked(False)
        # With no hosting data (offline, DNS failed) the hosted layer is empty: whose law reaches it is shown.
        self.hosting_gap = no_hosting_reason(assessment)
        self.show_layer("law" if self.hosting_gap else "hosted")
        self.table.sortByColumn(SEVERITY, Qt.SortOrder.DescendingOrder)  # worst first, and the header shows it
        self._size_columns(rows)
        self.detail.clear()
        self._refilter()
        if self.proxy.rowCount():
            self.table.selectRow(0)

    # --- the map's layers ----------------------------------------------------------------------------------------

    @property
    def layer(self) -> Layer:
        """The map layer shown (and the one the country filter and a click on the map are of)."""
        return self.map.layer

    def show_layer(self, layer: Layer) -> None:
        """Show ``layer`` on the map, tick its button, and make the country filter one of that layer's."""
        for each, button in self.layer_button.items():
            button.blockSignals(True)
            button.setChecked(each == layer)
            button.blockSignals(False)
        if self.assessment is None:
            return
        self.map.show_levels(country_severities(self.assessment, layer), layer)
        self._set_country_caption(layer)
        self._fill(self.country, sorted({c for r in self.model.rows for c in r.countries_on(layer)}))
        gap = self.hosting_gap
        self.layer_note.setVisible(bool(gap))
        if gap:
            shown = "it shows whose law reaches the data" if layer == "law" else "the hosted layer is empty"
            self.layer_note.setText(f"No hosting data: {gap}; {shown}.")
        self._refilter()

    def _layer_toggled(self, button: QAbstractButton, checked: bool) -> None:
        if checked:
            self.show_layer("law" if button is self.layer_button["law"] else "hosted")

    def _set_country_caption(self, layer: Layer) -> None:
        hosted = layer == "hosted"
        self.country_caption.setText("&Country (hosted)" if hosted else "&Country (whose law)")
        self.country.setAccessibleName("Hosting country" if hosted else "Country whose law reaches it")
        self.country.setToolTip(
            "Endpoints hosted in this country" if hosted else "Endpoints whose service operator or an owner is here"
        )

    # --- column widths ------------------------------------------------------------------------------------------

    def _size_columns(self, rows: list[Row]) -> None:
        """Size each column to its content, hide those with no value in any row, then fit them to the table."""
        for column in range(len(COLUMNS)):
            empty = column not in (SEVERITY, ENDPOINT) and not any(r.cells[column] for r in rows)
            self.table.setColumnHidden(column, empty)
        self.table.resizeColumnsToContents()
        self.content_widths = {
            c: min(self.table.columnWidth(c), CAPS.get(c, 10_000))
            for c in range(len(COLUMNS))
            if not self.table.isColumnHidden(c)
        }
        self.fit_columns()

    def fit_columns(self) -> None:
        """Fit the columns to the table's width: fixed ones keep their content's width, the others give way.

        They give way in :data:`GIVE_WAY`'s order (elided, full text in the tooltip), so each row's severity and
        name stay in view; the last column takes what is left.
        """
        if not self.content_widths:
            return
        widths = dict(self.content_widths)
        excess = sum(widths.values()) - self.table.viewport().width()
        header = self.table.horizontalHeader()
        for column, least in GIVE_WAY:
            if excess <= 0:
                break
            if column in widths:
                floor = max(least, header.sectionSizeHint(column))  # a header is never cut
                cut = max(0, min(excess, widths[column] - floor))
                widths[column] -= cut
                excess -= cut
        for column, width in widths.items():
            self.table.setColumnWidth(column, width)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.table.viewport() and event.type() == QEvent.Type.Resize:
            self.fit_columns()
        return super().eventFilter(watched, event)

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
            unattributed_only=self.could_not_attribute.isChecked(),
            layer=self.layer,
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
