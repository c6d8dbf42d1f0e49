"""One question, every report's figure: comparison questions answered report by report.

"各省2026年地区生产总值增长目标是多少？", "哪个省的城镇新增就业目标最高？",
"对比东川区和昆明市的固定资产投资目标": the question is reduced to its subject
("2026年地区生产总值增长目标是多少？"), embedded once, and answered by the reader
restricted to each report in scope. Every cell is a verbatim span with its citation,
or "未提及" when that report does not state it (the reader's own abstention). Figures
are parsed into quantities so rows rank and "最高/最低" questions name the winner;
the quoted span is never changed.

`detect` and `rank_rows` are pure; `compare` asks an `Assistant`.
"""
from __future__ import annotations

import csv
import io
import json
import logging
import re
import time
from collections import Counter
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, Sequence

from .quantity import Quantity, complete_figure, parse_quantity
from .text import clean_question, normalize
from .types import Citation, ReportMeta

logger = logging.getLogger(__name__)

DATA_FILE = Path(__file__).parent / "data" / "compare.json"
NOT_STATED = "未提及"
LEVELS = ("province", "city", "county")

_MAX = r"最高|最多|最大|最快|最强|更高|更多|更大|更快|highest|largest|biggest|greatest|fastest|most|top"
_MIN = r"最低|最少|最小|最慢|更低|更少|更小|更慢|lowest|smallest|fewest|slowest|least"
_COMPARE_VERBS = r"对比一下|对比|比较一下|比较|比一比|相比|横向比较|compare[ds]?|comparison of|versus|\bvs\.?"
_WHICH_ADJ = re.compile(r"(哪个|哪一个|哪家|哪份)(?P<rest>.*?)(?:更)?(?P<adj>高|低|多|少|大|小|快|慢)(?:一些|些)?(?=[？?。]*$)")
_CONNECTORS = r"[和与及跟同、,，/]|以及|and"
_QUESTION_WORD = re.compile(r"多少|几|什么|哪|如何|怎样|吗|\bhow\b|\bwhat\b|\bwhich\b", re.I)
_PROTECT = ("地区生产总值", "地区生产总值增长")  # "各地区生产总值…" is 各地 + 地区生产总值


@dataclass(frozen=True)
class CompareIntent:
    """What a comparison question asks: its subject, the reports' scope and any superlative."""

    question: str  # the question as asked (cleaned)
    core: str  # the question about one report ("2026年地区生产总值增长目标是多少？")
    level: str = ""  # "province" | "city" | "county" | "" (no level named)
    regions: tuple[str, ...] = ()  # report ids the question names
    everything: bool = False  # "各地", "所有报告": every report
    superlative: str = ""  # "max" | "min" | ""
    english: bool = False


@dataclass(frozen=True)
class CompareRow:
    """One report's answer to the comparison question."""

    report: str  # report id
    region: str
    title: str
    answer: str  # verbatim span, "" when the report does not state it
    sentence: str
    confidence: float
    abstained: bool
    reason: str = ""
    citation: Citation | None = None
    quantity: Quantity | None = None
    rank: int | None = None  # 1 = first in the ranking (highest, or lowest for "最低")

    @property
    def display(self) -> str:
        return NOT_STATED if self.abstained else self.answer

    @property
    def qualifier(self) -> str:
        return self.quantity.qualifier_text if self.quantity else ""

    def to_dict(self) -> dict[str, Any]:
        q = self.quantity
        c = self.citation
        return {
            "report": self.report, "region": self.region, "title": self.title,
            "answer": self.answer, "display": self.display, "stated": not self.abstained,
            "sentence": self.sentence, "confidence": round(float(self.confidence), 4), "reason": self.reason,
            "rank": self.rank, "qualifier": "" if self.abstained else self.qualifier,
            "quantity": None if q is None else {
                "value": q.value, "value_low": q.value_low, "value_high": q.value_high, "unit": q.unit,
                "unit_class": q.unit_class, "magnitude": q.magnitude, "qualifier": q.qualifier,
                "qualifier_text": q.qualifier_text, "number_text": q.number_text,
            },
            "citation": None if c is None else c.to_dict(),
        }


