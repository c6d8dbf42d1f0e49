"""The assistant: question → scope → retrieval → reading → answer policy → a cited, verbatim answer.

`Assistant.ask` is the one entry point the CLI, the evaluation and the web app use.
Each step is its own component with typed inputs and outputs:

- `dialogue.resolve` turns a follow-up into a standalone question;
- `reader.analyze` + `TermStats.refine` say what it asks (`QuestionInfo`);
- `ScopeResolver` says which reports it is about (`Scope`: places, 全国, years);
- a searcher returns passages for a `Query` (the embedding computed once travels in it);
- the `Reader` proposes spans with named features (`Candidate`);
- the `AnswerPolicy` decides to answer or abstain and how confident to be.
"""
from __future__ import annotations

import dataclasses
import logging
import re
import time
from dataclasses import dataclass
from typing import Collection, Iterator, Sequence

import numpy as np

from .compare import chat_answer, chat_resolve
from .config import Settings
from .dialogue import resolve
from .encoders import Encoder, load_encoder
from .knowledge import translate_english
from .policy import NOT_FOUND, AnswerPolicy, Decision
from .reader import Reader, analyze
from .reader.extractor import Candidate, Reading
from .reader.question import QuestionInfo, about_contents
from .reader.romanized import PinyinWords
from .reader.terms import TermStats
from .reader.topics import TopicEnds
from .retriever import BM25Searcher, DenseSearcher, HybridSearcher, Query
from .retriever.ann import tune_dense_index
from .scope import Scope, ScopeResolver
from .storage import IndexData, ensure_index
from . import track
from .text import add_words, clean_question, normalize
from .types import Alternative, Answer, Chunk, Citation, Hit, Report
from .years import read_short_years

logger = logging.getLogger(__name__)

_ABOUT_REPORT = re.compile(r"报告|新闻|记者|媒体|来源|report|session|congress", re.I)


def _merged(hits: list[Hit], extra: list[Hit]) -> list[Hit]:
    """`hits`, then the passages of `extra` they do not hold."""
    seen = {h.chunk.id for h in hits}
    return hits + [h for h in extra if h.chunk.id not in seen]


