"""Every option declared once: assessment options and collection options, and how each may be set.

One :class:`OptionSpec` per option gives its name, flag, label, help, kind, range or choices, the GUI section it
belongs to, and the organisation-policy key that can set it (and whether that key suggests a default or locks
the value).  The CLI's flags (:func:`add_arguments`), the GUI's settings page, the policy file's validation
(:mod:`databorder.orgpolicy`) and the saved-settings file (:func:`load_settings`) are all built from here; the
values are resolved once, by :func:`databorder.configure.configure`.

Defaults are not written here a second time: each option's default is read from the field of the engine's own
dataclass it fills (:class:`~databorder.assess.AssessOptions` for assessment options,
:class:`~databorder.collect.targets.TargetRequest` for collection options), so the engine, called directly,
behaves like the front-ends.
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import json
import logging
import math
import os
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from databorder.collect import CAPTURE_FORMATS
from databorder.errors import DataBorderError
from databorder.inputs import SETTINGS_LIMIT, read_bounded
from databorder.resources import user_config_dir

#: The --tier values: auto, then the tiers of databorder.model.Tier.
TIER_CHOICES = ("auto", "consumer", "paid", "business", "api")

log = logging.getLogger(__name__)

OptionKind = Literal["bool", "text", "float", "duration", "path", "paths", "list", "choice"]
#: Which engine dataclass an option fills.
OptionScope = Literal["assess", "collect"]
#: What the organisation's policy does with its key: suggest a default the user may change, or fix the value.
PolicyRole = Literal["default", "lock"]


@dataclass(frozen=True)
class PolicyKey:
    """Where an option lives in the organisation's policy file (``[section] key``) and what setting it does."""

    section: str
    key: str
    role: PolicyRole

    def __str__(self) -> str:
        return f"[{self.section}] {self.key}"


@dataclass(frozen=True)
class OptionSpec:
    """One option: its engine field, CLI flag, GUI label and section, range, and policy key."""

    name: str  # the field of AssessOptions / TargetRequest it fills
    flag: str
    label: str
    help: str
    kind: OptionKind
    section: str  # where the GUI's settings page groups it
    scope: OptionScope = "assess"
    metavar: str | None = None
    minimum: float | None = None  # float/duration: the allowed range, inclusive
    maximum: float | None = None
    choices: tuple[str, ...] = ()  # choice: the allowed values
    policy: PolicyKey | None = None  # the policy key that can set it
    online: bool = False  # sends data to a third party: the policy's `[enrichment] online = false` turns it off
    saved: bool = True  # the user may keep a value in the saved settings (the settings page shows it)
    parse: Callable[[str], Any] | None = None  # text → the engine's value (checked, with a sentence)

    @property
    def default(self) -> Any:
        """The engine's own default for this option (the field's default in its dataclass)."""
        return _engine_defaults()[self.scope][self.name]

    @property
    def lockable(self) -> bool:
        """Whether the organisation's policy can fix this option's value."""
        return self.online or (self.policy is not None and self.policy.role == "lock")


@functools.cache
def _engine_defaults() -> dict[OptionScope, dict[str, Any]]:
    """Each engine dataclass's field defaults (imported on first use: ``databorder --version`` stays quick)."""
    from databorder.assess import AssessOptions
    from databorder.collect.targets import TargetRequest

    def of(cls: type) -> dict[str, Any]:
        return {f.name: f.default for f in dataclasses.fields(cls) if f.default is not dataclasses.MISSING}

    return {"assess": of(AssessOptions), "collect": of(TargetRequest)}


def _nameserver(text: str) -> Any:
    from databorder.nameserver import Nameserver

    return Nameserver.parse(text)


