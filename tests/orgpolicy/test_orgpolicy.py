"""The organisation's policy file: read, checked with file and line, enforced by the CLI (and the GUI)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from hypothesis import given

from databorder.cli import main
from databorder.nameserver import Nameserver
from databorder.orgpolicy import OrgPolicy, OrgPolicyError, load_org_policy
from tests.conftest import DnsZone, FixtureDatabases
from tests.helpers.fuzz import FUZZ, bounded, mutated
from tests.helpers.orgpolicy import write_policy
from tests.helpers.schema import check_assessment

EXAMPLE = Path(__file__).resolve().parents[2] / "packaging" / "policy.example.toml"


def test_no_file_is_an_empty_policy_that_locks_nothing() -> None:
    policy = load_org_policy()
    assert policy == OrgPolicy()
    assert not any(policy.locked(s) for s in ("country_db", "asn_db", "nameserver", "rdap", "report_header"))
    assert policy.defaults() == {} and policy.locks() == {}


def test_a_full_policy_is_read_and_relative_paths_are_the_policys_own(tmp_path: Path) -> None:
    path = write_policy(
        '[packs]\ndefault = ["eu-gdpr-transfers"]\nmandatory = ["us-navy-genai"]\n'
        '[geoip]\ncountry_db = "data/country.mmdb"\nasn_db = "/srv/asn.mmdb"\n'
        '[dns]\nnameserver = "192.0.2.53"\n[enrichment]\nonline = false\n'
        '[report]\norganisation = "Example Corp"\nlogo = "logo.png"\n'
    )
    policy = load_org_policy()
    assert policy.source == path
    assert policy.default_packs == ("eu-gdpr-transfers",) and policy.mandatory_packs == ("us-navy-genai",)
    assert policy.report_logo == path.parent / "logo.png" and policy.report_organisation == "Example Corp"
    assert not policy.online_enrichment_allowed
    for setting in ("country_db", "asn_db", "nameserver", "rdap", "probe", "report_header"):
        assert policy.locked(setting), setting
    assert not policy.locked("offline")
    assert policy.defaults() == {"packs": ("eu-gdpr-transfers",)}
    assert policy.locks() == {
        "country_db": path.parent / "data" / "country.mmdb",
        "asn_db": Path("/srv/asn.mmdb"),
        "nameserver": Nameserver("192.0.2.53"),
        "rdap": False,  # [enrichment] online = false turns every online option off
        "probe": False,
    }


def test_the_policys_keys_come_from_the_option_declarations() -> None:
    from databorder.options import OPTIONS

    lines = [f"[{spec.policy.section}]\n" for spec in OPTIONS if spec.policy is not None]
    assert "[dns]\n" in lines and "[geoip]\n" in lines
    write_policy("[dns]\ntimeout = 3\n")
    with pytest.raises(OrgPolicyError, match="has no key 'timeout'; known: nameserver"):
        load_org_policy()


@pytest.mark.parametrize(
    ("text", "where", "problem"),
    [
        ("[packs]\nmandatory = = 1\n[dns]\n", "line 2", "not valid TOML"),
        ("[packs]\ndefault = []\n\n[dns]\nnameserver = 53\n", "line 5", "must be a text"),
        ("[geoip]\ncountry = 'x.mmdb'\n", "line 2", "has no key 'country'"),
        ("[reports]\norganisation = 'x'\n", "line 1", "unknown section 'reports'"),
        ("[packs]\nmandatory = ['a', 3]\n", "line 2", "a list of pack ids"),
        ("[dns]\n\nnameserver = 'dns.example.test'\n", "line 3", "not an IP address"),
        ("[enrichment]\nonline = 'no'\n", "line 2", "true or false"),
    ],
)
def test_a_broken_policy_names_file_line_and_problem(text: str, where: str, problem: str) -> None:
    write_policy(text)
    with pytest.raises(OrgPolicyError) as caught:
        load_org_policy()
    assert "policy.toml" in str(caught.value) and where in str(caught.value) and problem in str(caught.value)


def test_the_shipped_example_policy_is_valid_and_changes_nothing_until_edited() -> None:
    policy = load_org_policy(EXAMPLE)
    assert policy.source == EXAMPLE
    assert policy.mandatory_packs == () and policy.default_packs is None and policy.values == {}


def test_the_cli_applies_mandatory_packs_and_locked_settings_and_says_so(
    capsys: pytest.CaptureFixture[str], dns_zone: DnsZone, fixture_dbs: FixtureDatabases, tmp_path: Path
) -> None:
    write_policy(
        f'[packs]\nmandatory = ["sanctions-ofac"]\n[geoip]\ncountry_db = "{fixture_dbs.country}"\n'
        f'asn_db = "{fixture_dbs.asn}"\n[dns]\nnameserver = "{dns_zone.nameserver}"\n'
        '[report]\norganisation = "Example Corp Security"\n'
    )
    out = tmp_path / "a.json"
    pdf = tmp_path / "a.pdf"
    code = main(["assess", "ir.app.test", "--nameserver", "198.51.100.1", "--json", str(out), "--pdf", str(pdf), "-q"])
    err = capsys.readouterr().err
    assert code == 0
    assert "nameserver is set by your organisation's policy" in err
    saved = check_assessment(out)
    assert [p["id"] for p in saved["packs"]] == ["us-countries-of-concern", "sanctions-ofac"]
    assert saved["nameserver"] == dns_zone.nameserver
    assert any("sanctions-ofac applied: mandatory" in n for n in saved["notes"])
    endpoint = saved["endpoints"][0]
    assert endpoint["addresses"][0]["country"] == "IR"  # the fixture database named by the policy was used
    text = subprocess.run(["pdftotext", "-l", "1", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "Example Corp Security" in text


def test_a_broken_policy_stops_the_cli_with_a_sentence(capsys: pytest.CaptureFixture[str]) -> None:
    write_policy("[packs]\nmandatory = 'one'\n")
    assert main(["assess", "x.test", "--offline"]) == 3
    assert "policy.toml, line 2: [packs] mandatory must be a list of pack ids" in capsys.readouterr().err


@FUZZ
@given(mutated("policy"))
def test_fuzz_a_damaged_policy_is_read_or_refused_with_a_sentence(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "policy.toml"
    path.write_bytes(data)
    found = bounded(lambda: load_org_policy(path))
    assert found is None or isinstance(found, OrgPolicy)
