"""Searchers with one shape: `search(query, k, reports=None) -> list[Hit]`.

BM25 (lexical, jieba tokens), dense (FAISS over e5 embeddings) and hybrid
(reciprocal rank fusion of the two) are interchangeable, as in Pyserini.
"""
from __future__ import annotations

from typing import Collection, Protocol

from ..types import Hit
from .bm25 import BM25Searcher
from .dense import DenseSearcher
from .hybrid import HybridSearcher, reciprocal_rank_fusion


class Searcher(Protocol):
    name: str

    def search(self, query: str, k: int = 10, reports: Collection[str] | None = None) -> list[Hit]: ...


__all__ = ["Searcher", "BM25Searcher", "DenseSearcher", "HybridSearcher", "reciprocal_rank_fusion"]
