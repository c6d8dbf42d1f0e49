"""Which descriptive answer to give: weights over the reader's named evidence, fit on the dev split.

The reader proposes, for a how / which-measures question, one whole-clause span per sentence it
read, each with its named evidence (coverage, semantic similarity, retrieval rank, proximity,
span bonus, …). Summing that evidence with a weight of one each picked the best span by hand;
`SpanRanker` weighs it with weights fit to pick the span closest (character ROUGE-L) to the gold
answers of the dev split (`python -m eval fit-ranker`), kept beside the reader in
`assistant/data/descriptive_ranker.json`. A missing or unreadable file falls back to the sum.
"""
from __future__ import annotations

import json
import logging
import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Mapping, Sequence

from ..knowledge import DATA_DIR

logger = logging.getLogger(__name__)

RANKER_PATH = DATA_DIR / "descriptive_ranker.json"
# the reader's named evidence, then two of the span itself: its length and whether it is a whole clause
FEATURES = ("sentence_coverage", "section_coverage", "passage_coverage", "retrieval_rank", "context", "semantic",
            "proximity", "span", "attached", "length", "descriptive")


def span_features(features: Mapping[str, float], length: int, kind: str) -> list[float]:
    """The ranker's inputs for one span, in `FEATURES` order."""
    extra = {"length": math.log1p(max(0, length)) / 6.0, "descriptive": float(kind == "descriptive")}
    return [float(features.get(name, extra.get(name, 0.0))) for name in FEATURES]


@dataclass(frozen=True)
class SpanRanker:
    """A linear score over `FEATURES`; the hand-set sum is the ranker with weight 1 on the evidence."""

    weights: tuple[float, ...]

    @classmethod
    def summing(cls) -> "SpanRanker":
        return cls(tuple(0.0 if name in ("length", "descriptive") else 1.0 for name in FEATURES))

    def score(self, features: Mapping[str, float], length: int, kind: str) -> float:
        return self.score_row(span_features(features, length, kind))

    def score_row(self, row: Sequence[float]) -> float:
        """The score of a span's inputs already in `FEATURES` order (`span_features`)."""
        return sum(w * x for w, x in zip(self.weights, row))

    def to_json(self, **about: object) -> dict:
        return {"features": list(FEATURES), "weights": {n: round(w, 5) for n, w in zip(FEATURES, self.weights)},
                **about}


def load_ranker(path: Path = RANKER_PATH) -> SpanRanker:
    """The fitted ranker, or the plain sum when the file is missing, unreadable or of other features."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
        weights = doc["weights"]
        return SpanRanker(tuple(float(weights[name]) for name in FEATURES))
    except FileNotFoundError:
        return SpanRanker.summing()
    except (OSError, ValueError, KeyError, TypeError) as exc:
        logger.warning("descriptive ranker %s unreadable (%s): summing the evidence instead", path.name, exc)
        return SpanRanker.summing()


@lru_cache(maxsize=1)
def default_ranker() -> SpanRanker:
    return load_ranker()


def fit_ranker(groups: Sequence[tuple[Sequence[Sequence[float]], Sequence[float]]], l2: float = 5.0,
               temperature: float = 10.0, iterations: int = 3000, rate: float = 0.05) -> SpanRanker:
    """Weights that maximise the expected ROUGE-L of the chosen span (a softmax over each question's spans,
    at `temperature`), pulled towards the plain sum by `l2`. `groups`: per question, its spans' feature rows
    and their ROUGE-L against the gold answers."""
    import numpy as np

    start = np.array(SpanRanker.summing().weights)
    data = [(np.asarray(x, dtype=float), np.asarray(y, dtype=float)) for x, y in groups if len(y)]
    w = start.copy()
    for _ in range(iterations):
        grad = np.zeros_like(w)
        for x, y in data:
            s = temperature * (x @ w)
            p = np.exp(s - s.max())
            p /= p.sum()
            grad += temperature * (x.T @ (p * (y - p @ y)))
        w += rate * (grad - l2 * (w - start)) / max(1, len(data))
    return SpanRanker(tuple(float(v) for v in w))


__all__ = ["FEATURES", "RANKER_PATH", "SpanRanker", "default_ranker", "fit_ranker", "load_ranker", "span_features"]
