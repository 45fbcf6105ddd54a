"""What each AI vendor does with the data: data-handling facts per tier, each with its source and checked date.

One TOML file per vendor in resources/practices/ (format: docs/vendor-practices.md) names the catalog apps it is
about and holds facts: the operator's own (a DPA, EU SCCs, EU-US DPF and UK Extension certification, SOC 2
Type II, ISO/IEC 27001, 27701, 42001) under ``[facts]``, and those that differ by tier (consumer, paid, business,
api) under ``[tiers.NAME]``, which override ``[facts]`` for that tier.  A fact no source was read for is
*unknown*, never "no".  Rule packs test the facts for the tier in use (:mod:`databorder.policy.packs`).
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import re
import statistics
import tomllib
import typing
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from databorder.endpoints import normalise_host
from databorder.errors import EndpointSyntaxError, ResourceError
from databorder.model import PracticeFact, PracticeName, Tier, VendorPractices
from databorder.resources import resource_path

TIERS: tuple[Tier, ...] = typing.get_args(Tier)
FACTS: tuple[PracticeName, ...] = typing.get_args(PracticeName)
TRI_STATE = ("yes", "no", "unknown")
RETENTION = ("none", "30-days", "1-year", "longer", "unknown")
#: The values each fact may take (``data_residency`` holds a list of regions instead).
VALUES: Mapping[str, tuple[str, ...]] = {
    fact: RETENTION if fact == "retention" else TRI_STATE for fact in FACTS if fact != "data_residency"
}
#: Per fact, the values that are a risk to the customer: what "unknown counts as risk" turns unknown into.
RISKY: Mapping[str, frozenset[str]] = {
    "trains_on_user_data": frozenset({"yes"}),
    "training_opt_out": frozenset({"no"}),
    "retention": frozenset({"1-year", "longer"}),
    "human_review": frozenset({"yes"}),
    **{fact: frozenset({"no"}) for fact in FACTS if fact.startswith(("dpa", "eu_", "uk_", "soc2", "iso_"))},
}
#: Each fact in a person's words.
FACT_WORDS: Mapping[str, str] = {
    "trains_on_user_data": "trains models on user content",
    "training_opt_out": "the user can opt out of training",
    "retention": "keeps prompts and content",
    "human_review": "people may read conversations",
    "data_residency": "regions a customer can choose",
    "dpa": "data processing agreement (DPA)",
    "eu_sccs": "EU standard contractual clauses (SCCs)",
    "eu_us_dpf": "EU-US Data Privacy Framework certification",
    "uk_extension": "UK Extension to the DPF",
    "soc2_type2": "SOC 2 Type II report",
    "iso_27001": "ISO/IEC 27001 certification",
    "iso_27701": "ISO/IEC 27701 certification",
    "iso_42001": "ISO/IEC 42001 certification",
}
RETENTION_WORDS: Mapping[str, str] = {
    "none": "not kept",
    "30-days": "30 days or less",
    "1-year": "a year or less",
    "longer": "longer than a year",
    "unknown": "unknown",
}
#: How old (days since checked) a shipped fact may be at release; ``databorder catalog practices`` warns past it
#: and a release-time test fails (docs/vendor-practices.md).
MAX_AGE_DAYS = 365
_FILE_KEYS = {"vendor", "apps", "domains", "vendor_domains", "checked", "facts", "tiers", "notes"}
_FACT_KEYS = {"value", "source", "checked", "note"}
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True, eq=False)  # one per file: compared and hashed by identity
class VendorFile:
    """One vendor's facts as written: the operator's own, and each tier's overrides."""

    vendor: str
    apps: tuple[str, ...]
    domains: tuple[str, ...]  # domains the vendor runs besides its apps' (where its endpoints are)
    vendor_domains: tuple[str, ...]  # where the vendor's own pages are: a source elsewhere is a third party's
    checked: str
    facts: Mapping[str, PracticeFact]
    tiers: Mapping[Tier, Mapping[str, PracticeFact]]
    notes: str
    file: str

    def for_tier(self, tier: Tier) -> VendorPractices:
        """Every fact for ``tier`` (the tier's own, else the operator's, else unknown)."""
        own = self.tiers.get(tier, {})
        facts = tuple(own.get(f) or self.facts.get(f) or PracticeFact(fact=f, value="unknown") for f in FACTS)
        return VendorPractices(vendor=self.vendor, tier=tier, facts=facts, apps=self.apps, source_file=self.file)

    def known(self) -> dict[str, int]:
        """How many facts are known (not unknown) for each tier."""
        return {tier: sum(f.value != "unknown" for f in self.for_tier(tier).facts) for tier in TIERS}


