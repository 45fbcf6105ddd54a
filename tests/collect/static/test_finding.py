"""Candidates in bytes: URLs, quoted names, offsets in binaries, UTF-16LE runs, chunk boundaries, RE2 vs a reference."""

from __future__ import annotations

import functools
import tarfile
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from databorder.collect.static import finding, scan_path
from databorder.collect.static.finding import Scanner


@functools.cache
def _scanner() -> Scanner:
    """One scanner for every example: parsing the Public Suffix List costs ~40 ms."""
    return Scanner()


def elf_like(strings: dict[int, bytes], size: int = 4096) -> bytes:
    data = bytearray(b"\x7fELF\x02\x01\x01" + b"\x00" * (size - 7))
    for offset, text in strings.items():
        data[offset - 1] = 0
        data[offset : offset + len(text)] = text
        data[offset + len(text)] = 0
    return bytes(data)


def test_binaries_give_offsets_for_ascii_and_utf16_strings(tmp_path: Path) -> None:
    data = bytearray(elf_like({1000: b"https://api.chatvendor.com/v2/messages", 2000: b"metrics.chatvendor.com"}))
    utf16 = "https://upload.chatvendor.com/files".encode("utf-16-le")
    data[3000 : 3000 + len(utf16)] = utf16
    binary = tmp_path / "agent"
    binary.write_bytes(bytes(data))
    observations, _, _ = scan_path(binary)
    where = {o.host: o.evidence.location for o in observations}
    assert where["api.chatvendor.com"] == "offset 1000"
    assert where["metrics.chatvendor.com"] == "offset 2000"
    assert where["upload.chatvendor.com"] == "offset 3000"


@pytest.mark.parametrize("inside_tar", [False, True], ids=["mapped file", "streamed member"])
def test_big_files_are_read_without_losing_names_on_chunk_boundaries(tmp_path: Path, inside_tar: bool) -> None:
    name = b'"https://api.chatvendor.com/v1/x"'
    blob = bytearray(b"\x00" * (finding.CHUNK * 2 + 100))
    places = [finding.CHUNK - 10, finding.CHUNK - finding.OVERLAP - 5]  # across the chunk and the report cut-off
    for at in places:
        blob[at : at + len(name)] = name
    path = tmp_path / "big.bin"
    path.write_bytes(bytes(blob))
    if inside_tar:  # an archive member is read as a stream, chunk by chunk
        with tarfile.open(tmp_path / "big.tar", "w") as archive:
            archive.add(path, arcname="big.bin")
        path.unlink()
        path = tmp_path / "big.tar"
    observations, _, _ = scan_path(path)
    found = sorted((o.host or "", o.evidence.source, o.evidence.location or "") for o in observations)
    source = "big.tar!big.bin" if inside_tar else "big.bin"
    assert found == sorted(("api.chatvendor.com", source, f"offset {at + 1}") for at in places)


_PIECES = st.sampled_from([
    b"api.chatvendor.com", b"https://api.chatvendor.com/v1", b"http://203.0.113.5/up", b"metrics.vendor.io", b"a.b",
    b"console.log", b"x.test", b"source.js", b"comment.block.cpp", b"a.community", b"a.py", b"com", b"x", b"-",
    b"a.com-x", b"a.com.cpp", b"a.com.", b'a.com"b.io', b"a.com:443", b"//cdn.vendor.io/x", b"a.com?q", b"\xff",
    b"ftp://files.vendor.net", b"A.Vendor.COM", b"1.2.3.4",
    *(b"\x00\x00" + text.encode("utf-16-le") for text in (
        "https://upload.chatvendor.com/f", '"cdn.vendor.net"', "plain utf16 text", "http://198.51.100.7/x", "a.io",
        "x'telemetry.vendor.ai'", '"x.io"',
    )),
])  # fmt: skip


# What separates strings in bundles and binaries. Text glued straight to a name ("a.pyhttps://…", or an ASCII name
# then "h\0t\0…") can be read in more than one way, and the two scans read it differently.
_SEPARATORS = st.sampled_from([b'"', b"'", b"`", b"\x00", b"\x00\x00", b" ", b"\n", b",", b"/", b":", b"(", b"="])


def _urls_within(text: bytes, at: int) -> list[tuple[bytes, int]]:
    """A URL match and the URLs inside its text ("a,https://b", "?u=https://b"), a list's items cut apart."""
    import re

    inner = re.search(rb"[a-z][a-z0-9+.-]*://", text[text.index(b"://") + 3 :], re.I)
    if inner is None:
        return [(text, at)]
    cut = text.index(b"://") + 3 + inner.start()
    head = text[: cut - 1] if text[cut - 1 : cut] in (b",", b";") else text
    return [(head, at), *_urls_within(text[cut:], at + cut)]