@dataclass(frozen=True)
class Comparison:
    """The answer to a comparison question: one row per report in scope, ranked when comparable."""

    question: str
    core_question: str
    scope: str  # "all" | "level:province" | "named" | "reports"
    rows: tuple[CompareRow, ...]
    superlative: str = ""
    unit_class: str = ""  # the class of the ranked figures ("" when nothing is comparable)
    latency_ms: float = 0.0
    message: str = ""

    @property
    def ranking(self) -> tuple[CompareRow, ...]:
        """Ranked rows, best first (ties share a rank)."""
        return tuple(sorted((r for r in self.rows if r.rank is not None), key=lambda r: (r.rank, r.region)))

    @property
    def winners(self) -> tuple[CompareRow, ...]:
        return tuple(r for r in self.rows if r.rank == 1) if self.superlative else ()

    @property
    def comparable(self) -> bool:
        return len(self.ranking) >= 2

    def to_dict(self) -> dict[str, Any]:
        return {
            "question": self.question, "core_question": self.core_question, "scope": self.scope,
            "superlative": self.superlative, "unit_class": self.unit_class, "comparable": self.comparable,
            "message": self.message, "latency_ms": round(float(self.latency_ms), 2),
            "stated": sum(not r.abstained for r in self.rows), "reports": len(self.rows),
            "winners": [r.report for r in self.winners],
            "ranking": [r.report for r in self.ranking],
            "rows": [r.to_dict() for r in self.rows],
        }


# ------------------------------------------------------------------ vocabulary


@lru_cache(maxsize=1)
def _vocab() -> dict[str, Any]:
    with open(DATA_FILE, encoding="utf-8") as f:
        return json.load(f)


def _words_re(words: Iterable[str], english: bool = False) -> re.Pattern[str]:
    alts = "|".join(re.escape(w) for w in sorted(set(words), key=len, reverse=True))
    # "哪些区" is not "哪些区域", nor "各市" "各市场"
    return re.compile(rf"(?<![a-z])(?:{alts})(?![a-z])" if english else f"(?:{alts})(?![域场])", re.I)


@lru_cache(maxsize=1)
def _patterns() -> dict[str, Any]:
    v = _vocab()
    levels = {lvl: (_words_re(d["zh"]), _words_re(d["en"], english=True)) for lvl, d in v["levels"].items()}
    return {"levels": levels, "all": (_words_re(v["all"]["zh"]), _words_re(v["all"]["en"], english=True))}


def report_level(meta: ReportMeta) -> str:
    """The administrative level of a report's region: its `level` field, else read from the name's suffix."""
    level = getattr(meta, "level", "") or ""
    if level in LEVELS:
        return level
    region = meta.region or ""
    v = _vocab()
    if region in v["province_level_cities"]:
        return "province"
    for lvl in LEVELS:
        if any(region.endswith(s) for s in v["level_suffixes"][lvl]):
            return lvl
    return ""


def region_names(meta: ReportMeta) -> tuple[str, ...]:
    """Ways a question may name a report's region: full name, aliases, and the name without its suffix."""
    region = normalize(meta.region or "")
    names = [region] if region else []
    names += [normalize(a) for a in getattr(meta, "aliases", ()) or () if a]
    short = region
    for suffix in sorted((s for ss in _vocab()["level_suffixes"].values() for s in ss), key=len, reverse=True):
        if region.endswith(suffix) and len(region) - len(suffix) >= 2:
            short = region[: -len(suffix)]
            break
    # "广西壮族自治区" → "广西", "新疆维吾尔自治区" → "新疆": ethnic names sit between the place and the suffix
    short = re.sub(r"(?<=..)(?:壮族|回族|维吾尔|藏族|蒙古族|[\u4e00-\u9fff]{1,3}族)+$", "", short)
    if short and short not in names:
        names.append(short)
    return tuple(n for n in names if len(n) >= 2)


# ------------------------------------------------------------------ question analysis


