"""``databorder`` — the command line; it calls the same engine as the GUI and adds no logic of its own.

Exit codes (also in ``databorder --help`` and README):
  0  the assessment ran; its verdict is below the --fail-on threshold (or none was given)
  1  the verdict reached the --fail-on threshold
  2  the command line was wrong
  3  nothing could be assessed: an input file, rule pack or database could not be used
  4  an assessment was written but is incomplete (skipped input lines, unreachable DNS, cancelled)
 70  an internal error (a bug); the details are in the log file
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

import platformdirs

from databorder import TOOL_NAME, __version__
from databorder.collect.targets import DEFAULT_MIN_RELEVANCE, DEFAULT_WATCH_SECONDS
from databorder.errors import DataBorderError
from databorder.model import Assessment
from databorder.options import add_arguments as add_option_arguments

EXIT_OK = 0
EXIT_FAIL_ON = 1
EXIT_USAGE = 2
EXIT_INPUT = 3
EXIT_INCOMPLETE = 4
EXIT_INTERNAL = 70
VERDICT_ORDER = ("allow", "review", "prohibit")

EPILOG = """exit codes:
  0   the assessment ran; the verdict is below --fail-on (or no --fail-on was given)
  1   the verdict reached the --fail-on threshold
  2   the command line was wrong
  3   nothing could be assessed: an input file, rule pack or database could not be used
  4   an assessment was made but is incomplete (skipped input lines, unreachable DNS, cancelled)
  70  internal error; details are in the log file
