"""Legal-entity text: filing numbers, company names and copyright lines read, linked to the hosts seen near them."""

from __future__ import annotations

import functools
import time

import pytest
import re2
from hypothesis import given, settings
from hypothesis import strategies as st

from databorder.collect.static.entities import (
    MARKER_FIRST,
    MARKERS,
    EntityLinks,
    Found,
    Linker,
    best,
    entity_at,
)
from databorder.collect.static.finding import ENTITY_WINDOW, SMALL_FILE, Scanner
from databorder.model import LegalEntity

_MARKER_PATTERN = re2.compile(b"(?i)" + MARKERS)


def found_in(text: str | bytes) -> list[Found]:
    """Every piece of entity text in ``text``, found as the scan finds it (marker, then the text around it)."""
    data = text.encode() if isinstance(text, str) else text
    found, pos = [], 0
    while (match := _MARKER_PATTERN.search(data, pos)) is not None:
        start, end = match.span()
        marker = data[start:end]
        assert marker[0] in MARKER_FIRST or marker.lower() == b"copyright" or marker[:3] == b"ICP"
        entity = entity_at(data, start, end, 0)
        if entity is not None:
            found.append(entity)
            end = max(end, entity.offset + len(entity.text.encode()))
        pos = end
    return found


def one(text: str) -> Found:
    found = found_in(text)
    assert len(found) == 1, found
    return found[0]


@pytest.mark.parametrize(
    ("text", "seen"),
    [
        ("footer: 京ICP备18024657号", "京ICP备18024657号"),
        ("沪ICP备13002172号-3 |", "沪ICP备13002172号-3"),
        ("粤ICP证 030173号", "粤ICP证 030173号"),
        ("备案号：浙ICP备2023012345号-1</a>", "浙ICP备2023012345号-1"),
    ],
)
def test_icp_filing_numbers_point_to_china(text: str, seen: str) -> None:
    found = one(text)
    assert (found.kind, found.text, found.name, found.country) == ("icp-filing", seen, None, "CN")
    assert text.encode()[found.offset :].startswith(seen.encode())  # the offset is the text's own


def test_public_security_filing_numbers_point_to_china() -> None:
    found = one("<span>京公网安备 11010802020088号</span>")
    assert (found.kind, found.text, found.country) == ("psb-filing", "京公网安备 11010802020088号", "CN")


def test_what_only_looks_like_a_filing_is_not_one() -> None:
    assert found_in("京ICP备 pending") == []  # no number
    assert found_in("ICP备18024657号") == []  # no province
    assert found_in("美ICP备18024657号") == []  # not a province's abbreviation
    assert found_in("京icp备18024657号") == []  # the filing system writes ICP in capitals
    # Numbers of sample settings and forms' hints (hexo-theme-fluid's _config.yml carries 京ICP证123456号)
    for sample in ("京ICP证123456号", "京ICP备12345678号", "京ICP备00000000号", "京公网安备11111111111111号"):
        assert found_in(sample) == [], sample


@pytest.mark.parametrize(
    ("text", "name", "country"),
    [
        ("版权所有©北京字节跳动科技有限公司 2024", "北京字节跳动科技有限公司", "CN"),
        ("由深圳市腾讯计算机系统有限公司提供服务", "深圳市腾讯计算机系统有限公司", "CN"),
        ("上海MiniMax科技有限责任公司。", "上海MiniMax科技有限责任公司", "CN"),
        ("阿里巴巴（中国）网络技术股份有限公司", "阿里巴巴（中国）网络技术股份有限公司", "CN"),
        ("香港科技股份有限公司 ", "香港科技股份有限公司", "HK"),
        ("澳門娛樂有限公司", "澳門娛樂有限公司", "MO"),
        ("台灣積體電路製造股份有限公司", "台灣積體電路製造股份有限公司", "TW"),
        ("騰訊控股有限公司", "騰訊控股有限公司", None),  # traditional characters only: Hong Kong, Macau or Taiwan
        ("ソニーグループ株式会社", "ソニーグループ株式会社", "JP"),
        ("「株式会社メルカリ」", "株式会社メルカリ", "JP"),
    ],
)
def test_company_names_in_a_form_that_names_a_country(text: str, name: str, country: str | None) -> None:
    found = one(text)
    assert (found.kind, found.name, found.text, found.country) == ("company", name, name, country)
    assert text.encode()[found.offset :].startswith(name.encode())


