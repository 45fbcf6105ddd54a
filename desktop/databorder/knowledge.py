"""The operator knowledge base: who runs a domain, who owns that operator up to its ultimate parent, and where.

Data, not code: TOML files in ``resources/knowledge/`` (format: docs/knowledge-base.md), plus the same format in
the organisation's and the user's config folders (``operators/*.toml``), whose rows override shipped rows of the
same id and whose domains win.  A host is matched by the longest listed domain that is the host or a parent of
it; failing that, by its registrable domain when every operator listing a name under it shares one owner.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import os
import pickle
import re
import tempfile
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, get_args

import platformdirs

from databorder.endpoints import registrable_domain
from databorder.errors import InputFileError, ResourceError
from databorder.inputs import TABLE_LIMIT, read_bounded
from databorder.model import ChainLink, DatabaseRef, Role, chain_in_words
from databorder.resources import resource_path, system_config_dir, user_config_dir

#: Where a knowledge-base file came from, weakest first (a later one's rows win).
KnowledgeOrigin = Literal["shipped", "user", "system"]
#: How a host was matched to an operator's domain.
MatchKind = Literal["exact", "parent domain", "registrable domain"]
CATEGORIES = (
    "genai", "cloud", "cdn", "identity", "analytics", "telemetry", "error-reporting", "feature-flags", "payments",
    "devtools", "search", "messaging", "holding",
)  # fmt: skip
KINDS = (
    "model-api", "inference", "chat", "coding", "speech", "image", "video", "music", "search", "agents",
    "browser-extension", "embeddings", "local",
)  # fmt: skip
ROLES: tuple[str, ...] = get_args(Role)
_ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_DOMAIN = re.compile(r"^(?:[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9])?\.)+[a-z0-9-]{2,63}$")
_FIELDS = {
    "id", "name", "brand", "country", "incorporated", "parent", "ownership", "category", "kinds", "checked",
    "sources", "unverified", "notes", "domains", "regions", "categories",
}  # fmt: skip


@dataclass(frozen=True)
class Operator:
    """One legal entity: what it runs, who owns it, and what was read to say so."""

    id: str
    name: str
    country: str
    category: str
    checked: str
    sources: tuple[str, ...]
    origin: KnowledgeOrigin
    file: str
    brand: str | None = None
    incorporated: str | None = None
    parent: str | None = None
    ownership: str | None = None
    kinds: tuple[str, ...] = ()
    unverified: tuple[str, ...] = ()
    notes: str | None = None
    domains: Mapping[str, Role] = field(default_factory=dict)  # domain → its role
    regions: Mapping[str, str] = field(default_factory=dict)  # host → region as the vendor names it
    #: Listed domains whose service is of another category than the operator's (GitHub's code hosting beside
    #: Copilot): domain → category.  A domain not here has the operator's category.
    domain_categories: Mapping[str, str] = field(default_factory=dict)

    def category_of(self, domain: str) -> str:
        """The category of the service at one of the operator's listed domains."""
        return self.domain_categories.get(domain, self.category)

    @property
    def link(self) -> ChainLink:
        """The entity as one link of a parent chain."""
        return ChainLink(name=self.name, country=self.country)


@dataclass(frozen=True)
class SdkPackage:
    """A vendor's SDK package and the endpoint it calls by default: a project that depends on it sends data there.

    Read from the package's own code (its default base URL); ``source`` says which version and file.
    """

    registry: Literal["pypi", "npm"]
    name: str
    endpoint: str
    source: str
    checked: str
    origin: KnowledgeOrigin
    file: str

    @property
    def key(self) -> str:
        """``registry:name`` with the name as its registry compares it (PyPI: PEP 503 normalised)."""
        return package_key(self.registry, self.name)


def package_key(registry: str, name: str) -> str:
    """How a dependency is looked up: ``pypi:zhipuai``, ``npm:@baiducloud/qianfan`` (PyPI names PEP 503 normalised)."""
    name = name.strip().lower()
    if registry == "pypi":
        name = re.sub(r"[-_.]+", "-", name)
    return f"{registry}:{name}"


