"""The target picker: search the catalog, pick a folder, file, running app or capture; choose rule packs; Assess."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QSortFilterProxyModel, Qt, Signal
from PySide6.QtGui import QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from databorder.catalog import Catalog
from databorder.collect.live import WatchedProcess
from databorder.collect.targets import TargetRequest, request_for_path
from databorder.options import SPECS

CATALOG_COLUMNS = ("App", "Vendor", "Jurisdiction", "Kind", "Declared data location")


@dataclass(frozen=True)
class PackChoice:
    """A rule pack offered in the picker: how to name it to the engine, and whether the user may untick it."""

    name: str  # id, or file path for packs found in extra folders
    title: str
    origin: str
    locked: bool = False
    checked: bool = False


class TargetPicker(QWidget):
    """The first page: what to assess and with which packs; emits ``assess_requested`` with the choice."""

    assess_requested = Signal(object, tuple)  # TargetRequest, pack names
    watch_requested = Signal()  # the window opens the process chooser
    open_requested = Signal(Path)  # a saved assessment or file chosen here

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.request = TargetRequest()
        self.catalog: Catalog | None = None
        self._pack_boxes: dict[str, QCheckBox] = {}

        heading = QLabel("<h2>What do you want to assess?</h2>")
        self.search = QLineEdit(placeholderText="Search AI apps by name, vendor or jurisdiction")
        self.search.setObjectName("catalogSearch")
        self.search.setAccessibleName("Search the catalog")
        self.search.setClearButtonEnabled(True)

        self.apps = QStandardItemModel(0, len(CATALOG_COLUMNS), self)
        self.apps.setHorizontalHeaderLabels(CATALOG_COLUMNS)
        self.filtered = QSortFilterProxyModel(self)
        self.filtered.setSourceModel(self.apps)
        self.filtered.setFilterKeyColumn(-1)
        self.filtered.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.search.textChanged.connect(self.filtered.setFilterFixedString)

        self.table = QTableView()
        self.table.setObjectName("catalogTable")
        self.table.setAccessibleName("AI apps in the catalog")
        self.table.setModel(self.filtered)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSortingEnabled(True)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.selectionModel().selectionChanged.connect(self._app_selected)
        self.table.doubleClicked.connect(lambda _: self._assess())

        self.scan_folder = QPushButton("Scan an app &folder…")
        self.scan_file = QPushButton("Scan a f&ile or archive…")
        self.watch = QPushButton("&Watch a running app…")
        self.capture = QPushButton("&Import capture…")
        for button, name in (
            (self.scan_folder, "scanFolder"),
            (self.scan_file, "scanFile"),
            (self.watch, "watchProcess"),
            (self.capture, "importCapture"),
        ):
            button.setObjectName(name)
        self.scan_folder.clicked.connect(self._choose_folder)
        self.scan_file.clicked.connect(self._choose_file)
        self.watch.clicked.connect(self.watch_requested)
        self.capture.clicked.connect(self._choose_capture)
        sources = QHBoxLayout()
        for button in (self.scan_folder, self.scan_file, self.watch, self.capture):
            sources.addWidget(button)
        sources.addStretch(1)

        self.chosen = QLabel("Pick an app from the catalog, or one of the other sources. You can also drop files here.")
        self.chosen.setObjectName("chosenTarget")
        self.chosen.setWordWrap(True)

        self.packs_box = QGroupBox("Rule packs to apply")
        self.packs_box.setObjectName("packs")
        self.packs_layout = QVBoxLayout(self.packs_box)

        self.assess_button = QPushButton("&Assess")
        self.assess_button.setObjectName("assessButton")
        self.assess_button.setDefault(True)
        self.assess_button.setEnabled(False)
        self.assess_button.clicked.connect(self._assess)
        bottom = QHBoxLayout()
        bottom.addWidget(self.chosen, 1)
        bottom.addWidget(self.assess_button)

        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        layout.addWidget(self.search)
        layout.addWidget(self.table, 1)
        layout.addLayout(sources)
        layout.addWidget(self.packs_box)
        layout.addLayout(bottom)

    # --- filling in ---------------------------------------------------------------------------------------------

    def show_catalog(self, catalog: Catalog) -> None:
        """List the catalog's apps (called once the catalog is loaded, off the start-up path)."""
        self.catalog = catalog
        self.apps.removeRows(0, self.apps.rowCount())
        for app in sorted(catalog.apps.values(), key=lambda a: a.name.lower()):
            cells = [app.name, app.vendor, app.jurisdiction, app.kind, app.data_location]
            items = [QStandardItem(c) for c in cells]
            items[0].setData(app.id, Qt.ItemDataRole.UserRole)
            items[0].setToolTip(app.notes or app.name)
            self.apps.appendRow(items)

    def show_packs(self, choices: list[PackChoice], note: str = "") -> None:
        """Offer these packs as checkboxes; locked ones are ticked and cannot be unticked."""
        while self.packs_layout.count():
            item = self.packs_layout.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.deleteLater()
        self._pack_boxes = {}
        for choice in choices:
            box = QCheckBox(f"{choice.title or choice.name}  ({choice.origin})")
            box.setObjectName(f"pack:{choice.name}")
            box.setChecked(choice.checked or choice.locked)
            if choice.locked:
                box.setEnabled(False)
                box.setText(box.text() + " — required by your organisation")
                box.setToolTip("Managed by your organisation: this pack applies to every assessment on this computer.")
            self._pack_boxes[choice.name] = box
            self.packs_layout.addWidget(box)
        if note:
            self.packs_layout.addWidget(QLabel(note))

    def selected_packs(self) -> tuple[str, ...]:
        """The packs ticked (locked ones included)."""
        return tuple(name for name, box in self._pack_boxes.items() if box.isChecked())

    def pack_box(self, name: str) -> QCheckBox:
        """The checkbox of one pack (for tests and keyboard users' shortcuts)."""
        return self._pack_boxes[name]

    # --- choosing a target --------------------------------------------------------------------------------------

    def choose(self, request: TargetRequest, description: str) -> None:
        """Make ``request`` the target the Assess button runs."""
        self.request = request
        self.chosen.setText(f"<b>Target:</b> {description}")
        self.assess_button.setEnabled(not request.empty)

    def select_app(self, app_id: str) -> None:
        """Select a catalog app by id (as a click on its row does)."""
        for row in range(self.filtered.rowCount()):
            index = self.filtered.index(row, 0)
            if index.data(Qt.ItemDataRole.UserRole) == app_id:
                self.table.selectRow(row)
                return
        raise KeyError(app_id)

    def _app_selected(self) -> None:
        rows = self.table.selectionModel().selectedRows()
        if not rows or self.catalog is None:
            return
        app = self.catalog.apps[rows[0].data(Qt.ItemDataRole.UserRole)]
        self.choose(TargetRequest(apps=(app.id,)), f"{app.name} ({app.vendor}, {app.jurisdiction}) from the catalog")

    def choose_path(self, path: Path) -> None:
        """Scan a folder or file, or import a capture, depending on what ``path`` is."""
        request = request_for_path(path)
        what = "import capture" if request.captures else "scan"
        self.choose(request, f"{what} {path}")

    def _choose_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Scan an installed app's folder")
        if folder:
            self.choose(TargetRequest(paths=(Path(folder),)), f"scan {folder}")

    def _choose_file(self) -> None:
        name = self._open_file(
            "Scan an app file or archive",
            "Apps and archives (*.zip *.tgz *.tar.gz *.whl *.apk *.ipa *.asar *.jar *.exe *.AppImage)",
        )
        if name:
            self.choose(TargetRequest(paths=(Path(name),)), f"scan {name}")

    def _choose_capture(self) -> None:
        name = self._open_file(
            "Import a capture or log",
            "Captures and logs (*.har *.harp *.pcap *.pcapng *.cap *.log *.csv *.tsv *.txt *.gz *.zst *.xz *.bz2)",
        )
        if name:
            self.choose(TargetRequest(captures=(Path(name),)), f"import capture {name}")

    def _open_file(self, title: str, kinds: str) -> str:
        name, _ = QFileDialog.getOpenFileName(self, title, "", f"{kinds};;All files (*)")
        return name

    def _assess(self) -> None:
        if not self.request.empty:
            self.assess_requested.emit(self.request, self.selected_packs())