def test_placeholders_and_bare_forms_are_no_company() -> None:
    assert found_in("例如：北京某某科技有限公司") == []
    assert found_in("请输入XX有限公司的名称") == []
    assert found_in("有限公司") == []  # a form without a name
    assert found_in("ABC有限公司") == []  # Latin letters alone are no Chinese name


@pytest.mark.parametrize(
    ("text", "name", "country"),
    [
        ("/*! © 2025 Example Vendor Technology Co., Ltd. All rights reserved */", "Example Vendor Technology Co., Ltd.",
         None),
        ("Copyright (c) 2015 Facebook, Inc. and its affiliates.", "Facebook, Inc.", None),
        ("Copyright (c) Microsoft Corporation. All rights reserved.", "Microsoft Corporation", None),
        ("(c) 2019-2024 Foo GmbH", "Foo GmbH", None),  # Germany, Austria or Switzerland
        ("&copy; 2020 Acme LLC", "Acme LLC", None),
        ("© 2024 BytePlus Pte. Ltd.", "BytePlus Pte. Ltd.", "SG"),
        ("Copyright 2023 Beijing Zhipu Huazhang Technology Co., Ltd.", "Beijing Zhipu Huazhang Technology Co., Ltd.",
         "CN"),
        ("COPYRIGHT (C) 2019 Hong Kong Foo Limited", "Hong Kong Foo Limited", "HK"),
        ("© 2022 Preferred Networks K.K.", "Preferred Networks K.K.", "JP"),
    ],
)  # fmt: skip
def test_copyright_lines_name_a_company_and_a_country_only_where_the_form_says(
    text: str, name: str, country: str | None
) -> None:
    found = one(text)
    assert (found.kind, found.name, found.country) == ("copyright", name, country)
    assert found.text.endswith(name) and text.encode()[found.offset :].startswith(found.text.encode())


def test_code_and_licences_without_a_company_name_nothing() -> None:
    assert found_in("function(c){return(c) A}") == []
    assert found_in('var copyright="copyright";') == []
    assert found_in("Copyright (c) 2015 Sindre Sorhus <sindresorhus@gmail.com>") == []  # a person, no form
    assert found_in("// copyright notice: see LICENSE") == []


@functools.cache
def _scanner() -> Scanner:
    return Scanner()  # parsing the suffix list costs more than a fuzzed example


def _entity(found: Found, near: str, distance: int, source: str = "app/main.js") -> LegalEntity:
    return LegalEntity(found.kind, found.text, found.name, found.country, source, found.offset, near, distance)


ICP = Found("icp-filing", "京ICP备18024657号", None, "CN", 5000)
NAME = Found("copyright", "© 2025 Foo Inc.", "Foo Inc.", None, 5100)


def test_the_linker_links_what_lies_within_the_window_on_either_side() -> None:
    links = EntityLinks()
    linker = Linker(links, "app/main.js", 4096)
    linker.hosts += [(100, "far-before.example.com"), (1000, "before.example.com")]  # 4,900 and 4,000 before
    linker.entity(ICP)
    for offset, host in ((9000, "after.example.com"), (9200, "far-after.example.com")):  # 4,000 and 4,200 after
        linker.hosts.append((offset, host))
        linker.host(offset, host)
    assert {(e.near, e.distance) for e in links.take()} == {("before.example.com", 4000), ("after.example.com", 4000)}
    assert not links


def test_links_keep_the_strongest_and_nearest_few_per_host() -> None:
    links = EntityLinks()
    far = _entity(ICP, "api.example.com", 3000)
    links.add(far)
    links.add(_entity(ICP, "api.example.com", 40))  # the same text nearer: one entry, the nearer distance
    for n in range(10):
        links.add(_entity(NAME._replace(text=f"© Foo {n} Inc.", offset=6000 + n), "api.example.com", 10 + n))
    for n in range(3):  # one licence header repeated: one entry, its nearest place
        links.add(_entity(NAME._replace(offset=7000 + n), "api.example.com", 5 + n))
    kept = links.take()
    assert len(kept) == EntityLinks.KEEP
    assert [e for e in kept if e.kind == "icp-filing"] == [_entity(ICP, "api.example.com", 40)]
    assert best(kept)[0].kind == "icp-filing"  # a filing naming a country outweighs a nearer name naming none
    assert [(e.text, e.distance) for e in kept if e.text == NAME.text] == [(NAME.text, 5)]


