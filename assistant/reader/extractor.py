"""Extractive reading: pick the best sentence of the retrieved passages, then the minimal span.

Scoring is transparent and cheap (no model call): idf-weighted coverage of the
question's terms in the sentence and its section, agreement of region, year
and period (2025 完成 vs 2026 目标 vs 十四五 / 十五五), and per-type span
rules (a number with its unit near the subject, the enumerated list, the
glossary definition, a name, date, place or meeting).
"""
from __future__ import annotations

import bisect
import dataclasses
import math
import re
from functools import lru_cache
from typing import Callable, Iterable, Sequence

from ..knowledge import lexicon, named_counterparts
from ..text import ascii_lower, normalize, sentence_spans, word_cuts
from ..types import Chunk, Hit, Report
from ..years import asked_years, reviewed_year, target_year
from . import spans as S
from .descriptive import answer_span, description_cue, lists_clauses, named_items
from .ranker import SpanRanker, default_ranker
from .question import QuestionInfo

_GROWTH_BEFORE = re.compile(r"(增长|增速|增幅|提高|提升|下降|降低|减少|增加|增|降|上涨|压减)[了到至为达]?$")
_FIVE_AHEAD = re.compile(r"未来五年|今后五年|五年后|到“十[四五六]五”末")
# ("PM2.5年均浓度" is one year's mean; "全年累计减免税费4.2亿元" one year's total)
_FIVE_BEFORE = re.compile(r"(年均(?!浓度)|(?<!全年)(?<!今年)(?<!当年)(?<!年内)累计|五年|每年)")
_ASKS_NAME = re.compile(r"叫什么|名称|名字|什么型号|哪款|哪种型号|哪个品牌|什么品牌|哪部|什么文件|什么规划|什么行动|"
                        r"什么计划|什么工程|什么号|哪一号|what is the name|called|named|which (plan|program|action)", re.I)
# stock or flow: "总共/现有多少" asks the total, "新增多少" the year's addition
_ASKS_TOTAL = re.compile(r"累计|总共|一共|总计|合计|共计|总数|总量|总规模|总里程|总长|总面积|共有|现有|保有量|存量|规模有多大")
_ASKS_NEW = re.compile(r"新增|新建|新开|新设|新招|新引进|新培育|新认定|净增|增加了?多少")
_NEW_BEFORE = re.compile(r"新增|新建|新开|新设|新招|新引进|新培育|新认定|净增|增加")
_TOTAL_BEFORE = re.compile(r"总|累计|共计|合计|保有量|存量|全部")
_RUN_BEFORE = re.compile(r"(?:\d[\d.]*(?:%|[\u4e00-\u9fff]{1,3})?[、和及与])+$")  # "30元和" before "5元"
_ORDINAL_NOUN = re.compile(r"第几[个届次批期轮]([\u4e00-\u9fff]{2,8}?)(?:[?？]|$|了|呢)")
_COUNTS_SEVERAL = re.compile(r"哪[二三四五六七八九十两]+|[二三四五六七八九十两]+[个类种项条所家座大]")
_COUNTABLE = ("count", "people", "household", "container", "grade")  # what "how many" counts
# direction: "下降了多少" is not answered by a growth, nor "增长了多少" by a fall
_ASKS_DOWN = re.compile(r"下降|减少|降低|下滑|回落|缩小|降了|少了")
_ASKS_UP = re.compile(r"增长|增加|提高|提升|上涨|涨了|多了|扩大|\b(?:grow(?:th|s|n)?|increased?|increases|ris(?:e|es|en)|rose)\b")
_UP_BEFORE = re.compile(r"(增长|增加|提高|提升|上涨|扩大|增)[了到至为达]?$")
_DOWN_BEFORE = re.compile(r"(下降|减少|降低|下滑|回落|缩小|压减|降)[了到至为达]?$")
_ASKS_RATIO = re.compile(r"比例?是|结构|之比|比为|比多少|\bratio\b")  # (English words whole: "concentration")
_ASKS_MEANING = re.compile(r"是指|指的是|指什么|什么意思|是什么意思|含义|是什么[?？]?$|\brefers? to\b|\bstands? for\b|\bmean(?:ing)?\b")
_COUNTED_NOUN = re.compile(r"(?:多少|几)(个|条|颗|家|座|所|项|艘|架|台|辆|只|部|批)([\u4e00-\u9fff]{2,4}?)(?:[?？]|$|了|呢)")
_ASKS_RANK = re.compile(r"第几|排名|排第|位次|名次|\brank", re.I)
_RANK_SCOPE = re.compile(r"全国|全省|全区|全市|全县|全州|全盟|世界|全球|中部|西部|东部|东北")
_CHANGE_BEFORE = re.compile(r"(增长|增加|提高|提升|下降|降低|减少|上升|扩大|增量|增产|增|降)了?$|比[^,;。]{1,8}[多少]了?$")
_COMPARES = re.compile(r"(?:比|较|与|和|同)(?:上年|去年|上一年|前一年|前年|同期|(?:19|20)\d\d年|年初|“?十[一二三四]五”?)")
# a figure compared with another time: "较去年同期增加48天", "比上年多3个" (a change, not a level)
_COMPARED_CHANGE = re.compile(r"(?:比|较)[^,;。:、\d]{0,10}(?:增加|增长|提高|提升|下降|降低|减少|上升|扩大|缩小|多|少)了?$")
_REACHED_BEFORE = re.compile(r"(?:增长|增加|提高|提升|下降|降低|减少|上升|扩大|增|降)(?:至|到)$")
# a part of the year: "前三季度，全市实现地区生产总值1995.5亿元" does not answer a question about the year
_PART_OF_YEAR = re.compile(r"前[一二三]季度|[上下]半年|第?[一二三四]季度|\d{1,2}[-—~至]\d{1,2}月|前\d{1,2}个?月")
# "贫困人口减少了多少": the amount of a change, answered by the figure the change verb governs ("减少1109万")
_ASKS_CHANGE_AMOUNT = re.compile(r"(?:增加|减少|增产|多了|少了|提高|提升)了?(?:多少|几)(?!个百分点)")
# "增加了多少" asks an amount; a rate is asked in words of rates ("增长了多少", "增幅", "百分之几")
_ASKS_RATE_WORDS = re.compile(r"增长|增速|增幅|幅度|百分|%|率|比例|比重|[几多]成")
# "比全省高多少", "高出全国几个百分点": the gap to a comparator, written "高于全省37.1个百分点"
_ASKS_GAP = re.compile(r"(?:比|(?:高|低|快|慢)[于出])(?:全国|全省|全市|全州|全区|全县|[^,;。，；？?\d年]{0,6}平均)(?:平均)?(?:水平)?"
                       r"(?:高|低|快|慢|多|少)?(?:出|了)?(?:多少|几)|(?:高|快)出(?:多少|几)")
_GAP_WORD = re.compile(r"(?:高于|低于|快于|慢于|高出|超出|领先|多于|少于)[^,;。:\d]{0,8}")
_GAP_BEFORE = re.compile(_GAP_WORD.pattern + "$")
_THRESHOLD_BEFORE = re.compile(r"(突破|超过|跨过|迈上|超)$")
_ECHO_KINDS = ("slot", "entity", "list", "name", "clause", "title", "place")
_TWO_VALUES = re.compile(r"分别|各(是|为|有|达|多少|.{1,3}多少)|和.{1,12}(各|都)|\band\b.*\b(respectively|each)\b|respectively", re.I)


@lru_cache(maxsize=4096)
def _names_indicator(term: str) -> bool:
    """Whether a question term (its forms joined by |) is a statistical indicator of indicators.tsv, three
    characters or more: the figure answering it must be written in a sentence that names it."""
    from ..knowledge import indicator_classes

    names = {name for name, _ in indicator_classes() if len(name) >= 3}
    return any(form in names for form in re.split(r"[|&]", term))


def _count_fit(question: str, items: str) -> float:
    """A question that counts its answer ("三大主导产业是什么", "哪两个交易所") is answered by a list of that many
    items: a little more for one that has them, a little less for one that does not."""
    m = S.COUNT.search(question)
    if not m or "、" not in items:
        return 0.0
    wanted = S.parse_number(m.group(1))
    return 0.1 if wanted == items.count("、") + 1 else -0.05


@dataclasses.dataclass(frozen=True)
class Candidate:
    chunk: Chunk
    sent_start: int
    sent_end: int
    start: int
    end: int
    kind: str
    score: float
    coverage: float  # idf-weighted share of question terms found in the sentence + section
    features: tuple[tuple[str, float], ...] = ()  # the named evidence behind `score` ("why this span")

    def explain(self) -> str:
        return ", ".join(f"{k}={v:+.3f}" for k, v in self.features)


MARGIN_CAP = 1.0  # a lead this large is as sure as no rival at all


def _margin(best: Candidate, pool: Sequence[Candidate], rank: Callable[[Candidate], float],
            said: Callable[[Candidate], str]) -> float:
    """How far the chosen span leads the best span that says something else (0..MARGIN_CAP).

    Not part of the score (it is the score's lead): the policy's confidence reads it, since a
    choice between two close spans with different answers is the reader's commonest way to be wrong.
    """
    mine = said(best)
    top = rank(best)
    rivals = [rank(c) for c in pool if said(c) != mine]
    if not rivals:
        return MARGIN_CAP
    return round(max(0.0, min(MARGIN_CAP, top - max(rivals))), 5)


