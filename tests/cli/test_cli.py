from __future__ import annotations

import datetime as dt
import json
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from databorder import __version__
from databorder.cli import main
from databorder.resources import resource_path
from tests.conftest import DnsZone, FixtureDatabases
from tests.helpers.schema import check_assessment
from tests.helpers.shipped import catalog_app_ids, geoip_provenance


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def db_args(dbs: FixtureDatabases) -> list[str]:
    return ["--country-db", str(dbs.country), "--asn-db", str(dbs.asn)]


def test_assess_host_file_with_bad_lines_keeps_going_and_writes_json(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    dns_zone: DnsZone,
    fixture_dbs: FixtureDatabases,
    check_schema: Callable[[str], dict[str, object]],
) -> None:
    hosts = tmp_path / "hosts.txt"
    hosts.write_text("api.chat.test\nthis is garbage\nwww.chat.test\n", encoding="utf-8")
    out_json = tmp_path / "out.json"
    code, out, err = run(
        capsys,
        "assess",
        "--hosts",
        str(hosts),
        "--nameserver",
        dns_zone.nameserver,
        *db_args(fixture_dbs),
        "--json",
        str(out_json),
    )
    assert code == 4  # written, but incomplete: one line was skipped
    assert f"{hosts}, line 2: holds 3 entries" in err
    assert "Traceback" not in err
    data = check_schema(out_json.read_text(encoding="utf-8"))
    endpoints: list[dict[str, object]] = data["endpoints"]  # type: ignore[assignment]
    assert [e["host"] for e in endpoints] == ["api.chat.test", "www.chat.test"]
    assert data["complete"] is False and data["verdict"] == "prohibit"
    assert "Verdict: PROHIBIT" in out and "api.chat.test" in out and "203.0.113.10" in out


def test_fail_on_threshold_sets_exit_code(
    capsys: pytest.CaptureFixture[str], dns_zone: DnsZone, fixture_dbs: FixtureDatabases
) -> None:
    common = ["assess", "--nameserver", dns_zone.nameserver, *db_args(fixture_dbs), "--quiet"]
    assert run(capsys, *common, "api.chat.test")[0] == 0
    assert run(capsys, *common, "api.chat.test", "--fail-on", "prohibit")[0] == 1
    assert run(capsys, *common, "multi.chat.test", "--fail-on", "review")[0] == 1  # 192.0.2.x: RU in the fixture
    code, out, _ = run(capsys, *common, "host.cdn.test", "--pack", "us-countries-of-concern", "--fail-on", "review")
    assert code == 1  # US-hosted on AS45102, whose parent is Chinese: review
    code, out, _ = run(capsys, *common, "lan.chat.test", "--fail-on", "review")
    assert code == 0 and re.fullmatch(
        r"Verdict: ALLOW — score 0/100 \(low\); packs: us-countries-of-concern \S+", out.strip()
    )


def test_json_to_stdout_is_only_json(
    capsys: pytest.CaptureFixture[str], fixture_dbs: FixtureDatabases, check_schema: Callable[[str], object]
) -> None:
    code, out, _ = run(capsys, "assess", "203.0.113.9", "--offline", *db_args(fixture_dbs), "--json", "-")
    assert code == 0
    check_schema(out)
    assert json.loads(out)["endpoints"][0]["ip"] == "203.0.113.9"


def deep_json(tmp: Path) -> Path:
    path = tmp / "deep.json"
    path.write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    return path


def docs_only(tmp: Path) -> Path:
    """An app folder whose only name sits in its README: below the default relevance threshold."""
    folder = tmp / "docs-only"
    folder.mkdir()
    (folder / "README.md").write_text("See https://docs.readme-vendor.com/v1 for details\n", encoding="utf-8")
    return folder


