"""Who runs an endpoint: the layers of knowledge, strongest first, and the inferences where they are silent.

1. the organisation's own tables: ``--services`` files, and knowledge-base rows in the organisation's or the
   user's config folder (``basis = "org-table"``);
2. the app catalog: the apps a user picks, with their vendor and jurisdiction (``"catalog"``);
3. the operator knowledge base shipped in resources/knowledge/ (``"operators"``);
4. inference, low confidence: legal-entity text a static scan saw near the host in the app's own files (an ICP
   filing number, a Chinese company name: ``"bundle"``), then a country-of-concern ccTLD (``"cctld"``).

Every answer names its source and, from the knowledge base, the operator's owners up to the ultimate parent, so
a rule can judge whose law reaches the data (a Singapore arm of a Chinese parent) and a report can say why.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from databorder.attribute.tables import ServiceTable
from databorder.catalog import Catalog
from databorder.endpoints import is_web_page
from databorder.knowledge import KnowledgeBase, OperatorMatch
from databorder.model import (
    ENTITY_WORDS,
    AttributionConfidence,
    DatabaseRef,
    LegalEntity,
    Role,
    ServiceAttribution,
)

#: Country-code top-level domains of the countries of concern (28 CFR 202.601), IDN forms included, and the
#: country whose law a name under them is likely under. Sources: IANA root zone database (delegation records of
#: each ccTLD); 28 CFR 202.208 (China includes Hong Kong and Macau).
CONCERN_CCTLDS: dict[str, str] = {
    "cn": "CN",
    "xn--fiqs8s": "CN",  # .中国
    "xn--fiqz9s": "CN",  # .中國
    "hk": "HK",
    "xn--j6w193g": "HK",  # .香港
    "mo": "MO",
    "xn--mix891f": "MO",  # .澳門
    "ru": "RU",
    "su": "RU",
    "xn--p1ai": "RU",  # .рф
    "ir": "IR",
    "xn--mgba3a4f16a": "IR",  # .ایران
    "kp": "KP",
    "cu": "CU",
    "ve": "VE",
}
#: Roles a listed domain passes on to its subdomains.
_FAMILY_ROLES = frozenset({"api", "upload", "telemetry", "cdn", "update"})
#: Facts whose absence of a source lowers a knowledge-base answer to medium confidence.
_KEY_FACTS = frozenset({"name", "country", "parent"})


class ServiceAttributor:
    """Answers "who runs this host" from the layers above, strongest first."""

    def __init__(self, *, knowledge: KnowledgeBase, catalog: Catalog | None, extra: ServiceTable | None) -> None:
        self.knowledge = knowledge
        self.catalog = catalog
        self.extra = extra  # the organisation's --services tables (old format)
        self._catalog_table = ServiceTable(base=catalog.service_rows()) if catalog is not None else None

    @property
    def refs(self) -> tuple[DatabaseRef, ...]:
        """The knowledge files and the organisation's tables this attributor reads (recorded in an assessment)."""
        return (*self.knowledge.refs, *(self.extra.refs if self.extra is not None else ()))

    def service(self, host: str | None, entities: Sequence[LegalEntity] = ()) -> ServiceAttribution | None:
        """Who runs the service at ``host``, with the basis that decided it; None when nothing is known.

        ``entities``: the legal-entity text a static scan linked to the host's registrable domain.
        """
        if not host:
            return None
        if self.extra is not None and (found := self.extra.lookup(host)) is not None:
            return _with(found, basis="org-table")
        match = self.knowledge.lookup(host)
        if match is not None and match.operator.origin != "shipped":
            return _from_match(match, basis="org-table")
        if self._catalog_table is not None and (app := self._catalog_table.lookup(host)) is not None:
            if match is not None and match.operator.country == app.country:  # the same entity, with its owners
                return _with(app, basis="catalog", parent_chain=match.links(), role=match.role)
            return _with(app, basis="catalog")
        if match is not None:
            return _from_match(match, basis="operators")
        return _bundle(entities) or _cctld(host)

    def role(self, host: str | None) -> Role | None:
        """The role the knowledge base gives this host (api, auth, upload, telemetry…), if any.

        A listed host gives its role; a listed parent domain passes on only the roles of domain families (api,
        upload, telemetry, cdn, update: ``*.ingest.sentry.io`` is telemetry), not those of one host (auth, web,
        docs: ``codeload.github.com`` is not a sign-in page because ``github.com`` is).  Failing those, a vendor's
        page for people (``docs.``, ``console.``, ``status.``… of a domain) is ``web``.
        """
        match = self.knowledge.lookup(host)
        if match is not None and match.how == "exact":
            return match.role
        if match is not None and match.how == "parent domain" and match.role in _FAMILY_ROLES:
            return match.role
        return "web" if is_web_page(host) else None


def _with(found: ServiceAttribution, **changes: object) -> ServiceAttribution:
    import dataclasses

    return dataclasses.replace(found, **changes)  # type: ignore[arg-type]


