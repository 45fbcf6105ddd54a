"""Download MaxMind databases (GeoLite2/GeoIP2) the documented way, check them, and adopt them safely.

MaxMind's download permalinks: ``{base}/geoip/databases/{EDITION}/download?suffix=tar.gz`` with HTTP basic auth
(account ID, licence key) and ``suffix=tar.gz.sha256`` for the checksum. The tarball is streamed to a private
temporary file while hashed; only the ``.mmdb`` member is read out of it (never extracted by name), then adopted
through the store with the usual checks. Any failure leaves the database in use untouched. The licence key is
never written anywhere: not in messages, logs or files.
"""

from __future__ import annotations

import hashlib
import shutil
import tarfile
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import requests

from databorder.attribute import store
from databorder.endpoints import sent_safely
from databorder.errors import DataBorderError
from databorder.model import DatabaseRef

DEFAULT_BASE = "https://download.maxmind.com"
#: Editions DataBorder knows, and the kind of database each is.
EDITIONS = {
    "GeoLite2-Country": "country",
    "GeoLite2-City": "country",
    "GeoLite2-ASN": "asn",
    "GeoIP2-Country": "country",
    "GeoIP2-City": "country",
    "GeoIP2-ISP": "asn",
}
LICENCE = (
    "MaxMind GeoLite2/GeoIP2 End User Licence Agreement "
    "(attribution: 'This product includes GeoLite2 data created by MaxMind')"
)
#: What `geoip update` and Settings → Download fetch when no edition is named.
DEFAULT_EDITIONS = ("GeoLite2-Country", "GeoLite2-ASN")
_MAX_WAIT = 120.0  # the longest Retry-After honoured before giving up


def update_editions(
    editions: Sequence[str] = DEFAULT_EDITIONS,
    *,
    base_url: str | None = None,
    progress: Callable[[str, int, int], None] | None = None,
    cancelled: Callable[[], bool] = lambda: False,
) -> Iterator[tuple[str, DatabaseRef]]:
    """Download each edition with the stored MaxMind account and adopt it; yields ``(edition, ref)`` as each is.

    The account comes from the keyring (or the environment, for one run); without one this raises a
    :class:`DataBorderError` that says how to store it.  An edition that fails leaves its database untouched.
    """
    from databorder.secrets import maxmind_account

    account = maxmind_account()
    if account is None:
        raise DataBorderError(
            "no MaxMind account: store one with `databorder secrets set maxmind` (or Settings → MaxMind account), "
            "or set MAXMIND_ACCOUNT_ID and MAXMIND_LICENSE_KEY for this run"
        )
    for edition in editions:
        if cancelled():
            return

        def report(done: int, total: int, edition: str = edition) -> None:
            if progress is not None:
                progress(edition, done, total)

        ref = update(
            edition,
            account_id=account.account_id,
            licence_key=account.licence_key,
            base_url=base_url or DEFAULT_BASE,
            progress=report,
        )
        yield edition, ref


def update(
    edition: str,
    *,
    account_id: str,
    licence_key: str,
    base_url: str = DEFAULT_BASE,
    timeout: float = 60.0,
    progress: Callable[[int, int], None] | None = None,
) -> DatabaseRef:
    """Download ``edition``, verify it and make it the active database of its kind."""
    kind = EDITIONS.get(edition)
    if kind is None:
        raise DataBorderError(f"unknown edition {edition!r}; known: {', '.join(EDITIONS)}")
    url = f"{base_url.rstrip('/')}/geoip/databases/{edition}/download"
    if not sent_safely(url):
        raise DataBorderError(
            f"{base_url}: a download server over plain http would receive your MaxMind licence key in clear text; "
            "name an https:// mirror (plain http is accepted only for a server on this machine)"
        )
    with requests.Session() as session:  # proxies come from the environment (requests' trust_env)
        session.auth = (account_id, licence_key)
        with _get(session, url, "tar.gz.sha256", timeout, edition) as response:
            expected = (response.text.split() or [""])[0].lower()
        with tempfile.TemporaryDirectory(prefix="databorder-geoip-") as tmp:
            tarball = Path(tmp) / f"{edition}.tar.gz"
            digest = _download(session, url, tarball, timeout, edition, progress)
            if digest != expected:
                raise DataBorderError(
                    f"{edition}: the download does not match MaxMind's checksum (got {digest[:12]}…, expected "
                    f"{expected[:12]}…); it may be cut short or altered; the database in use is unchanged"
                )
            database = _extract_mmdb(tarball, Path(tmp) / f"{edition}.mmdb", edition)
            return store.adopt(database, kind=kind, licence=LICENCE)