@pytest.mark.parametrize(
    ("make_args", "fragment"),
    [
        (lambda tmp, dbs: ["assess"], "nothing to assess"),
        (lambda tmp, dbs: ["assess", "--hosts", str(tmp / "missing.txt")], "missing.txt: does not exist"),
        (lambda tmp, dbs: ["assess", "not a host"], "no usable host"),
        (lambda tmp, dbs: ["assess", "example.com:²", "--offline"], "has an invalid port '²'"),  # a digit, no number
        (lambda tmp, dbs: ["assess", "a" * 300 + ".com", "--offline"], "is not a valid host name"),  # > NAME_MAX
        (lambda tmp, dbs: ["report", str(deep_json(tmp)), "--pdf", str(tmp / "r.pdf")], "nested far deeper"),
        (lambda tmp, dbs: ["assess", str(docs_only(tmp)), "--offline"], "1 names below relevance 0.2 are not assessed"),
        (lambda tmp, dbs: ["assess", "x.test", "--nameserver", "dns.example.test"], "is not an IP address"),
        (lambda tmp, dbs: ["assess", "x.test", "--offline", "--country-db", str(dbs.asn)], "not a country"),
        (lambda tmp, dbs: ["assess", "x.test", "--offline", "--asn-db", str(tmp / "no.mmdb")], "no.mmdb: asn database"),
        (lambda tmp, dbs: ["assess", "x.test", "--offline", "--pack", "nope"], "no rule pack with this id"),
    ],
)
def test_bad_input_gives_one_sentence_and_exit_3(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    fixture_dbs: FixtureDatabases,
    make_args: Callable[[Path, FixtureDatabases], list[str]],
    fragment: str,
) -> None:
    code, _out, err = run(capsys, *make_args(tmp_path, fixture_dbs))
    assert code == 3
    assert fragment in err and err.count("databorder: error:") == 1
    assert "Traceback" not in err


