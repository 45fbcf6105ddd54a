"""Inventory of real AI apps installed from the registries into a temporary home and root: found, missed, time.

Goal (fleet issue): >= 12 real AI packages planted where they live, each found and matched, in <= 10 s. What is
installed, all with the ordinary clients, never into this Python:

- npm CLIs with ``npm install -g --prefix ROOT/usr/local --ignore-scripts`` (npm's global root under /usr/local),
  and one into an nvm tree (``HOME/.nvm/versions/node/v22.11.0``);
- Python SDKs with ``pip install --target ROOT/usr/local/lib/python3.11/dist-packages``;
- an app with pipx (``PIPX_HOME=HOME/.local/share/pipx``) and one with ``uv tool install``
  (``UV_TOOL_DIR=HOME/.local/share/uv/tools``); pipx and uv themselves are installed with pip --target into the
  work folder first.

- a VS Code extension whose manifest is published to npm as well (``claude-dev``: Cline's extension package,
  publisher ``saoudrizwan``, engines.vscode), fetched with ``npm pack`` and unpacked where VS Code keeps it
  (``HOME/.vscode/extensions/PUBLISHER.NAME-VERSION``).

Other editor and browser extensions are not fetched (their marketplaces are not package registries); the tests
lay them out as the editors and browsers do.

    python3 benchmarks/inventory_real.py [--work DIR]   # DIR kept and reused: installs are skipped when present
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

from databorder.inventory import find_apps

#: What is installed, and what the inventory should call it (a catalog id, or "unknown" with a signal).
NPM = {
    "@anthropic-ai/claude-code": "claude-code",
    "@google/gemini-cli": "gemini-cli",
    "@qwen-code/qwen-code": "qwen",
    "@openai/codex": "codex-cli",
    "@github/copilot": "github-copilot",
    "@augmentcode/auggie": "augment-code",
    "@kilocode/cli": "kilo-code",
    "@factory/cli": "factory-droid",
    "@jetbrains/junie": "junie",
    "groq-sdk": "groq",
    "cohere-ai": "cohere",
}
NVM = {"opencode-ai": "unknown"}
PIP = {
    "openai": "openai-api",
    "anthropic": "claude",
    "mistralai": "mistral-le-chat",
    "dashscope": "qwen",
    "zhipuai": "chatglm",
    "ollama": "ollama",
    "groq": "groq",
    "cohere": "cohere",
    "together": "together-ai",
    "replicate": "replicate",
    "elevenlabs": "elevenlabs",
    "huggingface-hub": "hugging-face",
}
PIPX = {"llm": "unknown"}
#: VS Code extensions whose package is on npm: npm name → (the extension's publisher.name, version, catalog id).
EXTENSIONS = {"claude-dev": ("saoudrizwan.claude-dev", "3.10.10", "cline")}
UV = {"aider-chat": "unknown"}


def _key(name: str) -> str:
    """A package name as npm and PyPI compare it (``huggingface_hub`` is ``huggingface-hub``)."""
    return name.lower().replace("_", "-")


def run(command: list[str], env: dict[str, str] | None = None) -> None:
    print("$", " ".join(command), flush=True)
    subprocess.run(command, check=True, env={**os.environ, **(env or {})}, stdout=subprocess.DEVNULL)


def install(work: Path) -> tuple[Path, Path]:
    home, root, tools = work / "home", work / "root", work / "tools"
    modules = root / "usr/local/lib/node_modules"
    if not all((modules / name).is_dir() for name in NPM):
        run(["npm", "install", "-g", "--prefix", str(root / "usr/local"), "--ignore-scripts", "--no-audit",
             "--no-fund", *NPM])  # fmt: skip
    nvm = home / ".nvm/versions/node/v22.11.0"
    if not all((nvm / "lib/node_modules" / name).is_dir() for name in NVM):
        run(["npm", "install", "-g", "--prefix", str(nvm), "--ignore-scripts", "--no-audit", "--no-fund", *NVM])
    for package, (ident, version, _) in EXTENSIONS.items():
        folder = home / ".vscode/extensions" / f"{ident}-{version}"
        if not (folder / "package.json").is_file():
            folder.mkdir(parents=True, exist_ok=True)
            command = ["npm", "pack", f"{package}@{version}", "--pack-destination", str(work)]
            packed = subprocess.run(command, check=True, capture_output=True, text=True).stdout.split()[-1]
            with tarfile.open(work / packed) as archive:  # npm's tarballs hold everything under package/
                for member in archive.getmembers():
                    if member.isfile() and member.name.startswith("package/"):
                        member.name = member.name.removeprefix("package/")
                        archive.extract(member, folder, filter="data")
    site = root / "usr/local/lib/python3.11/dist-packages"
    if not site.is_dir():
        run([sys.executable, "-m", "pip", "install", "-q", "--target", str(site), *PIP])
    if not (tools / "pipx").is_dir():
        run([sys.executable, "-m", "pip", "install", "-q", "--target", str(tools), "pipx", "uv"])
    env = {
        "PYTHONPATH": str(tools),
        "PIPX_HOME": str(home / ".local/share/pipx"),
        "PIPX_BIN_DIR": str(home / ".local/bin"),
    }
    for name in PIPX:
        if not (home / ".local/share/pipx/venvs" / name).is_dir():
            run([sys.executable, "-m", "pipx", "install", name], env)
    env = {"UV_TOOL_DIR": str(home / ".local/share/uv/tools"), "UV_TOOL_BIN_DIR": str(home / ".local/bin"),
           "UV_CACHE_DIR": str(work / "uv-cache")}  # fmt: skip
    for name in UV:
        if not (home / ".local/share/uv/tools" / name).is_dir():
            run([str(tools / "bin/uv"), "tool", "install", name], env)
    return home, root


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--work", type=Path, help="work folder to keep (default: a temporary one)")
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="databorder-inventory-"))
    home, root = install(work)
    started = time.perf_counter()
    inventory = find_apps(home=home, root=root, processes=False)
    elapsed = time.perf_counter() - started
    found = {_key(a.name): a for a in inventory.apps}
    expected = {**NPM, **NVM, **PIP, **PIPX, **UV}
    hits = 0
    print(f"\n{'package':30} {'expected':16} {'found as':16} how / why")
    for name, wanted in expected.items():
        app = found.get(_key(name))
        got = "MISSED" if app is None else (app.app or "unknown")
        hits += got == wanted
        why = "" if app is None else f"{app.found_by}: {'; '.join(app.signals)[:90]}"
        print(f"{name:30} {wanted:16} {got:16} {why}")
    for package, (ident, version, wanted) in EXTENSIONS.items():
        folder = str(home / ".vscode/extensions" / f"{ident}-{version}")
        app = next((a for a in inventory.apps if a.path == folder), None)
        got = "MISSED" if app is None else (app.app or "unknown")
        hits += got == wanted
        why = "" if app is None else f"{app.found_by}: {'; '.join(app.signals)[:90]}"
        print(f"{package + ' (VS Code)':30} {wanted:16} {got:16} {why}")
        expected[package] = wanted
        if app is not None:
            found.pop(_key(app.name), None)
    extra = sorted(set(found) - {_key(name) for name in expected})
    print(f"\n{hits}/{len(expected)} found and matched as expected in {elapsed:.2f} s (goal: >= 12 in <= 10 s)")
    print(f"also listed ({len(extra)}): {', '.join(extra) or '-'}")
    print(f"problems: {len(inventory.problems)}; work folder: {work}")


if __name__ == "__main__":
    main()
