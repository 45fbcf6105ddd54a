"""Dependencies a package or project declares, and the vendors' SDKs among them.

A wrapper (``langchain-deepseek``, ``llama-index-llms-dashscope``, a project's ``requirements.txt``) often names
no host of its own: it sends data through the vendor's SDK it depends on. The manifests that declare
dependencies are read here — a wheel's ``METADATA``/``PKG-INFO`` (``Requires-Dist``), ``package.json``
(``dependencies``, ``peerDependencies``, ``optionalDependencies``; never ``devDependencies``),
``requirements*.txt``, ``pyproject.toml`` (PEP 621 and Poetry) and ``Pipfile`` — and each dependency the
knowledge base lists as a vendor's SDK becomes a sighting of the endpoint that SDK calls by default.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Iterator, Mapping
from typing import Any, NamedTuple

from databorder.knowledge import package_key

#: Relevance of an SDK's endpoint reached through a declared dependency: a data endpoint, though no code line
#: of the package itself names it; an optional one (an extra) a little less.
DEPENDENCY_RELEVANCE = 0.8
OPTIONAL_RELEVANCE = 0.65
_REQUIREMENTS = re.compile(r"(?:^|/)requirements[\w.-]*\.(?:txt|in)$", re.IGNORECASE)
_MANIFESTS = frozenset({"metadata", "pkg-info", "package.json", "pyproject.toml", "pipfile"})
_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")
_LARGEST = 4 << 20  # a manifest is small; a bigger file of that name is not one


class Dependency(NamedTuple):
    """One declared dependency: its registry, name, where its declaration starts, and whether it is optional."""

    registry: str
    name: str
    offset: int
    optional: bool


def is_manifest(source: str) -> bool:
    """Whether a file (by its path in the scan) declares dependencies."""
    name = source.rsplit("!", 1)[-1].rsplit("/", 1)[-1]
    return name.lower() in _MANIFESTS or bool(_REQUIREMENTS.search(name))


def declared(source: str, data: bytes) -> list[Dependency]:
    """The dependencies a manifest declares; nothing when it cannot be read as one (never an error)."""
    if len(data) > _LARGEST:
        return []
    name = source.rsplit("!", 1)[-1].rsplit("/", 1)[-1].lower()
    text = data.decode("utf-8", errors="replace")
    try:
        if name in ("metadata", "pkg-info"):
            return list(_metadata(text))
        if name == "package.json":
            return list(_package_json(text))
        if name == "pyproject.toml":
            return list(_pyproject(text))
        if name == "pipfile":
            return list(_pipfile(text))
        return list(_requirements(text))
    except (ValueError, TypeError, AttributeError, tomllib.TOMLDecodeError):  # not a manifest after all
        return []


def sdk_hits(source: str, data: bytes, sdks: Mapping[str, str]) -> Iterator[tuple[str, int, str, float]]:
    """(endpoint, offset, excerpt, relevance) for each declared dependency that is a vendor's SDK."""
    for dependency in declared(source, data):
        endpoint = sdks.get(package_key(dependency.registry, dependency.name))
        if endpoint is None:
            continue
        kind = "optional dependency" if dependency.optional else "dependency"
        excerpt = (
            f"declares the {kind} {dependency.name} ({dependency.registry}), "
            f"an SDK whose default endpoint is {endpoint}"
        )
        yield endpoint, dependency.offset, excerpt, OPTIONAL_RELEVANCE if dependency.optional else DEPENDENCY_RELEVANCE


def _metadata(text: str) -> Iterator[Dependency]:
    offset = 0
    for line in text.splitlines(keepends=True):
        if not line.strip():  # the headers end at the first blank line; the description follows
            return
        if line.lower().startswith("requires-dist:"):
            value = line.split(":", 1)[1]
            found = _NAME.match(value)
            if found:
                yield Dependency("pypi", found.group(1), offset, "extra ==" in value.replace("  ", " "))
        offset += len(line.encode("utf-8"))


def _package_json(text: str) -> Iterator[Dependency]:
    data = json.loads(text)
    if not isinstance(data, dict):
        return
    for key, optional in (("dependencies", False), ("peerDependencies", False), ("optionalDependencies", True)):
        table = data.get(key)
        if isinstance(table, dict):
            for name in table:
                if isinstance(name, str):
                    yield Dependency("npm", name, _offset_of(text, f'"{name}"'), optional)


def _pyproject(text: str) -> Iterator[Dependency]:
    data = tomllib.loads(text)
    project = data.get("project", {})
    for spec in project.get("dependencies", []) if isinstance(project, dict) else []:
        yield from _requirement(text, spec, optional=False)
    extras = project.get("optional-dependencies", {}) if isinstance(project, dict) else {}
    for specs in extras.values() if isinstance(extras, dict) else []:
        for spec in specs if isinstance(specs, list) else []:
            yield from _requirement(text, spec, optional=True)
    poetry = data.get("tool", {}).get("poetry", {})
    for name in _keys(poetry.get("dependencies")) if isinstance(poetry, dict) else []:
        if name.lower() != "python":
            yield Dependency("pypi", name, _offset_of(text, name), False)


def _pipfile(text: str) -> Iterator[Dependency]:
    for name in _keys(tomllib.loads(text).get("packages")):
        yield Dependency("pypi", name, _offset_of(text, name), False)


def _requirements(text: str) -> Iterator[Dependency]:
    offset = 0
    for line in text.splitlines(keepends=True):
        stripped = line.split("#", 1)[0]
        if stripped.strip() and not stripped.lstrip().startswith("-"):  # -r, -e, --index-url: options, not names
            found = _NAME.match(stripped)
            if found and "://" not in stripped:
                yield Dependency("pypi", found.group(1), offset, False)
        offset += len(line.encode("utf-8"))


def _requirement(text: str, spec: Any, *, optional: bool) -> Iterator[Dependency]:
    if isinstance(spec, str) and (found := _NAME.match(spec)):
        yield Dependency("pypi", found.group(1), _offset_of(text, spec), optional)


def _keys(table: Any) -> list[str]:
    return [key for key in table if isinstance(key, str)] if isinstance(table, dict) else []


def _offset_of(text: str, needle: str) -> int:
    at = text.find(needle)
    return len(text[:at].encode("utf-8")) if at >= 0 else 0