OPTIONS: tuple[OptionSpec, ...] = (
    OptionSpec(
        "nameserver",
        "--nameserver",
        "DNS server",
        "ask this DNS server instead of the system resolver",
        "text",
        "DNS",
        metavar="IP[:PORT]",
        policy=PolicyKey("dns", "nameserver", "lock"),
        parse=_nameserver,
    ),
    OptionSpec(
        "offline",
        "--offline",
        "Offline: send no DNS queries",
        "send no DNS queries; attribute what can be attributed",
        "bool",
        "DNS",
    ),
    OptionSpec(
        "dns_timeout",
        "--dns-timeout",
        "DNS timeout (seconds)",
        "give up on a name after this long (default {default:g})",
        "float",
        "DNS",
        metavar="SECONDS",
        minimum=0.1,
        maximum=60.0,
    ),
    OptionSpec(
        "country_db",
        "--country-db",
        "Country database",
        "a MaxMind-format country database (e.g. GeoLite2-Country.mmdb) instead of the embedded one",
        "path",
        "GeoIP",
        metavar="PATH",
        policy=PolicyKey("geoip", "country_db", "lock"),
    ),
    OptionSpec(
        "asn_db",
        "--asn-db",
        "ASN database",
        "a MaxMind-format ASN database (e.g. GeoLite2-ASN.mmdb) instead of the embedded one",
        "path",
        "GeoIP",
        metavar="PATH",
        policy=PolicyKey("geoip", "asn_db", "lock"),
    ),
    OptionSpec(
        "packs",
        "--pack",
        "Rule packs",
        "rule pack to apply, by id or file; repeatable (default: {default_list}); "
        "packs your organisation marked mandatory always apply",
        "list",
        "Rule packs",
        metavar="ID|FILE",
        policy=PolicyKey("packs", "default", "default"),
    ),
    OptionSpec(
        "pack_dirs",
        "--pack-dir",
        "Extra rule-pack folders",
        "a folder of rule packs (*.toml) whose packs can then be named by id; repeatable",
        "paths",
        "Rule packs",
        metavar="FOLDER",
    ),
    OptionSpec(
        "services",
        "--services",
        "Extra service tables",
        "an extra domain → service operator table of your organisation's (TOML [[services]] rows: domains, operator, "
        "country, source); its rows win over every other; repeatable",
        "paths",
        "Rule packs",
        metavar="FILE",
    ),
    OptionSpec(
        "tier",
        "--tier",
        "Vendor tier (data practices)",
        "whose terms the vendors' data-handling facts are read for: consumer, paid, business or api; auto (the "
        "default) takes consumer for chat apps and api for SDKs, coding tools and scanned packages",
        "choice",
        "Rule packs",
        choices=TIER_CHOICES,
        policy=PolicyKey("packs", "tier", "default"),
    ),
    OptionSpec(
        "app",
        "--app",
        "Compare with the catalog app",
        "compare what is observed with this catalog app's declarations (where it stores data, whose models it uses); "
        "by default the catalog app assessed, or the one whose npm/PyPI package a scanned archive is",
        "text",
        "Rule packs",
        metavar="ID",
        saved=False,
    ),
    OptionSpec(
        "rdap",
        "--rdap",
        "Look up addresses' registrations (RDAP)",
        "ask the regional internet registries (RDAP) who registered each address's network; sends the addresses "
        "(never host names) to the registries, so it is off unless turned on",
        "bool",
        "Online enrichment",
        online=True,
    ),
    OptionSpec(
        "rdap_url",
        "--rdap-url",
        "RDAP server (instead of the registries')",
        "send every RDAP query to this server (a mirror or proxy) instead of the registry IANA's bootstrap names",
        "text",
        "Online enrichment",
        metavar="URL",
    ),
    OptionSpec(
        "probe",
        "--probe",
        "Probe endpoints no table knows (TLS certificate, domain RDAP)",
        "for each endpoint whose operator no table knows, read the TLS certificate the endpoint itself presents "
        "and ask its domain's registry (RDAP) for the registrant; connects to those endpoints and sends their "
        "domain names to the registries, so it is off unless turned on; what it finds is an inference",
        "bool",
        "Online enrichment",
        online=True,
    ),
    OptionSpec(
        "history",
        "--no-history",
        "Keep every assessment in the history (what changed since last time)",
        "do not keep this assessment in the history on this computer (by default every assessment is kept, so "
        "the next one can say what changed); your organisation's policy can turn the history off",
        "bool",
        "History",
        policy=PolicyKey("history", "keep", "lock"),
    ),
    OptionSpec(
        "min_relevance",
        "--min-relevance",
        "Scan: least relevance to assess",
        "from a scanned app, assess names at least this likely to be data endpoints (default {default:g})",
        "float",
        "Collection",
        scope="collect",
        metavar="R",
        minimum=0.0,
        maximum=1.0,
    ),
    OptionSpec(
        "all_names",
        "--all",
        "Scan: assess every name found",
        "from a scanned app, assess every name found",
        "bool",
        "Collection",
        scope="collect",
        saved=False,
    ),
    OptionSpec(
        "duration",
        "--duration",
        "Watch a running app for (seconds)",
        "how long to watch processes (30s, 2m; default {default:g}s); Ctrl-C stops early",
        "duration",
        "Collection",
        scope="collect",
        metavar="TIME",
        minimum=0.1,
        maximum=24 * 3600.0,
    ),
    OptionSpec(
        "capture_format",
        "--capture-format",
        "Capture format",
        "read every --capture as this format instead of recognising it",
        "choice",
        "Collection",
        scope="collect",
        choices=CAPTURE_FORMATS,
        saved=False,
    ),
)

