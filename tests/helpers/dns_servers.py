"""Real DNS servers on 127.0.0.1 for tests and benchmarks: dnsmasq with a generated zone, and small servers
that misbehave the way real ones do (SERVFAIL on everything, silence, added latency).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType

import dns.message
import dns.query
import dns.rcode

LOOPBACK = "127.0.0.1"


def free_port() -> int:
    """A port free on 127.0.0.1 for both UDP and TCP (a DNS server needs both)."""
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
            udp.bind((LOOPBACK, 0))
            port = int(udp.getsockname()[1])
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
                try:
                    tcp.bind((LOOPBACK, port))
                except OSError:
                    continue
                return port
    raise RuntimeError("no free port on 127.0.0.1")


class _Server:
    """Context-manager plumbing shared by the servers below."""

    port: int

    def start(self) -> None:
        raise NotImplementedError

    def stop(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> _Server:
        self.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()

    @property
    def address(self) -> str:
        return LOOPBACK

    @property
    def nameserver(self) -> str:
        """``IP:PORT`` as DataBorder's --nameserver takes it."""
        return f"{LOOPBACK}:{self.port}"


class Dnsmasq(_Server):
    """dnsmasq serving a generated ``.test`` zone: unknown .test names are NXDOMAIN, other names REFUSED."""

    def __init__(
        self,
        *,
        host_records: Mapping[str, Sequence[str]],
        cnames: Mapping[str, str] | None = None,
        forward: Mapping[str, tuple[str, int]] | None = None,
        txt_records: Mapping[str, str] | None = None,
    ) -> None:
        self.host_records = host_records
        self.cnames = cnames or {}
        self.txt_records = txt_records or {}
        self.forward = forward or {}
        self.port = free_port()
        self._process: subprocess.Popen[bytes] | None = None
        self._folder: tempfile.TemporaryDirectory[str] | None = None

    def start(self) -> None:
        binary = shutil.which("dnsmasq") or "/usr/sbin/dnsmasq"
        if not Path(binary).exists():
            raise RuntimeError("dnsmasq is not installed (apt-get install dnsmasq-base); DNS tests need a real server")
        self._folder = tempfile.TemporaryDirectory(prefix="databorder-dnsmasq-")
        conf = Path(self._folder.name) / "zone.conf"
        # One line per address: a host-record line holds at most one IPv4 and one IPv6 address.
        lines = [f"host-record={name},{addr}" for name, addrs in self.host_records.items() for addr in addrs]
        lines += [f"cname={alias},{target}" for alias, target in self.cnames.items()]
        lines += [f'txt-record={name},"{text}"' for name, text in self.txt_records.items()]
        # A forwarded subdomain is more specific than --local=/test/, so its queries go to the given server.
        lines += [f"server=/{domain}/{host}#{port}" for domain, (host, port) in self.forward.items()]
        conf.write_text("\n".join(lines) + "\n", encoding="utf-8")
        command = [
            binary, "--keep-in-foreground", "--log-facility=-", f"--conf-file={conf}", "--pid-file=",
            f"--port={self.port}", f"--listen-address={LOOPBACK}", "--bind-interfaces", "--no-resolv", "--no-hosts",
            "--local=/test/", "--local-ttl=60", "--cache-size=0",
        ]  # fmt: skip
        if os.geteuid() == 0:
            command.append("--user=root")  # otherwise dnsmasq drops to 'nobody', which may not read the conf
        self._process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        self._wait_until_answering()

    def _wait_until_answering(self) -> None:
        query = dns.message.make_query("ready-probe.test", "A")
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            assert self._process is not None
            if self._process.poll() is not None:
                stderr = self._process.stderr.read().decode(errors="replace") if self._process.stderr else ""
                raise RuntimeError(f"dnsmasq exited at start: {stderr.strip()}")
            try:
                dns.query.udp(query, LOOPBACK, port=self.port, timeout=0.2)
                return
            except (dns.exception.Timeout, OSError):
                time.sleep(0.05)
        self.stop()
        raise RuntimeError("dnsmasq did not answer within 5 s")

    def stop(self) -> None:
        if self._process is not None:
            self._process.terminate()
            try:
                self._process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
            if self._process.stderr:
                self._process.stderr.close()
            self._process = None
        if self._folder is not None:
            self._folder.cleanup()
            self._folder = None


