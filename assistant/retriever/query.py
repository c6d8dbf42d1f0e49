"""The query every searcher takes: its text, the words for lexical search, and its embedding.

The embedding is computed once per question and travels with the query, so the
hybrid searcher, the per-report searches and the reader's semantic scores all
reuse it instead of re-encoding the question.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Query:
    text: str  # what the dense searcher embeds (when `vector` is None)
    lexical: str = ""  # what the lexical searcher tokenizes ("" = `text`)
    vector: Any = None  # the query embedding (numpy array), when already computed

    @property
    def words(self) -> str:
        return self.lexical or self.text

    @staticmethod
    def of(query: "Query | str") -> "Query":
        return query if isinstance(query, Query) else Query(text=query)
