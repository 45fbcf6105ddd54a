"""The live collector against real sockets: a test host at a documentation address in a network namespace."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from databorder.assess import AssessOptions, assess
from databorder.collect.live import find_processes, watch
from databorder.errors import ProcessAccessError
from databorder.model import Target
from tests.conftest import FixtureDatabases
from tests.helpers.netns import TEST_HOST, TestHost

PORT = 8443

SERVER = f"""
import socket, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("{TEST_HOST}", {PORT})); s.listen(8)
conns = []
while True:
    c, _ = s.accept(); conns.append(c)
"""
CLIENT = f"""
import socket, sys, time
remote = socket.create_connection(("{TEST_HOST}", {PORT}), timeout=5)
local_server = socket.socket(); local_server.bind(("127.0.0.1", 0)); local_server.listen(1)
local = socket.create_connection(local_server.getsockname())
print("connected", flush=True)
time.sleep(60)
"""


@pytest.fixture
def test_host() -> Iterator[str]:
    """A network namespace holding TEST_HOST behind a veth pair, reached by /32 host routes only."""
    with TestHost() as host:
        host.serve(SERVER)
        yield host.address


def test_sockets_of_a_process_tree_are_seen_and_attributed(test_host: str, fixture_dbs: FixtureDatabases) -> None:
    # The app is a shell whose child does the talking, as Electron apps leave it to helper processes.
    app = subprocess.Popen(["sh", "-c", f'{sys.executable} -c "$0"; exit 0', CLIENT], stdout=subprocess.PIPE)
    try:
        assert app.stdout is not None and app.stdout.readline().strip() == b"connected"
        processes = find_processes(pids=[app.pid])
        seen: list[tuple[float, float]] = []
        observations, problems = watch(processes, duration=1.0, interval=0.2, progress=lambda d, t: seen.append((d, t)))
    finally:
        app.kill()
        app.wait()
        if app.stdout is not None:
            app.stdout.close()
    assert problems == []
    remote = [o for o in observations if o.ip == test_host]
    assert len(remote) == 1
    evidence = remote[0].evidence
    assert evidence.collector == "live" and evidence.source.startswith("process python")
    assert f"→ {test_host}:{PORT} (ESTABLISHED)" in evidence.excerpt and remote[0].port == PORT
    assert any(o.ip == "127.0.0.1" for o in observations)
    assert seen[-1] == (1.0, 1.0)
    result = assess(
        target=Target(kind="process", name="test app"),
        observations=observations,
        options=AssessOptions(offline=True, country_db=fixture_dbs.country, asn_db=fixture_dbs.asn),
    )
    by_ip = {e.ip: e for e in result.endpoints}
    assert (by_ip[test_host].addresses[0].country, by_ip[test_host].addresses[0].anycast) == ("DE", True)
    assert by_ip["127.0.0.1"].addresses[0].scope == "local"


def test_processes_that_do_not_exist_or_exit(tmp_path: Path) -> None:
    with pytest.raises(ProcessAccessError, match="process 999999 is not running"):
        find_processes(pids=[999_999])
    with pytest.raises(ProcessAccessError, match="no running process is named 'no-such-app-xyz'"):
        find_processes(names=["no-such-app-xyz"])
    short = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(0.3)"])
    processes = find_processes(pids=[short.pid])
    assert processes[0].name.startswith("python")
    started = time.monotonic()
    observations, problems = watch(processes, duration=5, interval=0.1)
    short.wait()
    assert time.monotonic() - started < 3  # stops when the app is gone, not after the full duration
    assert observations == []
    assert problems[-1].message == "every watched process has exited; sockets seen before are kept"


def test_watch_can_be_cancelled() -> None:
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        started = time.monotonic()
        watch(find_processes(pids=[sleeper.pid]), duration=30, interval=0.1,
              cancelled=lambda: time.monotonic() - started > 0.3)  # fmt: skip
        assert time.monotonic() - started < 1.5
    finally:
        sleeper.kill()
        sleeper.wait()
