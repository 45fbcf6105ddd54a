"""The AI apps installed on a computer: found where programs really live, matched to the catalog's install hints.

Each finder reads one kind of place as the program that put things there lays it out (docs/inventory.md names
each layout and where it is documented), under a home folder and a root folder that default to the user's and
``/`` (``--home``, ``--root`` point elsewhere: another user's home, a mounted disk image):

- editor extensions of VS Code, VS Code Insiders, VSCodium, Cursor, Windsurf and VS Code Server, by
  ``publisher.name`` (each extension folder's ``package.json``; ``.obsolete`` lists those uninstalled);
- JetBrains IDE plugins, by the ``<id>`` in the ``META-INF/plugin.xml`` inside a plugin's jar;
- npm global packages: npm's global root under each prefix (``/usr``, ``/usr/local``, a ``prefix=`` in
  ``~/.npmrc``), nvm, fnm, Volta, pnpm and Bun trees, by package name;
- Python distributions (``*.dist-info/METADATA``) in the system's and the user's site-packages, and pipx and
  uv tool environments, by distribution name;
- ``.desktop`` entries, AppImages, Flatpak and Snap apps, folders in ``/opt``, and paths the catalog names;
- browser extensions of Chrome, Chromium, Edge, Brave and Vivaldi (``Extensions/ID/VERSION/manifest.json`` in
  every profile) and Firefox (each profile's ``extensions.json``), by extension id;
- running processes, by name (only when the root is this computer's own).

What the catalog names is matched to its app.  Anything else is reported as an unknown AI app only with a signal
that makes it one: it is, depends on or bundles a vendor's AI SDK (resources/knowledge/sdk-packages.toml), or
(a browser or editor extension) its manifest asks for AI operators' endpoints or names itself AI.  No finder
raises for a damaged file: it is skipped, and said in ``problems``.
"""

from __future__ import annotations

import configparser
import functools
import json
import logging
import os
import re
import tomllib
import zipfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from xml.etree import ElementTree

from databorder.catalog import Catalog, load_catalog
from databorder.knowledge import package_key

log = logging.getLogger(__name__)

#: How an app was found (the ``found_by`` of each entry in ``--json``).
FoundBy = Literal[
    "editor-extension",
    "jetbrains-plugin",
    "npm-global",
    "python-package",
    "pipx",
    "uv-tool",
    "desktop-entry",
    "appimage",
    "flatpak",
    "snap",
    "opt",
    "install-path",
    "browser-extension",
    "process",
]

#: Editors of the VS Code family: (name, extensions folder under the home).
EDITORS: tuple[tuple[str, str], ...] = (
    ("VS Code", ".vscode/extensions"),
    ("VS Code Insiders", ".vscode-insiders/extensions"),
    ("VSCodium", ".vscode-oss/extensions"),
    ("Cursor", ".cursor/extensions"),
    ("Windsurf", ".windsurf/extensions"),
    ("VS Code Server", ".vscode-server/extensions"),
)
#: Chromium-family browsers: (name, user-data folder under the home) — Linux, Ubuntu's snaps, then macOS and Windows
#: (Chromium's docs/user_data_dir.md), so a mounted Mac or Windows home (``--home``) is read as well.
CHROMIUM_BROWSERS: tuple[tuple[str, str], ...] = (
    ("Chrome", ".config/google-chrome"),
    ("Chrome Beta", ".config/google-chrome-beta"),
    ("Chromium", ".config/chromium"),
    ("Chromium", "snap/chromium/common/chromium"),
    ("Edge", ".config/microsoft-edge"),
    ("Brave", ".config/BraveSoftware/Brave-Browser"),
    ("Vivaldi", ".config/vivaldi"),
    ("Chrome", "Library/Application Support/Google/Chrome"),
    ("Chromium", "Library/Application Support/Chromium"),
    ("Edge", "Library/Application Support/Microsoft Edge"),
    ("Brave", "Library/Application Support/BraveSoftware/Brave-Browser"),
    ("Chrome", "AppData/Local/Google/Chrome/User Data"),
    ("Chromium", "AppData/Local/Chromium/User Data"),
    ("Edge", "AppData/Local/Microsoft/Edge/User Data"),
    ("Brave", "AppData/Local/BraveSoftware/Brave-Browser/User Data"),
)
#: Firefox's profile folders under the home: Linux, Ubuntu's Firefox snap, macOS, Windows.
FIREFOX_PROFILES: tuple[str, ...] = (
    ".mozilla/firefox",
    "snap/firefox/common/.mozilla/firefox",
    "Library/Application Support/Firefox/Profiles",
    "AppData/Roaming/Mozilla/Firefox/Profiles",
)
#: JetBrains IDEs' configuration folders on macOS and Windows, whose ``PRODUCT/plugins`` hold the plugins (on Linux
#: they are in ``~/.local/share/JetBrains/PRODUCT`` itself).
JETBRAINS_ELSEWHERE: tuple[str, ...] = ("Library/Application Support/JetBrains", "AppData/Roaming/JetBrains")
#: VS Code marketplace categories that say an extension is an AI tool.
AI_CATEGORIES = frozenset({"ai", "chat"})
_LARGEST_MANIFEST = 8 << 20
#: How much of one program file is searched for AI operators' host names (a CLI's bundle or native binary).
FILE_SCAN_LIMIT = 256 << 20
_CHUNK = 8 << 20
_VERSIONED = re.compile(
    r"^(?P<id>.+?)-(?P<version>\d+(?:\.\d+)*(?:[-+][\w.]+)?)(?:-(?P<platform>[a-z0-9]+-[a-z0-9]+))?$"
)


