"""Attribute: for each address, where it is hosted, whose network carries it; for each host, who runs it.

Three facets, each naming its source: **hosting** (the region's country where a cloud provider's published ranges
hold the address, else its GeoIP country), **network** (ASN → operator → parent → home country) and **service**
(domain → service operator → legal home country).  Local addresses
(private, loopback, link-local, CGNAT, unique-local, multicast, unspecified) are classified, never geolocated.
"""

from __future__ import annotations

import gc
import ipaddress
from collections.abc import Sequence
from pathlib import Path

from databorder.attribute.cloud import CloudRanges, decide
from databorder.attribute.geoip import AsnDatabase, CountryDatabase, IPAddress
from databorder.attribute.service import ServiceAttributor, service_attributor
from databorder.attribute.store import (
    open_asn_database,
    open_cloud_ranges,
    open_country_database,
    second_country_database,
)
from databorder.attribute.tables import OperatorTable
from databorder.catalog import Catalog, load_catalog
from databorder.endpoints import is_local
from databorder.model import (
    AddressAttribution,
    AddressScope,
    DatabaseRef,
    GeoipAnswer,
    LegalEntity,
    Role,
    ServiceAttribution,
    public_address,
)

# First octets (as text) of every local IPv4 range above: an IPv4 text starting otherwise is public, and so is
# IPv6 text in global unicast 2000::/3 (not mapped); this lets the hot path skip parsing (see Attributor._addresses).
_V4_MAYBE_LOCAL = frozenset(["0", "10", "100", "127", "169", "172", "192"] + [str(n) for n in range(224, 256)])


def unattributed(ip: str) -> AddressAttribution:
    """An address known only by its scope, for when the databases cannot be read."""
    addr = ipaddress.ip_address(ip)
    scope: AddressScope = "local" if is_local(addr) else "public"
    return AddressAttribution(str(addr), scope, None, None, None, None, False)


