"""Dense search: the query's embedding against chunk embeddings in a FAISS inner-product index."""
from __future__ import annotations

from typing import Any, Collection, Sequence

import numpy as np

from ..encoders import Encoder
from ..types import Chunk, Hit
from .bm25 import report_mask
from .query import Query


class DenseSearcher:
    name = "dense"

    def __init__(self, chunks: Sequence[Chunk], faiss_index: Any, encoder: Encoder) -> None:
        self.chunks = chunks
        self.index = faiss_index
        self.encoder = encoder

    def embed(self, query: str) -> np.ndarray:
        return self.encoder.encode_queries([query])[0]

    def search(self, query: Query | str, k: int = 10, reports: Collection[str] | None = None) -> list[Hit]:
        if not self.chunks:
            return []
        query = Query.of(query)
        q = self.embed(query.text) if query.vector is None else query.vector
        mask = report_mask(self.chunks, reports)
        # over-fetch when filtering by report, then drop other reports' chunks
        fetch = len(self.chunks) if mask is not None else min(k, len(self.chunks))
        scores, ids = self.index.search(np.asarray(q, dtype=np.float32)[None, :], fetch)
        hits: list[Hit] = []
        for i, s in zip(ids[0], scores[0]):
            if i < 0 or (mask is not None and not mask[i]):
                continue
            hits.append(Hit(self.chunks[int(i)], float(s), len(hits) + 1, self.name))
            if len(hits) >= k:
                break
        return hits
