"""Legal-entity text in scanned bytes: Chinese ICP and public-security filings, company names, copyright lines.

Who runs an endpoint is sometimes written beside it. A website served from mainland China must show its ICP
filing number (京ICP备18024657号, filed with the MIIT by the entity running it) and often a public-security filing
number (京公网安备11010802020088号); a web app's footer names the company (北京某某科技有限公司); a bundle's header
names its copyright holder (© 2025 Foo Technology Co., Ltd.).

``finding`` finds the markers of such text in the same RE2 pass as host names (``MARKERS``, a few literal
alternatives: the pass costs no more), and hands each marker here: ``entity_at`` reads the text around it and
says what it is, the entity it names and the country the text itself points to. Only forms that name a country
give one: an ICP or public-security filing (CN), a Chinese company form (有限公司: CN; HK, MO or TW when the name
begins with 香港, 澳门 or 台湾; none when written only in traditional characters, as in Hong Kong and Taiwan),
株式会社 and K.K. (JP), Pte. Ltd. (SG), an English company name beginning with a mainland city (Beijing …
Co., Ltd.: CN) or with Hong Kong (HK). ``Inc.``, ``LLC``, ``GmbH``, ``Co., Ltd.`` and the like alone give none.

``EntityLinks`` keeps, per host, the few strongest and nearest pieces of such text seen near its sightings.
"""

from __future__ import annotations

import bisect
import functools
import mmap
import re
from collections.abc import Iterable
from typing import NamedTuple

from databorder.model import EntityKind, LegalEntity

Buffer = bytes | mmap.mmap  # what is searched: a chunk read, or a file mapped in place

#: The province-level abbreviations an ICP or public-security filing number starts with.
PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"

_ICP = re.compile(rf"[{PROVINCES}]ICP[备证][ \t:：]*\d{{5,12}}[ \t]*号?(?:-\d{{1,3}})?号?")
_PSB = re.compile(rf"[{PROVINCES}]公网安备[ \t:：]*\d{{10,16}}[ \t]*号?")
# A Chinese company name: the characters before the form (a place, a trade name, a trade), Latin letters allowed
# inside (上海MiniMax科技有限公司), brackets for a branch (（北京）).
_CJK_NAME_BEFORE = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fffA-Za-z0-9（）()·]{2,40}$")
_CJK_FORM = re.compile(r"有限(?:责任|責任)?公司")
_JP_NAME_BEFORE = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fffA-Za-z0-9ー・]{1,30}$")
_JP_NAME_AFTER = re.compile(r"^[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fffA-Za-z0-9ー・]{1,30}")
# Words that precede a name in running text, not part of it ("由北京…有限公司提供", "版权所有北京…").
_LEADING_WORDS = re.compile(
    r"^(?:版权所有|版權所有|著作权所有|著作權所有|由|是|为|為|与|與|和|及|本|该|該|向|的|在|从|從|被|请|請|对|對)+"
)
# Placeholders in forms and help text: 某某科技有限公司, XX有限公司, 示例公司.
_PLACEHOLDER = re.compile(r"某|[Xx×]{2}|示例|例如|测试|測試|样例|範例|范例")
# Characters common in company names whose simplified and traditional forms differ: a name with traditional
# ones only is written the way Hong Kong, Macau and Taiwan write (which of them, the text does not say).
_SIMPLIFIED = frozenset("网络术电脑讯东华国发开软数据计险银贸实营设传广视频动门业宝汇兴龙乐达连联云"
                        "贷际资产运输药医疗体经济团维责")  # fmt: skip
_TRADITIONAL = frozenset("網絡術電腦訊東華國發開軟數據計險銀貿實營設傳廣視頻動門業寶匯興龍樂達連聯雲"
                         "貸際資產運輸藥醫療體經濟團維責")  # fmt: skip
_PLACE_COUNTRY = (("香港", "HK"), ("澳门", "MO"), ("澳門", "MO"), ("台湾", "TW"), ("台灣", "TW"), ("臺灣", "TW"),
                  ("台北", "TW"), ("臺北", "TW"))  # fmt: skip

