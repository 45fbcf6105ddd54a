from __future__ import annotations

import json
import shutil
import subprocess
import time
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from databorder.cli import main
from databorder.history import HistoryStore
from databorder.inventory import FoundApp, Hints, Inventory, catalog_hints, find_apps
from tests.conftest import DnsZone
from tests.helpers import installs
from tests.helpers.installs import plant


@pytest.fixture
def planted(tmp_path: Path) -> tuple[Path, Path]:
    home, root = tmp_path / "home", tmp_path / "root"
    plant(home, root)
    return home, root


def by_name(inventory: Inventory) -> dict[str, FoundApp]:
    return {a.name: a for a in inventory.apps}


def test_every_planted_ai_app_is_found_and_matched_and_nothing_else(planted: tuple[Path, Path]) -> None:
    home, root = planted
    inventory = find_apps(home=home, root=root)
    found = {(a.app, a.found_by, a.version) for a in inventory.known}
    assert found == {
        ("github-copilot", "editor-extension", "1.250.0"),  # the obsolete 1.200.0 is not
        ("windsurf", "editor-extension", "1.9.0"),  # Codeium's extension in Cursor
        ("github-copilot", "jetbrains-plugin", "1.5.30"),
        ("claude-code", "npm-global", "2.1.332"),
        ("gemini-cli", "npm-global", "0.61.0"),
        ("qwen", "npm-global", "0.24.4"),  # in an nvm tree
        ("openai-api", "python-package", "1.54.0"),
        ("groq", "python-package", "0.13.0"),  # an AI SDK the catalog names (it was an unknown one before)
        ("cursor", "desktop-entry", None),
        ("lm-studio", "appimage", "0.3.5"),
        ("claude", "opt", None),
        ("ollama", "install-path", None),
    }
    names = by_name(inventory)
    assert names["GitHub Copilot"].where == "JetBrains IntelliJIdea2024.3 plugins"
    assert names["@qwen-code/qwen-code"].where == "nvm (v22.11.0)"
    assert names["groq"].where == "Python (pyenv 3.12.1)"
    assert names["openai"].where == "Python (/usr/local/lib/python3.11/dist-packages)"
    unknown = {a.name: a.signals for a in inventory.apps if a.app is None}
    assert unknown == {
        "helper": ("depends on the AI SDK openai (npm, calls api.openai.com)",),
        "chatpane": ("marketplace category chat",),
        "acme-agent": (
            "depends on the AI SDK @anthropic-ai/sdk (npm, calls api.anthropic.com)",
            "bundles the AI SDK @anthropic-ai/sdk (npm, calls api.anthropic.com)",
        ),
        "acme-code": (unknown["acme-code"][0],),
        "acme-native": unknown["acme-native"],
        "langchain-openai": ("depends on the AI SDK openai (pypi, calls api.openai.com)",),
        "llm": ("holds the AI SDK openai (pypi, calls api.openai.com)",),
        "aider-chat": ("holds the AI SDK anthropic (pypi, calls api.anthropic.com)",),
        "Chat Sidebar": (unknown["Chat Sidebar"][0],),
        "Prompt Helper": (unknown["Prompt Helper"][0],),
        "AI Sidebar": (unknown["AI Sidebar"][0],),
    }
    assert (
        unknown["Chat Sidebar"][0].startswith("asks for hosts of OpenAI")
        and "chatgpt.com" in unknown["Chat Sidebar"][0]
    )
    assert "claude.ai" in unknown["Prompt Helper"][0] and "Anthropic" in unknown["Prompt Helper"][0]
    assert "chat.deepseek.com" in unknown["AI Sidebar"][0]
    assert (
        unknown["acme-code"][0].startswith("names hosts of Hangzhou DeepSeek")
        and "(api.deepseek.com)" in unknown["acme-code"][0]
    )
    native = "; ".join(unknown["acme-native"])
    assert "api.moonshot.cn" in native and "api.anthropic.com" in native and len(unknown["acme-native"]) == 2
    assert names["Chat Sidebar"].where == "Chrome profile Default" and names["Chat Sidebar"].version == "2.4.1"
    assert names["Prompt Helper"].where == "Brave profile Default"
    assert not {
        "python",
        "typescript",
        "left-pad",
        "requests",
        "ruff",
        "Dark Reader",
        "uBlock Origin",
        "Calculator",
    } & set(names)
    assert inventory.problems == []


