"""A build's reports as segments of its files: what the next build takes over whole when a report's file is unchanged.

Chunks are made report by report, so every file of a build with a row per passage or per sentence
(chunks.jsonl, vectors.npy, vector_keys.json, sentences.*, the term counts) holds each report's rows one
after the other. `segments.json` says where each report's rows begin (and, with derived passage vectors,
which heading each passage has). A build of the same signature reads the previous build's files once,
cuts them by report, and carries over the segment of every report whose file and id did not change:
its text, passages, tokens and vectors are not read, cleaned, chunked, hashed, looked up or derived
again. At 1,500 reports that is most of what adding one report used to cost (see docs/operations.md).
"""
from __future__ import annotations

import json
import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from ..retriever.bm25_counts import TermCounts, concat_counts, load_counts, save_counts
from ..types import Report, ReportMeta
from .layout import SEGMENTS, TERM_COUNTS, TERM_LIST, intact
from .vectors import Opened

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Segment:
    """One report's rows of a build, in the form they are written."""

    report: str
    lines: list[bytes]  # its lines of chunks.jsonl, each ending in a newline
    chunk_keys: list[str]  # the key of each passage vector
    vectors: np.ndarray  # (passages, dim) float32
    sentences: list[tuple[int, int, str]]  # (start, end, vector key) of each sentence vector
    sentence_vectors: np.ndarray  # (sentences, dim) float16
    headings: list[str]  # derived passage vectors: each passage's heading key; else empty
    heading_vectors: np.ndarray | None  # derived passage vectors: each passage's heading vector (float16)
    terms: TermCounts  # each passage's term counts (BM25)


@dataclass(frozen=True)
class Carried:
    """What a build may take over from the previous build of its signature."""

    reports: dict[str, Report]  # by id, as the previous build read them
    segments: dict[str, Segment]  # by report id
    opened: Opened  # its vector files, for the vector cache to look new texts up in without reading them again


def carried_files(sentence_vectors: bool, derived: bool) -> tuple[str, ...]:
    """The files of a build that carrying its segments reads."""
    return ("reports.json", "chunks.jsonl", "vectors.npy", "vector_keys.json", SEGMENTS, TERM_COUNTS, TERM_LIST) + \
        (("sentences.npy", "sentences.json") if sentence_vectors else ()) + \
        (("headings.npy", "heading_keys.json") if derived else ())


def read_carried(build: Path, record: dict[str, Any], sentence_vectors: bool, derived: bool) -> Carried | None:
    """The previous build's reports and segments, None when its files are missing, corrupt or do not fit.

    record is the build's manifest (or sidecar), of the signature being built: its checksums vouch for
    every file read here.
    """
    names = carried_files(sentence_vectors, derived)
    if not (build / SEGMENTS).is_file():
        return None  # written by a build that kept no segments
    # the files are parsed while they are hashed (hashing lets go of the GIL); nothing parsed is used
    # unless every file passes its checksum
    with ThreadPoolExecutor(max_workers=1) as pool:
        verified = pool.submit(intact, build, record.get("checksums") or {}, *names)
        try:
            carried: Carried | None = _read(build, sentence_vectors, derived)
        except Exception as exc:  # noqa: BLE001 — a damaged file may fail to parse in any way (a bad zip, …)
            carried, problem = None, f"{type(exc).__name__}: {exc}"
        if not verified.result():
            logger.info("not carrying over the reports of %s: one of its files is missing or corrupt", build.name)
            return None
    if carried is None:
        logger.info("not carrying over the reports of %s: %s", build.name, problem)
    return carried


def _read(build: Path, sentence_vectors: bool, derived: bool) -> Carried:
    table = json.loads((build / SEGMENTS).read_text(encoding="utf-8"))
    ids: list[str] = table["reports"]
    passages: list[int] = table["passages"]  # where each report's passages begin, and the end
    raw = json.loads((build / "reports.json").read_text(encoding="utf-8"))
    reports = {r["meta"]["id"]: Report(meta=ReportMeta.from_dict(r["meta"]), text=r["text"]) for r in raw}
    lines = (build / "chunks.jsonl").read_bytes().splitlines(keepends=True)
    vectors = np.load(build / "vectors.npy", mmap_mode="r")
    keys = json.loads((build / "vector_keys.json").read_text(encoding="utf-8"))
    terms = load_counts(build / TERM_COUNTS, build / TERM_LIST)
    n = passages[-1] if passages else 0
    if len(passages) != len(ids) + 1 or not (len(lines) == len(vectors) == len(keys) == terms.n_rows == n):
        raise ValueError("its passage files do not have a row for each passage")
    if sentence_vectors:
        sentences = np.load(build / "sentences.npy", mmap_mode="r")
        rows = json.loads((build / "sentences.json").read_text(encoding="utf-8"))
        starts: list[int] = table["sentences"]
        spans = list(zip(rows["start"], rows["end"], rows["key"]))
        if len(starts) != len(ids) + 1 or not (len(spans) == len(sentences) == starts[-1]):
            raise ValueError("its sentence files do not have a row for each sentence")
    else:
        sentences, spans, starts = np.zeros((0, vectors.shape[1]), np.float16), [], [0] * (len(ids) + 1)
    heading_of: list[int] = table.get("heading_of") or []
    heads = np.load(build / "headings.npy", mmap_mode="r") if derived else None
    head_keys = json.loads((build / "heading_keys.json").read_text(encoding="utf-8")) if derived else []
    if derived and (len(heading_of) != n or len(head_keys) != len(heads)):  # type: ignore[arg-type]
        raise ValueError("its headings do not fit its passages")
    segments: dict[str, Segment] = {}
    for i, rid in enumerate(ids):
        a, b = passages[i], passages[i + 1]
        s, e = starts[i], starts[i + 1]
        mine = heading_of[a:b]
        segments[rid] = Segment(
            report=rid, lines=lines[a:b], chunk_keys=keys[a:b], vectors=vectors[a:b], sentences=spans[s:e],
            sentence_vectors=sentences[s:e], headings=[head_keys[h] for h in mine],
            heading_vectors=heads[mine] if heads is not None else None, terms=terms.rows(a, b))
    files = {"vectors.npy": (keys, vectors)}
    if sentence_vectors:
        files["sentences.npy"] = (rows["key"], sentences)
    if heads is not None:
        files["headings.npy"] = (head_keys, heads)
    return Carried(reports=reports, segments=segments, opened=Opened(build, files))


