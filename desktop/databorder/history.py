"""The history store: every assessment kept in a local SQLite file, and what changed since the last one.

One file, ``history.sqlite3`` in the user's data folder (:func:`databorder.resources.user_data_dir`), in WAL mode
with full synchronisation: a transaction that has committed survives the process being killed (or the machine
losing power) the moment after, and a write cut short leaves the file as it was before it began.  Readers (the
GUI, ``databorder history``, osquery through its ATC tables) read while a writer writes.

The schema is versioned with SQLite's ``user_version`` and brought up to date by :data:`MIGRATIONS`, each in its
own transaction: an older file opens and is migrated, a newer one (written by a later DataBorder) is refused
with a sentence, never changed.  Tables (docs/history.md lists their columns; osquery's ATC configuration in
packaging/ reads them):

- ``assessments`` — one row per assessment: when, what (``target_key`` = kind and name, the identity by which
  "the same target" is found again), verdict, score, counts, and the canonical JSON, zlib-compressed;
- ``endpoints`` — one row per endpoint of each assessment, its hosting countries, service operator and country,
  and the strongest severity of its findings (for SQL readers; the JSON stays the whole truth).

:func:`compare` is the one home of "what changed": the assessment's ``changes_since``, ``databorder diff`` and
the GUI's History tab all call it; :meth:`databorder.model.ChangesSince.in_words` says it for a person.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import sqlite3
import zlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from types import TracebackType
from typing import Any

import orjson

from databorder.errors import InputFileError
from databorder.inputs import decode_utf8
from databorder.model import (
    Assessment,
    ChangesSince,
    PreviousAssessment,
    Severity,
    VerdictChange,
    strongest,
)
from databorder.regions import regions
from databorder.resources import user_data_dir

log = logging.getLogger(__name__)

HISTORY_FILE = "history.sqlite3"
#: How long a writer waits for another (the GUI and a CLI run at once) before giving up, in milliseconds.
BUSY_TIMEOUT_MS = 10_000


class HistoryError(InputFileError):
    """The history store cannot be used: not a store, written by a newer DataBorder, unreadable, or full."""


def history_path() -> Path:
    """Where this user's history store is."""
    return user_data_dir() / HISTORY_FILE


def target_key(assessment: Assessment) -> str:
    """The identity by which an assessment of "the same target" is found again: its kind and its name.

    Hosts typed on the command line all share the name "command line", so for them the hosts typed are part of
    the identity (as a digest): ``assess a.test`` is not compared with ``assess b.test``.
    """
    target = assessment.target
    key = f"{target.kind}:{target.name}"
    if "command line" in target.name.split(", "):
        typed = sorted({e.key for e in assessment.endpoints if any(ev.collector == "cli" for ev in e.evidence)})
        key += ":" + hashlib.sha256("\n".join(typed).encode("utf-8")).hexdigest()[:16]
    return key


# --- the schema and its migrations ----------------------------------------------------------------------------


def _v1(db: sqlite3.Connection) -> None:
    db.execute(
        """CREATE TABLE assessments (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            created TEXT NOT NULL,
            target_key TEXT NOT NULL,
            target_kind TEXT NOT NULL,
            target_name TEXT NOT NULL,
            verdict TEXT NOT NULL,
            score INTEGER NOT NULL,
            complete INTEGER NOT NULL,
            endpoint_count INTEGER NOT NULL,
            finding_count INTEGER NOT NULL,
            tool_version TEXT NOT NULL,
            document BLOB NOT NULL
        )"""
    )
    db.execute("CREATE INDEX assessments_by_target ON assessments (target_key, id)")
    db.execute("CREATE INDEX assessments_by_created ON assessments (created)")


def _v2(db: sqlite3.Connection) -> None:
    db.execute(
        """CREATE TABLE endpoints (
            assessment_id INTEGER NOT NULL REFERENCES assessments (id) ON DELETE CASCADE,
            endpoint TEXT NOT NULL,
            registrable_domain TEXT,
            countries TEXT NOT NULL,
            operator TEXT,
            operator_country TEXT,
            severity TEXT,
            PRIMARY KEY (assessment_id, endpoint)
        ) WITHOUT ROWID"""
    )
    for row_id, document in db.execute("SELECT id, document FROM assessments").fetchall():
        _insert_endpoints(db, row_id, _decode(document))  # rows written by a version 1 store gain theirs


