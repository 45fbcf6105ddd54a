"""Every assessment option declared once; the CLI's flags and the GUI's settings page are both built from here.

A value comes from, weakest first: the declaration's default, the user's saved settings (``settings.json`` in the
user's config folder, written by the GUI's settings page), then what was given for this run (a CLI flag).  The
organisation's policy, applied afterwards (:mod:`databorder.orgpolicy`), overrides all three for the settings
it locks.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from databorder.errors import DataBorderError
from databorder.policy import DEFAULT_PACKS
from databorder.resolve import DEFAULT_TIMEOUT
from databorder.resources import user_config_dir

if TYPE_CHECKING:
    from databorder.assess import AssessOptions

log = logging.getLogger(__name__)

OptionKind = Literal["bool", "text", "float", "path", "paths", "list"]


@dataclass(frozen=True)
class OptionSpec:
    """One option: its name in :class:`~databorder.assess.AssessOptions`, its CLI flag and its GUI label."""

    name: str
    flag: str
    label: str
    help: str
    kind: OptionKind
    default: Any
    section: str  # where the GUI's settings page groups it
    metavar: str | None = None


ASSESS_OPTIONS: tuple[OptionSpec, ...] = (
    OptionSpec(
        "nameserver",
        "--nameserver",
        "DNS server",
        "ask this DNS server instead of the system resolver",
        "text",
        None,
        "DNS",
        "IP[:PORT]",
    ),
    OptionSpec(
        "offline",
        "--offline",
        "Offline: send no DNS queries",
        "send no DNS queries; attribute what can be attributed",
        "bool",
        False,
        "DNS",
    ),
    OptionSpec(
        "dns_timeout",
        "--dns-timeout",
        "DNS timeout (seconds)",
        f"give up on a name after this long (default {DEFAULT_TIMEOUT:g})",
        "float",
        DEFAULT_TIMEOUT,
        "DNS",
        "SECONDS",
    ),
    OptionSpec(
        "country_db",
        "--country-db",
        "Country database",
        "a MaxMind-format country database (e.g. GeoLite2-Country.mmdb) instead of the embedded one",
        "path",
        None,
        "GeoIP",
        "PATH",
    ),
    OptionSpec(
        "asn_db",
        "--asn-db",
        "ASN database",
        "a MaxMind-format ASN database (e.g. GeoLite2-ASN.mmdb) instead of the embedded one",
        "path",
        None,
        "GeoIP",
        "PATH",
    ),
    OptionSpec(
        "packs",
        "--pack",
        "Rule packs",
        "rule pack to apply, by id or file; repeatable (default: us-countries-of-concern); "
        "packs your organisation marked mandatory always apply",
        "list",
        DEFAULT_PACKS,
        "Rule packs",
        "ID|FILE",
    ),
    OptionSpec(
        "pack_dirs",
        "--pack-dir",
        "Extra rule-pack folders",
        "a folder of rule packs (*.toml) whose packs can then be named by id; repeatable",
        "paths",
        (),
        "Rule packs",
        "FOLDER",
    ),
    OptionSpec(
        "rdap",
        "--rdap",
        "Look up addresses' registrations (RDAP)",
        "ask the regional internet registries (RDAP) who registered each address's network; sends the addresses "
        "(never host names) to the registries, so it is off unless turned on",
        "bool",
        False,
        "Online enrichment",
    ),
    OptionSpec(
        "rdap_url",
        "--rdap-url",
        "RDAP server (instead of the registries')",
        "send every RDAP query to this server (a mirror or proxy) instead of the registry IANA's bootstrap names",
        "text",
        None,
        "Online enrichment",
        "URL",
    ),
    OptionSpec(
        "services",
        "--services",
        "Extra service tables",
        "an extra domain → service operator table (TOML, like resources/services.toml); repeatable",
        "paths",
        (),
        "Rule packs",
        "FILE",
    ),
)

SPECS: dict[str, OptionSpec] = {spec.name: spec for spec in ASSESS_OPTIONS}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add one flag per declared option; a flag not given is ``None`` (so saved settings can fill it)."""
    for spec in ASSESS_OPTIONS:
        if spec.kind == "bool":
            parser.add_argument(spec.flag, dest=spec.name, action="store_true", default=None, help=spec.help)
        elif spec.kind in ("list", "paths"):
            each: type = Path if spec.kind == "paths" else str
            parser.add_argument(
                spec.flag, dest=spec.name, type=each, action="append", metavar=spec.metavar, help=spec.help
            )
        else:
            convert: type = {"text": str, "float": float, "path": Path}[spec.kind]
            parser.add_argument(spec.flag, dest=spec.name, type=convert, metavar=spec.metavar, help=spec.help)


