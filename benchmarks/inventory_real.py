"""Inventory of real AI apps installed from the registries into a temporary home and root: found, missed, time.

Goal (fleet issue): >= 12 real AI packages planted where they live, each found and matched, in <= 10 s. What is
installed, all with the ordinary clients, never into this Python:

- npm CLIs with ``npm install -g --prefix ROOT/usr/local --ignore-scripts`` (npm's global root under /usr/local),
  and one into an nvm tree (``HOME/.nvm/versions/node/v22.11.0``);
- Python SDKs with ``pip install --target ROOT/usr/local/lib/python3.11/dist-packages``;
- an app with pipx (``PIPX_HOME=HOME/.local/share/pipx``) and one with ``uv tool install``
  (``UV_TOOL_DIR=HOME/.local/share/uv/tools``); pipx and uv themselves are installed with pip --target into the
  work folder first.

Editor and browser extensions are not fetched (their marketplaces are not package registries); the tests lay
them out as the editors and browsers do.

    python3 benchmarks/inventory_real.py [--work DIR]   # DIR kept and reused: installs are skipped when present
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
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
}
NVM = {"opencode-ai": "unknown"}
PIP = {
    "openai": "openai-api",
    "anthropic": "claude",
    "mistralai": "mistral-le-chat",
    "dashscope": "qwen",
    "zhipuai": "chatglm",
    "ollama": "ollama",
    "groq": "unknown",
}
PIPX = {"llm": "unknown"}
UV = {"aider-chat": "unknown"}


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
    found = {a.name: a for a in inventory.apps}
    expected = {**NPM, **NVM, **PIP, **PIPX, **UV}
    hits = 0
    print(f"\n{'package':30} {'expected':16} {'found as':16} how / why")
    for name, wanted in expected.items():
        app = found.get(name)
        got = "MISSED" if app is None else (app.app or "unknown")
        hits += got == wanted
        why = "" if app is None else f"{app.found_by}: {'; '.join(app.signals)[:90]}"
        print(f"{name:30} {wanted:16} {got:16} {why}")
    extra = sorted(set(found) - set(expected))
    print(f"\n{hits}/{len(expected)} found and matched as expected in {elapsed:.2f} s (goal: >= 12 in <= 10 s)")
    print(f"also listed ({len(extra)}): {', '.join(extra) or '-'}")
    print(f"problems: {len(inventory.problems)}; work folder: {work}")


if __name__ == "__main__":
    main()