@dataclass(frozen=True)
class FoundApp:
    """One AI app installed here: the catalog's app it is (or None: an unknown AI app), where, and how found."""

    app: str | None  # catalog id
    name: str
    version: str | None
    path: str
    found_by: FoundBy
    where: str  # in a person's words: "Cursor extensions", "Chrome profile Default", "npm global (/usr/local)"
    signals: tuple[str, ...] = ()  # why an unknown one is an AI app; for a catalog app, how it was matched

    @property
    def key(self) -> tuple[str | None, str]:
        """An installation is one app at one path."""
        return (self.app, self.path)


@dataclass
class Inventory:
    """What the finders found, and the files they could not read."""

    home: str
    root: str
    apps: list[FoundApp] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def known(self) -> list[FoundApp]:
        """The apps matched to the catalog."""
        return [a for a in self.apps if a.app is not None]


# --- the catalog's install hints ------------------------------------------------------------------------------


#: The key of :attr:`Hints.by_kind` holding process names exactly as the catalog writes them.
EXACT_PROCESSES = "processes (exact case)"


@dataclass(frozen=True)
class Hints:
    """The catalog's install hints, by kind, each mapped to its app id (keys normalised as they are looked up)."""

    by_kind: Mapping[str, Mapping[str, str]]
    names: Mapping[str, str]  # lower-case app name → id (for .desktop entries and /opt folders)
    appimage: tuple[tuple[str, str], ...]  # (lower-case file-name prefix, id)
    linux_paths: tuple[tuple[str, str], ...]

    def match(self, kind: str, value: str) -> str | None:
        """The catalog app a hint of ``kind`` names, if any.

        A process name is looked up as written first: Linux and macOS names are case-sensitive, and two apps may
        differ only in case (the Claude desktop app runs as ``Claude``, Claude Code as ``claude``). Only a name no
        app writes that way is matched ignoring case (Windows' ``CLAUDE.EXE``).
        """
        if kind == "processes":
            exact = self.by_kind.get(EXACT_PROCESSES, {}).get(_exact_process(value))
            if exact is not None:
                return exact
        return self.by_kind.get(kind, {}).get(_normalise(kind, value))


def _exact_process(name: str) -> str:
    """A process name as written, without a Windows ``.exe``: the key of the case-sensitive look-up."""
    return name.strip().removesuffix(".exe")


def _normalise(kind: str, value: str) -> str:
    if kind == "pypi":
        return package_key("pypi", value)
    if kind == "npm":
        return value.strip().lower()
    if kind in ("vscode", "jetbrains", "chrome", "firefox", "flatpak", "snap", "desktop", "processes"):
        return value.strip().lower().removesuffix(".desktop").removesuffix(".exe")
    return value


def catalog_hints(catalog: Catalog | None = None) -> Hints:
    """The install hints of every catalog app."""
    catalog = catalog or load_catalog()
    by_kind: dict[str, dict[str, str]] = {}
    appimage: list[tuple[str, str]] = []
    linux: list[tuple[str, str]] = []
    for app in catalog.apps.values():
        for kind, values in app.packages.items():
            for value in values:
                if kind == "appimage":
                    appimage.append((value.lower(), app.id))
                else:
                    by_kind.setdefault(kind, {})[_normalise(kind, value)] = app.id
        for process in app.processes:
            by_kind.setdefault("processes", {}).setdefault(_normalise("processes", process), app.id)
            by_kind.setdefault(EXACT_PROCESSES, {})[_exact_process(process)] = app.id
        linux += [(p, app.id) for p in app.paths.get("linux", ())]
    names = {app.name.lower(): app.id for app in catalog.apps.values()}
    return Hints(by_kind, names, tuple(appimage), tuple(linux))


# --- the AI signals for what the catalog does not name ---------------------------------------------------------


@dataclass(frozen=True)
class Signals:
    """What makes an unknown program an AI app: the vendors' SDKs and the AI operators' domains."""

    sdks: Mapping[str, str]  # package key (npm:openai, pypi:openai) → the endpoint it calls
    is_ai_host: Callable[[str], str | None]  # host → the AI operator running it, or None
    ai_domains: frozenset[str] = frozenset()  # the domains AI operators run (searched for in programs' files)

    @functools.cached_property
    def _pattern(self) -> Any:
        import re2

        options = re2.Options()
        options.max_mem = 128 << 20
        names = b"|".join(re.escape(d).encode("ascii") for d in sorted(self.ai_domains, key=len, reverse=True))
        return re2.compile(b"(?i)(?:[a-z0-9-]+\\.)*(?:" + names + b")", options)

    def _search(self, data: bytes, found: set[str]) -> None:
        for match in self._pattern.finditer(data):
            start, end = match.span()
            before = data[start - 1 : start] if start else b""
            after = data[end : end + 1]
            if before.isalnum() or before in (b".", b"-", b"_") or after.isalnum() or after in (b"-", b"_"):
                continue
            found.add(match.group(0).decode("ascii").lower())

    def hosts_in(self, path: Path, *, limit: int = FILE_SCAN_LIMIT) -> set[str]:
        """AI operators' host names in a file's bytes (its first ``limit`` bytes)."""
        if not self.ai_domains:
            return set()
        found: set[str] = set()
        overlap = 256  # a host name cut by a chunk's end is found whole in the next chunk
        try:
            with path.open("rb") as handle:
                carried = b""
                read = 0
                while read < limit:
                    chunk = handle.read(min(_CHUNK, limit - read))
                    if not chunk:
                        break
                    read += len(chunk)
                    data = carried + chunk
                    self._search(data, found)
                    carried = data[-overlap:]
        except OSError:
            return found
        return found

    def sdk(self, registry: str, name: str) -> str | None:
        """``"openai (npm, calls api.openai.com)"`` when the package is a vendor's AI SDK."""
        endpoint = self.sdks.get(package_key(registry, name))
        return f"{name} ({registry}, calls {endpoint})" if endpoint else None