def named_reports(question: str, reports: Mapping[str, ReportMeta]) -> tuple[str, ...]:
    """Report ids whose region the question names (longest names first, so "东川区" is not "东川"+"区")."""
    from .places import find_places, reports_for

    q = normalize(question)
    metas = list(reports.values())
    hits: list[str] = []
    for place in find_places(q, metas):  # whole names, also English ones ("Kunming")
        if place.kind == "region":
            hits.extend(r for r in reports_for(place, metas, include_within=False) if r not in hits)
    table, longest = _region_table(tuple(metas))
    named = {rid for i in range(len(q)) for size in range(3, min(longest, len(q) - i) + 1)
             for rid in table.get(q[i:i + size], ())}
    hits.extend(rid for rid in reports if rid in named and rid not in hits)
    return tuple(hits)


@lru_cache(maxsize=16)
def _region_table(metas: tuple[ReportMeta, ...]) -> tuple[dict[str, tuple[str, ...]], int]:
    """Region name (three characters or more) -> ids of the reports it names, and the longest name:
    a question's substrings are looked up instead of every report's names tested against it."""
    table: dict[str, list[str]] = {}
    for meta in metas:
        for name in region_names(meta):
            if len(name) >= 3:
                table.setdefault(name, []).append(meta.id)
    return {k: tuple(v) for k, v in table.items()}, max(map(len, table), default=0)


def _strip(text: str, pattern: re.Pattern[str] | str) -> tuple[str, bool]:
    new = re.sub(pattern, " ", text)
    return new, new != text


def detect(question: str, reports: Mapping[str, ReportMeta], force: bool = False) -> CompareIntent | None:
    """A CompareIntent when the question compares reports (or `force`), else None.

    A comparison names a level ("各省", "哪个省", "provinces"), asks about every report
    ("各地", "所有报告"), or names two or more reports' regions.
    """
    q = clean_question(question) if question else ""
    if not q:
        return None
    english = sum(c.isascii() and c.isalpha() for c in q) > len(q) // 2
    work = q
    for i, term in enumerate(_PROTECT[::-1]):
        work = work.replace(term, f"\x00{i}\x00")
    pats = _patterns()
    level = ""
    for lvl, (zh, en) in pats["levels"].items():
        work, hit_zh = _strip(work, zh)
        work, hit_en = _strip(work, en)
        if (hit_zh or hit_en) and not level:
            level = lvl
    work, all_zh = _strip(work, pats["all"][0])
    work, each_term = _strip(work, re.compile("各(?=\x00)"))  # "各地区生产总值…"
    all_zh = all_zh or each_term
    work, all_en = _strip(work, pats["all"][1])
    everything = all_zh or all_en
    named = named_reports(q, reports)
    work, verb = _strip(work, re.compile(_COMPARE_VERBS, re.I))
    superlative = ""
    m = _WHICH_ADJ.search(work)
    if m and len(named) >= 2:
        superlative = "min" if m.group("adj") in "低少小慢" else "max"
        work = work[:m.start()] + m.group("rest") + work[m.end():]
    if re.search(_MAX, work, re.I):
        superlative = superlative or "max"
    elif re.search(_MIN, work, re.I):
        superlative = superlative or "min"
    work = re.sub(rf"(?<![a-z])(?:{_MAX}|{_MIN})(?![a-z])", " ", work, flags=re.I)
    is_comparison = bool(level or everything or len(named) >= 2 or (verb and named) or force)
    if not is_comparison:
        return None
    # drop the regions named, and what joined them
    names = sorted({n for rid in named for n in region_names(reports[rid])}, key=len, reverse=True)
    for n in names:
        work = work.replace(n, " ")
    for rid in named:  # English names ("Kunming"), from each report's identity
        en_names = getattr(reports[rid], "english", ()) or ()
        for name in ([en_names] if isinstance(en_names, str) else list(en_names)):
            if name:
                work = re.sub(rf"(?<![a-z]){re.escape(name)}(?:'s)?(?![a-z])", " ", work, flags=re.I)
    for i, term in enumerate(_PROTECT[::-1]):
        work = work.replace(f"\x00{i}\x00", term)
    core = _tidy(work, english)
    if not re.search(r"[\w\u4e00-\u9fff]", core):
        core = q
    return CompareIntent(question=q, core=core, level=level, regions=named, everything=bool(everything),
                         superlative=superlative, english=english)


