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


def test_service_table_matches_the_longest_listed_parent_domain(tmp_path: Path) -> None:
    extra = tmp_path / "ours.toml"
    extra.write_text(
        '[[services]]\ndomains = ["gateway.example.test"]\noperator = "Example Corp AI gateway"\ncountry = "DE"\n'
        'source = "our inventory"\ncategory = "genai"\n',
        encoding="utf-8",
    )
    table = ServiceTable([extra], base=load_catalog().service_rows())
    deepseek = table.lookup("chat.deepseek.com")
    assert deepseek is not None and deepseek.country == "CN" and "DeepSeek" in deepseek.operator
    ours = table.lookup("eu.gateway.example.test")
    assert ours is not None and ours.operator == "Example Corp AI gateway" and ours.country == "DE"
    assert table.lookup("notdeepseek.com") is None
    assert table.lookup(None) is None
    assert [r.kind for r in table.refs] == ["services"]


def test_damaged_tables_are_reported_as_a_broken_installation_or_bad_input(tmp_path: Path) -> None:
    from databorder.errors import InputFileError

    bad = tmp_path / "operators.toml"
    bad.write_text("[[operators]]\nname = 'x'\n")
    with pytest.raises(ResourceError, match="malformed row"):
        OperatorTable(bad)
    bad.write_text("not toml =")
    with pytest.raises(InputFileError, match="not a readable services table"):
        ServiceTable([bad])
