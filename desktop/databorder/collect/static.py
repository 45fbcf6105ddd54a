"""The static scanner: the endpoints an installed AI app *can* talk to, found in its files, ranked by likelihood.

It reads folders, single files and archives — zip/jar/whl/apk/ipa/aar/vsix, tar/tgz (npm packages), Electron
``.asar``, archives nested in archives — and binaries (ELF, PE, Mach-O, single-file executables embedding their
JavaScript), streaming each in chunks so memory does not grow with the input.  It extracts URLs of any scheme and
bare host names from ASCII/UTF-8 and UTF-16LE strings, keeps only names whose suffix the Public Suffix List knows,
and ranks each sighting (docs/static-scan.md): data endpoints (API paths, base-URL variables, telemetry vendors,
catalog domains) rise; documentation, licence and schema links, example and test domains sink.

Nothing is ever extracted to disk: archive members are read as streams; a nested archive that needs seeking is
spooled to a private temporary file within the size bounds.  Zip bombs, deep nesting and huge member counts are
refused member by member with a warning, never a crash.
"""

from __future__ import annotations

import functools
import heapq
import io
import itertools
import json
import logging
import mmap
import os
import re
import stat
import struct
import tarfile
import tempfile
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, NamedTuple, Protocol, cast

import publicsuffixlist
import re2
from isal import igzip, isal_zlib
from publicsuffixlist import PublicSuffixList

from databorder.collect import KEEP_PER_ENDPOINT, InputProblem, Sightings
from databorder.collect.sea import EXECUTABLE_HEADS, Asset, sea_assets
from databorder.endpoints import ParsedEndpoint, parse_endpoint
from databorder.errors import EndpointSyntaxError, InputFileError
from databorder.model import Evidence, Observation
from databorder.regions import regions

log = logging.getLogger(__name__)

Buffer = bytes | mmap.mmap  # what is searched: a chunk read, or a file mapped in place
SpanFinder = Callable[[Buffer, int, int], tuple[int, int]]
_ISAL_ERROR = cast(type[Exception], isal_zlib.error)  # its stub declares an instance, it is the class

CHUNK = 8 * 1024 * 1024
SPLIT = 64 * 1024 * 1024  # plain files above this are scanned in ranges, in parallel
OVERLAP = 4096
MAX_DEPTH = 4
MAX_MEMBERS = 200_000
MAX_TOTAL_BYTES = 8 * 1024**3  # decompressed, per scan
MAX_RATIO = 200  # uncompressed / compressed, for members above 16 MB
MAX_NESTED_SPOOL = 512 * 1024 * 1024
EXCERPT_SIDE = 48

_URL = rb"(?P<url>[a-z][a-z0-9+.-]{1,20}://[^\s\"'<>`\\^{}|\x00-\x20\x7f-\xff]{3,1500})"
# A bare host name counts only inside a string: after a quote, a NUL (C strings) or "//", and before a quote,
# NUL, "/", ":" or "?". Unquoted dotted words in code (res.map, date.now, self.style) use real gTLDs and would
# otherwise flood every JavaScript bundle.
_HOST = (
    rb"(?:(?<=[\"'`\x00])|(?<=//))(?P<host>(?:[a-z0-9](?:[a-z0-9_-]{0,61}[a-z0-9])?\.){1,10}[a-z][a-z0-9-]{0,61}"
    rb"[a-z0-9])(?=[\"'`\x00/:?])"
)
PATTERN = re.compile(b"(?i)" + _URL + b"|" + _HOST)
TEXT_PATTERN = re.compile(PATTERN.pattern.decode("latin-1"))

# The same search for RE2 (a DFA, ~10x faster than Python's backtracking engine on binaries). RE2 has no
# lookaround: the leading delimiter is part of the match, and so is the trailing one, which the next search
# starts on again, so that the delimiter between two adjacent strings can lead the second.
_RE2_OPTIONS = re2.Options()
_RE2_OPTIONS.max_mem = 256 << 20
# Repetitions are unbounded on purpose: counted ones ({0,61} inside {1,10}) multiply DFA states until RE2
# falls back to its slow NFA (measured 40 vs 490 MB/s); lengths are checked in Python on the few matches.
# No capturing groups: the binding's per-group bookkeeping cost more than the search; a match holding "://" is a
# URL, anything else a name behind its one-byte (or "//") delimiter.
_FAST_URL = rb"[a-z][a-z0-9+.-]*://[^\s\"'<>`\\^{}|\x00-\x20\x7f-\xff]+"
_FAST_NAME = rb"(?:[\"'`\x00]|//)(?:[a-z0-9][a-z0-9_-]*\.)+(?:%s)(?:[\"'`\x00/:?]|\z)"
# Binaries also get UTF-16LE runs of printable characters, in the same pass (a second pass over the bytes halved
# the speed, and matching every run — most are plain text — cost a Python call each): only runs holding a dot
# between a letter or digit and a letter, or a "://", can hold a host name or URL. Its matches are told apart by
# a NUL second byte, which no other match has.
_FAST_UTF16 = rb"(?:[\x20-\x7e]\x00)*(?:[a-zA-Z0-9]\x00\.\x00[a-zA-Z]|:\x00/\x00/)\x00(?:[\x20-\x7e]\x00)*"
_MIN_UTF16 = 8  # characters: shorter UTF-16 runs in binaries are mostly chance byte patterns
_TRAILING = frozenset(b"\"'`\x00/:?")


def _top_level_labels() -> list[bytes]:
    """Every last label of a Public Suffix List rule (IDNs as punycode), and the reserved ones kept as noise.

    A bare name must end in one of them, so it is part of the pattern: JavaScript bundles and binaries are full
    of quoted dotted words (TextMate scopes such as "comment.block.cpp", "source.js"), and each one RE2 reports
    costs a Python call — on one 185 MB binary 250k such calls against 13k with the list in the pattern.
    """
    labels: set[bytes] = set(label.encode() for label in _NOISE_TLDS)
    with open(publicsuffixlist.PSLFILE, encoding="utf-8") as rules:
        for line in rules:
            rule = line.strip()
            if rule and not rule.startswith("//"):
                label = rule.rsplit(".", 1)[-1].lstrip("!*")
                try:
                    labels.add(label.encode("idna").lower())
                except UnicodeError:
                    log.debug("Public Suffix List label %r has no ASCII form", label)
    labels -= {label.encode() for label in _FILE_TLDS}  # bare file names (x.py, y.md) are never hosts
    return sorted(labels, key=lambda label: (-len(label), label))


