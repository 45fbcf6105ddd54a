from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from databorder.errors import RulePackError
from databorder.policy import find_pack, load_pack

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
    assert {r.facet for r in pack.rules} == {"hosting", "network", "service"}
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
