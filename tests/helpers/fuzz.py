"""The fuzzing suite's shared parts: seed corpora, mutations of a seed, and a bounded run of one parser.

Each parser of outside input has a property test in its own test module: a seed of its kind from
``tests/corpus/<kind>/`` is mutated (cut short, bytes flipped, a region doubled or dropped, a hostile token put in:
a huge number, deep nesting, a NUL, a BOM, CR line ends, a format spec, a negative size…) and read. The reader may
succeed or raise one of DataBorder's own errors (a sentence for a person); anything else fails the test, and so
does a read that runs past its deadline or grows memory past its bound.

The budget is fixed (:data:`EXAMPLES` each, derandomized), so a round costs the same every run. The corpora are
small files made by :func:`write_corpus` (``python3 -m tests.helpers.fuzz`` writes them again).
"""

from __future__ import annotations

import contextlib
import io
import json
import resource
import signal
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from types import FrameType
from typing import TypeVar

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from databorder.errors import DataBorderError

CORPUS = Path(__file__).resolve().parents[1] / "corpus"
EXAMPLES = 150  # per parser: the whole round stays within a few seconds
DEADLINE = 3.0  # seconds one read may take (the biggest seed is a few kB: a real read takes milliseconds)
MEMORY_MB = 200  # growth of the test process's peak memory one read may cause

#: A fixed, reproducible budget for every fuzz test (CI runs the same round each time).
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,  # our own deadline below also stops a hang, which hypothesis's only reports afterwards
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)

#: Tokens that broke readers before (hardening issue): each is put into a seed somewhere.
HOSTILE = [
    b"9" * 5000,  # a JSON number of thousands of digits (a SIGSEGV in ijson's C backend)
    b"1e999999",
    b"-1",
    b"[" * 3000,  # deep nesting
    b"{" * 3000,
    b'{"a":' * 1500,
    b"\x00",
    b"\xef\xbb\xbf",  # a BOM
    b"\r",
    b"\xff\xfe",
    b"{x:>999999999}",
    "²".encode(),  # a Unicode digit (a port)
    b"\xed\xa0\x80",  # a lone surrogate in UTF-8
    b"\\ud800",
    b"18446744073709551616",
    b'"offset":"-1"',
    b'"size":-5',
    b"%s%n",
]


def seeds(kind: str) -> list[bytes]:
    """The seed files of ``kind`` (a folder of tests/corpus)."""
    found = [path.read_bytes() for path in sorted((CORPUS / kind).iterdir()) if path.is_file()]
    assert found, f"no seeds in tests/corpus/{kind}"
    return found


@st.composite
def mutated(draw: st.DrawFn, kind: str) -> bytes:
    """A seed of ``kind`` with one to four mutations."""
    data = bytearray(draw(st.sampled_from(seeds(kind))))
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(data)))
        how = draw(st.sampled_from(["cut", "flip", "insert", "double", "drop", "random"]))
        if how == "cut":
            del data[at:]
        elif how == "flip" and data:
            where = min(at, len(data) - 1)
            data[where] = draw(st.integers(0, 255))
        elif how == "insert":
            data[at:at] = draw(st.sampled_from(HOSTILE))
        elif how == "double":
            data[at:at] = data[at : at + draw(st.integers(1, 400))]
        elif how == "drop":
            del data[at : at + draw(st.integers(1, 64))]
        else:
            data[at:at] = draw(st.binary(min_size=1, max_size=32))
    return bytes(data)


class Hang(Exception):
    """A read ran past the fuzz deadline."""


T = TypeVar("T")


def bounded(read: Callable[[], T], *, seconds: float = DEADLINE, memory_mb: int = MEMORY_MB) -> T | None:
    """Run one read: its result, or None when it raised a DataBorder error; anything else fails the test.

    A read running past ``seconds`` raises :class:`Hang` (from a timer signal: the main thread only), one
    raising the process's peak memory by more than ``memory_mb`` fails.
    """
    before = _peak_mb()
    with _deadline(seconds):
        try:
            result: T | None = read()
        except DataBorderError as exc:
            assert str(exc), "an error without a sentence"
            result = None
    grown = _peak_mb() - before
    assert grown <= memory_mb, f"the read grew memory by {grown:.0f} MB"
    return result


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux


