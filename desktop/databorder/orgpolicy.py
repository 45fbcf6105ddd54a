"""The organisation's policy file: defaults and locks an IT department deploys to every desktop.

``policy.toml`` lives in the system configuration folder (:func:`databorder.resources.system_config_dir`:
/etc/databorder on Linux, %ProgramData%/DataBorder on Windows, /Library/Application Support/DataBorder on macOS).
Every key is optional; a missing file is an empty policy.  Example and reference: packaging/policy.example.toml
and docs/packaging.md.

What it can say:

- ``[packs] default`` — the rule packs ticked when a user has not chosen; ``mandatory`` — packs applied to every
  assessment, shown ticked and locked in the GUI, added by the CLI whatever ``--pack`` says;
- ``[geoip] country_db`` / ``asn_db`` — the databases every assessment uses (locks the GeoIP settings);
- ``[dns] nameserver`` — the DNS server to ask (locks it);
- ``[enrichment] online`` — whether online lookups that send addresses to third parties (RDAP) may be turned on;
- ``[history] keep`` — whether assessments are kept in the local history store (false turns it off, locked);
- ``[inventory] scheduled`` — whether the packaged systemd user timer's weekly ``inventory --assess`` runs;
- ``[report] organisation`` / ``logo`` — the PDF report's header.

A broken file is refused with its path, line and a sentence — never silently ignored, since ignoring it would
drop the organisation's mandatory packs.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from databorder.errors import DataBorderError, InputFileError
from databorder.inputs import POLICY_LIMIT, read_bounded
from databorder.options import OPTIONS, SPECS, check_value
from databorder.resources import system_config_dir

POLICY_FILE = "policy.toml"

#: Keys that are not options: what the policy itself decides (pack locks, online enrichment, the report header).
_OWN_KEYS: dict[str, dict[str, type]] = {
    "packs": {"mandatory": list},
    "enrichment": {"online": bool},
    "report": {"organisation": str, "logo": str},
    "inventory": {"scheduled": bool},
}
_TYPE_OF_KIND: dict[str, type] = {
    "bool": bool, "text": str, "path": str, "choice": str, "list": list, "paths": list, "float": float,
    "duration": float,
}  # fmt: skip


def _keys() -> dict[str, dict[str, type]]:
    """Every key a policy may hold: the options' policy keys (from their declarations) and the policy's own."""
    keys: dict[str, dict[str, type]] = {section: dict(table) for section, table in _OWN_KEYS.items()}
    for spec in OPTIONS:
        if spec.policy is not None:
            keys.setdefault(spec.policy.section, {})[spec.policy.key] = _TYPE_OF_KIND[spec.kind]
    return keys


class OrgPolicyError(InputFileError):
    """The organisation's policy file cannot be used; names the file and, where known, the line."""


@dataclass(frozen=True)
class OrgPolicy:
    """What the organisation fixed; ``source`` is the file read, None when there is none.

    ``values`` holds, by option name, what the policy's option keys say (in the engine's types); whether a value
    is a default the user may change or a lock is the option's declaration (:attr:`OptionSpec.policy`).
    """

    source: Path | None = None
    values: Mapping[str, Any] = field(default_factory=dict)
    mandatory_packs: tuple[str, ...] = ()
    online_enrichment_allowed: bool = True
    report_organisation: str | None = None
    report_logo: Path | None = None
    scheduled_inventory: bool = False  # [inventory] scheduled: the systemd user timer's run does its work

    def defaults(self) -> dict[str, Any]:
        """Option values the policy suggests; the user's saved settings and explicit values win over them."""
        return {n: v for n, v in self.values.items() if (p := SPECS[n].policy) is not None and p.role == "default"}

    def locks(self) -> dict[str, Any]:
        """Option values the policy fixes, whatever else says otherwise."""
        fixed = {n: v for n, v in self.values.items() if (p := SPECS[n].policy) is not None and p.role == "lock"}
        if not self.online_enrichment_allowed:
            fixed.update({spec.name: False for spec in OPTIONS if spec.online})
        return fixed

    def locked(self, setting: str) -> bool:
        """True for a setting (an option name, "online_enrichment" or "report_header") the policy fixes."""
        if setting == "report_header":
            return self.report_organisation is not None or self.report_logo is not None
        if setting == "online_enrichment":
            return not self.online_enrichment_allowed
        return setting in self.locks()

    @property
    def default_packs(self) -> tuple[str, ...] | None:
        """The packs ticked when the user has not chosen (``[packs] default``), if the policy names any."""
        packs = self.values.get("packs")
        return tuple(packs) if packs is not None else None

    def managed_by(self) -> str:
        """How messages name the policy: "your organisation's policy (FILE)"."""
        return f"your organisation's policy ({self.source})" if self.source else "your organisation's policy"


