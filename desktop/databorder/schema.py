"""The assessment's JSON Schema, derived from the model so the two cannot drift apart.

``resources/schema/assessment.schema.json`` is :func:`schema_text` as written by ``packaging/build_schema.py``; a
test fails when the committed file differs.  The rules, all read from :mod:`databorder.model`:

- each dataclass is an object whose properties are its fields, named as in Python;
- a field is required when it has no default or is declared with :func:`databorder.model.required`; any other
  field is optional (a file without it reads as the default);
- ``X | None`` also allows null; ``tuple[X, ...]`` is an array of X; a ``Literal`` is an enum of its values;
- ``Annotated[X, Constraint(...)]`` adds the constraint's keywords (bounds, pattern, format) to X's schema;
- a class's ``SCHEMA_RULES`` adds object-level keywords (an endpoint has a host or an IP).

Properties beyond these stay allowed: a newer release may add fields within a ``schema_version``.
"""

from __future__ import annotations

import dataclasses
import inspect
import json
import re
import types
from typing import Annotated, Any, Literal, Union, get_args, get_origin, get_type_hints

from databorder.model import SCHEMA_VERSION, Assessment, Constraint, is_required

_PRIMITIVES: dict[type, str] = {str: "string", int: "integer", float: "number", bool: "boolean"}


def assessment_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) every assessment of this ``schema_version`` satisfies."""
    defs: dict[str, Any] = {}
    root = _object(Assessment, defs)
    del root["description"]  # the root's description below says more than the class's docstring
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"urn:databorder:schema:assessment:{SCHEMA_VERSION}",
        "$comment": "Generated from desktop/databorder/model.py by packaging/build_schema.py; do not edit.",
        "title": "DataBorder assessment",
        "description": (
            "One assessment of an AI app's endpoints: where its data goes, whose law reaches it, and the verdict "
            f"of the rule packs applied. schema_version {SCHEMA_VERSION}; fields may be added, never renamed; "
            "documented in docs/assessment-json.md."
        ),
        **root,
        "$defs": dict(sorted(defs.items())),
    }


def schema_text() -> str:
    """The schema as the committed file holds it: two-space indents, UTF-8, a final newline."""
    return json.dumps(assessment_schema(), indent=2, ensure_ascii=False) + "\n"


def def_name(cls: type) -> str:
    """The ``$defs`` name of a model class: its name in snake case (``PackRef`` → ``pack_ref``)."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", cls.__name__).lower()


def _object(cls: type, defs: dict[str, Any]) -> dict[str, Any]:
    hints = get_type_hints(cls, include_extras=True)
    fields = dataclasses.fields(cls)
    schema: dict[str, Any] = {
        "type": "object",
        "description": _summary(cls),
        "required": [f.name for f in fields if is_required(f)],
        "properties": {f.name: _type(hints[f.name], defs) for f in fields},
    }
    schema.update(getattr(cls, "SCHEMA_RULES", {}))
    return schema


def _type(tp: Any, defs: dict[str, Any]) -> dict[str, Any]:
    origin = get_origin(tp)
    if origin is Annotated:
        base, *extras = get_args(tp)
        schema = _type(base, defs)
        for extra in extras:
            if isinstance(extra, Constraint):
                schema.update(extra.keywords)
        return schema
    if origin in (Union, types.UnionType):
        options = [a for a in get_args(tp) if a is not type(None)]
        if len(options) != 1:
            raise TypeError(f"the model may only use X | None unions, not {tp}")
        return _nullable(_type(options[0], defs))
    if origin is tuple:
        item, _ellipsis = get_args(tp)
        return {"type": "array", "items": _type(item, defs)}
    if origin is Literal:
        return {"enum": list(get_args(tp))}
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        name = def_name(tp)
        if name not in defs:
            defs[name] = {}  # reserved first: a class met again while this one is being built is a $ref
            defs[name] = _object(tp, defs)
        return {"$ref": f"#/$defs/{name}"}
    if tp in _PRIMITIVES:
        return {"type": _PRIMITIVES[tp]}
    raise TypeError(f"the model uses {tp}, which has no JSON form")


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    if "enum" in schema:
        return {**schema, "enum": [*schema["enum"], None]}
    if "type" in schema:
        return {**schema, "type": [schema["type"], "null"]}  # pattern, format, bounds ignore null
    return {"anyOf": [{"type": "null"}, schema]}


def _summary(cls: type) -> str:
    """The first paragraph of the class's docstring, on one line, with reST literals as plain backticks."""
    paragraph = inspect.cleandoc(cls.__doc__ or "").split("\n\n")[0]
    return " ".join(paragraph.split()).replace("``", "`")


__all__ = ["assessment_schema", "def_name", "schema_text"]
