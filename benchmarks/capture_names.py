"""Names found in real capture files: DataBorder's capture import against tshark, file by file, in one run.

Every capture under the folders given (pcap, pcapng, and their gzip/zstd/xz/bzip2-compressed forms) is read by
tshark and by DataBorder's ``read_capture`` (the reader the CLI and GUI use, format detection included). The
reference is the set of names tshark shows per file:

- ``tls``: TLS ClientHello server names over TCP (``tls.handshake.extensions_server_name``);
- ``quic``: the same field inside QUIC Initial packets, and gQUIC's ``gquic.tag.sni``;
- ``dns``: ``dns.qry.name`` of responses whose answer section (not the additional records) holds an A, AAAA or
  CNAME record (not mDNS or LLMNR, ports 5353/5355);
- ``http``: ``http.host`` of requests, and HTTP/2 ``:authority`` where tshark sees it.

A name counts as found when DataBorder reports an endpoint of that name (after the same normalisation: lower
case, trailing dot and port dropped; IP literals and strings that are not host names are left out of the
reference). ``--before TREE`` runs the same sweep with another checkout's engine (e.g. main) in the same run, so
before and after are compared on the same files next to the same tshark. CPU time is user+system per file.

    python3 benchmarks/capture_names.py FOLDER... [--before CHECKOUT] [--gzip] [--misses FILE]

HAR files (``.har``) have no tshark; their reference (``har``) is the host of every absolute request URL, read
with the standard library's json (whatever the encoding: UTF-8 with or without a mark, UTF-16, gzip).

``--gzip`` adds a gzip-compressed copy of each capture (in a temporary folder) to the sweep, as people keep them.
"""

from __future__ import annotations

import argparse
import collections
import gzip
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SUFFIXES = (".har", ".har.gz", ".pcap", ".pcapng", ".cap", ".pcap.gz", ".pcapng.gz", ".cap.gz", ".pcap.zst",
            ".pcapng.zst", ".pcap.xz", ".pcapng.xz", ".pcap.bz2", ".pcapng.bz2")  # fmt: skip
KINDS = ("tls", "quic", "dns", "http", "har")
FIELDS = ["tls.handshake.extensions_server_name", "quic.version", "gquic.tag.sni", "dns.flags.response",
          "dns.qry.name", "dns.count.answers", "dns.resp.type", "udp.port", "http.host",
          "http2.headers.authority"]  # fmt: skip
FILTER = ("tls.handshake.type == 1 or gquic.tag.sni or dns.flags.response == 1 or http.request"
          " or http2.headers.authority")  # fmt: skip

WORKER = r"""
import json, resource, signal, sys, traceback
from pathlib import Path
from databorder.collect.captures import read_capture
from databorder.errors import DataBorderError

def cpu():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime

def alarm(*_):
    raise TimeoutError("no result in 120 s")

signal.signal(signal.SIGALRM, alarm)
for line in sys.stdin:
    path = line.rstrip("\n")
    result = {"path": path, "hosts": [], "problems": 0, "error": None, "crash": None, "format": None}
    started = cpu()
    signal.alarm(120)
    try:
        observations, problems, fmt = read_capture(Path(path))
        result.update(hosts=sorted({o.host for o in observations if o.host}), problems=len(problems), format=fmt,
                      problem_texts=[p.message for p in problems[:3]])
    except DataBorderError as exc:
        result["error"] = str(exc)
    except BaseException as exc:
        result["crash"] = "".join(traceback.format_exception(exc))[-2000:]
    finally:
        signal.alarm(0)
    result["cpu"] = cpu() - started
    print(json.dumps(result), flush=True)
"""


def captures(folders: list[Path]) -> list[Path]:
    found = [p for folder in folders for p in folder.rglob("*") if p.is_file() and p.name.lower().endswith(SUFFIXES)]
    return sorted(found)


