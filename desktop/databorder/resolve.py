"""Resolve: real DNS for every hostname — A and AAAA, the whole CNAME chain, and a typed outcome per name.

Names are resolved concurrently on one asyncio loop (dnspython's asyncio resolver) with a bound on queries in
flight: real resolvers add 10–50 ms per query, so one-by-one resolution of a thousand names would take tens of
seconds.  Before any name is asked, the nameserver is probed once with a query that carries no hostname (the
root zone's NS set): if nothing answers, the run says so once and skips DNS instead of timing out name by name.
"""

from __future__ import annotations

import asyncio
import ipaddress
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import dns.asyncquery
import dns.asyncresolver
import dns.exception
import dns.message
import dns.name
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.resolver
import dns.reversename

from databorder.endpoints import is_local, rename_endpoints
from databorder.errors import DataBorderError
from databorder.model import Endpoint, Resolution, ResolutionStatus
from databorder.nameserver import DEFAULT_CONCURRENCY, DEFAULT_TIMEOUT, Nameserver

# A probe try waits as long as a query may (a slow resolver is still a resolver), but never more than 1.5 s:
# a dead one must cost seconds once, not minutes.
_PROBE_TIMEOUT_MAX = 1.5
_PROBE_TRIES = 2
_CANCEL_POLL = 0.05


@dataclass(frozen=True)
class NameResult:
    """What DNS said about one name: the typed resolution and the addresses it led to."""

    resolution: Resolution
    addresses: tuple[str, ...]


@dataclass(frozen=True)
class Reachability:
    """Whether a nameserver answers at all, and whether it resolves public names."""

    reachable: bool
    resolves_public_names: bool
    sentence: str


ProgressCallback = Callable[[int, int], None]
CancelCheck = Callable[[], bool]


def make_resolver(nameserver: Nameserver | None, *, timeout: float = DEFAULT_TIMEOUT) -> dns.asyncresolver.Resolver:
    """A dnspython asyncio resolver for ``nameserver``, or for the system's configured resolver if None."""
    if nameserver is None:
        try:
            resolver = dns.asyncresolver.Resolver(configure=True)
        except dns.resolver.NoResolverConfiguration:
            raise DataBorderError(
                "this machine has no DNS resolver configured; pass --nameserver IP or use --offline"
            ) from None
    else:
        resolver = dns.asyncresolver.Resolver(configure=False)
        resolver.nameservers = [nameserver.address]
        resolver.port = nameserver.port
    resolver.timeout = timeout
    resolver.lifetime = timeout
    resolver.search = []
    resolver.use_search_by_default = False
    return resolver


def describe_nameservers(resolver: dns.resolver.BaseResolver) -> str:
    """The nameservers a resolver asks, written as a person would (for reports and messages)."""
    servers = [str(Nameserver(address=str(ns), port=resolver.port)) for ns in resolver.nameservers]
    return ", ".join(servers) or "none"


async def probe(resolver: dns.asyncresolver.Resolver) -> Reachability:
    """Ask each nameserver for the root zone's NS set: it reveals no hostname and any resolver can answer it."""
    query = dns.message.make_query(dns.name.root, dns.rdatatype.NS)
    wait = min(float(resolver.lifetime), _PROBE_TIMEOUT_MAX)
    where = describe_nameservers(resolver)
    answered_rcodes: list[str] = []
    for server in resolver.nameservers:
        for _ in range(_PROBE_TRIES):  # UDP may lose one datagram
            try:
                response = await dns.asyncquery.udp(query, str(server), timeout=wait, port=resolver.port)
            except (dns.exception.Timeout, OSError):
                continue
            except dns.exception.DNSException:
                answered_rcodes.append("a malformed reply")
                break
            if response.rcode() == dns.rcode.NOERROR and response.answer:
                return Reachability(True, True, f"nameserver {where} answers")
            answered_rcodes.append(dns.rcode.to_text(response.rcode()))
            break
    if answered_rcodes:
        return Reachability(
            True,
            False,
            f"nameserver {where} answers but does not resolve public names "
            f"(the root zone query gave {answered_rcodes[0]}); only names it serves itself will resolve",
        )
    return Reachability(
        False,
        False,
        f"DNS is unreachable: nameserver {where} did not answer within "
        f"{wait * _PROBE_TRIES:g} s; names were not resolved",
    )


async def resolve_names_async(
    names: Sequence[str],
    resolver: dns.asyncresolver.Resolver,
    *,
    concurrency: int = DEFAULT_CONCURRENCY,
    progress: ProgressCallback | None = None,
    cancelled: CancelCheck | None = None,
) -> dict[str, NameResult]:
    """Resolve ``names`` (A + AAAA each) with at most ``concurrency`` queries in flight.

    Every name gets a result; names not reached because the run was cancelled are ``skipped``.
    """
    semaphore = asyncio.Semaphore(max(1, concurrency))
    nameserver = describe_nameservers(resolver)
    results: dict[str, NameResult] = {}
    total = len(names)

    async def one(name: str) -> None:
        results[name] = await _resolve_one(name, resolver, semaphore, nameserver)
        if progress is not None:
            progress(len(results), total)

    tasks = [asyncio.ensure_future(one(name)) for name in names]
    if tasks:
        watcher = asyncio.ensure_future(_watch_cancel(tasks, cancelled)) if cancelled is not None else None
        await asyncio.gather(*tasks, return_exceptions=True)
        if watcher is not None:
            watcher.cancel()
    for name in names:
        if name not in results:
            results[name] = NameResult(Resolution(status="skipped", nameserver=nameserver, detail="cancelled"), ())
    return results


