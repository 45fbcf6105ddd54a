"""Rule packs: an organisation's rules as readable, versioned, cited TOML data — loaded and checked here.

A pack that cannot be used is refused with the file, the line and a plain sentence; nothing is guessed.  The
format is documented in docs/rule-packs.md.  This is the walking-skeleton subset: country, ASN and operator
sets over the hosting, network and service facets; later releases add more conditions without changing these.
"""

from __future__ import annotations

import hashlib
import re
import string
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import platformdirs

from databorder.errors import RulePackError
from databorder.model import SEVERITY_ORDER, Facet, PackRef, Severity
from databorder.resources import rules_dir

FACETS: tuple[Facet, ...] = ("hosting", "network", "service")
#: Conditions a rule may use, and the kind of set each one names.
CONDITIONS: dict[str, str] = {
    "country_in": "countries",
    "country_not_in": "countries",
    "asn_in": "asns",
    "operator_in": "operators",
}
#: Placeholders a rule's message may use.
MESSAGE_FIELDS = frozenset({"endpoint", "facet", "values", "set", "rule", "pack"})
_PACK_KEYS = {"id", "title", "version", "description", "sources", "extends"}
_RULE_KEYS = {"id", "facet", "when", "severity", "points", "message", "cite"}
_ID_RE = re.compile(r"^[a-z0-9][a-z0-9._-]*$")
_COUNTRY_RE = re.compile(r"^[A-Z]{2}$")


@dataclass(frozen=True)
class Rule:
    """One rule: a condition over one facet, the severity and points it adds, and what to tell the user."""

    id: str
    facet: Facet
    condition: str
    set_name: str
    severity: Severity
    points: int
    message: str
    cite: str | None


@dataclass(frozen=True)
class RulePack:
    """A loaded, checked pack with the exact bytes' sha256 so an assessment says precisely what was applied."""

    id: str
    title: str
    version: str
    sources: tuple[str, ...]
    sets: Mapping[str, frozenset[str]]
    rules: tuple[Rule, ...]
    path: Path
    sha256: str

    @property
    def ref(self) -> PackRef:
        """How an assessment records this pack."""
        return PackRef(id=self.id, version=self.version, sha256=self.sha256, title=self.title, source=self.path.name)


def user_rules_dir() -> Path:
    """Where a user's own packs live (the platform's config folder)."""
    return Path(platformdirs.user_config_dir("databorder")) / "rules"


def find_pack(name: str) -> Path:
    """The file for ``name``: a path to a .toml file, or a pack id looked up in the user's then shipped packs."""
    if name.endswith(".toml") or "/" in name or "\\" in name:
        return Path(name)
    for folder in (user_rules_dir(), rules_dir()):
        candidate = folder / f"{name}.toml"
        if candidate.is_file():
            return candidate
    known = sorted(p.stem for p in rules_dir().glob("*.toml"))
    raise RulePackError(name, f"no rule pack with this id; shipped packs: {', '.join(known) or 'none'}")


