"""Building an index: incremental, one build at a time per index directory, switched to atomically.

A build is the one slow and crash-prone thing done to an index. It reads the corpus (corpus.py),
reuses the chunks of unchanged files and every vector the vector cache has (vectors.py), embeds only
the rest, writes a fresh build folder and only then points CURRENT at it (layout.py), so a build
killed midway leaves the previous index serving. Builds take an exclusive lock on `.build.lock` in
the index directory: two builds at once run one after the other (the second reuses the first's work)
instead of racing on CURRENT and on the cleanup of old builds. Readers never lock.
"""
from __future__ import annotations


import json
import logging
import os
import shutil
import time
from contextlib import contextmanager
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any, Callable, Iterator

import numpy as np

from ..chunking import chunk_report
from ..config import Settings
from ..encoders import Encoder, load_encoder
from ..ingest import discover
from ..retriever.ann import dead_entries, dense_kind, grow_dense_index, make_dense_index
from ..text import sentence_spans, tokenize_passage
from ..types import Chunk, Report
from .corpus import CorpusReport, build_signature, corpus_record, read_corpus, resolve_corpus, staleness
from .layout import DENSE_ROWS, LOCK, SIDECAR, IndexError_, cleanup_old_builds, file_sha256, fsync_dir, intact, \
    new_build_dirs, previous_build, read_chunks, remove_leftovers, switch_current, write_json
from .load import IndexData, load_index
from .vectors import EMBEDDING_CACHE, IN_BUILD, Found, VectorCache, vector_key

logger = logging.getLogger(__name__)

Progress = Callable[[int, int], None]  # (passages embedded so far, passages to embed)


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


def build_index(
    settings: Settings,
    encoder: Encoder | None = None,
    progress: bool = True,
    on_stage: Callable[[str], None] | None = None,
    on_progress: Progress | None = None,
    cache_file: bool | None = None,
) -> Path:
    """Build (incrementally) the index for the corpus into settings.index_dir, atomically.

    The corpus is settings.corpus_dir when chosen explicitly, else the folder the index was
    built from. Waits for a build of the same index directory running in another process.
    The vector cache file (Settings.embedding_cache) is used when the build loads its own encoder
    or when cache_file is True; an encoder given by the caller otherwise embeds exactly the texts
    no build of the index has a vector for.
    """
    with build_lock(settings.index_dir):
        return _build_locked(resolve_corpus(settings), encoder, progress, on_stage, on_progress, cache_file)


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


# ------------------------------------------------------------------ one build

@dataclass(frozen=True)
class _Passages:
    """A report's chunks and, aligned with them, their tokens."""

    chunks: list[Chunk]
    tokens: list[list[str]]


@dataclass(frozen=True)
class _Vectors:
    """A build's vectors, and what the manifest says about where they came from."""

    chunks: np.ndarray  # float32, a row per chunk
    sentences: np.ndarray  # float16, a row per sentence
    counts: dict[str, int]  # the manifest's (see _vectors)
    embedded_now: int  # texts the encoder embedded for this build (the counts include cache-file hits)
    headings: tuple[list[str], np.ndarray] | None = None  # derived passages: (keys, float16 vectors) of the headings


@dataclass(frozen=True)
class _Content:
    """Everything a build folder holds, ready to be written."""

    files: list[dict[str, Any]]  # the corpus files indexed: rel_path, fingerprint, report id, text key
    skipped: list[dict[str, str]]  # the corpus files left out, each with its reason
    reports: list[Report]
    chunks: list[Chunk]
    tokens: list[list[str]]
    chunk_keys: list[str]  # vector_key of each chunk's embedded text
    sentences: list[tuple[str, int, int, str]]  # (report id, start, end, vector key)
    vectors: _Vectors


