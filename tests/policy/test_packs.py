from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from databorder.errors import RulePackError
from databorder.policy import available_packs, find_pack, load_pack, load_packs
from tests.helpers.fuzz import FUZZ, bounded, mutated

GOOD = """\
[pack]
id = "test-pack"
title = "Test pack"
version = "2.1"
sources = ["Test regulation 1.2", { cite = "Other rule", url = "https://example.test/rule" }]

[sets]
concern = { countries = ["CN", "RU"] }
clouds = { asns = [37963, 45102] }
vendors = { operators = ["Alibaba Cloud (Aliyun)"] }

[[rules]]
id = "hosted-in-concern"
facet = "hosting"
when = { country_in = "concern" }
severity = "prohibit"
points = 40
message = "{endpoint} is hosted in {values}"
cite = "Test regulation 1.2"

[[rules]]
id = "on-cloud"
facet = "network"
when = { asn_in = "clouds" }
severity = "review"
points = 10
message = "{endpoint} runs on {values}"
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "pack.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_good_pack_loads_with_sets_rules_and_a_hash(tmp_path: Path) -> None:
    pack = load_pack(write(tmp_path, GOOD))
    assert (pack.id, pack.title, pack.version) == ("test-pack", "Test pack", "2.1")
    assert pack.sources == ("Test regulation 1.2", "Other rule <https://example.test/rule>")
    assert pack.sets["concern"] == frozenset({"CN", "RU"})
    assert pack.sets["clouds"] == frozenset({"37963", "45102"})
    assert pack.sets["vendors"] == frozenset({"alibaba cloud (aliyun)"})
    assert [r.id for r in pack.rules] == ["hosted-in-concern", "on-cloud"]
    assert len(pack.sha256) == 64 and pack.ref.id == "test-pack"


def test_shipped_pack_is_valid_and_cites_28_cfr_202() -> None:
    pack = load_pack(*find_pack("us-countries-of-concern"))
    assert pack.sets["countries_of_concern"] == frozenset({"CN", "HK", "MO", "CU", "IR", "KP", "RU", "VE"})
    assert {r.facet for r in pack.rules} == {"hosting", "network", "service", "any"}
    assert any("202.601" in s for s in pack.sources)


@pytest.mark.parametrize(
    ("change", "line", "fragment"),
    [
        (("points = 40", "points = 400"), 17, "points must be a whole number from 0 to 100"),
        (('severity = "review"', 'severity = "block"'), 25, "severity must be one of info, review, prohibit"),
        (('facet = "network"', 'facet = "planet"'), 23, "facet must be one of"),
        (('when = { asn_in = "clouds" }', 'when = { asn_in = "nope" }'), 24, "'nope', which is not a set"),
        (('when = { asn_in = "clouds" }', 'when = { asn_in = "concern" }'), 24, "needs a set of asns"),
        (('when = { asn_in = "clouds" }', 'when = { near = "clouds" }'), 24, "unknown condition 'near'"),
        (('"{endpoint} runs on {values}"', '"{endpoint} in {country}"'), 27, "unknown placeholder {country}"),
        (("\ncite = ", "\ncitation = "), 19, "unknown key 'citation'"),
        (('"CN", "RU"', '"CN", "Russia"'), 8, "'Russia' is not an ISO 3166-1 alpha-2 country code"),
        (('version = "2.1"', 'version = ""'), 4, "needs a non-empty text 'version'"),
        (('id = "on-cloud"', 'id = "hosted-in-concern"'), 22, "used twice"),
        (("points = 10", "points = 10\npoints = 11"), 27, "is not valid TOML"),
        (('title = "Test pack"', 'title = "Test pack'), 3, "is not valid TOML"),
    ],
)
def test_broken_packs_name_file_line_and_problem(
    tmp_path: Path, change: tuple[str, str], line: int, fragment: str
) -> None:
    old, new = change
    assert old in GOOD
    path = write(tmp_path, GOOD.replace(old, new, 1))
    with pytest.raises(RulePackError) as caught:
        load_pack(path)
    message = str(caught.value)
    assert message.startswith(f"{path}, line {line}: "), message
    assert fragment in message


def test_missing_pack_table_sources_and_rules(tmp_path: Path) -> None:
    with pytest.raises(RulePackError, match="has no \\[pack\\] table"):
        load_pack(write(tmp_path, "[sets]\n"))
    no_sources = GOOD.replace(
        'sources = ["Test regulation 1.2", { cite = "Other rule", url = "https://example.test/rule" }]\n', ""
    )
    with pytest.raises(RulePackError, match="needs 'sources'"):
        load_pack(write(tmp_path, no_sources))
    with pytest.raises(RulePackError, match="has no \\[\\[rules\\]\\]"):
        load_pack(write(tmp_path, GOOD.split("[[rules]]")[0]))


def test_unknown_pack_id_lists_the_shipped_ones() -> None:
    with pytest.raises(RulePackError, match=r"known packs: .*us-countries-of-concern"):
        find_pack("no-such-pack")


def test_unreadable_pack_files(tmp_path: Path) -> None:
    with pytest.raises(RulePackError, match="does not exist"):
        load_pack(tmp_path / "nope.toml")
    binary = tmp_path / "bin.toml"
    binary.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(RulePackError, match="not UTF-8"):
        load_pack(binary)


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=150)
@given(st.text(max_size=300))
def test_any_text_either_loads_or_raises_a_rule_pack_error(tmp_path: Path, text: str) -> None:
    path = write(tmp_path, text)
    try:
        load_pack(path)
    except RulePackError as exc:
        assert str(exc).startswith(str(path))


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=150)
@given(st.data())
def test_mutated_good_pack_either_loads_or_raises_a_rule_pack_error(tmp_path: Path, data: st.DataObject) -> None:
    start = data.draw(st.integers(0, len(GOOD) - 1))
    length = data.draw(st.integers(0, 20))
    insert = data.draw(st.text(alphabet='[]{}="\n ,a1#', max_size=5))
    path = write(tmp_path, GOOD[:start] + insert + GOOD[start + length :])
    try:
        load_pack(path)
    except RulePackError as exc:
        assert str(exc).startswith(str(path))


# --- extends, regions, new set kinds, weights, where packs come from -----------------------------------------


@pytest.fixture
def pack_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    """Empty system and user rule folders, so tests control what shadows the shipped packs."""
    system = tmp_path / "etc-databorder"
    user = tmp_path / "home-config"
    (system / "rules").mkdir(parents=True)
    (user / "databorder" / "rules").mkdir(parents=True)
    monkeypatch.setenv("DATABORDER_SYSTEM_CONFIG", str(system))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(user))
    return system / "rules", user / "databorder" / "rules"


def pack_text(pack_id: str, body: str, *, extends: str = "", extra: str = "") -> str:
    header = f'[pack]\nid = "{pack_id}"\ntitle = "T"\nversion = "1"\nsources = ["s"]\n{extends}{extra}\n'
    return header + body


RULE = (
    '[[rules]]\nid = "r"\nfacet = "hosting"\nwhen = {{ country_in = "{set}" }}\nseverity = "review"\npoints = 5\n'
    'message = "m"\n'
)


def test_extends_inherits_overrides_and_disables(pack_dirs: tuple[Path, Path]) -> None:
    _system, user = pack_dirs
    child = user / "child.toml"
    child.write_text(
        pack_text(
            "child",
            '[sets]\ncountries_of_concern = { countries = ["CN"] }\n'  # narrows the parent's set
            '[[rules]]\nid = "hosting-in-country-of-concern"\nfacet = "hosting"\n'
            'when = { country_in = "countries_of_concern" }\nseverity = "review"\npoints = 5\nmessage = "mine"\n',
            extends='extends = ["us-countries-of-concern"]\n',
            extra='disable = ["network-operator-from-country-of-concern"]\n',
        ),
        encoding="utf-8",
    )
    pack = load_pack(*find_pack("child"))
    rules = {r.id: r for r in pack.rules}
    assert set(rules) == {
        "hosting-in-country-of-concern",
        "service-operator-from-country-of-concern",
        "hosting-unknown",
        "operator-unknown",
    }
    assert (rules["hosting-in-country-of-concern"].pack, rules["hosting-in-country-of-concern"].points) == ("child", 5)
    assert rules["service-operator-from-country-of-concern"].pack == "us-countries-of-concern"
    assert pack.sets["countries_of_concern"] == frozenset({"CN"})
    assert pack.ancestors == frozenset({"us-countries-of-concern"}) and pack.origin == "user"


def test_cyclic_extends_is_refused_with_the_circle(pack_dirs: tuple[Path, Path]) -> None:
    _system, user = pack_dirs
    (user / "a.toml").write_text(pack_text("a", RULE.format(set="x") + '[sets]\nx = { countries = ["CN"] }\n',
                                           extends='extends = ["b"]\n'))  # fmt: skip
    (user / "b.toml").write_text(pack_text("b", "", extends='extends = ["a"]\n'))
    with pytest.raises(RulePackError, match=r"a\.toml, line 6: 'extends' goes round in a circle: a → b → a"):
        load_pack(*find_pack("a"))


@pytest.mark.parametrize(
    ("extra", "body", "fragment"),
    [
        ('extends = ["nope"]\n', "", "extends 'nope', but no pack has that id"),
        ('extends = ["us-countries-of-concern"]\ndisable = ["zzz"]\n', "", "'disable' names rule 'zzz'"),
        ("weight = 11\n", RULE.format(set="x") + '[sets]\nx = { countries = ["CN"] }\n', "'weight' must be a number"),
        ('mandatory = "yes"\n', RULE.format(set="x") + '[sets]\nx = { countries = ["CN"] }\n', "'mandatory' must be"),
        ("", RULE.format(set="x") + '[sets]\nx = { countries = ["XX"] }\n', "'XX' is not an ISO 3166-1"),
        ("", RULE.format(set="x") + '[sets]\nx = { regions = ["atlantis"] }\n', "'atlantis' is not a known region"),
        ("", RULE.format(set="x") + '[sets]\nx = { domains = ["bad domain"] }\n', "not a domain or '*.domain'"),
        (
            "",
            RULE.format(set="x") + '[sets]\nx = { asns = [1], regions = ["eea"] }\n',
            "regions belong in a set of countries",
        ),
        ("", RULE.format(set="x") + '[sets]\nx = { roles = ["api"] }\n', "country_in needs a set of countries"),
    ],
)
def test_more_broken_packs(tmp_path: Path, extra: str, body: str, fragment: str) -> None:
    path = write(tmp_path, pack_text("p", body, extra=extra))
    with pytest.raises(RulePackError, match=re.escape(fragment)):
        load_pack(path)


def test_regions_domains_roles_categories_and_weight(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        pack_text(
            "p",
            "[sets]\n"
            'home = { countries = ["CH"], regions = ["eea"] }\n'
            'ai = { domains = ["Example.test", "*.cdn.test"] }\n'
            'roles = { roles = ["telemetry"] }\n'
            'kinds = { categories = ["GenAI"] }\n'
            '[[rules]]\nid = "r"\nfacet = "service"\n'
            'when = { country_not_in = "home", domain_matches = "ai", role_in = "roles", category_in = "kinds", '
            "cleartext = true }\n"
            'severity = "review"\npoints = 5\nmessage = "m"\n',
            extra="weight = 2.5\n",
        ),
    )
    pack = load_pack(path)
    assert {"CH", "DE", "NO", "IS", "LI"} <= pack.sets["home"] and "GB" not in pack.sets["home"]
    assert pack.sets["ai"] == frozenset({"example.test", "*.cdn.test"})
    assert pack.sets["kinds"] == frozenset({"genai"})
    assert pack.weight == 2.5 and pack.ref.weight == 2.5 and pack.ref.origin == "file"
    assert set(pack.rules[0].when) == {"country_not_in", "domain_matches", "role_in", "category_in", "cleartext"}


def test_search_order_system_then_user_then_shipped_and_mandatory_packs(pack_dirs: tuple[Path, Path]) -> None:
    system, user = pack_dirs
    body = RULE.format(set="x") + '[sets]\nx = { countries = ["CN"] }\n'
    (user / "us-countries-of-concern.toml").write_text(pack_text("us-countries-of-concern", body))
    assert find_pack("us-countries-of-concern")[1] == "user"
    (system / "us-countries-of-concern.toml").write_text(pack_text("us-countries-of-concern", body))
    assert find_pack("us-countries-of-concern")[1] == "system"
    (system / "org.toml").write_text(pack_text("org", body, extra="mandatory = true\n"))
    packs, notes = load_packs(["eu-gdpr-transfers"])
    assert [p.id for p in packs] == ["org", "eu-gdpr-transfers"] and notes == []
    assert {pid for pid, _, _ in available_packs()} >= {"org", "us-navy-genai", "us-countries-of-concern"}


def test_a_parent_applied_with_its_child_is_applied_once_through_the_child(pack_dirs: tuple[Path, Path]) -> None:
    packs, notes = load_packs(["us-countries-of-concern", "us-navy-genai"])
    assert [p.id for p in packs] == ["us-navy-genai"]
    assert notes == ["pack us-countries-of-concern is applied through us-navy-genai, which extends it"]


CLOUD_RULE = (
    '[[rules]]\nid = "c"\nfacet = "{facet}"\nwhen = {{ cloud_region_not_in = "x" }}\nseverity = "review"\n'
    'points = 5\nmessage = "{{endpoint}} runs in {{values}}"\n'
)


def test_cloud_region_sets_name_regions_or_a_providers_regions_in_some_countries(tmp_path: Path) -> None:
    body = CLOUD_RULE.format(facet="hosting") + (
        '[sets]\nx = { cloud_regions = ["aws", "gcp"], regions = ["eu"] }\n'
        'y = { cloud_regions = ["aws:eu-central-1", "Azure:germanywc"] }\n'
    )
    with pytest.raises(RulePackError, match="'Azure:germanywc' names no cloud provider; known: aws, gcp"):
        load_pack(write(tmp_path, pack_text("p", body)))
    pack = load_pack(write(tmp_path, pack_text("p", body.replace("Azure:", "azure:"))))
    eu = pack.sets["x"]
    assert {"aws:eu-central-1", "aws:eu-west-1", "gcp:europe-west3", "gcp:europe-west1"} <= eu
    assert not {"aws:eu-west-2", "aws:eu-central-2", "gcp:europe-west6", "aws:us-east-1"} & eu  # GB, CH, US
    assert pack.sets["y"] == {"aws:eu-central-1", "azure:germanywc"} and pack.set_kinds["y"] == "cloud_regions"


@pytest.mark.parametrize(
    ("sets", "facet", "fragment"),
    [
        ('x = { cloud_regions = ["aws:mars-north-1"] }', "hosting", "'mars-north-1' is not a region of aws"),
        ('x = { cloud_regions = ["aws"], asns = [1] }', "hosting", "may add only countries and regions"),
        ("x = { cloud_regions = [] }", "hosting", "cloud_regions must be a list like"),
        ('x = { cloud_regions = ["oracle"], countries = ["AQ"] }', "hosting", "no listed region of those providers"),
        ('x = { cloud_regions = ["aws"] }', "service", "cloud_region_not_in is about addresses"),
        ('x = { countries = ["DE"] }', "hosting", "cloud_region_not_in needs a set of cloud_regions"),
    ],
)
def test_broken_cloud_region_sets_and_rules(tmp_path: Path, sets: str, facet: str, fragment: str) -> None:
    path = write(tmp_path, pack_text("p", CLOUD_RULE.format(facet=facet) + f"[sets]\n{sets}\n"))
    with pytest.raises(RulePackError, match=re.escape(fragment)):
        load_pack(path)


@FUZZ
@given(mutated("pack"))
def test_fuzz_a_damaged_pack_loads_or_raises_a_rule_pack_error(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "fuzz.toml"
    path.write_bytes(data)
    pack = bounded(lambda: load_pack(path))
    assert pack is None or pack.rules is not None


PRACTICE_RULE = (
    '[[rules]]\nid = "trains"\nfacet = "service"\nwhen = {when}\nseverity = "review"\npoints = 10\nmessage = "m"\n'
)


def test_rules_on_vendor_facts_unknown_is_risk_and_rule_weights(pack_dirs: tuple[Path, Path]) -> None:
    _system, user = pack_dirs
    (user / "base.toml").write_text(
        pack_text(
            "base",
            PRACTICE_RULE.format(when='{ trains_on_user_data = "yes", retention = ["1-year", "longer"] }')
            + '[[rules]]\nid = "moved"\nfacet = "any"\nwhen = { stored_outside_declared = true }\n'
            'severity = "review"\npoints = 10\nmessage = "m"\n',
        ),
        encoding="utf-8",
    )
    base = load_pack(*find_pack("base"))
    assert dict(base.rules[0].when) == {"trains_on_user_data": ("yes",), "retention": ("1-year", "longer")}
    assert base.rules[1].when == {"stored_outside_declared": True}
    assert not base.unknown_is_risk and base.weights == {} and base.factor("trains") == 1
    (user / "strict.toml").write_text(
        pack_text(
            "strict",
            "[weights]\ntrains = 3\nmoved = 0\n",
            extends='extends = ["base"]\n',
            extra="unknown_is_risk = true\nweight = 2\n",
        ),
        encoding="utf-8",
    )
    strict = load_pack(*find_pack("strict"))
    assert strict.unknown_is_risk and strict.weights == {"trains": 3.0, "moved": 0.0}
    assert (strict.factor("trains"), strict.factor("moved")) == (6.0, 0.0)
    (user / "stricter.toml").write_text(pack_text("stricter", "", extends='extends = ["strict"]\n'), encoding="utf-8")
    stricter = load_pack(*find_pack("stricter"))
    assert stricter.unknown_is_risk and stricter.weights == {"trains": 3.0, "moved": 0.0}


@pytest.mark.parametrize(
    ("extra", "body", "fragment"),
    [
        (
            "",
            PRACTICE_RULE.format(when='{ trains_on_user_data = "maybe" }'),
            "rule 'trains': trains_on_user_data takes one of yes, no, unknown (or a list of them), not 'maybe'",
        ),
        ("", PRACTICE_RULE.format(when="{ retention = [] }"), "retention takes one of none, 30-days"),
        (
            "",
            PRACTICE_RULE.format(when='{ dpa = "no" }').replace('"service"', '"hosting"'),
            "dpa is a fact about the vendor; use the service facet",
        ),
        ('unknown_is_risk = "yes"\n', PRACTICE_RULE.format(when='{ dpa = "no" }'), "'unknown_is_risk' must be true"),
        (
            "",
            PRACTICE_RULE.format(when='{ dpa = "no" }') + "[weights]\nother = 2\n",
            "line 15: [weights] names rule 'other', which this pack neither has nor inherits",
        ),
        ("", PRACTICE_RULE.format(when='{ dpa = "no" }') + '[weights]\ntrains = "x"\n', "the weight must be a number"),
        (
            "weight = 5\n",
            PRACTICE_RULE.format(when='{ dpa = "no" }') + "[weights]\ntrains = 3\n",
            "3 × the pack's weight 5 is more than 10",
        ),
        ("", PRACTICE_RULE.format(when="{ other_model_vendor = 1 }"), "other_model_vendor takes true or false"),
    ],
)
def test_broken_practice_rules_and_weights(tmp_path: Path, extra: str, body: str, fragment: str) -> None:
    path = write(tmp_path, pack_text("p", body, extra=extra))
    with pytest.raises(RulePackError, match=re.escape(fragment)):
        load_pack(path)


def test_the_shipped_practice_pack_and_the_example_load() -> None:
    shipped = load_pack(*find_pack("vendor-data-practices"))
    assert {"vendor-trains-on-user-content", "stored-outside-declared", "other-model-vendor"} <= {
        r.id for r in shipped.rules
    }
    example = load_pack(Path(__file__).resolve().parents[2] / "rules" / "examples" / "strict-practices.toml")
    assert example.unknown_is_risk and example.weights["vendor-trains-on-user-content"] == 2
