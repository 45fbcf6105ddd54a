"""The assessment as a readable table on the terminal (rich), with the verdict and every finding."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from databorder.model import (
    SEVERITY_ORDER,
    AddressAttribution,
    Assessment,
    ChangesSince,
    Endpoint,
    Finding,
    ServiceAttribution,
    basis_in_words,
    strongest,
)

if TYPE_CHECKING:
    from databorder.attribute.store import DatabaseStatus
    from databorder.catalog import CatalogApp
    from databorder.knowledge import KnowledgeStatus
    from databorder.practices import PracticesStatus

_VERDICT_STYLE = {"allow": "bold green", "review": "bold yellow", "prohibit": "bold red"}
_SEVERITY_STYLE = {"info": "cyan", "review": "yellow", "prohibit": "red"}


#: Rows of the endpoint table and lines of findings shown without ``--full``: beyond a few dozen, a terminal
#: table is scrolled past, and rendering thousands of rows took half of a big scan's whole command.
TABLE_ROWS = 30
FINDING_LINES = 40


def print_assessment(
    assessment: Assessment, *, quiet: bool = False, full: bool = False, console: Console | None = None
) -> None:
    """Print the endpoint table, findings and verdict (only the verdict line when ``quiet``).

    Without ``full``, the table holds every endpoint with a prohibit finding, then those with a review finding
    and the most relevant others up to :data:`TABLE_ROWS`, and the findings list stops after
    :data:`FINDING_LINES`; each says how many more the JSON, the PDF or ``--full`` show.
    """
    if console is None:
        console = Console()
        if not console.is_terminal:  # piped to a file or a log: don't squeeze the table into 80 columns
            console = Console(width=160)
    if not quiet:
        console.print(endpoint_table(assessment, limit=None if full else TABLE_ROWS))
        ordered = sorted(assessment.findings, key=lambda f: (-SEVERITY_ORDER.index(f.severity), -f.points))
        weighty = [f for f in ordered if f.severity != "info"]
        shown = weighty if full else weighty[:FINDING_LINES]
        lines = Text()
        for finding in shown:
            lines.append("• ")
            lines.append(f"{finding.severity.upper()} +{finding.points}", style=_SEVERITY_STYLE[finding.severity])
            lines.append(f" {finding.message}")
            lines.append(f"  [{finding.pack}/{finding.rule}]", style="dim")
            for adjustment in finding.adjustments:
                lines.append(f"\n    adjusted: {adjustment}", style="dim")
            lines.append("\n")
        if len(weighty) > len(shown):
            more = len(weighty) - len(shown)
            lines.append(f"  … {more} more findings: --full lists them, or see the JSON or the PDF\n", style="dim")
        if lines:
            lines.rstrip()
            console.print(lines)  # one render for all of them: a print per line cost a millisecond each
        _print_info(console, [f for f in ordered if f.severity == "info"])
        _print_unattributed(console, assessment)
        if assessment.changes_since is not None:
            print_changes(assessment.changes_since, console=console)
        for note in assessment.notes:
            console.print(Text(f"note: {note}", style="dim"))
        for warning in assessment.warnings:
            console.print(Text(f"warning: {warning}", style="yellow"))
    console.print(verdict_line(assessment))


def _print_unattributed(console: Console, assessment: Assessment) -> None:
    from databorder.policy.evaluate import could_not_attribute

    unknown = could_not_attribute(assessment.endpoints)
    if not unknown:
        return
    console.print(
        Text(f"Could not attribute ({len(unknown)}): who runs these data endpoints is unknown", style="yellow")
    )
    for endpoint, steps in unknown[:_LISTED_UNKNOWN]:
        console.print(Text(f"  {endpoint.key} — would settle it: {'; or '.join(steps)}"))
    if len(unknown) > _LISTED_UNKNOWN:
        console.print(Text(f"  … and {len(unknown) - _LISTED_UNKNOWN} more (see the JSON or the PDF)", style="dim"))


_LISTED_UNKNOWN = 20


def _print_info(console: Console, findings: list[Finding]) -> None:
    """Information-only findings, one line per rule: they add no points, and many hosts may share one."""
    by_rule: dict[tuple[str, str], list[Finding]] = {}
    for finding in findings:
        by_rule.setdefault((finding.pack, finding.rule), []).append(finding)
    for (pack, rule), group in by_rule.items():
        line = Text("• ")
        line.append("INFO", style=_SEVERITY_STYLE["info"])
        if len(group) == 1:
            line.append(f" {group[0].message}")
        else:
            names = ", ".join(f.endpoint for f in group[:6]) + (f" and {len(group) - 6} more" if len(group) > 6 else "")
            line.append(f" {len(group)} endpoints: {names} — e.g. {group[0].message}")
        line.append(f"  [{pack}/{rule}]", style="dim")
        console.print(line)


def endpoint_table(assessment: Assessment, *, limit: int | None = None) -> Table:
    """One row per endpoint: addresses, hosting country, ASN, network and service operator, findings.

    With ``limit``, the rows are every endpoint with a prohibit finding, then those with a review finding, then
    the others, each group most relevant first, until ``limit`` rows; the caption says how many are left out.
    """
    by_endpoint: dict[str, list[Finding]] = {}
    for finding in assessment.findings:
        by_endpoint.setdefault(finding.endpoint, []).append(finding)
    endpoints = list(assessment.endpoints)
    if limit is not None and len(endpoints) > limit:
        rank = {"prohibit": 0, "review": 1}
        worst = {k: min((rank.get(f.severity, 2) for f in found), default=2) for k, found in by_endpoint.items()}
        ordered = sorted(endpoints, key=lambda e: (worst.get(e.key, 2), -e.relevance))
        prohibited = sum(1 for e in ordered if worst.get(e.key, 2) == 0)
        endpoints = ordered[: max(limit, prohibited)]  # every prohibited endpoint, whatever the limit
    table = Table(title=f"{assessment.target.name} — {len(assessment.endpoints)} endpoints", show_lines=True)
    shown = {e.key for e in endpoints}
    left = [e for e in assessment.endpoints if e.key not in shown]
    if left:
        flagged = sum(1 for e in left if e.key in by_endpoint and any(f.severity != "info" for f in by_endpoint[e.key]))
        table.caption = (
            f"{len(left)} more endpoints ({flagged} with a review finding): --full lists them all, or see the JSON"
        )
    for header in ("Endpoint", "Addresses", "Country", "Network (AS, operator)", "Service operator", "Worst"):
        table.add_column(header, overflow="fold")
    for endpoint in endpoints:
        # Cells are data: Text keeps rich from reading "[...]" in a name as markup.
        table.add_row(
            *(Text(c) if isinstance(c, str) else c for c in _row(endpoint, by_endpoint.get(endpoint.key, [])))
        )
    return table


def verdict_line(assessment: Assessment) -> Text:
    """``Verdict: PROHIBIT — score 80/100 (critical)`` with the packs applied."""
    packs = ", ".join(f"{p.id} {p.version}" for p in assessment.packs)
    line = Text("Verdict: ")
    line.append(assessment.verdict.upper(), style=_VERDICT_STYLE[assessment.verdict])
    line.append(f" — score {assessment.score}/100 ({assessment.band}); packs: {packs}")
    if assessment.tier is not None and assessment.practices:  # only when vendor facts were there to test
        line.append(f"; vendor tier: {assessment.tier} ({assessment.tier_basis or 'given'})")
    if not assessment.complete:
        line.append(" [incomplete]", style="yellow")
    return line


def _row(endpoint: Endpoint, findings: list[Finding]) -> tuple[str | Text, ...]:
    resolution = endpoint.resolution
    if endpoint.addresses:
        addresses = "\n".join(a.ip for a in endpoint.addresses)
    elif endpoint.host is not None:
        addresses = resolution.status
    else:
        addresses = ""
    if resolution.cname_chain:
        addresses = "→ " + " → ".join(resolution.cname_chain) + "\n" + addresses
    countries = "\n".join(a.hosting_in_words() for a in endpoint.addresses)
    networks = "\n".join(_network(a) for a in endpoint.addresses if a.scope == "public")
    service = endpoint.service.chain_in_words() if endpoint.service else "-"
    worst = Text()
    severity = strongest(f.severity for f in findings)
    if severity is not None:
        worst.append(severity, style=_SEVERITY_STYLE[severity])
        worst.append(f" +{sum(f.points for f in findings)}")
    return endpoint.key, addresses, countries, networks, service, worst


def _network(address: AddressAttribution) -> str:
    text = f"AS{address.asn}" if address.asn is not None else "AS?"
    operator = address.network_operator
    registered = ""
    if address.registration is not None and address.registration.organisation:
        registered = f"; registered to {address.registration.organisation}"
    if operator is not None:
        return f"{text} {operator.name} ({operator.country or '?'}){registered}"
    return f"{text} {address.as_organization or ''}{registered}".strip()


# --- the other commands' tables ------------------------------------------------------------------------------


def plain_console() -> Console:
    """A console for data texts: no markup ("[from x]" prints as written), 160 columns when not a terminal."""
    return Console(highlight=False, markup=False, width=None if Console().is_terminal else 160)


def print_lines(lines: Iterable[str], *, console: Console | None = None) -> None:
    """Plain lines (an explained pack, a catalog entry), wrapped softly so copied text stays whole."""
    console = console or plain_console()
    for line in lines:
        console.print(line, soft_wrap=True)


def print_catalog(apps: Sequence[CatalogApp], total: int, *, console: Console | None = None) -> None:
    """`catalog list`: one row per app."""
    table = Table(title=f"AI-app catalog ({len(apps)} of {total} apps)")
    for header in ("Id", "Name", "Kind", "Vendor", "Jurisdiction", "Declared data location"):
        table.add_column(header, overflow="fold")
    for app in apps:
        table.add_row(app.id, app.name, app.kind, app.vendor, app.jurisdiction, app.data_location)
    (console or plain_console()).print(table)


def app_lines(app: CatalogApp) -> list[str]:
    """`catalog show`: one app in full."""
    return [
        f"{app.name} ({app.id}) — {app.kind}" + (", runs locally" if app.local_only else ""),
        f"Vendor: {app.vendor}, home jurisdiction {app.jurisdiction}",
        f"Declared data location: {app.data_location}",
        f"Domains: {', '.join(app.domains)}",
        "Endpoints:",
        *[f"  {role}: {', '.join(hosts)}" for role, hosts in app.endpoints.items()],
        f"Processes: {', '.join(app.processes) or '-'}",
        *[f"Packages ({kind}): {', '.join(names)}" for kind, names in app.packages.items() if names],
        *[f"Install path ({system}): {', '.join(paths)}" for system, paths in app.paths.items() if paths],
        *[f"Install hints from: {source}" for source in app.install_sources],
        *[f"Install hint unverified: {hint}" for hint in app.install_unverified],
        *([f"Notes: {app.notes}"] if app.notes else []),
        f"Checked: {app.checked}",
        "Sources:",
        *[f"  - {source}" for source in app.sources],
        *_practice_lines(app.id),
    ]


def print_changes(changes: ChangesSince, *, console: Console | None = None, title: str = "What changed") -> None:
    """The "since last time" section: what changed since the target's previous assessment (or between two)."""
    console = console or plain_console()
    worse = changes.verdict_change is not None and changes.verdict_change.worse
    style = "bold red" if worse or changes.new_countries or changes.new_jurisdictions else "bold"
    console.print(Text(f"{title} {changes.since()}:", style=style))
    for line in changes.in_words():
        console.print(Text(f"  {line}"), soft_wrap=True)


