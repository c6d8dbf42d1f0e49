"""The values passed between components: reports, chunks, hits, citations, answers.

All are frozen dataclasses so that pure functions can pass them around freely
and nothing downstream can alter what retrieval or extraction produced.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .compare import Comparison


@dataclass(frozen=True)
class ReportMeta:
    """What we know about one report: inferred from its text, optionally overridden by a sidecar.

    The identity fields after `path` (level, aliases, parents, english, the years) default to
    "unknown" so that old sidecars and indexes still load; `region` stays the most specific
    official name ("清苑区", not "河北省保定市清苑区"); national reports have region "全国".
    """

    id: str  # stable id, derived from the file name (e.g. "dongchuan-2026-government-work-report")
    title: str  # e.g. "东川区2026年政府工作报告"
    region: str  # e.g. "东川区", "昆明市", "全国"
    year: int | None  # the session year: the year the report is delivered in (2026 for the 2026 report)
    date: str | None  # ISO date of delivery/publication, when known
    source: str | None  # URL or publisher, when known
    path: str  # file name relative to the corpus directory
    level: str = ""  # "national" | "province" | "city" | "county" ("" when unknown)
    aliases: tuple[str, ...] = ()  # short forms a question may use: ("深圳",), ("全国", "我国", "国家", "中国", "国务院")
    parents: tuple[str, ...] = ()  # enclosing regions, nearest first: ("保定市", "河北省")
    english: str = ""  # conventional English / pinyin name: "Shenzhen", "Inner Mongolia", "Qingyuan District"
    reviewed_year: int | None = None  # the year the report reviews ("过去一年"), usually year - 1
    target_year: int | None = None  # the year its targets are for ("今年…预期目标"), usually year
    plan_years: tuple[int, ...] = ()  # end years of multi-year plans it sets (e.g. (2030,) for 十五五 targets)
    kind: str = "report"  # "report": a work report (or a news summary of one); "document": a notice, a news item…

    def __post_init__(self) -> None:
        # JSON (index files, sidecars) gives lists: keep the dataclass hashable and immutable
        for name in ("aliases", "parents", "plan_years"):
            value = getattr(self, name)
            if not isinstance(value, tuple):
                object.__setattr__(self, name, tuple(value or ()))

    def __hash__(self) -> int:
        # computed once: the place finders key their tables on the tuple of every report's meta,
        # which an archive of 1,500 reports would otherwise hash field by field on every question
        cached = self.__dict__.get("_hash")
        if cached is None:
            cached = hash(tuple(getattr(self, f.name) for f in fields(self)))
            object.__setattr__(self, "_hash", cached)
        return cached

    def __getstate__(self) -> dict[str, Any]:
        # string hashes differ between processes: a copy sent elsewhere computes its own
        return {k: v for k, v in self.__dict__.items() if k != "_hash"}

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        for name in ("aliases", "parents", "plan_years"):
            d[name] = list(d[name])
        return d

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "ReportMeta":
        """Build from a stored dict, ignoring keys this version does not know."""
        known = {f for f in cls.__dataclass_fields__}
        return cls(**{k: v for k, v in data.items() if k in known})


@dataclass(frozen=True)
class Report:
    """A report's metadata and its full normalized text (offsets of chunks point into `text`)."""

    meta: ReportMeta
    text: str


@dataclass(frozen=True)
class Section:
    """One heading of a report's section tree, with the span of text it governs."""

    level: int  # 1: 一、  2: (一)  3: paragraph lead sentence  4: glossary entry
    title: str
    start: int  # offset of the heading in the report text
    end: int  # offset where the section's content ends


@dataclass(frozen=True)
class Chunk:
    """A retrievable passage: a paragraph (or part of one) with its place in the report."""

    id: str  # stable: "<report id>#<n>"
    report_id: str
    section_path: tuple[str, ...]  # e.g. ("三、2026年重点工作", "(一)攻坚重点产业…", "巩固提升铜磷支柱地位")
    text: str  # verbatim slice report.text[start:end]
    start: int
    end: int
    kind: str = "paragraph"  # "paragraph" | "glossary" | "heading" | "fixed"

    @property
    def section(self) -> str:
        return " > ".join(self.section_path)


@dataclass(frozen=True)
class Hit:
    """A chunk returned by a searcher, with the searcher's score and rank (1-based)."""

    chunk: Chunk
    score: float
    rank: int
    source: str = ""  # "bm25" | "dense" | "hybrid"


