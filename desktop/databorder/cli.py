"""``databorder`` — the command line; it calls the same engine as the GUI and adds no logic of its own.

Exit codes (also in ``databorder --help`` and README):
  0  the assessment ran; its verdict is below the --fail-on threshold (or none was given)
  1  the verdict reached the --fail-on threshold
  2  the command line was wrong
  3  nothing could be assessed: an input file, rule pack or database could not be used
  4  an assessment was written but is incomplete (skipped input lines, unreachable DNS, cancelled)
 70  an internal error (a bug); the details are in the log file
130  cancelled (Ctrl-C) before anything was gathered, or a second Ctrl-C: nothing was written
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

from databorder import TOOL_NAME, __version__
from databorder.errors import CancelledError, DataBorderError
from databorder.logs import setup_logging
from databorder.model import Assessment
from databorder.options import HelpFormatter
from databorder.options import add_arguments as add_option_arguments

EXIT_OK = 0
EXIT_FAIL_ON = 1
EXIT_USAGE = 2
EXIT_INPUT = 3
EXIT_INCOMPLETE = 4
EXIT_INTERNAL = 70
EXIT_CANCELLED = 130  # 128 + SIGINT, as a shell reports a program Ctrl-C stopped
VERDICT_ORDER = ("allow", "review", "prohibit")

EPILOG = """exit codes:
  0   the assessment ran; the verdict is below --fail-on (or no --fail-on was given)
  1   the verdict reached the --fail-on threshold
  2   the command line was wrong
  3   nothing could be assessed: an input file, rule pack or database could not be used
  4   an assessment was made but is incomplete (skipped input lines, unreachable DNS, cancelled)
  70  internal error; details are in the log file
  130 cancelled by Ctrl-C before anything was gathered, or by a second Ctrl-C; nothing was written
