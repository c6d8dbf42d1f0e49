"""A build's reports as segments of its files, and its sealed packs: what the next build takes over whole.

Chunks are made report by report, so every file of a build with a row per passage or per sentence
(chunks.jsonl, vectors.npy, vector_keys.json, sentences.*, the term counts) holds each report's rows one
after the other. `segments.json` says where each report's rows begin (and, with derived passage vectors,
which heading each passage has). A build of the same signature reads the previous build's files once,
cuts them by report, and carries over the segment of every report whose file and id did not change:
its text, passages, tokens and vectors are not read, cleaned, chunked, hashed, looked up or derived
again.

At archive size writing those rows again is what an added report would cost (1.6 GB at 1,500 reports).
So the rows are written in packs (`plan_packs`): once the rows of a build pass Settings.pack_bytes, they
go into sealed packs of about that size (`packs/<name>/`, the same files for some reports), and the
build folder keeps only the rest. The next build hard-links each sealed pack whose reports all stayed
the same (`linkable_packs`: their files were verified as the previous build was read), and writes only
the rest of its rows: the unsealed ones, the new and changed reports, and the reports of a pack that lost
or changed one. Measured in docs/operations.md.
"""
from __future__ import annotations

import json
import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Collection, Sequence

import numpy as np

from ..ingest import CorpusFile
from ..retriever.bm25_counts import TermCounts, concat_counts, load_counts, save_counts
from ..types import Report, ReportMeta
from .layout import SEGMENTS, TERM_COUNTS, TERM_LIST, IndexError_, in_dir, intact, row_dirs, write_json
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

    reports: dict[str, Report]  # by id, as the previous build read them (a linkable pack's without their text)
    segments: dict[str, Segment]  # by report id (a linkable pack's without their chunk lines)
    opened: Opened  # its vector files, for the vector cache to look new texts up in without reading them again
    packs: tuple[tuple[str, tuple[str, ...]], ...] = ()  # its sealed packs in row order: (name, report ids)
    partial: frozenset[str] = frozenset()  # the reports of the packs read to be linked (see `linkable_packs`)


def carried_files(sentence_vectors: bool, derived: bool) -> tuple[str, ...]:
    """The files of a row folder (a build, or one of its packs) that carrying its segments reads."""
    return ("reports.json", "chunks.jsonl", "vectors.npy", "vector_keys.json", SEGMENTS, TERM_COUNTS, TERM_LIST) + \
        (("sentences.npy", "sentences.json") if sentence_vectors else ()) + \
        (("headings.npy", "heading_keys.json") if derived else ())


def linkable_packs(record: dict[str, Any], files: Sequence[CorpusFile]) -> set[str]:
    """The sealed packs of a build whose every report's file (path and bytes) is still in the corpus: the next
    build may hard-link them instead of writing their rows again."""
    now = {(f.rel_path, f.fingerprint) for f in files}
    file_of = {f.get("report"): (f.get("rel_path"), f.get("fingerprint")) for f in record.get("files") or []
               if isinstance(f, dict)}
    return {str(p["name"]) for p in record.get("packs") or []
            if isinstance(p, dict) and all(file_of.get(r) in now for r in p.get("reports") or [])}


