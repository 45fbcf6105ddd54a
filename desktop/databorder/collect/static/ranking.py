"""The relevance rules of the static scan: how likely a sighting is an endpoint the app sends data to.

Two parts decide a sighting's relevance (docs/static-scan.md). What the candidate's own bytes say — a URL or a bare
name, an API-like path, a catalog domain, a documentation host, a name shaped like a program identifier — is
worked out once per distinct candidate (``Ranking.name``, a ``Name``). What surrounds it — the statement before
it (``context_signals``: ``baseURL``, a licence, a code comment) and the file it sits in (``file_factor``: tests,
docs) — is applied per sighting (``Name.relevance``). Nothing here searches bytes: ``finding`` hands over what it
found, and caches what these rules answer.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import NamedTuple

from databorder.endpoints import ParsedEndpoint, is_web_page
from databorder.regions import regions

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
# Reserved names (RFC 6761 and the like): found and kept, but ranked as noise.
RESERVED_TLDS = frozenset({"test", "example", "invalid", "localhost", "local", "internal"})
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
                         r"(readme|changelog|history|license|licence|notice|authors|contributing)[^/]*$|"
                         r"\.(md|mdx|markdown|rst|adoc)$|\.d\.[cm]?ts$|\.pyi$|"
                         r"(^|/)(metadata|pkg-info|package\.json|pyproject\.toml|setup\.cfg|setup\.py"
                         r"|cargo\.toml)$")  # fmt: skip
#: What a documentation file (README, CHANGELOG, *.md, docs/, tests/, examples/, package metadata) weighs a
#: sighting by: any name there ends below the default threshold (0.2), however API-like it looks.
DOCUMENTATION_FACTOR = 0.15
#: The highest relevance a link in a code comment keeps: it documents something; code does not send data to it.
COMMENT_CAP = 0.15
#: The highest a URL in a docstring or help text keeps when it shows an API path ("For example:
#: https://aip.baidubce.com/rpc/2.0/…/chat/completions"): the wrapper's only word of where its data goes, so
#: assessed, but under every endpoint its code names.
PROSE_API_CAP = 0.45
#: The highest a bare name shaped like a program identifier keeps (console.info, errors.Is): below the threshold.
IDENTIFIER_CAP = 0.1


# Why a sighting ranks as it does: one bit per rule that applied, carried with each hit (an int costs nothing
# per sighting) and put in words only for the sightings an endpoint keeps (``reasons_in_words``).
URL, BARE_NAME, DATA_PATH, KNOWN_DOMAIN, WEB_PAGE, NOISE_NAME, IDENTIFIER = (1 << i for i in range(7))
DATA_CONTEXT, NOISE_CONTEXT, COMMENT, DOCUMENTATION_FILE, DEPENDENCY, CONFIG_VALUE, SPREAD = (
    1 << i for i in range(7, 14)
)
#: Not a reason, and never put in words: legal-entity text near such a name says nothing about who runs it
#: (documentation, code hosting, badges, placeholders; bare names shaped like program identifiers).
NO_ENTITY_TEXT = 1 << 14
PROSE = 1 << 15
_REASON_WORDS = (
    (DEPENDENCY, "a declared dependency on a vendor's SDK, whose default endpoint this is"),
    (URL, "a URL"),
    (BARE_NAME, "a host name in a string"),
    (CONFIG_VALUE, "a configuration value"),
    (DATA_PATH, "an API-like path"),
    (KNOWN_DOMAIN, "a domain known to carry data"),
    (DATA_CONTEXT, "announced as an endpoint (baseURL, host, fetch…)"),
    (SPREAD, "used in several files"),
    (WEB_PAGE, "a vendor's page for people (docs., console.…)"),
    (NOISE_CONTEXT, "beside licence or documentation words"),
    (COMMENT, "in a code comment"),
    (PROSE, "in a sentence of a docstring or help text"),
    (DOCUMENTATION_FILE, "in a documentation, test, example or package-metadata file"),
    (NOISE_NAME, "a documentation, example or reserved name"),
    (IDENTIFIER, "shaped like a program identifier"),
)


@functools.cache  # a scan's tens of thousands of sightings share a few dozen combinations of rules
def reasons_in_words(bits: int) -> tuple[str, ...]:
    """The short phrases for the rules that ranked a sighting (JSON ``relevance_reasons``, the GUI detail)."""
    return tuple(words for bit, words in _REASON_WORDS if bits & bit)


class Ranking:
    """The part of a candidate's relevance its own bytes decide, with the scan's known service domains."""

    def __init__(self, known_domains: frozenset[str] = frozenset()) -> None:
        self.known = known_domains  # catalog and telemetry-vendor domains: their endpoints are data endpoints
        self.country_codes = regions().countries
        self._hosts: dict[str, _HostFacts] = {}  # many URLs of a bundle share a host: its facts are worked out once

    def name(self, parsed: ParsedEndpoint, url: str | None) -> Name:
        """A found endpoint's share of relevance; ``url`` is the URL it was found in, None for a bare name."""
        host = parsed.host
        score = 0.55 if url else 0.3
        bits = URL if url else BARE_NAME
        if parsed.scheme in ("http", "ws"):
            score -= 0.05
        if url and _DATA_PATHS.search("/" + url.split("://", 1)[-1].partition("/")[2]):
            score += 0.25
            bits |= DATA_PATH
        facts = self._host_facts(host) if host else _NO_HOST
        if facts.web_page:
            score -= 0.25  # docs.vendor.com, console.vendor.com: pages for people, under the vendor's API
            bits |= WEB_PAGE
        known = facts.known
        if known:
            score += 0.2
            bits |= KNOWN_DOMAIN
        documentation = facts.documentation
        noise = facts.noise or bool(url and _SCHEMA_PATH.search(url))
        # A bare quoted name under an unusual TLD, or shaped like a program identifier, is probably one; unless the
        # catalog knows it as a service's domain (x.ai is shaped like a variable, and is xAI's API).
        identifier = not url and facts.identifier
        bits |= (IDENTIFIER if identifier else 0) | (NOISE_NAME if noise else 0)
        if identifier or documentation:
            bits |= NO_ENTITY_TEXT
        return Name(parsed, score, identifier, noise, bits)

    def _host_facts(self, host: str) -> _HostFacts:
        facts = self._hosts.get(host)
        if facts is None:
            known = _under(host, self.known)
            documentation = documentation_host(host)
            facts = _HostFacts(
                web_page=is_web_page(host),
                known=known,
                documentation=documentation,
                noise=host.rsplit(".", 1)[-1] in RESERVED_TLDS or documentation,
                identifier=not known and self.identifier_like(host),
            )
            if len(self._hosts) > 200_000:
                self._hosts.clear()
            self._hosts[host] = facts
        return facts

    def identifier_like(self, host: str) -> bool:
        """Whether a bare name is more likely a program identifier than a host: an uncommon TLD or its shape."""
        return not self._common_tld(host) or _identifier_shaped(host)

    def _common_tld(self, host: str) -> bool:
        tld = host.rsplit(".", 1)[-1]
        return tld in _COMMON_TLDS or (len(tld) == 2 and tld.upper() in self.country_codes)


