"""Real DNS servers on 127.0.0.1 for tests and benchmarks: dnsmasq with a generated zone, and small servers
that misbehave the way real ones do (SERVFAIL on everything, silence, added latency).

No mocks: the code under test sends real packets over loopback. That way, resolver bugs that only show up on
the wire (retries, timeouts, TCP fallback, concurrency) are caught. Nothing here sends traffic anywhere but
127.0.0.1.
"""

from __future__ import annotations

import asyncio
import ipaddress
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
from typing import Self

import dns.exception
import dns.message
import dns.name
import dns.query
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rrset

LOOPBACK = "127.0.0.1"
START_TIMEOUT = 5.0  # seconds dnsmasq gets to answer its first query; 20,000 names take under 1 s


def free_udp_tcp_port() -> int:
    """A port free on 127.0.0.1 for both UDP and TCP, because a DNS server needs both (TCP for truncated answers).

    Another process can still take the port before the caller binds it; Dnsmasq retries on a new port if that happens.
    """
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
    raise RuntimeError("no port free for both UDP and TCP on 127.0.0.1")


free_port = free_udp_tcp_port  # the earlier name, kept so existing callers keep working


class _Server:
    """Context-manager plumbing shared by the servers below."""

    port: int

    def start(self) -> None:
        raise NotImplementedError

    def stop(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
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


def _checked_name(name: str, what: str) -> str:
    """Reject a name that would corrupt a dnsmasq conf line, because dnsmasq does not reject it.

    Given ``host-record=a b.test,...`` or ``cname=x.test,`` dnsmasq starts anyway and serves a name with a space
    in it, or a CNAME to the root. A test would then fail far from the typo that caused it.
    """
    if not name or any(c.isspace() or c in ',/#"\\' for c in name):
        raise ValueError(f"{what} {name!r} is not a DNS name dnsmasq can take")
    try:
        dns.name.from_text(name)
    except dns.exception.DNSException as error:
        raise ValueError(f"{what} {name!r} is not a DNS name: {error}") from error
    return name


def _checked_address(address: str, name: str) -> str:
    """Reject an address dnsmasq would quietly misread.

    dnsmasq takes ``host-record=x.test,300.1.2.3`` as a second *name*, so x.test would have no address and no
    error would be shown.
    """
    try:
        return str(ipaddress.ip_address(address))
    except ValueError as error:
        raise ValueError(f"host record {name!r}: {address!r} is not an IP address") from error


class Dnsmasq(_Server):
    """dnsmasq serving a generated ``.test`` zone. Unknown .test names get NXDOMAIN, names outside .test get REFUSED.

    ``host_records`` maps a name to its addresses, in any mix of IPv4 and IPv6. ``cnames`` maps an alias to its
    target; chains work. ``forward`` sends a subdomain to another server: it is more specific than
    ``--local=/test/``, so e.g. ``fail.test`` goes to a ServfailResponder while the rest of .test stays local.
    ``txt_records`` gives a name that exists but has no addresses. ``extra_args`` are appended to the command line.
    The zone is written to a conf file, not passed as arguments, so tens of thousands of names fit.
    """

    def __init__(
        self,
        *,
        host_records: Mapping[str, Sequence[str]],
        cnames: Mapping[str, str] | None = None,
        forward: Mapping[str, tuple[str, int]] | None = None,
        txt_records: Mapping[str, str] | None = None,
        extra_args: Sequence[str] = (),
    ) -> None:
        self.host_records = host_records
        self.cnames = cnames or {}
        self.txt_records = txt_records or {}
        self.forward = forward or {}
        self.extra_args = tuple(extra_args)
        self._conf_lines = self._zone_lines()  # checked now, so a bad zone fails where it is written
        self.port = free_udp_tcp_port()
        self._process: subprocess.Popen[bytes] | None = None
        self._folder: tempfile.TemporaryDirectory[str] | None = None
        self._log_path: Path | None = None

    def _zone_lines(self) -> list[str]:
        lines: list[str] = []
        for name, addresses in self.host_records.items():
            _checked_name(name, "host record")
            if not addresses:
                raise ValueError(f"host record {name!r} has no address (use txt_records for a name without one)")
            # One line per address: dnsmasq keeps at most one IPv4 and one IPv6 address per host-record line, and
            # `host-record=n,192.0.2.10,192.0.2.11` silently keeps only the last IPv4. Repeated lines add up.
            lines += [f"host-record={name},{_checked_address(address, name)}" for address in addresses]
        for alias, target in self.cnames.items():
            lines.append(f"cname={_checked_name(alias, 'CNAME alias')},{_checked_name(target, 'CNAME target')}")
        for name, text in self.txt_records.items():
            if any(c in text for c in '"\\') or not text.isprintable():
                raise ValueError(f"TXT record {name!r}: use printable text without quotes or backslashes")
            lines.append(f'txt-record={_checked_name(name, "TXT record")},"{text}"')
        for domain, (host, port) in self.forward.items():
            ipaddress.ip_address(host)
            if not 0 < port < 65536:
                raise ValueError(f"forward {domain!r}: bad port {port}")
            lines.append(f"server=/{_checked_name(domain, 'forwarded domain')}/{host}#{port}")
        return lines

    def _command(self, binary: str, conf: Path) -> list[str]:
        command = [
            binary, "--keep-in-foreground", "--log-facility=-", f"--conf-file={conf}", "--pid-file=",
            f"--port={self.port}", f"--listen-address={LOOPBACK}", "--bind-interfaces", "--no-resolv", "--no-hosts",
            "--local=/test/", "--local-ttl=60", "--cache-size=0",
        ]  # fmt: skip
        # As root, dnsmasq would switch to 'nobody'. Stay root: no user switch to go wrong, and the temp dir
        # stays readable. Without root it cannot switch users and runs fine as the caller.
        if os.geteuid() == 0:
            command.append("--user=root")
        return [*command, *self.extra_args]

    def start(self) -> None:
        binary = shutil.which("dnsmasq") or "/usr/sbin/dnsmasq"
        if not Path(binary).exists():
            raise RuntimeError("dnsmasq is not installed (apt-get install dnsmasq-base); DNS tests need a real server")
        self._folder = tempfile.TemporaryDirectory(prefix="databorder-dnsmasq-")
        conf = Path(self._folder.name) / "zone.conf"
        conf.write_text("\n".join(self._conf_lines) + "\n", encoding="utf-8")
        self._log_path = Path(self._folder.name) / "dnsmasq.log"
        try:
            for attempt in range(3):
                # Logs go to a file, not a pipe: nobody reads a pipe while tests run, and it could fill up.
                with self._log_path.open("ab") as log:
                    self._process = subprocess.Popen(
                        self._command(binary, conf), stdin=subprocess.DEVNULL, stdout=log, stderr=log
                    )
                if self._wait_until_answering():
                    return
                # The port was free when chosen but another process took it first: try again on a new one.
                if attempt < 2 and "Address already in use" in self.log():
                    self.port = free_udp_tcp_port()
                    continue
                break
            raise RuntimeError(f"dnsmasq did not start on {self.nameserver}; its log:\n{self.log().strip()}")
        except BaseException:
            self.stop()
            raise

    def _wait_until_answering(self) -> bool:
        """True once dnsmasq answers a query (any answer; this one is NXDOMAIN), False if it exited or timed out."""
        query = dns.message.make_query("ready-probe.test", "A")
        deadline = time.monotonic() + START_TIMEOUT
        assert self._process is not None
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                return False
            try:
                dns.query.udp(query, LOOPBACK, port=self.port, timeout=0.2)
                return True
            except (dns.exception.Timeout, OSError):
                time.sleep(0.02)
        self._end_process()
        return False

    def log(self) -> str:
        """What dnsmasq has written so far (start-up lines, errors). Error messages include it."""
        if self._log_path is None or not self._log_path.exists():
            return ""
        return self._log_path.read_text(encoding="utf-8", errors="replace")

    def _end_process(self) -> None:
        if self._process is None:
            return
        if self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        self._process = None

    def stop(self) -> None:
        self._end_process()
        if self._folder is not None:
            self._folder.cleanup()
            self._folder = None
            self._log_path = None


class _UdpThreadServer(_Server):
    """A UDP server that answers, or ignores, each datagram from a background thread."""

    def __init__(self) -> None:
        self.port = free_udp_tcp_port()
        self._udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._running = False
        self._thread = threading.Thread(target=self._serve, daemon=True, name=type(self).__name__)

    def start(self) -> None:
        self._udp.bind((LOOPBACK, self.port))
        self._udp.settimeout(0.1)  # so the thread sees a stop within 0.1 s
        self._running = True
        self._thread.start()

    def stop(self) -> None:
        self._running = False
        if self._thread.is_alive():
            self._thread.join(timeout=2)
        self._udp.close()

    def _serve(self) -> None:
        while self._running:
            try:
                data, peer = self._udp.recvfrom(65535)
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
    """Answers every query with SERVFAIL, as a broken recursive resolver does. UDP only."""

    def answer(self, data: bytes) -> bytes | None:
        try:
            query = dns.message.from_wire(data)
        except dns.exception.DNSException:
            return None
        response = dns.message.make_response(query)
        response.set_rcode(dns.rcode.SERVFAIL)
        return response.to_wire()


class GarbageResponder(_UdpThreadServer):
    """Answers every query with bytes that are not DNS but keep the query id, as a broken middlebox might."""

    def answer(self, data: bytes) -> bytes | None:
        return data[:2] + b"\x81\x80 this is not a DNS message"


class SilentNameserver(_UdpThreadServer):
    """Reads every UDP query and never answers. Its TCP listener accepts connections and never answers either.

    This is a resolver that is up but stuck. A client must time out on both transports, not get an error it
    could act on quickly.
    """

    def start(self) -> None:
        self._tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._tcp.bind((LOOPBACK, self.port))
        self._tcp.listen(128)
        self._tcp.settimeout(0.1)
        self._held: list[socket.socket] = []  # accepted connections stay open until stop, unanswered
        self._acceptor = threading.Thread(target=self._accept, daemon=True, name="SilentNameserver-tcp")
        super().start()
        self._acceptor.start()

    def _accept(self) -> None:
        while self._running:
            try:
                connection, _ = self._tcp.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self._held.append(connection)

    def stop(self) -> None:
        super().stop()
        if self._acceptor.is_alive():
            self._acceptor.join(timeout=2)
        self._tcp.close()
        for connection in self._held:
            connection.close()
        self._held.clear()

    def answer(self, data: bytes) -> bytes | None:
        return None


class ProbeOnlyNameserver(_UdpThreadServer):
    """Answers the root zone's NS query (DataBorder's reachability probe) and swallows every other query.

    A resolver whose upstream hangs: it looks alive, then each name waits for the whole timeout. Counts the
    queries it swallowed, so a test can see that none are sent after a cancel. UDP only.
    """

    def __init__(self) -> None:
        super().__init__()
        self.swallowed = 0

    def answer(self, data: bytes) -> bytes | None:
        try:
            query = dns.message.from_wire(data)
        except dns.exception.DNSException:
            return None
        question = query.question[0] if query.question else None
        if question is None or question.name != dns.name.root or question.rdtype != dns.rdatatype.NS:
            self.swallowed += 1
            return None
        response = dns.message.make_response(query)
        response.answer.append(
            dns.rrset.from_text(dns.name.root, 3600, dns.rdataclass.IN, dns.rdatatype.NS, "a.root-servers.test.")
        )
        return response.to_wire()


async def _read_tcp_message(reader: asyncio.StreamReader) -> bytes:
    """One DNS-over-TCP message: a two-byte length, then that many bytes."""
    size = int.from_bytes(await reader.readexactly(2), "big")
    return await reader.readexactly(size)


class DelayProxy(_Server):
    """A UDP and TCP proxy to ``upstream``. It holds each reply for ``delay_ms`` before sending it on, as a real
    recursive resolver adds 10–50 ms.

    Each query gets its own delay (asyncio on a thread of its own), so many queries in flight overlap as they do
    against a real resolver, while a client asking one name at a time pays the delay every time. That is what the
    concurrency benchmarks and tests measure. Over TCP, the queries on one connection are answered one after
    another, because each connection has a single upstream connection. dnspython opens one connection per
    query, so its TCP queries still overlap.
    """

    def __init__(self, upstream: tuple[str, int], *, delay_ms: float = 10.0) -> None:
        self.upstream = upstream
        self.delay = delay_ms / 1000
        self.port = free_udp_tcp_port()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._transport: asyncio.DatagramTransport | None = None
        self._tcp_server: asyncio.Server | None = None
        self._pending: set[asyncio.Task[None]] = set()  # the loop keeps only weak references to tasks

    def start(self) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True, name="DelayProxy")
        self._thread.start()
        try:
            asyncio.run_coroutine_threadsafe(self._open(), self._loop).result(timeout=5)
        except BaseException:
            self.stop()
            raise

    async def _open(self) -> None:
        proxy = self
        loop = asyncio.get_running_loop()

        class Front(asyncio.DatagramProtocol):
            def connection_made(self, transport: asyncio.BaseTransport) -> None:
                proxy._transport = transport  # type: ignore[assignment]

            def datagram_received(self, data: bytes, addr: tuple[str | object, int]) -> None:
                proxy._track(loop.create_task(proxy._relay_udp(data, addr)))

        front = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        # A burst of hundreds of queries must queue in the kernel, not be dropped, while the loop works through
        # them: ask for 4 MiB (the kernel caps it at net.core.rmem_max); the 208 KiB default drops 1,000 at once.
        front.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        front.bind((LOOPBACK, self.port))
        await loop.create_datagram_endpoint(Front, sock=front)
        self._tcp_server = await asyncio.start_server(self._relay_tcp, LOOPBACK, self.port)

    def _track(self, task: asyncio.Task[None]) -> None:
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def _relay_udp(self, data: bytes, client: tuple[str | object, int]) -> None:
        loop = asyncio.get_running_loop()
        host, port = self.upstream
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        # A plain non-blocking socket per query, not a datagram endpoint: several times cheaper, so the loop
        # keeps up with a burst. Connected, so only the upstream's reply (or its ICMP refusal) comes back on it.
        with socket.socket(family, socket.SOCK_DGRAM) as upstream:
            upstream.setblocking(False)
            try:
                upstream.connect((host, port))
                await loop.sock_sendall(upstream, data)
                answer = await asyncio.wait_for(loop.sock_recv(upstream, 65535), timeout=5)
            except (OSError, TimeoutError):
                return  # upstream down or silent: stay silent too, as a resolver whose upstream is down would
            await asyncio.sleep(self.delay)
            if self._transport is not None:
                self._transport.sendto(answer, client)

    async def _relay_tcp(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._track(task)
        upstream: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None
        try:
            while True:
                query = await _read_tcp_message(reader)
                if upstream is None:
                    upstream = await asyncio.wait_for(asyncio.open_connection(*self.upstream), timeout=5)
                upstream[1].write(len(query).to_bytes(2, "big") + query)
                await upstream[1].drain()
                answer = await asyncio.wait_for(_read_tcp_message(upstream[0]), timeout=5)
                await asyncio.sleep(self.delay)
                writer.write(len(answer).to_bytes(2, "big") + answer)
                await writer.drain()
        except (asyncio.IncompleteReadError, OSError, TimeoutError):
            pass  # client or upstream closed, or upstream silent: drop the connection as a resolver would
        finally:
            writer.close()
            if upstream is not None:
                upstream[1].close()

    def stop(self) -> None:
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return

        async def close() -> None:
            if self._tcp_server is not None:
                self._tcp_server.close()
            for task in list(self._pending):
                task.cancel()
            await asyncio.gather(*self._pending, return_exceptions=True)
            if self._transport is not None:
                self._transport.close()
            await asyncio.sleep(0)  # let the transports' close callbacks run before the loop stops

        if loop.is_running():
            asyncio.run_coroutine_threadsafe(close(), loop).result(timeout=5)
        loop.call_soon_threadsafe(loop.stop)  # also ends a loop whose thread had not got it running yet
        thread.join(timeout=5)
        loop.close()
        self._loop = self._thread = None
        self._transport = self._tcp_server = None