def test_ids_from_the_catalog_match_browser_extensions_flatpaks_and_snaps(tmp_path: Path) -> None:
    home, root = tmp_path / "home", tmp_path / "root"
    installs.chromium_extension(home / ".config/microsoft-edge", "Default", "d" * 32, "1.2", name="Vendor Chat")
    installs.firefox_addon(home / ".mozilla/firefox/p.default", "chat@vendor.test", "1.0", name="Vendor Chat FF")
    (root / "var/lib/flatpak/app/io.vendor.Chat/current").mkdir(parents=True)
    (root / "snap/vendor-chat/42").mkdir(parents=True)
    (root / "snap/vendor-chat/current").symlink_to("42")
    base = catalog_hints()
    extra = {"chrome": {"d" * 32: "deepseek"}, "firefox": {"chat@vendor.test": "deepseek"},
             "flatpak": {"io.vendor.chat": "deepseek"}, "snap": {"vendor-chat": "deepseek"}}  # fmt: skip
    hints = Hints({**base.by_kind, **extra}, base.names, base.appimage, base.linux_paths)
    inventory = find_apps(home=home, root=root, hints=hints)
    assert sorted((a.found_by, a.where, a.version) for a in inventory.known) == [
        ("browser-extension", "Edge profile Default", "1.2"),
        ("browser-extension", "Firefox profile p.default", "1.0"),
        ("flatpak", "Flatpak (system)", None),
        ("snap", "Snap", "42"),
    ]


def test_damaged_files_are_named_and_skipped_and_the_rest_is_found(planted: tuple[Path, Path]) -> None:
    home, root = planted
    (root / "usr/local/lib/node_modules/broken").mkdir()
    (root / "usr/local/lib/node_modules/broken/package.json").write_text("{not json", encoding="utf-8")
    ext = home / ".vscode/extensions/bad.one-1.0.0"
    ext.mkdir()
    (ext / "package.json").write_bytes(b"\xff\xfe garbage")
    jar = home / ".local/share/JetBrains/GoLand2024.3/broken/lib/broken.jar"
    jar.parent.mkdir(parents=True)
    jar.write_bytes(b"not a zip")
    inventory = find_apps(home=home, root=root)
    problems = "\n".join(inventory.problems)
    assert "broken/package.json: cannot be read as JSON" in problems
    assert "bad.one-1.0.0/package.json: cannot be read as JSON" in problems
    assert "broken.jar: cannot be read as a jar" in problems
    assert len(inventory.known) == 12


def test_a_cancelled_inventory_says_it_is_partial(planted: tuple[Path, Path]) -> None:
    home, root = planted
    steps: list[tuple[int, int]] = []
    inventory = find_apps(home=home, root=root, progress=lambda d, t: steps.append((d, t)),
                          cancelled=lambda: len(steps) >= 4)  # fmt: skip
    assert inventory.notes == ["cancelled before npm global packages; the list is partial"]
    assert {a.found_by for a in inventory.apps} == {"editor-extension", "jetbrains-plugin"}


def _running_programs(folder: Path, count: int) -> list[FoundApp]:
    """The apps an inventory finds running from ``folder`` (only this test's programs: other workers may run
    programs of the same names), polled until ``count`` are seen or 5 s have passed."""
    deadline = time.monotonic() + 5
    while True:
        inventory = find_apps(home=folder, root=folder, processes=True)
        running = [a for a in inventory.apps if a.found_by == "process" and a.path.startswith(str(folder))]
        if len(running) >= count or time.monotonic() > deadline:
            return running


