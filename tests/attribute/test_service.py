"""Who runs an endpoint: organisation's tables, then the catalog, then the knowledge base, then inference."""

from __future__ import annotations

from pathlib import Path

import pytest

from databorder.attribute.service import CONCERN_CCTLDS, ServiceAttributor, known_domains
from databorder.attribute.tables import ServiceTable
from databorder.catalog import load_catalog
from databorder.knowledge import load_knowledge
from databorder.model import INFERRED_BASES, EntityKind, LegalEntity
from tests.knowledge.test_knowledge import ROWS, folder


@pytest.fixture
def shipped() -> ServiceAttributor:
    return ServiceAttributor(knowledge=load_knowledge(), catalog=load_catalog(), extra=None)


def test_a_foreign_arm_of_a_chinese_parent_carries_its_chain(shipped: ServiceAttributor) -> None:
    service = shipped.service("ark.ap-southeast.bytepluses.com")
    assert service is not None and service.basis == "operators" and service.country == "SG"
    assert "CN" in service.countries and service.parent_chain
    assert service.chain_in_words().startswith(f"{service.operator} (SG), owned by ")
    assert service.role == "api" and service.checked and "knowledge base" in service.source


def test_the_catalog_decides_for_its_apps_and_the_base_adds_the_owners(shipped: ServiceAttributor) -> None:
    deepseek = shipped.service("chat.deepseek.com")
    assert deepseek is not None and deepseek.basis == "catalog" and deepseek.country == "CN"
    google = shipped.service("oauth2.googleapis.com")  # not a catalog app: the base knows it
    assert google is not None and google.country == "US" and google.role == "auth"


def test_the_organisations_tables_win(tmp_path: Path) -> None:
    extra = tmp_path / "ours.toml"
    extra.write_text(
        '[[services]]\ndomains = ["deepseek.com"]\noperator = "Our mirror GmbH"\ncountry = "DE"\nsource = "contract"\n',
        encoding="utf-8",
    )
    org = folder(tmp_path, ROWS, "org.toml")
    attributor = ServiceAttributor(
        knowledge=load_knowledge([(org, "system")]), catalog=load_catalog(), extra=ServiceTable([extra])
    )
    ours = attributor.service("api.deepseek.com")
    assert ours is not None and ours.basis == "org-table" and ours.operator == "Our mirror GmbH"
    row = attributor.service("api.intl.example.test")
    assert row is not None and row.basis == "org-table" and row.confidence == "medium"  # its parent is unverified
    assert row.unverified == ("parent",)
    assert [r.kind for r in attributor.refs] == ["knowledge", "services"]


def test_where_no_table_knows_a_country_of_concern_cctld_is_a_low_confidence_hint(shipped: ServiceAttributor) -> None:
    hint = shipped.service("api.unknown-vendor.cn")
    assert hint is not None and hint.basis == "cctld" and hint.confidence == "low" and hint.country == "CN"
    assert "ccTLD .cn" in hint.operator
    idn = shipped.service("api.unknown.xn--p1ai")
    assert idn is not None and idn.country == "RU" and ".рф" in idn.operator
    assert shipped.service("api.some-unknown-vendor.example") is None
    assert shipped.service("unknown.example.ai") is None  # .ai, .io, .co: no law follows from them
    assert {"cn", "hk", "mo", "ru", "ir", "kp", "cu", "ve"} <= set(CONCERN_CCTLDS)


def test_known_domains_hold_data_roles_not_documentation() -> None:
    known = known_domains()
    assert "api.deepseek.com" in known or "deepseek.com" in known
    kb = load_knowledge()
    docs = kb.domains_with({"docs"})
    catalog = {domain for domain, _ in load_catalog().service_rows()}
    assert docs and not docs & (known - catalog)  # documentation hosts do not rank as data endpoints