def _tidy(text: str, english: bool) -> str:
    """The leftover of a comparison question as a question about one report."""
    t = re.sub(r"\s+", " ", text).strip()
    if english:
        t = re.sub(r"^(?:(?:has|have|had|set|sets|is|are|was|were|the|of|for|in|between|among|across|and|,)\s+)+",
                   "", t, flags=re.I)
        t = re.sub(r"(?:\s*\b(?:and|between|among|of|for|in)\b\s*,?)+\s*(?=[?？]|$)", "", t, flags=re.I).strip(" ,")
        if not _QUESTION_WORD.search(t):
            t = "What is the " + t
        return t if t.endswith(("?", "？")) else t + "?"
    t = re.sub(r"\s+", "", t)
    lead = rf"^(?:{_CONNECTORS}|的|在|中|里|当中|之间|分别|的是|是|全国|[0-9]+个|[一二三四五六七八九十]+个)+"
    t = re.sub(lead, "", t)
    t = re.sub(r"(?:的是|是|分别是|各是|分别|都是|排名|排序|如何|怎么样)?(?:哪个|哪些|哪几个|谁)?[？?。!！]*$", "", t)
    t = re.sub(rf"(?:{_CONNECTORS})+$", "", t)
    t = re.sub(r"分别|各自", "", t)  # "…分别是多少": each report is asked on its own
    if not t:
        return ""
    if not _QUESTION_WORD.search(t):
        t += "是多少"
    return t + "？"


def _of_the_years(scope: Sequence[str], question: str, metas: Mapping[str, ReportMeta]) -> list[str]:
    """Within a scope, the reports that speak of the years the question names ("各省2026年…" leaves a
    province's 2024 report out); unchanged when the question names no year or no report fits."""
    from .years import reviewed_year, target_year

    years = {int(y) for y in re.findall(r"(20\d\d)年", question)}
    if not years:
        return list(scope)
    fitting = [r for r in scope if years & {reviewed_year(metas[r]), target_year(metas[r])}]
    return fitting or list(scope)


def scope_reports(intent: CompareIntent | None, reports: Mapping[str, ReportMeta],
                  explicit: Sequence[str] | None = None, level: str | None = None) -> tuple[list[str], str]:
    """The report ids to compare and a label of why: explicit ids, a level, the regions named, or all."""
    if explicit:
        return [r for r in explicit if r in reports], "reports"
    lvl = level or (intent.level if intent else "")
    if intent and intent.regions and not intent.everything and not level:
        return list(intent.regions), "named"
    if lvl:
        return [rid for rid, meta in reports.items() if report_level(meta) == lvl], f"level:{lvl}"
    return list(reports), "all"


# ------------------------------------------------------------------ ranking (pure)


def rank_rows(rows: Sequence[CompareRow], superlative: str = "") -> tuple[tuple[CompareRow, ...], str]:
    """Ranks rows whose figures share the most common unit class; lowest first for "min".

    Rows of another class, or without a figure, stay unranked (rank None). Equal
    values share a rank (1, 2, 2, 4). Returns the rows in their original order.
    """
    classes = Counter(r.quantity.unit_class for r in rows if not r.abstained and r.quantity is not None)
    if not classes:
        return tuple(replace(r, rank=None) for r in rows), ""
    unit_class = max(classes, key=lambda c: (classes[c], c != ""))
    ranked = [r for r in rows if not r.abstained and r.quantity is not None and r.quantity.unit_class == unit_class]
    sign = 1 if superlative == "min" else -1
    ranked.sort(key=lambda r: sign * r.quantity.value)  # type: ignore[union-attr]
    ranks: dict[str, int] = {}
    prev: float | None = None
    for i, r in enumerate(ranked, start=1):
        v = r.quantity.value  # type: ignore[union-attr]
        ranks[r.report] = ranks[ranked[i - 2].report] if prev is not None and v == prev else i
        prev = v
    return tuple(replace(r, rank=ranks.get(r.report)) for r in rows), unit_class


