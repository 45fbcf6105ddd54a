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
- ``[report] organisation`` / ``logo`` — the PDF report's header.

A broken file is refused with its path, line and a sentence — never silently ignored, since ignoring it would
drop the organisation's mandatory packs.
"""

from __future__ import annotations

import dataclasses
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from databorder.errors import InputFileError
from databorder.resources import system_config_dir

if TYPE_CHECKING:
    from databorder.assess import AssessOptions

POLICY_FILE = "policy.toml"
_KEYS: dict[str, dict[str, type]] = {
    "packs": {"default": list, "mandatory": list},
    "geoip": {"country_db": str, "asn_db": str},
    "dns": {"nameserver": str},
    "enrichment": {"online": bool},
    "report": {"organisation": str, "logo": str},
}


class OrgPolicyError(InputFileError):
    """The organisation's policy file cannot be used; names the file and, where known, the line."""


@dataclass(frozen=True)
class OrgPolicy:
    """What the organisation fixed; ``source`` is the file read, None when there is none."""

    source: Path | None = None
    default_packs: tuple[str, ...] | None = None
    mandatory_packs: tuple[str, ...] = ()
    country_db: Path | None = None
    asn_db: Path | None = None
    online_enrichment_allowed: bool = True
    online_enrichment_set: bool = False  # the file said it explicitly (then the setting is locked)
    nameserver: str | None = None
    report_organisation: str | None = None
    report_logo: Path | None = None

    def locked(self, setting: str) -> bool:
        """True for a setting (an option name, or "report_header") the policy fixes."""
        fixed = {
            "country_db": self.country_db is not None,
            "asn_db": self.asn_db is not None,
            "nameserver": self.nameserver is not None,
            "rdap": self.online_enrichment_set,
            "online_enrichment": self.online_enrichment_set,
            "report_header": self.report_organisation is not None or self.report_logo is not None,
        }
        return fixed.get(setting, False)

    def defaults(self) -> dict[str, Any]:
        """Option values the policy suggests, to merge under the user's own (see :func:`databorder.options.merged`)."""
        return {"packs": self.default_packs} if self.default_packs else {}

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
        raw = path.read_bytes()
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

    for section, table in data.items():
        if section not in _KEYS or not isinstance(table, dict):
            known = ", ".join(f"[{s}]" for s in _KEYS)
            raise fail(f"unknown section {section!r}; a policy has {known}", section)
        for key, value in table.items():
            wanted = _KEYS[section].get(key)
            if wanted is None:
                raise fail(f"[{section}] has no key {key!r}; known: {', '.join(_KEYS[section])}", section, key)
            if not isinstance(value, wanted) or (
                isinstance(value, list) and not all(isinstance(v, str) for v in value)
            ):
                kind = {list: "a list of pack ids", str: "a text", bool: "true or false"}[wanted]
                raise fail(f"[{section}] {key} must be {kind}", section, key)
    packs = data.get("packs", {})
    geoip = data.get("geoip", {})
    enrichment = data.get("enrichment", {})
    report = data.get("report", {})
    nameserver = data.get("dns", {}).get("nameserver")
    if nameserver is not None:
        from databorder.resolve import Nameserver

        try:
            Nameserver.parse(nameserver)
        except Exception as exc:  # a DataBorderError with a sentence
            raise fail(str(exc), "dns", "nameserver") from None
    return OrgPolicy(
        source=path,
        default_packs=tuple(packs["default"]) if "default" in packs else None,
        mandatory_packs=tuple(packs.get("mandatory", ())),
        country_db=_path(path, geoip.get("country_db")),
        asn_db=_path(path, geoip.get("asn_db")),
        online_enrichment_allowed=enrichment.get("online", True),
        online_enrichment_set="online" in enrichment,
        nameserver=nameserver,
        report_organisation=report.get("organisation"),
        report_logo=_path(path, report.get("logo")),
    )


def _path(policy: Path, value: str | None) -> Path | None:
    """A path from the policy; relative ones are relative to the policy's own folder, not the working directory."""
    if value is None:
        return None
    candidate = Path(value)
    return candidate if candidate.is_absolute() else policy.parent / candidate


def _line_of(lines: list[str], section: str, key: str | None) -> int | None:
    header = re.compile(rf"^\s*\[\s*{re.escape(section)}\s*\]")
    start = next((i for i, line in enumerate(lines, 1) if header.match(line)), None)
    if key is None or start is None:
        return start
    pattern = re.compile(rf"^\s*\"?{re.escape(key)}\"?\s*=")
    return next((i for i, line in enumerate(lines[start:], start + 1) if pattern.match(line)), start)


def apply_org_policy(options: AssessOptions, policy: OrgPolicy) -> tuple[AssessOptions, list[str]]:
    """The options with the policy enforced, and notes saying what it changed (recorded in the assessment)."""
    notes: list[str] = []
    changes: dict[str, Any] = {}
    by = policy.managed_by()
    missing = [p for p in policy.mandatory_packs if p not in options.packs]
    if missing:
        changes["packs"] = (*options.packs, *missing)
        notes += [f"rule pack {p} applied: mandatory by {by}" for p in missing]
    for name in ("country_db", "asn_db"):
        fixed = getattr(policy, name)
        if fixed is not None and getattr(options, name) != fixed:
            changes[name] = fixed
            notes.append(f"{name.replace('_', ' ')} {fixed} used: set by {by}")
    if policy.nameserver is not None:
        from databorder.resolve import Nameserver

        fixed_ns = Nameserver.parse(policy.nameserver)
        if options.nameserver != fixed_ns:
            changes["nameserver"] = fixed_ns
            notes.append(f"nameserver {fixed_ns} used: set by {by}")
    if getattr(options, "rdap", False) and not policy.online_enrichment_allowed:
        raise OrgPolicyError(
            policy.source or policy_path(),
            "online enrichment (RDAP) is turned off by your organisation: addresses may not be sent to the "
            "registries from this computer",
        )
    return dataclasses.replace(options, **changes), notes
