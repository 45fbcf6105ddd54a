"""The orchestrator: the one function every front-end calls to turn observations into an Assessment.

Stages run in order — endpoints, resolve, attribute, evaluate — reporting progress through a small object the
caller supplies, and checking its ``cancelled`` flag between and within stages.  Configuration (rule packs,
databases) is opened *before* any DNS is sent, so a broken pack or database fails in a second, not after a
minute of resolving.  A cancelled or partly failed run still returns an Assessment of everything gathered,
marked incomplete; an incomplete assessment never says ``allow``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, cast

from databorder import TOOL_NAME, __version__
from databorder.endpoints import build_endpoints
from databorder.errors import CancelledError, DataBorderError
from databorder.model import (
    Assessment,
    Endpoint,
    Finding,
    Observation,
    Resolution,
    Target,
    Tier,
    Tool,
    VendorPractices,
)
from databorder.nameserver import DEFAULT_CONCURRENCY, DEFAULT_TIMEOUT, Nameserver
from databorder.policy import DEFAULT_PACKS, RulePack, evaluate, load_packs, score
from databorder.policy.evaluate import Context

if TYPE_CHECKING:
    from databorder.attribute import Attributor
    from databorder.catalog import CatalogApp
    from databorder.collect.targets import Collected, TargetRequest

log = logging.getLogger(__name__)

#: Every host's resolution in an offline assessment, given when its endpoint is made.
OFFLINE = Resolution(status="skipped", detail="offline: DNS was not used")


class Enriched(Protocol):
    """What an online enrichment (RDAP, the probe) hands back: the endpoints, its notes, whether it was cancelled."""

    @property
    def endpoints(self) -> list[Endpoint]: ...
    @property
    def notes(self) -> list[str]: ...
    @property
    def cancelled(self) -> bool: ...


class Progress(Protocol):
    """What the orchestrator needs from a front-end: somewhere to report progress, and a cancel flag."""

    def report(self, stage: str, done: int, total: int) -> None:
        """Called as work proceeds; ``total`` is 0 when unknown."""

    @property
    def cancelled(self) -> bool:
        """True once the user asked to stop."""


class NoProgress:
    """A progress object for callers that show nothing and never cancel."""

    def report(self, stage: str, done: int, total: int) -> None:
        """Ignore progress."""

    @property
    def cancelled(self) -> bool:
        """Never cancelled."""
        return False


@dataclass(frozen=True)
class AssessOptions:
    """How to run an assessment; every field has a default that works on a fresh install."""

    nameserver: Nameserver | None = None
    offline: bool = False
    country_db: Path | None = None
    asn_db: Path | None = None
    packs: tuple[str, ...] = DEFAULT_PACKS
    dns_timeout: float = DEFAULT_TIMEOUT
    dns_concurrency: int = DEFAULT_CONCURRENCY
    services: tuple[Path, ...] = ()  # extra domain → service operator tables, over the shipped one
    pack_dirs: tuple[Path, ...] = ()  # extra folders whose packs can be named by id
    rdap: bool = False  # online: ask the registries (RDAP) about public addresses
    rdap_url: str | None = None  # one RDAP server for every query instead of the bootstrap's registries
    probe: bool = False  # online: read unknown endpoints' TLS certificates and their domains' RDAP registrants
    history: bool = True  # keep the assessment in the history store, with what changed since the previous one
    tier: str = "auto"  # whose terms vendors' data-handling facts are read for (auto: by the kind of app)
    app: str | None = None  # the catalog app whose declarations are compared with what is observed


def assess(
    *,
    target: Target,
    observations: Sequence[Observation],
    options: AssessOptions,
    progress: Progress | None = None,
    input_warnings: Sequence[str] = (),
    input_notes: Sequence[str] = (),
) -> Assessment:
    """Assess ``observations`` (already collected for ``target``) and return the Assessment.

    Raises :class:`DataBorderError` only for configuration that makes a run pointless (a broken pack or
    database); problems met during the run become warnings in the result.
    """
    progress = progress or NoProgress()
    from databorder.attribute import Attributor

    packs, pack_notes = load_packs(options.packs, options.pack_dirs)
    attributor = Attributor.open(country_db=options.country_db, asn_db=options.asn_db, services=options.services)
    try:
        run = _Run(target, options, progress, packs, attributor, list(input_warnings))
        return run.run(observations, notes=[*input_notes, *pack_notes])
    finally:
        attributor.close()


class _Run:
    """The state of one assessment while it runs."""

    def __init__(
        self,
        target: Target,
        options: AssessOptions,
        progress: Progress,
        packs: list[RulePack],
        attributor: Attributor,
        warnings: list[str],
    ) -> None:
        self.target = target
        self.options = options
        self.progress = progress
        self.packs = packs
        self.attributor = attributor
        self.warnings = warnings
        self.complete = not warnings
        self.nameserver: str | None = None
        self.dns_usable = False
        self.addresses: dict[str, tuple[str, ...]] = {}  # host → the addresses DNS gave it
        self.notes: list[str] = []  # learnt during the run (e.g. a registry disagreeing with GeoIP)

    def run(self, observations: Sequence[Observation], *, notes: Sequence[str] = ()) -> Assessment:
        self.progress.report("collect", len(observations), len(observations))
        endpoints = build_endpoints(observations, unresolved=OFFLINE if self.options.offline else None)
        findings: list[Finding] = []
        if self.proceed("resolve"):
            endpoints = self.guarded("resolve", self.resolve, endpoints)
            endpoints = self.guarded("resolve", self.name_addresses, endpoints)
        if self.proceed("attribute"):
            endpoints = self.attribute(endpoints)
            if self.options.rdap and self.proceed("attribute"):
                endpoints = self.guarded("attribute", self.registrations, endpoints)
        if self.options.probe and self.proceed("probe"):
            endpoints = self.guarded("probe", self.probe, endpoints)
        app, tier, tier_basis = self.declared(observations)
        practices = self.practices(endpoints, tier)
        context = Context(tier=tier, practices=practices, app=app)
        if self.proceed("evaluate"):
            findings = evaluate(endpoints, self.packs, context)
            self.progress.report("evaluate", 1, 1)
        total, points_total, band, verdict = score(findings)
        if not self.complete and verdict == "allow":
            verdict = "review"
            self.warnings.append("the assessment is incomplete, so its verdict cannot be 'allow'")
        return Assessment(
            tool=Tool(name=TOOL_NAME, version=__version__),
            created=dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
            target=self.target,
            verdict=verdict,
            score=total,
            band=band,
            packs=tuple(p.ref for p in self.packs),
            databases=self.attributor.databases(),
            endpoints=tuple(endpoints),
            findings=tuple(findings),
            complete=self.complete,
            warnings=tuple(self.warnings),
            nameserver=self.nameserver,
            offline=self.options.offline,
            points_total=points_total,
            notes=(*notes, *self.notes),
            tier=tier,
            tier_basis=tier_basis,
            app=app.id if app is not None else None,
            practices=tuple(dict.fromkeys(v for v in (context.vendor(e.host) for e in endpoints) if v is not None)),
        )

    def declared(self, observations: Sequence[Observation]) -> tuple[CatalogApp | None, Tier, str]:
        """The catalog app compared with what is observed, the tier its vendor's facts are read for, and why."""
        from databorder.catalog import load_catalog
        from databorder.practices import default_tier

        catalog = load_catalog()
        app: CatalogApp | None = None
        if self.options.app:
            app = catalog.get(self.options.app)
        else:
            declared = [o for o in observations if o.evidence.collector == "catalog"]
            ids = {o.evidence.source.removeprefix("catalog ") for o in declared}
            if len(ids) == 1:
                app = catalog.apps.get(next(iter(ids)))
            elif self.target.kind == "path" and "," not in self.target.name:
                app = catalog.recognise(self.target.name)
        if self.options.tier != "auto":
            return app, cast(Tier, self.options.tier), "given"
        if self.target.kind == "path":  # a package, an SDK, a CLI: the vendor's API terms apply
            return app, "api", "the default for a scanned package or SDK" + (f" ({app.id})" if app else "")
        if app is not None:
            return app, default_tier(app.kind), f"the default for a {app.kind} app ({app.id})"
        return app, "consumer", "the default when the kind of app is not known"

    def practices(self, endpoints: Sequence[Endpoint], tier: Tier) -> dict[str, VendorPractices]:
        """Domain → the data-handling facts for ``tier`` of the vendor running it."""
        from databorder.catalog import load_catalog
        from databorder.practices import load_practices

        catalog = load_catalog()
        index = load_practices().index({app.id: app.domains for app in catalog.apps.values()})
        by_vendor: dict[str, VendorPractices] = {}
        for vendor in dict.fromkeys(index.values()):
            domains = tuple(d for d, v in index.items() if v is vendor)
            by_vendor[vendor.file] = dataclasses.replace(vendor.for_tier(tier), domains=domains)
        return {domain: by_vendor[vendor.file] for domain, vendor in index.items()}

    def guarded(
        self, stage: str, work: Callable[[list[Endpoint]], list[Endpoint]], endpoints: list[Endpoint]
    ) -> list[Endpoint]:
        """Run one stage; if it fails with a sentence for a person, keep what earlier stages gathered."""
        try:
            return work(endpoints)
        except DataBorderError as exc:
            self.stage_failed(stage, exc)
            return endpoints

    def stage_failed(self, stage: str, exc: DataBorderError) -> None:
        log.warning("%s stage failed: %s", stage, exc)
        self.warnings.append(f"the {stage} stage stopped: {exc}; results from earlier stages are kept")
        self.complete = False

    def proceed(self, stage: str) -> bool:
        if self.progress.cancelled:
            if self.complete or not any(w.startswith("cancelled") for w in self.warnings):
                self.warnings.append(f"cancelled by the user before the {stage} stage; results are partial")
            self.complete = False
            return False
        return True

    def resolve(self, endpoints: list[Endpoint]) -> list[Endpoint]:
        names = [e.host for e in endpoints if e.host is not None]
        if self.options.offline:
            self.nameserver = None
            return [dataclasses.replace(e, resolution=OFFLINE) if e.host and e.resolution != OFFLINE else e
                    for e in endpoints]  # fmt: skip
        self.progress.report("resolve", 0, len(names))  # shown at once, before the first name comes back
        from databorder.resolve import resolve_names

        reach, results = resolve_names(
            names,
            self.options.nameserver,
            timeout=self.options.dns_timeout,
            concurrency=self.options.dns_concurrency,
            progress=lambda done, total: self.progress.report("resolve", done, total),
            cancelled=lambda: self.progress.cancelled,
        )
        self.nameserver = str(self.options.nameserver) if self.options.nameserver else "system resolver"
        if not reach.resolves_public_names:
            self.warnings.append(reach.sentence)
        if not reach.reachable:
            self.complete = False  # no name was resolved: hosting and network facets are unknown
        self.dns_usable = reach.reachable
        if any(r.resolution.detail == "cancelled" for r in results.values()):
            self.warnings.append("cancelled by the user while resolving; some names were not resolved")
            self.complete = False
        resolved: list[Endpoint] = []
        for endpoint in endpoints:
            if endpoint.host is None:
                resolved.append(endpoint)
                continue
            result = results[endpoint.host]
            self.addresses[endpoint.host] = result.addresses
            resolved.append(dataclasses.replace(endpoint, resolution=result.resolution))
        return resolved

    def name_addresses(self, endpoints: list[Endpoint]) -> list[Endpoint]:
        """Addresses seen without a name take the host they belong to, where it is sure (see resolve)."""
        if not self.addresses and (self.options.offline or not self.dns_usable):
            return endpoints  # no answer to name them by and no DNS to ask: the DNS code is not even loaded
        from databorder.resolve import name_addresses

        named, learnt = name_addresses(
            endpoints,
            self.addresses,
            nameserver=self.options.nameserver,
            timeout=self.options.dns_timeout,
            use_dns=self.dns_usable and not self.options.offline,
            cancelled=lambda: self.progress.cancelled,
        )
        for host, addresses in learnt.items():
            self.addresses.setdefault(host, addresses)
        return named

    def registrations(self, endpoints: list[Endpoint]) -> list[Endpoint]:
        from databorder.attribute.rdap import RdapClient, add_registrations

        client = RdapClient(base_url=self.options.rdap_url, timeout=min(self.options.dns_timeout * 2, 10.0))
        found = add_registrations(
            endpoints,
            client.lookup,
            progress=lambda done, total: self.progress.report("attribute", done, total),
            cancelled=lambda: self.progress.cancelled,
        )
        return self.enriched(found, "during RDAP lookups; some addresses have no registration")

    def probe(self, endpoints: list[Endpoint]) -> list[Endpoint]:
        """Who runs the endpoints no table knows, from their certificates and domain registrations (see probe)."""
        if self.options.offline:
            self.notes.append("probe: skipped, because the assessment is offline (it would need DNS)")
            return endpoints
        from databorder.attribute.probe import DEFAULT_TIMEOUT, Prober, probe_endpoints
        from databorder.attribute.rdap import RdapClient

        client = RdapClient(base_url=self.options.rdap_url, timeout=DEFAULT_TIMEOUT)
        found = probe_endpoints(
            endpoints,
            certificate=Prober(timeout=DEFAULT_TIMEOUT).certificate,
            registration=client.lookup_domain,
            progress=lambda done, total: self.progress.report("probe", done, total),
            cancelled=lambda: self.progress.cancelled,
        )
        return self.enriched(found, "while probing endpoints; some were not probed")

    def enriched(self, found: Enriched, when_cancelled: str) -> list[Endpoint]:
        """An online enrichment's endpoints, its notes kept and a cancel recorded as a warning."""
        if found.cancelled:
            self.warnings.append(f"cancelled by the user {when_cancelled}")
            self.complete = False
        self.notes += found.notes
        return found.endpoints

    def attribute(self, endpoints: list[Endpoint]) -> list[Endpoint]:
        # DNS's answers and the addresses the app was seen using (captures, live sockets) are both attributed.
        ips_of = {
            e.key: tuple(dict.fromkeys(((e.ip,) if e.ip else self.addresses.get(e.key, ())) + e.observed_addresses))
            for e in endpoints
        }
        unique = list(dict.fromkeys(ip for ips in ips_of.values() for ip in ips))  # each address once, in order
        self.progress.report("attribute", 0, len(unique))
        try:
            attributed = self.attributor.addresses(unique)
        except DataBorderError as exc:  # e.g. a database corrupt inside: keep the addresses DNS gave
            from databorder.attribute import unattributed

            self.stage_failed("attribute", exc)
            attributed = [unattributed(ip) for ip in unique]
        by_ip = dict(zip(unique, attributed, strict=True))
        self.progress.report("attribute", len(unique), len(unique))
        disagreeing = [a for a in attributed if a.geoip_country is not None and a.notes]
        if disagreeing:
            first = disagreeing[0]
            self.notes.append(
                f"{len(disagreeing)} address(es) in a cloud provider's published ranges: GeoIP names another country "
                f"than the provider's region, which decided (e.g. {first.ip}: GeoIP {first.geoip_country}, "
                f"{first.hosting_in_words()})"
            )
        uncertain = [a for a in attributed if a.country_uncertain]
        if uncertain:
            first = uncertain[0]
            deciding = first.geoip_answers[0].database if first.geoip_answers else "the country file"
            self.notes.append(
                f"{len(uncertain)} address(es) whose hosting country is uncertain: the two GeoIP databases disagree "
                f"({deciding} decides; rules test both countries; e.g. {first.ip}: {first.hosting_in_words()})"
            )
        return [
            dataclasses.replace(
                e,
                addresses=tuple(by_ip[ip] for ip in ips_of[e.key]),
                service=self.attributor.service(e.host, e.entities),
                roles=tuple(sorted(set(e.roles).union(self.attributor.roles(e.host)))),
            )
            for e in endpoints
        ]


