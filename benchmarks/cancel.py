"""Ctrl-C during long work: how long `databorder assess` takes to stop, and what it keeps.

Each case starts the CLI as a user would, waits until it is busy (reading a big folder, HAR, pcap or log, or
waiting on a nameserver that answers its probe and swallows every other query), sends SIGINT, and measures the
time to exit. Goal (hardening issue): every case exits within a second with code 4 and a report marked partial.

    python3 benchmarks/cancel.py [--size-mb 400] [--after 2.0] [--case NAME ...]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parents[1]), str(Path(__file__).resolve().parent)]
from tests.helpers.dns_servers import ProbeOnlyNameserver  # noqa: E402

from pcap_import import generate as generate_pcap  # noqa: E402  (benchmarks/pcap_import.py)

ROOT = Path(__file__).resolve().parents[1]
DNS_WAIT = 8  # the nameserver's timeout given: every name waits this long unless the run is cancelled


def har(path: Path, size: int) -> None:
    entry = (
        '{{"startedDateTime":"2026-01-01T00:00:00Z","request":{{"method":"POST","url":"https://api{n}.vendor.test/v1",'
        '"headers":[{{"name":"x","value":"{pad}"}}]}},"response":{{"status":200}},"serverIPAddress":"203.0.113.9",'
        '"timings":{{}}}}'
    )
    pad = "p" * 2000
    with path.open("w", encoding="utf-8") as out:
        out.write('{"log":{"version":"1.2","creator":{"name":"b","version":"1"},"entries":[')
        written, n = 0, 0
        while written < size:
            text = ("," if n else "") + entry.format(n=n % 500, pad=pad)
            out.write(text)
            written += len(text)
            n += 1
        out.write("]}}")


def pcap(path: Path, size: int) -> None:
    generate_pcap(path, size)


def squid(path: Path, size: int) -> None:
    line = (
        "1700000000.000 120 10.0.0.1 TCP_TUNNEL/200 5000 CONNECT api{n}.vendor.test:443 - HIER_DIRECT/203.0.113.9 -\n"
    )
    with path.open("w", encoding="utf-8") as out:
        written, n = 0, 0
        while written < size:
            text = line.format(n=n % 500)
            out.write(text)
            written += len(text)
            n += 1


def folder(path: Path, size: int) -> None:
    path.mkdir()
    chunk = "".join(f'const u{n} = "https://svc{n}.vendor.test/v1/chat";\n' for n in range(300)) * 40
    files = max(1, size // len(chunk))
    for n in range(files):
        (path / f"module{n}.js").write_text(chunk, encoding="utf-8")


def hosts(path: Path, count: int) -> None:
    path.write_text("".join(f"h{n}.slow.test\n" for n in range(count)), encoding="utf-8")


def run_case(name: str, args: list[str], after: float, env: dict[str, str], out: Path) -> dict[str, object]:
    command = [sys.executable, "-m", "databorder", "assess", *args, "--json", str(out), "-q"]
    started = time.monotonic()
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    time.sleep(after)
    if process.poll() is not None:
        _, stderr = process.communicate()
        return {"case": name, "error": f"finished before the signal (exit {process.returncode})",
                "stderr": stderr.decode()[-300:]}  # fmt: skip
    sent = time.monotonic()
    process.send_signal(signal.SIGINT)
    try:
        _, stderr = process.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        return {"case": name, "error": "still running 60 s after SIGINT"}
    stopped = time.monotonic() - sent
    result: dict[str, object] = {"case": name, "exit": process.returncode, "stop_s": round(stopped, 2),
                                 "ran_s": round(sent - started, 2)}  # fmt: skip
    if out.exists():
        saved = json.loads(out.read_text(encoding="utf-8"))
        result["complete"] = saved.get("complete")
        result["endpoints"] = len(saved.get("endpoints", []))
        result["warnings"] = [w for w in saved.get("warnings", []) if "cancel" in w or "stopped" in w][:2]
    result["stderr"] = [line for line in stderr.decode().splitlines() if line][-3:]
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size-mb", type=int, default=400, help="size of each big input (default 400)")
    parser.add_argument("--after", type=float, default=2.5, help="seconds before SIGINT (default 2.5)")
    parser.add_argument("--case", action="append", help="only these cases (folder, har, pcap, squid, dns)")
    args = parser.parse_args()
    size = args.size_mb << 20
    env = {**os.environ, "PYTHONPATH": str(ROOT / "desktop")}
    makers: dict[str, tuple[str, Callable[[Path, int], None]]] = {
        "folder": ("app", folder), "har": ("big.har", har), "pcap": ("big.pcap", pcap),
        "squid": ("access.log", squid), "dns": ("hosts.txt", lambda p, s: hosts(p, 3000)),
    }  # fmt: skip
    chosen = args.case or list(makers)
    with tempfile.TemporaryDirectory() as tmp, ProbeOnlyNameserver() as nameserver:
        for name in chosen:
            file_name, make = makers[name]
            path = Path(tmp) / file_name
            make(path, size)
            offline = ["--offline"]
            if name == "folder":
                case_args = [str(path), "--all", *offline]
            elif name == "dns":
                case_args = ["--hosts", str(path), "--nameserver", nameserver.nameserver,
                             "--dns-timeout", str(DNS_WAIT)]  # fmt: skip
            else:
                case_args = ["--capture", str(path), *offline]
            print(json.dumps(run_case(name, case_args, args.after, env, Path(tmp) / f"{name}.json")), flush=True)
            if path.is_dir():
                import shutil

                shutil.rmtree(path)
            else:
                path.unlink()
    return 0


if __name__ == "__main__":
    sys.exit(main())
