"""A test host at a documentation address in a network namespace, reached by /32 host routes only.

``TestHost`` makes the namespace and a veth pair, gives the host its address, adds one /32 route each way (no
default route, nothing else is reachable), runs servers inside it with ``ip netns exec``, and removes it all
afterwards, asserting that no namespace is left behind.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from types import TracebackType
from typing import Self

import pytest

TEST_HOST = "198.51.100.200"  # fixture country DE, AS13335 (an anycast edge)
OUR_SIDE = "198.51.100.201"


def _run(*command: str) -> None:
    subprocess.run(command, check=True, capture_output=True, timeout=20)


def need_namespaces() -> None:
    """Skip the test where namespaces cannot be made (not root, or no iproute2)."""
    if os.geteuid() != 0 or shutil.which("ip") is None:
        pytest.skip("network namespaces need root and iproute2 (`ip`); this machine has neither")


class TestHost:
    """The namespace holding TEST_HOST; ``serve(code)`` runs Python code inside it until the host is removed."""

    __test__ = False  # not a test class, whatever pytest thinks of the name

    def __init__(self, address: str = TEST_HOST, our_side: str = OUR_SIDE) -> None:
        tag = f"{os.getpid() % 100000}"
        self.address = address
        self.our_side = our_side
        self.namespace, self._ours, self._theirs = f"dbt{tag}", f"dbh{tag}", f"dbn{tag}"
        self._servers: list[subprocess.Popen[bytes]] = []

    def __enter__(self) -> Self:
        need_namespaces()
        try:
            _run("ip", "netns", "add", self.namespace)
            _run("ip", "link", "add", self._ours, "type", "veth", "peer", "name", self._theirs)
            _run("ip", "link", "set", self._theirs, "netns", self.namespace)
            _run("ip", "addr", "add", f"{self.our_side}/32", "dev", self._ours)
            _run("ip", "link", "set", self._ours, "up")
            _run("ip", "route", "add", f"{self.address}/32", "dev", self._ours)
            _run("ip", "-n", self.namespace, "link", "set", "lo", "up")
            _run("ip", "-n", self.namespace, "addr", "add", f"{self.address}/32", "dev", self._theirs)
            _run("ip", "-n", self.namespace, "link", "set", self._theirs, "up")
            _run("ip", "-n", self.namespace, "route", "add", f"{self.our_side}/32", "dev", self._theirs)
        except BaseException:
            self._remove()
            raise
        return self

    def serve(self, code: str, *args: str, ready: float = 0.3) -> None:
        """Run ``python -c code args…`` inside the namespace (it is killed when the host is removed)."""
        command = ["ip", "netns", "exec", self.namespace, sys.executable, "-c", code, *args]
        self._servers.append(subprocess.Popen(command))
        time.sleep(ready)

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self._remove()
        leftovers = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
        assert self.namespace not in leftovers

    def _remove(self) -> None:
        for server in self._servers:
            server.kill()
            server.wait()
        subprocess.run(["ip", "link", "del", self._ours], capture_output=True)
        subprocess.run(["ip", "netns", "del", self.namespace], capture_output=True)
