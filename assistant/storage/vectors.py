"""THE vector cache: which of a build's texts already have a vector for its encoder, wherever one was made.

Embedding is the one slow step of a build (minutes for a few thousand passages on two cores, hours for
an archive), and a text keeps its vector whatever else changes (chunker, metadata, index format). So a
build asks `VectorCache.lookup` once for all its passage and sentence texts, embeds only the texts it
gets no vector for, and hands those to `VectorCache.add`. Vectors are keyed by `vector_key(text)` (the
text the encoder saw) for one encoder. They already live in two places, asked in this order:

1. The vector files of the index directory's builds (`vectors.npy` + `vector_keys.json`, `sentences.npy`
   + `sentences.json`, in the build folder and in each of its packs): the live build first, then the
   others newest first. A file counts when it and its key file pass their checksums (from the manifest,
   else from the sidecar) and the build's record names this encoder, whatever else of the build is
   damaged: a repair embeds only the texts whose vectors are really lost. A build left with no readable
   record at all gives the rows of texts being indexed once one of them, embedded again, proves the
   encoder (`checks` counts those texts). Files are opened (hashed, memory-mapped) only while keys are
   still missing, so a rebuild whose live build has every vector never reads the older builds; nor is an
   older build opened whose report files a newer one asked indexed too (same signature): it holds no
   text that one lacks. A build that carries over the previous build's rows hands its vector files over
   as already read.
2. The cache file (`Settings.embedding_cache_path`, default `EMBEDDING_CACHE` in the index directory):
   SQLite in WAL mode, safe across processes, one row per (encoder, text). `add` writes there what a
   build embeds, batch by batch, so an interrupted build loses one batch. It outlives builds and a
   deleted index directory, may be shared by several indexes, and can be deleted at any time: it only
   saves time, and an unreadable one is passed over with a warning. A build uses it when
   `Settings.embedding_cache` is on and the build loads its own encoder (or is asked to; see
   `build.build_index`).

Speed (2 cores, load ~1.5, 384 dimensions, warm page cache; `scripts/bench_vector_cache.py`): one
lookup of 200,000 keys takes 0.9 s when the live build holds them (0.7 s of it hashing and opening its
vector files, 0.2 s the lookup itself) and 2.3 s when only the cache file does (SQLite, a row a
vector). Embedding those texts would take hours.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import re
import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator, Mapping, Sequence

import numpy as np

from ..encoders import Encoder
from .layout import PACKS, SIDECAR, VECTOR_FILES, IndexError_, build_record, in_dir, intact, live_first, row_dirs

logger = logging.getLogger(__name__)

EMBEDDING_CACHE = "embeddings.sqlite3"  # the cache file's name in an index directory
MISSING, IN_BUILD, IN_FILE = 0, 1, 2  # where a looked-up vector came from (`Found.source`)

_KEY = re.compile(r"[0-9a-f]{32}")


def vector_key(text: str) -> str:
    """Key of a vector: the text the encoder saw (same text, same vector, whichever report or build)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


@dataclass(frozen=True)
class Found:
    """The answer to a lookup: one row per key asked for, and where each came from.

    Rows of keys no vector was found for are zeros (`source` MISSING) for the caller to fill.
    """

    keys: tuple[str, ...]
    vectors: np.ndarray  # (len(keys), dim), of the dtype asked for
    source: np.ndarray  # int8 per key: MISSING, IN_BUILD or IN_FILE

    def missing(self) -> list[int]:
        """Positions of the keys without a vector."""
        return np.flatnonzero(self.source == MISSING).tolist()


@dataclass(frozen=True)
class Opened:
    """Vector files of a build already verified and read: {vector file name: (its keys, its vectors)}."""

    build: Path
    files: Mapping[str, tuple[list[str], np.ndarray]]


