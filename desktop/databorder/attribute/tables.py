"""Lookup tables: ASN → network operator (shipped), and domain → service operator (the organisation's own).

Both are TOML with a source per row, so a privacy officer can read and correct them without touching code.  Each
table is recorded in every assessment (file, version, sha256) like a GeoIP database.  Who runs a domain is
otherwise the operator knowledge base's business (:mod:`databorder.knowledge`); the service table here is the
older, flat format an organisation's ``--services`` files are written in, and the catalog's app domains.
"""

from __future__ import annotations

import hashlib
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from databorder.errors import InputFileError, ResourceError
from databorder.inputs import TABLE_LIMIT, read_bounded
from databorder.model import DatabaseKind, DatabaseRef, NetworkOperator, ServiceAttribution
from databorder.resources import resource_path


@dataclass(frozen=True)
class OperatorEntry:
    """A network operator as the table knows it, and whether an ASN of it is an anycast/CDN edge."""

    operator: NetworkOperator
    anycast: bool


def _load(path: Path, kind: DatabaseKind, *, shipped: bool = True) -> tuple[dict[str, Any], DatabaseRef]:
    """Read one table; a broken shipped table is a broken installation, a broken user table is bad input."""
    try:
        raw = read_bounded(path, TABLE_LIMIT)
        data = tomllib.loads(raw.decode("utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        if shipped:
            raise ResourceError(f"the {kind} table {path} is missing or damaged ({exc})") from None
        raise InputFileError(path, f"is not a readable {kind} table ({exc})") from None
    ref = DatabaseRef(
        kind=kind,
        source=f"{'DataBorder' if shipped else 'user'} {kind} table {data.get('version', '?')} "
        f"(checked {data.get('checked', '?')})",
        build_date=None,
        sha256=hashlib.sha256(raw).hexdigest(),
        file=path.name,
    )
    return data, ref


class OperatorTable:
    """ASN → network operator with parent company and the parent's home country."""

    def __init__(self, path: Path | None = None) -> None:
        data, self.ref = _load(path or resource_path("operators.toml"), "operators")
        self._by_asn: dict[int, OperatorEntry] = {}
        try:
            for row in data["operators"]:
                operator = NetworkOperator(
                    name=row["name"],
                    country=row.get("country"),
                    parent=row.get("parent"),
                    source="; ".join(row.get("sources", [])) or None,
                )
                anycast_asns = set(row.get("anycast_asns", []))
                for asn in row["asns"]:
                    self._by_asn[int(asn)] = OperatorEntry(operator, asn in anycast_asns)
        except (KeyError, TypeError, ValueError) as exc:
            raise ResourceError(f"the operators table has a malformed row ({exc})") from None

    def lookup(self, asn: int | None) -> OperatorEntry | None:
        """The operator running ``asn``, if the table knows it."""
        return self._by_asn.get(asn)  # type: ignore[arg-type]  # None is simply never a key

    def __len__(self) -> int:
        return len(self._by_asn)


class ServiceTable:
    """Domain → who runs the service there, the country whose law reaches that operator, and its category.

    ``base`` rows (the AI-app catalog's domains) come first; the ``extra`` tables (an organisation's own domains,
    e.g. an internal AI gateway) are read after them, and their rows win for a domain.
    """

    def __init__(self, extra: Sequence[Path] = (), *, base: Sequence[tuple[str, ServiceAttribution]] = ()) -> None:
        self._by_domain: dict[str, ServiceAttribution] = {domain: service for domain, service in base}
        refs = []
        for table_path in extra:
            data, ref = _load(table_path, "services", shipped=False)
            refs.append(ref)
            try:
                for row in data["services"]:
                    service = ServiceAttribution(
                        operator=row["operator"],
                        country=row.get("country"),
                        source=row["source"],
                        category=row.get("category"),
                    )
                    for domain in row["domains"]:
                        self._by_domain[domain.lower()] = service
            except (KeyError, TypeError, AttributeError) as exc:
                sentence = f"has a malformed row (each needs domains, operator, source; problem: {exc})"
                raise InputFileError(table_path, sentence) from None
        self.refs = tuple(refs)

    @property
    def domains(self) -> frozenset[str]:
        """Every domain the table knows a service operator for."""
        return frozenset(self._by_domain)

    def lookup(self, host: str | None) -> ServiceAttribution | None:
        """The service operator of ``host``: the longest listed domain that is ``host`` or a parent of it."""
        if host is None:
            return None
        labels = host.lower().split(".")
        for start in range(len(labels)):
            found = self._by_domain.get(".".join(labels[start:]))
            if found is not None:
                return found
        return None
