"""`databorder selftest` passes on a good installation and fails, saying what, on a damaged one."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from databorder.cli import main
from databorder.resources import data_root
from databorder.selftest import run_selftest
from tests.helpers.schema import check_assessment


def test_a_good_installation_passes_every_check(tmp_path: Path) -> None:
    lines: list[str] = []
    assert run_selftest(keep=tmp_path, say=lines.append)
    assert [line.split()[1] for line in lines[:-1]] == [
        "data",
        "captures",
        "assessment",
        "json",
        "history",
        "pdf",
        "window",
    ]
    assert all(line.startswith("ok") for line in lines[:-1])
    assert lines[-1] == "selftest passed"
    assert (tmp_path / "selftest.pdf").read_bytes().startswith(b"%PDF-")
    check_assessment(tmp_path / "selftest.json")


def test_a_damaged_installation_fails_and_says_which_check(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                          capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    copy = tmp_path / "data"
    shutil.copytree(data_root() / "rules", copy / "rules")
    shutil.copytree(data_root() / "resources", copy / "resources")
    (copy / "resources" / "geoip" / "asn.mmdb").write_bytes(b"not a database")
    monkeypatch.setenv("DATABORDER_DATA", str(copy))
    assert main(["selftest", "--no-gui"]) != 0
    out = capsys.readouterr().out
    assert "FAIL data" in out and "asn.mmdb" in out
    assert "selftest FAILED" in out