def test_the_same_text_near_several_hosts_counts_once() -> None:
    seen = [_entity(ICP, "a.example.com", 300), _entity(ICP, "b.example.com", 30), _entity(NAME, "a.example.com", 9)]
    chosen = best(seen)
    assert [(e.kind, e.near) for e in chosen] == [("icp-filing", "b.example.com"), ("copyright", "a.example.com")]


def test_the_scanner_links_entity_text_in_a_small_file_to_every_host_and_in_a_big_one_within_the_window() -> None:
    host = b'const api="https://api.example-vendor.com/v1";'
    footer = "<footer>京ICP备18024657号</footer>".encode()
    padding = b" " * (SMALL_FILE - len(host) - len(footer) - 10)
    scanner = Scanner()
    small = host + padding + footer
    list(scanner.scan_bytes(small, "small.js", 0, binary=False, whole=True))
    [linked] = scanner.links.take()
    assert (linked.near, linked.source, linked.text) == ("api.example-vendor.com", "small.js", "京ICP备18024657号")
    assert linked.distance > ENTITY_WINDOW
    big = host + b" " * (2 * SMALL_FILE) + footer
    list(scanner.scan_bytes(big, "big.js", 0, binary=False, whole=True))
    assert scanner.links.take() == []
    list(scanner.scan_bytes(small, "part.js", 0, binary=False))  # a chunk of a bigger file: the window only
    assert scanner.links.take() == []


def test_markers_leave_the_names_around_them_found() -> None:
    data = '"https://a.example-vendor.com/v1"©"b.example-vendor.com"京ICP备18024657号"c.example-vendor.com"'.encode()
    hits = list(Scanner().scan_bytes(data, "f.js", 0, binary=False))
    assert [h.host for h in hits] == ["a.example-vendor.com", "b.example-vendor.com", "c.example-vendor.com"]


_PIECES = ("京ICP备", "ICP", "公网安备", "沪", "有限公司", "有限责任", "株式会社", "©", "&copy;", "(c) ",
           "Copyright ", "2024", "Co., Ltd.", "号", "-1", " Inc.", "香港", '"api.vendor.cn"',
           "https://x.example.com/v1", "\n")  # fmt: skip
_FRAGMENTS = st.sampled_from(
    [piece.encode() for piece in _PIECES] + [b"\xe5", b"\xa4\x87", b"\x00", b"\xff"]  # cut characters, NUL, bad UTF-8
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(_FRAGMENTS, st.binary(max_size=40)), max_size=80))
def test_any_bytes_are_read_without_crashing_and_what_is_found_is_where_it_says(parts: list[bytes]) -> None:
    data = b"".join(parts)
    for found in found_in(data):
        assert found.text and 0 <= found.offset < len(data)
        assert found.country in (None, "CN", "HK", "MO", "TW", "JP", "SG")
    scanner = _scanner()
    scanner.links.take()
    for binary in (False, True):
        list(scanner.scan_bytes(data, "fuzz", 0, binary=binary, whole=True))
    for entity in scanner.links.take():
        assert entity.source == "fuzz" and entity.distance >= 0


def test_a_buffer_full_of_markers_is_read_in_bounded_time() -> None:
    # Hostile input: every few bytes a marker and a host; the linker's memory and work stay within its window.
    unit = '"h.vendor.com"京ICP备18024657号©2024 A Co., Ltd. 有限公司'.encode()
    data = unit * (1_000_000 // len(unit))
    scanner = Scanner()
    started = time.perf_counter()
    hits = sum(1 for _ in scanner.scan_bytes(data, "dense.js", 0, binary=False))
    elapsed = time.perf_counter() - started
    assert hits == len(data) // len(unit)
    assert len(scanner.links.take()) <= EntityLinks.KEEP
    assert elapsed < 30


def test_text_in_docs_and_near_documentation_or_identifiers_links_to_nothing() -> None:
    scanner = _scanner()
    scanner.links.take()
    text = '"https://api.example-vendor.com/v1" "https://github.com/x/y" "string.invalid" 京ICP备18024657号'.encode()
    for source in ("pkg/README.md", "pkg/docs/guide.js", "pkg-1.0.dist-info/METADATA", "pkg-1.0/PKG-INFO"):
        list(scanner.scan_bytes(text, source, 0, binary=False, whole=True))
        assert scanner.links.take() == [], source  # prose about companies, not the app's own footer
    list(scanner.scan_bytes(text, "pkg/dist/app.js", 0, binary=False, whole=True))
    assert [e.near for e in scanner.links.take()] == ["api.example-vendor.com"]  # not code hosting, not a scope
