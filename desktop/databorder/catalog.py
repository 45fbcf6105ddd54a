"""The AI-app catalog: who runs each app, under whose law, where it says data is kept, and its endpoints by role.

One TOML file per app in resources/catalog/ (format: docs/catalog.md), each with dated sources.  The catalog
feeds three stages: collection (``databorder assess ID`` assesses an app from its declared endpoints), service
attribution (the app's domains → vendor and jurisdiction) and roles (an endpoint declared as telemetry is one).
"""

from __future__ import annotations

import difflib
import functools
import hashlib
import re
import tomllib
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from databorder.endpoints import normalise_host, registrable_domain
from databorder.errors import DataBorderError, EndpointSyntaxError, ResourceError
from databorder.model import DatabaseRef, Evidence, Observation, Role, ServiceAttribution
from databorder.regions import regions
from databorder.resources import resource_path

ROLES: tuple[Role, ...] = typing.get_args(Role)
KINDS = ("chat", "coding", "api", "local")
#: The kinds of install hint a catalog entry may give (docs/catalog.md, "Install hints"); databorder.inventory
#: looks each up where that kind of program lives.
PACKAGE_KINDS = (
    "apk", "ipa", "npm", "pypi", "vscode", "jetbrains", "chrome", "firefox", "flatpak", "snap", "desktop", "appimage",
)  # fmt: skip
_REQUIRED = ("id", "name", "kind", "vendor", "jurisdiction", "data_location", "domains", "checked", "sources")


@dataclass(frozen=True)
class CatalogApp:
    """One AI app or tool as the catalog knows it."""

    id: str
    name: str
    kind: str
    vendor: str
    jurisdiction: str
    data_location: str
    local_only: bool
    domains: tuple[str, ...]
    checked: str
    sources: tuple[str, ...]
    notes: str
    endpoints: Mapping[Role, tuple[str, ...]]
    processes: tuple[str, ...]
    packages: Mapping[str, tuple[str, ...]]
    paths: Mapping[str, tuple[str, ...]]
    install_sources: tuple[str, ...] = ()  # where the install hints come from
    install_unverified: tuple[str, ...] = ()  # hints no source read here confirms
    #: Where the vendor declares the data is stored, as country codes (regions expanded); empty: not declared.
    stored_in: frozenset[str] = frozenset()
    #: The domains of the model vendors the app is declared to use besides its own (e.g. a coding tool selling
    #: several vendors' models); an app is taken to use its own vendor's models.
    models_from: tuple[str, ...] = ()

    def is_own(self, host: str | None) -> bool:
        """Whether ``host`` is the app's own or a declared model vendor's.

        Own: under one of its domains or ``models_from``, or sharing the registrable domain of one of its domains
        (``dashscope-intl.aliyuncs.com`` beside ``dashscope.aliyuncs.com``).
        """
        if host is None:
            return False
        if any(host == d or host.endswith("." + d) for d in (*self.domains, *self.models_from)):
            return True
        own = {registrable_domain(d) for d in self.domains} - {None}
        return registrable_domain(host) in own

    @property
    def service(self) -> ServiceAttribution:
        """The service attribution of every domain of this app."""
        return ServiceAttribution(
            operator=self.vendor,
            country=self.jurisdiction,
            source=f"DataBorder catalog: {self.name} (checked {self.checked})",
            category="genai",
        )

    def observations(self) -> list[Observation]:
        """The app's declared endpoints as observations (collector ``catalog``: confidence *declared*)."""
        found = []
        for role, hosts in self.endpoints.items():
            for host in hosts:
                evidence = Evidence(
                    collector="catalog",
                    source=f"catalog {self.id}",
                    location=role,
                    excerpt=f"{role} endpoint of {self.name}, declared by {self.vendor} (checked {self.checked})",
                )
                found.append(Observation(host=host, ip=None, port=None, scheme=None, evidence=evidence))
        return found


class Catalog:
    """Every catalog app, by id; lookups by host for roles and by domain for the service operator."""

    def __init__(self, apps: Mapping[str, CatalogApp], *, sha256: str = "") -> None:
        self.apps = dict(sorted(apps.items()))
        checked = max((app.checked for app in self.apps.values()), default="?")
        self.ref = DatabaseRef(
            kind="catalog",
            source=f"DataBorder AI-app catalog ({len(self.apps)} apps, checked up to {checked})",
            build_date=None,
            sha256=sha256,
            file="catalog/",
        )
        self._roles: dict[str, set[Role]] = {}
        for app in self.apps.values():
            for role, hosts in app.endpoints.items():
                for host in hosts:
                    self._roles.setdefault(host, set()).add(role)

    def get(self, app_id: str) -> CatalogApp:
        """The app with this id; a sentence with the nearest ids if there is none."""
        app = self.apps.get(app_id.lower())
        if app is None:
            near = difflib.get_close_matches(app_id.lower(), list(self.apps), n=3)
            hint = f"; did you mean {', '.join(near)}?" if near else "; `databorder catalog list` shows them"
            raise DataBorderError(f"{app_id!r} is not an app in the catalog{hint}")
        return app

    def roles_of(self, host: str | None) -> tuple[Role, ...]:
        """The roles any catalog app declares for exactly this host."""
        return tuple(sorted(self._roles.get(host, ()))) if host else ()

    def recognise(self, name: str) -> CatalogApp | None:
        """The app whose npm or PyPI package an archive's file name is (``anthropic-ai-claude-code-2.0.1.tgz``)."""
        stem = name.rsplit("/", 1)[-1].lower()
        for app in self.apps.values():
            for kind in ("npm", "pypi"):
                for package in app.packages.get(kind, ()):
                    packed = package.lower().lstrip("@").replace("/", "-").replace("_", "-")
                    if re.match(rf"^{re.escape(packed)}-\d", stem.replace("_", "-")):
                        return app
        return None

    def search(self, text: str) -> list[CatalogApp]:
        """Apps whose id, name, vendor, jurisdiction or kind contains ``text`` (case-insensitive)."""
        needle = text.casefold()
        return [
            app
            for app in self.apps.values()
            if any(needle in field.casefold() for field in (app.id, app.name, app.vendor, app.jurisdiction, app.kind))
        ]

    def service_rows(self) -> list[tuple[str, ServiceAttribution]]:
        """(domain, service) for every app domain, for the service table."""
        return [(domain, app.service) for app in self.apps.values() for domain in app.domains]


