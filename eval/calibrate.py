"""Fit the answer policy's confidence on a QA run: P(the answer is right | the reader's features).

Input: the predictions of a run made with the confidence threshold off
(`GWR_MIN_CONFIDENCE=0`), joined with gold. Every answered question is one
example: its features (coverage, span score, the reader's named evidence) and
whether the answer was correct. A logistic regression (plain numpy, L2) gives
the weights; the threshold is the one that maximises correct − wrong answers
on those examples. Descriptive answers (a whole clause, judged by ROUGE-L) are fit
apart, so that they move no other answer's confidence. Both go
to `assistant/data/calibration.json`, which `assistant/policy.py` reads.
Fit on the dev split only: the test split is for measuring.
"""
from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np

from assistant.policy import SEPARATE_KINDS  # fit apart: pooling them would move every other threshold

from .metrics import is_correct

# few, well-understood features: a QA set of a few hundred questions cannot support more without overfitting
FEATURES = ("coverage", "semantic", "retrieval_rank", "context", "proximity", "span", "attached", "margin")




def _kind(row: Mapping[str, Any], gold: Mapping[str, Any]) -> str:
    """The answer kind a prediction row belongs to for calibration ("" = every short-answer kind): the
    question type the assistant read (`qtype`), or for older runs without it the QA line's type."""
    kind = row.get("qtype") or gold.get("type", "")
    return kind if kind in SEPARATE_KINDS else ""


def examples(rows: Sequence[Mapping[str, Any]], gold: Mapping[str, Mapping[str, Any]],
             split: str | None = "dev", kind: str = "") -> tuple[np.ndarray, np.ndarray]:
    """(X, y) from answered rows of the split and answer kind: y = 1 when the answer is correct.

    A QA line without a `split` field (a set with no test part, such as `eval/qa.jsonl`) counts;
    a line of another split (the test split) never does.
    """
    xs, ys = [], []
    for row in rows:
        g = gold.get(row["id"])
        if g is None or (split and g.get("split", split) != split) or row.get("abstained") or not row.get("features"):
            continue
        if _kind(row, g) != kind:
            continue
        feats = row["features"]
        xs.append([float(feats.get(f, 0.0)) for f in FEATURES])
        ys.append(1.0 if g["answers"] and is_correct(row["answer"], g["answers"], g.get("type", "")) else 0.0)
    return np.asarray(xs, dtype=np.float64).reshape(-1, len(FEATURES)), np.asarray(ys, dtype=np.float64)


def fit_logistic(x: np.ndarray, y: np.ndarray, l2: float = 10.0, steps: int = 3000, lr: float = 0.1) -> dict[str, float]:
    """Weights on the raw features (standardised while fitting, folded back afterwards)."""
    mu = x.mean(axis=0)
    sd = x.std(axis=0)
    sd[sd < 1e-9] = 1.0
    z = (x - mu) / sd
    w = np.zeros(z.shape[1])
    b = 0.0
    n = len(y)
    for _ in range(steps):
        p = 1.0 / (1.0 + np.exp(-(z @ w + b)))
        grad_w = z.T @ (p - y) / n + l2 * w / n
        grad_b = float(np.mean(p - y))
        w -= lr * grad_w
        b -= lr * grad_b
    raw = w / sd
    weights = {f: round(float(v), 5) for f, v in zip(FEATURES, raw) if abs(v) > 1e-6}
    weights["bias"] = round(float(b - (w * mu / sd).sum()), 5)
    return weights


WRONG_COST = 1.0  # a wrong answer given costs what a right answer withheld costs


def best_threshold(probs: np.ndarray, y: np.ndarray, wrong_cost: float = WRONG_COST) -> float:
    """The confidence below which abstaining maximises (correct − wrong_cost × wrong) answers."""
    best_t, best_gain = 0.0, -math.inf
    for t in np.linspace(0.0, 0.95, 96):
        keep = probs >= t
        gain = float(y[keep].sum() - wrong_cost * (1 - y[keep]).sum())
        if gain > best_gain + 1e-9:
            best_t, best_gain = float(t), gain
    return round(best_t, 3)


def _fit(x: np.ndarray, y: np.ndarray, what: str) -> dict[str, Any]:
    if len(y) < 20 or y.min() == y.max():
        raise ValueError(f"too few or one-sided examples to fit ({len(y)} answered questions, {what})")
    weights = fit_logistic(x, y)
    z = weights.get("bias", 0.0) + x @ np.asarray([weights.get(f, 0.0) for f in FEATURES])
    probs = 1.0 / (1.0 + np.exp(-z))
    threshold = best_threshold(probs, y)
    return {"weights": weights, "min_confidence": threshold, "examples": int(len(y)), "correct": int(y.sum()),
            "kept_at_threshold": int((probs >= threshold).sum()), "correct_kept": int(y[probs >= threshold].sum())}


def calibrate(runs: Sequence[tuple[Path, Path]], out: Path, split: str = "dev") -> dict[str, Any]:
    """Fit on the pooled examples of (predictions.jsonl, QA file) pairs and write the calibration file.

    The short-answer kinds share one fit (the top-level weights and threshold); each kind of
    SEPARATE_KINDS with examples gets its own under "kinds".
    """
    loaded = []
    for predictions, qa in runs:
        rows = [json.loads(line) for line in predictions.read_text(encoding="utf-8").splitlines() if line.strip()]
        gold = {}
        for line in qa.read_text(encoding="utf-8").splitlines():
            if line.strip():
                obj = json.loads(line)
                gold[str(obj["id"])] = obj
        loaded.append((rows, gold))

    def pooled(kind: str) -> tuple[np.ndarray, np.ndarray]:
        parts = [examples(rows, gold, split, kind) for rows, gold in loaded]
        return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])

    doc = _fit(*pooled(""), f"split {split!r}")
    doc["fit_on"] = ", ".join(f"{qa.name} split={split}" for _, qa in runs)
    kinds = {}
    for kind in SEPARATE_KINDS:
        x, y = pooled(kind)
        if len(y):
            kinds[kind] = _fit(x, y, f"{kind} answers of split {split!r}")
    if kinds:
        doc["kinds"] = kinds
    out.write_text(json.dumps(doc, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return doc


__all__ = ["FEATURES", "calibrate", "fit_logistic"]
