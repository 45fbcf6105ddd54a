from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest
from py_ocsf_models.events.findings.compliance_finding import ComplianceFinding

from databorder.cli import main
from databorder.history import HistoryStore
from databorder.model import to_jsonable
from databorder.siem import Host, documents, export, parse_since, this_host
from tests.helpers.assessments import full_assessment, varied_assessment

HOST = Host(name="desk-042", id="0123456789abcdef0123456789abcdef", os_type="linux", os_kernel="6.1.0")


@pytest.fixture
def store(tmp_path: Path) -> Path:
    path = tmp_path / "h.sqlite3"
    with HistoryStore(path) as kept:
        kept.record(dataclasses.replace(varied_assessment(12), created="2026-11-01T09:00:00+00:00"))
        kept.record(dataclasses.replace(full_assessment(), created="2026-12-01T09:00:00+00:00"))
    return path


def lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_ecs_has_one_document_per_app_and_endpoint_and_one_per_finding(store: Path, tmp_path: Path) -> None:
    out = tmp_path / "ecs.ndjson"
    count = export(out, format="ecs", store_path=store, host=HOST)
    docs = lines(out)
    first, second = varied_assessment(12), full_assessment()
    expected = sum(len(a.endpoints) + len(a.findings) for a in (first, second))
    assert count == len(docs) == expected
    endpoint_docs = [d for d in docs if d["event"]["dataset"] == "databorder.endpoint"]
    assert len(endpoint_docs) == len(first.endpoints) + len(second.endpoints)
    api = next(d for d in endpoint_docs if d["destination"].get("domain") == "api.chat.test")
    assert api["destination"] == {
        "domain": "api.chat.test",
        "registered_domain": "chat.test",
        "ip": ["203.0.113.10", *api["destination"]["ip"][1:]],
        "geo": {"country_iso_code": "CN"},
        "as": {"number": 37963, "organization": {"name": "Hangzhou Alibaba Advertising Co.,Ltd."}},
        "port": 443,
    }
    assert api["host"] == {"name": "desk-042", "hostname": "desk-042", "id": HOST.id,
                           "os": {"type": "linux", "kernel": "6.1.0"}}  # fmt: skip
    assert api["event"]["risk_score_norm"] == 100.0 and api["ecs"] == {"version": "9.0.0"}
    assert api["@timestamp"] == "2026-12-01T09:00:00+00:00"
    assert api["databorder"]["assessment_id"] == 2
    finding_docs = [d for d in docs if d["event"]["dataset"] == "databorder.finding"]
    rule = finding_docs[0]["rule"]
    assert set(rule) >= {"id", "name", "ruleset", "category", "description", "version"}
    assert finding_docs[0]["event"]["kind"] == "alert"
    assert len({d["event"]["id"] for d in docs}) == len(docs)


def test_gen_ai_system_names_the_ai_operator(tmp_path: Path) -> None:
    base = varied_assessment(1)
    endpoint = base.endpoints[0]
    assert endpoint.service is not None
    genai = dataclasses.replace(endpoint, service=dataclasses.replace(endpoint.service, category="genai"))
    docs = list(documents([(1, to_jsonable(dataclasses.replace(base, endpoints=(genai,))))], format="ecs", host=HOST))
    assert docs[0]["gen_ai"] == {"system": "Vendor 0"}
    assert "gen_ai" not in next(documents([(1, to_jsonable(base))], format="ecs", host=HOST))


def test_ocsf_events_are_compliance_findings_the_ocsf_models_accept(store: Path, tmp_path: Path) -> None:
    out = tmp_path / "ocsf.ndjson"
    export(out, format="ocsf", store_path=store, host=HOST)
    events = lines(out)
    assert len(events) == len(varied_assessment(12).findings) + len(full_assessment().findings)
    for event in events:
        model = ComplianceFinding.model_validate(event)
        assert (model.class_uid, model.category_uid, model.type_uid) == (2003, 2, 200301)
        assert model.compliance.control and model.finding_info.uid
    severities = {(e["severity_id"], e["compliance"]["status_id"]) for e in events}
    assert (4, 3) in severities  # prohibit: High, Fail
    assert any(e["compliance"].get("requirements") for e in events)


def test_since_keeps_only_later_assessments_and_bad_dates_are_refused(store: Path, tmp_path: Path) -> None:
    out = tmp_path / "late.ndjson"
    assert export(out, format="ecs", since=parse_since("2026-11-15"), store_path=store, host=HOST) == len(
        full_assessment().endpoints
    ) + len(full_assessment().findings)
    assert parse_since("2026-11-15T10:00:00+01:00") == "2026-11-15T09:00:00+00:00"
    with pytest.raises(Exception, match="is not a date like 2026-11-01"):
        parse_since("last tuesday")


def test_the_cli_writes_ndjson_to_a_file_or_stdout(tmp_path: Path, capfdbinary: pytest.CaptureFixture[bytes]) -> None:
    with HistoryStore() as kept:
        kept.record(varied_assessment(3))
    out = tmp_path / "x.ndjson"
    assert main(["export", "--format", "ocsf", "--out", str(out)]) == 0
    assert b"wrote 1 OCSF documents" in capfdbinary.readouterr().err and len(lines(out)) == 1  # 3 endpoints, 1 finding
    assert main(["export", "--since", "2020-01-01"]) == 0
    written = capfdbinary.readouterr().out.decode("utf-8").splitlines()
    assert len(written) == 4 and json.loads(written[0])["event"]["module"] == "databorder"
    assert main(["export", "--since", "soon"]) == 3


def test_this_host_reads_the_machine_id(tmp_path: Path) -> None:
    (tmp_path / "machine-id").write_text("feedface" * 4 + "\n", encoding="ascii")
    assert this_host(tmp_path / "machine-id").id == "feedface" * 4
    assert this_host(tmp_path / "none").id is None
