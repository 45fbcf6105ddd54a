"""The assessments the test helpers build are ones the schema accepts, so tests built on them test real shapes."""

from __future__ import annotations

from tests.helpers.assessments import full_assessment, varied_assessment
from tests.helpers.schema import check_assessment, schema_errors
from tests.model.test_model import sample_assessment


def test_every_helper_assessment_satisfies_the_schema() -> None:
    for assessment in (sample_assessment(), varied_assessment(60), full_assessment()):
        check_assessment(assessment)


def test_the_full_assessment_uses_a_pack_folder_and_a_weighted_finding() -> None:
    full = full_assessment()
    assert [p.origin for p in full.packs] == ["file", "folder"]
    assert max(f.points for f in full.findings) > 100


def test_schema_errors_say_where_and_what() -> None:
    data = check_assessment(full_assessment())
    data["packs"][1]["origin"] = "elsewhere"
    del data["findings"][0]["fact"]
    errors = schema_errors(data)
    assert any(e.startswith("packs.1.origin: 'elsewhere' is not one of") for e in errors)
    assert any(e.startswith("findings.0: 'fact' is a required property") for e in errors)
