"""Capture import speed and memory: DataBorder's pcap reader against tshark on the same generated capture.

Goal (observed-endpoints issue): faster than tshark extracting the same fields (DNS names and answers, TLS SNI,
HTTP Host) from a ~1 GB capture of realistic traffic, with memory that stays flat as the file grows. The capture
is generated (documentation addresses, `.test` names): per session a DNS answer, a TCP handshake, a TLS
ClientHello made by Python's ssl, then bulk data; some cleartext HTTP. Sizes 256 MB, 512 MB and 1 GB are read
by each tool in its own process so that peak memory (max RSS) is per run.

    python3 benchmarks/pcap_import.py [--gigabytes 1.0] [--keep DIR]
"""

from __future__ import annotations

import argparse
import shutil
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.helpers.packets import client_hello, dns_response, ethernet, tcp, udp

BULK = 1400
SESSION_BULK_PACKETS = 60


def generate(path: Path, size: int) -> tuple[int, int]:
    """Write a pcap of about ``size`` bytes; returns (packets, sessions)."""
    record = struct.Struct("<IIII")
    payload = bytes(range(256)) * (BULK // 256 + 1)
    packets = sessions = 0
    with path.open("wb") as handle:
        handle.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        written = 24
        while written < size:
            n = sessions % 2000
            name = f"svc{n}.app{n % 37}.test"
            server = f"198.51.100.{n % 250 + 1}" if n % 3 else f"203.0.113.{n % 250 + 1}"
            client_port = 20000 + sessions % 40000
            frames = [
                ethernet(udp("10.0.0.53", "10.0.0.2", 53, client_port, dns_response(name, a=[server]))),
                ethernet(tcp("10.0.0.2", server, client_port, 443, syn=True)),
                ethernet(tcp("10.0.0.2", server, client_port, 443, client_hello(f"svc{n % 50}.app.test"))),
            ]
            if n % 10 == 0:
                frames.append(ethernet(tcp("10.0.0.2", server, client_port + 1, 80,
                                           f"GET /v1 HTTP/1.1\r\nHost: {name}\r\n\r\n".encode())))  # fmt: skip
            bulk = ethernet(tcp(server, "10.0.0.2", 443, client_port, payload[:BULK]))
            frames += [bulk] * SESSION_BULK_PACKETS
            for index, frame in enumerate(frames):
                handle.write(record.pack(1_732_450_000 + sessions, index, len(frame), len(frame)))
                handle.write(frame)
                written += 16 + len(frame)
            packets += len(frames)
            sessions += 1
    return packets, sessions


OURS = (
    "import sys, resource; from pathlib import Path; from databorder.collect.pcap import read_pcap; "
    "obs, problems = read_pcap(Path(sys.argv[1])); "
    "print(len({o.host or o.ip for o in obs}), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)"
)
TSHARK_FIELDS = ["dns.qry.name", "dns.a", "dns.aaaa", "tls.handshake.extensions_server_name", "http.host"]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--gigabytes", type=float, default=1.0)
    parser.add_argument("--keep", type=Path, help="write the captures here and keep them")
    args = parser.parse_args()
    tshark = shutil.which("tshark")
    folder = args.keep or Path(tempfile.mkdtemp(prefix="databorder-pcap-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    print(f"{'capture':>10} {'packets':>10} | {'DataBorder':>16} {'peak RSS':>9} | {'tshark':>16} {'peak RSS':>9}")
    try:
        for fraction in (0.25, 0.5, 1.0):
            size = int(args.gigabytes * fraction * 1024**3)
            path = folder / f"capture-{size >> 20}MB.pcap"
            packets, _ = generate(path, size)
            started = time.perf_counter()
            out = subprocess.run([sys.executable, "-c", OURS, str(path)], capture_output=True, text=True, check=True)
            ours_wall = time.perf_counter() - started
            endpoints, ours_rss = out.stdout.split()
            line = f"{size >> 20:>8}MB {packets:>10,} | {ours_wall:>14.1f} s {int(ours_rss):>6} MB | "
            if tshark:
                command = ["/usr/bin/time", "-f", "%M", tshark, "-r", str(path), "-n", "-T", "fields",
                           *[x for f in TSHARK_FIELDS for x in ("-e", f)],
                           "-Y", "dns.flags.response == 1 or tls.handshake.type == 1 or http.request"]  # fmt: skip
                started = time.perf_counter()
                result = subprocess.run(command, capture_output=True, text=True, check=True)
                tshark_wall = time.perf_counter() - started
                tshark_rss = int(result.stderr.strip().splitlines()[-1]) // 1024
                line += f"{tshark_wall:>14.1f} s {tshark_rss:>6} MB"
            else:
                line += "tshark not installed (apt-get install tshark)"
            print(line + f"   ({endpoints} endpoints found)", flush=True)
            if not args.keep:
                path.unlink()
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