def test_broken_pack_names_file_and_line(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    pack = tmp_path / "org.toml"
    pack.write_text(
        '[pack]\nid = "org"\ntitle = "Org"\nversion = "1"\nsources = ["x"]\n[[rules]]\nid = "r"\n'
        'facet = "hosting"\nwhen = { country_in = "nowhere" }\n',
        encoding="utf-8",
    )
    code, _, err = run(capsys, "assess", "x.test", "--offline", "--pack", str(pack))
    assert code == 3
    assert f"{pack}, line 9: rule 'r': severity must be one of" not in err  # severity is checked first…
    assert f"{pack}, line 6: rule 'r': severity must be one of info, review, prohibit, not None" in err


def test_unreachable_dns_is_said_once_and_the_run_goes_on(
    capsys: pytest.CaptureFixture[str], dns_zone: DnsZone, fixture_dbs: FixtureDatabases
) -> None:
    names = [f"n{i}.chat.test" for i in range(50)]
    code, out, _err = run(
        capsys, "assess", *names, "203.0.113.7", "--nameserver", dns_zone.silent, *db_args(fixture_dbs)
    )
    assert code == 4
    assert out.count("DNS is unreachable") == 1
    assert "Verdict: PROHIBIT" in out  # the bare address is still attributed and judged


def test_console_program_version_and_help_without_qt() -> None:
    # `python -m databorder` is the console script's program (databorder/__main__.py), whatever is on PATH.
    result = subprocess.run(
        [sys.executable, "-m", "databorder", "--version"], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == f"DataBorder {__version__}"
    probe = (
        "import sys; from databorder.cli import build_parser; build_parser().format_help(); "
        "print('PySide6' in sys.modules)"
    )
    assert subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True).stdout.strip() == "False"
    help_text = subprocess.run(
        [sys.executable, "-m", "databorder", "assess", "--help"], capture_output=True, text=True
    ).stdout
    assert "exit codes:" in help_text and "--fail-on" in help_text


def test_database_corrupt_inside_keeps_resolved_endpoints_and_writes_json(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    dns_zone: DnsZone,
    fixture_dbs: FixtureDatabases,
    check_schema: Callable[[str], dict[str, object]],
) -> None:
    # The metadata (read at open) is intact; the search tree (read at lookup) is not.
    data = bytearray(fixture_dbs.country.read_bytes())
    tree_end = data.rfind(b"\xab\xcd\xefMaxMind.com") - 16
    data[:tree_end] = b"\xff" * tree_end
    corrupt = tmp_path / "corrupt.mmdb"
    corrupt.write_bytes(bytes(data))
    out_json = tmp_path / "out.json"
    code, out, err = run(
        capsys, "assess", "api.chat.test", "--nameserver", dns_zone.nameserver, "--country-db", str(corrupt),
        "--asn-db", str(fixture_dbs.asn), "--json", str(out_json),
    )  # fmt: skip
    assert code == 4 and "Traceback" not in err
    assert "the attribute stage stopped: " in out and "corrupt.mmdb: is corrupt" in out
    saved = check_schema(out_json.read_text(encoding="utf-8"))
    endpoint = saved["endpoints"][0]  # type: ignore[index]
    assert endpoint["resolution"]["status"] == "ok"
    assert [(a["ip"], a["country"]) for a in endpoint["addresses"]] == [("203.0.113.10", None), ("2001:db8::10", None)]
    assert saved["verdict"] == "review" and saved["complete"] is False


def test_rules_list_validate_and_explain(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, _ = run(capsys, "rules", "list")
    assert code == 0
    for pack in (
        "us-countries-of-concern",
        "us-navy-genai",
        "eu-gdpr-transfers",
        "uk-gdpr-transfers",
        "sanctions-ofac",
    ):
        assert pack in out
    broken = tmp_path / "broken.toml"
    broken.write_text(
        '[pack]\nid = "b"\ntitle = "B"\nversion = "1"\nsources = ["s"]\n[sets]\nx = { countries = ["ZZ"] }\n'
    )
    code, out, err = run(capsys, "rules", "validate", "rules/us-navy-genai.toml", str(broken))
    assert code == 3
    assert re.search(r"ok: rules/us-navy-genai.toml: us-navy-genai \S+, \d+ rules, \d+ sets", out)
    assert f"{broken}, line 7: set 'x': 'ZZ' is not an ISO 3166-1 alpha-2 country code" in err
    code, out, _ = run(capsys, "rules", "explain", "rules/examples/custom.toml")
    assert code == 0
    assert "Extends: us-navy-genai" in out and "unapproved-genai" in out and "[from us-countries-of-concern]" in out
    assert run(capsys, "rules", "explain", "no-such-pack")[0] == 3


def test_several_packs_and_an_extra_services_table(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    fixture_dbs: FixtureDatabases,
    check_schema: Callable[[str], object],
) -> None:
    services = tmp_path / "ours.toml"
    services.write_text('[[services]]\ndomains = ["gateway.example.test"]\noperator = "Our AI Gateway"\n'
                        'country = "DE"\ncategory = "genai"\nsource = "internal CMDB"\n')  # fmt: skip
    out_json = tmp_path / "a.json"
    code, _out, _ = run(
        capsys, "assess", "gateway.example.test", "api.deepseek.com", "--offline", *db_args(fixture_dbs),
        "--pack", "us-navy-genai", "--pack", "eu-gdpr-transfers", "--services", str(services), "--json", str(out_json),
    )  # fmt: skip
    assert code == 0
    saved = json.loads(out_json.read_text(encoding="utf-8"))
    check_schema(out_json.read_text(encoding="utf-8"))
    assert [(p["id"], p["origin"]) for p in saved["packs"]] == [
        ("us-navy-genai", "shipped"),
        ("eu-gdpr-transfers", "shipped"),
    ]
    gateway = {f["rule"] for f in saved["findings"] if f["endpoint"] == "gateway.example.test"}
    assert gateway == {"genai-service-needs-review"}
    assert any(d["source"].startswith("user services table") for d in saved["databases"])
    bad = tmp_path / "bad.toml"
    bad.write_text("[[services]]\ndomains = 'x'\n")
    code, _, err = run(capsys, "assess", "x.test", "--offline", "--services", str(bad))
    assert code == 3 and "bad.toml: has a malformed row" in err


def test_a_pack_from_a_pack_folder_is_recorded_as_found_there_and_its_weight_applied(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, fixture_dbs: FixtureDatabases
) -> None:
    folder = tmp_path / "our-packs"
    folder.mkdir()
    (folder / "org-strict.toml").write_text(
        '[pack]\nid = "org-strict"\ntitle = "Our stricter transfer rules"\nversion = "2.0"\nweight = 2\n'
        'sources = [{ cite = "Our data-transfer policy, section 3" }]\n'
        '[sets]\nconcern = { countries = ["CN"] }\n'
        '[[rules]]\nid = "service-in-cn"\nfacet = "service"\nwhen = { country_in = "concern" }\n'
        'severity = "prohibit"\npoints = 60\nmessage = "{endpoint} is run from {values}"\n',
        encoding="utf-8",
    )
    out_json = tmp_path / "a.json"
    code, _, err = run(capsys, "assess", "api.deepseek.com", "--offline", *db_args(fixture_dbs), "--quiet",
                       "--pack-dir", str(folder), "--pack", "org-strict", "--json", str(out_json))  # fmt: skip
    assert code == 0, err
    data = check_assessment(out_json)  # the schema once lacked origin "folder" and capped points at 100
    assert [(p["id"], p["origin"], p["weight"]) for p in data["packs"]] == [("org-strict", "folder", 2.0)]
    assert [f["points"] for f in data["findings"]] == [120]


def test_captures_and_a_live_process_in_one_assessment(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    fixture_dbs: FixtureDatabases,
    check_schema: Callable[[str], object],
) -> None:
    import sys as _sys

    from tests.helpers.packets import app_session, ethernet, write_pcap

    capture = write_pcap(tmp_path / "app.pcapng", [ethernet(p) for p in app_session()], ng=True)
    har = tmp_path / "app.har"
    request = {"request": {"method": "GET", "url": "https://api.chat.test/v1"}, "serverIPAddress": "203.0.113.10"}
    har.write_text(json.dumps({"log": {"version": "1.2", "creator": {"name": "t"}, "entries": [request]}}))
    sleeper = subprocess.Popen([_sys.executable, "-c", "import time; time.sleep(20)"])
    out_json = tmp_path / "a.json"
    try:
        code, _, err = run(
            capsys, "assess", "--capture", str(capture), "--capture", str(har), "--pid", str(sleeper.pid),
            "--duration", "0.3s", "--offline", *db_args(fixture_dbs), "--json", str(out_json),
        )  # fmt: skip
    finally:
        sleeper.kill()
        sleeper.wait()
    assert code == 0, err
    data = json.loads(out_json.read_text(encoding="utf-8"))
    check_schema(out_json.read_text(encoding="utf-8"))
    assert data["target"]["kind"] == "process"
    assert f"{capture} (pcap)" in data["target"]["name"] and f"(pid {sleeper.pid})" in data["target"]["name"]
    api = next(e for e in data["endpoints"] if e["host"] == "api.chat.test")
    assert {ev["collector"] for ev in api["evidence"]} == {"pcap", "har"}
    assert api["observed_addresses"] == ["203.0.113.10"] and api["addresses"][0]["country"] == "CN"
    telemetry = next(e for e in data["endpoints"] if e["host"] == "telemetry.app.test")
    assert telemetry["schemes"] == ["http"]
    code, _, err = run(capsys, "assess", "--pid", "999999", "--duration", "1")
    assert code == 3 and "process 999999 is not running" in err
    code, _, err = run(capsys, "assess", "--capture", str(tmp_path / "nope.pcap"))
    assert code == 3 and "nope.pcap: does not exist" in err


def test_catalog_list_show_and_assess_an_app_by_id(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, fixture_dbs: FixtureDatabases
) -> None:
    code, out, _ = run(capsys, "catalog", "list")
    apps = len(catalog_app_ids())
    assert code == 0 and "deepseek" in out and "ollama" in out and f"{apps} of {apps} apps" in out
    code, out, _ = run(capsys, "catalog", "show", "deepseek")
    assert code == 0 and "home jurisdiction CN" in out and "api: api.deepseek.com" in out
    assert run(capsys, "catalog", "show", "deepsek")[0] == 3
    out_json = tmp_path / "d.json"
    code, out, _ = run(capsys, "assess", "deepseek", "--offline", *db_args(fixture_dbs), "--json", str(out_json))
    assert code == 0 and "Verdict: PROHIBIT" in out
    data = check_assessment(out_json)
    assert data["target"] == {"kind": "catalog", "name": "DeepSeek (catalog)", "detail": data["target"]["detail"]}
    api = next(e for e in data["endpoints"] if e["host"] == "api.deepseek.com")
    assert api["confidence"] == "declared" and api["roles"] == ["api"]
    assert api["service"]["source"].startswith("DataBorder catalog: DeepSeek")


def test_assess_an_installed_app_folder(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, fixture_dbs: FixtureDatabases
) -> None:
    from tests.helpers.bundles import MINIFIED_JS

    app = tmp_path / "ChatVendor"
    (app / "resources").mkdir(parents=True)
    (app / "resources" / "main.js").write_bytes(MINIFIED_JS + b'q="https://api.deepseek.com/chat/completions"')
    out_json = tmp_path / "s.json"
    code, out, _ = run(capsys, "assess", str(app), "--offline", *db_args(fixture_dbs), "--json", str(out_json))
    assert code == 0 and "Verdict: PROHIBIT" in out and "names below relevance 0.2 are not assessed" in out
    data = check_assessment(out_json)
    assert data["target"]["kind"] == "path"
    hosts = [e["host"] or e["ip"] for e in data["endpoints"]]
    assert hosts[0] in ("api.deepseek.com", "api.chatvendor.com")  # most relevant first
    assert "developer.mozilla.org" not in hosts
    deepseek = next(e for e in data["endpoints"] if e["host"] == "api.deepseek.com")
    assert deepseek["confidence"] == "possible" and deepseek["evidence"][0]["source"] == "ChatVendor/resources/main.js"
    code, out, _ = run(capsys, "assess", str(app), "--offline", "--all", *db_args(fixture_dbs), "--quiet")
    assert code == 0


def test_pdf_and_csv_from_assess_and_from_a_saved_assessment(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, fixture_dbs: FixtureDatabases
) -> None:
    saved, pdf, csv_path = tmp_path / "a.json", tmp_path / "a.pdf", tmp_path / "a.csv"
    code, _, err = run(capsys, "assess", "deepseek", "--offline", *db_args(fixture_dbs), "--json", str(saved),
                       "--pdf", str(pdf), "--csv", str(csv_path), "--quiet")  # fmt: skip
    assert code == 0, err
    check_assessment(saved)
    assert pdf.read_bytes().startswith(b"%PDF") and csv_path.read_text().startswith("endpoint,roles,address")
    again = tmp_path / "b.pdf"
    code, _, err = run(capsys, "report", str(saved), "--pdf", str(again), "--pdf-a", "--paper", "letter")
    assert code == 0, err
    meta = subprocess.run(["pdfinfo", "-meta", str(again)], capture_output=True, text=True).stdout
    assert "pdfaid:part" in meta
    code, _, err = run(capsys, "report", str(tmp_path / "nope.json"), "--pdf", str(again))
    assert code == 3 and "nope.json: cannot be read" in err
    (tmp_path / "bad.json").write_text("{}")
    code, _, err = run(capsys, "report", str(tmp_path / "bad.json"), "--csv", str(csv_path))
    assert code == 3 and "is not a DataBorder assessment" in err


def test_geoip_status_names_each_database_its_age_and_warns_when_old(
    capsys: pytest.CaptureFixture[str], fixture_dbs: FixtureDatabases
) -> None:
    code, out, _ = run(capsys, "geoip", "status", "--max-age", "100000")
    assert code == 0
    embedded = geoip_provenance("country")
    assert f"country: {embedded['source']}" in out and f"built:    {embedded['build_date']}" in out
    assert "licence:  CC BY 4.0" in out and "warning" not in out
    code, out, _ = run(capsys, "geoip", "status", "--country-db", str(fixture_dbs.country), "--max-age", "0")
    assert code == 4 and "user-supplied file country.mmdb" in out and "type:     GeoLite2-Country" in out
    assert out.count("warning:  older than 0 days") >= 1
    code, _, err = run(capsys, "geoip", "status", "--asn-db", str(fixture_dbs.country))
    assert code == 3 and "not an ASN database" in err


def test_geoip_use_and_rollback(capsys: pytest.CaptureFixture[str], fixture_dbs: FixtureDatabases) -> None:
    code, out, _ = run(capsys, "geoip", "use", str(fixture_dbs.country), "--licence", "test data")
    assert code == 0 and out.startswith("now in use for country: country.mmdb")
    code, out, _ = run(capsys, "assess", "203.0.113.5", "--offline", "--json", "-")
    assert check_assessment(out)["endpoints"][0]["addresses"][0]["country"] == "CN"
    code, out, _ = run(capsys, "geoip", "rollback", "country")
    assert code == 0 and "embedded one is in use again" in out
    code, _, err = run(capsys, "geoip", "use", str(fixture_dbs.country), "--kind", "asn")
    assert code == 3 and "not an ASN database" in err


def geoip_mirror(server: HTTPServer) -> list[str]:
    return ["--geoip-url-base", server.url_for("/latest"), "--geoip-checksum-url", server.url_for("/checksum")]


def test_geoip_update_needs_an_account_for_maxmind_only_and_never_prints_the_key(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, httpserver: HTTPServer
) -> None:
    from tests.helpers.cloudip import database, version_json
    from tests.helpers.ip_location_db import ASN, COUNTRY, serve_release
    from tests.helpers.ip_location_db import shipped as shipped_db

    shipped = json.loads(resource_path("cloud", "provenance.json").read_text(encoding="utf-8"))["version"]
    httpserver.expect_request("/data/version.json").respond_with_data(version_json(database(version=shipped)))
    serve_release(httpserver, {COUNTRY: shipped_db("country"), ASN: shipped_db("asn")})
    cloud = ["--cloud-url-base", httpserver.url_for("/data"), *geoip_mirror(httpserver)]
    monkeypatch.delenv("MAXMIND_ACCOUNT_ID", raising=False)
    monkeypatch.delenv("MAXMIND_LICENSE_KEY", raising=False)
    code, out, _ = run(capsys, "geoip", "update", *cloud)
    assert code == 0 and f"the cloud ranges in use (dated {shipped}) are the newest published" in out
    assert "the country database in use (built 2026-06-17) is the newest published" in out
    assert "the ASN database in use (built 2026-06-17) is the newest published" in out
    code, _, err = run(capsys, "geoip", "update", "--maxmind", *cloud)
    assert code == 3 and "MAXMIND_ACCOUNT_ID and MAXMIND_LICENSE_KEY" in err
    monkeypatch.setenv("MAXMIND_ACCOUNT_ID", "1")
    monkeypatch.setenv("MAXMIND_LICENSE_KEY", "very-secret-key")
    code, out, err = run(
        capsys, "geoip", "update", *cloud, "--edition", "GeoLite2-ASN", "--download-url-base", "http://127.0.0.1:9"
    )
    assert code == 3 and "cannot reach the download server" in err
    assert "very-secret-key" not in out + err


def test_geoip_update_refreshes_the_cloud_ranges_without_an_account_and_rolls_back(
    capsys: pytest.CaptureFixture[str], httpserver: HTTPServer
) -> None:
    from databorder.attribute import store
    from databorder.attribute.cloud import compile_ranges
    from tests.helpers.cloudip import database, fastly_list, packed, version_json
    from tests.helpers.ip_location_db import ASN, COUNTRY, restamped, serve_release, shipped

    store.adopt_cloud_ranges(compile_ranges(database(version="2026-11-01"), source="t", where="t"), source="t")
    newer = database(version="2026-11-20")
    httpserver.expect_request("/data/version.json").respond_with_data(version_json(newer))
    httpserver.expect_request("/data/cloudip.msgpack.gz").respond_with_data(packed(newer)[1])
    httpserver.expect_request("/data/public-ip-list").respond_with_data(fastly_list())  # a mirror serves Fastly's too
    built = dt.date(2026, 11, 20)
    serve_release(httpserver, {COUNTRY: restamped(shipped("country"), built), ASN: restamped(shipped("asn"), built)})
    code, out, _ = run(capsys, "geoip", "update", "--cloud-url-base", httpserver.url_for("/data"),
                       *geoip_mirror(httpserver))  # fmt: skip
    assert code == 0 and "cloud ranges of 2026-11-20 now in use (12 ranges; before: 2026-11-01)" in out
    assert "country database of 2026-11-20 now in use (ip-location-db geo-whois-asn-country, CC BY 4.0" in out
    assert "ASN database of 2026-11-20 now in use (ip-location-db origin-asn, PDDL 1.0" in out
    code, out, _ = run(capsys, "geoip", "status", "--max-age", "100000")
    assert "cloud: cloud providers' published ranges via cloudip-db 2026-11-20" in out
    assert "ip-location-db geo-whois-asn-country, built 2026-11-20" in out
    code, out, _ = run(capsys, "geoip", "rollback", "cloud")
    assert code == 0 and out.strip() == "the previous cloud ranges database is back in use"
    code, out, _ = run(capsys, "geoip", "rollback", "country")
    assert code == 0 and out.strip() == "no previous country database was kept; the embedded one is in use again"
    nowhere = "http://127.0.0.1:9"
    code, out, err = run(capsys, "geoip", "update", "--cloud-url-base", f"{nowhere}/data", "--geoip-url-base",
                         f"{nowhere}/latest")  # fmt: skip
    assert code == 3 and "Traceback" not in err and not out
    assert err.strip() == ("databorder: error: cannot reach 127.0.0.1 (no internet connection, or a proxy is needed: "
                           "set HTTPS_PROXY); the country, ASN and cloud data in use are unchanged")  # fmt: skip


def test_operators_show_explains_the_decision_and_status_counts_the_base(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "operators", "show", "ark.ap-southeast.bytepluses.com", "api.nobody-knows.example")
    assert code == 0
    assert "ark.ap-southeast.bytepluses.com: BytePlus Pte. Ltd. (SG), owned by ByteDance" in out
    assert "decided by: DataBorder's operator knowledge base" in out and "source:" in out
    assert "api.nobody-knows.example: who runs it is unknown" in out and "What would settle it" in out
    code, out, _ = run(capsys, "operators", "status")
    assert code == 0 and re.search(r"operators:\s+\d+ \(\d+ with domains", out) and "ai-cn.toml" in out
    code, out, _ = run(capsys, "operators", "status", "--max-age", "-1")
    assert code == 4 and "warning:" in out


def test_catalog_practices_counts_each_fact_over_the_apps_and_warns_past_max_age(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = run(capsys, "catalog", "practices")
    assert code == 0 and f"{len(catalog_app_ids())} catalog apps" in out
    assert re.search(r"^  trains_on_user_data +\d+ +\d+ +\d+ +\d+$", out, re.MULTILINE)
    assert re.search(r"^Age: oldest \d+ days since checked, median [\d.]+ days \(limit 365 days\)$", out, re.MULTILINE)
    code, out, _ = run(capsys, "catalog", "practices", "--max-age", "-1")
    assert code == 4 and "warning:" in out and "re-read them" in out


def test_an_unknown_vendor_offline_is_review_and_listed_as_could_not_attribute(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = run(capsys, "assess", "api.some-unknown-vendor.example", "--offline", "--fail-on", "review")
    assert code == 1  # review, not allow
    assert "who runs api.some-unknown-vendor.example is unknown" in out
    assert "Could not attribute (1)" in out and "without --offline" in out


def test_a_policy_forbidding_online_enrichment_refuses_probe(capsys: pytest.CaptureFixture[str]) -> None:
    from tests.helpers.orgpolicy import write_policy

    with pytest.raises(SystemExit):
        main(["assess", "--help"])
    shown = " ".join(capsys.readouterr().out.split())
    assert "--probe" in shown and "read the TLS certificate the endpoint itself presents" in shown
    write_policy("[enrichment]\nonline = false\n")
    code, _, err = run(capsys, "assess", "x.test", "--offline", "--probe")
    assert code == 3 and "turned off by your organisation" in err and "Traceback" not in err


def _interrupt_when(process: subprocess.Popen[bytes], ready: Callable[[], bool]) -> float:
    """Send SIGINT once ``ready()`` (the process is busy), and return the seconds it took to exit after it."""
    import signal
    import time

    deadline = time.monotonic() + 30
    while not ready():
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "never got busy"
        time.sleep(0.02)
    sent = time.monotonic()
    process.send_signal(signal.SIGINT)
    process.wait(timeout=10)
    return time.monotonic() - sent


def _reading(pid: int, path: Path) -> bool:
    """Whether process ``pid`` has ``path`` open and has read into it (its file position, from /proc)."""
    fds = Path(f"/proc/{pid}/fd")
    try:
        for fd in fds.iterdir():
            if fd.readlink() == path:
                info = (Path(f"/proc/{pid}/fdinfo") / fd.name).read_text()
                return int(info.split("pos:")[1].split()[0]) > 0
    except (OSError, ValueError, IndexError):
        return False
    return False


def _assess_process(*args: str) -> subprocess.Popen[bytes]:
    import os

    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2] / "desktop")}
    return subprocess.Popen([sys.executable, "-m", "databorder", "assess", *args, "-q"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # fmt: skip


def test_ctrl_c_mid_capture_stops_within_a_second_and_writes_a_partial_report(
    tmp_path: Path, fixture_dbs: FixtureDatabases
) -> None:
    log = tmp_path / "access.log"
    line = "1700000000.000 120 10.0.0.1 TCP_TUNNEL/200 5000 CONNECT api{}.vendor.test:443 - HIER_DIRECT/203.0.113.9 -\n"
    log.write_text("".join(line.format(n // 1000) for n in range(200_000)), encoding="utf-8")  # 21 MB, ~2 s
    out = tmp_path / "a.json"
    process = _assess_process("--capture", str(log), "--offline", *db_args(fixture_dbs), "--json", str(out))
    took = _interrupt_when(process, lambda: _reading(process.pid, log))
    _, err = process.communicate()
    assert took < 1.0, err
    assert process.returncode == 4, err  # EXIT_INCOMPLETE: an assessment was written, marked partial
    saved = json.loads(out.read_text(encoding="utf-8"))
    assert saved["complete"] is False and saved["verdict"] != "allow"
    assert 0 < len(saved["endpoints"]) < 200
    assert any("reading was cancelled after" in w for w in saved["warnings"])
    assert any("cancelled by the user" in w for w in saved["warnings"])
    assert "Traceback" not in err.decode()


def test_ctrl_c_while_dns_waits_stops_within_a_second(tmp_path: Path, fixture_dbs: FixtureDatabases) -> None:
    from tests.helpers.dns_servers import ProbeOnlyNameserver

    hosts = tmp_path / "hosts.txt"
    hosts.write_text("".join(f"h{n}.slow.test\n" for n in range(50)), encoding="utf-8")
    out = tmp_path / "a.json"
    with ProbeOnlyNameserver() as server:  # answers the probe, then swallows every query
        process = _assess_process("--hosts", str(hosts), "--nameserver", server.nameserver, "--dns-timeout", "20",
                                  *db_args(fixture_dbs), "--json", str(out))  # fmt: skip
        took = _interrupt_when(process, lambda: server.swallowed > 0)
        _, err = process.communicate()
    assert took < 1.0, err
    assert process.returncode == 4, err
    saved = json.loads(out.read_text(encoding="utf-8"))
    assert saved["complete"] is False and len(saved["endpoints"]) == 50
    assert any("cancelled by the user while resolving" in w for w in saved["warnings"])


def test_ctrl_c_before_anything_was_gathered_exits_130_and_writes_nothing(tmp_path: Path) -> None:
    har = tmp_path / "inline.har"
    entry = json.dumps({"request": {"method": "GET", "url": "data:text/plain," + "x" * 2000}})
    har.write_text('{"log": {"version": "1.2", "creator": {"name": "t"}, "entries": [' + ",".join([entry] * 10_000)
                   + "]}}", encoding="utf-8")  # fmt: skip  # 20 MB of inline data: no endpoint in it
    out = tmp_path / "a.json"
    process = _assess_process("--capture", str(har), "--offline", "--json", str(out))
    took = _interrupt_when(process, lambda: _reading(process.pid, har))
    _, err = process.communicate()
    assert took < 1.0, err
    assert process.returncode == 130, err
    assert "cancelled before anything was gathered" in err.decode() and not out.exists()


def test_a_maxmind_file_and_the_embedded_database_disagreeing_are_both_shown(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    from databorder.attribute.geoip import CountryDatabase, embedded_origins
    from tests.helpers.mmdb import write_country_db

    embedded = CountryDatabase(*embedded_origins()["country"])
    said = embedded.country("9.9.9.9")
    embedded.close()
    assert said is not None
    other = "CH" if said != "CH" else "AT"
    maxmind = write_country_db(tmp_path / "GeoLite2-Country.mmdb", {"9.9.9.0/24": other})
    code, out, _ = run(capsys, "assess", "9.9.9.9", "--offline", "--no-history", "--country-db", str(maxmind),
                       "--json", "-")  # fmt: skip
    assert code == 0
    check_assessment(out)
    data = json.loads(out)
    (address,) = data["endpoints"][0]["addresses"]
    assert (address["country"], address["country_uncertain"]) == (other, True)
    assert [a["country"] for a in address["geoip_answers"]] == [other, said]
    assert [d["kind"] for d in data["databases"]][:2] == ["country", "country"]
    assert any("hosting country is uncertain" in n for n in data["notes"])
    code, out, _ = run(capsys, "assess", "9.9.9.9", "--offline", "--no-history", "--country-db", str(maxmind))
    assert code == 0
    assert f"{other} or {said} (uncertain: the GeoIP databases disagree)" in " ".join(out.split())
