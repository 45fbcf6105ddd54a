"""Rule packs: an organisation's rules as readable, versioned, cited TOML data — found, loaded and checked here.

A pack that cannot be used is refused with the file, the line and a plain sentence; nothing is guessed, and an
unknown key is an error (a typo must never silently disable a rule).  The format is documented in
docs/rule-packs.md.  Packs are found by id in three places — the organisation's system folder, the user's
config folder, the packs shipped with DataBorder — and may ``extends`` other packs, inheriting their sets and
rules, replacing a rule by reusing its id, or dropping one with ``disable``.
"""

from __future__ import annotations

import hashlib
import re
import string
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from databorder.errors import RulePackError
from databorder.inputs import PACK_LIMIT, read_bounded
from databorder.model import MAX_PACK_WEIGHT, MAX_RULE_POINTS, SEVERITY_ORDER, Facet, PackOrigin, PackRef, Severity
from databorder.practices import FACTS, VALUES
from databorder.regions import cloud_providers, regions
from databorder.resources import rules_dir, system_config_dir, user_config_dir

FACETS: tuple[Facet, ...] = ("hosting", "network", "service", "any")
SET_KINDS = ("countries", "asns", "operators", "domains", "roles", "categories", "cloud_regions")

#: Conditions on the things a facet yields (an address, or the service), and the set kind each one names.
SUBJECT_CONDITIONS: dict[str, str] = {
    "country_in": "countries",
    "country_not_in": "countries",
    "owner_country_in": "countries",  # the service operator's country or any owner's up its parent chain
    "owner_country_not_in": "countries",
    "asn_in": "asns",
    "asn_not_in": "asns",
    "operator_in": "operators",
    "operator_not_in": "operators",
    "category_in": "categories",
    "cloud_region_in": "cloud_regions",  # (hosting) the cloud provider's region whose published range holds it
    "cloud_region_not_in": "cloud_regions",
}
#: Conditions on the endpoint as a whole, and the set kind each one names.
ENDPOINT_CONDITIONS: dict[str, str] = {"domain_matches": "domains", "domain_not_matches": "domains", "role_in": "roles"}
#: Conditions that take true or false rather than a set.  ``stored_outside_declared`` and ``other_model_vendor``
#: compare what the assessed app's catalog entry declares with what was observed (docs/vendor-practices.md).
FLAG_CONDITIONS = (
    "unresolved",
    "anycast",
    "cleartext",
    "unattributed",
    "stored_outside_declared",
    "other_model_vendor",
)
#: Conditions on the data-handling facts of the endpoint's vendor for the tier in use: a value, or a list of values.
PRACTICE_CONDITIONS: Mapping[str, tuple[str, ...]] = {fact: VALUES[fact] for fact in FACTS if fact in VALUES}
CONDITIONS = (*SUBJECT_CONDITIONS, *ENDPOINT_CONDITIONS, *FLAG_CONDITIONS, *PRACTICE_CONDITIONS)

#: Placeholders a rule's message may use.
MESSAGE_FIELDS = frozenset({"endpoint", "facet", "values", "set", "rule", "pack", "chain"})
_PACK_KEYS = {
    "id", "title", "version", "description", "sources", "extends", "disable", "weight", "mandatory", "unknown_is_risk",
}  # fmt: skip
_RULE_KEYS = {"id", "facet", "when", "severity", "points", "message", "cite"}
_ID_RE = re.compile(r"^[a-z0-9][a-z0-9._-]*$")
_DOMAIN_RE = re.compile(r"^(\*\.)?[a-z0-9_-]+(\.[a-z0-9_-]+)*$")


@dataclass(frozen=True)
class Rule:
    """One rule: conditions over one facet, the severity and points it adds, and what to tell the user."""

    id: str
    facet: Facet
    when: Mapping[str, str | bool | tuple[str, ...]]  # condition → set name, a flag's value, or a fact's values
    severity: Severity
    points: int
    message: str
    cite: str | None
    pack: str  # the pack that defines the rule (an inherited rule keeps its own pack's id)


