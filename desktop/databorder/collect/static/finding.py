"""Finding candidates in bytes: the compiled RE2 matcher, URLs and quoted names, UTF-16LE runs in binaries.

A ``Scanner`` searches a buffer (``scan_bytes``), a stream read chunk by chunk (``scan_stream``) or a range of a
plain file in place through a memory map (``scan_mapped``), and turns each candidate into a ``Hit``: the endpoint
it names (checked against the Public Suffix List), where it was seen, an excerpt and its relevance (``ranking``).
What a candidate's bytes alone decide is worked out once per distinct candidate and cached.
"""

from __future__ import annotations

import functools
import io
import json
import logging
import mmap
import os
import re
from collections.abc import Callable, Generator, Iterator, Mapping
from dataclasses import dataclass
from typing import IO, Any, NamedTuple, Protocol

import publicsuffixlist
import re2
from publicsuffixlist import PublicSuffixList

from databorder.collect.static.dependencies import is_manifest, sdk_hits
from databorder.collect.static.entities import MARKER_FIRST, MARKERS, EntityLinks, Linker, entity_at
from databorder.collect.static.ranking import (
    CODE_FILE,
    CONFIG_VALUE,
    DEPENDENCY,
    DOCUMENTATION_FILE,
    IDENTIFIER,
    IDENTIFIER_CAP,
    KNOWN_DOMAIN,
    NO_ENTITY_TEXT,
    PROSE,
    RESERVED_TLDS,
    Name,
    Ranking,
    Signals,
    context_signals,
    file_factor,
)
from databorder.endpoints import ParsedEndpoint, parse_endpoint
from databorder.errors import EndpointSyntaxError

log = logging.getLogger(__name__)

Buffer = bytes | mmap.mmap  # what is searched: a chunk read, or a file mapped in place
SpanFinder = Callable[[Buffer, int, int], tuple[int, int]]

CHUNK = 8 * 1024 * 1024
OVERLAP = 4096
EXCERPT_SIDE = 48
MAP_FROM = 1 << 20  # plain files from this size are searched in place (memory map); smaller ones are just read

_URL = rb"(?P<url>[a-z][a-z0-9+.-]{1,20}://[^\s\"'<>`\\^|\x00-\x20\x7f-\xff]{3,1500})"
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
_FAST_URL = rb"[a-z][a-z0-9+.-]*://[^\s\"'<>`\\^|\x00-\x20\x7f-\xff]+"
_FAST_NAME = rb"(?:[\"'`\x00]|//)(?:[a-z0-9][a-z0-9_-]*\.)+(?:%s)(?:[\"'`\x00/:?]|\z)"
# Binaries also get UTF-16LE runs of printable characters, in the same pass (a second pass over the bytes halved
# the speed, and matching every run — most are plain text — cost a Python call each): only runs holding a dot
# between a letter or digit and a letter, or a "://", can hold a host name or URL. Its matches are told apart by
# a NUL second byte, which no other match has.
_FAST_UTF16 = rb"(?:[\x20-\x7e]\x00)*(?:[a-zA-Z0-9]\x00\.\x00[a-zA-Z]|:\x00/\x00/)\x00(?:[\x20-\x7e]\x00)*"
_MIN_UTF16 = 8  # characters: shorter UTF-16 runs in binaries are mostly chance byte patterns
_TRAILING = frozenset(b"\"'`\x00/:?")


@functools.cache  # read once per process: the text and binary patterns and the glued-host check all use it
def _top_level_labels() -> tuple[bytes, ...]:
    """Every last label of a Public Suffix List rule (IDNs as punycode), and the reserved ones kept as noise.

    A bare name must end in one of them, so it is part of the pattern: JavaScript bundles and binaries are full
    of quoted dotted words (TextMate scopes such as "comment.block.cpp", "source.js"), and each one RE2 reports
    costs a Python call — on one 185 MB binary 250k such calls against 13k with the list in the pattern.
    """
    labels: set[bytes] = set(label.encode() for label in RESERVED_TLDS)
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
    return tuple(sorted(labels, key=lambda label: (-len(label), label)))