def default_signals() -> Signals:
    """The shipped SDK table and the knowledge layers' AI operators (catalog apps and ``genai`` operators)."""
    from databorder.attribute.service import sdk_endpoints, service_attributor

    attributor = service_attributor(())

    def ai_operator(host: str) -> str | None:
        service = attributor.service(host)
        return service.operator if service is not None and service.category == "genai" else None

    from databorder.knowledge import load_knowledge

    domains = (
        load_knowledge().domains_of_category("genai").union(*(app.domains for app in load_catalog().apps.values()))
    )
    return Signals(sdks=sdk_endpoints(), is_ai_host=ai_operator, ai_domains=domains)


# --- the finders ----------------------------------------------------------------------------------------------


class _Finder:
    """The state of one inventory run: where to look, what to match against, what was found."""

    def __init__(self, inventory: Inventory, hints: Hints, signals: Signals, home: Path, root: Path) -> None:
        self.inventory = inventory
        self.hints = hints
        self.signals = signals
        self.home = home
        self.root = root

    def under_root(self, path: str) -> Path:
        return self.root / path.lstrip("/")

    def problem(self, path: Path, sentence: str) -> None:
        self.inventory.problems.append(f"{path}: {sentence}")

    def add(self, app: FoundApp) -> None:
        self.inventory.apps.append(app)

    def read_json(self, path: Path) -> Any:
        try:
            if path.stat().st_size > _LARGEST_MANIFEST:
                self.problem(path, "is too large to be a manifest; skipped")
                return None
            return json.loads(path.read_bytes().decode("utf-8-sig"))
        except FileNotFoundError:
            return None
        except (OSError, UnicodeDecodeError, ValueError, RecursionError) as exc:
            self.problem(path, f"cannot be read as JSON ({_short(exc)}); skipped")
            return None

    def found(
        self,
        kind: str,
        ident: str,
        *,
        name: str | None,
        version: str | None,
        path: Path,
        found_by: FoundBy,
        where: str,
        ai_signals: Iterable[str] = (),
    ) -> None:
        """Add what a finder saw: the catalog's app its hint names, else an unknown AI app if it has signals."""
        app = self.hints.match(kind, ident)
        signals = tuple(dict.fromkeys(ai_signals))
        if app is not None:
            self.add(FoundApp(app, name or ident, version, str(path), found_by, where, (f"{kind} {ident}",)))
        elif signals:
            self.add(FoundApp(None, name or ident, version, str(path), found_by, where, signals))

    # --- editors ---

    def editors(self) -> None:
        for editor, folder in EDITORS:
            base = self.home / folder
            if not base.is_dir():
                continue
            obsolete = self.read_json(base / ".obsolete") or {}
            listed = self.read_json(base / "extensions.json")
            locations: dict[str, str] = {}
            if isinstance(listed, list):  # VS Code ≥ 1.74 keeps its list of installed extensions here
                for entry in listed:
                    if isinstance(entry, dict):
                        relative = entry.get("relativeLocation")
                        if isinstance(relative, str):
                            locations[relative] = str(_mapping(entry.get("identifier")).get("id", ""))
            for folder_path in sorted(p for p in base.iterdir() if p.is_dir() and not p.name.startswith(".")):
                if isinstance(obsolete, dict) and obsolete.get(folder_path.name):
                    continue  # uninstalled; VS Code deletes the folder at its next start
                manifest = self.read_json(folder_path / "package.json")
                if not isinstance(manifest, dict):
                    continue
                publisher, ext_name = manifest.get("publisher"), manifest.get("name")
                if not isinstance(publisher, str) or not isinstance(ext_name, str):
                    continue
                ident = f"{publisher}.{ext_name}"
                display = manifest.get("displayName")
                signals = list(self.package_json_signals(manifest, folder_path))
                categories = {c.lower() for c in _strings(manifest.get("categories"))}
                if categories & AI_CATEGORIES:
                    signals.append(f"marketplace category {', '.join(sorted(categories & AI_CATEGORIES))}")
                self.found(
                    "vscode",
                    ident,
                    name=display if isinstance(display, str) and not display.startswith("%") else ident,
                    version=_text(manifest.get("version")),
                    path=folder_path,
                    found_by="editor-extension",
                    where=f"{editor} extensions",
                    ai_signals=signals,
                )

    def package_json_signals(self, manifest: Mapping[str, Any], folder: Path) -> Iterator[str]:
        """A package's declared dependencies (never devDependencies) and bundled node_modules that are AI SDKs."""
        for section in ("dependencies", "optionalDependencies", "peerDependencies", "bundleDependencies"):
            deps = manifest.get(section)
            names = deps if isinstance(deps, list) else list(deps) if isinstance(deps, dict) else []
            for dep in names:
                if isinstance(dep, str) and (sdk := self.signals.sdk("npm", dep)):
                    yield f"depends on the AI SDK {sdk}"
        modules = folder / "node_modules"
        if modules.is_dir():
            for package in _node_packages(modules):
                if sdk := self.signals.sdk("npm", package.relative_to(modules).as_posix()):
                    yield f"bundles the AI SDK {sdk}"

    # --- JetBrains ---

    def jetbrains(self) -> None:
        for base in (self.home / ".local/share/JetBrains", self.home / ".var/app"):
            if not base.is_dir():
                continue
            for ide in sorted(p for p in base.iterdir() if p.is_dir()):
                plugins = ide if base.name == "JetBrains" else ide / "data/JetBrains"
                if not plugins.is_dir():
                    continue
                folders = [ide] if base.name == "JetBrains" else sorted(p for p in plugins.iterdir() if p.is_dir())
                for product in folders:
                    for plugin in sorted(p for p in product.iterdir() if (p / "lib").is_dir()):
                        self.jetbrains_plugin(plugin, product.name)
        for folder in JETBRAINS_ELSEWHERE:
            base = self.home / folder
            for product in sorted(p for p in base.iterdir() if (p / "plugins").is_dir()) if base.is_dir() else []:
                for plugin in sorted(p for p in (product / "plugins").iterdir() if (p / "lib").is_dir()):
                    self.jetbrains_plugin(plugin, product.name)

    def jetbrains_plugin(self, plugin: Path, product: str) -> None:
        for jar in sorted((plugin / "lib").glob("*.jar")):
            try:
                with zipfile.ZipFile(jar) as archive:
                    try:
                        xml = archive.read("META-INF/plugin.xml")
                    except KeyError:
                        continue
            except (OSError, zipfile.BadZipFile) as exc:
                self.problem(jar, f"cannot be read as a jar ({_short(exc)}); skipped")
                continue
            try:
                tree = ElementTree.fromstring(xml)
            except ElementTree.ParseError as exc:
                self.problem(jar, f"its META-INF/plugin.xml is not XML ({exc}); skipped")
                return
            ident = (tree.findtext("id") or tree.findtext("name") or plugin.name).strip()
            self.found(
                "jetbrains",
                ident,
                name=(tree.findtext("name") or ident).strip(),
                version=(tree.findtext("version") or "").strip() or None,
                path=plugin,
                found_by="jetbrains-plugin",
                where=f"JetBrains {product} plugins",
            )
            return

    # --- npm ---

    def npm_roots(self) -> list[tuple[Path, str]]:
        roots = [(self.under_root(p) / "lib/node_modules", f"npm global ({p})") for p in ("/usr", "/usr/local")]
        npmrc = self.home / ".npmrc"
        try:
            for line in npmrc.read_text(encoding="utf-8", errors="replace").splitlines():
                key, _, value = line.partition("=")
                if key.strip() == "prefix" and value.strip():
                    prefix = Path(os.path.expandvars(value.strip().replace("~", str(self.home), 1)))
                    roots.append((prefix / "lib/node_modules", f"npm global ({value.strip()}, from ~/.npmrc)"))
        except OSError:
            pass
        roots.append((self.home / ".npm-global/lib/node_modules", "npm global (~/.npm-global)"))
        roots.append((self.home / "AppData/Roaming/npm/node_modules", "npm global (Windows, %APPDATA%\\npm)"))
        for pattern, label in (
            (".nvm/versions/node/*/lib/node_modules", "nvm"),
            (".local/share/fnm/node-versions/*/installation/lib/node_modules", "fnm"),
            (".volta/tools/image/packages/*/lib/node_modules", "Volta"),
            (".local/share/pnpm/global/*/node_modules", "pnpm global"),
            (".bun/install/global/node_modules", "Bun global"),
        ):
            roots += [
                (p, f"{label} ({p.parent.parent.name if label == 'nvm' else p.parent.name})")
                for p in sorted(self.home.glob(pattern))
            ]
        seen: set[Path] = set()
        unique = []
        for path, label in roots:
            if path.is_dir() and path.resolve() not in seen:
                seen.add(path.resolve())
                unique.append((path, label))
        return unique

    def npm(self) -> None:
        for modules, label in self.npm_roots():
            for package in _node_packages(modules):
                manifest = self.read_json(package / "package.json")
                if not isinstance(manifest, dict):
                    continue
                name = _text(manifest.get("name")) or package.relative_to(modules).as_posix()
                signals = list(self.package_json_signals(manifest, package))
                if sdk := self.signals.sdk("npm", name):
                    signals.insert(0, f"is the AI SDK {sdk}")
                if not signals and self.hints.match("npm", name) is None:
                    signals = self.host_signals(self.program_hosts(package, manifest), verb="names")
                self.found(
                    "npm",
                    name,
                    name=name,
                    version=_text(manifest.get("version")),
                    path=package,
                    found_by="npm-global",
                    where=label,
                    ai_signals=signals,
                )

    # --- Python ---

    def python(self) -> None:
        places: list[tuple[Path, str]] = []
        for pattern in ("usr/lib/python3*/*-packages", "usr/local/lib/python3*/*-packages"):
            places += [(p, f"Python (/{p.relative_to(self.root)})") for p in sorted(self.root.glob(pattern))]
        places += [(p, "Python user packages") for p in sorted(self.home.glob(".local/lib/python3*/site-packages"))]
        for pattern, label in (
            (".pyenv/versions/*/lib/python3*/site-packages", "pyenv"),
            ("*conda3/lib/python3*/site-packages", "conda"),
            ("*conda3/envs/*/lib/python3*/site-packages", "conda environment"),
            (".virtualenvs/*/lib/python3*/site-packages", "virtualenv"),
        ):
            places += [(p, f"Python ({label} {_env_name(p)})") for p in sorted(self.home.glob(pattern))]
        for site, label in places:
            for dist in self.distributions(site):
                self.distribution(dist, found_by="python-package", where=label)
        for pattern, found_by, label in (
            (".local/share/pipx/venvs/*", "pipx", "pipx"),
            (".local/pipx/venvs/*", "pipx", "pipx"),
            (".local/share/uv/tools/*", "uv-tool", "uv tool"),
        ):
            for venv in sorted(p for p in self.home.glob(pattern) if p.is_dir()):
                self.tool_environment(venv, found_by, label)  # type: ignore[arg-type]

    def distributions(self, site: Path) -> list[tuple[str, str | None, list[str], Path]]:
        """(name, version, requirements, dist-info folder) of every distribution in a site-packages folder."""
        found = []
        for info in sorted(site.glob("*.dist-info")):
            try:
                text = (info / "METADATA").read_text(encoding="utf-8", errors="replace")
            except OSError:
                continue
            headers, _, _body = text.partition("\n\n")
            name = version = None
            requires: list[str] = []
            for line in headers.splitlines():
                key, _, value = line.partition(":")
                if key == "Name":
                    name = value.strip()
                elif key == "Version":
                    version = value.strip()
                elif key == "Requires-Dist":
                    requires.append(re.split(r"[\s;<>=!~\[(]", value.strip(), maxsplit=1)[0])
            if name:
                found.append((name, version, requires, info))
        return found

    def distribution(self, dist: tuple[str, str | None, list[str], Path], *, found_by: FoundBy, where: str) -> None:
        name, version, requires, info = dist
        signals = [f"depends on the AI SDK {sdk}" for r in requires if (sdk := self.signals.sdk("pypi", r))]
        if sdk := self.signals.sdk("pypi", name):
            signals.insert(0, f"is the AI SDK {sdk}")
        self.found(
            "pypi", name, name=name, version=version, path=info, found_by=found_by, where=where, ai_signals=signals
        )

    def tool_environment(self, venv: Path, found_by: FoundBy, label: str) -> None:
        """A pipx or uv tool environment: one app (its main package), AI if it or anything inside it is."""
        main = venv.name
        metadata = self.read_json(venv / "pipx_metadata.json")
        if isinstance(metadata, dict):
            main = str(_mapping(metadata.get("main_package")).get("package") or main)
        receipt = venv / "uv-receipt.toml"
        if receipt.is_file():
            try:
                requirements = tomllib.loads(receipt.read_text(encoding="utf-8"))["tool"]["requirements"]
                main = str(requirements[0].get("name", main))
            except (
                OSError,
                UnicodeDecodeError,
                tomllib.TOMLDecodeError,
                KeyError,
                IndexError,
                TypeError,
                AttributeError,
            ):
                self.problem(receipt, "cannot be read as uv's receipt; the folder name is used")
        dists = [d for site in sorted(venv.glob("lib/python3*/site-packages")) for d in self.distributions(site)]
        mine = next((d for d in dists if package_key("pypi", d[0]) == package_key("pypi", main)), None)
        signals = [f"holds the AI SDK {sdk}" for d in dists if (sdk := self.signals.sdk("pypi", d[0]))]
        self.found(
            "pypi",
            main,
            name=mine[0] if mine else main,
            version=mine[1] if mine else None,
            path=venv,
            found_by=found_by,
            where=f"{label} environment",
            ai_signals=signals,
        )

    # --- desktop apps ---

    def desktop_entries(self) -> None:
        folders = [
            self.home / ".local/share/applications",
            self.home / ".local/share/flatpak/exports/share/applications",
            self.under_root("/usr/share/applications"),
            self.under_root("/usr/local/share/applications"),
            self.under_root("/var/lib/flatpak/exports/share/applications"),
            self.under_root("/var/lib/snapd/desktop/applications"),
        ]
        for folder in folders:
            for entry in sorted(folder.glob("*.desktop")) if folder.is_dir() else []:
                parser = configparser.ConfigParser(interpolation=None, strict=False)
                try:
                    parser.read_string(entry.read_text(encoding="utf-8", errors="replace"))
                    section = parser["Desktop Entry"]
                except (OSError, configparser.Error, KeyError):
                    continue
                name = section.get("Name", entry.stem)
                command = (section.get("Exec") or "").split()
                program = Path(command[0].strip('"')).name if command else ""
                app = (
                    self.hints.match("desktop", entry.name)
                    or self.hints.match("processes", program)
                    or self.hints.names.get(name.lower())
                )
                if app is not None:
                    self.add(
                        FoundApp(
                            app,
                            name,
                            section.get("X-AppImage-Version") or section.get("Version"),
                            str(entry),
                            "desktop-entry",
                            f"desktop entries ({folder})",
                            (f"desktop entry {entry.name}" + (f" runs {program}" if program else ""),),
                        )
                    )

    def appimages(self) -> None:
        folders = [
            self.home / "Applications",
            self.home / "Downloads",
            self.home / ".local/bin",
            self.home / "bin",
            self.under_root("/opt"),
        ]
        for folder in folders:
            for image in sorted(folder.glob("*.[Aa]pp[Ii]mage")) if folder.is_dir() else []:
                lower = image.name.lower()
                app = next((a for prefix, a in self.hints.appimage if lower.startswith(prefix)), None)
                if app is not None:
                    version = re.search(r"(\d+(?:\.\d+)+)", image.name)
                    self.add(
                        FoundApp(
                            app,
                            image.stem,
                            version.group(1) if version else None,
                            str(image),
                            "appimage",
                            f"AppImages ({folder})",
                            (f"AppImage {image.name}",),
                        )
                    )

    def flatpaks(self) -> None:
        for base, scope in (
            (self.under_root("/var/lib/flatpak/app"), "system"),
            (self.home / ".local/share/flatpak/app", "user"),
        ):
            for app_dir in sorted(p for p in base.iterdir() if p.is_dir()) if base.is_dir() else []:
                self.found(
                    "flatpak",
                    app_dir.name,
                    name=app_dir.name,
                    version=None,
                    path=app_dir,
                    found_by="flatpak",
                    where=f"Flatpak ({scope})",
                )

    def snaps(self) -> None:
        base = self.under_root("/snap")
        for snap in sorted(p for p in base.iterdir() if p.is_dir()) if base.is_dir() else []:
            version = None
            current = snap / "current"
            if current.is_symlink():
                version = os.readlink(current)
            self.found("snap", snap.name, name=snap.name, version=version, path=snap, found_by="snap", where="Snap")

    def opt(self) -> None:
        base = self.under_root("/opt")
        for folder in sorted(p for p in base.iterdir() if p.is_dir()) if base.is_dir() else []:
            key = folder.name.lower()
            app = self.hints.names.get(key) or (key if key in load_catalog().apps else None)
            app = app or self.hints.match("desktop", key)
            signals = list(self.bundled_sdks(folder))
            if app is not None:
                self.add(FoundApp(app, folder.name, None, str(folder), "opt", "/opt", (f"/opt/{folder.name}",)))
            elif signals:
                self.add(FoundApp(None, folder.name, None, str(folder), "opt", "/opt", tuple(signals)))
        for path, app in self.hints.linux_paths:
            where = self.under_root(path)
            if where.exists():
                self.add(
                    FoundApp(
                        app,
                        Path(path).name,
                        None,
                        str(where),
                        "install-path",
                        "the catalog's install path",
                        (f"the catalog names {path}",),
                    )
                )

    def bundled_sdks(self, folder: Path) -> Iterator[str]:
        """AI SDKs an Electron app in ``folder`` bundles: in ``resources/app/node_modules`` or its app.asar."""
        for resources in (folder / "resources", folder):
            modules = resources / "app/node_modules"
            if modules.is_dir():
                for package in _node_packages(modules):
                    if sdk := self.signals.sdk("npm", package.relative_to(modules).as_posix()):
                        yield f"bundles the AI SDK {sdk}"
            asar = resources / "app.asar"
            if asar.is_file():
                for name in _asar_node_modules(asar):
                    if sdk := self.signals.sdk("npm", name):
                        yield f"bundles the AI SDK {sdk} (in app.asar)"

    # --- browsers ---

    def browsers(self) -> None:
        for browser, folder in CHROMIUM_BROWSERS:
            base = self.home / folder
            for profile in sorted(p for p in base.iterdir() if (p / "Extensions").is_dir()) if base.is_dir() else []:
                for ext in sorted(p for p in (profile / "Extensions").iterdir() if p.is_dir()):
                    versions = sorted((v for v in ext.iterdir() if (v / "manifest.json").is_file()), key=_version_key)
                    if versions:
                        self.chromium_extension(ext.name, versions[-1], f"{browser} profile {profile.name}")
        for folder in FIREFOX_PROFILES:
            self.firefox_profiles(self.home / folder)

    def firefox_profiles(self, base: Path) -> None:
        for profile in sorted(p for p in base.iterdir() if (p / "extensions.json").is_file()) if base.is_dir() else []:
            data = self.read_json(profile / "extensions.json")
            for addon in _list(_mapping(data).get("addons")):
                if (
                    isinstance(addon, dict)
                    and addon.get("type") == "extension"
                    and addon.get("location") != "app-builtin"
                ):
                    self.firefox_addon(addon, profile)

    def chromium_extension(self, ident: str, folder: Path, where: str) -> None:
        manifest = self.read_json(folder / "manifest.json")
        if not isinstance(manifest, dict):
            return
        name = _text(manifest.get("name")) or ident
        if name.startswith("__MSG_"):
            name = self.chromium_message(folder, manifest, name) or ident
        hosts = [*_strings(manifest.get("host_permissions")), *_strings(manifest.get("permissions"))]
        for script in _list(manifest.get("content_scripts")):
            if isinstance(script, dict):
                hosts += _strings(script.get("matches"))
        self.found(
            "chrome",
            ident,
            name=name,
            version=_text(manifest.get("version")),
            path=folder,
            found_by="browser-extension",
            where=where,
            ai_signals=self.host_signals(hosts),
        )

    def chromium_message(self, folder: Path, manifest: Mapping[str, Any], name: str) -> str | None:
        key = name.removeprefix("__MSG_").removesuffix("__").lower()
        locale = _text(manifest.get("default_locale")) or "en"
        messages = self.read_json(folder / "_locales" / locale / "messages.json")
        if isinstance(messages, dict):
            for k, v in messages.items():
                if k.lower() == key and isinstance(v, dict):
                    return _text(v.get("message"))
        return None

    def firefox_addon(self, addon: Mapping[str, Any], profile: Path) -> None:
        ident = _text(addon.get("id")) or ""
        locale = _mapping(addon.get("defaultLocale"))
        hosts = _strings(_mapping(addon.get("userPermissions")).get("origins"))
        self.found(
            "firefox",
            ident,
            name=_text(locale.get("name")) or ident,
            version=_text(addon.get("version")),
            path=Path(_text(addon.get("path")) or profile / "extensions" / f"{ident}.xpi"),
            found_by="browser-extension",
            where=f"Firefox profile {profile.name}",
            ai_signals=self.host_signals(hosts),
        )

    def host_signals(self, patterns: Iterable[str], *, verb: str = "asks for") -> list[str]:
        """``asks for hosts of OpenAI (chatgpt.com)`` for the hosts (or match patterns) of AI operators."""
        by_operator: dict[str, list[str]] = {}
        for pattern in sorted(patterns):
            host = _pattern_host(pattern) if "/" in pattern else pattern
            if host and (operator := self.signals.is_ai_host(host)):
                by_operator.setdefault(operator, []).append(host)
        return [
            f"{verb} hosts of {op} ({', '.join(list(dict.fromkeys(h))[:4])}{', …' if len(set(h)) > 4 else ''})"
            for op, h in by_operator.items()
        ]

    def program_hosts(self, package: Path, manifest: Mapping[str, Any]) -> set[str]:
        """AI operators' hosts named in a package's programs.

        Its ``bin`` and ``main`` files, and the ``bin`` files of the platform packages it installed as optional
        dependencies (a launcher and its native binary).
        """
        files = _entry_files(package, manifest)
        optional = manifest.get("optionalDependencies")
        for dep in optional if isinstance(optional, dict) else {}:
            inner = package / "node_modules" / dep
            if not inner.is_dir():
                inner = package.parent / dep  # hoisted beside it
            dep_manifest = self.read_json(inner / "package.json") if inner.is_dir() else None
            if isinstance(dep_manifest, dict):
                files += _entry_files(inner, dep_manifest)
                files += [p for p in (inner / "bin").glob("*") if p.is_file()]
        hosts: set[str] = set()
        for file in dict.fromkeys(files):
            hosts |= self.signals.hosts_in(file)
        return hosts

    # --- processes ---

    def processes(self) -> None:
        import psutil

        for process in psutil.process_iter(["pid", "name", "exe", "cmdline"]):
            info = process.info
            name = info.get("name") or ""
            app = self.hints.match("processes", name)
            cmdline = info.get("cmdline") or []
            if app is None and name in ("node", "bun", "deno") and len(cmdline) > 1:
                script = cmdline[1]
                match = re.search(r"node_modules/((?:@[^/]+/)?[^/]+)", script)
                if match:
                    app = self.hints.match("npm", match.group(1))
            if app is not None:
                path = info.get("exe") or (cmdline[0] if cmdline else name)
                self.add(
                    FoundApp(
                        app, name, None, str(path), "process", f"running process {info['pid']}", (f"process {name}",)
                    )
                )


