"""Answer metrics: accuracy (gold inside a short answer), EM, CMRC-style character F1, abstention."""
from __future__ import annotations

import re
import statistics
import unicodedata
from typing import Iterable, Sequence

_PUNCT = re.compile(r"[\s\u3000,，.。:：;；!！?？、\"“”'‘’()（）《》〈〉【】\[\]{}<>—\-_/\\|·…~`]")


def norm_answer(text: str) -> str:
    """Normalize for matching: NFKC, lower case, punctuation and spaces removed."""
    return _PUNCT.sub("", unicodedata.normalize("NFKC", text).lower())


def is_correct(answer: str, golds: Sequence[str]) -> bool:
    """A gold string inside an answer of at most max(40, 3×len(gold)) characters."""
    a = unicodedata.normalize("NFKC", answer)
    for g in golds:
        g2 = unicodedata.normalize("NFKC", g)
        if g2 and g2 in a and len(a) <= max(40, 3 * len(g2)):
            return True
    return False


def exact_match(answer: str, golds: Sequence[str]) -> float:
    a = norm_answer(answer)
    return float(any(a == norm_answer(g) for g in golds)) if golds else float(not a)


def _lcs(a: str, b: str) -> int:
    if not a or not b:
        return 0
    prev = [0] * (len(b) + 1)
    best = 0
    for ca in a:
        cur = [0] * (len(b) + 1)
        for j, cb in enumerate(b, start=1):
            if ca == cb:
                cur[j] = prev[j - 1] + 1
                best = max(best, cur[j])
        prev = cur
    return best


def char_f1(answer: str, golds: Sequence[str]) -> float:
    """CMRC 2018 F1: precision/recall of the longest common substring of normalized characters, best gold."""
    if not golds:
        return float(not answer)
    a = norm_answer(answer)
    best = 0.0
    for g in golds:
        gn = norm_answer(g)
        lcs = _lcs(a, gn)
        if lcs == 0:
            continue
        p, r = lcs / len(a), lcs / len(gn)
        best = max(best, 2 * p * r / (p + r))
    return best


def percentile(values: Iterable[float], q: float) -> float:
    vals = sorted(values)
    if not vals:
        return 0.0
    k = (len(vals) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(vals) - 1)
    return vals[lo] + (vals[hi] - vals[lo]) * (k - lo)


def summarize(rows: list[dict]) -> dict:
    """Metrics over prediction rows joined with gold (keys: answers, answer, abstained, citations, latency_ms)."""
    answerable = [r for r in rows if r["answers"]]
    unanswerable = [r for r in rows if not r["answers"]]
    correct = [r for r in answerable if not r["abstained"] and is_correct(r["answer"], r["answers"])]
    answered = [r for r in rows if not r["abstained"]]
    cited_ok = [r for r in answered if r["citations"] and r["answer"] in r["citations"][0]["text"]]
    abst_tp = sum(1 for r in unanswerable if r["abstained"])
    abst_pred = sum(1 for r in rows if r["abstained"])
    precision = abst_tp / abst_pred if abst_pred else 0.0
    recall = abst_tp / len(unanswerable) if unanswerable else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    lat = [r["latency_ms"] for r in rows]
    return {
        "n": len(rows),
        "answerable": len(answerable),
        "unanswerable": len(unanswerable),
        "accuracy": len(correct) / len(answerable) if answerable else 0.0,
        "exact_match": statistics.fmean(exact_match(r["answer"], r["answers"]) for r in answerable) if answerable else 0.0,
        "f1": statistics.fmean(char_f1(r["answer"], r["answers"]) for r in answerable) if answerable else 0.0,
        "citation_contains_answer": len(cited_ok) / len(answered) if answered else 1.0,
        "abstained_unanswerable": abst_tp,
        "abstention_precision": precision,
        "abstention_recall": recall,
        "abstention_f1": f1,
        "wrongly_abstained": sum(1 for r in answerable if r["abstained"]),
        "latency_ms_p50": percentile(lat, 0.5),
        "latency_ms_p95": percentile(lat, 0.95),
    }