def _from_match(match: OperatorMatch, *, basis: str) -> ServiceAttribution:
    operator = match.operator
    unverified = set(operator.unverified)
    for owner in match.chain:
        unverified.update(f"{owner.id}: {fact}" for fact in owner.unverified if fact in _KEY_FACTS)
    confidence: AttributionConfidence = "high"
    if match.how == "registrable domain" or unverified & _KEY_FACTS or match.domain in unverified:
        confidence = "medium"
    region = f"; region {match.region}" if match.region else ""
    how = "" if match.how == "exact" else f" (matched by its {match.how} {match.domain})"
    source = (
        f"{'DataBorder' if operator.origin == 'shipped' else operator.origin} knowledge base {operator.file}, "
        f"operator {operator.id}{how}{region}: " + " | ".join(operator.sources)
    )
    return ServiceAttribution(
        operator=operator.name,
        country=operator.country,
        source=source,
        category=match.category,
        parent_chain=match.links(),
        basis=basis,  # type: ignore[arg-type]
        confidence=confidence,
        checked=operator.checked,
        unverified=tuple(sorted(unverified)),
        role=match.role if match.how == "exact" or match.role in _FAMILY_ROLES else None,
    )


def _cctld(host: str) -> ServiceAttribution | None:
    suffix = host.rsplit(".", 1)[-1].lower()
    country = CONCERN_CCTLDS.get(suffix)
    if country is None:
        return None
    shown = suffix if not suffix.startswith("xn--") else f"{suffix.encode().decode('idna')} ({suffix})"
    return ServiceAttribution(
        operator=f"unknown operator (likely under {country} law: ccTLD .{shown})",
        country=country,
        source=f"inferred from the country-code top-level domain .{shown} (IANA root zone database); no table "
        "knows who runs this host",
        basis="cctld",
        confidence="low",
    )


#: The countries a bundle's legal-entity text may name an operator's law for: those of concern, as for ccTLDs.
#: Text pointing elsewhere (株式会社: JP; Pte. Ltd.: SG) is kept as evidence but decides nothing: taken as an
#: answer it would settle who runs the endpoint and could hide a Chinese owner (a Singapore arm of one).
_BUNDLE_COUNTRIES = frozenset(CONCERN_CCTLDS.values())


def _bundle(entities: Sequence[LegalEntity]) -> ServiceAttribution | None:
    """An inference from legal-entity text near the host in the scanned files, where it names a country of concern.

    The strongest such text decides the country (a filing number before a company name, then the nearest); the
    nearest entity name of that country, or of none, names the operator.
    """
    pointing = [e for e in entities if e.country in _BUNDLE_COUNTRIES]
    if not pointing:
        return None
    strongest = min(pointing, key=lambda e: (e.kind not in ("icp-filing", "psb-filing"), e.distance))
    country = strongest.country
    named = [e for e in entities if e.name and e.country in (country, None)]
    name = min(named, key=lambda e: (e.country is None, e.distance)).name if named else None
    seen = [strongest, *(e for e in entities if e is not strongest)]
    return ServiceAttribution(
        operator=f"{name or 'unknown operator'} (likely under {country} law: {_entity_words(strongest)})",
        country=country,
        source=" | ".join([f"{_seen(strongest)}; no table knows who runs this host", *map(_seen, seen[1:])]),
        basis="bundle",
        confidence="low",
    )


def _entity_words(entity: LegalEntity) -> str:
    return f"{ENTITY_WORDS[entity.kind]} {entity.text}"


def _seen(entity: LegalEntity) -> str:
    """What was seen and where, e.g. "ICP filing 京ICP备18024657号 in app/main.js, 310 bytes from api.example.cn"."""
    return (f"{_entity_words(entity)} in {entity.source} (offset {entity.offset}), {entity.distance:,} bytes from "
            f"{entity.near}")  # fmt: skip


def service_attributor(extra: Sequence[Path] = ()) -> ServiceAttributor:
    """The service attributor an assessment uses: knowledge base, catalog and the organisation's tables."""
    from databorder.catalog import load_catalog
    from databorder.knowledge import load_knowledge

    return ServiceAttributor(
        knowledge=load_knowledge(), catalog=load_catalog(), extra=ServiceTable(extra) if extra else None
    )


#: The roles whose domains a static scan ranks as data endpoints.
DATA_ROLES: frozenset[str] = frozenset({"api", "auth", "upload", "telemetry"})


def known_domains(extra: Sequence[Path] = ()) -> frozenset[str]:
    """The domains the knowledge layers know to carry data.

    Those are the catalog apps' domains, the knowledge base's api, auth, upload and telemetry domains, and the
    organisation's ``--services`` tables.  A static scan ranks names under these as data endpoints; the
    orchestrator hands them to the collectors.
    """
    from databorder.catalog import load_catalog
    from databorder.knowledge import load_knowledge

    knowledge = load_knowledge().domains_with(DATA_ROLES)
    return ServiceTable(extra, base=load_catalog().service_rows()).domains | knowledge


def sdk_endpoints() -> dict[str, str]:
    """Each vendor SDK package the knowledge base lists (by package key) and the endpoint it calls by default."""
    from databorder.knowledge import load_knowledge

    return {key: package.endpoint for key, package in load_knowledge().packages.items()}
