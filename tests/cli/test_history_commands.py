"""`databorder history`, `databorder diff` and the "What changed" section of `assess` (the store: tests/history)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from databorder.cli import main
from databorder.history import HistoryStore, history_path
from tests.conftest import FixtureDatabases
from tests.helpers.orgpolicy import write_policy


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def offline(dbs: FixtureDatabases, *hosts: str) -> list[str]:
    return ["assess", *hosts, "--offline", "--country-db", str(dbs.country), "--asn-db", str(dbs.asn)]


def test_assess_says_what_changed_since_last_time_and_history_and_diff_list_it(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, fixture_dbs: FixtureDatabases
) -> None:
    hosts = tmp_path / "app-hosts.txt"
    hosts.write_text("203.0.113.10\n", encoding="utf-8")  # CN in the fixture database
    code, out, _ = run(capsys, *offline(fixture_dbs), "--hosts", str(hosts), "--json", str(tmp_path / "one.json"))
    assert code == 0 and "What changed" not in out
    hosts.write_text("203.0.113.10\n198.51.100.140\n", encoding="utf-8")  # and DE
    code, out, _ = run(capsys, *offline(fixture_dbs), "--hosts", str(hosts), "--json", str(tmp_path / "two.json"))
    assert code == 0
    assert "What changed since #1 (" in out
    assert "new endpoints (1): 198.51.100.140" in out and "new hosting countries (1): DE" in out
    assert "new regions reached (3): eea, eu, europe" in out
    saved = json.loads((tmp_path / "two.json").read_text(encoding="utf-8"))
    assert saved["changes_since"]["previous"]["id"] == 1
    assert saved["changes_since"]["new_countries"] == ["DE"]

    code, out, _ = run(capsys, "history")
    assert code == 0 and "2 in all" in out and out.count("prohibit") == 2
    code, out, _ = run(capsys, "history", "no-such-app")
    assert code == 0 and "no assessment of 'no-such-app' is kept" in out

    code, out, _ = run(capsys, "diff", "#2", "1")  # backwards: DE is gone
    assert code == 0 and "endpoints gone (1): 198.51.100.140" in out and "since #2" in out
    code, out, _ = run(capsys, "diff", str(tmp_path / "one.json"), "2", "--json", "-")
    changes = json.loads(out)
    assert code == 0 and changes["previous"]["id"] is None and changes["new_endpoints"] == ["198.51.100.140"]


def test_no_history_keeps_nothing_and_the_policy_can_turn_the_history_off(
    capsys: pytest.CaptureFixture[str], fixture_dbs: FixtureDatabases
) -> None:
    assert run(capsys, *offline(fixture_dbs, "203.0.113.10"), "--no-history", "--quiet")[0] == 0
    assert not history_path().exists()
    write_policy("[history]\nkeep = false\n")
    code, out, _ = run(capsys, *offline(fixture_dbs, "203.0.113.10"), "--json", "-")
    assert code == 0 and not history_path().exists()
    assert any("history turned off" in note for note in json.loads(out)["notes"])
    run(capsys, *offline(fixture_dbs, "203.0.113.10"), "--quiet")
    assert not history_path().exists()


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["diff", "7", "8"], "history has no assessment #7"),
        (["diff", "missing.json", "1"], "missing.json: cannot be read"),
        (["history", "--limit", "-1"], "--limit must be 0 (all) or more"),
    ],
)
def test_bad_references_give_one_sentence_and_exit_3(
    capsys: pytest.CaptureFixture[str], args: list[str], fragment: str
) -> None:
    with HistoryStore():
        pass
    code, _out, err = run(capsys, *args)
    assert code == 3 and fragment in err and "Traceback" not in err


def test_a_damaged_store_is_named_and_history_exits_3(capsys: pytest.CaptureFixture[str]) -> None:
    history_path().parent.mkdir(parents=True)
    history_path().write_bytes(b"not sqlite" * 100)
    code, _out, err = run(capsys, "history")
    assert code == 3 and f"{history_path()}: is not a DataBorder history store" in err


def test_reading_an_empty_history_makes_no_store(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert run(capsys, "history")[1] == "no assessment is kept in the history yet\n"
    out = tmp_path / "none.ndjson"
    assert run(capsys, "export", "--out", str(out))[0] == 0
    assert out.read_bytes() == b"" and not history_path().exists()