@dataclass(frozen=True)
class OperatorMatch:
    """Which operator runs a host, how the host matched, and its owners up to the ultimate parent."""

    operator: Operator
    domain: str  # the listed domain (or the registrable domain) that matched
    how: MatchKind
    role: Role | None
    region: str | None
    chain: tuple[Operator, ...]  # parent first, ultimate parent last

    @property
    def category(self) -> str:
        """The category of the service at the matched domain (the operator's, unless the row says otherwise)."""
        return self.operator.category_of(self.domain)

    @property
    def countries(self) -> tuple[str, ...]:
        """The operator's country and each owner's, nearest first (what rules on the owner chain test)."""
        return tuple(dict.fromkeys([self.operator.country, *(link.country for link in self.links() if link.country)]))

    def chain_in_words(self) -> str:
        """The chain in words, as an assessment says it (:func:`databorder.model.chain_in_words`)."""
        return chain_in_words(self.operator.name, self.operator.country, self.links())

    def links(self) -> tuple[ChainLink, ...]:
        """The owners as chain links, nearest first.

        An owner with the operator's own name and country (its legal entity listed as a row of its own) is said
        once.
        """
        links: list[ChainLink] = []
        previous = self.operator.link
        for owner in self.chain:
            if owner.link != previous:
                links.append(owner.link)
            previous = owner.link
        return tuple(links)


