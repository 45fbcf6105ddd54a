"""The one declaration of options: CLI flags, saved settings and the engine's own defaults agree."""

from __future__ import annotations

import argparse
from pathlib import Path

import hypothesis
import pytest

from databorder.errors import DataBorderError
from databorder.options import (
    OPTIONS,
    SPECS,
    HelpFormatter,
    add_arguments,
    check_value,
    given,
    load_settings,
    parse_duration,
    save_settings,
)
from tests.helpers.fuzz import FUZZ, bounded, mutated


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    return parser.parse_args(list(argv))


def test_every_engine_field_is_declared_once_with_the_engines_own_default() -> None:
    from dataclasses import MISSING, fields

    from databorder.assess import AssessOptions
    from databorder.collect.targets import TargetRequest

    # Engine fields no person sets (how many DNS queries fly at once), or that say *what* to collect from.
    not_options = {"dns_concurrency", "apps", "paths", "hosts", "host_files", "captures", "pids", "process_names",
                   "missing"}  # fmt: skip
    for scope, cls in (("assess", AssessOptions), ("collect", TargetRequest)):
        engine = {f.name: f.default for f in fields(cls) if f.name not in not_options}
        declared = {spec.name: spec for spec in OPTIONS if spec.scope == scope}
        assert set(engine) == set(declared), scope
        for name, default in engine.items():
            assert default is not MISSING and declared[name].default == default, name
    assert len({spec.flag for spec in OPTIONS}) == len(OPTIONS)


def test_every_option_is_a_flag_with_help_that_names_its_default() -> None:
    parser = argparse.ArgumentParser(formatter_class=HelpFormatter)
    add_arguments(parser)
    flags = {flag for action in parser._actions for flag in action.option_strings}
    text = parser.format_help()
    for spec in OPTIONS:
        assert spec.flag in flags and spec.help and spec.label
        assert "{default" not in text
    assert "default 3)" in text  # --dns-timeout, from AssessOptions
    assert "default: us-countries-of-concern" in text  # --pack, from AssessOptions


def test_flags_are_converted_to_their_declared_type() -> None:
    assert parse("--min-relevance", "0.5", "--duration", "2m").duration == 120.0
    assert parse("--capture-format", "har").capture_format == "har"
    for argv in (["--min-relevance", "high"], ["--dns-timeout", "1s"], ["--duration", "x"], ["--capture-format", "z"]):
        with pytest.raises(SystemExit):
            parse(*argv)


def test_given_returns_only_what_the_command_line_set() -> None:
    assert given(parse("--dns-timeout", "1.5", "--offline")) == {"dns_timeout": 1.5, "offline": True}
    assert given(parse()) == {}


@pytest.mark.parametrize(
    ("name", "value", "problem"),
    [
        ("nameserver", "dns.test", "not an IP"),
        ("dns_timeout", 600.0, "give 0.1 to 60"),
        ("dns_timeout", float("nan"), "must be a number"),
        ("offline", "yes", "true or false"),
        ("packs", [1], "list of texts"),
        ("capture_format", "xml", "one of har"),
        ("duration", "0s", "give 0.1 to 86400"),
    ],
)
def test_a_bad_value_gets_a_sentence_naming_the_option(name: str, value: object, problem: str) -> None:
    with pytest.raises(DataBorderError, match=problem):
        check_value(SPECS[name], value)


def test_checked_values_are_the_engines_types_and_checking_again_changes_nothing() -> None:
    from databorder.nameserver import Nameserver

    ns = check_value(SPECS["nameserver"], "198.51.100.53:5353")
    assert ns == Nameserver("198.51.100.53", 5353) and check_value(SPECS["nameserver"], ns) == ns
    assert check_value(SPECS["pack_dirs"], ["a", Path("b")]) == (Path("a"), Path("b"))
    assert check_value(SPECS["duration"], "1h") == 3600.0 == parse_duration("60m")


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
    path.write_text('{"offline": true, "from_the_future": 1, "all_names": true}', encoding="utf-8")
    assert load_settings(path) == {"offline": True}  # all_names is per run, never saved


@FUZZ
@hypothesis.given(mutated("settings"))
def test_fuzz_damaged_saved_settings_are_read_or_refused_with_a_sentence(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "settings.json"
    path.write_bytes(data)
    found = bounded(lambda: load_settings(path))
    assert found is None or isinstance(found, dict)
