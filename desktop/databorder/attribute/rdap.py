"""RDAP enrichment (off by default): who registered the network an address sits in, from its regional registry.

It sends addresses — never host names — to the Regional Internet Registries, so it runs only when the user turns
it on (``databorder assess --rdap``) and the organisation's policy allows it.  The registry to ask comes from
IANA's bootstrap files shipped in resources/rdap/ (longest matching prefix, https only); a registry's redirect to
another registry is followed.  Answers are cached on disk by the server asked and the network's range (one query
serves a whole range, for lookups sent to that server only) with an expiry; an answer claiming a range wider
than a registry is allocated (a /0, anything wider than a /8 or an IPv6 /12) or one not holding the address is
refused, not cached; queries to one registry are spaced by a minimum interval, and every failure (timeout, 404,
5xx, 429, malformed JSON) becomes a :class:`~databorder.model.Registration` carrying a sentence, never an
exception: the assessment goes on.  The result is a separate source beside the GeoIP country, which it never
replaces.

The same client also asks a domain's registry about its registrant (:meth:`RdapClient.lookup_domain`, the
registry from IANA's ``dns.json``); only the endpoint probe (``--probe``, :mod:`databorder.attribute.probe`)
does that, because it sends a domain name.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import ipaddress
import json
import logging
import os
import tempfile
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import platformdirs
import requests

from databorder.endpoints import sent_safely
from databorder.errors import ResourceError
from databorder.inputs import MB, read_bounded
from databorder.model import Endpoint, Registration
from databorder.resources import resource_path

log = logging.getLogger(__name__)

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

DEFAULT_MAX_AGE_DAYS = 7.0
DEFAULT_MIN_INTERVAL = 1.0  # seconds between two queries to the same registry (the RIRs ask for restraint)
DEFAULT_TIMEOUT = 5.0
_MAX_RETRY_AFTER = 10.0
_MAX_BODY = 2_000_000  # an RDAP network answer is a few kB; refuse to hold more
_RIRS = {
    "rdap.arin.net": "ARIN",
    "rdap.db.ripe.net": "RIPE NCC",
    "rdap.apnic.net": "APNIC",
    "rdap.lacnic.net": "LACNIC",
    "rdap.afrinic.net": "AFRINIC",
}


class Bootstrap:
    """IANA's RDAP bootstrap: which base URL answers for which prefix (longest prefix wins)."""

    def __init__(self, services: Sequence[tuple[IPNetwork, str]], *, published: str | None = None) -> None:
        self.services = sorted(services, key=lambda s: s[0].prefixlen, reverse=True)
        self.published = published

    @classmethod
    def shipped(cls) -> Bootstrap:
        """The bootstrap files in resources/rdap/."""
        services: list[tuple[IPNetwork, str]] = []
        published = None
        for name in ("ipv4.json", "ipv6.json"):
            path = resource_path("rdap", name)
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
                for prefixes, urls in data["services"]:
                    https = next((u for u in urls if u.startswith("https://")), None)
                    if https:
                        services += [(ipaddress.ip_network(p), https) for p in prefixes]
                published = published or data.get("publication")
            except (OSError, ValueError, KeyError, TypeError) as exc:
                raise ResourceError(f"the RDAP bootstrap file {path} is missing or damaged ({exc})") from None
        return cls(services, published=published)

    def base_url(self, address: IPAddress) -> str | None:
        """The registry's RDAP base URL for ``address``, or None if no registry is known for it."""
        for network, url in self.services:
            if network.version == address.version and address in network:
                return url
        return None


class DomainBootstrap:
    """IANA's RDAP bootstrap for domains (``dns.json``, RFC 9224): which base URL answers for which TLD."""

    def __init__(self, services: Mapping[str, str], *, published: str | None = None) -> None:
        self.services = {tld.lower(): url for tld, url in services.items()}
        self.published = published

    @classmethod
    def shipped(cls) -> DomainBootstrap:
        """The bootstrap file resources/rdap/dns.json (https base URLs only)."""
        path = resource_path("rdap", "dns.json")
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            services: dict[str, str] = {}
            for tlds, urls in data["services"]:
                https = next((u for u in urls if isinstance(u, str) and u.startswith("https://")), None)
                if https:
                    services.update(dict.fromkeys((str(t) for t in tlds), https))
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise ResourceError(f"the RDAP bootstrap file {path} is missing or damaged ({exc})") from None
        return cls(services, published=data.get("publication"))

    def base_url(self, domain: str) -> str | None:
        """The registry's RDAP base URL for ``domain`` (by its longest listed suffix), or None."""
        labels = domain.rstrip(".").lower().split(".")
        for start in range(len(labels)):
            url = self.services.get(".".join(labels[start:]))
            if url is not None:
                return url
        return None


