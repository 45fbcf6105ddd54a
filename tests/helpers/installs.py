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


def _packages(site: Path, package: str, version: str, inside: tuple[tuple[str, str], ...]) -> None:
    """A tool environment's packages: the app's own, requiring each of ``inside``, and those."""
    dist_info(site, package, version, requires=tuple(name for name, _ in inside))
    for name, dep_version in inside:
        dist_info(site, name, dep_version)


def pipx_venv(home: Path, package: str, version: str, *, inside: tuple[tuple[str, str], ...] = ()) -> Path:
    """An app as pipx installs it: ``~/.local/share/pipx/venvs/NAME`` with ``pipx_metadata.json``."""
    venv = home / ".local/share/pipx/venvs" / package
    site = venv / "lib/python3.11/site-packages"
    _packages(site, package, version, inside)
    metadata = {"main_package": {"package": package, "package_or_url": package, "package_version": version},
                "pipx_metadata_version": "0.5", "python_version": "Python 3.11.7"}  # fmt: skip
    _write(venv / "pipx_metadata.json", json.dumps(metadata))
    return venv


def uv_tool(home: Path, package: str, version: str, *, inside: tuple[tuple[str, str], ...] = ()) -> Path:
    """An app as ``uv tool install`` leaves it: ``~/.local/share/uv/tools/NAME`` with ``uv-receipt.toml``."""
    venv = home / ".local/share/uv/tools" / package
    site = venv / "lib/python3.12/site-packages"
    _packages(site, package, version, inside)
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


def plant(home: Path, root: Path) -> None:
    """One home and one root with AI apps everywhere they live, and a few programs that are not AI apps."""
    code = home / ".vscode/extensions"
    vscode_extension(code, "GitHub", "copilot", "1.250.0", categories=("AI", "Chat"))
    old = vscode_extension(code, "GitHub", "copilot", "1.200.0")
    (code / ".obsolete").write_text(json.dumps({old.name: True}), encoding="utf-8")
    vscode_extension(code, "ms-python", "python", "2024.2.1", categories=("Programming Languages",))
    vscode_extension(code, "acme", "helper", "0.3.0", dependencies={"openai": "^4.52.0"}, listed=False)
    vscode_extension(code, "acme", "chatpane", "1.0.0", categories=("Chat",), platform="linux-x64")
    vscode_extension(home / ".cursor/extensions", "Codeium", "codeium", "1.9.0")
    jetbrains_plugin(home, "IntelliJIdea2024.3", "github-copilot-intellij", "com.github.copilot",
                              "GitHub Copilot", "1.5.30")  # fmt: skip
    jetbrains_plugin(home, "PyCharm2024.3", "rainbow-brackets", "izhangzhihao.rainbow.brackets",
                              "Rainbow Brackets", "2024.2.9")  # fmt: skip

    usr_local = root / "usr/local/lib/node_modules"
    npm_package(usr_local, "@anthropic-ai/claude-code", "2.1.332")
    npm_package(usr_local, "@google/gemini-cli", "0.61.0")
    npm_package(usr_local, "typescript", "5.6.3")
    npm_package(usr_local, "acme-agent", "0.1.0", dependencies={"@anthropic-ai/sdk": "^0.30.0"})
    npm_package(
        usr_local,
        "acme-code",
        "2.0.0",
        program=b'const BASE = "https://api.deepseek.com/v1";\nconst x = "notapi.deepseek.company";\n',
    )
    npm_package(
        usr_local,
        "acme-native",
        "1.1.0",
        platform_binary=b"\x7fELF\x00\x00https://api.moonshot.cn/v1\x00"
        + b"\x00" * (9 << 20)
        + b"\x00api.anthropic.com\x00",
    )  # past the first 8 MB chunk
    npm_package(usr_local, "left-pad", "1.3.0", program=b'module.exports = "docs.example.com";\n')
    nvm = home / ".nvm/versions/node/v22.11.0/lib/node_modules"
    npm_package(nvm, "@qwen-code/qwen-code", "0.24.4")

    site = root / "usr/local/lib/python3.11/dist-packages"
    dist_info(site, "openai", "1.54.0", requires=("httpx<1,>=0.23.0", "pydantic<3,>=1.9.0"))
    dist_info(site, "requests", "2.32.3", requires=("idna<4,>=2.5",))
    dist_info(site, "langchain-openai", "0.2.9", requires=("openai<2.0.0,>=1.54.0",))
    dist_info(home / ".pyenv/versions/3.12.1/lib/python3.12/site-packages", "groq", "0.13.0", requires=("httpx",))
    pipx_venv(home, "llm", "0.36", inside=(("openai", "1.54.0"), ("click", "8.1.7")))
    uv_tool(home, "aider-chat", "0.86.2", inside=(("anthropic", "0.40.0"),))
    uv_tool(home, "ruff", "0.7.0")

    desktop_entry(home / ".local/share/applications", "cursor.desktop", name="Cursor",
                           exec_line="/opt/cursor/cursor --no-sandbox %F")  # fmt: skip
    desktop_entry(root / "usr/share/applications", "org.gnome.Calculator.desktop", name="Calculator",
                           exec_line="gnome-calculator")  # fmt: skip
    (home / "Applications").mkdir()
    (home / "Applications/LM-Studio-0.3.5-x64.AppImage").write_bytes(b"\x7fELF")
    (root / "opt/Claude").mkdir(parents=True)
    (root / "usr/local/bin").mkdir(parents=True)
    (root / "usr/local/bin/ollama").write_bytes(b"\x7fELF")

    chrome = home / ".config/google-chrome"
    chromium_extension(chrome, "Default", "a" * 32, "2.4.1", name="Chat Sidebar",
                                hosts=("https://chatgpt.com/*", "https://*.openai.com/*"))  # fmt: skip
    chromium_extension(chrome, "Profile 1", "b" * 32, "1.0", name="Dark Reader",
                                hosts=("<all_urls>",))  # fmt: skip
    chromium_extension(home / ".config/BraveSoftware/Brave-Browser", "Default", "c" * 32, "3.0",
                                name="Prompt Helper", hosts=("https://claude.ai/*",))  # fmt: skip
    profile = home / ".mozilla/firefox/x1y2z3.default-release"
    firefox_addon(profile, "sidebar@example.test", "4.2", name="AI Sidebar",
                           origins=("https://chat.deepseek.com/*",))  # fmt: skip
    firefox_addon(profile, "uBlock0@raymondhill.net", "1.60.0", name="uBlock Origin",
                           origins=("<all_urls>",))  # fmt: skip
