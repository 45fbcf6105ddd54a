from __future__ import annotations

from collections.abc import Callable

import pytest

from databorder.model import (
    AddressAttribution,
    Assessment,
    DatabaseRef,
    Endpoint,
    Evidence,
    Finding,
    NetworkOperator,
    PackRef,
    Resolution,
    ServiceAttribution,
    Target,
    Tool,
    strongest,
)


def sample_assessment() -> Assessment:
    address = AddressAttribution(
        ip="203.0.113.10",
        scope="public",
        country="CN",
        asn=37963,
        as_organization="Hangzhou Alibaba Advertising Co.,Ltd.",
        network_operator=NetworkOperator(name="Alibaba Cloud", country="CN", parent="Alibaba Group", source="APNIC"),
        anycast=False,
    )
    endpoint = Endpoint(
        host="api.chat.test",
        ip=None,
        registrable_domain="chat.test",
        relevance=1.0,
        evidence=(Evidence(collector="list", source="hosts.txt", location="line 2", excerpt="api.chat.test"),),
        resolution=Resolution(status="ok", cname_chain=("edge.cdn.test",), nameserver="127.0.0.1:5353"),
        addresses=(address,),
        service=ServiceAttribution(operator="Chat Ltd", country="CN", source="test table"),
        ports=(443,),
        schemes=("https",),
    )
    return Assessment(
        tool=Tool(name="DataBorder", version="0.1.0"),
        created="2026-11-24T12:00:00+00:00",
        target=Target(kind="hosts", name="hosts.txt", detail="1 entries"),
        verdict="prohibit",
        score=60,
        band="high",
        packs=(PackRef(id="p", version="1", sha256="0" * 64),),
        databases=(DatabaseRef(kind="country", source="fixture", build_date="2026-06-17", sha256="a" * 64),),
        endpoints=(endpoint,),
        findings=(
            Finding(
                rule="r",
                pack="p",
                severity="prohibit",
                points=40,
                endpoint="api.chat.test",
                message="m",
                facet="hosting",
                fact="203.0.113.10 is hosted in CN",
            ),
        ),
        warnings=("w",),
    )


def test_assessment_round_trips_through_json(check_schema: Callable[[object], dict[str, object]]) -> None:
    original = sample_assessment()
    data = check_schema(original)
    assert data["schema_version"] == 1
    assert set(data) >= {"tool", "created", "target", "verdict", "score", "band", "packs", "databases"}
    again = Assessment.from_json(original.to_json())
    assert again == original
    assert isinstance(again.endpoints[0].evidence, tuple)


def test_newer_json_with_extra_fields_still_opens() -> None:
    text = sample_assessment().to_json().replace('"band": "high"', '"band": "high", "future_field": [1, 2]')
    assert Assessment.from_json(text).band == "high"


def test_wrong_schema_version_and_bad_values_are_refused() -> None:
    text = sample_assessment().to_json()
    with pytest.raises(ValueError, match="schema_version"):
        Assessment.from_json(text.replace('"schema_version": 1', '"schema_version": 2'))
    with pytest.raises(ValueError, match="not one of"):
        Assessment.from_json(text.replace('"verdict": "prohibit"', '"verdict": "maybe"'))


def test_strongest_severity() -> None:
    assert strongest([]) is None
    assert strongest(["info", "prohibit", "review"]) == "prohibit"
