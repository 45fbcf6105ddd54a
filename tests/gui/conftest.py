"""GUI tests run offscreen with the real window, the test dnsmasq and fixture databases (via saved settings)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from databorder.gui.mainwindow import MainWindow
from databorder.options import save_settings
from tests.conftest import DnsZone, FixtureDatabases


@pytest.fixture
def use_test_network(dns_zone: DnsZone, fixture_dbs: FixtureDatabases) -> DnsZone:
    """Saved settings pointing at the test dnsmasq and the fixture databases, as a user would set them."""
    save_settings({"nameserver": dns_zone.nameserver, "country_db": fixture_dbs.country, "asn_db": fixture_dbs.asn})
    return dns_zone


@pytest.fixture
def window(qtbot: QtBot, use_test_network: DnsZone) -> Iterator[MainWindow]:
    win = MainWindow(log_file=None)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitUntil(lambda: win.picker.apps.rowCount() > 0, timeout=5000)
    yield win
    running = win.operations.kinds()
    win.operations.cancel_all()
    qtbot.waitUntil(lambda: not win.operations.kinds(), timeout=5000 if running else 100)


@pytest.fixture
def host_file(tmp_path: Path) -> Path:
    path = tmp_path / "hosts.txt"
    names = ["api.chat.test", "cn-hosted.app.test", "eu.app.test", "www.chat.test", "lan.chat.test", "ir.app.test"]
    path.write_text("\n".join(names) + "\n", encoding="utf-8")
    return path
