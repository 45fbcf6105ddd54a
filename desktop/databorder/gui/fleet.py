"""Beyond one app: the History window (kept assessments, what changed) and the "This computer" window (inventory).

Thin views over the engine functions the CLI calls (``databorder history``/``diff``: :mod:`databorder.history`;
``databorder inventory --assess``: :func:`databorder.inventory.find_apps`, :func:`databorder.assess.assess_paths`);
all engine work runs as background operations of the window's :class:`~databorder.gui.operations.Operations`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSplitter,
    QTableView,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from databorder.model import Assessment

if TYPE_CHECKING:
    from databorder.assess import PathAssessed
    from databorder.configure import Configuration
    from databorder.gui.operations import OperationProgress, Operations, StageProgress
    from databorder.history import Saved
    from databorder.inventory import Inventory

HISTORY = "history"
HISTORY_ITEM = "history-item"
INVENTORY = "inventory"
INVENTORY_ASSESS = "inventory-assess"


def _table(model: QStandardItemModel, name: str) -> QTableView:
    view = QTableView()
    view.setObjectName(name)
    view.setModel(model)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.setSortingEnabled(True)
    view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    view.horizontalHeader().setStretchLastSection(True)
    return view


def _item(text: object, data: object = None) -> QStandardItem:
    item = QStandardItem("" if text is None else str(text))
    if data is not None:
        item.setData(data, Qt.ItemDataRole.UserRole)
    return item


class HistoryWindow(QDialog):
    """The assessments kept on this computer, newest first; what changed since each one's previous; Open."""

    HEADERS = ("Id", "When (UTC)", "Target", "Verdict", "Score", "Endpoints", "Findings")

    def __init__(
        self,
        operations: Operations,
        open_assessment: Callable[[Assessment], None],
        report_error: Callable[[BaseException, str], None],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("historyWindow")
        self.setWindowTitle("DataBorder — History")
        self.resize(1000, 600)
        self.operations = operations
        self.open_assessment = open_assessment
        self.report_error = report_error
        self.selected: Assessment | None = None
        self.model = QStandardItemModel(0, len(self.HEADERS))
        self.model.setHorizontalHeaderLabels(self.HEADERS)
        self.table = _table(self.model, "historyTable")
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._selected())
        self.summary = QLabel()
        self.summary.setObjectName("historySummary")
        self.changes = QTextBrowser()
        self.changes.setObjectName("historyChanges")
        self.open_button = QPushButton("&Open")
        self.open_button.setObjectName("historyOpen")
        self.open_button.setEnabled(False)
        self.open_button.clicked.connect(self._open)
        refresh = QPushButton("&Refresh")
        refresh.clicked.connect(self.refresh)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.table)
        split.addWidget(self.changes)
        buttons = QHBoxLayout()
        buttons.addWidget(self.open_button)
        buttons.addWidget(refresh)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(split, 1)
        layout.addLayout(buttons)

    def refresh(self) -> None:
        """Read the kept assessments again (in the background)."""
        from databorder.history import HistoryStore, history_path

        def work(_progress: OperationProgress) -> tuple[list[Saved], int]:
            if not history_path().exists():  # looking makes no store
                return [], 0
            with HistoryStore() as store:
                return store.list(), store.count()

        if not self.operations.busy(HISTORY):
            self.operations.run(work, kind=HISTORY).success(self.show_rows).failure(
                lambda exc: self.report_error(exc, "reading the history")
            )

    def show_rows(self, found: tuple[list[Saved], int]) -> None:
        """One row per kept assessment."""
        rows, total = found
        self.model.removeRows(0, self.model.rowCount())
        for saved in rows:
            cells = [
                _item(saved.id, saved.id),
                _item(saved.created.replace("T", " ").removesuffix("+00:00")),
                _item(saved.target_name),
                _item(saved.verdict),
                _item(saved.score),
                _item(saved.endpoints),
                _item(saved.findings),
            ]
            cells[0].setData(saved.id, Qt.ItemDataRole.DisplayRole)  # sorts as a number
            self.model.appendRow(cells)
        self.summary.setText(f"{total:,} assessments kept on this computer" if total else "No assessment is kept yet.")
        self.table.resizeColumnsToContents()

    def select_row(self, row: int) -> None:
        """Select a row (as a click does)."""
        self.table.selectRow(row)

    def _selected(self) -> None:
        rows = self.table.selectionModel().selectedRows()
        if not rows or self.operations.busy(HISTORY_ITEM):
            return
        row_id = int(self.model.item(rows[0].row(), 0).data(Qt.ItemDataRole.UserRole))
        from databorder.history import HistoryStore

        def work(_progress: OperationProgress) -> Assessment:
            with HistoryStore() as store:
                return store.get(row_id)

        self.operations.run(work, kind=HISTORY_ITEM).success(self.show_changes).failure(
            lambda exc: self.report_error(exc, "reading the history")
        )

    def show_changes(self, assessment: Assessment) -> None:
        """What changed since the selected assessment's previous one, as the console says it."""
        self.selected = assessment
        self.open_button.setEnabled(True)
        changes = assessment.changes_since
        if changes is None:
            text = f"{assessment.target.name}: the first assessment of this target kept here."
            self.changes.setPlainText(text)
            return
        lines = [
            f"{assessment.target.name} ({assessment.verdict} {assessment.score}/100)",
            f"What changed {changes.since()}:",
        ]
        self.changes.setPlainText("\n".join([*lines, *(f"  • {line}" for line in changes.in_words())]))

    def _open(self) -> None:
        if self.selected is not None:
            self.open_assessment(self.selected)