"""

if TYPE_CHECKING:
    from rich.progress import Progress as RichProgress
    from rich.progress import TaskID

    from databorder.report.export import ReportKind

log = logging.getLogger("databorder")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (kept separate so tests and docs can inspect it)."""
    parser = argparse.ArgumentParser(
        prog="databorder",
        description="Where does an AI app's data go, whose law reaches it there, and does that break our rules?",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"{TOOL_NAME} {__version__}")
    parser.add_argument("--verbose", "-v", action="store_true", help="log details to stderr")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.required = True

    run = commands.add_parser(
        "assess",
        help="assess the endpoints an AI app talks to",
        description="Resolve, attribute and judge hosts, URLs and addresses against rule packs.",
        epilog=EPILOG,
        formatter_class=HelpFormatter,
    )
    run.add_argument(
        "endpoints",
        nargs="*",
        metavar="APP|HOST|URL",
        help="a catalog app id (see `databorder catalog list`), an installed app's folder, file or archive to "
        "scan, or hosts, URLs or IP addresses",
    )
    run.add_argument(
        "--hosts",
        type=Path,
        action="append",
        default=[],
        metavar="FILE",
        help="a file with one host, URL or address per line (# starts a comment); repeatable",
    )
    run.add_argument(
        "--capture",
        type=Path,
        action="append",
        default=[],
        metavar="FILE",
        help="a HAR, pcap/pcapng, Squid or Zeek log, or CSV/TSV with a host column (any of them may be gzip-, zstd-, "
        "xz- or bzip2-compressed); repeatable",
    )
    run.add_argument(
        "--pid",
        type=int,
        action="append",
        default=[],
        metavar="PID",
        help="watch this running process and its children; repeatable",
    )
    run.add_argument(
        "--process",
        action="append",
        default=[],
        metavar="NAME",
        help="watch every running process with this name, and their children; repeatable",
    )
    add_option_arguments(run)  # --nameserver, --offline, --pack, --min-relevance, ...: databorder.options
    run.add_argument("--json", type=Path, metavar="OUT", help="write the assessment as JSON to OUT ('-' for stdout)")
    _add_report_options(run)
    run.add_argument(
        "--fail-on",
        choices=["review", "prohibit"],
        help="exit 1 when the verdict is at least this severe (for scripts and CI)",
    )
    run.add_argument("--quiet", "-q", action="store_true", help="print only the verdict line")
    run.add_argument(
        "--full",
        action="store_true",
        help="print every endpoint and finding (by default the table shows those with findings, then the most "
        "relevant up to 30 rows; the JSON and PDF always hold all)",
    )

    geoip = commands.add_parser("geoip", help="the GeoIP/ASN databases and the cloud ranges in use")
    geoip_commands = geoip.add_subparsers(dest="geoip_command", metavar="ACTION")
    geoip_commands.required = True
    status = geoip_commands.add_parser(
        "status",
        help="each database an assessment would use: source, build date, age, sha256, licence",
        formatter_class=HelpFormatter,
    )
    add_option_arguments(status, names=("country_db", "asn_db"))
    status.add_argument(
        "--max-age",
        type=int,
        default=90,
        metavar="DAYS",
        help="warn about databases built longer ago than this (default 90)",
    )

    use = geoip_commands.add_parser("use", help="adopt a MaxMind-format file (e.g. GeoLite2) after checking it")
    use.add_argument("path", type=Path, metavar="PATH")
    use.add_argument("--kind", choices=["country", "asn"], help="what the file is (default: read from the file)")
    use.add_argument("--licence", metavar="TEXT", help="the file's licence, to show in reports")
    download = geoip_commands.add_parser(
        "update",
        help="refresh the embedded country and ASN databases (ip-location-db) and the cloud providers' published "
        "ranges (cloudip-db), no account needed; with --maxmind also download MaxMind databases (account from the "
        "keyring or MAXMIND_ACCOUNT_ID/MAXMIND_LICENSE_KEY). Exit code 0 when every part is done or up to date, 3 "
        "when one failed or no server could be reached (that part's data in use is unchanged)",
    )
    download.add_argument(
        "--cloud-url-base",
        default=None,
        metavar="URL",
        help="a mirror of cloudip-db's data folder (version.json and cloudip.msgpack.gz) with Fastly's public-ip-list",
    )
    download.add_argument(
        "--geoip-url-base",
        default=None,
        metavar="URL",
        help="a mirror of ip-location-db's release files (geo-whois-asn-country.mmdb, origin-asn.mmdb, each with "
        "FILE.sha256 beside it unless --geoip-checksum-url names another folder)",
    )
    download.add_argument(
        "--geoip-checksum-url", default=None, metavar="URL", help="where the mirror keeps the FILE.sha256 checksums"
    )
    download.add_argument(
        "--maxmind", action="store_true", help="also download MaxMind GeoLite2 Country and ASN with the stored account"
    )
    download.add_argument(
        "--edition",
        action="append",
        default=[],
        metavar="EDITION",
        help="MaxMind edition: GeoLite2-Country, GeoLite2-ASN, … (repeatable; implies --maxmind)",
    )
    download.add_argument(
        "--download-url-base", default=None, metavar="URL", help="a mirror or proxy of MaxMind's download server"
    )
    rollback = geoip_commands.add_parser("rollback", help="put the previous database of a kind back")
    rollback.add_argument("kind", choices=["country", "asn", "cloud"])

    secrets = commands.add_parser("secrets", help="the MaxMind account, kept in the system keyring")
    secrets_commands = secrets.add_subparsers(dest="secrets_command", metavar="ACTION")
    secrets_commands.required = True
    put = secrets_commands.add_parser("set", help="store an account (prompts, or reads two lines with --stdin)")
    put.add_argument("name", choices=["maxmind"])
    put.add_argument("--stdin", action="store_true", help="read the account ID, then the licence key, from stdin")
    secrets_commands.add_parser("show", help="say what is stored, without the key")
    forget = secrets_commands.add_parser("delete", help="remove the stored account")
    forget.add_argument("name", choices=["maxmind"])

    selftest = commands.add_parser(
        "selftest",
        help="check this installation offline: assess an example, write and check JSON, history, PDF, window",
    )
    selftest.add_argument("--no-gui", action="store_true", help="skip opening the desktop window (offscreen)")
    selftest.add_argument("--keep", type=Path, metavar="DIR", help="keep the JSON and PDF written, in DIR")

    gui = commands.add_parser("gui", help="open the desktop app (same as databorder-gui)")
    gui.add_argument("file", nargs="?", help="a saved assessment to open, or an app or capture to assess")

    report = commands.add_parser("report", help="the PDF or CSV of a saved assessment (JSON)")
    report.add_argument("assessment", type=Path, metavar="ASSESSMENT.json")
    _add_report_options(report)

    catalog = commands.add_parser("catalog", help="the AI apps DataBorder knows: vendor, jurisdiction, endpoints")
    catalog_commands = catalog.add_subparsers(dest="catalog_command", metavar="ACTION")
    catalog_commands.required = True
    listing = catalog_commands.add_parser("list", help="every app (optionally only those matching a text)")
    listing.add_argument(
        "--search", metavar="TEXT", help="keep apps whose id, name, vendor, jurisdiction or kind holds TEXT"
    )
    show = catalog_commands.add_parser("show", help="one app in full")
    show.add_argument("app", metavar="ID")
    from databorder.practices import MAX_AGE_DAYS

    practices = catalog_commands.add_parser(
        "practices",
        help="the vendors' data practices: for how many apps each fact is known, from how many pages, how old; "
        "warns past --max-age",
    )
    practices.add_argument(
        "--max-age",
        type=int,
        default=MAX_AGE_DAYS,
        metavar="DAYS",
        help=f"warn about facts checked longer ago than this (default {MAX_AGE_DAYS}); exit 4 if any is",
    )

    operators = commands.add_parser("operators", help="who runs a host: the operator knowledge base")
    operators_commands = operators.add_subparsers(dest="operators_command", metavar="ACTION")
    operators_commands.required = True
    show_operator = operators_commands.add_parser(
        "show", help="who runs HOST, and why: the row or evidence that decides, the parent chain, sources, date",
        formatter_class=HelpFormatter,
    )  # fmt: skip
    show_operator.add_argument("hosts", nargs="+", metavar="HOST")
    add_option_arguments(show_operator, names=("services",))
    operators_status = operators_commands.add_parser(
        "status", help="how much the knowledge base knows and how old its facts are; warns past --max-age"
    )
    operators_status.add_argument(
        "--max-age",
        type=int,
        default=365,
        metavar="DAYS",
        help="warn about rows checked longer ago than this (default 365); exit 4 if any is",
    )

    _add_history_commands(commands)
    _add_inventory_command(commands)

    rules = commands.add_parser("rules", help="list, validate and explain rule packs")
    rules_commands = rules.add_subparsers(dest="rules_command", metavar="ACTION")
    rules_commands.required = True
    rules_commands.add_parser("list", help="every pack that can be named by id, and where it comes from")
    validate = rules_commands.add_parser("validate", help="check pack files; exit 3 if any is broken")
    validate.add_argument("files", nargs="+", type=Path, metavar="FILE")
    explain = rules_commands.add_parser("explain", help="a pack in plain language")
    explain.add_argument("pack", metavar="ID|FILE")
    return parser