class _HostFacts(NamedTuple):
    """What a host name alone says of a sighting (the part of ``Ranking.name`` that is the same for all its URLs)."""

    web_page: bool
    known: bool
    documentation: bool
    noise: bool
    identifier: bool  # for a bare name: shaped like a program identifier, and not a known service's domain


_NO_HOST = _HostFacts(False, False, False, False, False)


def documentation_host(host: str) -> bool:
    """Whether a host is documentation, code hosting, a badge, a registry or a placeholder (the noise above).

    Legal-entity text near one says nothing about who runs it: a README's badge sits beside the names of the
    companies the project is about.
    """
    return _is_noise_host(host) or _PLACEHOLDER.match(host) is not None


def file_factor(source: str) -> float:
    """How much a sighting counts for the file it sits in (a path inside an archive: its last member's)."""
    # Tests, docs, examples, licence files and package metadata are read by people, not sent data by the app.
    noisy = _NOISE_PATH.search(source.replace("\\", "/").rsplit("!", 1)[-1])
    return DOCUMENTATION_FACTOR if noisy else 1.0


@dataclass(frozen=True, slots=True)
class Signals:
    """What a match's lead-in (its own statement, before it) says about it."""

    data: bool  # baseURL, endpoint, fetch( …
    noise: bool  # licence, @see, docs/ …
    comment: bool
    prose: bool = False  # unquoted, after words: a docstring's or help text's sentence (counts in code files)

    @property
    def bits(self) -> int:
        """The reasons these signals add (see :func:`reasons_in_words`)."""
        return (
            (DATA_CONTEXT if self.data else 0) | (NOISE_CONTEXT if self.noise else 0) | (COMMENT if self.comment else 0)
        )