@dataclass(frozen=True)
class Answer:
    """One RDAP query's JSON (``data``), or ``error``: a sentence saying why there is none."""

    url: str
    data: Any
    error: str | None = None


@dataclass(frozen=True)
class DomainRegistration:
    """What a domain's registry publishes about its registrant (often nothing: registries redact people)."""

    domain: str
    url: str | None
    organisation: str | None = None
    country: str | None = None
    registrar: str | None = None
    error: str | None = None


@dataclass
class _Cached:
    server: str  # the RDAP base URL that was asked: one server's answer never serves a lookup sent to another
    network: IPNetwork
    fetched: float  # epoch seconds
    registration: dict[str, str | None]


#: At most this many answers are kept (the oldest go first); the file stays a few MB.
MAX_CACHE_ENTRIES = 5_000
_CACHE_LIMIT = 16 * MB
_CACHE_FIELDS = ("network_name", "handle", "range", "organisation", "country", "rir", "url")


class RdapCache:
    """Answers on disk (JSON), found by the server asked and the network range they cover; expired ones are ignored.

    The file is the user's, but it holds what servers said: an entry of the wrong shape, or one whose range no
    registry would answer with, is dropped when the file is read, like an answer of that kind is never stored.
    """

    def __init__(self, path: Path, *, max_age_days: float = DEFAULT_MAX_AGE_DAYS) -> None:
        self.path = path
        self.max_age = max_age_days * 86400
        self.entries: list[_Cached] = []
        self._load()

    @staticmethod
    def default_path() -> Path:
        """The user's cache folder (platformdirs)."""
        return Path(platformdirs.user_cache_dir("databorder", appauthor=False)) / "rdap.json"

    def _load(self) -> None:
        try:
            data = json.loads(read_bounded(self.path, _CACHE_LIMIT))
            entries = data["entries"] if isinstance(data, dict) else None
            if not isinstance(entries, list):
                raise TypeError("no list of entries")
        except FileNotFoundError:
            self.entries = []
            return
        except (OSError, ValueError, KeyError, TypeError, RecursionError):
            log.warning("ignoring a damaged RDAP cache %s", self.path)  # it is only a cache
            self.entries = []
            return
        loaded = (_cached_entry(e) for e in entries[-MAX_CACHE_ENTRIES:])
        self.entries = [e for e in loaded if e is not None]
        if len(self.entries) < min(len(entries), MAX_CACHE_ENTRIES):
            log.warning("ignoring %d damaged entries of the RDAP cache %s", len(entries) - len(self.entries), self.path)

    def find(
        self, address: IPAddress, *, server: str, now: float | None = None
    ) -> tuple[dict[str, str | None], float] | None:
        """The registration ``server`` gave for the range covering ``address`` and when it was fetched, if fresh."""
        now = time.time() if now is None else now
        for entry in self.entries:
            fresh = now - entry.fetched <= self.max_age
            same = entry.server == server and entry.network.version == address.version
            if fresh and same and address in entry.network:
                return entry.registration, entry.fetched
        return None

    def store(
        self,
        network: IPNetwork,
        registration: dict[str, str | None],
        *,
        server: str,
        now: float | None = None,
    ) -> None:
        """Remember ``server``'s answer for its whole range and write the cache atomically."""
        if not plausible_range(network):
            raise ValueError(f"{network} is wider than any registry allocates")  # _answer_range refuses it first
        self.entries = [e for e in self.entries if (e.server, e.network) != (server, network)]
        self.entries.append(_Cached(server, network, time.time() if now is None else now, registration))
        del self.entries[:-MAX_CACHE_ENTRIES]
        data = {
            "version": 2,
            "entries": [
                {"server": e.server, "network": str(e.network), "fetched": e.fetched, "registration": e.registration}
                for e in self.entries
            ],
        }
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=self.path.parent, delete=False) as tmp:
                json.dump(data, tmp)
            os.replace(tmp.name, self.path)
        except OSError as exc:  # a read-only home must not stop an assessment
            log.warning("the RDAP cache %s cannot be written: %s", self.path, exc)


