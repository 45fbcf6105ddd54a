"""The one resolver: defaults < policy defaults < saved settings < given values, then the policy's locks."""

from __future__ import annotations

from pathlib import Path

import pytest

from databorder.collect.targets import TargetRequest
from databorder.configure import configure
from databorder.nameserver import Nameserver
from databorder.options import save_settings
from databorder.orgpolicy import OrgPolicyError, load_org_policy, policy_path
from tests.helpers.orgpolicy import write_policy


def test_with_nothing_saved_or_given_the_engines_defaults_apply() -> None:
    from databorder.assess import AssessOptions

    config = configure()
    assert config.assess_options() == AssessOptions()
    assert config.request(TargetRequest(hosts=("x.test",))) == TargetRequest(hosts=("x.test",))
    assert set(config.origins.values()) == {"default"} and config.notes == () and config.messages == ()


def test_each_layer_wins_over_the_weaker_ones() -> None:
    write_policy('[packs]\ndefault = ["eu-gdpr-transfers"]\n')
    assert configure()["packs"] == ("eu-gdpr-transfers",)
    save_settings({"packs": ("sanctions-ofac",), "dns_timeout": 2.0, "min_relevance": 0.5})
    config = configure()
    # Saved packs replace the policy's suggested default (the CLI's behaviour; the GUI used to tick both).
    assert config["packs"] == ("sanctions-ofac",) and config.origins["packs"] == "saved"
    assert config.request(TargetRequest(paths=(Path("app"),))).min_relevance == 0.5
    given = configure({"packs": ("us-navy-genai",), "dns_timeout": 1.0, "offline": None, "pack_dirs": ()})
    assert given["packs"] == ("us-navy-genai",) and given["dns_timeout"] == 1.0
    assert given.origins["dns_timeout"] == "given" and given.origins["offline"] == "default"


def test_the_policy_locks_win_and_say_so(fixture_dbs: object) -> None:
    write_policy(
        '[packs]\nmandatory = ["us-navy-genai"]\n[dns]\nnameserver = "192.0.2.53"\n[geoip]\nasn_db = "a.mmdb"\n'
    )
    save_settings({"nameserver": "198.51.100.7"})
    saved = configure()
    assert saved["nameserver"] == Nameserver("192.0.2.53") and saved.origins["nameserver"] == "organisation"
    assert saved.messages == ()  # nobody typed the overridden value this run
    config = configure({"nameserver": "198.51.100.1", "packs": ("sanctions-ofac",)})
    assert config["packs"] == ("sanctions-ofac", "us-navy-genai")
    assert config["asn_db"] == policy_path().parent / "a.mmdb"
    assert any("nameserver is set by your organisation's policy" in m for m in config.messages)
    assert any("rule pack us-navy-genai applied: mandatory" in n for n in config.notes)
    assert any("nameserver 192.0.2.53 used: set by" in n for n in config.notes)
    assert config.locked("nameserver") and config.locked("asn_db") and not config.locked("offline")


def test_online_enrichment_forbidden_refuses_an_explicit_request_and_turns_a_saved_one_off() -> None:
    write_policy("[enrichment]\nonline = false\n")
    with pytest.raises(OrgPolicyError, match="turned off by your organisation"):
        configure({"rdap": True})
    save_settings({"rdap": True})
    config = configure()
    assert config["rdap"] is False and any("rdap turned off" in n for n in config.notes)
    assert configure()["rdap"] is False and config.locked("rdap")


def test_the_probe_is_online_enrichment_off_by_default_and_forbidden_with_it() -> None:
    from databorder.options import SPECS

    assert SPECS["probe"].online and SPECS["probe"].lockable and configure()["probe"] is False
    assert configure({"probe": True}).assess_options().probe is True
    write_policy("[enrichment]\nonline = false\n")
    with pytest.raises(OrgPolicyError, match="turned off by your organisation"):
        configure({"probe": True})
    save_settings({"probe": True})
    config = configure()
    assert config["probe"] is False and config.locked("probe")
    assert any("probe turned off" in n for n in config.notes)
    assert config.assess_options().probe is False


def test_a_bad_saved_or_given_value_is_a_sentence() -> None:
    from databorder.errors import DataBorderError

    with pytest.raises(DataBorderError, match=r"give 0\.1 to 60"):
        configure({"dns_timeout": 600.0})
    with pytest.raises(DataBorderError, match="not an IP"):
        configure({"nameserver": "dns.test"})


def test_passing_the_policy_and_settings_reads_no_file() -> None:
    write_policy("[packs]\nmandatory = 'broken'\n")  # would be refused if it were read
    config = configure(saved={"offline": True}, policy=load_org_policy(Path("/nonexistent/policy.toml")))
    assert config["offline"] is True
