"""The operator knowledge base: files checked with file and line, hosts matched, parent chains, org rows win."""

from __future__ import annotations

import datetime as dt
import tomllib
from pathlib import Path

import pytest

from databorder.errors import InputFileError
from databorder.knowledge import CATEGORIES, KINDS, ROLES, KnowledgeOrigin, load_knowledge, package_key

ROWS = """format = 1
checked = "2026-12-01"

[[operators]]
id = "holding"
name = "Example Holdings Ltd."
country = "CN"
incorporated = "KY"
category = "holding"
sources = ["filing.test annual report, note 1"]

[[operators]]
id = "arm"
name = "Example Pte. Ltd."
country = "SG"
parent = "holding"
category = "genai"
kinds = ["model-api"]
sources = ["privacy.example.test — controller Example Pte. Ltd."]
unverified = ["parent"]

[operators.domains]
api = ["api.intl.example.test", "example-intl.test"]
docs = ["docs.example-intl.test"]

[operators.regions]
"api.intl.example.test" = "ap-southeast-1"

[[operators]]
id = "mainland"
name = "Example (Beijing) Co., Ltd."
country = "CN"
parent = "holding"
category = "genai"
checked = "2026-11-01"
sources = ["sdk example 1.0 config.py — https://api.cn.example.test"]

[operators.domains]
api = ["api.cn.example.test"]
"""


def folder(tmp_path: Path, text: str, name: str = "a.toml") -> Path:
    path = tmp_path / "kb"
    path.mkdir(exist_ok=True)
    (path / name).write_text(text, encoding="utf-8")
    return path


def test_hosts_match_exactly_then_by_parent_domain_then_by_a_shared_owner(tmp_path: Path) -> None:
    kb = load_knowledge([(folder(tmp_path, ROWS), "shipped")])
    exact = kb.lookup("api.intl.example.test")
    assert exact is not None and exact.how == "exact" and exact.role == "api" and exact.region == "ap-southeast-1"
    assert exact.chain_in_words() == "Example Pte. Ltd. (SG), owned by Example Holdings Ltd. (CN)"
    assert exact.countries == ("SG", "CN")
    parent = kb.lookup("eu.example-intl.test")
    assert parent is not None and parent.how == "parent domain" and parent.domain == "example-intl.test"
    # web.example.test: listed by no row; both operators under example.test share the holding company
    shared = kb.lookup("web.example.test")
    assert shared is not None and shared.how == "registrable domain" and shared.operator.id == "holding"
    assert kb.lookup("unknown.test") is None and kb.lookup(None) is None
    assert kb.domains_with({"api"}) == {"api.intl.example.test", "example-intl.test", "api.cn.example.test"}


def test_a_listed_domain_may_be_another_service_than_the_operators_own(tmp_path: Path) -> None:
    """A model vendor's code hosting or docs are not its AI service: their matches carry the listed category."""
    text = ROWS.replace("[operators.regions]", '[operators.categories]\ndevtools = ["docs.example-intl.test"]\n'
                        "[operators.regions]")  # fmt: skip
    kb = load_knowledge([(folder(tmp_path, text), "shipped")])
    hosts = ("docs.example-intl.test", "a.docs.example-intl.test", "example-intl.test")
    docs, under, api = (kb.lookup(h) for h in hosts)
    assert docs is not None and under is not None and api is not None
    assert (docs.category, under.category, api.category) == ("devtools", "devtools", "genai")
    assert "docs.example-intl.test" not in kb.domains_of_category("genai")
    assert "example-intl.test" in kb.domains_of_category("genai")


def test_the_organisations_rows_override_shipped_ones_and_their_domains_win(tmp_path: Path) -> None:
    shipped = folder(tmp_path, ROWS)
    org = tmp_path / "org"
    org.mkdir()
    (org / "ours.toml").write_text(
        'format = 1\nchecked = "2026-12-02"\n[[operators]]\nid = "ours"\nname = "Our Gateway GmbH"\ncountry = "DE"\n'
        'category = "genai"\nsources = ["our contract 2026-07"]\n[operators.domains]\napi = ["api.cn.example.test"]\n',
        encoding="utf-8",
    )
    kb = load_knowledge([(shipped, "shipped"), (org, "system")])
    match = kb.lookup("api.cn.example.test")
    assert match is not None and match.operator.name == "Our Gateway GmbH" and match.operator.origin == "system"
    status = kb.status(today=dt.date(2026, 12, 3))
    assert status.by_origin == {"shipped": 3, "user": 0, "system": 1} and status.oldest_days == 32


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (('country = "SG"', 'country = "XX"'), "country 'XX' is not an ISO 3166-1 alpha-2 code"),
        (
            ('parent = "holding"\ncategory = "genai"\nkinds', 'parent = "nobody"\ncategory = "genai"\nkinds'),
            "names parent 'nobody'",
        ),
        (('category = "holding"', 'category = "bank"'), "category 'bank' is not one of"),
        (('api = ["api.cn.example.test"]', 'apis = ["api.cn.example.test"]'), "unknown role 'apis'"),
        (('api = ["api.cn.example.test"]', 'api = ["not a domain"]'), "'not a domain' is not a domain name"),
        (('sources = ["filing.test annual report, note 1"]', "sources = []"), "sources are required"),
        (('checked = "2026-11-01"', 'checked = "last week"'), "checked must be a date"),
        (('id = "arm"', 'id = "Arm!"'), "lower-case letters"),
        (('id = "mainland"', 'id = "arm"'), "defined again"),
        (("format = 1", "format = 2"), "format must be 1"),
        (
            ("[operators.regions]", '[operators.categories]\nbank = ["docs.example-intl.test"]\n[operators.regions]'),
            "category 'bank' is not one of",
        ),
        (
            ("[operators.regions]", '[operators.categories]\ndevtools = ["git.example.test"]\n[operators.regions]'),
            "names 'git.example.test', which is not in its [operators.domains]",
        ),
    ],
)
def test_a_broken_file_of_the_users_names_file_line_and_problem(
    tmp_path: Path, change: tuple[str, str], problem: str
) -> None:
    old, new = change
    assert old in ROWS
    path = folder(tmp_path, ROWS.replace(old, new, 1))
    with pytest.raises(InputFileError) as caught:
        load_knowledge([(path, "user")])
    assert "a.toml" in str(caught.value) and problem in str(caught.value)


