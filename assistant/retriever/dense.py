"""Dense search: the query's embedding against chunk embeddings in a FAISS inner-product index.

Over the whole index the FAISS index answers (exact or HNSW, see `ann.py`). Restricted to some
reports, the search scans exactly those reports' vectors: exact whatever the index kind, and
faster than asking the index for everything and dropping other reports' chunks.
"""
from __future__ import annotations

from typing import Any, Collection, Sequence

import numpy as np

from ..encoders import Encoder
from ..types import Chunk, Hit
from .ann import search_params
from .query import Query
from .rows import ReportRows


class DenseSearcher:
    name = "dense"

    def __init__(self, chunks: Sequence[Chunk], faiss_index: Any, encoder: Encoder,
                 vectors: np.ndarray | None = None) -> None:
        self.chunks = chunks
        self.index = faiss_index
        self.encoder = encoder
        # the vectors the index holds, for exact search within some reports (None: asked of the index)
        self.vectors = vectors
        self.report_rows = ReportRows(chunks)
        self.params = search_params(faiss_index, len(chunks))  # a grown graph's masked entries are skipped

    def embed(self, query: str) -> np.ndarray:
        return self.encoder.encode_queries([query])[0]

    def search(self, query: Query | str, k: int = 10, reports: Collection[str] | None = None) -> list[Hit]:
        if not self.chunks:
            return []
        query = Query.of(query)
        q = np.asarray(self.embed(query.text) if query.vector is None else query.vector, dtype=np.float32)
        rows = self.report_rows.rows(reports)
        if rows is None:
            scores, ids = self.index.search(q[None, :], min(k, len(self.chunks)), params=self.params)
            found = [(int(i), float(s)) for i, s in zip(ids[0], scores[0]) if i >= 0]
        elif self.vectors is not None:
            found = _exact_top_k(self.vectors, rows, q, k)
        else:  # no vectors at hand: ask the index for everything, keep these reports' chunks
            wanted = self.report_rows.mask(reports)
            scores, ids = self.index.search(q[None, :], len(self.chunks), params=self.params)
            found = [(int(i), float(s)) for i, s in zip(ids[0], scores[0]) if i >= 0 and wanted[i]][:k]
        return [Hit(self.chunks[i], s, rank, self.name) for rank, (i, s) in enumerate(found, start=1)]


def _exact_top_k(vectors: np.ndarray, rows: np.ndarray, q: np.ndarray, k: int) -> list[tuple[int, float]]:
    """The k rows (of `rows`) whose vectors have the highest inner product with q, best first."""
    if not len(rows):
        return []
    scores = vectors[rows] @ q
    k = min(k, len(rows))
    top = np.argpartition(-scores, k - 1)[:k]
    top = top[np.argsort(-scores[top], kind="stable")]
    return [(int(rows[t]), float(scores[t])) for t in top]
