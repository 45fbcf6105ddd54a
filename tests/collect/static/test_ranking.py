"""The static scan's relevance rules: data endpoints rise, documentation, identifiers and placeholders sink."""

from __future__ import annotations

from pathlib import Path

import pytest

from databorder.collect.static import scan_path
from databorder.collect.static.ranking import (
    DOCUMENTATION_FACTOR,
    PROSE_API_CAP,
    Ranking,
    Signals,
    context_signals,
    documentation_host,
    file_factor,
)
from databorder.endpoints import parse_endpoint
from tests.helpers.bundles import MINIFIED_JS, best


def test_minified_javascript_ranks_data_endpoints_above_docs_and_identifiers(tmp_path: Path) -> None:
    app = tmp_path / "app"
    (app / "dist").mkdir(parents=True)
    (app / "dist" / "main.js").write_bytes(MINIFIED_JS)
    observations, problems, _ = scan_path(app)
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
        assert ranks[documented] < 0.2, documented  # below the default threshold: not assessed


def test_documentation_files_rank_below_the_threshold_and_a_vendors_web_pages_under_its_api(tmp_path: Path) -> None:
    app = tmp_path / "package"
    (app / "dist").mkdir(parents=True)
    (app / "dist" / "index.js").write_bytes(
        b'const base="https://api.vendorq.com/v1";const docs="https://docs.vendorq.com/api";'
        b'const c="https://console.vendorq.com/keys";'
    )
    (app / "README.md").write_bytes(b"Call `https://api.readmevendor.com/v1/chat` with your key.\n")
    (app / "package.json").write_bytes(b'{"homepage": "https://sdk.homepagevendor.com", "bugs": {"url": "x"}}')
    ranks = best(scan_path(app)[0])
    assert ranks["api.vendorq.com"] >= 0.8
    assert 0.2 <= ranks["docs.vendorq.com"] < ranks["api.vendorq.com"] - 0.2
    assert 0.2 <= ranks["console.vendorq.com"] < ranks["api.vendorq.com"] - 0.2
    assert ranks["api.readmevendor.com"] < 0.2 and ranks["sdk.homepagevendor.com"] < 0.2


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


@pytest.mark.parametrize(
    ("source", "factor"),
    [
        ("app/dist/cli.js", 1.0),
        ("app/test/setup.js", DOCUMENTATION_FACTOR),
        ("app\\docs\\guide.js", DOCUMENTATION_FACTOR),  # a Windows path
        ("pkg.tgz!package/examples/chat.js", DOCUMENTATION_FACTOR),
        ("docs/pkg.tgz!package/dist/cli.js", 1.0),  # the member's own path counts, not the archive's folder
        ("app/README.md", DOCUMENTATION_FACTOR),
        ("app/THIRD_PARTY_LICENSES.txt", DOCUMENTATION_FACTOR),
        ("pkg.tgz!package/CHANGELOG", DOCUMENTATION_FACTOR),
        ("pkg.tgz!package/guide/usage.mdx", DOCUMENTATION_FACTOR),
        ("pkg.tgz!package/package.json", DOCUMENTATION_FACTOR),  # homepage, bugs, repository, funding, author
        ("w.whl!w-1.0.dist-info/METADATA", DOCUMENTATION_FACTOR),  # Home-page, Project-URL
        ("app/pyproject.toml", DOCUMENTATION_FACTOR),
        ("app/src/metadata.py", 1.0),
        ("pkg.tgz!package/dist/models/Request.d.ts", DOCUMENTATION_FACTOR),  # types and JSDoc, never run
        ("w.whl!pkg/client.pyi", DOCUMENTATION_FACTOR),
    ],
)
def test_the_file_a_sighting_sits_in_weighs_it(source: str, factor: float) -> None:
    assert file_factor(source) == factor