# A copyright line naming a company: the marker, years, then capitalised words ending in a legal form.
_COPYRIGHT = re.compile(
    r"(?:©|&copy;|\([cC]\)|[Cc]opyright|COPYRIGHT)(?:[ \t]*(?:©|&copy;|\([cC]\)))?[ \t]*"
    r"(?:(?:\d{4})(?:[ \t]*[-–,][ \t]*\d{2,4})*[ \t,]*)?(?:by[ \t]+)?"
    r"(?P<name>[A-Z][\w&'.-]*(?:[ \t]+(?:[A-Z0-9&][\w&'.-]*|of|and|de|für))*?)"
    r"(?:,?[ \t]+)(?P<form>Co\.,?[ \t]*Ltd\.?|Co\.,?[ \t]*Limited|Pte\.?[ \t]+Ltd\.?|Pty\.?[ \t]+Ltd\.?|"
    r"Ltd\.?|Limited|Inc\.?|LLC|L\.L\.C\.|GmbH|S\.A\.S\.?|SAS|S\.A\.|K\.K\.|Corp\.?|Corporation|B\.V\.|AG|"
    r"S\.r\.l\.|Oy|AB|SE)(?![\w])"
)
_MAINLAND_CITIES = ("Beijing", "Shanghai", "Shenzhen", "Guangzhou", "Hangzhou", "Chengdu", "Wuhan", "Nanjing",
                    "Tianjin", "Chongqing", "Suzhou", "Xiamen", "Xi'an", "Hefei", "Changsha", "Jinan", "Qingdao",
                    "Dalian", "Zhuhai", "Dongguan", "Ningbo", "Fuzhou", "Kunming", "Shenyang", "Harbin",
                    "Zhengzhou", "Guangdong", "Zhejiang", "Jiangsu", "Fujian", "Sichuan")  # fmt: skip
_FORM_COUNTRY = {"K.K.": "JP", "Pte. Ltd.": "SG", "Pte Ltd": "SG", "Pte Ltd.": "SG", "Pte. Ltd": "SG"}

_BEFORE = 160  # bytes read before a marker (a Chinese name ends at it: 40 characters of 3 bytes, and some)
_AFTER = 200  # and after it (a copyright line's years and name follow the marker)

#: The markers ``finding`` adds to its RE2 pattern, which is case-insensitive (``(?-i:…)`` where case matters)
#: and reads UTF-8, so the Chinese and Japanese ones are written as themselves. The province before ``ICP`` and
#: ``公网安备`` is checked here, not in the pattern: a class of 31 three-byte characters in front cost the scan's
#: DFA about 30 MB of states per worker.
MARKERS = ("(?-i:ICP)[备证]|公网安备|有限[公责責]|株式会社" + r"|©|&copy;|\(c\) ?(?-i:[0-9A-Z])|copyright").encode()
#: First bytes of a marker match that no URL or host-name match starts with (a URL starts with a letter, a name
#: with a quote, NUL or "/"): "ICP备" and "copyright" are told from a URL by their length.
MARKER_FIRST = frozenset(range(0x80, 0x100)) | frozenset(b"&(")
_FILING_MARKERS = (b"ICP", "公网安备".encode())
_NAME_BEFORE = frozenset("有株".encode()[::3])  # first bytes of the markers whose name precedes them

#: How strong each kind of text is when it names a country: a filing number is the operator's own registration.
_STRENGTH: dict[str, int] = {"icp-filing": 3, "psb-filing": 3, "company": 2, "copyright": 2}


class Found(NamedTuple):
    """Legal-entity text at one place in a buffer, before it is linked to a host."""

    kind: EntityKind
    text: str
    name: str | None
    country: str | None
    offset: int  # in the file


def entity_at(data: Buffer, start: int, end: int, base: int) -> Found | None:
    """The legal-entity text around a marker found at ``data[start:end]`` (``base``: data's offset in its file).

    None when the text around it is no filing number or company name (most copyright markers in code are not).
    """
    head = data[start]
    if data[start : start + 3] == b"ICP" or data[start : start + 12] == _FILING_MARKERS[1]:
        start = first = max(0, start - 3)  # the province's character before it (the filing's pattern checks it)
    elif head in _NAME_BEFORE:
        first = max(0, start - _BEFORE)  # 有限公司, 株式会社: the name ends at the marker
    else:
        first = start  # a copyright line: all of it follows, and without what precedes it the cache hits
    found = _read(bytes(data[first : end + _AFTER]), start - first)
    return found._replace(offset=found.offset + base + first) if found is not None else None


