"""The shipped JSON Schema is the model's: generated from it, and agreeing with the reader field by field."""

from __future__ import annotations

import dataclasses
import json
import re
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal, Union, get_args, get_origin, get_type_hints

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from databorder.model import Assessment, from_jsonable, is_required, to_jsonable
from databorder.resources import resource_path
from databorder.schema import assessment_schema, def_name, schema_text
from tests.helpers.assessments import full_assessment
from tests.helpers.schema import assessment_validator, check_assessment

DOCS = Path(__file__).resolve().parents[2] / "docs" / "assessment-json.md"


def test_the_committed_schema_is_the_generated_one() -> None:
    committed = resource_path("schema", "assessment.schema.json").read_text(encoding="utf-8")
    assert committed == schema_text(), "the model changed: run `python3 packaging/build_schema.py` and commit"


def test_the_schema_is_a_valid_draft_2020_12_schema_with_one_definition_per_model_class() -> None:
    schema = assessment_schema()
    assessment_validator().check_schema(schema)
    classes = {def_name(cls) for cls, _, _ in _objects(Assessment, json.loads(full_assessment().to_json()), "")}
    assert set(schema["$defs"]) == classes - {"assessment"}


# --- the schema and the reader agree, tried on every field of an assessment that has them all --------------------


def _strip(tp: Any) -> Any:
    """The type inside ``X | None``."""
    if get_origin(tp) in (Union, types.UnionType):
        (inner,) = [a for a in get_args(tp) if a is not type(None)]
        return inner
    return tp


def _objects(cls: type, data: dict[str, Any], where: str) -> Iterator[tuple[type, dict[str, Any], str]]:
    """Every JSON object in ``data`` with the model class it is read as and its path (``endpoints[1].service``)."""
    yield cls, data, where
    hints = get_type_hints(cls)
    for f in dataclasses.fields(cls):
        tp, value = _strip(hints[f.name]), data.get(f.name)
        here = f"{where}.{f.name}" if where else f.name
        if dataclasses.is_dataclass(tp) and isinstance(value, dict):
            yield from _objects(tp, value, here)  # type: ignore[arg-type]
        elif get_origin(tp) is tuple and dataclasses.is_dataclass(get_args(tp)[0]):
            for i, item in enumerate(value or ()):
                yield from _objects(get_args(tp)[0], item, f"{here}[{i}]")


def _cases() -> Iterator[tuple[str, dataclasses.Field[Any], Any]]:
    """(path of an object, one of its fields, that field's type) for every field of every object."""
    data = json.loads(full_assessment().to_json())
    for cls, _obj, where in _objects(Assessment, data, ""):
        hints = get_type_hints(cls)
        for f in dataclasses.fields(cls):
            yield where, f, hints[f.name]


def _edited(where: str, name: str, change: Any) -> dict[str, Any]:
    """The full assessment's JSON with field ``name`` of the object at ``where`` changed by ``change(obj)``."""
    data = json.loads(full_assessment().to_json())
    target = data
    for part in re.findall(r"[a-z_]+|\[\d+\]", where):
        target = target[int(part[1:-1])] if part.startswith("[") else target[part]
    change(target)
    return data  # type: ignore[no-any-return]


def _reads(data: dict[str, Any]) -> str | None:
    """None if the reader accepts ``data``, else its sentence."""
    try:
        from_jsonable(Assessment, data)
    except ValueError as exc:
        return str(exc)
    return None


CASES = list(_cases())
IDS = [f"{where or 'assessment'}.{f.name}" for where, f, _ in CASES]


def test_the_full_assessment_satisfies_the_schema_and_reads_back_equal() -> None:
    data = check_assessment(full_assessment())
    assert from_jsonable(Assessment, data) == full_assessment()
    assert len(CASES) > 80  # every field of every object, some several times (two endpoints, two addresses)