def test_the_statement_before_a_match_gives_its_signals() -> None:
    assert context_signals(b"const client={baseURL:") == Signals(data=True, noise=False, comment=False)
    assert context_signals(b" * Licensed under ") == Signals(data=False, noise=True, comment=True, prose=True)
    assert context_signals(b"x = 1; // see ") == Signals(data=False, noise=True, comment=True, prose=True)
    assert context_signals(b"  Get a key at ").prose and context_signals(b"    ").prose  # a sentence; a line
    assert context_signals(b'load("//') == Signals(data=False, noise=False, comment=False)  # protocol-relative
    assert context_signals(b"    in [the Chat API guide](").comment  # a Markdown link in a docstring


def test_what_a_name_alone_decides() -> None:
    ranking = Ranking(frozenset({"x.ai"}))
    api = ranking.name(parse_endpoint("https://api.vendorx.com/v1/chat"), "https://api.vendorx.com/v1/chat")
    assert (round(api.score, 2), api.identifier, api.noise) == (0.8, False, False)
    assert ranking.name(parse_endpoint("settings.help"), None).identifier  # an unusual gTLD, bare
    assert not ranking.name(parse_endpoint("vendorx.de"), None).identifier  # a country code is common
    assert not ranking.name(parse_endpoint("x.ai"), None).identifier  # shaped like a variable, but known
    assert ranking.name(parse_endpoint("api.example.test"), None).noise


def test_each_endpoint_says_why_it_ranked_so(tmp_path: Path) -> None:
    from databorder.endpoints import build_endpoints

    app = tmp_path / "app"
    (app / "dist").mkdir(parents=True)
    (app / "dist" / "a.js").write_bytes(
        b'const client={baseURL:"https://api.whyvendor.com/v1/chat"};\n// see https://docs.whyvendor.com/guide\n'
    )
    (app / "dist" / "b.js").write_bytes(b'fetch("https://api.whyvendor.com/v1/chat")\n')
    (app / "README.md").write_bytes(b"Uses https://api.readmewhy.com/v1\n")
    endpoints = {e.host: e for e in build_endpoints(scan_path(app)[0])}
    assert endpoints["api.whyvendor.com"].relevance_reasons == (
        "a URL", "an API-like path", "announced as an endpoint (baseURL, host, fetch…)", "used in several files",
    )  # fmt: skip
    docs = endpoints["docs.whyvendor.com"].relevance_reasons
    assert "in a code comment" in docs and "a vendor's page for people (docs., console.…)" in docs
    assert (
        "in a documentation, test, example or package-metadata file" in endpoints["api.readmewhy.com"].relevance_reasons
    )


def test_documentation_hosts_and_identifier_like_names_are_told_apart() -> None:
    assert documentation_host("github.com") and documentation_host("img.shields.io")
    assert documentation_host("your-org.example-vendor.com")  # a placeholder in help text
    assert not documentation_host("api.example-vendor.com")
    ranking = Ranking()
    assert ranking.identifier_like("string.invalid") and ranking.identifier_like("console.info")
    assert not ranking.identifier_like("api.example-vendor.com")


def test_a_url_in_a_docstring_or_help_sentence_is_for_people_unless_it_shows_the_api(tmp_path: Path) -> None:
    (tmp_path / "client.py").write_bytes(
        b'"""A client.\n\nSee the guide at https://docs.prosevendor.com/guide for keys.\n'
        b"https://blog.prosevendor.com/launch\n"
        b'For example: https://api.prosevendor.com/rpc/2.0/chat/completions\n"""\n'
        b'BASE = "https://api.codevendor.com/v1"\n'
    )
    (tmp_path / "install.sh").write_bytes(b"curl -fsSL https://get.shellvendor.com/install\n")  # a script runs it
    ranks = best(scan_path(tmp_path)[0])
    assert ranks["docs.prosevendor.com"] < 0.2 and ranks["blog.prosevendor.com"] < 0.2
    assert 0.2 <= ranks["api.prosevendor.com"] <= PROSE_API_CAP < ranks["api.codevendor.com"]
    assert ranks["get.shellvendor.com"] >= 0.3