@functools.cache
def _text_finder() -> SpanFinder:
    """The span finder for text, built once per process (~10 ms); binaries have their own (``_binary_finder``)."""
    name = _FAST_NAME % b"|".join(_top_level_labels())
    # The markers of legal-entity text (an ICP filing, 有限公司, ©) are found in the same pass over text: a second
    # pass would cost as much again. Not in binaries: in the benchmark's 1.2 GB of executables 7,700 markers
    # matched (mostly bytes that happen to read "©"), 71 of them legal-entity text, for 3-4 % of their scan time.
    text = re2.compile(b"(?i)" + _FAST_URL + b"|" + name + b"|" + MARKERS, _RE2_OPTIONS)
    return _span_finder(text)


@functools.lru_cache(maxsize=4)
def _binary_finder(known: frozenset[str]) -> SpanFinder:
    """The span finder for binaries: URLs, quoted names, UTF-16 runs and, glued in no string, known domains.

    Go and Rust pack string literals end to end, so a bare name sits between two other strings with no quote or
    NUL to find it by (``…notes/v2/au.api.vendor.comOauth…``).  Only names under a domain the knowledge layers
    know are looked for so, one label before the domain at least: the pattern grows by a literal set, which the
    DFA matches at no measurable cost (codex's 280 MB binary: 0.41 s either way), where any dotted word would
    flood a binary with its symbol names.
    """
    name = _FAST_NAME % b"|".join(_top_level_labels())
    pattern = b"(?i)" + _FAST_URL + b"|" + name + b"|" + _FAST_UTF16
    domains = sorted((d for d in known if _PLAIN_DOMAIN.fullmatch(d)), key=lambda d: (-len(d), d))
    if domains:
        pattern += rb"|(?:[a-z0-9][a-z0-9-]*\.)+(?:" + b"|".join(re.escape(d).encode() for d in domains) + b")"
    return _span_finder(re2.compile(pattern, _RE2_OPTIONS))


_PLAIN_DOMAIN = re.compile(r"[a-z0-9-]+(?:\.[a-z0-9-]+)+")


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


class Readable(Protocol):
    """Anything with ``read``: files, archive members, the containers' stream wrappers."""

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
    why: int = 0  # the ranking rules that applied, as bits (ranking.reasons_in_words puts them in words)

    def fields(self) -> tuple[Any, ...]:
        """The fields in order, as ``Hit(*fields)`` takes them back."""
        return (
            self.host, self.ip, self.port, self.scheme, self.source, self.offset, self.excerpt, self.relevance,
            self.why,
        )  # fmt: skip


class _FileFacts(NamedTuple):
    """What a file says of its sightings: their weight, whether it is source code, whether its entity text counts."""

    factor: float
    code: bool
    entities: bool


