from __future__ import annotations

from pathlib import Path

import pytest

from databorder.attribute.tables import OperatorTable, ServiceTable
from databorder.catalog import load_catalog
from databorder.errors import ResourceError


def test_shipped_operator_table_knows_registrant_versus_parent_country() -> None:
    table = OperatorTable()
    alibaba_us = table.lookup(45102)  # registered in the US, parent Chinese
    assert alibaba_us is not None
    assert alibaba_us.operator.country == "CN" and alibaba_us.operator.parent == "Alibaba Group Holding Ltd."
    assert alibaba_us.operator.source and "ARIN" in alibaba_us.operator.source
    cloudflare = table.lookup(13335)
    assert cloudflare is not None and cloudflare.anycast and cloudflare.operator.country == "US"
    amazon = table.lookup(16509)
    assert amazon is not None and not amazon.anycast
    assert table.lookup(64500) is None and table.lookup(None) is None
    assert table.ref.kind == "operators" and len(table.ref.sha256) == 64


def test_service_table_matches_the_longest_listed_parent_domain() -> None:
    table = ServiceTable(base=load_catalog().service_rows())
    deepseek = table.lookup("chat.deepseek.com")
    assert deepseek is not None and deepseek.country == "CN" and "DeepSeek" in deepseek.operator
    apm = table.lookup("apmplus.volces.com")
    ark = table.lookup("ark.cn-beijing.volces.com")
    assert apm is not None and ark is not None and apm.operator != ark.operator
    assert table.lookup("notdeepseek.com") is None
    assert table.lookup(None) is None


def test_damaged_tables_are_reported_as_a_broken_installation(tmp_path: Path) -> None:
    bad = tmp_path / "operators.toml"
    bad.write_text("[[operators]]\nname = 'x'\n")
    with pytest.raises(ResourceError, match="malformed row"):
        OperatorTable(bad)
    bad.write_text("not toml =")
    with pytest.raises(ResourceError, match="missing or damaged"):
        ServiceTable(bad)


def test_third_party_vendors_come_from_the_services_table_alone() -> None:
    table = ServiceTable()
    sentry = table.lookup("o123.ingest.sentry.io")
    assert sentry is not None and sentry.category == "error-reporting" and sentry.country == "US"
    assert table.lookup("api.deepseek.com") is None  # AI apps' own domains come from the catalog
