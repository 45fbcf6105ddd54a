from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from databorder.errors import ResourceError
from databorder.resources import data_root, resource_path, rules_dir


def test_shipped_data_is_found_without_relying_on_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert (rules_dir() / "us-countries-of-concern.toml").is_file()
    assert resource_path("schema", "assessment.schema.json").is_file()


def test_environment_override_and_a_clear_error_when_data_is_missing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = tmp_path / "data"
    (data / "resources").mkdir(parents=True)
    (data / "rules").mkdir()
    monkeypatch.setenv("DATABORDER_DATA", str(data))
    assert data_root() == data
    monkeypatch.setenv("DATABORDER_DATA", str(tmp_path / "nowhere"))
    monkeypatch.setattr("databorder.resources.__file__", str(tmp_path / "a" / "b" / "c.py"))
    with pytest.raises(ResourceError, match="was not found"):
        data_root()


def test_embedded_databases_match_their_provenance() -> None:
    folder = resource_path("geoip")
    provenance = json.loads((folder / "provenance.json").read_text(encoding="utf-8"))
    kinds = {entry["kind"] for entry in provenance["databases"]}
    assert kinds == {"country", "asn"}
    for entry in provenance["databases"]:
        data = (folder / entry["file"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == entry["sha256"], entry["file"]
        assert entry["licence"] == "CC BY 4.0" and entry["attribution"]
    assert (folder / "licenses" / "asn" / "DBIP-LICENSE").is_file()
