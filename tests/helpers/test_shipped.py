"""The shipped-data facts the tests compare against are read from the real files, and agree with the engine."""

from __future__ import annotations

import re

from databorder.catalog import load_catalog
from databorder.policy import find_pack, load_pack
from tests.helpers.shipped import catalog_app_ids, geoip_provenance, pack_version


def test_facts_come_from_the_shipped_files() -> None:
    assert set(catalog_app_ids()) == set(load_catalog().apps)
    assert pack_version("us-navy-genai") == load_pack(*find_pack("us-navy-genai")).version
    for kind in ("country", "asn"):
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", geoip_provenance(kind)["build_date"])
