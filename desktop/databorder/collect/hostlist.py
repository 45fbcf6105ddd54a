"""The plain-list collector: hosts, URLs and addresses given on the command line or in a text file.

A host list is one entry per line; ``#`` starts a comment (at the start of a line or after white space, so URL
fragments survive); hosts-file lines (``0.0.0.0 name [name…]``) contribute their names.  A line that cannot be
understood is reported with its number and skipped: one typo must not cost the rest of the list.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import BinaryIO

from databorder.collect import InputProblem, ReadCancelled, input_problems, open_input, text_encoding
from databorder.collect.compressed import compression_note
from databorder.collect.pcap import PCAP_MAGICS, PCAPNG_MAGIC
from databorder.endpoints import ParsedEndpoint, parse_endpoint
from databorder.errors import EndpointSyntaxError, InputFileError
from databorder.inputs import HOST_LIST_LIMIT
from databorder.model import Evidence, Observation

_COMMENT_RE = re.compile(r"(?:^|\s)#.*$")
_EXCERPT_LIMIT = 200


def observations_from_args(values: Iterable[str]) -> tuple[list[Observation], list[InputProblem]]:
    """Observations for hosts/URLs typed on the command line (collector ``cli``)."""
    observations: list[Observation] = []
    problems: list[InputProblem] = []
    for index, value in enumerate(values, start=1):
        try:
            parsed = parse_endpoint(value)
        except EndpointSyntaxError as exc:
            problems.append(InputProblem(source="command line", line=None, message=f"argument {index}: {exc}"))
            continue
        evidence = Evidence(collector="cli", source="command line", location=f"argument {index}", excerpt=value)
        observations.append(_observation(parsed, evidence))
    return observations, problems


def read_host_list(path: Path) -> tuple[list[Observation], list[InputProblem]]:
    """Observations for every entry of a host list file (collector ``list``), and the lines that were skipped.

    Raises :class:`InputFileError` if the file cannot be read at all, or is not text: bytes of a binary file
    (a compressed capture, an executable) are never assessed as host names. A gzip/zstd/xz/bzip2-compressed list
    is read decompressed, up to the host list's size limit.
    """
    observations: list[Observation] = []
    problems: list[InputProblem] = []
    source = str(path)
    with open_input(path, limit=HOST_LIST_LIMIT) as handle:
        peek = getattr(handle, "peek", None)
        head = peek(_SNIFF)[:_SNIFF] if peek is not None else b""
        encoding = text_encoding(head)
        if encoding is None:
            raise InputFileError(path, f"is binary data, not a text list of hosts ({describe_binary(head)})")
        lines = _utf16_lines(handle, encoding) if encoding != "utf-8" else handle
        try:
            for number, raw in enumerate(lines, start=1):
                if not raw.endswith(b"\n") and compression_note(handle):
                    break  # the partial last line of a compressed list cut short: not an entry
                _read_line(raw, number, source, observations, problems)
        except ReadCancelled as stop:
            problems.append(stop.problem)
        problems += input_problems(handle, source)
    return observations, problems


_SNIFF = 8192


def describe_binary(head: bytes) -> str:
    """A few words on what a binary file's first bytes are."""
    if head[:4] in PCAP_MAGICS or head[:4] == PCAPNG_MAGIC:
        return "a pcap or pcapng capture; read it with --capture"
    kinds = {b"PK\x03\x04": "a zip archive", b"\x7fELF": "an ELF executable", b"MZ": "a Windows executable",
             b"%PDF": "a PDF document", b"SQLite format 3": "an SQLite database"}  # fmt: skip
    for magic, kind in kinds.items():
        if head.startswith(magic):
            return kind
    return "it starts with bytes " + head[:8].hex(" ")


def _utf16_lines(handle: BinaryIO, encoding: str) -> Iterator[bytes]:
    """The lines of a UTF-16 text (Windows Notepad's 'Unicode'), as UTF-8 bytes."""
    with io.TextIOWrapper(handle, encoding=encoding, errors="replace", newline=None) as text:
        for line in text:
            yield line.encode("utf-8")


def _read_line(
    raw: bytes, number: int, source: str, observations: list[Observation], problems: list[InputProblem]
) -> None:
    try:
        text = raw.decode("utf-8-sig" if number == 1 else "utf-8")
    except UnicodeDecodeError:
        problems.append(InputProblem(source, number, "is not UTF-8 text; skipped"))
        return
    if "\x00" in text:
        problems.append(InputProblem(source, number, "contains NUL bytes (is this a binary file?); skipped"))
        return
    content = _COMMENT_RE.sub("", text).strip()
    if not content:
        return
    tokens = content.split()
    if len(tokens) > 1 and _is_ip(tokens[0]):
        tokens = tokens[1:]  # hosts-file format: the address is a local redirect, the names are the endpoints
    elif len(tokens) > 1:
        problems.append(InputProblem(source, number, f"holds {len(tokens)} entries; give one host or URL per line"))
        return
    excerpt = content if len(content) <= _EXCERPT_LIMIT else content[: _EXCERPT_LIMIT - 1] + "…"
    for token in tokens:
        try:
            parsed = parse_endpoint(token)
        except EndpointSyntaxError as exc:
            problems.append(InputProblem(source, number, f"{exc}; skipped"))
            continue
        evidence = Evidence(collector="list", source=source, location=f"line {number}", excerpt=excerpt)
        observations.append(_observation(parsed, evidence))


def _is_ip(token: str) -> bool:
    try:
        return parse_endpoint(token).ip is not None
    except EndpointSyntaxError:
        return False


def _observation(parsed: ParsedEndpoint, evidence: Evidence) -> Observation:
    # The user listed this entry on purpose: it is as relevant as an endpoint can be.
    return Observation(
        host=parsed.host,
        ip=parsed.ip,
        port=parsed.port,
        scheme=parsed.scheme,
        evidence=evidence,
        relevance=1.0,
    )
