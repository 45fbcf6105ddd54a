from __future__ import annotations

import gzip
import io
import json
import struct
import tarfile
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from databorder.collect.static import scan_path
from databorder.errors import InputFileError
from databorder.model import Observation
from tests.helpers.archives import tgz

MINIFIED_JS = (
    b'var a=function(){return{baseURL:"https://api.chatvendor.com/v1/chat/completions",t:"telemetry.chatvendor.com"'
    b',x:res.map(e=>e.name),k:"settings.help",d:"https://developer.mozilla.org/en-US/docs/Web/API/fetch",'
    b'l:"https://www.apache.org/licenses/LICENSE-2.0",s:"//cdn.chatvendor.com/app.js",e:"https://example.com/x",'
    b'u:"api.example.test",i:"http://203.0.113.50:8080/upload"}};'
)


def best(observations: list[Observation]) -> dict[str, float]:
    found: dict[str, float] = {}
    for o in observations:
        key = o.host or str(o.ip)
        found[key] = max(found.get(key, 0), o.relevance)
    return found


def elf_like(strings: dict[int, bytes], size: int = 4096) -> bytes:
    data = bytearray(b"\x7fELF\x02\x01\x01" + b"\x00" * (size - 7))
    for offset, text in strings.items():
        data[offset - 1] = 0
        data[offset : offset + len(text)] = text
        data[offset + len(text)] = 0
    return bytes(data)


def asar(files: dict[str, bytes]) -> bytes:
    index: dict[str, Any] = {"files": {}}
    offset = 0
    blobs = b""
    for path, content in files.items():
        node = index["files"]
        *folders, name = path.split("/")
        for folder in folders:
            node = node.setdefault(folder, {"files": {}})["files"]
        node[name] = {"offset": str(offset), "size": len(content)}
        offset += len(content)
        blobs += content
    header = json.dumps(index).encode()
    padded = header + b"\x00" * (-len(header) % 4)
    pickle = struct.pack("<II", len(padded) + 4, len(header)) + padded
    return struct.pack("<II", 4, len(pickle)) + pickle + blobs


def test_minified_javascript_ranks_data_endpoints_above_docs_and_identifiers(tmp_path: Path) -> None:
    app = tmp_path / "app"
    (app / "dist").mkdir(parents=True)
    (app / "dist" / "main.js").write_bytes(MINIFIED_JS)
    observations, problems = scan_path(app)
    ranks = best(observations)
    assert problems == []
    assert "res.map" not in ranks  # an unquoted property access is no host
    assert ranks["api.chatvendor.com"] >= 0.8  # a URL with /v1/ after baseURL
    assert ranks["telemetry.chatvendor.com"] > ranks["settings.help"]
    assert ranks["cdn.chatvendor.com"] >= 0.3
    for noise in ("developer.mozilla.org", "www.apache.org", "example.com", "api.example.test"):
        assert ranks[noise] <= 0.1, noise
    assert ranks["203.0.113.50"] > 0.3
    api = next(o for o in observations if o.host == "api.chatvendor.com")
    assert api.evidence.source == "app/dist/main.js"
    assert api.evidence.location == f"offset {MINIFIED_JS.index(b'https://api.chatvendor.com')}"
    assert "baseURL" in api.evidence.excerpt and api.scheme == "https" and api.evidence.collector == "static"


def test_binaries_give_offsets_for_ascii_and_utf16_strings(tmp_path: Path) -> None:
    data = bytearray(elf_like({1000: b"https://api.chatvendor.com/v2/messages", 2000: b"metrics.chatvendor.com"}))
    utf16 = "https://upload.chatvendor.com/files".encode("utf-16-le")
    data[3000 : 3000 + len(utf16)] = utf16
    binary = tmp_path / "agent"
    binary.write_bytes(bytes(data))
    observations, _ = scan_path(binary)
    where = {o.host: o.evidence.location for o in observations}
    assert where["api.chatvendor.com"] == "offset 1000"
    assert where["metrics.chatvendor.com"] == "offset 2000"
    assert where["upload.chatvendor.com"] == "offset 3000"


