"""The check every assessment a test writes goes through: the shipped JSON Schema (resources/schema), with formats.

Tests that write JSON (``--json``, ``write_json``, a GUI export, the self-test) pass what was written here, so a
field the writer emits that the schema does not allow (an enum value the schema lacks, a bound it states too
tightly) fails the test that produced it.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

import jsonschema

from databorder.model import Assessment
from databorder.resources import resource_path


@functools.cache
def assessment_validator() -> jsonschema.Draft202012Validator:
    """A validator for the shipped schema that also checks formats (date-time, date, ipv4, ipv6)."""
    schema = json.loads(resource_path("schema", "assessment.schema.json").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)


def schema_errors(data: object) -> list[str]:
    """Every way ``data`` (parsed JSON) breaks the schema, as ``path: message`` lines; empty when it is valid."""
    errors = sorted(assessment_validator().iter_errors(data), key=lambda e: [str(p) for p in e.absolute_path])
    return [f"{'.'.join(map(str, e.absolute_path)) or '(top level)'}: {e.message}" for e in errors]


def check_assessment(source: Assessment | str | Path) -> dict[str, Any]:
    """Assert that an assessment (object, JSON text, or a written file) satisfies the schema; return its data."""
    if isinstance(source, Assessment):
        text = source.to_json()
    elif isinstance(source, Path):
        text = source.read_text(encoding="utf-8")
    else:
        text = source
    data = json.loads(text)
    errors = schema_errors(data)
    assert not errors, "the assessment breaks resources/schema/assessment.schema.json:\n" + "\n".join(errors)
    assert isinstance(data, dict)
    return data