@functools.cache
def _finders() -> tuple[SpanFinder, SpanFinder]:
    """The span finders for text and for binaries (with UTF-16 runs), built once per process (~10 ms)."""
    name = _FAST_NAME % b"|".join(_top_level_labels())
    text = re2.compile(b"(?i)" + _FAST_URL + b"|" + name, _RE2_OPTIONS)
    binary = re2.compile(b"(?i)" + _FAST_URL + b"|" + name + b"|" + _FAST_UTF16, _RE2_OPTIONS)
    return _span_finder(text), _span_finder(binary)


def _span_finder(pattern: Any) -> SpanFinder:
    """(start, end) of the pattern's next match in ``data[pos:end]``, or (-1, -1).

    The binding's public search wraps each match in a Python object through a generator, which cost ~5 µs a
    match — more than the search itself on binaries with 250k candidates. Its compiled RE2 object answers with
    the spans directly; the public API remains the fallback should a version of the binding not have it.
    """
    regexp = getattr(pattern, "_regexp", None)
    unanchored = getattr(getattr(re2, "_Anchor", None), "UNANCHORED", None)
    if regexp is not None and unanchored is not None:
        match = regexp.Match

        def direct(data: Buffer, pos: int, end: int) -> tuple[int, int]:
            span: tuple[int, int] = match(unanchored, data, pos, end)[0]
            return span

        return direct

    def public(data: Buffer, pos: int, end: int) -> tuple[int, int]:
        found = pattern.search(data, pos, end)
        return found.span() if found is not None else (-1, -1)

    return public


_MAX_URL = 1500
_MAX_SCHEME = 20

# Top-level domains that are also common file extensions: as bare words they are almost always file names.
_FILE_TLDS = frozenset({"py", "md", "sh", "rs", "so", "pl", "pm", "cc", "zip", "mov", "ps"})
# Documentation, code hosting, badges and specs; "=" means this exact host only (api.github.com is a real API).
_NOISE_HOSTS = (
    "whatwg.org", "crbug.com", "googlesource.com", "w3c.github.io", "tc39.github.io", "wicg.github.io", "v8.dev",
    "esdiscuss.org", "hackerone.com", "nextjs.org", "bun.sh", "bun.com", "playwright.dev", "opentelemetry.io",
    "aip.dev", "about.gitlab.com", "=git-lfs.github.com", "=docs.github.com", "=github.com", "=www.github.com",
    "=gitlab.com", "=bitbucket.org", "shields.io", "badgen.net", "travis-ci.org", "codecov.io",
    "opencollective.com", "docs.microsoft.com", "learn.microsoft.com", "developer.apple.com", "oreilly.com",
    "goo.gl", "aka.ms", "bit.ly", "gh.io", "docs.rs",  # link shorteners, crate docs
    "medium.com", "gist.github.com", "raw.githubusercontent.com", "w3.org", "schema.org", "json-schema.org",
    "apache.org", "opensource.org", "creativecommons.org", "mozilla.org", "ietf.org", "rfc-editor.org",
    "unicode.org", "ecma-international.org", "tc39.es", "npmjs.com", "npmjs.org", "yarnpkg.com", "nodejs.org",
    "python.org", "pypi.org", "readthedocs.io", "stackoverflow.com", "wikipedia.org", "gnu.org", "fsf.org",
    "spdx.org", "semver.org", "jquery.com", "reactjs.org", "react.dev", "typescriptlang.org", "babeljs.io",
    "webpack.js.org", "electronjs.org", "chromium.org", "example.com", "example.org", "example.net", "localhost",
)  # fmt: skip
# Top-level domains real service endpoints mostly use; a *bare* quoted name under another gTLD ("markdown.link",
# "progress.download", "settings.help") is far more often an identifier than a host. Country codes count too.
_COMMON_TLDS = frozenset({"com", "net", "org", "io", "ai", "dev", "app", "cloud", "co", "info", "biz", "xyz",
                          "tech", "site", "online", "services", "digital", "run", "uk", "eu"})  # fmt: skip
_NOISE_TLDS = frozenset({"test", "example", "invalid", "localhost", "local", "internal"})
_DATA_PATHS = re.compile(r"/(v\d+|api|graphql|log|logs|collect|telemetry|events?|track|upload|chat|completions"
                         r"|messages|oauth|token|auth|ingest|metrics|rpc)(/|$|\?)", re.I)  # fmt: skip
_DATA_CONTEXT = re.compile(rb"(?i)(base_?url|api_?(url|host|base|endpoint)|endpoint|host(name)?|server_?url|"
                           rb"fetch\(|axios|websocket|wss?:|dsn|ingest|telemetry|analytics)")  # fmt: skip
_NOISE_CONTEXT = re.compile(rb"(?i)(licen[cs]e|copyright|@see|@link|\bsee\s|docs?/|documentation|issues/|spec|"
                            rb"\be\.g\.|for example|such as)")  # fmt: skip
# A first label that marks a placeholder in help text: example.ghe.com, my-resource.openai.azure.com, your-org.…
_PLACEHOLDER = re.compile(r"^(example|sample|placeholder|my-|your-|yourcompany|contoso)")
# URLs of document type definitions and schemas: read by parsers, never sent data.
_SCHEMA_PATH = re.compile(r"\.(dtd|xsd|rng)\b", re.I)  # \b, not $: in a binary's strings the URL may run on
_NOISE_PATH = re.compile(r"(?i)(^|/)(tests?|__tests__|spec|docs?|examples?|fixtures?|licen[cs]es?)(/|$)|"
                         r"(readme|changelog|license|licence|notice|authors)[^/]*$")  # fmt: skip