def assess_request(
    request: TargetRequest,
    options: AssessOptions,
    progress: Progress | None = None,
    *,
    notes: Sequence[str] = (),
    on_collected: Callable[[Collected], None] | None = None,
) -> Assessment:
    """Collect from what the user picked, then assess it: the whole job, as both front-ends run it.

    ``on_collected`` sees what the collectors gathered before the assessment starts (the CLI prints the skipped
    input lines there); ``notes`` are recorded in the assessment (what the organisation's policy changed).
    """
    from databorder.collect.targets import collect_target

    progress = progress or NoProgress()
    watching = progress
    from databorder.attribute.service import known_domains, sdk_endpoints

    collected = collect_target(
        request,
        known_domains=known_domains(options.services) if request.paths else None,
        sdk_endpoints=sdk_endpoints() if request.paths else None,
        progress=lambda done, total: watching.report("collect", done, total),
        cancelled=lambda: watching.cancelled,
    )
    if on_collected is not None:
        on_collected(collected)
    if not collected.observations and progress.cancelled:
        raise CancelledError("cancelled before anything was gathered; nothing was assessed")
    if not collected.observations:
        problems = "; ".join([*collected.notes, *collected.problems][:3])  # e.g. names below the relevance threshold
        raise DataBorderError(
            "nothing to assess: no usable host, URL or address was found" + (f" ({problems})" if problems else "")
        )
    assessment = assess(
        target=collected.target,
        observations=collected.observations,
        options=options,
        progress=progress,
        input_warnings=collected.problems,
        input_notes=[*notes, *collected.notes],
    )
    return keep(assessment)[1] if options.history else assessment