def _env_name(site: Path) -> str:
    """The environment a site-packages folder belongs to: ``3.11.7`` for pyenv's ``versions/3.11.7/lib/...``."""
    return site.parents[2].name


def _entry_files(package: Path, manifest: Mapping[str, Any]) -> list[Path]:
    """The files a package runs: its ``bin`` targets and ``main``, those that exist inside it."""
    targets: list[str] = []
    bins = manifest.get("bin")
    if isinstance(bins, str):
        targets.append(bins)
    elif isinstance(bins, dict):
        targets += [v for v in bins.values() if isinstance(v, str)]
    if isinstance(manifest.get("main"), str):
        targets.append(manifest["main"])
    files = []
    for target in targets:
        path = (package / target).resolve()
        if path.is_file() and path.is_relative_to(package.resolve()):
            files.append(path)
    return files


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _mapping(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: object) -> list[Any]:
    return value if isinstance(value, list) else []


def _strings(value: object) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def _short(exc: BaseException) -> str:
    return str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__


def _version_key(path: Path) -> tuple[int, ...]:
    """Chrome's version folders (``1.2.3_0``) in version order."""
    return tuple(int(n) for n in re.findall(r"\d+", path.name)[:6])


def _pattern_host(pattern: str) -> str | None:
    """The host of a match pattern: ``https://*.openai.com/*`` → ``openai.com``; ``<all_urls>`` → None."""
    match = re.match(r"^(?:\*|https?|wss?)://(?:\*\.)?([^/:*]+)", pattern)
    return match.group(1).lower() if match else None


