"""Secrets against a real Secret Service: gnome-keyring inside a private D-Bus session, as on a Linux desktop."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from databorder import secrets
from databorder.errors import DataBorderError

KEY = "licence-key-0123456789-do-not-leak"

SESSION_SCRIPT = f"""
import subprocess, sys
def run(*args, stdin=None):
    command = [sys.executable, "-m", "databorder.cli", *args]
    result = subprocess.run(command, input=stdin, capture_output=True, text=True)
    print(f"{{args[1]}} {{result.returncode}} {{result.stdout.strip()}} {{result.stderr.strip()}}")
run("secrets", "show")
run("secrets", "set", "maxmind", "--stdin", stdin="654321\\n{KEY}\\n")
run("secrets", "show")
from databorder.secrets import maxmind_account
account = maxmind_account()
print("read-back", account.account_id, account.licence_key == "{KEY}", repr(account))
run("secrets", "delete", "maxmind")
run("secrets", "show")
"""


@pytest.fixture
def secret_service() -> None:
    missing = [tool for tool in ("dbus-run-session", "gnome-keyring-daemon") if shutil.which(tool) is None]
    if missing:
        pytest.fail(f"a real Secret Service is needed: install {', '.join(missing)} (see .ci/run)")


def test_store_show_read_and_delete_in_the_system_keyring(secret_service: None, tmp_path: Path) -> None:
    env = {**os.environ, "HOME": str(tmp_path), "XDG_DATA_HOME": str(tmp_path / "data"),
           "XDG_STATE_HOME": str(tmp_path / "state"), "XDG_CONFIG_HOME": str(tmp_path / "config")}  # fmt: skip
    env.pop("MAXMIND_ACCOUNT_ID", None)
    env.pop("MAXMIND_LICENSE_KEY", None)
    script = tmp_path / "session.py"
    script.write_text(SESSION_SCRIPT, encoding="utf-8")
    shell = (
        f"echo -n pw | gnome-keyring-daemon --unlock --components=secrets >/dev/null 2>&1; {sys.executable} {script}"
    )
    result = subprocess.run(["dbus-run-session", "--", "sh", "-c", shell], capture_output=True, text=True, env=env,
                            timeout=60)  # fmt: skip
    lines = result.stdout.splitlines()
    assert lines[0] == "show 0 no MaxMind account is stored ", result.stdout + result.stderr
    assert lines[1] == "set 0 stored the MaxMind account in the system keyring "
    assert lines[2].startswith("show 0 MaxMind account 654321, licence key stored (34 characters); from system keyring")
    assert lines[3].startswith("read-back 654321 True MaxMindAccount(account_id='654321', licence_key=<hidden>")
    assert lines[4] == "delete 0 removed the stored MaxMind account "
    assert lines[5] == "show 0 no MaxMind account is stored "
    assert KEY not in result.stdout.replace(f"{KEY} ==", "")
    # The key is in no file DataBorder (or the keyring, which encrypts its store) wrote under this home.
    for path in tmp_path.rglob("*"):
        if path.is_file() and path != script:
            assert KEY.encode() not in path.read_bytes(), path


def test_without_a_keyring_a_clear_sentence_and_the_one_run_option(monkeypatch: pytest.MonkeyPatch) -> None:
    import keyring
    from keyring.backends import fail

    monkeypatch.setattr(keyring, "get_keyring", lambda: fail.Keyring())  # type: ignore[no-untyped-call]
    with pytest.raises(DataBorderError, match=r"no usable system keyring .*MAXMIND_ACCOUNT_ID and MAXMIND_LICENSE_KEY"):
        secrets.store_maxmind("1", "k")
    monkeypatch.setenv("MAXMIND_ACCOUNT_ID", "42")
    monkeypatch.setenv("MAXMIND_LICENSE_KEY", "env-key")
    account = secrets.maxmind_account()
    assert account is not None and account.source == "environment (this run only)" and "env-key" not in repr(account)