SPECS: dict[str, OptionSpec] = {spec.name: spec for spec in OPTIONS}


def spec_help(spec: OptionSpec) -> str:
    """The option's help text with its default filled in."""
    default = spec.default
    listed = ", ".join(str(v) for v in default) if isinstance(default, tuple) else str(default)
    number = default if isinstance(default, int | float) and not isinstance(default, bool) else 0
    return spec.help.format(default=number, default_list=listed)


# --- checking values -----------------------------------------------------------------------------------------


def check_value(spec: OptionSpec, value: Any) -> Any:
    """``value`` in the engine's type, or a :class:`DataBorderError` naming the option and what it accepts.

    Takes what a person typed (text) as well as what a saved-settings file or the policy holds.
    """
    if value is None:
        return None
    label = spec.flag.lstrip("-")
    if spec.kind == "bool":
        if not isinstance(value, bool):
            raise DataBorderError(f"{label} must be true or false, not {value!r}")
        return value
    if spec.kind in ("float", "duration"):
        number = parse_duration(value) if spec.kind == "duration" and isinstance(value, str) else value
        if isinstance(number, str):
            try:
                number = float(number)
            except ValueError:
                raise DataBorderError(f"{label} must be a number, not {value!r}") from None
        if isinstance(number, bool) or not isinstance(number, int | float) or not math.isfinite(number):
            raise DataBorderError(f"{label} must be a number, not {value!r}")
        return _in_range(spec, float(number))
    if spec.kind == "choice":
        if value not in spec.choices:
            raise DataBorderError(f"{label} must be one of {', '.join(spec.choices)}, not {value!r}")
        return value
    if spec.kind in ("text", "path"):
        if isinstance(value, Path) and spec.kind == "path":
            return value
        if spec.parse is not None and not isinstance(value, str | bool | int | float | list | dict):
            value = str(value)  # a value this function made before (a Nameserver): parsed again, the same
        if not isinstance(value, str):
            raise DataBorderError(f"{label} must be a text, not {value!r}")
        if spec.kind == "path":
            return Path(value)
        return spec.parse(value) if spec.parse else value
    if not isinstance(value, list | tuple) or not all(isinstance(v, str | Path) for v in value):
        raise DataBorderError(f"{label} must be a list of texts, not {value!r}")
    return tuple(Path(v) for v in value) if spec.kind == "paths" else tuple(str(v) for v in value)


def _in_range(spec: OptionSpec, number: float) -> float:
    low, high = spec.minimum, spec.maximum
    if (low is not None and number < low) or (high is not None and number > high):
        unit = " seconds" if spec.kind == "duration" or spec.name.endswith("timeout") else ""
        raise DataBorderError(f"{spec.flag.lstrip('-')} of {number:g} makes no sense; give {low:g} to {high:g}{unit}")
    return number


def parse_duration(text: str) -> float:
    """``30``, ``30s``, ``2m`` or ``1h`` as seconds; a :class:`DataBorderError` for anything else."""
    units = {"s": 1, "m": 60, "h": 3600}
    number, unit = (text[:-1], text[-1]) if text and text[-1] in units else (text, "s")
    try:
        seconds = float(number) * units[unit]
    except ValueError:
        raise DataBorderError(f"{text!r} is not a duration like 30s, 2m or 45") from None
    if not math.isfinite(seconds):
        raise DataBorderError(f"{text!r} is not a duration like 30s, 2m or 45")
    return seconds


# --- command-line flags --------------------------------------------------------------------------------------