def print_history(rows: Iterable[tuple[str, ...]], *, total: int, console: Console | None = None) -> None:
    """`history`: id, when, target, verdict, score, endpoints, findings, complete."""
    table = Table(title=f"Assessments kept on this computer ({total} in all)")
    for header in ("Id", "When (UTC)", "Target", "Verdict", "Score", "Endpoints", "Findings", "Complete"):
        table.add_column(header, overflow="fold")
    for row in rows:
        table.add_row(*row)
    (console or plain_console()).print(table)


def print_inventory(data: Mapping[str, Any], *, console: Console | None = None) -> None:
    """`inventory`: one row per app found (the JSON's ``apps``), with the verdict when it was assessed."""
    apps = data["apps"]
    known = sum(1 for a in apps if a["app"] != "unknown")
    table = Table(
        title=f"AI apps found under {data['home']} and {data['root']}: {known} known, {len(apps) - known} unknown"
    )
    assessed = any("verdict" in a or "problem" in a for a in apps)
    headers = ["App", "Name", "Version", "Found in", "Path", "Why"] + (["Verdict", "Id"] if assessed else [])
    for header in headers:
        table.add_column(header, overflow="fold")
    for a in apps:
        row: list[str | Text] = [
            a["app"],
            a["name"],
            a["version"] or "",
            a["where"],
            a["path"],
            "; ".join(a["signals"]),
        ]
        if assessed:
            verdict = a.get("verdict")
            row.append(
                Text(f"{verdict} {a['score']}", style=_VERDICT_STYLE[verdict]) if verdict else a.get("problem", "")
            )
            row.append(f"#{a['assessment_id']}" if a.get("assessment_id") else "")
        table.add_row(*row)
    target = console or plain_console()
    target.print(table)
    if not apps:
        target.print("no AI app was found")


