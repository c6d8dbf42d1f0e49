"""A persistent cache of passage embeddings, keyed by the encoder and the exact text.

Re-embedding is the one slow step of building an index (minutes for a few thousand
passages on two cores). Passages and sentences whose text has not changed keep the
same vector whatever else changed (chunker, metadata, index format), so builds look
them up here first. The cache lives beside the index (never committed) and can be
deleted at any time: it only saves time.
"""
from __future__ import annotations

import hashlib
import logging
import sqlite3
import threading
from pathlib import Path
from typing import Sequence

import numpy as np

logger = logging.getLogger(__name__)


def _key(encoder: str, text: str) -> str:
    return hashlib.sha1(f"{encoder}\0passage\0{text}".encode("utf-8", "surrogatepass")).hexdigest()


class EmbeddingCache:
    """text → vector for one database file (SQLite, WAL; safe across processes)."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._lock = threading.Lock()
        self._db = sqlite3.connect(str(path), check_same_thread=False, timeout=30)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("CREATE TABLE IF NOT EXISTS vectors (key TEXT PRIMARY KEY, dim INTEGER, vec BLOB)")

    def get_many(self, encoder: str, texts: Sequence[str]) -> list[np.ndarray | None]:
        keys = [_key(encoder, t) for t in texts]
        found: dict[str, np.ndarray] = {}
        with self._lock:
            for i in range(0, len(keys), 500):
                part = keys[i:i + 500]
                marks = ",".join("?" * len(part))
                for key, dim, blob in self._db.execute(
                        f"SELECT key, dim, vec FROM vectors WHERE key IN ({marks})", part):
                    vec = np.frombuffer(blob, dtype=np.float32)
                    if vec.shape[0] == dim:
                        found[key] = vec
        return [found.get(k) for k in keys]

    def put_many(self, encoder: str, texts: Sequence[str], vectors: np.ndarray) -> None:
        rows = [(_key(encoder, t), int(v.shape[0]), np.asarray(v, dtype=np.float32).tobytes())
                for t, v in zip(texts, vectors)]
        with self._lock:
            self._db.executemany("INSERT OR REPLACE INTO vectors VALUES (?, ?, ?)", rows)
            self._db.commit()

    def close(self) -> None:
        with self._lock:
            self._db.close()


class CachedEncoder:
    """An encoder whose passage embeddings go through an `EmbeddingCache` (queries are not cached)."""

    def __init__(self, encoder, cache: EmbeddingCache) -> None:
        self.encoder = encoder
        self.cache = cache
        self.name = encoder.name
        self.dim = getattr(encoder, "dim", None)
        self.bulk_batch = getattr(encoder, "bulk_batch", None)  # hand-overs as large as the encoder wants
        self.hits = 0
        self.misses = 0

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self.encoder.encode_queries(texts)

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray:
        texts = list(texts)
        try:
            cached = self.cache.get_many(self.name, texts)
        except sqlite3.Error as exc:  # a damaged cache only costs time
            logger.warning("embedding cache unreadable (%s): embedding without it", exc)
            return self.encoder.encode_passages(texts)
        todo = [i for i, v in enumerate(cached) if v is None]
        self.hits += len(texts) - len(todo)
        self.misses += len(todo)
        if todo:
            fresh = self.encoder.encode_passages([texts[i] for i in todo])
            try:
                self.cache.put_many(self.name, [texts[i] for i in todo], fresh)
            except sqlite3.Error as exc:
                logger.warning("embedding cache not written (%s)", exc)
            for i, vec in zip(todo, fresh):
                cached[i] = vec
        if not texts:
            return self.encoder.encode_passages(texts)
        return np.stack([np.asarray(v, dtype=np.float32) for v in cached])


__all__ = ["CachedEncoder", "EmbeddingCache"]