def tshark_names(path: Path) -> tuple[dict[str, set[str]], float, str | None]:
    """Names per kind tshark shows for one file, its CPU time, and its complaint if it stopped early."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    command = ["tshark", "-r", str(path), "-n", "-T", "fields", "-E", "occurrence=a", "-E", "aggregator=|",
               "-Y", FILTER, *[x for f in FIELDS for x in ("-e", f)]]  # fmt: skip
    try:
        result = subprocess.run(command, capture_output=True, text=True, errors="replace", timeout=300, check=False)
        lines = result.stderr.strip().splitlines()
        output, complaint = result.stdout, (lines[-1] if lines else None)
    except subprocess.TimeoutExpired:
        output, complaint = "", "tshark timed out"
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    names: dict[str, set[str]] = {kind: set() for kind in KINDS}
    for line in output.splitlines():
        row = dict(zip(FIELDS, line.split("\t"), strict=False))
        for sni in _values(row.get("tls.handshake.extensions_server_name")):
            names["quic" if row.get("quic.version") else "tls"].add(sni)
        names["quic"].update(_values(row.get("gquic.tag.sni")))
        ports = set(_values(row.get("udp.port")))
        counts = _values(row.get("dns.count.answers"))
        types = _values(row.get("dns.resp.type"))  # answers first, then authority and additional records
        answers = int(counts[0]) if counts and counts[0].isdigit() else 0
        answered = bool({"1", "5", "28"} & set(types[:answers]))
        if "1" in _values(row.get("dns.flags.response")) and answered and not ports & {"5353", "5355"}:
            names["dns"].update(_values(row.get("dns.qry.name")))
        for host in [*_values(row.get("http.host")), *_values(row.get("http2.headers.authority"))]:
            names["http"].add(host.rsplit(":", 1)[0] if "]" not in host and host.count(":") == 1 else host)
    return names, cpu, complaint if complaint and "dangerous" not in complaint else None


def har_names(path: Path) -> tuple[dict[str, set[str]], float, str | None]:
    """The reference for a HAR: hosts of its absolute request URLs, by the standard library."""
    import urllib.parse

    started = time.process_time()
    names: dict[str, set[str]] = {kind: set() for kind in KINDS}
    raw = path.read_bytes()
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    try:
        text = raw.decode("utf-8-sig") if raw[:2] not in (b"\xff\xfe", b"\xfe\xff") else raw.decode("utf-16")
        entries = json.loads(text)["log"]["entries"]
    except (ValueError, KeyError, TypeError) as exc:
        return names, time.process_time() - started, f"not a HAR for json: {exc}"[:80]
    for entry in entries if isinstance(entries, list) else []:
        url = entry.get("request", {}).get("url") if isinstance(entry, dict) else None
        if isinstance(url, str) and "://" in url:
            host = urllib.parse.urlsplit(url).hostname
            if host and not url.startswith(("data:", "blob:", "about:", "chrome-extension:")):
                names["har"].add(host)
    return names, time.process_time() - started, None


def _values(field: str | None) -> list[str]:
    return [v for v in (field or "").replace(",", "|").split("|") if v]


def reference(names: dict[str, set[str]], normalise: object) -> dict[str, set[str]]:
    """The reference names: normalised host names only (IP literals and non-names left out)."""
    kept: dict[str, set[str]] = {}
    for kind, values in names.items():
        kept[kind] = set()
        for value in values:
            try:
                host = normalise(value)  # type: ignore[operator]
            except Exception:  # a string that is not a host name is not a name to find
                continue
            if not _is_ip(host):
                kept[kind].add(host)
    return kept


def _is_ip(text: str) -> bool:
    import ipaddress

    try:
        ipaddress.ip_address(text.strip("[]"))
    except ValueError:
        return False
    return True


def run_engine(tree: Path, files: list[Path]) -> dict[str, dict[str, object]]:
    env = {**os.environ, "PYTHONPATH": str(tree / "desktop")}
    process = subprocess.run(
        [sys.executable, "-c", WORKER], input="\n".join(map(str, files)) + "\n", capture_output=True, text=True,
        env=env, check=False,
    )  # fmt: skip
    results = {}
    for line in process.stdout.splitlines():
        item = json.loads(line)
        results[item["path"]] = item
    if process.returncode:
        print(f"engine of {tree.name} exited {process.returncode}: {process.stderr[-500:]}", file=sys.stderr)
    return results


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("folders", nargs="+", type=Path)
    parser.add_argument("--before", type=Path, help="another checkout whose engine is swept too (e.g. main)")
    parser.add_argument("--gzip", action="store_true", help="also sweep a gzip-compressed copy of each capture")
    parser.add_argument("--misses", type=Path, help="write the names tshark shows and this checkout misses here")
    args = parser.parse_args()
    if shutil.which("tshark") is None:
        sys.exit("tshark is not installed (apt-get install tshark)")
    sys.path.insert(0, str(ROOT / "desktop"))
    from databorder.endpoints import normalise_host

    files = captures(args.folders)
    scratch = Path(tempfile.mkdtemp(prefix="databorder-sweep-"))
    try:
        if args.gzip:
            for index, path in enumerate(list(files)):
                copy = scratch / f"{index}-{path.name}.gz"
                with path.open("rb") as source, gzip.open(copy, "wb") as target:
                    shutil.copyfileobj(source, target)
                files.append(copy)
        started = time.perf_counter()
        wanted: dict[str, dict[str, set[str]]] = {}
        tshark_cpu: dict[str, float] = {}
        complaints = 0
        for path in files:
            reader = har_names if path.name.lower().endswith((".har", ".har.gz")) else tshark_names
            names, cpu, complaint = reader(path)
            wanted[str(path)] = reference(names, normalise_host)
            tshark_cpu[str(path)] = cpu
            complaints += complaint is not None
        print(f"{len(files)} files, {sum(p.stat().st_size for p in files) / 2**20:,.1f} MB; tshark read them in "
              f"{time.perf_counter() - started:,.0f} s ({complaints} with a complaint from tshark)")  # fmt: skip
        trees = [("before", args.before)] if args.before else []
        trees.append(("after", ROOT))
        swept = {label: run_engine(tree, files) for label, tree in trees}
        _print(files, wanted, tshark_cpu, swept)
        if args.misses:
            _write_misses(args.misses, files, wanted, swept["after"])
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _print(
    files: list[Path],
    wanted: dict[str, dict[str, set[str]]],
    tshark_cpu: dict[str, float],
    swept: dict[str, dict[str, dict[str, object]]],
) -> None:
    total = {kind: sum(len(wanted[str(p)][kind]) for p in files) for kind in KINDS}
    header = f"{'':<22}" + "".join(f"{kind:>16}" for kind in KINDS) + f"{'all':>16}"
    print(header)
    print(f"{'names tshark shows':<22}" + "".join(f"{total[k]:>16,}" for k in KINDS) + f"{sum(total.values()):>16,}")
    for label, results in swept.items():
        found: collections.Counter[str] = collections.Counter()
        for path in files:
            hosts = set(results.get(str(path), {}).get("hosts", []))  # type: ignore[call-overload]
            for kind in KINDS:
                found[kind] += len(wanted[str(path)][kind] & hosts)
        cells = "".join(f"{found[k]:>8,} {_share(found[k], total[k]):>6}" for k in KINDS)
        everything = sum(found.values())
        print(f"{'found, ' + label:<22}{cells}{everything:>8,} {_share(everything, sum(total.values())):>6}")
    for label, results in swept.items():
        crashes = [r for r in results.values() if r.get("crash")]
        missing = len(files) - len(results)
        errors = collections.Counter(str(r["error"]).split(": ", 1)[-1][:60] for r in results.values() if r["error"])
        formats = collections.Counter(str(r["format"]) for r in results.values() if r["format"])
        print(f"{label}: {len(crashes)} tracebacks/hangs, {missing} files without a result, "
              f"{sum(errors.values())} refused with a sentence, read as {dict(formats)}")  # fmt: skip
        for crash in crashes[:5]:
            print(f"   {crash['path']}: {str(crash['crash']).strip().splitlines()[-1]}")
        for text, count in errors.most_common(4):
            print(f"   {count:>4} × {text}")
    largest = sorted(files, key=lambda p: p.stat().st_size, reverse=True)[:10]
    for label, results in swept.items():
        ours = sum(_cpu(results, p) for p in files)
        big = sum(_cpu(results, p) for p in largest)
        print(f"CPU, {label}: {ours:,.2f} s for all files (tshark {sum(tshark_cpu.values()):,.2f} s); "
              f"10 largest files ({sum(p.stat().st_size for p in largest) / 2**20:,.1f} MB): {big:,.2f} s "
              f"(tshark {sum(tshark_cpu[str(p)] for p in largest):,.2f} s)")  # fmt: skip


def _cpu(results: dict[str, dict[str, object]], path: Path) -> float:
    value = results.get(str(path), {}).get("cpu", 0.0)
    return float(value) if isinstance(value, int | float) else 0.0


def _share(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "-"


def _write_misses(
    target: Path, files: list[Path], wanted: dict[str, dict[str, set[str]]], results: dict[str, dict[str, object]]
) -> None:
    with target.open("w", encoding="utf-8") as out:
        for path in files:
            result = results.get(str(path), {})
            hosts = set(result.get("hosts", []))  # type: ignore[call-overload]
            for kind in KINDS:
                for name in sorted(wanted[str(path)][kind] - hosts):
                    out.write(f"{kind}\t{path}\t{name}\n")


if __name__ == "__main__":
    main()
