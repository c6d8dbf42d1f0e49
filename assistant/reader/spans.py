"""Candidate answer spans inside a sentence, one finder per kind of answer.

Every finder works on the normalized text (same length as the original) and
returns offsets, so the answer is always a verbatim slice of the report.

The figure grammar (units, magnitudes, qualifiers, range separators, tally words,
name suffixes) is general knowledge of Chinese statistics and lives in readable
data files (`assistant/data/units.txt`, `assistant/data/span_words.txt`); this
module only knows how those pieces combine.
"""
from __future__ import annotations

import logging
import dataclasses
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Callable

from ..text import normalize

logger = logging.getLogger(__name__)

DATA_DIR = Path(__file__).resolve().parent.parent / "data"

# ----------------------------------------------------------------- data files


@dataclass(frozen=True)
class Unit:
    text: str
    unit_class: str
    factor: float = 1.0  # how many `base` one unit is
    base: str = ""  # "" → the unit is its own base
    cn_only: bool = False  # a measure word counted only after a Chinese numeral ("三大")


@dataclass(frozen=True)
class Grammar:
    units: dict[str, Unit]
    magnitudes: dict[str, float]
    ratio_classes: dict[str, str]
    before: dict[str, str]
    after: dict[str, str]
    range_seps: tuple[str, ...]
    joiners: tuple[str, ...]
    tally: tuple[str, ...]
    name_suffixes: tuple[str, ...]


def _data_lines(path: Path) -> list[str]:
    lines = []
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if line and not line.startswith("#"):
            lines.append(line)
    return lines


def _load_units(path: Path) -> tuple[dict[str, Unit], dict[str, float], dict[str, str]]:
    units: dict[str, Unit] = {}
    magnitudes: dict[str, float] = {}
    ratio_classes: dict[str, str] = {}
    for line in _data_lines(path):
        parts = line.split()
        if parts[0] == "@ratio" and len(parts) == 3:
            ratio_classes[parts[1]] = parts[2]
            continue
        if len(parts) == 3 and parts[1] == "magnitude":
            magnitudes[parts[0]] = float(parts[2])
            continue
        if len(parts) not in (2, 4):
            logger.warning("%s: malformed line ignored: %r", path.name, line)
            continue
        text, cls = parts[0], parts[1]
        cn_only = cls.startswith("cn-only")
        if cn_only:
            cls = cls.partition("/")[2] or "count"
        factor, base = (float(parts[2]), parts[3]) if len(parts) == 4 else (1.0, "")
        units.setdefault(text, Unit(text, cls, factor, base, cn_only))
    return units, magnitudes, ratio_classes


def _load_sections(path: Path) -> dict[str, list[tuple[str, str]]]:
    sections: dict[str, list[tuple[str, str]]] = {}
    current = ""
    for line in _data_lines(path):
        if line.startswith("[") and line.endswith("]"):
            current = line[1:-1]
            sections.setdefault(current, [])
            continue
        word, _, meaning = line.partition(" ")
        sections.setdefault(current, []).append((word, meaning.strip()))
    return sections


@lru_cache(maxsize=1)
def grammar() -> Grammar:
    """The figure and name grammar, read once from the data files."""
    units, magnitudes, ratio_classes = _load_units(DATA_DIR / "units.txt")
    words = _load_sections(DATA_DIR / "span_words.txt")

    def dedupe(items: list[tuple[str, str]]) -> tuple[str, ...]:
        return tuple(dict.fromkeys(w for w, _ in items))

    return Grammar(
        units=units,
        magnitudes=magnitudes,
        ratio_classes=ratio_classes,
        before=dict(words.get("before", [])),
        after=dict(words.get("after", [])),
        range_seps=dedupe(words.get("range", [])),
        joiners=dedupe(words.get("joiner", [])),
        tally=dedupe(words.get("tally", [])),
        name_suffixes=dedupe(words.get("name_suffix", [])),
    )


def _alt(words) -> str:
    """A regex alternation, longest first (so "个百分点" wins over "个")."""
    return "|".join(re.escape(w) for w in sorted(set(words), key=len, reverse=True))


# ----------------------------------------------------------------- patterns

CN_DIGITS = "零〇一二两三四五六七八九"
CN_NUMERALS = CN_DIGITS + "十百千万亿"
_CN_VALUE = {c: i for i, c in enumerate("零一二三四五六七八九")} | {"〇": 0, "两": 2}
_CN_SMALL = {"十": 10, "百": 100, "千": 1000}
_CN_BIG = {"万": 10_000, "亿": 100_000_000}

_ARABIC = r"(?:\d{1,3}(?:,\d{3})+(?!\d)|\d+)(?:\.\d+)?"
# a Chinese numeral starts with a digit or 十 ("十二", "两千", "一百五十"); not "万人", "百亿" or "零部件"
_CHINESE = r"[一二两三四五六七八九十][零〇一二两三四五六七八九十百千]*"
# a round magnitude after a word of approximation: "近千万家庭", "上百万人", "数百亿元", "近万名" (with a unit only)
_ROUGH = r"(?:(?<=[近逾超约])|[上数几](?=[十百千万亿]))[十百千万亿]"


@dataclass(frozen=True)
class _Patterns:
    quantity: re.Pattern
    unit_tail: re.Pattern
    tally_item: re.Pattern
    doubling: re.Pattern


def _is_latin(word: str) -> bool:
    return word.isascii() and any(c.isalpha() for c in word)


@lru_cache(maxsize=1)
def _patterns() -> _Patterns:
    g = grammar()
    mag = _alt(g.magnitudes)
    # Latin units must not run into more Latin letters ("5G" is a name, not 5 + G)
    unit_alts = []
    for u in sorted(g.units, key=len, reverse=True):
        unit_alts.append(re.escape(u) + (r"(?![A-Za-z0-9])" if _is_latin(u) else ""))
    unit = "(?:" + "|".join(unit_alts) + ")"
    one = rf"(?:(?:{mag})?{unit})"
    # compound: an alternative in brackets ("套(间)"), a ratio with / or 每 ("微克/立方米", "元每吨")
    # (a month, a day or a week only after the slash: "842元/月" is a rate, "3月" alone is a date)
    unit_expr = rf"{one}(?:\({one}\))?(?:(?:/|每)(?:{one}|月|日|周)(?:\({one}\))?)?"
    before = _alt(g.before)
    after = _alt(g.after)
    quantity = re.compile(
        rf"(?P<pre>{before})?(?P<ord>第)?"
        rf"(?P<num>(?<![\dA-Za-z._]){_ARABIC}|(?<![{CN_NUMERALS}第]){_CHINESE}|{_ROUGH})"
        rf"(?P<about>余|多(?=(?:{mag})))?"  # "3700多万学生": "more than", before the magnitude
        rf"(?P<mag>{mag})?(?P<approx>余|多)?(?P<unit>{unit_expr})?"
        rf"(?P<post>{after}|(?<=[年月天周时])内)?"
    )
    unit_tail = re.compile(rf"(?P<mag>{mag})?(?P<unit>{unit_expr})")
    tally_word = _alt(g.tally)
    tally_item = re.compile(rf"(?:{_ARABIC}|{_CHINESE})(?:个|项|枚|块)?(?:{tally_word})")
    doubling = re.compile(rf"翻(?:了)?(?P<n>[一两二三四五六七八九十]|\d+)番")
    return _Patterns(quantity, unit_tail, tally_item, doubling)


