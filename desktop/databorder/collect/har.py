"""The HAR collector: every request a browser (or an Electron app's dev tools) recorded, streamed.

HAR 1.2 files from long sessions reach hundreds of megabytes; entries are read one at a time with ijson (its C
backend), so memory does not grow with the file.  Each entry gives the request URL (host, port, scheme) and,
where the browser recorded it, ``serverIPAddress``: the address the app really connected to.

Browsers and proxies write HAR in more than one shape: Fiddler and IE11 start it with a UTF-8 byte-order mark,
some Windows tools write UTF-16 (with or without a mark), any of them may be gzip-compressed; the text is read
as UTF-8 whatever it came as. A request URL that is not absolute (``"url": "XML"``) names no host: the entry is
skipped with a warning rather than read as a host ``xml``; a CONNECT request may give ``host:port`` alone.
"""

from __future__ import annotations

import codecs
import ipaddress
import re
from pathlib import Path
from typing import Any, BinaryIO, Protocol

import ijson

from databorder.collect import InputProblem, ReadCancelled, Sightings, input_problems, open_input, text_encoding
from databorder.endpoints import parse_endpoint
from databorder.errors import CaptureFormatError, EndpointSyntaxError
from databorder.model import Evidence, Observation

_EXCERPT = 160
_ABSOLUTE = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^/?#\s]")
_AUTHORITY = re.compile(r"(?:\[[0-9A-Fa-f:.]+\]|[^\s/:?#]+):[0-9]{1,5}$")


def read_har(path: Path) -> tuple[list[Observation], list[InputProblem]]:
    """Observations for the requests in a HAR file, and what could not be read.

    Raises :class:`CaptureFormatError` if the file is not a HAR at all; a HAR cut short yields the entries before
    the cut plus a problem saying where it stopped.
    """
    sightings = Sightings()
    problems: list[InputProblem] = []
    source = str(path)
    index = 0
    with open_input(path) as handle:
        try:
            stream = _NumberGuard(as_utf8(handle))
            for index, entry in enumerate(ijson.items(stream, "log.entries.item", use_float=True), 1):
                _entry(entry, index, source, sightings, problems)
        except ReadCancelled as stop:
            problems.append(stop.problem)
        except _HugeNumber as exc:
            problems.append(InputProblem(source, None, f"the HAR stops being readable after entry {index}: {exc}"))
        except ijson.JSONError as exc:
            if index == 0 and not _looks_like_har(path):
                raise CaptureFormatError(path, "is not a HAR file (no JSON object with a 'log')") from None
            problems.append(InputProblem(source, None, f"the HAR stops being valid JSON after entry {index} ({exc})"))
        problems += input_problems(handle, source)
    if index == 0 and not problems:
        if not _looks_like_har(path):
            raise CaptureFormatError(path, "is not a HAR file (no 'log' object with 'entries')")
        problems.append(InputProblem(source, None, "the HAR has no entries"))
    return sightings.observations(), problems


def _entry(entry: Any, index: int, source: str, sightings: Sightings, problems: list[InputProblem]) -> None:
    request = entry.get("request") if isinstance(entry, dict) else None
    if not isinstance(request, dict) or not isinstance(request.get("url"), str):
        problems.append(InputProblem(source, None, f"entry {index} has no request URL; skipped"))
        return
    url: str = request["url"]
    if url.startswith(("data:", "blob:", "about:", "chrome-extension:")):
        return  # not network traffic
    method = request.get("method") if isinstance(request.get("method"), str) else "GET"
    if not _ABSOLUTE.match(url) and not (method == "CONNECT" and _AUTHORITY.match(url)):
        shown = url if len(url) <= 60 else url[:59] + "…"
        problems.append(InputProblem(source, None, f"entry {index}: the URL {shown!r} is not absolute; skipped"))
        return
    try:
        parsed = parse_endpoint(url)
    except EndpointSyntaxError as exc:
        problems.append(InputProblem(source, None, f"entry {index}: {exc}; skipped"))
        return
    server = _server_ip(entry.get("serverIPAddress"))
    excerpt = f"{method} {url}"
    excerpt = excerpt if len(excerpt) <= _EXCERPT else excerpt[: _EXCERPT - 1] + "…"
    if server:
        excerpt += f" → {server}"
    timings = entry.get("timings")
    if isinstance(timings, dict):
        total = sum(v for v in timings.values() if isinstance(v, int | float) and v > 0)
        excerpt += f" ({total:.0f} ms)"
    started = entry.get("startedDateTime")
    location = f"entry {index}" + (f" ({started})" if isinstance(started, str) else "")
    sightings.add(
        Observation(
            host=parsed.host,
            ip=parsed.ip,
            port=parsed.port,
            scheme=parsed.scheme,
            evidence=Evidence(collector="har", source=source, location=location, excerpt=excerpt),
            seen_addresses=(server,) if server and parsed.host else (),
        )
    )