def resolve_names(
    names: Sequence[str],
    nameserver: Nameserver | None,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    concurrency: int = DEFAULT_CONCURRENCY,
    progress: ProgressCallback | None = None,
    cancelled: CancelCheck | None = None,
) -> tuple[Reachability, dict[str, NameResult]]:
    """Probe the nameserver, then resolve ``names`` if it answers; a blocking call for non-async callers."""

    async def run() -> tuple[Reachability, dict[str, NameResult]]:
        resolver = make_resolver(nameserver, timeout=timeout)
        probing = asyncio.ensure_future(probe(resolver))
        watcher = asyncio.ensure_future(_watch_cancel([probing], cancelled)) if cancelled is not None else None
        try:
            reach = await probing
        except asyncio.CancelledError:  # the user cancelled while the (up to 3 s) probe waited
            where = describe_nameservers(resolver)
            skipped = Resolution(status="skipped", nameserver=where, detail="cancelled")
            return Reachability(True, True, "cancelled"), {name: NameResult(skipped, ()) for name in names}
        finally:
            if watcher is not None:
                watcher.cancel()
        if not reach.reachable:
            where = describe_nameservers(resolver)
            skipped = Resolution(status="skipped", nameserver=where, detail=reach.sentence)
            return reach, {name: NameResult(skipped, ()) for name in names}
        found = await resolve_names_async(
            names, resolver, concurrency=concurrency, progress=progress, cancelled=cancelled
        )
        return reach, found

    return asyncio.run(run())


def reverse_names(
    addresses: Sequence[str],
    nameserver: Nameserver | None,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    cancelled: CancelCheck | None = None,
) -> dict[str, str | None]:
    """The PTR name of each address (None where there is none, or not asked: cancelled), asked concurrently.

    No hostname is sent.
    """

    async def run() -> dict[str, str | None]:
        resolver = make_resolver(nameserver, timeout=timeout)
        semaphore = asyncio.Semaphore(DEFAULT_CONCURRENCY)

        async def one(address: str) -> str | None:
            async with semaphore:
                try:
                    answer = await resolver.resolve(dns.reversename.from_address(address), "PTR", search=False)
                except (dns.exception.DNSException, ValueError):
                    return None
            names = [rdata.target.to_text(omit_final_dot=True).lower() for rdata in answer]
            return names[0] if names else None

        tasks = [asyncio.ensure_future(one(a)) for a in addresses]
        watcher = asyncio.ensure_future(_watch_cancel(tasks, cancelled)) if cancelled is not None else None
        found = await asyncio.gather(*tasks, return_exceptions=True)
        if watcher is not None:
            watcher.cancel()
        return {a: name if isinstance(name, str) else None for a, name in zip(addresses, found, strict=True)}

    return asyncio.run(run())


#: Collectors whose bare addresses may be given a name (what a user typed as an address stays an address).
NAMEABLE_COLLECTORS = frozenset({"live", "pcap", "zeek"})


def name_addresses(
    endpoints: Sequence[Endpoint],
    resolved: Mapping[str, tuple[str, ...]],
    *,
    nameserver: Nameserver | None,
    timeout: float = DEFAULT_TIMEOUT,
    use_dns: bool = True,
    cancelled: CancelCheck | None = None,
) -> tuple[list[Endpoint], dict[str, tuple[str, ...]]]:
    """Give addresses seen live or in a capture without a name the host they belong to, where it is sure.

    A host resolved in this assessment (``resolved``: host → its addresses) to exactly that address names it;
    otherwise, with ``use_dns``, its PTR name if that name resolves back to the address (forward-confirmed).
    Anything less sure stays a bare address.  Returns the endpoints (named addresses merged into their hosts)
    and the addresses of hosts first met as PTR names, for the attribute stage.
    """
    by_address: dict[str, list[str]] = {}
    for host, addresses in resolved.items():
        for address in addresses:
            by_address.setdefault(address, []).append(host)
    nameless = [str(e.ip) for e in endpoints if e.ip and any(ev.collector in NAMEABLE_COLLECTORS for ev in e.evidence)]
    names: dict[str, tuple[str, str]] = {}  # address → (host, how it was named)
    for address in nameless:
        hosts = by_address.get(address, [])
        if len(hosts) == 1:
            names[address] = (hosts[0], f"named {hosts[0]}: it resolved to this address")
    unnamed = [a for a in nameless if a not in names and not is_local(ipaddress.ip_address(a))]
    learnt: dict[str, tuple[str, ...]] = {}
    resolutions: dict[str, Resolution] = {}
    if unnamed and use_dns:
        ptr = reverse_names(unnamed, nameserver, timeout=timeout, cancelled=cancelled)
        candidates = sorted({name for name in ptr.values() if name})
        if candidates and not (cancelled is not None and cancelled()):
            _, forward = resolve_names(candidates, nameserver, timeout=timeout, cancelled=cancelled)
            for address, name in ptr.items():
                if name and address in forward[name].addresses:
                    names[address] = (name, f"named {name}: its PTR name, which resolves back to it")
                    learnt.setdefault(name, forward[name].addresses)
                    resolutions[name] = forward[name].resolution
    if not names:
        return list(endpoints), learnt
    return rename_endpoints(endpoints, names, resolutions), learnt


