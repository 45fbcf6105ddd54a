"""The endpoints table: a model over an Assessment's endpoints and a proxy that filters them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, QSortFilterProxyModel, Qt
from PySide6.QtGui import QColor, QFont, QGuiApplication, QPalette

from databorder.gui.detail import TEXT_LIMIT
from databorder.model import SEVERITY_ORDER, Assessment, Endpoint, Finding
from databorder.policy.evaluate import unattributed
from databorder.report.worldmap import Layer

#: The table's columns, severity first: the verdict of each endpoint is what a reader decides on, so it is
#: never past the right edge; the rule of the worst finding comes last (its words are in the tooltip and the
#: detail pane).
COLUMNS = (
    "Severity",
    "Endpoint",
    "Role",
    "Hosted in",
    "Network",
    "Service operator",
    "Relevance",
    "Rule",
)
#: What each column holds, for its header's tooltip (headers may be cut when the table is narrow).
COLUMN_HELP = (
    "Severity of the endpoint's worst finding (none: no rule was triggered)",
    "Host name or address",
    "What the app uses it for (api, auth, telemetry…)",
    "Country of its addresses (GeoIP or cloud region)",
    "Network operator of its addresses (from the ASN)",
    "Who runs the service, and its owners, with their countries: whose law reaches the data",
    "How likely it is a data endpoint (0–1)",
    "The rule of its worst finding (pack/rule); hover for its message",
)
SEVERITY, ENDPOINT, ROLE, HOSTING, NETWORK, SERVICE, RELEVANCE, WORST = range(len(COLUMNS))
NO_FINDING = "none"
SEVERITY_COLOURS = {"prohibit": "#b3261e", "review": "#9a6b00", "info": "#3d5f8a"}
SEVERITY_COLOURS_ON_DARK = {"prohibit": "#ff8a80", "review": "#ffd166", "info": "#9ec5ff"}
LOW_RELEVANCE = 0.5

Index = QModelIndex | QPersistentModelIndex


@dataclass(frozen=True)
class Row:
    """One table row: the endpoint, what the table shows of it, and text a filter searches."""

    endpoint: Endpoint
    cells: tuple[str, ...]
    countries: frozenset[str]  # where its addresses are hosted
    law_countries: frozenset[str]  # whose law reaches it: the service operator's and its owners' countries
    roles: frozenset[str]
    worst: str  # "" when no finding
    worst_finding: str  # the worst finding in words, with its pack and rule; "" when none
    unattributed: bool  # nobody could say who runs it (policy.evaluate.unattributed)
    haystack: str  # lower-case text the text filter searches

    @property
    def severity_rank(self) -> int:
        return SEVERITY_ORDER.index(self.worst) + 1 if self.worst else 0

    def sort_key(self, column: int) -> tuple[object, ...]:
        """How this row sorts by ``column``: severity and relevance by value, text without case; ties by name."""
        name = self.cells[ENDPOINT]
        if column == SEVERITY:
            return (self.severity_rank, self.endpoint.relevance, name)
        if column == WORST:
            return (self.severity_rank, self.cells[WORST].lower(), name)
        if column == RELEVANCE:
            return (self.endpoint.relevance, name)
        return (self.cells[column].lower(), name)

    def countries_on(self, layer: Layer) -> frozenset[str]:
        """The countries this row marks on a map layer ("hosted" or "law")."""
        return self.law_countries if layer == "law" else self.countries


def build_rows(assessment: Assessment) -> list[Row]:
    """The table's rows, worked out once per assessment (so sorting and filtering stay fast)."""
    by_endpoint: dict[str, list[Finding]] = {}
    for finding in assessment.findings:
        by_endpoint.setdefault(finding.endpoint, []).append(finding)
    return [_row(endpoint, by_endpoint.get(endpoint.key, [])) for endpoint in assessment.endpoints]


def _row(endpoint: Endpoint, findings: list[Finding]) -> Row:
    countries = sorted({c for a in endpoint.addresses for c in a.possible_countries})  # uncertain: either
    operators = sorted({a.network_operator.name for a in endpoint.addresses if a.network_operator})
    if not operators:
        operators = sorted({a.as_organization for a in endpoint.addresses if a.as_organization})
    service = ""
    if endpoint.service:
        service = endpoint.service.chain_in_words()
    worst = max((f.severity for f in findings), key=SEVERITY_ORDER.index, default="")
    rule = worst_finding = ""
    if worst:
        top = max(findings, key=lambda f: (SEVERITY_ORDER.index(f.severity), f.points))
        rule = top.rule
        worst_finding = f"{worst}: {top.message} (rule {top.pack}/{top.rule})"
    hosting = ", ".join(countries) or _unplaced(endpoint)
    if any(a.anycast for a in endpoint.addresses):
        hosting += " (anycast edge)"
    roles = [_cut(role, _NAME_LIMIT) for role in endpoint.roles]
    cells = tuple(
        _cut(cell, CELL_LIMIT)
        for cell in (
            worst or NO_FINDING,
            endpoint.key,
            ", ".join(roles),
            hosting,
            ", ".join(operators),
            service,
            f"{endpoint.relevance:.2f}",
            rule,
        )
    )
    messages = (_cut(f"{f.message} {f.rule}", TEXT_LIMIT) for f in findings)
    return Row(
        endpoint=endpoint,
        cells=cells,
        countries=frozenset(countries),
        law_countries=frozenset(endpoint.service.countries if endpoint.service else ()),
        roles=frozenset(roles),
        worst=worst,
        worst_finding=_cut(worst_finding, TEXT_LIMIT),
        unattributed=unattributed(endpoint),
        haystack=" ".join((*cells[1:], worst, *messages)).lower(),
    )


