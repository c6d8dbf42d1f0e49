"""Extractive reading: pick the best sentence of the retrieved passages, then the minimal span.

Scoring is transparent and cheap (no model call): idf-weighted coverage of the
question's terms in the sentence and its section, agreement of region, year
and period (2025 完成 vs 2026 目标 vs 十四五 / 十五五), and per-type span
rules (a number with its unit near the subject, the enumerated list, the
glossary definition, a name, date, place or meeting).
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Callable, Sequence

from ..text import normalize, sentence_spans
from ..types import Chunk, Hit, Report
from . import spans as S
from .question import QuestionInfo

_PLAN_WORDS = re.compile(r"目标|预期|力争|确保|争取|计划|建议为|将|要|拟|到20\d\d年|今年|规划|推动|实施|加快|新增|新建")
_ACTUAL_WORDS = re.compile(r"完成|实现|达到|达|建成|累计|较|比上年|同比|增至|提升至|下降|获评|成功|已")
_GROWTH_BEFORE = re.compile(r"(增长|增速|增幅|提高|提升|下降|降低|减少|增加|增|降|上涨|压减)[了到至为达]?$")
_FIVE_BEFORE = re.compile(r"(年均|累计|五年|分别)")


@dataclass(frozen=True)
class Candidate:
    chunk: Chunk
    sent_start: int
    sent_end: int
    start: int
    end: int
    kind: str
    score: float
    coverage: float  # idf-weighted share of question terms found in the sentence + section


@dataclass(frozen=True)
class Reading:
    best: Candidate | None
    coverage: float
    reason: str = ""


def _context_years(chunk: Chunk, report: Report) -> set[int]:
    ctx = normalize(" ".join(chunk.section_path) + " " + chunk.text)
    years = {int(y) for y in re.findall(r"(20\d\d)年", ctx)}
    if report.meta.year:
        if "今年" in ctx or "重点工作" in ctx:
            years.add(report.meta.year)
        if "去年" in ctx:
            years.add(report.meta.year - 1)
        if "十五五" in " ".join(chunk.section_path):
            years.update(range(report.meta.year, report.meta.year + 5))
        if not years:
            years.add(report.meta.year)
    return years


def _is_plan_context(chunk: Chunk, report: Report) -> bool | None:
    path = normalize(" ".join(chunk.section_path))
    if re.search(r"重点工作|目标|十五五|任务", path):
        return True
    if re.search(r"回顾|五年来|一年来", path):
        return False
    if report.meta.title.endswith("(新闻摘要)") or "预期目标" in report.text[:400]:
        return True
    return None


class Reader:
    """Scores sentences and spans of retrieved chunks for one question."""

    def __init__(self, reports: dict[str, Report], idf: Callable[[str], float]) -> None:
        self.reports = reports
        self.idf = idf

    # ------------------------------------------------------------ term coverage
    def _weights(self, info: QuestionInfo) -> dict[str, float]:
        return {t: self.idf(t) for t in info.terms}

    @staticmethod
    def _match(term: str, text: str) -> float:
        if term in text:
            return 1.0
        if len(term) >= 3:
            grams = [term[i:i + 2] for i in range(len(term) - 1)]
            found = sum(g in text for g in grams) / len(grams)
            if found >= 0.5:
                return 0.6 * found
        return 0.0

    def _coverage(self, weights: dict[str, float], text: str) -> float:
        total = sum(weights.values())
        if total <= 0:
            return 0.0
        return sum(w * self._match(t, text) for t, w in weights.items()) / total

    # ------------------------------------------------------------ main
    def read(self, info: QuestionInfo, hits: Sequence[Hit], preferred: set[str] | None = None,
             avoided: set[str] | None = None, max_sentences: int = 8) -> Reading:
        weights = self._weights(info)
        if not weights:
            return Reading(None, 0.0, "问题中没有可以检索的关键词")
        scored: list[tuple[float, float, Chunk, int, int]] = []
        n_hits = max(1, len(hits))
        for hit in hits:
            chunk = hit.chunk
            report = self.reports[chunk.report_id]
            norm_text = normalize(report.text)
            path_text = normalize(" ".join(chunk.section_path))
            ctx_cov = self._coverage(weights, path_text + " " + normalize(chunk.text))
            prior = 1.0 - (hit.rank - 1) / n_hits
            ctx_bonus = self._context_bonus(info, chunk, report, preferred, avoided)
            for s, e in sentence_spans(report.text, chunk.start, chunk.end):
                sent = norm_text[s:e]
                sent_cov = self._coverage(weights, sent)
                both_cov = self._coverage(weights, sent + " " + path_text)
                score = 0.45 * sent_cov + 0.25 * both_cov + 0.15 * ctx_cov + 0.15 * prior + ctx_bonus
                scored.append((score, both_cov, chunk, s, e))
        scored.sort(key=lambda x: -x[0])
        best: Candidate | None = None
        for score, cov, chunk, s, e in scored[:max_sentences]:
            report = self.reports[chunk.report_id]
            for cand in self._spans(info, weights, report, chunk, s, e, score, cov):
                if best is None or cand.score > best.score:
                    best = cand
        top_cov = scored[0][1] if scored else 0.0
        if best is None:
            return Reading(None, top_cov, "在最相关的段落中没有找到符合问题类型的答案")
        return Reading(best, best.coverage)

    # ------------------------------------------------------------ context
    def _context_bonus(self, info: QuestionInfo, chunk: Chunk, report: Report, preferred: set[str] | None,
                       avoided: set[str] | None) -> float:
        bonus = 0.0
        if preferred and chunk.report_id in preferred:
            bonus += 0.12
        if avoided and chunk.report_id in avoided:
            bonus -= 0.25
        if info.years:
            years = _context_years(chunk, report)
            if years & set(info.years):
                bonus += 0.08
            else:
                bonus -= 0.15
        plan = _is_plan_context(chunk, report)
        if plan is not None:
            if info.wants_target and not info.wants_actual:
                bonus += 0.06 if plan else -0.06
            elif info.wants_actual and not info.wants_target:
                bonus += 0.06 if not plan else -0.06
        path = " ".join(chunk.section_path)
        if "十五五" in path:
            bonus += 0.1 if info.next_plan else -0.08
        elif info.next_plan:
            bonus -= 0.05
        if info.five_year and ("五年来" in path or "十四五" in path):
            bonus += 0.05
        if info.qtype == "glossary" and chunk.kind == "glossary":
            bonus += 0.1
        if info.qtype in ("name", "date", "meeting", "place") and chunk.kind == "front":
            bonus += 0.05
        return bonus

    # ------------------------------------------------------------ spans
    def _anchors(self, weights: dict[str, float], norm: str, s: int, e: int) -> list[tuple[int, int, float]]:
        out = []
        for term, w in weights.items():
            for m in re.finditer(re.escape(term), norm[s:e]):
                out.append((s + m.start(), s + m.end(), w))
        return out

    def _proximity(self, anchors: list[tuple[int, int, float]], start: int, end: int) -> float:
        if not anchors:
            return 0.0
        total = sum({(a, b): w for a, b, w in anchors}.values())
        best: dict[float, float] = {}
        score = 0.0
        for a, b, w in anchors:
            if b <= start:
                d = start - b
            elif a >= end:
                d = (a - end) * 2.5
            else:
                d = 0
            score = max(score, w * math.exp(-d / 14.0))
            best[w] = max(best.get(w, 0.0), math.exp(-d / 14.0))
        return min(1.0, score / max(w for _, _, w in anchors)) * 0.5 + 0.5 * min(
            1.0, sum(w * v for w, v in best.items()) / max(1e-9, sum(best.keys())))

    def _spans(self, info: QuestionInfo, weights: dict[str, float], report: Report, chunk: Chunk, s: int, e: int,
               sent_score: float, cov: float) -> list[Candidate]:
        norm = normalize(report.text)
        anchors = self._anchors(weights, norm, s, e)
        out: list[Candidate] = []

        def add(span: S.Span, extra: float) -> None:
            if span.end <= span.start:
                return
            prox = self._proximity(anchors, span.start, span.end)
            out.append(Candidate(chunk, s, e, span.start, span.end, span.kind,
                                 sent_score + 0.25 * prox + extra, cov))

        q = info.qtype
        if q == "glossary" and chunk.kind == "glossary":
            d = S.definition(norm, chunk.start, chunk.end)
            title = normalize(chunk.section_path[-1]) if chunk.section_path else ""
            terms = info.quoted or info.terms
            if d and any(t and (t in title or title.strip("“”\"") in t) for t in terms):
                out.append(Candidate(chunk, chunk.start, chunk.end, d.start, d.end, d.kind, sent_score + 0.5, cov))
                return out
        if q == "number":
            for span in S.numbers(norm, s, e):
                add(span, self._number_bonus(info, norm, span, s))
            return out
        if q == "date":
            for span in S.dates(norm, s, e):
                add(span, 0.15 if re.search(r"\d+月\d+日", norm[span.start:span.end]) else 0.0)
            return out
        if q == "meeting":
            for span in S.meetings(norm, s, e):
                add(span, 0.2)
            return out
        if q == "name":
            for span in S.officials(norm, s, e):
                wants_title = bool(re.search(r"职务|身份|什么职", info.text))
                add(span, 0.2 if (span.kind == "title") == wants_title else -0.2)
            if out:
                return out
        if q == "place":
            for span in S.places(norm, s, e):
                add(span, 0.2)
            if out:
                return out
        if q in ("list", "glossary"):
            for span in S.enumerations(norm, s, e):
                add(self._trim_prefix(info, norm, span), 0.05)
            if out:
                return out
        for span in S.clauses(norm, s, e):
            clause_cov = self._coverage(weights, norm[span.start:span.end])
            add(self._trim_prefix(info, norm, span), 0.1 * clause_cov - 0.1)
        return out

    def _number_bonus(self, info: QuestionInfo, norm: str, span: S.Span, sent_start: int) -> float:
        before = norm[max(sent_start, span.start - 6):span.start]
        value = norm[span.start:span.end]
        bonus = 0.0
        is_pct = span.kind == "percent"
        growth_before = bool(_GROWTH_BEFORE.search(before))
        if info.wants_growth or info.wants_rate:
            bonus += 0.15 if is_pct else (-0.05 if info.unit_hint else -0.15)
            if growth_before and info.wants_growth:
                bonus += 0.08
        elif is_pct:
            bonus -= 0.12 if info.unit_hint else 0.04
        if info.unit_hint:
            if span.unit.endswith(info.unit_hint) or info.unit_hint in value:
                bonus += 0.15
            elif span.unit:
                bonus -= 0.08
        if not span.unit:
            bonus -= 0.15
        five = bool(_FIVE_BEFORE.search(norm[max(sent_start, span.start - 8):span.start]))
        if five and not info.five_year:
            bonus -= 0.08
        elif five and info.five_year:
            bonus += 0.08
        return bonus

    @staticmethod
    def _trim_prefix(info: QuestionInfo, norm: str, span: S.Span) -> S.Span:
        """Drop a leading verb phrase the question already says ("打造健康财政、…" → "健康财政、…")."""
        s = span.start
        q = info.text
        k = 0
        while s + k < span.end and k < 8 and norm[s:s + k + 1] in q:
            k += 1
        if 2 <= k < (span.end - s) - 2:
            s += k
        return S.Span(s, span.end, span.kind, span.unit)
