from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from databorder.catalog import load_catalog
from databorder.errors import ResourceError
from databorder.practices import (
    FACTS,
    MAX_AGE_DAYS,
    TIERS,
    default_tier,
    fact_in_words,
    load_practices,
    practice_lines,
    vendor_of,
)

GOOD = """
vendor = "Example AI, Inc."
apps = ["example"]
domains = ["example-ai.test"]
vendor_domains = ["docs.example-ai.test"]
checked = "2026-12-01"

[facts]
dpa = { value = "yes", source = "https://docs.example-ai.test/dpa" }
trains_on_user_data = { value = "no", source = "https://elsewhere.test/summary", note = "by default" }

[tiers.consumer]
trains_on_user_data = { value = "yes", source = "https://docs.example-ai.test/terms", checked = "2026-11-30" }
retention = { value = "longer", source = "https://docs.example-ai.test/terms" }
data_residency = { value = ["EU", "US"], source = "https://docs.example-ai.test/regions" }
"""


def write(folder: Path, text: str, name: str = "example.toml") -> Path:
    folder.mkdir(exist_ok=True)
    (folder / name).write_text(text, encoding="utf-8")
    return folder


def test_every_catalog_app_has_exactly_one_practices_file_and_every_known_fact_a_source_and_date() -> None:
    practices = load_practices()
    apps = load_catalog().apps
    assert {app for vendor in practices.vendors for app in vendor.apps} == set(apps)
    known = 0
    for vendor in practices.vendors:
        for tier in TIERS:
            for fact in vendor.for_tier(tier).facts:
                if fact.value != "unknown":
                    known += 1
                    assert fact.source and fact.source.startswith("https://"), (vendor.file, fact)
                    assert fact.checked and fact.checked.startswith("20"), (vendor.file, fact)
                else:
                    assert fact.source is None and fact.checked is None
    assert known > 0
    anthropic = practices.of_app("claude-code")
    assert anthropic is not None and anthropic.for_tier("consumer").value("trains_on_user_data") == "yes"
    assert anthropic.for_tier("api").value("trains_on_user_data") == "no"


def test_a_tier_overrides_the_operators_facts_and_what_was_not_read_is_unknown(tmp_path: Path) -> None:
    practices = load_practices(write(tmp_path / "p", GOOD))
    vendor = practices.vendors[0]
    consumer, api = vendor.for_tier("consumer"), vendor.for_tier("api")
    assert [f.fact for f in consumer.facts] == list(FACTS)
    assert consumer.value("trains_on_user_data") == "yes" and api.value("trains_on_user_data") == "no"
    assert consumer.get("trains_on_user_data").checked == "2026-11-30"  # type: ignore[union-attr]
    assert api.get("dpa").checked == "2026-12-01"  # type: ignore[union-attr]
    assert consumer.value("data_residency") == "EU, US" and api.value("retention") == "unknown"
    assert consumer.get("trains_on_user_data").by_vendor  # type: ignore[union-attr]
    assert not api.get("trains_on_user_data").by_vendor  # type: ignore[union-attr]
    assert vendor.known() == {"consumer": 4, "paid": 2, "business": 2, "api": 2}
    words = fact_in_words(api.get("trains_on_user_data"))  # type: ignore[arg-type]
    assert words == (
        "trains models on user content: no (a third party's page, not the vendor's https://elsewhere.test/summary, "
        "checked 2026-12-01); by default"
    )
    assert fact_in_words(api.get("iso_42001")) == "ISO/IEC 42001 certification: unknown (no source read)"  # type: ignore[arg-type]
    lines = practice_lines(vendor)
    assert lines[0].startswith("Vendor's data practices (Example AI, Inc.; practices/example.toml")
    assert "  consumer: 4 of 13 facts known" in lines
    assert any(line.startswith("    unknown: training_opt_out, human_review") for line in lines)