#: Each step brings the store from the version before it to its own (its index + 1); never edit a released one.
MIGRATIONS: tuple[Callable[[sqlite3.Connection], None], ...] = (_v1, _v2)
VERSION = len(MIGRATIONS)


def _encode(assessment: Assessment) -> bytes:
    return zlib.compress(orjson.dumps(assessment), 6)


def _decode(document: bytes) -> Assessment:
    return Assessment.from_json(decode_utf8(zlib.decompress(document)))


def _insert_endpoints(db: sqlite3.Connection, row_id: int, assessment: Assessment) -> None:
    worst: dict[str, list[Severity]] = {}
    for finding in assessment.findings:
        worst.setdefault(finding.endpoint, []).append(finding.severity)
    rows = []
    for endpoint in assessment.endpoints:
        countries = sorted({a.country for a in endpoint.addresses if a.country and a.scope == "public"})
        service = endpoint.service
        severity = strongest(worst.get(endpoint.key, []))
        rows.append(
            (
                row_id,
                endpoint.key,
                endpoint.registrable_domain,
                ",".join(countries),
                service.operator if service else None,
                service.country if service else None,
                severity,
            )
        )
    db.executemany("INSERT OR REPLACE INTO endpoints VALUES (?, ?, ?, ?, ?, ?, ?)", rows)


# --- the store ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Saved:
    """One row of the history, as ``databorder history`` lists it."""

    id: int
    created: str
    target_kind: str
    target_name: str
    verdict: str
    score: int
    complete: bool
    endpoints: int
    findings: int


