"""Loading an index into memory: the live build, or the newest build that is intact, checked as it is read.

A server must answer at once, so besides `load_index` (the live build, verified) there is
`last_good_index`: a damaged live build is passed over for the build before it while it is repaired,
and a build whose only damage is its manifest serves as its sidecar describes it. The stats of the
files taken at load are what `watch.BuildWatch` later compares against.
"""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from ..retriever.ann import live_entries
from ..types import Chunk, Report, ReportMeta
from .layout import INDEX_FORMAT, SIDECAR, FileStat, IndexError_, current_build, file_stat, live_first, \
    load_manifest, read_chunks, read_pointer, read_sidecar, row_dirs, verify_build

logger = logging.getLogger(__name__)


@dataclass
class IndexData:
    """A loaded index: everything retrieval and extraction need, in memory."""

    path: Path
    manifest: dict[str, Any]
    reports: dict[str, Report]
    chunks: list[Chunk]
    tokens: list[list[str]]
    vectors: np.ndarray
    faiss_index: Any
    bm25: Any
    sentence_vectors: np.ndarray | None = None  # (n, dim) float16, normalized; None when not built
    sentence_rows: dict[tuple[str, int, int], int] = field(default_factory=dict)
    # (inode, size, mtime_ns, ctime_ns) of each file as it was verified at load: what `BuildWatch` compares
    file_stats: dict[str, FileStat | None] = field(default_factory=dict)
    # damage known at load: set when the build serves from its sidecar because manifest.json is damaged
    damage: str | None = None

    @property
    def encoder_name(self) -> str:
        return str(self.manifest["encoder"])

    def sentence_row(self, report_id: str, start: int, end: int) -> int | None:
        """Row of a sentence's vector, for a span as `text.sentence_spans` cuts a chunk (else None)."""
        return self.sentence_rows.get((report_id, start, end))

    def sentence_vectors_for(self, report_id: str, spans: Sequence[tuple[int, int]]) -> np.ndarray:
        """Vectors (float32, one row per span) of sentences of a report; a span without one gets a zero row."""
        dim = int(self.vectors.shape[1]) if self.vectors.ndim == 2 else 0
        out = np.zeros((len(spans), dim), dtype=np.float32)
        if self.sentence_vectors is None:
            return out
        for i, (s, e) in enumerate(spans):
            row = self.sentence_rows.get((report_id, s, e))
            if row is not None:
                out[i] = self.sentence_vectors[row]
        return out


def load_index(index_dir: Path, verify: bool = True) -> IndexData:
    """Load the live build; raises IndexError_ when it is missing or fails its checksums.

    A build that vanishes while we read it (replaced and cleaned up by a concurrent
    build) is retried once with the new CURRENT.
    """
    try:
        return _load_build(index_dir, verify)
    except IndexError_:
        build = current_build(index_dir)
        if build is None or not (build / "manifest.json").exists():
            raise
        return _load_build(index_dir, verify)


def last_good_index(index_dir: Path) -> IndexData | None:
    """The newest build of index_dir that loads and passes its checksums: the live one, else an earlier one.

    For a server that must answer at once: a damaged live build is repaired in the background
    while the build before it serves. A build whose only damage is its manifest serves from its
    sidecar (every file passing the sidecar's checksums), with `IndexData.damage` saying so.
    """
    if not index_dir.is_dir():
        return None
    for build in live_first(index_dir):
        try:  # an index of the previous format still answers while the new one is built
            return _load_build(index_dir, verify=True, build=build, formats=(INDEX_FORMAT, 1), sidecar_ok=True)
        except (IndexError_, OSError) as exc:
            logger.warning("index build %s is not usable: %s", build.name, exc)
    return None


def _load_build(index_dir: Path, verify: bool, build: Path | None = None,
                formats: tuple[int, ...] = (INDEX_FORMAT,), sidecar_ok: bool = False) -> IndexData:
    import bm25s
    import faiss

    if build is None:
        build, problem = read_pointer(index_dir)
        if build is None:
            raise IndexError_(problem or f"no index in {index_dir}")
    manifest, damage = load_manifest(build)
    if manifest is None:
        sidecar = read_sidecar(build) if sidecar_ok else None
        if sidecar is None:
            raise IndexError_(damage or f"unreadable manifest in {build.name}")
        manifest = sidecar
        logger.warning("%s; serving %s as its %s describes it until it is repaired", damage, build.name, SIDECAR)
    else:
        damage = None
    if (manifest.get("signature") or {}).get("format") not in formats:
        raise IndexError_(f"index {build.name} has an older format; it must be rebuilt")
    # stat before hashing: a change after the check is then seen by BuildWatch
    stats = {rel: file_stat(build / rel) for rel in [*(manifest.get("checksums") or {}), "manifest.json"]}
    if verify:
        problem = verify_build(build, manifest)
        if problem:
            raise IndexError_(problem)
    try:
        reports: dict[str, Report] = {}
        chunks, tokens, parts, sentence_parts = [], [], [], []
        sentence_rows: dict[tuple[str, int, int], int] = {}
        for folder in row_dirs(manifest):  # the build's sealed packs, then its own rows
            at = build / folder  # "": the build folder itself
            raw_reports = json.loads((at / "reports.json").read_text(encoding="utf-8"))
            reports.update((r["meta"]["id"], Report(meta=ReportMeta.from_dict(r["meta"]), text=r["text"]))
                           for r in raw_reports)
            own_chunks, own_tokens = read_chunks(at / "chunks.jsonl")
            chunks += own_chunks
            tokens += own_tokens
            parts.append(np.load(at / "vectors.npy"))
            if (at / "sentences.npy").exists():
                base = sum(len(p) for p in sentence_parts)
                sentence_parts.append(np.load(at / "sentences.npy"))
                table = json.loads((at / "sentences.json").read_text(encoding="utf-8"))
                ids = table["reports"]
                sentence_rows.update(((ids[r], s, e), base + i) for i, (r, s, e) in
                                     enumerate(zip(table["report"], table["start"], table["end"])))
        vectors = parts[0] if len(parts) == 1 else np.concatenate(parts)
        sentence_vectors = None if not sentence_parts else \
            sentence_parts[0] if len(sentence_parts) == 1 else np.concatenate(sentence_parts)
        faiss_index = faiss.read_index(str(build / "dense.faiss"))
        bm25 = bm25s.BM25.load(str(build / "bm25"))
    except Exception as exc:
        raise IndexError_(f"cannot load index {build.name}: {type(exc).__name__}: {exc}") from exc
    if len(chunks) != len(vectors) or live_entries(faiss_index) != len(chunks):
        raise IndexError_(f"index {build.name} is inconsistent ({len(chunks)} chunks, {len(vectors)} vectors)")
    if sentence_vectors is not None and len(sentence_vectors) != len(sentence_rows):
        raise IndexError_(f"index {build.name} is inconsistent (sentence vectors and their table differ)")
    return IndexData(path=build, manifest=manifest, reports=reports, chunks=chunks, tokens=tokens,
                     vectors=vectors, faiss_index=faiss_index, bm25=bm25, sentence_vectors=sentence_vectors,
                     sentence_rows=sentence_rows, file_stats=stats, damage=damage)
