"""The on-disk format of an index directory: build folders, the CURRENT pointer, manifests and checksums.

Every reader and writer of an index (a build, a load, the damage watch, the CLI's status) has to agree
on these names and on what counts as damage, so they are defined here once. Layout::

    CURRENT                 name of the live build (replaced atomically)
    .build.lock             taken by a build (see build.build_lock)
    embeddings.sqlite3      the vector cache file, unless Settings.embedding_cache_path puts it elsewhere
    build-<stamp>/
        manifest.json       corpus folder and fingerprints, encoder, chunker, settings, file checksums
        checksums.json      the sidecar: signature, encoder, corpus, files and checksums again
        reports.json        report metadata and text (offsets point into it)
        chunks.jsonl        one chunk a line, with its jieba tokens
        vectors.npy         chunk embeddings (normalized float32), aligned with chunks.jsonl
        vector_keys.json    for each row of vectors.npy, the hash of the text that was embedded
        dense.faiss         inner-product FAISS index over vectors.npy (flat, or an HNSW graph whose
                            entries carry their row; a later build may grow it, see retriever/ann.py)
        dense_rows.json     with a graph: each row's report and vector key, to grow the graph from
        bm25/               bm25s index over the chunk tokens
        term_counts.npz     each passage's term counts (a CSR matrix) and, in term_list.json, the term of
        term_list.json      each column: the next build makes BM25 from them (retriever/bm25_counts.py)
        segments.json       where each report's rows begin in the files above: the next build carries over
                            the rows of a report whose file did not change (segments.py)
        sentences.npy       every sentence of every chunk, embedded (normalized float16)
        sentences.json      for each row: report id, start, end (offsets into the report text), text hash
        headings.npy        when passage vectors are derived (Settings.passage_vectors): each distinct
        heading_keys.json   "title | section path" embedded, and its text hash; vectors.npy then holds
                            the derived passage vectors, keyed by what each is made of
        packs/<name>/       a sealed pack: the row files above (reports.json to headings) of some
                            reports, written once and hard-linked by the next builds while those
                            reports do not change (segments.py). An index has packs once its rows
                            pass Settings.pack_bytes; the build folder's own row files come after
                            its packs' (`row_dirs`)

A build writes a fresh `build-*` folder and only then points CURRENT at it, so a build killed midway
leaves the previous index serving. Every file's sha256 is in the manifest; `verify_build` finds a
truncated or flipped file. The build before the live one is kept (KEEP_BUILDS) so that a reader that
has just read CURRENT still finds its files.
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import shutil
import time
import uuid
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any, Sequence

from ..types import Chunk

logger = logging.getLogger(__name__)

INDEX_FORMAT = 2  # 2: vector_keys.json, sentence vectors, corpus folder in the manifest
CURRENT = "CURRENT"
LOCK = ".build.lock"
DENSE_ROWS = "dense_rows.json"  # beside an HNSW graph: the name of each row, so that the next build can grow it
SEGMENTS = "segments.json"  # where each report's rows begin (see segments.py)
TERM_COUNTS, TERM_LIST = "term_counts.npz", "term_list.json"  # each passage's term counts, and their terms
PACKS = "packs"  # a build's sealed packs of rows: packs/<name>/ (see segments.py)
SIDECAR = "checksums.json"  # a build's signature, corpus, files and checksums, apart from its manifest
KEEP_BUILDS = 2  # the live build and the one before it (a reader may be loading it right now)
REQUIRED_FILES = ("reports.json", "chunks.jsonl", "vectors.npy", "vector_keys.json", "dense.faiss")
VECTOR_FILES = (("vectors.npy", "vector_keys.json"), ("sentences.npy", "sentences.json"),
                ("headings.npy", "heading_keys.json"))  # (vectors, their keys)

FileStat = tuple[int, int, int, int]  # (inode, size, mtime_ns, ctime_ns): a file rewritten in place changes one

_BUILD_NAME = re.compile(r"build-[0-9A-Za-z][0-9A-Za-z._-]*")
_PACK_NAME = re.compile(r"p-[0-9a-f]{16}")


class IndexError_(RuntimeError):
    """The index cannot be loaded (missing, stale, corrupt); the message says which."""


# ------------------------------------------------------------------ files

def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


_DIGESTS: dict[tuple[str, FileStat], str] = {}  # files `intact` hashed, by path and stat (see there)


def file_digests(paths: Sequence[Path]) -> list[str]:
    """sha256 of each file, two at a time: hashlib lets go of the GIL, and a build's files are hundreds of MB."""
    if len(paths) < 2:
        return [file_sha256(p) for p in paths]
    with ThreadPoolExecutor(max_workers=2) as pool:
        return list(pool.map(file_sha256, paths))