def _get(session: requests.Session, url: str, suffix: str, timeout: float, edition: str) -> requests.Response:
    for attempt in range(2):
        try:
            response = session.get(url, params={"suffix": suffix}, timeout=timeout, stream=suffix == "tar.gz")
        except requests.Timeout:
            raise DataBorderError(f"{edition}: MaxMind did not answer within {timeout:g} s; try again later") from None
        except requests.RequestException as exc:
            raise DataBorderError(f"{edition}: cannot reach the download server ({type(exc).__name__})") from None
        if response.status_code == 429 and attempt == 0:
            wait = _retry_after(response)
            if wait is not None and wait <= _MAX_WAIT:
                response.close()
                time.sleep(wait)
                continue
        try:
            _check(response, edition)
        except DataBorderError:
            response.close()
            raise
        return response
    raise AssertionError("unreachable")  # pragma: no cover - the loop returns or raises


def _check(response: requests.Response, edition: str) -> None:
    status = response.status_code
    if status in (401, 403):
        raise DataBorderError(
            f"{edition}: MaxMind refused the account ID or licence key (HTTP {status}); check them, and that the "
            "account may download this edition"
        )
    if status == 429:
        raise DataBorderError(f"{edition}: MaxMind's download limit is reached (HTTP 429); try again later")
    if status >= 500:
        raise DataBorderError(f"{edition}: MaxMind's server failed (HTTP {status}); try again later")
    if status != 200:
        raise DataBorderError(f"{edition}: the download failed (HTTP {status})")


def _retry_after(response: requests.Response) -> float | None:
    value = response.headers.get("Retry-After", "")
    return float(value) if value.strip().isdigit() else None


def _download(
    session: requests.Session,
    url: str,
    target: Path,
    timeout: float,
    edition: str,
    progress: Callable[[int, int], None] | None,
) -> str:
    response = _get(session, url, "tar.gz", timeout, edition)
    total = int(response.headers.get("Content-Length") or 0)
    digest = hashlib.sha256()
    done = 0
    try:
        with response, target.open("wb") as handle:
            for block in response.iter_content(chunk_size=1 << 16):
                handle.write(block)
                digest.update(block)
                done += len(block)
                if progress is not None:
                    progress(done, total)
    except requests.RequestException as exc:
        raise DataBorderError(
            f"{edition}: the download broke off ({type(exc).__name__}); nothing was changed"
        ) from None
    return digest.hexdigest()


def _extract_mmdb(tarball: Path, target: Path, edition: str) -> Path:
    """Copy the one ``.mmdb`` member out of the tarball by streaming it; names in the archive are never used."""
    try:
        with tarfile.open(tarball, "r:gz") as archive:
            for member in archive:
                if member.isfile() and member.name.endswith(".mmdb"):
                    source = archive.extractfile(member)
                    if source is None:
                        break
                    with target.open("wb") as handle:
                        shutil.copyfileobj(source, handle)
                    return target
    except (tarfile.TarError, EOFError, OSError) as exc:
        raise DataBorderError(f"{edition}: the download is not a valid tar.gz ({exc}); nothing was changed") from None
    raise DataBorderError(f"{edition}: the download holds no .mmdb database; nothing was changed")