def _add_history_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """`history` and `diff`: the assessments kept on this computer, and what changed between two."""
    history = commands.add_parser(
        "history", help="the assessments kept on this computer, newest first (docs/history.md)"
    )
    history.add_argument("app", nargs="?", metavar="APP", help="only those of this app (a catalog id or a name)")
    history.add_argument("--limit", type=int, default=50, metavar="N", help="list at most N (default 50; 0: all)")
    diff = commands.add_parser(
        "diff",
        help="what changed between two assessments: endpoints, hosting countries, operators, jurisdictions, verdict",
    )
    diff.add_argument("old", metavar="OLD", help="an id from `databorder history` (12 or #12) or a saved JSON file")
    diff.add_argument("new", metavar="NEW", help="the same, for the later assessment")
    diff.add_argument("--json", type=Path, metavar="OUT", help="write the changes as JSON to OUT ('-' for stdout)")
    export = commands.add_parser(
        "export",
        help="the kept assessments as NDJSON for a SIEM: ECS documents or OCSF Compliance Findings (docs/fleet.md)",
    )
    from databorder.siem import FORMATS  # light: the export's shapes are declared there once

    export.add_argument("--format", choices=FORMATS, default="ecs", help="field names (default ecs)")
    export.add_argument("--since", metavar="DATE", help="only assessments made at or after DATE (ISO 8601, UTC)")
    export.add_argument("--out", type=Path, metavar="FILE", help="write to FILE (default: standard output)")