@dataclasses.dataclass(frozen=True)
class Reading:
    best: Candidate | None
    coverage: float
    reason: str = ""
    pool: tuple[Candidate, ...] = ()  # the spans of the asked kind the best was chosen from


@lru_cache(maxsize=32768)
def _norm_text(text: str) -> str:
    """normalize() of a passage, computed once (every question reads the same passages again)."""
    return normalize(text)


_VAGUE = re.compile(r"^(?:不少|一些|许多|若干|诸多|很多|众多|部分|一系列)")  # a quantity that names no item
_POINTER = re.compile(r"(?:下列|以下|如下|上述)")  # a span opening so points at what it names elsewhere
_ASKS_WHICH = re.compile(r"哪些|哪几|哪[一二三四五六七八九十两]+[项条个类种]")
_ANNOUNCED_LIST = re.compile(r"(?:下列|以下)[^,;。:]{0,30}(?:[,][^;。:]{0,30})?:\s*$")  # "下列项目…,用人单位…:"


@lru_cache(maxsize=8192)
def _term_matcher(term: str) -> Callable[[str], float]:
    """How much of one question term a (normalized, lower-cased) text holds, 0..1, made once per term.

    "a|b": the better of its forms; "a&b": pieces of a compound, all of them close together
    (1.0), all but apart (0.5), some (0.4 × their share); a word: whole (1.0), else from three
    characters on its character pairs when at least half are there (0.6 × their share).
    Every sentence of every passage read is matched against every term, so splitting the term
    and cutting its pairs is done here once, not per sentence.
    """
    if "|" in term:
        forms = tuple(_term_matcher(t) for t in term.split("|"))
        return lambda text: max(f(text) for f in forms)
    if "&" in term:
        parts = term.split("&")
        first, rest = re.compile(re.escape(parts[0])), parts[1:]

        def compound(text: str) -> float:
            found = sum(p in text for p in parts)
            if found < len(parts):
                return 0.4 * found / len(parts)
            for m in first.finditer(text):
                window = text[max(0, m.start() - 12):m.end() + 16]
                if all(p in window for p in rest):
                    return 1.0
            return 0.5

        return compound
    if len(term) >= 3:
        grams = tuple(term[i:i + 2] for i in range(len(term) - 1))

        def word(text: str) -> float:
            if term in text:
                return 1.0
            found = sum(g in text for g in grams) / len(grams)
            return 0.6 * found if found >= 0.5 else 0.0

        return word
    return lambda text: 1.0 if term in text else 0.0


@lru_cache(maxsize=32768)
def _norm_path(section_path: tuple[str, ...]) -> str:
    return normalize(" ".join(section_path))


@lru_cache(maxsize=1)
def _generic_words() -> frozenset[str]:
    """Question words that are no anchor for a wh-slot ("预期目标"); verbs that introduce one ("包括") are."""
    return frozenset(w for w in lexicon().question_words if w not in ("包括", "包含", "指", "指的是"))


def context_years(chunk: Chunk, report: Report, sent_start: int | None = None) -> set[int]:
    """The years a passage (or one sentence of it) speaks about.

    Years named in the section path, plus those of the sentence itself or, when it names
    none, the last year named before it in the passage ("2025年,…。实现地区生产总值…");
    今年/去年 and the 十五五 period count relative to the report's year.
    """
    path = _norm_path(chunk.section_path)
    years = {int(y) for y in re.findall(r"(20\d\d)年", path)}
    text = _blank_date_lines(_norm_text(chunk.text))
    if sent_start is not None and chunk.start <= sent_start <= chunk.end:
        rel = sent_start - chunk.start
        end = text.find("。", rel)
        sentence = text[rel:end + 1 if end >= 0 else len(text)]
        own = re.findall(r"(20\d\d)年", sentence)
        if own:
            years |= {int(y) for y in own}
            last = reviewed_year(report.meta)
            for since in re.findall(r"(20\d\d)年以来", sentence):  # "2022年以来": every year since, to the one reviewed
                if last and int(since) < last:
                    years.update(range(int(since), last + 1))
        else:
            # the last year named before it, written out or relative ("2025年…。今年…:…;城镇调查失业率…")
            # (not a baseline: "今年拟安排…，比去年增加…。" speaks of this year)
            # (nor a deadline: "政策再延长至明年3月底。" says when something ends, not what the next sentence is about)
            marks = [m for m in _YEAR_MARK.finditer(text[:rel]) if (text[max(0, m.start() - 1):m.start()] not in "比较于"
                     or m.start() == 0) and not _is_deadline(text, m) and not _ISSUED_THEN.match(text, m.start())]
            if marks:
                years |= _mark_years(marks[-1].group(0), report)
        ctx = path + " " + sentence
    else:
        years |= {int(y) for y in re.findall(r"(20\d\d)年", text)}
        ctx = path + " " + text
    target, reviewed = target_year(report.meta), reviewed_year(report.meta)
    if target:
        if "今年" in ctx or re.search(r"重点工作|工作安排|主要任务|预期目标", path):
            years.add(target)
        if "十五五" in path:
            years.update(range(target, target + 5))
    if reviewed and re.search(r"去年|过去一年|一年来|上一年", _ISSUED_THEN.sub("", ctx)) and \
            _is_plan_context(chunk, report) is not True:
        years.add(reviewed)  # in the plan, "比去年…" is a comparison, not the year spoken of
    if not years:
        # no year written anywhere near: the part of the report says which year it is about
        plan = _is_plan_context(chunk, report)
        if plan is True and target:
            years.add(target)
        elif plan is False and reviewed:
            years.add(reviewed)
        else:
            years.update(y for y in (reviewed, target) if y)
    if not years:  # a notice or policy text: the year its title names ("关于2025年部分节假日安排的通知")
        years = {int(y) for y in re.findall(r"(20\d\d)年", _norm_text(report.meta.title))}
    return years


# a date on a line of its own (a notice's signature "国务院办公厅  2024年11月12日"): the day it was signed,
# not a year its passage speaks about
_DATE_LINE = re.compile(r"(?:^|(?<=\n)|(?<=\s\s)|(?<=\|))\s*20\d\d年\d{1,2}月\d{1,2}日\s*(?=$|\n|\s\s|\|)")


@lru_cache(maxsize=32768)
def _blank_date_lines(text: str) -> str:
    """`text` with its date lines blanked out (same length: offsets hold)."""
    return _DATE_LINE.sub(lambda m: " " * len(m.group(0)), text)


# paragraph openings that start a period of the report: the five years reviewed, one year, the plan ahead
_PARA_LEAD = re.compile(r"^[\s—\-]*(?:[(（]?[一二三四五六七八九十\d]{1,3}[)）、.．]\s*)?")
_PERIOD_MARKS = (
    ("next", re.compile(r"“?十五五”?|今后五年|未来五年|20\d\d年(?:重点)?工作(?:安排|任务)|20\d\d年.{0,6}(?:目标|任务)")),
    ("five", re.compile(r"过去的?五年|五年来|这五年|五年间|“?十四五”?(?:时期|以来|期间)|回顾.{0,4}五年")),
    ("year", re.compile(r"20\d\d年|今年|去年|过去的?一年|一年来|这一年")),
)
_YEAR_MARK = re.compile(r"20\d\d年|今年|明年|去年|过去一年|上一年")


_EXCLUDED = re.compile(r"除(?:了)?([^,，;；。?？]{2,20}?)(?:之外|以外|外)")
_FIRST_YEAR = re.compile(r"开好局|起好步|开局之年|开局起步|首年")
_QUOTED_NAMES = re.compile(r"“[^“”,;。]{1,15}”(?:(?:、|和|与|及)?“[^“”,;。]{1,15}”){1,7}")
_ASKS_ONE = re.compile(r"哪(?:一|个|位|家|座|所|项|天|年)|谁|\bwhich (?!\w+s\b)|\bwho\b", re.I)
_ASKED_NOUN = re.compile(r"(?:多少|几)(?:个|名|位)?([\u4e00-\u9fff]{2,4}?)(?:[?？,，。]|$|了|呢|受益)")
_MAGNITUDE = re.compile(r"[十百千万亿]+")


def _counts_asked_noun(question: str, norm: str, span: S.Span) -> bool:
    """A bare magnitude ("3700多万", "2.9亿") followed by the noun the question counts ("多少学生"): it counts
    that noun ("3700多万学生", "2.9亿在校学生"), whatever the class of 万 alone would be."""
    m = _ASKED_NOUN.search(question)
    if m is None or not _MAGNITUDE.fullmatch(span.unit or ""):
        return False
    after = norm[span.end:span.end + 3 + len(m.group(1))]
    at = after.find(m.group(1))
    return at >= 0 and not re.search(r"[,;:。、\d]", after[:at])


# "继续执行去年出台的…政策": when a measure was issued names it, it is not the year the sentence speaks of
_ISSUED_THEN = re.compile(r"(?:去年|上一年)[^,;。]{0,4}?(?:出台|制定|推出|实施|发布|印发|部署|启动|开始实施|确定)的")