def read_carried(build: Path, record: dict[str, Any], sentence_vectors: bool, derived: bool,
                 linkable: Collection[str] = ()) -> Carried | None:
    """The previous build's reports and segments, None when its files are missing, corrupt or do not fit.

    record is the build's manifest (or sidecar), of the signature being built: its checksums vouch for
    every file read here. The packs named in `linkable` are read without their chunk lines and report
    texts (a build that links them never writes those again).
    """
    try:
        folders = row_dirs(record)
    except IndexError_ as exc:
        logger.info("not carrying over the reports of %s: %s", build.name, exc)
        return None
    if not all((build / in_dir(folder, SEGMENTS)).is_file() for folder in folders):
        return None  # written by a build that kept no segments
    names = [in_dir(folder, name) for folder in folders for name in carried_files(sentence_vectors, derived)]
    to_link = {folder for folder in folders if folder and folder.rpartition("/")[2] in linkable}
    # the files are parsed while they are hashed (hashing lets go of the GIL); nothing parsed is used
    # unless every file passes its checksum
    with ThreadPoolExecutor(max_workers=1) as pool:
        verified = pool.submit(intact, build, record.get("checksums") or {}, *names)
        try:
            parts = [_read(build, folder, sentence_vectors, derived, whole=folder not in to_link) for folder in folders]
        except Exception as exc:  # noqa: BLE001 — a damaged file may fail to parse in any way (a bad zip, …)
            parts, problem = [], f"{type(exc).__name__}: {exc}"
        if not verified.result():
            logger.info("not carrying over the reports of %s: one of its files is missing or corrupt", build.name)
            return None
    if not parts:
        logger.info("not carrying over the reports of %s: %s", build.name, problem)
        return None
    reports: dict[str, Report] = {}
    segments: dict[str, Segment] = {}
    files: dict[str, tuple[list[str], np.ndarray]] = {}
    partial: set[str] = set()
    for (own_reports, own_segments, own_files), folder in zip(parts, folders):
        reports.update(own_reports)
        segments.update(own_segments)
        files.update(own_files)
        if folder in to_link:
            partial.update(own_segments)
    packs = tuple((str(p["name"]), tuple(p["reports"])) for p in record.get("packs") or [])
    return Carried(reports=reports, segments=segments, opened=Opened(build, files), packs=packs,
                   partial=frozenset(partial))


def _read(build: Path, folder: str, sentence_vectors: bool, derived: bool, whole: bool = True
          ) -> tuple[dict[str, Report], dict[str, Segment], dict[str, tuple[list[str], np.ndarray]]]:
    """The reports, segments and vector files of one row folder; not whole: without chunk lines and report texts."""
    at = build / folder  # "": the build folder itself
    table = json.loads((at / SEGMENTS).read_text(encoding="utf-8"))
    ids: list[str] = table["reports"]
    passages: list[int] = table["passages"]  # where each report's passages begin, and the end
    if whole:
        raw = json.loads((at / "reports.json").read_text(encoding="utf-8"))
        reports = {r["meta"]["id"]: Report(meta=ReportMeta.from_dict(r["meta"]), text=r["text"]) for r in raw}
    else:
        reports = {m["id"]: Report(meta=ReportMeta.from_dict(m), text="") for m in table["metas"]}
    vectors = np.load(at / "vectors.npy", mmap_mode="r")
    lines = (at / "chunks.jsonl").read_bytes().splitlines(keepends=True) if whole else None
    keys = json.loads((at / "vector_keys.json").read_text(encoding="utf-8"))
    terms = load_counts(at / TERM_COUNTS, at / TERM_LIST)
    n = passages[-1] if passages else 0
    if len(passages) != len(ids) + 1 or not (len(vectors) == len(keys) == terms.n_rows == n) or \
            (lines is not None and len(lines) != n) or set(ids) != set(reports):
        raise ValueError("its passage files do not have a row for each passage")
    if sentence_vectors:
        sentences = np.load(at / "sentences.npy", mmap_mode="r")
        rows = json.loads((at / "sentences.json").read_text(encoding="utf-8"))
        starts: list[int] = table["sentences"]
        spans = list(zip(rows["start"], rows["end"], rows["key"]))
        if len(starts) != len(ids) + 1 or not (len(spans) == len(sentences) == starts[-1]):
            raise ValueError("its sentence files do not have a row for each sentence")
    else:
        sentences, spans, starts = np.zeros((0, vectors.shape[1]), np.float16), [], [0] * (len(ids) + 1)
    heading_of: list[int] = table.get("heading_of") or []
    heads = np.load(at / "headings.npy", mmap_mode="r") if derived else None
    head_keys = json.loads((at / "heading_keys.json").read_text(encoding="utf-8")) if derived else []
    if derived and (len(heading_of) != n or len(head_keys) != len(heads)):  # type: ignore[arg-type]
        raise ValueError("its headings do not fit its passages")
    segments: dict[str, Segment] = {}
    for i, rid in enumerate(ids):
        a, b = passages[i], passages[i + 1]
        s, e = starts[i], starts[i + 1]
        mine = heading_of[a:b]
        segments[rid] = Segment(
            report=rid, lines=lines[a:b] if lines is not None else [], chunk_keys=keys[a:b], vectors=vectors[a:b],
            sentences=spans[s:e], sentence_vectors=sentences[s:e], headings=[head_keys[h] for h in mine],
            heading_vectors=heads[mine] if heads is not None else None, terms=terms.rows(a, b))
    files = {in_dir(folder, "vectors.npy"): (keys, vectors)}
    if sentence_vectors:
        files[in_dir(folder, "sentences.npy")] = (rows["key"], sentences)
    if heads is not None:
        files[in_dir(folder, "headings.npy")] = (head_keys, heads)
    return reports, segments, files


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