def _build_locked(settings: Settings, encoder: Encoder | None, progress: bool,
                  on_stage: Callable[[str], None] | None, on_progress: Progress | None = None,
                  cache_file: bool | None = None) -> Path:
    t0 = time.perf_counter()
    index_dir = settings.index_dir
    index_dir.mkdir(parents=True, exist_ok=True)
    remove_leftovers(index_dir)
    files = discover(settings.corpus_dir)
    own_encoder = encoder is None
    if encoder is None:  # an encoder given by the caller is used as it is
        encoder = load_encoder(settings.model)
    signature = build_signature(settings, encoder.name)

    found = previous_build(index_dir)
    previous = found[1] if found is not None and found[1].get("signature") == signature else None
    skipped: list[dict[str, str]] = []
    docs = read_corpus(settings, files, previous, skipped)
    passages = _chunk_docs(settings, docs, _reusable_chunks(found[0], previous) if found and previous else {})
    reports = [d.report for d in docs]
    by_id = {r.meta.id: r for r in reports}
    chunks = [c for p in passages for c in p.chunks]
    derived = settings.passage_vectors == "derived" and settings.sentence_vectors
    if settings.passage_vectors not in ("derived", "embedded"):
        raise ValueError(f"Settings.passage_vectors is {settings.passage_vectors!r}: 'derived' or 'embedded'")
    chunk_texts = [(_heading_text if derived else _embed_text)(c, by_id[c.report_id]) for c in chunks]
    sentences = _sentence_rows(docs, passages) if settings.sentence_vectors else []

    use_file = settings.embedding_cache and (own_encoder if cache_file is None else cache_file)
    cache = VectorCache(index_dir, encoder,
                        (settings.embedding_cache_path or index_dir / EMBEDDING_CACHE) if use_file else None)
    try:
        vectors = _vectors(settings, cache, chunk_texts, [s[3] for s in sentences], progress, on_stage, on_progress,
                           threads=settings.build_threads if own_encoder else None)
    finally:
        cache.close()
    chunk_keys = [vector_key(t) for t in chunk_texts]
    if derived:
        vectors, chunk_keys = _derived_passages(vectors, chunks, chunk_keys, sentences, by_id,
                                                settings.heading_weight)
    content = _Content(
        files=[{"rel_path": d.file.rel_path, "fingerprint": d.file.fingerprint, "report": d.report.meta.id,
                "text_key": d.key} for d in docs],
        skipped=skipped, reports=reports, chunks=chunks, tokens=[t for p in passages for t in p.tokens],
        chunk_keys=chunk_keys, sentences=[(r, s, e, vector_key(text)) for r, s, e, text in sentences],
        vectors=vectors)
    tmp, final = new_build_dirs(index_dir)
    tmp.mkdir(parents=True)
    try:
        _write_build(tmp, settings, signature, content, seconds=time.perf_counter() - t0,
                     grow_from=found if found is not None and previous is not None else None)
        os.replace(tmp, final)
        switch_current(index_dir, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    cleanup_old_builds(index_dir, live=final.name)
    logger.info("index built: %d reports, %d chunks, %d sentences (%d texts embedded, %d chunk vectors reused), "
                "%d skipped, %.1fs", len(reports), len(chunks), len(sentences), vectors.embedded_now,
                vectors.counts["reused"], len(skipped), time.perf_counter() - t0)
    return final


def _reusable_chunks(build: Path, record: dict[str, Any]) -> dict[str, tuple[str, _Passages]]:
    """(report id, passages) of the previous build by file fingerprint, when its chunks.jsonl passes its checksum.

    record is the build's manifest (or, when that is damaged, its sidecar), of the signature being built.
    """
    if not intact(build, record.get("checksums") or {}, "chunks.jsonl"):
        logger.info("not reusing the chunks of %s: chunks.jsonl is missing or corrupt", build.name)
        return {}
    try:
        chunks, tokens = read_chunks(build / "chunks.jsonl")
    except (OSError, ValueError, KeyError, TypeError) as exc:
        logger.info("not reusing the chunks of %s: %s", build.name, exc)
        return {}
    by_report: dict[str, _Passages] = {}
    for chunk, toks in zip(chunks, tokens):
        entry = by_report.setdefault(chunk.report_id, _Passages([], []))
        entry.chunks.append(chunk)
        entry.tokens.append(toks)
    return {f["fingerprint"]: (f["report"], by_report[f["report"]]) for f in record.get("files", [])
            if f["report"] in by_report}


def _chunk_docs(settings: Settings, docs: list[CorpusReport],
                previous: dict[str, tuple[str, _Passages]]) -> list[_Passages]:
    """Chunks and tokens of each report: reused for an unchanged file, else made (and capped)."""
    cap = settings.max_passages_per_report
    out: list[_Passages] = []
    for doc in docs:
        old = previous.get(doc.file.fingerprint)
        if old is not None and old[0] == doc.report.meta.id:
            out.append(old[1])
            continue
        chunks = chunk_report(doc.report, settings.chunking, settings.max_chunk_chars,
                              settings.chunk_overlap_sentences, settings.fixed_chunk_chars)
        if len(chunks) > cap:
            logger.warning("%s: %d passages, over the limit of %d (Settings.max_passages_per_report); "
                           "only the first %d are indexed", doc.file.rel_path, len(chunks), cap, cap)
            chunks = chunks[:cap]
        out.append(_Passages(chunks, [tokenize_passage(" ".join(c.section_path[-2:]) + " " + c.text) for c in chunks]))
    return out


def _sentence_rows(docs: list[CorpusReport], passages: list[_Passages]) -> list[tuple[str, int, int, str]]:
    """(report id, start, end, text) of every sentence of every chunk, once per report (chunks overlap)."""
    rows = []
    for doc, own in zip(docs, passages):
        text = doc.report.text
        spans: set[tuple[int, int]] = set()
        for chunk in own.chunks:
            spans.update(sentence_spans(text, chunk.start, chunk.end))
        rows.extend((doc.report.meta.id, s, e, text[s:e]) for s, e in sorted(spans))
    return rows


def _embed_text(chunk: Chunk, report: Report) -> str:
    """What the encoder sees for a chunk: report, section path and text together."""
    return f"{report.meta.title} | {chunk.section}\n{chunk.text}"


def _heading_text(chunk: Chunk, report: Report) -> str:
    """What the encoder sees of a passage whose vector is derived: the report and the section path."""
    return f"{report.meta.title} | {chunk.section}"


def _derived_passages(vectors: _Vectors, chunks: list[Chunk], heading_keys: list[str],
                      sentences: list[tuple[str, int, int, str]], reports: dict[str, Report],
                      weight: float) -> tuple[_Vectors, list[str]]:
    """Passage vectors made of vectors the build has anyway: (1 - weight) x the mean of the passage's
    sentence vectors (normalized) + weight x its heading's, normalized; a passage without sentences
    keeps its heading's. `vectors.chunks` holds the headings' vectors, a row per passage.

    Each is keyed by what it is made of (never by a text an encoder saw), so the vector cache cannot
    give it for its heading's text.
    """
    rows = {(r, s, e): i for i, (r, s, e, _) in enumerate(sentences)}
    sentence_keys = [vector_key(text) for _, _, _, text in sentences]
    first = dict(zip(reversed(heading_keys), range(len(heading_keys) - 1, -1, -1)))  # a heading's first passage
    heads = (list(first), vectors.chunks[list(first.values())].astype(np.float16))
    out = np.empty_like(vectors.chunks)
    keys: list[str] = []
    for i, chunk in enumerate(chunks):
        text = reports[chunk.report_id].text
        mine = [r for r in (rows.get((chunk.report_id, s, e)) for s, e in sentence_spans(text, chunk.start, chunk.end))
                if r is not None]
        heading = vectors.chunks[i].astype(np.float16).astype(np.float32)  # as kept: the same from a cache
        if mine:
            mean = vectors.sentences[mine].astype(np.float32).mean(axis=0)
            vec = (1 - weight) * mean / max(float(np.linalg.norm(mean)), 1e-9) + weight * heading
        else:
            vec = heading
        out[i] = vec / max(float(np.linalg.norm(vec)), 1e-9)
        keys.append(vector_key("\x00".join(["derived", str(weight), heading_keys[i], *(sentence_keys[r] for r in mine)])))
    return replace(vectors, chunks=out, headings=heads), keys


# ------------------------------------------------------------------ vectors

def _vectors(settings: Settings, cache: VectorCache, chunk_texts: list[str], sentence_texts: list[str],
             progress: bool, on_stage: Callable[[str], None] | None, on_progress: Progress | None,
             threads: int | None) -> _Vectors:
    """A vector for every chunk and sentence: from the vector cache, else embedded (and kept in it).

    The manifest's counts: embedded = texts no build of the index had a vector for (embedded now or
    found in the cache file) plus the texts embedded to prove the encoder of a build without a
    record; reused = chunk vectors found in the index's builds.
    """
    chunk_keys = [vector_key(t) for t in chunk_texts]
    sentence_keys = [vector_key(t) for t in sentence_texts]
    chunk_wanted = dict(zip(chunk_keys, chunk_texts))
    sentence_wanted = {k: t for k, t in zip(sentence_keys, sentence_texts) if k not in chunk_wanted}
    for_chunks = cache.lookup(chunk_wanted, np.float32)
    for_sentences = cache.lookup(sentence_wanted, np.float16)
    chunk_pos = {k: i for i, k in enumerate(for_chunks.keys)}
    sentence_pos = {k: i for i, k in enumerate(for_sentences.keys)}
    reused = sum(1 for k in chunk_keys if for_chunks.source[chunk_pos[k]] == IN_BUILD)
    todo: list[tuple[Found, int]] = [(for_chunks, i) for i in for_chunks.missing()] + \
        [(for_sentences, i) for i in for_sentences.missing()]  # chunks first
    if on_stage:
        on_stage(f"embedding {len(todo)} passages ({reused} reused)")
    if todo:
        texts = [(chunk_wanted if found is for_chunks else sentence_wanted)[found.keys[i]] for found, i in todo]

        def keep(start: int, batch: np.ndarray) -> None:
            for (found, i), vec in zip(todo[start:start + len(batch)], batch):
                found.vectors[i] = vec
            cache.add(texts[start:start + len(batch)], batch)

        with _threads(cache.encoder, threads):
            _embed(texts, cache.encoder, settings.embed_batch_size, progress, on_progress, keep)
    elif on_progress:
        on_progress(0, 0)

    sentences = np.empty((len(sentence_keys), cache.dim), np.float16)
    own = np.fromiter((k in sentence_pos for k in sentence_keys), bool, len(sentence_keys))
    sentences[own] = for_sentences.vectors[[sentence_pos[k] for k in sentence_keys if k in sentence_pos]]
    sentences[~own] = for_chunks.vectors[[chunk_pos[k] for k in sentence_keys if k not in sentence_pos]]
    embedded_chunks = int(np.count_nonzero(for_chunks.source != IN_BUILD))
    embedded_sentences = int(np.count_nonzero(for_sentences.source != IN_BUILD))
    # embedded_checks: texts embedded to confirm the encoder of vectors whose build kept no readable record
    counts = {"embedded": embedded_chunks + embedded_sentences + cache.checks, "embedded_chunks": embedded_chunks,
              "embedded_sentences": embedded_sentences, "embedded_checks": cache.checks, "reused": reused,
              "n_sentences": len(sentence_keys)}
    return _Vectors(chunks=for_chunks.vectors[[chunk_pos[k] for k in chunk_keys]], sentences=sentences, counts=counts,
                    embedded_now=len(todo))


@contextmanager
def _threads(encoder: Encoder, threads: int | None) -> Iterator[None]:
    """Embed with more threads for a while (a build run on its own has the machine's cores to itself)."""
    saved = getattr(encoder, "threads", None)
    if threads is None or saved is None or threads <= saved:
        yield
        return
    encoder.threads = threads  # type: ignore[attr-defined]
    try:
        yield
    finally:
        encoder.threads = saved  # type: ignore[attr-defined]


def _embed(texts: list[str], encoder: Encoder, batch_size: int, progress: bool, on_progress: Progress | None,
           keep: Callable[[int, np.ndarray], None]) -> None:
    """Embed texts batch by batch, handing each batch's vectors to keep(start, vectors) as they come."""
    try:
        from tqdm import tqdm
    except ImportError:  # pragma: no cover
        tqdm = None
    bar = tqdm(total=len(texts), desc="embedding passages", unit="text", disable=not progress) if tqdm else None
    if on_progress:
        on_progress(0, len(texts))
    # an encoder that spreads work (Ray) asks for large hand-overs; batches within them are its own business
    batch_size = getattr(encoder, "bulk_batch", None) or batch_size
    for i in range(0, len(texts), batch_size):
        batch = texts[i:i + batch_size]
        keep(i, np.asarray(encoder.encode_passages(batch), dtype=np.float32))
        if bar:
            bar.update(len(batch))
        if on_progress:
            on_progress(min(i + batch_size, len(texts)), len(texts))
    if bar:
        bar.close()


# ------------------------------------------------------------------ writing a build

def _dense_rows(content: _Content) -> list[str]:
    """A name for each row of the passage vectors: its report and vector key (and which occurrence of them)."""
    seen: dict[str, int] = {}
    rows = []
    for chunk, key in zip(content.chunks, content.chunk_keys):
        name = f"{chunk.report_id}\t{key}"
        seen[name] = seen.get(name, 0) + 1
        rows.append(name if seen[name] == 1 else f"{name}\t{seen[name]}")
    return rows


def _grown_graph(grow_from: tuple[Path, dict[str, Any]], vectors: np.ndarray, rows: list[str],
                 settings: Settings) -> Any | None:
    """The previous build's HNSW graph grown to this build's rows (see ann.grow_dense_index), or None."""
    import faiss

    build, record = grow_from
    if not (build / DENSE_ROWS).is_file():
        return None
    if not intact(build, record.get("checksums") or {}, "dense.faiss", DENSE_ROWS):
        logger.info("not growing the graph of %s: dense.faiss or %s is missing or corrupt", build.name, DENSE_ROWS)
        return None
    try:
        previous = faiss.read_index(str(build / "dense.faiss"))
        previous_rows = json.loads((build / DENSE_ROWS).read_text(encoding="utf-8"))
    except (OSError, RuntimeError, ValueError) as exc:
        logger.info("not growing the graph of %s: %s", build.name, exc)
        return None
    return grow_dense_index(previous, previous_rows, vectors, rows, settings)


def _write_build(out: Path, settings: Settings, signature: dict[str, Any], content: _Content, seconds: float,
                 grow_from: tuple[Path, dict[str, Any]] | None = None) -> None:
    """Write every file of a build into `out`; grow_from: a previous build of the same signature (and its record),
    whose HNSW graph this build may grow instead of building one."""
    import bm25s
    import faiss

    vectors = content.vectors.chunks
    write_json(out / "reports.json", [{"meta": r.meta.to_dict(), "text": r.text} for r in content.reports])
    with open(out / "chunks.jsonl", "w", encoding="utf-8") as f:
        names = [f.name for f in fields(Chunk)]  # asdict copies every field deeply: 6 s at 165,000 passages
        for chunk, toks in zip(content.chunks, content.tokens):
            row = {name: getattr(chunk, name) for name in names}
            row["tokens"] = toks
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    np.save(out / "vectors.npy", vectors)
    (out / "vector_keys.json").write_text(json.dumps(content.chunk_keys), encoding="utf-8")
    if settings.sentence_vectors:
        sentences = content.sentences
        np.save(out / "sentences.npy", content.vectors.sentences)
        ids = sorted({r for r, _, _, _ in sentences})
        pos = {r: i for i, r in enumerate(ids)}
        (out / "sentences.json").write_text(json.dumps({
            "reports": ids, "report": [pos[r] for r, _, _, _ in sentences],
            "start": [s for _, s, _, _ in sentences], "end": [e for _, _, e, _ in sentences],
            "key": [k for _, _, _, k in sentences]}, ensure_ascii=False), encoding="utf-8")
    if content.vectors.headings is not None:
        keys, heads = content.vectors.headings
        np.save(out / "headings.npy", heads)
        (out / "heading_keys.json").write_text(json.dumps(keys), encoding="utf-8")
    dense = None
    if dense_kind(len(vectors), settings) == "hnsw":  # a graph: name its rows, so that the next build can grow it
        rows = _dense_rows(content)
        (out / DENSE_ROWS).write_text(json.dumps(rows, ensure_ascii=False), encoding="utf-8")
        dense = _grown_graph(grow_from, vectors, rows, settings) if grow_from is not None else None
    if dense is None:
        dense = make_dense_index(vectors, settings)
    faiss.write_index(dense, str(out / "dense.faiss"))
    bm25 = bm25s.BM25(k1=1.2, b=0.75)
    bm25.index([t or ["<empty>"] for t in content.tokens] or [["<empty>"]], show_progress=False)
    bm25.save(str(out / "bm25"))
    checksums = {p.relative_to(out).as_posix(): file_sha256(p) for p in sorted(out.rglob("*")) if p.is_file()}
    # the sidecar: what a rebuild needs to trust and reuse this build's files, kept apart from the
    # manifest so that a half-written manifest.json does not lose it (the manifest checks the sidecar)
    record = {"signature": signature, "encoder": signature["encoder"], "dim": int(vectors.shape[1]),
              "corpus": corpus_record(settings.corpus_dir, settings.index_dir), "files": content.files,
              "checksums": checksums}
    write_json(out / SIDECAR, record)
    checksums = {**checksums, SIDECAR: file_sha256(out / SIDECAR)}
    manifest = {
        "signature": signature,
        "encoder": signature["encoder"],
        "dim": int(vectors.shape[1]),
        "corpus": record["corpus"],
        "files": content.files,
        "skipped": content.skipped,
        "reports": [r.meta.id for r in content.reports],
        "n_chunks": len(content.chunks),
        "dense_index": dense_kind(len(vectors), settings),  # "flat" (exact) or "hnsw" (approximate)
        "dense_masked": dead_entries(dense),  # graph entries of passages no longer indexed (grown graphs)
        # embedded: texts no build of the index had (embedded, or found in the vector cache file);
        # reused: chunk vectors found in the index's builds (see _vectors)
        **content.vectors.counts,
        "build_seconds": round(seconds, 2),
        "built_at": time.strftime("%Y-%m-%dT%H:%M:%S"),
        "checksums": checksums,
    }
    write_json(out / "manifest.json", manifest)
    for p in out.rglob("*"):
        if p.is_file():
            with open(p, "rb+") as f:
                os.fsync(f.fileno())
    fsync_dir(out)