@functools.lru_cache(maxsize=1 << 11)
def _read(window: bytes, at: int) -> Found | None:
    """The entity text around a marker at ``window[at:]``, with its offset in the window.

    Cached: bundles repeat the same licence header and footer many times.
    """
    before = window[:at].decode("utf-8", "ignore")
    tail = window[at:]
    after = tail.decode("utf-8", "ignore")
    if tail[3:6] == b"ICP":
        return _icp(after, at)
    if tail[3:9] == "公网".encode():
        return _psb(after, at)
    if tail.startswith("有".encode()):
        return _cjk_company(before, after, at)
    if tail.startswith("株".encode()):
        return _japanese_company(before, after, at)
    return _copyright(after, at)


def _icp(after: str, at: int) -> Found | None:
    found = _ICP.match(after)
    if found is None or _placeholder_number(found.group()):
        return None
    return Found("icp-filing", found.group(), None, "CN", at)


def _psb(after: str, at: int) -> Found | None:
    found = _PSB.match(after)
    if found is None or _placeholder_number(found.group()):
        return None
    return Found("psb-filing", found.group(), None, "CN", at)


def _placeholder_number(text: str) -> bool:
    """A number of a sample configuration or a form's hint: 京ICP证123456号, 京公网安备12345678号, 京ICP备00000000号.

    A theme's sample settings (hexo-theme-fluid's _config.yml carries 京ICP证123456号) sit beside its links to
    its docs; read as a filing they made those hosts Chinese.
    """
    digits = re.search(r"\d+", text)
    number = digits.group() if digits is not None else ""
    return len(set(number)) == 1 or number in "1234567890123456" or number in "9876543210"


def _cjk_company(before: str, after: str, at: int) -> Found | None:
    form = _CJK_FORM.match(after)
    run = _CJK_NAME_BEFORE.search(before)
    if form is None or run is None:
        return None
    name_part = _LEADING_WORDS.sub("", run.group())
    if len(name_part.replace("股份", "")) < 2 or _PLACEHOLDER.search(name_part) or name_part.isascii():
        return None
    name = name_part + form.group()
    return Found("company", name, name, _cjk_country(name), at - len(name_part.encode()))


def _cjk_country(name: str) -> str | None:
    for place, country in _PLACE_COUNTRY:
        if name.startswith(place):
            return country
    letters = set(name)
    if letters & _TRADITIONAL and not letters & _SIMPLIFIED:
        return None  # Hong Kong, Macau or Taiwan: the name alone does not say which
    return "CN"


def _japanese_company(before: str, after: str, at: int) -> Found | None:
    run = _JP_NAME_BEFORE.search(before)
    if run is not None:
        name = run.group() + "株式会社"
        return Found("company", name, name, "JP", at - len(run.group().encode()))
    following = _JP_NAME_AFTER.match(after[4:])
    if following is None:
        return None
    name = "株式会社" + following.group()
    return Found("company", name, name, "JP", at)


def _copyright(after: str, at: int) -> Found | None:
    line = after.split("\n", 1)[0][:_AFTER]
    found = _COPYRIGHT.match(line)
    if found is None:
        return None
    form = found.group("form")
    name = f"{found.group('name')}{line[found.end('name') : found.start('form')]}{form}"
    country = _FORM_COUNTRY.get(re.sub(r"[ \t]+", " ", form))
    first = found.group("name").split()[0].rstrip(",")
    if first in _MAINLAND_CITIES:
        country = "CN"
    elif found.group("name").startswith("Hong Kong"):
        country = "HK"
    return Found("copyright", found.group().strip(), name, country, at)


def strength(entity: LegalEntity) -> tuple[int, int]:
    """How much a piece of text counts for its host: a filing or a company form naming a country, then the nearest."""
    return (_STRENGTH[entity.kind] if entity.country else 1), -entity.distance