def _history(args: argparse.Namespace) -> int:
    from databorder.history import HistoryStore
    from databorder.report.console import print_history

    if args.limit < 0:
        raise DataBorderError(f"--limit must be 0 (all) or more, not {args.limit}")
    from databorder.history import history_path

    if not history_path().exists():  # reading makes no store
        print("no assessment is kept in the history yet")
        return EXIT_OK
    with HistoryStore() as store:
        rows = store.list(args.app, limit=args.limit or None)
        total = store.count()
    if not rows:
        what = f"of {args.app!r} " if args.app else ""
        print(f"no assessment {what}is kept in the history ({total} in all)")
        return EXIT_OK
    print_history(
        (
            (
                str(r.id),
                r.created.replace("T", " ").removesuffix("+00:00"),
                r.target_name,
                r.verdict,
                str(r.score),
                str(r.endpoints),
                str(r.findings),
                "yes" if r.complete else "no",
            )
            for r in rows
        ),
        total=total,
    )
    return EXIT_OK


def _export_ndjson(args: argparse.Namespace) -> int:
    from databorder.siem import export, parse_since

    since = parse_since(args.since) if args.since else None
    count = export(args.out, format=args.format, since=since)
    if args.out is not None:
        print(f"wrote {count:,} {args.format.upper()} documents to {args.out}", file=sys.stderr)
    return EXIT_OK


def _diff(args: argparse.Namespace) -> int:
    import json

    from databorder.history import HistoryStore, compare
    from databorder.model import to_jsonable
    from databorder.report.console import print_changes
    from databorder.report.jsonout import read_json

    def load(reference: str, store: HistoryStore | None) -> tuple[int | None, Assessment, HistoryStore | None]:
        number = reference.removeprefix("#")
        if number.isdigit() and not Path(reference).exists():
            store = store or HistoryStore()
            return int(number), store.get(int(number)), store
        return None, read_json(Path(reference)), store

    old_id, old, store = load(args.old, None)
    new_id, new, store = load(args.new, store)
    if store is not None:
        store.close()
    changes = compare(old, new, previous_id=old_id)
    if args.json is not None:
        text = json.dumps(to_jsonable(changes), indent=2, ensure_ascii=False) + "\n"
        if str(args.json) == "-":
            sys.stdout.write(text)
            return EXIT_OK
        try:
            args.json.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise DataBorderError(f"{args.json}: cannot be written: {exc.strerror or exc}") from None
    later = f"#{new_id}" if new_id is not None else args.new
    print_changes(changes, title=f"{new.target.name}: {later} ({new.verdict} {new.score}/100)")
    return EXIT_OK