class ComputerWindow(QDialog):
    """The "This computer" window: the AI apps installed for this user and machine, each one's verdict once assessed."""

    HEADERS = ("App", "Name", "Version", "Verdict", "Found in", "Why", "Path")
    VERDICT, PATH = 3, 6

    def __init__(
        self,
        operations: Operations,
        configure: Callable[[dict[str, Any]], Configuration],
        report_error: Callable[[BaseException, str], None],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("computerWindow")
        self.setWindowTitle("DataBorder — This computer")
        self.resize(1200, 650)
        self.operations = operations
        self.configure = configure
        self.report_error = report_error
        self.inventory: Inventory | None = None
        self.assessed: list[PathAssessed] = []
        self.model = QStandardItemModel(0, len(self.HEADERS))
        self.model.setHorizontalHeaderLabels(self.HEADERS)
        self.table = _table(self.model, "computerTable")
        self.status = QLabel("Look for the AI apps installed here: editor and browser extensions, npm and Python "
                             "packages, desktop apps.")  # fmt: skip
        self.status.setObjectName("computerStatus")
        self.status.setWordWrap(True)
        self.find_button = QPushButton("&Find AI apps")
        self.find_button.setObjectName("computerFind")
        self.find_button.clicked.connect(lambda: self.find_apps())
        self.assess_button = QPushButton("&Assess each (offline)")
        self.assess_button.setObjectName("computerAssess")
        self.assess_button.setEnabled(False)
        self.assess_button.clicked.connect(self.assess)
        self.cancel_button = QPushButton("&Cancel")
        self.cancel_button.setObjectName("computerCancel")
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancel)
        buttons = QHBoxLayout()
        for button in (self.find_button, self.assess_button, self.cancel_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.status)
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)

    def find_apps(self, *, home: Path | None = None, root: Path | None = None) -> None:
        """Run the inventory in the background."""
        from databorder.inventory import find_apps

        def work(progress: OperationProgress) -> Inventory:
            return find_apps(
                home=home,
                root=root,
                progress=lambda done, total: progress.report("Looking for AI apps", done, total),
                cancelled=lambda: progress.cancelled,
            )

        if self.operations.busy(INVENTORY):
            return
        self.find_button.setEnabled(False)
        self.status.setText("Looking…")
        operation = self.operations.run(work, kind=INVENTORY)
        operation.success(self.show_inventory).failure(self._failed)

    def show_inventory(self, inventory: Inventory) -> None:
        """One row per app found."""
        self.inventory = inventory
        self.assessed = []
        self.find_button.setEnabled(True)
        self.model.removeRows(0, self.model.rowCount())
        for app in inventory.apps:
            self.model.appendRow(
                [
                    _item(app.app or "unknown"),
                    _item(app.name),
                    _item(app.version),
                    _item(""),
                    _item(app.where),
                    _item("; ".join(app.signals)),
                    _item(app.path, app.path),
                ]
            )
        known = len(inventory.known)
        problems = f"; {len(inventory.problems)} files could not be read" if inventory.problems else ""
        self.status.setText(f"{known} known AI apps and {len(inventory.apps) - known} unknown ones{problems}.")
        self.assess_button.setEnabled(bool(inventory.apps))
        self.table.resizeColumnsToContents()

    def assess(self) -> None:
        """Assess each app found by a static scan of its files, offline, one after another (cancellable)."""
        if self.inventory is None or self.operations.busy(INVENTORY_ASSESS):
            return
        from databorder.assess import assess_paths
        from databorder.collect.targets import TargetRequest

        try:
            config = self.configure({"offline": True})
        except Exception as exc:  # a broken setting or policy: said in a dialog
            self.report_error(exc, "preparing the assessments")
            return
        paths = list(dict.fromkeys(Path(a.path) for a in self.inventory.apps if a.found_by != "process"))

        def work(progress: OperationProgress) -> list[PathAssessed]:
            return assess_paths(
                paths, config.request(TargetRequest()), config.assess_options(), progress, notes=config.notes
            )

        self.assess_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        operation = self.operations.run(work, kind=INVENTORY_ASSESS)
        operation.progress_changed.connect(self._progress)
        operation.success(self.show_verdicts).failure(self._failed)

    def _progress(self, latest: StageProgress) -> None:
        from databorder.assess import APPS_STAGE

        if latest.stage == APPS_STAGE:
            self.status.setText(f"Assessing app {latest.done + 1:,} of {latest.total:,}…")

    def cancel(self) -> None:
        """Stop after the app being assessed."""
        self.operations.cancel(INVENTORY_ASSESS)
        self.operations.cancel(INVENTORY)
        self.cancel_button.setEnabled(False)

    def show_verdicts(self, results: list[PathAssessed]) -> None:
        """Each app's verdict beside it (or why it could not be assessed)."""
        self.assessed = results
        by_path = {str(r.path): r for r in results}
        for row in range(self.model.rowCount()):
            result = by_path.get(str(self.model.item(row, self.PATH).data(Qt.ItemDataRole.UserRole)))
            if result is None:
                continue
            if result.assessment is not None:
                text = f"{result.assessment.verdict} {result.assessment.score}"
                if result.history_id is not None:
                    text += f" (#{result.history_id})"
            else:
                text = result.problem or ""
            self.model.item(row, self.VERDICT).setText(text)
        self.cancel_button.setEnabled(False)
        self.assess_button.setEnabled(True)
        done = sum(r.assessment is not None for r in results)
        self.status.setText(f"{done} of {len(results)} apps assessed; each is kept in the history.")

    def _failed(self, exc: BaseException) -> None:
        self.find_button.setEnabled(True)
        self.cancel_button.setEnabled(False)
        self.assess_button.setEnabled(self.inventory is not None)
        self.report_error(exc, "looking at this computer")
