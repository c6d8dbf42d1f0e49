"""Searchers with one shape: `search(query, k, reports=None) -> list[Hit]` (query: a `Query` or text).

BM25 (lexical, jieba tokens), dense (FAISS over e5 embeddings) and hybrid
(reciprocal rank fusion of the two) are interchangeable, as in Pyserini.
"""
from __future__ import annotations

from typing import Collection, Protocol

from ..types import Hit
from .bm25 import BM25Searcher
from .dense import DenseSearcher
from .hybrid import HybridSearcher, reciprocal_rank_fusion
from .query import Query


class Searcher(Protocol):
    name: str

    def search(self, query: Query | str, k: int = 10, reports: Collection[str] | None = None) -> list[Hit]: ...


__all__ = ["Query", "Searcher", "BM25Searcher", "DenseSearcher", "HybridSearcher", "reciprocal_rank_fusion"]