def default_tier(app_kind: str | None) -> Tier:
    """The tier whose terms apply to a catalog app of this kind when none is given.

    Chat and local apps are used on the consumer terms, coding tools and APIs on the API terms (``None``: the kind
    is not known).
    """
    return "api" if app_kind in ("coding", "api") else "consumer"


@dataclass(frozen=True)
class FactCoverage:
    """For one fact: for how many catalog apps it is known, and from how many distinct pages."""

    fact: str
    apps: int  # known for the tier the app is assessed under by default
    apps_any_tier: int  # known for at least one tier
    sources: int  # distinct source addresses of the known values
    vendor_sources: int  # of those, on the vendor's own domains


@dataclass(frozen=True)
class PracticesStatus:
    """How much the shipped facts say, and how old they are (``databorder catalog practices``)."""

    apps: int
    vendors: int
    known: int  # facts known, counted once per vendor and tier
    total: int
    third_party: int  # known facts whose source is not the vendor's own page
    coverage: tuple[FactCoverage, ...]
    oldest_days: int | None  # days since the oldest known fact was checked (None: nothing known)
    median_days: float | None
    stale: tuple[str, ...]  # known facts checked longer ago than max_age, in words


class Practices:
    """Every vendor's facts, by catalog app id and by domain."""

    def __init__(self, vendors: Sequence[VendorFile], *, sha256: str = "") -> None:
        self.vendors = list(vendors)
        self.sha256 = sha256
        self._by_app = {app: v for v in self.vendors for app in v.apps}

    def of_app(self, app_id: str) -> VendorFile | None:
        """The vendor file naming this catalog app."""
        return self._by_app.get(app_id)

    def status(
        self, app_kinds: Mapping[str, str], *, today: dt.date | None = None, max_age: int = MAX_AGE_DAYS
    ) -> PracticesStatus:
        """Coverage per fact over the catalog apps (``app_kinds``: id → kind) and the facts' ages on ``today``."""
        today = today or dt.datetime.now(dt.UTC).date()
        known: list[tuple[VendorFile, Tier, PracticeFact]] = [
            (vendor, tier, fact)
            for vendor in self.vendors
            for tier in TIERS
            for fact in vendor.for_tier(tier).facts
            if fact.value != "unknown"
        ]
        coverage = []
        for name in FACTS:
            of_fact = [(v, f) for v, _, f in known if f.fact == name]
            sources = {f.source for _, f in of_fact if f.source}
            coverage.append(
                FactCoverage(
                    fact=name,
                    apps=sum(
                        1
                        for vendor in self.vendors
                        for app in vendor.apps
                        if app in app_kinds and vendor.for_tier(default_tier(app_kinds[app])).value(name) != "unknown"
                    ),
                    apps_any_tier=sum(
                        1
                        for vendor in self.vendors
                        for app in vendor.apps
                        if app in app_kinds and any(vendor.for_tier(t).value(name) != "unknown" for t in TIERS)
                    ),
                    sources=len(sources),
                    vendor_sources=len({f.source for _, f in of_fact if f.source and f.by_vendor}),
                )
            )
        ages = {(v.file, t, f.fact): (today - dt.date.fromisoformat(f.checked or v.checked)).days for v, t, f in known}
        stale = tuple(
            f"{file}: {fact} ({tier}) checked {age} days ago"
            for (file, tier, fact), age in sorted(ages.items(), key=lambda item: -item[1])
            if age > max_age
        )
        return PracticesStatus(
            apps=sum(1 for vendor in self.vendors for app in vendor.apps if app in app_kinds),
            vendors=len(self.vendors),
            known=len(known),
            total=len(self.vendors) * len(TIERS) * len(FACTS),
            third_party=sum(1 for _, _, f in known if not f.by_vendor),
            coverage=tuple(coverage),
            oldest_days=max(ages.values()) if ages else None,
            median_days=statistics.median(ages.values()) if ages else None,
            stale=stale,
        )

    def index(self, app_domains: Mapping[str, Iterable[str]]) -> dict[str, VendorFile]:
        """Domain → vendor: the file's own domains and those of the catalog apps it names."""
        found: dict[str, VendorFile] = {}
        for vendor in self.vendors:
            for domain in (*vendor.domains, *(d for app in vendor.apps for d in app_domains.get(app, ()))):
                found.setdefault(domain, vendor)
        return found