@functools.cache
def load_catalog(folder: Path | None = None) -> Catalog:
    """The shipped catalog (read once per process: it is immutable data)."""
    folder = folder or resource_path("catalog")
    apps: dict[str, CatalogApp] = {}
    digest = hashlib.sha256()
    for path in sorted(folder.glob("*.toml")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
        app = _read(path)
        if app.id in apps:
            raise ResourceError(f"the catalog has two apps with id {app.id!r} ({path.name})")
        apps[app.id] = app
    if not apps:
        raise ResourceError(f"the AI-app catalog in {folder} is missing or empty")
    return Catalog(apps, sha256=digest.hexdigest())


def _read(path: Path) -> CatalogApp:
    def broken(sentence: str) -> ResourceError:
        return ResourceError(f"catalog entry {path.name}: {sentence}")

    try:
        data: dict[str, Any] = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise broken(f"cannot be read ({exc})") from None
    missing = [key for key in _REQUIRED if key not in data]
    if missing:
        raise broken(f"lacks {', '.join(missing)}")
    if data["id"] != path.stem:
        raise broken(f"its id {data['id']!r} differs from its file name")
    if data["kind"] not in KINDS:
        raise broken(f"kind must be one of {', '.join(KINDS)}")
    if data["jurisdiction"] not in regions().countries:
        raise broken(f"jurisdiction {data['jurisdiction']!r} is not an ISO 3166-1 alpha-2 code")
    endpoints = data.get("endpoints", {})
    unknown = set(endpoints) - set(ROLES)
    if unknown:
        raise broken(f"unknown endpoint role {sorted(unknown)[0]!r}; roles: {', '.join(ROLES)}")
    try:
        checked_endpoints = {role: tuple(normalise_host(h) for h in hosts) for role, hosts in endpoints.items()}
        domains = tuple(normalise_host(d) for d in data["domains"])
    except (EndpointSyntaxError, TypeError) as exc:
        raise broken(f"has an invalid host ({exc})") from None
    install = data.get("install", {})
    unknown_kinds = set(install.get("packages", {})) - set(PACKAGE_KINDS)
    if unknown_kinds:
        raise broken(f"unknown install hint {sorted(unknown_kinds)[0]!r}; kinds: {', '.join(PACKAGE_KINDS)}")
    if install.get("packages") and not (install.get("sources") or install.get("unverified")):
        raise broken("its install hints name no source (give [install] sources, or list them as unverified)")
    stored_in = _countries(data.get("stored_in", []), broken)
    models_from = data.get("models_from", [])
    if not isinstance(models_from, list) or not all(isinstance(d, str) for d in models_from):
        raise broken("models_from must be a list of domains")
    try:
        models = tuple(normalise_host(d) for d in models_from)
    except EndpointSyntaxError as exc:
        raise broken(f"models_from has an invalid domain ({exc})") from None
    return CatalogApp(
        id=data["id"],
        name=data["name"],
        kind=data["kind"],
        vendor=data["vendor"],
        jurisdiction=data["jurisdiction"],
        data_location=data["data_location"],
        local_only=bool(data.get("local_only", False)),
        domains=domains,
        checked=str(data["checked"]),
        sources=tuple(data["sources"]),
        notes=data.get("notes", ""),
        endpoints=checked_endpoints,
        processes=tuple(install.get("processes", ())),
        packages={k: tuple(v) for k, v in install.get("packages", {}).items()},
        paths={k: tuple(v) for k, v in install.get("paths", {}).items()},
        install_sources=tuple(install.get("sources", ())),
        install_unverified=tuple(install.get("unverified", ())),
        stored_in=stored_in,
        models_from=models,
    )


def _countries(value: Any, broken: Callable[[str], ResourceError]) -> frozenset[str]:
    """Country codes and region names (``EU``, ``EEA``…) as a set of country codes."""
    table = regions()
    if not isinstance(value, list):
        raise broken("stored_in must be a list of country codes or regions")
    codes: set[str] = set()
    for item in value:
        if item in table.countries:
            codes.add(item)
        elif item in table.regions:
            codes |= table.regions[item]
        else:
            raise broken(f"stored_in: {item!r} is neither an ISO 3166-1 alpha-2 code nor a known region")
    return frozenset(codes)