def _save_rows(path: Path, parts: Sequence[np.ndarray], dim: int, dtype: type) -> None:
    """np.save of the parts put together, written part by part: the carried parts are memory-mapped
    slices of the previous build's file (half a GB of sentence vectors at 1,500 reports), never copied
    into one array first."""
    fmt = np.lib.format
    with open(path, "wb") as f:
        fmt.write_array_header_1_0(f, {"descr": fmt.dtype_to_descr(np.dtype(dtype)), "fortran_order": False,
                                       "shape": (sum(len(p) for p in parts), dim)})
        for part in parts:
            if len(part):
                f.write(np.ascontiguousarray(part, dtype=dtype).data)


@dataclass(frozen=True)
class Joined:
    """The segments of a build put together: what the dense index and BM25 are made of."""

    vectors: np.ndarray  # float32, a row per passage
    chunk_keys: list[str]
    terms: TermCounts


def join_segments(segments: Sequence[Segment], dim: int) -> Joined:
    """The passage vectors, their keys and the term counts of every segment, one after the other."""
    vectors = np.concatenate([s.vectors for s in segments]) if segments else np.zeros((0, dim), np.float32)
    return Joined(vectors=vectors.astype(np.float32, copy=False), chunk_keys=[k for s in segments for k in s.chunk_keys],
                  terms=concat_counts([s.terms for s in segments]))


def write_segments(out: Path, segments: Sequence[Segment], joined: Joined, sentence_vectors: bool,
                   derived: bool, written: Callable[[Path], None] = lambda path: None) -> None:
    """Write every file of a build that has a row per passage or sentence, and segments.json;
    `written` is told of each file once it is complete."""
    dim = joined.vectors.shape[1]
    with open(out / "chunks.jsonl", "wb") as f:
        for seg in segments:
            f.writelines(seg.lines)
    written(out / "chunks.jsonl")
    np.save(out / "vectors.npy", joined.vectors)
    written(out / "vectors.npy")
    (out / "vector_keys.json").write_text(json.dumps(joined.chunk_keys), encoding="utf-8")
    passages = np.cumsum([0] + [len(s.chunk_keys) for s in segments]).tolist()
    table: dict[str, Any] = {"reports": [s.report for s in segments], "passages": passages}
    if sentence_vectors:
        rows = [(s.report, a, b, k) for s in segments for a, b, k in s.sentences]
        _save_rows(out / "sentences.npy", [s.sentence_vectors for s in segments], dim, np.float16)
        written(out / "sentences.npy")
        ids = sorted({s.report for s in segments if s.sentences})
        pos = {r: i for i, r in enumerate(ids)}
        (out / "sentences.json").write_text(json.dumps({
            "reports": ids, "report": [pos[r] for r, _, _, _ in rows], "start": [a for _, a, _, _ in rows],
            "end": [b for _, _, b, _ in rows], "key": [k for _, _, _, k in rows]}, ensure_ascii=False),
            encoding="utf-8")
        table["sentences"] = np.cumsum([0] + [len(s.sentences) for s in segments]).tolist()
    if derived:  # each distinct heading once (the vector cache's rows), and which one each passage has
        first: dict[str, int] = {}
        heading_of = []
        for seg in segments:
            for key in seg.headings:
                heading_of.append(first.setdefault(key, len(first)))
        _, rows_of = np.unique(np.asarray(heading_of, dtype=np.int64), return_index=True)  # each one's first passage
        heads = [s.heading_vectors for s in segments if s.heading_vectors is not None and len(s.heading_vectors)]
        all_heads = np.concatenate(heads) if heads else np.zeros((0, dim), np.float16)
        np.save(out / "headings.npy", np.ascontiguousarray(all_heads[rows_of], dtype=np.float16))
        (out / "heading_keys.json").write_text(json.dumps(list(first)), encoding="utf-8")
        table["heading_of"] = heading_of
    save_counts(joined.terms, out / TERM_COUNTS, out / TERM_LIST)
    (out / SEGMENTS).write_text(json.dumps(table, ensure_ascii=False), encoding="utf-8")
