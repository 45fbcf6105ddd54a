"""GeoIP readers: the hosting country and the ASN of an address, from MaxMind-format (.mmdb) databases.

Read with ``maxminddb`` directly (its C extension does ~1 M lookups/s) rather than geoip2's typed readers,
because the embedded no-account country database (ip-location-db's ``geo-whois-asn-country``) has records of
its own shape (``{"country_code": "US"}``) that geoip2 refuses.  Both that shape and MaxMind's
(GeoLite2/GeoIP2 Country and City: ``{"country": {"iso_code": …}}``) are understood; the shape is chosen once,
when the file is opened, so a lookup costs one dictionary access.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import ipaddress
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import maxminddb
from maxminddb.errors import InvalidDatabaseError

from databorder.errors import GeoIPDatabaseError, ResourceError
from databorder.inputs import DATABASE_LIMIT, read_input
from databorder.model import DatabaseKind, DatabaseRef
from databorder.resources import resource_path

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


@dataclass(frozen=True)
class DatabaseOrigin:
    """What is known about a database file beyond its own metadata: where it came from and its licence."""

    source: str
    licence: str | None = None
    attribution: str | None = None


class _MmdbFile:
    """An open .mmdb file with the facts an assessment records about it."""

    kind: ClassVar[DatabaseKind]

    def __init__(self, path: Path, origin: DatabaseOrigin) -> None:
        self.path = path
        data = read_input(path, DATABASE_LIMIT, GeoIPDatabaseError, f"{self.kind} database")
        try:
            self._reader = maxminddb.open_database(str(path), maxminddb.MODE_AUTO)
        except (InvalidDatabaseError, ValueError, OSError) as exc:
            raise GeoIPDatabaseError(
                path,
                f"is not a valid MaxMind-format (.mmdb) database; it may be corrupt or truncated ({exc})",
            ) from None
        meta = self._reader.metadata()
        self.database_type = str(meta.database_type)
        self.build_date = dt.datetime.fromtimestamp(meta.build_epoch, dt.UTC).date().isoformat()
        self.ref = DatabaseRef(
            kind=self.kind,
            source=origin.source,
            build_date=self.build_date,
            sha256=hashlib.sha256(data).hexdigest(),
            file=path.name,
            licence=origin.licence,
            attribution=origin.attribution,
        )

        # Bound once: lookups are the hot path of attribution. Records are plain dicts (typed Any here).
        self._lookup: Callable[[str | IPAddress], Any] = self._reader.get

    def _corrupt(self, ip: str | IPAddress, exc: Exception) -> GeoIPDatabaseError:
        return GeoIPDatabaseError(self.path, f"is corrupt: looking up {ip} failed ({exc})")

    def close(self) -> None:
        """Release the file."""
        self._reader.close()


class CountryDatabase(_MmdbFile):
    """Hosting country (ISO 3166-1 alpha-2) of an address."""

    kind = "country"

    def __init__(self, path: Path, origin: DatabaseOrigin) -> None:
        super().__init__(path, origin)
        lowered = self.database_type.lower()
        if "country" not in lowered and "city" not in lowered:
            raise GeoIPDatabaseError(path, f"is a {self.database_type!r} database, not a country (or city) database")
        # ip-location-db's own record shape is flat; MaxMind's nests the code. Decided once, here.
        self._flat = self.database_type.lower().startswith("country ipv")
        self._codes: dict[object, str | None] = {None: None}  # a record's raw value → its code, as met

    def country(self, ip: str | IPAddress) -> str | None:
        """The country code for ``ip``, or None where the database has no answer."""
        return self.countries((ip,))[0]

    def countries(self, ips: Sequence[str | IPAddress]) -> list[str | None]:
        """The country code of each address, in order (a batch: the loop is the hot path of attribution)."""
        lookup, flat, codes = self._lookup, self._flat, self._codes
        found: list[str | None] = []
        append = found.append
        ip: str | IPAddress = ""
        try:
            for ip in ips:
                record = lookup(ip)
                # ``type(…) is dict``, not ``isinstance(…, Mapping)``: the readers return plain dicts, and the ABC
                # check cost more than the look-up itself.  A code is read once per distinct value (``codes``).
                if type(record) is not dict or not record:
                    append(None)
                    continue
                raw = record.get("country_code") if flat else _maxmind_value(record)
                try:
                    append(codes[raw])
                except (KeyError, TypeError):
                    append(self._remember(raw))
        except _DAMAGED as exc:
            raise self._corrupt(ip, exc) from None
        return found

    def _remember(self, raw: object) -> str | None:
        """The code of a record's raw value, kept for the next record with the same value (strings only)."""
        code = _code(raw)
        if type(raw) is str and len(self._codes) < _MEMO_LIMIT:
            self._codes[raw] = code
        return code


