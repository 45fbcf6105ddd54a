from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given

from databorder.errors import DataBorderError
from databorder.model import Assessment
from databorder.report.jsonout import read_json, write_json
from tests.helpers.assessments import full_assessment, varied_assessment
from tests.helpers.fuzz import FUZZ, bounded, mutated
from tests.helpers.schema import check_assessment


@pytest.mark.parametrize("assessment", [varied_assessment(30), full_assessment()], ids=["varied", "full"])
def test_a_written_assessment_satisfies_the_schema_and_reads_back_equal(tmp_path: Path, assessment: object) -> None:
    assert isinstance(assessment, Assessment)
    path = tmp_path / "a.json"
    write_json(assessment, path)
    check_assessment(path)
    assert read_json(path) == assessment
    assert not list(tmp_path.glob("*.tmp"))  # the temporary file was renamed, not left behind


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b'{"schema_version": 99}', "schema_version"),
        (b"[1, 2]", "JSON object"),
        (b"\xff\xfe", "not UTF-8"),
        (b"{", "not a DataBorder"),
        (b'{"schema_version": 1, "tool": {"name": "DataBorder"}}', r"the required field tool\.version is missing"),
        (b'{"schema_version": 1, "tool": []}', "tool must be a JSON object, not a list"),
    ],
)
def test_files_that_are_not_assessments_get_a_sentence(tmp_path: Path, content: bytes, problem: str) -> None:
    path = tmp_path / "x.json"
    path.write_bytes(content)
    with pytest.raises(DataBorderError, match=problem):
        read_json(path)


def test_an_unwritable_place_gets_a_sentence(tmp_path: Path) -> None:
    with pytest.raises(DataBorderError, match="cannot write the assessment JSON"):
        write_json(varied_assessment(1), tmp_path / "missing-folder" / "a.json")
    with pytest.raises(DataBorderError, match="cannot be read"):
        read_json(tmp_path / "missing.json")


@FUZZ
@given(mutated("assessment"))
def test_fuzz_a_damaged_saved_assessment_is_read_or_refused_with_a_sentence(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "fuzz.json"
    path.write_bytes(data)
    found = bounded(lambda: read_json(path))
    assert found is None or isinstance(found, Assessment)


@pytest.mark.parametrize("number", ["9" * 400, "-" + "9" * 400, "1e99999", "NaN", "-Infinity"])
def test_a_number_no_float_holds_is_refused_with_a_sentence(tmp_path: Path, number: str) -> None:
    """A relevance of 400 digits raised OverflowError (an internal error, a "bug" dialog in the window)."""
    text = full_assessment().to_json()
    path = tmp_path / "a.json"
    path.write_text(text.replace('"relevance": ', f'"relevance": {number}, "x": ', 1), encoding="utf-8")
    with pytest.raises(DataBorderError, match=r"relevance (is a number too large to be one|must be a finite number)"):
        read_json(path)