def vendor_of(host: str | None, index: Mapping[str, VendorFile]) -> VendorFile | None:
    """The vendor whose domain ``host`` is, or is under."""
    if host is None:
        return None
    labels = host.split(".")
    for start in range(len(labels) - 1):
        vendor = index.get(".".join(labels[start:]))
        if vendor is not None:
            return vendor
    return None


def fact_in_words(fact: PracticeFact) -> str:
    """``trains models on user content: yes (source …, checked 2026-12-03)``."""
    value = RETENTION_WORDS.get(fact.value, fact.value) if fact.fact == "retention" else fact.value
    words = f"{FACT_WORDS[fact.fact]}: {value}"
    if fact.value == "unknown":
        return words + " (no source read)"
    whose = "the vendor's page" if fact.by_vendor else "a third party's page, not the vendor's"
    words += f" ({whose} {fact.source}, checked {fact.checked})"
    return words + (f"; {fact.note}" if fact.note else "")


def practice_lines(vendor: VendorFile) -> list[str]:
    """The vendor's facts, tier by tier, in words (``catalog show``)."""
    lines = [f"Vendor's data practices ({vendor.vendor}; {vendor.file}, checked {vendor.checked}):"]
    for tier in TIERS:
        practices = vendor.for_tier(tier)
        known = [f for f in practices.facts if f.value != "unknown"]
        unknown = [f.fact for f in practices.facts if f.value == "unknown"]
        lines.append(f"  {tier}: {len(known)} of {len(FACTS)} facts known")
        lines += [f"    {fact_in_words(f)}" for f in known]
        if unknown:
            lines.append(f"    unknown: {', '.join(unknown)}")
    if vendor.notes:
        lines.append(f"  Notes: {vendor.notes}")
    return lines


@functools.cache
def load_practices(folder: Path | None = None) -> Practices:
    """The shipped vendors' facts (read once per process: immutable data)."""
    folder = folder or resource_path("practices")
    vendors: list[VendorFile] = []
    digest = hashlib.sha256()
    seen: dict[str, str] = {}
    for path in sorted(folder.glob("*.toml")):
        raw = path.read_bytes()
        digest.update(path.name.encode() + b"\0" + raw)
        vendor = _Reader(path, raw).read()
        for app in vendor.apps:
            if app in seen:
                raise ResourceError(f"practices/{path.name}: app {app!r} is also in practices/{seen[app]}")
            seen[app] = path.name
        vendors.append(vendor)
    if not vendors:
        raise ResourceError(f"the vendors' data practices in {folder} are missing or empty")
    return Practices(vendors, sha256=digest.hexdigest())