def _two_pass_reference(data: bytes) -> set[tuple[str | None, str | None]]:
    """The names the scan first found: any dotted word, suffix checked after; UTF-16 runs in a second pass."""
    import re

    import re2

    from databorder.collect.static.finding import _TRAILING, TEXT_PATTERN

    fast = re2.compile(
        rb"(?i)[a-z][a-z0-9+.-]*://[^\s\"'<>`\\^|\x00-\x20\x7f-\xff]+|(?:[\"'`\x00]|//)"
        rb"(?:[a-z0-9][a-z0-9_-]*\.)+[a-z][a-z0-9-]*[a-z0-9]"
    )  # any dotted word: the suffix is checked afterwards
    scanner, found = _scanner(), set()
    for m in fast.finditer(data):
        text = m.group()
        if b"://" in text:
            # A binary's URL is cut where the next packed string starts (tested on its own below).
            hits = [scanner._hit(scanner._unglued_host(url_text, url_text.index(b"://")), None, data, at, "f", 0)
                    for url_text, at in _urls_within(text, m.start())]  # fmt: skip
        elif m.end() < len(data) and data[m.end()] not in _TRAILING:
            continue
        else:
            skip = 2 if text.startswith(b"//") else 1
            hits = [scanner._hit(None, text[skip:], data, m.start() + skip, "f", 0)]
        found |= {(hit.host, hit.ip) for hit in hits if hit is not None}
    for run in re.finditer(rb"(?:[\x20-\x7e]\x00){8,}", data):
        for m2 in TEXT_PATTERN.finditer(run.group().decode("utf-16-le")):
            url, host = m2.group("url"), m2.group("host")
            hit = scanner._hit(url.encode() if url else None, host.encode() if host else None, data,
                               run.start() + 2 * m2.start(), "f", 0)  # fmt: skip
            if hit is not None:
                found.add((hit.host, hit.ip))
    return found


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(_PIECES, _SEPARATORS), max_size=40))
@example([(b"api.chatvendor.com", b'"'), (b"console.log", b":"), (b"//cdn.vendor.io/x", b","),
          (b"https://api.chatvendor.com/v1", b'"')])  # once found: a URL glued to the end of another  # fmt: skip
def test_one_pass_over_a_binary_finds_what_two_passes_found(pieces: list[tuple[bytes, bytes]]) -> None:
    data = b"\x00\x01" + b"".join(piece + separator for piece, separator in pieces) + b"\x00"
    ours = {(h.host, h.ip) for h in _scanner().scan_bytes(data, "f", 0, binary=True)}
    assert ours == _two_pass_reference(data)


def test_the_public_search_api_finds_the_same_spans_as_the_direct_one() -> None:
    import types

    import re2

    from databorder.collect.static.finding import _span_finder

    pattern = re2.compile(rb"(?i)[a-z]+://[a-z./]+|[\"\x00][a-z.]+[\"\x00]")
    data = b'\x00x "api.chatvendor.com" https://u.chatvendor.com/f "b.io" http://a.b/c'
    direct = _span_finder(pattern)
    public = _span_finder(types.SimpleNamespace(search=pattern.search))  # a binding without the private object

    def spans(find: Callable[[bytes, int, int], tuple[int, int]]) -> list[tuple[int, int]]:
        found, pos = [], 0
        while (span := find(data, pos, len(data)))[0] >= 0:
            found.append(span)
            pos = span[1]
        return found

    assert spans(direct) == spans(public) == [(3, 23), (24, 50), (51, 57), (58, 70)]


def test_urls_in_a_list_or_a_parameter_are_each_found(tmp_path: Path) -> None:
    path = tmp_path / "config.js"
    path.write_bytes(b'const origins="https://a.vendorx.com/v1/chat,https://b.vendorx.com/v1/chat;wss://c.vendorx.com/v1";'
                     b'const go="https://d.vendorx.com/login?next=https://e.vendorx.com/api/";')  # fmt: skip
    found = {o.host: o for o in scan_path(path)[0]}
    assert set(found) == {"a.vendorx.com", "b.vendorx.com", "c.vendorx.com", "d.vendorx.com", "e.vendorx.com"}
    assert found["a.vendorx.com"].relevance >= 0.8  # its own path (/v1/chat), not the list's tail, was judged