def sort_rows(rows: Sequence[CompareRow], key: str = "rank", descending: bool = False) -> list[CompareRow]:
    """Rows sorted for display by "rank", "value", "region" or "confidence"; unstated rows last."""
    def value(r: CompareRow) -> float:
        return r.quantity.value if r.quantity is not None else 0.0

    stated = [r for r in rows if not r.abstained]
    missing = [r for r in rows if r.abstained]
    if key == "value":
        stated.sort(key=lambda r: (r.quantity is None, -value(r) if descending else value(r)))
    elif key == "region":
        stated.sort(key=lambda r: r.region, reverse=descending)
    elif key == "confidence":
        stated.sort(key=lambda r: r.confidence, reverse=not descending)
    else:
        stated.sort(key=lambda r: (r.rank is None, r.rank or 0, r.region))
    return stated + sorted(missing, key=lambda r: r.region)


DISPLAY_ORDERS = ("rank", "value_desc", "value_asc", "region")


def display_order(comparison: Comparison, order: str = "rank") -> list[CompareRow]:
    """Rows in a display order: "rank" (by region when nothing ranks), "value_desc", "value_asc", "region"."""
    if order == "value_desc":
        return sort_rows(comparison.rows, "value", descending=True)
    if order == "value_asc":
        return sort_rows(comparison.rows, "value")
    if order == "region":
        return sort_rows(comparison.rows, "region")
    return sort_rows(comparison.rows, "rank" if comparison.comparable else "region")


# ------------------------------------------------------------------ tables (pure)

TABLE_HEADER = ("地区", "答案", "限定", "数值", "单位", "排名", "报告", "章节", "原文", "置信度")


def _num(v: float) -> str:
    """A plain decimal (no exponent), so spreadsheets read 1600亿斤 as 80000000000."""
    return f"{v:.6f}".rstrip("0").rstrip(".")


def table_rows(comparison: Comparison, rows: Sequence[CompareRow] | None = None) -> list[list[str]]:
    """The comparison as plain cells, header first (the answer column quotes the report exactly)."""
    out = [list(TABLE_HEADER)]
    for r in rows if rows is not None else comparison.rows:
        q = r.quantity
        value = "" if q is None or r.abstained else (
            f"{_num(q.value_low)}–{_num(q.value_high)}" if q.is_range else _num(q.value))
        unit = "" if q is None or r.abstained else q.unit
        out.append([r.region, r.display, "" if r.abstained else r.qualifier, value, unit,
                    "" if r.rank is None else str(r.rank), r.title, r.citation.section if r.citation and not r.abstained else "",
                    r.sentence, f"{r.confidence:.2f}"])
    return out


def to_csv(comparison: Comparison, rows: Sequence[CompareRow] | None = None) -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerows(table_rows(comparison, rows))
    return buf.getvalue()


def to_tsv(comparison: Comparison, rows: Sequence[CompareRow] | None = None) -> str:
    def cell(s: str) -> str:
        return re.sub(r"[\t\r\n]+", " ", s)

    return "\n".join("\t".join(cell(c) for c in row) for row in table_rows(comparison, rows)) + "\n"


def summary(comparison: Comparison) -> str:
    """One line saying who ranks first (for "最高/最低" questions) and how many reports state the figure."""
    stated = sum(not r.abstained for r in comparison.rows)
    parts = [f"{len(comparison.rows)} 份报告中 {stated} 份提及"]
    if comparison.winners:
        word = "最低" if comparison.superlative == "min" else "最高"
        parts.insert(0, f"{word}: " + "、".join(f"{r.region}({r.answer})" for r in comparison.winners))
    return ";".join(parts)


# ------------------------------------------------------------------ asking