def _is_deadline(text: str, mark: re.Match) -> bool:
    """A year mark that says when something ends ("延长至明年3月底", "到2027年"), not what is spoken of
    ("截至2025年底" is a state as of then: it is)."""
    before = text[max(0, mark.start() - 2):mark.start()]
    return mark.group(0) == "明年" or before[-1:] in ("至", "到") and before != "截至"


def _mark_years(mark: str, report: Report) -> set[int]:
    """The year a year mark stands for in a report ("今年" → its target year)."""
    m = re.match(r"(20\d\d)年", mark)
    if m:
        return {int(m.group(1))}
    target, reviewed = target_year(report.meta), reviewed_year(report.meta)
    if mark == "今年":
        return {target} if target else set()
    if mark == "明年":
        return {target + 1} if target else set()
    return {reviewed} if reviewed else set()


_TOP_HEADING = re.compile(r"^[ \t\u3000]*[一二三四五六七八九十]{1,3}[、.．]([^\n]{2,60})$", re.M)
_PLAN_TITLE = re.compile(r"重点工作|主要任务|目标任务|任务目标|工作安排|发展思路|工作思路|总体思路|总体要求|工作任务|"
                         r"主要工作|主要目标|十五五|今后五年|关于20\d\d年")
_REVIEW_TITLE = re.compile(r"回顾|五年来|一年来|过去|完成|成就|成绩|总结")


@lru_cache(maxsize=4096)
def _plan_start(text: str, target: int | None) -> int | None:
    """Where the report's plan begins: the first top-level heading after its opening one that sets out work
    ahead ("二、今年发展主要目标和…", "三、2022年政府工作任务"); the top-level sections after it ("三、加大宏观
    政策实施力度…") are the plan too. A heading naming a year before the report's own ("2025年主要工作…" in
    a 2026 report) reviews it."""
    for i, m in enumerate(_TOP_HEADING.finditer(text)):
        title = m.group(1)
        if i == 0 or not _PLAN_TITLE.search(title) or _REVIEW_TITLE.search(title):
            continue
        years = [int(y) for y in re.findall(r"(20\d\d)年", title)]
        if target and years and max(years) < target:
            continue
        return m.start()
    return None


def _is_plan_context(chunk: Chunk, report: Report) -> bool | None:
    path = _norm_path(chunk.section_path)
    if re.search(r"重点工作|目标|十五五|任务", path):
        return True
    if re.search(r"回顾|五年来|一年来", path):
        return False
    if re.search(r"摘要", report.meta.title) or "预期目标" in report.text[:400]:
        return True
    if chunk.kind != "glossary" and chunk.section_path:
        start = _plan_start(report.text, target_year(report.meta))
        if start is not None and chunk.start > start:
            return True  # a top-level section after the plan's first one ("三、加大宏观政策实施力度")
    return None


def _similarities(semantic: Callable[[str, int, int], float | None] | None, report_id: str,
                  spans: Sequence[tuple[int, int]]) -> Sequence[float | None]:
    """The question's cosine with each sentence of a passage (None where unknown), in one product when
    `semantic` offers `many` (a comparison reads some 30 sentences in each of hundreds of reports)."""
    if semantic is None:
        return [None] * len(spans)
    many = getattr(semantic, "many", None)
    return many(report_id, spans) if many is not None else [semantic(report_id, s, e) for s, e in spans]


