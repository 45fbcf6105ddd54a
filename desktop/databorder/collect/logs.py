"""Log collectors: Squid access logs, Zeek dns/conn/ssl logs (TSV or JSON lines), CSV/TSV with a host column.

Logs are what proxies and network monitors already keep; each line names a host or address a machine reached.
Lines are read one at a time; a line that cannot be understood is reported with its number and skipped.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from databorder.collect import InputProblem, ReadCancelled, Sightings, input_problems, open_input
from databorder.collect.compressed import compression_note
from databorder.endpoints import parse_endpoint
from databorder.errors import CaptureFormatError, EndpointSyntaxError
from databorder.model import Collector, Evidence, Observation

#: Column names (lower case) that hold a host, URL or address in a CSV/TSV export, in order of preference.
HOST_COLUMNS = ("url", "uri", "host", "hostname", "domain", "server_name", "sni", "query", "destination", "dest",
                "dst", "remote_address", "ip")  # fmt: skip
_EXCERPT = 200


def _lines(path: Path, problems: list[InputProblem]) -> Iterator[tuple[int, str]]:
    """(number, text) for each line; undecodable bytes become U+FFFD so one bad byte costs one entry at most.

    A UTF-8 byte-order mark before line 1 is dropped (spreadsheets write one), and a line end may be LF, CRLF or
    a lone CR (old Mac tools): a log with CR line ends is not read as one long line. A compressed log that stops
    early (damage, or the size limit) loses its last, partial line rather than inventing an entry from it, and
    the reason is added to ``problems``; so is where reading stopped, after a cancel.
    """
    number = 0
    with open_input(path) as handle:
        try:
            for raw in handle:
                if not raw.endswith(b"\n") and compression_note(handle):
                    break
                body = raw.rstrip(b"\r\n")
                for part in body.split(b"\r") if b"\r" in body else (body,):
                    number += 1
                    text = part.decode("utf-8", "replace")
                    yield number, text.removeprefix("\ufeff") if number == 1 else text
        except ReadCancelled as stop:
            problems.append(stop.problem)
        problems += input_problems(handle, str(path))


class _Reader:
    """Shared bookkeeping: observations with evidence, and problems with line numbers."""

    def __init__(self, path: Path, collector: Collector) -> None:
        self.source = str(path)
        self.collector = collector
        self.sightings = Sightings()
        self.problems: list[InputProblem] = []

    def add(self, value: str, number: int, line: str, *, seen: Sequence[str] = (), port: int | None = None) -> None:
        try:
            parsed = parse_endpoint(value)
        except EndpointSyntaxError as exc:
            self.problems.append(InputProblem(self.source, number, f"{exc}; skipped"))
            return
        excerpt = line if len(line) <= _EXCERPT else line[: _EXCERPT - 1] + "…"
        seen_addresses = tuple(a for a in map(_as_ip, seen) if a) if parsed.host else ()
        self.sightings.add(
            Observation(
                host=parsed.host,
                ip=parsed.ip,
                port=parsed.port or port,
                scheme=parsed.scheme,
                evidence=Evidence(self.collector, self.source, f"line {number}", excerpt),
                seen_addresses=seen_addresses,
            )
        )

    def result(self) -> tuple[list[Observation], list[InputProblem]]:
        return self.sightings.observations(), self.problems


def read_squid(path: Path) -> tuple[list[Observation], list[InputProblem]]:
    """Squid's native access.log: ``time elapsed client code/status bytes method URL user hierarchy/peer type``."""
    reader = _Reader(path, "squid")
    for number, line in _lines(path, reader.problems):
        fields = line.split()
        if not fields:
            continue
        if len(fields) < 7:
            reader.problems.append(InputProblem(reader.source, number, "is not a Squid access.log line; skipped"))
            continue
        peer = fields[8].partition("/")[2] if len(fields) > 8 else ""
        reader.add(fields[6], number, line, seen=(peer,))
    return reader.result()


