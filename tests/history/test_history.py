from __future__ import annotations

import dataclasses
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from databorder.assess import AssessOptions, assess_request
from databorder.collect.targets import TargetRequest
from databorder.history import VERSION, HistoryError, HistoryStore, _v1, compare, history_path, record, target_key
from databorder.model import AddressAttribution, Assessment, Endpoint, NetworkOperator, ServiceAttribution, Target
from tests.helpers.assessments import varied_assessment

ROOT = Path(__file__).resolve().parents[2]


def at(assessment: Assessment, created: str) -> Assessment:
    return dataclasses.replace(assessment, created=created)


def moved(endpoint: Endpoint, *, country: str, operator: str, operator_country: str) -> Endpoint:
    """The endpoint hosted somewhere else and run by someone else."""
    address = AddressAttribution(
        ip="192.0.2.77",
        scope="public",
        country=country,
        asn=64500,
        as_organization="Example Net",
        network_operator=NetworkOperator(name="Example Net", country=operator_country),
        anycast=False,
    )
    service = ServiceAttribution(operator=operator, country=operator_country, source="fixture")
    return dataclasses.replace(endpoint, addresses=(address,), service=service)


def test_the_first_assessment_of_a_target_has_no_changes_and_the_next_one_says_what_changed(tmp_path: Path) -> None:
    store_file = tmp_path / "h.sqlite3"
    old = at(varied_assessment(12), "2026-11-01T10:00:00+00:00")
    first_id, first = record(old, store_file)
    assert first.changes_since is None and first_id == 1

    # Two endpoints gone, one new one hosted in Iran and run from Russia; the verdict changes.
    kept = old.endpoints[2:]
    new_endpoint = moved(
        dataclasses.replace(old.endpoints[0], host="api.new-app.test"),
        country="IR",
        operator="Ru Vendor",
        operator_country="RU",
    )
    new = dataclasses.replace(
        old, created="2026-12-01T10:00:00+00:00", endpoints=(new_endpoint, *kept), verdict="review", score=15
    )
    second_id, second = record(new, store_file)
    changes = second.changes_since
    assert changes is not None and second_id == 2
    assert (changes.previous.id, changes.previous.created) == (1, "2026-11-01T10:00:00+00:00")
    assert changes.new_endpoints == ("api.new-app.test",)
    assert set(changes.removed_endpoints) == {old.endpoints[0].key, old.endpoints[1].key}
    assert changes.new_countries == ()  # IR was already among the twelve's countries
    assert changes.new_operators == ("Ru Vendor",)
    assert changes.new_jurisdictions == ("RU",)
    assert changes.verdict_change is not None
    assert (changes.verdict_change.old, changes.verdict_change.new) == ("prohibit", "review")
    assert not changes.verdict_change.worse
    words = changes.in_words()
    assert "verdict prohibit → review (better; score 60 → 15)" in words
    assert "new jurisdictions whose law reaches the data (1): RU" in words
    assert changes.since() == "since #1 (2026-11-01 10:00 UTC, prohibit 60/100)"

    with HistoryStore(store_file) as store:
        assert store.get(2) == second  # kept with its changes
        assert [s.id for s in store.list()] == [2, 1]


def test_new_hosting_countries_and_the_regions_they_reach() -> None:
    old = varied_assessment(3)  # CN, US, DE
    brazil = moved(old.endpoints[0], country="BR", operator=old.endpoints[0].service.operator, operator_country="CN")  # type: ignore[union-attr]
    new = dataclasses.replace(old, endpoints=(brazil, *old.endpoints[1:]))
    changes = compare(old, new, previous_id=None)
    assert changes.new_countries == ("BR",) and changes.removed_countries == ("CN",)
    assert "south-america" in changes.new_regions and "asia" not in changes.new_regions
    assert changes.previous.id is None and changes.verdict_change is None
    same = compare(old, old)
    assert same.nothing and same.in_words() == ["nothing changed"]


def test_findings_new_and_resolved_are_counted_by_rule_and_endpoint() -> None:
    old = varied_assessment(6)
    new = dataclasses.replace(old, findings=old.findings[1:])
    assert compare(old, new).resolved_findings == 1 and compare(new, old).new_findings == 1