class Readable(Protocol):
    """Anything with ``read``: files, archive members, the wrappers below."""

    def read(self, size: int = -1, /) -> bytes:
        """Up to ``size`` bytes (all when negative); empty at the end."""


@dataclass
class Hit:
    """One sighting of a host (or address) in a file, with its context and relevance."""

    host: str | None
    ip: str | None
    port: int | None
    scheme: str | None
    source: str
    offset: int
    excerpt: str
    relevance: float

    def fields(self) -> tuple[Any, ...]:
        """The fields in order, as ``Hit(*fields)`` takes them back."""
        return (self.host, self.ip, self.port, self.scheme, self.source, self.offset, self.excerpt, self.relevance)


@dataclass
class Budget:
    """Bounds shared by one scan: decompressed bytes and members read, and the problems met."""

    total: int = 0
    members: int = 0
    problems: list[InputProblem] = field(default_factory=list)

    def spend(self, size: int, source: str) -> bool:
        self.total += size
        self.members += 1
        if self.total > MAX_TOTAL_BYTES or self.members > MAX_MEMBERS:
            self.problem(source, f"scan bounds reached ({MAX_TOTAL_BYTES >> 30} GB decompressed, "
                                 f"{MAX_MEMBERS:,} members); the rest was not read")  # fmt: skip
            return False
        return True

    def problem(self, source: str, message: str) -> None:
        if len(self.problems) < 1000:
            self.problems.append(InputProblem(source, None, message))


class Scanner:
    """Finds hosts in byte streams, validated against the Public Suffix List and ranked."""

    def __init__(self, known_domains: frozenset[str] = frozenset()) -> None:
        self.psl = PublicSuffixList(accept_unknown=False)
        self.known = known_domains  # catalog and telemetry-vendor domains: their endpoints are data endpoints
        self.country_codes = regions().countries
        self._suffix_cache: dict[str, bool] = {}
        self._find_text, self._find_binary = _finders()
        self._names: dict[bytes, _Name | None] = {}  # candidate bytes → _Name, or None: they name no endpoint
        self._context: dict[bytes, _Signals] = {}  # lead-in → its signals
        self._sources: dict[str, float] = {}

    def _known_suffix(self, host: str) -> bool:
        """Whether the Public Suffix List knows this name's suffix (cached: names repeat across a bundle)."""
        known = self._suffix_cache.get(host)
        if known is None:
            known = self._suffix_cache[host] = self.psl.privatesuffix(host) is not None
            if len(self._suffix_cache) > 200_000:
                self._suffix_cache.clear()
        return known

    def _common_tld(self, host: str) -> bool:
        tld = host.rsplit(".", 1)[-1]
        return tld in _COMMON_TLDS or (len(tld) == 2 and tld.upper() in self.country_codes)

    def scan_stream(self, stream: Readable, source: str, *, binary: bool | None = None) -> Iterator[Hit]:
        """Hits in a stream read chunk by chunk.

        Each round scans some already-reported context, the unreported tail of the previous chunk and a new
        chunk. It reports matches starting after the context and before its last OVERLAP bytes (longer than any
        match), which the next round sees whole; the context keeps a match's cut-off suffix from being taken
        for a match of its own. The last round reports everything left.
        """
        start = 0  # file offset of data[0]
        context = 0  # bytes at the head of data that belong to the previous round
        data = stream.read(CHUNK)
        if not data:
            return
        binary = b"\x00" in data[:8192] if binary is None else binary
        while True:
            following = stream.read(CHUNK)
            final = not following
            cutoff = len(data) if final else len(data) - OVERLAP
            for hit in self.scan_bytes(data, source, start, binary=binary):
                if context <= hit.offset - start < cutoff:
                    yield hit
            if final:
                return
            keep_from = max(0, cutoff - OVERLAP)
            start += keep_from
            context = cutoff - keep_from
            data = data[keep_from:] + following

    def scan_bytes(self, data: Buffer, source: str, base: int, *, binary: bool) -> Iterator[Hit]:
        """Hits in one buffer; ``base`` is its offset in the file."""
        size = len(data)
        find = self._find_binary if binary else self._find_text
        pos = 0
        while True:
            start, end = find(data, pos, size)
            if start < 0:
                return
            found = data[start:end]
            pos = end
            if found[1] == 0:  # a UTF-16LE run (Windows binaries keep many strings so)
                pos -= 1  # its last NUL may lead an ASCII string right after it
                if len(found) >= 2 * _MIN_UTF16:
                    yield from self._utf16(found, data, start, source, base)
                continue
            scheme_end = found.find(b"://")
            if scheme_end > _MAX_SCHEME:  # no scheme is that long: text glued before a "//host" that may be one
                pos = start + scheme_end + 1
                continue
            if scheme_end >= 0:
                inner = _inner_url(found, scheme_end)
                if inner > 0:  # a URL inside this one's text: a list ("a,https://b") or a parameter ("?u=https://b")
                    pos = start + inner  # searched again from there, so it is found on its own
                    if found[inner - 1] in _LIST_SEPARATORS:
                        found = found[: inner - 1]
                hit = self._hit(found, None, data, start, source, base)
            else:
                if found[-1] in _TRAILING:  # the delimiter after the name (none at the very end)
                    found = found[:-1]
                    pos -= 1  # it may lead the next name
                skip = 2 if found.startswith(b"//") else 1
                hit = self._hit(None, found[skip:], data, start + skip, source, base)
            if hit is not None:
                yield hit

    def _utf16(self, run: bytes, data: Buffer, at: int, source: str, base: int) -> Iterator[Hit]:
        text = run.decode("utf-16-le")
        for found in TEXT_PATTERN.finditer(text):
            url_text, host_text = found.group("url"), found.group("host")
            hit = self._hit(url_text.encode() if url_text else None, host_text.encode() if host_text else None,
                            data, at + 2 * found.start(), source, base)  # fmt: skip
            if hit is not None:
                yield hit

    def _hit(self, url: bytes | None, host: bytes | None, data: Buffer, at: int, source: str, base: int) -> Hit | None:
        candidate = url if url is not None else host
        if candidate is None:
            return None
        # Bundles repeat the same names thousands of times: what the bytes alone decide is worked out once.
        name = self._names.get(candidate)
        if name is None and candidate not in self._names:
            name = self._names[candidate] = self._name(url is not None, candidate)
            if len(self._names) > _CACHE_SIZE:
                self._names.clear()
        if name is None:
            return None
        before = _lead_in(data, at)
        signals = self._context.get(before)
        if signals is None:
            signals = self._context[before] = _signals(before)
            if len(self._context) > _CACHE_SIZE:
                self._context.clear()
        relevance = name.relevance(signals, self._source_factor(source))
        parsed = name.parsed
        context = data[max(0, at - EXCERPT_SIDE) : at + len(candidate) + EXCERPT_SIDE]
        excerpt = context.translate(_PRINTABLE).decode("ascii").strip(".")
        return Hit(parsed.host, parsed.ip, parsed.port, parsed.scheme, source, base + at, excerpt[:200], relevance)

    def _name(self, is_url: bool, candidate: bytes) -> _Name | None:
        """The endpoint a candidate names and its share of relevance, or None when it names none."""
        if is_url:
            candidate = candidate[:_MAX_URL]
            if candidate.find(b"://") > _MAX_SCHEME:
                return None
        elif len(candidate) > 253:
            return None
        text = candidate.decode("ascii", "replace")
        parsed = _parse(text.rstrip(".,;:)]}") if is_url else text.rstrip("."))
        if parsed is None:
            return None
        host = parsed.host
        if host is not None:
            tld = host.rsplit(".", 1)[-1]
            if tld in _NOISE_TLDS:
                pass  # reserved names (RFC 6761) are kept, but rank as noise below
            elif not self._known_suffix(host) or (not is_url and tld in _FILE_TLDS):
                return None
        elif parsed.ip is None or not is_url:
            return None
        url = text if is_url else None
        score = 0.55 if url else 0.3
        if parsed.scheme in ("http", "ws"):
            score -= 0.05
        if url and _DATA_PATHS.search("/" + url.split("://", 1)[-1].partition("/")[2]):
            score += 0.25
        known = bool(host and _under(host, self.known))
        if known:
            score += 0.2
        noise = bool(host and (host.rsplit(".", 1)[-1] in _NOISE_TLDS or _is_noise_host(host)
                               or _PLACEHOLDER.match(host))) or bool(url and _SCHEMA_PATH.search(url))  # fmt: skip
        # A bare quoted name under an unusual TLD, or shaped like a program identifier, is probably one; unless the
        # catalog knows it as a service's domain (x.ai is shaped like a variable, and is xAI's API).
        identifier = bool(host and not url and not known and (not self._common_tld(host) or _identifier_shaped(host)))
        return _Name(parsed, score, identifier, noise)

    def _source_factor(self, source: str) -> float:
        factor = self._sources.get(source)
        if factor is None:
            # Tests, docs, examples and licence files are read by people, not sent data by the app.
            noisy = _NOISE_PATH.search(source.replace("\\", "/").rsplit("!", 1)[-1])
            factor = self._sources[source] = 0.5 if noisy else 1.0
            if len(self._sources) > _CACHE_SIZE:
                self._sources.clear()
        return factor