def read_zeek(path: Path) -> tuple[list[Observation], list[InputProblem]]:
    """Zeek logs: dns.log (query, answers), conn.log (responder), ssl.log (server_name).

    Read as TSV with a ``#fields`` header, or as JSON lines.
    """
    reader = _Reader(path, "zeek")
    fields: list[str] | None = None
    for number, line in _lines(path, reader.problems):
        if not line:
            continue
        if line.startswith("#"):
            if line.startswith("#fields"):
                fields = line.split("\t")[1:]
            continue
        if line.startswith("{"):
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                reader.problems.append(InputProblem(reader.source, number, "is not valid JSON; skipped"))
                continue
        elif fields is not None:
            record = dict(zip(fields, line.split("\t"), strict=False))
        else:
            reader.problems.append(InputProblem(reader.source, number, "comes before any #fields header; skipped"))
            continue
        _zeek_record(reader, record, number, line)
    return reader.result()


def _zeek_record(reader: _Reader, record: dict[str, object], number: int, line: str) -> None:
    def text(key: str) -> str | None:
        value = record.get(key)
        return value if isinstance(value, str) and value not in ("", "-", "(empty)") else None

    responder = text("id.resp_h")
    port_value = record.get("id.resp_p")
    port = int(port_value) if isinstance(port_value, int | str) and str(port_value).isdigit() else None
    if text("query"):  # dns.log
        answers = record.get("answers")
        addresses = answers if isinstance(answers, list) else (text("answers") or "").split(",")
        reader.add(str(text("query")), number, line, seen=[a for a in addresses if isinstance(a, str)])
    elif text("server_name"):  # ssl.log
        reader.add(str(text("server_name")), number, line, seen=(responder,) if responder else (), port=port)
    elif responder:  # conn.log
        reader.add(responder, number, line, port=port)


def _as_ip(text: str) -> str | None:
    """The canonical address in ``text``, or None (Zeek and Squid write '-' or names where none is known)."""
    try:
        return parse_endpoint(text.strip()).ip
    except EndpointSyntaxError:
        return None


def read_table(path: Path) -> tuple[list[Observation], list[InputProblem]]:
    """A CSV or TSV export whose header names a host/URL/address column (see HOST_COLUMNS)."""
    reader = _Reader(path, "table")
    lines = _lines(path, reader.problems)
    header_number, header_line = next(lines, (1, ""))
    dialect = _dialect(header_line)
    try:
        header = [h.strip().lower() for h in next(csv.reader([header_line], dialect), [])]
    except csv.Error as exc:
        raise CaptureFormatError(path, f"has an unreadable header ({exc})", line=header_number) from None
    column = next((header.index(name) for name in HOST_COLUMNS if name in header), None)
    if column is None:
        raise CaptureFormatError(
            path, f"has no host column in its header; name one of: {', '.join(HOST_COLUMNS)}", line=header_number
        )
    for number, line in lines:
        if not line.strip():
            continue
        try:
            row = next(csv.reader([line], dialect), [])
        except csv.Error as exc:
            reader.problems.append(InputProblem(reader.source, number, f"is not a valid CSV line ({exc}); skipped"))
            continue
        if column >= len(row) or not row[column].strip():
            reader.problems.append(InputProblem(reader.source, number, f"has no value in column {header[column]!r}"))
            continue
        reader.add(row[column].strip(), number, line)
    return reader.result()


def _dialect(header: str) -> type[csv.Dialect]:
    return csv.excel_tab if header.count("\t") > header.count(",") else csv.excel


def looks_like_squid(line: str) -> bool:
    """A Squid native log line: epoch time, elapsed ms, client, CODE/status, bytes, method, URL."""
    fields = line.split()
    return (
        len(fields) >= 7
        and fields[0].replace(".", "", 1).isdigit()
        and fields[1].isdigit()
        and "/" in fields[3]
        and fields[3].split("/")[0].isupper()
    )


def looks_like_table(line: str) -> bool:
    """A CSV/TSV header naming a host column."""
    try:
        header = [h.strip().lower() for h in next(csv.reader(io.StringIO(line), _dialect(line)), [])]
    except csv.Error:
        return False
    return any(name in header for name in HOST_COLUMNS)


LOG_READERS: dict[str, Callable[[Path], tuple[list[Observation], list[InputProblem]]]] = {
    "squid": read_squid,
    "zeek": read_zeek,
    "csv": read_table,
}
