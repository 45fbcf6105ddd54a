"""A bad-input campaign: generated hostile files of every input kind, fed to the CLI as a user would.

Each input is a mutation of a valid seed of its kind (cut short, bytes flipped, a huge number, deep nesting, wrong
JSON types, a NUL, CR line ends, a BOM, a Unicode digit…) or a special file. Each run is a process of its own
with a 60 s timeout and a 3 GiB address-space limit, and is counted by how it ended:

- exit 0-4 (a verdict, --fail-on, a usage error, a sentence naming the problem, an incomplete assessment): fine;
- exit 70 (internal error), a signal, a hang (timeout) or the memory limit: a defect, listed with its input.

    python3 benchmarks/bad_inputs.py [--count 600] [--seed 1] [--keep DIR]

Goal (hardening issue): 0 internal errors, signal deaths, hangs and memory kills over at least 5,000 inputs.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

HAR = {
    "log": {
        "version": "1.2",
        "creator": {"name": "x", "version": "1"},
        "entries": [
            {
                "startedDateTime": "2026-01-01T00:00:00Z",
                "request": {"method": "POST", "url": "https://api.vendor.test/v1/chat", "headers": []},
                "response": {"status": 200, "headers": []},
                "serverIPAddress": "203.0.113.9",
                "timings": {},
            }
        ],
    }
}
PACK = """[pack]
id = "fuzz"
version = "1.0.0"
title = "Fuzz"

[[rules]]
id = "r"
facet = "hosting"
when = { country_in = ["CN"] }
severity = "prohibit"
points = 40
message = "{endpoint} is hosted in {country}"
"""
HOSTS = "api.vendor.test\n# comment\n0.0.0.0 ads.vendor.test\nhttps://x.vendor.test:8443/v1\n[2001:db8::1]:443\n"
SQUID = "1700000000.000    120 10.0.0.1 TCP_TUNNEL/200 5000 CONNECT api.vendor.test:443 - HIER_DIRECT/203.0.113.9 -\n"
ZEEK = '{"ts":1700000000.0,"id.orig_h":"10.0.0.1","id.resp_h":"203.0.113.9","query":"api.vendor.test"}\n'
CSV = "host,count\napi.vendor.test,3\n"

HERE = Path(__file__).resolve().parent


def _assessment_seed() -> bytes:
    """A real saved assessment (the example host list, offline) as the seed of saved-assessment inputs."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "a.json"
        hosts = HERE.parent / "resources" / "examples" / "ai-app-hosts.txt"
        subprocess.run([sys.executable, "-m", "databorder", "assess", "--hosts", str(hosts), "--offline", "-q",
                        "--no-history", "--json", str(out)], check=False, capture_output=True)  # fmt: skip
        return out.read_bytes()


def _zip_seed() -> bytes:
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("app/dist/main.js", 'const c={baseURL:"https://api.vendor.test/v1"};' * 50)
        archive.writestr("app/package.json", '{"name": "x", "dependencies": {"openai": "1"}}')
    return buffer.getvalue()


def _pcap_seed() -> bytes:
    import io

    import dpkt

    buffer = io.BytesIO()
    writer = dpkt.pcap.Writer(buffer)
    query = dpkt.dns.DNS(id=1, qd=[dpkt.dns.DNS.Q(name="api.vendor.test")])
    udp = dpkt.udp.UDP(sport=5353, dport=53, data=bytes(query))
    udp.ulen = len(udp)
    ip = dpkt.ip.IP(src=bytes([10, 0, 0, 1]), dst=bytes([203, 0, 113, 9]), p=17, data=udp)
    ip.len = len(ip)
    writer.writepkt(bytes(dpkt.ethernet.Ethernet(type=0x0800, data=ip)), ts=1.0)
    return buffer.getvalue()


#: kind -> (file suffix, seed bytes, the CLI arguments for a file of that kind)
KINDS: dict[str, tuple[str, bytes, Callable[[str], list[str]]]] = {
    "assessment": (".json", _assessment_seed(), lambda p: ["report", p, "--csv", p + ".csv", "--pdf", p + ".pdf"]),
    "country-db": (
        ".mmdb",
        (HERE.parent / "resources" / "geoip" / "geo-whois-asn-country.mmdb").read_bytes(),
        lambda p: ["assess", "203.0.113.9", "x.vendor.test", "--offline", "-q", "--country-db", p],
    ),
    "zip": (".zip", _zip_seed(), lambda p: ["assess", p, "--offline", "-q"]),
    "pcap": (".pcap", _pcap_seed(), lambda p: ["assess", "--capture", p, "--offline", "-q"]),
    "hosts": (".txt", HOSTS.encode(), lambda p: ["assess", "--hosts", p, "--offline", "-q"]),
    "har": (".har", json.dumps(HAR).encode(), lambda p: ["assess", "--capture", p, "--offline", "-q"]),
    "squid": (".log", SQUID.encode(), lambda p: ["assess", "--capture", p, "--offline", "-q"]),
    "zeek": (".log", ZEEK.encode(), lambda p: ["assess", "--capture", p, "--offline", "-q"]),
    "csv": (".csv", CSV.encode(), lambda p: ["assess", "--capture", p, "--offline", "-q"]),
    "pack": (".toml", PACK.encode(), lambda p: ["rules", "validate", p]),
    "pack-assess": (".toml", PACK.encode(), lambda p: ["assess", "x.vendor.test", "--offline", "--pack", p, "-q"]),
    "app": (".js", b'const c={baseURL:"https://api.vendor.test/v1"};', lambda p: ["assess", p, "--offline", "-q"]),
}