def _server_ip(value: Any) -> str | None:
    if not isinstance(value, str) or not value:
        return None
    text = value.strip()
    if text.count(":") == 1 or (text.startswith("[") and "]:" in text):  # "1.2.3.4:443", "[2001:db8::1]:443"
        text = text.rsplit(":", 1)[0]
    try:
        addr = ipaddress.ip_address(text.strip("[]"))
    except ValueError:
        return None
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        return str(addr.ipv4_mapped)
    return str(addr)


def _looks_like_har(path: Path) -> bool:
    """True when the top-level JSON object has a 'log' key (looked for in the first events only)."""
    try:
        with open_input(path) as handle:
            for count, (prefix, event, value) in enumerate(ijson.parse(_NumberGuard(as_utf8(handle)))):
                if prefix == "" and event == "map_key" and value == "log":
                    return True
                if count > 10_000:
                    return False
    except (ijson.JSONError, _HugeNumber):
        return False
    return False


class _Readable(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...


def as_utf8(handle: BinaryIO) -> _Readable:
    """The HAR's bytes as UTF-8 without a byte-order mark, whether it was written as UTF-8 or UTF-16."""
    head = handle.peek(64)[:64] if hasattr(handle, "peek") else b""
    if head.startswith(codecs.BOM_UTF8):
        handle.read(3)
        return _Jsonp(handle)
    encoding = text_encoding(head)
    return _Jsonp(_Recoded(handle, encoding) if encoding in ("utf-16-le", "utf-16-be") else handle)


#: HAR Viewer's ``.harp`` and other JSONP exports wrap the HAR in a call: ``onInputData({...});``.
JSONP_START = re.compile(rb"\s*[A-Za-z_$][\w$.]*\s*\(\s*(?=\{)")


class _Jsonp:
    """The HAR inside a JSONP call (the call's name and parentheses dropped); any other HAR as it is."""

    _HELD = 64  # bytes held back, so the closing ");" can be dropped at the end

    def __init__(self, stream: _Readable) -> None:
        self.stream = stream
        self.wrapped: bool | None = None
        self.tail = b""

    def read(self, size: int = -1) -> bytes:
        if size == 0:  # ijson asks for nothing to learn whether the stream gives bytes or text
            return b""
        data = self.stream.read(size)
        if self.wrapped is None:
            call = JSONP_START.match(data)
            self.wrapped = call is not None
            if call is not None:
                data = data[call.end() :]
        if not self.wrapped:
            return data
        while True:
            if not data:  # the end: what is held back, without the call's closing parenthesis
                rest, self.tail = self.tail.rstrip(b" \t\r\n;"), b""
                return rest.removesuffix(b")")
            data, self.tail = self.tail + data, b""
            if len(data) > self._HELD:
                data, self.tail = data[: -self._HELD], data[-self._HELD :]
                return data
            self.tail = data
            data = self.stream.read(size)


class _Recoded:
    """A UTF-16 stream read as UTF-8 bytes, a chunk at a time."""

    def __init__(self, handle: BinaryIO, encoding: str) -> None:
        self.handle = handle
        self.decoder = codecs.getincrementaldecoder(encoding)(errors="replace")
        self.first = True

    def read(self, size: int = -1) -> bytes:
        if size == 0:
            return b""
        while True:
            data = self.handle.read(size)
            text = self.decoder.decode(data, final=not data)
            if self.first and text:
                text, self.first = text.removeprefix("\ufeff"), False
            if text or not data:
                return text.encode("utf-8")


class _HugeNumber(Exception):
    """A JSON number far longer than any a browser writes (its text says where)."""


class _NumberGuard:
    """A HAR stream that stops at a JSON number of thousands of digits before the parser sees it.

    The C backend of ijson dies by a segmentation fault on a 5,000-digit integer (and Python refuses such an int
    anyway); no browser writes a number that long, so it is a damaged or hostile file.
    """

    _LONGEST = 1000  # digits
    _NUMBER = re.compile(rb"[:\[,]\s*-?[0-9]{%d}" % _LONGEST)

    def __init__(self, handle: _Readable) -> None:
        self.handle = handle
        self.tail = b""  # the end of the previous read: a number may straddle two reads
        self.offset = 0
        self.pending: _HugeNumber | None = None

    def read(self, size: int = -1) -> bytes:
        if self.pending is not None:
            raise self.pending
        data: bytes = self.handle.read(size)
        window = self.tail + data
        found = self._NUMBER.search(window)
        if found is not None:
            at = self.offset - len(self.tail) + found.start()
            self.pending = _HugeNumber(f"a number of more than {self._LONGEST:,} digits at byte {at:,}")
            keep = max(0, found.start() - len(self.tail))
            if keep == 0:
                raise self.pending
            return data[:keep]  # the entries before it are parsed; the next read stops the parser
        self.offset += len(data)
        self.tail = window[-(self._LONGEST + 8) :]
        return data
