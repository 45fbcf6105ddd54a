"""Settings (built from the same option declarations as the CLI's flags) and the About box."""

from __future__ import annotations

import platform
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from databorder.options import OPTIONS, SPECS, OptionSpec, spec_help

if TYPE_CHECKING:
    from databorder.gui.operations import StageProgress
    from databorder.orgpolicy import OrgPolicy

#: Options chosen elsewhere in the window (the picker's pack checkboxes).
NOT_ON_SETTINGS_PAGE = frozenset({"packs"})
MANAGED = "Managed by your organisation"


class _PathField(QWidget):
    """A path with a Browse… button (a file, or a folder when ``folder`` is set)."""

    def __init__(self, spec: OptionSpec, *, folder: bool = False) -> None:
        super().__init__()
        self.several = spec.kind == "paths"
        self.edit = QLineEdit()
        self.edit.setObjectName(f"setting:{spec.name}")
        self.edit.setAccessibleName(spec.label)
        if spec.kind == "path":
            self.edit.setPlaceholderText("empty: the embedded database, or the one adopted with 'geoip use'")
        else:
            self.edit.setPlaceholderText("none; separate several with ;")
        browse = QPushButton("Browse…")
        browse.setAccessibleName(f"Browse for {spec.label}")
        browse.clicked.connect(lambda: self._browse(spec.label, folder))
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.edit, 1)
        layout.addWidget(browse)

    def _browse(self, title: str, folder: bool) -> None:
        if folder:
            chosen = QFileDialog.getExistingDirectory(self, title)
        else:
            chosen, _ = QFileDialog.getOpenFileName(self, title, "", "MaxMind databases (*.mmdb);;All files (*)")
        if chosen:
            current = self.edit.text().strip()
            self.edit.setText(f"{current}; {chosen}" if self.several and current else chosen)