@dataclass(frozen=True)
class Citation:
    """Where an answer comes from: a passage, and the span's offsets in it and in the report."""

    report: str  # report id
    title: str  # report title
    section: str  # section path joined with " > "
    text: str  # the passage text (chunk text)
    start: int  # span start in `text` (-1 when the citation only supports, without a span)
    end: int  # span end in `text`
    report_start: int  # span start in the report text
    report_end: int
    chunk_id: str = ""
    passage_start: int = 0  # passage offsets in the report text
    passage_end: int = 0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Alternative:
    """Another report's answer to a question that names no place ("全国 5%左右 · 东川区 6%以上")."""

    report: str  # report id
    title: str
    region: str
    answer: str  # verbatim span of that report
    sentence: str
    confidence: float
    citation: Citation

    def to_dict(self) -> dict[str, Any]:
        return {"report": self.report, "title": self.title, "region": self.region, "answer": self.answer,
                "sentence": self.sentence, "confidence": round(float(self.confidence), 4),
                "citation": self.citation.to_dict()}


@dataclass(frozen=True)
class TrackPoint:
    """One figure of a track: a year's target or result, a verbatim span of one report (`assistant/track.py`)."""

    label: str  # "2021年目标" | "2021年实际"
    kind: str  # "target" | "actual"
    year: int
    answer: str  # verbatim span
    sentence: str
    confidence: float
    citation: Citation
    question: str = ""  # the sub-question the assistant answered to find it

    def to_dict(self) -> dict[str, Any]:
        return {"label": self.label, "kind": self.kind, "year": self.year, "answer": self.answer,
                "sentence": self.sentence, "confidence": round(float(self.confidence), 4),
                "question": self.question, "citation": self.citation.to_dict()}


@dataclass(frozen=True)
class Track:
    """Target and result side by side: last year's target, its result, this year's target (2 or 3 points)."""

    region: str
    indicator: str  # as the question words it ("地区生产总值增长")
    year: int  # the year whose target and result are compared
    points: tuple[TrackPoint, ...]
    met: bool | None = None  # the result met the target (None: no target and result comparable as quantities)

    def to_dict(self) -> dict[str, Any]:
        return {"region": self.region, "indicator": self.indicator, "year": self.year, "met": self.met,
                "points": [p.to_dict() for p in self.points]}


@dataclass(frozen=True)
class Answer:
    """What `Assistant.ask` returns: a verbatim span, its sentence, and where it comes from."""

    question: str
    answer: str  # the short verbatim span; "" when abstained
    sentence: str  # the supporting sentence (verbatim), "" when abstained
    confidence: float
    abstained: bool
    reason: str = ""  # why it abstained (or a note on the answer)
    citations: tuple[Citation, ...] = ()
    qtype: str = ""  # question type the reader detected
    resolved_question: str = ""  # the question after follow-up resolution
    latency_ms: float = 0.0
    message: str = ""  # a user-facing message (e.g. for empty or invalid questions)
    hits: tuple[Hit, ...] = field(default=(), compare=False, repr=False)
    alternatives: tuple[Alternative, ...] = ()  # other reports' answers (questions that name no place)
    explanation: str = ""  # the named features behind the chosen span (`--explain`)
    features: tuple[tuple[str, float], ...] = field(default=(), compare=False, repr=False)  # of the best span
    comparison: Comparison | None = None  # a comparison question's rows, one per report (compare.chat_answer)
    track: Track | None = None  # an indicator's target and result side by side (`assistant/track.py`)

    def to_dict(self) -> dict[str, Any]:
        """The stable JSON shape (same as a line of predictions.jsonl, minus `id`)."""
        return {
            "question": self.question,
            "answer": self.answer,
            "sentence": self.sentence,
            "abstained": self.abstained,
            "reason": self.reason,
            "confidence": round(float(self.confidence), 4),
            "qtype": self.qtype,
            "resolved_question": self.resolved_question,
            "message": self.message,
            "citations": [
                {
                    "report": c.report,
                    "title": c.title,
                    "section": c.section,
                    "text": c.text,
                    "start": c.start,
                    "end": c.end,
                    "report_start": c.report_start,
                    "report_end": c.report_end,
                    "chunk_id": c.chunk_id,
                    "passage_start": c.passage_start,
                    "passage_end": c.passage_end,
                }
                for c in self.citations
            ],
            "latency_ms": round(float(self.latency_ms), 2),
            "report": self.citations[0].report if self.citations and not self.abstained else None,
            "alternatives": [a.to_dict() for a in self.alternatives],
            "comparison": self.comparison.to_dict() if self.comparison is not None else None,
            "track": self.track.to_dict() if self.track is not None else None,
        }