@pytest.mark.parametrize(("where", "field", "tp"), CASES, ids=IDS)
def test_a_field_missing_is_refused_by_the_schema_and_the_reader_exactly_when_it_is_required(
    where: str, field: dataclasses.Field[Any], tp: Any
) -> None:
    data = _edited(where, field.name, lambda obj: obj.pop(field.name))
    valid, problem = assessment_validator().is_valid(data), _reads(data)
    if is_required(field):
        assert not valid, "the schema lets a required field be left out"
        assert problem is not None and f"{where}.{field.name}".lstrip(".") in problem
    else:
        assert valid, "the schema requires a field the reader does not"
        assert problem is None, f"the reader requires a field the schema does not: {problem}"


@pytest.mark.parametrize(("where", "field", "tp"), CASES, ids=IDS)
def test_a_value_of_the_wrong_json_type_is_refused_by_both(where: str, field: dataclasses.Field[Any], tp: Any) -> None:
    def spoil(obj: dict[str, Any]) -> None:
        obj[field.name] = [[]]  # a list of lists: no field of the model takes one

    data = _edited(where, field.name, spoil)
    assert not assessment_validator().is_valid(data)
    assert _reads(data) is not None


LITERAL_CASES = [
    (where, f, tp)
    for where, f, tp in CASES
    if get_origin(_strip(tp)) is Literal
    or (get_origin(_strip(tp)) is tuple and get_origin(get_args(_strip(tp))[0]) is Literal)
]


@pytest.mark.parametrize(
    ("where", "field", "tp"), LITERAL_CASES, ids=[f"{w or 'assessment'}.{f.name}" for w, f, _ in LITERAL_CASES]
)
def test_every_literal_is_an_enum_of_the_same_values_and_both_refuse_any_other(
    where: str, field: dataclasses.Field[Any], tp: Any
) -> None:
    inner = _strip(tp)
    is_list = get_origin(inner) is tuple
    values = get_args(get_args(inner)[0] if is_list else inner)
    schema = assessment_schema()
    node = _schema_node(schema, where)["properties"][field.name]
    enum = node["items"]["enum"] if is_list else node["enum"]
    assert [v for v in enum if v is not None] == list(values)  # an optional Literal's enum also holds null
    for value in values:  # every value the model allows is one the schema allows
        data = _edited(where, field.name, lambda obj, v=value: obj.__setitem__(field.name, [v] if is_list else v))
        assert assessment_validator().is_valid(data) and _reads(data) is None
    data = _edited(where, field.name, lambda obj: obj.__setitem__(field.name, ["nonsense"] if is_list else "nonsense"))
    assert not assessment_validator().is_valid(data)
    assert "is not one of" in (_reads(data) or "")


def _schema_node(schema: dict[str, Any], where: str) -> dict[str, Any]:
    """The object schema that describes the object at ``where``."""
    node = schema
    for part in re.findall(r"[a-z_]+|\[\d+\]", where):
        node = node["items"] if part.startswith("[") else node["properties"][part]
        while "$ref" in node or ("anyOf" in node and "type" not in node):
            if "$ref" in node:
                node = schema["$defs"][node["$ref"].rsplit("/", 1)[1]]
            else:
                node = next(o for o in node["anyOf"] if o.get("type") != "null")
    return node


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=6,
)


@settings(max_examples=300, deadline=None)
@given(case=st.sampled_from(CASES), value=JSON_VALUES)
def test_any_value_anywhere_is_read_or_refused_with_a_sentence_and_what_the_schema_allows_is_read(
    case: tuple[str, dataclasses.Field[Any], Any], value: object
) -> None:
    where, field, _tp = case
    data = _edited(where, field.name, lambda obj: obj.__setitem__(field.name, value))
    problem = _reads(data)  # only ValueError is caught: any other exception fails the test
    if assessment_validator().is_valid(data):
        assert problem is None, f"the schema allows {value!r} at {where}.{field.name}; the reader: {problem}"