def mutate(seed: bytes, rng: random.Random) -> bytes:
    """One hostile variant of a valid input."""
    choice = rng.randrange(12)
    data = bytearray(seed)
    if choice == 0 and data:  # cut short
        return bytes(data[: rng.randrange(len(data))])
    if choice == 1 or len(data) > 1_000_000:  # bytes flipped (what a big binary seed gets, mostly)
        for _ in range(rng.randint(1, 8)):
            if data:
                data[rng.randrange(len(data))] = rng.randrange(256)
        return bytes(data)
    if choice == 2:  # a huge number where a number goes
        return bytes(data).replace(b"200", b"9" * rng.choice([30, 5000, 100_000]), 1).replace(b"40", b"-" + b"9" * 50)
    if choice == 3:  # deep nesting
        depth = rng.choice([100, 5000, 200_000])
        return b"[" * depth + bytes(data) + b"]" * depth
    if choice == 4:  # a NUL and odd control characters
        at = rng.randrange(len(data) + 1)
        return bytes(data[:at]) + b"\x00\x1b[31m\r" + bytes(data[at:])
    if choice == 5:  # CR line ends, a BOM
        return b"\xef\xbb\xbf" + bytes(data).replace(b"\n", b"\r")
    if choice == 6:  # a Unicode digit, an over-long name, an odd port
        return bytes(data).replace(b"api.", "api².".encode() + b"a" * rng.choice([10, 300, 70_000]) + b".", 1)
    if choice == 7:  # wrong JSON types
        return bytes(data).replace(b'"', b"", rng.randint(1, 6)).replace(b"[", b"{", 1)
    if choice == 8:  # repeated a lot (a small seed; a big one is cut instead)
        return bytes(data) * rng.choice([100, 10_000]) if len(data) < 100_000 else bytes(data[: len(data) // 3])
    if choice == 9:  # format specs and markup in text
        return bytes(data).replace(b"{endpoint}", b"{endpoint:>999999999}", 1).replace(b"Fuzz", b"[bold]<b>&", 1)
    if choice == 10:  # random bytes
        return rng.randbytes(rng.choice([0, 1, 100, 100_000]))
    return bytes(data).replace(b"\n", b"", rng.randint(1, 3))  # lines glued


def limited() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (3 << 30, 3 << 30))


def run(args: list[str], env: dict[str, str]) -> tuple[str, float]:
    """How one run ended: 'exit N', 'signal N', 'hang' or 'memory'."""
    command = [sys.executable, "-m", "databorder", *args]
    started = time.perf_counter()
    try:
        done = subprocess.run(command, capture_output=True, timeout=60, env=env, preexec_fn=limited)
    except subprocess.TimeoutExpired:
        return "hang", time.perf_counter() - started
    wall = time.perf_counter() - started
    if done.returncode < 0:
        return f"signal {-done.returncode}", wall
    if b"MemoryError" in done.stderr or b"Cannot allocate memory" in done.stderr:
        return "memory", wall
    return f"exit {done.returncode}", wall


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=600)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", type=Path, help="keep the inputs that found a defect here")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    outcomes: collections.Counter[str] = collections.Counter()
    defects: list[tuple[str, str, str]] = []
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        env["XDG_DATA_HOME"] = str(Path(tmp) / "data")  # the fuzzed runs' history stays in the temporary folder
        jobs = []
        for number in range(args.count):
            kind = rng.choice(sorted(KINDS))
            suffix, seed, arguments = KINDS[kind]
            path = Path(tmp) / f"{number}-{kind}{suffix}"
            path.write_bytes(mutate(seed, rng))
            jobs.append((kind, path, arguments(str(path))))
        with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
            results = list(pool.map(lambda job: run(job[2], env), jobs))
        for (kind, path, _), (outcome, _wall) in zip(jobs, results, strict=True):
            outcomes[outcome] += 1
            if outcome not in ("exit 0", "exit 1", "exit 2", "exit 3", "exit 4"):
                defects.append((kind, outcome, path.name))
                if args.keep is not None:
                    args.keep.mkdir(parents=True, exist_ok=True)
                    (args.keep / path.name).write_bytes(path.read_bytes())
    print(f"{args.count} inputs in {time.perf_counter() - started:.0f} s (seed {args.seed}): "
          + ", ".join(f"{k}: {v}" for k, v in sorted(outcomes.items())))  # fmt: skip
    by_kind = collections.Counter((kind, outcome) for kind, outcome, _ in defects)
    for (kind, outcome), count in sorted(by_kind.items()):
        print(f"    defect: {kind}: {outcome} x{count}")
    return 1 if defects else 0


if __name__ == "__main__":
    sys.exit(main())