async def _watch_cancel(tasks: Sequence[asyncio.Future[Any]], cancelled: CancelCheck | None) -> None:
    while cancelled is not None and not all(t.done() for t in tasks):
        if cancelled():
            for task in tasks:
                task.cancel()
            return
        await asyncio.sleep(_CANCEL_POLL)


@dataclass(frozen=True)
class _Outcome:
    status: ResolutionStatus
    addresses: tuple[str, ...]
    chain: tuple[str, ...]
    detail: str | None


# When neither query found an address, the name's status is the most telling of the two outcomes: NXDOMAIN is
# about the name itself; a timeout or SERVFAIL means we do not know; NODATA only when both said "no such record".
_NO_ADDRESS_PRIORITY: tuple[ResolutionStatus, ...] = ("nxdomain", "timeout", "servfail", "nodata")


async def _resolve_one(
    name: str, resolver: dns.asyncresolver.Resolver, semaphore: asyncio.Semaphore, nameserver: str
) -> NameResult:
    a, aaaa = await asyncio.gather(_query(name, "A", resolver, semaphore), _query(name, "AAAA", resolver, semaphore))
    addresses = a.addresses + aaaa.addresses
    chain = a.chain if len(a.chain) >= len(aaaa.chain) else aaaa.chain
    if addresses:
        status: ResolutionStatus = "ok"
    else:
        status = next(s for s in _NO_ADDRESS_PRIORITY if s in (a.status, aaaa.status))
    details = [f"{rdtype}: {o.detail}" for rdtype, o in (("A", a), ("AAAA", aaaa)) if o.detail]
    return NameResult(
        Resolution(status=status, cname_chain=chain, nameserver=nameserver, detail="; ".join(details) or None),
        addresses,
    )


async def _query(
    name: str, rdtype: str, resolver: dns.asyncresolver.Resolver, semaphore: asyncio.Semaphore
) -> _Outcome:
    async with semaphore:
        started = time.monotonic()
        try:
            answer = await resolver.resolve(name, rdtype, search=False, raise_on_no_answer=False)
        except dns.resolver.NXDOMAIN as exc:
            return _Outcome("nxdomain", (), _nxdomain_chain(exc, name), None)
        except dns.resolver.LifetimeTimeout:
            return _Outcome("timeout", (), (), f"no answer within {time.monotonic() - started:.1f} s")
        except dns.resolver.NoNameservers as exc:
            return _Outcome("servfail", (), (), _no_nameservers_detail(exc))
        except dns.exception.DNSException as exc:  # malformed or lying answers, bad names
            return _Outcome("servfail", (), (), f"unusable answer: {exc}")
    chain = tuple(_chain_targets(answer.chaining_result.cnames))
    addresses = tuple(_canonical_ip(rdata.to_text()) for rdata in (answer.rrset or ()))
    return _Outcome("ok" if addresses else "nodata", addresses, chain, None)


def _chain_targets(cnames: Sequence[dns.rrset.RRset]) -> list[str]:
    """The names a CNAME chain leads through, in order, without trailing dots."""
    targets: list[str] = []
    for rrset in cnames:
        for rdata in rrset:
            targets.append(rdata.target.to_text(omit_final_dot=True).lower())
    return targets


def _nxdomain_chain(exc: dns.resolver.NXDOMAIN, name: str) -> tuple[str, ...]:
    # A CNAME pointing at a name that does not exist is itself worth showing: the chain says whose name it was.
    try:
        canonical = exc.canonical_name.to_text(omit_final_dot=True).lower()
    except (KeyError, AttributeError, TypeError):
        return ()
    return () if canonical == name.lower() else (canonical,)


def _no_nameservers_detail(exc: dns.resolver.NoNameservers) -> str:
    errors = exc.kwargs.get("errors") or []
    for error in errors:
        # dnspython records (server, tcp, port, error, answer) per attempt; the rcode is in the answer.
        answer = error[4] if len(error) > 4 else None
        if isinstance(answer, dns.message.Message):
            return f"the nameserver answered {dns.rcode.to_text(answer.rcode())}"
        if error[3] is not None:
            return f"the nameserver failed: {error[3]}"
    return "no nameserver could answer"


def _canonical_ip(text: str) -> str:
    addr = ipaddress.ip_address(text)
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        return str(addr.ipv4_mapped)
    return str(addr)