class KnowledgeBase:
    """Operators by id and an index of their domains."""

    def __init__(
        self,
        operators: Mapping[str, Operator],
        refs: Sequence[DatabaseRef] = (),
        packages: Iterable[SdkPackage] = (),
    ) -> None:
        self.operators = dict(operators)
        self.refs = tuple(refs)
        #: Vendors' SDK packages by :func:`package_key`; a later origin's row wins.
        self.packages: dict[str, SdkPackage] = {}
        for package in sorted(packages, key=lambda p: _ORIGIN_RANK[p.origin]):
            self.packages[package.key] = package
        self._domains: dict[str, tuple[Operator, Role]] = {}
        self._registrable: dict[str, set[str]] | None = None  # built on first use (it needs the suffix list)
        self._found: dict[str, OperatorMatch | None] = {}  # an assessment asks of each host twice (service, role)
        for operator in sorted(self.operators.values(), key=lambda o: _ORIGIN_RANK[o.origin]):
            for domain, role in operator.domains.items():
                self._domains[domain] = (operator, role)  # a later origin's row wins for a domain

    def _by_registrable(self) -> dict[str, set[str]]:
        if self._registrable is None:
            self._registrable = {}
            for domain, (operator, _) in self._domains.items():
                self._registrable.setdefault(registrable_domain(domain) or domain, set()).add(operator.id)
        return self._registrable

    @property
    def domains(self) -> frozenset[str]:
        """Every domain some operator runs."""
        return frozenset(self._domains)

    def domains_with(self, roles: Iterable[str]) -> frozenset[str]:
        """The domains listed under any of ``roles``."""
        wanted = set(roles)
        return frozenset(d for d, (_, role) in self._domains.items() if role in wanted)

    def domains_of_category(self, category: str) -> frozenset[str]:
        """The domains whose service is of ``category`` (``genai``: the AI vendors' AI services)."""
        return frozenset(d for d, (operator, _) in self._domains.items() if operator.category_of(d) == category)

    def lookup(self, host: str | None) -> OperatorMatch | None:
        """Who runs ``host``: exact host, else the nearest listed parent domain, else its registrable domain."""
        if not host:
            return None
        if host in self._found:
            return self._found[host]
        found = self._found[host] = self._lookup(host.lower().rstrip("."))
        if len(self._found) > 100_000:
            self._found.clear()
        return found

    def _lookup(self, host: str) -> OperatorMatch | None:
        labels = host.split(".")
        for start in range(len(labels) - 1):
            domain = ".".join(labels[start:])
            found = self._domains.get(domain)
            if found is not None:
                operator, role = found
                how: MatchKind = "exact" if start == 0 else "parent domain"
                return self._match(operator, domain, how, role, host)
        registrable = registrable_domain(host)
        owners = self._by_registrable().get(registrable or "", set())
        common = self._common_owner(owners)
        if registrable is None or common is None:
            return None
        return self._match(common, registrable, "registrable domain", None, host)

    def chain(self, operator: Operator) -> tuple[Operator, ...]:
        """``operator``'s owners, nearest first; a loop or a missing parent ends the chain."""
        owners: list[Operator] = []
        seen = {operator.id}
        parent = operator.parent
        while parent is not None and parent not in seen and parent in self.operators:
            owner = self.operators[parent]
            owners.append(owner)
            seen.add(parent)
            parent = owner.parent
        return tuple(owners)

    def _match(self, operator: Operator, domain: str, how: MatchKind, role: Role | None, host: str) -> OperatorMatch:
        return OperatorMatch(operator, domain, how, role, operator.regions.get(host), self.chain(operator))

    def _common_owner(self, ids: Iterable[str]) -> Operator | None:
        """The one operator, or the nearest owner every one of several operators shares (None if none)."""
        lineages = [[self.operators[i], *self.chain(self.operators[i])] for i in sorted(ids)]
        if not lineages:
            return None
        shared = set.intersection(*({o.id for o in lineage} for lineage in lineages))
        return next((o for o in lineages[0] if o.id in shared), None)

    def status(self, *, today: dt.date | None = None) -> KnowledgeStatus:
        """Counts and ages, for `databorder operators status` and About."""
        today = today or dt.datetime.now(dt.UTC).date()
        ages = [(today - dt.date.fromisoformat(o.checked)).days for o in self.operators.values()]
        return KnowledgeStatus(
            operators=len(self.operators),
            with_domains=sum(1 for o in self.operators.values() if o.domains),
            domains=len(self._domains),
            by_category={c: sum(1 for o in self.operators.values() if o.category == c) for c in CATEGORIES},
            by_origin={
                origin: sum(1 for o in self.operators.values() if o.origin == origin) for origin in _ORIGIN_RANK
            },
            with_unverified=sum(1 for o in self.operators.values() if o.unverified),
            oldest_days=max(ages, default=0),
            median_days=sorted(ages)[len(ages) // 2] if ages else 0,
            refs=self.refs,
        )


@dataclass(frozen=True)
class KnowledgeStatus:
    """How much the knowledge base knows and how old its facts are."""

    operators: int
    with_domains: int
    domains: int
    by_category: Mapping[str, int]
    by_origin: Mapping[str, int]
    with_unverified: int
    oldest_days: int
    median_days: int
    refs: tuple[DatabaseRef, ...]


_ORIGIN_RANK: dict[KnowledgeOrigin, int] = {"shipped": 0, "user": 1, "system": 2}


def knowledge_folders() -> list[tuple[Path, KnowledgeOrigin]]:
    """Where knowledge files are read from, weakest first: shipped, the user's, the organisation's."""
    return [
        (resource_path("knowledge"), "shipped"),
        (user_config_dir() / "operators", "user"),
        (system_config_dir() / "operators", "system"),
    ]


def load_knowledge(folders: Sequence[tuple[Path, KnowledgeOrigin]] | None = None) -> KnowledgeBase:
    """The knowledge base from ``folders`` (default :func:`knowledge_folders`), checked row by row.

    A broken shipped file is a broken installation (:class:`ResourceError`); a broken file of the user's or the
    organisation's names its path and line (:class:`InputFileError`).  The default is read once per process and
    per state of the files (their names and modification times).
    """
    folders = list(folders) if folders is not None else knowledge_folders()
    files = []
    for folder, origin in folders:
        if folder.is_dir():
            for path in sorted(folder.glob("*.toml")):
                stat = path.stat()
                files.append((path, origin, stat.st_mtime_ns, stat.st_size))
    return _cached(tuple(files))


#: Raised whenever the pickled classes change shape, so a cache written by an older DataBorder is not read.
_PICKLE_FORMAT = 2


@functools.lru_cache(maxsize=4)
def _cached(files: tuple[tuple[Path, KnowledgeOrigin, int, int], ...]) -> KnowledgeBase:
    """The knowledge base of exactly these files: from the user's cache folder when it was read before.

    Parsing and checking some 400 KB of TOML takes a quarter of a second; the checked result, pickled under a
    key of the files' paths, sizes and modification times, loads in a few milliseconds.  A cache that cannot
    be read or written is simply not used.
    """
    stamp = [_PICKLE_FORMAT, *((str(p), o, m, n) for p, o, m, n in files)]
    key = hashlib.sha256(repr(stamp).encode()).hexdigest()[:24]
    cache = Path(platformdirs.user_cache_dir("databorder", appauthor=False)) / f"knowledge-{key}.pickle"
    try:
        with cache.open("rb") as handle:
            loaded = pickle.load(handle)
        if isinstance(loaded, KnowledgeBase):
            return loaded
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, TypeError, ValueError):
        pass
    base = _load(tuple((path, origin) for path, origin, _, _ in files))
    try:
        cache.parent.mkdir(parents=True, exist_ok=True)
        for old in cache.parent.glob("knowledge-*.pickle"):
            old.unlink(missing_ok=True)  # one cached state at a time
        with tempfile.NamedTemporaryFile(dir=cache.parent, delete=False, suffix=".tmp") as tmp:
            pickle.dump(base, tmp, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp.name, cache)
    except OSError:
        pass
    return base


