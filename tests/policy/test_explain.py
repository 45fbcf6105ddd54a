from __future__ import annotations

from databorder.policy import find_pack, load_pack
from databorder.policy.explain import explain_pack, explain_rule
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