class Scanner:
    """Finds hosts in byte streams, validated against the Public Suffix List and ranked."""

    def __init__(
        self, known_domains: frozenset[str] = frozenset(), sdk_endpoints: Mapping[str, str] | None = None
    ) -> None:
        self.psl = PublicSuffixList(accept_unknown=False)
        self.ranking = Ranking(known_domains)
        self.sdks = dict(sdk_endpoints or {})  # a vendor SDK's package key → the endpoint it calls by default
        self._suffix_cache: dict[str, bool] = {}
        self._find_text = _text_finder()
        self._find_binary = _binary_finder(frozenset(known_domains))
        self._tlds = frozenset(_top_level_labels()) | {label.encode() for label in _FILE_TLDS}
        self._names: dict[bytes, Name | None] = {}  # candidate bytes → Name, or None: they name no endpoint
        self._context: dict[bytes, Signals] = {}  # lead-in → its signals
        self._sources: dict[str, _FileFacts] = {}
        self.links = EntityLinks()  # legal-entity text linked to the hosts seen near it; taken per task (scan)

    def _known_suffix(self, host: str) -> bool:
        """Whether the Public Suffix List knows this name's suffix (cached: names repeat across a bundle)."""
        known = self._suffix_cache.get(host)
        if known is None:
            known = self._suffix_cache[host] = self.psl.privatesuffix(host) is not None
            if len(self._suffix_cache) > 200_000:
                self._suffix_cache.clear()
        return known

    def scan_stream(self, stream: Readable, source: str, *, binary: bool | None = None) -> Iterator[Hit]:
        """Hits in a stream read chunk by chunk.

        Each round scans some already-reported context, the unreported tail of the previous chunk and a new
        chunk. It reports matches starting after the context and before its last OVERLAP bytes (longer than any
        match), which the next round sees whole; the context keeps a match's cut-off suffix from being taken
        for a match of its own. The last round reports everything left.
        """
        if source.endswith(".map"):
            plain = yield from self._source_map(stream, source)
            if plain is None:
                return
            stream = plain
        start = 0  # file offset of data[0]
        context = 0  # bytes at the head of data that belong to the previous round
        data = stream.read(CHUNK)
        if not data:
            return
        if self.sdks and len(data) < CHUNK and is_manifest(source):
            yield from self._dependencies(source, data)
        if len(data) < CHUNK and _CONFIG_FILE.search(source):
            yield from self._config_values(source, data)
        binary = b"\x00" in data[:8192] if binary is None else binary
        while True:
            following = stream.read(CHUNK)
            final = not following
            cutoff = len(data) if final else len(data) - OVERLAP
            for hit in self.scan_bytes(data, source, start, binary=binary, whole=final and start == 0):
                if context <= hit.offset - start < cutoff:
                    yield hit
            if final:
                return
            keep_from = max(0, cutoff - OVERLAP)
            start += keep_from
            context = cutoff - keep_from
            data = data[keep_from:] + following

    def scan_mapped(
        self, handle: IO[bytes], source: str, start: int, end: int, *, binary: bool | None = None
    ) -> Iterator[Hit]:
        """Hits starting in bytes [start, end) of a plain file, searched in place through a memory map.

        No read copies the bytes and no chunk is joined to the next (a fifth of a binary's scan time went there).
        OVERLAP bytes are mapped before the start and after the end: a name straddling a boundary is then seen
        whole by both ranges, and reported only by the one it starts in (never as a cut-off suffix).
        """
        size = os.fstat(handle.fileno()).st_size
        begin = max(0, start - OVERLAP) // mmap.ALLOCATIONGRANULARITY * mmap.ALLOCATIONGRANULARITY
        stop = min(size, end + OVERLAP)
        if stop <= begin:
            return
        with mmap.mmap(handle.fileno(), stop - begin, access=mmap.ACCESS_READ, offset=begin) as window:
            if binary is None:
                binary = b"\x00" in window[:8192]
            for hit in self.scan_bytes(window, source, begin, binary=binary):
                if start <= hit.offset < end:
                    yield hit

    def scan_bytes(self, data: Buffer, source: str, base: int, *, binary: bool, whole: bool = False) -> Iterator[Hit]:
        """Hits in one buffer; ``base`` is its offset in the file, ``whole``: the buffer is the whole file.

        Legal-entity text found on the way is linked to the hosts sighted within ENTITY_WINDOW bytes of it, or
        anywhere in a small file (``whole`` and at most SMALL_FILE bytes), in ``links``.
        """
        size = len(data)
        find = self._find_binary if binary else self._find_text
        linker = None
        if not binary and self._file(source).entities:
            linker = Linker(self.links, source, size if whole and size <= SMALL_FILE else ENTITY_WINDOW)
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
                    for wide in self._utf16(found, data, start, source, base):
                        if linker is not None and wide.host is not None and not wide.why & NO_ENTITY_TEXT:
                            _sighted(linker, wide.offset, wide.host)
                        yield wide
                continue
            if found[0] in _MARKER_OR_C and (
                found[0] in MARKER_FIRST or found.lower() == b"copyright" or (len(found) == 6 and found[:3] == b"ICP")
            ):  # an entity marker: no URL or name starts with these bytes, and a URL starting so is longer
                entity = entity_at(data, start, end, base) if linker is not None else None
                if entity is not None and linker is not None:
                    linker.entity(entity)
                    pos = max(pos, entity.offset - base + len(entity.text.encode()))  # "(c)" of "Copyright (c)"
                continue
            if binary and found[0] not in _LEADING and b"://" not in found:  # a known domain glued between strings
                name_at = self._glued_name(found)
                if name_at is not None:
                    skip, host = name_at
                    hit = self._hit(None, host, data, start + skip, source, base)
                    if hit is not None:
                        yield hit
                continue
            scheme_end = found.find(b"://")
            if scheme_end > _MAX_SCHEME:  # no scheme is that long: text glued before a "//host" that may be one
                pos = start + scheme_end + 1
                continue
            if scheme_end >= 0:
                glued = _glued_scheme(found, scheme_end)
                if glued:  # "…VERIFYhttps://api…": a string before the URL, with no delimiter between them
                    found, start, scheme_end = found[glued:], start + glued, scheme_end - glued
                inner = _inner_url(found, scheme_end)
                if inner > 0:  # a URL inside this one's text: a list ("a,https://b") or a parameter ("?u=https://b")
                    pos = start + inner  # searched again from there, so it is found on its own
                    if found[inner - 1] in _LIST_SEPARATORS:
                        found = found[: inner - 1]
                if binary:
                    found = self._unglued_host(found, scheme_end)
                hit = self._hit(found, None, data, start, source, base)
            else:
                if found[-1] in _TRAILING:  # the delimiter after the name (none at the very end)
                    found = found[:-1]
                    pos -= 1  # it may lead the next name
                skip = 2 if found.startswith(b"//") else 1
                hit = self._hit(None, found[skip:], data, start + skip, source, base)
                if (
                    hit is not None
                    and binary
                    and not hit.why & KNOWN_DOMAIN
                    and _program_symbol(found[skip:], data, end)
                ):
                    hit.relevance = min(hit.relevance, IDENTIFIER_CAP)  # a Go or Rust symbol, not a host
                    hit.why |= IDENTIFIER | NO_ENTITY_TEXT
            if hit is not None:
                if linker is not None and hit.host is not None and not hit.why & NO_ENTITY_TEXT:
                    # Inline, not a call: every sighting passes here (a Python call each cost 3 % of the scan).
                    linker.hosts.append((hit.offset, hit.host))
                    if linker.entities:
                        linker.host(hit.offset, hit.host)
                    elif len(linker.hosts) > Linker.TRIM_AT:
                        linker.trim()
                yield hit

    def _glued_name(self, found: bytes) -> tuple[int, bytes] | None:
        """Where in ``found`` (labels, then a known domain) the host starts, and the host, or None.

        Nothing marks where a string glued before the name ends, so the labels before the known domain are kept
        only while they read as a service's (``api``, ``auth``, a two-letter region: ``au.api.vendor.com``); a
        label ending in one keeps only that (``…comapi.vendor.com`` → ``api.vendor.com``); with none, the name is
        not taken (``…windows.net`` after some other word says nothing of which host).
        """
        labels = found.lower().split(b".")
        known = self.ranking.known
        first = next((i for i in range(1, len(labels)) if b".".join(labels[i:]).decode() in known), None)
        if first is None:
            return None
        domain = first
        while first > 0 and (labels[first - 1] in _SERVICE_LABELS or self._region(labels[first - 1])):
            first -= 1
        host = b".".join(labels[first:])
        at = len(found) - len(host)
        if first > 0 and labels[first - 1].isalnum():  # "azure-api" is a label of its own, not glued text
            word = next((w for w in _SERVICE_WORDS if labels[first - 1].endswith(w) and w != labels[first - 1]), None)
            if word is not None:
                host, at = word + b"." + host, at - len(word) - 1
        if at == len(found) - len(b".".join(labels[domain:])):
            return None  # the domain alone, after text that reads as no service's label: nothing says more
        return at, found[at:]

    def _region(self, label: bytes) -> bool:
        """A two-letter region label before a vendor's domain (au.api.…, eu.…): a country code, or eu / ap."""
        return len(label) == 2 and (label in (b"eu", b"ap") or label.decode().upper() in self.ranking.country_codes)

    def _unglued_host(self, url: bytes, scheme_end: int) -> bytes:
        """A URL in a binary cut where its host ends, when a string follows it with no delimiter between.

        Go and Rust lay string literals end to end without a NUL: ``https://api.vendor.comGPTSCRIPT_MODEL…``.  A
        host name is written in lower case, so a capital after a lower-case letter ends it; so does the end of the
        longest top-level domain its last label starts with, when that label is no top-level domain itself
        (``…vendor.comunexpected`` → ``…vendor.com``).  What follows the cut belongs to the next string.
        """
        begin = scheme_end + 3
        end = begin
        while end < len(url) and url[end] not in _AUTHORITY_ENDS:
            end += 1
        host = url[begin:end]
        cut = _CASE_CHANGE.search(host)
        if cut is not None:
            host = host[: cut.start() + 1]
        labels = host.rsplit(b".", 1)
        if len(labels) == 2 and labels[1]:
            last = labels[1].lower()
            if last not in self._tlds:
                lengths = [n for n in range(len(last) - 1, 1, -1) if last[:n] in _GLUE_TLDS and last[n] in _LETTERS]
                if not lengths:
                    return url  # not a host name at all: the suffix list refuses it later
                host = host[: len(labels[0]) + 1 + lengths[0]]
        elif cut is None:
            return url
        return url if len(host) == end - begin else url[:begin] + host

    def _dependencies(self, source: str, data: bytes) -> Iterator[Hit]:
        """The endpoints of the vendors' SDKs a manifest declares as dependencies."""
        for endpoint, offset, excerpt, relevance in sdk_hits(source, data, self.sdks):
            yield Hit(endpoint, None, None, "https", source, offset, excerpt, relevance, DEPENDENCY)

    def _source_map(self, stream: Readable, source: str) -> Generator[Hit, None, Readable | None]:
        """A source map's original sources, each scanned as the code it is (its comments read as comments).

        Scanned as one JSON text, ``sourcesContent`` is a single line of escaped code: a link in a comment of the
        original looks like code there.  Returns None when the map was read this way, or a stream to scan as plain
        bytes when it is not a source map (or too big to decode).
        """
        head = stream.read(_MAX_SOURCE_MAP + 1)
        if len(head) > _MAX_SOURCE_MAP or b'"sourcesContent"' not in head:
            return Prefixed(head, stream)
        try:
            data = json.loads(head)
            sources, contents = data.get("sources") or [], data["sourcesContent"]
        except (ValueError, KeyError, TypeError, AttributeError):
            return Prefixed(head, stream)
        if not isinstance(contents, list):
            return Prefixed(head, stream)
        for number, content in enumerate(contents):
            if not isinstance(content, str):
                continue
            name = sources[number] if number < len(sources) and isinstance(sources[number], str) else str(number)
            code = content.encode("utf-8", "replace")
            yield from self.scan_bytes(code, f"{source}!{name.lstrip('./')}", 0, binary=False, whole=True)
        return None

    def _config_values(self, source: str, data: bytes) -> Iterator[Hit]:
        """Unquoted host names as the values of YAML, .env, INI and properties files (``host: api.x.com``).

        Quoted values and URLs are found by the main search; this finds what it cannot, a name with no quote.
        """
        for found in _CONFIG_VALUE.finditer(data):
            hit = self._hit(None, found.group(1), data, found.start(1), source, 0)
            if hit is not None:
                hit.why |= CONFIG_VALUE
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
            signals = self._context[before] = context_signals(before)
            if len(self._context) > _CACHE_SIZE:
                self._context.clear()
        file = self._file(source)
        factor = file.factor
        prose = signals.prose and file.code
        relevance = name.relevance(signals, factor, prose=prose)
        why = name.bits | signals.bits | (DOCUMENTATION_FILE if factor < 1 else 0) | (PROSE if prose else 0)
        parsed = name.parsed
        context = data[max(0, at - EXCERPT_SIDE) : at + len(candidate) + EXCERPT_SIDE]
        excerpt = context.translate(_PRINTABLE).decode("ascii").strip(".")
        return Hit(parsed.host, parsed.ip, parsed.port, parsed.scheme, source, base + at, excerpt[:200], relevance, why)

    def _name(self, is_url: bool, candidate: bytes) -> Name | None:
        """The endpoint a candidate names and its share of relevance, or None when it names none."""
        if is_url:
            candidate = candidate[:_MAX_URL]
            if candidate.find(b"://") > _MAX_SCHEME:
                return None
        elif len(candidate) > 253:
            return None
        text = candidate.decode("ascii", "replace")
        if is_url:
            text = _untemplated(text)
        parsed = _parse(text.rstrip(".,;:)]}") if is_url else text.rstrip("."))
        if parsed is None:
            return None
        host = parsed.host
        if host is not None:
            tld = host.rsplit(".", 1)[-1]
            if tld in RESERVED_TLDS:
                pass  # reserved names (RFC 6761) are kept, but rank as noise (ranking)
            elif not self._known_suffix(host) or (not is_url and tld in _FILE_TLDS):
                return None
        elif parsed.ip is None or not is_url:
            return None
        return self.ranking.name(parsed, text if is_url else None)

    def _file(self, source: str) -> _FileFacts:
        """What the file a sighting sits in says, worked out once per file (bundles repeat a file's name)."""
        facts = self._sources.get(source)
        if facts is None:
            factor = file_factor(source)
            facts = self._sources[source] = _FileFacts(
                factor,
                code=CODE_FILE.search(source) is not None,
                entities=factor == 1.0 and not _METADATA.search(source),  # not docs, tests, READMEs, metadata
            )
            if len(self._sources) > _CACHE_SIZE:
                self._sources.clear()
        return facts


