"""A bad-input campaign: generated hostile files of every input kind, fed to the CLI as a user would.

Each input is a mutation of a valid seed of its kind (cut short, bytes flipped, a huge number, deep nesting, wrong
JSON types, a NUL, CR line ends, a BOM, a Unicode digit…) or a special file. Each run is a process of its own
with a 60 s timeout and a 3 GiB address-space limit, and is counted by how it ended:

- exit 0-4 (a verdict, --fail-on, a usage error, a sentence naming the problem, an incomplete assessment): fine;
- exit 70 (internal error), a signal, a hang (timeout) or the memory limit: a defect, listed with its input.

    python3 benchmarks/bad_inputs.py [--count 600] [--seed 1] [--keep DIR] [--workers N]
    python3 benchmarks/bad_inputs.py --gui [--count 600] [--seed 1]

GUI mode (offscreen Qt): hostile saved assessments (a 100 KB message, a 10 MB excerpt, wrong field types, a
damaged file, huge numbers, deep nesting, besides the byte-level mutations), rule packs and settings are opened
in one window process after another, as File → Open, a pack folder and the saved settings would be. Each input is
counted as fine, a "this is a bug" dialog, a freeze (the UI thread busy for more than 1 s at once, measured by a
10 ms heartbeat timer), a signal death, a hang (60 s) or a memory kill (3 GiB address space).

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
sources = [{ cite = "bad-input campaign" }]

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


def _asar_seed() -> bytes:
    sys.path.insert(0, str(HERE.parent))
    from tests.helpers.archives import asar

    return asar({"main.js": b'const c={baseURL:"https://api.vendor.test/v1"};', "lib/x/y.js": b"// x.vendor.test"})


def _tgz_seed() -> bytes:
    sys.path.insert(0, str(HERE.parent))
    from tests.helpers.archives import tgz

    return tgz({"package/index.js": b'fetch("https://api.vendor.test/v1/chat")', "package/package.json": b"{}"})


def _gzip_seed(data: bytes) -> bytes:
    import gzip

    return gzip.compress(data)


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
    "asar": (".asar", _asar_seed(), lambda p: ["assess", p, "--offline", "-q"]),
    "tgz": (".tgz", _tgz_seed(), lambda p: ["assess", p, "--offline", "-q"]),
    "gzip-log": (".log.gz", _gzip_seed(SQUID.encode() * 20), lambda p: ["assess", "--capture", p, "--offline", "-q"]),
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


# --- GUI mode ---------------------------------------------------------------------------------------------------

FREEZE = 1.0  # seconds the UI thread may be busy at once
GUI_KINDS = ("assessment", "pack", "settings")


def _paths(tree: object, prefix: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
    """Every path to a value in a JSON tree."""
    found = [prefix]
    if isinstance(tree, dict):
        for key, value in tree.items():
            found += _paths(value, (*prefix, key))
    elif isinstance(tree, list):
        for index, value in enumerate(tree):
            found += _paths(value, (*prefix, index))
    return found


def hostile_assessment(seed: bytes, rng: random.Random) -> bytes:
    """A saved assessment with one value replaced by something a hostile or damaged file holds."""
    tree = json.loads(seed)
    path = rng.choice(_paths(tree)[1:])
    hugenumber = "9" * rng.choice([400, 5000])
    depth = rng.choice([1000, 100_000])
    deep = "[" * depth + "]" * depth
    choices: list[object] = ["x" * 100_000, "y" * 10_000_000, "\u202e\x00\x1b[2J" * 1000, [], {}, None, True, -1,
                             1e308, [{"a": 1}] * 10_000, "🙂" * 50_000, "<b>" * 30_000]  # fmt: skip
    marker = "@@HOSTILE@@"
    replacement = rng.choice([*choices, marker])
    node = tree
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = replacement
    text = json.dumps(tree)
    if replacement == marker:
        text = text.replace(f'"{marker}"', rng.choice([hugenumber, deep, "1e99999", "NaN", '"\\ud800"']))
    return text.encode()


def _gui_inputs(count: int, rng: random.Random, folder: Path) -> list[tuple[str, Path]]:
    seed = KINDS["assessment"][1]
    settings = json.dumps({"offline": True, "dns_timeout": 2.0, "packs": ["us-countries-of-concern"]}).encode()
    jobs = []
    for number in range(count):
        kind = rng.choice(GUI_KINDS)
        if kind == "assessment":
            data = hostile_assessment(seed, rng) if rng.random() < 0.6 else mutate(seed, rng)
            path = folder / f"{number}-assessment.json"
        elif kind == "pack":
            path = folder / f"{number}-pack" / "fuzz.toml"
            path.parent.mkdir()
            data = mutate(PACK.encode(), rng)
        else:
            path = folder / f"{number}-settings.json"
            data = mutate(settings, rng)
        path.write_bytes(data)
        jobs.append((kind, path))
    return jobs


class StallWatch:
    """Why the UI thread stalled: a watchdog thread samples every thread's stack while the event loop is silent.

    ``tick()`` runs on the UI thread (the heartbeat). When it has not run for ``FREEZE`` seconds, the watchdog
    records the stacks of the UI thread and of every other thread, every 0.25 s. The next ``tick()`` closes the
    stall with its wall time, the UI thread's CPU time over it (``time.thread_time``, read on that thread) and the
    process's CPU time (all threads): UI CPU near wall is work on the UI thread; process CPU near wall with little
    UI CPU is another thread holding the GIL; both far below wall is the machine busy with other processes.
    """

    def __init__(self) -> None:
        import threading

        self._lock = threading.Lock()
        self._main = threading.main_thread().ident
        self._last = time.perf_counter()
        self._ui_cpu = time.thread_time()
        self._process_cpu = time.process_time()
        self._samples: list[dict[str, list[str]]] = []
        self.stalls: list[dict[str, object]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="stall-watch", daemon=True)
        self._thread.start()

    def tick(self) -> None:
        now, ui_cpu, process_cpu = time.perf_counter(), time.thread_time(), time.process_time()
        with self._lock:
            wall = now - self._last
            if wall > FREEZE:
                self.stalls.append({"wall_s": round(wall, 3), "ui_cpu_s": round(ui_cpu - self._ui_cpu, 3),
                                    "process_cpu_s": round(process_cpu - self._process_cpu, 3),
                                    "load": os.getloadavg()[0], "samples": self._samples[:6]})  # fmt: skip
            self._last, self._ui_cpu, self._process_cpu, self._samples = now, ui_cpu, process_cpu, []

    def reset(self) -> None:
        self.tick()
        self.stalls = []

    def _watch(self) -> None:
        import traceback

        while not self._stop.wait(0.25):
            with self._lock:
                if time.perf_counter() - self._last <= FREEZE or len(self._samples) >= 12:
                    continue
                frames = sys._current_frames()
                sample = {}
                for ident, frame in frames.items():
                    if ident == threading_ident():
                        continue
                    stack = traceback.format_list(traceback.extract_stack(frame)[-8:])
                    sample["ui" if ident == self._main else str(ident)] = [line.strip() for line in stack]
                self._samples.append(sample)

    def close(self) -> None:
        self._stop.set()


def threading_ident() -> int | None:
    import threading

    return threading.get_ident()


def gui_child(jobs_file: Path, results_file: Path) -> int:
    """Open each input in one window; a line per input in ``results_file`` (a 'start' line first)."""
    import shutil

    from PySide6.QtCore import QCoreApplication, QElapsedTimer, QEvent, QTimer
    from PySide6.QtWidgets import QApplication

    from databorder.collect.targets import TargetRequest
    from databorder.errors import DataBorderError
    from databorder.gui.mainwindow import MainWindow
    from databorder.options import settings_file

    app = QApplication.instance() or QApplication([])
    settings_file().parent.mkdir(parents=True, exist_ok=True)
    window = MainWindow()
    window.show()
    app.processEvents()
    clock = QElapsedTimer()
    worst = [0.0]
    watch = StallWatch()

    def beat() -> None:
        worst[0] = max(worst[0], clock.restart() / 1000)
        watch.tick()

    heartbeat = QTimer()
    heartbeat.timeout.connect(beat)
    heartbeat.start(10)
    with results_file.open("a", encoding="utf-8") as out:
        for line in jobs_file.read_text(encoding="utf-8").splitlines():
            kind, path_text = line.split("\t")
            path = Path(path_text)
            out.write(json.dumps({"start": path_text}) + "\n")
            out.flush()
            window.last_error = None
            outcome = "fine"
            clock.restart()
            worst[0] = 0.0
            watch.reset()
            try:
                if kind == "assessment":
                    window.open_path(path, assess_now=False)
                    while window.operations.busy("open"):  # a big file is read in the background
                        app.processEvents()
                        time.sleep(0.005)
                elif kind == "settings":
                    shutil.copyfile(path, settings_file())
                    window.load_data()
                else:
                    settings_file().write_text(json.dumps({"offline": True, "pack_dirs": [str(path.parent)]}))
                    window.load_data()
                    window.start_assessment(TargetRequest(hosts=("x.vendor.test",)), (str(path),))
                    deadline = time.monotonic() + 30
                    while window.assessment_operation is not None and time.monotonic() < deadline:
                        app.processEvents()
                        time.sleep(0.005)
                beat()  # the synchronous call itself held the UI thread this long
                for _ in range(20):  # painting the result and any dialog
                    app.processEvents()
                    time.sleep(0.005)
                beat()
            except DataBorderError:
                pass
            except Exception as exc:  # what the error hook would show as a bug
                outcome = f"bug {type(exc).__name__}"
                import traceback

                traceback.print_exc(limit=-3)
            box = window.last_error
            if box is not None and "(a bug)" in box.text():
                outcome = "bug dialog"
            if box is not None:
                box.close()
            # what the event loop of app.exec() does between events: widgets let go with deleteLater go now
            QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
            if outcome == "fine" and worst[0] > FREEZE:
                outcome = "freeze"
            record = {"done": path_text, "outcome": outcome, "busy_s": round(worst[0], 3), "stalls": watch.stalls}
            out.write(json.dumps(record) + "\n")
            out.flush()
            settings_file().unlink(missing_ok=True)
            window.assessment = None
    window.close()
    return 0


def stall_cause(stall: dict[str, float]) -> str:
    """Whose time a stall was: the UI thread's own work, another thread holding the GIL, or other processes."""
    wall, ui, process = stall["wall_s"], stall["ui_cpu_s"], stall["process_cpu_s"]
    if ui >= 0.5 * wall:
        return "UI thread work"
    if process - ui >= 0.5 * wall:
        return "another thread held the GIL"
    return "CPU contention (other processes)"


