from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Callable
from typing import Any

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
    to_jsonable,
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


def test_the_fast_encoding_is_the_canonical_json_of_every_field() -> None:
    """orjson reads the dataclasses itself: its text must be what the standard library makes of to_jsonable."""
    from tests.helpers.assessments import full_assessment, varied_assessment

    for assessment in (sample_assessment(), full_assessment(), varied_assessment(50)):
        assert assessment.to_json() == json.dumps(to_jsonable(assessment), indent=2, ensure_ascii=False)


def test_newer_json_with_extra_fields_still_opens() -> None:
    text = sample_assessment().to_json().replace('"band": "high"', '"band": "high", "future_field": [1, 2]')
    assert Assessment.from_json(text).band == "high"


def test_wrong_schema_version_and_bad_values_are_refused() -> None:
    text = sample_assessment().to_json()
    with pytest.raises(ValueError, match="schema_version"):
        Assessment.from_json(text.replace('"schema_version": 1', '"schema_version": 2'))
    with pytest.raises(ValueError, match="not one of"):
        Assessment.from_json(text.replace('"verdict": "prohibit"', '"verdict": "maybe"'))


def first_release_file() -> dict[str, Any]:
    """A schema_version 1 file as the first release wrote it: only the fields its model had, none added since
    (no roles, confidence, category, origin, weight, registration, observed_addresses, points_total, notes)."""
    return {
        "tool": {"name": "DataBorder", "version": "0.1.0"},
        "created": "2026-06-20T09:30:00+00:00",
        "target": {"kind": "hosts", "name": "hosts.txt", "detail": None},
        "verdict": "prohibit",
        "score": 40,
        "band": "moderate",
        "packs": [{"id": "us-countries-of-concern", "version": "1", "sha256": "c" * 64, "title": "", "source": ""}],
        "databases": [
            {"kind": "country", "source": "embedded", "build_date": "2026-06-01", "sha256": "d" * 64,
             "file": "country.mmdb", "licence": "CC BY 4.0", "attribution": None},
        ],
        "endpoints": [
            {
                "host": "api.chat.test",
                "ip": None,
                "registrable_domain": "chat.test",
                "relevance": 1,
                "evidence": [{"collector": "list", "source": "hosts.txt", "location": "line 1", "excerpt": "api"}],
                "resolution": {"status": "ok", "cname_chain": [], "nameserver": "system resolver", "detail": None},
                "addresses": [
                    {"ip": "203.0.113.10", "scope": "public", "country": "CN", "asn": 37963,
                     "as_organization": "Alibaba", "network_operator": None, "anycast": False},
                ],
                "service": {"operator": "Chat Ltd", "country": "CN", "source": "table"},
                "ports": [],
                "schemes": [],
            }
        ],
        "findings": [
            {"rule": "hosted-in-country-of-concern", "pack": "us-countries-of-concern", "severity": "prohibit",
             "points": 40, "endpoint": "api.chat.test", "message": "m", "facet": "hosting",
             "fact": "203.0.113.10 is hosted in CN", "citation": None},
        ],
        "complete": True,
        "warnings": [],
        "nameserver": "system resolver",
        "offline": False,
        "schema_version": 1,
    }  # fmt: skip


def test_a_file_of_the_first_release_still_opens_with_the_later_fields_at_their_defaults(
    check_schema: Callable[[str], object],
) -> None:
    text = json.dumps(first_release_file())
    check_schema(text)
    old = Assessment.from_json(text)
    endpoint, finding, pack = old.endpoints[0], old.findings[0], old.packs[0]
    assert endpoint.relevance == 1.0 and isinstance(endpoint.relevance, float)
    assert (endpoint.confidence, endpoint.roles, endpoint.observed_addresses) == ("observed", (), ())
    assert endpoint.service is not None and endpoint.service.category is None
    assert endpoint.addresses[0].registration is None
    assert (pack.origin, pack.weight) == ("file", 1.0)
    assert finding.adjustments == ()
    assert (old.points_total, old.notes) == (0, ())
    assert Assessment.from_json(old.to_json()) == old  # and it is written back in today's form


@pytest.mark.parametrize(
    ("path", "field"),
    [
        (("endpoints", 0, "addresses", 0), "scope"),
        (("endpoints", 0, "addresses", 0), "as_organization"),
        (("endpoints", 0), "ip"),
        (("findings", 0), "facet"),
        (("findings", 0), "fact"),
        (("endpoints", 0, "resolution"), "cname_chain"),
        ((), "schema_version"),
    ],
)
def test_a_file_without_a_required_field_is_refused_naming_it(path: tuple[str | int, ...], field: str) -> None:
    data = first_release_file()
    target: Any = data
    for step in path:
        target = target[step]
    del target[field]
    where = "".join(f"[{s}]" if isinstance(s, int) else f".{s}" for s in (*path, field)).lstrip(".")
    with pytest.raises(ValueError, match=rf"the required field {re.escape(where)} is missing|schema_version"):
        Assessment.from_json(json.dumps(data))