def test_a_running_process_is_matched_by_its_name(tmp_path: Path) -> None:
    program = tmp_path / "ollama"
    shutil.copy(shutil.which("sleep") or "/bin/sleep", program)
    with subprocess.Popen([str(program), "30"]) as child:
        try:
            running = _running_programs(tmp_path, 1)
            assert [(a.app, a.path) for a in running] == [("ollama", str(program))]
            assert running[0].where == f"running process {child.pid}"
            assert not [a for a in find_apps(home=tmp_path, root=tmp_path).apps if a.found_by == "process"]
        finally:
            child.kill()


def test_process_names_that_differ_only_in_case_name_different_apps(tmp_path: Path) -> None:
    hints = catalog_hints()
    assert hints.match("processes", "Claude") == "claude"  # the desktop app
    assert hints.match("processes", "claude") == "claude-code"
    assert hints.match("processes", "Claude.exe") == "claude"
    assert hints.match("processes", "OLLAMA.EXE") == "ollama"  # no app writes it so: matched ignoring case
    children = []
    for folder, name in (("desktop", "Claude"), ("cli", "claude")):
        program = tmp_path / folder / name
        program.parent.mkdir()
        shutil.copy(shutil.which("sleep") or "/bin/sleep", program)
        children.append(subprocess.Popen([str(program), "30"]))
    try:
        running = sorted((a.app, a.name) for a in _running_programs(tmp_path, 2))
        assert running == [("claude", "Claude"), ("claude-code", "claude")]
    finally:
        for child in children:
            child.kill()
            child.wait()


def test_the_cli_writes_what_it_found_and_assesses_each_app_with_its_history_id(
    planted: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    home, root = planted
    (root / "usr/local/lib/node_modules/@anthropic-ai/claude-code/cli.js").write_text(
        'const API = "https://api.anthropic.com/v1/messages"; fetch("https://statsig.anthropic.com/v1/rgstr");\n',
        encoding="utf-8",
    )
    out = tmp_path / "found.json"
    code = main(["inventory", "--home", str(home), "--root", str(root), "--json", str(out)])
    printed = capsys.readouterr().out
    data = json.loads(out.read_text(encoding="utf-8"))
    assert code == 0 and "12 known, 11 unknown" in printed
    entry = next(a for a in data["apps"] if a["app"] == "claude-code")
    assert entry == {
        "app": "claude-code",
        "name": "@anthropic-ai/claude-code",
        "version": "2.1.332",
        "path": str(root / "usr/local/lib/node_modules/@anthropic-ai/claude-code"),
        "found_by": "npm-global",
        "where": "npm global (/usr/local)",
        "signals": ["npm @anthropic-ai/claude-code"],
    }
    assert sum(a["app"] == "unknown" for a in data["apps"]) == 11

    code = main(["inventory", "--home", str(home), "--root", str(root), "--assess", "--json", str(out)])
    capsys.readouterr()
    data = json.loads(out.read_text(encoding="utf-8"))
    claude = next(a for a in data["apps"] if a["app"] == "claude-code")
    assert claude["verdict"] in ("allow", "review") and isinstance(claude["assessment_id"], int)
    with HistoryStore() as store:
        kept = store.get(claude["assessment_id"])
    assert {e.key for e in kept.endpoints} >= {"api.anthropic.com", "statsig.anthropic.com"}
    assert kept.offline
    empty = [a for a in data["apps"] if a.get("problem")]
    assert empty and all("nothing to assess" in a["problem"] for a in empty)  # an AppImage stub, a folder of nothing
    assert code == 0


def test_the_cli_refuses_a_home_that_is_not_a_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["inventory", "--home", str(tmp_path / "nope")]) == 3
    assert "nope: --home must name a folder" in capsys.readouterr().err