def context_signals(before: bytes) -> Signals:
    """What the lead-in before a match says: it announces an endpoint, it reads as documentation, it is a comment.

    A Markdown link (``[the guide](https://…)``) counts as a comment: docstrings and JSDoc write them, code does
    not send data to them.
    """
    comment = _in_comment(before) or before.endswith((b"](", b"]("))
    prose = _PROSE.search(before) is not None
    return Signals(_DATA_CONTEXT.search(before) is not None, _NOISE_CONTEXT.search(before) is not None, comment, prose)


# A URL written unquoted after a word and a space ("… see https://docs.x.com", "Get a key at https://…") or alone
# on its line: in a source file of a programming language, only docstrings, comments and help text hold it.
_PROSE = re.compile(rb"[A-Za-z][A-Za-z.,:;!?)]* (?:<|\()?$|^[ \t]*$")  # also: alone on its line, unquoted
#: Source files of programming languages, where a URL outside quotes is text for people (not so in shell scripts,
#: Dockerfiles or CI files, which run `curl https://…` as written).
CODE_FILE = re.compile(
    r"(?i)\.(py|pyi|js|mjs|cjs|jsx|ts|tsx|mts|cts|java|kt|go|rs|rb|php|c|h|cc|cpp|hpp|cs|swift|dart|scala|lua)$"
)


@dataclass(frozen=True, slots=True)
class Name:
    """A candidate's endpoint and the part of its relevance its own bytes decide (docs/static-scan.md)."""

    parsed: ParsedEndpoint
    score: float  # scheme, data-like path, known service
    identifier: bool  # capped at 0.1 whatever the context
    noise: bool  # documentation, reserved or example names
    bits: int = 0  # the reasons its own bytes give (see :func:`reasons_in_words`)

    def relevance(self, signals: Signals, source_factor: float, *, prose: bool = False) -> float:
        """0–1: how likely this sighting is an endpoint the app sends data to (``prose``: a sentence in code)."""
        score = self.score + (0.15 if signals.data else 0.0)
        if self.identifier:
            score = min(score, IDENTIFIER_CAP)
        if signals.noise:
            score -= 0.2
        if signals.comment:
            score = min(score - 0.3, COMMENT_CAP)  # a link in a code comment documents something
        elif prose:  # a docstring or help text: a link for people, unless it shows the API's own path
            score = min(score - 0.3, PROSE_API_CAP if self.bits & DATA_PATH else COMMENT_CAP)
        if self.noise:
            score = min(score, 0.1) * 0.5
        return round(max(0.01, min(1.0, score * source_factor)), 3)


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


def _under(host: str, domains: frozenset[str]) -> bool:
    """Whether ``host`` is one of ``domains`` or below one: a few set lookups, whatever the set's size."""
    labels = host.split(".")
    return any(".".join(labels[i:]) in domains for i in range(len(labels) - 1))


def _is_noise_host(host: str) -> bool:
    return host in _NOISE_EXACT or _under(host, _NOISE_DOMAINS)
