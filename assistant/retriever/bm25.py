"""Lexical search: BM25 (bm25s) over jieba tokens of each chunk and its section path."""
from __future__ import annotations

from typing import Any, Collection, Sequence

import numpy as np

from ..text import has_cjk, tokenize
from ..types import Chunk, Hit
from .query import Query
from .rows import ReportRows


def _top_k(scores: np.ndarray, k: int, rows: np.ndarray | None = None) -> list[tuple[int, float]]:
    """The k best (row, score) pairs, best first, of all rows or of `rows` only (sorted row numbers)."""
    sub = scores if rows is None else scores[rows]
    k = min(k, len(sub))
    if k <= 0:
        return []
    idx = np.sort(np.argpartition(-sub, k - 1)[:k])
    idx = idx[np.argsort(-sub[idx], kind="stable")]  # equal scores: the earlier passage first
    if rows is not None:
        return [(int(rows[i]), float(sub[i])) for i in idx]
    return [(int(i), float(sub[i])) for i in idx]


class BM25Searcher:
    name = "bm25"

    def __init__(self, chunks: Sequence[Chunk], bm25: Any) -> None:
        self.chunks = chunks
        self.bm25 = bm25
        self.report_rows = ReportRows(chunks)
        self._vocab = set(getattr(bm25, "vocab_dict", {}) or {})
        self._last: tuple[str, np.ndarray] | None = None  # the last query's scores

    @property
    def vocabulary(self) -> frozenset[str]:
        """Every token of the indexed passages."""
        return frozenset(self._vocab)

    def tokens(self, query: str) -> list[str]:
        """The query's tokens as the index knows them.

        A word the index never saw whole ("魔搭社区" once it is a known term, but the passages
        were tokenized before) is split by longest match into pieces the index has ("魔", "搭",
        "社区"): dropping it would lose the question's most specific word.
        """
        out: list[str] = []
        for tok in tokenize(query):
            if tok in self._vocab:
                out.append(tok)
                continue
            if not has_cjk(tok):
                continue  # a Latin word is matched whole or not at all
            i = 0
            while i < len(tok):
                for size in range(min(6, len(tok) - i), 0, -1):
                    if tok[i:i + size] in self._vocab:
                        out.append(tok[i:i + size])
                        i += size
                        break
                else:
                    i += 1
        return out

    def scores(self, query: str) -> np.ndarray:
        """Every passage's score for the query (read-only: the array is kept for the next search)."""
        last = self._last
        if last is not None and last[0] == query:  # one question asked of report after report (a comparison)
            return last[1]
        tokens = self.tokens(query)
        if not tokens:
            scores = np.zeros(len(self.chunks), dtype=np.float32)
        else:
            scores = np.asarray(self.bm25.get_scores(tokens), dtype=np.float32)
        scores.flags.writeable = False
        self._last = (query, scores)  # one assignment: safe with searches in other threads
        return scores

    def search(self, query: Query | str, k: int = 10, reports: Collection[str] | None = None) -> list[Hit]:
        scores = self.scores(Query.of(query).words)
        found = _top_k(scores, k, self.report_rows.rows(reports))
        return [Hit(self.chunks[i], s, rank, self.name)
                for rank, (i, s) in enumerate(((i, s) for i, s in found if s > 0), start=1)]