_CACHE_SIZE = 200_000


@dataclass(frozen=True, slots=True)
class _Signals:
    """What a match's lead-in (its own statement, before it) says about it."""

    data: bool  # baseURL, endpoint, fetch( …
    noise: bool  # licence, @see, docs/ …
    comment: bool


def _signals(before: bytes) -> _Signals:
    return _Signals(
        _DATA_CONTEXT.search(before) is not None, _NOISE_CONTEXT.search(before) is not None, _in_comment(before)
    )


@dataclass(frozen=True, slots=True)
class _Name:
    """A candidate's endpoint and the part of its relevance its own bytes decide (docs/static-scan.md)."""

    parsed: ParsedEndpoint
    score: float  # scheme, data-like path, known service
    identifier: bool  # capped at 0.1 whatever the context
    noise: bool  # documentation, reserved or example names

    def relevance(self, signals: _Signals, source_factor: float) -> float:
        """0–1: how likely this sighting is an endpoint the app sends data to."""
        score = self.score + (0.15 if signals.data else 0.0)
        if self.identifier:
            score = min(score, 0.1)
        if signals.noise:
            score -= 0.2
        if signals.comment:
            score -= 0.3  # a link in a code comment documents something; code does not send data to it
        if self.noise:
            score = min(score, 0.1) * 0.5
        return round(max(0.01, min(1.0, score * source_factor)), 3)


_LETTERS = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
_SCHEME_BYTES = _LETTERS | frozenset(b"0123456789+.-")
_LIST_SEPARATORS = frozenset(b",;")


def _inner_url(found: bytes, scheme_end: int) -> int:
    """Where a second URL's scheme starts inside a URL match, or -1."""
    second = found.find(b"://", scheme_end + 3)
    if second < 0:
        return -1
    at = second
    while at > scheme_end + 3 and found[at - 1] in _SCHEME_BYTES:
        at -= 1
    while at < second and found[at] not in _LETTERS:  # a scheme starts with a letter
        at += 1
    return at if at < second else -1


def _lead_in(data: Buffer, at: int) -> bytes:
    """What precedes a match in its own statement: back to the previous quote or line break, at most 80 bytes.

    So a neighbouring licence URL in a minified bundle does not colour this match.
    """
    before = data[max(0, at - 80) : at]
    cut = before.translate(_STATEMENT_ENDS).rfind(b"\n", 0, max(0, len(before) - 1))
    return before[cut + 1 :] if cut >= 0 else before


_STATEMENT_ENDS = bytes.maketrans(b"\"'`\x00", b"\n\n\n\n")  # one rfind finds the last of them all