#: The most characters a table cell, a role in the filter list or a tooltip holds: a hostile saved assessment's
#: 10 MB role or operator name froze the window for a minute laying it out.
CELL_LIMIT = 300
_NAME_LIMIT = 100


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else f"{text[:limit]}… ({len(text) - limit:,} more characters)"


def _unplaced(endpoint: Endpoint) -> str:
    if any(a.scope == "local" for a in endpoint.addresses):
        return "local network"
    status = endpoint.resolution.status
    if status == "skipped":
        return "not looked up"  # offline, cancelled before DNS, or a bare address
    return "" if status == "ok" else f"not resolved ({status})"


class EndpointTableModel(QAbstractTableModel):
    """Read-only rows of one assessment; replaced wholesale when a new assessment is shown."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.rows: list[Row] = []

    def show(self, rows: Sequence[Row]) -> None:
        """Show these rows instead of the current ones."""
        self.beginResetModel()
        self.rows = list(rows)
        self.endResetModel()

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Sort in Python by precomputed keys; selections survive (persistent indexes are moved).

        The proxy's own sort calls back into Python for every comparison: 430 ms per filter change at 5,000 rows;
        this takes milliseconds.
        """
        if not 0 <= column < len(COLUMNS):
            return
        self.layoutAboutToBeChanged.emit()
        before = {id(row): i for i, row in enumerate(self.rows)}
        self.rows.sort(key=lambda row: row.sort_key(column), reverse=order == Qt.SortOrder.DescendingOrder)
        after = {before[id(row)]: i for i, row in enumerate(self.rows)}
        old = self.persistentIndexList()
        new = [self.index(after[index.row()], index.column()) for index in old]
        self.changePersistentIndexList(old, new)
        self.layoutChanged.emit()

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 (Qt's names)
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation != Qt.Orientation.Horizontal:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        if role == Qt.ItemDataRole.ToolTipRole:
            return COLUMN_HELP[section]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row = self.rows[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return row.cells[column]
        if role == Qt.ItemDataRole.ToolTipRole:
            return _tooltip(row, column)
        if role == Qt.ItemDataRole.ForegroundRole and column in (SEVERITY, WORST) and row.worst in SEVERITY_COLOURS:
            dark = QGuiApplication.palette().color(QPalette.ColorRole.Base).lightness() < 128
            return QColor((SEVERITY_COLOURS_ON_DARK if dark else SEVERITY_COLOURS)[row.worst])
        if role == Qt.ItemDataRole.FontRole and column == SEVERITY and row.worst == "prohibit":
            font = QFont()
            font.setBold(True)  # not by colour alone
            return font
        return None


def _tooltip(row: Row, column: int) -> str:
    """A cell's full text (cells are elided to fit), the severity with the finding it comes from."""
    if column in (SEVERITY, WORST):
        return f"Worst finding: {row.worst_finding}" if row.worst else "No rule was triggered for this endpoint"
    if column == HOSTING and row.unattributed:
        return f"{row.cells[HOSTING] or 'hosting unknown'}; could not attribute who runs it"
    return row.cells[column]


@dataclass(frozen=True)
class EndpointFilter:
    """What the user narrowed the table to; empty fields do not filter."""

    text: str = ""
    country: str = ""
    severity: str = ""  # at least this severity
    role: str = ""
    hide_low_relevance: bool = False
    unattributed_only: bool = False  # only the data endpoints nobody could attribute
    layer: Layer = "hosted"  # which map layer ``country`` is of: hosting ("hosted") or whose law ("law")

    def accepts(self, row: Row) -> bool:
        """True when ``row`` passes every part of the filter."""
        if self.hide_low_relevance and row.endpoint.relevance < LOW_RELEVANCE:
            return False
        if self.unattributed_only and not row.unattributed:
            return False
        if self.country and self.country not in row.countries_on(self.layer):
            return False
        if self.role and self.role not in row.roles:
            return False
        if self.severity and row.severity_rank < SEVERITY_ORDER.index(self.severity) + 1:
            return False
        return not self.text or self.text.lower() in row.haystack


class EndpointFilterProxy(QSortFilterProxyModel):
    """Sorting by each column's natural order and filtering by :class:`EndpointFilter`."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.criteria = EndpointFilter()

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Sorting is the source model's (fast, in Python); the proxy only filters, keeping its order."""
        model = self.sourceModel()
        if isinstance(model, EndpointTableModel):
            model.sort(column, order)

    def set_filter(self, criteria: EndpointFilter) -> None:
        """Filter by ``criteria`` (re-filters at once)."""
        if hasattr(self, "beginFilterChange"):  # Qt ≥ 6.10; invalidateRowsFilter() is deprecated there
            self.beginFilterChange()
            self.criteria = criteria
            self.endFilterChange(QSortFilterProxyModel.Direction.Rows)
        else:  # pragma: no cover - older Qt
            self.criteria = criteria
            self.invalidateRowsFilter()

    def filterAcceptsRow(self, source_row: int, source_parent: Index) -> bool:
        model = self.sourceModel()
        assert isinstance(model, EndpointTableModel)
        return self.criteria.accepts(model.rows[source_row])

    def endpoint_at(self, index: QModelIndex) -> Endpoint | None:
        """The endpoint shown at a view index, or None."""
        if not index.isValid():
            return None
        model = self.sourceModel()
        assert isinstance(model, EndpointTableModel)
        return model.rows[self.mapToSource(index).row()].endpoint