# ----------------------------------------------------------------- numbers → values


def parse_number(text: str) -> float | None:
    """An Arabic ("1,234.5") or Chinese ("一百五十", "两千", "十二") numeral → its value."""
    text = text.strip()
    if not text:
        return None
    if re.fullmatch(_ARABIC, text):
        return float(text.replace(",", ""))
    if len(text) > 1 and text[0] in "上数几" and text[1] in "十百千万亿":
        text = text[1:]  # "上百", "数百": about the round magnitude
    if not all(c in CN_NUMERALS for c in text):
        return None
    if all(c in "零〇一二三四五六七八九" for c in text) and len(text) > 1:  # "二〇二六" read digit by digit
        return float("".join(str(_CN_VALUE[c]) for c in text))
    total, section, digit = 0, 0, None
    for c in text:
        if c in _CN_VALUE:
            digit = _CN_VALUE[c]
        elif c in _CN_SMALL:
            section += (1 if digit is None else digit) * _CN_SMALL[c]
            digit = None
        elif c in _CN_BIG:
            total = ((total + section + (digit or 0)) or 1) * _CN_BIG[c]  # "万" alone ("近万名") is 10,000
            section, digit = 0, None
    return float(total + section + (digit or 0))


@dataclass(frozen=True)
class Quantity:
    """A figure as a value: the text "135.53亿元" is (1.3553e10, 1.3553e10, "元", "money", 1e8, "")."""

    value_low: float
    value_high: float
    unit: str  # the base unit the values are expressed in ("元", "%", "平方米"); "" for a bare number
    unit_class: str  # money, percent, people, area, … ; "" for a bare number
    magnitude: float = 1.0  # the written magnitude prefix (万 → 1e4), already applied to the values
    qualifier: str = ""  # 左右 / 以上 / 约 / 超过 …, "|"-joined when written both before and after


def _unit_info(unit_text: str) -> tuple[float, str, str]:
    """(factor to base, base unit, class) of a possibly compound unit text (magnitude included)."""
    g = grammar()
    if not unit_text:
        return 1.0, "", ""
    alt = re.match(r"^(.*?)\(([^()]*)\)(.*)$", unit_text)
    if alt:  # "套(间)" counts the first one; "万套(间)/户"
        unit_text = alt.group(1) + alt.group(3)
    for sep in ("/", "每"):
        if sep in unit_text and unit_text not in g.units:
            # a ratio keeps its written units ("微克/立方米", "人/万人"): per-unit values compare as written
            num, _, den = unit_text.partition(sep)
            c1, c2 = _unit_info(num)[2], "time" if den in ("月", "日", "周") else _unit_info(den)[2]
            return 1.0, unit_text, g.ratio_classes.get(f"{c1}/{c2}", f"{c1}/{c2}")
    if unit_text in g.units:
        u = g.units[unit_text]
        return u.factor, u.base or u.text, u.unit_class
    for m in sorted(g.magnitudes, key=len, reverse=True):
        if unit_text.startswith(m):
            rest = unit_text[len(m):]
            if not rest:
                return g.magnitudes[m], "", ""
            if rest in g.units or "/" in rest or "每" in rest:
                f, b, c = _unit_info(rest)
                return g.magnitudes[m] * f, b, c
    return 1.0, unit_text, "count"


def _split_magnitude(unit_text: str) -> tuple[float, str]:
    """"亿元" → (1e8, "元"); a unit that starts like a magnitude stays whole ("千瓦", "百分点")."""
    g = grammar()
    if unit_text in g.units:
        return 1.0, unit_text
    for m in sorted(g.magnitudes, key=len, reverse=True):
        if unit_text.startswith(m) and unit_text != m:
            return g.magnitudes[m], unit_text[len(m):]
    if unit_text in g.magnitudes:
        return g.magnitudes[unit_text], ""
    return 1.0, unit_text


def _one_quantity(text: str) -> Quantity | None:
    m = _patterns().quantity.fullmatch(text)
    if not m:
        return None
    value = parse_number(m.group("num"))
    if value is None:
        return None
    unit_text = (m.group("mag") or "") + (m.group("unit") or "")
    magnitude, bare_unit = _split_magnitude(unit_text)
    factor, base, cls = _unit_info(bare_unit)
    if not bare_unit and magnitude != 1.0:
        base, cls = "", ""
    qualifier = "|".join(q for q in (m.group("pre"), m.group("about") or m.group("approx"), m.group("post")) if q)
    v = value * magnitude * factor
    return Quantity(v, v, base, cls, magnitude, qualifier)


def parse_quantity(text: str) -> Quantity | None:
    """The value(s) of a figure as written in a report; None when `text` is not a figure.

    "5%左右" → (5, 5, "%", "percent", 1, "左右"); "4.5%—5%" → (4.5, 5, "%", …);
    "135.53亿元" → 1.3553e10 元; "三成" → 30 %; "翻一番" → 2 倍. Used to sort and compare
    figures, never to change the quoted text.
    """
    text = normalize(text).strip()
    if not text:
        return None
    pats = _patterns()
    d = pats.doubling.fullmatch(text)
    if d:
        n = parse_number(d.group("n"))
        return Quantity(2 ** n, 2 ** n, "倍", "ratio") if n is not None else None
    q = _one_quantity(text)
    if q:
        return q
    # a rank or an ordinal of a series: "全省第49", "全市排第一", "第十六届" (what `numbers` finds as one)
    r = _RANK_TEXT.fullmatch(text)
    if r:
        n = parse_number(r.group(1))
        unit = r.group(2) or ""
        return Quantity(n, n, unit, "ordinal" if unit and unit in _SERIES else "rank") if n is not None else None
    # a range: "4.5%—5%", "3—5年", "5%到6%"
    g = grammar()
    for sep in sorted(g.range_seps, key=len, reverse=True):
        k = text.find(sep, 1)
        while k > 0:
            left, right = text[:k], text[k + len(sep):]
            b = _one_quantity(right)
            a = _one_quantity(left)
            if b is not None and re.fullmatch(rf"(?:{_ARABIC}|{_CHINESE})", left):
                # "3—5年", "3—5万元": the left side borrows the right side's magnitude and unit
                rm = pats.quantity.fullmatch(right)
                a = _one_quantity(left + (rm.group("mag") or "") + (rm.group("unit") or ""))
            if a and b:
                qual = "|".join(x for x in (a.qualifier, b.qualifier) if x)
                return Quantity(a.value_low, b.value_high, b.unit or a.unit, b.unit_class or a.unit_class,
                                b.magnitude, qual)
            k = text.find(sep, k + 1)
    return None