def test_a_scheduled_run_does_nothing_unless_the_policy_asks_for_it(
    planted: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.helpers.orgpolicy import write_policy

    home, root = planted
    args = ["inventory", "--scheduled", "--home", str(home), "--root", str(root)]
    assert main(args) == 0
    assert "does not ask for scheduled inventories; nothing done" in capsys.readouterr().out
    write_policy("[inventory]\nscheduled = true\n")
    assert main(args) == 0
    assert "12 known" in capsys.readouterr().out


def test_the_packaged_timer_runs_the_scheduled_inventory() -> None:
    linux = Path(__file__).resolve().parents[2] / "packaging" / "linux"
    service = (linux / "databorder-inventory.service").read_text(encoding="utf-8")
    assert "ExecStart=/usr/bin/databorder inventory --assess --scheduled" in service
    assert "OnCalendar=weekly" in (linux / "databorder-inventory.timer").read_text(encoding="utf-8")


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=12,
)
#: The keys the finders look up: a value shaped like a manifest, with anything at any of them.
KEYS = (
    "publisher",
    "name",
    "version",
    "displayName",
    "categories",
    "dependencies",
    "identifier",
    "id",
    "relativeLocation",
    "main_package",
    "package",
    "addons",
    "type",
    "location",
    "defaultLocale",
    "userPermissions",
    "origins",
    "path",
    "host_permissions",
    "permissions",
    "content_scripts",
    "matches",
    "default_locale",
    "appName",
    "message",
    "bin",
    "main",
    "optionalDependencies",
    "files",
    "node_modules",
)
KEYED = st.dictionaries(st.sampled_from(KEYS), JSON | st.dictionaries(st.sampled_from(KEYS), JSON), max_size=8)
SHAPED = JSON | KEYED | st.lists(KEYED, max_size=3) | st.fixed_dictionaries({"addons": st.lists(KEYED, max_size=3)})
#: Every file a finder parses, relative to the fake home ("~") or root ("/").
MANIFESTS = (
    "~/.vscode/extensions/extensions.json",
    "~/.vscode/extensions/.obsolete",
    "~/.vscode/extensions/x.y-1.0.0/package.json",
    "/usr/local/lib/node_modules/pkg/package.json",
    "~/.local/share/pipx/venvs/tool/pipx_metadata.json",
    "~/.config/google-chrome/Default/Extensions/abc/1.0_0/manifest.json",
    "~/.config/google-chrome/Default/Extensions/abc/1.0_0/_locales/en/messages.json",
    "~/.mozilla/firefox/p/extensions.json",
)
RAW = (
    "~/.local/share/uv/tools/t/uv-receipt.toml",
    "~/.local/share/pipx/venvs/tool/lib/python3.11/site-packages/a-1.dist-info/METADATA",
    "~/.local/share/applications/a.desktop",
    "~/.local/share/JetBrains/IDE/plugin/lib/p.jar",
    "/opt/App/resources/app.asar",
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(values=st.lists(SHAPED, min_size=len(MANIFESTS), max_size=len(MANIFESTS)),
       blobs=st.lists(st.binary(max_size=64), min_size=len(RAW), max_size=len(RAW)))  # fmt: skip
def test_any_content_in_any_manifest_is_read_or_skipped_never_an_error(
    tmp_path_factory: pytest.TempPathFactory, values: list[object], blobs: list[bytes]
) -> None:
    base = tmp_path_factory.mktemp("odd")
    home, root = base / "home", base / "root"

    def place(where: str) -> Path:
        path = (home / where[2:]) if where.startswith("~/") else root / where[1:]
        path.parent.mkdir(parents=True, exist_ok=True)
        return path

    for where, value in zip(MANIFESTS, values, strict=True):
        place(where).write_text(json.dumps(value), encoding="utf-8")
    for where, blob in zip(RAW, blobs, strict=True):
        place(where).write_bytes(
            blob if not where.endswith(".asar") else b"\x04\0\0\0\x10\0\0\0\x0c\0\0\0\x08\0\0\0" + blob
        )
    inventory = find_apps(home=home, root=root)
    assert all(isinstance(p, str) for p in inventory.problems)


def test_online_assessments_resolve_the_names_found(
    planted: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str], dns_zone: DnsZone
) -> None:
    home, root = planted
    (root / "usr/local/lib/node_modules/@google/gemini-cli/cli.js").write_text(
        'const u = "https://api.chat.test/v1/generate";\n', encoding="utf-8"
    )
    out = tmp_path / "found.json"
    args = ["inventory", "--home", str(home), "--root", str(root), "--assess", "--json", str(out)]
    main([*args, "--online", "--nameserver", dns_zone.nameserver, "--min-relevance", "0"])
    capsys.readouterr()
    gemini = next(a for a in json.loads(out.read_text(encoding="utf-8"))["apps"] if a["app"] == "gemini-cli")
    with HistoryStore() as store:
        kept = store.get(gemini["assessment_id"])
    assert not kept.offline and kept.nameserver == dns_zone.nameserver
    assert [a.ip for e in kept.endpoints for a in e.addresses] == ["203.0.113.10", "2001:db8::10"]


