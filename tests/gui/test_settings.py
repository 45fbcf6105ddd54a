from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtWidgets import QCheckBox, QDoubleSpinBox, QGroupBox, QLineEdit, QPushButton, QTextBrowser
from pytestqt.qtbot import QtBot

from databorder.gui.settings import AboutDialog, SettingsDialog, about_html, runtime_versions
from databorder.options import OPTIONS, SPECS
from databorder.orgpolicy import OrgPolicy

pytestmark = pytest.mark.gui


def test_every_declared_option_but_packs_has_a_field_and_edits_come_back_typed(qtbot: QtBot) -> None:
    dialog = SettingsDialog({"offline": True, "pack_dirs": (Path("a"),)}, None, "country: fixture", None)
    qtbot.addWidget(dialog)
    assert set(dialog.fields) == {s.name for s in OPTIONS if s.saved} - {"packs"}
    offline = dialog.fields["offline"]
    assert isinstance(offline, QCheckBox) and offline.isChecked()
    timeout = dialog.fields["dns_timeout"]
    assert isinstance(timeout, QDoubleSpinBox)
    timeout.setValue(1.5)
    nameserver = dialog.fields["nameserver"]
    assert isinstance(nameserver, QLineEdit)
    nameserver.setText("192.0.2.53")
    dialog.fields["pack_dirs"].edit.setText("a; b")  # type: ignore[attr-defined]
    dialog.fields["country_db"].edit.setText("")  # type: ignore[attr-defined]
    relevance = dialog.fields["min_relevance"]
    assert isinstance(relevance, QDoubleSpinBox)  # the range the CLI checks, from the one declaration
    assert (relevance.minimum(), relevance.maximum()) == (SPECS["min_relevance"].minimum, 1.0)
    assert (timeout.minimum(), timeout.maximum()) == (0.1, 60.0)
    values = dialog.chosen()
    assert values["offline"] is True and values["dns_timeout"] == 1.5 and values["nameserver"] == "192.0.2.53"
    assert values["pack_dirs"] == (Path("a"), Path("b")) and values["country_db"] is None


def test_the_probe_is_a_checkbox_among_online_enrichment_and_locked_when_the_policy_forbids_it(
    qtbot: QtBot,
) -> None:
    dialog = SettingsDialog({}, None, "", None)
    qtbot.addWidget(dialog)
    probe = dialog.fields["probe"]
    assert isinstance(probe, QCheckBox) and not probe.isChecked() and probe.isEnabled()
    assert probe.accessibleName() == SPECS["probe"].label and "TLS certificate" in probe.toolTip()
    group = probe.parentWidget()
    assert isinstance(group, QGroupBox) and group.title() == "Online enrichment"
    probe.setChecked(True)
    assert dialog.chosen()["probe"] is True
    forbidding = OrgPolicy(source=Path("/etc/databorder/policy.toml"), online_enrichment_allowed=False)
    locked = SettingsDialog({"probe": True}, forbidding, "", None)
    qtbot.addWidget(locked)
    assert not locked.fields["probe"].isEnabled()


def test_settings_the_organisation_fixes_are_locked_and_say_so(qtbot: QtBot) -> None:
    from databorder.nameserver import Nameserver

    policy = OrgPolicy(source=Path("/etc/databorder/policy.toml"), values={"nameserver": Nameserver("192.0.2.53")})
    dialog = SettingsDialog({}, policy, "", None)
    qtbot.addWidget(dialog)
    assert not dialog.fields["nameserver"].isEnabled()
    assert "Managed by your organisation" in dialog.fields["nameserver"].toolTip()
    assert dialog.fields["offline"].isEnabled()


def test_the_about_box_names_versions_build_dates_and_attributions(qtbot: QtBot) -> None:
    html = about_html(runtime_versions("9.9"), [("country", "embedded", "2026-06-17", "CC BY 4.0 by the NRO")])
    dialog = AboutDialog(html)
    qtbot.addWidget(dialog)
    text = dialog.findChild(QTextBrowser, "aboutText")
    assert isinstance(text, QTextBrowser)
    plain = text.toPlainText()
    for expected in ("DataBorder 9.9", "PySide6", "Qt", "built 2026-06-17", "CC BY 4.0 by the NRO", "Natural Earth"):
        assert expected in plain


def test_the_about_box_says_how_much_the_knowledge_base_knows(qtbot: QtBot) -> None:
    html = about_html(runtime_versions("9.9"), [], knowledge="507 operators (460 with domains, 1724 domains)")
    assert "Operator knowledge base" in html and "507 operators" in html
    assert "Operator knowledge base" not in about_html(runtime_versions("9.9"), [])


def test_the_keyless_update_is_offered_beside_the_maxmind_download_with_a_progress_bar(qtbot: QtBot) -> None:
    from PySide6.QtWidgets import QProgressBar

    from databorder.gui.operations import StageProgress

    dialog = SettingsDialog({}, None, "cloud: cloud providers' published ranges")
    qtbot.addWidget(dialog)
    button = dialog.findChild(QPushButton, "keylessUpdate")
    assert button is not None and "country, ASN and cloud data (no account)" in button.text().replace("&", "")
    with qtbot.waitSignal(dialog.keyless_update_requested, timeout=2000):
        button.click()
    bar = dialog.findChild(QProgressBar, "downloadProgress")
    assert bar is not None and bar.isHidden()
    dialog.show_download(StageProgress("country database", 4_000_000, 8_000_000))
    assert not bar.isHidden() and bar.value() == 4_000_000 and bar.text() == "country database: 50%"
    dialog.download_finished()
    assert bar.isHidden()


def test_the_vendor_tier_is_a_choice_of_the_values_the_command_line_takes(qtbot: QtBot) -> None:
    from PySide6.QtWidgets import QComboBox

    dialog = SettingsDialog({"tier": "business"}, None, "country: fixture", None)
    qtbot.addWidget(dialog)
    tier = dialog.fields["tier"]
    assert isinstance(tier, QComboBox) and tier.currentText() == "business"
    assert [tier.itemText(i) for i in range(tier.count())] == list(SPECS["tier"].choices)
    tier.setCurrentText("api")
    assert dialog.chosen()["tier"] == "api"