# First labels that, in a quoted dotted word, name a program object rather than a host (console.info,
# options.ca, module.exports…), and WebAssembly-style type prefixes (i32.ne, f64.lt).
_CODE_WORDS = frozenset({"console", "window", "document", "this", "self", "options", "opts", "args", "props",
                         "state", "config", "process", "module", "exports", "math", "json", "object", "array",
                         "string", "number", "promise", "error", "event", "algorithm", "temporal", "intl",
                         "reflect", "symbol", "buffer", "stream", "util", "path", "crypto"})  # fmt: skip
_TYPE_PREFIX = re.compile(r"^[a-z]\d{1,3}(x\d{1,2})?$")  # also SIMD lanes: i32x4, f64x2
# Words that, before one more label, are a property access far more often than a domain (value.ir, domain.run,
# key.id in a JavaScript runtime); with a further label (data.vendor.com) they may well be a host.
_PROPERTY_WORDS = frozenset({"value", "domain", "key", "name", "type", "data", "item", "node", "field", "result",
                             "input", "output", "request", "response", "text", "file", "user", "target", "source",
                             "info", "entry", "element", "list", "map", "set", "obj", "val", "res", "req",
                             "ctx"})  # fmt: skip


def _identifier_shaped(host: str) -> bool:
    labels = host.split(".")
    first = labels[0]
    if first in _CODE_WORDS or "prototype" in labels:
        return True
    # A one-character or numeric first label ("u.id", "4.bv") in a two-label name is a variable, not a domain.
    return len(labels) == 2 and (
        bool(_TYPE_PREFIX.match(first)) or len(first) == 1 or first.isdigit() or first in _PROPERTY_WORDS
    )


_COMMENT_AFTER_CODE = re.compile(rb"(?:^|[\s;{}(),])//")


def _in_comment(before: bytes) -> bool:
    """Whether the match sits in a source comment: its line starts with //, /*, * or #, or has a // comment."""
    if before.endswith(b"//"):
        before = before[:-2]  # a protocol-relative //host is not a comment
    line = before.rsplit(b"\n", 1)[-1]
    return line.lstrip().startswith((b"//", b"/*", b"*", b"#")) or _COMMENT_AFTER_CODE.search(line) is not None


_NOISE_EXACT = frozenset(entry[1:] for entry in _NOISE_HOSTS if entry.startswith("="))
_NOISE_DOMAINS = frozenset(entry for entry in _NOISE_HOSTS if not entry.startswith("="))
_PRINTABLE = bytes(b if 32 <= b < 127 else ord(".") for b in range(256))


def _under(host: str, domains: frozenset[str]) -> bool:
    """Whether ``host`` is one of ``domains`` or below one: a few set lookups, whatever the set's size."""
    labels = host.split(".")
    return any(".".join(labels[i:]) in domains for i in range(len(labels) - 1))


def _is_noise_host(host: str) -> bool:
    return host in _NOISE_EXACT or _under(host, _NOISE_DOMAINS)


@functools.lru_cache(maxsize=1 << 16)
def _parse(text: str) -> ParsedEndpoint | None:
    """parse_endpoint, or None; cached because bundles repeat the same names thousands of times."""
    try:
        return parse_endpoint(text)
    except EndpointSyntaxError:
        return None


# --- containers ----------------------------------------------------------------------------------------------------


def _kind(head: bytes) -> str:
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        return "zip"
    if head.startswith(b"\x1f\x8b"):
        return "gzip"
    if len(head) >= 262 and head[257:262] == b"ustar":
        return "tar"
    if len(head) >= 16 and struct.unpack_from("<I", head, 0)[0] == 4 and head[16:17] == b"{":
        return "asar"
    return "file"


def scan_stream(
    scanner: Scanner, stream: Readable, source: str, size: int, budget: Budget, depth: int, seekable: bool
) -> Iterator[Hit]:
    """Hits in one stream that may itself be an archive; archives recurse up to MAX_DEPTH."""
    head = stream.read(512)
    kind = _kind(head)
    if kind != "file" and depth >= MAX_DEPTH:
        budget.problem(source, f"archives nested deeper than {MAX_DEPTH} levels are not opened")
        kind = "file"
    rest = _Prefixed(head, stream)
    try:
        if kind == "file" and seekable and size >= _MAP_FROM and isinstance(stream, io.BufferedReader):
            yield from _scan_mapped(scanner, stream, source, 0, size)
        elif kind == "file":
            yield from scanner.scan_stream(rest, source)
        elif kind == "tar":
            yield from _tar(scanner, rest, source, budget, depth, mode="r|")
        elif kind == "gzip":
            yield from _gzip(scanner, rest, source, budget, depth)
        elif kind in ("zip", "asar"):
            with _seekable(rest, seekable, stream, size, source, budget) as handle:
                if handle is not None:
                    reader = _zip if kind == "zip" else _asar
                    yield from reader(scanner, handle, source, budget, depth)
    # TypeError: tarfile's gzip reader on a stream cut short.
    except (zipfile.BadZipFile, tarfile.TarError, EOFError, OSError, ValueError, struct.error, KeyError,
            TypeError, zlib.error, _ISAL_ERROR) as exc:  # fmt: skip
        budget.problem(source, f"is a damaged {kind} archive ({exc}); what was read before is kept")


def _scan_mapped(
    scanner: Scanner, handle: IO[bytes], source: str, start: int, end: int, *, binary: bool | None = None
) -> Iterator[Hit]:
    """Hits starting in bytes [start, end) of a plain file, searched in place through a memory map.

    No read copies the bytes and no chunk is joined to the next (a fifth of a binary's scan time went there).
    OVERLAP bytes are mapped before the start and after the end: a name straddling a boundary is then seen whole
    by both ranges, and reported only by the one it starts in (never as a cut-off suffix).
    """
    size = os.fstat(handle.fileno()).st_size
    begin = max(0, start - OVERLAP) // mmap.ALLOCATIONGRANULARITY * mmap.ALLOCATIONGRANULARITY
    stop = min(size, end + OVERLAP)
    if stop <= begin:
        return
    with mmap.mmap(handle.fileno(), stop - begin, access=mmap.ACCESS_READ, offset=begin) as window:
        if binary is None:
            binary = b"\x00" in window[:8192]
        for hit in scanner.scan_bytes(window, source, begin, binary=binary):
            if start <= hit.offset < end:
                yield hit