@pytest.mark.parametrize(
    ("code", "host"),
    [
        # @deepgram/sdk and @elevenlabs/elevenlabs-js build request URLs in template literals
        (b"const c = { url: ({ path }) => `https://api.deepgram.com${path}` };", "api.deepgram.com"),
        (b"return `https://api.elevenlabs.io/v1/text-to-speech/${voiceId}`;", "api.elevenlabs.io"),
        (b"const u = `${protocol}://api.vendorq.com/v1`;", "api.vendorq.com"),
        (b'url = f"https://{region}.api.vendorq.com/v1/chat"', "api.vendorq.com"),  # Python f-string
        (b'url = f"https://api.vendorq.com/{version}/chat"', "api.vendorq.com"),
        (b'url = "https://{}.vendorq.com/v1".format(region)', "vendorq.com"),
        (b'url = "https://%s.vendorq.com/v1" % region', "vendorq.com"),
        (b'host = "https://%(region)s.api.vendorq.com"', "api.vendorq.com"),
        (b'allow = ["https://*.vendorq.com"]', "vendorq.com"),  # a wildcard in an allow-list
        (b'const base = "https://" + "api.vendorq.com";', "api.vendorq.com"),  # concatenated literals
        (b'const HOST = "api.vendorq.com"; fetch(HOST + "/v1");', "api.vendorq.com"),
    ],
)
def test_base_urls_written_as_templates_and_concatenations_are_found(tmp_path: Path, code: bytes, host: str) -> None:
    path = tmp_path / "client.js"
    path.write_bytes(code + b"\n")
    hosts = {o.host for o in scan_path(path)[0]}
    assert host in hosts, hosts


def test_unquoted_host_names_in_configuration_files_are_found(tmp_path: Path) -> None:
    app = tmp_path / "app"
    app.mkdir()
    (app / ".env").write_bytes(b"# settings\nexport API_HOST=api.envvendor.com\nDEBUG=1\nVERSION=1.2.3\n")
    (app / "config.yaml").write_bytes(b"server:\n  host: gateway.yamlvendor.com:8443  # prod\n  retries: 3.5\n")
    (app / "notes.txt").write_bytes(b"host: api.plainvendor.com\n")  # not a configuration file
    hosts = {o.host: o for o in scan_path(app)[0]}
    assert "api.envvendor.com" in hosts and "gateway.yamlvendor.com" in hosts
    assert set(hosts) == {"api.envvendor.com", "gateway.yamlvendor.com"}  # notes.txt is no configuration file
    assert hosts["api.envvendor.com"].evidence.location == "offset 27"
    assert hosts["gateway.yamlvendor.com"].relevance >= 0.4  # "host:" announces an endpoint


def test_a_source_maps_sources_are_read_as_code_with_their_comments(tmp_path: Path) -> None:
    import json

    original = (
        "// Protocol: https://docs.mapvendor.com/v1/spec\n"
        'export const client = { baseURL: "https://api.mapvendor.com/v1" };\n'
    )
    source_map = {"version": 3, "sources": ["../src/client.ts"], "sourcesContent": [original], "mappings": "AAAA"}
    text = json.dumps(source_map).encode()
    small = tmp_path / "small" / "cli.js.map"
    big = tmp_path / "big" / "cli.js.map"  # from 1 MB a plain file is usually searched in place: not a map
    small.parent.mkdir()
    big.parent.mkdir()
    small.write_bytes(text)
    big.write_bytes(text[:-1] + b', "x_padding": "' + b"a" * (1 << 20) + b'"}')
    for path in (small, big):
        found = {o.host: o for o in scan_path(path)[0]}
        assert found["api.mapvendor.com"].relevance >= 0.8
        assert found["api.mapvendor.com"].evidence.source.endswith("cli.js.map!src/client.ts")
        assert found["docs.mapvendor.com"].relevance < 0.2  # in a comment of the original source
    broken = tmp_path / "broken.js.map"
    broken.write_bytes(b'{"sourcesContent": ["https://api.brokenmap.com/v1" ')  # not JSON: scanned as bytes
    assert {o.host for o in scan_path(broken)[0]} == {"api.brokenmap.com"}


def _binary_names(data: bytes) -> dict[str, tuple[str | None, float]]:
    """Host → (scheme, best relevance) of a binary's bytes, as the scan of an executable sees them."""
    found: dict[str, tuple[str | None, float]] = {}
    for hit in _scanner().scan_bytes(data, "bin/agent", 0, binary=True):
        if hit.host and hit.relevance > found.get(hit.host, (None, -1.0))[1]:
            found[hit.host] = (hit.scheme, hit.relevance)
    return found