def load_pack(path: Path) -> RulePack:
    """Read and check the pack at ``path``; raises :class:`RulePackError` naming the file and line."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise RulePackError(path, "rule pack file does not exist") from None
    except OSError as exc:
        raise RulePackError(path, f"rule pack cannot be read: {exc.strerror or exc}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise RulePackError(path, "rule pack is not UTF-8 text") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        line = getattr(exc, "lineno", None) or _line_from_message(str(exc))
        reason = getattr(exc, "msg", None) or re.sub(r"\s*\(at line \d+, column \d+\)$", "", str(exc))
        raise RulePackError(path, f"is not valid TOML: {reason}", line=line) from None
    return _PackReader(path, text, hashlib.sha256(raw).hexdigest()).read(data)


class _PackReader:
    """Checks a parsed pack, finding the line of each problem in the source text."""

    def __init__(self, path: Path, text: str, sha256: str) -> None:
        self.path = path
        self.lines = text.splitlines()
        self.sha256 = sha256

    def fail(self, sentence: str, line: int | None) -> RulePackError:
        return RulePackError(self.path, sentence, line=line)

    def read(self, data: dict[str, Any]) -> RulePack:
        meta = data.get("pack")
        if not isinstance(meta, dict):
            raise self.fail("has no [pack] table (id, title, version, sources)", 1)
        meta_line = self.header_line("[pack]")
        unknown = set(meta) - _PACK_KEYS
        if unknown:
            key = sorted(unknown)[0]
            raise self.fail(f"[pack] has an unknown key {key!r}", self.key_line(key, meta_line))

        def at(key: str) -> int | None:
            return self.key_line(key, meta_line) if key in meta else meta_line

        for key in ("id", "title", "version"):
            if not isinstance(meta.get(key), str) or not meta[key].strip():
                raise self.fail(f"[pack] needs a non-empty text {key!r}", at(key))
        if not _ID_RE.match(meta["id"]):
            raise self.fail(f"pack id {meta['id']!r} may hold only a-z, 0-9, '.', '_' and '-'", at("id"))
        if meta.get("extends"):
            raise self.fail("'extends' is not supported yet by this version of DataBorder", at("extends"))
        sources = self.sources(meta.get("sources", []), at("sources"))
        sets = self.sets(data.get("sets", {}))
        rules = self.rules(data.get("rules"), sets)
        unknown_top = set(data) - {"pack", "sets", "rules"}
        if unknown_top:
            key = sorted(unknown_top)[0]
            raise self.fail(f"has an unknown top-level table {key!r}", self.header_line(f"[{key}]"))
        return RulePack(
            id=meta["id"],
            title=meta["title"],
            version=meta["version"],
            sources=sources,
            sets={name: values for name, (_kind, values) in sets.items()},
            rules=rules,
            path=self.path,
            sha256=self.sha256,
        )

    def sources(self, value: Any, line: int | None) -> tuple[str, ...]:
        if not isinstance(value, list) or not value:
            raise self.fail("[pack] needs 'sources': the citations the rules rest on", line)
        cites: list[str] = []
        for item in value:
            if isinstance(item, str):
                cites.append(item)
            elif isinstance(item, dict) and isinstance(item.get("cite"), str):
                cites.append(item["cite"] + (f" <{item['url']}>" if isinstance(item.get("url"), str) else ""))
            else:
                raise self.fail("each source must be a text or a table with 'cite' (and optional 'url')", line)
        return tuple(cites)

    def sets(self, value: Any) -> dict[str, tuple[str, frozenset[str]]]:
        if not isinstance(value, dict):
            raise self.fail("'sets' must be a table of named sets", self.header_line("[sets]"))
        result: dict[str, tuple[str, frozenset[str]]] = {}
        for name, body in value.items():
            line = self.key_line(name, self.header_line("[sets]")) or self.header_line(f"[sets.{name}]")
            if not isinstance(body, dict) or len(body) != 1:
                raise self.fail(f"set {name!r} must hold exactly one of: countries, asns, operators", line)
            ((kind, items),) = body.items()
            if kind not in ("countries", "asns", "operators") or not isinstance(items, list):
                raise self.fail(f"set {name!r} must hold exactly one of: countries, asns, operators", line)
            result[name] = (kind, self.set_items(name, kind, items, line))
        return result

    def set_items(self, name: str, kind: str, items: list[Any], line: int | None) -> frozenset[str]:
        values: set[str] = set()
        for item in items:
            if kind == "countries":
                if not isinstance(item, str) or not _COUNTRY_RE.match(item):
                    raise self.fail(f"set {name!r}: {item!r} is not an ISO 3166-1 alpha-2 code like 'CN'", line)
                values.add(item)
            elif kind == "asns":
                if isinstance(item, bool) or not isinstance(item, int) or not 0 < item < 2**32:
                    raise self.fail(f"set {name!r}: {item!r} is not an AS number", line)
                values.add(str(item))
            else:
                if not isinstance(item, str) or not item.strip():
                    raise self.fail(f"set {name!r}: {item!r} is not an operator name", line)
                values.add(item.strip().casefold())
        return frozenset(values)

    def rules(self, value: Any, sets: Mapping[str, tuple[str, frozenset[str]]]) -> tuple[Rule, ...]:
        if not isinstance(value, list) or not value:
            raise self.fail("has no [[rules]]", None)
        rule_lines = [i for i, text in enumerate(self.lines, start=1) if text.strip() == "[[rules]]"]
        rules: list[Rule] = []
        seen: set[str] = set()
        for index, body in enumerate(value):
            line = rule_lines[index] if index < len(rule_lines) else None
            rule = self.rule(body, sets, line)
            if rule.id in seen:
                raise self.fail(f"rule id {rule.id!r} is used twice", self.key_line("id", line))
            seen.add(rule.id)
            rules.append(rule)
        return tuple(rules)

    def rule(self, body: Any, sets: Mapping[str, tuple[str, frozenset[str]]], line: int | None) -> Rule:
        if not isinstance(body, dict):
            raise self.fail("a rule must be a table", line)
        unknown = set(body) - _RULE_KEYS
        if unknown:
            key = sorted(unknown)[0]
            raise self.fail(f"rule has an unknown key {key!r}", self.key_line(key, line))

        def at(key: str) -> int | None:  # the line of ``key`` inside this rule, else the rule's header
            return self.key_line(key, line) if key in body else line

        rule_id = body.get("id")
        if not isinstance(rule_id, str) or not _ID_RE.match(rule_id):
            raise self.fail("a rule needs an 'id' of a-z, 0-9, '.', '_' and '-'", at("id"))
        facet = body.get("facet")
        if facet not in FACETS:
            raise self.fail(f"rule {rule_id!r}: facet must be one of {', '.join(FACETS)}, not {facet!r}", at("facet"))
        severity = body.get("severity")
        if severity not in SEVERITY_ORDER:
            raise self.fail(
                f"rule {rule_id!r}: severity must be one of {', '.join(SEVERITY_ORDER)}, not {severity!r}",
                at("severity"),
            )
        points = body.get("points")
        if isinstance(points, bool) or not isinstance(points, int) or not 0 <= points <= 100:
            raise self.fail(f"rule {rule_id!r}: points must be a whole number from 0 to 100", at("points"))
        condition, set_name = self.condition(rule_id, body.get("when"), sets, facet, at("when"))
        message = body.get("message")
        if not isinstance(message, str) or not message.strip():
            raise self.fail(f"rule {rule_id!r} needs a 'message'", at("message"))
        self.check_template(rule_id, message, at("message"))
        cite = body.get("cite")
        if cite is not None and not isinstance(cite, str):
            raise self.fail(f"rule {rule_id!r}: 'cite' must be text", at("cite"))
        return Rule(
            id=rule_id,
            facet=cast(Facet, facet),
            condition=condition,
            set_name=set_name,
            severity=cast(Severity, severity),
            points=points,
            message=message,
            cite=cite,
        )

    def condition(
        self,
        rule_id: str,
        when: Any,
        sets: Mapping[str, tuple[str, frozenset[str]]],
        facet: str,
        line: int | None,
    ) -> tuple[str, str]:
        if not isinstance(when, dict) or len(when) != 1:
            raise self.fail(f"rule {rule_id!r}: 'when' must hold exactly one condition: {', '.join(CONDITIONS)}", line)
        ((condition, set_name),) = when.items()
        if condition not in CONDITIONS:
            raise self.fail(f"rule {rule_id!r}: unknown condition {condition!r}; known: {', '.join(CONDITIONS)}", line)
        if not isinstance(set_name, str) or set_name not in sets:
            raise self.fail(f"rule {rule_id!r}: {condition} names {set_name!r}, which is not a set of this pack", line)
        kind = sets[set_name][0]
        if kind != CONDITIONS[condition]:
            raise self.fail(
                f"rule {rule_id!r}: {condition} needs a set of {CONDITIONS[condition]}, but {set_name!r} holds {kind}",
                line,
            )
        if facet == "service" and condition in ("asn_in",):
            raise self.fail(f"rule {rule_id!r}: the service facet has no ASN; use the network facet", line)
        return condition, set_name

    def check_template(self, rule_id: str, message: str, line: int | None) -> None:
        try:
            fields = {name for _, name, _, _ in string.Formatter().parse(message) if name is not None}
        except ValueError as exc:
            raise self.fail(f"rule {rule_id!r}: the message is not a valid template ({exc})", line) from None
        unknown = fields - MESSAGE_FIELDS
        if unknown:
            raise self.fail(
                f"rule {rule_id!r}: the message uses unknown placeholder {{{sorted(unknown)[0]}}}; "
                f"known: {', '.join(sorted(MESSAGE_FIELDS))}",
                line,
            )

    def header_line(self, header: str) -> int | None:
        for number, text in enumerate(self.lines, start=1):
            if text.strip() == header:
                return number
        return None

    def key_line(self, key: str, after: int | None) -> int | None:
        pattern = re.compile(rf"^\s*\"?{re.escape(key)}\"?\s*=")
        for number in range((after or 1), len(self.lines) + 1):
            if pattern.match(self.lines[number - 1]):
                return number
        return after


def _line_from_message(message: str) -> int | None:
    match = re.search(r"at line (\d+)", message)
    return int(match.group(1)) if match else None