class Attributor:
    """Attributes addresses and hosts using one set of databases and tables, recorded for the assessment."""

    def __init__(
        self,
        *,
        country_db: CountryDatabase,
        asn_db: AsnDatabase,
        operators: OperatorTable,
        services: ServiceAttributor,
        catalog: Catalog | None = None,
        cloud: CloudRanges | None = None,
        second_country_db: CountryDatabase | None = None,
    ) -> None:
        self.catalog = catalog
        self.cloud = cloud
        self.country_db = country_db
        # Consulted beside ``country_db`` (which decides): the embedded database, where a MaxMind file is in use.
        self.second_country_db = second_country_db
        self.asn_db = asn_db
        self.operators = operators
        self.services = services

    @classmethod
    def open(
        cls,
        *,
        country_db: Path | None = None,
        asn_db: Path | None = None,
        services: Sequence[Path] = (),
        cloud_ranges: Path | None = None,
    ) -> Attributor:
        """Open the given databases (the defaults where None), the cloud ranges, the catalog and the tables.

        Where the country database is not the embedded one (``country_db`` given, or one adopted in the store),
        the embedded one is opened too and consulted beside it (:func:`store.second_country_database`).
        """
        catalog = load_catalog()
        country = open_country_database(country_db)
        return cls(
            country_db=country,
            second_country_db=second_country_database(country),
            asn_db=open_asn_database(asn_db),
            operators=OperatorTable(),
            services=service_attributor(services),
            catalog=catalog,
            cloud=open_cloud_ranges(cloud_ranges),
        )

    def databases(self) -> tuple[DatabaseRef, ...]:
        """Every data source this attributor uses, as recorded in an assessment."""
        catalog = (self.catalog.ref,) if self.catalog is not None else ()
        cloud = (self.cloud.ref,) if self.cloud is not None else ()
        second = (self.second_country_db.ref,) if self.second_country_db is not None else ()
        return (
            self.country_db.ref,
            *second,
            self.asn_db.ref,
            *cloud,
            self.operators.ref,
            *catalog,
            *self.services.refs,
        )

    def address(self, ip: str | IPAddress) -> AddressAttribution:
        """Hosting country, ASN and network operator of one address (see :meth:`addresses`)."""
        return self.addresses((ip,))[0]

    def addresses(self, ips: Sequence[str | IPAddress]) -> list[AddressAttribution]:
        """Hosting country, ASN and network operator of each address, in order.

        Each ``ip`` is an ``ipaddress`` object or canonical text (as DataBorder's parsers and resolver write it).
        A batch, because per-address overhead matters here: the lookups themselves cost only ~2.5 µs.
        """
        # A batch creates several objects per address and no reference cycles; the cyclic garbage collector
        # would otherwise re-scan the growing result list many times over (measured: ~15 % of the batch).
        collecting = gc.isenabled()
        gc.disable()
        try:
            return self._addresses(ips)
        finally:
            if collecting:
                gc.enable()

    def _addresses(self, ips: Sequence[str | IPAddress]) -> list[AddressAttribution]:
        results: list[AddressAttribution | None] = [None] * len(ips)
        positions: list[int] = []
        texts: list[str] = []
        keys: list[str | IPAddress] = []
        maybe_local = _V4_MAYBE_LOCAL
        for position, ip in enumerate(ips):
            text: str
            key: str | IPAddress
            # Canonical public text (IPv4 outside the local ranges, IPv6 in 2000::/3) needs no parsing here: the C
            # reader parses it itself, and ipaddress.ip_address would cost more than both database lookups together.
            if type(ip) is str and (
                (ip[0] in "23" and "." not in ip) if ":" in ip else ip[: ip.find(".")] not in maybe_local
            ):
                text, key = ip, ip
            else:
                addr = ipaddress.ip_address(ip) if isinstance(ip, str) else ip
                if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
                    addr = addr.ipv4_mapped
                if is_local(addr):
                    results[position] = AddressAttribution(str(addr), "local", None, None, None, None, False)
                    continue
                text, key = str(addr), addr
            positions.append(position)
            texts.append(text)
            keys.append(key)
        operator_of = self.operators.lookup
        clouds = self.cloud.lookups(keys) if self.cloud is not None else [None] * len(keys)
        countries = self.country_db.countries(keys)
        second_db = self.second_country_db
        seconds = second_db.countries(keys) if second_db is not None else countries
        sources = (self.country_db.ref.source, second_db.ref.source if second_db is not None else "")
        for position, text, country, second, (asn, as_org), cloud in zip(
            positions, texts, countries, seconds, self.asn_db.asns(keys), clouds, strict=True
        ):
            entry = operator_of(asn)
            if cloud is not None or second != country:
                answers = (
                    (GeoipAnswer(sources[0], country), GeoipAnswer(sources[1], second)) if second != country else ()
                )
                hosting, geoip, notes, uncertain, shown = decide(country, cloud, answers)
                operator, anycast = (entry.operator, entry.anycast) if entry is not None else (None, False)
                results[position] = AddressAttribution(
                    text, "public", hosting, asn, as_org, operator, anycast or (cloud is not None and cloud.edge),
                    None, cloud, geoip, notes, uncertain, shown,
                )  # fmt: skip
            elif entry is None:
                results[position] = public_address(text, country, asn, as_org, None, False)
            else:
                results[position] = public_address(text, country, asn, as_org, entry.operator, entry.anycast)
        return results  # type: ignore[return-value]  # every position was filled above

    def roles(self, host: str | None) -> tuple[Role, ...]:
        """The roles the catalog declares for this host, and the one the knowledge base gives its domain."""
        declared = self.catalog.roles_of(host) if self.catalog is not None else ()
        known = self.services.role(host)
        return tuple(sorted({*declared, known})) if known is not None else declared

    def service(self, host: str | None, entities: Sequence[LegalEntity] = ()) -> ServiceAttribution | None:
        """Who runs the service at ``host`` (see :mod:`databorder.attribute.service`), None when nothing says.

        ``entities``: legal-entity text a static scan saw near the host's domain (the bundle inference).
        """
        return self.services.service(host, entities)

    def close(self) -> None:
        """Release the database files."""
        self.country_db.close()
        if self.second_country_db is not None:
            self.second_country_db.close()
        self.asn_db.close()
