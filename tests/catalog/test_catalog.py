from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from databorder.catalog import KINDS, ROLES, load_catalog
from databorder.errors import DataBorderError, ResourceError


def test_catalog_has_a_hundred_and_sixty_apps_of_every_kind_with_dated_sources() -> None:
    catalog = load_catalog()
    assert len(catalog.apps) >= 164
    kinds = Counter(app.kind for app in catalog.apps.values())
    assert set(kinds) == set(KINDS) and min(kinds.values()) >= 4, kinds
    assert sum(1 for app in catalog.apps.values() if any(app.packages.values())) >= 70
    for app in catalog.apps.values():
        assert app.sources and app.checked.startswith("20"), app.id
        assert app.endpoints and set(app.endpoints) <= set(ROLES), app.id
        assert app.vendor and len(app.jurisdiction) == 2 and app.data_location, app.id
    local = [app for app in catalog.apps.values() if app.local_only]
    assert {app.id for app in local} >= {"ollama", "lm-studio"}
    assert catalog.ref.kind == "catalog" and len(catalog.ref.sha256) == 64


def test_deepseek_entry_and_its_observations() -> None:
    catalog = load_catalog()
    deepseek = catalog.get("DeepSeek")
    assert (deepseek.vendor, deepseek.jurisdiction) == (
        "Hangzhou DeepSeek Artificial Intelligence Basic Technology Research Co., Ltd.",
        "CN",
    )
    observations = deepseek.observations()
    assert {o.host for o in observations} >= {"api.deepseek.com", "chat.deepseek.com"}
    api = next(o for o in observations if o.host == "api.deepseek.com")
    assert (api.evidence.collector, api.evidence.source, api.evidence.location) == (
        "catalog",
        "catalog deepseek",
        "api",
    )
    assert catalog.roles_of("api.deepseek.com") == ("api",)
    assert catalog.roles_of("statsig.anthropic.com") == ("telemetry",)
    assert dict(catalog.service_rows())["deepseek.com"].country == "CN"


def test_unknown_ids_suggest_near_ones_and_search_finds_by_jurisdiction() -> None:
    catalog = load_catalog()
    with pytest.raises(DataBorderError, match="did you mean deepseek"):
        catalog.get("deepsek")
    assert {app.id for app in catalog.search("CN")} >= {"deepseek", "qwen", "kimi", "doubao", "ernie", "chatglm"}


def test_a_broken_entry_names_its_file(tmp_path: Path) -> None:
    (tmp_path / "x.toml").write_text('id = "x"\nname = "X"\n')
    with pytest.raises(ResourceError, match=r"catalog entry x\.toml: lacks kind"):
        load_catalog(tmp_path)
    (tmp_path / "x.toml").write_text(
        'id = "x"\nname = "X"\nkind = "chat"\nvendor = "V"\njurisdiction = "ZZ"\ndata_location = "?"\n'
        'domains = ["x.test"]\nchecked = "2026-11-24"\nsources = ["s"]\n'
    )
    with pytest.raises(ResourceError, match="jurisdiction 'ZZ' is not an ISO"):
        load_catalog(tmp_path)


def test_install_hints_must_be_of_a_known_kind_and_say_where_they_come_from(tmp_path: Path) -> None:
    head = (
        'id = "x"\nname = "X"\nkind = "chat"\nvendor = "V"\njurisdiction = "US"\ndata_location = "?"\n'
        'domains = ["x.test"]\nchecked = "2026-11-24"\nsources = ["s"]\n[install]\n'
    )
    (tmp_path / "x.toml").write_text(head + 'packages = { deb = ["x"] }\nsources = ["s"]\n')
    with pytest.raises(ResourceError, match="unknown install hint 'deb'; kinds: apk, ipa, npm"):
        load_catalog(tmp_path)
    (tmp_path / "x.toml").write_text(head + 'packages = { npm = ["x-cli"] }\n')
    with pytest.raises(ResourceError, match="its install hints name no source"):
        load_catalog(tmp_path)
    (tmp_path / "x.toml").write_text(head + 'packages = { npm = ["x-cli"] }\nunverified = ["npm x-cli (?)"]\n')
    app = load_catalog(tmp_path).get("x")
    assert app.packages == {"npm": ("x-cli",)} and app.install_unverified == ("npm x-cli (?)",)


def test_every_shipped_install_hint_is_sourced_or_marked_unverified() -> None:
    for app in load_catalog().apps.values():
        if any(app.packages.values()):
            assert app.install_sources or app.install_unverified, app.id


def test_no_install_hint_names_two_apps() -> None:
    named: dict[tuple[str, str], str] = {}
    for app in load_catalog().apps.values():
        for kind, values in app.packages.items():
            for value in values:
                key = (kind, value.lower().replace("_", "-"))
                assert key not in named, f"{kind} {value} is a hint of both {named[key]} and {app.id}"
                named[key] = app.id


def test_registry_packages_of_the_sdks_name_their_vendors_app() -> None:
    catalog = load_catalog()
    groq, cohere = catalog.get("groq"), catalog.get("cohere")
    assert groq.packages == {"npm": ("groq-sdk",), "pypi": ("groq",)} and groq.kind == "api"
    assert any("PyPI groq 1.7.0" in source for source in groq.install_sources)
    assert catalog.recognise("groq-sdk-1.6.0.tgz") is groq
    assert catalog.recognise("cohere-7.3.1-py3-none-any.whl") is cohere
    assert catalog.recognise("kilocode-cli-7.8.1.tgz") is catalog.get("kilo-code")
    assert catalog.get("roo-code").packages["vscode"] == ("RooVeterinaryInc.roo-cline",)