@pytest.mark.parametrize("inside_tar", [False, True], ids=["mapped file", "streamed member"])
def test_big_files_are_read_without_losing_names_on_chunk_boundaries(tmp_path: Path, inside_tar: bool) -> None:
    from databorder.collect import static

    name = b'"https://api.chatvendor.com/v1/x"'
    blob = bytearray(b"\x00" * (static.CHUNK * 2 + 100))
    places = [static.CHUNK - 10, static.CHUNK - static.OVERLAP - 5]  # across the chunk and the report cut-off
    for at in places:
        blob[at : at + len(name)] = name
    path = tmp_path / "big.bin"
    path.write_bytes(bytes(blob))
    if inside_tar:  # an archive member is read as a stream, chunk by chunk
        with tarfile.open(tmp_path / "big.tar", "w") as archive:
            archive.add(path, arcname="big.bin")
        path.unlink()
        path = tmp_path / "big.tar"
    observations, _ = scan_path(path)
    found = sorted((o.host or "", o.evidence.source, o.evidence.location or "") for o in observations)
    source = "big.tar!big.bin" if inside_tar else "big.bin"
    assert found == sorted(("api.chatvendor.com", source, f"offset {at + 1}") for at in places)


def test_archives_nested_in_archives_name_their_members(tmp_path: Path) -> None:
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w") as z:
        z.writestr("lib/sdk.js", b'x="https://api.innervendor.com/v1/chat"')
    package = tmp_path / "pkg.tgz"
    package.write_bytes(tgz({
        "package/dist/cli.js": MINIFIED_JS,
        "package/vendor/sdk.zip": inner.getvalue(),
        "package/app.asar": asar({"out/main.js": b'h="https://api.asarvendor.com/v1/x"'}),
    }))  # fmt: skip
    observations, problems = scan_path(package)
    sources = {o.host: o.evidence.source for o in observations}
    assert problems == []
    assert sources["api.chatvendor.com"] == "pkg.tgz!package/dist/cli.js"
    assert sources["api.innervendor.com"] == "pkg.tgz!package/vendor/sdk.zip!lib/sdk.js"
    assert sources["api.asarvendor.com"] == "pkg.tgz!package/app.asar!out/main.js"


def test_hostile_archives_are_refused_member_by_member(tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.zip"
    with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("zeros.bin", b"\x00" * (64 * 1024 * 1024))
        z.writestr("../../etc/evil.js", b'u="https://api.evilvendor.com/v1"')  # a path-traversal name
    observations, problems = scan_path(bomb)
    assert any("a zip bomb?" in p.message for p in problems)
    assert [o.evidence.source for o in observations] == ["bomb.zip!../../etc/evil.js"]  # read, never extracted
    assert not (tmp_path.parent / "etc").exists()
    corrupt = tmp_path / "corrupt.zip"
    corrupt.write_bytes(bomb.read_bytes()[:200])
    _, problems = scan_path(corrupt)
    assert problems and "is a damaged zip archive" in problems[0].message
    with pytest.raises(InputFileError, match="does not exist"):
        scan_path(tmp_path / "nope")


def test_symlink_loops_are_not_followed(tmp_path: Path) -> None:
    app = tmp_path / "app"
    app.mkdir()
    (app / "a.js").write_bytes(b'"https://api.chatvendor.com/v1"')
    (app / "loop").symlink_to(app)
    observations, _ = scan_path(app)
    assert [o.evidence.source for o in observations] == ["app/a.js"]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(max_size=2000), st.sampled_from([b"", b"PK\x03\x04", b"\x1f\x8b", b"\x04\x00\x00\x00"]))
def test_random_bytes_never_crash_the_scanner(tmp_path: Path, body: bytes, magic: bytes) -> None:
    path = tmp_path / "fuzz.bin"
    path.write_bytes(magic + body)
    scan_path(path, workers=1)


def test_gzip_of_a_tar_is_read_as_a_stream(tmp_path: Path) -> None:
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w") as t:
        info = tarfile.TarInfo("x.js")
        info.size = len(MINIFIED_JS)
        t.addfile(info, io.BytesIO(MINIFIED_JS))
    path = tmp_path / "x.tar.gz"
    path.write_bytes(gzip.compress(raw.getvalue()))
    assert "api.chatvendor.com" in best(scan_path(path)[0])