class _Reader:
    """Checks one practices file, naming the line of each problem."""

    def __init__(self, path: Path, raw: bytes) -> None:
        self.path = path
        self.raw = raw
        self.lines: list[str] = []

    def fail(self, sentence: str, line: int | None = None) -> ResourceError:
        where = f"practices/{self.path.name}" + (f", line {line}" if line else "")
        return ResourceError(f"{where}: {sentence}")

    def read(self) -> VendorFile:
        try:
            text = self.raw.decode("utf-8")
        except UnicodeDecodeError:
            raise self.fail("is not UTF-8 text") from None
        self.lines = text.splitlines()
        try:
            data: dict[str, Any] = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            found = re.search(r"at line (\d+)", str(exc))
            line = getattr(exc, "lineno", None) or (int(found.group(1)) if found else None)
            reason = getattr(exc, "msg", None) or re.sub(r"\s*\(at line \d+, column \d+\)$", "", str(exc))
            raise self.fail(f"is not valid TOML: {reason}", line) from None
        unknown = sorted(set(data) - _FILE_KEYS)
        if unknown:
            raise self.fail(f"unknown key {unknown[0]!r}; allowed: {', '.join(sorted(_FILE_KEYS))}",
                            self.line_of(unknown[0]))  # fmt: skip
        for key in ("vendor", "checked"):
            if not isinstance(data.get(key), str) or not data[key].strip():
                raise self.fail(f"needs a text {key!r}", self.line_of(key))
        checked = self.date(data["checked"], self.line_of("checked"))
        apps = self.texts(data.get("apps"), "apps", required=True)
        domains = self.hosts(data.get("domains", []), "domains")
        vendor_domains = self.hosts(data.get("vendor_domains", []), "vendor_domains")
        notes = data.get("notes", "")
        if not isinstance(notes, str):
            raise self.fail("'notes' must be text", self.line_of("notes"))
        own = (*vendor_domains, *domains)
        facts = self.facts(data.get("facts", {}), "facts", checked, own)
        tiers_raw = data.get("tiers", {})
        if not isinstance(tiers_raw, dict):
            raise self.fail("'tiers' must be a table of [tiers.NAME] tables", self.line_of("tiers"))
        tiers: dict[Tier, dict[str, PracticeFact]] = {}
        for name, body in tiers_raw.items():
            if name not in TIERS:
                raise self.fail(f"unknown tier {name!r}; tiers: {', '.join(TIERS)}", self.header(f"tiers.{name}"))
            tiers[typing.cast(Tier, name)] = self.facts(body, f"tiers.{name}", checked, own)
        return VendorFile(
            vendor=data["vendor"],
            apps=apps,
            domains=domains,
            vendor_domains=vendor_domains,
            checked=checked,
            facts=facts,
            tiers=tiers,
            notes=notes,
            file=f"practices/{self.path.name}",
        )

    def facts(self, body: Any, table: str, checked: str, own: Sequence[str]) -> dict[str, PracticeFact]:
        start = self.header(table)
        if not isinstance(body, dict):
            raise self.fail(f"[{table}] must be a table of facts", start)
        found: dict[str, PracticeFact] = {}
        for name, entry in body.items():
            line = self.line_of(name, start)
            if name not in FACTS:
                raise self.fail(f"[{table}]: unknown fact {name!r}; facts: {', '.join(FACTS)}", line)
            if not isinstance(entry, dict) or "value" not in entry:
                raise self.fail(f"[{table}] {name} must be an inline table with a value and its source", line)
            extra = sorted(set(entry) - _FACT_KEYS)
            if extra:
                raise self.fail(f"[{table}] {name}: unknown key {extra[0]!r}; allowed: value, source, checked, note",
                                line)  # fmt: skip
            value = self.value(name, entry["value"], table, line)
            source = entry.get("source")
            if value != "unknown" and (not isinstance(source, str) or not source.startswith("https://")):
                raise self.fail(f"[{table}] {name} = {value!r} needs the https:// address of its source", line)
            note = entry.get("note")
            if note is not None and not isinstance(note, str):
                raise self.fail(f"[{table}] {name}: 'note' must be text", line)
            date = self.date(entry["checked"], line) if "checked" in entry else checked
            found[name] = PracticeFact(
                fact=typing.cast(PracticeName, name),
                value=value,
                source=source if isinstance(source, str) else None,
                checked=date if value != "unknown" else None,
                by_vendor=isinstance(source, str) and _under(source, own),
                note=note,
            )
        return found

    def value(self, name: str, value: Any, table: str, line: int | None) -> str:
        if name == "data_residency":
            if value == "unknown":
                return "unknown"
            if not isinstance(value, list) or not value or not all(isinstance(v, str) and v for v in value):
                raise self.fail(f"[{table}] data_residency must be a list of regions (\"EU\", \"US\"…) or \"unknown\"",
                                line)  # fmt: skip
            return ", ".join(value)
        allowed = VALUES[name]
        if value not in allowed:
            raise self.fail(f"[{table}] {name} must be one of {', '.join(allowed)}, not {value!r}", line)
        return str(value)

    def date(self, value: Any, line: int | None) -> str:
        text = str(value)
        if not _DATE.match(text):
            raise self.fail(f"a checked date must be YYYY-MM-DD, not {text!r}", line)
        return text

    def texts(self, value: Any, key: str, *, required: bool = False) -> tuple[str, ...]:
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value) or (required and not value):
            raise self.fail(f"{key!r} must be a list of texts", self.line_of(key))
        return tuple(value)

    def hosts(self, value: Any, key: str) -> tuple[str, ...]:
        try:
            return tuple(normalise_host(h) for h in self.texts(value, key))
        except EndpointSyntaxError as exc:
            raise self.fail(f"{key!r} holds an invalid domain ({exc})", self.line_of(key)) from None

    def header(self, table: str) -> int | None:
        for number, text in enumerate(self.lines, start=1):
            if text.strip() == f"[{table}]":
                return number
        return None

    def line_of(self, key: str, after: int | None = None) -> int | None:
        pattern = re.compile(rf"^\s*\"?{re.escape(key)}\"?\s*=")
        for number in range(after or 1, len(self.lines) + 1):
            if pattern.match(self.lines[number - 1]):
                return number
        return after


def _under(url: str, domains: Sequence[str]) -> bool:
    host = re.sub(r"^https://([^/:?#]+).*$", r"\1", url).lower()
    return any(host == d or host.endswith("." + d) for d in domains)