@dataclass(frozen=True)
class Prepared:
    """The front half of answering: what is asked, of which reports, and the passages found."""

    raw: str
    resolved: str
    info: QuestionInfo
    scope: Scope
    query: Query
    hits: tuple[Hit, ...]


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
        tune_dense_index(self.index.faiss_index, self.settings)
        self.dense = DenseSearcher(chunks, self.index.faiss_index, self.encoder, self.index.vectors)
        self.hybrid = HybridSearcher(self.bm25, self.dense, self.settings.candidates, self.settings.rrf_k,
                                     (self.settings.bm25_weight, self.settings.dense_weight))
        self.reports: dict[str, Report] = self.index.reports
        add_words(_corpus_words(self.reports.values()))
        self.stats = TermStats(chunks)
        self.pinyin_words = PinyinWords(lambda: self.bm25.vocabulary, self.stats.df)
        self.scopes = ScopeResolver(self.reports)
        self.reader = Reader(self.reports, self.stats.idf, TopicEnds(chunks, self.bm25.report_rows))
        self.reader.prepare(self.reports.values())
        self.policy = AnswerPolicy(self.settings, self.reports, self.stats)
        self._frame_table: dict[str, tuple[tuple[Chunk, ...], Chunk | None]] | None = None
        self._frames()  # one-time work at start-up, not in a user's question
        translate_english("")

    # ------------------------------------------------------------ helpers
    def df(self, term: str) -> int:
        return self.stats.df(term)

    def idf(self, term: str) -> float:
        return self.stats.idf(term)

    def report_list(self) -> list[dict]:
        return [r.meta.to_dict() for r in self.reports.values()]

    def searcher(self, name: str | None = None):
        name = name or self.settings.retriever
        return {"bm25": self.bm25, "dense": self.dense, "hybrid": self.hybrid}[name]

    def analyze(self, question: str) -> QuestionInfo:
        """What a (standalone, cleaned) question asks, with terms refined against the corpus."""
        info = self.stats.refine(analyze(question, self.scopes.find_places(question)))
        if info.english:  # names in pinyin ("Xi Jinping") read as the corpus's words (习近平)
            q = normalize(question)
            named = [w for w in self.pinyin_words.find(q, [(p.start, p.end) for p in self.scopes.places(q)])
                     if w not in info.terms]
            if named:
                info = dataclasses.replace(info, terms=info.terms + tuple(named),
                                           search_text=info.search_text + " " + " ".join(named))
        return read_short_years(info, (r.meta for r in self.reports.values()))

    def make_query(self, info: QuestionInfo, retriever: str | None = None, vector=None) -> Query:
        """The `Query` for an analysed question: its embedding computed once (or the one given)."""
        name = retriever or self.settings.retriever
        if vector is None and name in ("hybrid", "dense"):
            vector = self.dense.embed(info.search_text)
        return Query(text=info.search_text, lexical=info.search_text, vector=vector)

    def retrieve(self, info: QuestionInfo | Query, k: int, reports: Collection[str] | None = None,
                 retriever: str | None = None) -> list[Hit]:
        """Top-k passages for an analysed question (or a ready `Query`), optionally within some reports."""
        query = info if isinstance(info, Query) else Query(text=info.search_text, lexical=info.search_text)
        return self.searcher(retriever).search(query, k, reports)

    def prepare(self, question: str, history: Sequence[str] | None = None, report: str | None = None,
                retriever: str | None = None, k: int | None = None, vector=None) -> Prepared:
        """Resolve, analyse, scope and retrieve: everything before reading (the evaluation reuses it)."""
        resolved, info, query = self._understand(question, history, retriever, vector)
        return self._gather(question, resolved, info, query, report, retriever, k)

    def _understand(self, question: str, history: Sequence[str] | None, retriever: str | None,
                    vector=None) -> tuple[str, QuestionInfo, Query]:
        """What a question asks, whichever reports it is then asked of: resolved, analysed, embedded."""
        history = [h for h in (history or []) if isinstance(h, str) and h.strip()][-6:]
        resolved = chat_resolve(self, question, history)  # `resolve`, aware of comparisons earlier in the chat
        info = self.analyze(resolved)
        return resolved, info, self.make_query(info, retriever, vector)

    def _gather(self, raw: str, resolved: str, info: QuestionInfo, query: Query, report: str | None,
                retriever: str | None, k: int | None = None) -> Prepared:
        """The scope of an understood question and the passages found in it."""
        scope = self.scopes.resolve(info, report)
        k = k or self.settings.k
        if scope.fixed:
            hits = self.retrieve(query, k, scope.reports, retriever)
        else:
            hits = self.retrieve(query, k, None, retriever)
            if scope.reports:  # the named reports' own passages must be among the candidates
                # within the place's own reports its name tells passages apart no more: it is left out of
                # the lexical query, where it would favour passages that happen to repeat it
                words = query.words
                for place in sorted(info.regions, key=len, reverse=True):
                    words = words.replace(place, " ")
                scoped = dataclasses.replace(query, lexical=words) if words.strip() else query
                hits = _merged(hits, self.retrieve(scoped, max(k, self.settings.scope_k), scope.reports, retriever))
            elif not scope.places and not scope.national:
                # no place named, but a year: the reports of that year must be among the candidates too
                of_years = self.scopes.of_years(info)
                if of_years:
                    hits = _merged(hits, self.retrieve(query, max(k, self.settings.scope_k), of_years, retriever))
        if info.qtype in ("name", "date", "meeting", "place") and _ABOUT_REPORT.search(resolved):
            hits = hits + self._frame_hits(hits, list(scope.reports) or None)
        return Prepared(raw, resolved, info, scope, query, tuple(hits))

    def semantic(self, query: Query):
        """Cosine of the query with a sentence's stored embedding (None when the index has no sentence vectors)."""
        vectors = getattr(self.index, "sentence_vectors", None)
        row_of = getattr(self.index, "sentence_row", None)
        if query.vector is None or vectors is None or row_of is None or not len(vectors):
            return None
        qv = np.asarray(query.vector, dtype=np.float32)

        def score(report_id: str, start: int, end: int) -> float | None:
            row = row_of(report_id, start, end)
            return None if row is None else float(np.dot(qv, vectors[row].astype(np.float32)))

        def many(report_id: str, spans: Sequence[tuple[int, int]]) -> list[float | None]:
            """`score` of several sentences of one report, in one product."""
            rows = [row_of(report_id, s, e) for s, e in spans]
            known = [r for r in rows if r is not None]
            if not known:
                return [None] * len(rows)
            sims = iter((vectors[known].astype(np.float32) @ qv).tolist())
            return [None if r is None else next(sims) for r in rows]

        score.many = many  # type: ignore[attr-defined]
        return score

    # ------------------------------------------------------------ ask
    def ask(self, question: str, history: Sequence[str] | None = None, report: str | None = None,
            retriever: str | None = None, explain: bool = False, vector=None) -> Answer:
        """Answer `question` (optionally in a conversation, optionally restricted to one report).

        `vector`: the question's embedding (`make_query(...).vector`), to skip embedding it again.
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
        if report is None:  # "各省…", "对比A和B…": every report's answer (compare.chat_intent says which questions)
            compared = chat_answer(self, raw, history, t0)
            if compared is not None:
                return compared
        p = self.prepare(raw, history, report, retriever, vector=vector)
        answer = self._respond(p, t0, explain)
        if report is None and not answer.abstained:
            # an indicator's target and result (its sub-questions name their report: no recursion)
            answer = track.attach(self, p, answer, t0)
        return answer

    def ask_each(self, question: str, reports: Sequence[str], vector=None, retriever: str | None = None,
                 k: int | None = None) -> Iterator[tuple[str, Answer]]:
        """`ask(question, report=rid)` for every report in turn, as each answer is ready.

        A comparison asks one question of every report of an archive: the question is resolved,
        analysed and embedded once, and the lexical scores of all passages are computed once
        (the searcher keeps them), so each further report costs its own retrieval and reading.
        """
        raw = question if isinstance(question, str) else ""
        problem = self.check_question(raw)
        resolved, info, query = ("", None, None) if problem else self._understand(raw, None, retriever, vector)
        for rid in reports:
            t0 = time.perf_counter()
            msg = problem or (f"没有编号为 {rid} 的报告" if rid not in self.reports else "")
            if msg or info is None or query is None:
                yield rid, Answer(question=raw[:self.settings.max_question_chars], answer="", sentence="",
                                  confidence=0.0, abstained=True, reason=msg, message=msg,
                                  latency_ms=(time.perf_counter() - t0) * 1000)
                continue
            yield rid, self._respond(self._gather(raw, resolved, info, query, rid, retriever,
                                                  k or self.settings.compare_k), t0,
                                     sentences=self.settings.compare_sentences)

    def _respond(self, p: Prepared, t0: float, explain: bool = False, sentences: int | None = None) -> Answer:
        """Read the prepared passages and answer, or abstain with the reason (`sentences`: see `_read`)."""
        early = self.policy.before_reading(p.info, p.scope)
        if early:
            return self._abstain(p, Decision(False, 0.0, early), t0)
        best, reason, decision = self._read(p, p.hits, sentences)
        if best is None or not decision.answer:
            return self._abstain(p, decision if best is not None else Decision(False, 0.0, reason or NOT_FOUND), t0,
                                 best)
        alternatives = self._alternatives(p, best) if not p.scope.reports else ()
        return self._answer(p, best, decision, t0, alternatives, explain)

    def candidates(self, question: str) -> tuple[Candidate, ...]:
        """Every span of the asked kind the reader weighed for `question` (the best among them is the answer
        `ask` gives): what `python -m eval fit-ranker` learns to choose from."""
        p = self.prepare(question)
        return self._reading(p, p.hits)[1].pool

    def _reading(self, p: Prepared, hits: Sequence[Hit], sentences: int | None = None
                 ) -> tuple[QuestionInfo, Reading]:
        """What the reader makes of the hits, and the question as it read it."""
        preferred = set(p.scope.reports) or None
        if preferred:  # a question about a place is answered from that place's reports or not at all
            hits = [h for h in hits if h.chunk.report_id in preferred]
        more = {"max_sentences": sentences} if sentences else {}
        info = about_contents(p.info)  # (the scope already took the year that named the report)
        return info, self.reader.read(info, hits, preferred, semantic=self.semantic(p.query), **more)

    def _read(self, p: Prepared, hits: Sequence[Hit], sentences: int | None = None
              ) -> tuple[Candidate | None, str, Decision]:
        """The reader's best span in the hits and the policy's decision on it.

        `sentences`: how many of the best-scored sentences are searched for spans (the reader's
        default when None).
        """
        info, reading = self._reading(p, hits, sentences)
        if reading.best is None:
            return None, reading.reason, Decision(False, 0.0, reading.reason or NOT_FOUND)
        return reading.best, reading.reason, self.policy.decide(info, p.scope, reading.best)

    def _alternatives(self, p: Prepared, best: Candidate, limit: int = 3) -> tuple[Alternative, ...]:
        """Other reports' answers to a question that names no place ("全国 5%左右 · 东川区 6%以上")."""
        others: list[str] = []
        for h in p.hits:
            rid = h.chunk.report_id
            if rid != best.chunk.report_id and rid not in others:
                others.append(rid)
        out: list[Alternative] = []
        for rid in others:
            if len(out) >= limit:
                break
            # that report's own best passages: the global top k may hold only its opening
            hits = self.retrieve(p.query, self.settings.k, [rid])
            cand, _, decision = self._read(p, hits)
            if cand is None or not decision.answer or decision.confidence < self.settings.alternative_confidence:
                continue
            rep = self.reports[rid]
            out.append(Alternative(report=rid, title=rep.meta.title, region=rep.meta.region,
                                   answer=rep.text[cand.start:cand.end],
                                   sentence=rep.text[cand.sent_start:cand.sent_end],
                                   confidence=decision.confidence, citation=self._citation(cand.chunk,
                                                                                           (cand.start, cand.end))))
        return tuple(out)

    def _frame_hits(self, hits: Sequence[Hit], reports: list[str] | None) -> list[Hit]:
        """The opening and closing passages of reports (speaker, date, meeting, news credit line)."""
        seen = {h.chunk.id for h in hits}
        frames = self._frames()
        extra: list[Hit] = []
        lasts: list[Chunk] = []
        wanted = set(reports) if reports else None
        for rid, (fronts, last) in frames.items():  # in index order, as the passages are
            if wanted is not None and rid not in wanted:
                continue
            extra.extend(Hit(c, 0.0, len(hits) + len(extra) + 1, "frame") for c in fronts if c.id not in seen)
            if last is not None:
                lasts.append(last)
        for chunk in lasts:
            if chunk.id not in seen:
                extra.append(Hit(chunk, 0.0, len(hits) + len(extra) + 1, "frame"))
        return extra

    def _frames(self) -> dict[str, tuple[tuple[Chunk, ...], Chunk | None]]:
        """Per report, in index order: its front passages and its last passage that is no glossary entry."""
        if self._frame_table is None:
            fronts: dict[str, list[Chunk]] = {}
            last: dict[str, Chunk | None] = {}
            for chunk in self.index.chunks:
                fronts.setdefault(chunk.report_id, [])
                last.setdefault(chunk.report_id, None)
                if chunk.kind == "front":
                    fronts[chunk.report_id].append(chunk)
                if chunk.kind != "glossary":
                    last[chunk.report_id] = chunk
            self._frame_table = {rid: (tuple(f), last[rid]) for rid, f in fronts.items()}
        return self._frame_table

    def check_question(self, question: str) -> str:
        """A user-facing message when a question cannot be asked as it is ("" when it can)."""
        q = clean_question(question) if question else ""
        if not q:
            return "请输入一个问题。"
        if len(question) > self.settings.max_question_chars:
            return f"问题太长了（最多 {self.settings.max_question_chars} 个字），请精简后再问。"
        if not re.search(r"[\w\u4e00-\u9fff]", q):
            return "问题中没有文字，请用中文或英文提问。"
        return ""

    # ------------------------------------------------------------ results
    def _citation(self, hit_chunk, span: tuple[int, int] | None) -> Citation:
        report = self.reports[hit_chunk.report_id]
        if span:
            s, e = span
            # a descriptive answer (a list of measures) may run on past its passage: cite all of it
            ps, pe = min(s, hit_chunk.start), max(e, hit_chunk.end)
            return Citation(report=report.meta.id, title=report.meta.title, section=hit_chunk.section,
                            text=report.text[ps:pe], start=s - ps, end=e - ps,
                            report_start=s, report_end=e, chunk_id=hit_chunk.id,
                            passage_start=ps, passage_end=pe)
        return Citation(report=report.meta.id, title=report.meta.title, section=hit_chunk.section,
                        text=hit_chunk.text, start=-1, end=-1, report_start=-1, report_end=-1,
                        chunk_id=hit_chunk.id, passage_start=hit_chunk.start, passage_end=hit_chunk.end)

    def _answer(self, p: Prepared, best: Candidate, decision: Decision, t0: float,
                alternatives: tuple[Alternative, ...] = (), explain: bool = False) -> Answer:
        report = self.reports[best.chunk.report_id]
        span_text = report.text[best.start:best.end]
        sentence = report.text[best.sent_start:best.sent_end]
        citations = [self._citation(best.chunk, (best.start, best.end))]
        weights = {t: self.idf(t) for t in p.info.terms}
        for hit in p.hits:
            if len(citations) >= 3:
                break
            if hit.chunk.id == best.chunk.id or hit.chunk.report_id != best.chunk.report_id:
                continue
            pos = hit.chunk.text.find(span_text)
            # a further source must also be about the question, not just share the number
            related = self.reader.coverage(weights, normalize(hit.chunk.section + " " + hit.chunk.text)) >= 0.6
            if pos >= 0 and related:
                citations.append(self._citation(hit.chunk, (hit.chunk.start + pos,
                                                            hit.chunk.start + pos + len(span_text))))
        note = ""
        if not p.scope.reports and len(self.reports) > 1:
            note = f"答案来自《{report.meta.title}》"
        elif p.scope.within:  # "长春市…" answered from 吉林省's report: say so
            note = f"目前没有收录{'、'.join(p.scope.within)}的报告，答案来自《{report.meta.title}》"
        return Answer(question=p.raw, answer=span_text, sentence=sentence, confidence=decision.confidence,
                      abstained=False, reason=note, citations=tuple(citations), qtype=p.info.qtype,
                      resolved_question=p.resolved, latency_ms=(time.perf_counter() - t0) * 1000,
                      hits=p.hits, alternatives=alternatives,
                      explanation=best.explain() if explain else "",
                      features=tuple(self.policy.features(best).items()))

    def _abstain(self, p: Prepared, decision: Decision, t0: float, best: Candidate | None = None) -> Answer:
        # the closest passages of the reports asked about (the others are not what was asked)
        near = [h for h in p.hits if not p.scope.reports or h.chunk.report_id in p.scope.reports] or list(p.hits)
        citations = tuple(self._citation(h.chunk, None) for h in near[:3])
        features = tuple(self.policy.features(best).items()) if best is not None else ()
        reason = decision.reason
        if p.scope.within:
            around = "、".join(f"《{self.reports[r].meta.title}》" for r in p.scope.reports[:2])
            reason = f"目前没有收录{'、'.join(p.scope.within)}的报告，已在{around}中查找：{reason}"
        return Answer(question=p.raw, answer="", sentence="", confidence=decision.confidence, abstained=True,
                      reason=reason, citations=citations, qtype=p.info.qtype, resolved_question=p.resolved,
                      message=f"{reason}。以下是最接近的段落，供参考。" if citations else reason,
                      latency_ms=(time.perf_counter() - t0) * 1000, hits=p.hits, features=features)


def _corpus_words(reports) -> list[str]:
    """Terms the reports themselves define: “quoted” terms and 名词解释 entries (kept whole by the tokenizer)."""
    words: set[str] = set()
    for report in reports:
        for m in re.finditer(r"[“\"]([\u4e00-\u9fffA-Za-z0-9+]{2,10})[”\"]", report.text):
            words.add(m.group(1))
    return sorted(words)


__all__ = ["Assistant", "NOT_FOUND", "Prepared"]
