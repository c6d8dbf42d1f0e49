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
import threading
import time
from collections import Counter
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any, Callable, Iterator

import numpy as np

from ..chunking import chunk_report
from ..config import Settings
from ..encoders import Encoder, load_encoder
from ..ingest import CorpusFile, UnreadableReport, discover, load_report
from ..retriever.ann import dead_entries, dense_kind, grow_dense_index, make_dense_index
from ..retriever.bm25_counts import bm25_index, concat_counts, count_terms
from ..text import passage_tokenizer, sentence_spans, tokenize_passage
from ..types import Chunk, Report
from .corpus import CorpusReport, build_signature, skip_file, corpus_record, read_corpus, resolve_corpus, staleness
from .layout import DENSE_ROWS, LOCK, PACKS, SIDECAR, IndexError_, Sealer, cleanup_old_builds, file_sha256, fsync_dir, \
    intact, new_build_dirs, new_pack_name, previous_build, remove_leftovers, switch_current, write_json
from .load import IndexData, load_index
from .segments import Carried, Segment, linkable_packs, passage_vectors, plan_packs, read_carried, write_segments
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
    headings: np.ndarray | None = None  # derived passages: each passage's heading vector (float16)


@dataclass(frozen=True)
class _Content:
    """Everything a build folder holds, ready to be written."""

    files: list[dict[str, Any]]  # the corpus files indexed: rel_path, fingerprint, report id, text key
    skipped: list[dict[str, str]]  # the corpus files left out, each with its reason
    reports: list[Report]  # in corpus order; those of linked packs without their text
    segments: dict[str, Segment]  # each report's rows, by id (those of linked packs without their chunk lines)
    linked: list[tuple[str, tuple[str, ...]]]  # the previous build's sealed packs this one hard-links: (name, ids)
    previous_graph: Future[tuple[Any, list[str]] | None] | None  # the previous build's graph, being read
    counts: dict[str, int]  # the manifest's: texts embedded, vectors reused (see _vectors)


def _build_locked(settings: Settings, encoder: Encoder | None, progress: bool,
                  on_stage: Callable[[str], None] | None, on_progress: Progress | None = None,
                  cache_file: bool | None = None) -> Path:
    t0 = time.perf_counter()
    index_dir = settings.index_dir
    index_dir.mkdir(parents=True, exist_ok=True)
    remove_leftovers(index_dir)
    if settings.passage_vectors not in ("derived", "embedded"):
        raise ValueError(f"Settings.passage_vectors is {settings.passage_vectors!r}: 'derived' or 'embedded'")
    files = discover(settings.corpus_dir)
    own_encoder = encoder is None
    if encoder is None:  # an encoder given by the caller is used as it is
        encoder = load_encoder(settings.model)
    signature = build_signature(settings, encoder.name)

    found = previous_build(index_dir)
    previous = found[1] if found is not None and found[1].get("signature") == signature else None
    derived = settings.passage_vectors == "derived" and settings.sentence_vectors
    # the previous build's graph, which this build may grow, is read on another thread from the start
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="graph-read") as early:
        previous_graph = early.submit(_previous_graph, found) \
            if found is not None and previous is not None and (found[0] / DENSE_ROWS).is_file() else None
        # jieba loads on another thread while the previous build's files are verified (hashing lets go of the GIL)
        warm = threading.Thread(target=passage_tokenizer, name="jieba-load", daemon=True)
        warm.start()
        carried = read_carried(found[0], previous, settings.sentence_vectors, derived,
                               linkable_packs(previous, files)) if found is not None and previous is not None else None
        warm.join()
        skipped: list[dict[str, str]] = []
        docs = read_corpus(settings, files, previous, skipped, _known_reports(previous, carried))
        kept = _unchanged(docs, previous, carried)
        linked = [(name, ids) for name, ids in carried.packs if ids and all(r in kept for r in ids)] \
            if carried is not None else []
        in_linked = {r for _, ids in linked for r in ids}
        if carried is not None and carried.partial - in_linked:  # read to be linked, but their pack changed after all
            kept = {r: seg for r, seg in kept.items() if r in in_linked or r not in carried.partial}
            docs = _read_again(settings, docs, carried.partial - in_linked, skipped)
        fresh = [d for d in docs if d.report.meta.id not in kept]

        use_file = settings.embedding_cache and (own_encoder if cache_file is None else cache_file)
        cache = VectorCache(index_dir, encoder,
                            (settings.embedding_cache_path or index_dir / EMBEDDING_CACHE) if use_file else None,
                            opened=carried.opened if carried is not None else None)
        try:
            made, counts, embedded_now = _fresh_segments(
                settings, fresh, cache, derived, progress, on_stage, on_progress,
                threads=settings.build_threads if own_encoder else None)
        finally:
            cache.close()
        segments = {d.report.meta.id: kept.get(d.report.meta.id) or made[d.report.meta.id] for d in docs}
        counts["reused"] += sum(len(s.chunk_keys) for s in kept.values())
        counts["n_sentences"] = sum(len(s.sentences) for s in segments.values())
        content = _Content(
            files=[{"rel_path": d.file.rel_path, "fingerprint": d.file.fingerprint, "report": d.report.meta.id,
                    "text_key": d.key} for d in docs],
            skipped=skipped, reports=[d.report for d in docs], segments=segments, linked=linked,
            previous_graph=previous_graph, counts=counts)
        tmp, final = new_build_dirs(index_dir)
        tmp.mkdir(parents=True)
        try:
            _write_build(tmp, settings, signature, content, dim=cache.dim, seconds=time.perf_counter() - t0,
                         link_from=found if found is not None and previous is not None else None)
            os.replace(tmp, final)
            switch_current(index_dir, final)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        cleanup_old_builds(index_dir, live=final.name)
        logger.info("index built: %d reports (%d carried over%s), %d chunks, %d sentences (%d texts embedded, %d chunk "
                    "vectors reused), %d skipped, %.1fs", len(docs), len(kept),
                    f", {len(in_linked)} of them in {len(linked)} packs linked" if linked else "",
                    sum(len(s.chunk_keys) for s in segments.values()), counts["n_sentences"], embedded_now,
                    counts["reused"], len(skipped), time.perf_counter() - t0)
        return final


