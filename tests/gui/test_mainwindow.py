"""The real window driven through whole assessments: pick, run, result, filter, detail, map, cancel, errors."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QMessageBox
from pytest_httpserver import HTTPServer
from pytestqt.qtbot import QtBot
from werkzeug import Request, Response

from databorder.collect.targets import TargetRequest
from databorder.gui.endpoint_model import ENDPOINT, SEVERITY
from databorder.gui.mainwindow import MainWindow
from databorder.options import save_settings
from databorder.report.worldmap import MapFrame
from tests.conftest import DnsZone, FixtureDatabases
from tests.helpers.schema import check_assessment

pytestmark = pytest.mark.gui


def run_to_result(qtbot: QtBot, win: MainWindow, request: TargetRequest, timeout: int = 20_000) -> None:
    win.picker.choose(request, "the test hosts")
    qtbot.mouseClick(win.picker.assess_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: win.assessment is not None and not win.operations.busy("assess"), timeout=timeout)


def test_catalog_search_and_pick_by_keyboard(qtbot: QtBot, window: MainWindow) -> None:
    qtbot.keyClicks(window.picker.search, "hangzhou")
    assert window.picker.filtered.rowCount() >= 1
    names = {window.picker.filtered.index(r, 0).data() for r in range(window.picker.filtered.rowCount())}
    assert "DeepSeek" in names
    window.picker.select_app("deepseek")
    assert window.picker.request == TargetRequest(apps=("deepseek",))
    assert "DeepSeek" in window.picker.chosen.text()
    assert window.picker.assess_button.isEnabled()
    window.picker.search.clear()
    assert window.picker.filtered.rowCount() == window.picker.apps.rowCount() >= 20


def test_a_whole_assessment_shows_verdict_table_map_and_detail(
    qtbot: QtBot, window: MainWindow, host_file: Path
) -> None:
    assert window.picker.pack_box("us-countries-of-concern").isChecked()
    run_to_result(qtbot, window, TargetRequest(host_files=(host_file,)))
    results = window.results
    assert window.pages.currentWidget() is results
    assert window.assessment is not None and window.assessment.verdict == "prohibit"
    assert "PROHIBIT" in results.verdict.text() and "score" in results.verdict.text()
    assert results.reason.text()
    assert results.model.rowCount() == 6
    # Worst first: the China-hosted endpoints lead the table.
    first = results.proxy.index(0, ENDPOINT).data()
    assert first in {"api.chat.test", "cn-hosted.app.test", "ir.app.test"}
    assert results.proxy.index(0, SEVERITY).data() == "prohibit"
    # The map shades countries by the worst severity landing there.
    assert results.map.levels["CN"] == "prohibit"
    assert results.map.levels["DE"] in {"clean", "info"}
    assert "CN prohibit" in results.map.accessibleDescription()
    # The detail pane: evidence, DNS chain, attribution with its source database, rules with messages.
    row = next(r for r in range(results.proxy.rowCount()) if results.proxy.index(r, ENDPOINT).data() == "www.chat.test")
    results.table.selectRow(row)
    html = results.detail.toPlainText()
    assert "www.chat.test → edge.cdn.test → host.cdn.test" in html
    # The fixture's country file says US; the embedded database, read beside it, reads the documentation range AU.
    assert "198.51.100.20" in html and "hosting country uncertain: US or AU" in html
    assert "list:" in html and "hosts.txt" in html  # evidence: the host list and its line
    assert "AS45102" in html
    saved = Path(qtbot.tmp_path if hasattr(qtbot, "tmp_path") else host_file.parent) / "saved.json"
    window.export_to("json", saved)
    check_assessment(saved)
    assert all(action.isEnabled() for action in window.export_actions)


def test_filters_narrow_the_table_and_a_map_click_filters_by_country(
    qtbot: QtBot, window: MainWindow, host_file: Path
) -> None:
    run_to_result(qtbot, window, TargetRequest(host_files=(host_file,)))
    results = window.results
    qtbot.keyClicks(results.text_filter, "app.test")
    assert results.proxy.rowCount() == 3
    assert results.shown.text() == "3 of 6 endpoints"
    results.text_filter.clear()
    results.severity.setCurrentIndex(results.severity.findData("prohibit"))
    prohibited = {results.proxy.index(r, ENDPOINT).data() for r in range(results.proxy.rowCount())}
    assert "eu.app.test" not in prohibited and "cn-hosted.app.test" in prohibited
    results.severity.setCurrentIndex(0)
    # Click on Germany in the map (lon 10, lat 51): only the DE-hosted endpoint remains.
    frame = MapFrame.within(0, 0, results.map.width(), results.map.height())
    x = frame.left + (10 + 180) * frame.scale
    y = frame.top + (84 - 51) * frame.scale
    qtbot.mouseClick(results.map, Qt.MouseButton.LeftButton, pos=QPoint(round(x), round(y)))
    assert results.country.currentData() == "DE"
    assert [results.proxy.index(r, ENDPOINT).data() for r in range(results.proxy.rowCount())] == ["eu.app.test"]
    qtbot.mouseClick(results.map, Qt.MouseButton.LeftButton, pos=QPoint(round(x), round(y)))  # again: clears
    assert results.proxy.rowCount() == 6


def test_cancel_mid_run_keeps_what_was_gathered(
    qtbot: QtBot, window: MainWindow, dns_zone: DnsZone, fixture_dbs: FixtureDatabases, tmp_path: Path
) -> None:
    # dnsmasq forwards *.slow.test to a server that never answers: resolving hangs until cancelled.
    save_settings(
        {
            "nameserver": dns_zone.nameserver,
            "country_db": fixture_dbs.country,
            "asn_db": fixture_dbs.asn,
            "dns_timeout": 20.0,
        }
    )
    names = tmp_path / "many.txt"
    names.write_text("".join(f"n{i}.slow.test\n" for i in range(40)) + "203.0.113.7\n", encoding="utf-8")
    window.picker.choose(TargetRequest(host_files=(names,)), "names that never answer")
    qtbot.mouseClick(window.picker.assess_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.pages.currentWidget() is window.running, timeout=5000)
    qtbot.waitUntil(lambda: "0 of 40" in window.running.bars["resolve"].format(), timeout=5000)
    assert window.running.bars["collect"].format() == "done"
    qtbot.mouseClick(window.running.cancel, Qt.MouseButton.LeftButton)
    import time

    clicked = time.monotonic()
    qtbot.waitUntil(lambda: window.assessment is not None, timeout=5000)
    assert time.monotonic() - clicked < 1.5
    assert window.assessment is not None
    assert window.assessment.complete is False
    assert window.assessment.verdict != "allow"
    assert any("cancel" in w for w in window.assessment.warnings)
    assert window.results.model.rowCount() == 41
    assert window.last_error is not None and window.last_error.objectName() == "incompleteDialog"


def test_cancel_mid_capture_stops_the_read_within_a_second(
    qtbot: QtBot, window: MainWindow, fixture_dbs: FixtureDatabases, tmp_path: Path
) -> None:
    import time

    save_settings({"offline": True, "country_db": fixture_dbs.country, "asn_db": fixture_dbs.asn})
    log = tmp_path / "access.log"
    line = "1700000000.000 120 10.0.0.1 TCP_TUNNEL/200 5000 CONNECT api{}.vendor.test:443 - HIER_DIRECT/203.0.113.9 -\n"
    log.write_text("".join(line.format(n // 1000) for n in range(300_000)), encoding="utf-8")  # 32 MB, seconds
    window.picker.choose(TargetRequest(captures=(log,)), "a big proxy log")
    qtbot.mouseClick(window.picker.assess_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.pages.currentWidget() is window.running, timeout=5000)
    qtbot.wait(300)  # reading
    qtbot.mouseClick(window.running.cancel, Qt.MouseButton.LeftButton)
    clicked = time.monotonic()
    qtbot.waitUntil(lambda: window.assessment is not None, timeout=5000)
    assert time.monotonic() - clicked < 1.0
    assert window.assessment is not None and window.assessment.complete is False
    assert any("reading was cancelled after" in w for w in window.assessment.warnings)
    assert 0 < window.results.model.rowCount() < 300


def error_text(window: MainWindow) -> str:
    box = window.last_error
    assert isinstance(box, QMessageBox)
    text = box.text() + "\n" + box.detailedText()
    assert "Traceback" not in text
    return text


def test_a_broken_rule_pack_gives_a_dialog_naming_file_and_line(
    qtbot: QtBot, window: MainWindow, host_file: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "packs"
    folder.mkdir()
    (folder / "broken.toml").write_text(
        '[pack]\nid = "broken"\ntitle = "x"\nversion = "1"\n[[rules]\n', encoding="utf-8"
    )
    from databorder.options import load_settings

    save_settings({**load_settings(), "pack_dirs": (folder,)})
    window.refresh_packs()
    window.picker.pack_box("broken").setChecked(True)
    window.picker.choose(TargetRequest(host_files=(host_file,)), "hosts")
    qtbot.mouseClick(window.picker.assess_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.last_error is not None, timeout=10_000)
    text = error_text(window)
    assert "broken.toml, line 5" in text
    assert window.pages.currentWidget() is window.picker
    assert window.picker.assess_button.isEnabled()


def test_dismissed_dialogs_do_not_pile_up_in_a_long_session(qtbot: QtBot, window: MainWindow) -> None:
    """Each error dialog stayed a hidden child of the window; after 2,000 inputs painting took 1.7 s instead of 1."""
    from PySide6.QtCore import QCoreApplication, QEvent
    from PySide6.QtWidgets import QMessageBox

    from databorder.errors import DataBorderError

    for n in range(5):
        window.report_error(DataBorderError(f"refused {n}"), "assessing")
        box = window.last_error
        assert box is not None and f"refused {n}" in box.text()
        box.close()
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)  # what the event loop does next
        assert window.last_error is None  # forgotten with the dialog, never a dangling reference
    assert window.findChildren(QMessageBox) == []


def test_a_corrupt_database_gives_a_dialog(
    qtbot: QtBot, window: MainWindow, host_file: Path, tmp_path: Path, dns_zone: DnsZone
) -> None:
    corrupt = tmp_path / "corrupt.mmdb"
    corrupt.write_bytes(b"\x00" * 4096)
    save_settings({"nameserver": dns_zone.nameserver, "country_db": corrupt})
    run = window.picker
    run.choose(TargetRequest(host_files=(host_file,)), "hosts")
    qtbot.mouseClick(run.assess_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.last_error is not None, timeout=10_000)
    assert "corrupt.mmdb" in error_text(window)


def test_unreachable_dns_is_said_plainly(
    qtbot: QtBot, window: MainWindow, host_file: Path, fixture_dbs: FixtureDatabases
) -> None:
    save_settings(
        {"nameserver": "127.0.0.1:9", "country_db": fixture_dbs.country, "asn_db": fixture_dbs.asn, "dns_timeout": 0.5}
    )
    run_to_result(qtbot, window, TargetRequest(host_files=(host_file,)))
    assert window.assessment is not None
    assert window.assessment.complete is False
    assert "DNS" in error_text(window) or "nameserver" in error_text(window).lower()


def test_a_capture_that_cannot_be_parsed_gives_a_dialog(qtbot: QtBot, window: MainWindow, tmp_path: Path) -> None:
    capture = tmp_path / "cut.pcap"
    capture.write_bytes(b"\xd4\xc3\xb2\xa1\x02\x00")  # a pcap header cut short
    window.open_path(capture)
    qtbot.waitUntil(lambda: window.last_error is not None, timeout=10_000)
    assert "cut.pcap" in error_text(window)


def test_a_saved_assessment_opens_straight_into_the_result_view(
    qtbot: QtBot, window: MainWindow, host_file: Path, tmp_path: Path
) -> None:
    run_to_result(qtbot, window, TargetRequest(host_files=(host_file,)))
    saved = tmp_path / "saved.json"
    window.export_to("json", saved)
    check_assessment(saved)
    window.export_to("csv", tmp_path / "saved.csv")
    window.export_to("pdf", tmp_path / "saved.pdf")
    assert (tmp_path / "saved.pdf").read_bytes().startswith(b"%PDF")
    assert "api.chat.test" in (tmp_path / "saved.csv").read_text(encoding="utf-8")
    other = MainWindow(log_file=None)
    qtbot.addWidget(other)
    other.open_path(saved)
    assert other.pages.currentWidget() is other.results
    assert other.results.model.rowCount() == 6
    other.open_path(tmp_path / "not-json.json")
    assert other.last_error is not None


def test_the_organisations_policy_locks_packs_and_settings_it_fixes(
    qtbot: QtBot, use_test_network: DnsZone, host_file: Path
) -> None:
    from tests.helpers.orgpolicy import write_policy

    write_policy(f'[packs]\nmandatory = ["sanctions-ofac"]\n[dns]\nnameserver = "{use_test_network.nameserver}"\n')
    win = MainWindow(log_file=None)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitUntil(lambda: win.picker.apps.rowCount() > 0, timeout=5000)
    box = win.picker.pack_box("sanctions-ofac")
    assert box.isChecked() and not box.isEnabled() and "required by your organisation" in box.text()
    run_to_result(qtbot, win, TargetRequest(host_files=(host_file,)))
    assert win.assessment is not None
    assert {p.id for p in win.assessment.packs} == {"us-countries-of-concern", "sanctions-ofac"}
    assert win.policy is not None and win.policy.locked("nameserver")


def test_a_broken_policy_is_a_dialog_and_refuses_to_assess(
    qtbot: QtBot, use_test_network: DnsZone, host_file: Path
) -> None:
    from tests.helpers.orgpolicy import write_policy

    write_policy("[packs]\nmandatory = 'x'\n")
    win = MainWindow(log_file=None)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitUntil(lambda: win.last_error is not None, timeout=5000)
    assert "policy.toml, line 2" in error_text(win)
    win.last_error = None
    win.picker.choose(TargetRequest(host_files=(host_file,)), "hosts")
    qtbot.mouseClick(win.picker.assess_button, Qt.MouseButton.LeftButton)
    assert win.last_error is not None and win.assessment is None


def test_a_download_and_an_assessment_run_together_and_cancel_stops_only_the_assessment(
    qtbot: QtBot,
    window: MainWindow,
    dns_zone: DnsZone,
    fixture_dbs: FixtureDatabases,
    tmp_path: Path,
    httpserver: HTTPServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import threading

    from tests.attribute.test_update import ACCOUNT, KEY, tarball

    monkeypatch.setenv("MAXMIND_ACCOUNT_ID", ACCOUNT)
    monkeypatch.setenv("MAXMIND_LICENSE_KEY", KEY)
    release = threading.Event()
    bodies = {"Country": tarball(fixture_dbs.country), "ASN": tarball(fixture_dbs.asn, name="x/GeoLite2-ASN.mmdb")}

    def handler(request: Request) -> Response:
        body = bodies["ASN" if "ASN" in request.path else "Country"]
        if request.args.get("suffix") == "tar.gz.sha256":
            return Response(f"{hashlib.sha256(body).hexdigest()}  x.tar.gz\n")
        release.wait(10)  # the download is still under way while the assessment is cancelled
        return Response(body)

    httpserver.expect_request(re.compile(r"/geoip/databases/.*/download")).respond_with_handler(handler)
    save_settings({"nameserver": dns_zone.nameserver, "asn_db": fixture_dbs.asn, "dns_timeout": 20.0})
    names = tmp_path / "slow.txt"
    names.write_text("".join(f"n{i}.slow.test\n" for i in range(20)), encoding="utf-8")
    window.update_geoip(base_url=httpserver.url_for("/"))
    window.picker.choose(TargetRequest(host_files=(names,)), "names that never answer")
    qtbot.mouseClick(window.picker.assess_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "0 of 20" in window.running.bars["resolve"].format(), timeout=5000)
    assert sorted(window.operations.kinds()) == ["assess", "download"]
    qtbot.mouseClick(window.running.cancel, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.assessment is not None, timeout=5000)
    assert window.assessment is not None and not window.assessment.complete
    assert window.operations.kinds() == ["download"]  # the download was not the one cancelled
    release.set()
    qtbot.waitUntil(lambda: not window.operations.kinds(), timeout=10_000)
    assert "Now in use: GeoLite2-Country built" in window.statusBar().currentMessage()
    assert any("GeoLite2" in d.ref.source for d in window.databases() if d.ref and d.kind == "country")


def test_cli_gui_geoip_status_and_about_name_what_an_assessment_uses(
    qtbot: QtBot,
    window: MainWindow,
    dns_zone: DnsZone,
    fixture_dbs: FixtureDatabases,
    host_file: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    import json

    from databorder.cli import main
    from databorder.orgpolicy import load_org_policy
    from tests.helpers.orgpolicy import write_policy

    write_policy(
        f'[packs]\ndefault = ["eu-gdpr-transfers"]\nmandatory = ["sanctions-ofac"]\n'
        f'[geoip]\ncountry_db = "{fixture_dbs.country}"\n'
    )
    save_settings({"nameserver": dns_zone.nameserver, "asn_db": fixture_dbs.asn, "packs": ("us-navy-genai",)})
    window.policy = load_org_policy()
    window.refresh_packs()
    ticked = sorted(window.picker.selected_packs())
    assert ticked == ["sanctions-ofac", "us-navy-genai"]  # saved packs replace the policy's default; mandatory added
    run_to_result(qtbot, window, TargetRequest(host_files=(host_file,)))
    out = tmp_path / "cli.json"
    assert main(["assess", "--hosts", str(host_file), "--json", str(out), "-q"]) == 0
    cli = json.loads(out.read_text(encoding="utf-8"))
    gui = window.assessment
    assert gui is not None
    assert sorted(p["id"] for p in cli["packs"]) == sorted(p.id for p in gui.packs)  # the GUI lists them A-Z
    assert [d["sha256"] for d in cli["databases"]] == [d.sha256 for d in gui.databases]
    capsys.readouterr()
    assert main(["geoip", "status"]) == 0
    status = capsys.readouterr().out
    in_use = {d.ref.sha256 for d in window.databases() if d.ref}
    for database in gui.databases:
        if database.kind in ("country", "asn"):
            assert database.sha256 in status and database.sha256 in in_use
    assert str(fixture_dbs.country) in status  # the policy's database decides; the embedded one is read beside it
    assert "(consulted beside the one above" in status
    assert "country (read beside the one above)" in window.geoip_status()


def test_at_1280_by_800_each_endpoints_verdict_and_name_fit_without_scrolling(qtbot: QtBot, window: MainWindow) -> None:
    import dataclasses

    from databorder.model import ChainLink, ServiceAttribution
    from tests.helpers.assessments import varied_assessment

    base = varied_assessment(120)
    owner = ChainLink("Alibaba Group Holding Limited", "CN")
    chain = ServiceAttribution("Alibaba Cloud Computing Ltd.", "CN", "fixture", parent_chain=(owner,))
    renamed = {e.key: f"token-plan-{i:03}.cn-beijing.maas.aliyuncs.test" for i, e in enumerate(base.endpoints)}
    assessment = dataclasses.replace(
        base,
        endpoints=tuple(dataclasses.replace(e, host=renamed[e.key], service=chain) for e in base.endpoints),
        findings=tuple(
            dataclasses.replace(f, endpoint=renamed[f.endpoint], message=f"{renamed[f.endpoint]} {f.message * 4}")
            for f in base.findings
        ),
    )
    window.show_assessment(assessment)
    qtbot.waitExposed(window)
    assert (window.width(), window.height()) == (1280, 800)
    table = window.results.table
    assert not table.horizontalScrollBar().isVisible()
    shown = [c for c in range(table.model().columnCount()) if not table.isColumnHidden(c)]
    assert all(table.columnViewportPosition(c) + table.columnWidth(c) <= table.viewport().width() for c in shown)
    assert table.columnViewportPosition(SEVERITY) == 0 and table.model().index(0, SEVERITY).data() == "prohibit"
    metrics = table.fontMetrics()
    assert table.columnWidth(SEVERITY) > metrics.horizontalAdvance("prohibit")
    assert table.columnWidth(ENDPOINT) > metrics.horizontalAdvance(max(renamed.values(), key=len))


def test_the_keyless_update_from_settings_runs_in_the_background_without_an_account(
    qtbot: QtBot, window: MainWindow, httpserver: HTTPServer
) -> None:
    from databorder.attribute import store
    from databorder.attribute.cloud import compile_ranges
    from tests.helpers.cloudip import database, fastly_list, packed, version_json
    from tests.helpers.ip_location_db import ASN, COUNTRY, restamped, serve_release, shipped

    store.adopt_cloud_ranges(compile_ranges(database(version="2026-11-01"), source="t", where="t"), source="t")
    newer = database(version="2026-11-20")
    httpserver.expect_request("/data/version.json").respond_with_data(version_json(newer))
    httpserver.expect_request("/data/cloudip.msgpack.gz").respond_with_data(packed(newer)[1])
    httpserver.expect_request("/data/public-ip-list").respond_with_data(fastly_list())  # Fastly's, beside it
    built = dt.date(2026, 11, 20)
    serve_release(httpserver, {COUNTRY: restamped(shipped("country"), built), ASN: shipped("asn")})
    window.update_keyless(
        cloud_url=httpserver.url_for("/data"),
        geoip_url=httpserver.url_for("/latest"),
        geoip_checksum_url=httpserver.url_for("/checksum"),
    )
    qtbot.waitUntil(lambda: not window.operations.kinds(), timeout=20_000)
    message = window.statusBar().currentMessage()
    assert "Cloud ranges of 2026-11-20 now in use" in message and "Country database of 2026-11-20 now in use" in message
    assert "The ASN database in use (built 2026-06-17) is the newest published" in message
    assert any(d.kind == "cloud" and d.ref and "2026-11-20" in d.ref.source for d in window.databases())
    assert store.default_database("country")[1].source.startswith(
        "ip-location-db geo-whois-asn-country, built 2026-11-20"
    )


@pytest.mark.parametrize("field", ["roles", "operator", "basis"])
def test_a_saved_assessment_with_a_ten_megabyte_name_opens_at_once(
    qtbot: QtBot, window: MainWindow, tmp_path: Path, field: str
) -> None:
    """A 10 MB operator name held the UI thread for a minute in the table; a 10 MB role or basis, in the error."""
    import json
    import time

    from tests.helpers.assessments import full_assessment

    data = json.loads(full_assessment().to_json())
    endpoint = next(e for e in data["endpoints"] if e.get("service"))
    huge = "y" * 10_000_000
    if field == "roles":
        endpoint["roles"] = [huge]
    else:
        endpoint["service"][field] = huge
    saved = tmp_path / "hostile.json"
    saved.write_text(json.dumps(data), encoding="utf-8")
    started = time.monotonic()
    window.open_path(saved)
    qtbot.wait(50)  # the table and the detail pane paint
    assert time.monotonic() - started < 3.0  # reading 10 MB of JSON is most of it
    if field in ("roles", "basis"):  # not one of the roles or bases: refused in a sentence, not quoting 10 MB
        assert window.last_error is not None and window.last_error.objectName() == "errorDialog"
        text = window.last_error.text() + window.last_error.detailedText()
        assert "(a bug)" not in text and len(text) < 2000 and "is not one of" in text
    else:
        assert window.assessment is not None
        assert window.last_error is None or window.last_error.objectName() == "incompleteDialog"
        texts = [window.results.model.index(r, c).data() for r in range(window.results.model.rowCount())
                 for c in range(window.results.model.columnCount())]  # fmt: skip
        assert max(len(t) for t in texts if t) < 400


def test_a_saved_assessment_of_hundreds_of_megabytes_is_read_off_the_ui_thread(
    qtbot: QtBot, window: MainWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A 240 MB damaged file held the UI thread for 2.5 s being read; big files are read in the background."""
    import time

    from databorder.gui import mainwindow
    from tests.helpers.assessments import full_assessment

    monkeypatch.setattr(mainwindow, "OPEN_IN_BACKGROUND", 1000)  # so that a small file shows the way
    saved = tmp_path / "big.json"
    saved.write_text(full_assessment().to_json(), encoding="utf-8")
    started = time.monotonic()
    window.open_path(saved)
    assert window.assessment is None and window.operations.busy(mainwindow.OPEN)  # returned at once
    assert time.monotonic() - started < 0.5
    qtbot.waitUntil(lambda: window.assessment is not None, timeout=5000)
    damaged = tmp_path / "damaged.json"
    damaged.write_text(full_assessment().to_json() * 3, encoding="utf-8")
    window.open_path(damaged)
    qtbot.waitUntil(lambda: window.last_error is not None and window.last_error.objectName() == "errorDialog",
                    timeout=5000)  # fmt: skip
    box = window.last_error
    assert box is not None and "not a DataBorder assessment" in box.text()