# ----------------------------------------------------------------- spans


@dataclass(frozen=True)
class Span:
    start: int  # offsets in the report text
    end: int
    kind: str  # number | percent | tally | list | date | meeting | name | quoted | title | place | clause | …
    unit: str = ""  # the written unit with its magnitude ("亿元", "万套(间)", "个百分点")
    value: float | None = None  # low end of the value in the base unit (see parse_quantity)
    value_high: float | None = None
    unit_class: str = ""
    qualifier: str = ""


CLAUSE_SPLIT = re.compile(r"[,，;；:：。!?！？]")
_PERCENT_CLASSES = ("percent", "percentage_point")


def clause_bounds(text: str, start: int, end: int, pos: int) -> tuple[int, int]:
    """The clause (between , ; : 。) of text[start:end] that contains pos."""
    s = pos
    while s > start and not CLAUSE_SPLIT.match(text[s - 1]):
        s -= 1
    e = pos
    while e < end and not CLAUSE_SPLIT.match(text[e]):
        e += 1
    return s, e


def _quantity_span(norm: str, s: int, e: int, unit: str, kind: str | None = None) -> Span:
    q = parse_quantity(norm[s:e])
    cls = q.unit_class if q else ""
    if kind is None:
        kind = "percent" if cls in _PERCENT_CLASSES else "number"
    return Span(s, e, kind, unit, q.value_low if q else None, q.value_high if q else None, cls,
                q.qualifier if q else "")


_YEAR = re.compile(r"(?:19|20)\d\d")


def _raw_quantities(norm: str, start: int, end: int) -> list[tuple[int, int, re.Match]]:
    """Every single figure of norm[start:end] (no ranges yet), with its match."""
    g = grammar()
    out = []
    for m in _patterns().quantity.finditer(norm, start, end):
        num = m.group("num")
        unit_text = (m.group("mag") or "") + (m.group("unit") or "")
        s, e = m.start(), m.end()
        arabic = num[0].isdigit()
        unit_only = m.group("unit") or ""
        bare_unit = _split_magnitude(unit_text)[1] if unit_text else ""
        u = g.units.get(bare_unit)
        if not arabic:
            # a Chinese numeral is a figure only with a unit ("三个", "两千万元", "三成"), never "十四五"
            if not unit_only:
                continue
            if u and u.cn_only and not 2 <= (parse_number(num) or 0) <= 10:
                continue  # "二十大" names a congress; "一大批" is not a count
        elif u and u.cn_only:  # "3大" is not a figure
            continue
        if m.group("ord") and not unit_only:
            continue
        if e < end and re.match(r"[A-Za-z]", norm[e]) and not unit_only:
            continue  # "5G", "3D": a name, not a figure
        if arabic and _YEAR.fullmatch(num) and (not unit_text or bare_unit in ("年",)):
            continue  # a year is not a figure
        if arabic and not unit_text and e < end and norm[e] in ".、)":
            continue  # a list number "1." / "1、"
        if arabic and not unit_text and e < end and norm[e] in "月日号":
            continue  # a date "1月27日"
        if arabic and not unit_text and s > start and norm[s - 1] in "[〔【(" and e < end and norm[e] in "]〕】)" \
                and s - 1 > start and re.match(r"[\u4e00-\u9fff\^]", norm[s - 2]):
            continue  # a footnote mark "投入强度[26]达1.2%", "^[4]": no figure
        if bare_unit == "年" and e < end and norm[e] in "度":
            continue
        out.append((s, e, m))
    return out


def _drop_inside(spans: list[Span], outer: list[Span]) -> list[Span]:
    return [sp for sp in spans if not any(o.start <= sp.start and sp.end <= o.end and o != sp for o in outer)]


def tallies(norm: str, start: int, end: int) -> list[Span]:
    """Medal and prize tallies written as one figure: "2金1银1铜", "3个一等奖、2个二等奖"."""
    pats = _patterns()
    out = []
    pos = start
    while pos < end:
        m = pats.tally_item.search(norm, pos, end)
        if not m:
            break
        s, e, n = m.start(), m.end(), 1
        while True:
            k = e + 1 if e < end and norm[e] == "、" else e
            nxt = pats.tally_item.match(norm, k, end)
            if not nxt:
                break
            e, n = nxt.end(), n + 1
        if n >= 2 and not (s > start and norm[s - 1].isdigit()):
            out.append(Span(s, e, "tally", "", None, None, "tally"))
        pos = e
    return out


@lru_cache(maxsize=65536)
def numbers(norm: str, start: int, end: int) -> tuple[Span, ...]:
    """Figures with their unit, magnitude, qualifiers and ranges; tallies; "翻一番".

    "17.3微克/立方米", "4万套(间)", "4.5%—5%", "约3成", "6%以上", "两千万元", "2金1银1铜".
    Kept per sentence: every question about a topic reads the same few sentences again (the
    report's text is hashed once, and found again by identity).
    """
    return tuple(_numbers(norm, start, end))


