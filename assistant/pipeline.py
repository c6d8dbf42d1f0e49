"""The assistant: question → retrieval → extraction → a cited, verbatim answer.

`Assistant.ask` is the one entry point the CLI, the evaluation and the web app use.
"""
from __future__ import annotations

import logging
import math
import re
import threading
import time
from typing import Collection, Sequence

from .config import Settings
from .dialogue import resolve
from .encoders import Encoder, load_encoder
from .reader import Reader, analyze
from .reader.extractor import context_years
from .reader.question import QuestionInfo
from .retriever import BM25Searcher, DenseSearcher, HybridSearcher
from .store import IndexData, ensure_index
from .text import clean_question, normalize
from .types import Answer, Citation, Hit, Report

logger = logging.getLogger(__name__)

NOT_FOUND = "报告中未找到相关答案"


class Assistant:
    """Answers questions over the indexed reports with verbatim spans and citations."""

    def __init__(self, settings: Settings | None = None, index: IndexData | None = None,
                 encoder: Encoder | None = None, progress: bool = False) -> None:
        self.settings = settings or Settings()
        self.index = index or ensure_index(self.settings, progress=progress)
        self.encoder = encoder or load_encoder(self.settings.model)
        if self.encoder.name != self.index.encoder_name:
            raise ValueError(f"index was built with {self.index.encoder_name}, not {self.encoder.name}")
        chunks = self.index.chunks
        self.bm25 = BM25Searcher(chunks, self.index.bm25)
        self.dense = DenseSearcher(chunks, self.index.faiss_index, self.encoder)
        self.hybrid = HybridSearcher(self.bm25, self.dense, self.settings.candidates, self.settings.rrf_k,
                                     (self.settings.bm25_weight, self.settings.dense_weight))
        self.reports: dict[str, Report] = self.index.reports
        self._norm_chunks = [normalize(" ".join(c.section_path) + " " + c.text) for c in chunks]
        self._df_cache: dict[str, int] = {}
        self._lock = threading.Lock()
        self.reader = Reader(self.reports, self.idf)

    # ------------------------------------------------------------ helpers
    def df(self, term: str) -> int:
        """In how many chunks a term occurs (substring match; "a|b" either, "a&b" both), cached."""
        cached = self._df_cache.get(term)
        if cached is not None:
            return cached
        if "&" in term:
            parts = term.split("&")
            count = sum(1 for t in self._norm_chunks if all(p in t for p in parts))
        else:
            alternatives = term.split("|")
            count = sum(1 for t in self._norm_chunks if any(a in t for a in alternatives))
        with self._lock:
            if len(self._df_cache) > 50000:
                self._df_cache.clear()
            self._df_cache[term] = count
        return count

    def idf(self, term: str) -> float:
        """Inverse document frequency of a term over chunks."""
        df = self.df(term)
        value = math.log(1 + (len(self._norm_chunks) + 1) / (df + 0.5))
        if df == 0 and len(term) >= 3:  # a term the corpus lacks, but its pieces may exist
            value *= 0.8
        return value

    def _refine_terms(self, info: QuestionInfo) -> QuestionInfo:
        """Split compound terms absent from the corpus ("粮食产量") into sub-words it has ("粮食", "产量")."""
        import dataclasses

        import jieba

        terms: list[str] = []
        for term in info.terms:
            if "|" in term or len(term) < 3 or self.df(term) > 0 or not any("\u4e00" <= c <= "\u9fff" for c in term):
                terms.append(term)
                continue
            parts = [p for p in jieba.cut_for_search(term) if p != term and len(p) >= 2 and self.df(p) > 0]
            # keep the longest non-overlapping pieces
            chosen: list[str] = []
            for p in sorted(parts, key=len, reverse=True):
                if not any(p in c for c in chosen):
                    chosen.append(p)
            covered = sum(len(c) for c in chosen)
            if chosen and covered >= 0.75 * len(term):
                # the pieces must then be found close together ("粮食…产量")
                ordered = sorted(chosen, key=term.find)
                terms.append("&".join(ordered))
            else:
                terms.append(term)
        return dataclasses.replace(info, terms=tuple(dict.fromkeys(terms)))

    def _missing_terms(self, info: QuestionInfo, best) -> list[str]:
        """Heavy question terms found in no report, nor any two characters of them in the answer's passage.

        "财政赤字", "出口额", "调查失业率" name things the reports never mention: answering them
        with some other number would be wrong, so the assistant says so instead.
        """
        weights = {t: self.idf(t) for t in info.terms}
        total = sum(weights.values())
        context = normalize(best.chunk.section + " " + best.chunk.text)
        out = []
        for t, w in weights.items():
            if not total or w / total < self.settings.missing_term_share or len(t) < 2 or "&" in t or "|" in t:
                continue
            if self.df(t) == 0 and not any(t[i:i + 2] in context for i in range(len(t) - 1)):
                out.append(t)
        return out

    def report_list(self) -> list[dict]:
        return [r.meta.to_dict() for r in self.reports.values()]

    def _region_reports(self, info: QuestionInfo) -> tuple[set[str], list[str]]:
        """Reports whose region the question names, and named places no report covers."""
        preferred: set[str] = set()
        missing: list[str] = []
        for place in info.regions:
            matches = {rid for rid, r in self.reports.items() if r.meta.region.startswith(place)
                       or place in r.meta.region or (r.meta.region and r.meta.region.rstrip("区市省县") == place)}
            if matches:
                preferred |= matches
            else:
                missing.append(place)
        return preferred, missing

    def searcher(self, name: str | None = None):
        name = name or self.settings.retriever
        return {"bm25": self.bm25, "dense": self.dense, "hybrid": self.hybrid}[name]

    def retrieve(self, info: QuestionInfo, k: int, reports: Collection[str] | None = None,
                 retriever: str | None = None, vector=None) -> list[Hit]:
        """Top-k passages for a question; `vector` reuses an already computed query embedding."""
        name = retriever or self.settings.retriever
        if name == "hybrid":
            return self.hybrid.search(info.search_text, k, reports, lexical_query=info.search_text, vector=vector)
        if name == "dense":
            return self.dense.search(info.search_text, k, reports, vector=vector)
        return self.searcher(name).search(info.search_text, k, reports)

    # ------------------------------------------------------------ ask
    def query_vector(self, question: str, history: Sequence[str] | None = None, retriever: str | None = None):
        """The query embedding `ask` would compute for this question (None when the retriever uses none).

        Asking one question of many reports (compare mode) embeds it once and passes the
        vector to each `ask(..., vector=...)`.
        """
        name = retriever or self.settings.retriever
        if name not in ("hybrid", "dense") or self.check_question(question if isinstance(question, str) else ""):
            return None
        history = [h for h in (history or []) if isinstance(h, str) and h.strip()][-6:]
        return self.dense.embed(analyze(resolve(question, history)).search_text)

    def ask(self, question: str, history: Sequence[str] | None = None, report: str | None = None,
            retriever: str | None = None, vector=None) -> Answer:
        """Answer `question` (optionally in a conversation, optionally restricted to one report).

        `vector`: the question's embedding from `query_vector`, to skip embedding it again.
        """
        t0 = time.perf_counter()
        raw = question if isinstance(question, str) else ""
        problem = self.check_question(raw)
        if problem:
            return Answer(question=raw[:self.settings.max_question_chars], answer="", sentence="", confidence=0.0,
                          abstained=True, reason=problem, message=problem,
                          latency_ms=(time.perf_counter() - t0) * 1000)
        if report is not None and report not in self.reports:
            msg = f"没有编号为 {report} 的报告"
            return Answer(question=raw, answer="", sentence="", confidence=0.0, abstained=True, reason=msg,
                          message=msg, latency_ms=(time.perf_counter() - t0) * 1000)
        history = [h for h in (history or []) if isinstance(h, str) and h.strip()][-6:]
        resolved = resolve(raw, history)
        info = self._refine_terms(analyze(resolved))
        preferred, missing = self._region_reports(info)
        scope = [report] if report else None

        if missing and not preferred and not report:
            names = "、".join(missing)
            hits = self.retrieve(info, 3, scope, retriever)
            return self._abstain(raw, resolved, info, hits, f"语料中没有{names}的报告", t0)

        name = retriever or self.settings.retriever
        if vector is None and name in ("hybrid", "dense"):
            vector = self.dense.embed(info.search_text)
        hits = self.retrieve(info, self.settings.k, scope, retriever, vector)
        if preferred and not report:
            # make sure the named region's passages are among the candidates
            extra = self.retrieve(info, self.settings.k, sorted(preferred), retriever, vector)
            seen = {h.chunk.id for h in hits}
            hits = hits + [h for h in extra if h.chunk.id not in seen]
        if info.qtype in ("name", "date", "meeting", "place") and re.search(
                r"报告|新闻|记者|媒体|来源|report|session|congress", resolved, re.I):
            hits = hits + self._frame_hits(hits, sorted(preferred) if preferred else ([report] if report else None))
        avoided = {rid for rid in self.reports if preferred and rid not in preferred}
        reading = self.reader.read(info, hits, preferred or None, avoided or None)
        best = reading.best
        if best is None:
            return self._abstain(raw, resolved, info, hits, reading.reason or NOT_FOUND, t0)
        # how much of the question the passage covers, and how strongly the span won
        confidence = max(0.0, min(1.0, 0.5 * best.coverage + 0.5 * min(1.0, best.score / 1.6)))
        missing_terms = [] if best.kind in ("definition", "name", "title", "media", "reporter", "date", "meeting",
                                             "place") else self._missing_terms(info, best)
        if missing_terms:
            return self._abstain(raw, resolved, info, hits,
                                 f"{NOT_FOUND}(报告中没有提到“{missing_terms[0]}”)", t0, confidence)
        if best.coverage < self.settings.abstain_threshold:
            return self._abstain(raw, resolved, info, hits,
                                 f"{NOT_FOUND}(问题的关键词在报告中匹配不足)", t0, confidence)
        if info.years and not info.five_year:
            years = context_years(best.chunk, self.reports[best.chunk.report_id], best.sent_start)
            if not years & set(info.years):
                asked = "、".join(f"{y}年" for y in info.years)
                return self._abstain(raw, resolved, info, hits, f"{NOT_FOUND}(报告中没有{asked}的相关内容)", t0,
                                     confidence)
        if preferred and best.chunk.report_id not in preferred:
            return self._abstain(raw, resolved, info, hits, f"{NOT_FOUND}(所问地区的报告中没有相关内容)", t0,
                                 confidence)
        return self._answer(raw, resolved, info, hits, best, confidence, t0)

    def _frame_hits(self, hits: list[Hit], reports: list[str] | None) -> list[Hit]:
        """The opening and closing passages of reports (speaker, date, meeting, news credit line)."""
        seen = {h.chunk.id for h in hits}
        wanted = set(reports) if reports else set(self.reports)
        extra: list[Hit] = []
        last: dict[str, object] = {}
        for chunk in self.index.chunks:
            if chunk.report_id not in wanted:
                continue
            if chunk.kind == "front" and chunk.id not in seen:
                extra.append(Hit(chunk, 0.0, len(hits) + len(extra) + 1, "frame"))
            if chunk.kind != "glossary":
                last[chunk.report_id] = chunk
        for chunk in last.values():
            if chunk.id not in seen:
                extra.append(Hit(chunk, 0.0, len(hits) + len(extra) + 1, "frame"))  # type: ignore[arg-type]
        return extra

    def check_question(self, question: str) -> str:
        """A user-facing message when a question cannot be asked as it is ("" when it can)."""
        q = clean_question(question) if question else ""
        if not q:
            return "请输入一个问题。"
        if len(question) > self.settings.max_question_chars:
            return f"问题太长了(最多 {self.settings.max_question_chars} 个字),请精简后再问。"
        if not re.search(r"[\w\u4e00-\u9fff]", q):
            return "问题中没有文字,请用中文或英文提问。"
        return ""

    # ------------------------------------------------------------ results
    def _citation(self, hit_chunk, span: tuple[int, int] | None) -> Citation:
        report = self.reports[hit_chunk.report_id]
        if span:
            s, e = span
            return Citation(report=report.meta.id, title=report.meta.title, section=hit_chunk.section,
                            text=hit_chunk.text, start=s - hit_chunk.start, end=e - hit_chunk.start,
                            report_start=s, report_end=e, chunk_id=hit_chunk.id,
                            passage_start=hit_chunk.start, passage_end=hit_chunk.end)
        return Citation(report=report.meta.id, title=report.meta.title, section=hit_chunk.section,
                        text=hit_chunk.text, start=-1, end=-1, report_start=-1, report_end=-1,
                        chunk_id=hit_chunk.id, passage_start=hit_chunk.start, passage_end=hit_chunk.end)

    def _answer(self, raw: str, resolved: str, info: QuestionInfo, hits: list[Hit], best, confidence: float,
                t0: float) -> Answer:
        report = self.reports[best.chunk.report_id]
        span_text = report.text[best.start:best.end]
        sentence = report.text[best.sent_start:best.sent_end]
        citations = [self._citation(best.chunk, (best.start, best.end))]
        weights = {t: self.idf(t) for t in info.terms}
        for hit in hits:
            if len(citations) >= 3:
                break
            if hit.chunk.id == best.chunk.id:
                continue
            pos = hit.chunk.text.find(span_text)
            # a further source must also be about the question, not just share the number
            related = self.reader.coverage(weights, normalize(hit.chunk.section + " " + hit.chunk.text)) >= 0.6
            if pos >= 0 and related:
                citations.append(self._citation(hit.chunk, (hit.chunk.start + pos, hit.chunk.start + pos + len(span_text))))
        return Answer(question=raw, answer=span_text, sentence=sentence, confidence=confidence, abstained=False,
                      citations=tuple(citations), qtype=info.qtype, resolved_question=resolved,
                      latency_ms=(time.perf_counter() - t0) * 1000, hits=tuple(hits))

    def _abstain(self, raw: str, resolved: str, info: QuestionInfo, hits: list[Hit], reason: str, t0: float,
                 confidence: float = 0.0) -> Answer:
        citations = tuple(self._citation(h.chunk, None) for h in hits[:3])
        return Answer(question=raw, answer="", sentence="", confidence=confidence, abstained=True, reason=reason,
                      citations=citations, qtype=info.qtype, resolved_question=resolved,
                      message=f"{reason}。以下是最接近的段落,供参考。" if citations else reason,
                      latency_ms=(time.perf_counter() - t0) * 1000, hits=tuple(hits))


__all__ = ["Assistant", "NOT_FOUND"]
