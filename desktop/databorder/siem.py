"""The history store as NDJSON for the log pipeline an organisation already runs (its SIEM, a log shipper).

Two shapes, one JSON document a line (docs/fleet.md):

- **ECS** (Elastic Common Schema field names): one document per app × endpoint of each kept assessment
  (``event.dataset`` ``databorder.endpoint``: ``destination.domain``, ``destination.ip``,
  ``destination.geo.country_iso_code``, ``destination.as.number`` and ``.organization.name``, ``gen_ai.system``)
  and one per finding (``databorder.finding``: ``rule.*``), each with ``event.risk_score_norm`` (the assessment's
  score, 0–100) and ``host.*`` (this computer); DataBorder's own facts under ``databorder.*``.
- **OCSF** Compliance Finding (class 2003, category 2 Findings, activity 1 Create): one event per finding; the
  rule pack is the standard, the rule the control, the endpoint the resource.

Nothing is sent anywhere: the documents are written to a file or stdout for the organisation's shipper to take.
"""

from __future__ import annotations

import datetime as dt
import platform
import socket
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from databorder import TOOL_NAME
from databorder.errors import DataBorderError

ExportFormat = Literal["ecs", "ocsf"]
FORMATS: tuple[ExportFormat, ...] = ("ecs", "ocsf")
#: The ECS version whose field names the documents use (``gen_ai.*`` came with ECS 9).
ECS_VERSION = "9.0.0"
#: The OCSF schema version the Compliance Finding events follow.
OCSF_VERSION = "1.5.0"
OCSF_CLASS = 2003  # Compliance Finding
OCSF_CATEGORY = 2  # Findings
OCSF_ACTIVITY = 1  # Create
_OCSF_SEVERITY = {"info": (1, "Informational"), "review": (3, "Medium"), "prohibit": (4, "High")}
_COMPLIANCE_STATUS = {"info": (99, "Other"), "review": (2, "Warning"), "prohibit": (3, "Fail")}


@dataclass(frozen=True)
class Host:
    """The computer the documents come from, as they name it (ECS ``host.*``)."""

    name: str
    id: str | None
    os_type: str
    os_kernel: str


def this_host(machine_id: Path = Path("/etc/machine-id")) -> Host:
    """The computer this runs on: its host name, its machine id (systemd's, when there is one), its OS."""
    try:
        ident: str | None = machine_id.read_text(encoding="ascii").strip() or None
    except (OSError, UnicodeDecodeError):
        ident = None
    system = platform.system().lower()
    return Host(
        name=socket.gethostname(),
        id=ident,
        os_type={"darwin": "macos"}.get(system, system),
        os_kernel=platform.release(),
    )


def parse_since(text: str) -> str:
    """``--since`` as the ISO date-time the store compares with (UTC); a sentence for anything else."""
    try:
        when = dt.datetime.fromisoformat(text)
    except ValueError:
        raise DataBorderError(f"--since {text!r} is not a date like 2026-11-01 or 2026-11-01T09:00:00Z") from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return when.astimezone(dt.UTC).isoformat()


def documents(
    assessments: Iterable[tuple[int, Mapping[str, Any]]], *, format: ExportFormat, host: Host
) -> Iterator[dict[str, Any]]:
    """The documents of each kept assessment (``(id, its JSON object)``, oldest first) in ``format``.

    Built from the assessments' JSON as the store keeps it (:meth:`HistoryStore.documents`), not from model
    objects: the store wrote what it holds, and reading 1,000 assessments back through the typed reader took
    four times the export's whole budget.
    """
    for row_id, assessment in assessments:
        if format == "ecs":
            yield from _ecs(row_id, assessment, host)
        else:
            yield from _ocsf(row_id, assessment, host)


def _key(endpoint: Mapping[str, Any]) -> str:
    return str(endpoint.get("host") or endpoint.get("ip"))


def _service_countries(service: Mapping[str, Any]) -> list[str]:
    found = [service.get("country"), *(link.get("country") for link in service.get("parent_chain", ()))]
    return list(dict.fromkeys(c for c in found if c))


# --- ECS ------------------------------------------------------------------------------------------------------