def _node_packages(modules: Path) -> Iterator[Path]:
    """The package folders in a node_modules folder (``@scope/name`` too)."""
    try:
        entries = sorted(modules.iterdir())
    except OSError:
        return
    for entry in entries:
        if entry.name.startswith("."):
            continue
        if entry.name.startswith("@") and entry.is_dir():
            yield from sorted(p for p in entry.iterdir() if p.is_dir())
        elif entry.is_dir():
            yield entry


def _asar_node_modules(asar: Path) -> list[str]:
    """The packages in an Electron archive's ``node_modules`` (read from its JSON header, never unpacked)."""
    try:
        with asar.open("rb") as handle:
            head = handle.read(16)
            if len(head) < 16:
                return []
            size = int.from_bytes(head[12:16], "little")  # Chromium pickle: 4, header size, 4+len, json length
            if size > 64 << 20:
                return []
            header = json.loads(handle.read(size))
    except (OSError, ValueError, RecursionError):
        return []
    modules = _mapping(_mapping(_mapping(_mapping(header).get("files")).get("node_modules")).get("files"))
    names = []
    for name, entry in modules.items():
        if name.startswith("@") and isinstance(entry, dict):
            names += [f"{name}/{inner}" for inner in _mapping(entry.get("files"))]
        else:
            names.append(name)
    return names