_CACHE_SIZE = 200_000


def _sighted(linker: Linker, offset: int, host: str) -> None:
    """A sighting the linker should know of (the inline path in ``scan_bytes``, for UTF-16 runs)."""
    linker.hosts.append((offset, host))
    if linker.entities:
        linker.host(offset, host)
    elif len(linker.hosts) > Linker.TRIM_AT:
        linker.trim()


_MARKER_OR_C = MARKER_FIRST | frozenset(b"CcI")  # one set lookup tells most matches apart from markers
#: Legal-entity text is linked to the hosts sighted within this many bytes of it ...
ENTITY_WINDOW = 4096
#: ... or, in a file no bigger than this, to every host in the file.
SMALL_FILE = 16 * 1024
#: A Python package's metadata (its README, as a wheel or sdist carries it): entity text there is prose.
_METADATA = re.compile(r"(?:^|[/!\\])(?:METADATA|PKG-INFO)$")
_MAX_SOURCE_MAP = 64 << 20  # a source map decoded whole; a bigger one is scanned as plain bytes


class Reader(io.RawIOBase):
    """A read-only stream defined by its ``read``; ``readinto`` lets tarfile and zipfile use it too."""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray) -> int:  # type: ignore[override]
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


class Prefixed(Reader):
    """A stream that first returns bytes already read (a sniffed head), then the rest of the original."""

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