@dataclass(frozen=True)
class RulePack:
    """A loaded, checked pack with the exact bytes' sha256 so an assessment says precisely what was applied."""

    id: str
    title: str
    version: str
    description: str
    sources: tuple[str, ...]
    sets: Mapping[str, frozenset[str]]
    set_kinds: Mapping[str, str]
    rules: tuple[Rule, ...]
    path: Path
    sha256: str
    origin: PackOrigin
    weight: float = 1.0
    mandatory: bool = False
    extends: tuple[str, ...] = ()
    ancestors: frozenset[str] = field(default_factory=frozenset)  # every pack id reached through ``extends``
    unknown_is_risk: bool = False  # a vendor fact nobody read counts as the risky value a rule tests
    weights: Mapping[str, float] = field(default_factory=dict)  # rule id → factor on its points (``[weights]``)

    def factor(self, rule_id: str) -> float:
        """What this pack multiplies a rule's points by: its own weight times the rule's (1 unless set)."""
        return self.weight * self.weights.get(rule_id, 1.0)

    @property
    def ref(self) -> PackRef:
        """How an assessment records this pack."""
        return PackRef(
            id=self.id,
            version=self.version,
            sha256=self.sha256,
            title=self.title,
            source=self.path.name,
            origin=self.origin,
            weight=self.weight,
        )


def _region_country(table: Mapping[str, Any], name: str) -> str | None:
    provider, _, region = name.partition(":")
    for known in table[provider].regions.values():
        if known.region.casefold() == region:
            return str(known.country) if known.country else None
    return None


# --- where packs come from -------------------------------------------------------------------------------------


def system_rules_dir() -> Path:
    """The folder an organisation deploys packs to: /etc/databorder/rules on Linux (see docs/rule-packs.md)."""
    return system_config_dir() / "rules"


def user_rules_dir() -> Path:
    """Where a user's own packs live (the platform's per-user config folder)."""
    return user_config_dir() / "rules"


def search_path(extra: Sequence[Path] = ()) -> list[tuple[PackOrigin, Path]]:
    """Folders searched for a pack id, first match wins.

    The organisation's, the user's, extra folders the user named (``--pack-dir``), then shipped packs.
    """
    folders: list[tuple[PackOrigin, Path]] = [("system", system_rules_dir()), ("user", user_rules_dir())]
    return [*folders, *(("folder", Path(f)) for f in extra), ("shipped", rules_dir())]


def find_pack(name: str, extra: Sequence[Path] = ()) -> tuple[Path, PackOrigin]:
    """The file for ``name`` (a path to a .toml file, or a pack id) and where it was found."""
    if name.endswith(".toml") or "/" in name or "\\" in name:
        return Path(name), "file"
    for origin, folder in search_path(extra):
        candidate = folder / f"{name}.toml"
        if candidate.is_file():
            return candidate, origin
    known = sorted({p.stem for _, folder in search_path(extra) if folder.is_dir() for p in folder.glob("*.toml")})
    raise RulePackError(name, f"no rule pack with this id; known packs: {', '.join(known) or 'none'}")


def available_packs(extra: Sequence[Path] = ()) -> list[tuple[str, Path, PackOrigin]]:
    """Every pack id that can be named, with the file that id resolves to (shadowed copies left out)."""
    seen: dict[str, tuple[str, Path, PackOrigin]] = {}
    for origin, folder in search_path(extra):
        if folder.is_dir():
            for path in sorted(folder.glob("*.toml")):
                seen.setdefault(path.stem, (path.stem, path, origin))
    return sorted(seen.values())


