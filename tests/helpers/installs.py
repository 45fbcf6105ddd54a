"""Fake homes and roots laid out exactly as the real programs lay them out (docs/inventory.md cites each layout).

Each function writes one kind of installation under a folder a test gives (a tmp_path), with the files and the
fields the real program writes; nothing is made up beyond the ids and versions a test chooses.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def vscode_extension(
    extensions: Path,
    publisher: str,
    name: str,
    version: str,
    *,
    platform: str | None = None,
    display: str | None = None,
    categories: tuple[str, ...] = (),
    dependencies: dict[str, str] | None = None,
    listed: bool = True,
) -> Path:
    """An extension as VS Code (and its forks) installs it: ``publisher.name-version[-platform]/package.json``,
    listed in the folder's ``extensions.json`` (ids lower-case there, as VS Code writes them)."""
    folder = extensions / (f"{publisher.lower()}.{name.lower()}-{version}" + (f"-{platform}" if platform else ""))
    manifest: dict[str, Any] = {
        "name": name,
        "displayName": display or name,
        "publisher": publisher,
        "version": version,
        "engines": {"vscode": "^1.90.0"},
        "categories": list(categories),
        "main": "./dist/extension.js",
        "dependencies": dependencies or {},
        "devDependencies": {"@types/vscode": "^1.90.0", "openai": "^4.0.0"},  # never counted
    }
    _write(folder / "package.json", json.dumps(manifest, indent=2))
    _write(folder / "dist/extension.js", "exports.activate = () => {};\n")
    if listed:
        index = extensions / "extensions.json"
        entries = json.loads(index.read_text(encoding="utf-8")) if index.exists() else []
        entries.append(
            {
                "identifier": {"id": f"{publisher}.{name}".lower(), "uuid": "00000000-0000-4000-8000-000000000000"},
                "version": version,
                "location": {"$mid": 1, "fsPath": str(folder), "path": str(folder), "scheme": "file"},
                "relativeLocation": folder.name,
                "metadata": {"source": "gallery", "targetPlatform": platform or "undefined", "updated": False},
            }
        )
        index.write_text(json.dumps(entries), encoding="utf-8")
    return folder


def jetbrains_plugin(home: Path, product: str, folder: str, plugin_id: str, name: str, version: str) -> Path:
    """A plugin as a JetBrains IDE (2020.1 and later) installs it on Linux: ``~/.local/share/JetBrains/PRODUCT/
    FOLDER/lib/FOLDER.jar`` holding ``META-INF/plugin.xml``."""
    lib = home / ".local/share/JetBrains" / product / folder / "lib"
    lib.mkdir(parents=True)
    with zipfile.ZipFile(lib / f"{folder}-{version}.jar", "w") as jar:
        jar.writestr(
            "META-INF/plugin.xml",
            f"<idea-plugin><id>{plugin_id}</id><name>{name}</name><version>{version}</version>"
            "<vendor>Example</vendor></idea-plugin>",
        )
    with zipfile.ZipFile(lib / "kotlinx-coroutines.jar", "w") as jar:
        jar.writestr("kotlinx/coroutines/Job.class", b"\xca\xfe\xba\xbe")
    return lib.parent


def npm_package(
    modules: Path,
    name: str,
    version: str,
    *,
    dependencies: dict[str, str] | None = None,
    program: bytes = b"#!/usr/bin/env node\n",
    platform_binary: bytes | None = None,
) -> Path:
    """A package as ``npm install -g`` leaves it in npm's global root (``PREFIX/lib/node_modules/NAME``).

    ``platform_binary``: the package is a launcher whose native program comes in an optional dependency
    ``NAME-linux-x64`` (its ``bin/NAME``), installed inside it, as esbuild-style CLIs ship.
    """
    folder = modules / name
    short = name.rsplit("/", 1)[-1]
    manifest: dict[str, Any] = {"name": name, "version": version, "bin": {short: "cli.js"},
                                "dependencies": dependencies or {}}  # fmt: skip
    if platform_binary is not None:
        manifest["optionalDependencies"] = {f"{short}-linux-x64": version, f"{short}-darwin-arm64": version}
        inner = folder / "node_modules" / f"{short}-linux-x64"
        _write(inner / "package.json", json.dumps({"name": f"{short}-linux-x64", "version": version, "os": ["linux"]}))
        (inner / "bin").mkdir()
        (inner / "bin" / short).write_bytes(platform_binary)
    _write(folder / "package.json", json.dumps(manifest))
    (folder / "cli.js").write_bytes(program)
    for dep in dependencies or {}:
        _write(folder / "node_modules" / dep / "package.json", json.dumps({"name": dep, "version": "1.0.0"}))
    return folder