def add_arguments(
    parser: argparse.ArgumentParser, *, scope: OptionScope | None = None, names: tuple[str, ...] = ()
) -> None:
    """Add one flag per declared option (of ``scope``, or only ``names``); a flag not given is ``None``.

    Flags are converted to the option's type as they are parsed (a number that is not one is a usage error);
    whether a value makes sense (its range, an IP address) is checked by :func:`databorder.configure.configure`.
    """
    for spec in OPTIONS:
        if (scope is not None and spec.scope != scope) or (names and spec.name not in names):
            continue
        help_text = spec.help  # its {default} is filled in by HelpFormatter, only when help is shown
        if spec.kind == "bool":
            # A flag --no-NAME turns off an option that is on by default; any other flag turns one on.
            action = "store_false" if spec.flag.startswith("--no-") else "store_true"
            parser.add_argument(spec.flag, dest=spec.name, action=action, default=None, help=help_text)
        elif spec.kind in ("list", "paths"):
            each: type = Path if spec.kind == "paths" else str
            parser.add_argument(
                spec.flag, dest=spec.name, type=each, action="append", metavar=spec.metavar, help=help_text
            )
        elif spec.kind == "choice":
            parser.add_argument(spec.flag, dest=spec.name, choices=spec.choices, help=help_text)
        else:
            parser.add_argument(
                spec.flag, dest=spec.name, type=_argument_type(spec), metavar=spec.metavar, help=help_text
            )


class HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """Fills each declared option's default into its help when help is printed (and only then)."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        spec = SPECS.get(action.dest)
        return spec_help(spec) if spec is not None and action.help == spec.help else action.help


def _argument_type(spec: OptionSpec) -> Callable[[str], Any]:
    """Text as typed → the option's type; its range and meaning are checked once, by the resolver."""

    def convert(text: str) -> Any:
        if spec.kind == "path":
            return Path(text)
        if spec.kind not in ("float", "duration"):
            return text
        try:
            return parse_duration(text) if spec.kind == "duration" else float(text)
        except (DataBorderError, ValueError):
            raise argparse.ArgumentTypeError(
                f"{text!r} is not a {'duration' if spec.kind == 'duration' else 'number'}"
            ) from None

    convert.__name__ = spec.kind  # argparse names the type in its own messages
    return convert


def given(namespace: argparse.Namespace) -> dict[str, Any]:
    """The declared options a command line actually set."""
    values = {spec.name: getattr(namespace, spec.name, None) for spec in OPTIONS}
    return {name: value for name, value in values.items() if value is not None}


# --- saved settings ------------------------------------------------------------------------------------------


def settings_file() -> Path:
    """The user's saved settings (written by the GUI; read by both front-ends)."""
    return user_config_dir() / "settings.json"


def load_settings(path: Path | None = None) -> dict[str, Any]:
    """The user's saved values of declared options; raises :class:`DataBorderError` naming a broken file's line."""
    path = path or settings_file()
    try:
        text = read_bounded(path, SETTINGS_LIMIT).decode("utf-8")
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError) as exc:
        raise DataBorderError(f"{path}: your saved settings cannot be read: {exc}") from None
    try:
        raw = json.loads(text)
    except (json.JSONDecodeError, RecursionError, ValueError) as exc:
        line = getattr(exc, "lineno", None)
        where = f", line {line}" if line else ""
        raise DataBorderError(f"{path}{where}: your saved settings are not valid JSON") from None
    if not isinstance(raw, dict):
        raise DataBorderError(f"{path}: your saved settings are not a JSON object")
    values: dict[str, Any] = {}
    for name, value in raw.items():
        spec = SPECS.get(name)
        if spec is None or not spec.saved:
            log.info("%s: ignoring unknown setting %r", path, name)
            continue
        try:
            values[name] = check_value(spec, value)
        except DataBorderError as exc:
            raise DataBorderError(f"{path}: the saved setting {name!r} is not valid: {exc}") from None
    return values


def save_settings(values: Mapping[str, Any], path: Path | None = None) -> Path:
    """Write the values that differ from the defaults, atomically; returns the file written."""
    path = path or settings_file()
    data = {
        name: _to_json(value)
        for name, value in values.items()
        if name in SPECS and SPECS[name].saved and _to_json(value) != _to_json(SPECS[name].default)
    }
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=path.parent, delete=False, suffix=".tmp") as tmp:
            json.dump(data, tmp, indent=2, sort_keys=True)
            tmp.write("\n")
        os.replace(tmp.name, path)
    except OSError as exc:
        raise DataBorderError(f"{path}: your settings cannot be saved: {exc.strerror or exc}") from None
    return path


def _to_json(value: Any) -> Any:
    if value is not None and not isinstance(value, bool | int | float | str | list | tuple):
        return str(value)  # Path, Nameserver
    if isinstance(value, tuple | list):
        return [_to_json(v) for v in value]
    return value