def test_a_mounted_mac_or_windows_home_and_ubuntus_snap_firefox_are_read_too(tmp_path: Path) -> None:
    mac, windows, ubuntu = tmp_path / "mac", tmp_path / "win", tmp_path / "ubuntu"
    installs.chromium_extension(mac / "Library/Application Support/Google/Chrome", "Default", "e" * 32, "1.0",
                                name="Mac Chat", hosts=("https://chatgpt.com/*",))  # fmt: skip
    lib = mac / "Library/Application Support/JetBrains/PyCharm2024.3/plugins/github-copilot-intellij/lib"
    lib.mkdir(parents=True)
    with zipfile.ZipFile(lib / "copilot.jar", "w") as jar:
        jar.writestr("META-INF/plugin.xml", "<idea-plugin><id>com.github.copilot</id><version>1.5.30</version>"
                                            "<name>GitHub Copilot</name></idea-plugin>")  # fmt: skip
    installs.chromium_extension(windows / "AppData/Local/Microsoft/Edge/User Data", "Profile 2", "f" * 32, "2.0",
                                name="Edge Chat", hosts=("https://claude.ai/*",))  # fmt: skip
    installs.npm_package(windows / "AppData/Roaming/npm/node_modules", "@openai/codex", "0.171.0")
    installs.firefox_addon(windows / "AppData/Roaming/Mozilla/Firefox/Profiles/ab12.default-release", "w@x.test",
                           "1.0", name="Win Sidebar", origins=("https://chat.deepseek.com/*",))  # fmt: skip
    installs.firefox_addon(ubuntu / "snap/firefox/common/.mozilla/firefox/q9.default", "s@x.test", "1.0",
                           name="Snap Sidebar", origins=("https://kimi.moonshot.cn/*",))  # fmt: skip
    empty_root = tmp_path / "root"
    empty_root.mkdir()
    found = {}
    for home in (mac, windows, ubuntu):
        found.update({a.name: a for a in find_apps(home=home, root=empty_root).apps})
    assert found["Mac Chat"].where == "Chrome profile Default" and found["Mac Chat"].app is None
    assert (found["GitHub Copilot"].app, found["GitHub Copilot"].where) == (
        "github-copilot",
        "JetBrains PyCharm2024.3 plugins",
    )
    assert found["Edge Chat"].where == "Edge profile Profile 2"
    assert (found["@openai/codex"].app, found["@openai/codex"].where) == (
        "codex-cli",
        "npm global (Windows, %APPDATA%\\npm)",
    )
    assert found["Win Sidebar"].where == "Firefox profile ab12.default-release"
    assert found["Snap Sidebar"].where == "Firefox profile q9.default" and found["Snap Sidebar"].signals