def _numbers(norm: str, start: int, end: int) -> list[Span]:
    g = grammar()
    raw = _raw_quantities(norm, start, end)
    out: list[Span] = []
    i = 0
    while i < len(raw):
        s, e, m = raw[i]
        unit_text = (m.group("mag") or "") + (m.group("unit") or "")
        # a range: this figure, a separator, the next figure ("4.5%—5%", "3—5年", "5%到6%")
        if i + 1 < len(raw) and not m.group("post"):
            s2, e2, m2 = raw[i + 1]
            sep = norm[e:s2]
            unit2 = (m2.group("mag") or "") + (m2.group("unit") or "")
            same_kind = not unit_text or unit_text == unit2 or (
                _unit_info(_split_magnitude(unit_text)[1])[2] == _unit_info(_split_magnitude(unit2)[1])[2])
            if sep in g.range_seps and not m2.group("pre") and unit2 and same_kind and not (
                    _YEAR.fullmatch(m.group("num")) and _YEAR.fullmatch(m2.group("num"))):
                out.append(_quantity_span(norm, s, e2, unit2))
                i += 2
                continue
        unit = unit_text
        out.append(_quantity_span(norm, s, e, unit))
        i += 1
    for m in _patterns().doubling.finditer(norm, start, end):
        out.append(_quantity_span(norm, m.start(), m.end(), "番"))
    # a bare number that is part of a date ("1-11月") is not a figure
    when = dates(norm, start, end)
    out = [sp for sp in out if sp.unit or not any(d.start <= sp.start and sp.end <= d.end for d in when)]
    # a bare number inside a quotation is a name ("“3815”战略"), not a figure
    quotes = [(a, b) for a, b in protected(norm, start, end) if norm[a] in _OPEN_CLOSE]
    # a figure inside a short quotation is a name ("“3815”战略", "“三个一批”"), not a figure
    out = [sp for sp in out if not any(a < sp.start and sp.end < b and (not sp.unit or b - a <= 14)
                                       for a, b in quotes)]
    tally = tallies(norm, start, end)
    out = _drop_inside(out, tally) + tally
    # an ordinal of a series ("第七次全国人口普查", "第十六届省运会"): what "第几次/第几届" asks
    for m in _ORDINAL.finditer(norm, start, end):
        if not any(sp.start <= m.start() < sp.end for sp in out):
            value = parse_number(m.group(1))
            out.append(Span(m.start(), m.end(), "number", m.group(2), value, value, "ordinal", ""))
    # a rank after a ranking verb ("全市排第一", "居全省第二"): a figure too, though a bare ordinal is none
    for m in _RANK.finditer(norm, start, end):
        if _RANKING_VERB.search(norm, max(start, m.start() - 10), m.start()) and \
                not any(sp.start <= m.start() < sp.end for sp in out):
            among = _RANK_AMONG.search(norm, max(start, m.start() - 6), m.start())  # "全省第49", "世界第二"
            value = parse_number(m.group(1))
            out.append(Span(among.start() if among else m.start(), m.end(), "number", m.group(2) or "",
                            value, value, "rank", ""))
    # "一次性全部退还", "一揽子": a numeral inside an adverb or a set phrase counts nothing
    out = [sp for sp in out if not (norm[sp.end:sp.end + 1] == "性" and not re.search(r"\d", norm[sp.start:sp.end]))]
    # drop a figure that sits inside a longer one (e.g. the "一" of "翻一番")
    out = _drop_inside(out, [sp for sp in out if sp.unit == "番"])
    # a gap in points says what it is measured against: "高于全省0.5个百分点左右" is the answer, not "0.5个百分点"
    for i, sp in enumerate(out):
        if sp.unit.endswith("百分点"):
            lead = _POINTS_AGAINST.search(norm, max(start, sp.start - 12), sp.start)
            if lead:
                out[i] = dataclasses.replace(sp, start=lead.start())
    return sorted(set(out), key=lambda sp: (sp.start, -sp.end))


# what a rank is among and the verb that ranks ("全省第49", "全市排第一", "居全国第4位")
_AMONG = r"(?:全国|全省|全区|全市|全县|全州|全盟|世界|全球)(?:排名?|居|位居|位列|名列)?"
_SERIES = "次届批期轮"  # what an ordinal numbers in a series ("第七次", "第十六届")
_RANK_TEXT = re.compile(rf"(?:{_AMONG})?第([一二三四五六七八九十百]{{1,4}}|\d{{1,3}})([位名{_SERIES}])?")
_ORDINAL = re.compile(rf"第([一二三四五六七八九十百]{{1,4}})([{_SERIES}])")
_RANK = re.compile(r"第([一二三四五六七八九十]{1,3}|\d{1,3})([位名])?(?=[,;:。、)]|$|\s)")
_RANK_AMONG = re.compile(rf"{_AMONG}$")
_RANKING_VERB = re.compile(r"(?:排|居|列|位次|名次)[^,;:。]{0,10}$")
_POINTS_AGAINST = re.compile(r"(?:高于|快于|低于|慢于|超过|超出|领先|好于|优于)(?:全国|全省|全区|全市|全州|全盟|全县|"
                             r"全国平均|全省平均|全市平均|平均水平|预期|目标|上年|同期)?(?:平均)?(?:水平)?$")


def joined_values(norm: str, first: Span, second: Span) -> Span | None:
    """Two figures asked together ("30元和5元", "5%、3%"): one span over both, or None.

    Only when nothing but a joining word (和 与 及 以及 、 ,) stands between them and
    both measure the same kind of thing.
    """
    if second.start < first.end:
        first, second = second, first
    between = norm[first.end:second.start].strip()
    if between not in grammar().joiners:
        return None
    if first.unit_class and second.unit_class and first.unit_class != second.unit_class:
        return None
    if not (first.unit or second.unit):
        return None
    return Span(first.start, second.end, "values", second.unit or first.unit, first.value, second.value_high,
                second.unit_class or first.unit_class, "")


def value_pairs(norm: str, start: int, end: int) -> list[Span]:
    """Runs of figures asked together: "30元和5元", "12%、8%和5%" (for "分别是多少", "A和B各是多少")."""
    spans = [sp for sp in numbers(norm, start, end) if sp.kind in ("number", "percent")]
    out = []
    i = 0
    while i < len(spans):
        run = spans[i]
        j = i
        while j + 1 < len(spans):
            nxt = joined_values(norm, spans[j], spans[j + 1])
            if not nxt:
                break
            run = Span(run.start, nxt.end, "values", nxt.unit, run.value, nxt.value_high, nxt.unit_class)
            j += 1
        if j > i:
            out.append(run)
        i = j + 1
    return out


# ----------------------------------------------------------------- dates

_CN_D = "[〇零一二三四五六七八九十]"
DATE = re.compile(
    r"(?:(?:(?:19|20)\d\d|[〇零一二三四五六七八九]{4})年|今年|去年|明年|当年|本年)?"
    r"(?:(?:\d{1,2}(?:[-—~至]\d{1,2})?|" + _CN_D + r"{1,2})月(?:(?:\d{1,2}|" + _CN_D + r"{1,3})日|底|初|末|中旬|上旬|下旬|份)?"
    r"(?:上午|下午|晚上|晚|凌晨|中午)?)"
    r"|(?:(?:19|20)\d\d|[〇零一二三四五六七八九]{4})年(?:底前|底|初|末|年底|内|前|上半年|下半年|以来)?"
    r"|(?:今年|去年|明年)(?:底前|年底|底|初|内|上半年|下半年)?"
    r"|年(?:底前|内|底|初|末)"
)