def practices_status_lines(status: PracticesStatus, *, max_age: int) -> list[str]:
    """`catalog practices`: per fact, for how many catalog apps it is known and from how many pages; the ages."""
    share = f"{status.known / status.total:.0%}" if status.total else "-"
    lines = [
        f"Vendors' data practices: {status.vendors} vendor files, {status.apps} catalog apps; {status.known} of "
        f"{status.total} facts known (vendor × tier × fact, {share}), {status.third_party} of them from a third "
        "party's page",
        f"Known for how many of the {status.apps} apps (under the tier each is assessed by default; in any tier), "
        "and from how many distinct pages (the vendor's own):",
        f"  {'fact':<20} {'default tier':>12} {'any tier':>9} {'sources':>8} {'vendor':>7}",
        *[
            f"  {c.fact:<20} {c.apps:>12} {c.apps_any_tier:>9} {c.sources:>8} {c.vendor_sources:>7}"
            for c in status.coverage
        ],
    ]
    if status.oldest_days is None or status.median_days is None:
        lines.append("Age: no fact is known")
        return lines
    lines.append(
        f"Age: oldest {status.oldest_days} days since checked, median {status.median_days:g} days "
        f"(limit {max_age} days)"
    )
    if status.stale:
        lines.append(f"warning: {len(status.stale)} facts were checked more than {max_age} days ago; re-read them:")
        lines += [f"  {words}" for words in status.stale]
    return lines