def keep(assessment: Assessment) -> tuple[int | None, Assessment]:
    """Keep ``assessment`` in the history store, with what changed since the target's previous assessment.

    Returns its id in the store and the assessment with ``changes_since``.  A store that cannot be used does not
    cost the assessment: it is returned (id None) with a note saying why it was not kept.
    """
    from databorder.history import HistoryError, record

    try:
        return record(assessment)
    except HistoryError as exc:
        log.warning("not kept in the history: %s", exc)
        return None, dataclasses.replace(assessment, notes=(*assessment.notes, f"not kept in the history: {exc}"))


#: The progress stage of assessing the apps an inventory found, one after another (its name is its title).
APPS_STAGE = "Assess the apps found (static, one by one)"


@dataclass(frozen=True)
class PathAssessed:
    """One installed app's assessment from a static scan of its files, or why there is none."""

    path: Path
    assessment: Assessment | None = None
    history_id: int | None = None
    problem: str | None = None


def assess_paths(
    paths: Sequence[Path],
    request: TargetRequest,
    options: AssessOptions,
    progress: Progress | None = None,
    *,
    notes: Sequence[str] = (),
) -> list[PathAssessed]:
    """Assess each of ``paths`` by a static scan of its files (``request`` gives the scan's options), in turn.

    What ``databorder inventory --assess`` and the GUI's "This computer" view run.  Progress is reported as
    :data:`APPS_STAGE` (done, total) and by each assessment's own stages; once cancelled, the app being assessed
    keeps what it gathered and the rest are not started.  One app that cannot be assessed (nothing to scan, an
    unreadable file) is a ``problem`` on its row, never the end of the others.
    """
    progress = progress or NoProgress()
    results: list[PathAssessed] = []
    for done, path in enumerate(paths):
        if progress.cancelled:
            break
        progress.report(APPS_STAGE, done, len(paths))
        one = dataclasses.replace(request, paths=(path,))
        try:
            assessment = assess_request(one, dataclasses.replace(options, history=False), progress, notes=notes)
        except DataBorderError as exc:
            results.append(PathAssessed(path, problem=str(exc)))
            continue
        row_id = None
        if options.history:
            row_id, assessment = keep(assessment)
        results.append(PathAssessed(path, assessment, row_id))
        progress.report(APPS_STAGE, done + 1, len(paths))
    return results
