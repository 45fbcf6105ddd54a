"""Imported captures: recognise what a file is from its content, then hand it to the collector that reads it.

Formats: ``har``, ``pcap`` (pcap and pcapng), ``squid``, ``zeek``, ``csv`` (CSV/TSV with a host column) and
``hosts`` (a plain list).  Detection reads the first few kilobytes, decompressed when the file is gzip-, zstd-,
xz- or bzip2-compressed (told by magic bytes, not the name); ``--capture-format`` overrides it.  Binary data that
is none of these is refused with one sentence, never read as a host list.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from databorder.collect import InputProblem, open_input, text_encoding
from databorder.collect.har import JSONP_START, read_har
from databorder.collect.hostlist import describe_binary, read_host_list
from databorder.collect.logs import LOG_READERS, looks_like_squid, looks_like_table
from databorder.collect.pcap import PCAP_MAGICS, PCAPNG_MAGIC, read_pcap
from databorder.errors import CaptureFormatError
from databorder.model import Observation

Reader = Callable[[Path], tuple[list[Observation], list[InputProblem]]]
READERS: dict[str, Reader] = {"har": read_har, "pcap": read_pcap, **LOG_READERS, "hosts": read_host_list}
FORMATS = tuple(READERS)


def detect_format(path: Path) -> str:
    """The format of the file at ``path``, judged from its first bytes."""
    with open_input(path) as handle:
        head = handle.read(8192)
    if head[:4] in PCAP_MAGICS or head[:4] == PCAPNG_MAGIC:
        return "pcap"
    encoding = text_encoding(head)
    if encoding is None:
        raise CaptureFormatError(path, f"is binary data, not a capture, log or host list ({describe_binary(head)})")
    text = head[: len(head) // 2 * 2 if encoding != "utf-8" else None].decode(encoding, "replace")
    text = text.lstrip("\ufeff \t\r\n")
    jsonp = JSONP_START.match(text.encode("utf-8", "replace")[:256]) is not None
    if (text.startswith("{") or jsonp) and '"log"' in text[:4096]:
        return "har"  # a damaged one is then refused as "not a HAR file", not read line by line as hosts
    lines = [line for line in text.splitlines() if line.strip()]
    first = lines[0] if lines else ""
    if first.startswith("#separator") or first.startswith("#fields") or _zeek_json(first):
        return "zeek"
    if looks_like_squid(first):
        return "squid"
    if looks_like_table(first):
        return "csv"  # a one-column export too: its header ``url`` is no host to assess
    return "hosts"


def read_capture(path: Path, fmt: str | None = None) -> tuple[list[Observation], list[InputProblem], str]:
    """Observations and problems from one capture or log, and the format it was read as."""
    chosen = fmt or detect_format(path)
    reader = READERS.get(chosen)
    if reader is None:
        raise CaptureFormatError(
            path, f"format {chosen!r} is not one DataBorder reads; use one of {', '.join(FORMATS)}"
        )
    observations, problems = reader(path)
    return observations, problems, chosen


def _zeek_json(line: str) -> bool:
    return line.startswith("{") and any(key in line for key in ('"id.resp_h"', '"query"', '"server_name"', '"uid"'))