def _practice_lines(app_id: str) -> list[str]:
    from databorder.practices import load_practices, practice_lines

    vendor = load_practices().of_app(app_id)
    return practice_lines(vendor) if vendor is not None else [f"Vendor's data practices: none recorded for {app_id}"]


def print_packs(rows: Iterable[tuple[str, str, str, str, str]], *, console: Console | None = None) -> None:
    """`rules list`: id, version, title, origin, file."""
    table = Table(title="Rule packs (by id; the first folder holding an id wins: system, user, shipped)")
    for header in ("Id", "Version", "Title", "Origin", "File"):
        table.add_column(header, overflow="fold")
    for row in rows:
        table.add_row(*row)
    (console or plain_console()).print(table)


def database_lines(statuses: Sequence[DatabaseStatus], *, max_age: int) -> tuple[list[str], int]:
    """`geoip status`: each database in use, and how many are older than ``max_age`` days."""
    lines: list[str] = []
    stale = 0
    for status in statuses:
        ref = status.ref
        if ref is None:
            lines.append(f"{status.kind}: cannot be used: {status.problem}")
            continue
        beside = " (consulted beside the one above: where they disagree, the country is uncertain)"
        lines += [
            f"{ref.kind}: {ref.source}" + (beside if status.consulted else ""),
            f"  file:     {status.path}",
            f"  type:     {status.database_type}",
            f"  built:    {ref.build_date} ({status.age_days} days ago)",
            f"  sha256:   {ref.sha256}",
            f"  licence:  {ref.licence or 'not recorded (a file you supplied)'}",
        ]
        if ref.attribution:
            lines.append(f"  credit:   {ref.attribution}")
        if status.age_days is not None and status.age_days > max_age and status.consulted:
            lines.append(f"  note:     older than {max_age} days; it only adds to the one above")
        elif status.age_days is not None and status.age_days > max_age:
            stale += 1
            lines.append(f"  warning:  older than {max_age} days; attributions may be out of date")
            if ref.kind == "cloud":
                lines.append("  update:   `databorder geoip update` refreshes them (no account needed)")
    return lines, stale


def operator_lines(host: str, service: ServiceAttribution | None) -> list[str]:
    """`operators show HOST`: who runs it and why, or that nobody knows and what would settle it."""
    if service is None:
        return [
            f"{host}: who runs it is unknown — no organisation table, catalog entry or knowledge-base row covers it,",
            "  and its name is under no country-of-concern ccTLD.",
            "  What would settle it: a row in your organisation's operators table (docs/knowledge-base.md), or",
            "  DNS (an assessment without --offline attributes its hosting and network).",
        ]
    lines = [
        f"{host}: {service.chain_in_words()}",
        f"  decided by: {basis_in_words(service.basis)} ({service.confidence} confidence)",
    ]
    if service.category:
        lines.append(f"  category:   {service.category}" + (f", role {service.role}" if service.role else ""))
    if service.checked:
        lines.append(f"  checked:    {service.checked}")
    if service.unverified:
        lines.append(f"  unverified: {', '.join(service.unverified)} (no source read confirmed these)")
    lines.append("  source:")
    lines += [f"    - {part.strip()}" for part in service.source.split(" | ")]
    return lines


def knowledge_lines(status: KnowledgeStatus, *, max_age: int) -> tuple[list[str], int]:
    """`operators status`: counts, files and ages; and whether the oldest row is older than ``max_age`` days."""
    categories = ", ".join(f"{name} {count}" for name, count in status.by_category.items() if count)
    origins = ", ".join(f"{name} {count}" for name, count in status.by_origin.items() if count)
    lines = [
        f"operators:  {status.operators} ({status.with_domains} with domains, {status.domains} domains; "
        f"{status.with_unverified} rows with an unverified fact)",
        f"by origin:  {origins}",
        f"categories: {categories}",
        f"age:        median {status.median_days} days since checked, oldest {status.oldest_days} days",
        "files:",
        *[f"  - {ref.source}, sha256 {ref.sha256[:16]}…" for ref in status.refs],
    ]
    stale = int(status.oldest_days > max_age)
    if stale:
        lines.append(
            f"warning:    some rows were checked more than {max_age} days ago; re-check them before relying on them"
        )
    return lines, stale
