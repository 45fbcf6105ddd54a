from __future__ import annotations

import csv
import dataclasses
from pathlib import Path

from databorder.model import AddressAttribution
from databorder.report.csvout import COLUMNS, write_csv
from tests.model.test_model import sample_assessment


def test_one_row_per_address_and_formulas_stay_text(tmp_path: Path) -> None:
    sample = sample_assessment()
    endpoint = sample.endpoints[0]
    second = AddressAttribution("=HYPERLINK(1)", "public", "US", 1, "+evil", None, False)
    sample = dataclasses.replace(
        sample, endpoints=(dataclasses.replace(endpoint, addresses=(*endpoint.addresses, second)),)
    )
    path = tmp_path / "out.csv"
    assert write_csv(sample, path) == 2
    with path.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert tuple(rows[0]) == COLUMNS
    assert (rows[0]["endpoint"], rows[0]["address"], rows[0]["hosting_country"]) == (
        "api.chat.test",
        "203.0.113.10",
        "CN",
    )
    assert rows[0]["network_operator"] == "Alibaba Cloud" and rows[0]["worst_finding"] == "prohibit"
    assert rows[0]["service_operator"] == "Chat Ltd" and rows[0]["points"] == "40"
    assert rows[1]["address"] == "'=HYPERLINK(1)" and rows[1]["network_operator"] == "'+evil"


def test_the_cloud_region_and_geoips_country_have_columns(tmp_path: Path) -> None:
    from tests.helpers.assessments import full_assessment

    path = tmp_path / "full.csv"
    write_csv(full_assessment(), path)
    with path.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    clouds = [(r["address"], r["cloud_region"], r["geoip_country"]) for r in rows if r["cloud_region"]]
    assert clouds == [("203.0.113.10", "AWS ap-east-1 (Hong Kong, HK)", "CN")]


def test_an_uncertain_hosting_country_has_both_geoip_answers(tmp_path: Path) -> None:
    from tests.helpers.assessments import EMBEDDED_SOURCE, MAXMIND_SOURCE, two_geoip_assessment

    path = tmp_path / "two.csv"
    write_csv(two_geoip_assessment(), path)
    with path.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    uncertain = [(r["hosting_country"], r["hosting_uncertain"], r["geoip_answers"]) for r in rows if r["geoip_answers"]]
    assert uncertain == [("US", "yes", f"{MAXMIND_SOURCE}: US; {EMBEDDED_SOURCE}: DE")]
    assert {r["hosting_uncertain"] for r in rows if r["address"] and r not in rows[:1]} <= {"no"}