def passage_vectors(segments: Sequence[Segment], dim: int) -> np.ndarray:
    """The passage vectors of every segment, one after the other (float32)."""
    vectors = np.concatenate([s.vectors for s in segments]) if segments else np.zeros((0, dim), np.float32)
    return vectors.astype(np.float32, copy=False)


def plan_packs(segments: Sequence[Segment], pack_bytes: int) -> tuple[list[list[Segment]], list[Segment]]:
    """The rows a build writes, cut into packs to seal (each of about pack_bytes, reports whole, in order) and
    the rest, which the build folder holds itself and the next build writes again. pack_bytes 0: no packs."""
    sealed: list[list[Segment]] = []
    group: list[Segment] = []
    size = 0
    for seg in segments:
        group.append(seg)
        size += _size(seg)
        if pack_bytes and size >= pack_bytes:
            sealed.append(group)
            group, size = [], 0
    return sealed, group


def _size(seg: Segment) -> int:
    """About the bytes a segment takes on disk."""
    return sum(map(len, seg.lines)) + seg.vectors.nbytes + seg.sentence_vectors.nbytes + 60 * len(seg.sentences) + \
        8 * len(seg.terms.columns)


def write_segments(out: Path, reports: Sequence[Report], segments: Sequence[Segment], sentence_vectors: bool,
                   derived: bool, dim: int, written: Callable[[Path], None] = lambda path: None) -> None:
    """Write the row files of these reports into the folder `out` (a build, or one of its packs): reports.json,
    every file with a row per passage or sentence, and segments.json; `written` is told of each file once it
    is complete."""
    out.mkdir(parents=True, exist_ok=True)
    write_json(out / "reports.json", [{"meta": r.meta.to_dict(), "text": r.text} for r in reports])
    written(out / "reports.json")
    with open(out / "chunks.jsonl", "wb") as f:
        for seg in segments:
            f.writelines(seg.lines)
    written(out / "chunks.jsonl")
    _save_rows(out / "vectors.npy", [s.vectors for s in segments], dim, np.float32)
    written(out / "vectors.npy")
    (out / "vector_keys.json").write_text(json.dumps([k for s in segments for k in s.chunk_keys]), encoding="utf-8")
    passages = np.cumsum([0] + [len(s.chunk_keys) for s in segments]).tolist()
    table: dict[str, Any] = {"reports": [s.report for s in segments], "passages": passages,
                             "metas": [r.meta.to_dict() for r in reports]}
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
    save_counts(concat_counts([s.terms for s in segments]), out / TERM_COUNTS, out / TERM_LIST)
    (out / SEGMENTS).write_text(json.dumps(table, ensure_ascii=False), encoding="utf-8")