class Reader:
    """Scores sentences and spans of retrieved chunks for one question."""

    semantic_weight = 0.3  # how much a sentence's embedding similarity adds to its score (at most)
    semantic_floor = 0.75  # e5 cosines below this carry no evidence

    def __init__(self, reports: dict[str, Report], idf: Callable[[str], float],
                 topic_end: Callable[[Chunk], int | None] | None = None, ranker: SpanRanker | None = None) -> None:
        self.reports = reports
        self.idf = idf
        self.topic_end = topic_end  # where a passage's topic ends (`topics.TopicEnds`); None: not known
        self.ranker = ranker if ranker is not None else default_ranker()  # picks among descriptive answers
        self._norm: dict[str, str] = {}
        self._low: dict[str, str] = {}
        self._marks: dict[str, tuple[list[int], list[str]]] = {}

    def _periods(self, report: Report) -> tuple[list[int], list[str]]:
        """Where the report's paragraphs open a period: (offsets, "five" | "year" | "next"), in order."""
        cached = self._marks.get(report.meta.id)
        if cached is None:
            offsets, kinds = [], []
            norm = self._normalized(report)
            pos = 0
            for para in norm.split("\n"):
                head = _PARA_LEAD.sub("", para[:40])[:16]  # "刚刚过去的2025年，…" opens one year
                found = [(m.start(), kind) for kind, pattern in _PERIOD_MARKS for m in [pattern.search(head)] if m]
                if found:  # the first mark of the opening ("2025年和“十四五”时期…": the year comes first)
                    offsets.append(pos)
                    kinds.append(min(found)[1])
                pos += len(para) + 1
            cached = self._marks[report.meta.id] = (offsets, kinds)
        return cached

    def in_five_year_review(self, report: Report, pos: int) -> bool:
        """Whether `pos` lies in a part of the report that reviews five years ("过去五年…", "“十四五”时期…")."""
        offsets, kinds = self._periods(report)
        i = bisect.bisect_right(offsets, pos) - 1
        return i >= 0 and kinds[i] == "five"

    def prepare(self, reports: Iterable[Report]) -> None:
        """Read each report once now (its normalized and lower-cased text, where its periods open):
        0.6 ms a report at start-up, instead of on the first comparison that reaches it (a comparison
        over 1,500 reports: 3.0 s cold, 2.0 s prepared)."""
        for report in reports:
            self._lowered(report)
            self._periods(report)

    def _normalized(self, report: Report) -> str:
        """The report's normalized text (same length, same offsets), computed once."""
        text = self._norm.get(report.meta.id)
        if text is None:
            text = self._norm[report.meta.id] = normalize(report.text)
        return text

    def _lowered(self, report: Report) -> str:
        """The normalized text with ASCII letters lower-cased, as question terms are (computed once; the
        same string when the report has no capital letter): a sentence is matched as a slice of it."""
        text = self._low.get(report.meta.id)
        if text is None:
            text = self._low[report.meta.id] = ascii_lower(self._normalized(report))
        return text

    # ------------------------------------------------------------ term coverage
    def _weights(self, info: QuestionInfo) -> dict[str, float]:
        return {t: self.idf(t) for t in info.terms}

    tier_margin = 0.5  # score by which a second-tier span (slot, entity) outweighs the asked kind's spans
    title_term_weight = 0.3  # share of its weight a term keeps in choosing the sentence when the title holds it
    title_weight = 0.15  # what a question naming a document's title (all its terms) adds to its passages' context

    def _title_discounted(self, weights: dict[str, float], title: str) -> dict[str, float]:
        low = ascii_lower(title)
        return {t: w * self.title_term_weight if self._match(t, low) >= 1.0 else w for t, w in weights.items()}

    @staticmethod
    def _match(term: str, text: str) -> float:
        return _term_matcher(term)(text)

    def coverage(self, weights: dict[str, float], text: str) -> float:
        """Idf-weighted share of the question's terms found in `text` (0..1)."""
        return self._coverage(weights, text)

    def _coverage(self, weights: dict[str, float], text: str, total: float | None = None) -> float:
        """Coverage of `text`; `total` is the weight of all the question's terms when `weights` holds some."""
        return self._lowered_coverage(weights, ascii_lower(text), total)  # terms are lower-cased: "cop15" is "COP15"

    def _lowered_coverage(self, weights: dict[str, float], text: str, total: float | None = None) -> float:
        """`_coverage` of a text already lower-cased (`ascii_lower`)."""
        total = sum(weights.values()) if total is None else total
        if total <= 0:
            return 0.0
        return sum(w * self._match(t, text) for t, w in weights.items()) / total

    def _passage_coverage(self, weights: dict[str, float], text: str) -> tuple[float, frozenset[str]]:
        """Coverage of a whole passage, and the terms it does not hold at all.

        Matching only gets weaker on a part of the text (fewer characters, fewer bigrams), so a
        term absent from a passage is absent from each of its sentences; a term with a space could
        match across the seam where a sentence meets its section path, so it is never set aside.
        """
        total = sum(weights.values())
        if total <= 0:
            return 0.0, frozenset()
        text = ascii_lower(text)
        found = {t: self._match(t, text) for t in weights}
        absent = frozenset(t for t, m in found.items() if m <= 0 and " " not in t)
        return sum(w * found[t] for t, w in weights.items()) / total, absent

    # ------------------------------------------------------------ main
    def read(self, info: QuestionInfo, hits: Sequence[Hit], preferred: set[str] | None = None,
             max_sentences: int = 8,
             semantic: Callable[[str, int, int], float | None] | None = None) -> Reading:
        """The best span in the hits' sentences.

        `semantic(report_id, start, end)` is the cosine of the question's embedding with a
        sentence's (from the index), so English questions and everyday wording still find
        the sentence whose words they do not share.
        """
        weights = self._weights(info)
        about_report = info.qtype in ("name", "date", "meeting", "place") and re.search(
            r"报告|report|会议|session|congress|新闻|媒体|记者", info.text, re.I)
        if not weights and not about_report:
            return Reading(None, 0.0, "问题中没有可以检索的关键词")
        frame_only = not weights
        scored: list[tuple[float, float, Chunk, int, int, tuple[tuple[str, float], ...]]] = []
        n_hits = max(1, len(hits))
        by_title: dict[str, tuple[dict[str, float], float]] = {}
        year_reviewed = self._year_reviewed(info, preferred)  # the same for every passage read
        for hit in hits:
            chunk = hit.chunk
            report = self.reports[chunk.report_id]
            # the document's own title belongs to every passage of it ("…提案答复的函"): its words say which
            # document, not which sentence, so they count for coverage but weigh little in choosing the sentence
            title = _norm_path((report.meta.title,))
            path_text = _norm_path(chunk.section_path) + " " + title
            if report.meta.id not in by_title:  # once per document, not per passage
                by_title[report.meta.id] = (self._title_discounted(weights, title),
                                            self.title_weight * self._coverage(weights, title))  # it names the document
            sent_weights, named = by_title[report.meta.id]
            ctx_cov, absent = self._passage_coverage(weights, path_text + " " + _norm_text(chunk.text))
            # a term the whole passage lacks is in none of its sentences: they are scored on the others
            # (over the same total weight), which is the same score for less work
            live = {t: w for t, w in weights.items() if t not in absent}
            live_sent = {t: w for t, w in sent_weights.items() if t not in absent}
            total, sent_total = sum(weights.values()), sum(sent_weights.values())
            prior = 1.0 - (hit.rank - 1) / n_hits
            ctx_bonus = self._context_bonus(info, chunk, report, preferred, year_reviewed) + named
            low_text, low_path = self._lowered(report), " " + ascii_lower(path_text)
            spans = sentence_spans(report.text, chunk.start, chunk.end)
            sims = _similarities(semantic, chunk.report_id, spans)
            for (s, e), sim in zip(spans, sims):
                sent = low_text[s:e]
                sent_cov = self._lowered_coverage(live_sent, sent, sent_total)
                both_cov = self._lowered_coverage(live, sent + low_path, total)
                if frame_only and chunk.kind == "front":  # nothing asked but the report's own who/when/where,
                    sent_cov = both_cov = ctx_cov = 1.0  # which its opening lines say: no word is missing
                sem = self.semantic_weight * max(0.0, (sim - self.semantic_floor)) / (1 - self.semantic_floor) \
                    if sim is not None else 0.0
                feats = (("sentence_coverage", 0.45 * sent_cov), ("section_coverage", 0.25 * both_cov),
                         ("passage_coverage", 0.15 * ctx_cov), ("retrieval_rank", 0.15 * prior),
                         ("context", ctx_bonus), ("semantic", sem))
                scored.append((sum(v for _, v in feats), both_cov, chunk, s, e, feats))
        scored.sort(key=lambda x: -x[0])
        if not info.five_year:
            # a sentence about another year cannot answer: read the ones about the asked year (if any)
            fitting = [x for x in scored if self._year_fits(info, x[2], x[3])]
            if fitting:
                scored = fitting
        tiers: dict[int, list[Candidate]] = {}
        for rank, (score, cov, chunk, s, e, feats) in enumerate(scored):
            report = self.reports[chunk.report_id]
            wide = info.qtype in ("name", "date", "meeting", "place") or rank < max_sentences
            if not wide:
                continue
            for cand in self._spans(info, weights, report, chunk, s, e, score, cov, feats, semantic):
                tiers.setdefault(self._tier(info.qtype, cand.kind), []).append(cand)
        pool = tiers[min(tiers)] if tiers else []
        if 1 in tiers and 2 in tiers and max(c.score for c in tiers[2]) > max(c.score for c in tiers[1]) + self.tier_margin:
            # a span of the asked kind from a sentence that hardly speaks of the subject ("省长 王清宪" for "哪位安徽人
            # 被授予…称号") gives way to the words that fill the question's slot in the sentence that does
            pool = tiers[2]
        top_cov = scored[0][1] if scored else 0.0
        if not pool:
            return Reading(None, top_cov, "在最相关的段落中没有找到符合问题类型的答案")
        if info.qtype == "descriptive" and description_cue(info.text) == "how":
            # how / which measures: weights fit on the dev split (`ranker`), not the hand-set sum ("which
            # problems" may be answered by a list's items, which the ranker never saw)
            def rank(c: Candidate) -> float:
                return self.ranker.score(dict(c.features), c.end - c.start, c.kind)
        else:
            def rank(c: Candidate) -> float:
                return c.score
        best = max(pool, key=rank)
        if best.kind == "descriptive":
            best = self._named_items(info, best)
        def said(c: Candidate) -> str:
            return self._normalized(self.reports[c.chunk.report_id])[c.start:c.end].strip()

        best = dataclasses.replace(best, features=best.features + (("margin", _margin(best, pool, rank, said)),))
        return Reading(best, best.coverage, pool=tuple(pool))

    def _year_fits(self, info: QuestionInfo, chunk: Chunk, sent_start: int) -> bool:
        report = self.reports[chunk.report_id]
        asked = asked_years(info, report.meta)
        if not asked:
            return True
        years = context_years(chunk, report, sent_start)
        return not years or bool(years & asked)  # a document with no year in sight is not about another year

    @staticmethod
    def _tier(qtype: str, kind: str) -> int:
        """Spans of the kind the question asks for come first; generic clauses last."""
        if kind == "clause":
            return 3
        if kind == "slot" and qtype in ("place", "name"):
            return 2  # the place and name finders know those better
        if kind == "entity" and qtype != "entity":
            return 2
        return 1

    # ------------------------------------------------------------ context
    def _year_reviewed(self, info: QuestionInfo, preferred: set[str] | None) -> bool:
        """A year asked with no word of plan or result ("2021年全国城镇新增就业多少人") that a report in scope
        reviews: the question asks what the year brought, not the targets another report set for it."""
        if info.wants_target or info.wants_actual or not info.years:
            return False
        # (a question that names no place is asked of every report)
        return any(reviewed_year(self.reports[r].meta) in asked_years(info, self.reports[r].meta)
                   for r in (preferred or self.reports) if r in self.reports)

    def _context_bonus(self, info: QuestionInfo, chunk: Chunk, report: Report, preferred: set[str] | None,
                       year_reviewed: bool = False) -> float:
        bonus = 0.0
        if preferred and chunk.report_id in preferred:
            bonus += 0.12
        asked = asked_years(info, report.meta)
        if asked:
            years = context_years(chunk, report)
            if years & asked:
                bonus += 0.08
            elif years:  # (a passage with no year in sight is not about another one)
                bonus -= 0.15
        plan = _is_plan_context(chunk, report)
        if plan is not None:
            if info.wants_target and not info.wants_actual:
                bonus += 0.06 if plan else -0.06
            elif info.wants_actual and not info.wants_target or year_reviewed:
                bonus += 0.06 if not plan else -0.06
        path = " ".join(chunk.section_path)
        if "十五五" in path and not _FIRST_YEAR.search(path):
            # a five-year plan's target does not answer one year's (河南"2026年…新增就业"); the year's own work
            # "推动“十五五”开好局、起好步" is that year's plan
            bonus += 0.1 if info.next_plan else (-0.15 if info.years and not info.five_year else -0.08)
        elif info.next_plan:
            bonus -= 0.05
        if info.five_year and ("五年来" in path or "十四五" in path):
            bonus += 0.05
        elif (info.years or info.relative_year) and "五年来" in path:
            bonus -= 0.1  # a five-year review does not answer a question about one year
        if info.qtype == "glossary" and chunk.kind == "glossary":
            bonus += 0.1
        if info.qtype in ("name", "date", "meeting", "place") and chunk.kind == "front":
            bonus += 0.05
        return bonus

    # ------------------------------------------------------------ spans
    def _named_items(self, info: QuestionInfo, best: Candidate) -> Candidate:
        """A "which …" question whose answering sentence names the asked things as a list ("…、…等服务短板"):
        the list, not the clause around it."""
        norm = self._normalized(self.reports[best.chunk.report_id])
        lists = [(sp.start, sp.end) for sp in S.enumerations(norm, best.start, min(best.end, best.sent_end))]
        found = named_items(info.text, norm, lists)
        if found is None:
            return best
        start, end = found
        first = norm.find("、", start, end)
        k = 0  # the question's own words before the first item ("社会力量提供|日间照料、…"): no item's
        while start + k + 1 < first - 1 and norm[start:start + k + 1] in info.text:
            k += 1
        return dataclasses.replace(best, start=start + (k if k >= 2 else 0), end=end, kind="list")

    descriptive_coverage = 0.2  # a sentence holding this share of the question's terms is still about it …
    descriptive_semantic = 0.90  # … and so is one this close to the question (e5 cosine)
    descriptive_limit = 300  # characters at most in a descriptive answer (cut at a sentence end)
    topical_bonus = 0.2  # a paragraph whose topic sentence names what is asked answers it before a passing mention

    def _relevance(self, weights: dict[str, float], norm: str, report_id: str,
                   semantic: Callable[[str, int, int], float | None] | None) -> Callable[[int, int], bool]:
        """Whether a sentence of the report is still about the question (a descriptive answer goes on over it)."""
        def relevant(start: int, end: int) -> bool:
            if self._coverage(weights, norm[start:end]) >= self.descriptive_coverage:
                return True
            sim = semantic(report_id, start, end) if semantic else None
            return sim is not None and sim >= self.descriptive_semantic

        return relevant

    def _anchors(self, weights: dict[str, float], norm: str, s: int, e: int) -> list[tuple[int, int, float]]:
        out = []
        sent = ascii_lower(norm[s:e])
        for term, w in weights.items():
            forms = re.split(r"[|&]", term)
            pattern = "|".join(re.escape(t) for t in forms)
            found = False
            for m in re.finditer(pattern, sent):
                out.append((s + m.start(), s + m.end(), w))
                found = True
            if found or "&" in term:
                continue
            # a subject written once for two figures: "粮食播种面积1530万亩、总产量125亿斤" for "粮食总产量"
            for form in forms:
                for k in range(len(form) - 2, 1, -1):
                    head, tail = form[:-k], form[-k:]
                    at = sent.find(head) if len(head) >= 2 else -1
                    if at < 0:
                        continue
                    pos = sent.find(tail, at + len(head))
                    if pos >= 0 and not re.search(r"[。;]", sent[at:pos]):
                        out.append((s + pos, s + pos + k, 0.8 * w))
                        break
        return out

    @staticmethod
    def _distance(norm: str, a: int, b: int, start: int, end: int) -> float:
        """Characters between anchor [a, b) and span [start, end), plus 15 per clause boundary crossed."""
        if b <= start:
            gap = norm[b:start]
            return len(gap) + 15 * len(re.findall(r"[,;:。]", gap))
        if a >= end:
            gap = norm[end:a]
            return 3 * len(gap) + 30 * len(re.findall(r"[,;:。]", gap)) + 6
        return 0.0

    def _proximity(self, anchors: list[tuple[int, int, float]], start: int, end: int, norm: str = "") -> float:
        if not anchors:
            return 0.0
        best: dict[float, float] = {}
        score = 0.0
        for a, b, w in anchors:
            d = self._distance(norm, a, b, start, end)
            score = max(score, w * math.exp(-d / 14.0))
            best[w] = max(best.get(w, 0.0), math.exp(-d / 14.0))
        return min(1.0, score / max(w for _, _, w in anchors)) * 0.5 + 0.5 * min(
            1.0, sum(w * v for w, v in best.items()) / max(1e-9, sum(best.keys())))

    def _spans(self, info: QuestionInfo, weights: dict[str, float], report: Report, chunk: Chunk, s: int, e: int,
               sent_score: float, cov: float, feats: tuple[tuple[str, float], ...] = (),
               semantic: Callable[[str, int, int], float | None] | None = None) -> list[Candidate]:
        norm = self._normalized(report)
        anchors = self._anchors(weights, norm, s, e)
        out: list[Candidate] = []

        def add(span: S.Span, extra: float, coverage: float = cov, kind: str | None = None,
                attached: bool | None = None, near_from: int | None = None) -> None:
            if span.end <= span.start or _POINTER.match(norm, span.start, span.end):
                return  # "下列项目" points at the answer, it is none
            if (kind or span.kind) in _ECHO_KINDS and _VAGUE.sub("", norm[span.start:span.end].strip("“”\"，,、 ")) \
                    in info.text:
                return  # the question's own words ("重点" of "重点发展的三大主导产业是什么", "不少问题和短板") answer nothing
            # (`near_from`: the span is the body of the sentence there, whose words it answers for)
            prox = self._proximity(anchors, min(span.start, near_from if near_from is not None else span.start),
                                   span.end, norm)
            # (a list after a colon runs past its first sentence, to its full stop: its sentence does too)
            sent_end = max(e, span.end) if (kind or span.kind) == "list" else e
            out.append(Candidate(chunk, s, sent_end, span.start, span.end, kind or span.kind,
                                 sent_score + 0.25 * prox + extra, coverage,
                                 feats + (("proximity", 0.25 * prox), ("span", extra),
                                          ("attached", float(coverage >= cov if attached is None else attached)))))

        q = info.qtype
        if chunk.kind == "glossary":
            d = S.definition(norm, chunk.start, chunk.end)
            title = normalize(chunk.section_path[-1]).strip("“”\"") if chunk.section_path else ""
            names = [t.strip("“”\"") for t in (info.quoted or ()) + info.terms if len(t.strip("“”\"")) >= 2]
            in_question = len(title) >= 2 and title in info.text
            if d and title and (in_question or any(t == title or (len(t) >= 3 and (t in title or title in t))
                                                   for t in names)):
                exact = in_question or any(t == title for t in names)
                if q in ("glossary", "list", "text", "entity", "place") or exact and q != "number":
                    def entry(start: int, end: int, kind: str, bonus: float) -> None:
                        bonus += 0.6 if exact else 0.35
                        out.append(Candidate(chunk, chunk.start, chunk.end, start, end, kind, sent_score + bonus,
                                             max(cov, 0.9 if exact else 0.6),
                                             feats + (("glossary_entry", bonus), ("attached", 1.0))))

                    if _ASKS_MEANING.search(info.text):
                        first = norm.find("。", d.start, d.end)
                        if d.start + 8 <= first < d.end - 8:
                            entry(d.start, first, "definition", 0.02)  # "…是指什么": the defining sentence
                    else:
                        for sp in S.slot_fill(info.text, norm, d.start, d.end, info.slot_head or "", _generic_words()):
                            entry(sp.start, sp.end, "definition", 0.05)  # "“六横”包括哪些工程": what follows 包括
                    entry(d.start, d.end, d.kind, 0.0)
                    return out
        if q == "descriptive":  # the whole answering clause or list, from the sentence on
            topics = frozenset(_norm_path((t,)) for t in chunk.section_path)
            found = answer_span(norm, s, info.text, topics, self._relevance(weights, norm, report.meta.id, semantic),
                                limit=self.descriptive_limit,
                                topic_end=self.topic_end(chunk) if self.topic_end is not None else None)
            clauses_only = description_cue(info.text) == "clauses"
            if found is not None and (not clauses_only or lists_clauses(norm, found[0].start, found[0].end)):
                span, topical = found
                # a paragraph's body under the topic sentence that names what is asked is as near to the
                # question's words as that sentence is
                add(span, 0.1 + (self.topical_bonus if topical else 0.0), kind="descriptive",
                    near_from=s if topical else None)
            if not clauses_only:
                return out
            q = "list"  # "存在哪些问题" answered by one sentence: the items it names, as for any list
        if q in ("list", "entity", "text") and _ASKS_WHICH.search(info.text) and cov >= 0.5 and \
                _ANNOUNCED_LIST.search(norm, s, e):
            # "哪些项目不作为…组成部分" read in "下列项目不作为…组成部分:" — the answer is the list it announces
            # (a lead-in about what is asked, not any "要重点做好以下八个方面的工作:")
            found = answer_span(norm, s, info.text, frozenset(), None, limit=self.descriptive_limit)
            if found is not None and found[0].start >= e:
                add(found[0], 0.1, kind="descriptive")
        slots: list[S.Span] = []
        if q in ("entity", "list", "name", "place", "text", "glossary") and info.slot_head is not None:
            slots = S.slot_fill(info.text, norm, s, e, info.slot_head, _generic_words())
            if info.slot_head:  # "哪个市场…": the slot ends in the asked noun
                slots = [sp for sp in slots if norm[sp.start:sp.end].endswith(info.slot_head) or
                         norm[sp.start] in "“\"《" and info.slot_head in norm[sp.start:sp.end]]  # a quoted name
        about = q in ("name", "date", "meeting", "place")
        meta_cov = max(cov, 0.6) if about and re.search(r"报告|report|会议|session|congress|新闻|媒体|记者", info.text,
                                                          re.I) else cov
        if q == "number":
            if _ASKS_RATIO.search(info.text):
                for span in S.ratios(norm, s, e):  # "三次产业结构比为22.7:30.3:47"
                    add(span, 0.3, cov)
            five_review = not info.five_year and (info.years or info.relative_year) and \
                not re.search(r"20\d\d年", norm[s:e]) and self.in_five_year_review(report, s)
            counted = _COUNTED_NOUN.search(info.text)  # "多少条航线": the answer reads "13条航线"
            ordinal = _ORDINAL_NOUN.search(info.text)  # "第几届省运会": the answer reads "第十六届省运会"
            level_asked = not info.wants_growth and not _ASKS_CHANGE_AMOUNT.search(info.text) and not info.five_year \
                and not _COMPARES.search(info.text)
            for span in S.numbers(norm, s, e):
                extra, attached = self._number_bonus(info, weights, norm, span, s, e, anchors, five_review)
                if counted and span.unit.endswith(counted.group(1)) and \
                        norm.startswith(counted.group(2), span.end) and span.end + len(counted.group(2)) <= e:
                    span = dataclasses.replace(span, end=span.end + len(counted.group(2)))
                if ordinal and span.unit_class in ("ordinal", "rank") and norm.startswith(ordinal.group(1), span.end):
                    span = dataclasses.replace(span, end=span.end + len(ordinal.group(1)))  # "第十六届|省运会"
                over = _THRESHOLD_BEFORE.search(norm, max(s, span.start - 2), span.start)
                if over and over.group(0) in ("突破", "超过", "超"):
                    span = dataclasses.replace(span, start=over.start())  # "突破1000家": more than, as written
                fall = _DOWN_BEFORE.search(norm, max(s, span.start - 4), span.start)
                if fall and fall.end() == span.start and fall.group(0)[-1] not in "到至" and \
                        (info.wants_growth or _ASKS_UP.search(info.text)) \
                        and not _ASKS_DOWN.search(info.text) and span.unit_class in ("percent", "percentage_point"):
                    # "增长了多少" answered by a fall: "下降3.3%", never a bare "3.3%" read as a rise
                    span = dataclasses.replace(span, start=fall.start())
                if level_asked and span.kind != "percent" and \
                        _COMPARED_CHANGE.search(norm, max(s, span.start - 16), span.start):
                    continue  # "较去年同期增加48天" says by how much, never how many: no answer to "是多少天"
                add(span, extra, cov if attached else min(cov, 0.2), attached=attached)
            if _TWO_VALUES.search(info.text):
                # "分别是多少" / "A和B各是多少": both figures, as one span
                for span in S.value_pairs(norm, s, e):
                    first = next((x for x in S.numbers(norm, span.start, span.end)), None)
                    if first is None:
                        continue
                    extra, attached = self._number_bonus(info, weights, norm, first, s, e, anchors, five_review)
                    add(span, extra + 0.12, cov if attached else min(cov, 0.2), attached=attached)
            return out
        if q == "date":
            for span in S.dates(norm, s, e):
                near = not weights and chunk.kind == "front" or any(  # (the report's own date: nothing else asked)
                    min(abs(span.start - b), abs(a - span.end)) <= 30 for a, b, _ in anchors)
                add(span, 0.15 if re.search(r"\d+月\d+日", norm[span.start:span.end]) else 0.0,
                    meta_cov if (near or meta_cov > cov) else min(cov, 0.2))
            return out
        if q == "meeting":
            for span in S.meetings(norm, s, e):
                add(span, 0.2, meta_cov)
            return out
        if q == "name":
            want = "name"
            if re.search(r"职务|身份|什么职|title", info.text):
                want = "title"
            elif re.search(r"媒体|来源|出自|哪家", info.text):
                want = "media"
            elif re.search(r"记者|作者|写的", info.text):
                want = "reporter"
            for span in S.officials(norm, s, e):
                add(span, 0.25 if span.kind == want else -0.3, meta_cov)
            if out:
                return out
        if q == "place":
            for span in S.places(norm, s, e):
                add(span, 0.2, meta_cov)
            if out:
                return out
        for span in slots:
            add(span, 0.15 + min(0.25, 0.04 * span.value) if span.value else 0.2, kind="slot")
        if q in ("list", "glossary"):
            counted = q == "list" and bool(S.COUNT.search(info.text))
            lists = [self._trim_prefix(info, norm, span) for span in S.enumerations(norm, s, e, counted)]
            listed = S.colon_list(norm, s, e, chunk.end)
            if listed is not None:
                lists.append(listed)
            # a list answer holds every item: a slot between question words that stops inside a list's last item
            # ("…、东部率先|发展" for "…板块发展是哪些") gives way to the whole list
            # … and so does a slot that holds the list and a few words around it ("“5”即|生猪、…、无花果")
            # … and so does a slot that is one item of a list, when the question counts two or more ("哪三个园区")
            if counted and _COUNTS_SEVERAL.search(info.text):
                out[:] = [c for c in out if not (c.kind == "slot" and "、" not in norm[c.start:c.end] and any(
                    x.start <= c.start and c.end <= x.end and "、" in norm[x.start:x.end] for x in lists))]
            out[:] = [c for c in out if not (c.kind == "slot" and "、" in norm[c.start:c.end] and any(
                x.start <= c.start and c.end < x.end and len(norm[c.end:x.end].strip()) <= 2 or
                c.start <= x.start and x.end <= c.end and (x.start - c.start) + (c.end - x.end) <= 6
                and (x.start, x.end) != (c.start, c.end) for x in lists))]
            excluded = _EXCLUDED.search(info.text)
            for span in lists:
                # "除苏州实验室外，还有哪些…": a list that names what the question sets aside is another list
                off = -0.3 if excluded and normalize(excluded.group(1)) in norm[span.start:span.end] else 0.0
                # "中国星网、中国中化、中国华能总部等标志性疏解项目": items the report names as the asked thing
                asked_after = any(span.end < a <= span.end + 8 for a, _, _ in anchors)  # the question's words follow
                named = norm.startswith("等", span.end) and asked_after
                # "现代物流、绿色食品、先进装备制造3个优势产业" for "3个优势产业是什么": the report counts and names them
                fit = _count_fit(info.text, norm[span.start:span.end])
                counted_here = fit > 0 and S.COUNT.match(norm, span.end) is not None and asked_after
                add(span, 0.05 + off + self._lead_in(info, norm, span.start) + fit
                    + (0.1 if named else 0.0) + (0.2 if counted_here else 0.0))
                cut = self._trim_echo_tail(info, norm, span)
                if out and cut.end < span.end and (out[-1].start, out[-1].end) == (span.start, span.end):
                    out[-1] = dataclasses.replace(out[-1], end=cut.end)  # scored whole, quoted without the echo
            if out:
                return out
        if q in ("entity", "name") and _ASKS_NAME.search(info.text):
            # names the word finders would cut: "C919", "“梦想”号", "《…》", "人工智能+"
            for span in S.names(norm, s, e):
                if span.kind == "title" and not re.search(r"《|书|文件|规划|方案|条例|名称|title", info.text):
                    continue
                add(S.Span(span.start, span.end, "entity"), 0.12 + self._lead_in(info, norm, span.start)
                    + self._lead_in(info, norm, span.end, after=True))
            if not _ASKS_ONE.search(info.text):
                # "吉祥物“喜洋洋”、“乐融融”": names quoted one after another are all the answer, not the first
                for m in _QUOTED_NAMES.finditer(norm, s, e):
                    add(S.Span(m.start(), m.end(), "entity"), 0.17 + self._lead_in(info, norm, m.start())
                        + self._lead_in(info, norm, m.end(), after=True))
        if q in ("entity", "name", "place") and re.search(r"(是|为|有)?(什么|哪里|哪儿|怎样|如何)[?？]?$", info.text):
            # "…能耗目标是什么？": the answer follows the subject ("…能耗|降低完成省下达目标")
            top = max(weights.values()) if weights else 0.0
            for a_start, a_end, w in anchors:
                if w < 0.5 * top:
                    continue
                _, clause_end = S.clause_bounds(norm, s, e, a_end)
                if 2 <= clause_end - a_end <= 30:
                    add(S.Span(a_end, clause_end, "entity"), 0.05)
            if out:
                return out
        if q in ("entity", "name", "place"):
            top = max(weights.values()) if weights else 0.0
            for a_start, _, w in anchors:
                span = S.preceding_nouns(norm, s, e, a_start, lists=q == "place")
                if span and w >= 0.3 * top and not any(ch.isdigit() for ch in norm[span.start:span.end]):
                    add(span, 0.1 + self._lead_in(info, norm, span.end, after=True))
            if out:
                return out
        for span in S.clauses(norm, s, e):
            clause_cov = self._coverage(weights, norm[span.start:span.end])
            add(self._trim_prefix(info, norm, span), 0.1 * clause_cov - 0.1, kind="clause")
        return out

    _UNIT_CLASS = {
        "元": "money", "美元": "money", "%": "percent", "‰": "percent", "百分点": "percent", "个百分点": "percent",
        "人": "people", "人次": "people", "名": "people", "户": "household", "亩": "area", "公顷": "area",
        "平方公里": "area", "平方米": "area", "公里": "length", "千米": "length", "米": "length", "吨": "weight",
        "千瓦": "power", "兆瓦": "power", "倍": "ratio", "斤": "weight", "公斤": "weight",
    }

    _UNITS_LONGEST_FIRST = tuple(sorted(_UNIT_CLASS, key=len, reverse=True))

    def _unit_class(self, unit: str) -> str:
        for u in self._UNITS_LONGEST_FIRST:
            if unit.endswith(u):
                return self._UNIT_CLASS[u]
        units = S.grammar().units  # a span of time ("240天", "3个月") is no count of things ("4项")
        if any(units.get(unit[k:]) is not None and units[unit[k:]].unit_class == "time" for k in range(len(unit))):
            return "time"
        return "count" if unit else ""

    def _number_bonus(self, info: QuestionInfo, weights: dict[str, float], norm: str, span: S.Span, s: int, e: int,
                      anchors: list[tuple[int, int, float]], five_review: bool = False) -> tuple[float, bool]:
        """Type-specific evidence for a number span; and whether it is attached to the question's subject."""
        # a later value of a joined run ("提高30元和5元") has the words before the run's first value before it
        run = _RUN_BEFORE.search(norm, max(s, span.start - 40), span.start)
        run_start = run.start() if run else span.start
        before = norm[max(s, run_start - 6):run_start]
        value = norm[span.start:span.end]
        bonus = 0.0
        is_pct = span.kind == "percent"
        growth_before = bool(_GROWTH_BEFORE.search(before))
        wants_rate = info.wants_rate or info.unit_class == "percent"  # "研发投入强度" is a percentage
        asks_rank = bool(_ASKS_RANK.search(info.text))
        is_rank = bool(re.match(r"第|首|前", value)) or span.unit.endswith(("位", "名")) or span.unit_class == "rank"
        if not info.wants_growth and not wants_rate and not is_pct and _CHANGE_BEFORE.search(before):
            bonus -= 0.2  # "较2020年提高1.16岁": a change, not the level asked
        if not info.wants_growth and re.search(r"[从由][^,;。]{0,8}$", norm[max(s, run_start - 10):run_start]) and \
                re.match(r"(?:、[^,;。、]{1,12})?(提高|增加|提升|增长|下降|降低|减少|上升|扩大|[增降升减涨])?(到|至)",
                         norm[span.end:span.end + 18]):
            bonus -= 0.2  # "从82.4岁提高到83.9岁", "由50%提高到60%", "从33户增至61户": the earlier level
            # (also either of two joined: "从2020年的645元/月、4318元/年提高到…")
        asks_change = bool(_ASKS_CHANGE_AMOUNT.search(info.text))
        change_amount = asks_change and not is_pct and bool(_CHANGE_BEFORE.search(before))
        # "降至0.8%", "提高到83.9岁": the level reached, not the change a "减少了多少" asks for
        level_reached = asks_change and bool(_REACHED_BEFORE.search(before))
        if change_amount:
            bonus += 0.1
        elif level_reached:
            bonus -= 0.15
        elif asks_change and not is_pct:
            bonus -= 0.3  # "专项债券3.75万亿元，比去年增加1.6万亿元": the level, not the change asked
        elif asks_change and span.unit_class == "percent" and not wants_rate and \
                not _ASKS_RATE_WORDS.search(info.text):
            bonus -= 0.25  # "较…增加4374.4亿元，增长33.6%": "增加了多少" asks the amount, not the rate
        elif info.wants_growth or wants_rate:
            bonus += 0.15 if is_pct else (-0.05 if info.unit_hint else -0.15)
            if growth_before and info.wants_growth:
                bonus += 0.08
            elif growth_before and wants_rate and not info.wants_growth and not before.endswith(("到", "至", "为", "达")):
                bonus -= 0.1  # "增长39%、占全国9成" for "占全国多大比重": the rise is no share
            if span.unit == "倍" and info.wants_growth:
                bonus += 0.1 if "倍" in info.text else -0.1
        elif span.unit == "倍" and "倍" not in info.text:
            bonus -= 0.2
        elif is_pct:
            bonus -= 0.12 if info.unit_hint else 0.25
        # "比全省高多少": the figure written after 高于/快于 + the comparator is the gap; the level beside it is not
        asks_gap = bool(_ASKS_GAP.search(info.text))
        is_gap = asks_gap and bool(_GAP_BEFORE.search(norm[max(s, span.start - 12):span.start]) or _GAP_WORD.match(value))
        if asks_gap:
            bonus += 0.3 if is_gap else -0.2
        if asks_rank:
            bonus = 0.0  # what is ranked ("增速居全国第4位") says nothing of the rank's own kind
        class_mismatch = False
        if not info.unit_hint and info.unit_class and span.unit and not asks_rank:
            # the asked indicator's usual unit: "粮食产量" is a weight, not an area
            have = span.unit_class or self._unit_class(span.unit)
            # ("842元/月" is an amount of money per month: money is what it measures)
            if info.unit_class == "countable":  # "how many …": a count of things or people, not a measure
                if have.split("_")[0] in _COUNTABLE:
                    bonus += 0.1
                elif have not in ("", "time", "rank", "ordinal"):
                    bonus -= 0.35
                    class_mismatch = True
            elif have == info.unit_class or have.split("_")[0] == info.unit_class.split("_")[0] or \
                    "/" in have and have.split("/")[0] == info.unit_class:
                bonus += 0.15
            elif have not in ("", "count") or info.unit_class != "count":
                bonus -= 0.35
                class_mismatch = True
        if info.unit_hint:
            want_class = self._unit_class(info.unit_hint)
            if info.unit_hint in span.unit or info.unit_hint in value:
                bonus += 0.15
            elif _counts_asked_noun(info.text, norm, span):
                bonus += 0.1  # "3700多万学生受益" for "惠及多少学生": the figure counts the noun asked
            elif span.unit and want_class not in ("count", "") and (have_class := self._unit_class(span.unit)) \
                    != want_class and {have_class, want_class} != {"household", "count"}:
                bonus -= 0.35
                # "多少亿元" is not "亿斤", nor "一次"; a count answers "多少个"
                class_mismatch = have_class not in ("", "percent") and (have_class != "count" or want_class != "count")
            elif span.unit:
                bonus -= 0.05
        if not span.unit and span.unit_class != "rank":
            bonus -= 0.15
        # a five-year total or average (or any figure of the five-year review) does not answer one year
        five = five_review or bool(_FIVE_BEFORE.search(norm[max(s, span.start - 8):span.start])) \
            or bool(_FIVE_AHEAD.search(norm, s, span.start))  # "未来五年…目标是：…达到110亿元": a plan's horizon
        if five and not info.five_year:
            bonus -= 0.3 if (info.years or info.relative_year) else 0.08
        elif five and info.five_year:
            bonus += 0.08
        # "人均地区生产总值10万元" does not answer "地区生产总值是多少", nor "工业增加值占地区生产总值比重25.5%"
        nearest = max((x for x in anchors if x[1] <= span.start and span.start - x[1] <= 12), key=lambda x: x[1],
                      default=None)
        if nearest is not None:
            lead_in = norm[max(s, nearest[0] - 2):nearest[0]]
            if lead_in == "人均" and "人均" not in info.text and "per capita" not in info.text.lower():
                bonus -= 0.3
            elif lead_in.endswith("占") and not re.search(r"占|比重|share|proportion", info.text, re.I):
                bonus -= 0.3
        if asks_rank:  # "排名第几": a rank ("第3位"), never an amount
            bonus += 0.2 if is_rank else -0.4
            # "排名全市第7、全省第49": the rank among what the question names
            among = _RANK_SCOPE.findall(norm, max(s, span.start - 6), span.end)
            named = set(_RANK_SCOPE.findall(info.text))
            if is_rank and among and named:
                bonus += 0.1 if among[-1] in named else -0.2
        # the clause's own words before the figure: a total or an addition, a rise or a fall
        clause_start, _ = S.clause_bounds(norm, s, e, span.start)
        lead = norm[clause_start:span.start]
        # "存款余额5450.3亿元，贷款余额2952.6亿元": a figure whose own clause names a counterpart of what is
        # asked (存款 for 贷款) and not it answers nothing about it
        asked_parts = named_counterparts(info.text)
        counterpart_only = bool(asked_parts) and any(
            asked_parts[g].isdisjoint(words) for g, words in named_counterparts(lead).items() if g in asked_parts)
        aspect_fits = False
        if _ASKS_TOTAL.search(info.text) and not _ASKS_NEW.search(info.text):
            if _NEW_BEFORE.search(lead) and not _TOTAL_BEFORE.search(lead):
                bonus -= 0.3
            elif _TOTAL_BEFORE.search(lead):
                bonus += 0.1
                aspect_fits = True
        elif _ASKS_NEW.search(info.text) and not _ASKS_TOTAL.search(info.text):
            if _TOTAL_BEFORE.search(lead) and not _NEW_BEFORE.search(lead):
                bonus -= 0.2
            elif _NEW_BEFORE.search(lead):
                aspect_fits = True
        if _THRESHOLD_BEFORE.search(before) and re.match(r"[^。;]{0,4}[,、](?:达到|达|为|是)\d", norm[span.end:s + (e - s)]):
            bonus -= 0.15  # "突破4000亿元、达到4211亿元": the exact figure follows the threshold
        down, up = bool(_ASKS_DOWN.search(info.text)), bool(_ASKS_UP.search(info.text))
        # a rise does not answer "下降了多少"; a fall does answer "增长了多少" (a negative growth, quoted with its
        # 下降), only less surely than a rise where both are written
        wrong_direction = down and not up and bool(_UP_BEFORE.search(before))
        if wrong_direction:
            bonus -= 0.3
        elif up and not down and _DOWN_BEFORE.search(before):
            bonus -= 0.1
        # "A、B及C分别达x、y、z": keep the value aligned with the item the question names
        resp = S.respectively(norm, s, e, span.start)
        if resp and not any(resp[0][0][0] <= a and b <= resp[1][0][0] for a, b, w in anchors):
            # "城镇居民、农村居民收入分别增长4.5%、5.7%" is no answer about a subject it does not name
            resp = None
            bonus -= 0.15
        if resp:
            items, values = resp
            digit = span.start
            while digit < span.end and not norm[digit].isdigit():
                digit += 1
            idx = next(i for i, (a, b) in enumerate(values) if a <= digit < b)
            # "交通、水利、能源领域投资分别达到多少": every item, asked together (in the question's words or the
            # report's: "城里人和农村人…各涨了多少" asks of 城镇 and 农村)
            asked = info.text + " " + re.sub(r"[|&]", " ", " ".join(info.terms))
            # (an English question names the items by its Chinese terms: "deaths" → 死亡人数)
            scores = [self._item_match(asked if info.english else info.text, norm, items, i)
                      for i in range(len(items))]
            best = max(scores)
            named = [self._item_match(asked, norm, items, i) for i in range(len(items))]
            asks_all = bool(_TWO_VALUES.search(info.text)) and sum(1 for sc in named if sc >= 2) >= 2
            if best >= 2 and scores.count(best) == 1 and not asks_all:
                bonus += 0.25 if scores[idx] == best else -0.3
            elif max(named) < 2 and not _TWO_VALUES.search(info.text):
                # "对东盟、欧盟进出口分别增长16.7%、40.2%" for "外贸进出口涨了多少": parts the question does not
                # name, their shared noun is all it matched; the whole is asked
                bonus -= 0.25
                resp = None
        if resp:
            counterpart_only = False  # "农村及城镇常住居民…分别增长6.7%、2.8%": the items say whose figure it is
        elif counterpart_only:
            bonus -= 0.3
        # attached: a subject term precedes the number within its clause (or the 分别 structure)
        top = max(weights.values()) if weights else 0.0
        # "推动4500家企业上云、600家企业上平台": an item that opens with its figure has its subject after it;
        # the words before the 、 end the item before
        item_start = span.start if norm[span.start - 1:span.start] == "、" else -1
        asked_text = normalize(info.text)
        attached = bool(resp) or any(
            b <= span.start and not re.search(r"[,;:。]", norm[b:span.start]) and w >= 0.5 * top and b >= item_start
            for a, b, w in anchors
        ) or any(b <= span.start and span.start - b <= 12 and w >= 0.3 * top and b >= item_start
                 for a, b, w in anchors) or any(
            # "2.9亿在校学生", "使用1000亿元失业保险基金", "4500家企业上云": the figure counts the subject written
            # right after it (or after the noun it counts)
            # (or after the question's own words: "为390万65岁以上老年人" for "多少65岁以上老人")
            span.end <= a <= span.end + 4 and not re.search(r"[,;:。、\d]", norm[span.end:a]) and w >= 0.5 * top
            or span.end < a <= span.end + 12 and norm[span.end:a] in asked_text and w >= 0.5 * top
            and not re.search(r"[,;:。、]", norm[span.end:a])
            for a, b, w in anchors)

        def one_clause_after_subject(rates: bool) -> bool:
            """A subject term at most one clause before the figure (and, for a rate, no other rate between)."""
            for a, b, w in anchors:
                gap = norm[b:span.start]
                if w >= 0.5 * top and b <= span.start and len(gap) <= 30 and len(re.findall(r"[,;:。]", gap)) <= 1 \
                        and not (rates and re.search(r"\d+(?:\.\d+)?%", gap)):
                    return True
            return False

        if not attached and (info.wants_growth or wants_rate) and (is_pct or span.unit == "倍") and growth_before:
            # "地区生产总值完成122.2亿元，同比增长7.8%": the first rate after the subject, one clause on
            # ("，同比增长" names no other subject)
            attached = len(lead) <= 8 and one_clause_after_subject(rates=True)
        if not attached and asks_rank and is_rank:
            attached = one_clause_after_subject(rates=False)  # "…跃升全省A类县,排名全市第7、全省第49"
        if not attached and change_amount:
            # "专项债券3.75万亿元，比去年增加1.6万亿元": the change of the figure one clause before, the subject's
            attached = one_clause_after_subject(rates=False)
        if not attached and aspect_fits and any(b <= span.start for a, b, w in anchors if w >= 0.5 * top):
            attached = True  # "地铁…，总里程达909公里": the clause says which aspect of the subject it is
        if asks_gap:
            attached = is_gap and (attached or one_clause_after_subject(rates=False))
        if len(value) >= 2 and re.search(r"\d", value) and value in asked_text:
            attached = False  # "给多少65岁以上老人做了体检": the question's own figure names who, it is no answer
        if attached and not (info.wants_growth or wants_rate) and \
                any(not self._anchors({term: 1.0}, norm, s, e) for term in weights if _names_indicator(term)):
            # "盘活价值总量近400亿元" for "地区生产总值总量": the amount of an indicator the sentence does not name
            # (a share may name its base otherwise: "研发投入强度" for "share of GDP")
            attached = False
        if five and (info.years or info.relative_year) and not info.five_year:
            attached = False
        if wrong_direction or asks_rank and not is_rank or level_reached or counterpart_only:
            attached = False
        if span.unit_class in ("rank", "ordinal") and not asks_rank:
            attached = False  # "全市排第1" answers which place, not how much
            bonus -= 0.3
        part = [m for m in _PART_OF_YEAR.finditer(norm, max(s, span.start - 24), span.start)]
        if part and "全年" not in norm[part[-1].end():span.start] and not _PART_OF_YEAR.search(info.text):
            attached = False  # the figure of some months, asked about the year: no answer, however close
            bonus -= 1.0
        if not span.unit and span.unit_class != "rank" and (info.unit_hint or info.unit_class not in ("", "countable")) \
                or class_mismatch:
            attached = False  # a bare "4.0", or "一期", does not answer "how many people"  # a five-year total or average does not answer a question about one year
        if is_pct and not (info.wants_growth or wants_rate or info.wants_target and not info.unit_hint):
            attached = False  # a share or growth rate does not answer "how much"
        if (info.wants_growth or wants_rate) and not info.unit_hint and not is_pct and span.unit != "倍" \
                and span.unit_class not in ("percent", "percentage_point", "ratio") and not change_amount \
                and not asks_rank:
            attached = False  # "增长了多少" is answered by a rate, not by an amount
        if not attached:
            bonus -= 0.5
        return bonus, attached

    @staticmethod
    def _item_match(question: str, norm: str, items: list[tuple[int, int]], i: int) -> int:
        """Longest common substring of an item's core with the question (shared heads/tails cut off)."""
        others = [b - a for j, (a, b) in enumerate(items) if j != i]
        keep = max(2, round(sum(others) / len(others))) if others else 99
        a, b = items[i]
        wordings = S.joint_part(norm, a, b)
        if wordings:  # "乡" of "城乡": as long as the wording of 农村 the question uses
            return max((len(w) for w in wordings if w in question), default=0)
        text = norm[a:b]
        if i == len(items) - 1:
            text = text[:keep]  # the shared tail ("…参保人数") belongs to every item
        elif i == 0:
            text = text[-keep:]  # so does a leading verb ("力争…")
        best = 0
        for x in range(len(text)):
            for y in range(x + best + 1, len(text) + 1):
                if text[x:y] in question:
                    best = y - x
                else:
                    break
        return best

    @staticmethod
    def _lead_in(info: QuestionInfo, norm: str, pos: int, after: bool = False) -> float:
        """How well the words around the question's 哪些/哪个 match the text around a span.

        "联动昆明周边及哪些地方" vs "…周边及|昭通、曲靖、凉山": the question's words right before
        the wh-word are the report's words right before the answer (or right after it, for
        "哪家央企|定点帮扶" vs "航天科工集团|定点帮扶").
        """
        m = re.search(r"哪[些几个家位类种条项]|什么|谁", info.text)
        if not m:
            return 0.0
        if after:
            q_side = info.text[m.end():]
            q_side = re.sub(r"^[\u4e00-\u9fff]?(央企|企业|地方|单位|社区|地区|部门)?", "", q_side)
            common = 0
            while common < len(q_side) and pos + common < len(norm) and norm[pos + common] == q_side[common]:
                common += 1
        else:
            q_side = info.text[:m.start()]
            common = 0
            while common < len(q_side) and pos - common - 1 >= 0 and norm[pos - common - 1] == q_side[-common - 1]:
                common += 1
        return min(0.3, 0.08 * common) if common >= 2 else 0.0

    @staticmethod
    def _trim_echo_tail(info: QuestionInfo, norm: str, span: S.Span) -> S.Span:
        """Drop what the question says after the last item ("…、四平新开区|入选首批国家级零碳园区建设名单" for
        "哪三个园区入选首批国家级零碳园区建设名单"): the predicate the items share, not an item's words."""
        last = max(norm.rfind("、", span.start, span.end), norm.rfind("和", span.start, span.end),
                   norm.rfind("及", span.start, span.end))
        if last < 0:
            return span
        q = re.sub(r"[了的]", "", info.text)
        item_start = last + 1
        items = [x for x in re.split(r"[、和及]", norm[span.start:item_start - 1]) if x]
        shortest = min((len(x) for x in items), default=2)
        ends = {x[-1] for x in items}  # items that all end alike ("…园区、…高新区") say where the last one ends
        pos = item_start
        for word in word_cuts(norm[item_start:span.end]):  # cut between words only
            p, pos = pos, pos + len(word)
            if p - item_start < max(2, shortest // 2) or span.end - p < 3 or len(ends) == 1 and norm[p - 1] not in ends:
                continue
            tail = norm[p:span.end]
            pairs = [tail[i:i + 2] for i in range(len(tail) - 1)]
            if tail[:3] in q and sum(1 for x in pairs if x in q) >= 0.7 * len(pairs):
                return S.Span(span.start, p, span.kind, span.unit)
        return span

    @staticmethod
    def _trim_prefix(info: QuestionInfo, norm: str, span: S.Span) -> S.Span:
        """Drop a leading verb phrase the question already says ("打造健康财政、…" → "健康财政、…")."""
        s = span.start
        q = info.text
        k = 0
        while s + k < span.end and k < 8 and norm[s:s + k + 1] in q:
            k += 1
        if 2 <= k < (span.end - s) - 2 and S._LEAD_ADVERBS.fullmatch(norm[s:s + k]):
            s += k
        return S.Span(s, span.end, span.kind, span.unit)
