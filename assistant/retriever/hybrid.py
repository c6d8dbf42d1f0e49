"""Hybrid search: reciprocal rank fusion of a lexical and a dense searcher."""
from __future__ import annotations

from typing import Collection, Sequence

from ..types import Hit
from .query import Query


def reciprocal_rank_fusion(runs: Sequence[Sequence[Hit]], k: int, rrf_k: int = 60,
                           weights: Sequence[float] | None = None) -> list[Hit]:
    """Fuse ranked lists: score(d) = Σ w / (rrf_k + rank(d)). Ties keep first-seen order."""
    weights = weights or [1.0] * len(runs)
    scores: dict[str, float] = {}
    first: dict[str, Hit] = {}
    for run, w in zip(runs, weights):
        for hit in run:
            cid = hit.chunk.id
            scores[cid] = scores.get(cid, 0.0) + w / (rrf_k + hit.rank)
            first.setdefault(cid, hit)
    ranked = sorted(scores, key=lambda c: -scores[c])
    order = ranked[:k]
    # each searcher's best passage stays in: a rare name only the lexical run finds (or a paraphrase only
    # the dense run finds) must not be fused away by passages both rank middling
    for run in runs:
        if run and k > len(runs) and run[0].chunk.id not in order:
            order = order[:-1] if len(order) >= k else order
            order.append(run[0].chunk.id)
    return [Hit(first[c].chunk, scores[c], rank, "hybrid") for rank, c in enumerate(order, start=1)]


class HybridSearcher:
    name = "hybrid"

    def __init__(self, lexical, dense, candidates: int = 40, rrf_k: int = 60,
                 weights: tuple[float, float] = (1.0, 1.0)) -> None:
        self.lexical = lexical
        self.dense = dense
        self.candidates = candidates
        self.rrf_k = rrf_k
        self.weights = weights

    def search(self, query: Query | str, k: int = 10, reports: Collection[str] | None = None) -> list[Hit]:
        query = Query.of(query)
        if query.vector is None:  # embed once for both the dense run and any caller reusing the query
            query = Query(query.text, query.lexical, self.dense.embed(query.text))
        n = max(k, self.candidates)
        lex = self.lexical.search(query, n, reports)
        den = self.dense.search(query, n, reports)
        return reciprocal_rank_fusion([lex, den], k, self.rrf_k, self.weights)