def policy_path() -> Path:
    """Where this machine's policy file is looked for."""
    return system_config_dir() / POLICY_FILE


def load_org_policy(path: Path | None = None) -> OrgPolicy:
    """The policy at ``path`` (default: :func:`policy_path`); no file is an empty policy."""
    path = path or policy_path()
    try:
        raw = read_bounded(path, POLICY_LIMIT)
    except FileNotFoundError:
        return OrgPolicy()
    except OSError as exc:
        raise OrgPolicyError(path, f"your organisation's policy cannot be read: {exc.strerror or exc}") from None
    try:
        text = raw.decode("utf-8")
        data = tomllib.loads(text)
    except UnicodeDecodeError:
        raise OrgPolicyError(path, "your organisation's policy is not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        match = re.search(r"at line (\d+)", str(exc))
        reason = re.sub(r"\s*\(at line \d+, column \d+\)$", "", str(exc))
        raise OrgPolicyError(
            path, f"is not valid TOML: {reason}", line=int(match.group(1)) if match else None
        ) from None
    return _read(path, text.splitlines(), data)


def _read(path: Path, lines: list[str], data: dict[str, Any]) -> OrgPolicy:
    def fail(sentence: str, section: str, key: str | None = None) -> OrgPolicyError:
        return OrgPolicyError(path, sentence, line=_line_of(lines, section, key))

    keys = _keys()
    for section, table in data.items():
        if section not in keys or not isinstance(table, dict):
            known = ", ".join(f"[{s}]" for s in keys)
            raise fail(f"unknown section {section!r}; a policy has {known}", section)
        for key, value in table.items():
            wanted = keys[section].get(key)
            if wanted is None:
                raise fail(f"[{section}] has no key {key!r}; known: {', '.join(keys[section])}", section, key)
            if not _has_type(value, wanted):
                kind = {list: "a list of pack ids", str: "a text", bool: "true or false", float: "a number"}[wanted]
                raise fail(f"[{section}] {key} must be {kind}", section, key)
    values: dict[str, Any] = {}
    for spec in OPTIONS:
        if spec.policy is None or spec.policy.key not in data.get(spec.policy.section, {}):
            continue
        value = data[spec.policy.section][spec.policy.key]
        if spec.kind == "path":
            value = _path(path, value)
        elif spec.kind == "paths":
            value = [_path(path, v) for v in value]
        try:
            values[spec.name] = check_value(spec, value)
        except DataBorderError as exc:
            raise fail(str(exc), spec.policy.section, spec.policy.key) from None
    packs = data.get("packs", {})
    report = data.get("report", {})
    logo = report.get("logo")
    return OrgPolicy(
        source=path,
        values=values,
        mandatory_packs=tuple(packs.get("mandatory", ())),
        online_enrichment_allowed=data.get("enrichment", {}).get("online", True),
        report_organisation=report.get("organisation"),
        report_logo=_path(path, logo) if logo is not None else None,
        scheduled_inventory=data.get("inventory", {}).get("scheduled", False),
    )


def _has_type(value: Any, wanted: type) -> bool:
    if wanted is list:
        return isinstance(value, list) and all(isinstance(v, str) for v in value)
    if wanted is float:
        return isinstance(value, int | float) and not isinstance(value, bool)
    return isinstance(value, wanted)


def _path(policy: Path, value: str) -> Path:
    """A path from the policy; relative ones are relative to the policy's own folder, not the working directory."""
    candidate = Path(value)
    return candidate if candidate.is_absolute() else policy.parent / candidate


def _line_of(lines: list[str], section: str, key: str | None) -> int | None:
    header = re.compile(rf"^\s*\[\s*{re.escape(section)}\s*\]")
    start = next((i for i, line in enumerate(lines, 1) if header.match(line)), None)
    if key is None or start is None:
        return start
    pattern = re.compile(rf"^\s*\"?{re.escape(key)}\"?\s*=")
    return next((i for i, line in enumerate(lines[start:], start + 1) if pattern.match(line)), start)