class HistoryStore:
    """The open store; use as a context manager, or call :meth:`close`."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or history_path()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._db = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
        except sqlite3.Error as exc:
            raise HistoryError(self.path, f"the history store cannot be opened: {exc}") from None
        try:
            with self._translated():
                self._db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
                self._db.execute("PRAGMA journal_mode = WAL")
                self._db.execute("PRAGMA synchronous = FULL")
                self._db.execute("PRAGMA foreign_keys = ON")
                self._migrate()
        except BaseException:
            self._db.close()
            raise

    def __enter__(self) -> HistoryStore:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the file (committed work is already on disk)."""
        self._db.close()

    @contextlib.contextmanager
    def _translated(self) -> Iterator[None]:
        """SQLite's errors as a sentence naming the file."""
        try:
            yield
        except sqlite3.DatabaseError as exc:
            text = str(exc)
            if "not a database" in text or "malformed" in text:
                sentence = f"is not a DataBorder history store ({text}); move it aside and a new one is started"
            elif "locked" in text or "busy" in text:
                sentence = f"the history store is busy (another DataBorder is writing to it): {text}"
            else:
                sentence = f"the history store cannot be used: {text}"
            raise HistoryError(self.path, sentence) from None

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._translated():
            self._db.execute("BEGIN IMMEDIATE")  # the write lock first: two writers never interleave
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    @property
    def version(self) -> int:
        """The store's schema version (``PRAGMA user_version``)."""
        with self._translated():
            return int(self._db.execute("PRAGMA user_version").fetchone()[0])

    def _migrate(self) -> None:
        found = self.version
        if found > VERSION:
            raise HistoryError(
                self.path,
                f"the history store was written by a newer DataBorder (store version {found}; this one reads up "
                f"to {VERSION}); it is left as it is",
            )
        for number in range(found + 1, VERSION + 1):
            with self._transaction() as db:
                if int(db.execute("PRAGMA user_version").fetchone()[0]) >= number:
                    continue  # another process migrated it while this one waited for the lock
                MIGRATIONS[number - 1](db)
                db.execute(f"PRAGMA user_version = {number}")
            log.info("%s: history store migrated to version %d", self.path, number)

    # --- writing ---

    def record(self, assessment: Assessment) -> tuple[int, Assessment]:
        """Keep ``assessment``; returns its id and the assessment with ``changes_since`` filled in.

        The previous assessment of the same target is the latest complete one (an incomplete run's gaps would
        read as changes), else the latest; without one, ``changes_since`` stays null.
        """
        key = target_key(assessment)
        with self._transaction() as db:
            row = db.execute(
                "SELECT id, document FROM assessments WHERE target_key = ? ORDER BY complete DESC, id DESC LIMIT 1",
                (key,),
            ).fetchone()
            if row is not None:
                previous = orjson.loads(zlib.decompress(row[1]))  # its JSON: the typed reader took 0.3 s at 3,000
                assessment = replace(assessment, changes_since=compare(previous, assessment, previous_id=row[0]))
            cursor = db.execute(
                "INSERT INTO assessments (created, target_key, target_kind, target_name, verdict, score, complete, "
                "endpoint_count, finding_count, tool_version, document) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    assessment.created,
                    key,
                    assessment.target.kind,
                    assessment.target.name,
                    assessment.verdict,
                    assessment.score,
                    int(assessment.complete),
                    len(assessment.endpoints),
                    len(assessment.findings),
                    assessment.tool.version,
                    _encode(assessment),
                ),
            )
            row_id = int(cursor.lastrowid or 0)
            _insert_endpoints(db, row_id, assessment)
        return row_id, assessment

    # --- reading ---

    def get(self, row_id: int) -> Assessment:
        """The assessment kept as ``row_id``; a sentence if there is none."""
        with self._translated():
            row = self._db.execute("SELECT document FROM assessments WHERE id = ?", (row_id,)).fetchone()
        if row is None:
            raise HistoryError(self.path, f"the history has no assessment #{row_id}; `databorder history` lists them")
        try:
            return _decode(row[0])
        except (zlib.error, ValueError, UnicodeDecodeError) as exc:
            raise HistoryError(self.path, f"assessment #{row_id} in the history is damaged ({exc})") from None

    def list(self, app: str | None = None, *, limit: int | None = None) -> list[Saved]:
        """The kept assessments, newest first.

        With ``app``, only those whose target's name holds it, or holds the catalog app's name when ``app`` is a
        catalog id.
        """
        sql = (
            "SELECT id, created, target_kind, target_name, verdict, score, complete, endpoint_count, finding_count "
            "FROM assessments"
        )
        parameters: list[object] = []
        if app:
            names = [app, *_catalog_names(app)]
            sql += " WHERE " + " OR ".join("instr(lower(target_name), lower(?)) > 0" for _ in names)
            parameters += names
        sql += " ORDER BY id DESC"
        if limit is not None:
            sql += " LIMIT ?"
            parameters.append(limit)
        with self._translated():
            rows = self._db.execute(sql, parameters).fetchall()
        return [Saved(r[0], r[1], r[2], r[3], r[4], r[5], bool(r[6]), r[7], r[8]) for r in rows]

    def assessments(self, *, since: str | None = None) -> Iterator[tuple[int, Assessment]]:
        """Every kept assessment, oldest first, created at or after ``since`` (an ISO date or date-time)."""
        for row_id, document in self._documents(since):
            yield row_id, _decode(document)

    def documents(self, *, since: str | None = None) -> Iterator[tuple[int, dict[str, Any]]]:
        """Like :meth:`assessments`, as the JSON objects kept (for exports: no typed reading, 5x faster)."""
        for row_id, document in self._documents(since):
            yield row_id, orjson.loads(zlib.decompress(document))

    def _documents(self, since: str | None) -> Iterator[tuple[int, bytes]]:
        """The kept documents, compressed, oldest first, created at or after ``since``."""
        sql = "SELECT id, document FROM assessments"
        parameters: tuple[str, ...] = ()
        if since:
            sql += " WHERE created >= ?"
            parameters = (since,)
        with self._translated():
            yield from self._db.execute(sql + " ORDER BY id", parameters)

    def count(self) -> int:
        """How many assessments are kept."""
        with self._translated():
            return int(self._db.execute("SELECT count(*) FROM assessments").fetchone()[0])