def _load(files: tuple[tuple[Path, KnowledgeOrigin], ...]) -> KnowledgeBase:
    from databorder.regions import regions

    countries = regions().countries
    operators: dict[str, Operator] = {}
    refs: list[DatabaseRef] = []
    where: dict[str, tuple[Path, KnowledgeOrigin]] = {}
    packages: list[tuple[SdkPackage, _FileReader]] = []
    for path, origin in files:
        reader = _FileReader(path, origin, countries)
        rows = reader.read()
        refs.append(reader.ref)
        packages += [(package, reader) for package in reader.packages]
        for operator in rows:
            previous = where.get(operator.id)
            if previous is not None and previous[1] == origin:
                raise reader.fail(f"operator id {operator.id!r} is defined again (first in {previous[0].name})", None)
            operators[operator.id] = operator  # a later origin's row replaces the shipped one
            where[operator.id] = (path, origin)
    for operator in operators.values():
        if operator.parent is not None and operator.parent not in operators:
            path, origin = where[operator.id]
            raise _FileReader(path, origin, countries).fail(
                f"operator {operator.id!r} names parent {operator.parent!r}, which no knowledge file defines", None
            )
    base = KnowledgeBase(operators, refs, [package for package, _ in packages])
    for package, reader in packages:
        if base.lookup(package.endpoint) is None:
            raise reader.fail(
                f"package {package.name!r}: no operator lists its endpoint {package.endpoint!r} (or a parent "
                "domain of it); add the operator's row first",
                package.name,
                "endpoint",
                table="packages",
                field_name="name",
            )
    return base


