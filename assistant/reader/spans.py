"""Candidate answer spans inside a sentence, one finder per kind of answer.

Every finder works on the normalized text (same length as the original) and
returns offsets, so the answer is always a verbatim slice of the report.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

_UNITS = sorted(
    """个百分点 百分点 % ‰ 亿美元 万美元 美元 亿元 万元 元 万人次 人次 万人 人 万户 户 个 家 所 项 座 条 名 次 批 宗 件 场 栋 套 台 辆 架 艘
    万亩 亩 公顷 平方公里 万平方米 平方米 公里 千米 米 万吨 吨 千瓦时 亿千瓦时 万千瓦 千瓦 兆瓦 倍 年 天 个月 月 小时 分钟 岁 床 张 处
    亿斤 万斤 斤 公斤 万只 只 万头 头 万株 株 亿立方米 万立方米 立方米 万标箱 标箱 班 列 盏 座 所 种 类 部 篇 届 万 亿 期 段 片 级 星""".split(),
    key=len, reverse=True,
)
_UNIT_RE = "|".join(re.escape(u) for u in _UNITS)
NUMBER = re.compile(
    r"(?:超过|超|近|约|逾|不少于|不低于)?"
    r"(?<![\d.])(\d+(?:\.\d+)?)(?:万|亿)?(?:余|多)?(?:" + _UNIT_RE + r")?(?:以上|左右|以内|以下|之内|以上的)?"
)
CN_NUMBER = re.compile(r"[一二两三四五六七八九十百千]+(?:个|项|大|种|类|条|所|家|批|次|位)(?:方面|领域|行业|产业|任务|工程|行动)?")
DATE = re.compile(r"(?:20\d\d年)?\d{1,2}月\d{1,2}日(?:上午|下午)?|20\d\d年(?:\d{1,2}月)?(?:底|前|内|年底)?")
MEETING = re.compile(r"(?:[\u4e00-\u9fff]{2,8}?(?:区|市|省|县))?第?[一二三四五六七八九十]+届人民代表大会第?[一二三四五六七八九十]+次会议")
OFFICIAL = re.compile(r"((?:代理)?(?:区长|市长|省长|县长|州长|主席|书记|主任))\s*([\u4e00-\u9fff]{2,4})")
PLACE_EVENT = re.compile(r"在([\u4e00-\u9fff]{2,12}?)(?:开幕|召开|举行|举办|闭幕)")
CLAUSE_SPLIT = re.compile(r"[,，;；:：。!?！？]")


@dataclass(frozen=True)
class Span:
    start: int  # offsets in the report text
    end: int
    kind: str  # number | percent | list | date | meeting | name | place | clause | definition
    unit: str = ""


def clause_bounds(text: str, start: int, end: int, pos: int) -> tuple[int, int]:
    """The clause (between , ; : 。) of text[start:end] that contains pos."""
    s = pos
    while s > start and not CLAUSE_SPLIT.match(text[s - 1]):
        s -= 1
    e = pos
    while e < end and not CLAUSE_SPLIT.match(text[e]):
        e += 1
    return s, e


def numbers(norm: str, start: int, end: int) -> list[Span]:
    out = []
    for m in NUMBER.finditer(norm, start, end):
        value = m.group(0)
        unit_m = re.search(r"(" + _UNIT_RE + r")(?:以上|左右|以内|以下|之内|以上的)?$", value)
        unit = unit_m.group(1) if unit_m else ""
        s, e = m.start(), m.end()
        if value.endswith("以上的"):
            e -= 1
        # a bare year or a list number ("1.") is not an answer
        if not unit and re.fullmatch(r"20\d\d", m.group(1)):
            continue
        if unit in ("年",) and re.fullmatch(r"20\d\d", m.group(1)):
            continue
        if not unit and e < end and norm[e] in ".、":
            continue
        if e < end and norm[e] == "年" and re.fullmatch(r"20\d\d", m.group(1)):
            continue
        kind = "percent" if unit in ("%", "‰", "个百分点", "百分点") else "number"
        out.append(Span(s, e, kind, unit))
    for m in CN_NUMBER.finditer(norm, start, end):
        out.append(Span(m.start(), m.end(), "number", "个"))
    return out


def dates(norm: str, start: int, end: int) -> list[Span]:
    return [Span(m.start(), m.end(), "date") for m in DATE.finditer(norm, start, end) if len(m.group(0)) > 3]


def meetings(norm: str, start: int, end: int) -> list[Span]:
    return [Span(m.start(), m.end(), "meeting") for m in MEETING.finditer(norm, start, end)]


REPORTER = re.compile(r"[((]?([\u4e00-\u9fff]{2,8}?)\s*(?:记者|通讯员)\s*([\u4e00-\u9fff]{2,3})[))]?")


def officials(norm: str, start: int, end: int) -> list[Span]:
    """Names with their role: "代理区长 游涯坤" (name, title), "(昆明信息港 记者江枫)" (media, reporter)."""
    out = []
    for m in OFFICIAL.finditer(norm, start, end):
        out.append(Span(m.start(2), m.end(2), "name"))
        out.append(Span(m.start(1), m.end(1), "title"))
    for m in REPORTER.finditer(norm, start, end):
        out.append(Span(m.start(2), m.end(2), "reporter"))
        out.append(Span(m.start(1), m.end(1), "media"))
    return out


def respectively(norm: str, start: int, end: int, pos: int) -> tuple[list[tuple[int, int]], list[tuple[int, int]]] | None:
    """For "A、B、C…分别达x、y、z": the item spans and the value spans, when pos is one of the values."""
    k = norm.rfind("分别", start, pos)
    if k < 0:
        return None
    s, _ = clause_bounds(norm, start, end, k)
    head = norm[s:k]
    # values: the 、-joined run right after 分别 (and its verb)
    vs = k + 2
    while vs < end and not norm[vs].isdigit() and norm[vs] not in ",;。" and vs - k < 6:
        vs += 1
    values = []
    for m in NUMBER.finditer(norm, vs, end):
        if values and norm[values[-1][1]:m.start()] not in ("、", "和", "及", ",", "与"):
            break
        values.append((m.start(), m.end()))
    while pos < end and not norm[pos].isdigit():
        pos += 1
    if len(values) < 2 or not any(a <= pos < b for a, b in values):
        return None
    # items: the head split at 、/及/和, aligned from the right
    parts = [p for p in re.split(r"(、|及|和|与)", head)]
    items, off = [], s
    for part in parts:
        if part and part not in ("、", "及", "和", "与"):
            items.append((off, off + len(part)))
        off += len(part)
    if len(items) < len(values):
        return None
    return items[-len(values):], values


def places(norm: str, start: int, end: int) -> list[Span]:
    return [Span(m.start(1), m.end(1), "place") for m in PLACE_EVENT.finditer(norm, start, end)]


_LEAD_ADVERBS = re.compile(
    r"^(着力|大力|重点|积极|加快|全力|持续|深入|稳步|推动|推进|聚焦|围绕|实施|培育壮大|培育|壮大|打造|发展|建设|开展|完善|深化|"
    r"提升|强化|做好|抓好|完成|实现|新建|改造|支持|鼓励|引导)+")


def enumerations(norm: str, start: int, end: int) -> list[Span]:
    """Runs of items joined by 、 within one clause, without the verb before or the "等…" after."""
    out = []
    pos = start
    while pos < end:
        s, e = clause_bounds(norm, start, end, pos)
        clause = norm[s:e]
        if clause.count("、") >= 1:
            first = clause.find("、")
            item_start = s
            head = norm[s:s + first]
            for marker in ("包括", "涵盖", "即", "为", "是", "聚焦", "围绕", "及", "和"):
                k = head.rfind(marker)
                if k >= 0 and k + len(marker) < len(head) - 1:
                    item_start = s + k + len(marker)
                    break
            m = _LEAD_ADVERBS.match(norm[item_start:s + first])
            if m and s + first - (item_start + m.end()) >= 2:
                item_start += m.end()
            last = clause.rfind("、")
            item_end = e
            k = norm.find("等", s + last, e)
            if k > s + last + 1:
                item_end = k  # "昭通、曲靖、凉山等地" → the list ends before 等
            out.append(Span(item_start, item_end, "list"))
        pos = e + 1
    return out


def preceding_nouns(norm: str, start: int, end: int, anchor_start: int, lists: bool = False) -> Span | None:
    """The noun phrase right before a verb phrase: "航天科工集团|定点帮扶", "临港社区|获评…".

    With `lists`, a 、-joined run of names is kept whole ("因民镇联盟村、田坝社区|地质灾害…").
    """
    stops = ",;:。!?“”()" if lists else "、,;:。!?“”()"
    s = anchor_start
    while s > start and norm[s - 1] not in stops:
        s -= 1
    m = _LEAD_ADVERBS.match(norm[s:anchor_start])
    if m and anchor_start - s - m.end() >= 2:
        s += m.end()
    if 2 <= anchor_start - s <= 24:
        return Span(s, anchor_start, "entity")
    return None


def clauses(norm: str, start: int, end: int) -> list[Span]:
    out = []
    pos = start
    while pos < end:
        s, e = clause_bounds(norm, start, end, pos)
        if e - s >= 2:
            out.append(Span(s, e, "clause"))
        pos = e + 1
    return out


def definition(norm: str, start: int, end: int) -> Span | None:
    """The definition part of a glossary entry: the text after the term and its colon."""
    m = re.match(r"\s*\d{1,3}\s*[.、．]\s*[^:：]{1,40}?[:：]\s*", norm[start:end])
    if not m:
        return None
    s = start + m.end()
    e = end
    while e > s and norm[e - 1] in "。 \n":
        e -= 1
    return Span(s, e, "definition") if e > s else None