def whole_figure(cite: Citation) -> Citation:
    """The citation with its span widened to the whole figure ("5%" → "5%—5.5%", "5%左右") within its passage."""
    start, end = complete_figure(cite.text, cite.start, cite.end)
    if (start, end) == (cite.start, cite.end):
        return cite
    return replace(cite, start=start, end=end, report_start=cite.report_start - (cite.start - start),
                   report_end=cite.report_end + (end - cite.end))


class ComparisonStopped(Exception):
    """The comparison was told to stop (its client left, or it ran past its deadline) before it finished."""


def compare(assistant: Any, question: str, reports: Sequence[str] | None = None, level: str | None = None,
            force: bool = True, stop: Callable[[], bool] | None = None,
            on_row: Callable[[CompareRow, int, int], None] | None = None) -> Comparison:
    """Answer a comparison question report by report (analysed and embedded once: `Assistant.ask_each`).

    `reports` (ids) or `level` ("province", …) set the scope explicitly; otherwise it is
    read from the question: the regions it names, the level it names, or every report.
    With `force` a question without comparison words is still compared over the scope.
    `stop` is checked before each report: when it says so, ComparisonStopped is raised and
    no more work is done (a server stops work for a client that has gone). `on_row(row, done,
    total)` hears of each report's row as soon as it is read (rows in scope order, before ranking),
    so a caller can show an archive's comparison while it runs.
    """
    t0 = time.perf_counter()
    metas = {rid: r.meta for rid, r in assistant.reports.items()}
    raw = question if isinstance(question, str) else ""
    problem = assistant.check_question(raw)
    if problem:
        return Comparison(question=raw[:500], core_question="", scope="", rows=(), message=problem,
                          latency_ms=(time.perf_counter() - t0) * 1000)
    if level and level not in LEVELS:
        msg = f"不支持的层级“{level}”,可选: {', '.join(LEVELS)}"
        return Comparison(question=raw, core_question="", scope="", rows=(), message=msg,
                          latency_ms=(time.perf_counter() - t0) * 1000)
    unknown = [r for r in reports or () if r not in metas]
    intent = detect(raw, metas, force=force or bool(reports) or bool(level))
    if intent is None:
        return Comparison(question=raw, core_question="", scope="", rows=(),
                          message="这不是一个对比问题:请用“各省……”“对比A和B……”等方式提问,或打开对比模式。",
                          latency_ms=(time.perf_counter() - t0) * 1000)
    scope, label = scope_reports(intent, metas, reports, level)
    if not reports:
        scope = _of_the_years(scope, intent.core, metas)
    if not scope:
        msg = f"没有编号为 {'、'.join(unknown)} 的报告" if unknown else "没有符合范围的报告"
        return Comparison(question=raw, core_question=intent.core, scope=label, rows=(), message=msg,
                          latency_ms=(time.perf_counter() - t0) * 1000)
    rows: list[CompareRow] = []
    answers = assistant.ask_each(intent.core, scope)  # lazy: each report is read when its row is wanted
    while True:
        if stop is not None and stop():
            logger.info("comparison for %r stopped after %d of %d reports", intent.core, len(rows), len(scope))
            raise ComparisonStopped(f"stopped after {len(rows)} of {len(scope)} reports")
        found = next(answers, None)
        if found is None:
            break
        rid, answer = found
        meta = metas[rid]
        cite = answer.citations[0] if answer.citations and not answer.abstained else None
        span = answer.answer
        if cite is not None and cite.start >= 0:
            cite = whole_figure(cite)
            span = cite.text[cite.start:cite.end]
        rows.append(CompareRow(
            report=rid, region=meta.region or meta.title, title=meta.title, answer=span,
            sentence=answer.sentence, confidence=answer.confidence, abstained=answer.abstained,
            reason=answer.reason, citation=cite,
            quantity=None if answer.abstained else parse_quantity(span)))
        if on_row is not None:
            on_row(rows[-1], len(rows), len(scope))
    ranked, unit_class = rank_rows(rows, intent.superlative)
    message = f"没有编号为 {'、'.join(unknown)} 的报告" if unknown else ""
    comparison = Comparison(question=raw, core_question=intent.core, scope=label, rows=ranked,
                            superlative=intent.superlative, unit_class=unit_class,
                            latency_ms=(time.perf_counter() - t0) * 1000, message=message)
    logger.info("compared %d reports for %r in %.0f ms", len(rows), intent.core, comparison.latency_ms)
    return comparison