FINDERS: tuple[tuple[str, Callable[[_Finder], None]], ...] = (
    ("editor extensions", _Finder.editors),
    ("JetBrains plugins", _Finder.jetbrains),
    ("npm global packages", _Finder.npm),
    ("Python packages and tool environments", _Finder.python),
    ("desktop entries", _Finder.desktop_entries),
    ("AppImages", _Finder.appimages),
    ("Flatpak apps", _Finder.flatpaks),
    ("Snap apps", _Finder.snaps),
    ("/opt and install paths", _Finder.opt),
    ("browser extensions", _Finder.browsers),
)


def find_apps(
    *,
    home: Path | None = None,
    root: Path | None = None,
    processes: bool | None = None,
    hints: Hints | None = None,
    signals: Signals | None = None,
    progress: Callable[[int, int], None] = lambda done, total: None,
    cancelled: Callable[[], bool] = lambda: False,
) -> Inventory:
    """The AI apps installed under ``home`` (default: the user's) and ``root`` (default: ``/``).

    Running processes are looked at when ``processes`` is true, by default only when ``root`` is ``/`` (the
    processes running are this computer's, not another root's).
    """
    home = home or Path.home()
    root = root or Path("/")
    if processes is None:
        processes = root.resolve() == Path("/")
    inventory = Inventory(home=str(home), root=str(root))
    finder = _Finder(inventory, hints or catalog_hints(), signals or default_signals(), home, root)
    steps = [*FINDERS, *((("running processes", _Finder.processes),) if processes else ())]
    for done, (label, step) in enumerate(steps):
        if cancelled():
            inventory.notes.append(f"cancelled before {label}; the list is partial")
            break
        progress(done, len(steps))
        try:
            step(finder)
        except OSError as exc:  # a folder vanished or is unreadable midway: the other places still count
            inventory.problems.append(f"{label}: {exc.strerror or exc}; the rest was looked at")
        progress(done + 1, len(steps))
    seen: set[tuple[str | None, str]] = set()
    unique = []
    for app in inventory.apps:
        if app.key not in seen:
            seen.add(app.key)
            unique.append(app)
    inventory.apps = sorted(unique, key=lambda a: (a.app is None, a.app or "", a.name.lower(), a.path))
    return inventory


def inventory_jsonable(inventory: Inventory, assessed: Mapping[str, Mapping[str, Any]] | None = None) -> dict[str, Any]:
    """What ``--json`` writes: each app found, and (with ``--assess``) its verdict and assessment id by path."""
    assessed = assessed or {}
    return {
        "format": 1,
        "home": inventory.home,
        "root": inventory.root,
        "apps": [
            {
                "app": a.app or "unknown",
                "name": a.name,
                "version": a.version,
                "path": a.path,
                "found_by": a.found_by,
                "where": a.where,
                "signals": list(a.signals),
                **assessed.get(a.path, {}),
            }
            for a in inventory.apps
        ],
        "problems": inventory.problems,
        "notes": inventory.notes,
    }


__all__ = [
    "CHROMIUM_BROWSERS",
    "EDITORS",
    "FINDERS",
    "FIREFOX_PROFILES",
    "JETBRAINS_ELSEWHERE",
    "FoundApp",
    "Hints",
    "Inventory",
    "Signals",
    "catalog_hints",
    "default_signals",
    "find_apps",
    "inventory_jsonable",
]