def test_coverage_counts_apps_under_their_default_tier_and_distinct_pages_and_ages_are_measured(
    tmp_path: Path,
) -> None:
    other = GOOD.replace('apps = ["example"]', 'apps = ["coder", "chatter"]').replace(
        "[tiers.consumer]", "[tiers.paid]"
    )
    practices = load_practices(write(write(tmp_path / "p", GOOD), other, "other.toml"))
    kinds = {"example": "chat", "coder": "coding", "chatter": "chat", "not-in-any-file": "api"}
    status = practices.status(kinds, today=dt.date(2026, 12, 31), max_age=30)
    coverage = {c.fact: c for c in status.coverage}
    assert (status.apps, status.vendors, status.total) == (3, 2, 2 * len(TIERS) * len(FACTS))
    assert status.known == 4 + 2 + 2 + 2 + 4 + 2 + 2 + 2
    trains = coverage["trains_on_user_data"]  # from a vendor page (consumer, paid) and a third party's (the rest)
    assert (trains.apps, trains.apps_any_tier, trains.sources, trains.vendor_sources) == (3, 3, 2, 1)
    retention = coverage["retention"]  # consumer in one file, paid in the other: the chat app there has none
    assert (retention.apps, retention.apps_any_tier, retention.sources) == (1, 3, 1)
    assert coverage["iso_42001"].apps == coverage["iso_42001"].sources == 0
    assert status.third_party == 6  # trains_on_user_data from elsewhere.test in the 3 tiers not overriding it, twice
    assert (status.oldest_days, status.median_days) == (31, 30)
    assert status.stale == (  # the two facts checked on 2026-11-30, a day before their files
        "practices/example.toml: trains_on_user_data (consumer) checked 31 days ago",
        "practices/other.toml: trains_on_user_data (paid) checked 31 days ago",
    )
    assert practices.status(kinds, today=dt.date(2026, 12, 31), max_age=31).stale == ()
    assert default_tier("coding") == default_tier("api") == "api" and default_tier("local") == "consumer"
    assert default_tier(None) == "consumer"


def test_the_shipped_facts_are_young_enough_to_release() -> None:
    """A release-time check: no shipped fact was checked longer ago than the documented limit (re-read it)."""
    status = load_practices().status({app.id: app.kind for app in load_catalog().apps.values()})
    assert status.known > 0 and status.oldest_days is not None
    assert not status.stale, f"facts older than {MAX_AGE_DAYS} days: {status.stale[:5]}"


def test_domains_of_the_file_and_of_its_apps_lead_to_the_vendor(tmp_path: Path) -> None:
    practices = load_practices(write(tmp_path / "p", GOOD))
    index = practices.index({"example": ("app.example.test",)})
    vendor = practices.vendors[0]
    assert vendor_of("api.example-ai.test", index) is vendor
    assert vendor_of("app.example.test", index) is vendor
    assert vendor_of("example.test", index) is None and vendor_of(None, index) is None
    assert practices.of_app("example") is vendor and practices.of_app("other") is None


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (('dpa = { value = "yes"', 'dpo = { value = "yes"'), r"example\.toml, line 9: \[facts\]: unknown fact 'dpo'"),
        (
            ('value = "no", source', 'value = "maybe", source'),
            r"line 10: \[facts\] trains_on_user_data must be one of yes, no, unknown, not 'maybe'",
        ),
        (
            ('source = "https://docs.example-ai.test/dpa"', 'source = "docs.example-ai.test/dpa"'),
            r"line 9: \[facts\] dpa = 'yes' needs the https:// address of its source",
        ),
        (("[tiers.consumer]", "[tiers.free]"), r"line 12: unknown tier 'free'; tiers: consumer, paid, business, api"),
        (('checked = "2026-11-30"', 'checked = "30 Nov"'), r"line 13: a checked date must be YYYY-MM-DD"),
        (('value = "longer"', 'value = "5 years"'), r"line 14: \[tiers.consumer\] retention must be one of none"),
        (('value = ["EU", "US"]', 'value = "EU"'), r"line 15: \[tiers.consumer\] data_residency must be a list"),
        (("vendor_domains", "vendor_site"), r"line 5: unknown key 'vendor_site'"),
        (('apps = ["example"]', "apps = []"), r"line 3: 'apps' must be a list of texts"),
        (
            ('value = "no", source = "https://elsewhere.test/summary", note', 'value = "no", url = "x", note'),
            r"line 10: \[facts\] trains_on_user_data: unknown key 'url'",
        ),
        (("[facts]", "[facts"), r"line 8: is not valid TOML"),
    ],
)
def test_a_broken_file_is_refused_with_its_file_and_line(tmp_path: Path, change: tuple[str, str], message: str) -> None:
    old, new = change
    assert old in GOOD
    with pytest.raises(ResourceError, match=message):
        load_practices(write(tmp_path / "p", GOOD.replace(old, new, 1)))


def test_an_app_in_two_files_and_an_empty_folder_are_refused(tmp_path: Path) -> None:
    folder = write(write(tmp_path / "p", GOOD), GOOD.replace("Example AI, Inc.", "Other"), "other.toml")
    with pytest.raises(ResourceError, match=r"practices/other\.toml: app 'example' is also in practices/example\.toml"):
        load_practices(folder)
    (tmp_path / "empty").mkdir()
    with pytest.raises(ResourceError, match="missing or empty"):
        load_practices(tmp_path / "empty")
    with pytest.raises(ResourceError, match="is not UTF-8 text"):
        (tmp_path / "bin").mkdir()
        (tmp_path / "bin" / "x.toml").write_bytes(b'vendor = "\xff"\n')
        load_practices(tmp_path / "bin")