def test_a_broken_row_names_its_line(tmp_path: Path) -> None:
    path = folder(tmp_path, ROWS.replace('country = "SG"', 'country = "XX"'))
    with pytest.raises(InputFileError, match=r"a\.toml, line 15: operator .arm."):
        load_knowledge([(path, "user")])


def test_a_second_read_comes_from_the_cache_and_an_edit_is_seen(tmp_path: Path) -> None:
    path = folder(tmp_path, ROWS)
    first = load_knowledge([(path, "shipped")])
    assert load_knowledge([(path, "shipped")]) is first  # the same files: the same object
    (path / "a.toml").write_text(ROWS.replace("Example Pte. Ltd.", "Example Singapore Pte. Ltd."), encoding="utf-8")
    edited = load_knowledge([(path, "shipped")])
    match = edited.lookup("api.intl.example.test")
    assert match is not None and match.operator.name == "Example Singapore Pte. Ltd."


def test_the_shipped_base_loads_and_every_row_is_sourced_dated_and_consistent() -> None:
    kb = load_knowledge()
    origins: set[KnowledgeOrigin] = {o.origin for o in kb.operators.values()}
    assert origins == {"shipped"}
    for operator in kb.operators.values():
        assert operator.sources and dt.date.fromisoformat(operator.checked)
        assert operator.category in CATEGORIES and set(operator.kinds) <= set(KINDS)
        assert set(operator.domains.values()) <= set(ROLES)
        assert len(kb.chain(operator)) < 10
    status = kb.status()
    assert status.operators == len(kb.operators) and status.domains == len(kb.domains)


PACKAGES = """
[[packages]]
registry = "pypi"
name = "Example_SDK"
endpoint = "api.intl.example.test"
source = "PyPI example-sdk 1.0 example/client.py: base URL https://api.intl.example.test"

[[packages]]
registry = "npm"
name = "@example/sdk"
endpoint = "api.cn.example.test"
source = "npm @example/sdk 1.0 dist/index.js: base URL"
"""


def test_sdk_packages_are_looked_up_by_their_registrys_spelling_and_lead_to_their_operator(tmp_path: Path) -> None:
    kb = load_knowledge([(folder(tmp_path, ROWS + PACKAGES), "shipped")])
    assert set(kb.packages) == {"pypi:example-sdk", "npm:@example/sdk"}
    assert package_key("pypi", "example.SDK") == "pypi:example-sdk"
    match = kb.lookup(kb.packages[package_key("pypi", "example.sdk")].endpoint)
    assert match is not None and match.operator.id == "arm"


def test_an_sdk_package_whose_endpoint_no_operator_runs_names_its_line(tmp_path: Path) -> None:
    broken = PACKAGES.replace('endpoint = "api.cn.example.test"', 'endpoint = "api.nobody.test"')
    path = folder(tmp_path, ROWS + broken)
    with pytest.raises(InputFileError, match=r"a\.toml, line 5\d: package '@example/sdk': no operator lists"):
        load_knowledge([(path, "user")])


def test_the_shipped_sdk_packages_each_lead_to_an_operator_and_cite_what_was_read() -> None:
    kb = load_knowledge()
    assert kb.packages
    for package in kb.packages.values():
        assert kb.lookup(package.endpoint) is not None and package.name in package.source


def test_the_evaluation_set_was_not_mined_to_build_the_tables() -> None:
    """benchmarks/operator_coverage.toml measures the tables only if none of its packages shaped them."""
    root = Path(__file__).resolve().parents[2]
    mined = set()
    for line in (root / "resources" / "knowledge" / "MINED.md").read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 3 and cells[0] in {"PyPI", "npm"}:
            mined.add((cells[0].lower(), cells[1].lower()))
    evaluation = tomllib.loads((root / "benchmarks" / "operator_coverage.toml").read_text(encoding="utf-8"))
    names = {(p["registry"], p["name"].lower()) for p in evaluation["package"]}
    assert len(names) >= 25 and mined
    assert names.isdisjoint(mined)
    sdks = {(p.registry, p.name.lower()) for p in load_knowledge().packages.values()}
    assert names.isdisjoint(sdks)