def dates(norm: str, start: int, end: int) -> list[Span]:
    """Dates and date-like times: "2026年1月27日", "1月27日上午", "今年3月", "2025年底", "年底前", "1-11月"."""
    out = []
    for m in DATE.finditer(norm, start, end):
        text = m.group(0)
        s = m.start()
        if text.startswith("年") and s > start and (norm[s - 1].isdigit() or norm[s - 1] in "今去明当本"):
            continue
        set_to = re.fullmatch(r"今年|明年", text) is not None and norm[s - 1:s] in ("到", "至")
        if re.fullmatch(r"(?:今年|去年|明年)", text) and not set_to:
            continue  # a bare relative year is context, not an answer (but "延缓到明年" is a time set)
        if len(text) <= 3 and not re.search(r"[底内前初末]", text) and not set_to:
            continue
        if s > start and norm[s - 1].isdigit():
            continue
        e = m.end()
        if text.endswith("日"):  # a span of days is one answer: "11月6日至10日", "3月5日—11日"
            tail = _DAY_RANGE.match(norm, e, end)
            e = tail.end() if tail else e
        deadline = _DEADLINE.match(norm, e, end)  # "6月底前全部投产": the deadline is "6月底前"
        out.append(Span(s, deadline.end() if deadline and not text.endswith("前") else e, "date"))
    return out


# (a day may carry its weekday or lunar date: "1月28日(农历除夕、周二)至2月4日(农历正月初七、周二)")
_DAY_NOTE = r"(?:\([^()\n]{1,14}\))?"
_DAY_RANGE = re.compile(_DAY_NOTE + r"(?:至|到|[-—–~～])(?:\d{1,2}月)?\d{1,2}日" + _DAY_NOTE)

# "底前", "之前", but not the 前 of a word that follows ("前进", "前列", "前沿", "前期", "前提"…)
_DEADLINE = re.compile(r"以前|之前|前(?![进行列沿端期夕身提])")


# ----------------------------------------------------------------- meetings, people, places

MEETING = re.compile(r"(?:[\u4e00-\u9fff]{2,8}?(?:区|市|省|县))?第?[一二三四五六七八九十]+届人民代表大会第?[一二三四五六七八九十]+次会议")
OFFICIAL = re.compile(r"((?:代理)?(?:区长|市长|省长|县长|州长|旗长|盟长|总理|主席|(?<!总)书记|主任))\s*([\u4e00-\u9fff]{2,4})")
PLACE_EVENT = re.compile(r"在([\u4e00-\u9fff]{2,12}?)(?:开幕|召开|举行|举办|闭幕)")


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


@lru_cache(maxsize=1)
def joint_words() -> dict[str, tuple[tuple[str, ...], ...]]:
    """Joint words ("城乡", "进出口") and the wordings of what each of their first characters stands for."""
    out: dict[str, tuple[tuple[str, ...], ...]] = {}
    for line in (DATA_DIR / "joint_words.tsv").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            word, *parts = [p.strip() for p in line.split("\t")]
            out[word] = tuple(tuple(w for w in p.split("|") if w) for p in parts)
    return out


_JOINT = re.compile("|".join(sorted(map(re.escape, joint_words()), key=len, reverse=True)))


def joint_part(norm: str, start: int, end: int) -> tuple[str, ...]:
    """The wordings of what an item one character long stands for when it is part of a joint word ("乡" of
    "城乡": 农村, 乡村…), else ()."""
    if end - start != 1:
        return ()
    for m in _JOINT.finditer(norm, max(0, start - 2), end + 3):
        i = start - m.start()
        parts = joint_words()[m.group(0)]
        if 0 <= i < len(parts):
            return parts[i]
    return ()


def _joint_items(joint: re.Match[str] | None, values: list[tuple[int, int]]
                 ) -> tuple[list[tuple[int, int]], list[tuple[int, int]]] | None:
    """A joint word's characters as the items of a respectively, when it has one per value."""
    if joint is None or len(joint_words()[joint.group(0)]) != len(values):
        return None
    return [(joint.start() + i, joint.start() + i + 1) for i in range(len(values))], values


def respectively(norm: str, start: int, end: int, pos: int) -> tuple[list[tuple[int, int]], list[tuple[int, int]]] | None:
    """For "A、B、C…分别达x、y、z": the item spans and the value spans, when pos is one of the values.

    A joint word stands for its items, one character each: "城乡居民收入分别达到x和y", and "城乡低保标准提高到
    每月x和y" without 分别.
    """
    k = norm.rfind("分别", start, pos)
    joint = None
    if k < 0:
        s, _ = clause_bounds(norm, start, end, pos)
        joint = _JOINT.search(norm, s, pos)
        if joint is None:
            return _listed_respectively(norm, start, end, pos)
        k = joint.end() - 2  # the values follow it in its clause
    s, _ = clause_bounds(norm, start, end, max(k, start))
    head = norm[s:k]
    # values: the joined run right after 分别 (and its verb)
    vs = k + 2
    while vs < end and not norm[vs].isdigit() and norm[vs] not in ",;。" and vs - k < 6:
        vs += 1
    joiners = ("、", "和", "及", ",", "与")

    def joined_run(from_: int) -> list[tuple[int, int]]:
        run: list[tuple[int, int]] = []
        last_unit = None
        for sp in numbers(norm, from_, end):
            if sp.kind == "tally":
                continue
            if run and norm[run[-1][1]:sp.start] not in joiners:
                break
            if run and norm[run[-1][1]:sp.start] == "," and sp.unit != last_unit:
                break  # "…分别增长30.8%、48.8%，179家外贸企业…": the next clause's figure is another thing
            run.append((sp.start, sp.end))
            last_unit = sp.unit
        return run

    values = joined_run(vs)
    # the figure at pos (its first digit) must be one of the values
    digit = pos
    while digit < end and not norm[digit].isdigit():
        digit += 1
    if values and not any(a <= digit < b for a, b in values):
        # "…分别达到3.3万元和1.47万元，同比增长9.9%和13.2%": a second run of as many values, in a later clause
        # of the sentence, belongs to the same items
        clause_start, _ = clause_bounds(norm, start, end, digit)
        again = joined_run(clause_start) if clause_start > values[-1][1] else []
        reached = _REACHED.search(norm, values[-1][1], digit) if not again else None
        if reached:  # "分别从x1、y1提高到x2、y2": the levels reached, in one clause, are the same items'
            again = joined_run(reached.end())
        if len(again) == len(values) and any(a <= digit < b for a, b in again):
            values = again
    hit = [(a, b) for a, b in values if a <= digit < b]
    if len(values) < 2 or not hit or not any(a <= pos < b for a, b in hit):
        return None
    if joint is not None:  # (no 分别: the values must be one kind of figure)
        if len({sp.unit for sp in numbers(norm, values[0][0], values[-1][1])}) != 1:
            return None  # "进出口总额1000亿元、增长5%": an amount and its growth, not one figure for each
        return _joint_items(joint, values)
    # items: the head split at 、/及/和, aligned from the right
    items = _items_of(head, s)
    if len(items) < len(values):
        # "城乡居民人均可支配收入分别达到x和y": a joint word holds the items
        return _joint_items(_JOINT.search(norm, s, k), values)
    return items[-len(values):], values


