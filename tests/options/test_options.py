"""The one declaration of assessment options: CLI flags, saved settings and the engine's options agree."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from databorder.errors import DataBorderError
from databorder.options import (
    ASSESS_OPTIONS,
    add_arguments,
    assess_options,
    given,
    load_settings,
    merged,
    save_settings,
    settings_file,
)
from databorder.policy import DEFAULT_PACKS
from databorder.resolve import Nameserver


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    return parser.parse_args(list(argv))


def test_every_declared_option_is_an_engine_option_and_a_flag() -> None:
    from dataclasses import fields

    from databorder.assess import AssessOptions

    engine = {f.name for f in fields(AssessOptions)}
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    flags = {flag for action in parser._actions for flag in action.option_strings}
    for spec in ASSESS_OPTIONS:
        assert spec.name in engine, spec.name
        assert spec.flag in flags
        assert spec.help and spec.label


def test_flags_not_given_leave_saved_settings_in_force() -> None:
    save_settings({"nameserver": "192.0.2.53", "offline": True, "pack_dirs": (Path("packs"),)})
    assert settings_file().is_file()
    values = merged(load_settings(), given(parse("--dns-timeout", "1.5")))
    options = assess_options(values)
    assert options.nameserver == Nameserver("192.0.2.53")
    assert options.offline is True
    assert options.dns_timeout == 1.5
    assert options.pack_dirs == (Path("packs"),)
    assert options.packs == DEFAULT_PACKS  # not saved: the default


def test_a_flag_wins_over_a_saved_setting() -> None:
    save_settings({"nameserver": "192.0.2.53", "packs": ("eu-gdpr-transfers",)})
    values = merged(load_settings(), given(parse("--nameserver", "198.51.100.53:5353", "--pack", "sanctions-ofac")))
    options = assess_options(values)
    assert options.nameserver == Nameserver("198.51.100.53", 5353)
    assert options.packs == ("sanctions-ofac",)


def test_only_values_that_differ_from_the_defaults_are_saved() -> None:
    path = save_settings({"offline": False, "dns_timeout": 3.0, "asn_db": Path("asn.mmdb"), "unknown": 1})
    assert path.read_text(encoding="utf-8").strip() == '{\n  "asn_db": "asn.mmdb"\n}'


def test_a_broken_settings_file_names_its_line(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    path.write_text('{\n  "offline": true,\n  "nameserver": \n}\n', encoding="utf-8")
    with pytest.raises(DataBorderError, match=r"settings.json, line 4: .*not valid JSON"):
        load_settings(path)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ('{"offline": "yes"}', "offline"),
        ('{"dns_timeout": -1}', "dns_timeout"),
        ('{"packs": [1]}', "packs"),
        ("[]", "object"),
    ],
)
def test_a_saved_value_of_the_wrong_type_is_refused(tmp_path: Path, text: str, problem: str) -> None:
    path = tmp_path / "settings.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(DataBorderError, match=problem):
        load_settings(path)


def test_unknown_saved_keys_are_ignored_so_older_versions_read_newer_files(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    path.write_text('{"offline": true, "from_the_future": 1}', encoding="utf-8")
    assert load_settings(path) == {"offline": True}


@pytest.mark.parametrize(
    ("values", "problem"), [({"nameserver": "dns.test"}, "not an IP"), ({"dns_timeout": 600.0}, "timeout")]
)
def test_bad_values_get_a_sentence(values: dict[str, object], problem: str) -> None:
    with pytest.raises(DataBorderError, match=problem):
        assess_options(merged(values))