def _catalog_names(app: str) -> list[str]:
    from databorder.catalog import load_catalog

    found = load_catalog().apps.get(app.lower())
    return [found.name] if found is not None else []


def record(assessment: Assessment, path: Path | None = None) -> tuple[int, Assessment]:
    """Keep ``assessment`` in the store at ``path`` (default: :func:`history_path`); see :meth:`HistoryStore.record`."""
    with HistoryStore(path) as store:
        return store.record(assessment)


# --- what changed ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Facts:
    endpoints: tuple[str, ...]
    countries: frozenset[str]
    operators: tuple[str, ...]
    jurisdictions: frozenset[str]
    findings: frozenset[tuple[str, str, str]]


def _data(assessment: Assessment | Mapping[str, Any]) -> Mapping[str, Any]:
    """An assessment as its JSON object (what the store keeps; read back without the typed reader)."""
    if isinstance(assessment, Mapping):
        return assessment
    data: Mapping[str, Any] = orjson.loads(orjson.dumps(assessment))
    return data


def _facts(data: Mapping[str, Any]) -> _Facts:
    countries: set[str] = set()
    jurisdictions: set[str] = set()
    operators: dict[str, None] = {}
    keys: dict[str, None] = {}
    for endpoint in data["endpoints"]:
        keys[str(endpoint.get("host") or endpoint.get("ip"))] = None
        for address in endpoint.get("addresses") or ():
            if address.get("scope") == "public" and address.get("country"):
                countries.add(address["country"])
            network = address.get("network_operator") or {}
            if network.get("country"):
                jurisdictions.add(network["country"])
        service = endpoint.get("service")
        if service:
            operators[service["operator"]] = None
            jurisdictions.update(
                c
                for c in (service.get("country"), *(link.get("country") for link in service.get("parent_chain", ())))
                if c
            )
    return _Facts(
        endpoints=tuple(keys),
        countries=frozenset(countries),
        operators=tuple(operators),
        jurisdictions=frozenset(jurisdictions),
        findings=frozenset((f["pack"], f["rule"], f["endpoint"]) for f in data["findings"] if f["severity"] != "info"),
    )


def _regions_of(countries: frozenset[str]) -> set[str]:
    return {name for name, codes in regions().regions.items() if codes & countries}


def compare(
    old: Assessment | Mapping[str, Any], new: Assessment | Mapping[str, Any], *, previous_id: int | None = None
) -> ChangesSince:
    """What changed from ``old`` to ``new``.

    Endpoints, hosting countries and regions, operators, jurisdictions, the verdict, and how many findings (rule
    × endpoint, info aside) appeared or went.
    """
    old, new = _data(old), _data(new)
    before, after = _facts(old), _facts(new)
    old_endpoints = set(before.endpoints)
    new_endpoints = set(after.endpoints)
    verdict_change = None
    if old["verdict"] != new["verdict"]:
        verdict_change = VerdictChange(
            old=old["verdict"], new=new["verdict"], old_score=old["score"], new_score=new["score"]
        )
    return ChangesSince(
        previous=PreviousAssessment(id=previous_id, created=old["created"], verdict=old["verdict"], score=old["score"]),
        new_endpoints=tuple(e for e in after.endpoints if e not in old_endpoints),
        removed_endpoints=tuple(e for e in before.endpoints if e not in new_endpoints),
        new_countries=tuple(sorted(after.countries - before.countries)),
        removed_countries=tuple(sorted(before.countries - after.countries)),
        new_regions=tuple(sorted(_regions_of(after.countries) - _regions_of(before.countries))),
        new_operators=tuple(o for o in after.operators if o not in before.operators),
        removed_operators=tuple(o for o in before.operators if o not in after.operators),
        new_jurisdictions=tuple(sorted(after.jurisdictions - before.jurisdictions)),
        verdict_change=verdict_change,
        new_findings=len(after.findings - before.findings),
        resolved_findings=len(before.findings - after.findings),
    )


__all__ = [
    "HISTORY_FILE",
    "MIGRATIONS",
    "VERSION",
    "HistoryError",
    "HistoryStore",
    "Saved",
    "compare",
    "history_path",
    "record",
    "target_key",
]