# ------------------------------------------------------------------ in the chat

# a level or scope word naming ONE place ("哪个城市被授予…称号", "由哪个市场改造而成") asks a factoid question,
# not for a comparison, unless the question also asks for the top or bottom ("哪个省的…最高")
_SINGULAR_SCOPE = re.compile(r"^(?:哪个|哪一个|哪份|which\s+(?:province|city|county|district|report|region)$)", re.I)
# set phrases of official texts that are no comparison ("要求各地区、各部门做好…")
_SET_PHRASES = re.compile(r"各地区?、?各部门|各级各部门|各地区?、?各有关部门")
_OF_ORIGIN = re.compile(r"(?:\bfrom|\bto|\binto|\bwith|从|来自|向|对)\s*$", re.I)
_JOINED = re.compile(r"\s*(?:[和与及跟同、,，/]|以及|and|vs\.?|versus)\s*", re.I)
# what a question about several named places asks of each ("分别是多少", "哪个更高", "谁的…")
_ASKS_EACH = re.compile(r"分别|各自|各是|都是|多少|几|哪个|哪一个|谁|排名|排序|高低|差距|区别|差异|不同|异同|"
                        r"\bhow (?:much|many)\b|\bwhat\b|\bwhich\b", re.I)


def _scope_words(question: str) -> list[str]:
    """The level and scope words of a question ("各省", "哪个省", "所有报告"), as `detect` reads them."""
    work = _SET_PHRASES.sub(" ", question)
    for i, term in enumerate(_PROTECT[::-1]):
        work = work.replace(term, f"\x00{i}\x00")
    pats = _patterns()
    found: list[str] = []
    for zh, en in [*pats["levels"].values(), pats["all"]]:
        for pat in (zh, en):
            found += [m.group(0) for m in pat.finditer(work)]
            work = pat.sub(" ", work)
    if re.search("各(?=\x00)", work):  # "各地区生产总值…"
        found.append("各地")
    return found


def chat_intent(question: str, reports: Mapping[str, ReportMeta]) -> CompareIntent | None:
    """The comparison a chat question clearly asks for, else None (then it is answered as one question).

    Stricter than `detect`, which compare mode applies to a question the user already chose to
    compare: several reports of one place ("北京市" has a work report and notices), a place inside
    another ("保定市清苑区"), two places that merely occur in one question ("昆明市政府工作报告里，
    东川区…"), and "哪个城市被授予…称号" are no comparison. A chat question compares when
    - it names a level or every report in the plural ("各省", "哪些省份", "所有报告", "provinces"), or in
      the singular with a superlative ("哪个省的…最高"), and names no single place besides; or
    - it names two or more places joined ("东川区和昆明市的…分别是多少", "东川、昆明哪个…高") and asks
      something of each, or names them with a comparison verb ("对比东川区和昆明市的…").
    """
    intent = detect(question, reports)
    if intent is None:
        return None
    from .places import find_places

    q = normalize(intent.question)
    named = {reports[rid].region or rid for rid in intent.regions}
    places = [p for p in find_places(q, list(reports.values()))
              if p.kind in ("region", "national") and (p.region in named or set(p.report_ids) & set(intent.regions))]
    regions = {p.region or p.name for p in places} | named
    local = {r for r in regions if r != "全国"}  # "全国各省…" names the level, not one more place
    if intent.level or intent.everything:
        if len(local) == 1:
            return None  # "河北省各市…", "云南各省…": about one place
        if len(regions) < 2:
            words = _scope_words(q)
            plural = any(not _SINGULAR_SCOPE.match(w.strip()) for w in words)
            return intent if plural or (words and intent.superlative) else None
    if len(regions) < 2:
        return None
    if re.search(_COMPARE_VERBS, q, re.I):
        return intent
    ordered = sorted(places, key=lambda p: p.start)
    # "Hebei absorbed … from Beijing and Tianjin", "河北吸纳京津…": places joined after a preposition, beside a
    # place of their own, say where the subject's figure comes from or goes to
    joined = any(a.region != b.region and _JOINED.fullmatch(q[a.end:b.start])
                 and not (_OF_ORIGIN.search(q[:a.start]) and regions - {a.region or a.name, b.region or b.name})
                 for a, b in zip(ordered, ordered[1:]))
    return intent if joined and (_ASKS_EACH.search(q) or intent.superlative) else None