def given(namespace: argparse.Namespace) -> dict[str, Any]:
    """The declared options a command line actually set."""
    values = {spec.name: getattr(namespace, spec.name, None) for spec in ASSESS_OPTIONS}
    return {name: value for name, value in values.items() if value is not None}


def defaults() -> dict[str, Any]:
    """Every declared option at its default."""
    return {spec.name: spec.default for spec in ASSESS_OPTIONS}


def settings_file() -> Path:
    """The user's saved settings (written by the GUI; read by both front-ends)."""
    return user_config_dir() / "settings.json"


def load_settings(path: Path | None = None) -> dict[str, Any]:
    """The user's saved values of declared options; raises :class:`DataBorderError` naming a broken file's line."""
    path = path or settings_file()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError) as exc:
        raise DataBorderError(f"{path}: your saved settings cannot be read: {exc}") from None
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        sentence = f"your saved settings are not valid JSON ({exc.msg})"
        raise DataBorderError(f"{path}, line {exc.lineno}: {sentence}") from None
    if not isinstance(raw, dict):
        raise DataBorderError(f"{path}: your saved settings are not a JSON object")
    values: dict[str, Any] = {}
    for name, value in raw.items():
        spec = SPECS.get(name)
        if spec is None:
            log.info("%s: ignoring unknown setting %r", path, name)
            continue
        values[name] = _from_json(spec, value, path)
    return values


def save_settings(values: Mapping[str, Any], path: Path | None = None) -> Path:
    """Write the values that differ from the defaults, atomically; returns the file written."""
    path = path or settings_file()
    data = {
        name: _to_json(value)
        for name, value in values.items()
        if name in SPECS and _to_json(value) != _to_json(SPECS[name].default)
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


def merged(*layers: Mapping[str, Any]) -> dict[str, Any]:
    """Defaults, then each layer in turn (later wins); empty lists in a layer do not hide earlier values."""
    values = defaults()
    for layer in layers:
        for name, value in layer.items():
            if name in SPECS and value is not None:
                values[name] = value
    return values


def _to_json(value: Any) -> Any:
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, tuple | list):
        return [_to_json(v) for v in value]
    return value


def _from_json(spec: OptionSpec, value: Any, path: Path) -> Any:
    """A saved value checked against its declaration, in the type the engine wants."""
    wrong = DataBorderError(f"{path}: the saved setting {spec.name!r} is not a valid {spec.kind} ({value!r})")
    if value is None:
        return None
    if spec.kind == "bool":
        if not isinstance(value, bool):
            raise wrong
        return value
    if spec.kind == "float":
        if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
            raise wrong
        return float(value)
    if spec.kind in ("text", "path"):
        if not isinstance(value, str):
            raise wrong
        return Path(value) if spec.kind == "path" else value
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise wrong
    return tuple(Path(v) for v in value) if spec.kind == "paths" else tuple(value)


def assess_options(values: Mapping[str, Any]) -> AssessOptions:
    """The engine's options from declared values (see :func:`merged`); checks what a person typed."""
    from databorder.assess import AssessOptions
    from databorder.resolve import Nameserver

    nameserver = values.get("nameserver")
    timeout = float(values.get("dns_timeout") or DEFAULT_TIMEOUT)
    if not 0 < timeout <= 60:
        raise DataBorderError(f"a DNS timeout of {timeout:g} s makes no sense; give 0.1 to 60 seconds")
    return AssessOptions(
        nameserver=Nameserver.parse(nameserver) if nameserver else None,
        offline=bool(values.get("offline")),
        country_db=values.get("country_db"),
        asn_db=values.get("asn_db"),
        packs=tuple(values.get("packs") or DEFAULT_PACKS),
        dns_timeout=timeout,
        services=tuple(values.get("services") or ()),
        pack_dirs=tuple(values.get("pack_dirs") or ()),
        rdap=bool(values.get("rdap")),
        rdap_url=values.get("rdap_url") or None,
    )