def _gzip(scanner: Scanner, stream: Readable, source: str, budget: Budget, depth: int) -> Iterator[Hit]:
    """A gzip stream: an npm-style .tgz is read as the tar inside; any other .gz as the one file it holds."""
    # Decompressed bytes count against the scan's bound, so a gzip bomb stops there.
    # ISA-L's drop-in for gzip.GzipFile inflates 2.6x faster (245 MB of Copilot's program: 0.94 s -> 0.36 s).
    inflated = igzip.GzipFile(fileobj=cast(IO[bytes], stream))  # type: ignore[no-untyped-call]
    inner = _Capped(inflated, max(0, MAX_TOTAL_BYTES - budget.total))
    head = inner.read(512)
    rest = _Prefixed(head, inner)
    if len(head) >= 262 and head[257:262] == b"ustar":
        yield from _tar(scanner, rest, source, budget, depth, mode="r|")
    else:
        yield from scan_stream(scanner, rest, f"{source}!(gunzipped)", 0, budget, depth + 1, seekable=False)


def _tar(scanner: Scanner, stream: Readable, source: str, budget: Budget, depth: int, *, mode: str) -> Iterator[Hit]:
    with tarfile.open(fileobj=cast(IO[bytes], stream), mode=mode) as archive:  # type: ignore[call-overload]
        for member in archive:
            if not member.isfile():
                continue  # links, devices, folders: nothing to read, nothing to follow
            name = f"{source}!{member.name}"
            if not budget.spend(member.size, name):
                return
            handle = archive.extractfile(member)
            if handle is not None:
                yield from scan_stream(scanner, handle, name, member.size, budget, depth + 1, seekable=False)


def _zip(scanner: Scanner, handle: IO[bytes], source: str, budget: Budget, depth: int) -> Iterator[Hit]:
    with zipfile.ZipFile(handle) as archive:
        for info in archive.infolist():
            if info.is_dir():
                continue
            name = f"{source}!{info.filename}"
            if info.file_size > 16 * 1024 * 1024 and info.file_size > MAX_RATIO * max(1, info.compress_size):
                budget.problem(name, f"expands {info.file_size // max(1, info.compress_size):,}-fold "
                                     "(a zip bomb?); not read")  # fmt: skip
                continue
            if not budget.spend(info.file_size, name):
                return
            with archive.open(info) as member:
                yield from scan_stream(scanner, _Capped(member, info.file_size), name, info.file_size, budget,
                                       depth + 1, seekable=False)  # fmt: skip


def _asar(scanner: Scanner, handle: IO[bytes], source: str, budget: Budget, depth: int) -> Iterator[Hit]:
    """Electron's archive: a pickled JSON index, then the files' bytes back to back."""
    handle.seek(0)
    _four, header_size, _payload, json_size = struct.unpack("<IIII", handle.read(16))
    index = json.loads(handle.read(json_size))
    data_start = 8 + header_size
    for path, entry in _asar_files(index.get("files", {}), ""):
        name = f"{source}!{path}"
        if entry.get("unpacked"):
            continue  # lives beside the archive in app.asar.unpacked/, scanned as a plain file
        size = int(str(entry.get("size", 0)))
        if not budget.spend(size, name):
            return
        handle.seek(data_start + int(str(entry["offset"])))
        member = _Capped(handle, size)
        yield from scan_stream(scanner, member, name, size, budget, depth + 1, seekable=False)


def _asar_files(tree: dict[str, dict[str, object]], prefix: str) -> Iterator[tuple[str, dict[str, object]]]:
    for name, entry in tree.items():
        path = f"{prefix}{name}"
        if isinstance(entry.get("files"), dict):
            yield from _asar_files(entry["files"], path + "/")  # type: ignore[arg-type]
        elif "offset" in entry:
            yield path, entry


class _seekable:
    """A seekable handle for archives that need one: the file itself, or a private spool of a nested member."""

    def __init__(self, rest: Readable, seekable: bool, original: Readable, size: int, source: str,
                 budget: Budget) -> None:  # fmt: skip
        self.rest, self.is_seekable, self.original, self.size = rest, seekable, original, size
        self.source, self.budget = source, budget
        self.spool: IO[bytes] | None = None

    def __enter__(self) -> IO[bytes] | None:
        if self.is_seekable:
            original = cast(IO[bytes], self.original)
            original.seek(0)
            return original
        if self.size > MAX_NESTED_SPOOL:
            self.budget.problem(self.source, f"a nested archive over {MAX_NESTED_SPOOL >> 20} MB is not opened")
            return None
        self.spool = tempfile.SpooledTemporaryFile(max_size=64 * 1024 * 1024)
        while block := self.rest.read(CHUNK):
            self.spool.write(block)
        self.spool.seek(0)
        return self.spool

    def __exit__(self, *exc: object) -> None:
        if self.spool is not None:
            self.spool.close()


class _Reader(io.RawIOBase):
    """A read-only stream defined by its ``read``; ``readinto`` lets tarfile and zipfile use it too."""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray) -> int:  # type: ignore[override]
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


class _Prefixed(_Reader):
    """A stream that first returns bytes already read (the sniffed head), then the rest of the original."""

    def __init__(self, head: bytes, rest: Readable) -> None:
        self.head, self.rest = head, rest

    def read(self, size: int = -1) -> bytes:
        if self.head:
            if size < 0:
                data, self.head = self.head + self.rest.read(), b""
                return data
            data, self.head = self.head[:size], self.head[size:]
            return data if len(data) == size else data + self.rest.read(size - len(data))
        return self.rest.read(size)


class _Capped(_Reader):
    """At most ``size`` bytes of a stream: an archive's claim about a member's size is the most it may yield."""

    def __init__(self, stream: Readable, size: int) -> None:
        self.stream, self.left = stream, size

    def read(self, size: int = -1) -> bytes:
        want = self.left if size < 0 else min(size, self.left)
        data = self.stream.read(want) if want else b""
        self.left -= len(data)
        return data