def test_a_file_with_every_optional_field_left_out_reads_as_the_defaults() -> None:
    data = json.loads(full_assessment().to_json())
    for cls, obj, _where in list(_objects(Assessment, data, "")):
        for f in dataclasses.fields(cls):
            if not is_required(f):
                del obj[f.name]
    check_assessment(json.dumps(data))
    again = from_jsonable(Assessment, data)
    assert again.packs[1].origin == "file" and again.packs[1].weight == 1.0
    assert again.endpoints[0].confidence == "observed" and again.endpoints[0].roles == ()
    assert again.endpoints[0].addresses[0].registration is None
    assert (again.complete, again.warnings, again.notes, again.points_total) == (True, (), (), 0)


# --- the documentation lists the same fields ----------------------------------------------------------------------


def _doc_tables() -> dict[str, dict[str, list[str]]]:
    """For each section of docs/assessment-json.md whose heading names a `$defs` name: field → its other cells."""
    tables: dict[str, dict[str, list[str]]] = {}
    current: dict[str, list[str]] | None = None
    for line in DOCS.read_text(encoding="utf-8").splitlines():
        heading = re.match(r"^#{2,3} .*`([a-z_]+)`$", line)
        if heading:
            current = tables.setdefault(heading.group(1), {})
        elif current is not None and (row := re.match(r"^\| `([a-z_0-9]+)` \|(.*)\|$", line)):
            current[row.group(1)] = [c.strip() for c in re.split(r"(?<!\\)\|", row.group(2))]  # \| stays in a cell
    return tables


def _type_text(tp: Any) -> str:
    """How the page writes a type: string or null, [`evidence`], `a` \\| `b` (the allowed values)."""
    if get_origin(tp) in (Union, types.UnionType):
        return f"{_type_text(_strip(tp))} or null"
    if get_origin(tp) is tuple:
        return f"[{_type_text(get_args(tp)[0])}]"
    if get_origin(tp) is Literal:
        return " \\| ".join(f"`{v}`" for v in get_args(tp))
    if dataclasses.is_dataclass(tp):
        return f"`{def_name(tp)}`"  # type: ignore[arg-type]
    return {str: "string", int: "integer", float: "number", bool: "boolean"}[tp]


def test_the_documentation_lists_every_field_its_type_and_whether_it_is_required() -> None:
    tables = _doc_tables()
    seen: set[type] = set()
    for cls, _obj, _where in _objects(Assessment, json.loads(full_assessment().to_json()), ""):
        if cls in seen:
            continue
        seen.add(cls)
        name = def_name(cls)
        assert name in tables, f"docs/assessment-json.md has no section for `{name}`"
        fields = {f.name: f for f in dataclasses.fields(cls)}
        assert list(tables[name]) == list(fields), f"`{name}`: the table's fields differ from the model's"
        hints = get_type_hints(cls)
        for field_name, (presence, type_cell, *_meaning) in tables[name].items():
            f = fields[field_name]
            expected = "required" if is_required(f) else f"optional (`{json.dumps(to_jsonable(f.default))}`)"
            assert presence == expected, f"`{name}.{field_name}` should say {expected}"
            written = _type_text(hints[field_name])
            assert type_cell.startswith(written), f"`{name}.{field_name}`: the type is {written}, not {type_cell}"


def test_the_drift_this_schema_was_generated_to_end_is_gone() -> None:
    schema = assessment_schema()
    assert "folder" in schema["$defs"]["pack_ref"]["properties"]["origin"]["enum"]  # --pack-dir writes it
    assert {"scope", "as_organization"} <= set(schema["$defs"]["address_attribution"]["required"])
    assert "ip" in schema["$defs"]["endpoint"]["required"]
    assert {"facet", "fact"} <= set(schema["$defs"]["finding"]["required"])
    assert schema["$defs"]["finding"]["properties"]["points"]["maximum"] == 1000  # 100 points × weight 10
    assert schema["properties"]["schema_version"] == {"type": "integer", "const": 1}