def test_big_plain_files_are_split_into_ranges_without_losing_or_doubling_names(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from databorder.collect import static

    monkeypatch.setattr(static, "SPLIT", 1 << 20)  # 1 MB ranges for the test (workers fork and inherit it)
    name = b'"https://api.chatvendor.com/v1/x"'
    blob = bytearray(b"\x00" * (5 << 20))
    places = [(1 << 20) - 5, (3 << 20) + 7, (5 << 20) - 100]  # across two range boundaries, and near the end
    for at in places:
        blob[at : at + len(name)] = name
    path = tmp_path / "big.bin"
    path.write_bytes(bytes(blob))
    observations, _ = scan_path(path, workers=2)
    assert sorted(o.evidence.location or "" for o in observations) == sorted(f"offset {at + 1}" for at in places)


def test_links_in_code_comments_rank_as_documentation(tmp_path: Path) -> None:
    source = (
        b"// See https://api.docvendor.com/v1/spec for the protocol\n"
        b" * https://tracker.docvendor.com/issues/1\n"
        b'const base = "https://api.datavendor.com/v1/chat"; // https://api.commentvendor.com/v1/x\n'
        b'fetch("//cdn.datavendor.com/app.js")\n'
    )
    path = tmp_path / "lib.js"
    path.write_bytes(source)
    ranks = best(scan_path(path)[0])
    assert ranks["api.datavendor.com"] >= 0.8
    assert ranks["cdn.datavendor.com"] >= 0.3  # protocol-relative, not a comment
    for documented in ("api.docvendor.com", "tracker.docvendor.com", "api.commentvendor.com"):
        assert ranks[documented] < ranks["api.datavendor.com"] - 0.25, documented


def test_a_gzip_with_corrupt_deflate_data_is_a_problem_not_a_crash(tmp_path: Path) -> None:
    data = bytearray(gzip.compress(MINIFIED_JS * 50))
    data[30:60] = b"\xff" * 30
    path = tmp_path / "broken.gz"
    path.write_bytes(bytes(data))
    _, problems = scan_path(path)
    assert problems and "damaged gzip archive" in problems[0].message


def test_a_gzip_that_is_not_a_tar_is_read_as_one_file(tmp_path: Path) -> None:
    path = tmp_path / "bundle.js.gz"
    path.write_bytes(gzip.compress(MINIFIED_JS))
    observations, problems = scan_path(path)
    assert problems == []
    api = next(o for o in observations if o.host == "api.chatvendor.com")
    assert api.evidence.source == "bundle.js.gz!(gunzipped)"


def test_quoted_program_identifiers_with_real_tlds_rank_as_noise(tmp_path: Path) -> None:
    path = tmp_path / "runtime"
    path.write_bytes(
        b'\x00"console.info"\x00"f32.ne"\x00"i32x4.lt"\x00"Temporal.Calendar.prototype.id"\x00"telemetry.vendorx.com"\x00'
        b'"u.id"\x00"4.bv"\x00"value.ir"\x00"domain.run"\x00"data.vendorx.com"\x00"qq.com"\x00'
    )
    ranks = best(scan_path(path, known_domains=frozenset({"u.id"}))[0])
    assert ranks["u.id"] >= 0.3  # shaped like a variable, but a domain the catalog knows (as x.ai is)
    for host in ("telemetry.vendorx.com", "data.vendorx.com", "qq.com"):  # a property word with more labels is a host
        assert ranks[host] >= 0.3, host
    for identifier in ("console.info", "f32.ne", "i32x4.lt", "temporal.calendar.prototype.id", "4.bv", "value.ir",
                       "domain.run"):  # fmt: skip
        assert ranks[identifier] <= 0.1, identifier


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

    from databorder.collect.static import _TRAILING, TEXT_PATTERN, _scanner

    fast = re2.compile(
        rb"(?i)[a-z][a-z0-9+.-]*://[^\s\"'<>`\\^{}|\x00-\x20\x7f-\xff]+|(?:[\"'`\x00]|//)"
        rb"(?:[a-z0-9][a-z0-9_-]*\.)+[a-z][a-z0-9-]*[a-z0-9]"
    )  # any dotted word: the suffix is checked afterwards
    scanner, found = _scanner(frozenset()), set()
    for m in fast.finditer(data):
        text = m.group()
        if b"://" in text:
            hits = [scanner._hit(url_text, None, data, at, "f", 0) for url_text, at in _urls_within(text, m.start())]
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
    from databorder.collect.static import _scanner

    data = b"\x00\x01" + b"".join(piece + separator for piece, separator in pieces) + b"\x00"
    ours = {(h.host, h.ip) for h in _scanner(frozenset()).scan_bytes(data, "f", 0, binary=True)}
    assert ours == _two_pass_reference(data)


def test_the_public_search_api_finds_the_same_spans_as_the_direct_one() -> None:
    import types

    import re2

    from databorder.collect.static import _span_finder

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


def test_a_name_repeated_everywhere_keeps_its_best_sightings_and_counts_the_rest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from databorder.collect import KEEP_PER_ENDPOINT, static

    monkeypatch.setattr(static, "SPLIT", 1 << 20)  # several ranges, so worker tallies are merged
    noise = b'// see "https://api.chatvendor.com/docs"\n'
    used = b'const client={baseURL:"https://api.chatvendor.com/v1/chat"};\n'
    repeats = (4 << 20) // len(noise)
    body = noise * (repeats // 2) + used + noise * (repeats // 2)
    (tmp_path / "bundle.js").write_bytes(body)
    (tmp_path / "other.js").write_bytes(used)
    observations, _ = scan_path(tmp_path, workers=2)
    ours = [o for o in observations if o.host == "api.chatvendor.com"]
    whole = [o for o in ours if o.evidence.location is not None]
    summaries = [o for o in ours if o.evidence.location is None]
    assert len(whole) == KEEP_PER_ENDPOINT
    assert max(o.relevance for o in whole) == max(o.relevance for o in observations)
    assert {o.evidence.source for o in whole if "baseURL" in o.evidence.excerpt} == {
        f"{tmp_path.name}/bundle.js",
        f"{tmp_path.name}/other.js",
    }  # the one data-like use deep inside the big file is among the kept, whichever range found it
    counted = sum(int(o.evidence.excerpt.split()[2].replace(",", "")) for o in summaries)
    assert counted + len(whole) == repeats // 2 * 2 + 2  # every sighting is either kept or counted


def _dies(task: object) -> None:
    import os

    os._exit(1)  # as a SIGBUS would, when a mapped file shrinks while it is read


def test_a_scanning_process_that_dies_is_a_problem_not_a_crash(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from databorder.collect import static

    monkeypatch.setattr(static, "_scan_task", _dies)
    (tmp_path / "a.js").write_bytes(b'x="https://api.chatvendor.com/v1"')
    observations, problems = scan_path(tmp_path, workers=1)
    assert observations == []
    assert any("ended unexpectedly" in p.message for p in problems)


def test_help_text_placeholders_shorteners_and_schema_urls_rank_as_noise(tmp_path: Path) -> None:
    path = tmp_path / "cli.js"
    path.write_bytes(
        b'const h="Log in to your enterprise: copilot login --host https://example.ghe.com";'
        b'const p="a project URL (e.g., https://my-resource.services.vendorx.com/api/projects/p)";'
        b'const u="Update first: https://aka.ms/vendorx-os";const d="http://www.vendorx.com/dtd/xhtml1.dtd-//w3c//dtd";'
        b'const client={baseURL:"https://api.vendorx.com/v1/chat"};'
    )
    ranks = best(scan_path(path)[0])
    assert ranks["api.vendorx.com"] >= 0.8
    for noise in ("example.ghe.com", "my-resource.services.vendorx.com", "aka.ms", "www.vendorx.com"):
        assert ranks[noise] <= 0.1, noise


def test_urls_in_a_list_or_a_parameter_are_each_found(tmp_path: Path) -> None:
    path = tmp_path / "config.js"
    path.write_bytes(b'const origins="https://a.vendorx.com/v1/chat,https://b.vendorx.com/v1/chat;wss://c.vendorx.com/v1";'
                     b'const go="https://d.vendorx.com/login?next=https://e.vendorx.com/api/";')  # fmt: skip
    found = {o.host: o for o in scan_path(path)[0]}
    assert set(found) == {"a.vendorx.com", "b.vendorx.com", "c.vendorx.com", "d.vendorx.com", "e.vendorx.com"}
    assert found["a.vendorx.com"].relevance >= 0.8  # its own path (/v1/chat), not the list's tail, was judged
