from __future__ import annotations

import dataclasses

from databorder.model import Finding
from databorder.policy import find_pack, load_pack
from databorder.policy.explain import explain_pack, explain_rule, findings_by_rule, law_reach, strongest_reasons
from tests.helpers.shipped import pack_version


def test_explain_pack_renders_inheritance_sets_conditions_and_sources() -> None:
    pack = load_pack(*find_pack("us-navy-genai"))
    text = "\n".join(explain_pack(pack))
    assert text.startswith(f"us-navy-genai {pack_version('us-navy-genai')} — US Navy-style generative-AI ban")
    assert "Extends: us-countries-of-concern" in text
    assert "countries_of_concern (countries): CN, CU, HK, IR, KP, MO, RU, VE" in text
    assert "PROHIBIT +40  hosting-in-country-of-concern  [from us-countries-of-concern]" in text
    assert "US Navy e-mail to personnel on DeepSeek, 24 Jan 2025" in text
    genai = next(r for r in pack.rules if r.id == "genai-from-country-of-concern")
    sentence = explain_rule(genai, pack).condition
    assert sentence == (
        "An endpoint matches when the service is of a category in genai (genai); and the service operator, or a "
        "company owning it up to the ultimate parent, is in countries_of_concern (CN, CU, HK, IR, KP, MO, RU, VE)."
    )


def test_long_sets_are_shortened_and_flags_read_as_words() -> None:
    pack = load_pack(*find_pack("eu-gdpr-transfers"))
    text = "\n".join(explain_pack(pack))
    assert "eea_and_adequate (countries): AD, AR, AT, BE, BG, BR, CA, CH, CY, CZ, DE, DK … and 33 more" in text
    assert "it is reached over unencrypted transport (ftp, http, telnet, ws)" in text


def _finding(rule: str, endpoint: str, operator: str, severity: str = "prohibit", points: int = 40,
             adjustments: tuple[str, ...] = ()) -> Finding:  # fmt: skip
    return Finding(rule, "p", severity, points, endpoint, f"{endpoint} is run by {operator} (CN): banned",  # type: ignore[arg-type]
                   "service", f"operator {operator}", "28 CFR 202.211", adjustments)  # fmt: skip


def test_findings_are_grouped_by_rule_and_said_once_per_wording() -> None:
    findings = [
        _finding("info-rule", "a.chat.test", "Chat Ltd", "info", 0),
        _finding("cn-operator", "b.chat.test", "Chat Ltd"),
        _finding("cn-operator", "a.chat.test", "Chat Ltd"),
        _finding("cn-operator", "c.other.test", "Other Co"),
        _finding("cn-operator", "d.other.test", "Other Co", "review", 20, ("seen only in a static scan",)),
        _finding("genai", "a.chat.test", "Chat Ltd", "review", 10),
    ]
    groups = findings_by_rule(findings)
    assert [g.rule for g in groups] == ["cn-operator", "genai", "info-rule"]  # strongest severity, then points
    cn = groups[0]
    assert cn.endpoints == ("a.chat.test", "b.chat.test", "c.other.test", "d.other.test")
    assert cn.points == 140 and cn.severity == "prohibit" and cn.citation == "28 CFR 202.211"
    assert [v.endpoints for v in cn.variants] == [("a.chat.test", "b.chat.test"), ("c.other.test",), ("d.other.test",)]
    assert cn.variants[2].example.severity == "review"  # an adjusted finding is a variant of its own
    pattern, differing = cn.wording()
    assert pattern == "(endpoint) is run by … (CN): banned"
    assert differing == ["Chat Ltd", "Other Co", "Other Co"]
    assert groups[1].wording() == ("(endpoint) is run by Chat Ltd (CN): banned", [""])


def test_the_strongest_reasons_are_one_per_rule_and_law_reach_follows_the_chains() -> None:
    from tests.helpers.assessments import who_runs_it_assessment

    base = who_runs_it_assessment()
    arm = base.endpoints[0]
    assert arm.service is not None and arm.service.parent_chain
    findings = (
        _finding("cn-operator", arm.key, "Chat Pte. Ltd."),
        _finding("cn-operator", "other.chat.test", "Chat Pte. Ltd."),
        _finding("genai", arm.key, "Chat Pte. Ltd.", "review", 10),
        _finding("genai", "other.chat.test", "Chat Pte. Ltd.", "review", 10),
    )
    assessment = dataclasses.replace(base, findings=findings)
    assert (reasons := strongest_reasons(assessment)) == [
        f"PROHIBIT: {arm.key} is run by Chat Pte. Ltd. (CN): banned; the same rule (cn-operator) hit 1 other endpoint.",
        # a reason names an endpoint no earlier one named, where its rule's strongest findings allow
        "REVIEW: other.chat.test is run by Chat Pte. Ltd. (CN): banned; the same rule (genai) hit 1 other endpoint.",
    ]
    assert strongest_reasons(assessment, count=1) == reasons[:1]
    assert strongest_reasons(dataclasses.replace(base, findings=())) == []
    reach = law_reach(assessment)
    chain = [arm.service.country, *(link.country for link in arm.service.parent_chain)]
    assert [r.country for r in reach] == sorted(dict.fromkeys(c for c in chain if c))  # ties: by country code
    owner = arm.service.parent_chain[-1]
    held = next(r for r in reach if r.country == owner.country)
    assert owner.name in held.companies and held.endpoints == (arm.key,) and held.severity == "prohibit"
    assert all(r.endpoints == (arm.key,) for r in reach)  # the endpoint nobody attributed reaches no country
