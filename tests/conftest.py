"""Shared fixtures: real .mmdb databases built by code, and the JSON Schema every assessment must satisfy."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import jsonschema
import pytest

from databorder.model import Assessment
from databorder.resources import resource_path
from tests.helpers.mmdb import write_asn_db, write_country_db


@dataclass(frozen=True)
class FixtureDatabases:
    country: Path
    country_flat: Path
    asn: Path


@pytest.fixture(scope="session")
def fixture_dbs(tmp_path_factory: pytest.TempPathFactory) -> FixtureDatabases:
    folder = tmp_path_factory.mktemp("mmdb")
    return FixtureDatabases(
        country=write_country_db(folder / "country.mmdb"),
        country_flat=write_country_db(folder / "country-flat.mmdb", shape="ip-location-db"),
        asn=write_asn_db(folder / "asn.mmdb"),
    )


@pytest.fixture(scope="session")
def check_schema() -> object:
    """A function validating an assessment (object or JSON text) against the shipped JSON Schema."""
    schema = json.loads(resource_path("schema", "assessment.schema.json").read_text(encoding="utf-8"))
    validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)

    def check(assessment: Assessment | str) -> dict[str, object]:
        text = assessment.to_json() if isinstance(assessment, Assessment) else assessment
        data = json.loads(text)
        errors = sorted(validator.iter_errors(data), key=lambda e: list(e.path))
        assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors)
        return data  # type: ignore[no-any-return]

    return check