# --- the scan --------------------------------------------------------------------------------------------------------


def _files(root: Path) -> list[tuple[Path, int]]:
    """Every regular file under ``root`` with its size, not following symbolic links (no loops, no escaping)."""
    if root.is_file():
        return [(root, root.stat().st_size)]
    found: list[tuple[Path, int]] = []
    for folder, dirs, files in os.walk(root, followlinks=False):
        dirs.sort()
        for name in sorted(files):
            path = Path(folder) / name
            try:
                info = os.lstat(path)
            except OSError:
                continue  # gone since the folder was listed
            if stat.S_ISREG(info.st_mode):  # lstat: a symbolic link is not a regular file
                found.append((path, info.st_size))
    return found


@functools.cache
def _scanner(known: frozenset[str]) -> Scanner:
    # One per worker process: parsing the Public Suffix List costs ~40 ms, far more than a small file's scan.
    return Scanner(known)


class Piece(NamedTuple):
    """What a worker scans of one file: all of it, a range of its plain bytes, or an archive embedded in it."""

    path: str
    source: str
    start: int = 0
    end: int = -1  # -1: the whole file
    embedded: bool = False  # bytes [start, end) are an archive (a node SEA asset), opened as one


Task = tuple[tuple[Piece, ...], frozenset[str]]  # what one worker call scans, with the known domains
_BATCH_BYTES = 8 << 20  # small files travel to the workers in batches: one round trip per file cost more
_BATCH_FILES = 256
_MAP_FROM = 1 << 20  # plain files from this size are searched in place (memory map); smaller ones are just read


def _scan_task(task: Task) -> tuple[dict[str, _PackedTally], list[InputProblem], int]:
    """Some files, or one range of a big plain file, in a worker process: tallies, problems and bytes read."""
    pieces, known = task
    scanner = _scanner(known)
    tallies: dict[str, _Tally] = {}
    problems: list[InputProblem] = []
    done = 0
    for piece in pieces:
        piece_problems, size = _scan_piece(scanner, piece, tallies)
        problems += piece_problems
        done += size
    return {key: tally.packed() for key, tally in tallies.items()}, problems, done


def _scan_piece(scanner: Scanner, piece: Piece, tallies: dict[str, _Tally]) -> tuple[list[InputProblem], int]:
    path_text, source, start, end, embedded = piece
    path = Path(path_text)
    budget = Budget()
    try:
        with path.open("rb") as handle:
            if embedded:
                handle.seek(start)
                member = _Capped(handle, end - start)
                _tally(tallies, scan_stream(scanner, member, source, end - start, budget, 1, seekable=False))
                return budget.problems, end - start
            if end < 0:
                size = path.stat().st_size
                _tally(tallies, scan_stream(scanner, handle, source, size, budget, 0, seekable=True))
                return budget.problems, size
            binary = b"\x00" in handle.read(8192)
            _tally(tallies, _scan_mapped(scanner, handle, source, start, end, binary=binary))
            return budget.problems, end - start
    except OSError as exc:
        return [*budget.problems, InputProblem(source, None, f"cannot be read: {exc.strerror or exc}")], 0


class _Tally:
    """One host's sightings: the most relevant few kept whole, the others counted per port and scheme.

    Workers send tallies rather than every hit, so memory and what crosses between processes grow with the
    number of distinct hosts, not with how often a bundle repeats them (a 300 MB bundle held 4.6M sightings).
    """

    __slots__ = ("kept", "more", "sources")

    def __init__(self) -> None:
        self.kept: list[tuple[float, int, int, Hit]] = []  # min-heap (relevance, -offset, n): least relevant out
        self.more: dict[tuple[int | None, str | None], tuple[int, Hit]] = {}  # (port, scheme) → count, best
        self.sources: set[str] = set()  # up to _SPREAD_FILES: the spread bonus stops growing there

    def add(self, hit: Hit, times: int = 1) -> None:
        if len(self.sources) < _SPREAD_FILES:
            self.sources.add(hit.source)
        entry = (hit.relevance, -hit.offset, next(_ORDER), hit)  # on equal relevance the earlier sighting stays
        if len(self.kept) < KEEP_PER_ENDPOINT:
            heapq.heappush(self.kept, entry)
            if times == 1:
                return
            times -= 1
        elif entry[:2] > self.kept[0][:2]:
            entry = heapq.heapreplace(self.kept, entry)
        self._count(entry[3], times)

    def _count(self, hit: Hit, times: int) -> None:
        combo = (hit.port, hit.scheme)
        count, best = self.more.get(combo, (0, hit))
        self.more[combo] = (count + times, hit if hit.relevance > best.relevance else best)

    def packed(self) -> _PackedTally:
        """Plain tuples for the trip back from a worker.

        Unpickling them costs a sixth of unpickling the objects, and the receiving side holds the interpreter
        lock throughout (150 ms per result froze the desktop app).
        """
        return (
            [hit.fields() for *_, hit in self.kept],
            [(count, hit.fields()) for count, hit in self.more.values()],
            tuple(self.sources),
        )

    @classmethod
    def unpacked(cls, packed: _PackedTally) -> _Tally:
        kept, more, sources = packed
        tally = cls()
        for fields in kept:
            tally.add(Hit(*fields))
        for count, fields in more:
            tally._count(Hit(*fields), count)
        tally.sources.update(sources)
        return tally

    def merge(self, other: _Tally) -> None:
        """Fold in another worker's tally of the same host."""
        for *_, hit in other.kept:
            self.add(hit)
        for count, hit in other.more.values():
            self._count(hit, count)
        self.sources.update(list(other.sources)[: _SPREAD_FILES - len(self.sources)])


_SPREAD_FILES = 4
_PackedTally = tuple[list[tuple[Any, ...]], list[tuple[int, tuple[Any, ...]]], tuple[str, ...]]
_ORDER = itertools.count()  # breaks ties in the heap, so hits themselves are never compared


