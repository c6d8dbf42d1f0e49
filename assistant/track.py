"""Target and result side by side: an indicator's target for a year, its result, and the next year's target.

A work report delivered in year Y reviews Y−1 (its results) and sets the targets of Y; the report of
Y−1 set the targets of Y−1. When a question asks for an indicator's figure ("定兴县2021年地区生产总值
增长多少？") of one region whose reports the index holds, the answer carries a `Track`:

    2021年目标 8%以上 (2021 report) · 2021年实际 8.1% (2022 report) · 2022年目标 10% (2022 report)

Every point is the assistant's own answer to a sub-question, read from one report only
(`Assistant.ask(sub_question, report=rid)`, which never builds a track itself), kept only when confident
and a figure. The sub-questions are derived from the analysed question (its indicator, region and year)
with the wording of `data/track.json`; nothing here is about a particular report. `met` says whether the
result met the target when both are quantities of one kind (qualifiers 以上/以内/左右 and the indicator's
direction taken into account), None otherwise.

Cost: only questions asking a figure of a known indicator of one region with reports are tracked; the
sub-questions reuse the question's embedding, so each costs a lexical search and a reading of one report.
"""
from __future__ import annotations

import dataclasses
import json
import math
import re
import time
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Iterable, Sequence

from .knowledge import DATA_DIR, indicator_classes
from .quantity import parse_quantity
from .types import Answer, ReportMeta, Track, TrackPoint
from .years import is_document, reviewed_year, target_year

if TYPE_CHECKING:  # pragma: no cover
    from .pipeline import Assistant, Prepared

DATA_FILE = DATA_DIR / "track.json"
_YEAR = re.compile(r"(?<!\d)20\d\d\s*(?:年度|年)?")
_PUNCT = re.compile(r"[\s?？!！。，,、:：;；“”\"'‘’（）()《》]+")
_MAX_EXTRA_CHARS = 4  # an indicator phrase is the indicator plus a few characters ("增长", "总量"), not a sentence


@lru_cache(maxsize=1)
def config() -> dict[str, Any]:
    with open(DATA_FILE, encoding="utf-8") as f:
        return json.load(f)


@lru_cache(maxsize=1)
def _indicators() -> tuple[str, ...]:
    names = {name for name, _ in indicator_classes()} | set(config().get("indicators", ()))
    return tuple(sorted(names, key=len, reverse=True))


def known_indicator(text: str) -> str:
    """The longest known indicator (indicators.tsv and track.json) `text` names, or ""."""
    low = text.lower()
    return next((name for name in _indicators() if name.lower() in low), "")


def indicator_phrase(question: str, places: Iterable[str]) -> str:
    """The indicator as the question words it: the question less its places, years and asking words.

    "定兴县2021年地区生产总值实际增长了多少？" → "地区生产总值增长".
    """
    text = question
    for place in sorted({p for p in places if p}, key=len, reverse=True):
        text = text.replace(place, " ")
    text = _YEAR.sub(" ", text)
    for word in sorted(config()["strip"], key=len, reverse=True):
        text = text.replace(word, " ")
    return "".join(_PUNCT.split(text)).strip("的之")


def official_wording(phrase: str, terms: Sequence[str]) -> str:
    """The phrase with an everyday wording of an indicator in its official form ("GDP增长" → "地区生产总值增长").

    `terms` are the analysed question's terms ("gdp|地区生产总值|生产总值": the wording, then its official term).
    """
    for term in terms:
        forms = term.split("|")
        if len(forms) < 2 or not forms[0] or forms[0] == forms[1] or known_indicator(forms[1]) != forms[1]:
            continue
        if forms[0].lower() in phrase.lower() and not known_indicator(forms[0]):
            phrase = re.sub(re.escape(forms[0]), forms[1], phrase, flags=re.I)
    return phrase


def _same_place(a: ReportMeta, b: ReportMeta) -> bool:
    return a.region == b.region and (not a.parents or not b.parents or a.parents[0] == b.parents[0])