def _cached_entry(entry: object) -> _Cached | None:
    """One entry of the cache file, or None when it is not one DataBorder would have written."""
    if not isinstance(entry, dict):
        return None
    server, fetched, registration = entry.get("server"), entry.get("fetched"), entry.get("registration")
    if not isinstance(server, str) or not isinstance(fetched, int | float) or not isinstance(registration, dict):
        return None  # entries of the first format had no server: they are asked again
    try:
        network = ipaddress.ip_network(entry.get("network"))  # type: ignore[arg-type]
    except (ValueError, TypeError):
        return None
    fields = {k: registration.get(k) for k in _CACHE_FIELDS}
    if not plausible_range(network) or not all(v is None or isinstance(v, str) for v in fields.values()):
        return None
    return _Cached(server, network, float(fetched), {k: v[:200] if v else v for k, v in fields.items()})


class RdapClient:
    """Looks addresses up at their registries, politely (cache, spacing, timeouts)."""

    def __init__(
        self,
        *,
        bootstrap: Bootstrap | None = None,
        domains: DomainBootstrap | None = None,
        cache: RdapCache | None = None,
        base_url: str | None = None,
        min_interval: float = DEFAULT_MIN_INTERVAL,
        timeout: float = DEFAULT_TIMEOUT,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.bootstrap = bootstrap or Bootstrap.shipped()
        self._domains = domains
        self.cache = cache or RdapCache(RdapCache.default_path())
        self.base_override = base_url  # one server for every address (a mirror, a proxy, tests)
        self.min_interval = min_interval
        self.timeout = timeout
        self.session = session or requests.Session()  # proxies from the environment, like geoip update
        self.session.headers["Accept"] = "application/rdap+json, application/json"
        self._sleep = sleep
        self._last: dict[str, float] = {}
        self._lock = threading.Lock()

    @property
    def domains(self) -> DomainBootstrap:
        """The domain bootstrap (read from resources/rdap/dns.json on first use)."""
        if self._domains is None:
            self._domains = DomainBootstrap.shipped()
        return self._domains

    def lookup(self, ip: str) -> Registration:
        """The registration of the network holding ``ip`` (from the cache when fresh)."""
        address = ipaddress.ip_address(ip)
        base = self.base_override or self.bootstrap.base_url(address)
        if base is None:
            return Registration(url=None, error="no regional registry is known for this address")
        cached = self.cache.find(address, server=base)
        if cached is not None:
            data, fetched = cached
            return _registration(data, fetched=fetched, cached=True)
        url = f"{base.rstrip('/')}/ip/{address}"
        return self._fetch(address, url, server=base)

    def _fetch(self, address: IPAddress, url: str, *, server: str) -> Registration:
        now = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()
        answer = self.get_json(url)
        if answer.error is not None:
            return Registration(url=url, fetched=now, error=answer.error)
        try:
            parsed = parse_network(answer.data, url=answer.url)
            network = _answer_range(answer.data, address)
        except RdapFormatError as exc:
            return Registration(url=url, fetched=now, error=str(exc))
        if network is not None:
            self.cache.store(network, parsed, server=server)
        return _registration(parsed, fetched=time.time(), cached=False)

    def get_json(self, url: str, *, missing: str = "the registry has no record for this address") -> Answer:
        """One RDAP query (spaced, timed out, one Retry-After honoured): its JSON, or a sentence why there is none.

        ``missing`` is the sentence for a 404.  Address and domain lookups both go through here.
        """
        failed: Callable[[str], Answer] = lambda s: Answer(url=url, data=None, error=s)  # noqa: E731
        try:
            response = self._get(url)
        except requests.Timeout:
            return failed(f"the registry did not answer within {self.timeout:g} s")
        except requests.TooManyRedirects:
            return failed("the registry redirected too many times")
        except _UnsafeRedirect as exc:
            return failed(f"the registry redirected to {exc} (not https); DataBorder did not follow it")
        except requests.RequestException as exc:
            return failed(f"the registry could not be reached ({type(exc).__name__})")
        if response.status_code == 404:
            return failed(missing)
        if response.status_code == 429:
            return failed("the registry asked DataBorder to slow down (HTTP 429); try again later")
        if response.status_code >= 400:
            return failed(f"the registry answered with an error (HTTP {response.status_code})")
        try:
            body = _bounded_body(response)
        except requests.RequestException as exc:
            return failed(f"the registry's answer was cut short ({type(exc).__name__})")
        if body is None:
            return failed("the registry's answer is far larger than an RDAP record; ignored")
        try:
            data = json.loads(body)
        except ValueError:
            return failed("the registry's answer is not valid JSON")
        return Answer(url=response.url or url, data=data)

    def lookup_domain(self, domain: str) -> DomainRegistration:
        """The registrant of ``domain`` from its registry's RDAP service (IANA's ``dns.json``; not cached)."""
        domain = domain.rstrip(".").lower()
        base = self.base_override or self.domains.base_url(domain)
        if base is None:
            tld = domain.rsplit(".", 1)[-1]
            return DomainRegistration(domain, url=None, error=f"no RDAP service over https is known for .{tld}")
        url = f"{base.rstrip('/')}/domain/{domain}"
        answer = self.get_json(url, missing="the registry has no record of this domain")
        if answer.error is not None:
            return DomainRegistration(domain, url=url, error=answer.error)
        try:
            return parse_domain(answer.data, domain=domain, url=answer.url)
        except RdapFormatError as exc:
            return DomainRegistration(domain, url=url, error=str(exc))

    def _get(self, url: str) -> requests.Response:
        """GET, following at most three redirects, each only to an https address (none is fetched otherwise)."""
        for _ in range(_MAX_REDIRECTS + 1):
            response = self._get_once(url)
            if not response.is_redirect:
                return response
            location = urljoin(url, response.headers.get("location", ""))
            response.close()
            if not sent_safely(location):
                raise _UnsafeRedirect(urlsplit(location)._replace(query="", fragment="").geturl())
            url = location
        raise requests.TooManyRedirects(url)

    def _get_once(self, url: str) -> requests.Response:
        """One GET with the per-registry spacing, honouring one Retry-After on 429."""
        for attempt in range(2):
            self._wait_turn(urlsplit(url).netloc)
            response = self.session.get(url, timeout=self.timeout, allow_redirects=False, stream=True)
            if response.status_code != 429 or attempt:
                return response
            retry = _retry_after(response.headers.get("Retry-After"))
            if retry is None or retry > _MAX_RETRY_AFTER:
                return response
            log.info("RDAP: %s asked to wait %.1f s", urlsplit(url).netloc, retry)
            self._sleep(retry)
        raise AssertionError("unreachable")  # pragma: no cover

    def _wait_turn(self, host: str) -> None:
        with self._lock:
            last = self._last.get(host)
            if last is not None:
                pause = self.min_interval - (time.monotonic() - last)
                if pause > 0:
                    self._sleep(pause)
            self._last[host] = time.monotonic()


class RdapFormatError(ValueError):
    """An answer that is JSON but not an RDAP IP network record."""


@dataclass(frozen=True)
class Registrations:
    """The endpoints with each public address's registration, what the run should note, and whether it stopped."""

    endpoints: list[Endpoint]
    notes: list[str]
    cancelled: bool


def add_registrations(
    endpoints: Sequence[Endpoint],
    lookup: Callable[[str], Registration],
    *,
    progress: Callable[[int, int], None] = lambda done, total: None,
    cancelled: Callable[[], bool] = lambda: False,
) -> Registrations:
    """Each public address's RDAP registration, beside (never instead of) its GeoIP country.

    A registry that names another country than GeoIP becomes a note; the hosting country stays GeoIP's.
    """
    unique = list(dict.fromkeys(a.ip for e in endpoints for a in e.addresses if a.scope == "public"))
    found: dict[str, Registration] = {}
    stopped = False
    for done, ip in enumerate(unique):
        if cancelled():
            stopped = True
            break
        progress(done, len(unique))
        found[ip] = lookup(ip)
    notes: list[str] = []
    result = []
    for endpoint in endpoints:
        addresses = []
        for a in endpoint.addresses:
            registration = found.get(a.ip)
            if registration is not None and registration.country and a.country and registration.country != a.country:
                notes.append(
                    f"{a.ip}: its registry ({registration.rir or 'RDAP'}) records {registration.country} for the "
                    f"network, GeoIP places it in {a.country}; the hosting country stays the GeoIP one"
                )
            addresses.append(dataclasses.replace(a, registration=registration) if registration else a)
        result.append(dataclasses.replace(endpoint, addresses=tuple(addresses)))
    failed = sum(1 for r in found.values() if r.error)
    if failed:
        notes.append(f"RDAP: {failed} of {len(found)} addresses have no registration (see each address)")
    return Registrations(result, notes, stopped)


def parse_network(data: object, *, url: str) -> dict[str, str | None]:
    """The fields DataBorder keeps from an RDAP ``ip network`` object (RFC 9083), as plain JSON values."""
    if not isinstance(data, Mapping):
        raise RdapFormatError("the registry's answer is not an RDAP object")
    kind = data.get("objectClassName")
    if kind is not None and kind != "ip network":
        raise RdapFormatError(f"the registry's answer is a {str(kind)[:40]!r} object, not an IP network")
    if kind is None and "startAddress" not in data and "handle" not in data:
        raise RdapFormatError("the registry's answer is not an RDAP IP network record")
    start, end = _text(data.get("startAddress")), _text(data.get("endAddress"))
    return {
        "network_name": _text(data.get("name")),
        "handle": _text(data.get("handle")),
        "range": f"{start} – {end}" if start and end else None,
        "organisation": _registrant(data.get("entities")),
        "country": _country(data.get("country")),
        "rir": _rir(url, data.get("port43")),
        "url": url,
    }


def parse_domain(data: object, *, domain: str, url: str) -> DomainRegistration:
    """The registrant organisation and country (and the registrar) of an RDAP ``domain`` object (RFC 9083)."""
    if not isinstance(data, Mapping):
        raise RdapFormatError("the registry's answer is not an RDAP object")
    kind = data.get("objectClassName")
    if kind != "domain":
        raise RdapFormatError(f"the registry's answer is a {str(kind)[:40]!r} object, not a domain")
    registrant = _entity_card(data.get("entities"), "registrant")
    registrar = _entity_card(data.get("entities"), "registrar")
    organisation = registrant.get("org") or None
    return DomainRegistration(
        domain=domain,
        url=url,
        organisation=None if organisation is None or _redacted(organisation) else organisation,
        country=_country(registrant.get("cc")),
        registrar=registrar.get("fn") or registrar.get("org") or None,
    )


#: Words registries put where they withhold a registrant's details (GDPR and the ICANN temporary specification).
_REDACTED = ("redacted", "privacy", "withheld", "not disclosed", "data protected", "gdpr", "masked")


def _redacted(text: str) -> bool:
    return any(word in text.casefold() for word in _REDACTED)


def _entity_card(entities: object, role: str) -> dict[str, str]:
    """The vCard of the first entity with ``role``: its ``fn``, ``org`` and the country (``cc``) of its ``adr``."""
    if not isinstance(entities, list):
        return {}
    for entity in entities:
        if not isinstance(entity, Mapping):
            continue
        roles = entity.get("roles")
        if not (isinstance(roles, list) and role in roles):
            continue
        card = entity.get("vcardArray")
        if not isinstance(card, list) or len(card) < 2 or not isinstance(card[1], list):
            return {}
        values: dict[str, str] = {}
        for prop in card[1]:
            if not (isinstance(prop, list) and len(prop) >= 4 and isinstance(prop[0], str)):
                continue
            name, params, value = prop[0], prop[1], prop[3]
            if name == "adr":
                cc = params.get("cc") if isinstance(params, Mapping) else None
                last = value[-1] if isinstance(value, list) and value else None
                found = cc if isinstance(cc, str) else last if isinstance(last, str) and len(last) == 2 else None
                if found:
                    values.setdefault("cc", found)
                continue
            if isinstance(value, list):
                value = " ".join(v for v in value if isinstance(v, str))
            if isinstance(value, str) and value.strip() and name in ("fn", "org"):
                values.setdefault(name, value.strip()[:200])
        return values
    return {}


def _registration(data: Mapping[str, str | None], *, fetched: float, cached: bool) -> Registration:
    when = dt.datetime.fromtimestamp(fetched, dt.UTC).replace(microsecond=0).isoformat()
    return Registration(
        url=data.get("url"),
        rir=data.get("rir"),
        network_name=data.get("network_name"),
        handle=data.get("handle"),
        range=data.get("range"),
        organisation=data.get("organisation"),
        country=data.get("country"),
        fetched=when,
        cached=cached,
    )


def _text(value: object, limit: int = 200) -> str | None:
    return value.strip()[:limit] or None if isinstance(value, str) else None


def _country(value: object) -> str | None:
    text = _text(value)
    return text.upper() if text and len(text) == 2 and text.isalpha() else None


def _rir(url: str, port43: object) -> str | None:
    host = urlsplit(url).hostname or ""
    for known, name in _RIRS.items():
        if host == known or host.endswith("." + known):
            return name
    whois = _text(port43)
    return whois or host or None


def _registrant(entities: object, depth: int = 0) -> str | None:
    """The registrant's name (vCard ``fn``, else ``org``), looking one level into nested entities."""
    if not isinstance(entities, list) or depth > 1:
        return None
    for entity in entities:
        if not isinstance(entity, Mapping):
            continue
        roles = entity.get("roles")
        if isinstance(roles, list) and "registrant" in roles:
            name = _vcard_name(entity.get("vcardArray"))
            if name:
                return name
    for entity in entities:
        if isinstance(entity, Mapping):
            found = _registrant(entity.get("entities"), depth + 1)
            if found:
                return found
    return None


def _vcard_name(card: object) -> str | None:
    if not isinstance(card, list) or len(card) < 2 or not isinstance(card[1], list):
        return None
    values: dict[str, str] = {}
    for prop in card[1]:
        if isinstance(prop, list) and len(prop) >= 4 and isinstance(prop[0], str):
            value = prop[3]
            if isinstance(value, list):
                value = " ".join(v for v in value if isinstance(v, str))
            if isinstance(value, str) and value.strip():
                values.setdefault(prop[0], value.strip())
    return _text(values.get("fn") or values.get("org"))


#: The shortest prefix a registry allocates, so the widest range an RDAP answer may claim: an IANA /8 (IPv4) and
#: the /12 IANA hands a registry (IPv6). A wider answer is the registries' placeholder for space they do not hold
#: (RIPE's IANA-BLK is 0.0.0.0 - 255.255.255.255) or a lie; it says nothing of who holds the address.
SHORTEST_PREFIX = {4: 8, 6: 12}


def plausible_range(network: IPNetwork) -> bool:
    """Whether a registry could answer with ``network`` as the range of one registration."""
    return network.prefixlen >= SHORTEST_PREFIX[network.version]


def _answer_range(data: Mapping[str, Any], address: IPAddress) -> IPNetwork | None:
    """The CIDR block of the answer's start–end range holding the address, so its neighbours hit the cache.

    None when the answer gives no range (it is used for this address only); :class:`RdapFormatError` when the
    range cannot be the registration of this address: wider than a registry allocates, or not holding it.
    """
    start_text, end_text = data.get("startAddress"), data.get("endAddress")
    if start_text is None and end_text is None:
        return None
    try:
        if not (isinstance(start_text, str) and isinstance(end_text, str)):
            raise TypeError("not text")
        start, end = ipaddress.ip_address(start_text), ipaddress.ip_address(end_text)
        if start.version != end.version or int(start) > int(end):
            raise ValueError("not a range")
    except (ValueError, TypeError):
        raise RdapFormatError("the registry's answer has no valid address range") from None
    if not (start.version == address.version and int(start) <= int(address) <= int(end)):
        raise RdapFormatError(f"the registry's answer is for {start} – {end}, which does not hold {address}")
    widest = 1 << (start.max_prefixlen - SHORTEST_PREFIX[start.version])
    if int(end) - int(start) + 1 > widest:
        raise RdapFormatError(
            f"the registry's answer claims {start} – {end}, wider than the /{SHORTEST_PREFIX[start.version]} "
            "a registry is allocated at most; it is not a registration of this network and was refused"
        )
    networks: list[IPNetwork] = list(ipaddress.summarize_address_range(start, end))
    return next(n for n in networks if address in n)


_MAX_REDIRECTS = 3


class _UnsafeRedirect(Exception):
    """A registry's redirect to an address DataBorder will not send a lookup to (its text: the address)."""


def _bounded_body(response: requests.Response) -> bytes | None:
    """The answer's body, read no further than an RDAP record can be (None when it is longer)."""
    body = bytearray()
    with response:
        for chunk in response.iter_content(64 * 1024):
            body += chunk
            if len(body) > _MAX_BODY:
                return None
    return bytes(body)


def _retry_after(value: str | None) -> float | None:
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None