class _FileReader:
    """Reads one knowledge file, naming the line of each problem."""

    def __init__(self, path: Path, origin: KnowledgeOrigin, countries: frozenset[str]) -> None:
        self.path = path
        self.origin = origin
        self.countries = countries
        self.lines: list[str] = []
        self.packages: list[SdkPackage] = []
        self.ref = DatabaseRef(kind="knowledge", source="", build_date=None, sha256="0" * 64, file=path.name)

    def fail(
        self,
        sentence: str,
        operator_id: str | None,
        key: str | None = None,
        *,
        table: str = "operators",
        field_name: str = "id",
    ) -> Exception:
        line = self._line_of(operator_id, key, table=table, field_name=field_name)
        if self.origin == "shipped":
            where = f", line {line}" if line else ""
            return ResourceError(f"the knowledge file {self.path}{where} is damaged: {sentence}")
        return InputFileError(self.path, sentence, line=line)

    def _line_of(
        self, operator_id: str | None, key: str | None = None, *, table: str = "operators", field_name: str = "id"
    ) -> int | None:
        """The line of the row's id (or name), or of ``key`` within the row (before the next row starts)."""
        if operator_id is None:
            return None
        pattern = re.compile(rf"^\s*{field_name}\s*=\s*[\"']{re.escape(operator_id)}[\"']")
        start = next((i for i, text in enumerate(self.lines, 1) if pattern.match(text)), None)
        if start is None or key is None:
            return start
        wanted = re.compile(rf"^\s*\"?{re.escape(key)}\"?\s*=")
        for number, text in enumerate(self.lines[start:], start + 1):
            if text.strip() == f"[[{table}]]":
                break
            if wanted.match(text):
                return number
        return start

    def read(self) -> list[Operator]:
        try:
            raw = read_bounded(self.path, TABLE_LIMIT)
            text = raw.decode("utf-8")
            self.lines = text.splitlines()
            data = tomllib.loads(text)
        except (OSError, UnicodeDecodeError) as exc:
            raise self.fail(f"it cannot be read ({exc})", None) from None
        except tomllib.TOMLDecodeError as exc:
            match = re.search(r"at line (\d+)", str(exc))
            if self.origin != "shipped":
                raise InputFileError(
                    self.path, f"is not valid TOML: {exc}", line=int(match.group(1)) if match else None
                ) from None
            raise self.fail(f"it is not valid TOML ({exc})", None) from None
        if data.get("format") != 1:
            raise self.fail("its format must be 1 (format = 1 at the top)", None)
        checked = data.get("checked")
        self.ref = DatabaseRef(
            kind="knowledge",
            source=f"{'DataBorder' if self.origin == 'shipped' else self.origin} knowledge base {self.path.name} "
            f"(checked {checked or 'per row'})",
            build_date=None,
            sha256=hashlib.sha256(raw).hexdigest(),
            file=self.path.name,
        )
        rows = data.get("operators", [])
        if not isinstance(rows, list):
            raise self.fail("'operators' must be an array of tables ([[operators]])", None)
        packages = data.get("packages", [])
        if not isinstance(packages, list):
            raise self.fail("'packages' must be an array of tables ([[packages]])", None)
        self.packages = [self._package(row, checked) for row in packages]
        return [self._operator(row, checked) for row in rows]

    def _package(self, row: Any, checked: Any) -> SdkPackage:
        if not isinstance(row, dict) or not isinstance(row.get("name"), str) or not row["name"].strip():
            raise self.fail("every [[packages]] row needs a name (a text)", None)
        name = row["name"].strip()

        def bad(sentence: str, key: str | None = None) -> Exception:
            return self.fail(f"package {name!r}: {sentence}", name, key, table="packages", field_name="name")

        unknown = set(row) - {"registry", "name", "endpoint", "source", "checked"}
        if unknown:
            raise bad(f"unknown field {sorted(unknown)[0]!r}; see docs/knowledge-base.md")
        if row.get("registry") not in ("pypi", "npm"):
            raise bad('registry must be "pypi" or "npm"', "registry")
        endpoint = str(row.get("endpoint", "")).lower().rstrip(".")
        if not _DOMAIN.match(endpoint):
            raise bad("endpoint must be the host name the package calls by default", "endpoint")
        if not isinstance(row.get("source"), str) or not row["source"].strip():
            raise bad("source is required: the version and file where the endpoint was read", "source")
        day = _checked_day(row, checked, bad)
        return SdkPackage(row["registry"], name, endpoint, row["source"].strip(), day, self.origin, self.path.name)

    def _operator(self, row: Any, checked: Any) -> Operator:
        if not isinstance(row, dict) or not isinstance(row.get("id"), str):
            raise self.fail("every [[operators]] row needs an id (a text)", None)
        oid = row["id"]

        def bad(sentence: str, key: str | None = None) -> Exception:
            return self.fail(f"operator {oid!r}: {sentence}", oid, key)

        if not _ID.match(oid):
            raise bad("an id is lower-case letters, digits and hyphens")
        unknown = set(row) - _FIELDS
        if unknown:
            raise bad(f"unknown field {sorted(unknown)[0]!r}; see docs/knowledge-base.md")
        for key in ("name", "country", "category"):
            if not isinstance(row.get(key), str) or not row[key].strip():
                raise bad(f"{key} is required (a text)")
        for key in ("country", "incorporated"):
            if key in row and row[key] not in self.countries:
                raise bad(f"{key} {row[key]!r} is not an ISO 3166-1 alpha-2 code", key)
        if row["category"] not in CATEGORIES:
            raise bad(f"category {row['category']!r} is not one of {', '.join(CATEGORIES)}", "category")
        kinds = _texts(row.get("kinds", []), bad, "kinds")
        if set(kinds) - set(KINDS):
            raise bad(f"kind {sorted(set(kinds) - set(KINDS))[0]!r} is not one of {', '.join(KINDS)}")
        sources = _texts(row.get("sources", []), bad, "sources")
        if not sources:
            raise bad("sources are required: say what was read", "sources")
        day = _checked_day(row, checked, bad)
        domains: dict[str, Role] = {}
        table = row.get("domains", {})
        if not isinstance(table, dict):
            raise bad("[operators.domains] must be a table of role = [domains]")
        for role, names in table.items():
            if role not in ROLES:
                raise bad(f"unknown role {role!r}; roles: {', '.join(ROLES)}", role)
            for name in _texts(names, bad, f"domains.{role}"):
                domain = name.lower().rstrip(".")
                if not _DOMAIN.match(domain):
                    raise bad(f"{name!r} is not a domain name", role)
                domains.setdefault(domain, role)
        regions = row.get("regions", {})
        if not isinstance(regions, dict) or not all(isinstance(v, str) for v in regions.values()):
            raise bad("[operators.regions] must map hosts to region names (texts)")
        categories: dict[str, str] = {}
        table = row.get("categories", {})
        if not isinstance(table, dict):
            raise bad("[operators.categories] must be a table of category = [domains]")
        for category, names in table.items():
            if category not in CATEGORIES:
                raise bad(f"category {category!r} is not one of {', '.join(CATEGORIES)}", category)
            for name in _texts(names, bad, f"categories.{category}"):
                domain = name.lower().rstrip(".")
                if domain not in domains:
                    raise bad(f"[operators.categories] names {name!r}, which is not in its [operators.domains]",
                              category)  # fmt: skip
                categories[domain] = category
        parent = row.get("parent")
        if parent is not None and (not isinstance(parent, str) or parent == oid):
            raise bad("parent must be another operator's id")
        return Operator(
            id=oid,
            name=row["name"].strip(),
            country=row["country"],
            category=row["category"],
            checked=day,
            sources=sources,
            origin=self.origin,
            file=self.path.name,
            brand=row.get("brand"),
            incorporated=row.get("incorporated"),
            parent=parent,
            ownership=row.get("ownership"),
            kinds=kinds,
            unverified=_texts(row.get("unverified", []), bad, "unverified"),
            notes=row.get("notes"),
            domains=domains,
            regions={k.lower(): v for k, v in regions.items()},
            domain_categories=categories,
        )


def _checked_day(row: Mapping[str, Any], checked: Any, bad: Any) -> str:
    """The row's ``checked`` date, or the file's, as text; ``bad`` makes the sentence for one that is not a date."""
    day = str(row.get("checked", checked))
    try:
        dt.date.fromisoformat(day)
    except ValueError:
        raise bad("checked must be a date (YYYY-MM-DD), in the row or at the top of the file", "checked") from None
    return day


def _texts(value: Any, bad: Any, key: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise bad(f"{key} must be a list of texts")
    return tuple(value)