def _region_reports(assistant: "Assistant", scope_reports: Sequence[str]) -> tuple[str, list[ReportMeta]] | None:
    """The one region a question's scope is about, and every work report of it (oldest first)."""
    metas = [assistant.reports[rid].meta for rid in scope_reports]
    enclosing = {parent for m in metas for parent in m.parents}  # "河北省保定市定兴县…" is about 定兴县
    innermost = [m for m in metas if m.region not in enclosing]
    if not innermost or len({m.region for m in innermost}) != 1 or not innermost[0].region:
        return None
    first = innermost[0]
    own = [r.meta for r in assistant.reports.values()
           if _same_place(r.meta, first) and not is_document(r.meta) and reviewed_year(r.meta)]
    return first.region, sorted(own, key=lambda m: (m.year or 0, len(assistant.reports[m.id].text)))


def _by_year(metas: Sequence[ReportMeta], year_of) -> dict[int, ReportMeta]:
    out: dict[int, ReportMeta] = {}
    for m in metas:  # oldest first, longest last: a year's full report wins over its summary
        y = year_of(m)
        if y:
            out[y] = m
    return out


def lower_is_better(indicator: str) -> bool:
    """An indicator met from below (失业率, 居民消费价格), unless it is itself a decrease (能耗下降)."""
    cfg = config()
    if any(w in indicator for w in cfg.get("decrease_words", ())):
        return False
    return any(w.lower() in indicator.lower() for w in cfg.get("lower_is_better", ()))


def _interval(q, negate: bool) -> tuple[float, float]:
    """The values a quoted figure allows: 8%以上 → [8, ∞), 5.5%以内 → (−∞, 5.5], 8.1% → [8.1, 8.1]."""
    low, high = q.value_low, q.value_high
    if q.qualifier == "at_least":
        high = math.inf
    elif q.qualifier == "at_most":
        low = -math.inf
    if negate:  # "下降2%" of a growth: −2
        low, high = -high, -low
    return low, high


def target_met(target: str, actual: str, lower_better: bool = False, target_negative: bool = False,
               actual_negative: bool = False) -> bool | None:
    """Whether the result `actual` met the target `target` (both verbatim figures); None when not comparable.

    The target's qualifier says which results meet it: 8%以上 any result ≥ 8, 5.5%以内 any ≤ 5.5; a figure
    without one (8%, 9%左右, 4.5%—5%) is a floor, or a ceiling for an indicator better lower (`lower_better`).
    True when every value the result allows meets the target, False when none does, else None.
    """
    t, a = parse_quantity(target), parse_quantity(actual)
    if t is None or a is None or not t.unit_class or t.unit_class != a.unit_class:
        return None
    t_low, t_high = _interval(t, target_negative)
    if t.qualifier not in ("at_least", "at_most"):
        t_low, t_high = (-math.inf, t_high) if lower_better else (t_low, math.inf)
    a_low, a_high = _interval(a, actual_negative)
    if t_low <= a_low and a_high <= t_high:
        return True
    if a_high < t_low or a_low > t_high:
        return False
    return None


def _decrease_before(assistant: "Assistant", point: TrackPoint) -> bool:
    """The figure is stated as a decrease ("下降2.1%"): the words just before the span say so."""
    c = point.citation
    report = assistant.reports.get(c.report)
    if report is None or c.report_start < 0:
        return False
    before = report.text[max(0, c.report_start - 4):c.report_start]
    return any(before.endswith(w) or before.endswith(w + "了") for w in config().get("decrease_words", ()))