def _known_reports(previous: dict[str, Any] | None,
                   carried: Carried | None) -> dict[tuple[str, str], tuple[Report, str]]:
    """(rel_path, fingerprint) -> (report, text key) of every file the previous build read, when carried over."""
    if previous is None or carried is None:
        return {}
    return {(f["rel_path"], f["fingerprint"]): (carried.reports[f["report"]], f["text_key"])
            for f in previous.get("files", []) if f.get("report") in carried.reports and f.get("text_key")}


def _read_again(settings: Settings, docs: list[CorpusReport], ids: set[str],
                skipped: list[dict[str, str]]) -> list[CorpusReport]:
    """docs, with the reports of these ids (carried without their text) read from their files again."""
    out = []
    for doc in docs:
        if doc.report.meta.id not in ids:
            out.append(doc)
            continue
        try:
            report = load_report(doc.file, settings.read_limits)
        except UnreadableReport as exc:
            skip_file(skipped, doc.file, str(exc))
            continue
        out.append(replace(doc, report=Report(meta=replace(report.meta, id=doc.report.meta.id), text=report.text)))
    return out


def _unchanged(docs: list[CorpusReport], previous: dict[str, Any] | None,
               carried: Carried | None) -> dict[str, Segment]:
    """The previous build's segment of each report whose file (path and fingerprint) and id did not change."""
    if previous is None or carried is None:
        return {}
    was = {f["rel_path"]: (f["fingerprint"], f["report"]) for f in previous.get("files", [])}
    out = {}
    for doc in docs:
        rid = doc.report.meta.id
        if was.get(doc.file.rel_path) == (doc.file.fingerprint, rid) and rid in carried.segments:
            out[rid] = carried.segments[rid]
    return out