class Sealer:
    """Hashes and fsyncs each file of a new build on another thread as soon as it is written.

    A build's files are hundreds of MB: hashing and flushing each one while the next is being written
    takes the work off the end of the build. `digests()` waits for all of them.
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        self._pool = ThreadPoolExecutor(max_workers=1)
        self._pending: dict[str, Future[str]] = {}

    def __enter__(self) -> "Sealer":
        return self

    def __exit__(self, *exc: object) -> None:
        self._pool.shutdown(wait=True)

    def seal(self, path: Path) -> None:
        """Hash and fsync `path` (a file of the build that will not be written again) in the background."""
        rel = path.relative_to(self.root).as_posix()
        if rel not in self._pending:
            self._pending[rel] = self._pool.submit(_sha256_synced, path)

    def known(self, path: Path, digest: str) -> None:
        """A file whose sha256 is known (hard-linked from a verified build): neither hashed nor flushed again."""
        done: Future[str] = Future()
        done.set_result(digest)
        self._pending[path.relative_to(self.root).as_posix()] = done

    def digests(self) -> dict[str, str]:
        """sha256 by relative path of every file under the root (those not sealed yet hashed now)."""
        for p in sorted(self.root.rglob("*")):
            if p.is_file():
                self.seal(p)
        return {rel: future.result() for rel, future in sorted(self._pending.items())}


def _sha256_synced(path: Path) -> str:
    digest = file_sha256(path)
    with open(path, "rb+") as f:
        os.fsync(f.fileno())
    return digest


def file_stat(path: Path) -> FileStat | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


def write_json(path: Path, data: Any) -> None:
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")


def fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    except OSError:
        pass


def read_chunks(path: Path) -> tuple[list[Chunk], list[list[str]]]:
    """The chunks of a chunks.jsonl and, aligned with them, their tokens."""
    chunks, tokens = [], []
    with open(path, encoding="utf-8") as f:
        for line in f:
            row = json.loads(line)
            tokens.append(row.pop("tokens"))
            row["section_path"] = tuple(row["section_path"])
            chunks.append(Chunk(**row))
    return chunks, tokens


def intact(build: Path, checksums: dict[str, str], *names: str) -> bool:
    """Whether each named file of a build is there and passes its checksum.

    A build reads the previous build's files more than once (its rows carried over, then the vector
    cache); a file is hashed once per process while its stat (inode, size, mtime and ctime: any write
    changes one) stays the same.
    """
    paths = [build / rel for rel in names]
    if any(rel not in checksums or not p.is_file() for rel, p in zip(names, paths)):
        return False
    keys = [(str(p), stat) if (stat := file_stat(p)) is not None else None for p in paths]
    todo = [i for i, key in enumerate(keys) if key is None or key not in _DIGESTS]
    digests = {i: _DIGESTS[key] for i, key in enumerate(keys) if key is not None and key in _DIGESTS}
    digests.update(zip(todo, file_digests([paths[i] for i in todo])))
    if len(_DIGESTS) > 256:
        _DIGESTS.clear()
    for i in todo:
        if keys[i] is not None:
            _DIGESTS[keys[i]] = digests[i]  # type: ignore[index]
    return all(digests[i] == checksums[rel] for i, rel in enumerate(names))


def row_dirs(record: dict[str, Any]) -> list[str]:
    """The folders of a build that hold its rows, in row order, relative to the build: its sealed packs
    (named in its manifest or sidecar), then the build folder itself ("")."""
    out = []
    for pack in record.get("packs") or []:
        name = pack.get("name") if isinstance(pack, dict) else None
        if not isinstance(name, str) or not _PACK_NAME.fullmatch(name):
            raise IndexError_(f"the build names a pack it cannot have: {str(pack)[:80]!r}")
        out.append(f"{PACKS}/{name}")
    return out + [""]


def new_pack_name() -> str:
    return f"p-{uuid.uuid4().hex[:16]}"


def in_dir(folder: str, name: str) -> str:
    """The path of a row file, relative to its build, in one of its row folders."""
    return f"{folder}/{name}" if folder else name


# ------------------------------------------------------------------ builds and CURRENT

def read_pointer(index_dir: Path) -> tuple[Path | None, str | None]:
    """(the live build, what is wrong with CURRENT): (None, None) when nothing was ever built.

    CURRENT must hold the plain name of an existing `build-*` folder of index_dir: anything
    else (bytes that are no name, a path, a build that is gone) is damage, never "no index".
    """
    pointer = index_dir / CURRENT
    try:
        raw = pointer.read_bytes()
    except FileNotFoundError:
        if list_builds(index_dir):
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


def list_builds(index_dir: Path) -> list[Path]:
    """The build folders of index_dir, newest first (by mtime)."""
    try:
        found = [p for p in index_dir.iterdir() if p.name.startswith("build-") and p.is_dir()]
    except OSError:
        return []
    return sorted(found, key=_mtime, reverse=True)


def live_first(index_dir: Path) -> list[Path]:
    """The build folders of index_dir: the live build, then the others newest first."""
    live = current_build(index_dir)
    return sorted(list_builds(index_dir), key=lambda b: b != live)


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:  # removed meanwhile (a concurrent cleanup)
        return 0.0


def current_build(index_dir: Path) -> Path | None:
    """The live build, or None when there is none or CURRENT does not name one (`index_damage` says why)."""
    return read_pointer(index_dir)[0]


def new_build_dirs(index_dir: Path) -> tuple[Path, Path]:
    """(temporary folder to write a build into, the name it goes live under): unique even for two builds in
    one process within a second, and sorting by time."""
    stamp = time.strftime("%Y%m%d-%H%M%S") + f"-{os.getpid()}-{uuid.uuid4().hex[:6]}"
    return index_dir / f".tmp-build-{stamp}", index_dir / f"build-{stamp}"


def switch_current(index_dir: Path, build: Path) -> None:
    """Point CURRENT at a build atomically (written beside it, synced, renamed over it)."""
    pointer_tmp = index_dir / f".{CURRENT}.{os.getpid()}"
    pointer_tmp.write_text(build.name, encoding="utf-8")
    with open(pointer_tmp, "rb+") as f:
        os.fsync(f.fileno())
    os.replace(pointer_tmp, index_dir / CURRENT)
    fsync_dir(index_dir)


def remove_leftovers(index_dir: Path) -> None:
    """Temp folders and pointer files of builds that died (the caller holds the build lock: none is running)."""
    for p in index_dir.iterdir():
        if p.name.startswith(".tmp-build-") and p.is_dir():
            logger.info("removing the leftovers of an interrupted build: %s", p.name)
            shutil.rmtree(p, ignore_errors=True)
        elif p.name.startswith(f".{CURRENT}.") and p.is_file():
            p.unlink(missing_ok=True)


def cleanup_old_builds(index_dir: Path, live: str) -> None:
    """Delete all builds but the live one and the one before it (KEEP_BUILDS)."""
    builds = sorted((p for p in index_dir.iterdir() if p.is_dir() and p.name.startswith("build-")
                     and p.name != live), key=lambda p: p.stat().st_mtime, reverse=True)
    for p in builds[KEEP_BUILDS - 1:]:
        shutil.rmtree(p, ignore_errors=True)


# ------------------------------------------------------------------ manifest, sidecar, checksums

def load_manifest(build: Path) -> tuple[dict[str, Any] | None, str | None]:
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


def read_manifest(index_dir: Path) -> dict[str, Any] | None:
    """The manifest of the live build (None when there is none or it cannot be read)."""
    build = current_build(index_dir)
    return None if build is None else load_manifest(build)[0]


def read_sidecar(build: Path) -> dict[str, Any] | None:
    """The build's checksums.json, or None when it is missing or unreadable."""
    try:
        data = json.loads((build / SIDECAR).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    ok = isinstance(data, dict) and isinstance(data.get("checksums"), dict) and isinstance(data.get("signature"), dict)
    return data if ok else None


def build_record(build: Path) -> tuple[dict[str, Any] | None, str]:
    """What a rebuild may trust of a build: its manifest, else its sidecar; and which one ("" for neither).

    Both hold the build's signature, encoder, corpus, files and checksums, so a half-written
    manifest does not make the build's intact vectors and chunks unusable.
    """
    manifest, problem = load_manifest(build)
    if manifest is not None:
        return manifest, "manifest.json"
    sidecar = read_sidecar(build)
    if sidecar is not None:
        logger.info("%s; trusting its %s instead", problem, SIDECAR)
        return sidecar, SIDECAR
    return None, ""


def previous_build(index_dir: Path) -> tuple[Path, dict[str, Any]] | None:
    """The build a rebuild continues from, with what can be trusted of it (`build_record`).

    The live build; when CURRENT is damaged (or the live build has no readable record), the
    newest build that has one: its corpus folder, ids and chunks are what the index last was.
    """
    live, _ = read_pointer(index_dir)
    for build in ([live] if live is not None else []) + [b for b in list_builds(index_dir) if b != live]:
        record, _ = build_record(build)
        if record is not None:
            return build, record
    return None


def verify_build(build: Path, manifest: dict[str, Any] | None = None) -> str | None:
    """Why a build's files cannot be trusted (missing, truncated, altered), or None when all pass their sha256."""
    if manifest is None:
        manifest, problem = load_manifest(build)
        if manifest is None:
            return problem
    checksums = manifest.get("checksums") or {}
    old_format = (manifest.get("signature") or {}).get("format") == 1  # no vector keys, no sentences
    for rel in REQUIRED_FILES:
        if rel not in checksums and not (old_format and rel == "vector_keys.json"):
            return f"index file {rel} is not in the manifest of {build.name}"
    for rel in checksums:
        if not (build / rel).is_file():
            return f"index file {rel} is missing from {build.name}"
    for (rel, digest), got in zip(checksums.items(), file_digests([build / rel for rel in checksums])):
        if got != digest:
            return f"index file {rel} is corrupt (checksum mismatch) in {build.name}"
    return None


def index_damage(index_dir: Path) -> str | None:
    """What is wrong with the live index on disk, or None when it is intact or nothing was built yet.

    Names the damage: a garbage, empty, missing or dangling CURRENT, a half-written manifest,
    a missing file, a file that fails its checksum. Hashes every file of the live build.
    """
    build, problem = read_pointer(index_dir)
    if problem is not None or build is None:
        return problem
    return verify_build(build)
