from __future__ import annotations

import hashlib
import json
import zipfile
from pathlib import Path

import pytest

from databorder.errors import ResourceError
from databorder.resources import _packaged_data, data_root, resource_path, rules_dir


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
    monkeypatch.setattr("databorder.resources._packaged_data", lambda: None)
    with pytest.raises(ResourceError, match="was not found") as error:
        data_root()
    assert str(tmp_path / "nowhere") in str(error.value)


def test_an_installed_package_finds_the_copy_inside_it_before_the_source_tree(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A wheel installs the data as databorder/_data/ beside the code (setup.py copies it there when building).
    package = tmp_path / "site-packages" / "databorder"
    (package / "_data" / "resources").mkdir(parents=True)
    (package / "_data" / "rules").mkdir()
    monkeypatch.delenv("DATABORDER_DATA", raising=False)
    monkeypatch.setattr("importlib.resources.files", lambda name: package if name == "databorder" else None)
    assert data_root() == package / "_data"
    assert rules_dir() == package / "_data" / "rules"
    monkeypatch.setenv("DATABORDER_DATA", str(tmp_path / "nowhere"))  # an override that is not there is passed by
    assert data_root() == package / "_data"
    (package / "_data" / "rules").rmdir()  # an incomplete copy: the source tree is next
    assert data_root() == Path(__file__).resolve().parents[2]


def test_a_package_imported_from_a_zip_has_no_packaged_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The data must be real files (the GeoIP reader maps them): a zip's Traversable is passed by.
    archive = tmp_path / "app.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("databorder/_data/rules/x.toml", "")
        zipped.writestr("databorder/_data/resources/x.txt", "")
    monkeypatch.setattr("importlib.resources.files", lambda name: zipfile.Path(archive, "databorder/"))
    assert _packaged_data() is None


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