class AsnDatabase(_MmdbFile):
    """Autonomous system number and organisation of an address."""

    kind = "asn"

    def __init__(self, path: Path, origin: DatabaseOrigin) -> None:
        super().__init__(path, origin)
        lowered = self.database_type.lower()
        if "asn" not in lowered and "isp" not in lowered:
            raise GeoIPDatabaseError(path, f"is a {self.database_type!r} database, not an ASN database")

    def asn(self, ip: str | IPAddress) -> tuple[int | None, str | None]:
        """The ASN and AS organisation for ``ip`` (None, None where unknown)."""
        return self.asns((ip,))[0]

    def asns(self, ips: Sequence[str | IPAddress]) -> list[tuple[int | None, str | None]]:
        """ASN and AS organisation of each address, in order (a batch, like CountryDatabase.countries)."""
        lookup = self._lookup
        found: list[tuple[int | None, str | None]] = []
        append = found.append
        unknown = (None, None)
        ip: str | IPAddress = ""
        try:
            for ip in ips:
                record = lookup(ip)
                if type(record) is not dict or not record:
                    append(unknown)
                    continue
                number, name = record.get("autonomous_system_number"), record.get("autonomous_system_organization")
                # ``type(…) is int`` keeps out bool (and the readers write nothing else that is an int).
                append((
                    number if type(number) is int and number >= 0 else None,
                    name[:200] if type(name) is str else None,
                ))  # fmt: skip
        except _DAMAGED as exc:
            raise self._corrupt(ip, exc) from None
        return found


def _maxmind_value(record: Mapping[str, Any]) -> object:
    """The raw country code of a MaxMind-shaped record (Country/City), or of another vendor's flat one."""
    country = record.get("country") or record.get("registered_country")
    if isinstance(country, Mapping):
        return country.get("iso_code")
    return record.get("country_code")


def _code(value: object) -> str | None:
    """An ISO 3166-1 alpha-2 code as the database holds it, or None for anything else a damaged record holds."""
    return value.upper() if isinstance(value, str) and len(value) == 2 and value.isascii() and value.isalpha() else None


#: Distinct raw country values a database's memo keeps (a country file has ~250; a damaged one may have more).
_MEMO_LIMIT = 4096
#: What the MaxMind reader raises on a damaged tree or record (bad UTF-8 in a string, a pointer out of range…).
_DAMAGED = (InvalidDatabaseError, UnicodeDecodeError, ValueError, TypeError, IndexError, KeyError, RecursionError)


def embedded_origins() -> dict[str, tuple[Path, DatabaseOrigin]]:
    """The databases shipped in resources/geoip, by kind, with provenance read from provenance.json."""
    folder = resource_path("geoip")
    try:
        provenance = json.loads((folder / "provenance.json").read_text(encoding="utf-8"))
        entries = provenance["databases"]
        return {
            entry["kind"]: (
                folder / entry["file"],
                DatabaseOrigin(
                    source=entry["source"], licence=entry.get("licence"), attribution=entry.get("attribution")
                ),
            )
            for entry in entries
        }
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ResourceError(f"the embedded GeoIP provenance file in {folder} is missing or damaged ({exc})") from None