#: Configuration files whose values may name hosts without quotes.
_CONFIG_FILE = re.compile(r"(?i)(^|[/!])(\.env(\.[\w.-]+)?|[^/!]+\.(ya?ml|ini|cfg|conf|properties|env))$")
#: ``key: value`` or ``key=value`` whose whole value is an unquoted dotted name (and maybe a port).
_CONFIG_VALUE = re.compile(
    rb"(?im)^[ \t]*(?:export[ \t]+)?[\w.-]+[ \t]*[:=][ \t]*((?:[a-z0-9](?:[a-z0-9_-]{0,61}[a-z0-9])?\.){1,10}"
    rb"[a-z][a-z0-9-]{0,61}[a-z0-9])(?::\d{1,5})?[ \t]*(?:#.*)?\r?$"
)
_LETTERS = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
_SCHEME_BYTES = _LETTERS | frozenset(b"0123456789+.-")
_LIST_SEPARATORS = frozenset(b",;")


# A template's placeholder as the first labels of a host ("{region}.", "${region}.", "%s.", "%(region)s.", "{}.",
# "*."), and where one starts glued after it ("api.x.com${path}", "api.x.com{path}"): Python f-strings and
# .format, JS/TS template literals, %-formatting, wildcards in allow-lists.
_LEADING_PLACEHOLDERS = re.compile(r"^(?:(?:\$?\{[^{}/]*\}|%\([^)]*\)s|%[sd]|\*)\.)+")
_PLACEHOLDER_START = re.compile(r"\$?\{|\$$")