def dist_info(site: Path, name: str, version: str, *, requires: tuple[str, ...] = ()) -> Path:
    """A distribution as pip installs it: ``NAME-VERSION.dist-info/METADATA`` (core metadata 2.1)."""
    info = site / f"{name.replace('-', '_')}-{version}.dist-info"
    lines = ["Metadata-Version: 2.1", f"Name: {name}", f"Version: {version}", "Summary: a package"]
    lines += [f"Requires-Dist: {r}" for r in requires]
    _write(info / "METADATA", "\n".join(lines) + "\n\nLong description.\n")
    _write(info / "RECORD", "")
    return info


def pipx_venv(home: Path, package: str, version: str, *, inside: tuple[tuple[str, str], ...] = ()) -> Path:
    """An app as pipx installs it: ``~/.local/share/pipx/venvs/NAME`` with ``pipx_metadata.json``."""
    venv = home / ".local/share/pipx/venvs" / package
    site = venv / "lib/python3.11/site-packages"
    dist_info(site, package, version, requires=tuple(name for name, _ in inside))
    for name, dep_version in inside:
        dist_info(site, name, dep_version)
    metadata = {"main_package": {"package": package, "package_or_url": package, "package_version": version},
                "pipx_metadata_version": "0.5", "python_version": "Python 3.11.7"}  # fmt: skip
    _write(venv / "pipx_metadata.json", json.dumps(metadata))
    return venv


def uv_tool(home: Path, package: str, version: str, *, inside: tuple[tuple[str, str], ...] = ()) -> Path:
    """An app as ``uv tool install`` leaves it: ``~/.local/share/uv/tools/NAME`` with ``uv-receipt.toml``."""
    venv = home / ".local/share/uv/tools" / package
    site = venv / "lib/python3.12/site-packages"
    dist_info(site, package, version, requires=tuple(name for name, _ in inside))
    for name, dep_version in inside:
        dist_info(site, name, dep_version)
    _write(venv / "uv-receipt.toml", f'[tool]\nrequirements = [{{ name = "{package}" }}]\nentrypoints = []\n')
    return venv


def chromium_extension(
    user_data: Path, profile: str, ext_id: str, version: str, *, name: str, hosts: tuple[str, ...] = ()
) -> Path:
    """An extension as Chrome (and Chromium, Edge, Brave) unpacks it: ``PROFILE/Extensions/ID/VERSION_0/
    manifest.json``, its name through ``_locales`` as store extensions give it."""
    folder = user_data / profile / "Extensions" / ext_id / f"{version}_0"
    manifest = {
        "manifest_version": 3,
        "name": "__MSG_appName__",
        "default_locale": "en",
        "version": version,
        "host_permissions": list(hosts),
        "content_scripts": [{"matches": list(hosts[:1]), "js": ["content.js"]}],
        "update_url": "https://clients2.google.com/service/update2/crx",
    }
    _write(folder / "manifest.json", json.dumps(manifest))
    _write(folder / "_locales/en/messages.json", json.dumps({"appName": {"message": name}}))
    _write(user_data / "Local State", "{}")
    return folder


def firefox_addon(profile: Path, addon_id: str, version: str, *, name: str, origins: tuple[str, ...] = ()) -> Path:
    """An add-on as Firefox records it in the profile's ``extensions.json`` (and its ``extensions/ID.xpi``)."""
    index = profile / "extensions.json"
    data: dict[str, Any] = (
        json.loads(index.read_text(encoding="utf-8")) if index.exists() else {"schemaVersion": 36, "addons": []}
    )
    xpi = profile / "extensions" / f"{addon_id}.xpi"
    xpi.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(xpi, "w") as archive:
        archive.writestr("manifest.json", json.dumps({"name": name, "version": version}))
    data["addons"].append(
        {
            "id": addon_id,
            "version": version,
            "type": "extension",
            "location": "app-profile",
            "active": True,
            "defaultLocale": {"name": name, "description": None, "creator": None},
            "userPermissions": {"permissions": ["storage"], "origins": list(origins)},
            "path": str(xpi),
        }
    )
    _write(index, json.dumps(data))
    return xpi


def desktop_entry(folder: Path, file_name: str, *, name: str, exec_line: str) -> Path:
    """A freedesktop.org desktop entry (``[Desktop Entry]`` with Name and Exec)."""
    return _write(
        folder / file_name,
        f"[Desktop Entry]\nType=Application\nName={name}\nExec={exec_line}\nIcon=app\nCategories=Development;\n",
    )