def _ecs_host(host: Host) -> dict[str, Any]:
    found: dict[str, Any] = {"name": host.name, "hostname": host.name, "os": {"type": host.os_type,
                                                                              "kernel": host.os_kernel}}  # fmt: skip
    if host.id:
        found["id"] = host.id
    return found


def _ecs_common(row_id: int, a: Mapping[str, Any], host: Host, dataset: str, n: int) -> dict[str, Any]:
    endpoint_doc = dataset == "databorder.endpoint"
    return {
        "@timestamp": a["created"],
        "ecs": {"version": ECS_VERSION},
        "event": {
            "kind": "state" if endpoint_doc else "alert",
            "category": ["network"] if endpoint_doc else ["configuration"],
            "type": ["info"],
            "module": "databorder",
            "dataset": dataset,
            "id": f"{host.id or host.name}-{row_id}-{n}",
            "created": a["created"],
            "risk_score": float(a["score"]),
            "risk_score_norm": float(a["score"]),
        },
        "host": _ecs_host(host),
        "observer": {"product": TOOL_NAME, "vendor": TOOL_NAME, "version": a["tool"]["version"], "type": "scanner"},
        "databorder": {
            "assessment_id": row_id,
            "target": {"kind": a["target"]["kind"], "name": a["target"]["name"]},
            "verdict": a["verdict"],
            "score": a["score"],
            "band": a["band"],
            "complete": a.get("complete", True),
        },
    }


def _destination(endpoint: Mapping[str, Any]) -> dict[str, Any]:
    destination: dict[str, Any] = {}
    if endpoint.get("host"):
        destination["domain"] = endpoint["host"]
        if endpoint.get("registrable_domain"):
            destination["registered_domain"] = endpoint["registrable_domain"]
    addresses = endpoint.get("addresses") or []
    public = [x for x in addresses if x.get("scope") == "public"] or addresses
    ips = [x["ip"] for x in addresses] or ([endpoint["ip"]] if endpoint.get("ip") else [])
    if ips:
        destination["ip"] = ips if len(ips) > 1 else ips[0]
    if public:
        first = public[0]
        if first.get("country"):
            destination["geo"] = {"country_iso_code": first["country"]}
        if first.get("asn") is not None:
            destination["as"] = {"number": first["asn"], "organization": {"name": first.get("as_organization") or ""}}
    if endpoint.get("ports"):
        destination["port"] = endpoint["ports"][0]
    return destination


_ORDER = ("info", "review", "prohibit")


def _ecs(row_id: int, a: Mapping[str, Any], host: Host) -> Iterator[dict[str, Any]]:
    worst: dict[str, str] = {}
    for finding in a["findings"]:
        if _ORDER.index(finding["severity"]) >= _ORDER.index(worst.get(finding["endpoint"], "info")):
            worst[finding["endpoint"]] = finding["severity"]
    by_key = {_key(e): e for e in a["endpoints"]}
    n = 0
    for endpoint in a["endpoints"]:
        doc = _ecs_common(row_id, a, host, "databorder.endpoint", n)
        doc["destination"] = _destination(endpoint)
        service = endpoint.get("service")
        facts: dict[str, Any] = {
            "confidence": endpoint.get("confidence", "observed"),
            "roles": list(endpoint.get("roles", ())),
            "hosting_countries": sorted({x["country"] for x in endpoint.get("addresses", ()) if x.get("country")}),
            "severity": worst.get(_key(endpoint)),
        }
        if service:
            facts["service"] = {
                "operator": service["operator"],
                "country": service.get("country"),
                "basis": service.get("basis", "operators"),
                "category": service.get("category"),
                "countries": _service_countries(service),
            }
            if service.get("category") == "genai":
                doc["gen_ai"] = {"system": service["operator"]}
        doc["databorder"]["endpoint"] = facts
        n += 1
        yield doc
    versions = {p["id"]: p["version"] for p in a["packs"]}
    for finding in a["findings"]:
        doc = _ecs_common(row_id, a, host, "databorder.finding", n)
        doc["event"]["severity"] = {"info": 1, "review": 3, "prohibit": 4}[finding["severity"]]
        doc["message"] = finding["message"]
        rule = {
            "id": f"{finding['pack']}/{finding['rule']}",
            "name": finding["rule"],
            "ruleset": finding["pack"],
            "category": finding["facet"],
            "description": finding["message"],
        }
        if finding["pack"] in versions:
            rule["version"] = versions[finding["pack"]]
        if finding.get("citation"):
            rule["reference"] = finding["citation"]
        doc["rule"] = rule
        hit = by_key.get(finding["endpoint"])
        if hit is not None:
            doc["destination"] = _destination(hit)
        doc["databorder"]["finding"] = {
            "severity": finding["severity"],
            "points": finding["points"],
            "fact": finding["fact"],
        }
        n += 1
        yield doc