class ProcessDialog(QDialog):
    """Choose a running app to watch: a searchable process list and how long to watch it."""

    def __init__(
        self, processes: list[WatchedProcess], parent: QWidget | None = None, *, seconds: float | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("processDialog")
        self.setWindowTitle("Watch a running app")
        self.resize(520, 480)
        self.model = QStandardItemModel(0, 2, self)
        self.model.setHorizontalHeaderLabels(("Process", "PID"))
        for proc in processes:
            pid = QStandardItem()
            pid.setData(proc.pid, Qt.ItemDataRole.DisplayRole)
            name = QStandardItem(proc.name)
            name.setData(proc.pid, Qt.ItemDataRole.UserRole)
            self.model.appendRow([name, pid])
        self.filtered = QSortFilterProxyModel(self)
        self.filtered.setSourceModel(self.model)
        self.filtered.setFilterKeyColumn(-1)
        self.filtered.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.search = QLineEdit(placeholderText="Search processes")
        self.search.setAccessibleName("Search processes")
        self.search.textChanged.connect(self.filtered.setFilterFixedString)
        self.table = QTableView()
        self.table.setObjectName("processTable")
        self.table.setAccessibleName("Running processes")
        self.table.setModel(self.filtered)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSortingEnabled(True)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.doubleClicked.connect(lambda _: self.accept())
        self.duration = QSpinBox()
        self.duration.setObjectName("watchSeconds")
        self.duration.setAccessibleName("Seconds to watch")
        spec = SPECS["duration"]  # the range and default the CLI's --duration has
        self.duration.setRange(max(1, int(spec.minimum or 1)), int(spec.maximum or 3600))
        self.duration.setValue(int(spec.default if seconds is None else seconds))
        self.duration.setSuffix(" s")
        form = QFormLayout()
        form.addRow("&Watch for", self.duration)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.search)
        layout.addWidget(self.table, 1)
        layout.addLayout(form)
        layout.addWidget(buttons)

    def select_pid(self, pid: int) -> None:
        """Select a process by pid."""
        for row in range(self.filtered.rowCount()):
            if self.filtered.index(row, 0).data(Qt.ItemDataRole.UserRole) == pid:
                self.table.selectRow(row)
                return
        raise KeyError(pid)

    def chosen(self) -> tuple[TargetRequest, str] | None:
        """The watch request for the selected process, and a description of it; None if nothing is selected."""
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            return None
        pid = int(rows[0].data(Qt.ItemDataRole.UserRole))
        name = str(rows[0].data(Qt.ItemDataRole.DisplayRole))
        seconds = float(self.duration.value())
        return TargetRequest(pids=(pid,), duration=seconds), f"watch {name} (pid {pid}) for {seconds:g} s"
