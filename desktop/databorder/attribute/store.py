"""The databases this user adopted in place of the embedded ones, swapped in safely and kept for rollback.

A file is adopted only after the same checks as any database (it opens, its type fits its kind) plus a sane build
date; it is copied beside the active one and renamed over it atomically, so an assessment never sees half a file,
and the file it replaces is kept as ``KIND.previous.mmdb`` for `databorder geoip rollback`.  The cloud providers'
published ranges (``cloud-ranges.bin``, written by a keyless update) are kept the same way.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import platformdirs

from databorder.attribute.cloud import EMBEDDED_FILE, CloudRanges, RangeFileInfo, embedded_path, read_info
from databorder.attribute.geoip import AsnDatabase, CountryDatabase, DatabaseOrigin, embedded_origins
from databorder.errors import DataBorderError, GeoIPDatabaseError
from databorder.model import DatabaseRef

KINDS = ("country", "asn")
#: Every kind `geoip rollback` can put back.
ROLLBACK_KINDS = (*KINDS, "cloud")
_OLDEST = dt.date(2000, 1, 1)


def store_dir() -> Path:
    """Where adopted databases live: the platform's per-user data folder."""
    return Path(platformdirs.user_data_dir("databorder", appauthor=False)) / "geoip"


def active(kind: str) -> tuple[Path, DatabaseOrigin] | None:
    """The adopted database of ``kind`` and where it came from, or None (the embedded one is used)."""
    folder = store_dir()
    path = folder / f"{kind}.mmdb"
    if not path.is_file():
        return None
    try:
        note = json.loads((folder / f"{kind}.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        note = {}
    source = str(note.get("source") or f"adopted file {path.name}")
    return path, DatabaseOrigin(source=source, licence=note.get("licence"), attribution=note.get("attribution"))


def adopt(
    source: Path,
    *,
    kind: str | None = None,
    licence: str | None = None,
    origin: str | None = None,
    attribution: str | None = None,
) -> DatabaseRef:
    """Check ``source`` and make it the active database of its kind; returns what is now in use.

    ``origin`` says where the file came from (shown as the database's source; by default the file's name and
    today's date) and ``attribution`` the text its licence asks to be shown, as provenance.json has them.
    """
    checked_kind, ref = _check(source, kind)
    folder = store_dir()
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{checked_kind}.mmdb"
    staging = folder / f"{checked_kind}.new.mmdb"
    try:
        shutil.copyfile(source, staging)
        with staging.open("rb") as handle:
            os.fsync(handle.fileno())
        if target.exists():
            os.replace(target, folder / f"{checked_kind}.previous.mmdb")
            _move_note(folder, checked_kind, "previous")
        os.replace(staging, target)  # atomic: readers see the old file or the new one, never a mixture
        note = {"source": origin or f"adopted file {source.name} ({dt.date.today().isoformat()})",
                "sha256": ref.sha256, "build_date": ref.build_date, "licence": licence,
                "attribution": attribution}  # fmt: skip
        (folder / f"{checked_kind}.json").write_text(json.dumps(note, indent=2), encoding="utf-8")
    except OSError as exc:
        staging.unlink(missing_ok=True)
        raise DataBorderError(f"{folder}: cannot store the database: {exc.strerror or exc}") from None
    return ref


def rollback(kind: str) -> str:
    """Put the previous database of ``kind`` back (or, with none kept, return to the embedded one)."""
    if kind not in ROLLBACK_KINDS:
        raise DataBorderError(f"kind must be one of {', '.join(ROLLBACK_KINDS)}, not {kind!r}")
    folder = store_dir()
    suffix = ".bin" if kind == "cloud" else ".mmdb"
    target, previous = folder / f"{kind}{suffix}", folder / f"{kind}.previous{suffix}"
    kind = "cloud ranges" if kind == "cloud" else kind
    stem = target.stem
    if previous.exists():
        os.replace(previous, target)
        _move_note(folder, stem, "", source="previous")
        return f"the previous {kind} database is back in use"
    if target.exists():
        target.unlink()
        (folder / f"{stem}.json").unlink(missing_ok=True)
        return f"no previous {kind} database was kept; the embedded one is in use again"
    raise DataBorderError(f"nothing to roll back: the embedded {kind} database is already in use")


def _check(source: Path, kind: str | None) -> tuple[str, DatabaseRef]:
    origin = DatabaseOrigin(source=f"file {source.name}")
    errors = []
    for candidate, reader in (("country", CountryDatabase), ("asn", AsnDatabase)):
        if kind not in (None, candidate):
            continue
        try:
            database = reader(source, origin)
        except GeoIPDatabaseError as exc:
            errors.append(exc)
            continue
        ref = database.ref
        database.close()
        built = dt.date.fromisoformat(ref.build_date) if ref.build_date else None
        if built is None or not _OLDEST <= built <= dt.date.today() + dt.timedelta(days=1):
            raise GeoIPDatabaseError(source, f"has an implausible build date ({ref.build_date}); not adopted")
        return candidate, ref
    raise (
        errors[-1]
        if len(errors) == 1 or kind
        else GeoIPDatabaseError(source, "is neither a country nor an ASN database (MaxMind format); not adopted")
    )


def _move_note(folder: Path, kind: str, to: str, *, source: str = "") -> None:
    suffix = f".{to}" if to else ""
    from_suffix = f".{source}" if source else ""
    note = folder / f"{kind}{from_suffix}.json"
    if note.exists():
        os.replace(note, folder / f"{kind}{suffix}.json")


# --- the databases in use ------------------------------------------------------------------------------------


def default_database(kind: str) -> tuple[Path, DatabaseOrigin]:
    """The database used when none is named: the one this user adopted, else the embedded one."""
    return active(kind) or embedded_origins()[kind]


_default = default_database


def open_country_database(path: Path | None) -> CountryDatabase:
    """The country database at ``path``, or the default (adopted, else embedded) when ``path`` is None."""
    if path is None:
        return CountryDatabase(*_default("country"))
    return CountryDatabase(path, DatabaseOrigin(source=f"user-supplied file {path.name}"))


def open_asn_database(path: Path | None) -> AsnDatabase:
    """The ASN database at ``path``, or the default (adopted, else embedded) when ``path`` is None."""
    if path is None:
        return AsnDatabase(*_default("asn"))
    return AsnDatabase(path, DatabaseOrigin(source=f"user-supplied file {path.name}"))


def second_country_database(deciding: CountryDatabase) -> CountryDatabase | None:
    """The embedded country database, consulted beside ``deciding`` where that is another file, else None.

    A MaxMind file (``--country-db``, or adopted in the store) decides the hosting country; the embedded database
    is read beside it so that where the two disagree both are shown and the country is marked uncertain
    (:func:`databorder.attribute.cloud.decide`).  The same file given twice is consulted once.
    """
    path, origin = embedded_origins()["country"]
    if deciding.path.resolve() == path.resolve():
        return None
    embedded = CountryDatabase(path, origin)
    if embedded.ref.sha256 == deciding.ref.sha256:
        embedded.close()
        return None
    return embedded


def cloud_file() -> Path:
    """Where the cloud ranges a keyless update adopted live (they replace the embedded ones while present)."""
    return store_dir() / "cloud.bin"


def open_cloud_ranges(path: Path | None) -> CloudRanges:
    """The cloud range file at ``path``, or the default: the one an update adopted, else the embedded one."""
    if path is not None:
        return CloudRanges(path, origin=f"user-supplied cloud range file {path.name}")
    adopted = cloud_file()
    if adopted.is_file():
        try:
            note = json.loads((store_dir() / "cloud.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            note = {}
        return CloudRanges(adopted, origin=note.get("source") if isinstance(note, dict) else None)
    return CloudRanges(embedded_path())


def cloud_ranges_in_use() -> RangeFileInfo:
    """What the default cloud range file holds (for updates, which never go back to older data)."""
    ranges = open_cloud_ranges(None)
    return ranges.info


def adopt_cloud_ranges(data: bytes, *, source: str) -> RangeFileInfo:
    """Check a compiled range file and make it the one in use, keeping the file it replaces for rollback."""
    info = read_info(data, where=f"the downloaded {EMBEDDED_FILE}")
    folder = store_dir()
    folder.mkdir(parents=True, exist_ok=True)
    target, staging = cloud_file(), folder / "cloud.new.bin"
    try:
        with staging.open("wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if target.exists():
            os.replace(target, folder / "cloud.previous.bin")
            _move_note(folder, "cloud", "previous")
        os.replace(staging, target)  # atomic: an assessment reads the old file or the new one, never a mixture
        note = {"source": source, "version": info.version, "date": info.date, "adopted": dt.date.today().isoformat()}
        (folder / "cloud.json").write_text(json.dumps(note, indent=2), encoding="utf-8")
    except OSError as exc:
        staging.unlink(missing_ok=True)
        raise DataBorderError(f"{folder}: cannot store the cloud ranges: {exc.strerror or exc}") from None
    return info


@dataclass(frozen=True)
class DatabaseStatus:
    """A database an assessment would use, as `geoip status`, Settings and About show it."""

    kind: str
    path: Path | None
    ref: DatabaseRef | None
    database_type: str | None = None
    age_days: int | None = None
    problem: str | None = None  # why it cannot be used (then ``ref`` is None)
    consulted: bool = False  # read beside the deciding database of its kind (the embedded country database)


def databases_in_use(*, country_db: Path | None, asn_db: Path | None) -> list[DatabaseStatus]:
    """Each database an assessment with these options would open (pass the resolved options' values)."""
    today = dt.datetime.now(dt.UTC).date()
    found = []
    for kind, opener, path in (("country", open_country_database, country_db), ("asn", open_asn_database, asn_db)):
        try:
            database: CountryDatabase | AsnDatabase = opener(path)
        except DataBorderError as exc:
            found.append(DatabaseStatus(kind=kind, path=path, ref=None, problem=str(exc)))
            continue
        opened: list[CountryDatabase | AsnDatabase] = [database]
        try:
            if isinstance(database, CountryDatabase):
                second = second_country_database(database)  # consulted beside it, as an assessment does
                opened += [second] if second is not None else []
            for each in opened:
                ref = each.ref
                age = (today - dt.date.fromisoformat(ref.build_date)).days if ref.build_date else None
                found.append(
                    DatabaseStatus(kind, each.path, ref, each.database_type, age, consulted=each is not database)
                )
        finally:
            for each in opened:
                each.close()
    try:
        ranges = open_cloud_ranges(None)
    except DataBorderError as exc:
        found.append(DatabaseStatus(kind="cloud", path=None, ref=None, problem=str(exc)))
    else:
        ref = ranges.ref
        age = (today - dt.date.fromisoformat(ref.build_date)).days if ref.build_date else None
        found.append(DatabaseStatus("cloud", ranges.path, ref, "cloud ranges", age))
    return found