def mandatory_packs() -> list[str]:
    """Ids of system packs marked ``mandatory = true``: applied to every assessment on this machine."""
    found = []
    folder = system_rules_dir()
    if folder.is_dir():
        for path in sorted(folder.glob("*.toml")):
            try:
                data = tomllib.loads(path.read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
                continue  # a broken system pack is reported when it is loaded, with its line
            if isinstance(data.get("pack"), dict) and data["pack"].get("mandatory") is True:
                found.append(path.stem)
    return found


def load_pack(path: Path, origin: PackOrigin = "file", *, _chain: tuple[str, ...] = ()) -> RulePack:
    """Read and check the pack at ``path`` (and what it extends); raises :class:`RulePackError` with file and line."""
    try:
        raw = read_bounded(path, PACK_LIMIT)
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
    return _PackReader(path, text, hashlib.sha256(raw).hexdigest(), origin, _chain).read(data)


def load_packs(names: Sequence[str], extra: Sequence[Path] = ()) -> tuple[list[RulePack], list[str]]:
    """Load the named packs plus the mandatory ones, and say which were folded into a pack extending them.

    A pack also reached through another applied pack's ``extends`` is applied once, through the child, so the
    child's replaced or disabled rules are not brought back by the parent.
    """
    wanted = list(dict.fromkeys([*mandatory_packs(), *names]))
    packs = [load_pack(*find_pack(name, extra)) for name in wanted]
    notes: list[str] = []
    kept: list[RulePack] = []
    for pack in packs:
        child = next((p for p in packs if pack.id in p.ancestors), None)
        if child is not None:
            notes.append(f"pack {pack.id} is applied through {child.id}, which extends it")
        elif pack.id not in {k.id for k in kept}:
            kept.append(pack)
    return kept, notes


# --- checking a pack ---------------------------------------------------------------------------------------------


class _PackReader:
    """Checks a parsed pack, finding the line of each problem in the source text."""

    def __init__(self, path: Path, text: str, sha256: str, origin: PackOrigin, chain: tuple[str, ...]) -> None:
        self.path = path
        self.lines = text.splitlines()
        self.sha256 = sha256
        self.origin = origin
        self.chain = chain

    def fail(self, sentence: str, line: int | None) -> RulePackError:
        return RulePackError(self.path, sentence, line=line)

    def read(self, data: dict[str, Any]) -> RulePack:
        meta = data.get("pack")
        if not isinstance(meta, dict):
            raise self.fail("has no [pack] table (id, title, version, sources)", 1)
        meta_line = self.header_line("[pack]")

        def at(key: str) -> int | None:
            return self.key_line(key, meta_line) if key in meta else meta_line

        self.check_keys(meta, _PACK_KEYS, "[pack]", meta_line)
        for key in ("id", "title", "version"):
            if not isinstance(meta.get(key), str) or not meta[key].strip():
                raise self.fail(f"[pack] needs a non-empty text {key!r}", at(key))
        pack_id = meta["id"]
        if not _ID_RE.match(pack_id):
            raise self.fail(f"pack id {pack_id!r} may hold only a-z, 0-9, '.', '_' and '-'", at("id"))
        if pack_id in self.chain:
            cycle = " → ".join([*self.chain, pack_id])
            raise self.fail(f"'extends' goes round in a circle: {cycle}", at("extends"))
        weight = meta.get("weight", 1.0)
        if isinstance(weight, bool) or not isinstance(weight, int | float) or not 0 <= weight <= MAX_PACK_WEIGHT:
            raise self.fail(f"'weight' must be a number from 0 to {MAX_PACK_WEIGHT:g} (1 = as written)", at("weight"))
        mandatory = meta.get("mandatory", False)
        if not isinstance(mandatory, bool):
            raise self.fail("'mandatory' must be true or false", at("mandatory"))
        description = meta.get("description", "")
        if not isinstance(description, str):
            raise self.fail("'description' must be text", at("description"))
        sources = self.sources(meta.get("sources", []), at("sources"))
        parents = self.parents(meta, pack_id, at("extends"))
        unknown_is_risk = meta.get("unknown_is_risk", any(p.unknown_is_risk for p in parents))
        if not isinstance(unknown_is_risk, bool):
            raise self.fail("'unknown_is_risk' must be true or false", at("unknown_is_risk"))

        kinds: dict[str, str] = {}
        sets: dict[str, frozenset[str]] = {}
        rules: dict[str, Rule] = {}
        ancestors: set[str] = set()
        weights: dict[str, float] = {}
        for parent in parents:
            weights.update(parent.weights)
            kinds.update(parent.set_kinds)
            sets.update(parent.sets)
            rules.update({r.id: r for r in parent.rules})
            ancestors |= {parent.id, *parent.ancestors}
        own_sets = self.sets(data.get("sets", {}))
        kinds.update({name: kind for name, (kind, _) in own_sets.items()})
        sets.update({name: values for name, (_, values) in own_sets.items()})
        for rule in self.rules(data.get("rules", []), kinds, pack_id, inherited=bool(parents)):
            rules[rule.id] = rule  # a rule reusing an inherited id replaces it
        for rule_id in self.disabled(meta.get("disable", []), rules, at("disable")):
            del rules[rule_id]
        if not rules:
            raise self.fail("has no [[rules]] (and inherits none)", None)
        weights.update(self.weights(data.get("weights", {}), rules, float(weight)))
        weights = {rule_id: w for rule_id, w in weights.items() if rule_id in rules}
        unknown_top = set(data) - {"pack", "sets", "rules", "weights"}
        if unknown_top:
            key = sorted(unknown_top)[0]
            raise self.fail(f"has an unknown top-level table {key!r}", self.header_line(f"[{key}]"))
        return RulePack(
            id=pack_id,
            title=meta["title"],
            version=meta["version"],
            description=description,
            sources=sources,
            sets=sets,
            set_kinds=kinds,
            rules=tuple(rules.values()),
            path=self.path,
            sha256=self.sha256,
            origin=self.origin,
            weight=float(weight),
            mandatory=mandatory,
            extends=tuple(p.id for p in parents),
            ancestors=frozenset(ancestors),
            unknown_is_risk=unknown_is_risk,
            weights=weights,
        )

    def weights(self, value: Any, rules: Mapping[str, Rule], pack_weight: float) -> dict[str, float]:
        """``[weights]``: rule id → a factor on that rule's points (its own or an extended pack's rule)."""
        start = self.header_line("[weights]")
        if not isinstance(value, dict):
            raise self.fail("'weights' must be a table of rule id = number", start)
        found: dict[str, float] = {}
        for rule_id, factor in value.items():
            line = self.key_line(rule_id, start)
            if rule_id not in rules:
                raise self.fail(f"[weights] names rule {rule_id!r}, which this pack neither has nor inherits", line)
            if isinstance(factor, bool) or not isinstance(factor, int | float) or factor < 0:
                raise self.fail(f"[weights] {rule_id}: the weight must be a number, 0 or more (1 = as written)", line)
            if factor * pack_weight > MAX_PACK_WEIGHT:
                raise self.fail(
                    f"[weights] {rule_id}: {factor:g} × the pack's weight {pack_weight:g} is more than "
                    f"{MAX_PACK_WEIGHT:g}, the most a rule's points may be multiplied by",
                    line,
                )
            found[rule_id] = float(factor)
        return found

    def check_keys(self, table: Mapping[str, Any], allowed: set[str], where: str, line: int | None) -> None:
        unknown = set(table) - allowed
        if unknown:
            key = sorted(unknown)[0]
            raise self.fail(
                f"{where} has an unknown key {key!r}; allowed: {', '.join(sorted(allowed))}", self.key_line(key, line)
            )

    def parents(self, meta: Mapping[str, Any], pack_id: str, line: int | None) -> list[RulePack]:
        extends = meta.get("extends", [])
        if isinstance(extends, str):
            extends = [extends]
        if not isinstance(extends, list) or not all(isinstance(e, str) for e in extends):
            raise self.fail("'extends' must be a pack id or a list of pack ids", line)
        parents = []
        for name in extends:
            try:
                # A pack's own folder is searched too, so packs kept together can extend each other.
                parent_path, parent_origin = find_pack(name, (self.path.parent,))
            except RulePackError:
                raise self.fail(f"extends {name!r}, but no pack has that id", line) from None
            parents.append(load_pack(parent_path, parent_origin, _chain=(*self.chain, pack_id)))
        return parents

    def disabled(self, value: Any, rules: Mapping[str, Rule], line: int | None) -> list[str]:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.fail("'disable' must be a list of rule ids", line)
        for rule_id in value:
            if rule_id not in rules:
                raise self.fail(f"'disable' names rule {rule_id!r}, which no extended pack has", line)
        return list(value)

    def sources(self, value: Any, line: int | None) -> tuple[str, ...]:
        if not isinstance(value, list) or not value:
            raise self.fail("[pack] needs 'sources': the citations the rules rest on", line)
        cites: list[str] = []
        for item in value:
            if isinstance(item, str) and item.strip():
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
            result[name] = self.one_set(name, body, line)
        return result

    def one_set(self, name: str, body: Any, line: int | None) -> tuple[str, frozenset[str]]:
        kinds_hint = f"one of: {', '.join(SET_KINDS)} (countries may add regions)"
        if not isinstance(body, dict) or not body:
            raise self.fail(f"set {name!r} must be a table holding {kinds_hint}", line)
        keys = set(body)
        if "cloud_regions" in keys:
            return "cloud_regions", self.cloud_regions(name, body, line)
        if keys - {*SET_KINDS, "regions"} or len(keys - {"regions"}) > 1:
            raise self.fail(f"set {name!r} must hold {kinds_hint}", line)
        kind = next(iter(keys - {"regions"}), "countries")
        items = body.get(kind, [])
        if not isinstance(items, list):
            raise self.fail(f"set {name!r}: {kind} must be a list", line)
        if kind == "countries":
            values = self.countries(name, items, body.get("regions", []), line)
        elif "regions" in body:
            raise self.fail(f"set {name!r}: regions belong in a set of countries, not of {kind}", line)
        else:
            values = frozenset(self.set_item(name, kind, item, line) for item in items)
        return kind, values

    def countries(self, name: str, items: list[Any], region_names: Any, line: int | None) -> frozenset[str]:
        table = regions()
        codes: set[str] = set()
        for item in items:
            if not isinstance(item, str) or item not in table.countries:
                raise self.fail(f"set {name!r}: {item!r} is not an ISO 3166-1 alpha-2 country code like 'CN'", line)
            codes.add(item)
        if not isinstance(region_names, list):
            raise self.fail(f"set {name!r}: regions must be a list", line)
        for region in region_names:
            if region not in table.regions:
                known = ", ".join(sorted(table.regions))
                raise self.fail(f"set {name!r}: {region!r} is not a known region; known: {known}", line)
            codes |= table.regions[region]
        return frozenset(codes)

    def cloud_regions(self, name: str, body: Mapping[str, Any], line: int | None) -> frozenset[str]:
        """The ``provider:region`` names a set of cloud regions holds.

        ``aws:eu-central-1`` names one region, ``aws`` every region the cloud region table lists; ``countries``
        and ``regions`` beside them keep only the regions that stand in one of those countries.
        """
        extra = set(body) - {"cloud_regions", "countries", "regions"}
        if extra:
            raise self.fail(f"set {name!r}: a set of cloud_regions may add only countries and regions", line)
        items = body["cloud_regions"]
        if not isinstance(items, list) or not items:
            raise self.fail(f'set {name!r}: cloud_regions must be a list like ["aws:eu-central-1", "gcp"]', line)
        table = cloud_providers()
        named: set[str] = set()
        for item in items:
            provider, _, region = str(item).partition(":") if isinstance(item, str) else ("", "", "")
            if provider not in table:
                raise self.fail(f"set {name!r}: {item!r} names no cloud provider; known: {', '.join(table)}", line)
            if region and region not in table[provider].regions:
                raise self.fail(
                    f"set {name!r}: {region!r} is not a region of {provider} in DataBorder's cloud region table", line
                )
            regions_of = [region] if region else list(table[provider].regions)
            named.update(f"{provider}:{r}".casefold() for r in regions_of)
        if "countries" in body or "regions" in body:
            where = self.countries(name, body.get("countries", []), body.get("regions", []), line)
            named = {n for n in named if _region_country(table, n) in where}
            if not named:
                raise self.fail(f"set {name!r}: no listed region of those providers stands in those countries", line)
        return frozenset(named)

    def set_item(self, name: str, kind: str, item: Any, line: int | None) -> str:
        if kind == "asns":
            if isinstance(item, bool) or not isinstance(item, int) or not 0 < item < 2**32:
                raise self.fail(f"set {name!r}: {item!r} is not an AS number", line)
            return str(item)
        if not isinstance(item, str) or not item.strip():
            raise self.fail(f"set {name!r}: {item!r} is not a text entry", line)
        if kind == "domains":
            pattern = item.strip().lower().rstrip(".")
            if not _DOMAIN_RE.match(pattern):
                raise self.fail(f"set {name!r}: {item!r} is not a domain or '*.domain' pattern", line)
            return pattern
        return item.strip().casefold()

    def rules(self, value: Any, kinds: Mapping[str, str], pack_id: str, *, inherited: bool) -> list[Rule]:
        if not isinstance(value, list) or (not value and not inherited):
            raise self.fail("has no [[rules]]", None)
        rule_lines = [i for i, text in enumerate(self.lines, start=1) if text.strip() == "[[rules]]"]
        rules: list[Rule] = []
        seen: set[str] = set()
        for index, body in enumerate(value):
            line = rule_lines[index] if index < len(rule_lines) else None
            rule = self.rule(body, kinds, pack_id, line)
            if rule.id in seen:
                raise self.fail(f"rule id {rule.id!r} is used twice", self.key_line("id", line))
            seen.add(rule.id)
            rules.append(rule)
        return rules

    def rule(self, body: Any, kinds: Mapping[str, str], pack_id: str, line: int | None) -> Rule:
        if not isinstance(body, dict):
            raise self.fail("a rule must be a table", line)

        def at(key: str) -> int | None:  # the line of ``key`` inside this rule, else the rule's header
            return self.key_line(key, line) if key in body else line

        self.check_keys(body, _RULE_KEYS, "rule", line)
        rule_id = body.get("id")
        if not isinstance(rule_id, str) or not _ID_RE.match(rule_id):
            raise self.fail("a rule needs an 'id' of a-z, 0-9, '.', '_' and '-'", at("id"))
        facet = body.get("facet", "any")
        if facet not in FACETS:
            raise self.fail(f"rule {rule_id!r}: facet must be one of {', '.join(FACETS)}, not {facet!r}", at("facet"))
        severity = body.get("severity")
        if severity not in SEVERITY_ORDER:
            raise self.fail(
                f"rule {rule_id!r}: severity must be one of {', '.join(SEVERITY_ORDER)}, not {severity!r}",
                at("severity"),
            )
        points = body.get("points")
        if isinstance(points, bool) or not isinstance(points, int) or not 0 <= points <= MAX_RULE_POINTS:
            raise self.fail(
                f"rule {rule_id!r}: points must be a whole number from 0 to {MAX_RULE_POINTS}", at("points")
            )
        when = self.conditions(rule_id, body.get("when"), kinds, facet, at("when"))
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
            when=when,
            severity=cast(Severity, severity),
            points=points,
            message=message,
            cite=cite,
            pack=pack_id,
        )

    def conditions(
        self, rule_id: str, when: Any, kinds: Mapping[str, str], facet: str, line: int | None
    ) -> dict[str, str | bool | tuple[str, ...]]:
        if not isinstance(when, dict) or not when:
            raise self.fail(f"rule {rule_id!r}: 'when' must hold one or more of: {', '.join(CONDITIONS)}", line)
        checked: dict[str, str | bool | tuple[str, ...]] = {}
        for condition, value in when.items():
            if condition in PRACTICE_CONDITIONS:
                checked[condition] = self.practice_values(rule_id, condition, value, facet, line)
                continue
            if condition in FLAG_CONDITIONS:
                if not isinstance(value, bool):
                    raise self.fail(f"rule {rule_id!r}: {condition} takes true or false", line)
                if condition == "anycast" and facet not in ("hosting", "network", "any"):
                    raise self.fail(f"rule {rule_id!r}: anycast is about addresses; use the hosting facet", line)
                checked[condition] = value
                continue
            wanted_kind = SUBJECT_CONDITIONS.get(condition) or ENDPOINT_CONDITIONS.get(condition)
            if wanted_kind is None:
                raise self.fail(
                    f"rule {rule_id!r}: unknown condition {condition!r}; known: {', '.join(CONDITIONS)}", line
                )
            if not isinstance(value, str) or value not in kinds:
                raise self.fail(f"rule {rule_id!r}: {condition} names {value!r}, which is not a set of this pack", line)
            if kinds[value] != wanted_kind:
                raise self.fail(
                    f"rule {rule_id!r}: {condition} needs a set of {wanted_kind}, but {value!r} holds {kinds[value]}",
                    line,
                )
            if condition.startswith("asn") and facet == "service":
                raise self.fail(f"rule {rule_id!r}: the service facet has no ASN; use the network facet", line)
            if condition == "category_in" and facet not in ("service", "any"):
                raise self.fail(f"rule {rule_id!r}: category_in is about the service; use the service facet", line)
            if condition.startswith("cloud_region") and facet not in ("hosting", "any"):
                raise self.fail(f"rule {rule_id!r}: {condition} is about addresses; use the hosting facet", line)
            if condition.startswith("owner_country") and facet != "service":
                raise self.fail(
                    f"rule {rule_id!r}: {condition} is about the service's owners; use the service facet", line
                )
            checked[condition] = value
        return checked

    def practice_values(self, rule_id: str, fact: str, value: Any, facet: str, line: int | None) -> tuple[str, ...]:
        allowed = PRACTICE_CONDITIONS[fact]
        values = value if isinstance(value, list) else [value]
        if not values or not all(isinstance(v, str) and v in allowed for v in values):
            raise self.fail(
                f"rule {rule_id!r}: {fact} takes one of {', '.join(allowed)} (or a list of them), not {value!r}", line
            )
        if facet not in ("service", "any"):
            raise self.fail(f"rule {rule_id!r}: {fact} is a fact about the vendor; use the service facet", line)
        return tuple(values)

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