class _UdpThreadServer(_Server):
    """A UDP server answering (or not) each datagram from a background thread."""

    def __init__(self) -> None:
        self.port = free_port()
        self._udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._running = False
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def start(self) -> None:
        self._udp.bind((LOOPBACK, self.port))
        self._udp.settimeout(0.1)
        self._running = True
        self._thread.start()

    def stop(self) -> None:
        self._running = False
        self._thread.join(timeout=2)
        self._udp.close()

    def _serve(self) -> None:
        while self._running:
            try:
                data, peer = self._udp.recvfrom(4096)
            except TimeoutError:
                continue
            except OSError:
                return
            reply = self.answer(data)
            if reply is not None:
                self._udp.sendto(reply, peer)

    def answer(self, data: bytes) -> bytes | None:
        raise NotImplementedError


class ServfailResponder(_UdpThreadServer):
    """Answers every query with SERVFAIL, as a broken recursive resolver does."""

    def answer(self, data: bytes) -> bytes | None:
        try:
            query = dns.message.from_wire(data)
        except dns.exception.DNSException:
            return None
        response = dns.message.make_response(query)
        response.set_rcode(dns.rcode.SERVFAIL)
        return response.to_wire()


class GarbageResponder(_UdpThreadServer):
    """Answers every query with bytes that are not DNS (keeping the query id), as a broken middlebox might."""

    def answer(self, data: bytes) -> bytes | None:
        return data[:2] + b"\x81\x80 this is not a DNS message"


class SilentNameserver(_UdpThreadServer):
    """Reads every UDP query and never answers; a TCP listener accepts and never answers either."""

    def start(self) -> None:
        self._tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._tcp.bind((LOOPBACK, self.port))
        self._tcp.listen(64)
        super().start()

    def stop(self) -> None:
        super().stop()
        self._tcp.close()

    def answer(self, data: bytes) -> bytes | None:
        return None


class DelayProxy(_Server):
    """A UDP proxy adding ``delay_ms`` to every query, as real recursive resolvers add 10–50 ms.

    Each query is delayed independently (asyncio on a thread of its own), so many queries in flight overlap as
    they would with a real resolver; a one-by-one client pays the delay for every query.
    """

    def __init__(self, upstream: tuple[str, int], *, delay_ms: float = 10.0) -> None:
        self.upstream = upstream
        self.delay = delay_ms / 1000
        self.port = free_port()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._transport: asyncio.DatagramTransport | None = None
        self._pending: set[asyncio.Future[None]] = set()

    def start(self) -> None:
        self._thread.start()
        future = asyncio.run_coroutine_threadsafe(self._open(), self._loop)
        future.result(timeout=5)

    async def _open(self) -> None:
        proxy = self

        class Front(asyncio.DatagramProtocol):
            def connection_made(self, transport: asyncio.BaseTransport) -> None:
                proxy._transport = transport  # type: ignore[assignment]

            def datagram_received(self, data: bytes, addr: tuple[str | object, int]) -> None:
                task = asyncio.ensure_future(proxy._relay(data, addr))
                proxy._pending.add(task)  # the loop keeps only weak references to tasks
                task.add_done_callback(proxy._pending.discard)

        await self._loop.create_datagram_endpoint(Front, local_addr=(LOOPBACK, self.port))

    async def _relay(self, data: bytes, client: tuple[str | object, int]) -> None:
        loop = asyncio.get_running_loop()
        reply: asyncio.Future[bytes] = loop.create_future()

        class Back(asyncio.DatagramProtocol):
            def datagram_received(self, data: bytes, addr: tuple[str | object, int]) -> None:
                if not reply.done():
                    reply.set_result(data)

        transport, _ = await loop.create_datagram_endpoint(Back, remote_addr=self.upstream)
        try:
            transport.sendto(data)
            answer = await asyncio.wait_for(reply, timeout=5)
            await asyncio.sleep(self.delay)
            if self._transport is not None:
                self._transport.sendto(answer, client)
        except TimeoutError:
            pass
        finally:
            transport.close()

    def stop(self) -> None:
        async def close() -> None:
            for task in list(self._pending):
                task.cancel()
            await asyncio.gather(*self._pending, return_exceptions=True)
            if self._transport is not None:
                self._transport.close()

        asyncio.run_coroutine_threadsafe(close(), self._loop).result(timeout=5)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)
        self._loop.close()