def _fresh_segments(settings: Settings, docs: list[CorpusReport], cache: VectorCache, derived: bool,
                    progress: bool, on_stage: Callable[[str], None] | None, on_progress: Progress | None,
                    threads: int | None) -> tuple[dict[str, Segment], dict[str, int], int]:
    """The segments of reports new or changed since the previous build: chunked, tokenized and given vectors
    (from the vector cache, else embedded); with the manifest's counts and the number of texts embedded."""
    passages = _chunk_docs(settings, docs)
    by_id = {d.report.meta.id: d.report for d in docs}
    chunks = [c for p in passages for c in p.chunks]
    chunk_texts = [(_heading_text if derived else _embed_text)(c, by_id[c.report_id]) for c in chunks]
    sentences = _sentence_rows(docs, passages) if settings.sentence_vectors else []
    vectors = _vectors(settings, cache, chunk_texts, [s[3] for s in sentences], progress, on_stage, on_progress,
                       threads=threads)
    chunk_keys = [vector_key(t) for t in chunk_texts]
    heading_keys = chunk_keys
    if derived:
        vectors, chunk_keys = _derived_passages(vectors, chunks, chunk_keys, sentences, by_id,
                                                settings.heading_weight)
    names = [f.name for f in fields(Chunk)]  # asdict copies every field deeply: 6 s at 165,000 passages
    made: dict[str, Segment] = {}
    per_report = Counter(row[0] for row in sentences)  # a report's sentences are one run of rows
    at = sent_at = 0
    for doc, own in zip(docs, passages):
        rid, n = doc.report.meta.id, len(own.chunks)
        m = per_report[rid]
        lines = []
        for chunk, toks in zip(own.chunks, own.tokens):
            row = {name: getattr(chunk, name) for name in names}
            row["tokens"] = toks
            lines.append((json.dumps(row, ensure_ascii=False) + "\n").encode("utf-8"))
        made[rid] = Segment(
            report=rid, lines=lines, chunk_keys=chunk_keys[at:at + n], vectors=vectors.chunks[at:at + n],
            sentences=[(s, e, vector_key(text)) for _, s, e, text in sentences[sent_at:sent_at + m]],
            sentence_vectors=vectors.sentences[sent_at:sent_at + m],
            headings=heading_keys[at:at + n] if derived else [],
            heading_vectors=vectors.headings[at:at + n] if vectors.headings is not None else None,
            terms=count_terms(own.tokens))
        at, sent_at = at + n, sent_at + m
    return made, dict(vectors.counts), vectors.embedded_now


def _chunk_docs(settings: Settings, docs: list[CorpusReport]) -> list[_Passages]:
    """Chunks and tokens of each report (capped at Settings.max_passages_per_report)."""
    cap = settings.max_passages_per_report
    out: list[_Passages] = []
    for doc in docs:
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
    heads = vectors.chunks.astype(np.float16)  # as kept
    out = np.empty_like(vectors.chunks)
    keys: list[str] = []
    for i, chunk in enumerate(chunks):
        text = reports[chunk.report_id].text
        mine = [r for r in (rows.get((chunk.report_id, s, e)) for s, e in sentence_spans(text, chunk.start, chunk.end))
                if r is not None]
        heading = heads[i].astype(np.float32)  # as kept: the same from a cache
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

def _dense_rows(segments: list[Segment]) -> list[str]:
    """A name for each row of the passage vectors: its report and vector key (and which occurrence of them)."""
    seen: dict[str, int] = {}
    rows = []
    for seg in segments:
        for key in seg.chunk_keys:
            name = f"{seg.report}\t{key}"
            seen[name] = seen.get(name, 0) + 1
            rows.append(name if seen[name] == 1 else f"{name}\t{seen[name]}")
    return rows


def _previous_graph(previous: tuple[Path, dict[str, Any]]) -> tuple[Any, list[str]] | None:
    """The previous build's HNSW graph and the name of each of its rows, when they pass their checksums."""
    import faiss

    build, record = previous
    if not intact(build, record.get("checksums") or {}, "dense.faiss", DENSE_ROWS):
        logger.info("not growing the graph of %s: dense.faiss or %s is missing or corrupt", build.name, DENSE_ROWS)
        return None
    try:
        rows = json.loads((build / DENSE_ROWS).read_text(encoding="utf-8"))
        return faiss.read_index(str(build / "dense.faiss")), rows
    except (OSError, RuntimeError, ValueError) as exc:
        logger.info("not growing the graph of %s: %s", build.name, exc)
        return None


def _write_dense_index(out: Path, settings: Settings, segments: list[Segment], dim: int,
                       previous_graph: Future[tuple[Any, list[str]] | None] | None,
                       written: Callable[[Path], None]) -> Any:
    """Write dense.faiss (and, for a graph, the name of each row): the previous build's graph (being read by
    `previous_graph`) grown when it can be, else a new index; `written` is told of each file once complete."""
    import faiss

    vectors = passage_vectors(segments, dim)
    dense = None
    if dense_kind(len(vectors), settings) == "hnsw":  # a graph: name its rows, so that the next build can grow it
        rows = _dense_rows(segments)
        (out / DENSE_ROWS).write_text(json.dumps(rows, ensure_ascii=False), encoding="utf-8")
        written(out / DENSE_ROWS)
        graph = previous_graph.result() if previous_graph is not None else None
        dense = grow_dense_index(graph[0], graph[1], vectors, rows, settings) if graph is not None else None
    if dense is None:
        dense = make_dense_index(vectors, settings)
    faiss.write_index(dense, str(out / "dense.faiss"))
    written(out / "dense.faiss")
    return dense