def test_a_value_of_the_wrong_type_is_refused_naming_where() -> None:
    data = first_release_file()
    data["endpoints"][0]["addresses"][0]["asn"] = "AS37963"
    with pytest.raises(ValueError, match=r"endpoints\[0\]\.addresses\[0\]\.asn must be an integer, not a string"):
        Assessment.from_json(json.dumps(data))
    data = first_release_file()
    data["endpoints"][0]["evidence"] = {"collector": "list"}
    with pytest.raises(ValueError, match=r"endpoints\[0\]\.evidence must be a list, not an object"):
        Assessment.from_json(json.dumps(data))
    data = first_release_file()
    data["score"] = 40.5
    with pytest.raises(ValueError, match="score must be an integer, not a number"):
        Assessment.from_json(json.dumps(data))
    data["score"] = 40.0  # a whole number written with a point is still one, for JSON Schema too
    assert Assessment.from_json(json.dumps(data)).score == 40
    data = first_release_file()
    data["complete"] = 1
    with pytest.raises(ValueError, match="complete must be true or false, not an integer"):
        Assessment.from_json(json.dumps(data))


def test_strongest_severity() -> None:
    assert strongest([]) is None
    assert strongest(["info", "prohibit", "review"]) == "prohibit"


def test_hosting_reads_as_the_cloud_region_or_geoips_country_with_its_basis() -> None:
    from databorder.model import CloudRegion

    frankfurt = CloudRegion("AWS", "eu-central-1", "DE", "Frankfurt", "EC2", "feed", "2026-10-26")
    unknown = CloudRegion("Oracle Cloud", "xx-new-1", None, None, "OCI", "feed", "2026-10-26", False, ("country",))
    edge = CloudRegion("Cloudflare", None, None, None, None, "feed", "2026-10-26", True)

    def at(cloud: CloudRegion | None, country: str | None = "US", *, anycast: bool = False) -> AddressAttribution:
        return AddressAttribution("198.51.100.1", "public", country, 1, None, None, anycast, None, cloud)

    assert at(frankfurt, "DE").hosting_in_words() == "AWS eu-central-1 (Frankfurt, DE)"
    assert at(frankfurt, "DE").hosting_basis == "AWS's published ranges"
    assert at(unknown).hosting_in_words() == "US (GeoIP; Oracle Cloud xx-new-1, a region of unknown country)"
    assert at(unknown).hosting_basis == "GeoIP"
    assert at(edge, anycast=True).hosting_in_words() == "US (anycast; Cloudflare global/edge range)"
    assert edge.in_words() == "Cloudflare (global/edge range: no evidence of where data rests)"
    assert at(None, None, anycast=True).hosting_in_words() == "? (anycast)"
    local = AddressAttribution("10.0.0.1", "local", None, None, None, None, False)
    assert local.hosting_in_words() == "local"


def test_public_address_makes_what_the_dataclass_makes() -> None:
    from databorder.model import NetworkOperator, public_address

    operator = NetworkOperator("Example", "DE")
    fast = public_address("198.51.100.1", "DE", 64500, "Example AS", operator, True)
    plain = AddressAttribution("198.51.100.1", "public", "DE", 64500, "Example AS", operator, True)
    assert fast == plain and hash(fast) == hash(plain) and repr(fast) == repr(plain)
    assert [getattr(fast, f.name) for f in dataclasses.fields(plain)] == [
        getattr(plain, f.name) for f in dataclasses.fields(plain)
    ]
    with pytest.raises(dataclasses.FrozenInstanceError):
        fast.country = "US"  # type: ignore[misc]


def test_an_uncertain_country_is_each_of_the_geoip_answers() -> None:
    from databorder.model import GeoipAnswer

    answers = (GeoipAnswer("file", "US"), GeoipAnswer("embedded", "DE"))
    uncertain = AddressAttribution("198.51.100.1", "public", "US", None, None, None, False, country_uncertain=True,
                                   geoip_answers=answers)  # fmt: skip
    assert uncertain.possible_countries == ("US", "DE")
    assert uncertain.hosting_in_words() == "US or DE (uncertain: the GeoIP databases disagree)"
    # Answers shown beside a certain country (a cloud region decided, or only one answered) add no country.
    shown = dataclasses.replace(uncertain, country_uncertain=False)
    assert shown.possible_countries == ("US",) and shown.hosting_in_words() == "US"
    assert AddressAttribution("198.51.100.1", "public", None, None, None, None, False).possible_countries == ()