def _tally(tallies: dict[str, _Tally], hits: Iterable[Hit]) -> None:
    for hit in hits:
        key = hit.host or str(hit.ip)
        tally = tallies.get(key)
        if tally is None:
            tally = tallies[key] = _Tally()
        tally.add(hit)


def _tasks(root: Path, files: list[tuple[Path, int]], known: frozenset[str]) -> list[Task]:
    """Work for the worker processes, biggest first so that no core is left with a big file at the end.

    Big plain files are cut into ranges so every core helps; small files are batched.
    """
    label = root.name or str(root)
    work: list[tuple[int, tuple[Piece, ...]]] = []  # (bytes, pieces)
    batch: list[Piece] = []
    batch_bytes = 0
    for path, size in files:
        source = str(Path(label) / path.relative_to(root)) if root.is_dir() else label
        if size >= _MAP_FROM:
            plain, assets = _plain_and_embedded(path)
            # An embedded archive is opened by a worker of its own; its compressed bytes are not searched as text.
            # Weighed at three times its size (it is inflated, then scanned), so it is handed out first.
            work += [(3 * asset.size, (Piece(str(path), f"{source}!{asset.name}", asset.offset, asset.end,
                                             embedded=True),)) for asset in assets]  # fmt: skip
            if plain and (size > SPLIT or assets):
                work += [(stop - begin, (Piece(str(path), source, begin, stop),))
                         for begin, stop in _ranges(size, [(a.offset, a.end) for a in assets])]  # fmt: skip
                continue
        if size >= _BATCH_BYTES:
            work.append((size, (Piece(str(path), source),)))
            continue
        batch.append(Piece(str(path), source))
        batch_bytes += size
        if batch_bytes >= _BATCH_BYTES or len(batch) >= _BATCH_FILES:
            work.append((batch_bytes, tuple(batch)))
            batch, batch_bytes = [], 0
    if batch:
        work.append((batch_bytes, tuple(batch)))
    work.sort(key=lambda item: -item[0])
    return [(pieces, known) for _, pieces in work]


def _plain_and_embedded(path: Path) -> tuple[bool, list[Asset]]:
    """Whether a file is plain bytes (not an archive), and the archives a node executable carries as assets."""
    try:
        with path.open("rb") as handle:
            head = handle.read(512)
            if _kind(head) != "file":
                return False, []
            if not head.startswith(EXECUTABLE_HEADS):  # bundles, data files: nothing to map
                return True, []
            with mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as data:
                assets = sea_assets(data)
                return True, [asset for asset in assets if _kind(data[asset.offset : asset.offset + 512]) != "file"]
    except (OSError, ValueError):  # gone or cut short since it was listed: the worker reports it as unreadable
        return False, []


def _ranges(size: int, skipped: list[tuple[int, int]]) -> Iterator[tuple[int, int]]:
    """[0, size) without the skipped intervals, in pieces of at most SPLIT bytes."""
    begin = 0
    for skip_start, skip_end in [*sorted(skipped), (size, size)]:
        for start in range(begin, max(begin, skip_start), SPLIT):
            yield start, min(start + SPLIT, skip_start)
        begin = max(begin, skip_end)


def scan_path(
    root: Path,
    *,
    known_domains: frozenset[str] = frozenset(),
    workers: int | None = None,
    progress: Callable[[int, int], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> tuple[list[Observation], list[InputProblem]]:
    """Observations (collector ``static``) for every host found under ``root``, ranked, and the problems met.

    Files are scanned in parallel on every core; ``progress`` is told bytes done and total.
    """
    if not root.exists():
        raise InputFileError(root, "does not exist")
    problems: list[InputProblem] = []
    tallies: dict[str, _Tally] = {}
    done = 0
    count = workers or os.cpu_count() or 1
    with ProcessPoolExecutor(max_workers=count, initializer=_start_worker, initargs=(known_domains,)) as pool:
        pool.submit(os.getpid)  # starts the workers now: they load the suffix list while the files are listed
        files = _files(root)
        total = sum(size for _, size in files)
        tasks = _tasks(root, files, known_domains)
        try:
            for found, file_problems, size in pool.map(_scan_task, tasks, chunksize=1):
                problems += file_problems
                for key, packed in found.items():
                    tally = _Tally.unpacked(packed)
                    if key in tallies:
                        tallies[key].merge(tally)
                    else:
                        tallies[key] = tally
                done += size
                if progress is not None:
                    progress(done, total)
                if cancelled is not None and cancelled():
                    problems.append(
                        InputProblem(str(root), None, "the scan was cancelled; files scanned before are kept")
                    )
                    pool.shutdown(cancel_futures=True)
                    break
        except BrokenProcessPool:  # e.g. a mapped file cut short by another program while it was read (SIGBUS)
            problems.append(InputProblem(str(root), None, "the scan stopped early: a scanning process ended "
                                         "unexpectedly (was a file changed while it was read?); what was "
                                         "scanned before is kept"))  # fmt: skip
    return _observations(tallies), problems


def _start_worker(known: frozenset[str]) -> None:
    """Workers run at a lower priority (one per core would keep a window from repainting) and load early."""
    if hasattr(os, "nice"):
        os.nice(5)
    _scanner(known)


def _observations(tallies: dict[str, _Tally]) -> list[Observation]:
    """Sightings per host, best first; the host's relevance rises a little with each distinct file using it."""
    sightings = Sightings()
    for tally in tallies.values():
        bonus = min(0.15, 0.05 * (len(tally.sources) - 1))
        for *_, hit in sorted(tally.kept, reverse=True, key=lambda entry: entry[:2]):
            sightings.add(_observation(hit, bonus))
        for count, hit in tally.more.values():
            sightings.add(_observation(hit, bonus), times=count)
    return sightings.observations()


def _observation(hit: Hit, bonus: float) -> Observation:
    evidence = Evidence("static", hit.source, f"offset {hit.offset}", hit.excerpt)
    # Use in many files supports a likely endpoint; it does not lift noise.
    relevance = round(min(1.0, hit.relevance + (bonus if hit.relevance >= 0.2 else 0)), 3)
    return Observation(hit.host, hit.ip, hit.port, hit.scheme, evidence, relevance)