def _untemplated(url: str) -> str:
    """A URL with template placeholders taken out of its host: what the code sends to, up to the placeholder.

    ``https://{region}.api.vendor.com/v1`` → ``https://api.vendor.com/v1``; ``https://api.vendor.com${path}`` →
    ``https://api.vendor.com``.  A URL without a placeholder is returned as it is.
    """
    if "{" not in url and "%" not in url and "*" not in url and "$" not in url:
        return url
    scheme, _, rest = url.partition("://")
    rest = _LEADING_PLACEHOLDERS.sub("", rest)
    cut = _PLACEHOLDER_START.search(rest)
    if cut is not None:
        authority_end = min((i for i in (rest.find("/"), rest.find("?"), rest.find("#")) if i >= 0), default=len(rest))
        rest = rest[: cut.start()] if cut.start() <= authority_end else rest
    return f"{scheme}://{rest}"


_LEADING = frozenset(b"\"'`\x00/")  # what a quoted name's match starts with
#: First labels of a service's hosts: kept before a known domain glued into a binary's packed strings.
_SERVICE_LABELS = frozenset({b"api", b"apis", b"auth", b"oauth", b"login", b"sso", b"accounts", b"chat", b"ab",
                             b"events", b"telemetry", b"metrics", b"analytics", b"logs", b"ingest", b"collect",
                             b"upload", b"files", b"cdn", b"static", b"assets", b"ws", b"realtime", b"stream",
                             b"gateway", b"inference", b"otel", b"otlp", b"gov", b"edge"})  # fmt: skip