def test_the_previous_is_the_latest_complete_assessment_of_the_same_target(tmp_path: Path) -> None:
    store_file = tmp_path / "h.sqlite3"
    base = varied_assessment(4)
    record(at(base, "2026-11-01T00:00:00+00:00"), store_file)  # 1: complete
    record(dataclasses.replace(base, complete=False, created="2026-11-02T00:00:00+00:00"), store_file)  # 2
    other = dataclasses.replace(base, target=Target(kind="path", name="other-app"))
    assert record(other, store_file)[1].changes_since is None  # 3: another target
    _id, latest = record(at(base, "2026-11-03T00:00:00+00:00"), store_file)
    assert latest.changes_since is not None and latest.changes_since.previous.id == 1


def test_hosts_typed_on_the_command_line_are_part_of_the_identity() -> None:
    base = varied_assessment(2)
    typed = [
        dataclasses.replace(e, evidence=(dataclasses.replace(e.evidence[0], collector="cli"),)) for e in base.endpoints
    ]
    one = dataclasses.replace(base, target=Target(kind="hosts", name="command line"), endpoints=(typed[0],))
    two = dataclasses.replace(one, endpoints=(typed[1],))
    assert target_key(one) != target_key(two)
    assert target_key(one) == target_key(dataclasses.replace(one, created="2027-01-01T00:00:00+00:00"))
    assert target_key(base) == "hosts:hosts.txt"


def test_history_lists_by_app_name_or_catalog_id(tmp_path: Path) -> None:
    store_file = tmp_path / "h.sqlite3"
    base = varied_assessment(2)
    record(dataclasses.replace(base, target=Target(kind="catalog", name="DeepSeek (catalog)")), store_file)
    record(dataclasses.replace(base, target=Target(kind="path", name="claude-code-2.0.tgz")), store_file)
    with HistoryStore(store_file) as store:
        assert [s.target_name for s in store.list("deepseek")] == ["DeepSeek (catalog)"]
        assert [s.target_name for s in store.list("claude-code")] == ["claude-code-2.0.tgz"]
        assert len(store.list(limit=1)) == 1 and store.count() == 2
        assert [i for i, _a in store.assessments(since="2026-01-01")] == [1, 2]
        assert list(store.assessments(since="2999-01-01")) == []


def test_the_store_is_in_wal_mode_in_the_user_data_folder_with_endpoint_rows(tmp_path: Path) -> None:
    record(varied_assessment(6))
    path = history_path()
    assert path.name == "history.sqlite3" and str(path).startswith(os.environ["XDG_DATA_HOME"])
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert db.execute("PRAGMA user_version").fetchone()[0] == VERSION
        rows = db.execute("SELECT endpoint, countries, operator, severity FROM endpoints ORDER BY endpoint").fetchall()
    assert ("api0.cn-app.test", "CN", "Vendor 0", "prohibit") in rows and len(rows) == 6


