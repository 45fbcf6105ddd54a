"""MaxMind downloads against a local HTTP server playing MaxMind, serving real tar.gz files built here."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import re
import ssl
import tarfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from mmdb_writer import MMDBWriter
from netaddr import IPSet
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from databorder.attribute import store
from databorder.attribute import update as update_module
from databorder.attribute.cloud import compile_ranges
from databorder.attribute.geoip import AsnDatabase, CountryDatabase
from databorder.attribute.update import (
    UnreachableError,
    update,
    update_cloud_ranges,
    update_geoip_database,
    update_keyless,
)
from databorder.errors import DataBorderError
from databorder.model import DatabaseRef
from tests.conftest import FixtureDatabases
from tests.helpers.cloudip import RANGES, database, fastly_list, packed, version_json
from tests.helpers.ip_location_db import ASN, COUNTRY, restamped, serve_release, sha256_line, shipped, urls
from tests.helpers.tls_servers import TestCA

ACCOUNT, KEY = "123456", "s3cret-licence-key"
PATH = "/geoip/databases/GeoLite2-Country/download"


def tarball(mmdb: Path | None, *, name: str = "GeoLite2-Country_20261124/GeoLite2-Country.mmdb") -> bytes:
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w:gz") as archive:
        content = mmdb.read_bytes() if mmdb else b"no database here"
        info = tarfile.TarInfo(name if mmdb else "README.txt")
        info.size = len(content)
        archive.addfile(info, io.BytesIO(content))
    return raw.getvalue()


def serve(server: HTTPServer, body: bytes, *, checksum: str | None = None, status: int = 200) -> None:
    digest = checksum or hashlib.sha256(body).hexdigest()

    def handler(request: Request) -> Response:
        if request.authorization is None or (request.authorization.username, request.authorization.password) != (
            ACCOUNT, KEY):  # fmt: skip
            return Response("unauthorised", status=401)
        if request.args.get("suffix") == "tar.gz.sha256":
            return Response(f"{digest}  GeoLite2-Country.tar.gz\n")
        return Response(body, status=status)

    server.expect_request(PATH).respond_with_handler(handler)


def run(server: HTTPServer, key: str = KEY) -> object:
    return update("GeoLite2-Country", account_id=ACCOUNT, licence_key=key, base_url=server.url_for("/"), timeout=5)


def test_download_checks_and_adopts(httpserver: HTTPServer, fixture_dbs: FixtureDatabases) -> None:
    serve(httpserver, tarball(fixture_dbs.country))
    seen: list[tuple[int, int]] = []
    ref = update("GeoLite2-Country", account_id=ACCOUNT, licence_key=KEY, base_url=httpserver.url_for("/"),
                 progress=lambda d, t: seen.append((d, t)))  # fmt: skip
    assert ref.kind == "country" and store.active("country") is not None
    assert seen[-1][0] == seen[-1][1] > 0


@pytest.mark.parametrize(
    ("setup", "fragment"),
    [
        (lambda s, db: serve(s, tarball(db)), "refused the account ID or licence key (HTTP 401)"),  # wrong key below
        (lambda s, db: serve(s, tarball(db), checksum="0" * 64), "does not match MaxMind's checksum"),
        (
            lambda s, db: serve(s, tarball(db)[:300], checksum=hashlib.sha256(tarball(db)).hexdigest()),
            "does not match MaxMind's checksum",
        ),
        (lambda s, db: serve(s, tarball(None)), "holds no .mmdb database"),
        (lambda s, db: serve(s, b"", status=503), "server failed (HTTP 503)"),
    ],
    ids=["bad-key", "wrong-checksum", "truncated", "wrong-tarball", "server-error"],
)
def test_failures_say_why_and_leave_the_database_in_use(
    httpserver: HTTPServer, fixture_dbs: FixtureDatabases, setup: object, fragment: str
) -> None:
    store.adopt(fixture_dbs.country)
    before = (store.store_dir() / "country.mmdb").read_bytes()
    setup(httpserver, fixture_dbs.country)  # type: ignore[operator]
    key = "wrong-key" if "401" in fragment else KEY
    with pytest.raises(DataBorderError, match=re.escape(fragment)) as caught:
        run(httpserver, key)
    assert KEY not in str(caught.value) and "wrong-key" not in str(caught.value)
    assert (store.store_dir() / "country.mmdb").read_bytes() == before


def test_a_download_larger_than_any_database_is_refused_without_quoting_the_key(
    httpserver: HTTPServer, fixture_dbs: FixtureDatabases, monkeypatch: pytest.MonkeyPatch
) -> None:
    from databorder.attribute import update as update_module

    body = tarball(fixture_dbs.country)
    serve(httpserver, body)
    monkeypatch.setattr(update_module, "_MMDB_LIMIT", len(body) // 2)  # a stream that does not end where it should
    with pytest.raises(DataBorderError, match="GeoLite2-Country: the download is larger than it can be") as caught:
        run(httpserver)
    assert KEY not in str(caught.value) and store.active("country") is None


def test_rate_limit_honours_retry_after_once(httpserver: HTTPServer, fixture_dbs: FixtureDatabases) -> None:
    body = tarball(fixture_dbs.country)
    httpserver.expect_ordered_request(PATH, query_string="suffix=tar.gz.sha256").respond_with_response(
        Response("slow down", status=429, headers={"Retry-After": "1"})
    )
    httpserver.expect_ordered_request(PATH, query_string="suffix=tar.gz.sha256").respond_with_data(
        hashlib.sha256(body).hexdigest()
    )
    httpserver.expect_ordered_request(PATH, query_string="suffix=tar.gz").respond_with_data(body)
    assert run(httpserver) is not None
    httpserver.clear()
    httpserver.expect_request(PATH).respond_with_response(Response("no", status=429, headers={"Retry-After": "1"}))
    with pytest.raises(DataBorderError, match="download limit is reached"):
        run(httpserver)


def test_unknown_edition_and_unreachable_server(tmp_path: Path) -> None:
    with pytest.raises(DataBorderError, match="unknown edition"):
        update("GeoLite2-Moon", account_id=ACCOUNT, licence_key=KEY)
    with pytest.raises(DataBorderError, match="cannot reach the download server"):
        update("GeoLite2-ASN", account_id=ACCOUNT, licence_key=KEY, base_url="http://127.0.0.1:9", timeout=2)


def test_update_editions_uses_the_stored_account_or_says_how_to_store_one(
    httpserver: HTTPServer, fixture_dbs: FixtureDatabases, monkeypatch: pytest.MonkeyPatch
) -> None:
    from databorder.attribute.update import update_editions

    with pytest.raises(DataBorderError, match="MAXMIND_ACCOUNT_ID"):  # no keyring here, or no account in it
        list(update_editions(base_url=httpserver.url_for("/")))
    monkeypatch.setenv("MAXMIND_ACCOUNT_ID", ACCOUNT)
    monkeypatch.setenv("MAXMIND_LICENSE_KEY", KEY)
    serve(httpserver, tarball(fixture_dbs.country))
    seen: list[str] = []
    done = list(
        update_editions(["GeoLite2-Country"], base_url=httpserver.url_for("/"), progress=lambda e, d, t: seen.append(e))
    )
    assert [edition for edition, _ in done] == ["GeoLite2-Country"] and done[0][1].kind == "country"
    assert seen and set(seen) == {"GeoLite2-Country"}
    assert list(update_editions(base_url=httpserver.url_for("/"), cancelled=lambda: True)) == []


def test_a_plain_http_download_server_elsewhere_never_gets_the_licence_key() -> None:
    with pytest.raises(DataBorderError, match="would receive your MaxMind licence key in clear text"):
        update("GeoLite2-Country", account_id="1", licence_key="k", base_url="http://mirror.example.test")


# --- keyless updates of the cloud ranges, against local HTTP and HTTPS servers serving real cloudip-db files ------


def serve_cloud(server: HTTPServer, decoded: dict[str, object], *, meta: bytes | None = None,
                data: bytes | None = None, fastly: bytes | None = None, fastly_status: int = 200) -> None:  # fmt: skip
    server.expect_request("/data/version.json").respond_with_data(meta or version_json(decoded))
    server.expect_request("/data/cloudip.msgpack.gz").respond_with_data(data or packed(decoded)[1])
    server.expect_request("/fastly/public-ip-list").respond_with_data(fastly or fastly_list(), status=fastly_status)
    # A mirror given as the cloud base serves Fastly's list beside cloudip-db's files.
    server.expect_request("/data/public-ip-list").respond_with_data(fastly or fastly_list(), status=fastly_status)


def in_use_from(version: str) -> None:
    """The store holds a range file of ``version`` (so a test decides what 'the ranges in use' are)."""
    store.adopt_cloud_ranges(compile_ranges(database(version=version), source="t", where="t"), source="earlier")


def looked_up(ip: str) -> str | None:
    found = store.open_cloud_ranges(None).lookup(ip)
    return found.in_words() if found else None


@pytest.fixture
def https_server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[HTTPServer]:
    ca = TestCA(tmp_path)
    leaf = ca.issue(("127.0.0.1",))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(leaf.chain, leaf.key)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(ca.pem))  # the test's CA is the only one trusted
    server = HTTPServer(host="127.0.0.1", port=0, ssl_context=context)
    server.start()
    yield server
    server.clear()
    if server.is_running():
        server.stop()


def test_a_keyless_update_over_https_checks_adopts_and_keeps_the_previous(https_server: HTTPServer) -> None:
    in_use_from("2026-11-01")
    moved = database([("198.51.100.0/24", "aws", "eu-west-3", "EC2"), *RANGES[1:]], version="2026-11-20")
    serve_cloud(https_server, moved)
    seen: list[tuple[str, int, int]] = []
    base = https_server.url_for("/data")
    result = update_cloud_ranges(base_url=base, progress=lambda *a: seen.append(a))
    assert result.changed and (result.version, result.previous) == ("2026-11-20", "2026-11-01")
    assert looked_up("198.51.100.5") == "AWS eu-west-3 (Paris, FR)" and seen[-1][0] == "cloud ranges"
    source = store.open_cloud_ranges(None).ref.source
    today = dt.datetime.now(dt.UTC).date().isoformat()
    assert source == ("cloud providers' published ranges via cloudip-db 2026-11-20 (127.0.0.1) and Fastly's "
                      f"public-ip-list of {today} (127.0.0.1)")  # fmt: skip
    fastly = store.open_cloud_ranges(None).lookup("151.101.1.195")  # in Fastly's published 151.101.0.0/16
    assert fastly is not None and fastly.provider == "Fastly" and fastly.edge and fastly.country is None
    again = update_cloud_ranges(base_url=base)
    assert not again.changed and "are the newest published" in again.message
    assert store.rollback("cloud") == "the previous cloud ranges database is back in use"
    assert looked_up("198.51.100.5") == "AWS eu-central-1 (Frankfurt, DE)"


def test_an_untrusted_certificate_changes_nothing(
    tmp_path: Path, https_server: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "other").mkdir()
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(TestCA(tmp_path / "other").pem))  # not the server's CA
    serve_cloud(https_server, database(version="2026-11-20"))
    with pytest.raises(DataBorderError, match="TLS certificate could not be verified; the cloud ranges in use"):
        update_cloud_ranges(base_url=https_server.url_for("/data"))
    assert not store.cloud_file().exists()


@pytest.mark.parametrize(
    ("meta", "data", "message"),
    [
        (None, b"\x1f\x8b" + b"x" * 40, "is 42 bytes, not the"),  # not what version.json announces
        (version_json(database(version="2026-11-20"), sha256="0" * 64), None, "does not match the published sha256"),
        (b"<html>not json</html>", None, "version.json is not cloudip-db's version file"),
        (version_json(database(version="2026-10-01")), None, r"are older than the ones in use \(2026-11-01\)"),
        (version_json(database(version="2099-01-01")), None, "in the future"),
    ],
    ids=["short-data", "wrong-checksum", "not-version-json", "older", "future"],  # stable across xdist workers
)
def test_broken_or_stale_downloads_change_nothing(
    httpserver: HTTPServer, meta: bytes | None, data: bytes | None, message: str
) -> None:
    in_use_from("2026-11-01")
    before = store.cloud_file().read_bytes()
    serve_cloud(httpserver, database(version="2026-11-20"), meta=meta, data=data)
    with pytest.raises(DataBorderError, match=message):
        update_cloud_ranges(base_url=httpserver.url_for("/data"))
    assert store.cloud_file().read_bytes() == before


def test_truncated_garbage_too_big_and_too_small_downloads_are_refused(httpserver: HTTPServer) -> None:
    in_use_from("2026-11-01")
    newer = database(version="2026-11-20")
    _, gz = packed(newer)
    cut = json.loads(version_json(newer))
    for body, announced, message in (
        (gz[:-9], len(gz) - 9, "is cut short"),
        (b"not gzip at all", 15, "is not gzip data"),
    ):
        httpserver.clear()
        serve_cloud(httpserver, newer, meta=json.dumps({**cut, "size_gzip": announced}).encode(), data=body)
        with pytest.raises(DataBorderError, match=message):
            update_cloud_ranges(base_url=httpserver.url_for("/data"))
    few = database(RANGES[:3], version="2026-11-20")  # a quarter of the ranges in use: damaged upstream
    httpserver.clear()
    serve_cloud(httpserver, few)
    with pytest.raises(DataBorderError, match="holds only 3 ranges, under half the 10"):
        update_cloud_ranges(base_url=httpserver.url_for("/data"))
    httpserver.clear()
    httpserver.expect_request("/data/version.json").respond_with_data("gone", status=404)
    with pytest.raises(DataBorderError, match=r"answered HTTP 404 for version\.json"):
        update_cloud_ranges(base_url=httpserver.url_for("/data"))
    httpserver.clear()
    httpserver.expect_request("/data/version.json").respond_with_data(b"{" * (70 * 1024))
    with pytest.raises(DataBorderError, match="more than it can be"):
        update_cloud_ranges(base_url=httpserver.url_for("/data"))
    assert looked_up("198.51.100.5") == "AWS eu-central-1 (Frankfurt, DE)"


def test_fastly_s_list_is_fetched_from_its_own_url_and_read(httpserver: HTTPServer) -> None:
    in_use_from("2026-11-01")
    serve_cloud(httpserver, database(version="2026-11-20"))
    fastly = httpserver.url_for("/fastly/public-ip-list")
    assert update_cloud_ranges(base_url=httpserver.url_for("/data"), fastly_url=fastly).changed
    assert looked_up("2a04:4e42::1") == "Fastly (global/edge range: no evidence of where data rests)"
    assert looked_up("198.51.100.5") == "AWS eu-central-1 (Frankfurt, DE)"  # cloudip-db's ranges as before


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        (b"<html>maintenance</html>", 200, "is not Fastly's public IP list"),
        (fastly_list()[:-30], 200, "is not Fastly's public IP list"),  # cut short
        (b'{"addresses": [], "ipv6_addresses": []}', 200, "addresses is not a non-empty list"),
        (b'{"addresses": ["151.101.0.0/16"], "ipv6_addresses": ["151.101.0.0/16"]}', 200, "listed under ipv6"),
        (b"gone", 404, r"answered HTTP 404 for public-ip-list; the cloud ranges in use \(dated 2026-11-01\)"),
        (b"[" * (300 * 1024), 200, "more than it can be"),
    ],
    ids=["html", "cut-short", "empty", "wrong-family", "404", "too-big"],
)
def test_a_broken_fastly_list_changes_nothing(httpserver: HTTPServer, body: bytes, status: int, message: str) -> None:
    in_use_from("2026-11-01")
    before = store.cloud_file().read_bytes()
    serve_cloud(httpserver, database(version="2026-11-20"), fastly=body, fastly_status=status)
    with pytest.raises(DataBorderError, match=message):
        update_cloud_ranges(
            base_url=httpserver.url_for("/data"), fastly_url=httpserver.url_for("/fastly/public-ip-list")
        )
    assert store.cloud_file().read_bytes() == before


def test_no_internet_is_one_sentence() -> None:
    with pytest.raises(DataBorderError, match=r"cannot reach 127\.0\.0\.1 \(no internet connection, or a proxy"):
        update_cloud_ranges(base_url="http://127.0.0.1:9/data", timeout=5)


# --- keyless: the country and ASN databases from ip-location-db --------------------------------------------

NEWER, NEWEST = dt.date(2026, 11, 20), dt.date(2026, 12, 1)


def country_in_use() -> DatabaseRef:
    path, origin = store.default_database("country")
    database = CountryDatabase(path, origin)
    database.close()
    return database.ref


def test_a_newer_country_database_is_checked_adopted_and_the_previous_kept(httpserver: HTTPServer) -> None:
    embedded = shipped("country")
    newer = restamped(embedded, NEWER)
    serve_release(httpserver, {COUNTRY: newer})
    seen: list[tuple[str, int, int]] = []
    result = update_geoip_database("country", **urls(httpserver), progress=lambda *a: seen.append(a))
    assert result.changed and (result.build_date, result.previous) == ("2026-11-20", "2026-06-17")
    assert seen[-1] == ("country database", len(newer), len(newer))
    ref = country_in_use()
    assert ref.sha256 == hashlib.sha256(newer).hexdigest() and ref.licence == "CC BY 4.0"
    assert ref.source == "ip-location-db geo-whois-asn-country, built 2026-11-20 (localhost; checked against the "\
        "published sha256)"  # fmt: skip
    assert ref.attribution is not None and "ip-location-db" in ref.attribution and "nro.net" in ref.attribution
    assert CountryDatabase(*store.default_database("country")).country("8.8.8.8") == "US"
    downloads = len(httpserver.log)
    again = update_geoip_database("country", **urls(httpserver))  # the published sha256 is that of the file in use
    assert not again.changed and "is the newest published" in again.message
    assert len(httpserver.log) == downloads + 1  # only the checksum was fetched
    httpserver.clear()
    serve_release(httpserver, {COUNTRY: restamped(embedded, NEWEST)})
    assert update_geoip_database("country", **urls(httpserver)).previous == "2026-11-20"
    assert store.rollback("country") == "the previous country database is back in use"
    assert country_in_use().build_date == "2026-11-20"


def test_the_same_database_is_up_to_date_with_or_without_a_published_checksum(httpserver: HTTPServer) -> None:
    serve_release(httpserver, {COUNTRY: shipped("country"), ASN: shipped("asn")})
    for kind in ("country", "asn"):
        result = update_geoip_database(kind, **urls(httpserver))
        assert not result.changed and "is the newest published" in result.message
    assert len(httpserver.log) == 2  # two checksums, no download
    httpserver.clear()
    serve_release(httpserver, {COUNTRY: shipped("country")}, signed=False)
    result = update_geoip_database("country", **urls(httpserver))  # downloaded: its build date is the one in use
    assert not result.changed and "is the newest published" in result.message and store.active("country") is None


def test_a_newer_asn_database_without_a_checksum_is_adopted_and_says_so(httpserver: HTTPServer) -> None:
    serve_release(httpserver, {ASN: restamped(shipped("asn"), NEWER)}, signed=False)
    result = update_geoip_database("asn", **urls(httpserver))
    assert result.changed and "no sha256 published" in result.message and "PDDL" in result.message
    path, origin = store.default_database("asn")
    assert AsnDatabase(path, origin).asn("1.1.1.1") == (13335, "Cloudflare, Inc.")
    assert origin.licence == "PDDL 1.0" and origin.attribution and "origin-asn" in origin.attribution


def small_country_db(path: Path, networks: dict[str, str], *, database_type: str = "country ipvAll",
                     ip_version: int = 6) -> bytes:  # fmt: skip
    writer = MMDBWriter(ip_version=ip_version, ipv4_compatible=ip_version == 6, database_type=database_type)
    for network, code in networks.items():
        writer.insert_network(IPSet([network]), {"country_code": code} if code else {"cc": "US"})
    writer.to_db_file(str(path))
    return path.read_bytes()


PROBED = {"8.8.8.0/24": "US", "1.1.1.0/24": "AU", "2001:4860::/32": "US"}


@pytest.mark.parametrize(
    ("make", "checksum", "message"),
    [
        (lambda t: restamped(shipped("country"), NEWER)[:-5000], None, "not a valid MaxMind-format"),  # truncated
        (lambda t: restamped(shipped("country"), NEWER), "0" * 64, "does not match the published sha256"),
        (lambda t: restamped(shipped("country"), dt.date(2026, 5, 1)), None, r"\(built 2026-05-01\) is older than"),
        (lambda t: restamped(shipped("country"), dt.date(2099, 1, 1)), None, "built on 2099-01-01, in the future"),
        (lambda t: b"<html><body>Rate limit exceeded</body></html>", None, "not a valid MaxMind-format"),
        (lambda t: shipped("asn"), None, "not a country"),  # an ASN database where the country one should be
        (lambda t: small_country_db(t, dict.fromkeys(PROBED, "")), None, r"gives no country code for 8\.8\.8\.8"),
        (lambda t: small_country_db(t, PROBED), None, "nodes of the database in use; refused as damaged"),
        (lambda t: small_country_db(t, {"8.8.8.0/24": "US"}, ip_version=4), None, "holds IPv4 only"),
        (lambda t: restamped(shipped("country"), NEWER), "not a checksum at all", "is not a sha256 checksum file"),
    ],
    ids=[
        "truncated",
        "wrong-checksum",
        "older",
        "future",
        "not-mmdb",
        "wrong-type",
        "wrong-shape",
        "too-few",
        "ipv4-only",
        "bad-checksum-file",
    ],
)
def test_a_broken_or_stale_country_database_changes_nothing(
    httpserver: HTTPServer, tmp_path: Path, make: Callable[[Path], bytes], checksum: str | None, message: str
) -> None:
    body = make(tmp_path / "made.mmdb")
    serve_release(httpserver, {COUNTRY: body}, checksums={COUNTRY: checksum} if checksum else None)
    with pytest.raises(DataBorderError, match=message) as caught:
        update_geoip_database("country", **urls(httpserver))
    assert str(caught.value).endswith("the country database in use (built 2026-06-17) is unchanged")
    assert store.active("country") is None and country_in_use().build_date == "2026-06-17"


def test_oversized_failing_and_slow_servers_change_nothing(
    httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(update_module, "_MMDB_LIMIT", 1024 * 1024)  # the real file is 7.8 MB: over this bound
    serve_release(httpserver, {COUNTRY: restamped(shipped("country"), NEWER)})
    with pytest.raises(DataBorderError, match="is 7,841,291 bytes, more than it can be"):
        update_geoip_database("country", **urls(httpserver))
    httpserver.clear()
    streamed = restamped(shipped("country"), NEWER)
    httpserver.expect_request(f"/checksum/{COUNTRY}.sha256").respond_with_data(sha256_line(streamed, COUNTRY))
    httpserver.expect_request(f"/latest/{COUNTRY}").respond_with_handler(
        lambda request: Response(iter([streamed[i : i + 65536] for i in range(0, len(streamed), 65536)]))
    )  # no Content-Length: the bound holds while it streams
    with pytest.raises(DataBorderError, match=r"is larger than it can be \(1,048,576 bytes\)"):
        update_geoip_database("country", **urls(httpserver))
    monkeypatch.undo()
    for path, status in ((f"/checksum/{COUNTRY}.sha256", 503), (f"/latest/{COUNTRY}", 500)):
        httpserver.clear()
        serve_release(httpserver, {COUNTRY: streamed}, signed=False)
        httpserver.clear_all_handlers()
        httpserver.expect_request(path).respond_with_data("down", status=status)
        httpserver.expect_request(f"/checksum/{COUNTRY}.sha256").respond_with_data("none", status=404)
        with pytest.raises(DataBorderError, match=f"answered HTTP {status} for "):
            update_geoip_database("country", **urls(httpserver))
    httpserver.clear()

    def slow(request: Request) -> Response:
        time.sleep(2.5)
        return Response("late")

    httpserver.expect_request(f"/checksum/{COUNTRY}.sha256").respond_with_handler(slow)
    with pytest.raises(DataBorderError, match=r"localhost did not answer within 1 s; the country database"):
        update_geoip_database("country", **urls(httpserver), timeout=1)
    assert store.active("country") is None


def test_a_database_the_user_adopted_is_left_alone(httpserver: HTTPServer, fixture_dbs: FixtureDatabases) -> None:
    store.adopt(fixture_dbs.country, licence="MaxMind")
    serve_release(httpserver, {COUNTRY: restamped(shipped("country"), NEWER)})
    result = update_geoip_database("country", **urls(httpserver))
    assert not result.changed and "was adopted by you; a keyless update leaves it" in result.message
    assert not httpserver.log


def test_proxies_come_from_the_environment(httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch) -> None:
    """The mirror's name is never resolved: the request goes to the proxy HTTP_PROXY names (here the server)."""
    for name in ("NO_PROXY", "no_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTP_PROXY", httpserver.url_for("/"))
    serve_release(httpserver, {COUNTRY: restamped(shipped("country"), NEWER)})
    mirror = "http://mirror.databorder.invalid"
    result = update_geoip_database("country", base_url=f"{mirror}/latest", checksum_url=f"{mirror}/checksum")
    assert result.changed and "(mirror.databorder.invalid; checked against the published sha256)" in \
        country_in_use().source  # fmt: skip