_SERVICE_WORDS = sorted(_SERVICE_LABELS, key=lambda w: (-len(w), w))
#: Schemes a string glued before a URL may end in; a compound scheme (git+https, coap+ws) is left whole.
_GLUED_SCHEMES = (b"https", b"http", b"wss", b"ws")
_PLAIN_SCHEMES = frozenset({*_GLUED_SCHEMES, *(scheme.upper() for scheme in _GLUED_SCHEMES)})
_AUTHORITY_ENDS = frozenset(b"/?#:@")
#: The top-level domains a glued host is cut after; rarer ones (ccTLDs, words) made hosts of packed prose.
_GLUE_TLDS = frozenset({b"com", b"net", b"org", b"io", b"ai", b"dev", b"app", b"cloud"})
_CASE_CHANGE = re.compile(rb"[a-z0-9][A-Z]|\.[A-Z]")


def _glued_scheme(found: bytes, scheme_end: int) -> int:
    """How many bytes of text glued before a URL's scheme to drop (``VERIFYhttps://`` → 5), or 0."""
    scheme = found[:scheme_end]
    if scheme in _PLAIN_SCHEMES:
        return 0  # nearly every URL: one set lookup
    scheme = scheme.lower()
    for known in _GLUED_SCHEMES:
        if scheme.endswith(known) and len(scheme) > len(known):
            before = scheme[-len(known) - 1]
            return scheme_end - len(known) if before not in _COMPOUND else 0
    return 0


_COMPOUND = frozenset(b"+-")
# A path after a bare name: in a binary, a name written without a scheme but with a path is a Go module's or a
# Rust crate's path in its symbol and type tables (golang.org/x/crypto, sigs.k8s.io/yaml, github.com/x/y/v5).
_PATH_AFTER = re.compile(rb"/[\w.%~@+-]")
#: First labels of Go's and Rust's standard packages and crates (errors.Is, unicode.In, time.Time.In, core.fmt).
_STD_PACKAGES = frozenset({b"runtime", b"errors", b"unicode", b"time", b"reflect", b"syscall", b"sync", b"strings",
                           b"bytes", b"strconv", b"sort", b"fmt", b"os", b"io", b"net", b"image", b"bufio",
                           b"context", b"encoding", b"hash", b"regexp", b"math", b"crypto", b"internal", b"atomic",
                           b"slices", b"maps", b"iter", b"unsafe", b"testing", b"flag", b"log", b"mime", b"path",
                           b"html", b"text", b"template", b"http", b"url", b"core", b"alloc", b"std",
                           b"tokio", b"serde"})  # fmt: skip


def _program_symbol(name: bytes, data: Buffer, end: int) -> bool:
    """Whether a bare name in a binary is a compiled program's symbol rather than a host.

    A host name is written in lower case; Go's symbol table names functions by package (``errors.Is``,
    ``runtime.read``) and by module path (``github.com/x/y.(*T).M``), NUL-terminated like C strings.  A name the
    knowledge layers know is never taken for one (the caller checks).
    """
    if any(65 <= byte <= 90 for byte in name) or name.split(b".", 1)[0].lower() in _STD_PACKAGES:
        return True
    # Only after a NUL: quoted, it is a string of the program's own (JavaScript in a single-file executable).
    at = end - 1 - len(name)
    return data[at - 1 : at] == b"\x00" and data[end - 1 : end] == b"/" and _PATH_AFTER.match(data, end - 1) is not None


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


_PRINTABLE = bytes(b if 32 <= b < 127 else ord(".") for b in range(256))


@functools.lru_cache(maxsize=1 << 16)
def _parse(text: str) -> ParsedEndpoint | None:
    """parse_endpoint, or None; cached because bundles repeat the same names thousands of times."""
    try:
        return parse_endpoint(text)
    except EndpointSyntaxError:
        return None