def _items_of(head: str, offset: int) -> list[tuple[int, int]]:
    """The spans of the items of "A、B及C" (joined by 、/及/和/与), `head` starting at `offset` of the text."""
    items, off = [], offset
    for part in re.split(r"(、|及|和|与)", head):
        if part and part not in ("、", "及", "和", "与"):
            items.append((off, off + len(part)))
        off += len(part)
    return items


_REACHED = re.compile(r"(?:提高|增加|提升|增长|下降|降低|减少|上升|扩大|[增降升减涨])(?:到|至)")


def _listed_respectively(norm: str, start: int, end: int, pos: int
                         ) -> tuple[list[tuple[int, int]], list[tuple[int, int]]] | None:
    """"新签约、新开工、新竣工项目545个、559个、523个": items joined by 、 and as many figures of one unit right
    after them, in one clause without 分别; the figures are the items' in order."""
    s, e = clause_bounds(norm, start, end, pos)
    run: list[Span] = []
    for sp in numbers(norm, s, e):
        if sp.kind == "tally":
            continue
        if run and norm[run[-1].end:sp.start] not in ("、", "和", "及"):
            if run[0].start <= pos < run[-1].end:
                break
            run = []
        run.append(sp)
    if len(run) < 2 or not run[0].start <= pos < run[-1].end or len({sp.unit for sp in run}) != 1:
        return None
    head = norm[s:run[0].start]
    if re.search(r"\d", head):
        return None  # "新增企业139家、工厂1家": each item has its own figure
    items = _items_of(head, s)
    if len(items) != len(run) or any(b - a > 16 for a, b in items):
        return None
    return items, [(sp.start, sp.end) for sp in run]


def places(norm: str, start: int, end: int) -> list[Span]:
    return [Span(m.start(1), m.end(1), "place") for m in PLACE_EVENT.finditer(norm, start, end)]


# ----------------------------------------------------------------- names

_OPEN_CLOSE = {"“": "”", "‘": "’", "《": "》", "「": "」", "『": "』", '"': '"'}
_LATIN_TOKEN = re.compile(r"(?<![A-Za-z0-9.+_])[A-Za-z0-9]+(?:[.\-·_][A-Za-z0-9]+)*\+?")
_PLUS_NAME = re.compile(r"([\u4e00-\u9fff]{2,10})\+(?![\d+])")


def protected(norm: str, start: int, end: int) -> list[tuple[int, int]]:
    """Stretches a span must not be cut inside: quotations, 《》 titles, Latin-letter tokens."""
    out: list[tuple[int, int]] = []
    i = start
    while i < end:
        ch = norm[i]
        close = _OPEN_CLOSE.get(ch)
        if close:
            j = norm.find(close, i + 1, min(end, i + 42))
            if j > i and "\n" not in norm[i:j] and "。" not in norm[i:j]:
                out.append((i, j + 1))
                i = j + 1
                continue
        i += 1
    for m in _LATIN_TOKEN.finditer(norm, start, end):
        if any(c.isalpha() for c in m.group(0)):
            out.append((m.start(), m.end()))
    return sorted(out)


def _inside(pos: int, stretches: list[tuple[int, int]]) -> tuple[int, int] | None:
    """The protected stretch that `pos` falls strictly inside (a cut at pos would split it)."""
    for a, b in stretches:
        if a < pos < b:
            return a, b
    return None


def _suffix_end(norm: str, pos: int, end: int) -> int:
    for suffix in sorted(grammar().name_suffixes, key=len, reverse=True):
        if norm.startswith(suffix, pos) and pos + len(suffix) <= end:
            return pos + len(suffix)
    return pos


def names(norm: str, start: int, end: int) -> list[Span]:
    """Proper names that plain word finders cut short.

    Latin letters and digits ("C919", "5G", "ChatGPT") → kind "name"; a quotation with the
    word that completes it ("“梦想”号", "“十五五”规划", "“人工智能+”行动") → "quoted";
    a 《》 title → "title"; a name with a trailing "+" ("人工智能+") → "name".
    """
    figures = numbers(norm, start, end)
    out: list[Span] = []
    for a, b in protected(norm, start, end):
        ch = norm[a]
        if ch == "《":
            out.append(Span(a, b, "title"))
        elif ch in _OPEN_CLOSE and b - a > 2:
            out.append(Span(a, _suffix_end(norm, b, end), "quoted"))
    for m in _LATIN_TOKEN.finditer(norm, start, end):
        tok = m.group(0)
        if not any(c.isalpha() for c in tok) or (len(tok) < 2 and not tok.endswith("+")):
            continue
        if any(f.start <= m.start() and m.end() <= f.end for f in figures):
            continue  # "5GW", "4A级": a figure with a Latin unit
        out.append(Span(m.start(), m.end(), "name"))
    quoted = [(sp.start, sp.end) for sp in out if sp.kind in ("quoted", "title")]
    for m in _PLUS_NAME.finditer(norm, start, end):
        s, e = m.start(1), m.end()
        if _inside(s, quoted) or any(a <= s < b for a, b in quoted):
            continue
        lead = _LEAD_ADVERBS.match(norm[s:e - 1])
        if lead and e - 1 - (s + lead.end()) >= 2:
            s += lead.end()
        out.append(Span(s, e, "name"))
    return sorted(set(out), key=lambda sp: (sp.start, -sp.end))


# ----------------------------------------------------------------- lists, nouns, clauses

_LEAD_ADVERBS = re.compile(
    r"^(继续|着力|大力|重点|积极|加快|全力|持续|深入|稳步|推动|推进|聚焦|围绕|实施|培育壮大|培育|壮大|打造|发展|建设|开展|完善|深化|"
    r"提升|强化|做好|抓好|完成|实现|新建|改造|支持|鼓励|引导)+")


COUNT = re.compile(r"([一二三四五六七八九十两]|\d{1,2})(?:大|个|项|类|种|条|座|家|所|方面)")  # "三大", "5个"