"""

if TYPE_CHECKING:
    from rich.progress import TaskID

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
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    run.add_argument(
        "endpoints",
        nargs="*",
        metavar="APP|HOST|URL",
        help="a catalog app id (see `databorder catalog list`), an installed app's folder, file or archive to "
        "scan, or hosts, URLs or IP addresses",
    )
    run.add_argument(
        "--min-relevance",
        type=float,
        default=DEFAULT_MIN_RELEVANCE,
        metavar="R",
        help="from a scanned app, assess names at least this likely to be data endpoints (default 0.2)",
    )
    run.add_argument("--all", action="store_true", help="from a scanned app, assess every name found")
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
        help="a HAR, pcap/pcapng, Squid or Zeek log, or CSV/TSV with a host column; repeatable",
    )
    run.add_argument(
        "--capture-format",
        choices=["har", "pcap", "squid", "zeek", "csv", "hosts"],
        help="read every --capture as this format instead of recognising it",
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
    run.add_argument(
        "--duration",
        type=_duration,
        default=DEFAULT_WATCH_SECONDS,
        metavar="TIME",
        help="how long to watch processes (30s, 2m; default 30s); Ctrl-C stops early",
    )
    add_option_arguments(run)  # --nameserver, --offline, --pack, ... declared once in databorder.options
    run.add_argument("--json", type=Path, metavar="OUT", help="write the assessment as JSON to OUT ('-' for stdout)")
    _add_report_options(run)
    run.add_argument(
        "--fail-on",
        choices=["review", "prohibit"],
        help="exit 1 when the verdict is at least this severe (for scripts and CI)",
    )
    run.add_argument("--quiet", "-q", action="store_true", help="print only the verdict line")

    geoip = commands.add_parser("geoip", help="the GeoIP/ASN databases in use")
    geoip_commands = geoip.add_subparsers(dest="geoip_command", metavar="ACTION")
    geoip_commands.required = True
    status = geoip_commands.add_parser("status", help="each database in use: source, build date, age, sha256, licence")
    status.add_argument(
        "--country-db", type=Path, metavar="PATH", help="a country database instead of the embedded one"
    )
    status.add_argument("--asn-db", type=Path, metavar="PATH", help="an ASN database instead of the embedded one")
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
        help="download MaxMind databases (account ID and licence key from MAXMIND_ACCOUNT_ID/MAXMIND_LICENSE_KEY)",
    )
    download.add_argument(
        "--edition",
        action="append",
        default=[],
        metavar="EDITION",
        help="GeoLite2-Country, GeoLite2-ASN, … (repeatable; default: both of those)",
    )
    download.add_argument(
        "--download-url-base", default=None, metavar="URL", help="a mirror or proxy of MaxMind's download server"
    )
    rollback = geoip_commands.add_parser("rollback", help="put the previous database of a kind back")
    rollback.add_argument("kind", choices=["country", "asn"])

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
        "selftest", help="check this installation offline: assess an example, write and check JSON, PDF, window"
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

    rules = commands.add_parser("rules", help="list, validate and explain rule packs")
    rules_commands = rules.add_subparsers(dest="rules_command", metavar="ACTION")
    rules_commands.required = True
    rules_commands.add_parser("list", help="every pack that can be named by id, and where it comes from")
    validate = rules_commands.add_parser("validate", help="check pack files; exit 3 if any is broken")
    validate.add_argument("files", nargs="+", type=Path, metavar="FILE")
    explain = rules_commands.add_parser("explain", help="a pack in plain language")
    explain.add_argument("pack", metavar="ID|FILE")
    return parser


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
        from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn
        from rich.progress import Progress as RichProgress

        self._cancelled = False
        self._graceful = graceful  # False: Ctrl-C aborts at once (work that cannot keep a partial result)
        self._bar: RichProgress | None = None
        self._tasks: dict[str, TaskID] = {}
        console = Console(stderr=True)
        if show and console.is_terminal:
            self._bar = RichProgress(
                TextColumn("{task.description:<10}"),
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
            self._tasks[stage] = self._bar.add_task(stage, total=total or None)
        self._bar.update(self._tasks[stage], completed=done, total=total or None)

    @property
    def cancelled(self) -> bool:
        return self._cancelled


def _duration(text: str) -> float:
    """``30``, ``30s``, ``2m`` or ``1h`` as seconds."""
    units = {"s": 1, "m": 60, "h": 3600}
    number, unit = (text[:-1], text[-1]) if text and text[-1] in units else (text, "s")
    try:
        seconds = float(number) * units[unit]
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a duration like 30s, 2m or 45") from None
    if not 0 < seconds <= 24 * 3600:
        raise argparse.ArgumentTypeError("a duration must be more than 0 and at most 24 hours")
    return seconds


def _assess(args: argparse.Namespace) -> int:
    from databorder.assess import assess
    from databorder.collect.targets import collect_target, split_arguments
    from databorder.options import assess_options, given, load_settings, merged

    request = dataclasses.replace(
        split_arguments(args.endpoints),
        host_files=tuple(args.hosts),
        captures=tuple(args.capture),
        capture_format=args.capture_format,
        pids=tuple(args.pid),
        process_names=tuple(args.process),
        duration=args.duration,
        min_relevance=args.min_relevance,
        all_names=args.all,
    )
    if request.empty:
        raise DataBorderError("nothing to assess: give hosts or URLs, --hosts FILE, --capture FILE, --pid or --process")
    from databorder.orgpolicy import apply_org_policy, load_org_policy

    policy = load_org_policy()
    flags = given(args)
    for name in flags:
        if policy.locked(name):
            print(f"databorder: {name.replace('_', '-')} is set by {policy.managed_by()}; using that", file=sys.stderr)
    options, policy_notes = apply_org_policy(assess_options(merged(policy.defaults(), load_settings(), flags)), policy)
    with _CliProgress(show=not args.quiet) as progress:
        collected = collect_target(
            request,
            progress=lambda done, total: progress.report("collect", done, total),
            cancelled=lambda: progress.cancelled,
        )
        for problem in collected.problems:
            print(f"databorder: skipped: {problem}", file=sys.stderr)
        if not collected.observations:
            raise DataBorderError("nothing to assess: no usable host, URL or address was found")
        assessment = assess(
            target=collected.target,
            observations=collected.observations,
            options=options,
            progress=progress,
            input_warnings=collected.problems,
            input_notes=[*policy_notes, *collected.notes],
        )
    if args.json is not None:
        _write_json(assessment, args.json)
    _write_reports(assessment, args)
    if args.json is None or str(args.json) != "-":
        from databorder.report.console import print_assessment

        print_assessment(assessment, quiet=args.quiet)
    if args.fail_on and VERDICT_ORDER.index(assessment.verdict) >= VERDICT_ORDER.index(args.fail_on):
        return EXIT_FAIL_ON
    return EXIT_OK if assessment.complete else EXIT_INCOMPLETE


def _write_reports(assessment: Assessment, args: argparse.Namespace) -> None:
    """The PDF and CSV the command line asked for (the GUI's Export calls the same functions)."""
    if args.csv is not None:
        from databorder.report.csvout import write_csv

        write_csv(assessment, args.csv)
    if args.pdf is not None:
        from databorder.orgpolicy import load_org_policy
        from databorder.report.pdf import render_pdf

        policy = load_org_policy()
        render_pdf(
            assessment,
            args.pdf,
            paper=args.paper,
            pdf_a=args.pdf_a,
            organisation=policy.report_organisation,
            logo=policy.report_logo,
        )


def _report(args: argparse.Namespace) -> int:
    if args.pdf is None and args.csv is None:
        raise DataBorderError("say what to write: --pdf OUT and/or --csv OUT")
    from databorder.report.jsonout import read_json

    assessment = read_json(args.assessment)
    _write_reports(assessment, args)
    return EXIT_OK


def _geoip(args: argparse.Namespace) -> int:
    import datetime as dt

    from databorder.attribute import store
    from databorder.attribute.geoip import open_asn_database, open_country_database

    if args.geoip_command == "use":
        ref = store.adopt(args.path, kind=args.kind, licence=args.licence)
        print(f"now in use for {ref.kind}: {args.path.name} (built {ref.build_date}, sha256 {ref.sha256[:16]}…)")
        return EXIT_OK
    if args.geoip_command == "update":
        from databorder.attribute.update import DEFAULT_BASE, update
        from databorder.secrets import maxmind_account

        account = maxmind_account()
        if account is None:
            raise DataBorderError(
                "no MaxMind account: store one with `databorder secrets set maxmind`, or set MAXMIND_ACCOUNT_ID "
                "and MAXMIND_LICENSE_KEY for this run"
            )
        with _CliProgress(show=True, graceful=False) as progress:  # a download bar on a terminal
            for edition in args.edition or ["GeoLite2-Country", "GeoLite2-ASN"]:

                def report(done: int, total: int, edition: str = edition) -> None:
                    progress.report(edition, done, total)

                ref = update(edition, account_id=account.account_id, licence_key=account.licence_key,
                             base_url=args.download_url_base or DEFAULT_BASE, progress=report)  # fmt: skip
                print(f"{edition}: now in use for {ref.kind} (built {ref.build_date}, sha256 {ref.sha256[:16]}…)")
        return EXIT_OK
    if args.geoip_command == "rollback":
        print(store.rollback(args.kind))
        return EXIT_OK

    today = dt.datetime.now(dt.UTC).date()
    stale = 0
    for database in (open_country_database(args.country_db), open_asn_database(args.asn_db)):
        ref = database.ref
        age = (today - dt.date.fromisoformat(ref.build_date)).days if ref.build_date else None
        print(f"{ref.kind}: {ref.source}")
        print(f"  file:     {database.path}")
        print(f"  type:     {database.database_type}")
        print(f"  built:    {ref.build_date} ({age} days ago)")
        print(f"  sha256:   {ref.sha256}")
        print(f"  licence:  {ref.licence or 'not recorded (a file you supplied)'}")
        if ref.attribution:
            print(f"  credit:   {ref.attribution}")
        if age is not None and age > args.max_age:
            stale += 1
            print(f"  warning:  older than {args.max_age} days; attributions may be out of date")
        database.close()
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
    from rich.console import Console
    from rich.table import Table

    from databorder.catalog import load_catalog

    catalog = load_catalog()
    console = Console(highlight=False, markup=False, width=None if Console().is_terminal else 160)
    if args.catalog_command == "list":
        apps = catalog.search(args.search) if args.search else list(catalog.apps.values())
        table = Table(title=f"AI-app catalog ({len(apps)} of {len(catalog.apps)} apps)")
        for header in ("Id", "Name", "Kind", "Vendor", "Jurisdiction", "Declared data location"):
            table.add_column(header, overflow="fold")
        for app in apps:
            table.add_row(app.id, app.name, app.kind, app.vendor, app.jurisdiction, app.data_location)
        console.print(table)
        return EXIT_OK
    app = catalog.get(args.app)
    lines = [
        f"{app.name} ({app.id}) — {app.kind}" + (", runs locally" if app.local_only else ""),
        f"Vendor: {app.vendor}, home jurisdiction {app.jurisdiction}",
        f"Declared data location: {app.data_location}",
        f"Domains: {', '.join(app.domains)}",
        "Endpoints:",
        *[f"  {role}: {', '.join(hosts)}" for role, hosts in app.endpoints.items()],
        f"Processes: {', '.join(app.processes) or '-'}",
        *[f"Packages ({kind}): {', '.join(names)}" for kind, names in app.packages.items() if names],
        *[f"Install path ({system}): {', '.join(paths)}" for system, paths in app.paths.items() if paths],
        *([f"Notes: {app.notes}"] if app.notes else []),
        f"Checked: {app.checked}",
        "Sources:",
        *[f"  - {source}" for source in app.sources],
    ]
    for line in lines:
        console.print(line, soft_wrap=True)
    return EXIT_OK


def _rules(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.table import Table

    from databorder.errors import RulePackError
    from databorder.policy import available_packs, find_pack, load_pack
    from databorder.policy.explain import explain_pack

    # markup=False: pack texts are data, and "[from x]" or "[mandatory]" must print as written.
    console = Console(highlight=False, markup=False, width=None if Console().is_terminal else 160)
    if args.rules_command == "list":
        table = Table(title="Rule packs (by id; the first folder holding an id wins: system, user, shipped)")
        for header in ("Id", "Version", "Title", "Origin", "File"):
            table.add_column(header, overflow="fold")
        for pack_id, path, origin in available_packs():
            try:
                pack = load_pack(path, origin)
                row = (pack_id, pack.version, pack.title + (" [mandatory]" if pack.mandatory else ""), origin)
            except RulePackError as exc:
                row = (pack_id, "-", f"BROKEN: {exc}", origin)
            table.add_row(*row, str(path))
        console.print(table)
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
    for line in explain_pack(load_pack(path, origin)):
        console.print(line, soft_wrap=True)
    return EXIT_OK


def _write_json(assessment: Assessment, path: Path) -> None:
    from databorder.report.jsonout import write_json

    write_json(assessment, path)


def setup_logging(verbose: bool) -> Path | None:
    """Log to the log file (and stderr with --verbose); returns the log file, or None if it cannot be written."""
    root = logging.getLogger("databorder")
    root.setLevel(logging.DEBUG)
    log_file: Path | None = None
    try:
        folder = Path(platformdirs.user_log_dir("databorder"))
        folder.mkdir(parents=True, exist_ok=True)
        log_file = folder / "databorder.log"
        handler: logging.Handler = logging.FileHandler(log_file, encoding="utf-8")
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        root.addHandler(handler)
    except OSError:
        log_file = None  # a read-only home must not stop an assessment
    if verbose:
        stream = logging.StreamHandler(sys.stderr)
        stream.setLevel(logging.DEBUG)
        root.addHandler(stream)
    return log_file


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
        if args.command == "catalog":
            return _catalog(args)
        if args.command == "geoip":
            return _geoip(args)
        if args.command == "secrets":
            return _secrets(args)
        if args.command == "report":
            return _report(args)
        if args.command == "selftest":
            from databorder.selftest import run_selftest  # loads Qt: only for this command

            return EXIT_OK if run_selftest(gui=not args.no_gui, keep=args.keep) else EXIT_FAIL_ON
        if args.command == "gui":
            from databorder.gui.app import main as gui_main  # only here: the CLI never loads Qt otherwise

            return gui_main([args.file] if args.file else [])
        parser.error(f"unknown command {args.command!r}")
    except DataBorderError as exc:
        log.info("refused: %s", exc)
        print(f"databorder: error: {exc}", file=sys.stderr)
        return EXIT_INPUT
    except KeyboardInterrupt:
        print("databorder: aborted", file=sys.stderr)
        return 130
    except Exception:
        log.exception("internal error")
        where = f"; details are in {log_file}" if log_file else ""
        print(f"databorder: internal error (a bug in DataBorder){where}", file=sys.stderr)
        return EXIT_INTERNAL
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