def chat_resolve(assistant: Any, question: str, history: Sequence[str]) -> str:
    """The standalone question of a chat turn: `dialogue.resolve`, aware of comparisons in the history.

    A follow-up naming a place after a comparison asks that place the compared question
    ("那云南呢？" after "各省2026年地区生产总值增长目标是多少？" → "云南2026年地区生产总值增长目标是多少？");
    any other follow-up keeps the comparison ("城镇新增就业目标呢？" → "各省2026年城镇新增就业目标是多少？").
    Without a comparison in the history this is exactly `resolve(question, history)`.
    """
    from .dialogue import is_follow_up, resolve

    find, years = assistant.scopes.find_places, assistant.scopes.years_of
    history = list(history)
    if not history:
        return resolve(question, history, find, years)
    metas = {rid: r.meta for rid, r in assistant.reports.items()}
    prev = chat_resolve(assistant, history[-1], history[:-1])
    intent = chat_intent(prev, metas)
    q = clean_question(question)
    if intent is not None and find(q) and is_follow_up(q, prev) and chat_intent(q, metas) is None:
        return resolve(question, [intent.core], find, years)
    if prev != resolve(history[-1], history[:-1], find, years):  # an earlier turn was read against a comparison
        return resolve(question, [prev], find, years)
    return resolve(question, history, find, years)


def top_row(comparison: Comparison) -> CompareRow | None:
    """The row an answer's own span comes from: the first of the ranking, else the first stated row."""
    if comparison.ranking:
        return comparison.ranking[0]
    return next((r for r in comparison.rows if not r.abstained), None)


def chat_answer(assistant: Any, question: str, history: Sequence[str] | None, t0: float) -> Any:
    """The chat's `Answer` to a comparison question (`comparison` holds every row), or None when the
    question is no comparison (`chat_intent`) or nothing is in its scope."""
    from .types import Answer

    history = [h for h in (history or []) if isinstance(h, str) and h.strip()][-6:]
    resolved = chat_resolve(assistant, question, history)
    metas = {rid: r.meta for rid, r in assistant.reports.items()}
    intent = chat_intent(resolved, metas)
    if intent is None:
        return None
    result = compare(assistant, resolved, force=False)
    if not result.rows:
        return None
    message = summary(result)
    result = replace(result, message="；".join(m for m in (result.message, message) if m))
    top = top_row(result)
    qtype = assistant.analyze(intent.core).qtype
    latency = (time.perf_counter() - t0) * 1000
    if top is None:
        return Answer(question=question, answer="", sentence="", confidence=max(r.confidence for r in result.rows),
                      abstained=True, reason=f"对比的 {len(result.rows)} 份报告均未提及", qtype=qtype,
                      resolved_question=resolved, message=message, latency_ms=latency, comparison=result)
    return Answer(question=question, answer=top.answer, sentence=top.sentence, confidence=top.confidence,
                  abstained=False, reason=f"答案来自《{top.title}》", qtype=qtype, resolved_question=resolved,
                  citations=(top.citation,) if top.citation is not None else (), message=message,
                  latency_ms=latency, comparison=result)

__all__ = ["CompareIntent", "ComparisonStopped", "CompareRow", "Comparison", "DISPLAY_ORDERS", "NOT_STATED", "chat_answer",
           "chat_intent", "chat_resolve", "compare", "detect", "top_row",
           "display_order", "rank_rows",
           "report_level", "scope_reports", "sort_rows", "summary", "table_rows", "to_csv", "to_tsv"]