def enumerations(norm: str, start: int, end: int, counted: bool = False) -> list[Span]:
    """Runs of items joined by 、 within one clause, without the verb before or the "等…" after.

    `counted`: the question counts the items it asks for ("三大主导产业是什么"), so a list ends where a
    count of its items names them ("以A、B、C三大主导产业为重点" → "A、B、C"); a definition keeps it whole.

    Joining words, 、 and 等 inside a quotation, a 《》 title or a Latin token do not count.
    """
    out = []
    guard = protected(norm, start, end)

    def free(pos: int) -> bool:
        return not _inside(pos, guard) and not any(a <= pos < b for a, b in guard if norm[a] in _OPEN_CLOSE)

    pos = start
    while pos < end:
        s, e = clause_bounds(norm, start, end, pos)
        seps = [i for i in range(s, e) if norm[i] == "、" and free(i)]
        if seps and _ORDINAL_MARK.fullmatch(norm[s:seps[0]]):
            seps = seps[1:]  # "七、工伤职工的…": the number of an article, no item
        if seps:
            first, last = seps[0] - s, seps[-1] - s
            item_start = s
            head = norm[s:s + first]
            for marker in ("包括", "涵盖", "即", "为", "是", "聚焦", "围绕", "及", "和"):
                k = head.rfind(marker)
                while k >= 0 and not free(s + k):
                    k = head.rfind(marker, 0, k)
                if k >= 0 and k + len(marker) < len(head) - 1:
                    item_start = s + k + len(marker)
                    break
            m = _LEAD_ADVERBS.match(norm[item_start:s + first])
            if m and s + first - (item_start + m.end()) >= 2 and not _inside(item_start + m.end(), guard):
                item_start += m.end()
            item_end = e
            k = norm.find("等", s + last, e)
            while k >= 0 and not free(k):
                k = norm.find("等", k + 1, e)
            if k > s + last + 1:
                item_end = k  # "A、B、C等地" → the list ends before 等
            elif counted:  # "以A、B、C三大主导产业为重点" → the items, not the name that counts them
                c = COUNT.search(norm, s + last + 2, item_end)
                if c and parse_number(c.group(1)) == len(seps) + 1:
                    item_end = c.start()
                    if norm[item_start] == "以" and item_end - item_start > 2:
                        item_start += 1
            out.append(Span(item_start, item_end, "list"))
        else:
            # the whole list is one quotation: "统筹推进“甲、乙、丙”" → "“甲、乙、丙”"
            for a, b in guard:
                if s <= a and b <= e and norm[a] in _OPEN_CLOSE and "、" in norm[a:b]:
                    out.append(Span(a, b, "list"))
        pos = e + 1
    # names quoted one after another with nothing between: "“村超”“村BA”", "强台风“剑鱼”“麦德姆”"
    for m in _QUOTED_RUN.finditer(norm, start, end):
        if not any(x.start <= m.start() and m.end() <= x.end for x in out):
            out.append(Span(m.start(), m.end(), "list"))
    return out


def colon_list(norm: str, start: int, end: int, limit: int) -> Span | None:
    """"下列待遇由用人单位负责，不得在基金中列支：A；B；C；D。": the items after a colon, each ended by ；, to the
    full stop. The sentence at [start, end) holds the colon and the first item; the list may run past it, up to
    `limit` (the passage's end)."""
    k = norm.find(":", start, end)
    if k < 0 or not norm.startswith(";", end - 1):
        return None
    stop = norm.find("。", end, min(limit, end + 400))
    para = norm.find("\n", end, stop)
    if stop < 0 or 0 <= para < stop:
        return None
    items = [x for x in norm[k + 1:stop].split(";") if x.strip()]
    if len(items) < 2 or any(len(x) > 80 for x in items):
        return None
    return Span(k + 1, stop, "list")


_ORDINAL_MARK = re.compile(r"\s*(?:[一二三四五六七八九十]{1,3}|\d{1,2})")
_QUOTED_RUN = re.compile(r"(?:“[^“”]{1,15}”){2,8}|(?:《[^《》]{1,30}》){2,8}")


def preceding_nouns(norm: str, start: int, end: int, anchor_start: int, lists: bool = False) -> Span | None:
    """The noun phrase right before a verb phrase: "某集团|定点帮扶", "某社区|获评…".

    With `lists`, a 、-joined run of names is kept whole ("甲村、乙社区|地质灾害…"). A quotation,
    a 《》 title or a Latin token is kept whole ("“梦想”号|完成…", "C919|实现…").
    """
    guard = protected(norm, start, end)
    stretch = _inside(anchor_start, guard)
    if stretch:  # the anchor sits inside a name: the noun phrase ends where the name starts
        anchor_start = stretch[0]
    stops = ",;:。!?()" if lists else "、,;:。!?()"
    s = anchor_start
    while s > start:
        ch = norm[s - 1]
        opened = next(((a, b) for a, b in guard if b == s and norm[a] in _OPEN_CLOSE), None)
        if opened:
            s = opened[0]  # step over the whole quotation / title
            continue
        if ch in stops or ch in "“”‘’《》\"":
            break
        s -= 1
    m = _LEAD_ADVERBS.match(norm[s:anchor_start])
    if m and anchor_start - s - m.end() >= 2 and not _inside(s + m.end(), guard):
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
    m = re.match(r"\s*(?:\d{1,3}\s*[.、．]|\^?[\[〔(【]\d{1,3}[\]〕)】])\s*[^:：]{1,40}?[:：]\s*", norm[start:end])
    if not m:
        return None
    s = start + m.end()
    e = end
    while e > s and norm[e - 1] in "。 \n":
        e -= 1
    return Span(s, e, "definition") if e > s else None


WH_WORD = re.compile(r"哪里|哪儿|哪[一二三四五六七八九十两几]?[个些家位类种条项座所件批款部]?|什么样的?|什么")  # a wh-slot
_SLOT_GLUE = "了是为成由被把将在对的:,"  # function characters between the question's words and the slot


def wh_sides(question: str) -> tuple[str, str, str] | None:
    """(wh-word, the words before it, the words after it less the closing particles), or None."""
    m = WH_WORD.search(question)
    if not m:
        return None
    return m.group(0), question[:m.start()], re.sub(r"[?？。!！\s]+$|[的呢吗]+$", "", question[m.end():]).lstrip("的")


def _first_anchor(pieces: list[str], sent: str, anchor: Callable[[str], bool], after: int) -> list[tuple[int, int]]:
    """[(length, position)] of the longest of `pieces` found in `sent` that can anchor a slot, or [].

    A piece found but no anchor ends the search, unless it holds punctuation: a shorter piece
    without it may still anchor.
    """
    for piece in pieces:
        pos = sent.find(piece, after)
        if pos < 0:
            continue
        if anchor(piece):
            return [(len(piece), pos)]
        if not re.search(r"[^\u4e00-\u9fffA-Za-z0-9]", piece):
            return []
    return []


