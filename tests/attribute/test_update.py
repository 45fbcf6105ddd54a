"""MaxMind downloads against a local HTTP server playing MaxMind, serving real tar.gz files built here."""

from __future__ import annotations

import hashlib
import io
import re
import tarfile
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from databorder.attribute import store
from databorder.attribute.update import update
from databorder.errors import DataBorderError
from tests.conftest import FixtureDatabases

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