@contextlib.contextmanager
def _deadline(seconds: float) -> Iterator[None]:
    def expire(signum: int, frame: FrameType | None) -> None:
        raise Hang(f"still reading after {seconds:g} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def write_corpus(root: Path = CORPUS) -> None:
    """Write the seed corpora: one or a few small, valid files of each kind of outside input."""
    from tests.helpers.archives import asar, tgz
    from tests.helpers.mmdb import write_country_db
    from tests.helpers.packets import app_session, ethernet, write_pcap

    def put(kind: str, name: str, data: bytes | str) -> Path:
        path = root / kind / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data.encode() if isinstance(data, str) else data)
        return path

    put("hosts", "hosts.txt", "api.vendor.test\n# comment\n0.0.0.0 ads.vendor.test\nhttps://x.vendor.test:8443/v1\n"
                              "[2001:db8::1]:443\n203.0.113.9\n")  # fmt: skip
    request = {"method": "POST", "url": "https://api.vendor.test/v1/chat?key=1",
               "headers": [{"name": "Host", "value": "api.vendor.test"}]}  # fmt: skip
    entry = {"startedDateTime": "2026-01-01T00:00:00Z", "time": 12.5, "serverIPAddress": "203.0.113.9",
             "request": request, "response": {"status": 200, "headers": []}}  # fmt: skip
    entries = [entry, {**entry, "serverIPAddress": "2001:db8::9"}]
    put("har", "two.har", json.dumps({"log": {"version": "1.2", "creator": {"name": "t"}, "entries": entries}}))
    with tempfile.TemporaryDirectory() as tmp:
        for ng in (False, True):
            name = "app.pcapng" if ng else "app.pcap"
            packets = write_pcap(Path(tmp) / name, [ethernet(p) for p in app_session()], ng=ng)
            put("pcap", name, packets.read_bytes())
        put("mmdb", "country.mmdb", write_country_db(Path(tmp) / "country.mmdb").read_bytes())
    put("squid", "access.log", "1700000000.000    120 10.0.0.1 TCP_TUNNEL/200 5000 CONNECT api.vendor.test:443 - "
                               "HIER_DIRECT/203.0.113.9 -\n1700000001.000 80 10.0.0.1 TCP_MISS/200 900 GET "
                               "http://cdn.vendor.test/a.js - HIER_DIRECT/198.51.100.4 text/javascript\n")  # fmt: skip
    put("zeek", "dns.log", "#separator \\x09\n#fields\tts\tuid\tid.orig_h\tid.resp_h\tquery\tanswers\n"
                           "1700000000.0\tC1\t10.0.0.1\t10.0.0.53\tapi.vendor.test\t203.0.113.9\n")  # fmt: skip
    put("zeek", "conn.json", '{"ts":1700000000.0,"id.orig_h":"10.0.0.1","id.resp_h":"203.0.113.9"}\n'
                             '{"ts":1700000000.5,"server_name":"api.vendor.test"}\n')  # fmt: skip
    put("csv", "hosts.csv", 'host,count\napi.vendor.test,3\n"cdn.vendor.test",1\n')
    put("pack", "pack.toml", (Path(__file__).resolve().parents[2] / "rules" / "examples" / "custom.toml").read_text())
    settings = {"offline": True, "dns_timeout": 2.5, "nameserver": "192.0.2.53", "pack_dirs": ["rules"],
                "packs": ["us-countries-of-concern"]}  # fmt: skip
    put("settings", "settings.json", json.dumps(settings))
    put("policy", "policy.toml", '[packs]\ndefault = ["eu-gdpr-transfers"]\nmandatory = ["us-navy-genai"]\n'
                                 '[geoip]\ncountry_db = "data/country.mmdb"\n[dns]\nnameserver = "192.0.2.53"\n'
                                 '[enrichment]\nonline = false\n[report]\norganisation = "Example Corp"\n')  # fmt: skip
    js = b'fetch("https://api.vendor.test/v1/chat"); const u = "wss://rt.vendor.test/ws";\n'
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("app/main.js", js)
        archive.writestr("app/package.json", b'{"name": "app", "dependencies": {"openai": "4.0.0"}}')
    put("archive", "app.zip", buffer.getvalue())
    put("archive", "app.tgz", tgz({"package/index.js": js}))
    put("archive", "app.asar", asar({"main.js": js, "lib/x.js": b"// https://docs.vendor.test/\n"}))
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "a.json"  # run from the corpus folder: the saved file names no path of this machine
        subprocess.run([sys.executable, "-m", "databorder", "assess", "--hosts", "hosts/hosts.txt", "--offline", "-q",
                        "--json", str(out)], check=True, capture_output=True, cwd=root)  # fmt: skip
        put("assessment", "offline.json", out.read_bytes())


if __name__ == "__main__":
    write_corpus()