def test_a_version_1_store_is_migrated_and_its_rows_gain_endpoint_rows(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    assessment = varied_assessment(3)
    with sqlite3.connect(path) as db:
        _v1(db)
        from databorder.history import _encode

        db.execute(
            "INSERT INTO assessments (created, target_key, target_kind, target_name, verdict, score, complete, "
            "endpoint_count, finding_count, tool_version, document) VALUES (?, ?, ?, ?, ?, ?, 1, 3, 1, '0.1.0', ?)",
            (assessment.created, target_key(assessment), "hosts", "hosts.txt", "prohibit", 60, _encode(assessment)),
        )
        db.execute("PRAGMA user_version = 1")
    with HistoryStore(path) as store:
        assert store.version == VERSION == 2
        assert store.get(1) == assessment
        _id, again = store.record(assessment)
        assert again.changes_since is not None and again.changes_since.nothing
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT count(*) FROM endpoints WHERE assessment_id = 1").fetchone()[0] == 3


def test_a_store_from_a_newer_release_or_not_a_store_is_refused_with_a_sentence_and_left_alone(tmp_path: Path) -> None:
    newer = tmp_path / "newer.sqlite3"
    with sqlite3.connect(newer) as db:
        db.execute("PRAGMA user_version = 99")
    with pytest.raises(HistoryError, match=r"newer\.sqlite3: the history store was written by a newer DataBorder"):
        HistoryStore(newer)
    with sqlite3.connect(newer) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == 99

    junk = tmp_path / "junk.sqlite3"
    junk.write_bytes(b"this is not SQLite at all, just some text that is long enough" * 20)
    with pytest.raises(HistoryError, match=r"junk\.sqlite3: is not a DataBorder history store"):
        HistoryStore(junk)
    with HistoryStore(tmp_path / "h.sqlite3") as store, pytest.raises(HistoryError, match="no assessment #5"):
        store.get(5)


def test_assess_request_keeps_every_assessment_unless_told_not_to(tmp_path: Path) -> None:
    hosts = tmp_path / "hosts.txt"
    hosts.write_text("203.0.113.9\n", encoding="utf-8")
    request = TargetRequest(host_files=(hosts,))
    first = assess_request(request, AssessOptions(offline=True))
    second = assess_request(request, AssessOptions(offline=True))
    assert first.changes_since is None
    assert second.changes_since is not None and second.changes_since.nothing
    unkept = assess_request(request, AssessOptions(offline=True, history=False))
    assert unkept.changes_since is None
    with HistoryStore() as store:
        assert store.count() == 2


def test_a_store_that_cannot_be_used_costs_the_assessment_nothing_but_a_note(tmp_path: Path) -> None:
    history_path().parent.mkdir(parents=True)
    history_path().write_bytes(b"garbage" * 200)
    hosts = tmp_path / "hosts.txt"
    hosts.write_text("203.0.113.9\n", encoding="utf-8")
    assessment = assess_request(TargetRequest(host_files=(hosts,)), AssessOptions(offline=True))
    assert assessment.complete and any("not kept in the history" in n for n in assessment.notes)


# A writer that keeps recording assessments and says each id once its transaction has committed.
WRITER = """
import sys
from databorder.history import HistoryStore
from tests.helpers.assessments import varied_assessment
assessment = varied_assessment(400)
with HistoryStore() as store:
    while True:
        row_id, _ = store.record(assessment)
        print(row_id, flush=True)
"""


@pytest.mark.parametrize("after", [3, 11, 25])
def test_a_writer_killed_mid_write_leaves_every_committed_assessment_readable(tmp_path: Path, after: int) -> None:
    env = {**os.environ, "PYTHONPATH": f"{ROOT / 'desktop'}{os.pathsep}{ROOT}"}
    committed: list[int] = []
    with subprocess.Popen(
        [sys.executable, "-c", WRITER], stdout=subprocess.PIPE, text=True, env=env, cwd=ROOT
    ) as writer:
        assert writer.stdout is not None
        try:
            while len(committed) < after:
                line = writer.stdout.readline()
                assert line, "the writer stopped before it was killed"
                committed.append(int(line))
            time.sleep((after % 7) / 1000)  # land somewhere inside the next write
        finally:
            writer.send_signal(signal.SIGKILL)
            writer.wait(timeout=30)
    assert writer.returncode == -signal.SIGKILL
    with sqlite3.connect(history_path()) as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    with HistoryStore() as store:
        kept = {s.id for s in store.list()}
        assert set(committed) <= kept  # nothing committed is lost; at most the one being written is missing
        assert len(kept) <= len(committed) + 2
        for row_id in committed:
            assert len(store.get(row_id).endpoints) == 400
        _id, next_one = store.record(varied_assessment(400))  # and the store takes writes again
        assert next_one.changes_since is not None


def test_the_osquery_tables_are_queries_the_store_answers_with_the_columns_they_declare() -> None:
    import json as jsonlib

    record(varied_assessment(5))
    config = jsonlib.loads((ROOT / "packaging/osquery/databorder.conf").read_text(encoding="utf-8"))
    tables = config["auto_table_construction"]
    assert set(tables) == {"databorder_assessments", "databorder_endpoints"}
    with sqlite3.connect(f"file:{history_path()}?mode=ro", uri=True) as db:  # osquery opens it read-only
        for name, table in tables.items():
            assert table["path"] == "/home/%/.local/share/databorder/history.sqlite3", name
            cursor = db.execute(table["query"])
            assert [d[0] for d in cursor.description] == table["columns"], name
            assert cursor.fetchall(), name