# --- OCSF -----------------------------------------------------------------------------------------------------


def _epoch_ms(iso: str) -> int:
    return int(dt.datetime.fromisoformat(iso).timestamp() * 1000)


def _ocsf(row_id: int, a: Mapping[str, Any], host: Host) -> Iterator[dict[str, Any]]:
    created = _epoch_ms(a["created"])
    titles = {p["id"]: p.get("title") or p["id"] for p in a["packs"]}
    for n, finding in enumerate(a["findings"]):
        severity_id, severity = _OCSF_SEVERITY[finding["severity"]]
        status_id, status = _COMPLIANCE_STATUS[finding["severity"]]
        uid = f"{host.id or host.name}-{row_id}-{n}"
        compliance: dict[str, Any] = {
            "standards": [titles.get(finding["pack"], finding["pack"])],
            "control": finding["rule"],
            "status_id": status_id,
            "desc": finding["fact"],
        }
        if finding.get("citation"):
            compliance["requirements"] = [finding["citation"]]
        yield {
            "class_uid": OCSF_CLASS,
            "class_name": "Compliance Finding",
            "category_uid": OCSF_CATEGORY,
            "category_name": "Findings",
            "activity_id": OCSF_ACTIVITY,
            "activity_name": "Create",
            "type_uid": OCSF_CLASS * 100 + OCSF_ACTIVITY,
            "type_name": "Compliance Finding: Create",
            "time": created,
            "severity_id": severity_id,
            "severity": severity,
            "status_id": 1,
            "status": "New",
            "message": finding["message"],
            "metadata": {
                "version": OCSF_VERSION,
                "uid": uid,
                "product": {"name": TOOL_NAME, "vendor_name": TOOL_NAME, "version": a["tool"]["version"]},
            },
            "finding_info": {
                "uid": uid,
                "title": f"{finding['endpoint']}: {finding['rule']}",
                "desc": finding["message"],
                "created_time": created,
                "types": [finding["facet"]],
            },
            "compliance": compliance,
            "resources": [{"uid": finding["endpoint"], "name": finding["endpoint"], "type": "Network Endpoint"}],
            "unmapped": {
                "host": {"name": host.name, "id": host.id, "os_type": host.os_type},
                "databorder": {
                    "assessment_id": row_id,
                    "target": a["target"]["name"],
                    "verdict": a["verdict"],
                    "score": a["score"],
                    "pack": finding["pack"],
                    "points": finding["points"],
                    "compliance_status": status,
                },
            },
        }


def export(
    out: Path | None,
    *,
    format: ExportFormat,
    since: str | None = None,
    store_path: Path | None = None,
    host: Host | None = None,
) -> int:
    """Write the kept assessments (created at or after ``since``) as NDJSON to ``out`` (None: stdout).

    Returns how many documents were written; the file is replaced only once all of it is written.
    """
    import sys

    import orjson

    from databorder.history import HistoryStore, history_path

    host = host or this_host()
    count = 0
    if not (store_path or history_path()).exists():  # nothing kept yet: an empty export, and no store made
        if out is not None:
            from databorder.report.output import replacing

            with replacing(out, "export") as temporary:
                temporary.write_bytes(b"")
        return 0
    with HistoryStore(store_path) as store:
        docs = documents(store.documents(since=since), format=format, host=host)
        if out is None:
            for doc in docs:
                sys.stdout.buffer.write(orjson.dumps(doc) + b"\n")
                count += 1
            sys.stdout.flush()
            return count
        from databorder.report.output import replacing

        with replacing(out, "export") as temporary, temporary.open("wb") as handle:
            for doc in docs:
                handle.write(orjson.dumps(doc) + b"\n")
                count += 1
    return count


__all__ = ["FORMATS", "Host", "documents", "export", "parse_since", "this_host"]