class SettingsDialog(QDialog):
    """Edits the user's saved values of the declared options; settings the organisation fixes are locked."""

    maxmind_update_requested = Signal()
    maxmind_account_requested = Signal()
    keyless_update_requested = Signal()

    def __init__(
        self, values: dict[str, Any], policy: OrgPolicy | None, geoip_status: str, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("settingsDialog")
        self.setWindowTitle("DataBorder settings")
        self.setMinimumWidth(620)
        self.values = dict(values)
        self.fields: dict[str, QWidget] = {}
        layout = QVBoxLayout(self)
        groups: dict[str, QFormLayout] = {}
        for spec in OPTIONS:
            if spec.name in NOT_ON_SETTINGS_PAGE or not spec.saved:
                continue
            if spec.section not in groups:
                box = QGroupBox(spec.section)
                groups[spec.section] = QFormLayout(box)
                layout.addWidget(box)
            field = self._field(spec, values.get(spec.name, spec.default))
            field.setToolTip(spec_help(spec))
            if policy is not None and policy.locked(spec.name):
                field.setEnabled(False)
                field.setToolTip(f"{MANAGED} ({policy.source})")
                label = QLabel(f"{spec.label} <i>({MANAGED.lower()})</i>")
            else:
                label = QLabel(spec.label)
            label.setBuddy(field)
            groups[spec.section].addRow(label, field)
            self.fields[spec.name] = field
        geoip = groups.get("GeoIP")
        if geoip is not None:
            status = QPlainTextEdit(geoip_status)
            status.setObjectName("geoipStatus")
            status.setReadOnly(True)
            status.setMaximumHeight(110)
            status.setAccessibleName("Databases in use")
            geoip.addRow("In use", status)
            row = QHBoxLayout()
            account = QPushButton("MaxMind &account…")
            account.setObjectName("maxmindAccount")
            account.clicked.connect(self.maxmind_account_requested)
            download = QPushButton("&Download GeoLite2 from MaxMind")
            download.setObjectName("maxmindDownload")
            download.clicked.connect(self.maxmind_update_requested)
            locked = policy is not None and (policy.locked("country_db") or policy.locked("asn_db"))
            download.setEnabled(not locked)
            row.addWidget(account)
            row.addWidget(download)
            row.addStretch(1)
            geoip.addRow("", row)
            keyless = QPushButton("&Update country, ASN and cloud data (no account)")
            keyless.setObjectName("keylessUpdate")
            keyless.setToolTip(
                "Fetch ip-location-db's newest country and ASN databases and the cloud providers' newest published "
                "ranges; each is checked, then adopted, and the previous one kept for rollback"
            )
            keyless.clicked.connect(self.keyless_update_requested)
            geoip.addRow("", keyless)
            self.download_bar = QProgressBar()
            self.download_bar.setObjectName("downloadProgress")
            self.download_bar.setAccessibleName("Download progress")
            self.download_bar.setVisible(False)
            geoip.addRow("", self.download_bar)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def show_download(self, latest: StageProgress) -> None:
        """Show how far the running download is (a busy bar while its size is unknown)."""
        bar = self.download_bar
        bar.setVisible(True)
        bar.setRange(0, max(latest.total, 0))
        bar.setValue(min(latest.done, latest.total) if latest.total else 0)
        bar.setFormat(f"{latest.stage}: %p%" if latest.total else latest.stage)

    def download_finished(self) -> None:
        """Hide the progress bar once the download is over."""
        self.download_bar.setVisible(False)

    def _field(self, spec: OptionSpec, value: Any) -> QWidget:
        if spec.kind == "bool":
            box = QCheckBox()
            box.setObjectName(f"setting:{spec.name}")
            box.setAccessibleName(spec.label)
            box.setChecked(bool(value))
            return box
        if spec.kind in ("float", "duration"):
            spin = QDoubleSpinBox()
            spin.setObjectName(f"setting:{spec.name}")
            spin.setAccessibleName(spec.label)
            spin.setRange(spec.minimum or 0.0, spec.maximum or 1e9)  # the range the CLI checks, from one place
            span = (spec.maximum or 1.0) - (spec.minimum or 0.0)
            spin.setDecimals(0 if spec.kind == "duration" else 2)
            spin.setSingleStep(max(span / 100, 0.05) if span <= 100 else 5.0)
            spin.setValue(float(value))
            return spin
        if spec.kind == "choice":
            combo = QComboBox()
            combo.setObjectName(f"setting:{spec.name}")
            combo.setAccessibleName(spec.label)
            combo.addItems(list(spec.choices))  # the values the CLI accepts, from the one declaration
            combo.setCurrentText(str(value))
            return combo
        if spec.kind in ("path", "paths"):
            path_field = _PathField(spec, folder=spec.name == "pack_dirs")
            text = "; ".join(str(v) for v in value) if spec.kind == "paths" else (str(value) if value else "")
            path_field.edit.setText(text)
            return path_field
        edit = QLineEdit("" if value is None else str(value))
        edit.setObjectName(f"setting:{spec.name}")
        edit.setAccessibleName(spec.label)
        if spec.metavar:
            edit.setPlaceholderText(f"{spec.metavar} — empty for the default")
        return edit

    def chosen(self) -> dict[str, Any]:
        """The values as edited (only the options this page shows; others keep their saved values)."""
        values = dict(self.values)
        for name, field in self.fields.items():
            spec = SPECS[name]
            if isinstance(field, QCheckBox):
                values[name] = field.isChecked()
            elif isinstance(field, QDoubleSpinBox):
                values[name] = field.value()
            elif isinstance(field, QComboBox):
                values[name] = field.currentText()
            elif isinstance(field, _PathField):
                text = field.edit.text().strip()
                if spec.kind == "paths":
                    values[name] = tuple(Path(p.strip()) for p in text.split(";") if p.strip())
                else:
                    values[name] = Path(text) if text else None
            elif isinstance(field, QLineEdit):
                values[name] = field.text().strip() or None
        return values


def about_html(
    versions: dict[str, str], databases: list[tuple[str, str, str, str]], *, knowledge: str | None = None
) -> str:
    """The About box's text: versions, then each database's build date, licence and required attribution."""
    rows = "".join(f"<li>{name} {version}</li>" for name, version in versions.items())
    data = "".join(
        f"<li><b>{kind}</b>: {source}, built {built}<br/><i>{credit}</i></li>"
        for kind, source, built, credit in databases
    )
    return (
        "<h2>DataBorder</h2><p>Where does an AI app's data go, whose law reaches it there, and does that break "
        f"your rules?</p><h3>Versions</h3><ul>{rows}</ul><h3>Data and licences</h3><ul>{data}</ul>"
        + (f"<h3>Operator knowledge base</h3><p>{escape(knowledge)}</p>" if knowledge else "")
        + "<p>World map outlines: Natural Earth 1:110m (public domain). Catalog and operator facts: see each "
        "entry's dated sources (databorder operators show HOST).</p>"
    )


class AboutDialog(QDialog):
    """Versions, database build dates and the data licences' attributions."""

    def __init__(self, html: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("aboutDialog")
        self.setWindowTitle("About DataBorder")
        self.resize(560, 480)
        text = QTextBrowser()
        text.setObjectName("aboutText")
        text.setOpenExternalLinks(True)
        text.setHtml(html)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(text)
        layout.addWidget(buttons)


def runtime_versions(version: str) -> dict[str, str]:
    """The versions an About box and a bug report need."""
    import PySide6
    from PySide6.QtCore import qVersion

    return {
        "DataBorder": version,
        "Python": platform.python_version(),
        "PySide6": PySide6.__version__,
        "Qt": qVersion(),
    }