def build(assistant: "Assistant", p: "Prepared", answer: Answer) -> Track | None:
    """The track of an answered question, or None when it asks no indicator of one region or too little is found."""
    info = p.info
    if info.qtype != "number" or info.english or info.five_year or info.next_plan or len(info.years) > 1:
        return None
    if p.scope.fixed or not p.scope.reports:
        return None
    found = _region_reports(assistant, p.scope.reports)
    if found is None:
        return None
    region, metas = found
    places = list(p.scope.places) + [region] + [a for m in metas for a in m.aliases]
    phrase = official_wording(indicator_phrase(info.text, places), info.terms)
    indicator = known_indicator(phrase)
    if not phrase or not indicator or len(phrase) > len(indicator) + _MAX_EXTRA_CHARS:
        return None
    reviews, targets = _by_year(metas, reviewed_year), _by_year(metas, target_year)
    asked = info.years[0] if info.years else _answer_year(assistant, info, answer)
    # the report that reviews the year asked about (its result, and the next year's target), else the one
    # that sets its target (then the track is of the year before: that report's result and its target)
    anchor = reviews.get(asked) or targets.get(asked) if asked else None
    if anchor is None:
        return None
    year = reviewed_year(anchor)
    next_year = target_year(anchor)
    earlier = targets.get(year) if year else None
    if not year or not next_year or (earlier is not None and earlier.id == anchor.id):
        return None

    cfg = config()
    threshold = assistant.settings.alternative_confidence  # as sure as another report's answer must be to show
    vector = p.query.vector

    def point(kind: str, y: int, meta: ReportMeta, wording: str) -> TrackPoint | None:
        question = cfg["questions"][kind].format(region=region, year=y, indicator=wording)
        # within one report the sub-question's own words find its passage (BM25); the question's embedding,
        # computed once, still reads the sentences: ~17 ms a sub-question instead of ~75 ms with its own
        # embedding, and the same points on the development reports
        a = assistant.ask(question, report=meta.id, retriever="bm25", vector=vector)
        if a.abstained or a.confidence < threshold or not a.citations or parse_quantity(a.answer) is None:
            return None
        return TrackPoint(label=cfg["labels"][kind].format(year=y), kind=kind, year=y, answer=a.answer,
                          sentence=a.sentence, confidence=a.confidence, citation=a.citations[0], question=question)

    wordings = [phrase]
    growth = cfg.get("growth_word", "")
    if growth and growth not in phrase and not info.wants_rate:
        wordings.append(phrase + growth)  # most targets are growth rates: "地区生产总值" → "地区生产总值增长"
    chosen, next_target, last_target = "", None, None
    for wording in wordings:  # the anchor's own target first: it tells which wording the reports use
        next_target = point("target", next_year, anchor, wording)
        if next_target is not None:
            chosen = wording
            break
    if earlier is not None:
        for wording in [chosen] if chosen else wordings:
            last_target = point("target", year, earlier, wording)
            if last_target is not None:
                chosen = wording
                break
    if not chosen:
        return None  # no target anywhere: a result alone is no track
    actual = point("actual", year, anchor, chosen)
    if actual is not None and next_target is not None and \
            actual.citation.report_start == next_target.citation.report_start:
        # one span read as both the result and the new target: keep the likelier reading
        if actual.confidence >= next_target.confidence:
            next_target = None
        else:
            actual = None
    points = tuple(pt for pt in (last_target, actual, next_target) if pt is not None)
    if len(points) < 2:
        return None
    met = None
    if last_target is not None and actual is not None:
        met = target_met(last_target.answer, actual.answer, lower_is_better(chosen),
                         target_negative=_decrease_before(assistant, last_target) and not _decreasing(chosen),
                         actual_negative=_decrease_before(assistant, actual) and not _decreasing(chosen))
    return Track(region=region, indicator=chosen, year=year, points=points, met=met)


def _answer_year(assistant: "Assistant", info, answer: Answer) -> int | None:
    """The year a question without a year was read as, from the report that answered it: the year it sets
    targets for when the question asks a target or 今年/明年, else the year it reviews."""
    report = assistant.reports.get(answer.citations[0].report) if answer.citations else None
    if report is None:
        return None
    if info.wants_target or info.relative_year in ("this", "next"):
        return target_year(report.meta)
    return reviewed_year(report.meta)


def _decreasing(indicator: str) -> bool:
    return any(w in indicator for w in config().get("decrease_words", ()))


def attach(assistant: "Assistant", p: "Prepared", answer: Answer, t0: float) -> Answer:
    """The answer with its track (unchanged when it has none); its latency then includes the track's."""
    if answer.abstained:
        return answer
    track = build(assistant, p, answer)
    # the latency counts the sub-questions asked, also when they found too little for a track
    return dataclasses.replace(answer, track=track, latency_ms=(time.perf_counter() - t0) * 1000)


def summary(track: Track) -> str:
    """One line: "2021年目标 8%以上 · 2021年实际 8.1% · 2022年目标 10%（2021年目标已完成）"."""
    line = " · ".join(f"{pt.label} {pt.answer}" for pt in track.points)
    if track.met is not None:
        line += "（" + config()["met_labels"][str(track.met).lower()].format(year=track.year) + "）"
    return line


__all__ = ["attach", "build", "config", "indicator_phrase", "known_indicator", "lower_is_better", "official_wording",
           "summary", "target_met"]