def test_a_vendors_pages_for_people_are_web_when_no_row_says_otherwise(tmp_path: Path) -> None:
    kb = load_knowledge([(folder(tmp_path, ROWS), "shipped")])
    attributor = ServiceAttributor(knowledge=kb, catalog=None, extra=None)
    assert attributor.role("api.intl.example.test") == "api"  # the row's own role
    assert attributor.role("docs.example-intl.test") == "docs"  # listed as docs: the row wins over the label
    assert attributor.role("console.unknown-vendor.test") == "web"
    assert attributor.role("status.api.cn.example.test") == "api"  # a family role passes on to subdomains
    assert attributor.role("console.test") is None  # a registrable domain of its own, not a page under one


def entity(kind: EntityKind, text: str, *, name: str | None = None, country: str | None = None,
           near: str = "api.vendor-one.com", distance: int = 310) -> LegalEntity:  # fmt: skip
    return LegalEntity(kind, text, name, country, "app/main.js", 1200, near, distance)


ICP = entity("icp-filing", "京ICP备18024657号", country="CN")
COPYRIGHT = entity("copyright", "© 2025 Vendor One Technology Co., Ltd.", name="Vendor One Technology Co., Ltd.",
                   distance=120)  # fmt: skip


def test_legal_entity_text_in_the_bundle_naming_a_country_of_concern_is_a_low_confidence_inference(
    shipped: ServiceAttributor,
) -> None:
    inferred = shipped.service("api.vendor-one.com", [ICP, COPYRIGHT])
    assert inferred is not None and inferred.basis == "bundle" and inferred.confidence == "low"
    assert inferred.country == "CN" and inferred.countries == ("CN",) and inferred.basis in INFERRED_BASES
    # The filing decides the country; the company named beside it, in a form naming no country, is the name.
    assert inferred.operator == "Vendor One Technology Co., Ltd. (likely under CN law: ICP filing 京ICP备18024657号)"
    first, second = inferred.source.split(" | ")
    assert first == (
        "ICP filing 京ICP备18024657号 in app/main.js (offset 1200), 310 bytes from api.vendor-one.com; "
        "no table knows who runs this host"
    )
    assert second.startswith("copyright line © 2025 Vendor One Technology Co., Ltd. in app/main.js")
    alone = shipped.service("api.vendor-one.com", [ICP])
    assert alone is not None and alone.operator.startswith("unknown operator (likely under CN law: ICP filing")
    hong_kong = entity("company", "香港科技有限公司", name="香港科技有限公司", country="HK")
    hk = shipped.service("api.vendor-one.com", [hong_kong, COPYRIGHT])
    assert hk is not None and hk.country == "HK" and hk.operator.startswith("香港科技有限公司 (likely under HK law")


def test_text_pointing_elsewhere_or_nowhere_decides_nothing(shipped: ServiceAttributor) -> None:
    # An answer of "Japan" or "Singapore" from a bundle would settle who runs it, and could hide a Chinese owner.
    japan = entity("company", "ソニー株式会社", name="ソニー株式会社", country="JP")
    singapore = entity("copyright", "© 2024 Vendor Pte. Ltd.", name="Vendor Pte. Ltd.", country="SG")
    assert shipped.service("api.vendor-one.com", [japan, singapore, COPYRIGHT]) is None
    cctld = shipped.service("api.vendor-one.cn", [japan])
    assert cctld is not None and cctld.basis == "cctld"


def test_tables_beat_the_bundle_and_the_bundle_beats_the_cctld(shipped: ServiceAttributor) -> None:
    known = shipped.service("api.openai.com", [ICP])
    assert known is not None and known.basis == "catalog" and known.country == "US"
    kb = shipped.service("oauth2.googleapis.com", [ICP])
    assert kb is not None and kb.basis == "operators"
    hong_kong_name = shipped.service("api.vendor-one.hk", [ICP])  # a filing names the entity; a ccTLD only the name
    assert hong_kong_name is not None and hong_kong_name.basis == "bundle" and hong_kong_name.country == "CN"