# Go's read-only data as its linker lays it out: string literals end to end, no NUL between them, in no order of
# meaning (taken from the shape of a Go AI CLI's binary, names changed).
GO_RODATA = (
    b"\x7fELF\x02\x01\x01"
    + b"\x00" * 57
    + b"failed to create [%s]: %vGH_ENTERPRISE_SKIP_VERIFYhttps://api.chatvendor.com/v1GPTSCRIPT_MODEL_PROVIDER"
    + b"%shttps://raw.githubusercontent.com/%s/%s/%s/%shttps://api.codehost.com/repos/"
    + b"unexpected EOFhttps://auth.chatvendor.comunexpected end of JSON inputhttps://metrics.chatvendor.comSTATUS"
    + b' a href="http://www.recent dev'  # packed prose of an HTML table: no host there
)
# Go's symbol table: NUL-terminated function names by package and module path.
GO_SYMBOLS = (
    b"\x7fELF\x02\x01\x01\x00" + b"\x00".join([b"errors.Is", b"errors.is", b"unicode.In", b"runtime.read", b"time.now",
    b"github.com/go-git/go-git/v5.(*Repository).Log", b"golang.org/x/crypto/chacha20.New", b"sigs.k8s.io/yaml.init",
    b"time.Time.In", b""])
)  # fmt: skip
# Rust's string data: literals packed the same way, environment variable names and messages between the URLs.
RUST_RODATA = (
    b"\x7fELF\x02\x01\x01"
    + b"\x00" * 57
    + b"CODEX_AUTHAPI_BASE_URLhttps://auth.chatvendor.com/oauth/tokenproxy URL must use HTTPShttps://"
    + b"portals.api.chatvendor.comMissing credentialsT credential expired.https://cloud-backend.chatvendor.io"
    + b"git+https://codehost.com/x/y.git"
)


def test_urls_packed_end_to_end_in_go_and_rust_strings_are_cut_where_the_next_string_starts() -> None:
    go = _binary_names(GO_RODATA)
    assert {host: scheme for host, (scheme, _) in go.items() if host != "raw.githubusercontent.com"} == {
        "api.chatvendor.com": "https",  # not the scheme "verifyhttps" of the text glued before it
        "api.codehost.com": "https",
        "auth.chatvendor.com": "https",  # not "auth.chatvendor.comunexpected" (refused: no such TLD)
        "metrics.chatvendor.com": "https",  # a capital after the TLD starts the next string
    }
    assert all(relevance >= 0.5 for host, (_, relevance) in go.items() if "chatvendor" in host)  # URLs, ranked so
    rust = _binary_names(RUST_RODATA)
    assert set(rust) == {"auth.chatvendor.com", "portals.api.chatvendor.com", "cloud-backend.chatvendor.io",
                         "codehost.com"}  # fmt: skip
    assert finding._glued_scheme(b"git+https://codehost.com", 9) == 0  # a compound scheme is no glued text
    assert finding._glued_scheme(b"VERIFYhttps://codehost.com", 11) == 6


def test_a_go_binarys_symbol_names_are_not_taken_for_hosts() -> None:
    names = _binary_names(GO_SYMBOLS)
    assert names, "the names are seen (errors.is is a valid host name) ..."
    assert max(relevance for _, relevance in names.values()) < 0.2  # ... and ranked under the threshold


def test_a_known_domain_glued_between_packed_strings_is_found_with_its_service_labels_only() -> None:
    # Rust's string data, as in an AI CLI's binary (names changed): hosts with no quote or NUL around them.
    data = (
        b"\x7fELF\x02\x01\x01" + b"\x00" * 57 + b"reviewed_turn_idalpha/notes/v2/au.api.chatvendor.comOauth_state"
        b"AccountEntryapi.vendor-staging.comapi.chatvendor.com/v1/analytics/codehook.timeout_secs.api.chatvendor.com"
        b"%s failed.summary.chatvendor.comsummary"
    )
    scanner = Scanner(frozenset({"chatvendor.com"}))
    found = {hit.host: hit.relevance for hit in scanner.scan_bytes(data, "bin/agent", 0, binary=True)}
    # "secs." and "summary." glued before the domain read as no service label: only what does is kept.
    assert set(found) == {"au.api.chatvendor.com", "api.chatvendor.com"}
    assert min(found.values()) >= 0.2  # assessed: a known vendor's host, in a string of the program
    assert not list(Scanner().scan_bytes(data, "bin/agent", 0, binary=True))  # unknown domains: none so