def _add_inventory_command(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """`inventory`: the AI apps installed on this computer (docs/inventory.md)."""
    inventory = commands.add_parser(
        "inventory",
        help="the AI apps installed for this user or machine: editor and browser extensions, npm and Python "
        "packages, desktop apps, processes (docs/inventory.md)",
        formatter_class=HelpFormatter,
    )
    inventory.add_argument("--home", type=Path, metavar="DIR", help="look in this home folder (default: yours)")
    inventory.add_argument("--root", type=Path, metavar="DIR", help="look under this root folder (default: /)")
    inventory.add_argument("--json", type=Path, metavar="OUT", help="write what was found as JSON ('-' for stdout)")
    inventory.add_argument(
        "--assess",
        action="store_true",
        help="assess each app found by a static scan of its files, offline (Ctrl-C stops after the current one)",
    )
    inventory.add_argument(
        "--no-processes", action="store_true", help="do not look at running processes (not looked at with --root)"
    )
    inventory.add_argument(
        "--scheduled",
        action="store_true",
        help="run only if the organisation's policy says [inventory] scheduled = true (the systemd timer's run)",
    )
    inventory.add_argument(
        "--online",
        action="store_true",
        help="with --assess, resolve the endpoints found with DNS (by default each assessment is offline)",
    )
    add_option_arguments(
        inventory, names=("packs", "pack_dirs", "services", "history", "min_relevance", "nameserver", "dns_timeout")
    )


def _inventory(args: argparse.Namespace) -> int:
    from databorder.inventory import find_apps, inventory_jsonable
    from databorder.report.console import print_inventory

    if args.scheduled:
        from databorder.orgpolicy import load_org_policy

        policy = load_org_policy()
        if not policy.scheduled_inventory:
            print(f"databorder: {policy.managed_by()} does not ask for scheduled inventories; nothing done")
            return EXIT_OK
    for flag, folder in (("--home", args.home), ("--root", args.root)):
        if folder is not None and not folder.is_dir():
            raise DataBorderError(f"{folder}: {flag} must name a folder")
    inventory = find_apps(home=args.home, root=args.root, processes=False if args.no_processes else None)
    for problem in inventory.problems:
        print(f"databorder: skipped: {problem}", file=sys.stderr)
    assessed: dict[str, dict[str, object]] = {}
    incomplete = False
    if args.assess and inventory.apps:
        from databorder.assess import assess_paths
        from databorder.collect.targets import TargetRequest
        from databorder.configure import configure
        from databorder.options import given

        config = configure({**given(args), "offline": True} if not args.online else given(args))
        for message in config.messages:
            print(f"databorder: {message}", file=sys.stderr)
        paths = list(dict.fromkeys(Path(a.path) for a in inventory.apps if a.found_by != "process"))
        with _CliProgress(show=args.json is None or str(args.json) != "-") as progress:
            results = assess_paths(
                paths, config.request(TargetRequest()), config.assess_options(), progress, notes=config.notes
            )
            incomplete = progress.cancelled or len(results) < len(paths)
        for result in results:
            row: dict[str, object] = {"problem": result.problem} if result.problem else {}
            if result.assessment is not None:
                row = {
                    "verdict": result.assessment.verdict,
                    "score": result.assessment.score,
                    "complete": result.assessment.complete,
                    "assessment_id": result.history_id,
                }
                incomplete = incomplete or not result.assessment.complete
            assessed[str(result.path)] = row
    data = inventory_jsonable(inventory, assessed)
    if args.json is not None:
        import json

        text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
        if str(args.json) == "-":
            sys.stdout.write(text)
        else:
            from databorder.report.output import replacing

            with replacing(args.json, "inventory JSON") as temporary:
                temporary.write_text(text, encoding="utf-8")
    if args.json is None or str(args.json) != "-":
        print_inventory(data)
    return EXIT_INCOMPLETE if incomplete else EXIT_OK


def _add_report_options(parser: argparse.ArgumentParser) -> None:
    """The export options, declared once for `assess` and `report`."""
    parser.add_argument("--pdf", type=Path, metavar="OUT", help="write the PDF risk report to OUT")
    parser.add_argument("--pdf-a", action="store_true", help="write the PDF as PDF/A-1b (for archiving)")
    parser.add_argument("--paper", choices=["a4", "letter"], default="a4", help="PDF paper size (default a4)")
    parser.add_argument("--csv", type=Path, metavar="OUT", help="write one CSV row per endpoint address to OUT")


class _CliProgress:
    """Progress on stderr (a rich progress bar when it is a terminal) and Ctrl-C as a graceful cancel."""

    def __init__(self, *, show: bool, graceful: bool = True) -> None:
        from rich.console import Console

        self._cancelled = False
        self._graceful = graceful  # False: Ctrl-C aborts at once (work that cannot keep a partial result)
        self._bar: RichProgress | None = None
        self._tasks: dict[str, TaskID] = {}
        console = Console(stderr=True)
        if show and console.is_terminal:  # the bar's code is loaded only to be shown
            from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn
            from rich.progress import Progress as RichProgress

            self._bar = RichProgress(
                TextColumn("{task.description:<38}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=console,
                transient=True,
            )

    def __enter__(self) -> _CliProgress:
        self._previous = signal.signal(signal.SIGINT, self._on_sigint if self._graceful else signal.default_int_handler)
        if self._bar is not None:
            self._bar.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.stop()
        signal.signal(signal.SIGINT, self._previous)

    def _on_sigint(self, signum: int, frame: FrameType | None) -> None:
        if self._cancelled:  # a second Ctrl-C means "stop now"
            raise KeyboardInterrupt
        self._cancelled = True
        print(
            "databorder: cancelling; results gathered so far will be kept (Ctrl-C again to abort)",
            file=sys.stderr,
        )

    def report(self, stage: str, done: int, total: int) -> None:
        if self._bar is None:
            return
        if stage not in self._tasks:
            from databorder.stages import STAGES

            title = dict(STAGES).get(stage, stage)  # a stage's title, or what else reports (a download's edition)
            self._tasks[stage] = self._bar.add_task(title, total=total or None)
        self._bar.update(self._tasks[stage], completed=done, total=total or None)

    @property
    def cancelled(self) -> bool:
        return self._cancelled


def _assess(args: argparse.Namespace) -> int:
    from databorder.assess import assess_request
    from databorder.collect.targets import Collected, split_arguments
    from databorder.configure import configure
    from databorder.options import given

    request = dataclasses.replace(
        split_arguments(args.endpoints),
        host_files=tuple(args.hosts),
        captures=tuple(args.capture),
        pids=tuple(args.pid),
        process_names=tuple(args.process),
    )
    if request.empty:
        raise DataBorderError("nothing to assess: give hosts or URLs, --hosts FILE, --capture FILE, --pid or --process")
    config = configure(given(args))
    for message in config.messages:
        print(f"databorder: {message}", file=sys.stderr)

    def collected(what: Collected) -> None:
        for problem in what.problems:
            print(f"databorder: skipped: {problem}", file=sys.stderr)

    with _CliProgress(show=not args.quiet) as progress:
        assessment = assess_request(
            config.request(request), config.assess_options(), progress, notes=config.notes, on_collected=collected
        )
    if args.json is not None:
        _export(assessment, "json", args.json, args)
    _write_reports(assessment, args)
    if args.json is None or str(args.json) != "-":
        from databorder.report.console import print_assessment

        print_assessment(assessment, quiet=args.quiet, full=args.full)
    if args.fail_on and VERDICT_ORDER.index(assessment.verdict) >= VERDICT_ORDER.index(args.fail_on):
        return EXIT_FAIL_ON
    return EXIT_OK if assessment.complete else EXIT_INCOMPLETE


def _write_reports(assessment: Assessment, args: argparse.Namespace) -> None:
    """The PDF and CSV the command line asked for (the GUI's Export calls the same function)."""
    if args.csv is not None:
        _export(assessment, "csv", args.csv, args)
    if args.pdf is not None:
        _export(assessment, "pdf", args.pdf, args)


def _export(assessment: Assessment, kind: ReportKind, path: Path, args: argparse.Namespace) -> None:
    from databorder.orgpolicy import load_org_policy
    from databorder.report.export import export

    policy = load_org_policy() if kind == "pdf" else None
    export(
        assessment,
        kind,
        path,
        paper=getattr(args, "paper", "a4"),
        pdf_a=getattr(args, "pdf_a", False),
        organisation=policy.report_organisation if policy else None,
        logo=policy.report_logo if policy else None,
    )


def _report(args: argparse.Namespace) -> int:
    if args.pdf is None and args.csv is None:
        raise DataBorderError("say what to write: --pdf OUT and/or --csv OUT")
    from databorder.report.jsonout import read_json

    assessment = read_json(args.assessment)
    _write_reports(assessment, args)
    return EXIT_OK


def _geoip(args: argparse.Namespace) -> int:
    from databorder.attribute import store

    if args.geoip_command == "use":
        ref = store.adopt(args.path, kind=args.kind, licence=args.licence)
        print(f"now in use for {ref.kind}: {args.path.name} (built {ref.build_date}, sha256 {ref.sha256[:16]}…)")
        return EXIT_OK
    if args.geoip_command == "update":
        from databorder.attribute.update import DEFAULT_EDITIONS, update_editions, update_keyless

        with _CliProgress(show=True, graceful=False) as progress:  # a download bar on a terminal
            keyless = update_keyless(
                cloud_url=args.cloud_url_base,
                geoip_url=args.geoip_url_base,
                geoip_checksum_url=args.geoip_checksum_url,
                progress=progress.report,
            )
            for line in keyless.done:
                print(line)
            for problem in keyless.problems:
                print(f"databorder: error: {problem}", file=sys.stderr)
            if args.maxmind or args.edition:
                editions = update_editions(
                    args.edition or DEFAULT_EDITIONS, base_url=args.download_url_base, progress=progress.report
                )
                for edition, ref in editions:
                    print(f"{edition}: now in use for {ref.kind} (built {ref.build_date}, sha256 {ref.sha256[:16]}…)")
        return EXIT_INPUT if keyless.problems else EXIT_OK
    if args.geoip_command == "rollback":
        print(store.rollback(args.kind))
        return EXIT_OK

    from databorder.configure import configure
    from databorder.options import given
    from databorder.report.console import database_lines

    config = configure(given(args))  # the databases an assessment would use: policy, settings and flags
    for message in config.messages:
        print(f"databorder: {message}", file=sys.stderr)
    statuses = store.databases_in_use(country_db=config["country_db"], asn_db=config["asn_db"])
    lines, stale = database_lines([s for s in statuses if s.ref is not None], max_age=args.max_age)
    for line in lines:
        print(line)
    broken = [s.problem for s in statuses if s.problem]
    if broken:
        raise DataBorderError("; ".join(broken))
    return EXIT_INCOMPLETE if stale else EXIT_OK


def _secrets(args: argparse.Namespace) -> int:
    from databorder import secrets

    if args.secrets_command == "show":
        print(secrets.describe_maxmind())
    elif args.secrets_command == "delete":
        print("removed the stored MaxMind account" if secrets.delete_maxmind() else "no MaxMind account was stored")
    else:
        if args.stdin:
            lines = sys.stdin.read().splitlines()
            account, key = [*lines, "", ""][:2]
        else:
            import getpass

            account = input("MaxMind account ID: ")
            key = getpass.getpass("MaxMind licence key (not shown): ")
        secrets.store_maxmind(account, key)
        print("stored the MaxMind account in the system keyring")
    return EXIT_OK


def _catalog(args: argparse.Namespace) -> int:
    from databorder.catalog import load_catalog
    from databorder.report.console import app_lines, print_catalog, print_lines

    catalog = load_catalog()
    if args.catalog_command == "list":
        apps = catalog.search(args.search) if args.search else list(catalog.apps.values())
        print_catalog(apps, len(catalog.apps))
    elif args.catalog_command == "practices":
        from databorder.practices import load_practices
        from databorder.report.console import practices_status_lines

        kinds = {app.id: app.kind for app in catalog.apps.values()}
        status = load_practices().status(kinds, max_age=args.max_age)
        print_lines(practices_status_lines(status, max_age=args.max_age))
        return EXIT_INCOMPLETE if status.stale else EXIT_OK
    else:
        print_lines(app_lines(catalog.get(args.app)))
    return EXIT_OK


def _operators(args: argparse.Namespace) -> int:
    from databorder.knowledge import load_knowledge
    from databorder.report.console import knowledge_lines, operator_lines, print_lines

    if args.operators_command == "status":
        lines, stale = knowledge_lines(load_knowledge().status(), max_age=args.max_age)
        print_lines(lines)
        return EXIT_INCOMPLETE if stale else EXIT_OK
    from databorder.attribute.service import service_attributor
    from databorder.configure import configure
    from databorder.endpoints import normalise_host
    from databorder.options import given

    attributor = service_attributor(configure(given(args))["services"])
    for host in args.hosts:
        name = normalise_host(host)
        print_lines(operator_lines(name, attributor.service(name)))
    return EXIT_OK


def _rules(args: argparse.Namespace) -> int:
    from databorder.errors import RulePackError
    from databorder.policy import available_packs, find_pack, load_pack
    from databorder.policy.explain import explain_pack
    from databorder.report.console import print_lines, print_packs

    if args.rules_command == "list":
        rows = []
        for pack_id, path, origin in available_packs():
            try:
                pack = load_pack(path, origin)
                row = (pack_id, pack.version, pack.title + (" [mandatory]" if pack.mandatory else ""), origin)
            except RulePackError as exc:
                row = (pack_id, "-", f"BROKEN: {exc}", origin)
            rows.append((*row, str(path)))
        print_packs(rows)
        return EXIT_OK
    if args.rules_command == "validate":
        failed = 0
        for path in args.files:
            try:
                pack = load_pack(path)
            except RulePackError as exc:
                failed += 1
                print(f"databorder: error: {exc}", file=sys.stderr)
                continue
            print(f"ok: {path}: {pack.id} {pack.version}, {len(pack.rules)} rules, {len(pack.sets)} sets")
        return EXIT_INPUT if failed else EXIT_OK
    path, origin = find_pack(args.pack)
    print_lines(explain_pack(load_pack(path, origin)))
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``databorder`` console script; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    log_file = setup_logging(args.verbose)
    try:
        if args.command == "assess":
            return _assess(args)
        if args.command == "rules":
            return _rules(args)
        if args.command == "operators":
            return _operators(args)
        if args.command == "catalog":
            return _catalog(args)
        if args.command == "geoip":
            return _geoip(args)
        if args.command == "secrets":
            return _secrets(args)
        if args.command == "report":
            return _report(args)
        if args.command == "inventory":
            return _inventory(args)
        if args.command == "history":
            return _history(args)
        if args.command == "diff":
            return _diff(args)
        if args.command == "export":
            return _export_ndjson(args)
        if args.command == "selftest":
            from databorder.selftest import run_selftest  # loads Qt: only for this command

            return EXIT_OK if run_selftest(gui=not args.no_gui, keep=args.keep) else EXIT_FAIL_ON
        if args.command == "gui":
            from databorder.gui.app import main as gui_main  # only here: the CLI never loads Qt otherwise

            return gui_main([args.file] if args.file else [])
        parser.error(f"unknown command {args.command!r}")
    except CancelledError as exc:
        print(f"databorder: {exc}", file=sys.stderr)
        return EXIT_CANCELLED
    except DataBorderError as exc:
        log.info("refused: %s", exc)
        print(f"databorder: error: {exc}", file=sys.stderr)
        return EXIT_INPUT
    except KeyboardInterrupt:
        print("databorder: aborted; nothing was written", file=sys.stderr)
        return EXIT_CANCELLED
    except Exception:
        log.exception("internal error")
        where = f"; details are in {log_file}" if log_file else ""
        print(f"databorder: internal error (a bug in DataBorder){where}", file=sys.stderr)
        return EXIT_INTERNAL
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