def _link_pack(source: tuple[Path, dict[str, Any]], out: Path, name: str, sealer: Sealer) -> None:
    """Hard-link a sealed pack of the previous build (verified as its rows were read) into the new one; copied
    where the file system has no hard links."""
    build, record = source
    prefix = f"{PACKS}/{name}/"
    (out / PACKS / name).mkdir(parents=True)
    for rel, digest in (record.get("checksums") or {}).items():
        if rel.startswith(prefix):
            try:
                os.link(build / rel, out / rel)
            except OSError:
                shutil.copyfile(build / rel, out / rel)
                sealer.seal(out / rel)
                continue
            sealer.known(out / rel, digest)


def _write_build(out: Path, settings: Settings, signature: dict[str, Any], content: _Content, dim: int,
                 seconds: float, link_from: tuple[Path, dict[str, Any]] | None = None) -> None:
    """Write every file of a build into `out`; link_from: the previous build of the same signature (and its record),
    whose sealed packs in `content.linked` are hard-linked (its graph is `content.previous_graph`)."""
    linked = {r for _, ids in content.linked for r in ids}
    by_id = {r.meta.id: r for r in content.reports}
    sealed, rest = plan_packs([content.segments[r.meta.id] for r in content.reports if r.meta.id not in linked],
                              settings.pack_bytes)
    new_packs = [(new_pack_name(), group) for group in sealed]
    # rows in the order a load reads them (layout.row_dirs): the packs, linked then new, then the build's own
    order = [content.segments[r] for _, ids in content.linked for r in ids] + \
        [seg for _, group in new_packs for seg in group] + rest
    packs = [{"name": name, "reports": list(ids)} for name, ids in content.linked] + \
        [{"name": name, "reports": [seg.report for seg in group]} for name, group in new_packs]
    n_rows = sum(len(seg.chunk_keys) for seg in order)
    derived = settings.passage_vectors == "derived" and settings.sentence_vectors
    # the dense index is made on the other core meanwhile, and each file is hashed and flushed once written
    with ThreadPoolExecutor(max_workers=1) as pool, Sealer(out) as sealer:
        made = pool.submit(_write_dense_index, out, settings, order, dim, content.previous_graph, sealer.seal)
        for name, _ in content.linked:
            assert link_from is not None  # packs are linked only from a previous build of this signature
            _link_pack(link_from, out, name, sealer)
        for name, group in new_packs:
            write_segments(out / PACKS / name, [by_id[seg.report] for seg in group], group, settings.sentence_vectors,
                           derived, dim, written=sealer.seal)
        write_segments(out, [by_id[seg.report] for seg in rest], rest, settings.sentence_vectors, derived, dim,
                       written=sealer.seal)
        terms = concat_counts([seg.terms for seg in order])
        bm25_index(terms if terms.n_rows else count_terms([[]])).save(str(out / "bm25"))
        dense = made.result()
        checksums = sealer.digests()
    # the sidecar: what a rebuild needs to trust and reuse this build's files, kept apart from the
    # manifest so that a half-written manifest.json does not lose it (the manifest checks the sidecar)
    record = {"signature": signature, "encoder": signature["encoder"], "dim": dim,
              "corpus": corpus_record(settings.corpus_dir, settings.index_dir), "files": content.files,
              "packs": packs, "checksums": checksums}
    write_json(out / SIDECAR, record)
    checksums = {**checksums, SIDECAR: file_sha256(out / SIDECAR)}
    manifest = {
        "signature": signature,
        "encoder": signature["encoder"],
        "dim": dim,
        "corpus": record["corpus"],
        "files": content.files,
        "packs": packs,
        "skipped": content.skipped,
        "reports": [r.meta.id for r in content.reports],
        "n_chunks": n_rows,
        "dense_index": dense_kind(n_rows, settings),  # "flat" (exact) or "hnsw" (approximate)
        "dense_masked": dead_entries(dense),  # graph entries of passages no longer indexed (grown graphs)
        # embedded: texts no build of the index had (embedded, or found in the vector cache file);
        # reused: chunk vectors found in the index's builds (see _vectors)
        **content.counts,
        "build_seconds": round(seconds, 2),
        "built_at": time.strftime("%Y-%m-%dT%H:%M:%S"),
        "checksums": checksums,
    }
    write_json(out / "manifest.json", manifest)
    for name in (SIDECAR, "manifest.json"):  # every other file was flushed by the sealer
        with open(out / name, "rb+") as f:
            os.fsync(f.fileno())
    for folder in {p.parent for p in out.rglob("*") if p.is_file()}:
        fsync_dir(folder)