def test_the_cloud_and_fastly_downloads_use_the_proxy_too(
    httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("NO_PROXY", "no_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTP_PROXY", httpserver.url_for("/"))
    in_use_from("2026-11-01")
    serve_cloud(httpserver, database(version="2026-11-20"))
    mirror = "http://mirror.databorder.invalid"
    assert update_cloud_ranges(base_url=f"{mirror}/data", fastly_url=f"{mirror}/fastly/public-ip-list").changed
    assert looked_up("151.101.1.195") == "Fastly (global/edge range: no evidence of where data rests)"
    assert {request.path for request, _ in httpserver.log} == {
        "/data/version.json", "/data/cloudip.msgpack.gz", "/fastly/public-ip-list"}  # fmt: skip


def test_the_keyless_update_does_every_part_and_says_which_failed(httpserver: HTTPServer) -> None:
    in_use_from("2026-11-01")
    serve_cloud(httpserver, database(version="2026-11-20"))
    serve_release(httpserver, {COUNTRY: restamped(shipped("country"), NEWER)})
    httpserver.expect_request(f"/latest/{ASN}").respond_with_data("gone", status=404)
    httpserver.expect_request(f"/checksum/{ASN}.sha256").respond_with_data("gone", status=404)
    result = update_keyless(cloud_url=httpserver.url_for("/data"), geoip_url=httpserver.url_for("/latest"),
                            geoip_checksum_url=httpserver.url_for("/checksum"))  # fmt: skip
    assert [line.split(" now in use")[0] for line in result.done] == [
        "cloud ranges of 2026-11-20", "country database of 2026-11-20"]  # fmt: skip
    assert result.problems == (f"localhost answered HTTP 404 for {ASN}; the ASN database in use (built 2026-06-17) "
                               "is unchanged",)  # fmt: skip


def test_no_internet_is_one_sentence_for_every_part() -> None:
    nowhere = "http://127.0.0.1:9"
    with pytest.raises(UnreachableError) as caught:
        update_keyless(cloud_url=f"{nowhere}/data", geoip_url=f"{nowhere}/latest", timeout=5)
    assert str(caught.value) == ("cannot reach 127.0.0.1 (no internet connection, or a proxy is needed: set "
                                 "HTTPS_PROXY); the country, ASN and cloud data in use are unchanged")  # fmt: skip