def gui_campaign(count: int, rng: random.Random, keep: Path | None = None) -> collections.Counter[str]:
    """Run the GUI child over ``count`` inputs, restarting it after a death; the outcome of each input.

    Every stall over ``FREEZE`` is classified (:func:`stall_cause`); with ``keep``, its input and the stall's
    stack samples (``stalls.jsonl``) are kept there.
    """
    outcomes: collections.Counter[str] = collections.Counter()
    causes: collections.Counter[str] = collections.Counter()
    busiest = 0.0
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        jobs = _gui_inputs(count, rng, folder)
        env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "XDG_CONFIG_HOME": str(folder / "config"),
               "XDG_DATA_HOME": str(folder / "data"), "XDG_CACHE_HOME": str(folder / "cache")}  # fmt: skip
        results = folder / "results.jsonl"
        remaining = jobs
        while remaining:
            listing = folder / "jobs.txt"
            listing.write_text("".join(f"{kind}\t{path}\n" for kind, path in remaining), encoding="utf-8")
            command = [sys.executable, __file__, "--gui-child", str(listing), str(results)]
            errors = folder / "child-stderr.txt"
            try:
                done = subprocess.run(command, capture_output=True, env=env, preexec_fn=limited,
                                      timeout=60 + 10 * len(remaining))  # fmt: skip
                errors.write_bytes(done.stderr)
                if os.environ.get("BAD_INPUTS_SHOW"):
                    sys.stderr.write(done.stderr.decode("utf-8", "replace")[-5000:])
                ended = f"signal {-done.returncode}" if done.returncode < 0 else None
                if done.returncode > 0 and (b"MemoryError" in done.stderr or b"allocate" in done.stderr):
                    ended = "memory"
            except subprocess.TimeoutExpired:
                ended = "hang"
            finished, started = {}, None
            for line in results.read_text(encoding="utf-8").splitlines():
                record = json.loads(line)
                if "start" in record:
                    started = record["start"]
                else:
                    finished[record["done"]] = record
                    started = None
            for record in finished.values():
                busiest = max(busiest, record["busy_s"])
            left = [(kind, path) for kind, path in remaining if str(path) not in finished]
            if started is not None:  # the input the child died on
                finished[started] = {"outcome": ended or "exit without result", "busy_s": 0.0}
                left = [(kind, path) for kind, path in left if str(path) != started]
            elif left:
                left = left[1:]  # died between inputs: count the next one as the cause, so the run moves on
            for kind, path in remaining:
                record = finished.get(str(path))
                if record is not None:
                    outcomes[f"{kind}: {record['outcome']}"] += 1
                    for stall in record.get("stalls", []):
                        causes[f"{kind}: {stall_cause(stall)}"] += 1
                        if keep is not None:
                            keep.mkdir(parents=True, exist_ok=True)
                            if path.exists() and not (keep / path.name).exists():
                                (keep / path.name).write_bytes(path.read_bytes())
                            with (keep / "stalls.jsonl").open("a", encoding="utf-8") as out:
                                out.write(json.dumps({"kind": kind, "input": path.name, **stall}) + "\n")
            results.write_text("", encoding="utf-8")
            remaining = left
    print(f"    the UI thread was busy at most {busiest:.2f} s at once")
    for cause, number in sorted(causes.items()):
        print(f"    stalls over {FREEZE:.0f} s: {cause} x{number}")
    return outcomes


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=600)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", type=Path, help="keep the inputs that found a defect here")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="CLI runs at once")
    parser.add_argument("--gui", action="store_true", help="open hostile inputs in the window instead")
    parser.add_argument("--gui-child", nargs=2, type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.gui_child:
        return gui_child(*args.gui_child)
    rng = random.Random(args.seed)
    if args.gui:
        started = time.perf_counter()
        seen = gui_campaign(args.count, rng, args.keep)
        print(f"{args.count} GUI inputs in {time.perf_counter() - started:.0f} s (seed {args.seed}): "
              + ", ".join(f"{k}: {v}" for k, v in sorted(seen.items())))  # fmt: skip
        return 0 if all(k.endswith(": fine") for k in seen) else 1
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
        with ThreadPoolExecutor(max_workers=args.workers) as pool:
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