@dataclass(frozen=True)
class _Rows:
    """One vector file of a build as a source of vectors: its rows by key (memory-mapped)."""

    build: Path
    name: str  # "vectors.npy", "sentences.npy", "headings.npy", or one of those in a pack ("packs/p-…/vectors.npy")
    keys: list[str]  # the key of each row
    vectors: np.ndarray
    recorded: bool  # the build's record vouches for it; otherwise a row must prove the encoder first
    index: dict[str, int] = dataclasses.field(default_factory=dict, compare=False)  # key -> first row, made on demand

    def find(self, wanted: Mapping[str, int]) -> list[tuple[int, int]]:
        """(position, row) of each wanted key (key -> position) this file holds, at its first row. A build asks
        each file twice (passage texts, then sentence texts): the first ask makes the file's key index."""
        if not self.index:
            for row in range(len(self.keys) - 1, -1, -1):  # the first row of a key is the one kept
                self.index[self.keys[row]] = row
        index = self.index
        return sorted((i, index[key]) for key, i in wanted.items() if key in index)


class VectorCache:
    """Vectors of one encoder by text, for builds of one index directory (see the module docstring)."""

    def __init__(self, index_dir: Path, encoder: Encoder, file: Path | None = None,
                 opened: Opened | None = None) -> None:
        """opened: the vector files of one build of index_dir that the caller has already verified and read
        (a build carrying over the previous build's rows), asked first and not read again."""
        self.index_dir = index_dir
        self.encoder = encoder
        self.dim = int(encoder.dim)
        self.checks = 0  # texts embedded to prove the encoder of vectors whose build kept no readable record
        self._file = _VectorFile(file) if file is not None else None
        self._sources: list[_Rows] = []  # opened so far, in the order they are asked
        self._unopened = self._open_builds(opened)
        # (build without a record, vector file) -> whether its vectors are this encoder's: each file proves
        # itself, since one file of a build may hold rows that belong to other texts
        self._proof: dict[tuple[Path, str], bool] = {}

    def lookup(self, texts: Mapping[str, str], dtype: type = np.float32) -> Found:
        """Which of these texts (key -> text) already have a vector for this encoder, and those vectors."""
        keys = tuple(texts)
        vectors = np.zeros((len(keys), self.dim), dtype=dtype)
        source = np.zeros(len(keys), dtype=np.int8)
        todo = list(range(len(keys)))
        for rows in self._each_source() if todo else ():
            hits = rows.find({keys[i]: i for i in todo})
            if not hits or (not rows.recorded and not self._proves(rows, hits, keys, texts)):
                continue
            if not rows.recorded:
                logger.info("reusing %d vectors of %s/%s (its manifest and %s are unreadable; its content checks "
                            "out)", len(hits), rows.build.name, rows.name, SIDECAR)
            at = np.fromiter((i for i, _ in hits), np.int64, len(hits))
            vectors[at] = rows.vectors[np.fromiter((r for _, r in hits), np.int64, len(hits))]
            source[at] = IN_BUILD
            todo = np.flatnonzero(source == MISSING).tolist()
            if not todo:
                break
        if todo and self._file is not None:
            self._from_file(keys, texts, todo, vectors, source)
        return Found(keys=keys, vectors=vectors, source=source)

    def add(self, texts: Sequence[str], vectors: np.ndarray) -> None:
        """Keep vectors just embedded in the cache file (a build writes its own vector files itself)."""
        if self._file is None or not len(texts):
            return
        try:
            self._file.put(self.encoder.name, texts, vectors)
        except (sqlite3.Error, OSError) as exc:
            logger.warning("embedding cache not written (%s)", exc)

    def close(self) -> None:
        """Let go of the memory-mapped files and the cache file."""
        self._sources.clear()
        self._unopened = iter(())
        if self._file is not None:
            self._file.close()

    # ------------------------------------------------------------ the builds' vector files

    def _each_source(self) -> Iterator[_Rows]:
        """The vector files opened so far, then the next ones, opened only when asked for."""
        i = 0
        while True:
            if i == len(self._sources):
                opened = next(self._unopened, None)
                if opened is None:
                    return
                self._sources.append(opened)
            yield self._sources[i]
            i += 1

    def _open_builds(self, opened: Opened | None) -> Iterator[_Rows]:
        """Each build's vector files, live build first. A build whose every report file (same bytes) a build
        already asked also indexed, with the same signature and all its vector files sound, holds no text
        that one lacks and is not opened: at archive size opening one costs seconds. Nor is a sealed pack one
        of them shares with a build asked before (hard-linked, the same files)."""
        covered: list[tuple[Any, set[str]]] = []  # (signature, report file fingerprints) of builds asked whole
        asked: set[tuple[str, Any, Any]] = set()  # (vector file, its checksum, its keys' checksum) of packs asked
        for build in live_first(self.index_dir):
            record, _ = build_record(build)
            if record is None:
                yield from self._unrecorded(build)
                continue
            if record.get("encoder") != self.encoder.name or record.get("dim") != self.dim:
                continue
            prints = {str(f.get("fingerprint")) for f in record.get("files") or [] if isinstance(f, dict)}
            if any(sig == record.get("signature") and prints <= have for sig, have in covered):
                logger.debug("not opening the vector files of %s: a newer build holds all its texts", build.name)
                continue
            checksums = record.get("checksums") or {}
            whole = True
            try:
                folders = row_dirs(record)
            except IndexError_:
                continue
            for vec_file, key_file in ((in_dir(folder, v), in_dir(folder, k)) for folder in folders
                                       for v, k in VECTOR_FILES):
                same = (vec_file, checksums.get(vec_file), checksums.get(key_file))
                if vec_file.startswith(PACKS) and same in asked:
                    continue  # a sealed pack this build shares with one asked before: the same files, linked
                given = opened.files.get(vec_file) if opened is not None and opened.build == build else None
                if given is not None:
                    rows = _rows(build, vec_file, *given, self.dim)
                elif not intact(build, checksums, vec_file, key_file):
                    if vec_file in checksums:
                        whole = False
                        logger.info("not reusing %s/%s: it or %s is missing or corrupt", build.name, vec_file, key_file)
                    continue
                else:
                    rows = _load_rows(build, vec_file, key_file, self.dim)
                if rows is None:
                    whole = False
                    continue
                asked.add(same)
                yield rows
            if whole:
                covered.append((record.get("signature"), prints))

    def _unrecorded(self, build: Path) -> Iterator[_Rows]:
        """The vector files of a build whose manifest and sidecar are both unreadable, when they may be this
        encoder's.

        Without checksums a vector file is trusted only when it is consistent in itself (a text hash per
        row, unit rows of the encoder's dimension) and with the corpus (its keys are hashes of texts being
        indexed), and one of its rows embedded again comes out the same (`_proves`): that proves the
        encoder, which only the lost record named. Costs one embedded text per vector file of such a build.
        """
        folders = [p.relative_to(build).as_posix() for p in sorted((build / PACKS).glob("p-*")) if p.is_dir()] + [""]
        for vec_file, key_file in ((in_dir(folder, v), in_dir(folder, k)) for folder in folders
                                   for v, k in VECTOR_FILES):
            rows = _load_rows(build, vec_file, key_file, self.dim) if (build / vec_file).is_file() else None
            if rows is None:
                continue
            if not all(_KEY.fullmatch(k) for k in rows.keys) or not _unit_rows(rows.vectors):
                logger.info("not reusing %s/%s: no record to check it against, and its rows are not all unit vectors "
                            "with a text hash", build.name, vec_file)
                continue
            yield dataclasses.replace(rows, recorded=False)

    def _proves(self, rows: _Rows, hits: list[tuple[int, int]], keys: tuple[str, ...],
                texts: Mapping[str, str]) -> bool:
        """Whether the vectors of one file of a build without a record are this encoder's (one row embedded again,
        once per file)."""
        verdict = self._proof.get((rows.build, rows.name))
        if verdict is None:
            i, row = hits[len(hits) // 2]
            self.checks += 1
            fresh = np.asarray(self.encoder.encode_passages([texts[keys[i]]])[0], dtype=np.float32)
            verdict = float(fresh @ np.asarray(rows.vectors[row], dtype=np.float32)) >= 0.99
            self._proof[(rows.build, rows.name)] = verdict
            if not verdict:
                logger.info("not reusing %s/%s: its vectors are not this encoder's", rows.build.name, rows.name)
        return verdict

    # ------------------------------------------------------------ the cache file

    def _from_file(self, keys: tuple[str, ...], texts: Mapping[str, str], todo: list[int], vectors: np.ndarray,
                   source: np.ndarray) -> None:
        assert self._file is not None
        try:
            got = self._file.get(self.encoder.name, [texts[keys[i]] for i in todo], self.dim)
        except (sqlite3.Error, OSError) as exc:  # a damaged cache only costs time
            logger.warning("embedding cache unreadable (%s): embedding without it", exc)
            self._file.close()
            self._file = None
            return
        if not got:
            return
        at = np.asarray([todo[j] for j, _ in got], dtype=np.int64)
        vectors[at] = np.frombuffer(b"".join(blob for _, blob in got), dtype=np.float32).reshape(len(got), self.dim)
        source[at] = IN_FILE
        logger.info("%d of %d vectors found in the embedding cache %s", len(got), len(todo), self._file.path)


def _load_rows(build: Path, vec_file: str, key_file: str, dim: int) -> _Rows | None:
    """One vector file of a build with its keys, None when they do not fit each other or dim."""
    try:
        keys = json.loads((build / key_file).read_text(encoding="utf-8"))
        keys = keys["key"] if isinstance(keys, dict) else keys
        vectors = np.load(build / vec_file, mmap_mode="r")
    except (OSError, ValueError, KeyError, TypeError) as exc:
        logger.info("not reusing %s/%s: %s", build.name, vec_file, exc)
        return None
    return _rows(build, vec_file, keys, vectors, dim)


def _rows(build: Path, vec_file: str, keys: Any, vectors: np.ndarray, dim: int) -> _Rows | None:
    if not isinstance(keys, list) or not all(isinstance(k, str) for k in keys) or vectors.ndim != 2 \
            or len(keys) != len(vectors) or (len(vectors) and vectors.shape[1] != dim):
        logger.info("not reusing %s/%s: its rows and keys do not match", build.name, vec_file)
        return None
    return _Rows(build=build, name=vec_file, keys=keys, vectors=vectors, recorded=True)


def _unit_rows(vectors: np.ndarray, block: int = 65536) -> bool:
    """Whether every row is finite and of unit length (read a block at a time: the file may be large)."""
    for start in range(0, len(vectors), block):
        rows = np.asarray(vectors[start:start + block], dtype=np.float32)
        if not np.all(np.isfinite(rows)) or not np.all(np.abs(np.linalg.norm(rows, axis=1) - 1.0) < 1e-2):
            return False
    return True


def _file_key(encoder: str, text: str) -> str:
    return hashlib.sha1(f"{encoder}\0passage\0{text}".encode("utf-8", "surrogatepass")).hexdigest()


class _VectorFile:
    """The cache file: encoder and text -> vector in SQLite (WAL; safe across processes), opened when first used."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._db: sqlite3.Connection | None = None
        self._lock = threading.Lock()

    def _connect(self) -> sqlite3.Connection:
        if self._db is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(str(self.path), check_same_thread=False, timeout=30)
            try:
                db.execute("PRAGMA journal_mode=WAL")
                db.execute("CREATE TABLE IF NOT EXISTS vectors (key TEXT PRIMARY KEY, dim INTEGER, vec BLOB)")
            except sqlite3.Error:
                db.close()
                raise
            self._db = db
        return self._db

    def get(self, encoder: str, texts: Sequence[str], dim: int) -> list[tuple[int, bytes]]:
        """(position in texts, float32 bytes) of the texts the file holds a vector of dim for."""
        keys = [_file_key(encoder, t) for t in texts]
        found: dict[str, bytes] = {}
        with self._lock:
            db = self._connect()
            step = max(1, min(db.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER) - 1, 10_000))
            for i in range(0, len(keys), step):
                part = keys[i:i + step]
                found.update(db.execute(f"SELECT key, vec FROM vectors WHERE key IN ({','.join('?' * len(part))}) "
                                        "AND dim = ?", (*part, dim)))
        size = 4 * dim
        return [(j, blob) for j, k in enumerate(keys) if (blob := found.get(k)) is not None and len(blob) == size]

    def put(self, encoder: str, texts: Sequence[str], vectors: np.ndarray) -> None:
        rows = [(_file_key(encoder, t), int(v.shape[0]), np.asarray(v, dtype=np.float32).tobytes())
                for t, v in zip(texts, vectors)]
        with self._lock:
            db = self._connect()
            db.executemany("INSERT OR REPLACE INTO vectors VALUES (?, ?, ?)", rows)
            db.commit()

    def close(self) -> None:
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None