class EntityLinks:
    """Per host, the strongest and nearest legal-entity text seen near its sightings (a few, not every one)."""

    KEEP = 4

    def __init__(self) -> None:
        self.by_host: dict[str, dict[tuple[str, str], LegalEntity]] = {}

    def add(self, entity: LegalEntity) -> None:
        """One piece of text seen near ``entity.near``; the same text seen again keeps its nearest place."""
        kept = self.by_host.setdefault(entity.near, {})
        key = (entity.kind, entity.text)
        old = kept.get(key)
        if old is not None and old.distance <= entity.distance:
            return
        kept[key] = entity
        if len(kept) > self.KEEP:
            weakest = min(kept, key=lambda k: strength(kept[k]))
            del kept[weakest]

    def update(self, entities: Iterable[LegalEntity]) -> None:
        """Fold in entities linked elsewhere (another worker, another range)."""
        for entity in entities:
            self.add(entity)

    def take(self) -> list[LegalEntity]:
        """Everything linked so far, emptied."""
        found = [entity for kept in self.by_host.values() for entity in kept.values()]
        self.by_host = {}
        return found

    def __bool__(self) -> bool:
        return bool(self.by_host)


class Linker:
    """Links the entity text and the host sightings of one buffer that lie within ``window`` bytes of each other.

    Both come in the order they were found. The scanner appends each sighting to ``hosts`` itself (a list append,
    the cheapest thing on the path every sighting takes) and calls :meth:`host` only while entity text is pending,
    :meth:`trim` when the list grows. Entity text is kept while it lies within the window behind the latest
    sighting, at most the last ``_RECENT`` pieces, so work and memory stay bounded on hostile input (a buffer full
    of markers) whatever the buffer's size.
    """

    __slots__ = ("entities", "hosts", "links", "source", "window")

    TRIM_AT = 4096  # sightings kept before the old ones are dropped

    def __init__(self, links: EntityLinks, source: str, window: int) -> None:
        self.links, self.source, self.window = links, source, window
        self.hosts: list[tuple[int, str]] = []  # (offset, host) of the sightings so far, in order
        self.entities: dict[str, Found] = {}  # text → its latest place, oldest first

    def host(self, offset: int, host: str) -> None:
        """A host sighted at ``offset`` while entity text is pending: linked to what lies within the window."""
        entities = self.entities
        while entities:
            first = next(iter(entities.values()))
            if offset - first.offset <= self.window:
                break
            del entities[first.text]
        for found in entities.values():
            self._link(found, host, abs(offset - found.offset))

    def entity(self, found: Found) -> None:
        """Entity text: linked to the hosts sighted within the window before it, and kept for those after it."""
        oldest = found.offset - self.window
        linked: set[str] = set()
        for offset, host in reversed(self.hosts):
            if offset < oldest:
                break
            if host not in linked:  # the latest sighting of a host is the nearest
                linked.add(host)
                self._link(found, host, abs(found.offset - offset))
        entities = self.entities
        entities.pop(found.text, None)
        entities[found.text] = found
        if len(entities) > _RECENT:
            del entities[next(iter(entities))]
        self.trim()

    def trim(self) -> None:
        """Forget the sightings that lie beyond the window behind the latest one."""
        hosts = self.hosts
        if hosts:
            del hosts[: bisect.bisect_left(hosts, (hosts[-1][0] - self.window, ""))]

    def _link(self, found: Found, host: str, distance: int) -> None:
        self.links.add(LegalEntity(found.kind, found.text, found.name, found.country, self.source, found.offset,
                                   host, distance))  # fmt: skip


_RECENT = 16


def best(entities: Iterable[LegalEntity], keep: int = 4) -> tuple[LegalEntity, ...]:
    """The strongest few, strongest first; the same text seen in several places counts once (its nearest)."""
    nearest: dict[tuple[str, str], LegalEntity] = {}
    for entity in entities:
        key = (entity.kind, entity.text)
        if key not in nearest or entity.distance < nearest[key].distance:
            nearest[key] = entity
    return tuple(sorted(nearest.values(), key=strength, reverse=True)[:keep])