def slot_fill(question: str, norm: str, start: int, end: int, head: str = "",
              generic: frozenset[str] = frozenset()) -> list[Span]:
    """The words of a sentence that fill a question's wh-slot ("…《某镇志》入选了什么？").

    The question's words right before the wh-word are found in the sentence and the slot
    is what follows them up to the clause end ("…入选|“第六批…工程”"); or its words right
    after are found and the slot is the noun phrase before them ("哪个市场|改造而成" →
    "…的|兴苑市场|改造成…"). `head` is the noun after the wh-word ("市场"): a slot keeps
    it at its end and is cut just after it. Words in `generic` ("目标", "预期") are no anchor:
    "…的预期目标是什么" must not take whatever follows "预期目标" in a list of targets.
    """

    def anchor(piece: str) -> bool:
        if not re.fullmatch(r"[\u4e00-\u9fffA-Za-z0-9]{2,}", piece):
            return False  # "”建" is no anchor: punctuation says nothing about where the slot is
        rest = piece
        for word in sorted(generic, key=len, reverse=True):
            if len(word) >= 2:
                rest = rest.replace(word, "")
        return len(rest) >= 2

    sides = wh_sides(question)
    if sides is None:
        return []
    wh, left, right = sides
    plural = bool(re.match(r"哪(些|几|[两二三四五六七八九十])", wh))  # "哪两个交易所": all of them
    left = left.rstrip(_SLOT_GLUE + "要将")
    sent = norm[start:end]
    out: list[Span] = []
    # 1. the question's words before the slot → the slot follows them
    for k, pos in _first_anchor([left[-k:] for k in range(min(len(left), 12), 1, -1)], sent, anchor, 0):
        if plural:
            # "瞄准A、B、C三条新赛道" for "…三条新赛道是哪三条": the list sits right before the words
            lead_end = start + pos
            lead = re.sub(r"(?:\[\d{1,3}\])?[一二三四五六七八九十两\d]{0,3}[大条个项类种座所家批]?$", "",
                          norm[start:lead_end])
            c0, _ = clause_bounds(norm, start, end, max(start, start + len(lead) - 1))
            items = norm[c0:start + len(lead)]
            if items.count("、") >= 1 and len(items) <= 60:
                k0 = 0
                while k0 < min(4, len(items) - 2) and items[:k0 + 1] in question:
                    k0 += 1  # a verb the question already says ("瞄准")
                out.append(Span(c0 + (k0 if k0 >= 2 else 0), start + len(lead), "slot", value=float(k)))
                break
        a = glued = start + pos + k
        while a < end and norm[a] in _SLOT_GLUE + "到":
            a += 1
        _, b = clause_bounds(norm, start, end, a)
        if a == glued and b - a <= 2:
            break  # "心理援助热线|体系": two characters glued to the question's words end its compound, name nothing
        if b < end and norm[b] == ":" and b - a <= 4:  # "…目标|建议为：|…": the slot is after the colon
            a = b + 1
            _, b = clause_bounds(norm, start, end, a)
        if head and not plural:  # "哪两个交易所": all of them, to the clause end
            h = norm.find(head, a, b)
            if h >= 0:
                b = h + len(head)
        for x, y in protected(norm, a, end):  # never cut a quotation or a title
            if x < b < y:
                b = y
        if 2 <= b - a <= 40 and not CLAUSE_SPLIT.match(norm[a]) and norm[a] not in "、)）》”":
            out.append(Span(a, b, "slot", value=float(k)))
        break
    # 2. the question's words after the slot → the slot is the noun phrase before them
    tail = right[len(head):] if head and right.startswith(head) else right
    if wh.startswith("哪位"):  # "哪位安徽人|被授予…": the words that describe the person need not be in the sentence
        # (of the ways to skip them, the one whose words run on longest in the sentence: "哪位领导同志|12次到保定…"
        # is "王东峰|同志12次到保定…", not the "…等|领导同志到保定视察" beside it)
        def run_on(i: int) -> int:
            return next((k for k in range(min(len(tail) - i, 12), 2, -1) if tail[i:i + k] in sent), 0)

        skip = max(range(max(1, min(6, len(tail) - 2))), key=lambda i: (run_on(i), -i))
        tail = tail[skip:]
    for k, pos in _first_anchor([tail[:k] for k in range(min(len(tail), 10), 1, -1)], sent, anchor, 1):
        b = start + pos
        # the rest of the question right after: the slot sits between ("在哪里|布局建设|X|产业园")
        rest = tail[k:]
        for r in range(min(len(rest), 10), 1, -1):
            gap_end = norm.find(rest[:r], b + k, min(end, b + k + 12))
            if gap_end > b + k and not CLAUSE_SPLIT.search(norm, b + k, gap_end) and not head:
                out.append(Span(b + k, gap_end, "slot", value=float(k + r)))
                break
        if CLAUSE_SPLIT.match(norm[b - 1]):
            break  # the words start a clause: nothing of this clause comes before them
        if head and not norm.startswith(head, b - len(head)):
            h = norm.rfind(head, start, b)
            if h < 0 or CLAUSE_SPLIT.search(norm, h, b):
                break
            b = h + len(head)
        quoted = next(((x, y) for x, y in protected(norm, start, end) if x < b < y and norm[x] in "“\"《"), None)
        if quoted:  # the words are inside a quoted name ("获评“河北省食品产业强县”"): the name is the slot
            if 2 <= quoted[1] - quoted[0] <= 40:
                out.append(Span(quoted[0], quoted[1], "slot", value=float(k + len(head))))
            break
        a, _ = clause_bounds(norm, start, end, max(start, b - 1))
        cut = max((norm.rfind(c, a, b - len(head) - 1) for c in "的将把由在对是为"), default=-1)
        if cut >= a:
            a = cut + 1
        if 2 <= b - a <= 30 and b - a > len(head):
            out.append(Span(a, b, "slot", value=float(k + len(head))))
        break
    return out


_RATIO = re.compile(r"(?<![\d.])\d+(?:\.\d+)?(?::\d+(?:\.\d+)?){1,4}(?![\d.:])")


def ratios(norm: str, start: int, end: int) -> list[Span]:
    """Ratios written with colons ("22.7:30.3:47"; the normalized text has ASCII colons)."""
    return [Span(m.start(), m.end(), "ratio") for m in _RATIO.finditer(norm, start, end)]
