"""The static scan's relevance rules: data endpoints rise, documentation, identifiers and placeholders sink."""

from __future__ import annotations

from pathlib import Path

from databorder.collect.static import scan_path
from tests.helpers.bundles import MINIFIED_JS, best


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
