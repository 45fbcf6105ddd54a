"""The main window: picker → running → result, menus, exports, settings, drag and drop.

Every slot here only moves data between widgets and engine calls; engine work runs through
:class:`~databorder.gui.operations.BackgroundOperation`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QAction, QCloseEvent, QDragEnterEvent, QDropEvent, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QFileDialog,
    QGridLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QMainWindow,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from databorder import __version__
from databorder.collect.targets import TargetRequest
from databorder.errors import DataBorderError
from databorder.model import Assessment
from databorder.options import SPECS

if TYPE_CHECKING:
    from databorder.attribute.store import DatabaseStatus
    from databorder.configure import Configuration
    from databorder.gui.settings import SettingsDialog
    from databorder.orgpolicy import OrgPolicy
    from databorder.report.export import ReportKind

from databorder.gui.errors import show_error
from databorder.gui.operations import BackgroundOperation, OperationProgress, Operations, StageProgress
from databorder.gui.picker import PackChoice, ProcessDialog, TargetPicker
from databorder.gui.results import ResultView
from databorder.stages import STAGE_NAMES, STAGES

log = logging.getLogger(__name__)

#: The operation kinds the window runs; each runs and is cancelled on its own.
ASSESS = "assess"
DOWNLOAD = "download"
OPEN = "open"
#: Saved assessments larger than this are read off the UI thread (a 240 MB file held it for 2.5 s).
OPEN_IN_BACKGROUND = 16 << 20


class RunningView(QWidget):
    """Stage-by-stage progress of a running assessment, and Cancel."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = QLabel("<h2>Assessing…</h2>")
        self.title.setObjectName("runningTitle")
        grid = QGridLayout()
        self.bars: dict[str, QProgressBar] = {}
        for row, (stage, title) in enumerate(STAGES):
            bar = QProgressBar()
            bar.setObjectName(f"progress:{stage}")
            bar.setAccessibleName(title)
            bar.setTextVisible(True)
            grid.addWidget(QLabel(title), row, 0)
            grid.addWidget(bar, row, 1)
            self.bars[stage] = bar
        self.cancel = QPushButton("&Cancel")
        self.cancel.setObjectName("cancelButton")
        self.note = QLabel("Cancel stops within a second and keeps what was gathered.")
        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addLayout(grid)
        layout.addWidget(self.note)
        layout.addWidget(self.cancel, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addStretch(1)

    def reset(self, description: str) -> None:
        """Empty bars for a new run."""
        self.title.setText(f"<h2>Assessing {description}…</h2>")
        self.cancel.setEnabled(True)
        self.cancel.setText("&Cancel")
        for bar in self.bars.values():
            bar.setRange(0, 1)
            bar.setValue(0)
            bar.setFormat("waiting")

    def show_progress(self, latest: StageProgress) -> None:
        """Fill the bars of finished stages and show the current one (busy when its total is unknown)."""
        stages = list(STAGE_NAMES)
        if latest.stage not in self.bars:
            return
        current = stages.index(latest.stage)
        for stage in stages[:current]:
            bar = self.bars[stage]
            bar.setRange(0, 1)
            bar.setValue(1)
            bar.setFormat("done")
        bar = self.bars[latest.stage]
        if latest.total > 0:
            bar.setRange(0, latest.total)
            bar.setValue(min(latest.done, latest.total))
            bar.setFormat(f"{latest.done:,} of {latest.total:,}")
        else:
            bar.setRange(0, 0)  # busy indicator
            bar.setFormat("working")


class MainWindow(QMainWindow):
    """DataBorder's one window."""

    def __init__(self, *, log_file: Path | None = None) -> None:
        super().__init__()
        self.setObjectName("mainWindow")
        self.setWindowTitle("DataBorder")
        self.resize(1280, 800)
        self.log_file = log_file
        self.assessment: Assessment | None = None
        self.operations = Operations(self)
        self.policy: OrgPolicy | None = None  # read in load_data(), after the window shows
        self.policy_error: DataBorderError | None = None
        self.last_error: QMessageBox | None = None

        self.picker = TargetPicker()
        self.running = RunningView()
        self.results = ResultView()
        self.pages = QStackedWidget()
        for page in (self.picker, self.running, self.results):
            self.pages.addWidget(page)
        self.setCentralWidget(self.pages)
        self.picker.assess_requested.connect(self.start_assessment)
        self.picker.watch_requested.connect(self.choose_process)
        self.running.cancel.clicked.connect(self.cancel)
        self._menus()
        self.setAcceptDrops(True)
        self.statusBar().showMessage("Loading the catalog…")
        QTimer.singleShot(0, self.load_data)  # after the window shows: start-up stays fast

    # --- menus --------------------------------------------------------------------------------------------------

    def _menus(self) -> None:
        file = self.menuBar().addMenu("&File")
        self._action(file, "&New assessment", self.new_assessment, QKeySequence.StandardKey.New)
        self._action(file, "&Open assessment…", self.choose_open, QKeySequence.StandardKey.Open)
        file.addSeparator()
        self.export_actions = [
            self._action(file, "Export &PDF report…", lambda: self.export("pdf"), QKeySequence("Ctrl+P")),
            self._action(file, "Export &JSON…", lambda: self.export("json"), QKeySequence("Ctrl+S")),
            self._action(file, "Export &CSV…", lambda: self.export("csv"), QKeySequence("Ctrl+E")),
        ]
        for action in self.export_actions:
            action.setEnabled(False)
        file.addSeparator()
        self._action(file, "&Quit", self.close, QKeySequence.StandardKey.Quit)
        tools = self.menuBar().addMenu("&Tools")
        self._action(tools, "This &computer…", self.open_computer, QKeySequence("Ctrl+Shift+C"))
        self._action(tools, "&History…", self.open_history, QKeySequence("Ctrl+H"))
        self._action(tools, "&Settings…", self.open_settings, QKeySequence("Ctrl+,"))
        help_menu = self.menuBar().addMenu("&Help")
        self._action(help_menu, "&About DataBorder", self.open_about)

    def _action(self, menu: Any, text: str, slot: Callable[[], object], shortcut: Any = None) -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(shortcut)
        action.triggered.connect(lambda _checked=False: slot())
        menu.addAction(action)
        return action

    # --- start-up -----------------------------------------------------------------------------------------------

    def load_data(self) -> None:
        """Load the organisation's policy, the catalog and the rule packs (after the window is shown)."""
        from databorder.catalog import load_catalog
        from databorder.orgpolicy import load_org_policy

        try:
            self.policy = load_org_policy()
            self.policy_error = None
        except DataBorderError as exc:
            self.policy_error = exc
            self.report_error(exc, "reading your organisation's policy")
        try:
            self.picker.show_catalog(load_catalog())
            self.refresh_packs()
        except DataBorderError as exc:
            self.report_error(exc, "loading the catalog and rule packs")
        self.statusBar().showMessage("Ready", 3000)

    def configure(self, given: dict[str, Any] | None = None) -> Configuration:
        """What an assessment would use now, with ``given`` values for this run.

        The one resolver (:func:`databorder.configure.configure`) over the policy read at start-up and the saved
        settings.
        """
        from databorder.configure import configure
        from databorder.orgpolicy import OrgPolicy

        if self.policy_error is not None:
            raise self.policy_error
        return configure(given, policy=self.policy or OrgPolicy())

    def refresh_packs(self) -> None:
        """Offer every pack that can be named; mandatory ones locked, the packs an assessment would use ticked."""
        from databorder.policy import available_packs
        from databorder.policy.packs import mandatory_packs

        try:
            config = self.configure()
        except DataBorderError as exc:
            self.report_error(exc, "reading your settings")
            return
        mandatory = set(mandatory_packs()) | set(config.policy.mandatory_packs)
        wanted = set(config["packs"])
        choices = []
        for pack_id, path, origin in available_packs(config["pack_dirs"]):
            name = pack_id if origin != "folder" else str(path)
            choices.append(
                PackChoice(
                    name=pack_id,
                    title=pack_id,
                    origin=origin,
                    locked=pack_id in mandatory,
                    checked=name in wanted or pack_id in wanted,
                )
            )
        note = ""
        if config.policy.source is not None and config.policy.mandatory_packs:
            note = f"Packs marked as required are managed by your organisation ({config.policy.source})."
        self.picker.show_packs(choices, note)

    # --- running an assessment ----------------------------------------------------------------------------------

    @property
    def assessment_operation(self) -> BackgroundOperation[Any] | None:
        """The running assessment, if any."""
        return self.operations.current(ASSESS)

    def start_assessment(self, request: TargetRequest, packs: tuple[str, ...]) -> None:
        """Assess ``request`` with ``packs`` in the background; progress shows after a short delay."""
        from databorder.assess import assess_request

        if self.operations.busy(ASSESS):
            return
        try:
            watching = bool(request.pids or request.process_names)  # the process dialog asked how long
            config = self.configure({"packs": packs or None, "duration": request.duration if watching else None})
            options = config.assess_options()
        except DataBorderError as exc:
            self.report_error(exc, "preparing the assessment")
            return
        request = config.request(request)

        def work(progress: OperationProgress) -> Assessment:
            return assess_request(request, options, progress, notes=config.notes)

        operation = self.operations.run(work, kind=ASSESS)
        operation.success(self.show_assessment).failure(lambda exc: self._failed(exc, "assessing"))
        operation.show_progress.connect(lambda: self.pages.setCurrentWidget(self.running))
        operation.progress_changed.connect(self.running.show_progress)
        self.running.reset(self.picker.chosen.text().replace("<b>Target:</b> ", ""))
        self.picker.assess_button.setEnabled(False)

    def cancel(self) -> None:
        """Stop the running assessment; what was gathered is shown, marked incomplete (a download goes on)."""
        if self.operations.busy(ASSESS):
            self.operations.cancel(ASSESS)
            self.running.cancel.setEnabled(False)
            self.running.cancel.setText("Cancelling…")

    def _failed(self, exc: object, doing: str) -> None:
        self.pages.setCurrentWidget(self.picker)
        self.picker.assess_button.setEnabled(not self.picker.request.empty)
        if isinstance(exc, BaseException):
            self.report_error(exc, doing)

    def show_assessment(self, assessment: Assessment) -> None:
        """Show a finished or opened assessment in the result view."""
        self.assessment = assessment
        self.results.show_assessment(assessment)
        self.pages.setCurrentWidget(self.results)
        self.picker.assess_button.setEnabled(not self.picker.request.empty)
        for action in self.export_actions:
            action.setEnabled(True)
        self.setWindowTitle(f"DataBorder — {assessment.target.name}")
        self.statusBar().showMessage(f"{len(assessment.endpoints)} endpoints, {len(assessment.findings)} findings")
        if not assessment.complete:
            self.warn_incomplete(assessment)

    def warn_incomplete(self, assessment: Assessment) -> None:
        """Say plainly that the result is partial (unreachable DNS, cancelled, skipped input), and why."""
        box = QMessageBox(self)
        box.setObjectName("incompleteDialog")
        box.setIcon(QMessageBox.Icon.Information)
        box.setWindowTitle("DataBorder")
        first = assessment.warnings[0] if assessment.warnings else "some stages did not finish"
        box.setText(f"This assessment is incomplete: {first}.\n\nWhat was gathered is shown; it cannot say 'allow'.")
        box.setDetailedText("\n".join(assessment.warnings))
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()
        self.keep_dialog(box)

    def keep_dialog(self, box: QMessageBox) -> None:
        """Remember the dialog on show until it is dismissed (deleted on close, so none pile up in a long session)."""
        self.last_error = box
        box.destroyed.connect(lambda: self._forget_dialog(box))

    def _forget_dialog(self, box: QMessageBox) -> None:
        if self.last_error is box:
            self.last_error = None

    def open_history(self) -> None:
        """The History window: the assessments kept here and what changed (databorder.gui.fleet)."""
        from databorder.gui.fleet import HistoryWindow

        if getattr(self, "history_window", None) is None:
            self.history_window = HistoryWindow(self.operations, self.show_assessment, self.report_error, self)
        self.history_window.show()
        self.history_window.refresh()

    def open_computer(self) -> None:
        """The "This computer" window: the AI apps installed here, each assessed on request."""
        from databorder.gui.fleet import ComputerWindow

        if getattr(self, "computer_window", None) is None:
            self.computer_window = ComputerWindow(self.operations, self.configure, self.report_error, self)
        self.computer_window.show()

    def new_assessment(self) -> None:
        """Back to the picker."""
        self.pages.setCurrentWidget(self.picker)

    def choose_process(self) -> None:
        """Pick a running process to watch."""
        from databorder.collect.live import running_processes

        try:
            seconds = float(self.configure()["duration"])
        except DataBorderError:
            seconds = float(SPECS["duration"].default)
        dialog = ProcessDialog(running_processes(), self, seconds=seconds)
        if dialog.exec() and (chosen := dialog.chosen()) is not None:
            self.picker.choose(*chosen)

    # --- files ----------------------------------------------------------------------------------------------------

    def open_path(self, path: Path, *, assess_now: bool = True) -> None:
        """A saved assessment opens in the result view; an app folder, archive or capture is assessed."""
        from databorder.collect.targets import is_assessment_file
        from databorder.report.jsonout import read_json

        if is_assessment_file(path):
            if path.stat().st_size > OPEN_IN_BACKGROUND:
                self._open_in_background(path)
                return
            try:
                self.show_assessment(read_json(path))
            except DataBorderError as exc:
                self.report_error(exc, f"opening {path.name}")
            return
        if not path.exists():
            self.report_error(DataBorderError(f"{path}: does not exist"), "opening a file")
            return
        self.picker.choose_path(path)
        self.pages.setCurrentWidget(self.picker)
        if assess_now:
            self.start_assessment(self.picker.request, self.picker.selected_packs())

    def _open_in_background(self, path: Path) -> None:
        from databorder.report.jsonout import read_json

        if self.operations.busy(OPEN):
            return
        self.statusBar().showMessage(f"Opening {path.name}…")
        operation = self.operations.run(lambda progress: read_json(path), kind=OPEN)
        operation.success(self.show_assessment)
        operation.failure(
            lambda exc: self.report_error(exc, f"opening {path.name}") if isinstance(exc, BaseException) else None
        )

    def choose_open(self) -> None:
        """File → Open: a saved assessment (JSON)."""
        name, _ = QFileDialog.getOpenFileName(
            self, "Open a saved assessment", "", "Assessments (*.json);;All files (*)"
        )
        if name:
            self.open_path(Path(name), assess_now=False)

    def export(self, kind: ReportKind) -> None:
        """Save the shown assessment as a PDF report, JSON or CSV."""
        if self.assessment is None:
            return
        filters = {"pdf": "PDF report (*.pdf)", "json": "Assessment JSON (*.json)", "csv": "CSV (*.csv)"}
        name, _ = QFileDialog.getSaveFileName(
            self, f"Export {kind.upper()}", f"databorder-assessment.{kind}", filters[kind]
        )
        if name:
            self.export_to(kind, Path(name))

    def export_to(self, kind: ReportKind, path: Path) -> None:
        """Write the shown assessment to ``path`` as ``kind`` (pdf, json or csv)."""
        assert self.assessment is not None
        from databorder.report.export import export

        policy = self.policy
        QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            export(
                self.assessment,
                kind,
                path,
                organisation=policy.report_organisation if policy else None,
                logo=policy.report_logo if policy else None,
            )
        except DataBorderError as exc:
            self.report_error(exc, f"exporting the {kind.upper()}")
        else:
            self.statusBar().showMessage(f"Saved {path}", 5000)
        finally:
            QApplication.restoreOverrideCursor()

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if event.mimeData().hasUrls() and all(u.isLocalFile() for u in event.mimeData().urls()):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        urls = [u for u in event.mimeData().urls() if u.isLocalFile()]
        if urls:
            event.acceptProposedAction()
            self.open_path(Path(urls[0].toLocalFile()), assess_now=False)

    # --- settings and about -------------------------------------------------------------------------------------

    def open_settings(self) -> None:
        """The settings page; saved values apply to the next assessment (and to the CLI)."""
        from databorder.gui.settings import SettingsDialog
        from databorder.options import load_settings, save_settings

        try:
            values = load_settings()
        except DataBorderError as exc:
            self.report_error(exc, "reading your settings")
            values = {}
        dialog = SettingsDialog(values, self.policy, self.geoip_status(), self)
        dialog.maxmind_account_requested.connect(lambda: self.ask_maxmind_account(dialog))
        dialog.maxmind_update_requested.connect(self.update_geoip)
        dialog.keyless_update_requested.connect(lambda: self.update_keyless(dialog=dialog))
        if dialog.exec():
            try:
                save_settings(dialog.chosen())
            except DataBorderError as exc:
                self.report_error(exc, "saving your settings")
            self.refresh_packs()

    def databases(self) -> list[DatabaseStatus]:
        """The databases an assessment would use now (policy, saved settings): what Settings and About show."""
        from databorder.attribute.store import DatabaseStatus, databases_in_use

        try:
            config = self.configure()
        except DataBorderError as exc:
            return [DatabaseStatus(kind="databases", path=None, ref=None, problem=str(exc))]
        return databases_in_use(country_db=config["country_db"], asn_db=config["asn_db"])

    def geoip_status(self) -> str:
        """One line per database in use: kind, source, build date."""
        return "\n".join(
            f"{_kind(d)}: {d.ref.source}, built {d.ref.build_date}" if d.ref else f"cannot be used: {d.problem}"
            for d in self.databases()
        )

    def ask_maxmind_account(self, parent: QWidget) -> None:
        """Store a MaxMind account ID and licence key in the system keyring (never in a file)."""
        from databorder import secrets

        account, ok = QInputDialog.getText(parent, "MaxMind account", "Account ID:")
        if not ok or not account.strip():
            return
        key, ok = QInputDialog.getText(parent, "MaxMind account", "Licence key:", QLineEdit.EchoMode.Password)
        if not ok or not key.strip():
            return
        try:
            secrets.store_maxmind(account.strip(), key.strip())
        except DataBorderError as exc:
            self.report_error(exc, "storing the MaxMind account")
        else:
            self.statusBar().showMessage("Stored the MaxMind account in the system keyring", 5000)

    def update_geoip(self, base_url: str | None = None) -> None:
        """Download GeoLite2 Country and ASN with the stored account, in the background, beside any assessment."""
        from databorder.attribute.update import update_editions

        if self.operations.busy(DOWNLOAD):
            return

        def work(progress: OperationProgress) -> list[str]:
            editions = update_editions(
                base_url=base_url, progress=progress.report, cancelled=lambda: progress.cancelled
            )
            return [f"{edition} built {ref.build_date}" for edition, ref in editions]

        def done(editions: list[str]) -> None:
            self.statusBar().showMessage("Now in use: " + ", ".join(editions), 8000)

        self.statusBar().showMessage("Downloading GeoLite2 from MaxMind…")
        operation = self.operations.run(work, kind=DOWNLOAD)
        operation.success(done).failure(lambda exc: self.report_error(exc, "updating the GeoIP databases"))

    def update_keyless(
        self,
        *,
        cloud_url: str | None = None,
        geoip_url: str | None = None,
        geoip_checksum_url: str | None = None,
        dialog: SettingsDialog | None = None,
    ) -> None:
        """Refresh the country, ASN and cloud data (no account) in the background, beside any assessment.

        The same engine function as `databorder geoip update`; ``dialog`` (Settings) shows its progress bar.
        """
        from databorder.attribute.update import KeylessUpdate, update_keyless

        if self.operations.busy(DOWNLOAD):
            return

        def work(progress: OperationProgress) -> KeylessUpdate:
            return update_keyless(
                cloud_url=cloud_url,
                geoip_url=geoip_url,
                geoip_checksum_url=geoip_checksum_url,
                progress=progress.report,
                cancelled=lambda: progress.cancelled,
            )

        def done(result: KeylessUpdate) -> None:
            lines = [line[:1].upper() + line[1:] for line in (*result.done, *result.problems)]
            self.statusBar().showMessage("; ".join(lines), 12000)
            if result.problems:
                self.report_error(
                    DataBorderError("; ".join(result.problems)), "updating the country, ASN and cloud data"
                )

        self.statusBar().showMessage("Fetching the newest country, ASN and cloud data…")
        operation = self.operations.run(work, kind=DOWNLOAD)
        if dialog is not None:
            operation.progress_changed.connect(dialog.show_download)
            operation.finished.connect(dialog.download_finished)
        operation.success(done).failure(lambda exc: self.report_error(exc, "updating the country, ASN and cloud data"))

    def open_about(self) -> None:
        """Versions, database build dates and the data licences."""
        from databorder.gui.settings import AboutDialog, about_html, runtime_versions

        databases = [
            (_kind(d), d.ref.source, d.ref.build_date or "unknown", d.ref.attribution or d.ref.licence or "")
            if d.ref
            else (d.kind, d.problem or "", "?", "")
            for d in self.databases()
        ]
        from databorder.knowledge import load_knowledge

        try:
            status = load_knowledge().status()
            knowledge = (
                f"{status.operators} operators ({status.with_domains} with domains, {status.domains} domains), "
                f"facts checked {status.median_days} days ago (median), the oldest {status.oldest_days} days ago; "
                f"{status.with_unverified} rows carry an unverified fact"
            )
        except DataBorderError as exc:
            knowledge = f"cannot be used: {exc}"
        AboutDialog(about_html(runtime_versions(__version__), databases, knowledge=knowledge), self).exec()

    # --- errors and closing -------------------------------------------------------------------------------------

    def report_error(self, exc: BaseException, doing: str) -> None:
        """A dialog with a sentence and details; never a traceback."""
        self.statusBar().showMessage(f"Could not finish {doing}", 8000)
        self.keep_dialog(show_error(self, exc, doing=doing, log_file=self.log_file))

    def closeEvent(self, event: QCloseEvent) -> None:
        self.operations.cancel_all()  # each worker notices within a second; the process then exits
        event.accept()


def _kind(status: DatabaseStatus) -> str:
    """A database's kind as Settings and About show it; the embedded country database read beside a file says so."""
    return f"{status.kind} (read beside the one above)" if status.consulted else status.kind
